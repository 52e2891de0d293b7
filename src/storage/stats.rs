//! The raw counts behind /stats and `eudesk stats`; `crate::stats` makes them figures.

use super::{Op, StoreError};
use sqlx::SqliteConnection;

/// One session's figures, for the office's reports.
#[derive(Clone, Debug, serde::Serialize)]
pub struct SessionFigures {
    pub id: i64,
    pub title: String,
    pub starts: String,
    pub capacity: u64,
    pub confirmed: u64,
    pub present: u64,
    pub absent: u64,
}

/// Questions by decision ("answer", "suggest", "escalate").
pub async fn questions_by_decision(conn: &mut SqliteConnection) -> Result<Vec<(String, i64)>, StoreError> {
    sqlx::query_as("SELECT decision, COUNT(*) FROM questions GROUP BY decision")
        .fetch_all(conn)
        .await
        .op("count questions")
}

/// Tickets by status.
pub async fn tickets_by_status(conn: &mut SqliteConnection) -> Result<Vec<(String, i64)>, StoreError> {
    sqlx::query_as("SELECT status, COUNT(*) FROM tickets GROUP BY status")
        .fetch_all(conn)
        .await
        .op("count tickets")
}

/// (created, first answered) of every answered ticket.
pub async fn answer_times(conn: &mut SqliteConnection) -> Result<Vec<(String, String)>, StoreError> {
    sqlx::query_as("SELECT created_at, first_answered_at FROM tickets WHERE first_answered_at IS NOT NULL")
        .fetch_all(conn)
        .await
        .op("read answer times")
}

/// The ten most frequent questions the bot could not answer: (normalised, count, an
/// example as typed).
pub async fn top_unanswered(conn: &mut SqliteConnection) -> Result<Vec<(String, i64, String)>, StoreError> {
    sqlx::query_as(
        "SELECT normalized, COUNT(*) AS n, MIN(text) FROM questions WHERE decision = 'escalate' AND normalized != ''
         GROUP BY normalized ORDER BY n DESC, normalized LIMIT 10",
    )
    .fetch_all(conn)
    .await
    .op("find unanswered questions")
}

/// The latest ten sessions not cancelled, with their counts, oldest first.
pub async fn session_figures(conn: &mut SqliteConnection, now: &str) -> Result<Vec<SessionFigures>, StoreError> {
    let rows: Vec<(i64, String, String, i64, i64, i64, i64)> = sqlx::query_as(
        "SELECT s.id, s.title_tr, s.starts_at, s.capacity,
             (SELECT COUNT(*) FROM registrations r WHERE r.session_id = s.id AND r.status = 'confirmed'),
             (SELECT COUNT(*) FROM registrations r WHERE r.session_id = s.id AND r.status = 'confirmed' AND r.attendance = 'present'),
             (SELECT COUNT(*) FROM registrations r WHERE r.session_id = s.id AND r.status = 'confirmed' AND r.attendance = 'absent')
         FROM sessions s WHERE s.state != 'cancelled' AND s.starts_at <= ?
         ORDER BY s.starts_at DESC, s.id DESC LIMIT 10",
    )
    .bind(now)
    .fetch_all(conn)
    .await
    .op("count the latest sessions")?;
    let mut figures: Vec<SessionFigures> = rows
        .into_iter()
        .map(
            |(id, title, starts, capacity, confirmed, present, absent)| SessionFigures {
                id,
                title,
                starts,
                capacity: capacity as u64,
                confirmed: confirmed as u64,
                present: present as u64,
                absent: absent as u64,
            },
        )
        .collect();
    figures.reverse();
    Ok(figures)
}

/// Over sessions whose check-in closed (followed up): (seats, confirmed, present, absent).
pub async fn attendance_totals(conn: &mut SqliteConnection) -> Result<(i64, i64, i64, i64), StoreError> {
    sqlx::query_as(
        "SELECT COALESCE(SUM(s.capacity), 0),
             (SELECT COUNT(*) FROM registrations r JOIN sessions o ON o.id = r.session_id
                WHERE o.followed_up_at IS NOT NULL AND o.state != 'cancelled' AND r.status = 'confirmed'),
             (SELECT COUNT(*) FROM registrations r JOIN sessions o ON o.id = r.session_id
                WHERE o.followed_up_at IS NOT NULL AND o.state != 'cancelled' AND r.status = 'confirmed' AND r.attendance = 'present'),
             (SELECT COUNT(*) FROM registrations r JOIN sessions o ON o.id = r.session_id
                WHERE o.followed_up_at IS NOT NULL AND o.state != 'cancelled' AND r.status = 'confirmed' AND r.attendance = 'absent')
         FROM sessions s WHERE s.followed_up_at IS NOT NULL AND s.state != 'cancelled'",
    )
    .fetch_one(conn)
    .await
    .op("count attendance over past sessions")
}

/// Questions by ISO week and decision since `since` (a stored timestamp).
pub async fn questions_by_week(
    conn: &mut SqliteConnection,
    since: &str,
) -> Result<Vec<(String, String, i64)>, StoreError> {
    sqlx::query_as("SELECT at, decision, 1 FROM questions WHERE at >= ? ORDER BY at")
        .bind(since)
        .fetch_all(conn)
        .await
        .op("count questions per week")
}

/// (asked, first answered) of tickets asked since `since`.
pub async fn answer_times_since(conn: &mut SqliteConnection, since: &str) -> Result<Vec<(String, String)>, StoreError> {
    sqlx::query_as(
        "SELECT created_at, first_answered_at FROM tickets WHERE first_answered_at IS NOT NULL AND created_at >= ?",
    )
    .bind(since)
    .fetch_all(conn)
    .await
    .op("read recent answer times")
}
