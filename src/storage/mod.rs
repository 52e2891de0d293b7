//! Every SQL query eudesk runs, and nothing else.

pub mod drafts;
pub mod outbox;
pub mod privacy;
pub mod tickets;
pub mod trainings;

pub use drafts::{Draft, DraftContent};
pub use outbox::{OutboxId, Pending};
pub use privacy::Erased;
pub use tickets::{Actor, Answer, Closed, Created, Stats};
pub use trainings::{Booked, Cancelled, Reminder};

use crate::lang::Lang;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous};
use std::str::FromStr;
use std::time::Duration;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("DATABASE_URL '{url}' is not a SQLite URL ({source}); write it like sqlite://eudesk.db")]
    BadUrl { url: String, source: sqlx::Error },
    #[error(
        "cannot open the database '{url}' ({source}); check that its folder exists and is writable, or set DATABASE_URL"
    )]
    Open { url: String, source: sqlx::Error },
    #[error("cannot bring the database '{url}' up to date ({source}); was it made by a newer eudesk?")]
    Migrate {
        url: String,
        source: sqlx::migrate::MigrateError,
    },
    #[error("database error: {0}")]
    Query(#[from] sqlx::Error),
    #[error("the database holds a value this version cannot read: {0}")]
    Corrupt(String),
}

/// Timestamps are stored as RFC 3339 UTC text with whole seconds, one fixed width, so
/// that SQLite's text comparison is time order.
pub(crate) fn ts(t: jiff::Timestamp) -> String {
    t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
}

pub(crate) fn parse_ts(s: String) -> Result<jiff::Timestamp, StoreError> {
    s.parse().map_err(|_| StoreError::Corrupt(format!("timestamp '{s}'")))
}

/// Makes sure the database file exists and only its owner can read it: SQLite creates
/// the `-wal` and `-shm` files with the database file's permissions, so these follow.
/// Names, e-mail addresses and questions live in it.
fn private_file(path: &std::path::Path) -> std::io::Result<()> {
    if path.as_os_str().is_empty() || path.to_str() == Some(":memory:") || path.exists() {
        return Ok(());
    }
    match create_private(path) {
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        other => other.map(drop),
    }
}

/// Creates a new file readable and writable by its owner only (0600); fails when it
/// exists.
pub fn create_private(path: &std::path::Path) -> std::io::Result<std::fs::File> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)
}

/// The SQLite database. Cheap to clone: the pool is shared.
#[derive(Clone, Debug)]
pub struct Store {
    pool: SqlitePool,
}

/// A person's place in the conversation, as saved.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Conversation {
    pub user: i64,
    pub lang: Option<Lang>,
    /// A node id as saved; it may no longer exist if the content changed since.
    pub node: String,
    /// A multi-step flow in progress, as the engine serialised it.
    pub flow: Option<String>,
    /// The last question the bot could not answer, as the engine serialised it.
    pub last_question: Option<String>,
}

impl Store {
    /// Opens (creating if missing) the database and applies pending migrations.
    #[tracing::instrument]
    pub async fn open(url: &str) -> Result<Store, StoreError> {
        let store = Store::connect(url).await?;
        sqlx::migrate!()
            .run(&store.pool)
            .await
            .map_err(|source| StoreError::Migrate {
                url: url.to_owned(),
                source,
            })?;
        Ok(store)
    }

    /// Opens the database as it is, without migrating it (for `eudesk status`).
    pub async fn connect(url: &str) -> Result<Store, StoreError> {
        let options = SqliteConnectOptions::from_str(url)
            .map_err(|source| StoreError::BadUrl {
                url: url.to_owned(),
                source,
            })?
            .create_if_missing(true)
            // WAL lets the command line read while the bot writes.
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(Duration::from_secs(5))
            .foreign_keys(true)
            // Deleted and overwritten content is zeroed, not left in free pages where
            // `strings eudesk.db` would still show what a person asked us to erase.
            .pragma("secure_delete", "ON");
        private_file(options.get_filename()).map_err(|source| StoreError::Open {
            url: url.to_owned(),
            source: sqlx::Error::Io(source),
        })?;
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(options)
            .await
            .map_err(|source| StoreError::Open {
                url: url.to_owned(),
                source,
            })?;
        Ok(Store { pool })
    }

    #[tracing::instrument(skip(self))]
    pub async fn conversation(&self, user: i64) -> Result<Option<Conversation>, StoreError> {
        type Row = (i64, Option<String>, String, Option<String>, Option<String>);
        let row: Option<Row> =
            sqlx::query_as("SELECT user_id, lang, node, flow, last_question FROM conversations WHERE user_id = ?")
                .bind(user)
                .fetch_optional(&self.pool)
                .await?;
        Ok(row.map(|(user, lang, node, flow, last_question)| Conversation {
            user,
            lang: lang.as_deref().and_then(Lang::parse),
            node,
            flow,
            last_question,
        }))
    }

    #[tracing::instrument(skip(self, c), fields(user = c.user))]
    pub async fn save_conversation(&self, c: &Conversation) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO conversations (user_id, lang, node, flow, last_question) VALUES (?, ?, ?, ?, ?)
             ON CONFLICT (user_id) DO UPDATE SET lang = excluded.lang, node = excluded.node,
                 flow = excluded.flow, last_question = excluded.last_question,
                 updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')",
        )
        .bind(c.user)
        .bind(c.lang.map(Lang::code))
        .bind(&c.node)
        .bind(&c.flow)
        .bind(&c.last_question)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// A transaction that takes SQLite's write lock at once (`BEGIN IMMEDIATE`), for
    /// read-then-write work that must not interleave with another writer.
    pub(crate) async fn immediate(&self) -> Result<sqlx::Transaction<'static, sqlx::Sqlite>, StoreError> {
        Ok(self.pool.begin_with("BEGIN IMMEDIATE").await?)
    }

    /// Moves everything in the write-ahead log into the database file and empties the
    /// log: after an erasure, and at a clean stop, nothing erased stays in `-wal`.
    pub async fn checkpoint(&self) -> Result<(), StoreError> {
        sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Checkpoints and closes every connection (a clean stop).
    pub async fn close(&self) {
        if let Err(err) = self.checkpoint().await {
            tracing::warn!(%err, "could not checkpoint the database at stop");
        }
        self.pool.close().await;
    }
}

impl Store {
    /// Claims an update for handling: `false` when it was handled before (Telegram
    /// delivered it again). The claim is made before the update's effects, so an update
    /// whose handler was cut short by a crash is not run twice: the person sees no
    /// answer and writes again, rather than, say, booking twice.
    pub async fn claim_update(&self, update: u32, now: jiff::Timestamp) -> Result<bool, StoreError> {
        let done = sqlx::query("INSERT OR IGNORE INTO processed_updates (update_id, at) VALUES (?, ?)")
            .bind(update as i64)
            .bind(ts(now))
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Forgets update ids older than `before` (Telegram reuses ids after a quiet week).
    pub async fn prune_updates(&self, before: jiff::Timestamp) -> Result<u64, StoreError> {
        let done = sqlx::query("DELETE FROM processed_updates WHERE at < ?")
            .bind(ts(before))
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected())
    }
}

/// What `eudesk status` reports.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Health {
    pub migrations_applied: usize,
    pub migrations_known: usize,
    pub outbox_backlog: u64,
    pub outbox_failed: u64,
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
        let last: Option<String> = sqlx::query_scalar("SELECT MAX(at) FROM processed_updates")
            .fetch_one(&self.pool)
            .await
            .unwrap_or(None);
        Ok(Health {
            migrations_applied: applied as usize,
            migrations_known: known,
            outbox_backlog: scalar("SELECT COUNT(*) FROM outbox WHERE state = 'pending'").await,
            outbox_failed: scalar("SELECT COUNT(*) FROM outbox WHERE state = 'failed'").await,
            open_tickets: scalar("SELECT COUNT(*) FROM tickets WHERE status = 'open'").await,
            last_update: last,
        })
    }

    /// A consistent copy of the live database, made while the bot runs (SQLite's
    /// `VACUUM INTO` reads one snapshot, and WAL lets the bot go on writing). The file
    /// is created first, empty and readable by its owner only (`VACUUM INTO` accepts an
    /// empty file), so a backup is never readable by others, not even for a moment.
    pub async fn backup(&self, path: &std::path::Path) -> Result<(), StoreError> {
        create_private(path).map_err(|e| StoreError::Corrupt(format!("cannot create '{}': {e}", path.display())))?;
        sqlx::query("VACUUM INTO ?")
            .bind(path.to_string_lossy().into_owned())
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}
