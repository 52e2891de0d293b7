//! The outbox: messages owed to people, written in the same transaction as the change
//! that caused them, and sent by a worker until Telegram accepts or refuses them.

use super::{Op, StoreError, parse_ts, ts};
use crate::ids::{ChatId, MessageId, MessageRef};
use crate::message::{Button, Document, OutMessage, Purpose, Recipient};
use jiff::Timestamp;
use sqlx::{Row, SqliteConnection};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct OutboxId(pub i64);

/// A message waiting to be sent, with how often sending it has failed and, for a long
/// one sent in pieces, how many pieces went out already.
#[derive(Clone, Debug)]
pub struct Pending {
    pub id: OutboxId,
    pub message: OutMessage,
    pub attempts: u32,
    pub pieces_sent: u32,
}

/// Queues a message as one row: a file goes with the text as its caption (a reply
/// with its file, as the person saw it before replies went through the outbox).
pub async fn enqueue_whole(
    conn: &mut SqliteConnection,
    m: &OutMessage,
    now: Timestamp,
) -> Result<OutboxId, StoreError> {
    insert(conn, m, now).await
}

/// Queues a message. A message with a file becomes two rows, the text and then the
/// file, each sent and retried on its own: otherwise a failed file would send the text
/// again on retry.
pub async fn enqueue(conn: &mut SqliteConnection, m: &OutMessage, now: Timestamp) -> Result<OutboxId, StoreError> {
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

/// The statement that queues `n` messages, in order (binds from `bind_insert`, one
/// message after the other).
pub(super) fn insert_rows(n: usize) -> String {
    const ROW: &str = "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
    format!(
        "INSERT INTO outbox (chat_id, to_staff, html, keyboard, file_name, file_bytes, reply_to_ticket, purpose,
                             next_attempt, created_at, ticket_id, copy_from_chat, copy_message_id, not_after,
                             edit_message_id)
         VALUES {}",
        vec![ROW; n].join(", ")
    )
}

/// A query whose arguments go on: `INSERT`'s, for `m`.
pub(super) type Query<'q> = sqlx::query::Query<'q, sqlx::Sqlite, sqlx::sqlite::SqliteArguments<'q>>;

pub(super) fn bind_insert<'q>(q: Query<'q>, m: &'q OutMessage, now: Timestamp) -> Result<Query<'q>, StoreError> {
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
        Recipient::Chat(chat) => (chat.0, false),
        Recipient::Staff => (0, true),
    };
    Ok(q.bind(chat)
        .bind(to_staff)
        .bind(&m.html)
        .bind(keyboard)
        .bind(m.document.as_ref().map(|d| d.name.as_str()))
        .bind(m.document.as_ref().map(|d| d.bytes.as_slice()))
        .bind(m.reply_to_ticket.map(|t| t.0))
        .bind(purpose)
        .bind(ts(now))
        .bind(ts(now))
        .bind(m.ticket.map(|t| t.0))
        .bind(m.copy.map(|c| c.chat.0))
        .bind(m.copy.map(|c| c.message.0))
        .bind(m.not_after.map(ts))
        .bind(m.edit.map(|e| e.message.0)))
}

async fn insert(conn: &mut SqliteConnection, m: &OutMessage, now: Timestamp) -> Result<OutboxId, StoreError> {
    let sql = format!("{} RETURNING id", insert_rows(1));
    let row = bind_insert(sqlx::query(&sql), m, now)?
        .fetch_one(conn)
        .await
        .op("queue a message")?;
    Ok(OutboxId(row.try_get(0)?))
}

const COLUMNS: &str =
    "id, chat_id, to_staff, html, keyboard, file_name, file_bytes, reply_to_ticket, purpose, attempts,
    ticket_id, copy_from_chat, copy_message_id, pieces_sent, not_after, edit_message_id, next_attempt";

/// Messages whose time to (re)try has come, oldest first.
/// Messages past their moment (never sent late) are not among them; `expire` ends them.
pub async fn due(conn: &mut SqliteConnection, now: Timestamp, limit: u32) -> Result<Vec<Pending>, StoreError> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM outbox
         WHERE state = 'pending' AND next_attempt <= ? AND (not_after IS NULL OR not_after > ?)
         ORDER BY id LIMIT ?"
    ))
    .bind(ts(now))
    .bind(ts(now))
    .bind(limit as i64)
    .fetch_all(conn)
    .await
    .op("read the outbox")?;
    rows.iter().map(|row| pending(row).map(|(p, _)| p)).collect()
}

/// The first pending message of a chat's line: which, to whom, and when it may be
/// (re)tried.
#[derive(Clone, Copy, Debug)]
pub struct Head {
    pub id: OutboxId,
    pub to: Recipient,
    pub next: Timestamp,
}

/// The first pending message of each chat's line (the staff chat is one line), oldest
/// first: a chat's messages go in order, and one waiting for its retry holds up only
/// its own chat. Messages past their moment are passed over. Only what the delivery
/// needs to choose: it is read after every commit.
pub async fn heads(conn: &mut SqliteConnection, now: Timestamp, limit: u32) -> Result<Vec<Head>, StoreError> {
    let rows: Vec<(i64, bool, i64, String)> = sqlx::query_as(
        "SELECT id, to_staff, chat_id, next_attempt FROM outbox WHERE id IN (
             SELECT MIN(id) FROM outbox INDEXED BY outbox_pending_lines
             WHERE state = 'pending' AND (not_after IS NULL OR not_after > ?)
             GROUP BY to_staff, chat_id)
         ORDER BY id LIMIT ?",
    )
    .bind(ts(now))
    .bind(limit as i64)
    .fetch_all(conn)
    .await
    .op("read the outbox")?;
    rows.into_iter()
        .map(|(id, to_staff, chat, next)| {
            Ok(Head {
                id: OutboxId(id),
                to: if to_staff {
                    Recipient::Staff
                } else {
                    Recipient::Chat(ChatId(chat))
                },
                next: parse_ts(next)?,
            })
        })
        .collect()
}

/// These messages, those still pending, in one look-up.
pub async fn get_many(conn: &mut SqliteConnection, ids: &[OutboxId]) -> Result<Vec<Pending>, StoreError> {
    let mut out = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(500) {
        let marks = super::marks(chunk.len());
        let sql = format!("SELECT {COLUMNS} FROM outbox WHERE state = 'pending' AND id IN ({marks})");
        let mut query = sqlx::query(&sql);
        for id in chunk {
            query = query.bind(id.0);
        }
        let rows = query.fetch_all(&mut *conn).await.op("read outbox messages")?;
        for row in &rows {
            out.push(pending(row)?.0);
        }
    }
    Ok(out)
}

fn pending(row: &sqlx::sqlite::SqliteRow) -> Result<(Pending, Timestamp), StoreError> {
    let keyboard: Option<String> = row.try_get("keyboard")?;
    let keyboard: Vec<Vec<Button>> = match keyboard {
        Some(k) => serde_json::from_str(&k).map_err(|e| StoreError::Corrupt(format!("outbox keyboard: {e}")))?,
        None => Vec::new(),
    };
    let purpose: Option<String> = row.try_get("purpose")?;
    let purpose: Option<Purpose> = purpose
        .map(|p| serde_json::from_str(&p))
        .transpose()
        .map_err(|e| StoreError::Corrupt(format!("outbox purpose: {e}")))?;
    let chat = ChatId(row.try_get("chat_id")?);
    let to = if row.try_get::<bool, _>("to_staff")? {
        Recipient::Staff
    } else {
        Recipient::Chat(chat)
    };
    let copy_chat: Option<i64> = row.try_get("copy_from_chat")?;
    let copy_message: Option<i64> = row.try_get("copy_message_id")?;
    let name: Option<String> = row.try_get("file_name")?;
    let bytes: Option<Vec<u8>> = row.try_get("file_bytes")?;
    let edit: Option<i64> = row.try_get("edit_message_id")?;
    let ticket = |v: Option<i64>| v.map(crate::tickets::TicketId);
    let next: Timestamp = parse_ts(row.try_get("next_attempt")?)?;
    let pending = Pending {
        id: OutboxId(row.try_get("id")?),
        attempts: row.try_get::<i64, _>("attempts")? as u32,
        pieces_sent: row.try_get::<i64, _>("pieces_sent")? as u32,
        message: OutMessage {
            to,
            html: row.try_get("html")?,
            keyboard,
            document: name.zip(bytes).map(|(name, bytes)| Document { name, bytes }),
            reply_to_ticket: ticket(row.try_get("reply_to_ticket")?),
            purpose,
            ticket: ticket(row.try_get("ticket_id")?),
            copy: copy_chat
                .zip(copy_message)
                .map(|(chat, message)| MessageRef::new(ChatId(chat), MessageId(message))),
            not_after: row
                .try_get::<Option<String>, _>("not_after")?
                .map(parse_ts)
                .transpose()?,
            edit: edit.map(|m| MessageRef::new(chat, MessageId(m))),
        },
    };
    Ok((pending, next))
}

/// Marks messages past their moment failed (a reminder of a deadline that Telegram
/// could not take in time); how many.
pub async fn expire(conn: &mut SqliteConnection, now: Timestamp) -> Result<u64, StoreError> {
    let done = sqlx::query(
        "UPDATE outbox SET state = 'failed', last_error = 'not sent: past its time'
         WHERE state = 'pending' AND not_after IS NOT NULL AND not_after <= ?",
    )
    .bind(ts(now))
    .execute(conn)
    .await
    .op("end the messages past their time")?;
    Ok(done.rows_affected())
}

/// Sent: what it said goes (a queue, not an archive: every reply passes through here,
/// the staff chat's included, and an erasure could not find them all later).
pub async fn mark_sent(conn: &mut SqliteConnection, id: OutboxId, now: Timestamp) -> Result<(), StoreError> {
    mark_sent_many(conn, &[id], now).await
}

/// Many messages sent at about the same moment, recorded as `mark_sent` does.
pub async fn mark_sent_many(conn: &mut SqliteConnection, ids: &[OutboxId], now: Timestamp) -> Result<(), StoreError> {
    for chunk in ids.chunks(500) {
        let marks = super::marks(chunk.len());
        let sql = format!(
            "UPDATE outbox SET state = 'sent', sent_at = ?, attempts = attempts + 1, html = '', keyboard = NULL,
                 file_bytes = NULL WHERE id IN ({marks})"
        );
        let mut query = sqlx::query(&sql).bind(ts(now));
        for id in chunk {
            query = query.bind(id.0);
        }
        query.execute(&mut *conn).await.op("mark messages sent")?;
    }
    Ok(())
}

/// A piece of a long message went out.
pub async fn mark_pieces_sent(conn: &mut SqliteConnection, id: OutboxId, pieces: u32) -> Result<(), StoreError> {
    sqlx::query("UPDATE outbox SET pieces_sent = ? WHERE id = ?")
        .bind(pieces as i64)
        .bind(id.0)
        .execute(conn)
        .await
        .op("record a piece sent")?;
    Ok(())
}

/// A passing failure: try again at `next`.
pub async fn mark_retry(
    conn: &mut SqliteConnection,
    id: OutboxId,
    next: Timestamp,
    error: &str,
) -> Result<(), StoreError> {
    sqlx::query("UPDATE outbox SET attempts = attempts + 1, next_attempt = ?, last_error = ? WHERE id = ?")
        // To the millisecond: a retry after 250 ms, or exactly Telegram's retry_after,
        // must not be rounded to the second.
        .bind(next.strftime("%Y-%m-%dT%H:%M:%S%.3fZ").to_string())
        .bind(error)
        .bind(id.0)
        .execute(conn)
        .await
        .op("schedule a retry")?;
    Ok(())
}

/// A final refusal (the person blocked the bot, the chat is gone): never retried.
pub async fn mark_failed(conn: &mut SqliteConnection, id: OutboxId, error: &str) -> Result<(), StoreError> {
    sqlx::query("UPDATE outbox SET state = 'failed', attempts = attempts + 1, last_error = ? WHERE id = ?")
        .bind(error)
        .bind(id.0)
        .execute(conn)
        .await
        .op("mark a message failed")?;
    Ok(())
}

/// How many messages are still waiting to be sent.
pub async fn backlog(conn: &mut SqliteConnection) -> Result<u64, StoreError> {
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM outbox WHERE state = 'pending'")
        .fetch_one(conn)
        .await
        .op("count the outbox")?;
    Ok(n as u64)
}

/// When the next pending message is due, if any.
pub async fn next_due(conn: &mut SqliteConnection) -> Result<Option<Timestamp>, StoreError> {
    let next: Option<String> = sqlx::query_scalar("SELECT MIN(next_attempt) FROM outbox WHERE state = 'pending'")
        .fetch_one(conn)
        .await
        .op("find the next message due")?;
    next.map(parse_ts).transpose()
}

/// Every message to a person's chat goes (an erasure).
pub async fn delete_to_chat(conn: &mut SqliteConnection, chat: ChatId) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM outbox WHERE chat_id = ? AND to_staff = 0")
        .bind(chat.0)
        .execute(conn)
        .await
        .op("drop a person's messages")?;
    Ok(())
}

/// Messages about a ticket: not sent yet, they are dropped; sent, their text and files
/// go (the outbox keeps that something was sent).
pub async fn erase_for_ticket(conn: &mut SqliteConnection, ticket: crate::tickets::TicketId) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM outbox WHERE state = 'pending' AND ticket_id = ?")
        .bind(ticket.0)
        .execute(&mut *conn)
        .await
        .op("drop a ticket's messages")?;
    sqlx::query(
        "UPDATE outbox SET html = '', keyboard = NULL, file_name = NULL, file_bytes = NULL, last_error = NULL,
             copy_from_chat = NULL, copy_message_id = NULL WHERE ticket_id = ?",
    )
    .bind(ticket.0)
    .execute(conn)
    .await
    .op("erase a ticket's messages")?;
    Ok(())
}

/// The outbox is a queue, not an archive: what it delivered (or gave up on) before
/// `before` goes, with the names, dates and places its texts carried.
pub async fn delete_done_before(conn: &mut SqliteConnection, before: Timestamp) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM outbox WHERE state != 'pending' AND created_at < ?")
        .bind(ts(before))
        .execute(conn)
        .await
        .op("drop old outbox rows")?;
    Ok(())
}
