//! Every free-text question and how it was understood.

use super::{Op, StoreError, ts};
use crate::lang::Lang;
use jiff::Timestamp;
use sqlx::SqliteConnection;

/// One logged question.
/// A question as typed, and how it was answered: logged with the turn that answered
/// it (nothing reads it back in the same turn).
#[derive(Clone, Debug)]
pub struct Logged {
    pub at: Timestamp,
    pub user: i64,
    pub lang: Lang,
    pub text: String,
    pub normalized: String,
    pub decision: String,
    pub top: Option<(String, f32)>,
}

/// The statement that logs `n` questions (binds from `bind_log`, one after the other).
pub(super) fn log_rows(n: usize) -> String {
    format!(
        "INSERT INTO questions (at, user_id, lang, text, normalized, decision, top_id, top_score) VALUES {}",
        vec!["(?, ?, ?, ?, ?, ?, ?, ?)"; n].join(", ")
    )
}

pub(super) fn bind_log<'q>(q: super::outbox::Query<'q>, l: &'q Logged) -> super::outbox::Query<'q> {
    q.bind(ts(l.at))
        .bind(l.user)
        .bind(l.lang.code())
        .bind(&l.text)
        .bind(&l.normalized)
        .bind(&l.decision)
        .bind(l.top.as_ref().map(|t| t.0.as_str()))
        .bind(l.top.as_ref().map(|t| t.1 as f64))
}

pub async fn log(conn: &mut SqliteConnection, q: &Logged) -> Result<(), StoreError> {
    bind_log(sqlx::query(&log_rows(1)), q)
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
