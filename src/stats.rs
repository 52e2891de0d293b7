//! What the office learns from the bot's use: people served, how questions were
//! answered, tickets and how fast staff answer them.

use crate::storage::parse_ts;
pub use crate::storage::stats::Stats;

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
