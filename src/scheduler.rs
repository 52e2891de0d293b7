//! Timed jobs, each in its own transaction, once a minute: reminders before trainings,
//! the follow-up after them (no-shows, survey, certificate),
//! staff reminders of waiting tickets, expiry of unsent staff answers, retention,
//! forgetting old update ids, and picking up learned phrasings removed or added
//! outside this process. They need no Telegram: what they owe people goes through
//! the outbox, which the Telegram adapter delivers.

use crate::engine::{Engine, EngineError};
use crate::privacy;
use crate::storage::updates;
use crate::tickets::service as tickets;
use crate::trainings::service as trainings;
use jiff::SignedDuration;
use std::time::Duration;

/// How often the jobs run: reminders are due "the day before" or after hours of
/// waiting, so a minute late is on time.
pub const TICK: Duration = Duration::from_secs(60);

/// How long update ids are kept: Telegram re-delivers within minutes, and may restart
/// ids after a quiet week.
const UPDATE_IDS_KEPT: SignedDuration = SignedDuration::from_hours(48);

/// Runs the jobs every `TICK`, starting at once (a restart catches up on what it missed
/// while down), until the task is dropped.
pub async fn run(engine: Engine) {
    loop {
        run_once(&engine).await;
        tokio::time::sleep(TICK).await;
    }
}

/// Every job once; failures are logged, and the next job runs anyway.
pub async fn run_once(engine: &Engine) {
    match queue_reminders(engine).await {
        Ok(0) => {}
        Ok(n) => tracing::info!(reminders = n, "reminders queued"),
        Err(err) => tracing::error!(%err, "could not queue reminders"),
    }
    match queue_alert_reminders(engine).await {
        Ok(0) => {}
        Ok(n) => tracing::info!(reminders = n, "opportunity reminders queued"),
        Err(err) => tracing::error!(%err, "could not queue opportunity reminders"),
    }
    match follow_up_sessions(engine).await {
        Ok(0) => {}
        Ok(n) => tracing::info!(invitations = n, "survey and certificate offered after sessions"),
        Err(err) => tracing::error!(%err, "could not follow up sessions"),
    }
    match prune_update_ids(engine).await {
        Ok(_) => {}
        Err(err) => tracing::error!(%err, "could not prune old update ids"),
    }
    match apply_retention(engine).await {
        Ok((0, 0)) => {}
        Ok((registrations, tickets)) => tracing::info!(registrations, tickets, "old records anonymised"),
        Err(err) => tracing::error!(%err, "could not anonymise old records"),
    }
    match expire_drafts(engine).await {
        Ok(0) => {}
        Ok(n) => tracing::info!(drafts = n, "unsent staff answers expired"),
        Err(err) => tracing::error!(%err, "could not expire staff answers"),
    }
    match engine.relearn_if_changed().await {
        Ok(false) => {}
        Ok(true) => tracing::info!("matching index rebuilt: the learned phrasings changed"),
        Err(err) => tracing::error!(%err, "could not re-read the learned phrasings"),
    }
    match remind_staff(engine).await {
        Ok(0) => {}
        Ok(n) => tracing::info!(tickets = n, "staff reminded of waiting tickets"),
        Err(err) => tracing::error!(%err, "could not remind staff of waiting tickets"),
    }
}

/// Queues the reminders before trainings that are due now.
pub async fn queue_reminders(engine: &Engine) -> Result<usize, EngineError> {
    let now = engine.now();
    Ok(engine
        .store()
        .write(async |c| trainings::queue_reminders(c, now).await)
        .await?)
}

/// "Remind me" reminders due now (none after a deadline, not even one queued in time
/// that Telegram could not take before it).
pub async fn queue_alert_reminders(engine: &Engine) -> Result<usize, EngineError> {
    let now = engine.now();
    Ok(engine
        .store()
        .write(async |c| {
            crate::storage::outbox::expire(&mut *c, now).await?;
            crate::opportunities::service::queue_reminders(c, now).await
        })
        .await?)
}

/// After each session's check-in closes: no-shows recorded, attendees invited to the
/// survey and offered their certificate.
pub async fn follow_up_sessions(engine: &Engine) -> Result<usize, EngineError> {
    let now = engine.now();
    Ok(engine
        .store()
        .write(async |c| crate::trainings::attendance::follow_up(c, now).await)
        .await?)
}

/// Brings up again, in the staff chat, tickets nobody took that waited too long.
pub async fn remind_staff(engine: &Engine) -> Result<usize, EngineError> {
    let (now, after, staff) = (engine.now(), engine.staff_remind_after(), engine.staff_lang());
    Ok(engine
        .store()
        .write(async |c| tickets::remind_waiting(c, after, staff, now).await)
        .await?)
}

/// Drops staff answers left unsent for 15 minutes, telling their authors.
pub async fn expire_drafts(engine: &Engine) -> Result<usize, EngineError> {
    let now = engine.now();
    let lang = engine.staff_lang();
    Ok(engine
        .store()
        .write(async |c| tickets::expire_drafts(c, lang, now).await)
        .await?)
}

/// Anonymises closed tickets and past registrations older than the retention period
/// (KVKK: data kept no longer than needed). (registrations, tickets).
pub async fn apply_retention(engine: &Engine) -> Result<(u64, u64), EngineError> {
    let now = engine.now();
    let days = engine.retention_days() as i64;
    let before = now.checked_sub(SignedDuration::from_hours(24 * days)).unwrap_or(now);
    Ok(engine
        .store()
        .write(async |c| privacy::apply_retention(c, before, now).await)
        .await?)
}

/// Forgets update ids older than two days.
pub async fn prune_update_ids(engine: &Engine) -> Result<u64, EngineError> {
    let now = engine.now();
    let before = now.checked_sub(UPDATE_IDS_KEPT).unwrap_or(now);
    Ok(engine.store().write(async |c| updates::prune(c, before).await).await?)
}
