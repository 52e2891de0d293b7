//! Delivering alerts to their subscribers: one fan-out at a time, recipients in
//! batches, each marked once Telegram accepted it (after a crash only the message in
//! flight can go twice), paced under Telegram's broadcast limit, people who blocked the
//! bot unsubscribed, progress edited in place in the staff chat, stoppable there. A task
//! of its own beside the outbox, so answers and reminders owed to single people never
//! wait behind a long fan-out.

use super::handlers::keyboard;
use super::sender::Sender;
use super::staff_chat::StaffChat;
use crate::engine::Engine;
use crate::lang::Lang;
use crate::opportunities::messages;
use crate::storage::opportunities::{self as q, Carrying, Fanout, Stored};
use crate::trainings::Session;
use std::collections::VecDeque;
use std::time::{Duration, Instant};
use teloxide::prelude::ChatId;
use teloxide::types::MessageId as TgMessageId;
use teloxide::{ApiError, RequestError};

/// How often an idle worker looks for a fan-out (the command line may queue one).
const POLL: Duration = Duration::from_millis(500);

/// Recipients read at once.
const BATCH: i64 = 64;

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

/// Spaces sends evenly at `per_second`, and never lets a request begin less than a second
/// after the end of the one `per_second` requests before it. Telegram counts arrivals:
/// with even spacing alone, a slow answer followed by a fast one could put one request
/// too many into a second. The end of a request comes after its arrival, and the next
/// begins before it arrives, so this bounds every second as Telegram sees it.
struct Pacer {
    every: Option<Duration>,
    per_second: usize,
    next: tokio::time::Instant,
    /// When the last `per_second` requests ended.
    ended: VecDeque<tokio::time::Instant>,
}

impl Pacer {
    fn new(per_second: Option<u32>) -> Pacer {
        Pacer {
            every: per_second.map(|n| Duration::from_secs(1) / n.max(1)),
            per_second: per_second.unwrap_or(0).max(1) as usize,
            next: tokio::time::Instant::now(),
            ended: VecDeque::new(),
        }
    }

    /// Before each request (a retry too).
    async fn wait(&mut self) {
        let Some(every) = self.every else { return };
        if self.ended.len() >= self.per_second
            && let Some(&oldest) = self.ended.front()
        {
            tokio::time::sleep_until(oldest + Duration::from_secs(1)).await;
        }
        let now = tokio::time::Instant::now();
        if self.next > now {
            tokio::time::sleep_until(self.next).await;
        }
        self.next = self.next.max(now) + every;
    }

    /// After each request, answered or not.
    fn ended(&mut self) {
        if self.every.is_none() {
            return;
        }
        self.ended.push_back(tokio::time::Instant::now());
        while self.ended.len() > self.per_second {
            self.ended.pop_front();
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

/// Failures after which the message surely did not reach the person, so a retry cannot
/// make a second copy: no connection, a proxy's HTML error page, a server error answered
/// by Telegram.
fn not_delivered(err: &RequestError) -> bool {
    match err {
        RequestError::Network(e) => e.is_connect(),
        RequestError::InvalidJson { raw, .. } => raw.trim_start().starts_with('<'),
        RequestError::Api(_) => super::transient(err),
        _ => false,
    }
}

/// Sends one alert, retrying what Telegram asks to retry (a few times), every attempt
/// paced.
async fn send_one(sender: &Sender, pacer: &mut Pacer, content: &Content, user: i64, lang: Lang) -> Outcome {
    let Some(message) = content.message(user, lang) else {
        return Outcome::Failed;
    };
    let markup = keyboard(&message.keyboard);
    for attempt in 0..5u32 {
        pacer.wait().await;
        let sent = sender.send(ChatId(user), &message.html, markup.clone()).await;
        pacer.ended();
        match sent {
            Ok(_) => return Outcome::Sent,
            Err(err) if gone(&err) => return Outcome::Blocked,
            Err(RequestError::RetryAfter(wait)) => tokio::time::sleep(wait.duration()).await,
            Err(err) if not_delivered(&err) => tokio::time::sleep(Duration::from_millis(500 * 2u64.pow(attempt))).await,
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
    engine: Engine,
    staff: StaffChat,
    per_second: Option<u32>,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    let mut pacer = Pacer::new(per_second);
    while !*stop.borrow() {
        let next = engine.store().read(async |c| q::next_sending(c).await).await;
        match next {
            Ok(Some(id)) => {
                if let Err(err) = run(&sender, &engine, &staff, &mut pacer, id, &stop).await {
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
    pacer: &mut Pacer,
    id: i64,
    stop: &tokio::sync::watch::Receiver<bool>,
) -> anyhow::Result<()> {
    let Some((mut f, mut content)) = load(engine, id).await? else {
        return Ok(());
    };
    if f.progress_message.is_none() {
        progress(sender, engine, staff, &f, &content).await;
    }
    let mut shown = Instant::now();
    loop {
        if *stop.borrow() {
            return Ok(());
        }
        let batch = engine.store().read(async |c| q::pending(c, id, BATCH).await).await?;
        // Staff may have pressed Stop (or the opportunity was withdrawn, the session
        // cancelled) meanwhile; a session moved meanwhile goes out as it is now.
        let state = engine.store().read(async |c| q::state(c, id).await).await?;
        content = load_content(engine, f.carrying).await?;
        // Past its deadline (the bot was down, or a long alert went before it), an
        // opportunity is news no more.
        let past_deadline = matches!(&content, Content::Opportunity(o) if o.opportunity.deadline <= engine.now());
        let end = if state.as_deref() != Some("sending") || batch.is_empty() {
            Some("done")
        } else if past_deadline {
            Some("stopped")
        } else {
            None
        };
        if let Some(end) = end {
            let now = engine.now();
            engine.store().write(async |c| q::finish(c, id, end, now).await).await?;
            if let Some((latest, _)) = load(engine, id).await? {
                progress(sender, engine, staff, &latest, &content).await;
            }
            return Ok(());
        }
        // One at a time: a crash can then repeat at most the one message in flight.
        for &(user, lang) in &batch {
            if *stop.borrow() {
                return Ok(());
            }
            // Each just before its send: the person may have said stop or been forgotten,
            // staff may have stopped or withdrawn the alert, since the batch was read.
            if !engine.store().read(async |c| q::still_owed(c, id, user).await).await? {
                continue;
            }
            let outcome = send_one(sender, pacer, &content, user, lang).await;
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
    }
}

#[cfg(test)]
mod tests {
    use super::Pacer;
    use std::time::Duration;
    use tokio::time::Instant;

    /// A slow request followed by fast ones: with even spacing alone the sixth would
    /// start 850 ms after the first ended, and Telegram could see six in one second.
    #[tokio::test(start_paused = true)]
    async fn no_request_begins_within_a_second_of_the_end_of_the_one_a_rate_before() {
        let mut pacer = Pacer::new(Some(5));
        let mut spans: Vec<(Instant, Instant)> = Vec::new();
        for k in 0..40u64 {
            pacer.wait().await;
            let start = Instant::now();
            let takes = if k % 7 == 0 { 150 } else { 1 };
            tokio::time::sleep(Duration::from_millis(takes)).await;
            pacer.ended();
            spans.push((start, Instant::now()));
        }
        for k in 5..spans.len() {
            assert!(
                spans[k].0 >= spans[k - 5].1 + Duration::from_secs(1),
                "request {k} began {:?} after request {} ended",
                spans[k].0 - spans[k - 5].1,
                k - 5
            );
        }
        for k in 1..spans.len() {
            assert!(
                spans[k].0 - spans[k - 1].0 >= Duration::from_millis(200),
                "request {k} came in a burst"
            );
        }
    }

    #[tokio::test(start_paused = true)]
    async fn without_a_rate_nothing_waits() {
        let mut pacer = Pacer::new(None);
        let start = Instant::now();
        for _ in 0..1000 {
            pacer.wait().await;
            pacer.ended();
        }
        assert_eq!(Instant::now(), start);
    }
}
