//! Check-in, attendance and what follows a session (its check-in key, the follow-up
//! mark, the calendar revision).

use super::{Op, StoreError, ts};
use crate::trainings::{Attendance, RegistrationId, SessionId};
use jiff::Timestamp;
use sqlx::SqliteConnection;

/// The session's check-in key, if one was made.
pub async fn checkin_key(conn: &mut SqliteConnection, session: SessionId) -> Result<Option<String>, StoreError> {
    sqlx::query_scalar("SELECT checkin_key FROM sessions WHERE id = ?")
        .bind(session.0)
        .fetch_optional(conn)
        .await
        .op("read a session's check-in key")
        .map(Option::flatten)
}

pub async fn set_checkin_key(conn: &mut SqliteConnection, session: SessionId, key: &str) -> Result<(), StoreError> {
    sqlx::query("UPDATE sessions SET checkin_key = ? WHERE id = ?")
        .bind(key)
        .bind(session.0)
        .execute(conn)
        .await
        .op("store a session's check-in key")?;
    Ok(())
}

/// Records (or, with `None`, clears) a registrant's attendance.
pub async fn set(
    conn: &mut SqliteConnection,
    registration: RegistrationId,
    attendance: Option<Attendance>,
    now: Timestamp,
) -> Result<(), StoreError> {
    sqlx::query("UPDATE registrations SET attendance = ?, attended_at = ? WHERE id = ?")
        .bind(attendance.map(Attendance::code))
        .bind(attendance.map(|_| ts(now)))
        .bind(registration.0)
        .execute(conn)
        .await
        .op("record attendance")?;
    Ok(())
}

/// Confirmed registrants with no attendance yet become no-shows. How many.
pub async fn mark_absent(conn: &mut SqliteConnection, session: SessionId, now: Timestamp) -> Result<u64, StoreError> {
    let done = sqlx::query(
        "UPDATE registrations SET attendance = 'absent', attended_at = ?
         WHERE session_id = ? AND status = 'confirmed' AND attendance IS NULL",
    )
    .bind(ts(now))
    .bind(session.0)
    .execute(conn)
    .await
    .op("record no-shows")?;
    Ok(done.rows_affected())
}

/// Sessions not cancelled whose check-in closed before `before` and that have not been
/// followed up yet.
pub async fn due_follow_up(conn: &mut SqliteConnection, before: Timestamp) -> Result<Vec<SessionId>, StoreError> {
    let ids: Vec<i64> = sqlx::query_scalar(
        "SELECT id FROM sessions WHERE state != 'cancelled' AND followed_up_at IS NULL AND ends_at < ? ORDER BY id",
    )
    .bind(ts(before))
    .fetch_all(conn)
    .await
    .op("find sessions to follow up")?;
    Ok(ids.into_iter().map(SessionId).collect())
}

pub async fn followed_up(conn: &mut SqliteConnection, session: SessionId) -> Result<bool, StoreError> {
    let at: Option<Option<String>> = sqlx::query_scalar("SELECT followed_up_at FROM sessions WHERE id = ?")
        .bind(session.0)
        .fetch_optional(conn)
        .await
        .op("read whether a session was followed up")?;
    Ok(at.flatten().is_some())
}

pub async fn set_followed_up(
    conn: &mut SqliteConnection,
    session: SessionId,
    now: Timestamp,
) -> Result<(), StoreError> {
    sqlx::query("UPDATE sessions SET followed_up_at = ? WHERE id = ?")
        .bind(ts(now))
        .bind(session.0)
        .execute(conn)
        .await
        .op("mark a session followed up")?;
    Ok(())
}

/// Raises the calendar revision of a session; the new one.
pub async fn bump_sequence(conn: &mut SqliteConnection, session: SessionId) -> Result<u32, StoreError> {
    let n: i64 = sqlx::query_scalar("UPDATE sessions SET sequence = sequence + 1 WHERE id = ? RETURNING sequence")
        .bind(session.0)
        .fetch_one(conn)
        .await
        .op("raise a session's calendar revision")?;
    Ok(n as u32)
}

/// People trained per year of the session's start (office figures): (year, present).
pub async fn trained_per_year(conn: &mut SqliteConnection) -> Result<Vec<(i64, i64)>, StoreError> {
    sqlx::query_as(
        "SELECT CAST(strftime('%Y', s.starts_at) AS INTEGER) AS year, COUNT(*)
         FROM registrations r JOIN sessions s ON s.id = r.session_id
         WHERE r.status = 'confirmed' AND r.attendance = 'present'
         GROUP BY year ORDER BY year",
    )
    .fetch_all(conn)
    .await
    .op("count people trained per year")
}
