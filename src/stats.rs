//! What the office learns from the bot's use: people served, how questions were
//! answered, tickets and how fast staff answer them.

use crate::storage::stats::{self as q, SessionFigures};
use crate::storage::{self, Store, StoreError, parse_ts};
use sqlx::SqliteConnection;

/// What the office learns from the bot's use.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Stats {
    /// People who have talked to the bot.
    pub people: u64,
    /// Free-text questions answered from the dialogues at once…
    pub answered: u64,
    /// …answered with "did you mean" suggestions…
    pub suggested: u64,
    /// …and those the bot could not answer.
    pub escalated: u64,
    pub tickets_open: u64,
    pub tickets_answered: u64,
    pub tickets_closed: u64,
    pub median_first_answer_secs: Option<i64>,
    pub p90_first_answer_secs: Option<i64>,
    /// The most frequent unanswered questions: normalised form, count, an example.
    pub top_unanswered: Vec<(String, u64, String)>,
    /// Tickets staff linked to the node that answers them (`/link`, 🔗)…
    pub tickets_linked: u64,
    /// …and the nodes that gained the most learned phrasings: node, phrasings.
    pub learned_by_node: Vec<(String, u64)>,
    /// People trained (checked in) per year of the session: (year, people).
    pub trained_per_year: Vec<(i64, u64)>,
    /// People trained before the bot counted (EUDESK_TRAINED_BEFORE), and the total.
    pub trained_before: u64,
    pub trained_total: u64,
    /// Over sessions whose check-in has closed: confirmed seats / capacity, and
    /// no-shows / confirmed registrants with a recorded attendance.
    pub fill_rate: Option<f64>,
    pub no_show_rate: Option<f64>,
    /// The latest sessions (up to ten), oldest first: (id, Turkish title, start,
    /// capacity, confirmed, present, absent).
    pub sessions: Vec<SessionFigures>,
    /// Free-text questions per ISO week, the last twelve weeks, oldest first:
    /// (week "2026-W48", answered, suggested, escalated).
    pub questions_per_week: Vec<(String, u64, u64, u64)>,
    /// Tickets' median hours to a first answer per week asked, same weeks.
    pub answer_hours_per_week: Vec<(String, Option<f64>)>,
    /// Alert subscribers per topic now, and per topic at the end of each of the last
    /// twelve weeks: (topic, [(week, subscribers)]).
    pub subscribers: Vec<(String, u64)>,
    pub subscribers_per_week: Vec<(String, Vec<(String, i64)>)>,
    /// Alerts: recipients, delivered, blocked, failed; and "Remind me" presses.
    pub alerts_total: u64,
    pub alerts_delivered: u64,
    pub alerts_blocked: u64,
    pub alerts_failed: u64,
    pub remind_presses: u64,
}

/// The figures, from the queries of `storage::stats`; `staff` are not counted among the people.
pub async fn gather(conn: &mut SqliteConnection, staff: &[i64], now: jiff::Timestamp) -> Result<Stats, StoreError> {
    let users = storage::conversations::users(conn).await?;
    let by_decision = q::questions_by_decision(conn).await?;
    let by_status = q::tickets_by_status(conn).await?;
    let times = q::answer_times(conn).await?;
    let top = q::top_unanswered(conn).await?;
    let learned = storage::phrasings::summary(conn, 10).await?;
    let mut stats = figures(&users, staff, &by_decision, &by_status, &times, top, learned);
    stats.trained_per_year = storage::attendance::trained_per_year(conn)
        .await?
        .into_iter()
        .map(|(y, n)| (y, n as u64))
        .collect();
    stats.trained_total = stats.trained_per_year.iter().map(|(_, n)| n).sum();
    stats.sessions = q::session_figures(conn, &storage::ts(now)).await?;
    let (seats, confirmed, present, absent) = q::attendance_totals(conn).await?;
    stats.fill_rate = (seats > 0).then(|| confirmed as f64 / seats as f64);
    stats.no_show_rate = (present + absent > 0).then(|| absent as f64 / (present + absent) as f64);
    let since = now
        .checked_sub(jiff::SignedDuration::from_hours(24 * 7 * 12))
        .unwrap_or(now);
    let questions = q::questions_by_week(conn, &storage::ts(since)).await?;
    let answers = q::answer_times_since(conn, &storage::ts(since)).await?;
    let (per_week, hours) = weekly(since, now, &questions, &answers);
    stats.questions_per_week = per_week;
    stats.answer_hours_per_week = hours;
    let opportunities = storage::opportunities::subscribers_per_topic(conn).await?;
    stats.subscribers = opportunities.iter().map(|(t, n)| (t.clone(), *n as u64)).collect();
    let log = storage::opportunities::subscription_log(conn, since).await?;
    stats.subscribers_per_week = subscribers_weekly(&opportunities, &log, &stats.questions_per_week);
    let (total, delivered, blocked, failed) = storage::opportunities::fanout_totals(conn).await?;
    stats.alerts_total = total as u64;
    stats.alerts_delivered = delivered as u64;
    stats.alerts_blocked = blocked as u64;
    stats.alerts_failed = failed as u64;
    stats.remind_presses = storage::opportunities::remind_presses(conn).await? as u64;
    Ok(stats)
}

/// The figures now, from a store (for the command line and tests).
pub async fn of(store: &Store, staff: &[i64]) -> Result<Stats, StoreError> {
    let now = jiff::Timestamp::now();
    store.read(async |c| gather(c, staff, now).await).await
}

/// The figures from the raw counts of `storage::stats`.
pub fn figures(
    users: &[i64],
    staff: &[i64],
    by_decision: &[(String, i64)],
    by_status: &[(String, i64)],
    answer_times: &[(String, String)],
    top_unanswered: Vec<(String, i64, String)>,
    (linked, learned_by_node): (i64, Vec<(String, i64)>),
) -> Stats {
    let count = |rows: &[(String, i64)], key: &str| rows.iter().find(|(k, _)| k == key).map_or(0, |(_, n)| *n as u64);
    let mut waits: Vec<i64> = answer_times
        .iter()
        .filter_map(|(asked, answered)| {
            Some(
                parse_ts(answered.clone())
                    .ok()?
                    .duration_since(parse_ts(asked.clone()).ok()?)
                    .as_secs(),
            )
        })
        .collect();
    waits.sort_unstable();
    Stats {
        people: users.iter().filter(|u| !staff.contains(u)).count() as u64,
        answered: count(by_decision, "answer"),
        suggested: count(by_decision, "suggest"),
        escalated: count(by_decision, "escalate"),
        tickets_open: count(by_status, "open"),
        tickets_answered: count(by_status, "answered"),
        tickets_closed: count(by_status, "closed"),
        median_first_answer_secs: percentile(&waits, 0.5),
        p90_first_answer_secs: percentile(&waits, 0.9),
        top_unanswered: top_unanswered
            .into_iter()
            .map(|(n, c, example)| (n, c as u64, example))
            .collect(),
        tickets_linked: linked as u64,
        learned_by_node: learned_by_node.into_iter().map(|(n, c)| (n, c as u64)).collect(),
        trained_per_year: Vec::new(),
        trained_before: 0,
        trained_total: 0,
        fill_rate: None,
        no_show_rate: None,
        sessions: Vec::new(),
        questions_per_week: Vec::new(),
        answer_hours_per_week: Vec::new(),
        subscribers: Vec::new(),
        subscribers_per_week: Vec::new(),
        alerts_total: 0,
        alerts_delivered: 0,
        alerts_blocked: 0,
        alerts_failed: 0,
        remind_presses: 0,
    }
}

/// Subscribers per topic at the end of each week: today's counts, walked back through
/// the log of changes (+1, -1) since the first week.
pub fn subscribers_weekly(
    now: &[(String, i64)],
    log: &[(String, String, i64)],
    weeks: &[(String, u64, u64, u64)],
) -> Vec<(String, Vec<(String, i64)>)> {
    let mut topics: Vec<String> = now.iter().map(|(t, _)| t.clone()).collect();
    for (_, t, _) in log {
        if !topics.contains(t) {
            topics.push(t.clone());
        }
    }
    topics
        .into_iter()
        .map(|topic| {
            let current = now.iter().find(|(t, _)| *t == topic).map_or(0, |(_, n)| *n);
            let series = weeks
                .iter()
                .map(|(week, ..)| {
                    // Changes after the end of this week, undone from today's count.
                    let later: i64 = log
                        .iter()
                        .filter(|(at, t, _)| *t == topic && parse_ts(at.clone()).is_ok_and(|at| week_of(at) > *week))
                        .map(|(_, _, change)| change)
                        .sum();
                    (week.clone(), current - later)
                })
                .collect();
            (topic, series)
        })
        .collect()
}

/// The ISO week of a stored timestamp, in office time: "2026-W48".
fn week_of(t: jiff::Timestamp) -> String {
    let date = t.to_zoned(crate::trainings::time::office_tz()).date();
    let week = date.iso_week_date();
    format!("{}-W{:02}", week.year(), week.week())
}

/// Questions per week (answered, suggested, escalated) and the median hours to a
/// first answer per week, for every week from `since` to `now`, oldest first.
#[allow(clippy::type_complexity)]
pub fn weekly(
    since: jiff::Timestamp,
    now: jiff::Timestamp,
    questions: &[(String, String, i64)],
    answers: &[(String, String)],
) -> (Vec<(String, u64, u64, u64)>, Vec<(String, Option<f64>)>) {
    let mut weeks: Vec<String> = Vec::new();
    let mut t = since;
    loop {
        let w = week_of(t);
        if weeks.last() != Some(&w) {
            weeks.push(w);
        }
        if t >= now {
            break;
        }
        t = t
            .checked_add(jiff::SignedDuration::from_hours(24))
            .map_or(now, |next| next.min(now));
    }
    let mut counts: Vec<(String, u64, u64, u64)> = weeks.iter().map(|w| (w.clone(), 0, 0, 0)).collect();
    for (at, decision, n) in questions {
        let Ok(at) = parse_ts(at.clone()) else { continue };
        if let Some(row) = counts.iter_mut().find(|r| r.0 == week_of(at)) {
            let n = *n as u64;
            match decision.as_str() {
                "answer" => row.1 += n,
                "suggest" => row.2 += n,
                _ => row.3 += n,
            }
        }
    }
    let hours = weeks
        .iter()
        .map(|w| {
            let mut waits: Vec<i64> = answers
                .iter()
                .filter_map(|(asked, answered)| {
                    let asked = parse_ts(asked.clone()).ok()?;
                    (week_of(asked) == *w).then_some(())?;
                    Some(parse_ts(answered.clone()).ok()?.duration_since(asked).as_secs())
                })
                .collect();
            waits.sort_unstable();
            (w.clone(), percentile(&waits, 0.5).map(|s| s as f64 / 3600.0))
        })
        .collect();
    (counts, hours)
}

/// The `p` percentile (nearest rank) of sorted values.
fn percentile(sorted: &[i64], p: f64) -> Option<i64> {
    if sorted.is_empty() {
        return None;
    }
    let i = ((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1;
    Some(sorted[i])
}

#[cfg(test)]
mod tests {
    use super::percentile;

    #[test]
    fn percentiles_are_nearest_rank() {
        assert_eq!(percentile(&[], 0.5), None);
        assert_eq!(percentile(&[10], 0.9), Some(10));
        assert_eq!(percentile(&[1, 2, 3, 4], 0.5), Some(2));
        assert_eq!(percentile(&[1, 2, 3, 4], 0.9), Some(4));
    }
}
