//! The background work of `eudesk run`: sending what the outbox holds, and queueing
//! reminders (to attendees, and to staff about waiting tickets) when they fall due.

use super::{Sender, keyboard};
use crate::engine::Engine;
use crate::message::Recipient;
use crate::storage::Pending;
use crate::tickets::TicketId;
use jiff::SignedDuration;
use std::time::Duration;
use teloxide::RequestError;
use teloxide::prelude::*;
use teloxide::types::MessageId;

/// How often the outbox is looked at when it is empty. Messages are also queued by
/// other processes (the command line cancelling a session), so the worker polls; the
/// query is one indexed look-up.
const POLL: Duration = Duration::from_millis(500);

/// How often due reminders are looked for: they are due "the day before" or after
/// hours of waiting, so a minute late is on time.
const REMINDER_TICK: Duration = Duration::from_secs(60);

/// The longest wait between two attempts at one message.
const MAX_BACKOFF: SignedDuration = SignedDuration::from_mins(15);

/// While STAFF_CHAT_ID is not set, staff messages wait this long between looks.
const NO_STAFF_CHAT_RETRY: SignedDuration = SignedDuration::from_mins(1);

/// What to do after a failed send.
enum Failure {
    /// Try again after this long.
    Retry(SignedDuration),
    /// Telegram refused for good (blocked, chat gone, a request it will never accept).
    Final,
}

fn classify(err: &RequestError, attempts: u32) -> Failure {
    match err {
        RequestError::RetryAfter(wait) => Failure::Retry(SignedDuration::from_secs(wait.seconds() as i64)),
        // Answers about the request itself (blocked, chat not found, bad request):
        // sending it again would get the same answer.
        // The network, a proxy's error page, a Telegram outage (also answered as JSON):
        // try again, waiting longer each time (5 s, 10 s, 20 s … up to 15 minutes).
        err if super::transient(err) => {
            Failure::Retry(SignedDuration::from_secs(5 * 2i64.pow(attempts.min(10))).min(MAX_BACKOFF))
        }
        RequestError::Api(_) => Failure::Final,
        _ => Failure::Retry(SignedDuration::from_secs(5 * 2i64.pow(attempts.min(10))).min(MAX_BACKOFF)),
    }
}

/// Why a message could not be sent this time.
enum SendError {
    /// STAFF_CHAT_ID is not known yet.
    NoStaffChat,
    Telegram(RequestError),
}

async fn send(sender: &Sender, engine: &Engine, pending: &Pending) -> Result<(i64, MessageId), SendError> {
    let m = &pending.message;
    let chat = match m.to {
        Recipient::Chat(chat) => chat,
        Recipient::Staff => engine.staff_chat().await.ok().flatten().ok_or(SendError::NoStaffChat)?,
    };
    let reply_to = match m.reply_to_ticket {
        Some(ticket) => engine
            .store()
            .first_message_of(TicketId(ticket), chat)
            .await
            .ok()
            .flatten()
            .map(|id| MessageId(id as i32)),
        None => None,
    };
    let sent = match (&m.document, m.copy) {
        (_, Some(of)) => {
            sender
                .copy(ChatId(chat), of, &m.html, keyboard(&m.keyboard), reply_to)
                .await
        }
        (Some(document), None) => sender.send_document(ChatId(chat), document, &m.html).await,
        (None, None) => {
            sender
                .send_reply(ChatId(chat), &m.html, keyboard(&m.keyboard), reply_to)
                .await
        }
    };
    sent.map(|id| (chat, id)).map_err(SendError::Telegram)
}

/// Sends due outbox messages until the task is stopped. A message leaves the outbox
/// only when Telegram accepted it or refused it for good.
pub async fn deliver(sender: Sender, engine: Engine, mut stop: tokio::sync::watch::Receiver<bool>) {
    let store = engine.store().clone();
    while !*stop.borrow() {
        let due = match store.due_messages(engine.now(), 32).await {
            Ok(due) => due,
            Err(err) => {
                tracing::error!(%err, "could not read the outbox");
                tokio::time::sleep(POLL * 4).await;
                continue;
            }
        };
        if due.is_empty() {
            tokio::select! {
                _ = tokio::time::sleep(POLL) => {}
                _ = stop.changed() => {}
            }
            continue;
        }
        for pending in due {
            // Stopping: between messages, never in the middle of one.
            if *stop.borrow() {
                return;
            }
            if let Err(err) = deliver_one(&sender, &engine, &pending).await {
                tracing::error!(%err, id = pending.id.0, "could not record an outbox result");
            }
        }
    }
}

async fn deliver_one(sender: &Sender, engine: &Engine, pending: &Pending) -> anyhow::Result<()> {
    let store = engine.store();
    let result = send(sender, engine, pending).await;
    let now = engine.now();
    match result {
        Ok((chat, message)) => {
            store.message_sent(pending.id, now).await?;
            engine.delivered(pending, chat, message.0 as i64).await?;
        }
        Err(SendError::NoStaffChat) => {
            tracing::warn!(
                id = pending.id.0,
                "a message for the staff chat waits: STAFF_CHAT_ID is not set"
            );
            let next = now.checked_add(NO_STAFF_CHAT_RETRY).unwrap_or(now);
            store
                .message_retry(pending.id, next, "STAFF_CHAT_ID is not set")
                .await?;
        }
        Err(SendError::Telegram(RequestError::MigrateToChatId(to))) => {
            // The group became a supergroup: follow it and send again at once.
            // Only groups move, and the only group the bot writes to is the staff chat.
            if pending.message.to == Recipient::Staff
                && let Some(from) = engine.staff_chat().await?
            {
                engine.staff_chat_moved(from, to.0).await?;
            }
            store
                .message_retry(pending.id, now, "the chat moved to a supergroup")
                .await?;
        }
        Err(SendError::Telegram(err)) => match classify(&err, pending.attempts) {
            Failure::Retry(wait) => {
                tracing::warn!(%err, id = pending.id.0, attempts = pending.attempts + 1, "sending failed; will retry");
                let next = now.checked_add(wait).unwrap_or(now);
                store.message_retry(pending.id, next, &err.to_string()).await?;
            }
            Failure::Final => {
                tracing::warn!(%err, id = pending.id.0, "Telegram refused a message for good");
                store.message_failed(pending.id, &err.to_string()).await?;
                engine.undeliverable(pending, &err.to_string()).await?;
            }
        },
    }
    Ok(())
}

/// Queues due reminders every `REMINDER_TICK`, starting at once (a restart catches up
/// on what it missed while down).
pub async fn remind(engine: Engine) {
    loop {
        match engine.queue_due_reminders().await {
            Ok(0) => {}
            Ok(n) => tracing::info!(reminders = n, "reminders queued"),
            Err(err) => tracing::error!(%err, "could not queue reminders"),
        }
        let two_days_ago = engine
            .now()
            .checked_sub(SignedDuration::from_hours(48))
            .unwrap_or(engine.now());
        if let Err(err) = engine.store().prune_updates(two_days_ago).await {
            tracing::error!(%err, "could not prune old update ids");
        }
        match engine.apply_retention().await {
            Ok((0, 0)) => {}
            Ok((registrations, tickets)) => tracing::info!(registrations, tickets, "old records anonymised"),
            Err(err) => tracing::error!(%err, "could not anonymise old records"),
        }
        match engine.expire_drafts().await {
            Ok(0) => {}
            Ok(n) => tracing::info!(drafts = n, "unsent staff answers expired"),
            Err(err) => tracing::error!(%err, "could not expire staff answers"),
        }
        match engine.remind_staff().await {
            Ok(0) => {}
            Ok(n) => tracing::info!(tickets = n, "staff reminded of waiting tickets"),
            Err(err) => tracing::error!(%err, "could not remind staff of waiting tickets"),
        }
        tokio::time::sleep(REMINDER_TICK).await;
    }
}
