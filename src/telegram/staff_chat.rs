//! Where the staff group is. STAFF_CHAT_ID names it; when Telegram upgrades a group to
//! a supergroup it gets a new id, and the bot follows it there. A Telegram matter: the
//! core only ever says "to the staff chat".

use crate::storage::{Store, StoreError};
use std::sync::{Arc, RwLock};

/// The setting that holds where Telegram moved the staff chat (a group upgraded to a
/// supergroup), as `from:to`. The move applies only while STAFF_CHAT_ID is still the
/// group it moved from: an operator who configures a new group is followed, not the
/// old group's new id.
pub const STAFF_CHAT_MOVE: &str = "staff_chat_move";

/// The staff chat's id, read once and kept: only this process records moves.
#[derive(Clone, Debug)]
pub struct StaffChat {
    store: Store,
    configured: Option<i64>,
    known: Arc<RwLock<Option<Option<i64>>>>,
}

impl StaffChat {
    pub fn new(store: Store, configured: Option<i64>) -> StaffChat {
        StaffChat {
            store,
            configured,
            known: Arc::new(RwLock::new(None)),
        }
    }

    /// The staff chat's id: STAFF_CHAT_ID, or where Telegram moved that group. Read once
    /// and kept: only this process records moves (`moved`).
    pub async fn current(&self) -> Result<Option<i64>, StoreError> {
        if let Some(known) = *self.known.read().expect("staff chat lock") {
            return Ok(known);
        }
        let configured = self.configured;
        // (An older release stored only where the chat went, under `staff_chat_id`: with
        // no origin it cannot be told from a group the operator left, so it is ignored;
        // if the configured group did move, Telegram says so at the next post and the
        // move is learned again, with its origin.)
        let moved = self.store.setting(STAFF_CHAT_MOVE).await?.and_then(|v: String| {
            v.split_once(':')
                .and_then(|(from, to)| Some((from.parse::<i64>().ok()?, to.parse::<i64>().ok()?)))
        });
        let chat = match (configured, moved) {
            (Some(c), Some((from, to))) if c == from => Some(to),
            _ => configured,
        };
        *self.known.write().expect("staff chat lock") = Some(chat);
        Ok(chat)
    }

    /// Telegram upgraded the staff group to a supergroup: follow it.
    pub async fn moved(&self, from: i64, to: i64) -> Result<bool, StoreError> {
        if self.current().await? != Some(from) {
            return Ok(false);
        }
        // Recorded from the configured id: a chain (configured → moved → moved again)
        // still starts from what the operator wrote.
        let origin = self.configured.unwrap_or(from);
        self.store
            .set_setting(STAFF_CHAT_MOVE, &format!("{origin}:{to}"))
            .await?;
        *self.known.write().expect("staff chat lock") = Some(Some(to));
        tracing::info!(from, to, "the staff chat moved; following it");
        Ok(true)
    }
}
