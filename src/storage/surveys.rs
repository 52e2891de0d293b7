//! Feedback survey answers: stored without the person (a response belongs to a session
//! and a survey version); the registration only records that its person answered.

use super::{Op, StoreError, ts};
use crate::trainings::{RegistrationId, SessionId};
use jiff::Timestamp;
use sqlx::SqliteConnection;

/// One answer: a rating 1–5 or a text.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Answer {
    Rating(u8),
    Text(String),
}

/// Stores a response and marks the registration as having answered, in the caller's
/// transaction; `false` (nothing stored) when it had answered already.
pub async fn submit(
    conn: &mut SqliteConnection,
    registration: RegistrationId,
    session: SessionId,
    version: &str,
    answers: &[(String, Answer)],
    now: Timestamp,
) -> Result<bool, StoreError> {
    let marked = sqlx::query("UPDATE registrations SET surveyed_at = ? WHERE id = ? AND surveyed_at IS NULL")
        .bind(ts(now))
        .bind(registration.0)
        .execute(&mut *conn)
        .await
        .op("mark a survey answered")?;
    if marked.rows_affected() == 0 {
        return Ok(false);
    }
    let response: i64 = sqlx::query_scalar(
        "INSERT INTO survey_responses (session_id, survey_version, submitted_at) VALUES (?, ?, ?) RETURNING id",
    )
    .bind(session.0)
    .bind(version)
    // The day only: a minute could tell staff who answered, next to the check-in times.
    .bind(now.strftime("%Y-%m-%d").to_string())
    .fetch_one(&mut *conn)
    .await
    .op("store a survey response")?;
    for (question, answer) in answers {
        let (rating, text) = match answer {
            Answer::Rating(r) => (Some(*r as i64), None),
            Answer::Text(t) => (None, Some(t.as_str())),
        };
        sqlx::query("INSERT INTO survey_answers (response_id, question_id, rating, text) VALUES (?, ?, ?, ?)")
            .bind(response)
            .bind(question)
            .bind(rating)
            .bind(text)
            .execute(&mut *conn)
            .await
            .op("store a survey answer")?;
    }
    Ok(true)
}

/// (response id, version, question id, rating, text) as stored.
type AnswerRow = (i64, String, String, Option<i64>, Option<String>);

/// Every answer to a session's survey: (response id, survey version, question id,
/// answer), in order of submission.
pub async fn answers(
    conn: &mut SqliteConnection,
    session: SessionId,
) -> Result<Vec<(i64, String, String, Answer)>, StoreError> {
    let rows: Vec<AnswerRow> = sqlx::query_as(
        "SELECT r.id, r.survey_version, a.question_id, a.rating, a.text
         FROM survey_responses r JOIN survey_answers a ON a.response_id = r.id
         WHERE r.session_id = ? ORDER BY r.id, a.rowid",
    )
    .bind(session.0)
    .fetch_all(conn)
    .await
    .op("read a session's survey answers")?;
    Ok(rows
        .into_iter()
        .filter_map(|(id, version, question, rating, text)| {
            let answer = match (rating, text) {
                (Some(r), _) => Answer::Rating(r.clamp(1, 5) as u8),
                (None, Some(t)) => Answer::Text(t),
                (None, None) => return None,
            };
            Some((id, version, question, answer))
        })
        .collect())
}
