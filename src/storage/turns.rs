//! A conversation's turn whose only changes are its replies and its saved place (most
//! turns: a menu, an answer): written in one round trip to SQLite's thread, as one
//! transaction. Each round trip is a hand-over between threads; four of them per
//! message (BEGIN, the reply, the place, COMMIT) were most of what a reply cost.

use super::conversations::{self, Conversation};
use super::outbox;
use super::{Op, StoreError};
use crate::message::OutMessage;
use jiff::Timestamp;
use sqlx::SqliteConnection;

/// Queues `replies` and saves `conversation` (when given), all or nothing. `conn` must
/// hold this process's turn to write and no transaction.
pub async fn save(
    conn: &mut SqliteConnection,
    replies: &[OutMessage],
    conversation: Option<&Conversation>,
    now: Timestamp,
) -> Result<(), StoreError> {
    let mut sql = String::from("BEGIN IMMEDIATE;\n");
    for _ in replies {
        sql.push_str(outbox::INSERT);
        sql.push_str(";\n");
    }
    if conversation.is_some() {
        sql.push_str(conversations::SAVE);
        sql.push_str(";\n");
    }
    sql.push_str("COMMIT;");
    let mut query = sqlx::query(&sql);
    for m in replies {
        query = outbox::bind_insert(query, m, now)?;
    }
    if let Some(c) = conversation {
        query = conversations::bind_save(query, c);
    }
    if let Err(err) = query.execute(&mut *conn).await {
        // A statement failed inside the transaction: nothing of it stays.
        let _ = sqlx::query("ROLLBACK").execute(&mut *conn).await;
        return Err(err).op("save a turn");
    }
    Ok(())
}
