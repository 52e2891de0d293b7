//! Tickets, their events, and which Telegram messages belong to them.

use super::{Op, StoreError, parse_ts, ts};
use crate::ids::{ChatId, MessageId, MessageRef};
use crate::lang::Lang;
use crate::tickets::{EventKind, NewTicket, Ticket, TicketEvent, TicketId, TicketStatus};
use jiff::Timestamp;
use sqlx::sqlite::SqliteRow;
use sqlx::{Row, SqliteConnection};

pub use crate::tickets::Actor;

fn ticket_from(row: &SqliteRow) -> Result<Ticket, StoreError> {
    let corrupt = |what: &str| StoreError::Corrupt(format!("ticket {what}"));
    let lang: String = row.try_get("lang")?;
    let status: String = row.try_get("status")?;
    let matches: String = row.try_get("context_matches")?;
    let taken_by: Option<i64> = row.try_get("taken_by")?;
    let taken_name: Option<String> = row.try_get("taken_by_name")?;
    let opt_ts = |name: &str| -> Result<Option<Timestamp>, StoreError> {
        row.try_get::<Option<String>, _>(name)?.map(parse_ts).transpose()
    };
    Ok(Ticket {
        id: TicketId(row.try_get("id")?),
        user: crate::ids::UserId(row.try_get("user_id")?),
        first_name: row.try_get("first_name")?,
        lang: Lang::parse(&lang).ok_or_else(|| corrupt("language"))?,
        question: row.try_get("question")?,
        context_node: row.try_get("context_node")?,
        context_matches: serde_json::from_str(&matches).map_err(|_| corrupt("context"))?,
        status: TicketStatus::parse(&status).ok_or_else(|| corrupt("status"))?,
        taken_by: taken_by.map(|id| (id, taken_name.unwrap_or_default())),
        created_at: parse_ts(row.try_get("created_at")?)?,
        last_activity_at: parse_ts(row.try_get("last_activity_at")?)?,
        first_answered_at: opt_ts("first_answered_at")?,
        staff_reminded_at: opt_ts("staff_reminded_at")?,
    })
}

pub async fn ticket(conn: &mut SqliteConnection, id: TicketId) -> Result<Option<Ticket>, StoreError> {
    let row = sqlx::query("SELECT * FROM tickets WHERE id = ?")
        .bind(id.0)
        .fetch_optional(conn)
        .await
        .op("load a ticket")?;
    row.as_ref().map(ticket_from).transpose()
}

/// Tickets with this status (all when `None`), oldest first.
pub async fn tickets(conn: &mut SqliteConnection, status: Option<TicketStatus>) -> Result<Vec<Ticket>, StoreError> {
    let rows = match status {
        Some(s) => sqlx::query("SELECT * FROM tickets WHERE status = ? ORDER BY created_at, id")
            .bind(s.code())
            .fetch_all(conn)
            .await
            .op("list tickets")?,
        None => sqlx::query("SELECT * FROM tickets ORDER BY created_at, id")
            .fetch_all(conn)
            .await
            .op("list tickets")?,
    };
    rows.iter().map(ticket_from).collect()
}

/// A person's tickets, newest first.
pub async fn tickets_of(conn: &mut SqliteConnection, user: i64) -> Result<Vec<Ticket>, StoreError> {
    let rows = sqlx::query("SELECT * FROM tickets WHERE user_id = ? ORDER BY created_at DESC, id DESC LIMIT 20")
        .bind(user)
        .fetch_all(conn)
        .await
        .op("list a person's tickets")?;
    rows.iter().map(ticket_from).collect()
}

/// The ids of every ticket of a person.
pub async fn ids_of(conn: &mut SqliteConnection, user: i64) -> Result<Vec<TicketId>, StoreError> {
    let ids: Vec<i64> = sqlx::query_scalar("SELECT id FROM tickets WHERE user_id = ?")
        .bind(user)
        .fetch_all(conn)
        .await
        .op("find a person's tickets")?;
    Ok(ids.into_iter().map(TicketId).collect())
}

pub async fn events(conn: &mut SqliteConnection, id: TicketId) -> Result<Vec<TicketEvent>, StoreError> {
    let rows = sqlx::query(
        "SELECT id, at, kind, author_id, author_name, text FROM ticket_events WHERE ticket_id = ? ORDER BY id",
    )
    .bind(id.0)
    .fetch_all(conn)
    .await
    .op("load a ticket's history")?;
    rows.iter()
        .map(|row| {
            let kind: String = row.try_get("kind")?;
            let author: Option<i64> = row.try_get("author_id")?;
            let name: Option<String> = row.try_get("author_name")?;
            Ok(TicketEvent {
                id: row.try_get("id")?,
                at: parse_ts(row.try_get("at")?)?,
                kind: EventKind::parse(&kind).ok_or_else(|| StoreError::Corrupt(format!("event kind '{kind}'")))?,
                author: author.map(|a| (a, name.unwrap_or_default())),
                text: row.try_get("text")?,
            })
        })
        .collect()
}

pub async fn insert(conn: &mut SqliteConnection, new: &NewTicket, now: Timestamp) -> Result<TicketId, StoreError> {
    let matches = serde_json::to_string(&new.context_matches).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO tickets (user_id, first_name, lang, question, context_node, context_matches, status, created_at, last_activity_at)
         VALUES (?, ?, ?, ?, ?, ?, 'open', ?, ?) RETURNING id",
    )
    .bind(new.user.0)
    .bind(&new.first_name)
    .bind(new.lang.code())
    .bind(new.question.as_str())
    .bind(&new.context_node)
    .bind(matches)
    .bind(ts(now))
    .bind(ts(now))
    .fetch_one(conn)
    .await
    .op("store a ticket")?;
    Ok(TicketId(id))
}

pub async fn add_event(
    conn: &mut SqliteConnection,
    id: TicketId,
    kind: EventKind,
    author: Option<&Actor>,
    text: Option<&str>,
    now: Timestamp,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO ticket_events (ticket_id, at, kind, author_id, author_name, text) VALUES (?, ?, ?, ?, ?, ?)",
    )
    .bind(id.0)
    .bind(ts(now))
    .bind(kind.code())
    .bind(author.map(|a| a.id))
    .bind(author.map(|a| a.name.clone()))
    .bind(text)
    .execute(conn)
    .await
    .op("record a ticket event")?;
    Ok(())
}

pub async fn set_status(
    conn: &mut SqliteConnection,
    id: TicketId,
    status: TicketStatus,
    now: Timestamp,
) -> Result<(), StoreError> {
    let sql = match status {
        TicketStatus::Answered => {
            "UPDATE tickets SET status = 'answered', first_answered_at = COALESCE(first_answered_at, ?1), closed_at = NULL WHERE id = ?2"
        }
        // A follow-up: waiting for staff again, and their reminder clock starts over.
        TicketStatus::Open => {
            "UPDATE tickets SET status = 'open', last_activity_at = ?1, closed_at = NULL, staff_reminded_at = NULL WHERE id = ?2"
        }
        TicketStatus::Closed => "UPDATE tickets SET status = 'closed', closed_at = ?1 WHERE id = ?2",
    };
    sqlx::query(sql)
        .bind(ts(now))
        .bind(id.0)
        .execute(conn)
        .await
        .op("change a ticket's status")?;
    Ok(())
}

pub async fn set_taken(conn: &mut SqliteConnection, id: TicketId, by: &Actor) -> Result<(), StoreError> {
    sqlx::query("UPDATE tickets SET taken_by = ?, taken_by_name = ? WHERE id = ?")
        .bind(by.id)
        .bind(&by.name)
        .bind(id.0)
        .execute(conn)
        .await
        .op("take a ticket")?;
    Ok(())
}

pub async fn set_reminded(conn: &mut SqliteConnection, id: TicketId, now: Timestamp) -> Result<(), StoreError> {
    sqlx::query("UPDATE tickets SET staff_reminded_at = ? WHERE id = ?")
        .bind(ts(now))
        .bind(id.0)
        .execute(conn)
        .await
        .op("mark a staff reminder")?;
    Ok(())
}

/// Remembers that a Telegram message belongs to a ticket. A message in a person's
/// chat is linked only while the ticket is still theirs: an answer delivered while
/// its person was being erased must not tie their id to the ticket again.
pub async fn link_message(
    conn: &mut SqliteConnection,
    message: MessageRef,
    ticket: TicketId,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT OR IGNORE INTO ticket_messages (chat_id, message_id, ticket_id)
         SELECT ?1, ?2, ?3 WHERE ?1 < 0 OR EXISTS (SELECT 1 FROM tickets WHERE id = ?3 AND user_id = ?1)",
    )
    .bind(message.chat.0)
    .bind(message.message.0)
    .bind(ticket.0)
    .execute(conn)
    .await
    .op("link a message to its ticket")?;
    Ok(())
}

/// The ticket a Telegram message belongs to, if any.
pub async fn ticket_of_message(
    conn: &mut SqliteConnection,
    message: MessageRef,
) -> Result<Option<TicketId>, StoreError> {
    let id: Option<i64> =
        sqlx::query_scalar("SELECT ticket_id FROM ticket_messages WHERE chat_id = ? AND message_id = ?")
            .bind(message.chat.0)
            .bind(message.message.0)
            .fetch_optional(conn)
            .await
            .op("find a message's ticket")?;
    Ok(id.map(TicketId))
}

/// The ticket's first post in this chat: later staff messages reply to it.
pub async fn first_message_of(
    conn: &mut SqliteConnection,
    ticket: TicketId,
    chat: ChatId,
) -> Result<Option<MessageId>, StoreError> {
    let id: Option<i64> =
        sqlx::query_scalar("SELECT MIN(message_id) FROM ticket_messages WHERE ticket_id = ? AND chat_id = ?")
            .bind(ticket.0)
            .bind(chat.0)
            .fetch_one(conn)
            .await
            .op("find a ticket's first post")?;
    Ok(id.map(MessageId))
}
