//! A conversation's turn whose only changes are its replies and its saved place (most
//! turns: a menu, an answer). Each trip to SQLite's thread is a hand-over between
//! threads, and SQLite writes one transaction at a time: under load the writer's turn,
//! not SQLite, was what a reply cost (a third of a millisecond, held by each turn in
//! a row). So turns that arrive while others are being written wait together, and the
//! next trip writes them all, each still all or nothing: a group commit.

use super::conversations::{self, Conversation};
use super::outbox;
use super::questions::{self, Logged};
use super::{Op, StoreError};
use crate::message::OutMessage;
use jiff::Timestamp;
use sqlx::{SqliteConnection, SqlitePool};
use std::sync::Arc;
use tokio::sync::{Mutex, Notify, mpsc, oneshot};

/// One turn's writes.
pub struct Turn {
    pub replies: Vec<OutMessage>,
    pub conversation: Option<Conversation>,
    pub questions: Vec<Logged>,
    pub now: Timestamp,
}

/// Turns written together at most: their arguments stay far below SQLite's limit
/// (32,766), and one bad turn costs the others a second trip, not a long one.
const GROUP: usize = 64;

type Request = (Turn, oneshot::Sender<Result<(), StoreError>>);

/// Where turns wait to be written together.
#[derive(Clone, Debug)]
pub struct Committer {
    queue: mpsc::UnboundedSender<Request>,
}

impl Committer {
    /// Starts the task that writes the turns, through `writes` in `writer`'s turn.
    pub fn start(writes: SqlitePool, writer: Arc<Mutex<()>>, committed: Arc<Notify>) -> Committer {
        let (queue, waiting) = mpsc::unbounded_channel();
        tokio::spawn(write_groups(waiting, writes, writer, committed));
        Committer { queue }
    }

    /// Writes `turn`; returns once it is committed.
    pub async fn save(&self, turn: Turn) -> Result<(), StoreError> {
        let (done, answer) = oneshot::channel();
        self.queue.send((turn, done)).map_err(|_| closing())?;
        answer.await.map_err(|_| closing())?
    }
}

fn closing() -> StoreError {
    StoreError::Unavailable("save a turn (the bot is stopping)".into())
}

/// Writes what waits, group after group, until every `Committer` is gone.
async fn write_groups(
    mut waiting: mpsc::UnboundedReceiver<Request>,
    writes: SqlitePool,
    writer: Arc<Mutex<()>>,
    committed: Arc<Notify>,
) {
    let mut group: Vec<Request> = Vec::with_capacity(GROUP);
    while waiting.recv_many(&mut group, GROUP).await > 0 {
        let results = {
            let _turn = writer.lock().await;
            match writes.acquire().await.op("get the writing connection") {
                Ok(mut conn) => write_group(&mut conn, &group).await,
                Err(err) => {
                    let why = err.to_string();
                    group
                        .iter()
                        .map(|_| Err(StoreError::Unavailable(why.clone())))
                        .collect()
                }
            }
        };
        if results.iter().any(Result::is_ok) {
            committed.notify_one();
        }
        for ((_, done), result) in group.drain(..).zip(results) {
            // The turn's handler may be gone (the bot stopping): its write stands.
            let _ = done.send(result);
        }
    }
}

/// All of `group` in one transaction; if that fails, each turn alone, so that one
/// turn's failure is its own.
async fn write_group(conn: &mut SqliteConnection, group: &[Request]) -> Vec<Result<(), StoreError>> {
    let turns: Vec<&Turn> = group.iter().map(|(turn, _)| turn).collect();
    if turns.len() > 1 {
        match save(conn, &turns).await {
            Ok(()) => return turns.iter().map(|_| Ok(())).collect(),
            // The database stayed locked (another process, for SQLite's whole busy
            // timeout): each turn alone would wait as long again, one after another.
            Err(err) if locked(&err) => {
                let why = err.to_string();
                return turns
                    .iter()
                    .map(|_| Err(StoreError::Unavailable(why.clone())))
                    .collect();
            }
            Err(err) => tracing::debug!(%err, "a group of turns failed; writing each alone"),
        }
    }
    let mut results = Vec::with_capacity(turns.len());
    for turn in turns {
        results.push(save(conn, &[turn]).await);
    }
    results
}

/// SQLITE_BUSY or SQLITE_LOCKED (and their extended codes).
fn locked(err: &StoreError) -> bool {
    let StoreError::Query {
        source: sqlx::Error::Database(db),
        ..
    } = err
    else {
        return false;
    };
    db.code()
        .and_then(|c| c.parse::<i32>().ok())
        .is_some_and(|c| matches!(c & 0xff, 5 | 6))
}

/// Queues the turns' replies and saves their conversations (those given), all or
/// nothing, in one round trip. `conn` must hold this process's turn to write and no
/// transaction.
async fn save(conn: &mut SqliteConnection, turns: &[&Turn]) -> Result<(), StoreError> {
    // Three statements however many turns (each a row or several): SQLite prepares each
    // statement anew for a group of another size, and preparing one per reply cost more
    // than writing it.
    let replies = turns.iter().map(|t| t.replies.len()).sum::<usize>();
    let saves = turns.iter().filter(|t| t.conversation.is_some()).count();
    let logged = turns.iter().map(|t| t.questions.len()).sum::<usize>();
    let mut sql = String::from("BEGIN IMMEDIATE;\n");
    if replies > 0 {
        sql.push_str(&outbox::insert_rows(replies));
        sql.push_str(";\n");
    }
    if saves > 0 {
        sql.push_str(&conversations::save_rows(saves));
        sql.push_str(";\n");
    }
    if logged > 0 {
        sql.push_str(&questions::log_rows(logged));
        sql.push_str(";\n");
    }
    sql.push_str("COMMIT;");
    let mut query = sqlx::query(&sql);
    for turn in turns {
        for m in &turn.replies {
            query = outbox::bind_insert(query, m, turn.now)?;
        }
    }
    for c in turns.iter().filter_map(|t| t.conversation.as_ref()) {
        query = conversations::bind_save(query, c);
    }
    for l in turns.iter().flat_map(|t| &t.questions) {
        query = questions::bind_log(query, l);
    }
    if let Err(err) = query.execute(&mut *conn).await {
        // A statement failed inside the transaction: nothing of it stays.
        let _ = sqlx::query("ROLLBACK").execute(&mut *conn).await;
        return Err(err).op("save a turn");
    }
    Ok(())
}
