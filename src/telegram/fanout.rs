//! Delivering alerts to their subscribers: one fan-out at a time, recipients in
//! batches, each marked once Telegram accepted it (after a crash only the message in
//! flight can go twice), a few in flight at once so that one recipient's retry never
//! pauses the rest, paced under Telegram's limits together with everything else the
//! bot sends (replies first), people who blocked the bot unsubscribed, progress edited
//! in place in the staff chat, stoppable there. A task of its own beside the outbox, so
//! answers and reminders owed to single people never wait behind a long fan-out.

use super::keyboard::keyboard;
use super::pace::{Class, Pace};
use super::sender::{Sender, surely_not_delivered};
use super::staff_chat::StaffChat;
use crate::engine::Engine;
use crate::ids::FanoutId;
use crate::lang::Lang;
use crate::opportunities::{FanoutState, messages};
use crate::storage::opportunities::{self as q, Carrying, Fanout, Stored};
use crate::trainings::Session;
use std::collections::VecDeque;
use std::sync::Arc;
use std::time::{Duration, Instant};
use teloxide::prelude::ChatId;
use teloxide::types::MessageId as TgMessageId;
use teloxide::{ApiError, RequestError};

/// How often an idle worker looks for a fan-out (the command line may queue one).
const POLL: Duration = Duration::from_millis(500);

/// Recipients read at once.
const BATCH: i64 = 64;

/// Alerts being sent at once (a recipient waiting for a retry takes no place): few, so
/// that a crash repeats at most these.
const IN_FLIGHT: usize = 4;

/// How often the staff chat's progress post is edited: well under a group's limit of
/// about 20 messages a minute, which ticket posts share.
const PROGRESS_EVERY: Duration = Duration::from_secs(10);

/// What one fan-out carries, read again at every batch.
enum Content {
    Opportunity(Box<Stored>),
    Session(Box<Session>),
    /// Gone (withdrawn and erased, or a deleted session): nothing to send.
    Nothing,
}

impl Content {
    fn title(&self, lang: Lang) -> String {
        match self {
            Content::Opportunity(s) => s.opportunity.title.get(lang).clone(),
            Content::Session(s) => s.title(lang).to_owned(),
            Content::Nothing => "—".to_owned(),
        }
    }

    fn message(&self, user: i64, lang: Lang) -> Option<crate::message::OutMessage> {
        match self {
            Content::Opportunity(s) => Some(messages::alert(s, crate::ids::UserId(user), lang)),
            Content::Session(s) => Some(messages::session_announcement(s, crate::ids::UserId(user), lang)),
            Content::Nothing => None,
        }
    }
}

/// What became of one attempt at a recipient.
enum Outcome {
    Sent,
    /// They blocked the bot or their account is gone: unsubscribed.
    Blocked,
    Failed,
    /// Surely not delivered (a server error, no connection, Telegram's 429): again
    /// after this long, while the others go on.
    Retry(Duration),
}

/// Tries a recipient this many times in all.
const ATTEMPTS: u32 = 5;

fn gone(err: &RequestError) -> bool {
    matches!(
        err,
        RequestError::Api(
            ApiError::BotBlocked
                | ApiError::UserDeactivated
                | ApiError::ChatNotFound
                | ApiError::BotKicked
                | ApiError::BotKickedFromSupergroup
                | ApiError::CantInitiateConversation
        )
    )
}

/// One attempt at one alert, paced with everything else the bot sends.
async fn send_one(sender: &Sender, pace: &Pace, content: &Content, user: i64, lang: Lang, attempt: u32) -> Outcome {
    let Some(message) = content.message(user, lang) else {
        return Outcome::Failed;
    };
    pace.take(user, Class::Alert).await;
    match sender
        .send(ChatId(user), &message.html, keyboard(&message.keyboard))
        .await
    {
        Ok(_) => Outcome::Sent,
        Err(err) if gone(&err) => Outcome::Blocked,
        Err(RequestError::RetryAfter(wait)) => {
            pace.hold(user, wait.duration());
            Outcome::Retry(wait.duration())
        }
        Err(err) if surely_not_delivered(&err) => {
            Outcome::Retry(super::sender::jittered(Duration::from_millis(250), attempt).unsigned_abs())
        }
        Err(err) => {
            // Refused, or no telling whether it arrived (a timeout after Telegram took
            // it): sending again could give the person a second copy.
            tracing::warn!(%err, "an alert was refused or may not have arrived");
            Outcome::Failed
        }
    }
}

/// Sends fan-outs until the task is stopped; a stop leaves the rest for the next start.
pub async fn deliver(
    sender: Sender,
    pace: Arc<Pace>,
    engine: Engine,
    staff: StaffChat,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    while !*stop.borrow() {
        let next = engine.store().read(async |c| q::next_sending(c).await).await;
        match next {
            Ok(Some(id)) => {
                if let Err(err) = run(&sender, &engine, &staff, &pace, id, &stop).await {
                    tracing::error!(%err, fanout = id, "an alert's delivery was interrupted");
                    tokio::time::sleep(POLL * 4).await;
                }
            }
            Ok(None) => {
                tokio::select! {
                    _ = tokio::time::sleep(POLL) => {}
                    _ = stop.changed() => {}
                }
            }
            Err(err) => {
                tracing::error!(%err, "could not look for alerts to send");
                tokio::time::sleep(POLL * 4).await;
            }
        }
    }
}

async fn load(engine: &Engine, id: i64) -> anyhow::Result<Option<(Fanout, Content)>> {
    let Some(f) = engine.store().read(async |c| q::fanout(c, id).await).await? else {
        return Ok(None);
    };
    let content = load_content(engine, f.carrying).await?;
    Ok(Some((f, content)))
}

/// What a fan-out carries as it is now.
async fn load_content(engine: &Engine, carrying: Carrying) -> anyhow::Result<Content> {
    let content = engine
        .store()
        .read(async |c| {
            Ok::<_, crate::storage::StoreError>(match carrying {
                Carrying::Opportunity(o) => q::get(c, o)
                    .await?
                    .map_or(Content::Nothing, |s| Content::Opportunity(Box::new(s))),
                Carrying::Session(s) => crate::storage::trainings::session(c, s)
                    .await?
                    .map_or(Content::Nothing, |s| Content::Session(Box::new(s))),
            })
        })
        .await?;
    Ok(content)
}

/// The progress post: sent the first time, edited after.
async fn progress(sender: &Sender, engine: &Engine, staff: &StaffChat, f: &Fanout, content: &Content) {
    let lang = engine.staff_lang();
    let Ok(Some(chat)) = staff.current().await else { return };
    let (html, buttons) = messages::progress(f, &content.title(lang), lang);
    let markup = keyboard(&buttons);
    match f.progress_message {
        Some(message) => {
            let message = TgMessageId(message as i32);
            if let Err(err) = sender.edit(ChatId(chat), message, &html, markup).await
                && !matches!(err, RequestError::Api(ApiError::MessageNotModified))
            {
                tracing::debug!(%err, "could not edit an alert's progress post");
            }
        }
        None => match sender.send(ChatId(chat), &html, markup).await {
            Ok(message) => {
                let id = f.id;
                let saved = engine
                    .store()
                    .write(async |c| q::set_progress_message(c, id, message.0 as i64).await)
                    .await;
                if let Err(err) = saved {
                    tracing::warn!(%err, "could not remember an alert's progress post");
                }
            }
            Err(err) => tracing::warn!(%err, "could not post an alert's progress"),
        },
    }
}

/// A recipient to (re)try.
#[derive(Clone, Copy)]
struct Recipient {
    user: i64,
    lang: Lang,
    attempt: u32,
}

/// What became of a recipient's send.
enum Sent {
    Done,
    Again(Recipient, Duration),
}

/// One fan-out: recipients read in order (a cursor over the pending ones), a few sent
/// at once; one that must be tried again waits aside, its place taken by the next, so a
/// server error costs that recipient a short wait and nobody else anything.
async fn run(
    sender: &Sender,
    engine: &Engine,
    staff: &StaffChat,
    pace: &Arc<Pace>,
    id: i64,
    stop: &tokio::sync::watch::Receiver<bool>,
) -> anyhow::Result<()> {
    let Some((mut f, content)) = load(engine, id).await? else {
        return Ok(());
    };
    let mut content = Arc::new(content);
    if f.progress_message.is_none() {
        progress(sender, engine, staff, &f, &content).await;
    }
    let mut shown = Instant::now();
    let mut sending: tokio::task::JoinSet<anyhow::Result<Sent>> = tokio::task::JoinSet::new();
    let mut queue: VecDeque<Recipient> = VecDeque::new();
    let mut waiting: Vec<(tokio::time::Instant, Recipient)> = Vec::new();
    let mut after = i64::MIN;
    let mut read_all = false;
    loop {
        if *stop.borrow() {
            // The alerts in flight finish and are marked; the rest waits for the next start.
            while sending.join_next().await.is_some() {}
            return Ok(());
        }
        let mut end = None;
        if queue.is_empty() && !read_all {
            let batch = engine
                .store()
                .read(async |c| q::pending_after(c, id, after, BATCH).await)
                .await?;
            // Staff may have pressed Stop (or the opportunity was withdrawn, the session
            // cancelled) meanwhile; a session moved meanwhile goes out as it is now.
            let state = engine.store().read(async |c| q::state(c, id).await).await?;
            content = Arc::new(load_content(engine, f.carrying).await?);
            // Past its deadline (the bot was down, or a long alert went before it), an
            // opportunity is news no more.
            let past_deadline = matches!(&*content, Content::Opportunity(o) if o.opportunity.deadline <= engine.now());
            end = crate::opportunities::service::ending(state, past_deadline);
            match batch.last() {
                Some(&(last, _)) => after = last,
                None => read_all = true,
            }
            queue.extend(
                batch
                    .into_iter()
                    .map(|(user, lang)| Recipient { user, lang, attempt: 0 }),
            );
        }
        if end.is_none() && read_all && queue.is_empty() && waiting.is_empty() && sending.is_empty() {
            // Everyone was tried; anyone still pending (a mark that failed) is read again.
            let left = engine.store().read(async |c| q::pending(c, id, 1).await).await?;
            if left.is_empty() {
                end = Some(FanoutState::Done);
            } else {
                (after, read_all) = (i64::MIN, false);
                continue;
            }
        }
        if let Some(end) = end {
            while sending.join_next().await.is_some() {}
            let now = engine.now();
            engine
                .store()
                .write(async |c| crate::opportunities::service::end_fanout(c, FanoutId(id), end, now).await)
                .await?;
            if let Some((latest, _)) = load(engine, id).await? {
                progress(sender, engine, staff, &latest, &content).await;
            }
            return Ok(());
        }
        // As many sends as may be in flight: those whose retry is due first.
        let now = tokio::time::Instant::now();
        while sending.len() < IN_FLIGHT {
            let next = match waiting.iter().position(|(at, _)| *at <= now) {
                Some(i) => waiting.swap_remove(i).1,
                None => match queue.pop_front() {
                    Some(r) => r,
                    None => break,
                },
            };
            let task = (sender.clone(), engine.clone(), pace.clone(), content.clone());
            sending.spawn(async move {
                let (sender, engine, pace, content) = task;
                deliver_to(&sender, &engine, &pace, &content, id, next).await
            });
        }
        let due = waiting.iter().map(|(at, _)| *at).min();
        let more = !queue.is_empty() || !read_all;
        tokio::select! {
            Some(done) = sending.join_next(), if !sending.is_empty() => match done {
                Ok(Ok(Sent::Again(r, wait))) => waiting.push((tokio::time::Instant::now() + wait, r)),
                Ok(Ok(Sent::Done)) => {}
                Ok(Err(err)) => {
                    while sending.join_next().await.is_some() {}
                    return Err(err);
                }
                Err(err) => tracing::error!(%err, "an alert's send ended abnormally"),
            },
            _ = tokio::time::sleep_until(due.unwrap_or(now)), if due.is_some() && sending.len() < IN_FLIGHT => {}
            // Room for another send, and more to read: go round.
            _ = std::future::ready(()), if sending.len() < IN_FLIGHT && more => {}
            else => {}
        }
        if shown.elapsed() >= PROGRESS_EVERY {
            if let Some(latest) = engine.store().read(async |c| q::fanout(c, id).await).await? {
                f = latest;
                progress(sender, engine, staff, &f, &content).await;
            }
            shown = Instant::now();
        }
    }
}

/// One attempt at one recipient: checked just before the send (the person may have
/// said stop or been forgotten, staff may have stopped or withdrawn the alert, since
/// they were read), sent, and marked, or handed back to be tried again.
async fn deliver_to(
    sender: &Sender,
    engine: &Engine,
    pace: &Pace,
    content: &Content,
    id: i64,
    r: Recipient,
) -> anyhow::Result<Sent> {
    let user = r.user;
    if !engine.store().read(async |c| q::still_owed(c, id, user).await).await? {
        return Ok(Sent::Done);
    }
    let outcome = send_one(sender, pace, content, user, r.lang, r.attempt).await;
    let now = engine.now();
    let state = match outcome {
        Outcome::Retry(wait) if r.attempt + 1 < ATTEMPTS => {
            return Ok(Sent::Again(
                Recipient {
                    attempt: r.attempt + 1,
                    ..r
                },
                wait,
            ));
        }
        Outcome::Sent => "sent",
        Outcome::Blocked => "blocked",
        Outcome::Failed | Outcome::Retry(_) => "failed",
    };
    if matches!(outcome, Outcome::Blocked) {
        engine
            .store()
            .write(async |c| {
                q::mark(&mut *c, id, user, state).await?;
                q::unsubscribe(c, user, None, now).await?;
                Ok::<_, crate::storage::StoreError>(())
            })
            .await?;
    } else {
        engine
            .store()
            .write_one(async |c| q::mark(c, id, user, state).await)
            .await?;
    }
    Ok(Sent::Done)
}
