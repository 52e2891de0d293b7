//! Who came: check-in by the QR code shown at the training, staff ticking a list, no-shows
//! recorded when check-in closes, and the follow-up (survey, certificate) for those who
//! came. Each function runs in the caller's transaction.

use super::notices;
use super::{Attendance, Registration, RegistrationId, Session, SessionId, SessionState, Status};
use crate::ids::UserId;
use crate::storage::{StoreError, attendance as q, outbox, trainings};
use jiff::{SignedDuration, Timestamp};
use sqlx::SqliteConnection;

/// Letters that cannot be mistaken for one another when typed from paper (Crockford's
/// base 32): codes and keys are read by people.
pub const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// `n` random characters of `ALPHABET`.
pub fn random_code(n: usize) -> Result<String, StoreError> {
    let mut bytes = vec![0u8; n];
    getrandom::getrandom(&mut bytes).map_err(|e| StoreError::Corrupt(format!("no randomness for a code: {e}")))?;
    Ok(bytes.iter().map(|b| ALPHABET[(b & 31) as usize] as char).collect())
}

/// The session's check-in key, made on first use.
pub async fn checkin_key(conn: &mut SqliteConnection, session: SessionId) -> Result<String, StoreError> {
    if let Some(key) = q::checkin_key(conn, session).await? {
        return Ok(key);
    }
    let key = random_code(10)?;
    q::set_checkin_key(conn, session, &key).await?;
    Ok(key)
}

/// The outcome of a person opening the check-in link.
#[derive(Debug)]
pub enum CheckIn {
    Done(Session),
    Already(Session),
    /// Not a confirmed registrant of this session (waitlisted, cancelled, or never
    /// registered).
    NotRegistered(Session),
    TooEarly(Session),
    TooLate(Session),
    /// No such session, a wrong key, or a cancelled session.
    Invalid,
}

pub async fn check_in(
    conn: &mut SqliteConnection,
    session: SessionId,
    key: &str,
    user: UserId,
    now: Timestamp,
) -> Result<CheckIn, StoreError> {
    let Some(s) = trainings::session(conn, session).await? else {
        return Ok(CheckIn::Invalid);
    };
    let stored = q::checkin_key(conn, session).await?;
    if s.state == SessionState::Cancelled || stored.is_none_or(|k| !k.eq_ignore_ascii_case(key)) {
        return Ok(CheckIn::Invalid);
    }
    let registration = trainings::live_registration(conn, session, user.0).await?;
    let Some(r) = registration.filter(|r| r.status == Status::Confirmed) else {
        return Ok(CheckIn::NotRegistered(s));
    };
    if r.attendance == Some(Attendance::Present) {
        return Ok(CheckIn::Already(s));
    }
    if !s.check_in_open(now) {
        return Ok(if now < s.details.starts {
            CheckIn::TooEarly(s)
        } else {
            CheckIn::TooLate(s)
        });
    }
    q::set(conn, r.id, Some(Attendance::Present), now).await?;
    follow_up_late(conn, &s, r.id, now).await?;
    let s = trainings::session(conn, session).await?.unwrap_or(s);
    Ok(CheckIn::Done(s))
}

/// Staff mark a confirmed registrant present or not (before, during or after the
/// session); `None` when the registration is not a confirmed one.
pub async fn tick(
    conn: &mut SqliteConnection,
    registration: RegistrationId,
    present: bool,
    now: Timestamp,
) -> Result<Option<Registration>, StoreError> {
    let Some(r) = trainings::registration(conn, registration).await? else {
        return Ok(None);
    };
    if r.status != Status::Confirmed {
        return Ok(None);
    }
    let Some(s) = trainings::session(conn, r.session).await? else {
        return Ok(None);
    };
    // Before the session is over, "not present" means "not checked in yet"; after, a
    // no-show.
    let attendance = match (present, s.over(now)) {
        (true, _) => Some(Attendance::Present),
        (false, true) => Some(Attendance::Absent),
        (false, false) => None,
    };
    q::set(conn, r.id, attendance, now).await?;
    if present {
        follow_up_late(conn, &s, r.id, now).await?;
    }
    trainings::registration(conn, registration).await
}

/// Someone marked present after the session's follow-up went out gets it too.
async fn follow_up_late(
    conn: &mut SqliteConnection,
    s: &Session,
    registration: RegistrationId,
    now: Timestamp,
) -> Result<(), StoreError> {
    if !q::followed_up(conn, s.id).await? {
        return Ok(());
    }
    if let Some(r) = trainings::registration(conn, registration).await? {
        outbox::enqueue(conn, &notices::follow_up(&r, s), now).await?;
    }
    Ok(())
}

/// How long after its end a session is followed up: check-in stays open an hour.
pub const FOLLOW_UP_AFTER: SignedDuration = SignedDuration::from_hours(1);

/// After each session whose check-in has closed: confirmed registrants not checked in
/// are recorded as no-shows, and those who came are invited to the survey and offered
/// their certificate. Each session once. How many invitations were queued.
pub async fn follow_up(conn: &mut SqliteConnection, now: Timestamp) -> Result<usize, StoreError> {
    let before = now.checked_sub(FOLLOW_UP_AFTER).unwrap_or(now);
    let mut queued = 0;
    for id in q::due_follow_up(conn, before).await? {
        let Some(s) = trainings::session(conn, id).await? else {
            continue;
        };
        q::mark_absent(conn, id, now).await?;
        q::set_followed_up(conn, id, now).await?;
        for r in trainings::registrations(conn, id).await? {
            if r.status == Status::Confirmed && r.attendance == Some(Attendance::Present) {
                outbox::enqueue(conn, &notices::follow_up(&r, &s), now).await?;
                queued += 1;
            }
        }
    }
    Ok(queued)
}
