//! `eudesk run`: connecting, the background tasks, polling or the webhook, and a clean stop.

use super::handlers::dispatcher;
use super::sender::{Sender, bot};
use super::staff_chat::StaffChat;
use super::{outbox, webhook};
use crate::config::Config;
use crate::engine::{COMMANDS, Engine};
use crate::lang::Lang;
use teloxide::prelude::*;
use teloxide::types::BotCommand;
use teloxide::{ApiError, RequestError};

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
    // Listening for SIGHUP from the start: until then its default would stop the bot.
    let hangups = hangup_signal();
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
    let username = me.username().to_owned();
    engine.set_link_maker(std::sync::Arc::new(move |to| super::deep_link::url(&username, to)));
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
    // Alerts to subscribers go out beside the outbox, never ahead of what single people
    // are owed, paced by EUDESK_BROADCAST_PER_SECOND rather than teloxide.
    let fanouts = AbortOnDrop(Some(tokio::spawn(super::fanout::deliver(
        sender.unpaced(),
        engine.clone(),
        staff.clone(),
        config.broadcast_per_second,
        stop.subscribe(),
    ))));
    // Timed jobs (reminders, retention, …) run beside; this adapter only delivers
    // what they queue.
    let reminders = AbortOnDrop(Some(tokio::spawn(crate::scheduler::run(engine.clone()))));
    // SIGHUP (`eudesk reload`, `systemctl reload`): read the dialogues again.
    let _reloads = AbortOnDrop(Some(tokio::spawn(reload_on_hangup(engine.clone(), hangups))));
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
    // Each step of the stop is logged: a stop that hangs shows where.
    tracing::info!("updates finished; stopping the outbox and the alerts");
    let _ = stop.send(true);
    drop(reminders);
    outbox
        .finish("the outbox worker", std::time::Duration::from_secs(10))
        .await;
    fanouts
        .finish("the alerts' delivery", std::time::Duration::from_secs(5))
        .await;
    // Everything in the write-ahead log goes into the database file, and the log is
    // emptied: nothing erased lingers in `-wal` after a clean stop.
    tracing::info!("closing the database");
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
    /// Waits for the task to end by itself, at most `limit`; `what` names it in the
    /// warning when it does not.
    async fn finish(mut self, what: &str, limit: std::time::Duration) {
        if let Some(handle) = self.0.take()
            && tokio::time::timeout(limit, handle).await.is_err()
        {
            tracing::warn!("{what} did not stop in time; what it was sending is sent again at the next start");
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

#[cfg(unix)]
type Hangups = Option<tokio::signal::unix::Signal>;
#[cfg(not(unix))]
type Hangups = ();

fn hangup_signal() -> Hangups {
    #[cfg(unix)]
    {
        let listening = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup());
        if listening.is_err() {
            tracing::warn!("cannot listen for SIGHUP; use /reload to read the dialogues again");
        }
        listening.ok()
    }
}

/// Reloads the dialogues at every SIGHUP; the outcome goes to the log (an invalid tree
/// is refused there with its problems, and the bot keeps the old one).
async fn reload_on_hangup(engine: Engine, hangups: Hangups) {
    #[cfg(unix)]
    if let Some(mut hangups) = hangups {
        while hangups.recv().await.is_some() {
            tracing::info!("SIGHUP: reading the dialogues again");
            if let Err(err) = engine.reload_dialogues().await {
                tracing::error!(%err, "could not reload the dialogues");
            }
        }
    }
    #[cfg(not(unix))]
    let _ = (engine, hangups);
    std::future::pending::<()>().await;
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
