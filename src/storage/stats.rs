//! The raw figures behind /stats and `eudesk stats`; `crate::stats` makes them figures.

use super::{Op, StoreError};
use sqlx::SqliteConnection;

/// What the office learns from the bot's use.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Stats {
    /// People who have talked to the bot.
    pub people: u64,
    /// Free-text questions answered from the dialogues at once…
    pub answered: u64,
    /// …answered with "did you mean" suggestions…
    pub suggested: u64,
    /// …and those the bot could not answer.
    pub escalated: u64,
    pub tickets_open: u64,
    pub tickets_answered: u64,
    pub tickets_closed: u64,
    pub median_first_answer_secs: Option<i64>,
    pub p90_first_answer_secs: Option<i64>,
    /// The most frequent unanswered questions: normalised form, count, an example.
    pub top_unanswered: Vec<(String, u64, String)>,
    /// Tickets staff linked to the node that answers them (`/link`, 🔗)…
    pub tickets_linked: u64,
    /// …and the nodes that gained the most learned phrasings: node, phrasings.
    pub learned_by_node: Vec<(String, u64)>,
    /// People trained (checked in) per year of the session: (year, people).
    pub trained_per_year: Vec<(i64, u64)>,
    /// People trained before the bot counted (EUDESK_TRAINED_BEFORE), and the total.
    pub trained_before: u64,
    pub trained_total: u64,
    /// Over sessions whose check-in has closed: confirmed seats / capacity, and
    /// no-shows / confirmed registrants with a recorded attendance.
    pub fill_rate: Option<f64>,
    pub no_show_rate: Option<f64>,
    /// The latest sessions (up to ten), oldest first: (id, Turkish title, start,
    /// capacity, confirmed, present, absent).
    pub sessions: Vec<SessionFigures>,
    /// Free-text questions per ISO week, the last twelve weeks, oldest first:
    /// (week "2026-W48", answered, suggested, escalated).
    pub questions_per_week: Vec<(String, u64, u64, u64)>,
    /// Tickets' median hours to a first answer per week asked, same weeks.
    pub answer_hours_per_week: Vec<(String, Option<f64>)>,
    /// Alert subscribers per topic now, and per topic at the end of each of the last
    /// twelve weeks: (topic, [(week, subscribers)]).
    pub subscribers: Vec<(String, u64)>,
    pub subscribers_per_week: Vec<(String, Vec<(String, i64)>)>,
    /// Alerts: recipients, delivered, blocked, failed; and "Remind me" presses.
    pub alerts_total: u64,
    pub alerts_delivered: u64,
    pub alerts_blocked: u64,
    pub alerts_failed: u64,
    pub remind_presses: u64,
}

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

/// The figures, from the queries above; `staff` are not counted among the people.
pub async fn stats(conn: &mut SqliteConnection, staff: &[i64], now: jiff::Timestamp) -> Result<Stats, StoreError> {
    let users = super::conversations::users(conn).await?;
    let by_decision = questions_by_decision(conn).await?;
    let by_status = tickets_by_status(conn).await?;
    let times = answer_times(conn).await?;
    let top = top_unanswered(conn).await?;
    let learned = super::phrasings::summary(conn, 10).await?;
    let mut stats = crate::stats::figures(&users, staff, &by_decision, &by_status, &times, top, learned);
    stats.trained_per_year = super::attendance::trained_per_year(conn)
        .await?
        .into_iter()
        .map(|(y, n)| (y, n as u64))
        .collect();
    stats.trained_total = stats.trained_per_year.iter().map(|(_, n)| n).sum();
    stats.sessions = session_figures(conn, &super::ts(now)).await?;
    let (seats, confirmed, present, absent) = attendance_totals(conn).await?;
    stats.fill_rate = (seats > 0).then(|| confirmed as f64 / seats as f64);
    stats.no_show_rate = (present + absent > 0).then(|| absent as f64 / (present + absent) as f64);
    let since = now
        .checked_sub(jiff::SignedDuration::from_hours(24 * 7 * 12))
        .unwrap_or(now);
    let questions = questions_by_week(conn, &super::ts(since)).await?;
    let answers = answer_times_since(conn, &super::ts(since)).await?;
    let (per_week, hours) = crate::stats::weekly(since, now, &questions, &answers);
    stats.questions_per_week = per_week;
    stats.answer_hours_per_week = hours;
    let opportunities = super::opportunities::subscribers_per_topic(conn).await?;
    stats.subscribers = opportunities.iter().map(|(t, n)| (t.clone(), *n as u64)).collect();
    let log = super::opportunities::subscription_log(conn, since).await?;
    stats.subscribers_per_week = crate::stats::subscribers_weekly(&opportunities, &log, &stats.questions_per_week);
    let (total, delivered, blocked, failed) = super::opportunities::fanout_totals(conn).await?;
    stats.alerts_total = total as u64;
    stats.alerts_delivered = delivered as u64;
    stats.alerts_blocked = blocked as u64;
    stats.alerts_failed = failed as u64;
    stats.remind_presses = super::opportunities::remind_presses(conn).await? as u64;
    Ok(stats)
}
