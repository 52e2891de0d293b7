//! Erasing a person (KVKK: the right to have one's data deleted) and anonymising old
//! records after the retention period.

use super::trainings::promote_waitlist;
use super::{Store, StoreError, ts};
use crate::message::OutMessage;
use crate::trainings::{Registration, Session};
use jiff::Timestamp;
use sqlx::SqliteConnection;

/// What an erasure touched.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Erased {
    /// Upcoming registrations cancelled (their seats passed to the waitlist).
    pub cancelled: u64,
    /// Registrations anonymised (all of the person's).
    pub registrations: u64,
    /// Tickets anonymised.
    pub tickets: u64,
}

/// The values anonymised rows carry: valid for their types (a registration must still
/// read back), saying nothing about anyone.
const NAME: &str = "anonim";
const EMAIL: &str = "anonim@anonim.invalid";

/// Anonymises the registrations `filter` selects (SQL over `registrations r`), taking
/// their user ids out of the Telegram id space (the row id, negated, stays unique).
async fn anonymise_registrations(
    conn: &mut SqliteConnection,
    filter: &str,
    bind: Bind,
    now: Timestamp,
) -> Result<u64, StoreError> {
    let sql = format!(
        "UPDATE registrations SET user_id = -id, name = ?, organisation = ?, email = ?, phone = NULL,
             consent_withdrawn_at = COALESCE(consent_withdrawn_at, ?)
         WHERE user_id > 0 AND {filter}"
    );
    let query = sqlx::query(&sql).bind(NAME).bind(NAME).bind(EMAIL).bind(ts(now));
    let query = match bind {
        Bind::User(user) => query.bind(user),
        Bind::Time(t) => query.bind(ts(t)),
    };
    Ok(query.execute(&mut *conn).await?.rows_affected())
}

/// The one value an anonymising filter takes.
enum Bind {
    User(i64),
    Time(Timestamp),
}

/// Removes a set of tickets' text and identity, keeping that they existed and when.
async fn anonymise_tickets(conn: &mut SqliteConnection, ids: &[i64]) -> Result<(), StoreError> {
    for id in ids {
        sqlx::query(
            "UPDATE tickets SET user_id = -id, first_name = '', question = '', context_node = NULL,
                 context_matches = '[]', taken_by_name = NULL WHERE id = ?",
        )
        .bind(id)
        .execute(&mut *conn)
        .await?;
        sqlx::query("UPDATE ticket_events SET text = NULL, author_id = NULL, author_name = NULL WHERE ticket_id = ?")
            .bind(id)
            .execute(&mut *conn)
            .await?;
        sqlx::query("DELETE FROM ticket_messages WHERE ticket_id = ?")
            .bind(id)
            .execute(&mut *conn)
            .await?;
        // Messages about the ticket (every piece of a long post, files relayed): not
        // sent yet, they are dropped; sent, their text goes (the outbox keeps that
        // something was sent).
        sqlx::query("DELETE FROM outbox WHERE state = 'pending' AND ticket_id = ?")
            .bind(id)
            .execute(&mut *conn)
            .await?;
        sqlx::query(
            "UPDATE outbox SET html = '', keyboard = NULL, file_name = NULL, file_bytes = NULL, last_error = NULL,
                 copy_from_chat = NULL, copy_message_id = NULL WHERE ticket_id = ?",
        )
        .bind(id)
        .execute(&mut *conn)
        .await?;
        // A staff answer being written to the person may name them.
        sqlx::query("DELETE FROM staff_drafts WHERE ticket_id = ?")
            .bind(id)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

impl Store {
    /// Erases everything the bot holds about a person, in one transaction: their
    /// upcoming registrations are cancelled (the waitlist moves up, told through the
    /// outbox), every registration and ticket is anonymised, their questions lose their
    /// text, their conversation and every message to them are deleted. Afterwards no
    /// table holds their Telegram id or anything they wrote.
    #[tracing::instrument(skip(self, promoted_notice))]
    pub async fn forget(
        &self,
        user: i64,
        now: Timestamp,
        promoted_notice: impl Fn(&Registration, &Session, Timestamp) -> OutMessage + Sync,
    ) -> Result<Erased, StoreError> {
        let mut tx = self.immediate().await?;
        let mut erased = Erased::default();
        // Upcoming seats are freed first, so that the waitlist moves up.
        let upcoming: Vec<(i64, i64, String)> = sqlx::query_as(
            "SELECT r.id, r.session_id, r.status FROM registrations r JOIN sessions s ON s.id = r.session_id
             WHERE r.user_id = ? AND r.status != 'cancelled' AND s.starts_at > ?",
        )
        .bind(user)
        .bind(ts(now))
        .fetch_all(&mut *tx)
        .await?;
        for (id, session, status) in upcoming {
            sqlx::query("UPDATE registrations SET status = 'cancelled', cancelled_at = ? WHERE id = ?")
                .bind(ts(now))
                .bind(id)
                .execute(&mut *tx)
                .await?;
            erased.cancelled += 1;
            if status == "confirmed" {
                promote_waitlist(&mut tx, crate::trainings::SessionId(session), now, &promoted_notice).await?;
            }
        }
        erased.registrations = anonymise_registrations(&mut tx, "user_id = ?", Bind::User(user), now).await?;
        let tickets: Vec<i64> = sqlx::query_scalar("SELECT id FROM tickets WHERE user_id = ?")
            .bind(user)
            .fetch_all(&mut *tx)
            .await?;
        // Open questions cannot be answered any more: they are closed, and the history
        // says why (staff who try to answer one are told).
        for id in &tickets {
            let open =
                sqlx::query("UPDATE tickets SET status = 'closed', closed_at = ? WHERE id = ? AND status != 'closed'")
                    .bind(ts(now))
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
            if open.rows_affected() > 0 {
                sqlx::query("INSERT INTO ticket_events (ticket_id, at, kind) VALUES (?, ?, 'erased')")
                    .bind(id)
                    .bind(ts(now))
                    .execute(&mut *tx)
                    .await?;
            }
        }
        anonymise_tickets(&mut tx, &tickets).await?;
        erased.tickets = tickets.len() as u64;
        // Their name may also stand on tickets they took or answered as staff.
        sqlx::query("UPDATE tickets SET taken_by = NULL, taken_by_name = NULL WHERE taken_by = ?")
            .bind(user)
            .execute(&mut *tx)
            .await?;
        sqlx::query("UPDATE ticket_events SET author_id = NULL, author_name = NULL WHERE author_id = ?")
            .bind(user)
            .execute(&mut *tx)
            .await?;
        sqlx::query("UPDATE questions SET user_id = 0, text = '', normalized = '' WHERE user_id = ?")
            .bind(user)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM ticket_messages WHERE chat_id = ?")
            .bind(user)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM outbox WHERE chat_id = ? AND to_staff = 0")
            .bind(user)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM conversations WHERE user_id = ?")
            .bind(user)
            .execute(&mut *tx)
            .await?;
        let detail = format!(
            "registrations cancelled: {}, anonymised: {}; tickets anonymised: {}",
            erased.cancelled, erased.registrations, erased.tickets
        );
        sqlx::query("INSERT INTO privacy_log (at, action, detail) VALUES (?, 'forget', ?)")
            .bind(ts(now))
            .bind(detail)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(erased)
    }

    /// Anonymises what has been kept long enough: registrations of sessions that ended
    /// before `before`, and tickets closed before it. Returns (registrations, tickets).
    pub async fn apply_retention(&self, before: Timestamp, now: Timestamp) -> Result<(u64, u64), StoreError> {
        let mut tx = self.immediate().await?;
        let registrations = anonymise_registrations(
            &mut tx,
            "session_id IN (SELECT id FROM sessions WHERE ends_at < ?)",
            Bind::Time(before),
            now,
        )
        .await?;
        let tickets: Vec<i64> =
            sqlx::query_scalar("SELECT id FROM tickets WHERE status = 'closed' AND closed_at < ? AND user_id > 0")
                .bind(ts(before))
                .fetch_all(&mut *tx)
                .await?;
        anonymise_tickets(&mut tx, &tickets).await?;
        // The outbox is a queue, not an archive: what it delivered (or gave up on) long
        // ago goes, with the names, dates and places its texts carried.
        sqlx::query("DELETE FROM outbox WHERE state != 'pending' AND created_at < ?")
            .bind(ts(before))
            .execute(&mut *tx)
            .await?;
        // Old questions keep how they were answered (for the statistics), not what was typed.
        sqlx::query("UPDATE questions SET user_id = 0, text = '', normalized = '' WHERE at < ? AND user_id != 0")
            .bind(ts(before))
            .execute(&mut *tx)
            .await?;
        if registrations > 0 || !tickets.is_empty() {
            let detail = format!(
                "registrations anonymised: {registrations}; tickets anonymised: {}",
                tickets.len()
            );
            sqlx::query("INSERT INTO privacy_log (at, action, detail) VALUES (?, 'retention', ?)")
                .bind(ts(now))
                .bind(detail)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok((registrations, tickets.len() as u64))
    }
}
