//! Delivering the outbox: what the core owes people (every reply included), sent to
//! Telegram until it is accepted or refused for good. Each chat is a line: its messages
//! go in order, one at a time, paced by Telegram's limits for that chat; many chats'
//! lines go at once, so a chat that must wait (its limit, a retry) holds up nobody
//! else. The delivery wakes at every commit, so a reply goes out the moment its update
//! is saved. A message too long for Telegram is cut here, and sent piece by piece with
//! its progress saved, so a retry goes on from the next piece.

use super::keyboard::keyboard;
use super::pace::{Class, Pace};
use super::sender::{Sender, jittered, surely_not_delivered};
use super::split::{TELEGRAM_LIMIT, split_html};
use super::staff_chat::StaffChat;
use crate::engine::Engine;
use crate::ids::{ChatId, MessageId, MessageRef};
use crate::message::Recipient;
use crate::storage::outbox::OutboxId;
use crate::storage::{Pending, outbox, tickets};
use jiff::SignedDuration;
use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;
use teloxide::prelude::ChatId as TgChatId;
use teloxide::types::MessageId as TgMessageId;
use teloxide::{ApiError, RequestError};

/// How often the outbox is looked at with no commit to wake it: messages are also
/// queued by other processes (the command line cancelling a session).
const POLL: Duration = Duration::from_millis(500);

/// How long the delivery lets commits gather before it looks at the outbox.
const COALESCE: Duration = Duration::from_millis(1);

/// Chats whose messages are being sent at once. Each is one request waiting on
/// Telegram's answer; the pace, not this, keeps Telegram's limits. At 64 the delivery
/// was what held throughput down (a reply waited for a free place while the database
/// and the CPU idled): 128 gave 3,800 updates/s where 64 gave 2,800; 256 gave 4,000
/// but held 9 MB more in open requests.
const IN_FLIGHT: usize = 128;

/// The first wait after a server error; it doubles with each failure, with jitter.
const FIRST_RETRY: Duration = Duration::from_millis(250);

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
        // Exactly as long as Telegram asks.
        RequestError::RetryAfter(wait) => Failure::Retry(SignedDuration::from_secs(wait.seconds() as i64)),
        // A server error or no connection: the message surely did not arrive, so a
        // quick retry is safe; waiting longer each time (250 ms, 500 ms, 1 s … up to 15
        // minutes, with jitter so that many chats do not come back at the same moment).
        err if surely_not_delivered(err) => Failure::Retry(jittered(FIRST_RETRY, attempts)),
        // A timeout or a dropped answer: it may have arrived. A lost reply is worse than
        // a second copy, so it is sent again, but only after a longer pause (5 s, 10 s …).
        err if super::transient(err) => Failure::Retry(jittered(Duration::from_secs(5), attempts)),
        // Answers about the request itself (blocked, chat not found, bad request):
        // sending it again would get the same answer.
        RequestError::Api(_) => Failure::Final,
        _ => Failure::Retry(jittered(Duration::from_secs(5), attempts)),
    }
}

/// Why a message could not be sent this time.
enum SendError {
    /// STAFF_CHAT_ID is not known yet.
    NoStaffChat,
    Telegram(RequestError),
}

/// The line a message waits in: its chat's.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Line {
    Staff,
    Chat(ChatId),
}

impl Line {
    fn of(to: Recipient) -> Line {
        match to {
            Recipient::Staff => Line::Staff,
            Recipient::Chat(chat) => Line::Chat(chat),
        }
    }
}

/// Sends one outbox message (the pieces not sent yet); where each piece landed. The
/// first piece's place under the limits was taken before; each further piece waits
/// for its own.
async fn send(
    sender: &Sender,
    pace: &Pace,
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
    let pieces = split_html(&m.html, TELEGRAM_LIMIT);
    // A menu shown in place of the one whose button was pressed; one that can no longer
    // be edited (too old, deleted, a file) is sent anew.
    if let (Some(edit), [_]) = (m.edit, pieces.as_slice()) {
        let message = TgMessageId(edit.message.0 as i32);
        match sender.edit(tg_chat, message, &m.html, keyboard(&m.keyboard)).await {
            Ok(()) | Err(RequestError::Api(ApiError::MessageNotModified)) => return Ok(vec![landed(message)]),
            Err(err) if super::transient(&err) || matches!(err, RequestError::RetryAfter(_)) => {
                return Err(SendError::Telegram(err));
            }
            Err(err) => {
                tracing::debug!(%err, "could not edit the menu in place; sending it anew");
                pace.take(chat.0, Class::Owed).await;
            }
        }
    }
    // Too long for one message: several, the buttons under the last; each piece sent
    // is recorded, so a failure part-way goes on from the next piece.
    let last = pieces.len() - 1;
    let mut out = Vec::new();
    let first = pending.pieces_sent as usize;
    for (i, piece) in pieces.iter().enumerate().skip(first) {
        if i > first {
            pace.take(chat.0, Class::Owed).await;
        }
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

/// Sends what the outbox holds until the task is stopped, each chat's line in order,
/// many lines at once. A message leaves the outbox only when Telegram accepted it or
/// refused it for good. A stop lets the messages being sent finish.
pub async fn deliver(
    sender: Sender,
    pace: Arc<Pace>,
    engine: Engine,
    staff: StaffChat,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    let mut busy: HashSet<Line> = HashSet::new();
    let mut sending: tokio::task::JoinSet<(Line, Option<OutboxId>)> = tokio::task::JoinSet::new();
    // Sent, to be recorded: many in one statement. Their lines stay busy until then, so
    // that nothing is sent twice.
    let mut sent: Vec<(Line, OutboxId)> = Vec::new();
    while !*stop.borrow() {
        let now = engine.now();
        let mut wake = tokio::time::Instant::now() + POLL;
        match engine.store().read(async |c| outbox::heads(c, now, 256).await).await {
            Ok(heads) => {
                let mut chosen: Vec<(Line, OutboxId)> = Vec::new();
                for head in heads {
                    let line = Line::of(head.to);
                    if busy.len() >= IN_FLIGHT {
                        break;
                    }
                    if busy.contains(&line) {
                        continue;
                    }
                    if head.next > now {
                        let later = head.next.duration_since(now).unsigned_abs();
                        wake = wake.min(tokio::time::Instant::now() + later);
                        continue;
                    }
                    let chat = match line {
                        Line::Chat(chat) => chat.0,
                        // The staff group is paced as a group whatever its id.
                        Line::Staff => staff.current().await.ok().flatten().unwrap_or(-1),
                    };
                    if let Err(at) = pace.try_take(chat, Class::Owed) {
                        wake = wake.min(at);
                        continue;
                    }
                    busy.insert(line);
                    chosen.push((line, head.id));
                }
                let ids: Vec<OutboxId> = chosen.iter().map(|(_, id)| *id).collect();
                let mut read = match engine.store().read(async |c| outbox::get_many(c, &ids).await).await {
                    Ok(read) => read,
                    Err(err) => {
                        tracing::error!(%err, "could not read the outbox");
                        Vec::new()
                    }
                };
                for (line, id) in chosen {
                    // Gone (sent or dropped by an erasure meanwhile), or unreadable now.
                    let Some(at) = read.iter().position(|p| p.id == id) else {
                        busy.remove(&line);
                        continue;
                    };
                    let pending = read.swap_remove(at);
                    let (sender, pace, engine, staff) = (sender.clone(), pace.clone(), engine.clone(), staff.clone());
                    sending.spawn(async move {
                        match deliver_one(&sender, &pace, &engine, &staff, &pending).await {
                            Ok(to_mark) => (line, to_mark),
                            Err(err) => {
                                tracing::error!(%err, id = pending.id.0, "could not record an outbox result");
                                (line, None)
                            }
                        }
                    });
                }
            }
            Err(err) => {
                tracing::error!(%err, "could not read the outbox");
                wake = tokio::time::Instant::now() + POLL * 4;
            }
        }
        tokio::select! {
            _ = engine.store().committed() => {
                // Commits come in bursts under load: one look at the outbox for the
                // burst, not one per commit (a millisecond is nothing to a person).
                tokio::time::sleep(COALESCE).await;
            }
            Some(done) = sending.join_next(), if !sending.is_empty() => {
                let mut finished = vec![done];
                // Others may have finished too: collected without waiting.
                while let Some(done) = sending.try_join_next() {
                    finished.push(done);
                }
                for (line, to_mark) in finished.into_iter().flatten() {
                    match to_mark {
                        Some(id) => sent.push((line, id)),
                        None => {
                            busy.remove(&line);
                        }
                    }
                }
            }
            _ = tokio::time::sleep_until(wake) => {}
            _ = stop.changed() => {}
        }
        record_sent(&engine, &mut sent, &mut busy).await;
    }
    // Stopping: the messages being sent finish, nothing new begins.
    while let Some(done) = sending.join_next().await {
        if let Ok((line, Some(id))) = done {
            sent.push((line, id));
        }
    }
    record_sent(&engine, &mut sent, &mut busy).await;
}

/// Records the messages sent since the last time, in one statement, and frees their
/// lines; if the database fails, they stay busy and are recorded at the next round.
async fn record_sent(engine: &Engine, sent: &mut Vec<(Line, OutboxId)>, busy: &mut HashSet<Line>) {
    if sent.is_empty() {
        return;
    }
    let ids: Vec<OutboxId> = sent.iter().map(|(_, id)| *id).collect();
    let now = engine.now();
    match engine
        .store()
        .write_one(async |c| outbox::mark_sent_many(c, &ids, now).await)
        .await
    {
        Ok(()) => {
            for (line, _) in sent.drain(..) {
                busy.remove(&line);
            }
        }
        Err(err) => tracing::error!(%err, "could not record messages as sent; trying again"),
    }
}

async fn deliver_one(
    sender: &Sender,
    pace: &Pace,
    engine: &Engine,
    staff: &StaffChat,
    pending: &Pending,
) -> anyhow::Result<Option<OutboxId>> {
    let result = send(sender, pace, engine, staff, pending).await;
    let now = engine.now();
    let store = engine.store();
    match result {
        // A plain message: recorded with others that went at the same time.
        Ok(_) if pending.message.purpose.is_none() => return Ok(Some(pending.id)),
        Ok(landed) => {
            // One statement, committed on its own (no BEGIN and COMMIT round trips).
            store
                .write_one(async |c| outbox::mark_sent(c, pending.id, now).await)
                .await?;
            crate::tickets::staff::delivered(engine, pending, &landed).await?;
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
                if let (RequestError::RetryAfter(after), Recipient::Chat(chat)) = (&err, pending.message.to) {
                    pace.hold(chat.0, after.duration());
                }
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
                crate::tickets::staff::undeliverable(engine, pending, &error).await?;
            }
        },
    }
    Ok(None)
}
