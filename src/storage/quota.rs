//! Counts of new questions per office day, under tags that name nobody, and the day's
//! key those tags are made with.

use super::{Op, StoreError};
use sqlx::SqliteConnection;

/// Drops the keys and counts of every day but `day`.
pub async fn keep_only(conn: &mut SqliteConnection, day: &str) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM ticket_quota_keys WHERE day != ?")
        .bind(day)
        .execute(&mut *conn)
        .await
        .op("drop old quota keys")?;
    sqlx::query("DELETE FROM ticket_quota WHERE day != ?")
        .bind(day)
        .execute(conn)
        .await
        .op("drop old quota counts")?;
    Ok(())
}

pub async fn key(conn: &mut SqliteConnection, day: &str) -> Result<Option<Vec<u8>>, StoreError> {
    sqlx::query_scalar("SELECT key FROM ticket_quota_keys WHERE day = ?")
        .bind(day)
        .fetch_optional(conn)
        .await
        .op("read the day's quota key")
}

pub async fn set_key(conn: &mut SqliteConnection, day: &str, key: &[u8]) -> Result<(), StoreError> {
    sqlx::query("INSERT INTO ticket_quota_keys (day, key) VALUES (?, ?)")
        .bind(day)
        .bind(key)
        .execute(conn)
        .await
        .op("save the day's quota key")?;
    Ok(())
}

pub async fn count(conn: &mut SqliteConnection, day: &str, tag: &str) -> Result<u32, StoreError> {
    let n: Option<i64> = sqlx::query_scalar("SELECT count FROM ticket_quota WHERE day = ? AND tag = ?")
        .bind(day)
        .bind(tag)
        .fetch_optional(conn)
        .await
        .op("read a quota count")?;
    Ok(n.unwrap_or(0) as u32)
}

pub async fn increment(conn: &mut SqliteConnection, day: &str, tag: &str) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO ticket_quota (day, tag, count) VALUES (?, ?, 1)
         ON CONFLICT (day, tag) DO UPDATE SET count = count + 1",
    )
    .bind(day)
    .bind(tag)
    .execute(conn)
    .await
    .op("count a question")?;
    Ok(())
}
