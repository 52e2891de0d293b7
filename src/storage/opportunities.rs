//! Opportunities, subscriptions, fan-outs and "Remind me", as plain queries; the rules
//! are in `crate::opportunities::service`.

use super::{Op, StoreError, parse_ts, ts};
// The fan-outs' queries live in `fanouts`; handed on here, where their callers look.
pub use super::fanouts::{
    Carrying, Fanout, fanout, fanout_totals, finish, mark, next_sending, pending, pending_after, queue, sending_of,
    set_progress_message, state, still_owed, stop_pending,
};
use crate::lang::{Lang, Localized};
use crate::opportunities::{Opportunity, Topic};
use jiff::Timestamp;
use sqlx::sqlite::SqliteRow;
use sqlx::{Row, SqliteConnection};

/// An opportunity as stored.
#[derive(Clone, Debug, PartialEq)]
pub struct Stored {
    pub id: i64,
    pub opportunity: Opportunity,
    pub published_by: String,
    pub published_at: Timestamp,
    pub withdrawn: bool,
}

fn topics_text(topics: &[Topic]) -> String {
    topics.iter().map(|t| t.id()).collect::<Vec<_>>().join(" ")
}

fn topics_of(text: &str) -> Vec<Topic> {
    text.split_whitespace().filter_map(Topic::parse).collect()
}

fn stored_from(row: &SqliteRow) -> Result<Stored, StoreError> {
    let age_min: Option<i64> = row.try_get("age_min")?;
    let age_max: Option<i64> = row.try_get("age_max")?;
    Ok(Stored {
        id: row.try_get("id")?,
        opportunity: Opportunity {
            topics: topics_of(&row.try_get::<String, _>("topics")?),
            title: Localized::new(row.try_get("title_tr")?, row.try_get("title_en")?),
            text: Localized::new(row.try_get("text_tr")?, row.try_get("text_en")?),
            url: row.try_get("url")?,
            deadline: parse_ts(row.try_get("deadline")?)?,
            ages: age_min.zip(age_max).map(|(a, b)| (a as u8, b as u8)),
        },
        published_by: row.try_get("published_by")?,
        published_at: parse_ts(row.try_get("published_at")?)?,
        withdrawn: row.try_get::<Option<String>, _>("withdrawn_at")?.is_some(),
    })
}

const COLUMNS: &str = "id, topics, title_tr, title_en, text_tr, text_en, url, deadline, age_min, age_max, published_by, published_at, withdrawn_at";

pub async fn insert(conn: &mut SqliteConnection, o: &Opportunity, by: &str, now: Timestamp) -> Result<i64, StoreError> {
    sqlx::query_scalar(
        "INSERT INTO opportunities (topics, title_tr, title_en, text_tr, text_en, url, deadline, age_min, age_max, published_by, published_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
    )
    .bind(topics_text(&o.topics))
    .bind(&o.title.tr)
    .bind(&o.title.en)
    .bind(&o.text.tr)
    .bind(&o.text.en)
    .bind(&o.url)
    .bind(ts(o.deadline))
    .bind(o.ages.map(|a| a.0 as i64))
    .bind(o.ages.map(|a| a.1 as i64))
    .bind(by)
    .bind(ts(now))
    .fetch_one(conn)
    .await
    .op("store an opportunity")
}

pub async fn get(conn: &mut SqliteConnection, id: i64) -> Result<Option<Stored>, StoreError> {
    let row = sqlx::query(&format!("SELECT {COLUMNS} FROM opportunities WHERE id = ?"))
        .bind(id)
        .fetch_optional(conn)
        .await
        .op("load an opportunity")?;
    row.as_ref().map(stored_from).transpose()
}

/// Open now (deadline ahead, not withdrawn), newest first.
pub async fn open(conn: &mut SqliteConnection, now: Timestamp) -> Result<Vec<Stored>, StoreError> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM opportunities WHERE withdrawn_at IS NULL AND deadline > ? ORDER BY published_at DESC, id DESC"
    ))
    .bind(ts(now))
    .fetch_all(conn)
    .await
    .op("list open opportunities")?;
    rows.iter().map(stored_from).collect()
}

/// Every opportunity, newest first.
pub async fn all(conn: &mut SqliteConnection) -> Result<Vec<Stored>, StoreError> {
    let rows = sqlx::query(&format!("SELECT {COLUMNS} FROM opportunities ORDER BY id DESC"))
        .fetch_all(conn)
        .await
        .op("list opportunities")?;
    rows.iter().map(stored_from).collect()
}

/// `false` when there is none or it was withdrawn already.
pub async fn withdraw(conn: &mut SqliteConnection, id: i64, now: Timestamp) -> Result<bool, StoreError> {
    let done = sqlx::query("UPDATE opportunities SET withdrawn_at = ? WHERE id = ? AND withdrawn_at IS NULL")
        .bind(ts(now))
        .bind(id)
        .execute(&mut *conn)
        .await
        .op("withdraw an opportunity")?;
    if done.rows_affected() == 1 {
        // Reminders asked for it will not be sent: who asked need not be kept.
        sqlx::query("DELETE FROM opportunity_reminders WHERE opportunity_id = ? AND sent_at IS NULL")
            .bind(id)
            .execute(conn)
            .await
            .op("drop the reminders of a withdrawn opportunity")?;
    }
    Ok(done.rows_affected() == 1)
}

// ---- subscriptions ------------------------------------------------------------------

pub async fn topics_of_user(conn: &mut SqliteConnection, user: i64) -> Result<Vec<Topic>, StoreError> {
    let ids: Vec<String> = sqlx::query_scalar("SELECT topic FROM subscriptions WHERE user_id = ?")
        .bind(user)
        .fetch_all(conn)
        .await
        .op("read a person's topics")?;
    let mut topics: Vec<Topic> = ids.iter().filter_map(|t| Topic::parse(t)).collect();
    topics.sort();
    Ok(topics)
}

/// `true` when it is new.
pub async fn subscribe(
    conn: &mut SqliteConnection,
    user: i64,
    topic: Topic,
    lang: Lang,
    consent_version: &str,
    now: Timestamp,
) -> Result<bool, StoreError> {
    let done = sqlx::query(
        "INSERT INTO subscriptions (user_id, topic, lang, consent_version, subscribed_at) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (user_id, topic) DO NOTHING",
    )
    .bind(user)
    .bind(topic.id())
    .bind(lang.code())
    .bind(consent_version)
    .bind(ts(now))
    .execute(&mut *conn)
    .await
    .op("subscribe to a topic")?;
    if done.rows_affected() == 1 {
        log_change(conn, topic, 1, now).await?;
    }
    Ok(done.rows_affected() == 1)
}

/// Removes the person's subscriptions to `topics` (every topic when `None`); the
/// topics removed.
pub async fn unsubscribe(
    conn: &mut SqliteConnection,
    user: i64,
    topics: Option<&[Topic]>,
    now: Timestamp,
) -> Result<Vec<Topic>, StoreError> {
    let had = topics_of_user(&mut *conn, user).await?;
    let gone: Vec<Topic> = had
        .into_iter()
        .filter(|t| topics.is_none_or(|only| only.contains(t)))
        .collect();
    for topic in &gone {
        sqlx::query("DELETE FROM subscriptions WHERE user_id = ? AND topic = ?")
            .bind(user)
            .bind(topic.id())
            .execute(&mut *conn)
            .await
            .op("unsubscribe from a topic")?;
        log_change(conn, *topic, -1, now).await?;
    }
    if !gone.is_empty() {
        // An alert still going out skips them unless another of its topics keeps them
        // subscribed: a long fan-out must not reach someone who has just said stop.
        sqlx::query(
            "UPDATE fanout_recipients SET state = 'stopped'
             WHERE user_id = ?1 AND state = 'pending'
               AND fanout_id IN (SELECT id FROM fanouts WHERE state = 'sending')
               AND NOT EXISTS (
                   SELECT 1 FROM subscriptions s
                   JOIN fanouts f ON f.id = fanout_recipients.fanout_id
                   LEFT JOIN opportunities o ON o.id = f.opportunity_id
                   WHERE s.user_id = ?1
                     AND CASE WHEN f.session_id IS NOT NULL THEN s.topic = 'trainings'
                              ELSE instr(' ' || o.topics || ' ', ' ' || s.topic || ' ') > 0 END)",
        )
        .bind(user)
        .execute(&mut *conn)
        .await
        .op("skip an unsubscribed person in alerts going out")?;
    }
    Ok(gone)
}

/// Whether every subscription of the person was given under consent `version` (`true`
/// too when they have none).
pub async fn consented_to(conn: &mut SqliteConnection, user: i64, version: &str) -> Result<bool, StoreError> {
    let other: Option<i64> =
        sqlx::query_scalar("SELECT 1 FROM subscriptions WHERE user_id = ? AND consent_version != ? LIMIT 1")
            .bind(user)
            .bind(version)
            .fetch_optional(conn)
            .await
            .op("check the consent of a person's subscriptions")?;
    Ok(other.is_none())
}

/// The person accepted consent `version`: every subscription of theirs is now under it.
pub async fn reconsent(conn: &mut SqliteConnection, user: i64, version: &str) -> Result<(), StoreError> {
    sqlx::query("UPDATE subscriptions SET consent_version = ? WHERE user_id = ?")
        .bind(version)
        .bind(user)
        .execute(conn)
        .await
        .op("record a new consent for a person's subscriptions")?;
    Ok(())
}

/// Alerts follow the person's language: those to come, those still going out, and the
/// reminders asked for.
pub async fn set_language(conn: &mut SqliteConnection, user: i64, lang: Lang) -> Result<(), StoreError> {
    for sql in [
        "UPDATE subscriptions SET lang = ? WHERE user_id = ?",
        "UPDATE fanout_recipients SET lang = ? WHERE user_id = ? AND state = 'pending'",
        "UPDATE opportunity_reminders SET lang = ? WHERE user_id = ? AND sent_at IS NULL",
    ] {
        sqlx::query(sql)
            .bind(lang.code())
            .bind(user)
            .execute(&mut *conn)
            .await
            .op("change the language of a person's alerts")?;
    }
    Ok(())
}

async fn log_change(conn: &mut SqliteConnection, topic: Topic, change: i64, now: Timestamp) -> Result<(), StoreError> {
    sqlx::query("INSERT INTO subscription_log (at, topic, change) VALUES (?, ?, ?)")
        .bind(ts(now))
        .bind(topic.id())
        .bind(change)
        .execute(conn)
        .await
        .op("log a subscription change")?;
    Ok(())
}

/// Subscribers per topic now.
pub async fn subscribers_per_topic(conn: &mut SqliteConnection) -> Result<Vec<(String, i64)>, StoreError> {
    sqlx::query_as("SELECT topic, COUNT(*) FROM subscriptions GROUP BY topic ORDER BY topic")
        .fetch_all(conn)
        .await
        .op("count subscribers per topic")
}

/// The subscription log since `since`, oldest first: (at, topic, change).
pub async fn subscription_log(
    conn: &mut SqliteConnection,
    since: Timestamp,
) -> Result<Vec<(String, String, i64)>, StoreError> {
    sqlx::query_as("SELECT at, topic, change FROM subscription_log WHERE at >= ? ORDER BY at")
        .bind(ts(since))
        .fetch_all(conn)
        .await
        .op("read the subscription log")
}

// ---- fan-outs -----------------------------------------------------------------------

// ---- reminders ----------------------------------------------------------------------

/// `false` when the person had asked already.
pub async fn remind(
    conn: &mut SqliteConnection,
    opportunity: i64,
    user: i64,
    lang: Lang,
    due: Timestamp,
    now: Timestamp,
) -> Result<bool, StoreError> {
    let done = sqlx::query(
        "INSERT INTO opportunity_reminders (opportunity_id, user_id, lang, due_at) VALUES (?, ?, ?, ?)
         ON CONFLICT (opportunity_id, user_id) DO NOTHING",
    )
    .bind(opportunity)
    .bind(user)
    .bind(lang.code())
    .bind(ts(due))
    .execute(&mut *conn)
    .await
    .op("ask for a reminder")?;
    if done.rows_affected() == 1 {
        sqlx::query("INSERT INTO remind_presses (at) VALUES (?)")
            .bind(ts(now))
            .execute(conn)
            .await
            .op("count a reminder asked for")?;
    }
    Ok(done.rows_affected() == 1)
}

/// Reminders due by `now` and not sent: (opportunity, user, language).
pub async fn due_reminders(conn: &mut SqliteConnection, now: Timestamp) -> Result<Vec<(i64, i64, Lang)>, StoreError> {
    let rows: Vec<(i64, i64, String)> = sqlx::query_as(
        "SELECT opportunity_id, user_id, lang FROM opportunity_reminders WHERE sent_at IS NULL AND due_at <= ? ORDER BY due_at",
    )
    .bind(ts(now))
    .fetch_all(conn)
    .await
    .op("find due reminders")?;
    Ok(rows
        .into_iter()
        .map(|(o, u, l)| (o, u, Lang::parse(&l).unwrap_or(Lang::Tr)))
        .collect())
}

pub async fn reminder_sent(
    conn: &mut SqliteConnection,
    opportunity: i64,
    user: i64,
    now: Timestamp,
) -> Result<(), StoreError> {
    sqlx::query("UPDATE opportunity_reminders SET sent_at = ? WHERE opportunity_id = ? AND user_id = ?")
        .bind(ts(now))
        .bind(opportunity)
        .bind(user)
        .execute(conn)
        .await
        .op("mark a reminder sent")?;
    Ok(())
}

pub async fn remind_presses(conn: &mut SqliteConnection) -> Result<i64, StoreError> {
    sqlx::query_scalar("SELECT COUNT(*) FROM remind_presses")
        .fetch_one(conn)
        .await
        .op("count reminders asked for")
}

// ---- privacy ------------------------------------------------------------------------

/// Everything about a person here: subscriptions, reminders, their place in fan-outs.
pub async fn forget_user(conn: &mut SqliteConnection, user: i64, now: Timestamp) -> Result<(), StoreError> {
    unsubscribe(&mut *conn, user, None, now).await?;
    for (table, what) in [
        ("opportunity_reminders", "forget a person's reminders"),
        ("fanout_recipients", "forget a person's alerts"),
    ] {
        sqlx::query(&format!("DELETE FROM {table} WHERE user_id = ?"))
            .bind(user)
            .execute(&mut *conn)
            .await
            .op(what)?;
    }
    Ok(())
}

/// Who got which alert, once the alert is old: only counts are kept.
pub async fn forget_before(conn: &mut SqliteConnection, before: Timestamp) -> Result<(), StoreError> {
    sqlx::query(
        "DELETE FROM fanout_recipients WHERE fanout_id IN (SELECT id FROM fanouts WHERE state != 'sending' AND finished_at < ?)",
    )
    .bind(ts(before))
    .execute(&mut *conn)
    .await
    .op("forget who got old alerts")?;
    sqlx::query("DELETE FROM opportunity_reminders WHERE sent_at IS NOT NULL AND sent_at < ?")
        .bind(ts(before))
        .execute(conn)
        .await
        .op("forget old reminders")?;
    Ok(())
}
