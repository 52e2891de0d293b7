//! The database's health for `eudesk status`, and its online backup.

use super::*;

/// What `eudesk status` reports.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Health {
    pub migrations_applied: usize,
    pub migrations_known: usize,
    pub outbox_backlog: u64,
    pub outbox_failed: u64,
    /// Updates taken from Telegram and not yet handled (handled at the next start).
    pub inbox_backlog: u64,
    pub open_tickets: u64,
    /// When the bot last handled an update (from the last two days).
    pub last_update: Option<String>,
}

impl Store {
    pub async fn health(&self) -> Result<Health, StoreError> {
        let applied: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM _sqlx_migrations WHERE success = 1")
            .fetch_one(&self.pool)
            .await
            .unwrap_or(0);
        let known = sqlx::migrate!().iter().count();
        let scalar = |sql: &'static str| async move {
            sqlx::query_scalar::<_, i64>(sql)
                .fetch_one(&self.pool)
                .await
                .map(|n| n as u64)
                .unwrap_or(0)
        };
        // Private chats record their last update on the conversation, the staff group
        // in processed_updates.
        let last: Option<String> = sqlx::query_scalar(
            "SELECT MAX(at) FROM (SELECT MAX(at) AS at FROM processed_updates
                                  UNION ALL SELECT MAX(last_update_at) FROM conversations)",
        )
        .fetch_one(&self.pool)
        .await
        .unwrap_or(None);
        Ok(Health {
            migrations_applied: applied as usize,
            migrations_known: known,
            outbox_backlog: scalar("SELECT COUNT(*) FROM outbox WHERE state = 'pending'").await,
            outbox_failed: scalar("SELECT COUNT(*) FROM outbox WHERE state = 'failed'").await,
            inbox_backlog: scalar("SELECT COUNT(*) FROM inbox").await,
            open_tickets: scalar("SELECT COUNT(*) FROM tickets WHERE status = 'open'").await,
            last_update: last,
        })
    }

    /// A consistent copy of the live database, made while the bot runs (SQLite's
    /// `VACUUM INTO` reads one snapshot, and WAL lets the bot go on writing). The file
    /// is created first, empty and readable by its owner only (`VACUUM INTO` accepts an
    /// empty file), so a backup is never readable by others, not even for a moment.
    pub async fn backup(&self, path: &std::path::Path) -> Result<(), StoreError> {
        create_private(path).map_err(|source| StoreError::BackupFile {
            path: path.display().to_string(),
            source,
        })?;
        sqlx::query("VACUUM INTO ?")
            .bind(path.to_string_lossy().into_owned())
            .execute(&self.pool)
            .await
            .op("copy the database")?;
        Ok(())
    }
}
