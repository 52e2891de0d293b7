//! Certificates of attendance: the code printed on each, and what it certifies.

use super::{Op, StoreError, parse_ts, ts};
use crate::trainings::{RegistrationId, SessionId};
use jiff::Timestamp;
use sqlx::SqliteConnection;

/// A certificate as recorded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Issued {
    pub code: String,
    pub registration: RegistrationId,
    pub session: SessionId,
    /// The name printed on it; `None` once erased or past retention.
    pub name: Option<String>,
    pub issued_at: Timestamp,
}

type Row = (String, i64, i64, Option<String>, String);

fn issued((code, registration, session, name, issued_at): Row) -> Result<Issued, StoreError> {
    Ok(Issued {
        code,
        registration: RegistrationId(registration),
        session: SessionId(session),
        name,
        issued_at: parse_ts(issued_at)?,
    })
}

pub async fn of_registration(
    conn: &mut SqliteConnection,
    registration: RegistrationId,
) -> Result<Option<Issued>, StoreError> {
    let row: Option<Row> = sqlx::query_as(
        "SELECT code, registration_id, session_id, name, issued_at FROM certificates WHERE registration_id = ?",
    )
    .bind(registration.0)
    .fetch_optional(conn)
    .await
    .op("find a registration's certificate")?;
    row.map(issued).transpose()
}

pub async fn by_code(conn: &mut SqliteConnection, code: &str) -> Result<Option<Issued>, StoreError> {
    let row: Option<Row> =
        sqlx::query_as("SELECT code, registration_id, session_id, name, issued_at FROM certificates WHERE code = ?")
            .bind(code)
            .fetch_optional(conn)
            .await
            .op("find a certificate by its code")?;
    row.map(issued).transpose()
}

/// Records a certificate; `false` when the code is taken (the caller draws another).
pub async fn insert(conn: &mut SqliteConnection, c: &Issued) -> Result<bool, StoreError> {
    let done = sqlx::query(
        "INSERT INTO certificates (code, registration_id, session_id, name, issued_at) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (code) DO NOTHING",
    )
    .bind(&c.code)
    .bind(c.registration.0)
    .bind(c.session.0)
    .bind(&c.name)
    .bind(ts(c.issued_at))
    .execute(conn)
    .await
    .op("record a certificate")?;
    Ok(done.rows_affected() == 1)
}

/// The names on a person's certificates go with their registrations (erasure).
pub async fn forget_user(conn: &mut SqliteConnection, user: i64) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE certificates SET name = NULL
         WHERE registration_id IN (SELECT id FROM registrations WHERE user_id = ?)",
    )
    .bind(user)
    .execute(conn)
    .await
    .op("remove names from a person's certificates")?;
    Ok(())
}

/// The names on certificates of sessions that ended before `before` (retention).
pub async fn forget_before(conn: &mut SqliteConnection, before: Timestamp) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE certificates SET name = NULL
         WHERE name IS NOT NULL AND session_id IN (SELECT id FROM sessions WHERE ends_at < ?)",
    )
    .bind(ts(before))
    .execute(conn)
    .await
    .op("remove names from old certificates")?;
    Ok(())
}
