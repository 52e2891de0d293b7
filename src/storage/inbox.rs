//! Updates taken from Telegram and not yet handled (see migration 0012).

use super::{Op, StoreError, ts};
use jiff::Timestamp;
use sqlx::SqliteConnection;

/// Keeps updates as they came (their JSON; one already kept is left as it is) and,
/// with them, where the next getUpdates starts (the setting `offset_key`): all or
/// nothing, in one round trip to SQLite's thread (a batch arrives while replies are
/// being written, and waits its turn to write like them). `conn` must hold this
/// process's turn to write and no transaction.
pub async fn keep(
    conn: &mut SqliteConnection,
    updates: &[(i64, String)],
    offset: Option<(&str, i64)>,
    now: Timestamp,
) -> Result<(), StoreError> {
    let mut sql = String::from("BEGIN IMMEDIATE;\n");
    // A statement per hundred (Telegram's largest batch), within SQLite's limit of
    // arguments.
    for chunk in updates.chunks(100) {
        let rows = vec!["(?, ?, ?)"; chunk.len()].join(", ");
        sql.push_str(&format!(
            "INSERT OR IGNORE INTO inbox (update_id, body, received_at) VALUES {rows};\n"
        ));
    }
    if offset.is_some() {
        sql.push_str(super::settings::SET);
        sql.push_str(";\n");
    }
    sql.push_str("COMMIT;");
    let mut query = sqlx::query(&sql);
    let at = ts(now);
    for (id, body) in updates {
        query = query.bind(id).bind(body).bind(at.clone());
    }
    if let Some((key, value)) = offset {
        query = query.bind(key).bind(value.to_string());
    }
    if let Err(err) = query.execute(&mut *conn).await {
        let _ = sqlx::query("ROLLBACK").execute(&mut *conn).await;
        return Err(err).op("keep updates");
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
