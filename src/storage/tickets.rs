//! Tickets, their events and messages, the question log, and learned settings.

use super::{Store, StoreError, outbox, parse_ts, ts};
use crate::lang::Lang;
use crate::message::OutMessage;
use crate::tickets::{Attachment, EventKind, NewTicket, Ticket, TicketEvent, TicketId, TicketStatus};
use jiff::Timestamp;
use sqlx::sqlite::SqliteRow;
use sqlx::{Row, SqliteConnection};

/// The result of asking for a new ticket.
#[derive(Debug)]
pub enum Created {
    Ticket(Box<Ticket>),
    /// The person has reached the day's limit of new tickets.
    LimitReached,
}

/// The result of closing a ticket.
#[derive(Debug)]
pub enum Closed {
    Now(Box<Ticket>),
    /// It was closed before; nothing was done.
    Already(Box<Ticket>),
}

/// What staff send a person as an answer.
#[derive(Clone, Debug)]
pub enum Answer {
    Text(String),
    File {
        of: crate::message::CopyOf,
        label: String,
        caption: Option<String>,
    },
}

/// Counts one new question against a person's daily limit: `false` (and nothing
/// counted) when the limit is reached. The count is kept under a keyed hash of the
/// person's id with a random key of the office day, so that it names nobody and an
/// erasure (which removes the person's id from their tickets) cannot reset it. Keys
/// and counts of earlier days are deleted: a key lives one day.
async fn quota_take(
    conn: &mut SqliteConnection,
    day: jiff::civil::Date,
    user: i64,
    per_day: u32,
) -> Result<bool, StoreError> {
    let day = day.to_string();
    sqlx::query("DELETE FROM ticket_quota_keys WHERE day != ?")
        .bind(&day)
        .execute(&mut *conn)
        .await?;
    sqlx::query("DELETE FROM ticket_quota WHERE day != ?")
        .bind(&day)
        .execute(&mut *conn)
        .await?;
    let key: Option<Vec<u8>> = sqlx::query_scalar("SELECT key FROM ticket_quota_keys WHERE day = ?")
        .bind(&day)
        .fetch_optional(&mut *conn)
        .await?;
    let key = match key {
        Some(key) => key,
        None => {
            let mut key = vec![0u8; 32];
            getrandom::getrandom(&mut key).map_err(|e| StoreError::Corrupt(format!("no randomness for a key: {e}")))?;
            sqlx::query("INSERT INTO ticket_quota_keys (day, key) VALUES (?, ?)")
                .bind(&day)
                .bind(&key)
                .execute(&mut *conn)
                .await?;
            key
        }
    };
    let tag = crate::tickets::quota_tag(&key, user);
    let count: i64 = sqlx::query_scalar("SELECT count FROM ticket_quota WHERE day = ? AND tag = ?")
        .bind(&day)
        .bind(&tag)
        .fetch_optional(&mut *conn)
        .await?
        .unwrap_or(0);
    if count >= per_day as i64 {
        return Ok(false);
    }
    sqlx::query(
        "INSERT INTO ticket_quota (day, tag, count) VALUES (?, ?, 1)
         ON CONFLICT (day, tag) DO UPDATE SET count = count + 1",
    )
    .bind(&day)
    .bind(&tag)
    .execute(&mut *conn)
    .await?;
    Ok(true)
}

/// Who acts on a ticket.
#[derive(Clone, Debug)]
pub struct Actor {
    pub id: i64,
    pub name: String,
}

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
        user: row.try_get("user_id")?,
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

async fn ticket_in(conn: &mut SqliteConnection, id: TicketId) -> Result<Option<Ticket>, StoreError> {
    let row = sqlx::query("SELECT * FROM tickets WHERE id = ?")
        .bind(id.0)
        .fetch_optional(conn)
        .await?;
    row.as_ref().map(ticket_from).transpose()
}

async fn event_in(
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
    .await?;
    Ok(())
}

impl Store {
    /// Stores a new ticket, its first event and its post to the staff chat in one
    /// transaction: the question is safe before anything is sent. `day_start` is the
    /// start of the person's office day, for the daily limit.
    #[tracing::instrument(skip(self, new, staff_post, file_post), fields(user = new.user))]
    #[allow(clippy::too_many_arguments)]
    pub async fn create_ticket(
        &self,
        new: &NewTicket,
        now: Timestamp,
        day: jiff::civil::Date,
        per_day: u32,
        staff_post: impl Fn(&Ticket) -> OutMessage,
        file_post: impl Fn(&Ticket, &Attachment) -> OutMessage,
    ) -> Result<Created, StoreError> {
        let mut tx = self.immediate().await?;
        if !quota_take(&mut tx, day, new.user, per_day).await? {
            return Ok(Created::LimitReached);
        }
        let matches = serde_json::to_string(&new.context_matches).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO tickets (user_id, first_name, lang, question, context_node, context_matches, status, created_at, last_activity_at)
             VALUES (?, ?, ?, ?, ?, ?, 'open', ?, ?) RETURNING id",
        )
        .bind(new.user)
        .bind(&new.first_name)
        .bind(new.lang.code())
        .bind(new.question.as_str())
        .bind(&new.context_node)
        .bind(matches)
        .bind(ts(now))
        .bind(ts(now))
        .fetch_one(&mut *tx)
        .await?;
        let asker = Actor {
            id: new.user,
            name: new.first_name.clone(),
        };
        event_in(
            &mut tx,
            TicketId(id),
            EventKind::Question,
            Some(&asker),
            Some(new.question.as_str()),
            now,
        )
        .await?;
        let ticket = ticket_in(&mut tx, TicketId(id))
            .await?
            .ok_or_else(|| StoreError::Corrupt("new ticket vanished".into()))?;
        outbox::enqueue_in(&mut tx, &staff_post(&ticket), now).await?;
        for file in &new.attachments {
            let label = file.kind.label(Lang::En);
            event_in(&mut tx, TicketId(id), EventKind::File, Some(&asker), Some(&label), now).await?;
            outbox::enqueue_in(&mut tx, &file_post(&ticket, file), now).await?;
        }
        tx.commit().await?;
        Ok(Created::Ticket(Box::new(ticket)))
    }

    pub async fn ticket(&self, id: TicketId) -> Result<Option<Ticket>, StoreError> {
        let mut conn = self.pool.acquire().await?;
        ticket_in(&mut conn, id).await
    }

    pub async fn ticket_events(&self, id: TicketId) -> Result<Vec<TicketEvent>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, at, kind, author_id, author_name, text FROM ticket_events WHERE ticket_id = ? ORDER BY id",
        )
        .bind(id.0)
        .fetch_all(&self.pool)
        .await?;
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

    /// Tickets with this status (all when `None`), oldest first.
    pub async fn tickets(&self, status: Option<TicketStatus>) -> Result<Vec<Ticket>, StoreError> {
        let rows = match status {
            Some(s) => {
                sqlx::query("SELECT * FROM tickets WHERE status = ? ORDER BY created_at, id")
                    .bind(s.code())
                    .fetch_all(&self.pool)
                    .await?
            }
            None => {
                sqlx::query("SELECT * FROM tickets ORDER BY created_at, id")
                    .fetch_all(&self.pool)
                    .await?
            }
        };
        rows.iter().map(ticket_from).collect()
    }

    /// A person's tickets, newest first.
    pub async fn tickets_of(&self, user: i64) -> Result<Vec<Ticket>, StoreError> {
        let rows = sqlx::query("SELECT * FROM tickets WHERE user_id = ? ORDER BY created_at DESC, id DESC LIMIT 20")
            .bind(user)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(ticket_from).collect()
    }

    /// Records staff's answer (a text, or a file relayed) and queues it to the person,
    /// in one transaction, dropping the draft it came from. `to_person` sees the ticket
    /// as it was before this answer (to tell a first answer from an addition). `None`
    /// when there is no such ticket.
    #[tracing::instrument(skip(self, answer, to_person))]
    pub async fn answer_ticket(
        &self,
        id: TicketId,
        staff: &Actor,
        answer: &Answer,
        now: Timestamp,
        draft: Option<(i64, i64)>,
        to_person: impl Fn(&Ticket) -> OutMessage,
    ) -> Result<Option<Ticket>, StoreError> {
        let mut tx = self.immediate().await?;
        let Some(before) = ticket_in(&mut tx, id).await? else {
            return Ok(None);
        };
        sqlx::query(
            "UPDATE tickets SET status = 'answered', first_answered_at = COALESCE(first_answered_at, ?), closed_at = NULL WHERE id = ?",
        )
        .bind(ts(now))
        .bind(id.0)
        .execute(&mut *tx)
        .await?;
        let (kind, text) = match answer {
            Answer::Text(text) => (EventKind::Answer, text.clone()),
            Answer::File { label, caption, .. } => (
                EventKind::File,
                match caption {
                    Some(c) => format!("{label}: {c}"),
                    None => label.clone(),
                },
            ),
        };
        event_in(&mut tx, id, kind, Some(staff), Some(&text), now).await?;
        if let Some((user, chat)) = draft {
            sqlx::query("DELETE FROM staff_drafts WHERE user_id = ? AND chat_id = ?")
                .bind(user)
                .bind(chat)
                .execute(&mut *tx)
                .await?;
        }
        outbox::enqueue_in(&mut tx, &to_person(&before), now).await?;
        let ticket = ticket_in(&mut tx, id)
            .await?
            .ok_or_else(|| StoreError::Corrupt("ticket vanished".into()))?;
        tx.commit().await?;
        Ok(Some(ticket))
    }

    /// The person adds to their ticket: it opens again and staff are told.
    #[tracing::instrument(skip(self, text, to_staff))]
    pub async fn follow_up(
        &self,
        id: TicketId,
        user: i64,
        text: &str,
        kind: EventKind,
        now: Timestamp,
        to_staff: impl Fn(&Ticket) -> OutMessage,
    ) -> Result<Option<Ticket>, StoreError> {
        let mut tx = self.immediate().await?;
        let Some(before) = ticket_in(&mut tx, id).await?.filter(|t| t.user == user) else {
            return Ok(None);
        };
        sqlx::query("UPDATE tickets SET status = 'open', last_activity_at = ?, closed_at = NULL, staff_reminded_at = NULL WHERE id = ?")
            .bind(ts(now))
            .bind(id.0)
            .execute(&mut *tx)
            .await?;
        let asker = Actor {
            id: user,
            name: before.first_name.clone(),
        };
        event_in(&mut tx, id, kind, Some(&asker), Some(text), now).await?;
        let ticket = ticket_in(&mut tx, id)
            .await?
            .ok_or_else(|| StoreError::Corrupt("ticket vanished".into()))?;
        outbox::enqueue_in(&mut tx, &to_staff(&ticket), now).await?;
        tx.commit().await?;
        Ok(Some(ticket))
    }

    /// A staff member takes a ticket; the staff chat is told.
    pub async fn take_ticket(
        &self,
        id: TicketId,
        staff: &Actor,
        now: Timestamp,
        note: impl Fn(&Ticket) -> OutMessage,
    ) -> Result<Option<Ticket>, StoreError> {
        let mut tx = self.immediate().await?;
        let done = sqlx::query("UPDATE tickets SET taken_by = ?, taken_by_name = ? WHERE id = ?")
            .bind(staff.id)
            .bind(&staff.name)
            .bind(id.0)
            .execute(&mut *tx)
            .await?;
        if done.rows_affected() == 0 {
            return Ok(None);
        }
        event_in(&mut tx, id, EventKind::Take, Some(staff), None, now).await?;
        let ticket = ticket_in(&mut tx, id)
            .await?
            .ok_or_else(|| StoreError::Corrupt("ticket vanished".into()))?;
        outbox::enqueue_in(&mut tx, &note(&ticket), now).await?;
        tx.commit().await?;
        Ok(Some(ticket))
    }

    /// Closes a ticket (by staff, or by its own person) and queues the notices that
    /// `notices` gives for it. `None` when there is no such ticket, or it is another
    /// person's; `Closed::Already` (nothing queued) when it was closed before.
    pub async fn close_ticket(
        &self,
        id: TicketId,
        by: &Actor,
        by_person: bool,
        note: Option<&str>,
        now: Timestamp,
        notices: impl Fn(&Ticket) -> Vec<OutMessage>,
    ) -> Result<Option<Closed>, StoreError> {
        let mut tx = self.immediate().await?;
        let Some(before) = ticket_in(&mut tx, id).await? else {
            return Ok(None);
        };
        if by_person && before.user != by.id {
            return Ok(None);
        }
        if before.status == TicketStatus::Closed {
            return Ok(Some(Closed::Already(Box::new(before))));
        }
        sqlx::query("UPDATE tickets SET status = 'closed', closed_at = ? WHERE id = ?")
            .bind(ts(now))
            .bind(id.0)
            .execute(&mut *tx)
            .await?;
        event_in(&mut tx, id, EventKind::Close, Some(by), note, now).await?;
        let ticket = ticket_in(&mut tx, id)
            .await?
            .ok_or_else(|| StoreError::Corrupt("ticket vanished".into()))?;
        for m in notices(&ticket) {
            outbox::enqueue_in(&mut tx, &m, now).await?;
        }
        tx.commit().await?;
        Ok(Some(Closed::Now(Box::new(ticket))))
    }

    /// Records what happened to a message about a ticket (delivered, undeliverable),
    /// with an optional note to the staff chat, in one transaction.
    pub async fn ticket_delivery(
        &self,
        id: TicketId,
        kind: EventKind,
        detail: Option<&str>,
        now: Timestamp,
        note: Option<OutMessage>,
    ) -> Result<(), StoreError> {
        let mut tx = self.immediate().await?;
        event_in(&mut tx, id, kind, None, detail, now).await?;
        if let Some(note) = note {
            outbox::enqueue_in(&mut tx, &note, now).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Marks a staff reminder sent and queues it, in one transaction.
    pub async fn remind_staff(&self, id: TicketId, now: Timestamp, message: &OutMessage) -> Result<(), StoreError> {
        let mut tx = self.immediate().await?;
        sqlx::query("UPDATE tickets SET staff_reminded_at = ? WHERE id = ?")
            .bind(ts(now))
            .bind(id.0)
            .execute(&mut *tx)
            .await?;
        outbox::enqueue_in(&mut tx, message, now).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Remembers that a Telegram message belongs to a ticket. A message in a person's
    /// chat is linked only while the ticket is still theirs: an answer delivered while
    /// its person was being erased must not tie their id to the ticket again.
    pub async fn link_message(&self, chat: i64, message: i64, ticket: TicketId) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT OR IGNORE INTO ticket_messages (chat_id, message_id, ticket_id)
             SELECT ?, ?, ? WHERE ? < 0 OR EXISTS (SELECT 1 FROM tickets WHERE id = ? AND user_id = ?)",
        )
        .bind(chat)
        .bind(message)
        .bind(ticket.0)
        .bind(chat)
        .bind(ticket.0)
        .bind(chat)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The ticket a Telegram message belongs to, if any.
    pub async fn ticket_of_message(&self, chat: i64, message: i64) -> Result<Option<TicketId>, StoreError> {
        let id: Option<i64> =
            sqlx::query_scalar("SELECT ticket_id FROM ticket_messages WHERE chat_id = ? AND message_id = ?")
                .bind(chat)
                .bind(message)
                .fetch_optional(&self.pool)
                .await?;
        Ok(id.map(TicketId))
    }

    /// The ticket's first post in this chat: later staff messages reply to it.
    pub async fn first_message_of(&self, ticket: TicketId, chat: i64) -> Result<Option<i64>, StoreError> {
        Ok(
            sqlx::query_scalar("SELECT MIN(message_id) FROM ticket_messages WHERE ticket_id = ? AND chat_id = ?")
                .bind(ticket.0)
                .bind(chat)
                .fetch_one(&self.pool)
                .await?,
        )
    }

    pub async fn setting(&self, key: &str) -> Result<Option<String>, StoreError> {
        Ok(sqlx::query_scalar("SELECT value FROM settings WHERE key = ?")
            .bind(key)
            .fetch_optional(&self.pool)
            .await?)
    }

    pub async fn set_setting(&self, key: &str, value: &str) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        )
        .bind(key)
        .bind(value)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Logs a free-text question and how it was understood.
    #[allow(clippy::too_many_arguments)]
    pub async fn log_question(
        &self,
        now: Timestamp,
        user: i64,
        lang: Lang,
        text: &str,
        normalized: &str,
        decision: &str,
        top: Option<(&str, f32)>,
    ) -> Result<(), StoreError> {
        sqlx::query("INSERT INTO questions (at, user_id, lang, text, normalized, decision, top_id, top_score) VALUES (?, ?, ?, ?, ?, ?, ?, ?)")
            .bind(ts(now))
            .bind(user)
            .bind(lang.code())
            .bind(text)
            .bind(normalized)
            .bind(decision)
            .bind(top.map(|t| t.0))
            .bind(top.map(|t| t.1 as f64))
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Figures for /stats; `staff` are not counted among the people served.
    pub async fn stats(&self, staff: &[i64]) -> Result<Stats, StoreError> {
        let users: Vec<i64> = sqlx::query_scalar("SELECT user_id FROM conversations")
            .fetch_all(&self.pool)
            .await?;
        let people = users.iter().filter(|u| !staff.contains(u)).count() as i64;
        let by_decision: Vec<(String, i64)> =
            sqlx::query_as("SELECT decision, COUNT(*) FROM questions GROUP BY decision")
                .fetch_all(&self.pool)
                .await?;
        let count = |d: &str| by_decision.iter().find(|(k, _)| k == d).map_or(0, |(_, n)| *n as u64);
        let by_status: Vec<(String, i64)> = sqlx::query_as("SELECT status, COUNT(*) FROM tickets GROUP BY status")
            .fetch_all(&self.pool)
            .await?;
        let status = |d: &str| by_status.iter().find(|(k, _)| k == d).map_or(0, |(_, n)| *n as u64);
        let answered: Vec<(String, String)> =
            sqlx::query_as("SELECT created_at, first_answered_at FROM tickets WHERE first_answered_at IS NOT NULL")
                .fetch_all(&self.pool)
                .await?;
        let mut waits: Vec<i64> = answered
            .into_iter()
            .filter_map(|(a, b)| Some(parse_ts(b).ok()?.duration_since(parse_ts(a).ok()?).as_secs()))
            .collect();
        waits.sort_unstable();
        let percentile = |p: f64| -> Option<i64> {
            if waits.is_empty() {
                return None;
            }
            let i = ((waits.len() as f64 * p).ceil() as usize).clamp(1, waits.len()) - 1;
            Some(waits[i])
        };
        let unanswered: Vec<(String, i64, String)> = sqlx::query_as(
            "SELECT normalized, COUNT(*) AS n, MIN(text) FROM questions WHERE decision = 'escalate' AND normalized != ''
             GROUP BY normalized ORDER BY n DESC, normalized LIMIT 10",
        )
        .fetch_all(&self.pool)
        .await?;
        Ok(Stats {
            people: people as u64,
            answered: count("answer"),
            suggested: count("suggest"),
            escalated: count("escalate"),
            tickets_open: status("open"),
            tickets_answered: status("answered"),
            tickets_closed: status("closed"),
            median_first_answer_secs: percentile(0.5),
            p90_first_answer_secs: percentile(0.9),
            top_unanswered: unanswered
                .into_iter()
                .map(|(n, c, example)| (n, c as u64, example))
                .collect(),
        })
    }
}

/// What the office learns from the bot's use.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Stats {
    /// People who have talked to the bot.
    pub people: u64,
    /// Free-text questions answered from the dialogues at once…
    pub answered: u64,
    /// …answered with "did you mean" suggestions…
    pub suggested: u64,
    /// …and those the bot could not answer.
    pub escalated: u64,
    pub tickets_open: u64,
    pub tickets_answered: u64,
    pub tickets_closed: u64,
    pub median_first_answer_secs: Option<i64>,
    pub p90_first_answer_secs: Option<i64>,
    /// The most frequent unanswered questions: normalised form, count, an example.
    pub top_unanswered: Vec<(String, u64, String)>,
}
