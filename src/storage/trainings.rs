//! Sessions, registrations and reminders.

use super::{Store, StoreError, outbox, parse_ts, ts};
use crate::lang::{Lang, Localized};
use crate::message::OutMessage;
use crate::trainings::{
    Attendee, Email, OrgType, Organisation, PersonName, Phone, Registration, RegistrationId, Session, SessionDetails,
    SessionId, SessionState, Status,
};
use jiff::{SignedDuration, Timestamp};
use sqlx::sqlite::SqliteRow;
use sqlx::{Row, SqliteConnection};

/// The result of a booking attempt.
#[derive(Debug)]
pub enum Booked {
    New(Registration),
    /// The person already has a live registration for this session: here it is.
    Already(Registration),
    /// Closed, cancelled, past its deadline, or no such session.
    NotBookable,
}

/// The result of a cancellation.
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

/// Which reminder: the day before, or the session's second lead time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reminder {
    DayBefore,
    Second,
}

impl Reminder {
    fn code(self) -> &'static str {
        match self {
            Reminder::DayBefore => "day_before",
            Reminder::Second => "second",
        }
    }
}

const SESSION_COLUMNS: &str = "s.id, s.title_tr, s.title_en, s.starts_at, s.ends_at, s.place, s.capacity, s.deadline, s.state, s.second_reminder_minutes,
    (SELECT COUNT(*) FROM registrations r WHERE r.session_id = s.id AND r.status = 'confirmed') AS confirmed,
    (SELECT COUNT(*) FROM registrations r WHERE r.session_id = s.id AND r.status = 'waitlisted') AS waitlisted";

/// Registrations with their position: seat among the confirmed, or place in the
/// waitlist, both in order of arrival (id).
const REGISTRATION_SELECT: &str = "SELECT id, session_id, user_id, lang, name, organisation, org_type, email, phone, consent_version, status, registered_at,
    ROW_NUMBER() OVER (PARTITION BY session_id, status ORDER BY id) AS position
    FROM registrations";

fn session_from(row: &SqliteRow) -> Result<Session, StoreError> {
    let state: String = row.try_get("state")?;
    let minutes: Option<i64> = row.try_get("second_reminder_minutes")?;
    Ok(Session {
        id: SessionId(row.try_get("id")?),
        details: SessionDetails {
            title: Localized::new(row.try_get("title_tr")?, row.try_get("title_en")?),
            starts: parse_ts(row.try_get("starts_at")?)?,
            ends: parse_ts(row.try_get("ends_at")?)?,
            place: row.try_get("place")?,
            capacity: row.try_get::<i64, _>("capacity")? as u32,
            deadline: parse_ts(row.try_get("deadline")?)?,
            second_reminder: minutes.map(SignedDuration::from_mins),
        },
        state: SessionState::parse(&state).ok_or_else(|| StoreError::Corrupt(format!("session state '{state}'")))?,
        confirmed: row.try_get::<i64, _>("confirmed")? as u32,
        waitlisted: row.try_get::<i64, _>("waitlisted")? as u32,
    })
}

fn registration_from(row: &SqliteRow) -> Result<Registration, StoreError> {
    let corrupt = |what: &str| StoreError::Corrupt(format!("registration {what}"));
    let status: String = row.try_get("status")?;
    let lang: String = row.try_get("lang")?;
    let org_type: String = row.try_get("org_type")?;
    let phone: Option<String> = row.try_get("phone")?;
    Ok(Registration {
        id: RegistrationId(row.try_get("id")?),
        session: SessionId(row.try_get("session_id")?),
        user: row.try_get("user_id")?,
        lang: Lang::parse(&lang).ok_or_else(|| corrupt("language"))?,
        attendee: Attendee {
            name: PersonName::parse(row.try_get("name")?).map_err(|_| corrupt("name"))?,
            organisation: Organisation::parse(row.try_get("organisation")?).map_err(|_| corrupt("organisation"))?,
            org_type: OrgType::parse(&org_type).ok_or_else(|| corrupt("organisation type"))?,
            email: Email::parse(row.try_get("email")?).map_err(|_| corrupt("e-mail"))?,
            phone: phone
                .map(|p| Phone::parse(&p).map_err(|_| corrupt("phone")))
                .transpose()?,
        },
        status: Status::parse(&status).ok_or_else(|| corrupt("status"))?,
        position: row.try_get::<i64, _>("position")? as u32,
        registered_at: parse_ts(row.try_get("registered_at")?)?,
        consent_version: row.try_get("consent_version")?,
    })
}

async fn session_in(conn: &mut SqliteConnection, id: SessionId) -> Result<Option<Session>, StoreError> {
    let row = sqlx::query(&format!("SELECT {SESSION_COLUMNS} FROM sessions s WHERE s.id = ?"))
        .bind(id.0)
        .fetch_optional(conn)
        .await?;
    row.as_ref().map(session_from).transpose()
}

/// Moves the waitlist up into free seats, first come first served, while the session
/// takes bookings (nobody moves up after the deadline); queues each promoted person's
/// notice. Returns who moved up.
pub(super) async fn promote_waitlist(
    conn: &mut SqliteConnection,
    id: SessionId,
    now: Timestamp,
    notice: &(dyn Fn(&Registration, &Session, Timestamp) -> OutMessage + Sync),
) -> Result<Vec<Registration>, StoreError> {
    let mut promoted = Vec::new();
    loop {
        let Some(session) = session_in(conn, id).await? else {
            return Ok(promoted);
        };
        if !session.bookable(now) || session.confirmed >= session.details.capacity || session.waitlisted == 0 {
            return Ok(promoted);
        }
        let next: i64 = sqlx::query_scalar(
            "UPDATE registrations SET status = 'confirmed', promoted_at = ?
             WHERE id = (SELECT id FROM registrations WHERE session_id = ? AND status = 'waitlisted' ORDER BY id LIMIT 1)
             RETURNING id",
        )
        .bind(ts(now))
        .bind(id.0)
        .fetch_one(&mut *conn)
        .await?;
        let p = registration_in(conn, next)
            .await?
            .ok_or_else(|| StoreError::Corrupt("promoted registration vanished".into()))?;
        let session = session_in(conn, id)
            .await?
            .ok_or_else(|| StoreError::Corrupt("session vanished".into()))?;
        outbox::enqueue_in(conn, &notice(&p, &session, now), now).await?;
        promoted.push(p);
    }
}

async fn registration_in(conn: &mut SqliteConnection, id: i64) -> Result<Option<Registration>, StoreError> {
    // One row, its position counted through the (session, status, id) index: this runs
    // inside booking transactions, which hold the write lock.
    let row = sqlx::query(
        "SELECT r.id, r.session_id, r.user_id, r.lang, r.name, r.organisation, r.org_type, r.email, r.phone,
             r.consent_version, r.status, r.registered_at,
             (SELECT COUNT(*) FROM registrations o WHERE o.session_id = r.session_id AND o.status = r.status AND o.id <= r.id)
                 AS position
         FROM registrations r WHERE r.id = ?",
    )
    .bind(id)
    .fetch_optional(conn)
    .await?;
    row.as_ref().map(registration_from).transpose()
}

impl Store {
    #[tracing::instrument(skip(self, d))]
    pub async fn create_session(&self, d: &SessionDetails) -> Result<SessionId, StoreError> {
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO sessions (title_tr, title_en, starts_at, ends_at, place, capacity, deadline, second_reminder_minutes)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
        )
        .bind(&d.title.tr)
        .bind(&d.title.en)
        .bind(ts(d.starts))
        .bind(ts(d.ends))
        .bind(&d.place)
        .bind(d.capacity as i64)
        .bind(ts(d.deadline))
        .bind(d.second_reminder.map(|r| r.as_mins()))
        .fetch_one(&self.pool)
        .await?;
        Ok(SessionId(id))
    }

    /// Changes a session. When the change frees seats (a larger capacity) before the
    /// deadline, the waitlist moves up into them in the same transaction, each person
    /// told through the outbox: otherwise the next booking would take a seat ahead of
    /// people already waiting. `None` if there is no such session or it is cancelled;
    /// else how many moved up.
    #[tracing::instrument(skip(self, d, promoted_notice))]
    pub async fn update_session(
        &self,
        id: SessionId,
        d: &SessionDetails,
        now: Timestamp,
        promoted_notice: impl Fn(&Registration, &Session, Timestamp) -> OutMessage + Sync,
    ) -> Result<Option<usize>, StoreError> {
        let mut tx = self.immediate().await?;
        let done = sqlx::query(
            "UPDATE sessions SET title_tr = ?, title_en = ?, starts_at = ?, ends_at = ?, place = ?, capacity = ?, deadline = ?,
                 second_reminder_minutes = ? WHERE id = ? AND state != 'cancelled'",
        )
        .bind(&d.title.tr)
        .bind(&d.title.en)
        .bind(ts(d.starts))
        .bind(ts(d.ends))
        .bind(&d.place)
        .bind(d.capacity as i64)
        .bind(ts(d.deadline))
        .bind(d.second_reminder.map(|r| r.as_mins()))
        .bind(id.0)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() != 1 {
            return Ok(None);
        }
        let promoted = promote_waitlist(&mut tx, id, now, &promoted_notice).await?;
        tx.commit().await?;
        Ok(Some(promoted.len()))
    }

    pub async fn session(&self, id: SessionId) -> Result<Option<Session>, StoreError> {
        let mut conn = self.pool.acquire().await?;
        session_in(&mut conn, id).await
    }

    /// Every session, soonest first.
    pub async fn sessions(&self) -> Result<Vec<Session>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {SESSION_COLUMNS} FROM sessions s ORDER BY s.starts_at, s.id"
        ))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(session_from).collect()
    }

    /// Closes a session to new bookings (or reopens it); `false` if there is no such
    /// session or it was cancelled.
    pub async fn set_session_state(&self, id: SessionId, state: SessionState) -> Result<bool, StoreError> {
        let done = sqlx::query("UPDATE sessions SET state = ? WHERE id = ? AND state != 'cancelled'")
            .bind(state.code())
            .bind(id.0)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Cancels a session and, in the same transaction, queues a notice to every person
    /// registered or waitlisted. `None` if there is no such session or it was already
    /// cancelled.
    #[tracing::instrument(skip(self, notice))]
    pub async fn cancel_session(
        &self,
        id: SessionId,
        now: Timestamp,
        notice: impl Fn(&Registration, &Session) -> OutMessage,
    ) -> Result<Option<usize>, StoreError> {
        let mut tx = self.immediate().await?;
        let Some(session) = session_in(&mut tx, id).await? else {
            return Ok(None);
        };
        if session.state == SessionState::Cancelled {
            return Ok(None);
        }
        sqlx::query("UPDATE sessions SET state = 'cancelled' WHERE id = ?")
            .bind(id.0)
            .execute(&mut *tx)
            .await?;
        let rows = sqlx::query(&format!(
            "SELECT * FROM ({REGISTRATION_SELECT} WHERE session_id = ?) WHERE status != 'cancelled'"
        ))
        .bind(id.0)
        .fetch_all(&mut *tx)
        .await?;
        let registrations: Vec<Registration> = rows.iter().map(registration_from).collect::<Result<_, _>>()?;
        for r in &registrations {
            outbox::enqueue_in(&mut tx, &notice(r, &session), now).await?;
        }
        tx.commit().await?;
        Ok(Some(registrations.len()))
    }

    /// The person's registration for a session, unless cancelled.
    pub async fn live_registration(&self, session: SessionId, user: i64) -> Result<Option<Registration>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT * FROM ({REGISTRATION_SELECT} WHERE session_id = ?) WHERE user_id = ? AND status != 'cancelled'"
        ))
        .bind(session.0)
        .bind(user)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(registration_from).transpose()
    }

    /// Books a seat, or a place on the waitlist when the seats are gone. The capacity
    /// check and the insert run in one `BEGIN IMMEDIATE` transaction, which takes
    /// SQLite's write lock before reading: concurrent bookings queue behind it (busy
    /// timeout) instead of both seeing the last free seat.
    #[tracing::instrument(skip(self, attendee, consent_version))]
    pub async fn book(
        &self,
        session: SessionId,
        user: i64,
        lang: Lang,
        attendee: &Attendee,
        consent_version: &str,
        now: Timestamp,
    ) -> Result<Booked, StoreError> {
        let mut tx = self.immediate().await?;
        let inserted: Option<i64> = match sqlx::query_scalar(
            "INSERT INTO registrations (session_id, user_id, lang, name, organisation, org_type, email, phone, consent_version, status, registered_at)
             SELECT s.id, ?, ?, ?, ?, ?, ?, ?, ?,
                 CASE WHEN (SELECT COUNT(*) FROM registrations r WHERE r.session_id = s.id AND r.status = 'confirmed') < s.capacity
                      THEN 'confirmed' ELSE 'waitlisted' END,
                 ?
             FROM sessions s WHERE s.id = ? AND s.state = 'open' AND s.deadline > ? AND s.starts_at > ?
             RETURNING id",
        )
        .bind(user)
        .bind(lang.code())
        .bind(attendee.name.as_str())
        .bind(attendee.organisation.as_str())
        .bind(attendee.org_type.code())
        .bind(attendee.email.as_str())
        .bind(attendee.phone.as_ref().map(|p| p.as_str()))
        .bind(consent_version)
        .bind(ts(now))
        .bind(session.0)
        .bind(ts(now))
        .bind(ts(now))
        .fetch_optional(&mut *tx)
        .await
        {
            Ok(id) => id,
            Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
                drop(tx);
                return Ok(match self.live_registration(session, user).await? {
                    Some(r) => Booked::Already(r),
                    None => Booked::NotBookable,
                });
            }
            Err(e) => return Err(e.into()),
        };
        let Some(id) = inserted else {
            return Ok(Booked::NotBookable);
        };
        let registration = registration_in(&mut tx, id)
            .await?
            .ok_or_else(|| StoreError::Corrupt("new registration vanished".into()))?;
        tx.commit().await?;
        Ok(Booked::New(registration))
    }

    /// The person's live registrations for sessions that have not started, soonest first.
    pub async fn registrations_of(
        &self,
        user: i64,
        now: Timestamp,
    ) -> Result<Vec<(Registration, Session)>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT r.* FROM ({REGISTRATION_SELECT} WHERE session_id IN (SELECT session_id FROM registrations WHERE user_id = ?)) r
             JOIN sessions s ON s.id = r.session_id
             WHERE r.user_id = ? AND r.status != 'cancelled' AND s.state != 'cancelled' AND s.starts_at > ?
             ORDER BY s.starts_at, r.id"
        ))
        .bind(user)
        .bind(user)
        .bind(ts(now))
        .fetch_all(&self.pool)
        .await?;
        let mut out = Vec::with_capacity(rows.len());
        for row in &rows {
            let r = registration_from(row)?;
            if let Some(s) = self.session(r.session).await? {
                out.push((r, s));
            }
        }
        Ok(out)
    }

    /// Cancels a person's registration. A freed seat goes, in the same transaction, to
    /// the first person on the waitlist, whose notice is queued in the outbox; nobody
    /// is promoted after the registration deadline, and the cancelled row itself is
    /// never promoted again.
    #[tracing::instrument(skip(self, promoted_notice))]
    pub async fn cancel_registration(
        &self,
        id: RegistrationId,
        user: i64,
        now: Timestamp,
        promoted_notice: impl Fn(&Registration, &Session, Timestamp) -> OutMessage + Sync,
    ) -> Result<Cancelled, StoreError> {
        let mut tx = self.immediate().await?;
        let Some(registration) = registration_in(&mut tx, id.0).await? else {
            return Ok(Cancelled::NotFound);
        };
        if registration.user != user || registration.status == Status::Cancelled {
            return Ok(Cancelled::NotFound);
        }
        sqlx::query("UPDATE registrations SET status = 'cancelled', cancelled_at = ? WHERE id = ?")
            .bind(ts(now))
            .bind(id.0)
            .execute(&mut *tx)
            .await?;
        // Only a confirmed seat frees a place; a waitlisted person leaving frees none.
        let promoted = if registration.status == Status::Confirmed {
            promote_waitlist(&mut tx, registration.session, now, &promoted_notice)
                .await?
                .into_iter()
                .next()
        } else {
            None
        };
        let session = session_in(&mut tx, registration.session)
            .await?
            .ok_or_else(|| StoreError::Corrupt("registration without session".into()))?;
        tx.commit().await?;
        Ok(Cancelled::Done {
            session,
            promoted: promoted.map(Box::new),
        })
    }

    /// Every registration of a session, cancelled ones included, in order of arrival.
    pub async fn registrations(&self, session: SessionId) -> Result<Vec<Registration>, StoreError> {
        let rows = sqlx::query(&format!("{REGISTRATION_SELECT} WHERE session_id = ? ORDER BY id"))
            .bind(session.0)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(registration_from).collect()
    }

    /// Queues every reminder that is due and not yet sent, each with its "sent" mark in
    /// the same transaction, so a reminder goes out exactly once across restarts. A
    /// person who registered (or moved up) after a reminder's time does not get it:
    /// their confirmation already had the date. Returns how many were queued.
    #[tracing::instrument(skip(self, message))]
    pub async fn queue_due_reminders(
        &self,
        now: Timestamp,
        message: impl Fn(&Registration, &Session, Reminder) -> OutMessage,
    ) -> Result<usize, StoreError> {
        let upcoming: Vec<Session> = self
            .sessions()
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
                let mut tx = self.immediate().await?;
                let ids: Vec<i64> = sqlx::query_scalar(
                    "INSERT INTO reminders_sent (registration_id, kind, sent_at)
                     SELECT id, ?, ? FROM registrations
                     WHERE session_id = ? AND status = 'confirmed' AND COALESCE(promoted_at, registered_at) < ?
                       AND id NOT IN (SELECT registration_id FROM reminders_sent WHERE kind = ?)
                     RETURNING registration_id",
                )
                .bind(kind.code())
                .bind(ts(now))
                .bind(session.id.0)
                .bind(ts(due))
                .bind(kind.code())
                .fetch_all(&mut *tx)
                .await?;
                for id in &ids {
                    if let Some(r) = registration_in(&mut tx, *id).await? {
                        outbox::enqueue_in(&mut tx, &message(&r, &session, kind), now).await?;
                    }
                }
                tx.commit().await?;
                queued += ids.len();
            }
        }
        Ok(queued)
    }
}
