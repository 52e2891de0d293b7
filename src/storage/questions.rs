//! Every free-text question and how it was understood.

use super::{Op, StoreError, ts};
use crate::lang::Lang;
use jiff::Timestamp;
use sqlx::SqliteConnection;

/// One logged question.
pub struct Logged<'a> {
    pub at: Timestamp,
    pub user: i64,
    pub lang: Lang,
    pub text: &'a str,
    pub normalized: &'a str,
    pub decision: &'a str,
    pub top: Option<(&'a str, f32)>,
}

pub async fn log(conn: &mut SqliteConnection, q: &Logged<'_>) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO questions (at, user_id, lang, text, normalized, decision, top_id, top_score) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(ts(q.at))
    .bind(q.user)
    .bind(q.lang.code())
    .bind(q.text)
    .bind(q.normalized)
    .bind(q.decision)
    .bind(q.top.map(|t| t.0))
    .bind(q.top.map(|t| t.1 as f64))
    .execute(conn)
    .await
    .op("log a question")?;
    Ok(())
}

/// Removes what a person typed from their questions (kept: that they were asked, how
/// they were answered).
pub async fn forget_user(conn: &mut SqliteConnection, user: i64) -> Result<(), StoreError> {
    sqlx::query("UPDATE questions SET user_id = 0, text = '', normalized = '' WHERE user_id = ?")
        .bind(user)
        .execute(conn)
        .await
        .op("erase a person's questions")?;
    Ok(())
}

/// The same for every question asked before `before`.
pub async fn forget_before(conn: &mut SqliteConnection, before: Timestamp) -> Result<(), StoreError> {
    sqlx::query("UPDATE questions SET user_id = 0, text = '', normalized = '' WHERE at < ? AND user_id != 0")
        .bind(ts(before))
        .execute(conn)
        .await
        .op("erase old questions")?;
    Ok(())
}
