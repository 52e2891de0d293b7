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

/// The figures, from the queries above; `staff` are not counted among the people.
pub async fn stats(conn: &mut SqliteConnection, staff: &[i64]) -> Result<Stats, StoreError> {
    let users = super::conversations::users(conn).await?;
    let by_decision = questions_by_decision(conn).await?;
    let by_status = tickets_by_status(conn).await?;
    let times = answer_times(conn).await?;
    let top = top_unanswered(conn).await?;
    let learned = super::phrasings::summary(conn, 10).await?;
    Ok(crate::stats::figures(
        &users,
        staff,
        &by_decision,
        &by_status,
        &times,
        top,
        learned,
    ))
}
