//! `eudesk run`: connecting, the background tasks, polling or the webhook, and a clean stop.

use super::api::{BotName, TokenRefused};
use super::handlers::Handler;
use super::intake::Intake;
use super::pace::Pace;
use super::sender::{Sender, bot};
use super::staff_chat::StaffChat;
use super::{intake, outbox, webhook};
use crate::config::Config;
use crate::engine::{COMMANDS, Engine};
use crate::lang::Lang;
use teloxide::prelude::*;
use teloxide::types::BotCommand;
use teloxide::{ApiError, RequestError};

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

/// Registers the command menu, starts the outbox's delivery, the alerts and the
/// reminders, and handles updates until Ctrl-C or SIGTERM; then finishes the updates
/// in progress and the messages being sent, and returns.
pub async fn run_in(config: &Config, engine: Engine, mode: Mode) -> anyhow::Result<()> {
    run_with(config, engine, mode, listen_for_hangups()).await
}

/// `run_in`, with SIGHUP already listened for (`eudesk run` listens before it names
/// itself in its lock).
pub async fn run_with(config: &Config, engine: Engine, mode: Mode, hangups: Hangups) -> anyhow::Result<()> {
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
    let username = me.username().to_owned();
    engine.set_link_maker(std::sync::Arc::new(move |to| super::deep_link::url(&username, to)));
    register_commands(&bot).await;
    let sender = Sender::new(&bot);
    // One account of Telegram's limits for everything sent: replies, staff posts and
    // alerts together.
    let pace = std::sync::Arc::new(Pace::new(config.throttle, config.broadcast_per_second));
    // Stopped with `run`, however it ends (even when its task is dropped); on a
    // graceful stop the deliveries finish the messages they are sending first.
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let staff = StaffChat::new(engine.store().clone(), engine.configured_staff_chat());
    let outbox = AbortOnDrop(Some(tokio::spawn(outbox::deliver(
        sender.clone(),
        pace.clone(),
        engine.clone(),
        staff.clone(),
        stopped,
    ))));
    // Alerts to subscribers go out beside the outbox, taking only what the messages
    // owed to single people leave of the limits.
    let fanouts = AbortOnDrop(Some(tokio::spawn(super::fanout::deliver(
        sender.clone(),
        pace.clone(),
        engine.clone(),
        staff.clone(),
        stop.subscribe(),
    ))));
    // Timed jobs (reminders, retention, …) run beside; this adapter only delivers
    // what they queue.
    let reminders = AbortOnDrop(Some(tokio::spawn(crate::scheduler::run(engine.clone()))));
    // SIGHUP (`eudesk reload`, `systemctl reload`): read the dialogues again.
    let _reloads = AbortOnDrop(Some(tokio::spawn(reload_on_hangup(engine.clone(), hangups))));
    let handler = Handler {
        engine: engine.clone(),
        sender: sender.clone(),
        name,
        staff,
    };
    let (intake, lines) = Intake::start(handler);
    // What a crash or a stop left unhandled goes first.
    intake.resume(engine.store()).await?;
    let (quit, quitting) = tokio::sync::watch::channel(false);
    tokio::spawn(async move {
        shutdown_signal().await;
        tracing::info!("stopping: finishing the updates in progress");
        let _ = quit.send(true);
    });
    let mut refused = false;
    match mode {
        Mode::Polling => {
            // Polling and a webhook exclude each other: a webhook left from an earlier
            // run would make every getUpdates fail.
            if let Err(err) = bot.delete_webhook().await {
                tracing::warn!(%err, "could not remove a webhook before polling");
            }
            let polled = intake::poll(
                intake.clone(),
                super::api::Api::new(&bot),
                engine.store().clone(),
                quitting,
            )
            .await;
            refused = polled.is_err();
        }
        Mode::Webhook { url, listen, secret } => {
            let mut options = teloxide::update_listeners::webhooks::Options::new(listen, url);
            if let Some(secret) = secret {
                options = options.secret_token(secret);
            }
            let secret = options.get_or_gen_secret_token().to_owned();
            // setWebhook with the secret; Telegram then sends it on every request, and
            // a request without it is refused with 401 before it reaches the bot.
            let (listener, server_stopped, router) =
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
                if let Err(err) = axum::serve(server, router).with_graceful_shutdown(server_stopped).await {
                    tracing::error!(%err, "the webhook server stopped with an error");
                }
            });
            webhook::take(listener, intake.clone(), engine.store().clone(), quitting).await;
            let _ = tokio::time::timeout(std::time::Duration::from_secs(5), serve).await;
        }
    }
    // Each step of the stop is logged: a stop that hangs shows where.
    lines.finish(&intake, std::time::Duration::from_secs(10)).await;
    tracing::info!("updates finished; stopping the outbox and the alerts");
    let _ = stop.send(true);
    drop(reminders);
    outbox
        .finish("the outbox's delivery", std::time::Duration::from_secs(10))
        .await;
    fanouts
        .finish("the alerts' delivery", std::time::Duration::from_secs(5))
        .await;
    // Everything in the write-ahead log goes into the database file, and the log is
    // emptied: nothing erased lingers in `-wal` after a clean stop.
    tracing::info!("closing the database");
    engine.store().close().await;
    if refused {
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

/// The SIGHUP listener (`eudesk reload`, `systemctl reload`).
#[cfg(unix)]
pub type Hangups = Option<tokio::signal::unix::Signal>;
#[cfg(not(unix))]
pub type Hangups = ();

/// Starts listening for SIGHUP, which from then on reloads the dialogues instead of
/// being ignored (main ignores it from its first line, so that one sent while the bot
/// starts neither stops it nor is mistaken by systemd for a clean exit).
pub fn listen_for_hangups() -> Hangups {
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
