//! Queries of erasure and anonymisation; the rules (what goes when) are in
//! `crate::privacy`.

use super::{Op, StoreError, ts};
use crate::tickets::TicketId;
use jiff::Timestamp;
use sqlx::SqliteConnection;

/// The values anonymised rows carry: valid for their types (a registration must still
/// read back), saying nothing about anyone.
const NAME: &str = "anonim";
const EMAIL: &str = "anonim@anonim.invalid";

const ANONYMISE_REGISTRATIONS: &str =
    "UPDATE registrations SET user_id = -id, name = ?, organisation = ?, email = ?, phone = NULL,
         consent_withdrawn_at = COALESCE(consent_withdrawn_at, ?)
     WHERE user_id > 0 AND ";

/// Anonymises a person's registrations, taking them out of the Telegram id space (the
/// row id, negated, stays unique). How many.
pub async fn anonymise_registrations_of(
    conn: &mut SqliteConnection,
    user: i64,
    now: Timestamp,
) -> Result<u64, StoreError> {
    let done = sqlx::query(&format!("{ANONYMISE_REGISTRATIONS} user_id = ?"))
        .bind(NAME)
        .bind(NAME)
        .bind(EMAIL)
        .bind(ts(now))
        .bind(user)
        .execute(conn)
        .await
        .op("anonymise a person's registrations")?;
    Ok(done.rows_affected())
}

/// Anonymises the registrations of sessions that ended before `before`. How many.
pub async fn anonymise_registrations_ended_before(
    conn: &mut SqliteConnection,
    before: Timestamp,
    now: Timestamp,
) -> Result<u64, StoreError> {
    let done = sqlx::query(&format!(
        "{ANONYMISE_REGISTRATIONS} session_id IN (SELECT id FROM sessions WHERE ends_at < ?)"
    ))
    .bind(NAME)
    .bind(NAME)
    .bind(EMAIL)
    .bind(ts(now))
    .bind(ts(before))
    .execute(conn)
    .await
    .op("anonymise old registrations")?;
    Ok(done.rows_affected())
}

/// Removes a ticket's text and identity, keeping that it existed and when: its events
/// lose their text and authors, and which Telegram messages belonged to it.
pub async fn anonymise_ticket(conn: &mut SqliteConnection, id: TicketId) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE tickets SET user_id = -id, first_name = '', question = '', context_node = NULL,
             context_matches = '[]', taken_by_name = NULL WHERE id = ?",
    )
    .bind(id.0)
    .execute(&mut *conn)
    .await
    .op("anonymise a ticket")?;
    sqlx::query("UPDATE ticket_events SET text = NULL, author_id = NULL, author_name = NULL WHERE ticket_id = ?")
        .bind(id.0)
        .execute(&mut *conn)
        .await
        .op("anonymise a ticket's history")?;
    sqlx::query("DELETE FROM ticket_messages WHERE ticket_id = ?")
        .bind(id.0)
        .execute(conn)
        .await
        .op("unlink a ticket's messages")?;
    Ok(())
}

/// Closed tickets closed before `before` that still name someone.
pub async fn closed_before(conn: &mut SqliteConnection, before: Timestamp) -> Result<Vec<TicketId>, StoreError> {
    let ids: Vec<i64> =
        sqlx::query_scalar("SELECT id FROM tickets WHERE status = 'closed' AND closed_at < ? AND user_id > 0")
            .bind(ts(before))
            .fetch_all(conn)
            .await
            .op("find old closed tickets")?;
    Ok(ids.into_iter().map(TicketId).collect())
}

/// A staff member's name goes from the tickets they took and the events they wrote.
pub async fn forget_staff_member(conn: &mut SqliteConnection, user: i64) -> Result<(), StoreError> {
    sqlx::query("UPDATE tickets SET taken_by = NULL, taken_by_name = NULL WHERE taken_by = ?")
        .bind(user)
        .execute(&mut *conn)
        .await
        .op("forget who took tickets")?;
    sqlx::query("UPDATE ticket_events SET author_id = NULL, author_name = NULL WHERE author_id = ?")
        .bind(user)
        .execute(conn)
        .await
        .op("forget who wrote ticket events")?;
    Ok(())
}

/// The links between a person's chat and tickets.
pub async fn unlink_chat(conn: &mut SqliteConnection, chat: crate::ids::ChatId) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM ticket_messages WHERE chat_id = ?")
        .bind(chat.0)
        .execute(conn)
        .await
        .op("unlink a person's messages")?;
    Ok(())
}

/// The office's record that an erasure or anonymisation happened, without whose.
pub async fn log(conn: &mut SqliteConnection, action: &str, detail: &str, now: Timestamp) -> Result<(), StoreError> {
    sqlx::query("INSERT INTO privacy_log (at, action, detail) VALUES (?, ?, ?)")
        .bind(ts(now))
        .bind(action)
        .bind(detail)
        .execute(conn)
        .await
        .op("record an erasure")?;
    Ok(())
}
