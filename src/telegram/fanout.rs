//! Delivering alerts to their subscribers: one fan-out at a time, recipients in
//! batches, each marked once Telegram accepted it (after a crash only the message in
//! flight can go twice), a few in flight at once so that one recipient's retry never
//! pauses the rest, paced under Telegram's limits together with everything else the
//! bot sends (replies first), people who blocked the bot unsubscribed, progress edited
//! in place in the staff chat, stoppable there. A task of its own beside the outbox, so
//! answers and reminders owed to single people never wait behind a long fan-out.

use super::handlers::keyboard;
use super::pace::{Class, Pace};
use super::sender::{Sender, surely_not_delivered};
use super::staff_chat::StaffChat;
use crate::engine::Engine;
use crate::lang::Lang;
use crate::opportunities::messages;
use crate::storage::opportunities::{self as q, Carrying, Fanout, Stored};
use crate::trainings::Session;
use std::sync::Arc;
use std::time::{Duration, Instant};
use teloxide::prelude::ChatId;
use teloxide::types::MessageId as TgMessageId;
use teloxide::{ApiError, RequestError};

/// How often an idle worker looks for a fan-out (the command line may queue one).
const POLL: Duration = Duration::from_millis(500);

/// Recipients read at once.
const BATCH: i64 = 64;

/// Alerts being sent at once: enough that a recipient whose send is retried does not
/// hold up the others, few enough that a crash repeats at most these.
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
            Content::Opportunity(s) => Some(messages::alert(s, user, lang)),
            Content::Session(s) => Some(messages::session_announcement(s, user, lang)),
            Content::Nothing => None,
        }
    }
}

/// What became of one recipient.
enum Outcome {
    Sent,
    /// They blocked the bot or their account is gone: unsubscribed.
    Blocked,
    Failed,
}

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

/// Sends one alert, retrying what Telegram asks to retry (a few times), every attempt
/// paced with everything else the bot sends.
async fn send_one(sender: &Sender, pace: &Pace, content: &Content, user: i64, lang: Lang) -> Outcome {
    let Some(message) = content.message(user, lang) else {
        return Outcome::Failed;
    };
    let markup = keyboard(&message.keyboard);
    for attempt in 0..5u32 {
        pace.take(user, Class::Alert).await;
        match sender.send(ChatId(user), &message.html, markup.clone()).await {
            Ok(_) => return Outcome::Sent,
            Err(err) if gone(&err) => return Outcome::Blocked,
            Err(RequestError::RetryAfter(wait)) => pace.hold(user, wait.duration()),
            Err(err) if surely_not_delivered(&err) => {
                tokio::time::sleep(Duration::from_millis(250 * 2u64.pow(attempt))).await;
            }
            Err(err) => {
                // Refused, or no telling whether it arrived (a timeout after Telegram
                // took it): sending again could give the person a second copy.
                tracing::warn!(%err, "an alert was refused or may not have arrived");
                return Outcome::Failed;
            }
        }
    }
    Outcome::Failed
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
    let mut sending: tokio::task::JoinSet<anyhow::Result<()>> = tokio::task::JoinSet::new();
    loop {
        if *stop.borrow() {
            // The alerts in flight finish and are marked; the rest waits for the next start.
            while sending.join_next().await.is_some() {}
            return Ok(());
        }
        let batch = engine.store().read(async |c| q::pending(c, id, BATCH).await).await?;
        // Staff may have pressed Stop (or the opportunity was withdrawn, the session
        // cancelled) meanwhile; a session moved meanwhile goes out as it is now.
        let state = engine.store().read(async |c| q::state(c, id).await).await?;
        content = Arc::new(load_content(engine, f.carrying).await?);
        // Past its deadline (the bot was down, or a long alert went before it), an
        // opportunity is news no more.
        let past_deadline = matches!(&*content, Content::Opportunity(o) if o.opportunity.deadline <= engine.now());
        let end = if state.as_deref() != Some("sending") || batch.is_empty() {
            Some("done")
        } else if past_deadline {
            Some("stopped")
        } else {
            None
        };
        if let Some(end) = end {
            while sending.join_next().await.is_some() {}
            let now = engine.now();
            engine.store().write(async |c| q::finish(c, id, end, now).await).await?;
            if let Some((latest, _)) = load(engine, id).await? {
                progress(sender, engine, staff, &latest, &content).await;
            }
            return Ok(());
        }
        for &(user, lang) in &batch {
            if *stop.borrow() {
                break;
            }
            // A few at a time: a crash can then repeat at most the messages in flight.
            while sending.len() >= IN_FLIGHT {
                if let Some(Ok(Err(err))) = sending.join_next().await {
                    return Err(err);
                }
            }
            let task = (sender.clone(), engine.clone(), pace.clone(), content.clone());
            sending.spawn(async move {
                let (sender, engine, pace, content) = task;
                deliver_to(&sender, &engine, &pace, &content, id, user, lang).await
            });
            if shown.elapsed() >= PROGRESS_EVERY {
                if let Some(latest) = engine.store().read(async |c| q::fanout(c, id).await).await? {
                    f = latest;
                    if f.state != "sending" {
                        break;
                    }
                    progress(sender, engine, staff, &f, &content).await;
                }
                shown = Instant::now();
            }
        }
        // The batch's last sends are marked before the next batch is read, so none is
        // read (and sent) twice.
        while let Some(done) = sending.join_next().await {
            if let Ok(Err(err)) = done {
                return Err(err);
            }
        }
    }
}

/// One recipient: checked just before the send (the person may have said stop or been
/// forgotten, staff may have stopped or withdrawn the alert, since the batch was read),
/// sent, and marked.
async fn deliver_to(
    sender: &Sender,
    engine: &Engine,
    pace: &Pace,
    content: &Content,
    id: i64,
    user: i64,
    lang: Lang,
) -> anyhow::Result<()> {
    if !engine.store().read(async |c| q::still_owed(c, id, user).await).await? {
        return Ok(());
    }
    let outcome = send_one(sender, pace, content, user, lang).await;
    let now = engine.now();
    let state = match outcome {
        Outcome::Sent => "sent",
        Outcome::Blocked => "blocked",
        Outcome::Failed => "failed",
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
    Ok(())
}
