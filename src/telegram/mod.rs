//! The teloxide adapter: Telegram updates in, engine events through, messages out.

pub mod callback_data;
pub mod deep_link;
mod outbox;
pub mod split;
pub mod staff_chat;
mod webhook;

use crate::config::{Config, ConfigError};
use crate::engine::{COMMANDS, Context, Engine, Event, Person, Place, Placement, Reply, Target};
use crate::ids::{ChatId as IdChat, MessageId as IdMessage, MessageRef, UpdateId};
use crate::lang::Lang;
use crate::message::{Button, Document};
use split::{TELEGRAM_LIMIT, split_html};
use staff_chat::StaffChat;
use teloxide::adaptors::Throttle;
use teloxide::adaptors::throttle::Limits;
use teloxide::dispatching::UpdateHandler;
use teloxide::prelude::*;
use teloxide::types::{
    BotCommand, InlineKeyboardButton, InlineKeyboardMarkup, InputFile, MessageId, ParseMode, ReplyParameters,
};
use teloxide::{ApiError, RequestError};

/// What the handlers send through: throttled to Telegram's limits, or not (a local Bot
/// API server, benchmarks). An enum rather than a generic or an erased requester: the
/// dispatcher needs `Send + Sync`, which `ErasedRequester` is not, and a generic would
/// spread trait bounds over every handler.
#[derive(Clone, Debug)]
pub enum Sender {
    Plain(Bot),
    Throttled(Throttle<Bot>),
}

/// Runs `$e` with `$b` bound to whichever bot the sender holds.
macro_rules! with_bot {
    ($sender:expr, $b:ident => $e:expr) => {
        match $sender {
            Sender::Plain($b) => $e,
            Sender::Throttled($b) => $e,
        }
    };
}

impl Sender {
    pub fn new(bot: Bot, throttle: bool) -> Sender {
        if throttle {
            Sender::Throttled(bot.throttle(Limits::default()))
        } else {
            Sender::Plain(bot)
        }
    }

    async fn send(
        &self,
        chat: ChatId,
        html: &str,
        markup: Option<InlineKeyboardMarkup>,
    ) -> Result<MessageId, RequestError> {
        self.send_reply(chat, html, markup, None).await
    }

    /// Sends a message, as a reply to `reply_to` when given (and anyway if that message
    /// is gone).
    async fn send_reply(
        &self,
        chat: ChatId,
        html: &str,
        markup: Option<InlineKeyboardMarkup>,
        reply_to: Option<MessageId>,
    ) -> Result<MessageId, RequestError> {
        with_bot!(self, b => {
            let mut request = b.send_message(chat, html).parse_mode(ParseMode::Html);
            if let Some(m) = markup {
                request = request.reply_markup(m);
            }
            if let Some(id) = reply_to {
                request = request.reply_parameters(ReplyParameters::new(id).allow_sending_without_reply());
            }
            request.await.map(|m| m.id)
        })
    }

    async fn edit(
        &self,
        chat: ChatId,
        message: MessageId,
        html: &str,
        markup: Option<InlineKeyboardMarkup>,
    ) -> Result<(), RequestError> {
        retrying(|| async {
            with_bot!(self, b => {
                let mut request = b.edit_message_text(chat, message, html).parse_mode(ParseMode::Html);
                if let Some(m) = markup.clone() {
                    request = request.reply_markup(m);
                }
                request.await.map(|_| ())
            })
        })
        .await
    }

    async fn send_document(&self, chat: ChatId, document: &Document, caption: &str) -> Result<MessageId, RequestError> {
        let file = InputFile::memory(document.bytes.clone()).file_name(document.name.clone());
        with_bot!(self, b => {
            let mut request = b.send_document(chat, file).parse_mode(ParseMode::Html);
            if !caption.is_empty() {
                request = request.caption(caption);
            }
            request.await.map(|m| m.id)
        })
    }

    /// Relays a message (a file) as it is, with a new caption and buttons.
    async fn copy(
        &self,
        chat: ChatId,
        of: crate::ids::MessageRef,
        caption: &str,
        markup: Option<InlineKeyboardMarkup>,
        reply_to: Option<MessageId>,
    ) -> Result<MessageId, RequestError> {
        with_bot!(self, b => {
            let mut request = b
                .copy_message(chat, ChatId(of.chat.0), MessageId(of.message.0 as i32))
                .caption(caption)
                .parse_mode(ParseMode::Html);
            if let Some(m) = markup {
                request = request.reply_markup(m);
            }
            if let Some(id) = reply_to {
                request = request.reply_parameters(ReplyParameters::new(id).allow_sending_without_reply());
            }
            request.await
        })
    }

    async fn answer_callback(&self, id: teloxide::types::CallbackQueryId) -> Result<(), RequestError> {
        self.answer_callback_with(id, None).await
    }

    /// Answers a button press, with a short notice on the person's screen when given.
    async fn answer_callback_with(
        &self,
        id: teloxide::types::CallbackQueryId,
        text: Option<&str>,
    ) -> Result<(), RequestError> {
        retrying(|| async {
            with_bot!(self, b => {
                let mut request = b.answer_callback_query(id.clone());
                if let Some(text) = text {
                    request = request.text(text);
                }
                request.await.map(|_| ())
            })
        })
        .await
    }
}

/// Edits and callback answers, which teloxide's `Throttle` does not pace, and replies
/// in the conversation (their update is already marked handled, so a lost reply would
/// stay lost): when Telegram answers 429, wait as long as it asks (at most 30 seconds);
/// after a dropped connection, a 5xx or an HTML error page, wait 1 s, then 2 s. At
/// most three tries more. A connection dropped after Telegram took the message can
/// make it arrive twice; once twice is better than never.
async fn retrying<T, F, Fut>(mut call: F) -> Result<T, RequestError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, RequestError>>,
{
    let mut attempts = 0;
    loop {
        match call().await {
            Err(RequestError::RetryAfter(wait)) if attempts < 3 => {
                attempts += 1;
                tokio::time::sleep(wait.duration().min(std::time::Duration::from_secs(30))).await;
            }
            Err(err) if attempts < 3 && transient(&err) => {
                attempts += 1;
                tokio::time::sleep(std::time::Duration::from_secs(1 << (attempts - 1))).await;
            }
            other => return other,
        }
    }
}

/// Whether a failed request may succeed if simply made again: a dropped connection, a
/// proxy's HTML error page, or a server error. Telegram answers server errors as JSON
/// too (`{"ok":false,"error_code":502,"description":"Bad Gateway"}`); teloxide drops the
/// code and keeps the description, which for 5xx is the bare HTTP reason phrase, while
/// every refusal of the request itself starts "Bad Request:", "Forbidden:" and so on.
pub(crate) fn transient(err: &RequestError) -> bool {
    match err {
        RequestError::Network(_) | RequestError::Io(_) | RequestError::InvalidJson { .. } => true,
        RequestError::Api(ApiError::Unknown(description)) => {
            const SERVER_ERRORS: [&str; 4] = [
                "Internal Server Error",
                "Bad Gateway",
                "Service Unavailable",
                "Gateway Timeout",
            ];
            SERVER_ERRORS.iter().any(|e| description.starts_with(e))
        }
        _ => false,
    }
}

/// A bot for the configured token and API URL.
pub fn bot(config: &Config) -> Result<Bot, ConfigError> {
    let mut bot = Bot::new(config.require_token()?);
    if let Some(url) = &config.api_url {
        bot = bot.set_api_url(url.clone());
    }
    Ok(bot)
}

/// Telegram refused the bot's token (401 Unauthorized on getMe or getUpdates): it was
/// revoked or mistyped. Retrying cannot help, so the bot stops and says so.
#[derive(Debug, thiserror::Error)]
#[error(
    "Telegram refused TELOXIDE_TOKEN (401 Unauthorized): the token was revoked or is mistyped; get the bot's current token from @BotFather (/mybots → API Token) and put it in TELOXIDE_TOKEN"
)]
pub struct TokenRefused;

/// The bot's own username, from getMe: commands addressed to other bots
/// (`/stats@other_bot`) are not for it.
#[derive(Clone, Debug)]
pub struct BotName(pub String);

/// The whole handler tree: messages and button presses; everything else is ignored.
pub fn schema() -> UpdateHandler<anyhow::Error> {
    dptree::entry()
        .branch(Update::filter_message().endpoint(on_message))
        .branch(Update::filter_callback_query().endpoint(on_callback))
}

/// A dispatcher over `schema`, ready to `dispatch()`; tests stop it with its shutdown
/// token. It polls with the plain bot (getUpdates is not rate-limited) and answers
/// through `sender`.
pub fn dispatcher(
    bot: Bot,
    sender: Sender,
    engine: Engine,
    name: BotName,
    staff: StaffChat,
) -> Dispatcher<Bot, anyhow::Error, i64> {
    Dispatcher::builder(bot, schema())
        .dependencies(dptree::deps![engine, sender, name, staff])
        .default_handler(|_| async {})
        .distribution_function(worker_of)
        .build()
}

/// How many workers handle updates at once. teloxide starts a worker (with a queue of
/// its own) per key and keeps as many as were ever busy at once; keyed by chat, a
/// burst from many people grows memory with the burst. Chats are spread over a fixed
/// number of workers instead: one chat always lands on the same worker, so its updates
/// stay in order, and memory stays bounded however many people write at once.
const WORKERS: i64 = 64;

fn worker_of(update: &Update) -> Option<i64> {
    update.chat().map(|chat| chat.id.0.rem_euclid(WORKERS))
}

/// How updates arrive.
#[derive(Clone, Debug)]
pub enum Mode {
    /// The bot asks Telegram for updates (getUpdates): works anywhere, no public address.
    Polling,
    /// Telegram posts updates to `url` (HTTPS, through a reverse proxy), which reaches
    /// this process at `listen`; every request must carry `secret`.
    Webhook {
        url: reqwest::Url,
        listen: std::net::SocketAddr,
        secret: Option<String>,
    },
}

/// `eudesk run`: long polling. See `run_in`.
pub async fn run(config: &Config, engine: Engine) -> anyhow::Result<()> {
    run_in(config, engine, Mode::Polling).await
}

/// Registers the command menu, starts the outbox worker and the reminders, and
/// handles updates until Ctrl-C or SIGTERM; then finishes the updates in progress and
/// the message being sent, and returns.
pub async fn run_in(config: &Config, engine: Engine, mode: Mode) -> anyhow::Result<()> {
    use anyhow::Context;
    let bot = bot(config)?;
    let me = match bot.get_me().await {
        Ok(me) => me,
        Err(RequestError::Api(ApiError::InvalidToken)) => return Err(TokenRefused.into()),
        Err(err) => {
            return Err(err)
                .context("could not reach Telegram with TELOXIDE_TOKEN (is the token right, and is the network up?)");
        }
    };
    tracing::info!(username = %me.username(), "connected to Telegram");
    let name = BotName(me.username().to_owned());
    register_commands(&bot).await;
    let sender = Sender::new(bot.clone(), config.throttle);
    // Stopped with `run`, however it ends (even when its task is dropped); on a
    // graceful stop the outbox worker finishes the message it is sending first.
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let staff = StaffChat::new(engine.store().clone(), engine.configured_staff_chat());
    let outbox = AbortOnDrop(Some(tokio::spawn(outbox::deliver(
        sender.clone(),
        engine.clone(),
        staff.clone(),
        stopped,
    ))));
    // Timed jobs (reminders, retention, …) run beside; this adapter only delivers
    // what they queue.
    let reminders = AbortOnDrop(Some(tokio::spawn(crate::scheduler::run(engine.clone()))));
    let mut dispatcher = dispatcher(bot.clone(), sender, engine.clone(), name, staff);
    let signal_token = dispatcher.shutdown_token();
    tokio::spawn(async move {
        shutdown_signal().await;
        tracing::info!("stopping: finishing the updates in progress");
        if let Ok(done) = signal_token.shutdown() {
            done.await;
        }
    });
    // A revoked token shows as 401 on every getUpdates: stop instead of retrying forever.
    let refused = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    match mode {
        Mode::Polling => {
            use teloxide::update_listeners::UpdateListener;
            let mut listener = teloxide::update_listeners::polling_default(bot.clone()).await;
            // Stopping the listener ends its stream, and with it the dispatching. (The
            // dispatcher's own shutdown token would be missed here: it is noticed only
            // while the dispatcher waits for updates, not while it runs this handler.)
            let stop_polling = listener.stop_token();
            let refused = refused.clone();
            let on_listener_error = move |err: RequestError| {
                let refused = refused.clone();
                let stop_polling = stop_polling.clone();
                async move {
                    if matches!(err, RequestError::Api(ApiError::InvalidToken)) {
                        if !refused.swap(true, std::sync::atomic::Ordering::SeqCst) {
                            tracing::error!("{TokenRefused}");
                            stop_polling.stop();
                        }
                    } else {
                        tracing::error!(%err, "could not get updates from Telegram; retrying");
                    }
                }
            };
            dispatcher
                .dispatch_with_listener(listener, std::sync::Arc::new(on_listener_error))
                .await
        }
        Mode::Webhook { url, listen, secret } => {
            let mut options = teloxide::update_listeners::webhooks::Options::new(listen, url);
            if let Some(secret) = secret {
                options = options.secret_token(secret);
            }
            let secret = options.get_or_gen_secret_token().to_owned();
            // setWebhook with the secret; Telegram then sends it on every request, and
            // a request without it is refused with 401 before it reaches the bot.
            let (listener, stopped, router) =
                match teloxide::update_listeners::webhooks::axum_to_router(bot, options).await {
                    Ok(parts) => parts,
                    Err(RequestError::Api(ApiError::InvalidToken)) => return Err(TokenRefused.into()),
                    Err(err) => return Err(err).context("could not register the webhook with Telegram (setWebhook)"),
                };
            let health_engine = engine.clone();
            let router = router
                .layer(axum::middleware::from_fn_with_state(
                    std::sync::Arc::new(secret),
                    webhook::guard,
                ))
                .route("/health", axum::routing::get(move || health(health_engine.clone())));
            let server = tokio::net::TcpListener::bind(listen)
                .await
                .with_context(|| format!("could not listen on {listen} (is the address free?)"))?;
            tracing::info!(%listen, "webhook listening");
            let serve = tokio::spawn(async move {
                if let Err(err) = axum::serve(server, router).with_graceful_shutdown(stopped).await {
                    tracing::error!(%err, "the webhook server stopped with an error");
                }
            });
            dispatcher
                .dispatch_with_listener(listener, LoggingErrorHandler::with_custom_text("webhook error"))
                .await;
            let _ = tokio::time::timeout(std::time::Duration::from_secs(5), serve).await;
        }
    }
    let _ = stop.send(true);
    drop(reminders);
    outbox.finish(std::time::Duration::from_secs(10)).await;
    // Everything in the write-ahead log goes into the database file, and the log is
    // emptied: nothing erased lingers in `-wal` after a clean stop.
    engine.store().close().await;
    if refused.load(std::sync::atomic::Ordering::SeqCst) {
        return Err(TokenRefused.into());
    }
    tracing::info!("stopped");
    Ok(())
}

/// `GET /health` in webhook mode: 200 when the database answers, 503 when not, with
/// what a monitor wants to see.
async fn health(engine: Engine) -> (axum::http::StatusCode, axum::Json<serde_json::Value>) {
    match engine.store().outbox_backlog().await {
        Ok(backlog) => (
            axum::http::StatusCode::OK,
            axum::Json(serde_json::json!({"status": "ok", "database": "ok", "outbox_backlog": backlog})),
        ),
        Err(err) => (
            axum::http::StatusCode::SERVICE_UNAVAILABLE,
            axum::Json(serde_json::json!({"status": "error", "database": err.to_string()})),
        ),
    }
}

/// A background task that ends when this handle is dropped.
struct AbortOnDrop(Option<tokio::task::JoinHandle<()>>);

impl AbortOnDrop {
    /// Waits for the task to end by itself, at most `limit`.
    async fn finish(mut self, limit: std::time::Duration) {
        if let Some(handle) = self.0.take()
            && tokio::time::timeout(limit, handle).await.is_err()
        {
            tracing::warn!(
                "the outbox worker did not stop in time; what it was sending is sent again at the next start"
            );
        }
    }
}

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        if let Some(handle) = &self.0 {
            handle.abort();
        }
    }
}

async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut term = signal(SignalKind::terminate()).expect("can listen for SIGTERM");
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = tokio::signal::ctrl_c().await;
}

/// The command menu in Turkish, and in English for everyone else. A failure here only
/// costs the menu's descriptions, so it is logged, not fatal.
pub async fn register_commands(bot: &Bot) {
    for lang in [Some(Lang::Tr), None] {
        let commands: Vec<BotCommand> = COMMANDS
            .iter()
            .map(|(name, tr, en)| BotCommand::new(*name, if lang == Some(Lang::Tr) { *tr } else { *en }))
            .collect();
        let mut request = bot.set_my_commands(commands);
        if let Some(lang) = lang {
            request = request.language_code(lang.code());
        }
        if let Err(err) = request.await {
            tracing::warn!(%err, "could not register the command menu");
        }
    }
}

fn person(user: &teloxide::types::User) -> Person {
    Person {
        user: user.id.0 as i64,
        lang_hint: Lang::from_ietf(user.language_code.as_deref()),
    }
}

/// Where a chat stands for the bot: a person's private chat, the staff chat, or a
/// chat the bot does not serve (other groups it was added to).
async fn place(staff: &StaffChat, chat: &teloxide::types::Chat) -> anyhow::Result<Option<Place>> {
    if chat.is_private() {
        return Ok(Some(Place::Private));
    }
    Ok((staff.current().await? == Some(chat.id.0)).then_some(Place::StaffChat(chat.id.0)))
}

/// Flood control before anything touches the database: a flooder's updates cost one
/// in-memory look-up each. `true` when the update goes on. A "slow down" is said only
/// in a private chat: in the staff group it would queue ahead of ticket posts.
async fn admitted(
    bot: &Sender,
    engine: &Engine,
    user: Option<&teloxide::types::User>,
    chat: &teloxide::types::Chat,
) -> bool {
    let Some(user) = user else {
        return true;
    };
    match engine.admit(person(user)) {
        None => true,
        Some(replies) => {
            if chat.is_private()
                && let Err(err) = deliver(bot, chat.id, None, replies).await
            {
                tracing::debug!(%err, "could not tell a flooding person to slow down");
            }
            false
        }
    }
}

/// A person's name as Telegram gives it, first and last, for the engine to clean.
fn full_name(user: &teloxide::types::User) -> String {
    match &user.last_name {
        Some(last) => format!("{} {last}", user.first_name),
        None => user.first_name.clone(),
    }
}

/// What a message carries, as the engine sees it: text, a file it can relay, or
/// something it can do nothing with. A deep link's `/start <payload>` is the press of
/// what it opens.
fn event_of(msg: &Message) -> Event {
    use crate::tickets::{Attachment, FileKind};
    if let Some(text) = msg.text() {
        if let Some(opened) = deep_link::payload(text).and_then(deep_link::open) {
            return Event::Press(Some(opened));
        }
        return Event::Text(text.to_owned());
    }
    let kind = if let Some(d) = msg.document() {
        Some(FileKind::Document(d.file_name.clone()))
    } else if msg.photo().is_some() {
        Some(FileKind::Photo)
    } else if msg.video().is_some() {
        Some(FileKind::Video)
    } else if let Some(a) = msg.audio() {
        Some(FileKind::Audio(a.file_name.clone()))
    } else if msg.voice().is_some() {
        Some(FileKind::Voice)
    } else {
        None
    };
    match kind {
        Some(kind) => Event::File(Attachment {
            of: crate::ids::MessageRef::new(
                crate::ids::ChatId(msg.chat.id.0),
                crate::ids::MessageId(msg.id.0 as i64),
            ),
            kind,
            caption: msg
                .caption()
                .map(crate::dialogue::render::printable)
                .map(|c| c.trim().to_owned())
                .filter(|c| !c.is_empty()),
        }),
        None => Event::Unsupported,
    }
}

/// The ticket of the message this one replies to, if it belongs to one: the adapter
/// knows which Telegram messages carried which ticket.
async fn replied_ticket(engine: &Engine, msg: &Message) -> anyhow::Result<Option<crate::tickets::TicketId>> {
    let Some(replied) = msg.reply_to_message() else {
        return Ok(None);
    };
    let message = MessageRef::new(IdChat(msg.chat.id.0), IdMessage(replied.id.0 as i64));
    Ok(engine.store().ticket_of_message(message).await?)
}

async fn on_message(
    bot: Sender,
    engine: Engine,
    name: BotName,
    staff: StaffChat,
    update: Update,
    msg: Message,
) -> anyhow::Result<()> {
    // Commands for another bot in the same group (`/stats@other_bot`) are not ours.
    if let Some(to) = msg.text().and_then(crate::engine::addressee)
        && !to.eq_ignore_ascii_case(&name.0)
    {
        return Ok(());
    }
    if !admitted(&bot, &engine, msg.from.as_ref(), &msg.chat).await {
        return Ok(());
    }
    // A group upgraded to a supergroup moves to a new id: follow the staff chat there.
    // (Checked before the place: the old id is the configured one.)
    if let Some(to) = msg.migrate_to_chat_id() {
        staff.moved(msg.chat.id.0, to.0).await?;
        return Ok(());
    }
    let Some(place) = place(&staff, &msg.chat).await? else {
        return Ok(());
    };
    let Some(user) = msg.from.as_ref() else {
        return Ok(());
    };
    // Nobody but staff is heard in the staff chat: not even a database write for them.
    if matches!(place, Place::StaffChat(_)) && !engine.is_staff(user.id.0 as i64) {
        return Ok(());
    }
    let person = person(user);
    let ctx = Context {
        place,
        first_name: full_name(user),
        reply_to_ticket: replied_ticket(&engine, &msg).await?,
        update: Some(UpdateId(update.id.0)),
        admitted: true,
    };
    let event = event_of(&msg);
    respond(&bot, &engine, update.id.0, person, ctx, event, msg.chat.id, None).await
}

async fn on_callback(
    bot: Sender,
    engine: Engine,
    staff: StaffChat,
    update: Update,
    q: CallbackQuery,
) -> anyhow::Result<()> {
    let chat = match &q.message {
        Some(m) => m.chat().clone(),
        None => teloxide::types::Chat {
            id: ChatId(q.from.id.0 as i64),
            kind: teloxide::types::ChatKind::Private(teloxide::types::ChatPrivate {
                username: None,
                first_name: None,
                last_name: None,
            }),
        },
    };
    if !admitted(&bot, &engine, Some(&q.from), &chat).await {
        return Ok(());
    }
    let Some(place) = place(&staff, &chat).await? else {
        return Ok(());
    };
    // A member of the staff group who is not staff pressing a ticket's button: told
    // privately, on the button itself, not with a message to the whole group.
    if matches!(place, Place::StaffChat(_)) && !engine.is_staff(q.from.id.0 as i64) {
        let text = crate::engine::ui::staff_only(Lang::from_ietf(q.from.language_code.as_deref()));
        if let Err(err) = bot.answer_callback_with(q.id.clone(), Some(text)).await {
            tracing::debug!(%err, "could not answer a callback query (probably too old)");
        }
        return Ok(());
    }
    // Answer first: until then the person's client shows a spinner on the button.
    if let Err(err) = bot.answer_callback(q.id.clone()).await {
        tracing::debug!(%err, "could not answer a callback query (probably too old)");
    }
    let person = person(&q.from);
    let ctx = Context {
        place,
        first_name: full_name(&q.from),
        reply_to_ticket: None,
        update: Some(UpdateId(update.id.0)),
        admitted: true,
    };
    let pressed = q.message.as_ref().map(|m| m.id());
    let event = Event::Press(q.data.as_deref().and_then(callback_data::decode));
    respond(&bot, &engine, update.id.0, person, ctx, event, chat.id, pressed).await
}

/// Runs the engine for one update and delivers what it says. A panic in one
/// conversation is caught here: logged with the update's id, answered with an apology,
/// and every other chat goes on.
#[allow(clippy::too_many_arguments)]
async fn respond(
    bot: &Sender,
    engine: &Engine,
    update: u32,
    person: Person,
    ctx: Context,
    event: Event,
    chat: ChatId,
    pressed: Option<MessageId>,
) -> anyhow::Result<()> {
    use futures::FutureExt;
    let handled = std::panic::AssertUnwindSafe(engine.handle_in(person, ctx, event))
        .catch_unwind()
        .await;
    let failure = match handled {
        Ok(Ok(replies)) => return deliver(bot, chat, pressed, replies).await,
        Ok(Err(err)) => err.to_string(),
        Err(panic) => {
            let what = panic
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_default();
            format!("panic: {what}")
        }
    };
    tracing::error!(update, user = person.user, error = %failure, "could not handle an update");
    let sorry = match person.lang_hint {
        Lang::Tr => "Bir sorun oluştu; lütfen birazdan tekrar deneyin.",
        Lang::En => "Something went wrong; please try again in a moment.",
    };
    bot.send(chat, sorry, None).await?;
    Ok(())
}

async fn deliver(bot: &Sender, chat: ChatId, pressed: Option<MessageId>, replies: Vec<Reply>) -> anyhow::Result<()> {
    for reply in replies {
        if let Some(document) = &reply.document {
            bot.send_document(chat, document, &reply.html).await?;
            continue;
        }
        let markup = keyboard(&reply.keyboard);
        // Too long for one message: several, the buttons under the last.
        let pieces = split_html(&reply.html, TELEGRAM_LIMIT);
        if pieces.len() > 1 {
            let last = pieces.len() - 1;
            for (i, piece) in pieces.iter().enumerate() {
                let markup = if i == last { markup.clone() } else { None };
                retrying(|| bot.send(chat, piece, markup.clone())).await?;
            }
            continue;
        }
        if let (Placement::Replace, Some(message)) = (reply.placement, pressed) {
            match bot.edit(chat, message, &reply.html, markup.clone()).await {
                Ok(()) | Err(RequestError::Api(ApiError::MessageNotModified)) => continue,
                // Too old to edit, deleted, or not a text message: say it anew instead.
                Err(err) => {
                    tracing::debug!(%err, "could not edit the menu in place; sending it anew")
                }
            }
        }
        retrying(|| bot.send(chat, &reply.html, markup.clone())).await?;
    }
    Ok(())
}

fn keyboard(rows: &[Vec<Button>]) -> Option<InlineKeyboardMarkup> {
    if rows.is_empty() {
        return None;
    }
    let rows = rows.iter().map(|row| {
        row.iter()
            .filter_map(|b| match &b.target {
                Target::Callback(pressed) => Some(InlineKeyboardButton::callback(
                    b.label.clone(),
                    callback_data::encode(pressed),
                )),
                Target::Url(url) => reqwest::Url::parse(url)
                    .ok()
                    .map(|u| InlineKeyboardButton::url(b.label.clone(), u)),
            })
            .collect::<Vec<_>>()
    });
    Some(InlineKeyboardMarkup::new(rows))
}
