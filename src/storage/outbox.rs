//! The outbox: messages owed to people, written in the same transaction as the change
//! that caused them, and sent by a worker until Telegram accepts or refuses them.

use super::{Store, StoreError, parse_ts, ts};
use crate::message::{Button, CopyOf, Document, OutMessage, Purpose, Recipient, TELEGRAM_LIMIT, split_html};
use jiff::Timestamp;
use sqlx::{Row, SqliteConnection};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct OutboxId(pub i64);

/// A message waiting to be sent, with how often sending it has failed.
#[derive(Clone, Debug)]
pub struct Pending {
    pub id: OutboxId,
    pub message: OutMessage,
    pub attempts: u32,
}

/// Queues a message. A message with a file becomes two rows, the text and then the
/// file, each sent and retried on its own: otherwise a failed file would send the text
/// again on retry.
pub(super) async fn enqueue_in(
    conn: &mut SqliteConnection,
    m: &OutMessage,
    now: Timestamp,
) -> Result<OutboxId, StoreError> {
    // Too long for one message: the leading pieces go first as plain rows, and the
    // last piece carries the buttons, the file and what to record.
    // A copied file's caption is short (checked where it is made); only text splits.
    let pieces = if m.copy.is_some() {
        vec![m.html.clone()]
    } else {
        split_html(&m.html, TELEGRAM_LIMIT)
    };
    if pieces.len() > 1 {
        let last = pieces.len() - 1;
        for piece in &pieces[..last] {
            // Every piece of a ticket's post leads to the ticket (a reply to the first
            // piece, the one with the header, answers it) and goes with it on erasure.
            let mut lead = OutMessage::new(m.to, piece.clone());
            lead.ticket = m.ticket;
            lead.reply_to_ticket = m.reply_to_ticket;
            lead.purpose = m.purpose.map(|p| Purpose::TicketPiece { ticket: p.ticket() });
            insert(conn, &lead, now).await?;
        }
        let tail = OutMessage {
            html: pieces[last].clone(),
            ..m.clone()
        };
        return Box::pin(enqueue_in(conn, &tail, now)).await;
    }
    match &m.document {
        None => insert(conn, m, now).await,
        Some(document) => {
            let text = OutMessage {
                document: None,
                ..m.clone()
            };
            let id = insert(conn, &text, now).await?;
            let file = OutMessage {
                html: String::new(),
                keyboard: Vec::new(),
                purpose: None,
                document: Some(document.clone()),
                ..m.clone()
            };
            insert(conn, &file, now).await?;
            Ok(id)
        }
    }
}

async fn insert(conn: &mut SqliteConnection, m: &OutMessage, now: Timestamp) -> Result<OutboxId, StoreError> {
    let keyboard = (!m.keyboard.is_empty())
        .then(|| serde_json::to_string(&m.keyboard))
        .transpose()
        .map_err(|e| StoreError::Corrupt(e.to_string()))?;
    let purpose = m
        .purpose
        .map(|p| serde_json::to_string(&p))
        .transpose()
        .map_err(|e| StoreError::Corrupt(e.to_string()))?;
    let (chat, to_staff) = match m.to {
        Recipient::Chat(chat) => (chat, false),
        Recipient::Staff => (0, true),
    };
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO outbox (chat_id, to_staff, html, keyboard, file_name, file_bytes, reply_to_ticket, purpose, next_attempt, created_at,
                             ticket_id, copy_from_chat, copy_message_id)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
    )
    .bind(chat)
    .bind(to_staff)
    .bind(&m.html)
    .bind(keyboard)
    .bind(m.document.as_ref().map(|d| d.name.clone()))
    .bind(m.document.as_ref().map(|d| d.bytes.clone()))
    .bind(m.reply_to_ticket)
    .bind(purpose)
    .bind(ts(now))
    .bind(ts(now))
    .bind(m.ticket)
    .bind(m.copy.map(|c| c.chat))
    .bind(m.copy.map(|c| c.message))
    .fetch_one(conn)
    .await?;
    Ok(OutboxId(id))
}

impl Store {
    /// Queues one message on its own.
    pub async fn enqueue(&self, m: &OutMessage, now: Timestamp) -> Result<OutboxId, StoreError> {
        let mut conn = self.pool.acquire().await?;
        enqueue_in(&mut conn, m, now).await
    }

    /// Messages whose time to (re)try has come, oldest first.
    pub async fn due_messages(&self, now: Timestamp, limit: u32) -> Result<Vec<Pending>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, chat_id, to_staff, html, keyboard, file_name, file_bytes, reply_to_ticket, purpose, attempts,
                    ticket_id, copy_from_chat, copy_message_id FROM outbox
             WHERE state = 'pending' AND next_attempt <= ? ORDER BY id LIMIT ?",
        )
        .bind(ts(now))
        .bind(limit as i64)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                let keyboard: Option<String> = row.try_get("keyboard")?;
                let keyboard: Vec<Vec<Button>> = match keyboard {
                    Some(k) => {
                        serde_json::from_str(&k).map_err(|e| StoreError::Corrupt(format!("outbox keyboard: {e}")))?
                    }
                    None => Vec::new(),
                };
                let purpose: Option<String> = row.try_get("purpose")?;
                let purpose: Option<Purpose> = purpose
                    .map(|p| serde_json::from_str(&p))
                    .transpose()
                    .map_err(|e| StoreError::Corrupt(format!("outbox purpose: {e}")))?;
                let to = if row.try_get::<bool, _>("to_staff")? {
                    Recipient::Staff
                } else {
                    Recipient::Chat(row.try_get("chat_id")?)
                };
                let copy_chat: Option<i64> = row.try_get("copy_from_chat")?;
                let copy_message: Option<i64> = row.try_get("copy_message_id")?;
                let name: Option<String> = row.try_get("file_name")?;
                let bytes: Option<Vec<u8>> = row.try_get("file_bytes")?;
                Ok(Pending {
                    id: OutboxId(row.try_get("id")?),
                    attempts: row.try_get::<i64, _>("attempts")? as u32,
                    message: OutMessage {
                        to,
                        html: row.try_get("html")?,
                        keyboard,
                        document: name.zip(bytes).map(|(name, bytes)| Document { name, bytes }),
                        reply_to_ticket: row.try_get("reply_to_ticket")?,
                        purpose,
                        ticket: row.try_get("ticket_id")?,
                        copy: copy_chat
                            .zip(copy_message)
                            .map(|(chat, message)| CopyOf { chat, message }),
                    },
                })
            })
            .collect()
    }

    pub async fn message_sent(&self, id: OutboxId, now: Timestamp) -> Result<(), StoreError> {
        sqlx::query("UPDATE outbox SET state = 'sent', sent_at = ?, attempts = attempts + 1 WHERE id = ?")
            .bind(ts(now))
            .bind(id.0)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// A passing failure: try again at `next`.
    pub async fn message_retry(&self, id: OutboxId, next: Timestamp, error: &str) -> Result<(), StoreError> {
        sqlx::query("UPDATE outbox SET attempts = attempts + 1, next_attempt = ?, last_error = ? WHERE id = ?")
            .bind(ts(next))
            .bind(error)
            .bind(id.0)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// A final refusal (the person blocked the bot, the chat is gone): never retried.
    pub async fn message_failed(&self, id: OutboxId, error: &str) -> Result<(), StoreError> {
        sqlx::query("UPDATE outbox SET state = 'failed', attempts = attempts + 1, last_error = ? WHERE id = ?")
            .bind(error)
            .bind(id.0)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// How many messages are still waiting to be sent.
    pub async fn outbox_backlog(&self) -> Result<u64, StoreError> {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM outbox WHERE state = 'pending'")
            .fetch_one(&self.pool)
            .await?;
        Ok(n as u64)
    }

    /// When the next pending message is due, if any: how long the worker may sleep.
    pub async fn next_message_due(&self) -> Result<Option<Timestamp>, StoreError> {
        let next: Option<String> = sqlx::query_scalar("SELECT MIN(next_attempt) FROM outbox WHERE state = 'pending'")
            .fetch_one(&self.pool)
            .await?;
        next.map(parse_ts).transpose()
    }
}
