//! The conversation core: "this person said or pressed this" → "say this, with these
//! buttons", plus the person's saved place. It knows nothing of Telegram or terminals;
//! the adapters translate.

mod after_training;
mod alerts;
mod answering;
mod asking;
mod booking;
mod cache;
mod command;
mod dispatch;
mod flow;
mod learning;
mod menus;
mod publishing;
mod reload;
mod session_form;
mod staff_sessions;
mod staff_tickets;
pub mod ui;

pub use answering::DRAFT_TTL;
pub use command::{COMMANDS, Command, STAFF_COMMANDS, addressee};
pub use flow::Flow;
use flow::LastQuestion;
pub use staff_sessions::verified_text;
pub use staff_tickets::stats_text;

use crate::clock::{Clock, SystemClock};
use crate::dialogue::{MAIN, Tree, render::escape_html};
use crate::ids::UpdateId;
use crate::lang::Lang;
use crate::matching::Matcher;
pub use crate::message::{Audience, Button, Callback, Document, OutMessage, SessionVerb, Target, TicketVerb, to};
use crate::storage::{Conversation, Store, StoreError, Work, conversations};
pub use crate::text::shorten;
use crate::tickets::TicketId;
use crate::trainings::SessionId;
use jiff::SignedDuration;
use std::collections::HashSet;
use std::sync::Arc;

/// Who is talking: their Telegram (or console) user id, and the language their client
/// reports, used until they choose one with /language.
#[derive(Clone, Copy, Debug)]
pub struct Person {
    pub user: i64,
    pub lang_hint: Lang,
}

/// Where an event happened.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Place {
    /// The person's private chat with the bot (or the console).
    Private,
    /// The staff group, whose id this is.
    StaffChat(i64),
}

/// What an adapter knows about an event besides the person: where it happened, the
/// person's name (shown to staff on tickets), the ticket of the message it replies to,
/// and the update it came in.
#[derive(Clone, Debug)]
pub struct Context {
    pub place: Place,
    pub first_name: String,
    /// The ticket whose message this replies to (the adapter knows which messages
    /// belong to which ticket).
    pub reply_to_ticket: Option<TicketId>,
    /// The update this event came in: an update delivered again is not handled twice.
    pub update: Option<UpdateId>,
    /// The adapter already let this event past flood control (`Engine::admit`).
    pub admitted: bool,
    /// Where the replies go when the adapter delivers them through the outbox: they are
    /// then queued in the same transaction as the change they answer, so a crash after
    /// the commit still delivers them, and one before leaves nothing half done.
    pub reply_in: Option<ReplyIn>,
}

/// The chat an event's replies go to, and the message whose button was pressed (a
/// reply placed `Replace` is shown in its place).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReplyIn {
    pub chat: crate::ids::ChatId,
    pub pressed: Option<crate::ids::MessageId>,
}

impl Default for Context {
    fn default() -> Context {
        Context {
            place: Place::Private,
            first_name: String::new(),
            reply_to_ticket: None,
            update: None,
            admitted: false,
            reply_in: None,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    /// Typed text, commands included.
    Text(String),
    /// A button pressed: what it means, or `None` for a button the bot does not know
    /// (an old one, or hand-made data).
    Press(Option<Callback>),
    /// A document, photo, video or voice message: relayed with a question for staff or
    /// an answer from staff, not read.
    File(crate::tickets::Attachment),
    /// A sticker, poll, location…: something the bot neither reads nor relays.
    Unsupported,
    /// An adapter (re)connects to a person: show where they were.
    Resume,
}

impl Event {
    /// Who may send it: a staff command or a staff button is for staff.
    pub fn audience(&self) -> Audience {
        match self {
            Event::Text(text) => Command::parse(text).map_or(Audience::Anyone, |c| c.audience()),
            Event::Press(Some(pressed)) => pressed.audience(),
            Event::Press(None) | Event::File(_) | Event::Unsupported | Event::Resume => Audience::Anyone,
        }
    }
}

/// Where a reply goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Placement {
    /// A new message.
    New,
    /// In place of the message whose button was pressed, so menus do not flood the chat.
    Replace,
}

/// One message to show: Telegram HTML (user text already escaped), rows of buttons,
/// perhaps a file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reply {
    pub html: String,
    pub keyboard: Vec<Vec<Button>>,
    pub placement: Placement,
    pub document: Option<Document>,
}

impl Reply {
    pub fn new(html: impl Into<String>, keyboard: Vec<Vec<Button>>) -> Reply {
        Reply {
            html: html.into(),
            keyboard,
            placement: Placement::New,
            document: None,
        }
    }

    fn with_keyboard(mut self, keyboard: Vec<Vec<Button>>) -> Reply {
        self.keyboard = keyboard;
        self
    }

    fn placed(mut self, placement: Placement) -> Reply {
        self.placement = placement;
        self
    }

    /// The reply as an outbox message to `to`'s chat (`Recipient::Staff` in the staff
    /// chat, which Telegram may move).
    fn to_message(&self, to: ReplyIn, place: Place) -> OutMessage {
        let recipient = match place {
            Place::StaffChat(_) => crate::message::Recipient::Staff,
            Place::Private => crate::message::Recipient::Chat(to.chat),
        };
        let mut m = OutMessage::new(recipient, self.html.clone());
        m.keyboard = self.keyboard.clone();
        m.document = self.document.clone();
        if self.placement == Placement::Replace {
            m.edit = to.pressed.map(|message| crate::ids::MessageRef::new(to.chat, message));
        }
        m
    }

    /// Puts a short notice (in italics) above the message.
    fn with_notice(mut self, notice: &str) -> Reply {
        self.html = format!("<i>{}</i>\n\n{}", escape_html(notice), self.html);
        self
    }
}

/// Why an event could not be handled. The person gets a plain apology; the log gets
/// this.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// The database failed (which query is in the error).
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Matching a question failed (its thread panicked or the runtime is stopping).
    #[error("could not match a question: {0}")]
    Matching(String),
    /// Drawing a file (a certificate, a QR code, a chart, a workbook) failed.
    #[error("could not draw a file: {0}")]
    Render(String),
}

/// Sees each person's event before it is handled (user id, event).
pub type Observer = Arc<dyn Fn(i64, &Event) + Send + Sync>;

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

/// The options that stay fixed while the engine runs.
struct Settings {
    retention_days: u32,
    staff_chat: Option<i64>,
    staff_lang: Lang,
    tickets_per_day: u32,
    staff_remind_after: SignedDuration,
    dialogues_dir: Option<std::path::PathBuf>,
    trained_before: u32,
    channel: Option<i64>,
    remind_before: SignedDuration,
}

/// The engine; cheap to clone (everything inside is shared).
#[derive(Clone)]
pub struct Engine {
    /// The matching index, replaced whole when staff teach it a phrasing.
    index: Arc<std::sync::RwLock<Index>>,
    store: Store,
    staff: Arc<HashSet<i64>>,
    clock: Arc<dyn Clock>,
    settings: Arc<Settings>,
    flood: Arc<crate::flood::FloodGuard>,
    observer: Option<Observer>,
    /// Conversations recently seen, so that most updates need no read at all.
    conversations: Arc<cache::Conversations>,
    /// The thread that matches questions, off the async runtime.
    matching: crate::matching::worker::Worker,
    /// How the adapter writes deep links.
    links: Arc<std::sync::OnceLock<LinkMaker>>,
}

/// Where a deep link leads: the adapter makes the address and, when it is opened,
/// turns it back into the matching `Callback`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DeepLink {
    /// A session's booking.
    Booking(SessionId),
    /// Check-in at a session, with its key.
    CheckIn(SessionId, String),
    /// Staff: the form for a new session, in the private chat…
    NewSession,
    /// …or for changing one.
    EditSession(SessionId),
    /// Staff: the form for an alert, in the private chat.
    Publish,
}

/// Makes a deep link's address.
pub type LinkMaker = Arc<dyn Fn(&DeepLink) -> String + Send + Sync>;

/// A phrasing learned from staff: (node id, language, text).
type Learned = (String, Lang, String);

/// The dialogues and their matching index, replaced together (a reload of the
/// dialogues, a phrasing learned from staff).
struct Index {
    tree: Arc<Tree>,
    matcher: Arc<Matcher>,
    learned: Vec<Learned>,
    /// The learned phrasings' version in the database when last read.
    version: Option<(i64, i64)>,
}

/// A button that presses `callback`.

/// One person's state during one event: loaded before, saved after, with the
/// database work of the event (committed as one).
struct Turn {
    work: Work,
    user: i64,
    lang: Lang,
    chosen: Option<Lang>,
    node: String,
    flow: Option<Flow>,
    last_question: Option<LastQuestion>,
    /// The person asked to be forgotten: nothing about them is saved after this turn.
    forgotten: bool,
    place: Place,
    first_name: String,
    /// Said once above the first reply (a reset of unreadable saved state).
    notice: Option<&'static str>,
    /// Questions typed in this turn, logged with its other changes.
    logged: Vec<crate::storage::questions::Logged>,
}

impl Engine {
    /// Builds the matching index once, here, not per question.
    pub fn new(tree: Tree, store: Store) -> Engine {
        Engine::with_options(tree, store, Options::default())
    }

    pub fn with_options(tree: Tree, store: Store, options: Options) -> Engine {
        let matcher = Arc::new(Matcher::new(&tree));
        Engine {
            matching: crate::matching::worker::Worker::start(),
            links: Arc::new(std::sync::OnceLock::new()),
            index: Arc::new(std::sync::RwLock::new(Index {
                tree: Arc::new(tree),
                matcher,
                learned: Vec::new(),
                version: None,
            })),
            store,
            staff: Arc::new(options.staff.into_iter().collect()),
            clock: options.clock,
            flood: Arc::new(crate::flood::FloodGuard::new(options.flood)),
            observer: options.observer,
            conversations: Arc::new(cache::Conversations::new(cache::CAPACITY)),
            settings: Arc::new(Settings {
                retention_days: options.retention_days,
                staff_chat: options.staff_chat,
                staff_lang: options.staff_lang,
                tickets_per_day: options.tickets_per_day,
                staff_remind_after: options.staff_remind_after,
                dialogues_dir: options.dialogues_dir,
                trained_before: options.trained_before,
                channel: options.channel,
                remind_before: options.remind_before,
            }),
        }
    }

    /// The dialogues as they are now (a reload replaces them between two messages).
    pub fn tree(&self) -> Arc<Tree> {
        self.index.read().expect("index lock").tree.clone()
    }

    /// Replaces the dialogues (already loaded and valid) and their matching index, for
    /// the next message; conversations whose node is gone are handled as ever (they
    /// land on the main menu with a notice).
    pub async fn replace_tree(&self, tree: Tree) -> Result<(), EngineError> {
        let learned = self.learned_now();
        let tree = Arc::new(tree);
        let built = tree.clone();
        let matcher = tokio::task::spawn_blocking(move || Matcher::with_learned(&built, &learned))
            .await
            .map_err(|e| EngineError::Matching(format!("could not build the index: {e}")))?;
        let mut index = self.index.write().expect("index lock");
        index.tree = tree;
        index.matcher = Arc::new(matcher);
        Ok(())
    }

    /// Lets an adapter say how its deep links look (Telegram: `t.me/<bot>?start=…`);
    /// the first call wins.
    pub fn set_link_maker(&self, maker: LinkMaker) {
        let _ = self.links.set(maker);
    }

    /// The address of a deep link, when the adapter can make one.
    pub(crate) fn link(&self, to: &DeepLink) -> Option<String> {
        self.links.get().map(|make| make(to))
    }

    /// The matching index as it is now (the tree's phrasings and those learned).
    pub fn matcher(&self) -> Arc<Matcher> {
        self.index.read().expect("index lock").matcher.clone()
    }

    /// The phrasings the index was last built with.
    fn learned_now(&self) -> Vec<Learned> {
        self.index.read().expect("index lock").learned.clone()
    }

    /// Builds an index with `learned` (off the runtime: it takes milliseconds) and puts
    /// it in place.
    async fn rebuild(&self, learned: Vec<Learned>, version: Option<(i64, i64)>) -> Result<(), EngineError> {
        let tree = self.tree();
        let built = tree.clone();
        let (matcher, learned) =
            tokio::task::spawn_blocking(move || (Matcher::with_learned(&built, &learned), learned))
                .await
                .map_err(|e| EngineError::Matching(format!("could not rebuild the index: {e}")))?;
        let mut index = self.index.write().expect("index lock");
        if !Arc::ptr_eq(&index.tree, &tree) {
            // The dialogues were reloaded meanwhile; the phrasings are picked up by the
            // minute's check, with the new tree.
            index.version = None;
            return Ok(());
        }
        index.matcher = Arc::new(matcher);
        index.learned = learned;
        if version.is_some() {
            index.version = version;
        }
        Ok(())
    }

    /// Re-reads the phrasings learned from staff and rebuilds the matching index with
    /// them; the next question uses it. Returns how many there are.
    pub async fn relearn(&self) -> Result<usize, EngineError> {
        let (version, all) = self
            .store
            .read(async |c| {
                let version = crate::storage::phrasings::version(&mut *c).await?;
                Ok::<_, crate::storage::StoreError>((version, crate::storage::phrasings::all(c).await?))
            })
            .await?;
        let learned: Vec<Learned> = all.into_iter().map(|p| (p.node, p.lang, p.text)).collect();
        let n = learned.len();
        self.rebuild(learned, Some(version)).await?;
        Ok(n)
    }

    /// Relearns when the phrasings changed since last read (`eudesk phrasings remove`,
    /// or a rolled-back `/link`); `true` when it did.
    pub async fn relearn_if_changed(&self) -> Result<bool, EngineError> {
        let version = self
            .store
            .read(async |c| crate::storage::phrasings::version(c).await)
            .await?;
        if self.index.read().expect("index lock").version == Some(version) {
            return Ok(false);
        }
        self.relearn().await?;
        Ok(true)
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The engine's idea of now: the system clock, or a test's.
    pub fn now(&self) -> jiff::Timestamp {
        self.clock.now()
    }

    /// Office hours an untaken ticket may wait before staff are reminded of it.
    pub fn staff_remind_after(&self) -> SignedDuration {
        self.settings.staff_remind_after
    }

    /// STAFF_CHAT_ID as configured (the adapter follows the group if Telegram moves it).
    pub fn configured_staff_chat(&self) -> Option<i64> {
        self.settings.staff_chat
    }

    /// The language of the staff chat's texts.
    pub fn staff_lang(&self) -> Lang {
        self.settings.staff_lang
    }

    /// Days after which closed tickets and past registrations are anonymised.
    pub fn retention_days(&self) -> u32 {
        self.settings.retention_days
    }

    pub fn is_staff(&self, user: i64) -> bool {
        self.staff.contains(&user)
    }

    /// Flood control, before any other work (the adapter calls it before touching the
    /// database, so a flooder costs nothing but this look-up): `None` lets the event
    /// through; otherwise the replies to give instead (one "slow down", then nothing).
    /// Staff are never slowed: they may answer many tickets in a row.
    pub fn admit(&self, person: Person) -> Option<Vec<Reply>> {
        if self.is_staff(person.user) {
            return None;
        }
        match self.flood.check(person.user, self.clock.now()) {
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
    #[tracing::instrument(skip(self, ctx, event), fields(user = person.user))]
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
            let replies = self.staff_chat_event(&mut turn, event, ctx.reply_to_ticket).await?;
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
        let saved = match self.conversations.get(person.user) {
            Some(saved) => Some(saved),
            None => conversations::load(work.read().await?, person.user).await?,
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
                vec![self.notice(turn.lang, ui::staff_only(turn.lang))]
            }
            // A value or a press meant for the form: only the notice.
            Event::Text(text) if revoked && Command::parse(&text).is_none() => Vec::new(),
            Event::Press(Some(Callback::Flow(_))) | Event::File(_) if revoked => Vec::new(),
            Event::Text(text) => self.text(&mut turn, &text, ctx.reply_to_ticket).await?,
            Event::Press(pressed) => self.press(&mut turn, pressed).await?,
            Event::File(file) => self.file(&mut turn, &file, ctx.reply_to_ticket).await?,
            Event::Unsupported => self.unsupported(&mut turn).await?,
            Event::Resume => self.resume(&mut turn).await?,
        };
        match (turn.notice, replies.first_mut()) {
            (Some(notice), Some(first)) => *first = first.clone().with_notice(notice),
            (Some(notice), None) if revoked => replies.push(self.notice(turn.lang, notice)),
            _ => {}
        }
        let conv = Conversation {
            user: person.user,
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
            self.conversations.remove(person.user);
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
    fn staff_turn(&self, person: Person, ctx: &Context, work: Work) -> Turn {
        Turn {
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

    fn turn(&self, person: Person, ctx: &Context, saved: Option<&Conversation>, work: Work) -> Turn {
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

/// Cuts a long HTML text (made of escaped lines) at a line boundary so that it fits one
/// Telegram message.
pub(crate) fn fit_message(html: String) -> String {
    const LIMIT: usize = 3900;
    if html.encode_utf16().count() <= LIMIT {
        return html;
    }
    let mut out = String::new();
    for line in html.lines() {
        if (out.encode_utf16().count() + line.encode_utf16().count() + 2) > LIMIT {
            out.push_str("\n…");
            break;
        }
        out.push_str(line);
        out.push('\n');
    }
    out
}

/// The longest name shown for a person: names go into staff posts and notes.
const MAX_NAME_CHARS: usize = 64;

/// A person's name as the bot shows it: without control or direction-override
/// characters (which would reverse a staff post's line), on one line, shortened; their
/// id when nothing printable is left.
pub fn display_name(name: &str, user: i64) -> String {
    let cleaned = crate::dialogue::render::printable(name)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    let cleaned: String = cleaned
        .chars()
        .filter(|c| !matches!(c, '\u{200B}'..='\u{200F}' | '\u{061C}' | '\u{FEFF}'))
        .collect();
    if cleaned.trim().is_empty() {
        format!("#{user}")
    } else {
        shorten(&cleaned, MAX_NAME_CHARS)
    }
}
