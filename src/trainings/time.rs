//! The office's time zone, and dates and times as people read them.

use crate::lang::Lang;
use jiff::Timestamp;
use jiff::civil::DateTime;
use jiff::tz::TimeZone;

pub const OFFICE_TZ: &str = "Europe/Istanbul";

/// Europe/Istanbul, from the time-zone database compiled into the binary, so the office's
/// times do not depend on the server's settings.
pub fn office_tz() -> TimeZone {
    TimeZone::get(OFFICE_TZ).expect("the bundled tz database has Europe/Istanbul")
}

/// Why a text is not an office time.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TimeError {
    #[error(
        "'{0}' is not a date and time; write it like 2026-12-10 10:00 or 10.12.2026 10:00 (office time, {OFFICE_TZ})"
    )]
    NotATime(String),
    #[error("'{0}' does not exist in office time ({OFFICE_TZ}): {1}")]
    NoSuchTime(String, String),
    #[error("'{0}' carries a time zone or an offset; write the office time alone ({OFFICE_TZ}), like 2026-12-10 10:00")]
    WithZone(String),
}

/// Parses a local office time such as `2026-12-10 10:00`, or as Turkish staff write
/// it, `10.12.2026 10:00`.
pub fn parse_local(s: &str) -> Result<Timestamp, TimeError> {
    let s = s.trim();
    // jiff reads `2027-03-01T23:59+00:00` as a civil time and drops the offset: taken as
    // office time, it would be three hours early. Whatever follows the time of day (a
    // sign, a Z, a [zone]) is refused rather than guessed at.
    if let Some((_, time)) = s.split_once([' ', 'T', 't'])
        && time.contains(['+', '-', 'Z', 'z', '['])
    {
        return Err(TimeError::WithZone(s.to_owned()));
    }
    let civil: DateTime = DateTime::strptime("%Y-%m-%d %H:%M", s)
        .or_else(|_| DateTime::strptime("%d.%m.%Y %H:%M", s))
        .or_else(|_| s.parse::<DateTime>())
        .map_err(|_| TimeError::NotATime(s.to_owned()))?;
    civil
        .to_zoned(office_tz())
        .map(|z| z.timestamp())
        .map_err(|e| TimeError::NoSuchTime(s.to_owned(), e.to_string()))
}

/// `2026-12-10 10:00`, office time: for the command line.
pub fn local(t: Timestamp) -> String {
    t.to_zoned(office_tz()).strftime("%Y-%m-%d %H:%M").to_string()
}

const MONTHS_TR: [&str; 12] = [
    "Ocak", "Şubat", "Mart", "Nisan", "Mayıs", "Haziran", "Temmuz", "Ağustos", "Eylül", "Ekim", "Kasım", "Aralık",
];
const MONTHS_EN: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
const DAYS_TR: [&str; 7] = [
    "Pazartesi",
    "Salı",
    "Çarşamba",
    "Perşembe",
    "Cuma",
    "Cumartesi",
    "Pazar",
];
const DAYS_EN: [&str; 7] = [
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];

/// "10 Aralık 2026" / "10 December 2026", in office time.
pub fn date(t: Timestamp, lang: Lang) -> String {
    let z = t.to_zoned(office_tz());
    let month = (z.month() - 1) as usize;
    match lang {
        Lang::Tr => format!("{} {} {}", z.day(), MONTHS_TR[month], z.year()),
        Lang::En => format!("{} {} {}", z.day(), MONTHS_EN[month], z.year()),
    }
}

/// "10 Aralık 2026 Perşembe, 10:00–17:00" / "Thursday 10 December 2026, 10:00–17:00",
/// in office time (the trainings are in Izmir).
pub fn span(starts: Timestamp, ends: Timestamp, lang: Lang) -> String {
    let (s, e) = (starts.to_zoned(office_tz()), ends.to_zoned(office_tz()));
    let month = (s.month() - 1) as usize;
    let day = s.weekday().to_monday_zero_offset() as usize;
    let date = match lang {
        Lang::Tr => format!("{} {} {} {}", s.day(), MONTHS_TR[month], s.year(), DAYS_TR[day]),
        Lang::En => format!("{} {} {} {}", DAYS_EN[day], s.day(), MONTHS_EN[month], s.year()),
    };
    let end = if e.date() == s.date() {
        e.strftime("%H:%M").to_string()
    } else {
        local(ends)
    };
    format!("{date}, {}–{end}", s.strftime("%H:%M"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn office_time_is_utc_plus_three() {
        let t = parse_local("2026-12-10 10:00").unwrap();
        assert_eq!(t.to_string(), "2026-12-10T07:00:00Z");
        assert_eq!(local(t), "2026-12-10 10:00");
    }

    #[test]
    fn bad_times_say_how_to_write_them() {
        assert!(
            parse_local("10/12/2026")
                .unwrap_err()
                .to_string()
                .contains("2026-12-10 10:00")
        );
    }

    /// jiff alone would read these as office time with the zone dropped.
    #[test]
    fn a_time_with_a_zone_or_offset_is_refused_not_shifted() {
        for zoned in [
            "2027-03-01T23:59+00:00",
            "2027-03-01 23:59-05:00",
            "2027-03-01T23:59Z",
            "2027-03-01T23:59[Europe/Berlin]",
        ] {
            assert!(
                matches!(parse_local(zoned), Err(TimeError::WithZone(_))),
                "{zoned}: {:?}",
                parse_local(zoned)
            );
        }
        assert!(parse_local("2027-03-01T23:59").is_ok());
        assert!(parse_local("01.03.2027 23:59").is_ok());
    }

    #[test]
    fn spans_read_naturally_in_both_languages() {
        let (a, b) = (
            parse_local("2026-12-10 10:00").unwrap(),
            parse_local("2026-12-10 17:00").unwrap(),
        );
        assert_eq!(span(a, b, Lang::Tr), "10 Aralık 2026 Perşembe, 10:00–17:00");
        assert_eq!(span(a, b, Lang::En), "Thursday 10 December 2026, 10:00–17:00");
    }
}
