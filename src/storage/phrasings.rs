//! Phrasings learned from staff linking tickets to nodes.

use super::{Op, StoreError, parse_ts, ts};
use crate::lang::Lang;
use crate::tickets::{Actor, TicketId};
use jiff::Timestamp;
use sqlx::{Row, SqliteConnection};

/// One learned way of asking for a node.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Phrasing {
    pub id: i64,
    pub node: String,
    pub lang: Lang,
    pub text: String,
    pub ticket: Option<TicketId>,
    pub added_by: String,
    pub added_at: Timestamp,
}

/// Where a learned phrasing came from.
pub struct Origin<'a> {
    pub ticket: Option<TicketId>,
    /// The person's own words (erased with them), not staff's rewording.
    pub verbatim: bool,
    pub by: &'a Actor,
}

pub async fn add(
    conn: &mut SqliteConnection,
    node: &str,
    lang: Lang,
    text: &str,
    origin: Origin<'_>,
    now: Timestamp,
) -> Result<i64, StoreError> {
    sqlx::query_scalar(
        "INSERT INTO learned_phrasings (node_id, lang, text, ticket_id, verbatim, added_by_id, added_by, added_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
    )
    .bind(node)
    .bind(lang.code())
    .bind(text)
    .bind(origin.ticket.map(|t| t.0))
    .bind(origin.verbatim)
    .bind(origin.by.id)
    .bind(&origin.by.name)
    .bind(ts(now))
    .fetch_one(conn)
    .await
    .op("store a learned phrasing")
}

/// Every learned phrasing, oldest first.
pub async fn all(conn: &mut SqliteConnection) -> Result<Vec<Phrasing>, StoreError> {
    let rows =
        sqlx::query("SELECT id, node_id, lang, text, ticket_id, added_by, added_at FROM learned_phrasings ORDER BY id")
            .fetch_all(conn)
            .await
            .op("list learned phrasings")?;
    rows.iter()
        .map(|row| {
            let lang: String = row.try_get("lang")?;
            Ok(Phrasing {
                id: row.try_get("id")?,
                node: row.try_get("node_id")?,
                lang: Lang::parse(&lang).ok_or_else(|| StoreError::Corrupt(format!("phrasing language '{lang}'")))?,
                text: row.try_get("text")?,
                ticket: row.try_get::<Option<i64>, _>("ticket_id")?.map(TicketId),
                added_by: row.try_get("added_by")?,
                added_at: parse_ts(row.try_get("added_at")?)?,
            })
        })
        .collect()
}

/// Removes one; `false` when there was none.
pub async fn remove(conn: &mut SqliteConnection, id: i64) -> Result<bool, StoreError> {
    let done = sqlx::query("DELETE FROM learned_phrasings WHERE id = ?")
        .bind(id)
        .execute(conn)
        .await
        .op("remove a learned phrasing")?;
    Ok(done.rows_affected() == 1)
}

/// A mark that changes whenever phrasings are added or removed: (how many, the largest
/// id ever given). An addition raises the second, a removal only lowers the first.
pub async fn version(conn: &mut SqliteConnection) -> Result<(i64, i64), StoreError> {
    sqlx::query_as(
        "SELECT (SELECT COUNT(*) FROM learned_phrasings),
                COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'learned_phrasings'), 0)",
    )
    .fetch_one(conn)
    .await
    .op("read the learned phrasings' version")
}

/// A ticket's person is forgotten: phrasings in their words go, staff's rewordings stay
/// without the link to the ticket.
pub async fn forget_ticket(conn: &mut SqliteConnection, ticket: TicketId) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM learned_phrasings WHERE ticket_id = ? AND verbatim = 1")
        .bind(ticket.0)
        .execute(&mut *conn)
        .await
        .op("erase phrasings in a person's words")?;
    unlink_ticket(conn, ticket).await
}

/// A ticket is anonymised after the retention period: the phrasings staff approved
/// stay, as content, without the link to it.
pub async fn unlink_ticket(conn: &mut SqliteConnection, ticket: TicketId) -> Result<(), StoreError> {
    sqlx::query("UPDATE learned_phrasings SET ticket_id = NULL WHERE ticket_id = ?")
        .bind(ticket.0)
        .execute(conn)
        .await
        .op("unlink phrasings from a ticket")?;
    Ok(())
}

/// A staff member is forgotten: their name leaves the phrasings they added.
pub async fn forget_author(conn: &mut SqliteConnection, user: i64) -> Result<(), StoreError> {
    sqlx::query("UPDATE learned_phrasings SET added_by_id = NULL, added_by = '' WHERE added_by_id = ?")
        .bind(user)
        .execute(conn)
        .await
        .op("forget who added phrasings")?;
    Ok(())
}

/// How many tickets were linked to a node, and the nodes that gained the most
/// phrasings (most first, at most `top`).
pub async fn summary(conn: &mut SqliteConnection, top: i64) -> Result<(i64, Vec<(String, i64)>), StoreError> {
    let linked: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM ticket_events WHERE kind = 'linked'")
        .fetch_one(&mut *conn)
        .await
        .op("count linked tickets")?;
    let nodes = sqlx::query_as(
        "SELECT node_id, COUNT(*) AS n FROM learned_phrasings GROUP BY node_id ORDER BY n DESC, node_id LIMIT ?",
    )
    .bind(top)
    .fetch_all(conn)
    .await
    .op("count phrasings by node")?;
    Ok((linked, nodes))
}
