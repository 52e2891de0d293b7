//! A PCM training session and a person's registration for it.

use super::fields::{Email, OrgType, Organisation, PersonName, Phone};
use super::time;
use crate::ids::UserId;
use crate::lang::{Lang, Localized};
use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};
use std::fmt;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct SessionId(pub i64);

impl fmt::Display for SessionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SessionState {
    Open,
    Closed,
    Cancelled,
}

impl SessionState {
    pub fn code(self) -> &'static str {
        match self {
            SessionState::Open => "open",
            SessionState::Closed => "closed",
            SessionState::Cancelled => "cancelled",
        }
    }

    pub fn parse(s: &str) -> Option<SessionState> {
        [SessionState::Open, SessionState::Closed, SessionState::Cancelled]
            .into_iter()
            .find(|x| x.code() == s)
    }
}

/// What staff give to create a session (or, all optional, to edit one).
#[derive(Clone, Debug)]
pub struct SessionDetails {
    pub title: Localized<String>,
    pub starts: Timestamp,
    pub ends: Timestamp,
    pub place: String,
    pub capacity: u32,
    /// Registration closes here; by default at the start.
    pub deadline: Timestamp,
    /// A second reminder this long before the start, besides the one a day before.
    pub second_reminder: Option<SignedDuration>,
}

/// The longest title, in characters: it is a button's label and a calendar entry's name.
pub const MAX_TITLE: usize = 120;
/// The longest place (an address or an online link), in characters.
pub const MAX_PLACE: usize = 200;
/// The most seats a session may offer: the office's largest hall holds a few hundred;
/// a larger number is a typo that would let everyone book.
pub const MAX_CAPACITY: u32 = 1000;
/// The earliest second reminder, in hours before the start (a week).
pub const MAX_REMINDER_HOURS: i64 = 168;

/// A rule a session breaks. The words are for the command line (they name its flags);
/// the chat form says the same in the staff member's language.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SessionError {
    #[error("a session needs a title in Turkish and in English (--title-tr, --title-en)")]
    NoTitle,
    #[error("a title is one line of at most {MAX_TITLE} characters (--title-tr, --title-en)")]
    TitleTooLong,
    #[error("the session must end after it starts (--ends later than --starts)")]
    EndsBeforeStart,
    #[error("the registration deadline must not be after the start (--deadline)")]
    DeadlineAfterStart,
    #[error("the capacity must be at least 1 (--capacity)")]
    NoCapacity,
    #[error("the capacity is at most {MAX_CAPACITY} (--capacity)")]
    TooManySeats,
    #[error("a session needs a place or an online link (--place)")]
    NoPlace,
    #[error("the place is at most {MAX_PLACE} characters (--place)")]
    PlaceTooLong,
    #[error("the second reminder is 1 to {MAX_REMINDER_HOURS} hours before the start (--remind-hours)")]
    ReminderOutOfRange,
}

impl SessionDetails {
    /// The rules a session must keep, whatever the door it comes through (the chat
    /// form, the command line): only checked details can be saved.
    pub fn check(self) -> Result<CheckedDetails, SessionError> {
        let title_ok = |t: &str| t.chars().count() <= MAX_TITLE && !t.contains(['\n', '\r']);
        if self.title.tr.trim().is_empty() || self.title.en.trim().is_empty() {
            return Err(SessionError::NoTitle);
        }
        if !title_ok(&self.title.tr) || !title_ok(&self.title.en) {
            return Err(SessionError::TitleTooLong);
        }
        if self.ends <= self.starts {
            return Err(SessionError::EndsBeforeStart);
        }
        if self.deadline > self.starts {
            return Err(SessionError::DeadlineAfterStart);
        }
        if self.capacity == 0 {
            return Err(SessionError::NoCapacity);
        }
        if self.capacity > MAX_CAPACITY {
            return Err(SessionError::TooManySeats);
        }
        if self.place.trim().is_empty() {
            return Err(SessionError::NoPlace);
        }
        if self.place.chars().count() > MAX_PLACE {
            return Err(SessionError::PlaceTooLong);
        }
        if let Some(before) = self.second_reminder
            && !(1..=MAX_REMINDER_HOURS).contains(&before.as_hours())
        {
            return Err(SessionError::ReminderOutOfRange);
        }
        Ok(CheckedDetails(self))
    }
}

/// Session details that keep every rule of `SessionDetails::check`: what creating or
/// changing a session takes, so no door can skip the rules.
#[derive(Clone, Debug)]
pub struct CheckedDetails(SessionDetails);

impl std::ops::Deref for CheckedDetails {
    type Target = SessionDetails;
    fn deref(&self) -> &SessionDetails {
        &self.0
    }
}

/// Which reminder: the day before, or the session's second lead time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reminder {
    DayBefore,
    Second,
}

impl Reminder {
    pub(crate) fn code(self) -> &'static str {
        match self {
            Reminder::DayBefore => "day_before",
            Reminder::Second => "second",
        }
    }
}

#[derive(Clone, Debug)]
pub struct Session {
    pub id: SessionId,
    pub details: SessionDetails,
    pub state: SessionState,
    pub confirmed: u32,
    pub waitlisted: u32,
    /// Confirmed registrants checked in, and those recorded as not having come.
    pub present: u32,
    pub absent: u32,
    /// The calendar entry's revision: raised by every change of time or place.
    pub sequence: u32,
}

impl Session {
    /// Whether people may book now: open, before the deadline and the start.
    pub fn bookable(&self, now: Timestamp) -> bool {
        self.state == SessionState::Open && now < self.details.deadline && now < self.details.starts
    }

    pub fn free_seats(&self) -> u32 {
        self.details.capacity.saturating_sub(self.confirmed)
    }

    pub fn title(&self, lang: Lang) -> &str {
        self.details.title.get(lang)
    }

    pub fn when(&self, lang: Lang) -> String {
        time::span(self.details.starts, self.details.ends, lang)
    }

    /// Whether check-in is open: during the session, or an hour either side of it.
    pub fn check_in_open(&self, now: Timestamp) -> bool {
        let hour = SignedDuration::from_hours(1);
        self.state != SessionState::Cancelled
            && self.details.starts.checked_sub(hour).is_ok_and(|from| from <= now)
            && self.details.ends.checked_add(hour).is_ok_and(|to| now <= to)
    }

    /// Whether the session is over, check-in included.
    pub fn over(&self, now: Timestamp) -> bool {
        self.details
            .ends
            .checked_add(SignedDuration::from_hours(1))
            .is_ok_and(|to| now > to)
    }
}

/// Whether a confirmed registrant came.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Attendance {
    Present,
    Absent,
}

impl Attendance {
    pub fn code(self) -> &'static str {
        match self {
            Attendance::Present => "present",
            Attendance::Absent => "absent",
        }
    }

    pub fn parse(s: &str) -> Option<Attendance> {
        [Attendance::Present, Attendance::Absent]
            .into_iter()
            .find(|x| x.code() == s)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct RegistrationId(pub i64);

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Confirmed,
    Waitlisted,
    Cancelled,
}

impl Status {
    pub fn code(self) -> &'static str {
        match self {
            Status::Confirmed => "confirmed",
            Status::Waitlisted => "waitlisted",
            Status::Cancelled => "cancelled",
        }
    }

    pub fn parse(s: &str) -> Option<Status> {
        [Status::Confirmed, Status::Waitlisted, Status::Cancelled]
            .into_iter()
            .find(|x| x.code() == s)
    }
}

/// Everything a booking collects, complete and valid.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Attendee {
    pub name: PersonName,
    pub organisation: Organisation,
    pub org_type: OrgType,
    pub email: Email,
    pub phone: Option<Phone>,
}

#[derive(Clone, Debug)]
pub struct Registration {
    pub id: RegistrationId,
    pub session: SessionId,
    pub user: UserId,
    pub lang: Lang,
    pub attendee: Attendee,
    pub status: Status,
    /// Seat number among the confirmed, or place in the waitlist, in order of arrival.
    pub position: u32,
    pub registered_at: Timestamp,
    pub consent_version: String,
    /// Recorded for confirmed registrants from the session's day on.
    pub attendance: Option<Attendance>,
    /// The person answered the feedback survey (the answers name nobody).
    pub surveyed: bool,
}
