//! Office hours: how long a question has really been waiting for the office. Staff
//! are reminded of unanswered tickets by office hours, not wall-clock hours, so a
//! question sent on Friday evening is not "overdue" on Monday morning.

use crate::trainings::time::office_tz;
use jiff::civil::{Time, Weekday};
use jiff::{SignedDuration, Timestamp};

/// The office's working day, Monday to Friday, office time (Europe/Istanbul). Public
/// holidays are not known to the bot; on those days reminders simply come as on a
/// working day.
pub const OPENS: Time = Time::constant(9, 0, 0, 0);
pub const CLOSES: Time = Time::constant(18, 0, 0, 0);

/// Office time between two moments: the overlap with 09:00–18:00 on working days.
pub fn between(from: Timestamp, to: Timestamp) -> SignedDuration {
    if to <= from {
        return SignedDuration::ZERO;
    }
    let tz = office_tz();
    let mut total = SignedDuration::ZERO;
    let mut day = from.to_zoned(tz.clone()).date();
    let last = to.to_zoned(tz.clone()).date();
    // A bounded walk: a ticket a year old is overdue however it is counted.
    for _ in 0..400 {
        if day > last {
            break;
        }
        if !matches!(day.weekday(), Weekday::Saturday | Weekday::Sunday) {
            let open = day.to_datetime(OPENS).to_zoned(tz.clone()).map(|z| z.timestamp());
            let close = day.to_datetime(CLOSES).to_zoned(tz.clone()).map(|z| z.timestamp());
            if let (Ok(open), Ok(close)) = (open, close) {
                let start = open.max(from);
                let end = close.min(to);
                if end > start {
                    total += end.duration_since(start);
                }
            }
        }
        match day.tomorrow() {
            Ok(next) => day = next,
            Err(_) => break,
        }
    }
    total
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> Timestamp {
        crate::trainings::time::parse_local(s).unwrap()
    }

    #[test]
    fn hours_within_one_working_day() {
        assert_eq!(
            between(at("2026-12-01 10:00"), at("2026-12-01 13:30")),
            SignedDuration::from_mins(210)
        );
        assert_eq!(
            between(at("2026-12-01 07:00"), at("2026-12-01 20:00")),
            SignedDuration::from_hours(9)
        );
    }

    #[test]
    fn nights_and_weekends_do_not_count() {
        // Friday 17:00 → Monday 10:00: one hour on Friday, one on Monday.
        assert_eq!(
            between(at("2026-12-04 17:00"), at("2026-12-07 10:00")),
            SignedDuration::from_hours(2)
        );
        assert_eq!(
            between(at("2026-12-05 10:00"), at("2026-12-06 18:00")),
            SignedDuration::ZERO
        );
    }
}
