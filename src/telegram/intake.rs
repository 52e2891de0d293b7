//! Where updates arrive: kept in the inbox before Telegram is told they arrived, let
//! past flood control, and handed to the line of their chat. Each chat's updates are
//! handled in order, one at a time; different chats' at once. Nothing here ever waits
//! for a chat: a flooder is dropped before their line, a line that is full drops (and
//! counts) what comes over, and the handlers never wait for Telegram, so a line drains
//! at the database's pace.

use super::api::TokenRefused;
use super::api::{Api, POLL_TIMEOUT};
use super::handlers::{Handler, line_of, person};
use crate::message::{OutMessage, Recipient};
use crate::storage::{Store, inbox};
use serde_json::{Value, json};
use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use teloxide::types::Update;
use teloxide::{ApiError, RequestError};
use tokio::sync::mpsc;

/// Updates handled at once. One chat always lands on the same worker, so its updates
/// stay in order; a fixed number keeps memory bounded however many people write.
const WORKERS: usize = 64;

/// Updates one chat may have waiting; more are dropped (and counted). Flood control
/// stops a person long before (EUDESK_FLOOD_PER_MINUTE); this bounds the staff chat,
/// whose members are never slowed, and any chat if flood control is set very high.
const PER_LINE: usize = 100;

/// Where the next getUpdates starts: the update after the last one kept in the inbox.
const OFFSET: &str = "poll_offset";

enum Job {
    Update {
        id: i64,
        line: i64,
        update: Box<Update>,
    },
    /// The one "slow down" a flooder gets (their other updates are dropped).
    SlowDown {
        chat: i64,
        html: String,
    },
}

/// The lines, and the updates taken and not yet handled.
pub struct Intake {
    workers: Mutex<Vec<mpsc::UnboundedSender<Job>>>,
    waiting: Arc<Mutex<HashMap<i64, usize>>>,
    /// Update ids handed to a line and not yet handled: one Telegram gives again (it
    /// was not yet told they arrived) is not handed twice.
    taken: Arc<Mutex<HashSet<i64>>>,
    dropped: AtomicU64,
    done: mpsc::UnboundedSender<i64>,
    engine: crate::engine::Engine,
}

/// The tasks behind an intake, to finish at a stop.
pub struct Running {
    workers: tokio::task::JoinSet<()>,
    sweeper: tokio::task::JoinHandle<()>,
    stopping: Arc<AtomicBool>,
}

impl Intake {
    pub fn start(handler: Handler) -> (Arc<Intake>, Running) {
        let stopping = Arc::new(AtomicBool::new(false));
        let waiting = Arc::new(Mutex::new(HashMap::new()));
        let taken = Arc::new(Mutex::new(HashSet::new()));
        let (done, finished) = mpsc::unbounded_channel();
        let mut workers = tokio::task::JoinSet::new();
        let mut senders = Vec::with_capacity(WORKERS);
        for _ in 0..WORKERS {
            let (tx, rx) = mpsc::unbounded_channel();
            senders.push(tx);
            workers.spawn(work(
                rx,
                handler.clone(),
                waiting.clone(),
                done.clone(),
                stopping.clone(),
            ));
        }
        let sweeper = tokio::spawn(sweep(handler.engine.store().clone(), finished, taken.clone()));
        let intake = Arc::new(Intake {
            workers: Mutex::new(senders),
            waiting,
            taken,
            dropped: AtomicU64::new(0),
            done,
            engine: handler.engine.clone(),
        });
        (
            intake,
            Running {
                workers,
                sweeper,
                stopping,
            },
        )
    }

    /// Keeps updates (their JSON as Telegram sent it) in the inbox, then hands them to
    /// their lines. Only once this returns may Telegram be told they arrived.
    pub async fn take(&self, store: &Store, batch: Vec<Value>, next_offset: Option<i64>) -> anyhow::Result<()> {
        let kept: Vec<(i64, String)> = batch
            .iter()
            .filter_map(|v| Some((v.get("update_id")?.as_i64()?, v.to_string())))
            .collect();
        let now = self.engine.now();
        let offset = next_offset.map(|o| (OFFSET, o));
        store
            .write_one(async |c| inbox::keep(c, &kept, offset, now).await)
            .await?;
        for (id, body) in &kept {
            self.route(*id, body);
        }
        Ok(())
    }

    /// The updates a crash or a stop left unhandled, handed to their lines again.
    pub async fn resume(&self, store: &Store) -> anyhow::Result<usize> {
        let left = store.read(async |c| inbox::unhandled(c).await).await?;
        let n = left.len();
        for (id, body) in left {
            self.route(id, &body);
        }
        if n > 0 {
            tracing::info!(updates = n, "handling the updates taken before the last stop");
        }
        Ok(n)
    }

    fn route(&self, id: i64, body: &str) {
        if !self.taken.lock().expect("taken lock").insert(id) {
            return;
        }
        // From text: teloxide reads some updates (callback queries) only from text, not
        // from an already parsed value.
        let update: Update = match serde_json::from_str(body) {
            Ok(update) => update,
            Err(err) => {
                tracing::warn!(%err, update = id, "an update eudesk cannot read; skipped");
                let _ = self.done.send(id);
                return;
            }
        };
        let Some(line) = line_of(&update) else {
            let _ = self.done.send(id);
            return;
        };
        let workers = self.workers.lock().expect("workers lock");
        let Some(worker) = workers.get(line.rem_euclid(WORKERS as i64) as usize) else {
            // Stopping: left in the inbox for the next start.
            return;
        };
        // Flood control before the line: a flooder's updates cost this look-up each.
        if let Some(user) = update.from() {
            let person = person(user);
            if let Some(replies) = self.engine.admit(person) {
                let private = update.chat().is_some_and(|c| c.is_private());
                if let (Some(reply), true) = (replies.into_iter().next(), private) {
                    let _ = worker.send(Job::SlowDown {
                        chat: line,
                        html: reply.html,
                    });
                }
                let _ = self.done.send(id);
                return;
            }
        }
        {
            let mut waiting = self.waiting.lock().expect("waiting lock");
            let n = waiting.entry(line).or_insert(0);
            if *n >= PER_LINE {
                let dropped = self.dropped.fetch_add(1, Ordering::Relaxed) + 1;
                tracing::warn!(line, dropped, "a chat's line is full; an update was dropped");
                let _ = self.done.send(id);
                return;
            }
            *n += 1;
        }
        let _ = worker.send(Job::Update {
            id,
            line,
            update: Box::new(update),
        });
    }

    /// Updates dropped because their chat's line was full, since the start.
    pub fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }
}

impl Running {
    /// Lets each worker finish the update it is handling; what waits stays in the inbox
    /// for the next start.
    pub async fn finish(mut self, intake: &Intake, limit: Duration) {
        self.stopping.store(true, Ordering::SeqCst);
        intake.workers.lock().expect("workers lock").clear();
        let all = async { while self.workers.join_next().await.is_some() {} };
        if tokio::time::timeout(limit, all).await.is_err() {
            tracing::warn!("an update did not finish in time; it is handled again at the next start");
        }
        let dropped = intake.dropped();
        if dropped > 0 {
            tracing::warn!(dropped, "updates were dropped because their chat's line was full");
        }
        // The last handled updates leave the inbox.
        let _ = tokio::time::timeout(Duration::from_secs(2), &mut self.sweeper).await;
    }
}

async fn work(
    mut jobs: mpsc::UnboundedReceiver<Job>,
    handler: Handler,
    waiting: Arc<Mutex<HashMap<i64, usize>>>,
    done: mpsc::UnboundedSender<i64>,
    stopping: Arc<AtomicBool>,
) {
    while let Some(job) = jobs.recv().await {
        if stopping.load(Ordering::SeqCst) {
            return;
        }
        match job {
            Job::Update { id, line, update } => {
                if let Err(err) = handler.handle(*update).await {
                    tracing::error!(%err, update = id, "could not handle an update");
                }
                let mut waiting = waiting.lock().expect("waiting lock");
                if let Some(n) = waiting.get_mut(&line) {
                    *n -= 1;
                    if *n == 0 {
                        waiting.remove(&line);
                    }
                }
                drop(waiting);
                let _ = done.send(id);
            }
            Job::SlowDown { chat, html } => {
                let engine = &handler.engine;
                let message = OutMessage::new(Recipient::Chat(crate::ids::ChatId(chat)), html);
                if let Err(err) = engine.store().enqueue(&message, engine.now()).await {
                    tracing::debug!(%err, "could not tell a flooding person to slow down");
                }
            }
        }
    }
}

/// Handled updates leave the inbox, many in one statement when many finish together.
async fn sweep(store: Store, mut finished: mpsc::UnboundedReceiver<i64>, taken: Arc<Mutex<HashSet<i64>>>) {
    while let Some(first) = finished.recv().await {
        // Nobody waits for this: let a few more finish, and clear them in one statement.
        tokio::time::sleep(Duration::from_millis(20)).await;
        let mut ids = vec![first];
        while ids.len() < 1000
            && let Ok(id) = finished.try_recv()
        {
            ids.push(id);
        }
        if let Err(err) = store.write_one(async |c| inbox::done(c, &ids).await).await {
            tracing::warn!(%err, "could not clear handled updates from the inbox; they are skipped when seen again");
        }
        let mut taken = taken.lock().expect("taken lock");
        for id in &ids {
            taken.remove(id);
        }
    }
}

/// Long polling: asks Telegram for updates, keeps each batch, and only then asks for
/// the next (the offset tells Telegram the batch arrived). A 401 stops the bot.
pub async fn poll(
    intake: Arc<Intake>,
    api: Api,
    store: Store,
    mut stop: tokio::sync::watch::Receiver<bool>,
) -> Result<(), TokenRefused> {
    let mut offset: Option<i64> = store.setting(OFFSET).await.ok().flatten().and_then(|v| v.parse().ok());
    let mut failures = 0u32;
    while !*stop.borrow() {
        let mut params = json!({
            "timeout": POLL_TIMEOUT.as_secs(),
            "allowed_updates": ["message", "callback_query"],
        });
        if let Some(offset) = offset {
            params["offset"] = json!(offset);
        }
        let answer = tokio::select! {
            answer = api.call_for::<_, Vec<Value>>("getUpdates", &params, POLL_TIMEOUT + Duration::from_secs(10)) => answer,
            _ = stop.changed() => break,
        };
        let batch = match answer {
            Ok(batch) => {
                failures = 0;
                batch
            }
            Err(RequestError::Api(ApiError::InvalidToken)) => {
                tracing::error!("{TokenRefused}");
                return Err(TokenRefused);
            }
            Err(err) => {
                failures += 1;
                let wait = Duration::from_millis(500 * 2u64.pow(failures.min(6)));
                tracing::error!(%err, "could not get updates from Telegram; retrying");
                tokio::select! {
                    _ = tokio::time::sleep(wait) => {}
                    _ = stop.changed() => {}
                }
                continue;
            }
        };
        let next = batch
            .iter()
            .filter_map(|v| v.get("update_id").and_then(Value::as_i64))
            .max()
            .map(|last| last + 1);
        if batch.is_empty() {
            continue;
        }
        // Kept before the next getUpdates tells Telegram they arrived; if keeping
        // fails, the same batch is asked for again.
        loop {
            match intake.take(&store, batch.clone(), next).await {
                Ok(()) => break,
                Err(err) => {
                    tracing::error!(%err, "could not keep updates in the inbox; trying again");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                    if *stop.borrow() {
                        return Ok(());
                    }
                }
            }
        }
        offset = next.or(offset);
    }
    Ok(())
}
