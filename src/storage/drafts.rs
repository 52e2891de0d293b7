//! Staff answers in the making: one per staff member and chat, until sent or dropped.

use super::{Op, StoreError, parse_ts, ts};
use crate::ids::{ChatId, MessageId, MessageRef};
use crate::tickets::TicketId;
use jiff::Timestamp;
use sqlx::sqlite::SqliteRow;
use sqlx::{Row, SqliteConnection};

/// What a draft holds once written: a text, or a file to relay (with its caption).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DraftContent {
    Text(String),
    File {
        of: MessageRef,
        /// What the file is ("document form.pdf"), for the preview and the history.
        label: String,
        caption: Option<String>,
    },
}

/// A staff member's answer to a ticket, being written in one chat.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Draft {
    pub user: i64,
    pub chat: ChatId,
    pub ticket: TicketId,
    /// The ticket's last event when answering began: answers by others after it are a
    /// conflict to ask about. (An event id, not a time: two answers can fall within
    /// the same second.)
    pub seen_event: i64,
    /// The last activity; the draft expires some minutes after it.
    pub touched_at: Timestamp,
    /// `None` while waiting for the staff member to write.
    pub content: Option<DraftContent>,
    /// Warned of a conflict (someone else took or answered the ticket) and chose to
    /// send anyway.
    pub confirmed: bool,
}

fn draft_from(row: &SqliteRow) -> Result<Draft, StoreError> {
    let text: Option<String> = row.try_get("text")?;
    let file_chat: Option<i64> = row.try_get("file_chat")?;
    let file_message: Option<i64> = row.try_get("file_message")?;
    let label: Option<String> = row.try_get("file_label")?;
    let content = match (file_chat.zip(file_message), text) {
        (Some((chat, message)), caption) => Some(DraftContent::File {
            of: MessageRef::new(ChatId(chat), MessageId(message)),
            label: label.unwrap_or_default(),
            caption,
        }),
        (None, Some(text)) => Some(DraftContent::Text(text)),
        (None, None) => None,
    };
    Ok(Draft {
        user: row.try_get("user_id")?,
        chat: ChatId(row.try_get("chat_id")?),
        ticket: TicketId(row.try_get("ticket_id")?),
        seen_event: row.try_get("seen_event")?,
        touched_at: parse_ts(row.try_get("touched_at")?)?,
        content,
        confirmed: row.try_get::<i64, _>("confirmed")? != 0,
    })
}

pub async fn draft(conn: &mut SqliteConnection, user: i64, chat: ChatId) -> Result<Option<Draft>, StoreError> {
    let row = sqlx::query("SELECT * FROM staff_drafts WHERE user_id = ? AND chat_id = ?")
        .bind(user)
        .bind(chat.0)
        .fetch_optional(conn)
        .await
        .op("load a staff draft")?;
    row.as_ref().map(draft_from).transpose()
}

/// Writes a draft, replacing the one this staff member had in this chat.
pub async fn save(conn: &mut SqliteConnection, d: &Draft) -> Result<(), StoreError> {
    let (text, file) = match &d.content {
        None => (None, None),
        Some(DraftContent::Text(t)) => (Some(t.clone()), None),
        Some(DraftContent::File { of, label, caption }) => (caption.clone(), Some((*of, label.clone()))),
    };
    sqlx::query(
        "INSERT OR REPLACE INTO staff_drafts
             (user_id, chat_id, ticket_id, seen_event, touched_at, text, file_chat, file_message, file_label, confirmed)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(d.user)
    .bind(d.chat.0)
    .bind(d.ticket.0)
    .bind(d.seen_event)
    .bind(ts(d.touched_at))
    .bind(text)
    .bind(file.as_ref().map(|(of, _)| of.chat.0))
    .bind(file.as_ref().map(|(of, _)| of.message.0))
    .bind(file.map(|(_, label)| label))
    .bind(d.confirmed)
    .execute(conn)
    .await
    .op("save a staff draft")?;
    Ok(())
}

/// Drops this staff member's draft in this chat, returning it.
pub async fn delete(conn: &mut SqliteConnection, user: i64, chat: ChatId) -> Result<Option<Draft>, StoreError> {
    let row = sqlx::query("DELETE FROM staff_drafts WHERE user_id = ? AND chat_id = ? RETURNING *")
        .bind(user)
        .bind(chat.0)
        .fetch_optional(conn)
        .await
        .op("drop a staff draft")?;
    row.as_ref().map(draft_from).transpose()
}

/// Drops every draft of a ticket (its person was erased: a draft may name them).
pub async fn delete_for_ticket(conn: &mut SqliteConnection, ticket: TicketId) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM staff_drafts WHERE ticket_id = ?")
        .bind(ticket.0)
        .execute(conn)
        .await
        .op("drop a ticket's drafts")?;
    Ok(())
}

/// Removes and returns the drafts untouched since `before`.
pub async fn take_expired(conn: &mut SqliteConnection, before: Timestamp) -> Result<Vec<Draft>, StoreError> {
    let rows = sqlx::query("DELETE FROM staff_drafts WHERE touched_at < ? RETURNING *")
        .bind(ts(before))
        .fetch_all(conn)
        .await
        .op("expire staff drafts")?;
    rows.iter().map(draft_from).collect()
}
