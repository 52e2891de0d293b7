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
    }
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
