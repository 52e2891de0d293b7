//! Updates taken from Telegram and not yet handled (see migration 0012).

use super::{Op, StoreError, ts};
use jiff::Timestamp;
use sqlx::SqliteConnection;

/// Keeps updates as they came (their JSON); one already kept is left as it is.
pub async fn put(conn: &mut SqliteConnection, updates: &[(i64, String)], now: Timestamp) -> Result<(), StoreError> {
    // One statement per hundred: a statement is a round trip to SQLite's thread.
    for chunk in updates.chunks(100) {
        let rows = vec!["(?, ?, ?)"; chunk.len()].join(", ");
        let sql = format!("INSERT OR IGNORE INTO inbox (update_id, body, received_at) VALUES {rows}");
        let mut query = sqlx::query(&sql);
        let at = ts(now);
        for (id, body) in chunk {
            query = query.bind(id).bind(body).bind(at.clone());
        }
        query.execute(&mut *conn).await.op("keep updates")?;
    }
    Ok(())
}

/// The updates not handled yet, oldest first.
pub async fn unhandled(conn: &mut SqliteConnection) -> Result<Vec<(i64, String)>, StoreError> {
    sqlx::query_as("SELECT update_id, body FROM inbox ORDER BY update_id")
        .fetch_all(conn)
        .await
        .op("read the updates not handled yet")
}

/// These updates were handled.
pub async fn done(conn: &mut SqliteConnection, ids: &[i64]) -> Result<(), StoreError> {
    for chunk in ids.chunks(500) {
        let marks = super::marks(chunk.len());
        let sql = format!("DELETE FROM inbox WHERE update_id IN ({marks})");
        let mut query = sqlx::query(&sql);
        for id in chunk {
            query = query.bind(id);
        }
        query.execute(&mut *conn).await.op("forget handled updates")?;
    }
    Ok(())
}
