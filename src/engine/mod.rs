//! The kernel: for each event, one unit of work (recognise an update delivered again,
//! load the person's place, route the event to the workflow that handles it, save the
//! new place, queue the replies), plus the menus and reloading the dialogues. "This
//! person said or pressed this" → "say this, with these buttons"; it knows nothing of
//! Telegram or terminals: the adapters translate.

mod cache;
mod dispatch;
mod menus;
mod reload;

pub use crate::conversation::{
    COMMANDS, Command, Context, DeepLink, Desk, EngineError, Event, Flow, LinkMaker, Person, Place, Placement, Reply,
    ReplyIn, STAFF_COMMANDS, Turn, display_name, ui,
};
use crate::conversation::{Settings, flow};
pub use crate::tickets::service::DRAFT_TTL;
pub use crate::tickets::staff::stats_text;
pub use crate::trainings::staff::verified_text;

use crate::clock::{Clock, SystemClock};
use crate::conversation::notice;
use crate::dialogue::{MAIN, Tree};
use crate::ids::UserId;
use crate::lang::Lang;
use crate::matching::Matcher;
pub use crate::message::{Audience, Button, Callback, Document, OutMessage, SessionVerb, Target, TicketVerb, to};
use crate::storage::{Conversation, Store, Work, conversations};
pub use crate::text::shorten;
use jiff::SignedDuration;
use std::sync::Arc;

/// Sees each person's event before it is handled (user id, event).
pub type Observer = Arc<dyn Fn(UserId, &Event) + Send + Sync>;

/// What the engine needs besides content and storage.
pub struct Options {
    /// Telegram user ids allowed to use staff commands.
    pub staff: Vec<i64>,
    pub clock: Arc<dyn Clock>,
    /// STAFF_CHAT_ID: where tickets are posted (the adapter follows a move).
    pub staff_chat: Option<i64>,
    /// EUDESK_STAFF_LANG: the language of what the bot says in the staff chat.
    pub staff_lang: Lang,
    /// New tickets a person may open per office day.
    pub tickets_per_day: u32,
    /// Office hours an untaken ticket may wait before staff are reminded of it.
    pub staff_remind_after: SignedDuration,
    /// Per-person flood control.
    pub flood: crate::flood::Limits,
    /// Days after which closed tickets and past registrations are anonymised.
    pub retention_days: u32,
    /// Called with each person's event before it is handled: a seam for tracing and for
    /// fault-injection tests (which make it panic for one person).
    pub observer: Option<Observer>,
    /// Where the dialogues are read again from (`/reload`, SIGHUP); `None`: no reload.
    pub dialogues_dir: Option<std::path::PathBuf>,
    /// People trained before the bot counted attendance (the office's figure since
    /// 2007), added to the total in the statistics.
    pub trained_before: u32,
    /// EUDESK_CHANNEL_ID: published opportunities are posted there too.
    pub channel: Option<i64>,
    /// "Remind me" comes this long before a deadline.
    pub remind_before: SignedDuration,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            staff: Vec::new(),
            clock: Arc::new(SystemClock),
            staff_chat: None,
            staff_lang: Lang::Tr,
            tickets_per_day: 5,
            staff_remind_after: SignedDuration::from_hours(4),
            flood: crate::flood::Limits::default(),
            dialogues_dir: None,
            trained_before: 0,
            channel: None,
            remind_before: SignedDuration::from_hours(72),
            retention_days: 365,
            observer: None,
        }
    }
}

/// The engine; cheap to clone (everything inside is shared).
#[derive(Clone)]
pub struct Engine {
    desk: Arc<Desk>,
    flood: Arc<crate::flood::FloodGuard>,
    observer: Option<Observer>,
    /// Conversations recently seen, so that most updates need no read at all.
    conversations: Arc<cache::Conversations>,
}

/// The adapters and the command line reach the shared services (`engine.store()`,
/// `engine.tree()`, `engine.now()` …) through the engine, as they did before the
/// handlers moved out of it; the handlers themselves get them from their `Turn`.
impl std::ops::Deref for Engine {
    type Target = Desk;
    fn deref(&self) -> &Desk {
        &self.desk
    }
}

impl Engine {
    /// Builds the matching index once, here, not per question.
    pub fn new(tree: Tree, store: Store) -> Engine {
        Engine::with_options(tree, store, Options::default())
    }

    pub fn with_options(tree: Tree, store: Store, options: Options) -> Engine {
        let matcher = Arc::new(Matcher::new(&tree));
        let desk = Desk {
            matching: crate::matching::worker::Worker::start(),
            links: std::sync::OnceLock::new(),
            index: std::sync::RwLock::new(crate::conversation::desk_index(Arc::new(tree), matcher)),
            store,
            staff: options.staff.into_iter().collect(),
            clock: options.clock,
            settings: Settings {
                retention_days: options.retention_days,
                staff_chat: options.staff_chat,
                staff_lang: options.staff_lang,
                tickets_per_day: options.tickets_per_day,
                staff_remind_after: options.staff_remind_after,
                dialogues_dir: options.dialogues_dir,
                trained_before: options.trained_before,
                channel: options.channel,
                remind_before: options.remind_before,
            },
        };
        Engine {
            desk: Arc::new(desk),
            flood: Arc::new(crate::flood::FloodGuard::new(options.flood)),
            observer: options.observer,
            conversations: Arc::new(cache::Conversations::new(cache::CAPACITY)),
        }
    }

    /// Flood control, before any other work (the adapter calls it before touching the
    /// database, so a flooder costs nothing but this look-up): `None` lets the event
    /// through; otherwise the replies to give instead (one "slow down", then nothing).
    /// Staff are never slowed: they may answer many tickets in a row.
    pub fn admit(&self, person: Person) -> Option<Vec<Reply>> {
        if self.is_staff(person.user) {
            return None;
        }
        match self.flood.check(UserId(person.user.0), self.clock.now()) {
            crate::flood::Verdict::Allow => None,
            crate::flood::Verdict::Warn => Some(vec![Reply::new(ui::slow_down(person.lang_hint), Vec::new())]),
            crate::flood::Verdict::Ignore => Some(Vec::new()),
        }
    }

    /// Handles one event in a private chat (see `handle_in`).
    pub async fn handle(&self, person: Person, event: Event) -> Result<Vec<Reply>, EngineError> {
        self.handle_in(person, Context::default(), event).await
    }

    /// Handles one event: in one unit of work, recognises an update delivered again,
    /// loads the person's place, lets the workflows act, and saves the new place; all
    /// of it commits together (or nothing does) before the replies are returned.
    #[tracing::instrument(skip(self, ctx, event), fields(user = person.user.0))]
    pub async fn handle_in(&self, person: Person, ctx: Context, event: Event) -> Result<Vec<Reply>, EngineError> {
        if let Place::StaffChat(_) = ctx.place {
            // In the staff chat only staff are heard, and only about tickets: nobody
            // else's message, command or press is answered there (an answer would queue
            // ahead of ticket posts in the group's send limit), and no private flow of a
            // staff member is touched.
            if !self.is_staff(person.user) {
                return Ok(Vec::new());
            }
            let mut work = self.store.work();
            if let Some(update) = ctx.update
                && !crate::storage::updates::claim(work.write().await?, update, self.clock.now()).await?
            {
                tracing::info!(update = update.0, "skipping an update handled before");
                return Ok(Vec::new());
            }
            if let Some(observe) = &self.observer {
                observe(person.user, &event);
            }
            let mut turn = self.staff_turn(person, &ctx, work);
            let replies = dispatch::staff_chat_event(&mut turn, event, ctx.reply_to_ticket).await?;
            self.queue_replies(&mut turn.work, &ctx, &replies).await?;
            for logged in &turn.logged {
                crate::storage::questions::log(turn.work.write().await?, logged).await?;
            }
            turn.work.commit().await?;
            return Ok(replies);
        }
        if !ctx.admitted
            && let Some(replies) = self.admit(person)
        {
            return Ok(replies);
        }
        let mut work = self.store.work();
        let saved = match self.conversations.get(UserId(person.user.0)) {
            Some(saved) => Some(saved),
            None => conversations::load(work.read().await?, person.user.0).await?,
        };
        let now = self.clock.now();
        if let (Some(update), Some((last, at))) = (ctx.update, saved.as_ref().and_then(|c| c.last_update))
            && update <= last
            && now.duration_since(at) < REDELIVERY_WINDOW
        {
            tracing::info!(update = update.0, "skipping an update handled before");
            return Ok(Vec::new());
        }
        if let Some(observe) = &self.observer {
            observe(person.user, &event);
        }
        let mut turn = self.turn(person, &ctx, saved.as_ref(), work);
        let revoked = turn.flow.as_ref().is_some_and(Flow::is_staff_only) && !self.is_staff(person.user);
        if revoked {
            turn.flow = None;
            turn.notice = Some(ui::staff_form_closed(turn.lang));
        }
        let mut replies = match event {
            // The one place staff-only commands and buttons are refused: checked at each
            // event against the staff list the bot runs with, so a member removed from
            // STAFF_USER_IDS can no longer act, whatever they started before.
            _ if event.audience() == Audience::Staff && !self.is_staff(person.user) => {
                vec![notice(turn.lang, ui::staff_only(turn.lang))]
            }
            // A value or a press meant for the form: only the notice.
            Event::Text(text) if revoked && Command::parse(&text).is_none() => Vec::new(),
            Event::Press(Some(Callback::Flow(_))) | Event::File(_) if revoked => Vec::new(),
            Event::Text(text) => dispatch::text(&mut turn, &text, ctx.reply_to_ticket).await?,
            Event::Press(pressed) => dispatch::press(&mut turn, pressed).await?,
            Event::File(file) => dispatch::file(&mut turn, &file, ctx.reply_to_ticket).await?,
            Event::Unsupported => dispatch::unsupported(&mut turn).await?,
            Event::Resume => menus::resume(&mut turn).await?,
        };
        match (turn.notice, replies.first_mut()) {
            (Some(notice), Some(first)) => *first = first.clone().with_notice(notice),
            (Some(notice), None) if revoked => replies.push(crate::conversation::notice(turn.lang, notice)),
            _ => {}
        }
        let conv = Conversation {
            user: person.user.0,
            lang: turn.chosen,
            node: std::mem::take(&mut turn.node),
            flow: turn.flow.as_ref().map(Flow::to_json),
            last_question: turn.last_question.as_ref().and_then(|q| serde_json::to_string(q).ok()),
            last_update: ctx
                .update
                .map(|u| (u, now))
                .or_else(|| saved.as_ref().and_then(|c| c.last_update)),
        };
        let changed = saved.as_ref() != Some(&conv);
        if !turn.work.writing() && !turn.forgotten {
            // The workflow changed nothing else (most turns): the replies and the place
            // in one round trip, one transaction.
            let owed = owed(&ctx, &replies);
            // Nothing was written: what the turn read from goes back to the pool.
            drop(turn.work);
            if changed || !owed.is_empty() || !turn.logged.is_empty() {
                let save = crate::storage::turns::Turn {
                    replies: owed,
                    conversation: changed.then(|| conv.clone()),
                    questions: std::mem::take(&mut turn.logged),
                    now,
                };
                self.store.save_turn(save).await?;
            }
            self.conversations.put(conv);
            return Ok(replies);
        }
        // Before the conversation's save: that save then joins this transaction.
        self.queue_replies(&mut turn.work, &ctx, &replies).await?;
        if turn.forgotten {
            // Nothing typed by a person who asked to be forgotten is logged.
            turn.logged.clear();
            turn.work.commit().await?;
            self.conversations.remove(UserId(person.user.0));
            // Out of the WAL too, now, not at the next automatic checkpoint.
            if let Err(err) = self.store.checkpoint().await {
                tracing::warn!(parent: None, %err, "could not checkpoint the database after an erasure");
            }
            return Ok(replies);
        }
        for logged in &turn.logged {
            crate::storage::questions::log(turn.work.write().await?, logged).await?;
        }
        if changed {
            // With the workflow's changes, in their transaction.
            conversations::save(turn.work.write().await?, &conv).await?;
        }
        turn.work.commit().await?;
        self.conversations.put(conv);
        Ok(replies)
    }

    /// Queues the replies in the outbox, in the event's transaction, when the adapter
    /// delivers them so.
    async fn queue_replies(&self, work: &mut Work, ctx: &Context, replies: &[Reply]) -> Result<(), EngineError> {
        let owed = owed(ctx, replies);
        if owed.is_empty() {
            return Ok(());
        }
        let now = self.clock.now();
        let conn = work.write().await?;
        for m in &owed {
            crate::storage::outbox::enqueue_whole(&mut *conn, m, now).await?;
        }
        Ok(())
    }

    /// A staff member's turn in the staff chat: the staff chat's language, no private
    /// state loaded, nothing of it saved.
    fn staff_turn(&self, person: Person, ctx: &Context, work: Work) -> Turn<'_> {
        Turn {
            desk: &self.desk,
            work,
            user: person.user,
            lang: self.settings.staff_lang,
            chosen: None,
            node: MAIN.to_owned(),
            flow: None,
            last_question: None,
            forgotten: false,
            place: ctx.place,
            first_name: display_name(&ctx.first_name, person.user),
            notice: None,
            logged: Vec::new(),
        }
    }

    fn turn(&self, person: Person, ctx: &Context, saved: Option<&Conversation>, work: Work) -> Turn<'_> {
        let chosen = saved.and_then(|c| c.lang);
        let lang = chosen.unwrap_or(person.lang_hint);
        let (flow, notice) = match saved.and_then(|c| c.flow.as_deref()) {
            None => (None, None),
            Some(json) => match Flow::from_json(json) {
                Some(flow) => (Some(flow), None),
                // Saved by a release whose flows looked different: start over politely.
                None => (None, Some(ui::state_reset(lang))),
            },
        };
        Turn {
            desk: &self.desk,
            work,
            user: person.user,
            lang,
            chosen,
            node: saved.map_or_else(|| MAIN.to_owned(), |c| c.node.clone()),
            flow,
            last_question: saved
                .and_then(|c| c.last_question.as_deref())
                .and_then(|q| serde_json::from_str(q).ok()),
            forgotten: false,
            place: ctx.place,
            first_name: display_name(&ctx.first_name, person.user),
            notice,
            logged: Vec::new(),
        }
    }
}

/// The replies as outbox messages, when the adapter delivers them through the outbox.
fn owed(ctx: &Context, replies: &[Reply]) -> Vec<OutMessage> {
    match ctx.reply_in {
        Some(to) => replies.iter().map(|r| r.to_message(to, ctx.place)).collect(),
        None => Vec::new(),
    }
}

/// How long after handling an update its id still marks a delivery again: Telegram
/// re-delivers within minutes, and may restart ids after a quiet week.
const REDELIVERY_WINDOW: SignedDuration = SignedDuration::from_hours(48);
