//! The conversation core: "this person said or pressed this" → "say this, with these
//! buttons", plus the person's saved place. It knows nothing of Telegram or terminals;
//! the adapters translate.

mod answering;
mod booking;
mod callback;
mod command;
mod flow;
pub mod notices;
mod staff;
pub mod ticket_messages;
mod tickets;
pub mod ui;

pub use callback::{Callback, TicketVerb};
pub use command::{COMMANDS, Command, STAFF_COMMANDS, addressee};
pub use flow::Flow;
use flow::LastQuestion;
use tickets::FollowUpInput;
pub use tickets::{STAFF_CHAT_MOVE, stats_text};

use crate::clock::{Clock, SystemClock};
use crate::dialogue::{Action, MAIN, Node, NodeId, Tree, render::escape_html};
use crate::lang::Lang;
use crate::matching::{Decision, MAX_SUGGESTIONS, Matcher};
pub use crate::message::{Button, Document, OutMessage, Target};
use crate::storage::{Conversation, Store, StoreError};
use crate::tickets::TicketId;
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
/// person's first name (shown to staff on tickets), and which message it replies to.
#[derive(Clone, Debug)]
pub struct Context {
    pub place: Place,
    pub first_name: String,
    pub reply_to: Option<i64>,
    /// The adapter already let this event past flood control (`Engine::admit`).
    pub admitted: bool,
}

impl Default for Context {
    fn default() -> Context {
        Context {
            place: Place::Private,
            first_name: String::new(),
            reply_to: None,
            admitted: false,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    /// Typed text, commands included.
    Text(String),
    /// An inline button's callback data.
    Press(String),
    /// A document, photo, video or voice message: relayed with a question for staff or
    /// an answer from staff, not read.
    File(crate::tickets::Attachment),
    /// A sticker, poll, location…: something the bot neither reads nor relays.
    Unsupported,
    /// An adapter (re)connects to a person: show where they were.
    Resume,
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

    /// Puts a short notice (in italics) above the message.
    fn with_notice(mut self, notice: &str) -> Reply {
        self.html = format!("<i>{}</i>\n\n{}", escape_html(notice), self.html);
        self
    }
}

#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Sees each person's event before it is handled (user id, event).
pub type Observer = Arc<dyn Fn(i64, &Event) + Send + Sync>;

/// What the engine needs besides content and storage.
pub struct Options {
    /// Telegram user ids allowed to use staff commands.
    pub staff: Vec<i64>,
    pub clock: Arc<dyn Clock>,
    /// STAFF_CHAT_ID: where tickets are posted (until Telegram moves the group).
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
}

/// The engine; cheap to clone (everything inside is shared).
#[derive(Clone)]
pub struct Engine {
    tree: Arc<Tree>,
    matcher: Arc<Matcher>,
    store: Store,
    staff: Arc<HashSet<i64>>,
    clock: Arc<dyn Clock>,
    settings: Arc<Settings>,
    flood: Arc<crate::flood::FloodGuard>,
    observer: Option<Observer>,
    /// The staff chat's id once read (STAFF_CHAT_ID, or where Telegram moved it): asked
    /// for every update, changed only by a move this process records.
    staff_chat: Arc<std::sync::RwLock<Option<Option<i64>>>>,
}

fn to(label: &str, callback: Callback) -> Button {
    Button::callback(label, callback.encode())
}

/// One person's state during one event: loaded before, saved after.
struct Turn {
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
}

impl Engine {
    /// Builds the matching index once, here, not per question.
    pub fn new(tree: Tree, store: Store) -> Engine {
        Engine::with_options(tree, store, Options::default())
    }

    pub fn with_options(tree: Tree, store: Store, options: Options) -> Engine {
        let matcher = Matcher::new(&tree);
        Engine {
            tree: Arc::new(tree),
            matcher: Arc::new(matcher),
            store,
            staff: Arc::new(options.staff.into_iter().collect()),
            clock: options.clock,
            flood: Arc::new(crate::flood::FloodGuard::new(options.flood)),
            observer: options.observer,
            staff_chat: Arc::new(std::sync::RwLock::new(None)),
            settings: Arc::new(Settings {
                retention_days: options.retention_days,
                staff_chat: options.staff_chat,
                staff_lang: options.staff_lang,
                tickets_per_day: options.tickets_per_day,
                staff_remind_after: options.staff_remind_after,
            }),
        }
    }

    pub fn tree(&self) -> &Tree {
        &self.tree
    }

    pub fn matcher(&self) -> &Matcher {
        &self.matcher
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The engine's idea of now: the system clock, or a test's.
    pub fn now(&self) -> jiff::Timestamp {
        self.clock.now()
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

    /// Handles one event and saves the person's new state before returning what to say.
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
            if let Some(observe) = &self.observer {
                observe(person.user, &event);
            }
            let mut turn = self.staff_turn(person, &ctx);
            return self.staff_chat_event(&mut turn, event, ctx.reply_to).await;
        }
        if !ctx.admitted
            && let Some(replies) = self.admit(person)
        {
            return Ok(replies);
        }
        if let Some(observe) = &self.observer {
            observe(person.user, &event);
        }
        let saved = self.store.conversation(person.user).await?;
        let mut turn = self.turn(person, &ctx, saved.as_ref());
        let mut replies = match event {
            Event::Text(text) => self.text(&mut turn, &text, ctx.reply_to).await?,
            Event::Press(data) => self.press(&mut turn, &data).await?,
            Event::File(file) => self.file(&mut turn, &file, ctx.reply_to).await?,
            Event::Unsupported => self.unsupported(&mut turn).await?,
            Event::Resume => self.resume(&mut turn).await?,
        };
        if let (Some(notice), Some(first)) = (turn.notice, replies.first_mut()) {
            *first = first.clone().with_notice(notice);
        }
        let conv = Conversation {
            user: person.user,
            lang: turn.chosen,
            node: turn.node,
            flow: turn.flow.as_ref().map(Flow::to_json),
            last_question: turn.last_question.as_ref().and_then(|q| serde_json::to_string(q).ok()),
        };
        if saved.as_ref() != Some(&conv) && !turn.forgotten {
            self.store.save_conversation(&conv).await?;
        }
        Ok(replies)
    }

    /// A staff member's turn in the staff chat: the staff chat's language, no private
    /// state loaded, nothing of it saved.
    fn staff_turn(&self, person: Person, ctx: &Context) -> Turn {
        Turn {
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
        }
    }

    /// What a staff member does in the staff chat: staff commands, replies to ticket
    /// posts, the answer they are writing, ticket buttons. Everything else there is
    /// staff talking among themselves.
    async fn staff_chat_event(
        &self,
        turn: &mut Turn,
        event: Event,
        reply_to: Option<i64>,
    ) -> Result<Vec<Reply>, EngineError> {
        let lang = turn.lang;
        let Place::StaffChat(chat) = turn.place else {
            return Ok(Vec::new());
        };
        let replied_ticket = match reply_to {
            Some(message) => self.store.ticket_of_message(chat, message).await?,
            None => None,
        };
        match event {
            Event::Text(text) => {
                if let Some(command) = Command::parse(&text) {
                    return self.staff_chat_command(turn, command).await;
                }
                if let Some(id) = replied_ticket {
                    return self.answer_with(turn, id, answering::Input::Text(&text)).await;
                }
                Ok(self
                    .draft_input(turn, answering::Input::Text(&text))
                    .await?
                    .unwrap_or_default())
            }
            Event::File(file) => {
                if let Some(id) = replied_ticket {
                    return self.answer_with(turn, id, answering::Input::File(&file)).await;
                }
                Ok(self
                    .draft_input(turn, answering::Input::File(&file))
                    .await?
                    .unwrap_or_default())
            }
            Event::Unsupported => {
                let answering =
                    replied_ticket.is_some() || self.live_draft(turn).await?.is_some_and(|d| d.content.is_none());
                Ok(if answering {
                    vec![self.staff_reply(ui::cannot_relay(lang))]
                } else {
                    Vec::new()
                })
            }
            Event::Press(data) => match Callback::decode(&data) {
                Some(Callback::Ticket(verb, id)) => self.ticket_press(turn, verb, id).await,
                _ => Ok(Vec::new()),
            },
            Event::Resume => Ok(Vec::new()),
        }
    }

    /// A command in the staff chat. The people's commands start private flows, whose
    /// prompts must not land in the group: they are pointed to the private chat.
    async fn staff_chat_command(&self, turn: &mut Turn, command: Command) -> Result<Vec<Reply>, EngineError> {
        let lang = turn.lang;
        match command {
            Command::Help => Ok(vec![self.staff_reply(ui::staff_help(lang).trim_start())]),
            Command::Cancel => Ok(vec![self.staff_reply(&match self.cancel_draft(turn).await? {
                Some(id) => ui::answer_cancelled(lang, id),
                None => ui::nothing_to_cancel(lang).to_owned(),
            })]),
            Command::Tickets
            | Command::Ticket(_)
            | Command::Take(_)
            | Command::Close(_)
            | Command::Reply(_)
            | Command::Stats
            | Command::Faq(_) => self.ticket_command(turn, &command).await,
            Command::Sessions => self.staff_sessions(lang).await,
            Command::Attendees(arg) => self.staff_attendees(lang, &arg).await,
            Command::Broadcast(arg) => self.staff_broadcast(lang, &arg).await,
            Command::Unknown(_) => Ok(Vec::new()),
            _ => Ok(vec![self.staff_reply(ui::private_only(lang))]),
        }
    }

    /// Typed text: a command, a reply to a ticket message, the next answer of a flow,
    /// or a question.
    async fn text(&self, turn: &mut Turn, text: &str, reply_to: Option<i64>) -> Result<Vec<Reply>, EngineError> {
        if let Some(command) = Command::parse(text) {
            return self.command(turn, command).await;
        }
        if let Some(message) = reply_to
            && let Some(replies) = self.person_reply_to(turn, message, FollowUpInput::Text(text)).await?
        {
            return Ok(replies);
        }
        // A staff member writing an answer in their private chat (after Edit).
        if self.is_staff(turn.user)
            && let Some(replies) = self.draft_input(turn, answering::Input::Text(text)).await?
        {
            return Ok(replies);
        }
        match turn.flow.clone() {
            Some(Flow::Booking(_)) => self.flow_text(turn, text).await,
            Some(Flow::Ask(_)) => Ok(self.ask_text(turn, text)),
            Some(Flow::FollowUp { ticket }) => self.follow_up(turn, TicketId(ticket), FollowUpInput::Text(text)).await,
            None => self.question(turn, text).await,
        }
    }

    /// A file in a private chat: part of a question for staff or a follow-up (relayed
    /// with it), an answer a staff member is writing, or else something the bot cannot
    /// read.
    async fn file(
        &self,
        turn: &mut Turn,
        file: &crate::tickets::Attachment,
        reply_to: Option<i64>,
    ) -> Result<Vec<Reply>, EngineError> {
        if let Some(message) = reply_to
            && let Some(replies) = self.person_reply_to(turn, message, FollowUpInput::File(file)).await?
        {
            return Ok(replies);
        }
        if self.is_staff(turn.user)
            && let Some(replies) = self.draft_input(turn, answering::Input::File(file)).await?
        {
            return Ok(replies);
        }
        match turn.flow.clone() {
            Some(Flow::Ask(_)) => Ok(self.ask_file(turn, file)),
            Some(Flow::FollowUp { ticket }) => self.follow_up(turn, TicketId(ticket), FollowUpInput::File(file)).await,
            _ => Ok(vec![self.notice(turn.lang, ui::text_only(turn.lang))]),
        }
    }

    /// A sticker, poll, location…: said plainly that it cannot be passed on when the
    /// person is writing to staff, and that the bot reads text otherwise.
    async fn unsupported(&self, turn: &mut Turn) -> Result<Vec<Reply>, EngineError> {
        let lang = turn.lang;
        Ok(match turn.flow {
            Some(Flow::Ask(_) | Flow::FollowUp { .. }) => vec![Reply::new(ui::cannot_relay(lang), Vec::new())],
            _ => vec![self.notice(lang, ui::text_only(lang))],
        })
    }

    fn turn(&self, person: Person, ctx: &Context, saved: Option<&Conversation>) -> Turn {
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
        }
    }

    async fn command(&self, turn: &mut Turn, command: Command) -> Result<Vec<Reply>, EngineError> {
        let lang = turn.lang;
        Ok(match command {
            Command::Start(Some(payload)) if payload.starts_with("training_") => {
                self.abandon_flow(turn);
                match payload["training_".len()..].parse::<i64>() {
                    Ok(id) if id > 0 => {
                        self.start_booking(turn, crate::trainings::SessionId(id), Placement::New)
                            .await?
                    }
                    _ => self.trainings(turn, Placement::New).await?,
                }
            }
            Command::Start(_) | Command::Menu => {
                let abandoned = self.abandon_flow(turn);
                let menu = self.show(turn, self.tree.main(), Placement::New);
                vec![if abandoned {
                    menu.with_notice(ui::booking_abandoned(lang))
                } else {
                    menu
                }]
            }
            Command::Help => {
                let mut help = ui::help(lang);
                if self.is_staff(turn.user) {
                    help.push_str(&ui::staff_help(lang));
                }
                let mut replies = vec![self.notice(lang, &help)];
                if turn.flow.is_some() {
                    replies.extend(self.flow_prompt(turn).await?);
                }
                replies
            }
            Command::Language => {
                let keyboard = vec![vec![
                    to("🇹🇷 Türkçe", Callback::Lang(Lang::Tr)),
                    to("🇬🇧 English", Callback::Lang(Lang::En)),
                ]];
                vec![Reply::new(ui::choose_language(), keyboard)]
            }
            Command::Cancel => {
                // Each flow says what was cancelled; a staff member may also be writing
                // an answer in this chat.
                let draft = if self.is_staff(turn.user) {
                    self.cancel_draft(turn).await?
                } else {
                    None
                };
                let said = match (turn.flow.take(), draft) {
                    (Some(Flow::Booking(_)), _) => ui::booking_cancelled(lang).to_owned(),
                    (Some(Flow::Ask(_)), _) => ui::question_cancelled(lang).to_owned(),
                    (Some(Flow::FollowUp { ticket }), _) => ui::follow_up_cancelled(lang, TicketId(ticket)),
                    (None, Some(id)) => ui::answer_cancelled(lang, id),
                    (None, None) => ui::nothing_to_cancel(lang).to_owned(),
                };
                vec![self.notice(lang, &said)]
            }
            Command::Trainings => {
                self.abandon_flow(turn);
                self.trainings(turn, Placement::New).await?
            }
            Command::MyRegistrations => {
                self.abandon_flow(turn);
                self.my_registrations(turn, Placement::New).await?
            }
            Command::Ask(question) => {
                self.abandon_flow(turn);
                self.start_ask(turn, Some(&question))
            }
            Command::MyTickets => {
                self.abandon_flow(turn);
                self.my_tickets(turn).await?
            }
            Command::Privacy => vec![self.notice(lang, &ui::privacy(lang, self.settings.retention_days))],
            Command::Forget => {
                let keyboard = vec![
                    vec![to(ui::forget_yes(lang), Callback::Forget)],
                    vec![self.main_button(lang)],
                ];
                vec![Reply::new(ui::forget_confirm(lang), keyboard)]
            }
            Command::Sessions
            | Command::Attendees(_)
            | Command::Broadcast(_)
            | Command::Tickets
            | Command::Ticket(_)
            | Command::Take(_)
            | Command::Close(_)
            | Command::Reply(_)
            | Command::Stats
            | Command::Faq(_)
                if !self.is_staff(turn.user) =>
            {
                vec![self.notice(lang, ui::staff_only(lang))]
            }
            Command::Tickets
            | Command::Ticket(_)
            | Command::Take(_)
            | Command::Close(_)
            | Command::Reply(_)
            | Command::Stats
            | Command::Faq(_) => self.ticket_command(turn, &command).await?,
            Command::Sessions => self.staff_sessions(lang).await?,
            Command::Attendees(arg) => self.staff_attendees(lang, &arg).await?,
            Command::Broadcast(arg) => self.staff_broadcast(lang, &arg).await?,
            Command::Unknown(name) => {
                let name = crate::dialogue::render::printable(&shorten(&name, 40));
                vec![self.notice(lang, &ui::unknown_command(lang, &escape_html(&name)))]
            }
        })
    }

    async fn press(&self, turn: &mut Turn, data: &str) -> Result<Vec<Reply>, EngineError> {
        let lang = turn.lang;
        let replace = Placement::Replace;
        Ok(match Callback::decode(data) {
            Some(Callback::Node(id)) => {
                let abandoned = self.abandon_flow(turn);
                let reply = match self.tree.get(id.as_str()) {
                    Some(node) => self.show(turn, node, replace),
                    None => self
                        .show(turn, self.tree.main(), replace)
                        .with_notice(ui::node_gone(lang)),
                };
                vec![if abandoned {
                    reply.with_notice(ui::booking_abandoned(lang))
                } else {
                    reply
                }]
            }
            Some(Callback::Action(id)) => match self.tree.get(id.as_str()).and_then(|n| n.action.map(|a| (n, a))) {
                Some((node, Action::RegisterTraining)) => {
                    turn.node = node.id.to_string();
                    self.abandon_flow(turn);
                    self.trainings(turn, Placement::New).await?
                }
                Some((node, Action::AskStaff)) => {
                    // From the menu: a new question, not the last unanswered one.
                    turn.node = node.id.to_string();
                    turn.last_question = None;
                    self.abandon_flow(turn);
                    self.start_ask(turn, None)
                }
                None => vec![
                    self.show(turn, self.tree.main(), replace)
                        .with_notice(ui::node_gone(lang)),
                ],
            },
            Some(Callback::Lang(chosen)) => {
                turn.chosen = Some(chosen);
                turn.lang = chosen;
                vec![
                    self.show(turn, self.tree.main(), replace)
                        .with_notice(ui::language_set(chosen)),
                ]
            }
            Some(Callback::Trainings) => {
                self.abandon_flow(turn);
                self.trainings(turn, replace).await?
            }
            Some(Callback::Session(id)) => {
                self.abandon_flow(turn);
                self.start_booking(turn, id, replace).await?
            }
            Some(Callback::Flow(value)) => match turn.flow {
                Some(Flow::Ask(_)) => self.ask_press(turn, &value).await?,
                Some(Flow::FollowUp { .. }) if value == "cancel" => {
                    turn.flow = None;
                    vec![self.notice(lang, ui::nothing_sent(lang)).placed(replace)]
                }
                _ => self.flow_press(turn, &value).await?,
            },
            Some(Callback::Forget) => {
                let erased = self
                    .store
                    .forget(turn.user, self.clock.now(), notices::promoted)
                    .await?;
                // Out of the WAL too, now, not at the next automatic checkpoint.
                if let Err(err) = self.store.checkpoint().await {
                    tracing::warn!(parent: None, %err, "could not checkpoint the database after an erasure");
                }
                // Logged outside this update's span, which names the person: the log
                // must not tie an id to an erasure any more than `privacy_log` does.
                tracing::info!(
                    parent: None,
                    cancelled = erased.cancelled,
                    registrations = erased.registrations,
                    tickets = erased.tickets,
                    "a person's data was erased at their request"
                );
                turn.forgotten = true;
                vec![Reply::new(ui::forgotten(lang), Vec::new()).placed(replace)]
            }
            Some(Callback::AskStaff) => {
                self.abandon_flow(turn);
                self.start_ask(turn, None)
            }
            Some(Callback::Ticket(verb, id)) => self.ticket_press(turn, verb, id).await?,
            Some(Callback::MyRegistrations) => self.my_registrations(turn, replace).await?,
            Some(Callback::CancelAsk(id)) => self.cancel_ask(turn, id).await?,
            Some(Callback::CancelDo(id)) => self.cancel_do(turn, id).await?,
            None => vec![
                self.show(turn, self.tree.main(), replace)
                    .with_notice(ui::button_unknown(lang)),
            ],
        })
    }

    /// Matches a question on a blocking-pool thread: matching is CPU work (bounded, but
    /// up to milliseconds for a 4,096-character message), and on the runtime's worker
    /// threads it would hold up every other chat, polling and the outbox meanwhile.
    pub async fn find(&self, text: &str, lang: Lang) -> crate::matching::Outcome {
        let matcher = self.matcher.clone();
        let text = text.to_owned();
        match tokio::task::spawn_blocking(move || matcher.find(&text, lang)).await {
            Ok(outcome) => outcome,
            // The blocking pool is gone only while the runtime shuts down; a panic in
            // matching is a bug that must surface like any other.
            Err(err) if err.is_panic() => std::panic::resume_unwind(err.into_panic()),
            Err(_) => crate::matching::Outcome {
                decision: Decision::Escalate,
                matches: Vec::new(),
            },
        }
    }

    async fn question(&self, turn: &mut Turn, text: &str) -> Result<Vec<Reply>, EngineError> {
        let lang = turn.lang;
        // Only greetings, emoji or punctuation: nothing to look up.
        let words = crate::matching::normalize::words(text);
        if words.is_empty() {
            return Ok(vec![self.notice(lang, ui::nothing_to_read(lang))]);
        }
        let outcome = self.find(text, lang).await;
        let decision = serde_json::to_value(outcome.decision).ok();
        let top = outcome.matches.first().map(|m| (m.id.as_str(), m.score));
        self.store
            .log_question(
                self.clock.now(),
                turn.user,
                lang,
                text,
                &words.join(" "),
                decision.as_ref().and_then(|d| d.as_str()).unwrap_or(""),
                top,
            )
            .await?;
        // Kept so "Ask staff" can pass the question on as typed.
        turn.last_question = match outcome.decision {
            Decision::Answer => None,
            Decision::Suggest | Decision::Escalate => Some(LastQuestion {
                text: shorten(text, crate::tickets::MAX_QUESTION_CHARS),
                matches: outcome
                    .matches
                    .iter()
                    .map(|m| crate::tickets::Candidate {
                        id: m.id.to_string(),
                        score: m.score,
                    })
                    .collect(),
            }),
        };
        let found = |i: usize| outcome.matches.get(i).and_then(|m| self.tree.get(m.id.as_str()));
        Ok(match outcome.decision {
            Decision::Answer => match found(0) {
                Some(node) => vec![self.show(turn, node, Placement::New)],
                None => vec![self.no_answer(lang, text)],
            },
            Decision::Suggest => {
                let mut keyboard: Vec<Vec<Button>> = (0..MAX_SUGGESTIONS)
                    .filter_map(found)
                    .map(|n| vec![to(n.label.get(lang), Callback::Node(n.id.clone()))])
                    .collect();
                keyboard.extend(self.ask_staff_row(lang));
                keyboard.push(vec![self.main_button(lang)]);
                vec![Reply::new(ui::did_you_mean(lang), keyboard)]
            }
            Decision::Escalate => vec![self.no_answer(lang, text)],
        })
    }

    fn no_answer(&self, lang: Lang, text: &str) -> Reply {
        let mut keyboard = self.ask_staff_row(lang);
        keyboard.push(vec![self.main_button(lang)]);
        let echoed = crate::dialogue::render::printable(&shorten(text, 200));
        Reply::new(ui::no_answer(lang, &escape_html(&echoed)), keyboard)
    }

    /// "Ask staff", passing on the question just asked.
    fn ask_staff_row(&self, lang: Lang) -> Vec<Vec<Button>> {
        vec![vec![to(ui::ask_staff(lang), Callback::AskStaff)]]
    }

    async fn resume(&self, turn: &mut Turn) -> Result<Vec<Reply>, EngineError> {
        if turn.flow.is_some() {
            return self.flow_prompt(turn).await;
        }
        let node = turn.node.clone();
        Ok(vec![match self.tree.get(&node) {
            Some(node) => self.show(turn, node, Placement::New),
            None => self
                .show(turn, self.tree.main(), Placement::New)
                .with_notice(ui::node_gone(turn.lang)),
        }])
    }

    /// A node as a message: its text, its children, its action, its links, and the way
    /// back.
    fn show(&self, turn: &mut Turn, node: &Node, placement: Placement) -> Reply {
        let lang = turn.lang;
        turn.node = node.id.to_string();
        let mut keyboard: Vec<Vec<Button>> = node
            .children
            .iter()
            .filter_map(|c| self.tree.get(c.as_str()))
            .map(|c| vec![to(c.label.get(lang), Callback::Node(c.id.clone()))])
            .collect();
        if let Some(action) = node.action {
            let label = match action {
                Action::RegisterTraining => ui::start_registration(lang),
                Action::AskStaff => ui::ask_staff(lang),
            };
            keyboard.push(vec![to(label, Callback::Action(node.id.clone()))]);
        }
        for link in &node.links {
            keyboard.push(vec![Button {
                label: format!("🔗 {}", link.label.get(lang)),
                target: Target::Url(link.url.clone()),
            }]);
        }
        if node.id.as_str() != MAIN {
            keyboard.push(self.nav_row(node, lang));
        }
        Reply::new(node.html.get(lang).clone(), keyboard).placed(placement)
    }

    /// "Back" to the menu that lists the node (when that is not the main menu), and
    /// "Main menu".
    fn nav_row(&self, node: &Node, lang: Lang) -> Vec<Button> {
        let mut row = Vec::new();
        if let Some(parent) = node.parent.as_ref().filter(|p| p.as_str() != MAIN) {
            row.push(to(ui::back(lang), Callback::Node(parent.clone())));
        }
        row.push(self.main_button(lang));
        row
    }

    fn main_button(&self, lang: Lang) -> Button {
        to(
            ui::main_menu(lang),
            Callback::Node(NodeId::parse(MAIN).expect("main is a valid id")),
        )
    }

    fn notice(&self, lang: Lang, html: &str) -> Reply {
        Reply::new(html, vec![vec![self.main_button(lang)]])
    }
}

/// At most `max` characters, with "…" when cut: a long question echoed back in full
/// would bury the buttons.
pub(super) fn shorten(text: &str, max: usize) -> String {
    let text = text.trim();
    if text.chars().count() <= max {
        text.to_owned()
    } else {
        let cut: String = text.chars().take(max).collect();
        format!("{cut}…")
    }
}

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
