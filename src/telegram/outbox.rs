//! The background work of `eudesk run`: sending what the outbox holds, and queueing
//! reminders when they fall due.

use super::{Sender, keyboard};
use crate::engine::Engine;
use crate::storage::Pending;
use jiff::SignedDuration;
use std::time::Duration;
use teloxide::prelude::*;
use teloxide::{ApiError, RequestError};

/// How often the outbox is looked at when it is empty. Messages are also queued by
/// other processes (the command line cancelling a session), so the worker polls; the
/// query is one indexed look-up.
const POLL: Duration = Duration::from_millis(500);

/// How often due reminders are looked for: they are due "the day before", so a minute
/// late is on time.
const REMINDER_TICK: Duration = Duration::from_secs(60);

/// The longest wait between two attempts at one message.
const MAX_BACKOFF: SignedDuration = SignedDuration::from_mins(15);

/// What to do after a failed send.
enum Failure {
    /// Try again after this long.
    Retry(SignedDuration),
    /// Telegram refused for good (blocked, chat gone, a request it will never accept).
    Final,
}

fn classify(err: &RequestError, attempts: u32) -> Failure {
    match err {
        RequestError::RetryAfter(wait) => {
            Failure::Retry(SignedDuration::from_secs(wait.seconds() as i64))
        }
        RequestError::Api(
            ApiError::BotBlocked
            | ApiError::ChatNotFound
            | ApiError::UserDeactivated
            | ApiError::BotKicked
            | ApiError::BotKickedFromSupergroup
            | ApiError::CantInitiateConversation,
        ) => Failure::Final,
        // Other API errors are answers about the request itself: sending it again
        // would get the same answer.
        RequestError::Api(_) | RequestError::MigrateToChatId(_) => Failure::Final,
        // The network, a proxy's error page, a Telegram outage: try again, waiting longer
        // each time (5 s, 10 s, 20 s … up to 15 minutes).
        _ => Failure::Retry(
            SignedDuration::from_secs(5 * 2i64.pow(attempts.min(10))).min(MAX_BACKOFF),
        ),
    }
}

async fn send(sender: &Sender, pending: &Pending) -> Result<(), RequestError> {
    let m = &pending.message;
    let chat = ChatId(m.chat);
    match &m.document {
        Some(document) => {
            sender.send(chat, &m.html, keyboard(&m.keyboard)).await?;
            sender.send_document(chat, document, "").await
        }
        None => sender.send(chat, &m.html, keyboard(&m.keyboard)).await,
    }
}

/// Sends due outbox messages until the task is stopped. A message leaves the outbox
/// only when Telegram accepted it or refused it for good.
pub async fn deliver(sender: Sender, engine: Engine) {
    let store = engine.store().clone();
    loop {
        let now = engine.now();
        let due = match store.due_messages(now, 32).await {
            Ok(due) => due,
            Err(err) => {
                tracing::error!(%err, "could not read the outbox");
                tokio::time::sleep(POLL * 4).await;
                continue;
            }
        };
        if due.is_empty() {
            tokio::time::sleep(POLL).await;
            continue;
        }
        for pending in due {
            let result = send(&sender, &pending).await;
            let now = engine.now();
            let saved = match result {
                Ok(()) => store.message_sent(pending.id, now).await,
                Err(err) => match classify(&err, pending.attempts) {
                    Failure::Retry(wait) => {
                        tracing::warn!(%err, id = pending.id.0, attempts = pending.attempts + 1, "sending failed; will retry");
                        let next = now.checked_add(wait).unwrap_or(now);
                        store
                            .message_retry(pending.id, next, &err.to_string())
                            .await
                    }
                    Failure::Final => {
                        tracing::warn!(%err, id = pending.id.0, chat = pending.message.chat, "Telegram refused a message for good");
                        store.message_failed(pending.id, &err.to_string()).await
                    }
                },
            };
            if let Err(err) = saved {
                tracing::error!(%err, id = pending.id.0, "could not record an outbox result");
            }
        }
    }
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
        tokio::time::sleep(REMINDER_TICK).await;
    }
}
