//! Every SQL query eudesk runs, and nothing else: plain queries on a connection, no
//! rules (the workflow services in `tickets`, `trainings` and `privacy` own those) and
//! no rendering. A `Work` is one update's (or one command's) access to the database:
//! reads on one pooled connection, writes in one transaction committed as a whole.

pub mod attendance;
pub mod certificates;
pub mod conversations;
pub mod drafts;
pub mod fanouts;
mod health;
pub mod inbox;
pub mod opportunities;
pub mod outbox;
pub mod phrasings;
pub mod privacy;
pub mod questions;
pub mod quota;
mod reads;
pub mod settings;
pub mod stats;
pub mod surveys;
pub mod tickets;
pub mod trainings;
pub mod turns;
pub mod updates;

pub use conversations::Conversation;
pub use drafts::{Draft, DraftContent};
pub use health::Health;
pub use outbox::{OutboxId, Pending};
pub use tickets::Actor;

use sqlx::pool::PoolConnection;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Sqlite, SqliteConnection, Transaction};
use std::str::FromStr;
use std::sync::Arc;
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
    /// A query failed; `op` says which ("save a conversation", "book a seat" …).
    #[error("the database could not {op}: {source}")]
    Query {
        op: &'static str,
        #[source]
        source: sqlx::Error,
    },
    /// A column of a row could not be read as the type it should hold.
    #[error("the database returned a row this version cannot read: {0}")]
    Decode(#[from] sqlx::Error),
    #[error("the database holds a value this version cannot read: {0}")]
    Corrupt(String),
    /// The writing connection or its task could not be had (the bot stopping, the
    /// pool closed).
    #[error("the database could not be reached to {0}; nothing of it was saved")]
    Unavailable(String),
    /// Other connections kept reading an older snapshot for seconds on end.
    #[error("the database stayed busy and could not {0}; it is tried again at the next erasure and at the stop")]
    Busy(&'static str),
    #[error("cannot create '{path}' for the backup: {source}")]
    BackupFile {
        path: String,
        #[source]
        source: std::io::Error,
    },
}

/// Names the operation a query result belongs to: `.op("load a ticket")?`.
pub(crate) trait Op<T> {
    fn op(self, op: &'static str) -> Result<T, StoreError>;
}

impl<T> Op<T> for Result<T, sqlx::Error> {
    fn op(self, op: &'static str) -> Result<T, StoreError> {
        self.map_err(|source| StoreError::Query { op, source })
    }
}

/// Timestamps are stored as RFC 3339 UTC text with whole seconds, one fixed width, so
/// that SQLite's text comparison is time order.
pub(crate) fn ts(t: jiff::Timestamp) -> String {
    t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// `?, ?, ?` for a list of `n` values bound one by one (`IN (…)`).
pub(crate) fn marks(n: usize) -> String {
    vec!["?"; n].join(", ")
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
    /// Connections for reading.
    pool: SqlitePool,
    /// The one connection that writes. Its own, so that the writer, whom every other
    /// writer waits for, never waits for a reader to give a connection back.
    writes: SqlitePool,
    /// SQLite has one writer at a time. Writers of this process queue here, and are
    /// woken the moment the one before commits, instead of in SQLite's busy handler,
    /// which sleeps in growing steps (up to 100 ms) between looks at the lock: under
    /// load that turned a 1 ms wait into a 100 ms one. (Another process, the command
    /// line, still meets the busy handler: rare, and it waits politely.)
    writer: Arc<tokio::sync::Mutex<()>>,
    /// Told at every commit of this process: the outbox's delivery wakes at once for a
    /// reply just queued, instead of looking every so often.
    committed: Arc<tokio::sync::Notify>,
    /// Writes the plain turns together (see `turns`); started at the first.
    committer: Arc<std::sync::OnceLock<turns::Committer>>,
}

impl Store {
    /// Opens (creating if missing) the database and applies pending migrations.
    #[tracing::instrument]
    pub async fn open(url: &str) -> Result<Store, StoreError> {
        let store = Store::connect(url).await?;
        sqlx::migrate!()
            .run(&store.writes)
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
        let pool = |size: u32| {
            SqlitePoolOptions::new()
                .max_connections(size)
                // sqlx pings a connection before handing it out by default: one more round
                // trip to its worker thread for every update, for a file on a local disk.
                .test_before_acquire(false)
                // 1 MiB of page cache per connection instead of SQLite's 2 MiB: the data of
                // a year fits, and four connections do not hold 8 MiB of copies of it.
                .after_connect(|conn, _| {
                    Box::pin(async move {
                        sqlx::query("PRAGMA cache_size = -1024").execute(conn).await?;
                        Ok(())
                    })
                })
        };
        let open = |source| StoreError::Open {
            url: url.to_owned(),
            source,
        };
        // The writer first: it creates the file and turns WAL on.
        let writes = pool(1).connect_with(options.clone()).await.map_err(open)?;
        let pool = pool(4).connect_with(options).await.map_err(open)?;
        Ok(Store {
            pool,
            writes,
            writer: Arc::new(tokio::sync::Mutex::new(())),
            committed: Arc::new(tokio::sync::Notify::new()),
            committer: Arc::new(std::sync::OnceLock::new()),
        })
    }

    /// A unit of work: see `Work`.
    pub fn work(&self) -> Work {
        Work {
            pool: self.pool.clone(),
            writes: self.writes.clone(),
            writer: self.writer.clone(),
            committed: self.committed.clone(),
            state: WorkState::Idle,
            permit: None,
        }
    }

    /// Runs `f` on a connection of the pool, outside any transaction: for reads.
    pub async fn read<T>(
        &self,
        f: impl for<'c> AsyncFnOnce(&'c mut SqliteConnection) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let mut conn = self.pool.acquire().await.op("get a connection")?;
        f(&mut conn).await
    }

    /// Runs `f` on the writing connection, in this process's turn to write, outside any
    /// transaction: for one statement, which SQLite commits on its own, or a statement
    /// list that holds its own BEGIN and COMMIT. Either spares `write`'s BEGIN and
    /// COMMIT round trips where they count (a mark per alert sent, a batch of updates).
    pub async fn write_one<T>(
        &self,
        f: impl for<'c> AsyncFnOnce(&'c mut SqliteConnection) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let _turn = self.turn_to_write().await;
        let mut conn = self.writes.acquire().await.op("get the writing connection")?;
        f(&mut conn).await
    }

    /// This process's turn to write, as a unit of work takes it. Waiting longer than
    /// SQLite's own busy timeout means the turn is held by the caller itself (a write
    /// made from inside a unit of work): then SQLite's busy handler decides, as before.
    async fn turn_to_write(&self) -> Option<tokio::sync::OwnedMutexGuard<()>> {
        let turn = tokio::time::timeout(Duration::from_secs(5), self.writer.clone().lock_owned()).await;
        if turn.is_err() {
            tracing::warn!("waited 5 s for this process's turn to write; writing anyway");
        }
        turn.ok()
    }

    /// Runs `f` in one `BEGIN IMMEDIATE` transaction, committed when it returns `Ok`.
    pub async fn write<T>(
        &self,
        f: impl for<'c> AsyncFnOnce(&'c mut SqliteConnection) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        // In turn with the units of work: woken when the writer before commits, instead
        // of SQLite's busy handler sleeping up to 100 ms between looks.
        let _turn = self.turn_to_write().await;
        let mut tx = self
            .writes
            .begin_with("BEGIN IMMEDIATE")
            .await
            .op("begin a transaction")?;
        let out = f(&mut tx).await?;
        tx.commit().await.op("commit a transaction")?;
        self.committed.notify_one();
        Ok(out)
    }

    /// Queues a turn's replies and saves its place, all or nothing, together with the
    /// turns that wait at the same moment; returns once it is committed.
    pub async fn save_turn(&self, turn: turns::Turn) -> Result<(), StoreError> {
        let committer = self
            .committer
            .get_or_init(|| turns::Committer::start(self.writes.clone(), self.writer.clone(), self.committed.clone()));
        committer.save(turn).await
    }

    /// Wakes whoever waits for a commit of this process (one waiter: the outbox's
    /// delivery; commits while it is busy are remembered as one).
    pub async fn committed(&self) {
        self.committed.notified().await
    }

    /// Moves everything in the write-ahead log into the database file and empties the
    /// log: after an erasure, and at a clean stop, nothing erased stays in `-wal`.
    pub async fn checkpoint(&self) -> Result<(), StoreError> {
        // SQLite answers "busy" (in a row, not as an error) while another connection
        // reads an older snapshot (the outbox's delivery looks after every commit): tried
        // again until the log is really emptied, for a few seconds at most.
        for _ in 0..200 {
            let (busy,): (i64,) = sqlx::query_as("PRAGMA wal_checkpoint(TRUNCATE)")
                .fetch_one(&self.pool)
                .await
                .op("checkpoint the write-ahead log")?;
            if busy == 0 {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        Err(StoreError::Busy("empty the write-ahead log"))
    }

    /// Checkpoints and closes every connection (a clean stop).
    pub async fn close(&self) {
        if let Err(err) = self.checkpoint().await {
            tracing::warn!(%err, "could not checkpoint the database at stop");
        }
        self.pool.close().await;
        self.writes.close().await;
    }
}

/// One update's access to the database. Reads go to one pooled connection; the first
/// write begins one `BEGIN IMMEDIATE` transaction (SQLite's write lock, taken before
/// anything is read in it, so that rules checked inside hold), and everything after
/// goes through it, reads included. `commit` ends it; dropped without, it rolls back.
/// An update never holds two connections, so updates waiting for the write lock can
/// never starve the one that holds it of a connection.
pub struct Work {
    pool: SqlitePool,
    writes: SqlitePool,
    writer: Arc<tokio::sync::Mutex<()>>,
    committed: Arc<tokio::sync::Notify>,
    state: WorkState,
    /// This process's turn to write, held from the first write to the commit.
    permit: Option<tokio::sync::OwnedMutexGuard<()>>,
}

enum WorkState {
    Idle,
    Reading(PoolConnection<Sqlite>),
    Writing(Transaction<'static, Sqlite>),
}

impl Work {
    /// A connection for reading: the transaction's once writing began.
    pub async fn read(&mut self) -> Result<&mut SqliteConnection, StoreError> {
        if matches!(self.state, WorkState::Idle) {
            let conn = self.pool.acquire().await.op("get a connection")?;
            self.state = WorkState::Reading(conn);
        }
        Ok(match &mut self.state {
            WorkState::Reading(conn) => conn,
            WorkState::Writing(tx) => tx,
            WorkState::Idle => unreachable!("a connection was just acquired"),
        })
    }

    /// The transaction, begun now if it was not.
    pub async fn write(&mut self) -> Result<&mut SqliteConnection, StoreError> {
        if !matches!(self.state, WorkState::Writing(_)) {
            // Back to the pool first: one connection per update at a time.
            self.state = WorkState::Idle;
            self.permit = Some(self.writer.clone().lock_owned().await);
            let tx = self
                .writes
                .begin_with("BEGIN IMMEDIATE")
                .await
                .op("begin a transaction")?;
            self.state = WorkState::Writing(tx);
        }
        match &mut self.state {
            WorkState::Writing(tx) => Ok(tx),
            _ => unreachable!("a transaction was just begun"),
        }
    }

    /// Whether a transaction is open.
    pub fn writing(&self) -> bool {
        matches!(self.state, WorkState::Writing(_))
    }

    /// Commits the transaction, if one was begun, and ends this turn to write.
    pub async fn commit(self) -> Result<(), StoreError> {
        let wrote = self.permit.is_some();
        if let WorkState::Writing(tx) = self.state {
            tx.commit().await.op("commit a transaction")?;
        }
        if wrote {
            self.committed.notify_one();
        }
        Ok(())
    }
}
