//! Sessions, registrations and the reminders sent for them.

use super::{Op, StoreError, parse_ts, ts};
use crate::lang::{Lang, Localized};
use crate::trainings::{
    Attendance, Attendee, Email, OrgType, Organisation, PersonName, Phone, Registration, RegistrationId, Session,
    SessionDetails, SessionId, SessionState, Status,
};
use jiff::{SignedDuration, Timestamp};
use sqlx::sqlite::SqliteRow;
use sqlx::{Row, SqliteConnection};

const SESSION_COLUMNS: &str = "s.id, s.title_tr, s.title_en, s.starts_at, s.ends_at, s.place, s.capacity, s.deadline, s.state, s.second_reminder_minutes, s.sequence,
    (SELECT COUNT(*) FROM registrations r WHERE r.session_id = s.id AND r.status = 'confirmed') AS confirmed,
    (SELECT COUNT(*) FROM registrations r WHERE r.session_id = s.id AND r.status = 'waitlisted') AS waitlisted,
    (SELECT COUNT(*) FROM registrations r WHERE r.session_id = s.id AND r.status = 'confirmed' AND r.attendance = 'present') AS present,
    (SELECT COUNT(*) FROM registrations r WHERE r.session_id = s.id AND r.status = 'confirmed' AND r.attendance = 'absent') AS absent";

/// Registrations with their position: seat among the confirmed, or place in the
/// waitlist, both in order of arrival (id).
const REGISTRATION_SELECT: &str = "SELECT id, session_id, user_id, lang, name, organisation, org_type, email, phone, consent_version, status, registered_at,
    attendance, surveyed_at,
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
        present: row.try_get::<i64, _>("present")? as u32,
        absent: row.try_get::<i64, _>("absent")? as u32,
        sequence: row.try_get::<i64, _>("sequence")? as u32,
    })
}

fn registration_from(row: &SqliteRow) -> Result<Registration, StoreError> {
    let corrupt = |what: &str| StoreError::Corrupt(format!("registration {what}"));
    let status: String = row.try_get("status")?;
    let lang: String = row.try_get("lang")?;
    let org_type: String = row.try_get("org_type")?;
    let phone: Option<String> = row.try_get("phone")?;
    let attendance: Option<String> = row.try_get("attendance")?;
    Ok(Registration {
        id: RegistrationId(row.try_get("id")?),
        session: SessionId(row.try_get("session_id")?),
        user: crate::ids::UserId(row.try_get("user_id")?),
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
        attendance: attendance
            .map(|a| Attendance::parse(&a).ok_or_else(|| corrupt("attendance")))
            .transpose()?,
        surveyed: row.try_get::<Option<String>, _>("surveyed_at")?.is_some(),
    })
}

pub async fn session(conn: &mut SqliteConnection, id: SessionId) -> Result<Option<Session>, StoreError> {
    let row = sqlx::query(&format!("SELECT {SESSION_COLUMNS} FROM sessions s WHERE s.id = ?"))
        .bind(id.0)
        .fetch_optional(conn)
        .await
        .op("load a session")?;
    row.as_ref().map(session_from).transpose()
}

pub async fn registration(conn: &mut SqliteConnection, id: RegistrationId) -> Result<Option<Registration>, StoreError> {
    // One row, its position counted through the (session, status, id) index: this runs
    // inside booking transactions, which hold the write lock.
    let row = sqlx::query(
        "SELECT r.id, r.session_id, r.user_id, r.lang, r.name, r.organisation, r.org_type, r.email, r.phone,
             r.consent_version, r.status, r.registered_at, r.attendance, r.surveyed_at,
             (SELECT COUNT(*) FROM registrations o WHERE o.session_id = r.session_id AND o.status = r.status AND o.id <= r.id)
                 AS position
         FROM registrations r WHERE r.id = ?",
    )
    .bind(id.0)
    .fetch_optional(conn)
    .await
    .op("load a registration")?;
    row.as_ref().map(registration_from).transpose()
}

/// Every session, soonest first.
pub async fn sessions(conn: &mut SqliteConnection) -> Result<Vec<Session>, StoreError> {
    let rows = sqlx::query(&format!(
        "SELECT {SESSION_COLUMNS} FROM sessions s ORDER BY s.starts_at, s.id"
    ))
    .fetch_all(conn)
    .await
    .op("list sessions")?;
    rows.iter().map(session_from).collect()
}

pub async fn insert_session(conn: &mut SqliteConnection, d: &SessionDetails) -> Result<SessionId, StoreError> {
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
    .fetch_one(conn)
    .await
    .op("create a session")?;
    Ok(SessionId(id))
}

pub async fn update_session(conn: &mut SqliteConnection, id: SessionId, d: &SessionDetails) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE sessions SET title_tr = ?, title_en = ?, starts_at = ?, ends_at = ?, place = ?, capacity = ?, deadline = ?,
             second_reminder_minutes = ? WHERE id = ?",
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
    .execute(conn)
    .await
    .op("change a session")?;
    Ok(())
}

pub async fn set_state(conn: &mut SqliteConnection, id: SessionId, state: SessionState) -> Result<(), StoreError> {
    sqlx::query("UPDATE sessions SET state = ? WHERE id = ?")
        .bind(state.code())
        .bind(id.0)
        .execute(conn)
        .await
        .op("change a session's state")?;
    Ok(())
}

/// Every registration of a session, cancelled ones included, in order of arrival.
pub async fn registrations(conn: &mut SqliteConnection, session: SessionId) -> Result<Vec<Registration>, StoreError> {
    let rows = sqlx::query(&format!("{REGISTRATION_SELECT} WHERE session_id = ? ORDER BY id"))
        .bind(session.0)
        .fetch_all(conn)
        .await
        .op("list a session's registrations")?;
    rows.iter().map(registration_from).collect()
}

/// The person's registration for a session, unless cancelled. (Found through the
/// unique index, then read with its position: this runs inside booking transactions,
/// where a window over the whole session would hold the write lock for long.)
pub async fn live_registration(
    conn: &mut SqliteConnection,
    session: SessionId,
    user: i64,
) -> Result<Option<Registration>, StoreError> {
    let id: Option<i64> = sqlx::query_scalar(
        "SELECT id FROM registrations WHERE session_id = ? AND user_id = ? AND status != 'cancelled'",
    )
    .bind(session.0)
    .bind(user)
    .fetch_optional(&mut *conn)
    .await
    .op("find a registration")?;
    match id {
        Some(id) => registration(conn, RegistrationId(id)).await,
        None => Ok(None),
    }
}

/// A person's live registrations for sessions that have not started, soonest first.
pub async fn upcoming_of(
    conn: &mut SqliteConnection,
    user: i64,
    now: Timestamp,
) -> Result<Vec<Registration>, StoreError> {
    let rows = sqlx::query(&format!(
        "SELECT r.* FROM ({REGISTRATION_SELECT} WHERE session_id IN (SELECT session_id FROM registrations WHERE user_id = ?)) r
         JOIN sessions s ON s.id = r.session_id
         WHERE r.user_id = ? AND r.status != 'cancelled' AND s.state != 'cancelled' AND s.starts_at > ?
         ORDER BY s.starts_at, r.id"
    ))
    .bind(user)
    .bind(user)
    .bind(ts(now))
    .fetch_all(conn)
    .await
    .op("list a person's registrations")?;
    rows.iter().map(registration_from).collect()
}

/// How many registrations of a session have this status.
pub async fn count(conn: &mut SqliteConnection, session: SessionId, status: Status) -> Result<u32, StoreError> {
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM registrations WHERE session_id = ? AND status = ?")
        .bind(session.0)
        .bind(status.code())
        .fetch_one(conn)
        .await
        .op("count registrations")?;
    Ok(n as u32)
}

/// A new registration with the status the booking rules gave it. `None` when the
/// person already has a live registration for the session (the unique index).
#[allow(clippy::too_many_arguments)]
pub async fn insert_registration(
    conn: &mut SqliteConnection,
    session: SessionId,
    user: i64,
    lang: Lang,
    attendee: &Attendee,
    consent_version: &str,
    status: Status,
    now: Timestamp,
) -> Result<Option<RegistrationId>, StoreError> {
    let inserted = sqlx::query_scalar(
        "INSERT INTO registrations (session_id, user_id, lang, name, organisation, org_type, email, phone, consent_version, status, registered_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
    )
    .bind(session.0)
    .bind(user)
    .bind(lang.code())
    .bind(attendee.name.as_str())
    .bind(attendee.organisation.as_str())
    .bind(attendee.org_type.code())
    .bind(attendee.email.as_str())
    .bind(attendee.phone.as_ref().map(|p| p.as_str()))
    .bind(consent_version)
    .bind(status.code())
    .bind(ts(now))
    .fetch_one(conn)
    .await;
    match inserted {
        Ok(id) => Ok(Some(RegistrationId(id))),
        Err(sqlx::Error::Database(e)) if e.is_unique_violation() => Ok(None),
        Err(source) => Err(StoreError::Query {
            op: "store a registration",
            source,
        }),
    }
}

pub async fn cancel_registration(
    conn: &mut SqliteConnection,
    id: RegistrationId,
    now: Timestamp,
) -> Result<(), StoreError> {
    sqlx::query("UPDATE registrations SET status = 'cancelled', cancelled_at = ? WHERE id = ?")
        .bind(ts(now))
        .bind(id.0)
        .execute(conn)
        .await
        .op("cancel a registration")?;
    Ok(())
}

/// The first person on a session's waitlist, if any.
pub async fn first_waitlisted(
    conn: &mut SqliteConnection,
    session: SessionId,
) -> Result<Option<RegistrationId>, StoreError> {
    let id: Option<i64> = sqlx::query_scalar(
        "SELECT id FROM registrations WHERE session_id = ? AND status = 'waitlisted' ORDER BY id LIMIT 1",
    )
    .bind(session.0)
    .fetch_optional(conn)
    .await
    .op("find the waitlist's first")?;
    Ok(id.map(RegistrationId))
}

pub async fn confirm(conn: &mut SqliteConnection, id: RegistrationId, now: Timestamp) -> Result<(), StoreError> {
    sqlx::query("UPDATE registrations SET status = 'confirmed', promoted_at = ? WHERE id = ?")
        .bind(ts(now))
        .bind(id.0)
        .execute(conn)
        .await
        .op("move a registration up")?;
    Ok(())
}

/// Marks a reminder of this kind sent for every confirmed registration of the session
/// that had its seat before `due` and has not had it; returns those registrations.
pub async fn mark_reminders(
    conn: &mut SqliteConnection,
    session: SessionId,
    kind: &str,
    due: Timestamp,
    now: Timestamp,
) -> Result<Vec<RegistrationId>, StoreError> {
    let ids: Vec<i64> = sqlx::query_scalar(
        "INSERT INTO reminders_sent (registration_id, kind, sent_at)
         SELECT id, ?, ? FROM registrations
         WHERE session_id = ? AND status = 'confirmed' AND COALESCE(promoted_at, registered_at) < ?
           AND id NOT IN (SELECT registration_id FROM reminders_sent WHERE kind = ?)
         RETURNING registration_id",
    )
    .bind(kind)
    .bind(ts(now))
    .bind(session.0)
    .bind(ts(due))
    .bind(kind)
    .fetch_all(conn)
    .await
    .op("mark reminders sent")?;
    Ok(ids.into_iter().map(RegistrationId).collect())
}
