//! Where each person is in their conversation, and the last update handled for them.

use super::{Op, StoreError, parse_ts, ts};
use crate::ids::UpdateId;
use crate::lang::Lang;
use jiff::Timestamp;
use sqlx::SqliteConnection;

/// A person's place in the conversation, as saved.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Conversation {
    pub user: i64,
    pub lang: Option<Lang>,
    /// A node id as saved; it may no longer exist if the content changed since.
    pub node: String,
    /// A multi-step flow in progress, as the engine serialised it.
    pub flow: Option<String>,
    /// The last question the bot could not answer, as the engine serialised it.
    pub last_question: Option<String>,
    /// The last update handled for this person, and when.
    pub last_update: Option<(UpdateId, Timestamp)>,
}

pub async fn load(conn: &mut SqliteConnection, user: i64) -> Result<Option<Conversation>, StoreError> {
    type Row = (
        i64,
        Option<String>,
        String,
        Option<String>,
        Option<String>,
        Option<i64>,
        Option<String>,
    );
    let row: Option<Row> = sqlx::query_as(
        "SELECT user_id, lang, node, flow, last_question, last_update, last_update_at FROM conversations WHERE user_id = ?",
    )
    .bind(user)
    .fetch_optional(conn)
    .await
    .op("load a conversation")?;
    let Some((user, lang, node, flow, last_question, update, at)) = row else {
        return Ok(None);
    };
    let last_update = match (update, at) {
        (Some(u), Some(at)) => Some((UpdateId(u as u32), parse_ts(at)?)),
        _ => None,
    };
    Ok(Some(Conversation {
        user,
        lang: lang.as_deref().and_then(Lang::parse),
        node,
        flow,
        last_question,
        last_update,
    }))
}

/// The statement that saves `n` conversations, of different people (binds from
/// `bind_save`, one after the other).
pub(super) fn save_rows(n: usize) -> String {
    format!(
        "INSERT INTO conversations (user_id, lang, node, flow, last_question, last_update, last_update_at)
         VALUES {}
         {UPSERT}",
        vec!["(?, ?, ?, ?, ?, ?, ?)"; n].join(", ")
    )
}

const UPSERT: &str = "ON CONFLICT (user_id) DO UPDATE SET lang = excluded.lang, node = excluded.node,
             flow = excluded.flow, last_question = excluded.last_question,
             last_update = COALESCE(excluded.last_update, last_update),
             last_update_at = COALESCE(excluded.last_update_at, last_update_at),
             updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')";

pub(super) fn bind_save<'q>(q: super::outbox::Query<'q>, c: &'q Conversation) -> super::outbox::Query<'q> {
    q.bind(c.user)
        .bind(c.lang.map(Lang::code))
        .bind(&c.node)
        .bind(&c.flow)
        .bind(&c.last_question)
        .bind(c.last_update.map(|(u, _)| u.0 as i64))
        .bind(c.last_update.map(|(_, at)| ts(at)))
}

pub async fn save(conn: &mut SqliteConnection, c: &Conversation) -> Result<(), StoreError> {
    bind_save(sqlx::query(&save_rows(1)), c)
        .execute(conn)
        .await
        .op("save a conversation")?;
    Ok(())
}

pub async fn delete(conn: &mut SqliteConnection, user: i64) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM conversations WHERE user_id = ?")
        .bind(user)
        .execute(conn)
        .await
        .op("delete a conversation")?;
    Ok(())
}

/// Everyone who has talked to the bot.
pub async fn users(conn: &mut SqliteConnection) -> Result<Vec<i64>, StoreError> {
    sqlx::query_scalar("SELECT user_id FROM conversations")
        .fetch_all(conn)
        .await
        .op("list the people")
}
