//! Updates of the staff group already handled (a private chat's are kept with its
//! conversation).

use super::{Op, StoreError, ts};
use crate::ids::UpdateId;
use jiff::Timestamp;
use sqlx::SqliteConnection;

/// Records an update as handled: `false` when it was already.
pub async fn claim(conn: &mut SqliteConnection, update: UpdateId, now: Timestamp) -> Result<bool, StoreError> {
    let done = sqlx::query("INSERT OR IGNORE INTO processed_updates (update_id, at) VALUES (?, ?)")
        .bind(update.0 as i64)
        .bind(ts(now))
        .execute(conn)
        .await
        .op("claim an update")?;
    Ok(done.rows_affected() == 1)
}

/// Forgets update ids older than `before` (Telegram may restart them after a quiet week).
pub async fn prune(conn: &mut SqliteConnection, before: Timestamp) -> Result<u64, StoreError> {
    let done = sqlx::query("DELETE FROM processed_updates WHERE at < ?")
        .bind(ts(before))
        .execute(conn)
        .await
        .op("prune old update ids")?;
    Ok(done.rows_affected())
}
