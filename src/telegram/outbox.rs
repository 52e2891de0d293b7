//! Delivering the outbox: what the core owes people, sent to Telegram until it is
//! accepted or refused for good. A message too long for Telegram is cut here, and sent
//! piece by piece with its progress saved, so a retry goes on from the next piece.

use super::handlers::keyboard;
use super::sender::Sender;
use super::split::{TELEGRAM_LIMIT, split_html};
use super::staff_chat::StaffChat;
use crate::engine::Engine;
use crate::ids::{ChatId, MessageId, MessageRef};
use crate::message::Recipient;
use crate::storage::{Pending, outbox, tickets};
use jiff::SignedDuration;
use std::time::Duration;
use teloxide::RequestError;
use teloxide::prelude::ChatId as TgChatId;
use teloxide::types::MessageId as TgMessageId;

/// How often the outbox is looked at when it is empty. Messages are also queued by
/// other processes (the command line cancelling a session), so the worker polls; the
/// query is one indexed look-up.
const POLL: Duration = Duration::from_millis(500);

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
    let backoff = SignedDuration::from_secs(5 * 2i64.pow(attempts.min(10))).min(MAX_BACKOFF);
    match err {
        RequestError::RetryAfter(wait) => Failure::Retry(SignedDuration::from_secs(wait.seconds() as i64)),
        // The network, a proxy's error page, a Telegram outage (also answered as JSON):
        // try again, waiting longer each time (5 s, 10 s, 20 s … up to 15 minutes).
        err if super::transient(err) => Failure::Retry(backoff),
        // Answers about the request itself (blocked, chat not found, bad request):
        // sending it again would get the same answer.
        RequestError::Api(_) => Failure::Final,
        _ => Failure::Retry(backoff),
    }
}

/// Why a message could not be sent this time.
enum SendError {
    /// STAFF_CHAT_ID is not known yet.
    NoStaffChat,
    Telegram(RequestError),
}

/// Sends one outbox message (the pieces not sent yet); where each piece landed.
async fn send(
    sender: &Sender,
    engine: &Engine,
    staff: &StaffChat,
    pending: &Pending,
) -> Result<Vec<MessageRef>, SendError> {
    let m = &pending.message;
    let chat = match m.to {
        Recipient::Chat(chat) => chat,
        Recipient::Staff => ChatId(staff.current().await.ok().flatten().ok_or(SendError::NoStaffChat)?),
    };
    let tg_chat = TgChatId(chat.0);
    let reply_to = match m.reply_to_ticket {
        Some(ticket) => engine
            .store()
            .read(async |c| tickets::first_message_of(c, ticket, chat).await)
            .await
            .ok()
            .flatten()
            .map(|id| TgMessageId(id.0 as i32)),
        None => None,
    };
    let landed = |id: TgMessageId| MessageRef::new(chat, MessageId(id.0 as i64));
    if let Some(of) = m.copy {
        return sender
            .copy(tg_chat, of, &m.html, keyboard(&m.keyboard), reply_to)
            .await
            .map(|id| vec![landed(id)])
            .map_err(SendError::Telegram);
    }
    if let Some(document) = &m.document {
        return sender
            .send_document(tg_chat, document, &m.html)
            .await
            .map(|id| vec![landed(id)])
            .map_err(SendError::Telegram);
    }
    // Too long for one message: several, the buttons under the last; each piece sent
    // is recorded, so a failure part-way goes on from the next piece.
    let pieces = split_html(&m.html, TELEGRAM_LIMIT);
    let last = pieces.len() - 1;
    let mut out = Vec::new();
    for (i, piece) in pieces.iter().enumerate().skip(pending.pieces_sent as usize) {
        let markup = if i == last { keyboard(&m.keyboard) } else { None };
        let id = sender
            .send_reply(tg_chat, piece, markup, reply_to)
            .await
            .map_err(SendError::Telegram)?;
        out.push(landed(id));
        if i < last {
            // Recorded now, with the piece's link to its ticket (staff may reply to the
            // first piece before the rest is out).
            let sent = (i + 1) as u32;
            let ticket = m.ticket;
            let record = engine
                .store()
                .write(async |c| {
                    outbox::mark_pieces_sent(c, pending.id, sent).await?;
                    if let Some(ticket) = ticket {
                        tickets::link_message(c, landed(id), ticket).await?;
                    }
                    Ok(())
                })
                .await;
            if let Err(err) = record {
                tracing::error!(%err, "could not record a piece of a long message as sent");
            }
        }
    }
    Ok(out)
}

/// Sends due outbox messages until the task is stopped. A message leaves the outbox
/// only when Telegram accepted it or refused it for good.
pub async fn deliver(sender: Sender, engine: Engine, staff: StaffChat, mut stop: tokio::sync::watch::Receiver<bool>) {
    while !*stop.borrow() {
        let due = match engine.store().due_messages(engine.now(), 32).await {
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
            if let Err(err) = deliver_one(&sender, &engine, &staff, &pending).await {
                tracing::error!(%err, id = pending.id.0, "could not record an outbox result");
            }
        }
    }
}

async fn deliver_one(sender: &Sender, engine: &Engine, staff: &StaffChat, pending: &Pending) -> anyhow::Result<()> {
    let result = send(sender, engine, staff, pending).await;
    let now = engine.now();
    let store = engine.store();
    match result {
        Ok(landed) => {
            store
                .write(async |c| outbox::mark_sent(c, pending.id, now).await)
                .await?;
            engine.delivered(pending, &landed).await?;
        }
        Err(SendError::NoStaffChat) => {
            tracing::warn!(
                id = pending.id.0,
                "a message for the staff chat waits: STAFF_CHAT_ID is not set"
            );
            let next = now.checked_add(NO_STAFF_CHAT_RETRY).unwrap_or(now);
            store
                .write(async |c| outbox::mark_retry(c, pending.id, next, "STAFF_CHAT_ID is not set").await)
                .await?;
        }
        Err(SendError::Telegram(RequestError::MigrateToChatId(to))) => {
            // The group became a supergroup: follow it and send again at once.
            // Only groups move, and the only group the bot writes to is the staff chat.
            if pending.message.to == Recipient::Staff
                && let Some(from) = staff.current().await?
            {
                staff.moved(from, to.0).await?;
            }
            store
                .write(async |c| outbox::mark_retry(c, pending.id, now, "the chat moved to a supergroup").await)
                .await?;
        }
        Err(SendError::Telegram(err)) => match classify(&err, pending.attempts) {
            Failure::Retry(wait) => {
                tracing::warn!(%err, id = pending.id.0, attempts = pending.attempts + 1, "sending failed; will retry");
                let next = now.checked_add(wait).unwrap_or(now);
                let error = err.to_string();
                store
                    .write(async |c| outbox::mark_retry(c, pending.id, next, &error).await)
                    .await?;
            }
            Failure::Final => {
                tracing::warn!(%err, id = pending.id.0, "Telegram refused a message for good");
                let error = err.to_string();
                store
                    .write(async |c| outbox::mark_failed(c, pending.id, &error).await)
                    .await?;
                engine.undeliverable(pending, &error).await?;
            }
        },
    }
    Ok(())
}
