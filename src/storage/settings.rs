//! Values the bot learns while running (where Telegram moved the staff chat).

use super::{Op, StoreError};
use sqlx::SqliteConnection;

pub async fn get(conn: &mut SqliteConnection, key: &str) -> Result<Option<String>, StoreError> {
    sqlx::query_scalar("SELECT value FROM settings WHERE key = ?")
        .bind(key)
        .fetch_optional(conn)
        .await
        .op("read a setting")
}

/// The statement that sets a setting (binds: key, value).
pub(super) const SET: &str =
    "INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value";

pub async fn set(conn: &mut SqliteConnection, key: &str, value: &str) -> Result<(), StoreError> {
    sqlx::query(SET)
        .bind(key)
        .bind(value)
        .execute(conn)
        .await
        .op("save a setting")?;
    Ok(())
}
