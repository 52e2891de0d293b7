//! An alert's delivery to each subscriber (a fan-out): queued at once in the database,
//! each recipient marked as they are reached, ended with its counts.

use super::{Op, StoreError, ts};
use crate::lang::Lang;
use crate::opportunities::{FanoutState, Topic};
use jiff::Timestamp;
use sqlx::sqlite::SqliteRow;
use sqlx::{Row, SqliteConnection};

/// What a fan-out carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Carrying {
    Opportunity(i64),
    Session(crate::trainings::SessionId),
}

/// A fan-out with its counts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fanout {
    pub id: i64,
    pub carrying: Carrying,
    pub state: FanoutState,
    pub total: i64,
    pub sent: i64,
    pub blocked: i64,
    pub failed: i64,
    pub pending: i64,
    pub progress_message: Option<i64>,
}

/// Queues a fan-out to the subscribers of `topics` now: each person once, in the
/// language of their subscription. The fan-out's id, and how many recipients.
pub async fn queue(
    conn: &mut SqliteConnection,
    carrying: Carrying,
    topics: &[Topic],
    now: Timestamp,
) -> Result<(i64, i64), StoreError> {
    let (opportunity, session) = match carrying {
        Carrying::Opportunity(id) => (Some(id), None),
        Carrying::Session(id) => (None, Some(id.0)),
    };
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO fanouts (opportunity_id, session_id, created_at, total) VALUES (?, ?, ?, 0) RETURNING id",
    )
    .bind(opportunity)
    .bind(session)
    .bind(ts(now))
    .fetch_one(&mut *conn)
    .await
    .op("start a fan-out")?;
    let placeholders = super::marks(topics.len());
    let sql = format!(
        "INSERT INTO fanout_recipients (fanout_id, user_id, lang)
         SELECT ?, user_id, MIN(lang) FROM subscriptions WHERE topic IN ({placeholders}) GROUP BY user_id"
    );
    let mut insert = sqlx::query(&sql).bind(id);
    for t in topics {
        insert = insert.bind(t.id());
    }
    let total = insert
        .execute(&mut *conn)
        .await
        .op("list a fan-out's recipients")?
        .rows_affected() as i64;
    sqlx::query("UPDATE fanouts SET total = ?, state = CASE WHEN ? = 0 THEN 'done' ELSE 'sending' END, finished_at = CASE WHEN ? = 0 THEN ? END WHERE id = ?")
        .bind(total)
        .bind(total)
        .bind(total)
        .bind(ts(now))
        .bind(id)
        .execute(conn)
        .await
        .op("count a fan-out's recipients")?;
    Ok((id, total))
}

fn fanout_from(row: &SqliteRow) -> Result<Fanout, StoreError> {
    let opportunity: Option<i64> = row.try_get("opportunity_id")?;
    let session: Option<i64> = row.try_get("session_id")?;
    let carrying = match (opportunity, session) {
        (Some(o), _) => Carrying::Opportunity(o),
        (None, Some(s)) => Carrying::Session(crate::trainings::SessionId(s)),
        (None, None) => return Err(StoreError::Corrupt("a fan-out carrying nothing".into())),
    };
    Ok(Fanout {
        id: row.try_get("id")?,
        carrying,
        state: fanout_state(row.try_get("state")?)?,
        total: row.try_get("total")?,
        sent: row.try_get("sent")?,
        blocked: row.try_get("blocked")?,
        failed: row.try_get("failed")?,
        pending: row.try_get("pending")?,
        progress_message: row.try_get("progress_message")?,
    })
}

/// Live counts while sending; the counts kept at the end afterwards.
const FANOUT_SELECT: &str = "SELECT f.id, f.opportunity_id, f.session_id, f.state, f.total, f.progress_message,
    CASE WHEN f.state = 'sending' THEN (SELECT COUNT(*) FROM fanout_recipients r WHERE r.fanout_id = f.id AND r.state = 'sent') ELSE f.sent END AS sent,
    CASE WHEN f.state = 'sending' THEN (SELECT COUNT(*) FROM fanout_recipients r WHERE r.fanout_id = f.id AND r.state = 'blocked') ELSE f.blocked END AS blocked,
    CASE WHEN f.state = 'sending' THEN (SELECT COUNT(*) FROM fanout_recipients r WHERE r.fanout_id = f.id AND r.state = 'failed') ELSE f.failed END AS failed,
    (SELECT COUNT(*) FROM fanout_recipients r WHERE r.fanout_id = f.id AND r.state = 'pending') AS pending
    FROM fanouts f";

pub async fn fanout(conn: &mut SqliteConnection, id: i64) -> Result<Option<Fanout>, StoreError> {
    let row = sqlx::query(&format!("{FANOUT_SELECT} WHERE f.id = ?"))
        .bind(id)
        .fetch_optional(conn)
        .await
        .op("load a fan-out")?;
    row.as_ref().map(fanout_from).transpose()
}

/// A fan-out's state alone: read after every batch.
pub async fn state(conn: &mut SqliteConnection, fanout: i64) -> Result<Option<FanoutState>, StoreError> {
    let states: Vec<String> = sqlx::query_scalar("SELECT state FROM fanouts WHERE id = ?")
        .bind(fanout)
        .fetch_all(conn)
        .await
        .op("read a fan-out's state")?;
    states.into_iter().next().map(fanout_state).transpose()
}

fn fanout_state(code: String) -> Result<FanoutState, StoreError> {
    FanoutState::parse(&code).ok_or_else(|| StoreError::Corrupt(format!("a fan-out in an unknown state '{code}'")))
}

/// The oldest fan-out still sending.
pub async fn next_sending(conn: &mut SqliteConnection) -> Result<Option<i64>, StoreError> {
    let ids: Vec<i64> = sqlx::query_scalar("SELECT id FROM fanouts WHERE state = 'sending' ORDER BY id LIMIT 1")
        .fetch_all(conn)
        .await
        .op("find a fan-out to send")?;
    Ok(ids.into_iter().next())
}

/// The fan-outs of an opportunity or a session still sending.
pub async fn sending_of(conn: &mut SqliteConnection, carrying: Carrying) -> Result<Vec<i64>, StoreError> {
    let (column, id) = match carrying {
        Carrying::Opportunity(id) => ("opportunity_id", id),
        Carrying::Session(id) => ("session_id", id.0),
    };
    sqlx::query_scalar(&format!(
        "SELECT id FROM fanouts WHERE state = 'sending' AND {column} = ?"
    ))
    .bind(id)
    .fetch_all(conn)
    .await
    .op("find the alerts of an opportunity or a session still going out")
}

/// Up to `limit` recipients still to be sent: (user, language).
pub async fn pending(conn: &mut SqliteConnection, fanout: i64, limit: i64) -> Result<Vec<(i64, Lang)>, StoreError> {
    pending_after(conn, fanout, i64::MIN, limit).await
}

/// The next recipients still pending after `after` (by user id), for a delivery that
/// reads on while earlier ones are still being sent or retried.
pub async fn pending_after(
    conn: &mut SqliteConnection,
    fanout: i64,
    after: i64,
    limit: i64,
) -> Result<Vec<(i64, Lang)>, StoreError> {
    let rows: Vec<(i64, String)> = sqlx::query_as(
        "SELECT user_id, lang FROM fanout_recipients WHERE fanout_id = ? AND state = 'pending' AND user_id > ?
         ORDER BY user_id LIMIT ?",
    )
    .bind(fanout)
    .bind(after)
    .bind(limit)
    .fetch_all(conn)
    .await
    .op("read a fan-out's next recipients")?;
    Ok(rows
        .into_iter()
        .map(|(u, l)| (u, Lang::parse(&l).unwrap_or(Lang::Tr)))
        .collect())
}

/// Whether `user` is still to get fan-out `fanout`: their row still pending and the
/// fan-out still sending.
pub async fn still_owed(conn: &mut SqliteConnection, fanout: i64, user: i64) -> Result<bool, StoreError> {
    let owed: Option<i64> = sqlx::query_scalar(
        "SELECT 1 FROM fanout_recipients r JOIN fanouts f ON f.id = r.fanout_id
         WHERE r.fanout_id = ? AND r.user_id = ? AND r.state = 'pending' AND f.state = 'sending'",
    )
    .bind(fanout)
    .bind(user)
    .fetch_optional(conn)
    .await
    .op("check that an alert is still owed")?;
    Ok(owed.is_some())
}

/// Records what became of one recipient ("sent", "blocked", "failed").
pub async fn mark(conn: &mut SqliteConnection, fanout: i64, user: i64, state: &str) -> Result<(), StoreError> {
    sqlx::query("UPDATE fanout_recipients SET state = ? WHERE fanout_id = ? AND user_id = ? AND state = 'pending'")
        .bind(state)
        .bind(fanout)
        .bind(user)
        .execute(conn)
        .await
        .op("record a fan-out delivery")?;
    Ok(())
}

/// Marks the deliveries of a fan-out not yet tried as stopped.
pub async fn stop_pending(conn: &mut SqliteConnection, fanout: i64) -> Result<(), StoreError> {
    sqlx::query("UPDATE fanout_recipients SET state = 'stopped' WHERE fanout_id = ? AND state = 'pending'")
        .bind(fanout)
        .execute(conn)
        .await
        .op("stop a fan-out's remaining deliveries")?;
    Ok(())
}

/// Records a fan-out's end, with its final counts; `false` when it was no longer
/// sending.
pub async fn finish(
    conn: &mut SqliteConnection,
    fanout: i64,
    state: FanoutState,
    now: Timestamp,
) -> Result<bool, StoreError> {
    let done = sqlx::query(
        "UPDATE fanouts SET state = ?, finished_at = ?,
             sent = (SELECT COUNT(*) FROM fanout_recipients r WHERE r.fanout_id = fanouts.id AND r.state = 'sent'),
             blocked = (SELECT COUNT(*) FROM fanout_recipients r WHERE r.fanout_id = fanouts.id AND r.state = 'blocked'),
             failed = (SELECT COUNT(*) FROM fanout_recipients r WHERE r.fanout_id = fanouts.id AND r.state = 'failed')
         WHERE id = ? AND state = 'sending'",
    )
    .bind(state.code())
    .bind(ts(now))
    .bind(fanout)
        .execute(conn)
        .await
        .op("end a fan-out")?;
    Ok(done.rows_affected() == 1)
}

pub async fn set_progress_message(conn: &mut SqliteConnection, fanout: i64, message: i64) -> Result<(), StoreError> {
    sqlx::query("UPDATE fanouts SET progress_message = ? WHERE id = ?")
        .bind(message)
        .bind(fanout)
        .execute(conn)
        .await
        .op("remember a fan-out's progress post")?;
    Ok(())
}

/// Totals over every fan-out: (recipients, sent, blocked, failed).
pub async fn fanout_totals(conn: &mut SqliteConnection) -> Result<(i64, i64, i64, i64), StoreError> {
    sqlx::query_as(&format!(
        "SELECT COALESCE(SUM(total), 0), COALESCE(SUM(sent), 0), COALESCE(SUM(blocked), 0), COALESCE(SUM(failed), 0)
         FROM ({FANOUT_SELECT})"
    ))
    .fetch_one(conn)
    .await
    .op("count alerts sent")
}
