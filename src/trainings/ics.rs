//! "Add to calendar": an iCalendar (RFC 5545) file with one event. Written by hand:
//! one event needs a dozen lines, and the iCalendar crates would bring a second
//! date-time library next to jiff.

use super::session::Session;
use crate::lang::Lang;
use jiff::Timestamp;

/// The `.ics` file for a session, in the person's language. Every version of a
/// session's file has the same UID and the session's SEQUENCE, so that a calendar
/// replaces the entry it has when the time or place changes.
pub fn event(session: &Session, lang: Lang, now: Timestamp) -> String {
    file(session, lang, now, false)
}

/// The `.ics` that removes a cancelled session from the calendar it was added to.
pub fn cancellation(session: &Session, lang: Lang, now: Timestamp) -> String {
    file(session, lang, now, true)
}

fn file(session: &Session, lang: Lang, now: Timestamp, cancelled: bool) -> String {
    let stamp = |t: Timestamp| t.strftime("%Y%m%dT%H%M%SZ").to_string();
    let mut lines = vec![
        "BEGIN:VCALENDAR".to_owned(),
        "VERSION:2.0".to_owned(),
        "PRODID:-//Izmir Governorship EU and Foreign Relations Office//eudesk//EN".to_owned(),
        "CALSCALE:GREGORIAN".to_owned(),
        format!("METHOD:{}", if cancelled { "CANCEL" } else { "PUBLISH" }),
        "BEGIN:VEVENT".to_owned(),
        format!("UID:{}", uid(session)),
        format!("SEQUENCE:{}", session.sequence),
        format!("DTSTAMP:{}", stamp(now)),
        format!("DTSTART:{}", stamp(session.details.starts)),
        format!("DTEND:{}", stamp(session.details.ends)),
        format!("SUMMARY:{}", escape(session.title(lang))),
        format!("LOCATION:{}", escape(&session.details.place)),
    ];
    if cancelled {
        lines.push("STATUS:CANCELLED".to_owned());
    }
    lines.extend(["END:VEVENT".to_owned(), "END:VCALENDAR".to_owned()]);
    lines.iter().map(|l| fold(l)).collect::<Vec<_>>().join("\r\n") + "\r\n"
}

/// The same for every version of a session's file.
pub fn uid(session: &Session) -> String {
    format!("eudesk-training-{}@izmir-ab-buro", session.id)
}

/// Text values escape backslash, semicolon, comma and newlines (RFC 5545 §3.3.11).
fn escape(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace(';', "\\;")
        .replace(',', "\\,")
        .replace("\r\n", "\\n")
        .replace('\n', "\\n")
}

/// Lines longer than 75 octets continue on the next line after a space (§3.1),
/// never splitting a UTF-8 character.
fn fold(line: &str) -> String {
    let mut out = String::with_capacity(line.len() + 8);
    let mut width = 0;
    for c in line.chars() {
        let n = c.len_utf8();
        if width + n > 75 {
            out.push_str("\r\n ");
            width = 1;
        }
        out.push(c);
        width += n;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn special_characters_are_escaped() {
        assert_eq!(escape("İzmir; Konak, 1\\2\nkat"), "İzmir\\; Konak\\, 1\\\\2\\nkat");
    }

    #[test]
    fn long_lines_fold_at_75_octets_without_splitting_letters() {
        let folded = fold(&format!("SUMMARY:{}", "ş".repeat(60)));
        for line in folded.split("\r\n") {
            assert!(line.len() <= 75, "{line}");
        }
        assert_eq!(folded.replace("\r\n ", ""), format!("SUMMARY:{}", "ş".repeat(60)));
    }
}
