//! The rules of a PCM training's life: booking (seat or waitlist), cancelling, moving
//! the waitlist up, changing and cancelling sessions, reminders. Each function takes
//! the connection of an open `BEGIN IMMEDIATE` transaction: SQLite's write lock is held
//! before anything is counted, so two bookings can never both take the last seat, and
//! the messages owed commit with the change that causes them.

use super::notices;
use super::session::Reminder;
use super::{Attendee, CheckedDetails, Registration, RegistrationId, Session, SessionId, SessionState, Status};
use crate::ids::UserId;
use crate::lang::Lang;
use crate::message::OutMessage;
use crate::storage::{StoreError, attendance, outbox, trainings as q};
use jiff::{SignedDuration, Timestamp};
use sqlx::SqliteConnection;

/// The outcome of a booking attempt.
#[derive(Debug)]
pub enum Booked {
    New(Registration),
    /// The person already has a live registration for this session: here it is.
    Already(Registration),
    /// Closed, cancelled, past its deadline, or no such session.
    NotBookable,
}

/// The outcome of a person cancelling their registration.
#[derive(Debug)]
pub enum Cancelled {
    Done {
        session: Session,
        /// Who moved up from the waitlist into the freed seat, if anyone.
        promoted: Option<Box<Registration>>,
    },
    /// No live registration with that id belongs to this person.
    NotFound,
}

/// The outcome of changing a session.
#[derive(Debug, PartialEq, Eq)]
pub enum Changed {
    /// Changed; this many moved up from the waitlist into seats the change freed, and
    /// this many registrants were told of a new time or place.
    Done {
        promoted: usize,
        told: usize,
    },
    NotFound,
    /// A cancelled session stays as it was.
    Cancelled,
}

async fn reload_session(conn: &mut SqliteConnection, id: SessionId) -> Result<Session, StoreError> {
    q::session(conn, id)
        .await?
        .ok_or_else(|| StoreError::Corrupt(format!("session {id} vanished")))
}

async fn reload_registration(conn: &mut SqliteConnection, id: RegistrationId) -> Result<Registration, StoreError> {
    q::registration(conn, id)
        .await?
        .ok_or_else(|| StoreError::Corrupt(format!("registration {} vanished", id.0)))
}

/// Books a seat, or a place on the waitlist when the seats are gone.
pub async fn book(
    conn: &mut SqliteConnection,
    session: SessionId,
    user: UserId,
    lang: Lang,
    attendee: &Attendee,
    consent_version: &str,
    now: Timestamp,
) -> Result<Booked, StoreError> {
    let Some(s) = q::session(conn, session).await? else {
        return Ok(Booked::NotBookable);
    };
    if !s.bookable(now) {
        return Ok(match q::live_registration(conn, session, user.0).await? {
            Some(existing) => Booked::Already(existing),
            None => Booked::NotBookable,
        });
    }
    let status = if s.confirmed < s.details.capacity {
        Status::Confirmed
    } else {
        Status::Waitlisted
    };
    match q::insert_registration(conn, session, user.0, lang, attendee, consent_version, status, now).await? {
        Some(id) => Ok(Booked::New(reload_registration(conn, id).await?)),
        // The person already has a live registration (the unique index said so).
        None => Ok(match q::live_registration(conn, session, user.0).await? {
            Some(r) => Booked::Already(r),
            None => Booked::NotBookable,
        }),
    }
}

/// Moves the waitlist up into free seats, first come first served, while the session
/// takes bookings (nobody moves up after the deadline); each person moved up is told
/// at once, with the calendar file. Who moved up.
pub async fn promote(
    conn: &mut SqliteConnection,
    id: SessionId,
    now: Timestamp,
) -> Result<Vec<Registration>, StoreError> {
    let mut promoted = Vec::new();
    loop {
        let Some(session) = q::session(conn, id).await? else {
            return Ok(promoted);
        };
        if !session.bookable(now) || session.confirmed >= session.details.capacity {
            return Ok(promoted);
        }
        let Some(next) = q::first_waitlisted(conn, id).await? else {
            return Ok(promoted);
        };
        q::confirm(conn, next, now).await?;
        let registration = reload_registration(conn, next).await?;
        let session = reload_session(conn, id).await?;
        outbox::enqueue(conn, &notices::promoted(&registration, &session, now), now).await?;
        promoted.push(registration);
    }
}

/// A person cancels their registration. A freed seat goes to the first person on the
/// waitlist (never after the deadline; the cancelled row itself is never moved up).
pub async fn cancel_registration(
    conn: &mut SqliteConnection,
    id: RegistrationId,
    user: UserId,
    now: Timestamp,
) -> Result<Cancelled, StoreError> {
    let Some(registration) = q::registration(conn, id).await? else {
        return Ok(Cancelled::NotFound);
    };
    if registration.user != user || registration.status == Status::Cancelled {
        return Ok(Cancelled::NotFound);
    }
    q::cancel_registration(conn, id, now).await?;
    // Only a confirmed seat frees a place; a waitlisted person leaving frees none.
    let promoted = if registration.status == Status::Confirmed {
        promote(conn, registration.session, now).await?.into_iter().next()
    } else {
        None
    };
    Ok(Cancelled::Done {
        session: reload_session(conn, registration.session).await?,
        promoted: promoted.map(Box::new),
    })
}

/// Creates a session, open for booking, and announces it to the subscribers of the
/// trainings topic (when it is bookable now).
pub async fn create_session(
    conn: &mut SqliteConnection,
    details: &CheckedDetails,
    now: Timestamp,
) -> Result<SessionId, StoreError> {
    let id = q::insert_session(conn, details).await?;
    crate::opportunities::service::announce_session(conn, id, now).await?;
    Ok(id)
}

/// Changes a session. When the change frees seats (a larger capacity) before the
/// deadline, the waitlist moves up into them at once: otherwise the next booking would
/// take a seat ahead of people already waiting.
pub async fn change_session(
    conn: &mut SqliteConnection,
    id: SessionId,
    details: &CheckedDetails,
    now: Timestamp,
) -> Result<Changed, StoreError> {
    let before = match q::session(conn, id).await? {
        None => return Ok(Changed::NotFound),
        Some(s) if s.state == SessionState::Cancelled => return Ok(Changed::Cancelled),
        Some(s) => s,
    };
    q::update_session(conn, id, details).await?;
    let promoted = promote(conn, id, now).await?.len();
    let moved = before.details.starts != details.starts
        || before.details.ends != details.ends
        || before.details.place.trim() != details.place.trim();
    let mut told = 0;
    if moved && !before.over(now) {
        attendance::bump_sequence(conn, id).await?;
        let after = reload_session(conn, id).await?;
        for r in q::registrations(conn, id).await? {
            if r.status != Status::Cancelled {
                outbox::enqueue(conn, &notices::session_changed(&r, &before, &after, now), now).await?;
                told += 1;
            }
        }
    }
    Ok(Changed::Done { promoted, told })
}

/// Stops taking bookings (registrations stay), or takes them again. `false` when there
/// is no such session or it was cancelled.
pub async fn set_open(conn: &mut SqliteConnection, id: SessionId, open: bool) -> Result<bool, StoreError> {
    match q::session(conn, id).await? {
        Some(s) if s.state != SessionState::Cancelled => {
            let state = if open { SessionState::Open } else { SessionState::Closed };
            q::set_state(conn, id, state).await?;
            Ok(true)
        }
        _ => Ok(false),
    }
}

/// Cancels a session and tells every person registered or waitlisted, in their
/// language. `None` when there is no such session or it was already cancelled; else
/// how many were told.
pub async fn cancel_session(
    conn: &mut SqliteConnection,
    id: SessionId,
    now: Timestamp,
) -> Result<Option<usize>, StoreError> {
    let Some(session) = q::session(conn, id).await? else {
        return Ok(None);
    };
    if session.state == SessionState::Cancelled {
        return Ok(None);
    }
    q::set_state(conn, id, SessionState::Cancelled).await?;
    crate::opportunities::service::stop_alerts(conn, crate::storage::opportunities::Carrying::Session(id), now).await?;
    attendance::bump_sequence(conn, id).await?;
    let session = reload_session(conn, id).await?;
    let live: Vec<Registration> = q::registrations(conn, id)
        .await?
        .into_iter()
        .filter(|r| r.status != Status::Cancelled)
        .collect();
    for r in &live {
        outbox::enqueue(conn, &notices::session_cancelled(r, &session, now), now).await?;
    }
    Ok(Some(live.len()))
}

/// One message to every confirmed attendee of a session. `None` when there is no such
/// session; else how many.
pub async fn broadcast(
    conn: &mut SqliteConnection,
    id: SessionId,
    text: &str,
    now: Timestamp,
) -> Result<Option<usize>, StoreError> {
    let Some(session) = q::session(conn, id).await? else {
        return Ok(None);
    };
    let confirmed: Vec<Registration> = q::registrations(conn, id)
        .await?
        .into_iter()
        .filter(|r| r.status == Status::Confirmed)
        .collect();
    for r in &confirmed {
        outbox::enqueue(conn, &notices::broadcast(r, &session, text), now).await?;
    }
    Ok(Some(confirmed.len()))
}

/// Queues every reminder that is due and not yet sent, each with its "sent" mark in
/// the same transaction, so a reminder goes out exactly once across restarts. A
/// person who registered (or moved up) after a reminder's time does not get it: their
/// confirmation already had the date. How many were queued.
pub async fn queue_reminders(conn: &mut SqliteConnection, now: Timestamp) -> Result<usize, StoreError> {
    let upcoming: Vec<Session> = q::sessions(conn)
        .await?
        .into_iter()
        .filter(|s| s.state == SessionState::Open && s.details.starts > now)
        .collect();
    let mut queued = 0;
    for session in upcoming {
        let mut kinds = vec![(Reminder::DayBefore, SignedDuration::from_hours(24))];
        if let Some(lead) = session.details.second_reminder {
            kinds.push((Reminder::Second, lead));
        }
        for (kind, lead) in kinds {
            let due = session
                .details
                .starts
                .checked_sub(lead)
                .unwrap_or(session.details.starts);
            if now < due {
                continue;
            }
            for id in q::mark_reminders(conn, session.id, kind.code(), due, now).await? {
                let r = reload_registration(conn, id).await?;
                let message: OutMessage = notices::reminder(&r, &session, kind);
                outbox::enqueue(conn, &message, now).await?;
                queued += 1;
            }
        }
    }
    Ok(queued)
}
