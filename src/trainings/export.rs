//! The attendee list for staff: an `.xlsx` workbook (what Turkish-locale Excel opens
//! without asking), or CSV on request: UTF-8 with a byte-order mark, which is what
//! makes Excel show Turkish letters instead of mojibake.

use super::session::{Attendance, Registration, Status};
use super::time;
use crate::lang::{Lang, pick};
use crate::render::RenderError;
use crate::render::xlsx::{Cell, Sheet, workbook};

pub const HEADER: [&str; 9] = [
    "status",
    "position",
    "name",
    "organisation",
    "organisation_type",
    "email",
    "phone",
    "registered_at",
    "consent_version",
];

/// A cell that starts with `=`, `+`, `-` or `@` is a formula to Excel: a name typed as
/// `=HYPERLINK(...)` would run when staff open the list (CSV injection). Such cells get a
/// leading apostrophe, which Excel hides and which makes the cell text; it also keeps
/// E.164 phone numbers (`+90…`) from being turned into numbers that lose their `+`.
///
/// Turkish-locale Excel reads CSV split on `;`, not on commas (and ignores the quotes a
/// comma-separated file puts around a field), so `Ali;=1+2` would put `=1+2` in a cell
/// of its own: every piece after a `;` (or a tab or line break, which also start new
/// cells somewhere) is neutralised the same way.
fn cell(value: &str) -> std::borrow::Cow<'_, str> {
    let dangerous = |piece: &str| {
        matches!(
            piece.trim_start_matches([' ', '"']).chars().next(),
            Some('=' | '+' | '-' | '@' | '\t' | '\r')
        )
    };
    let separators = |c: char| matches!(c, ';' | '\t' | '\n' | '\r');
    if !dangerous(value) && !value.split(separators).skip(1).any(dangerous) {
        return value.into();
    }
    let mut out = String::with_capacity(value.len() + 4);
    if dangerous(value) {
        out.push('\'');
    }
    let mut rest = value;
    while let Some(at) = rest.find(separators) {
        let sep_len = rest[at..].chars().next().map_or(1, char::len_utf8);
        out.push_str(&rest[..at + sep_len]);
        rest = &rest[at + sep_len..];
        if dangerous(rest) {
            out.push('\'');
        }
    }
    out.push_str(rest);
    out.into()
}

pub fn csv(registrations: &[Registration]) -> Vec<u8> {
    let mut out = "\u{FEFF}".as_bytes().to_vec();
    {
        let mut writer = csv::Writer::from_writer(&mut out);
        writer.write_record(HEADER).expect("writing to memory");
        for r in registrations {
            let a = &r.attendee;
            writer
                .write_record([
                    r.status.code(),
                    &r.position.to_string(),
                    &cell(a.name.as_str()),
                    &cell(a.organisation.as_str()),
                    a.org_type.code(),
                    &cell(a.email.as_str()),
                    &cell(a.phone.as_ref().map_or("", |p| p.as_str())),
                    &time::local(r.registered_at),
                    &r.consent_version,
                ])
                .expect("writing to memory");
        }
        writer.flush().expect("writing to memory");
    }
    out
}

/// The registrations as a workbook sheet: one header row, dates as dates, every text a
/// text cell (no formula can appear), attendance beside each confirmed registrant.
pub fn sheet(registrations: &[Registration], lang: Lang) -> Sheet {
    let headers = match lang {
        Lang::Tr => [
            "Durum",
            "Sıra",
            "Ad soyad",
            "Kurum",
            "Kurum türü",
            "E-posta",
            "Telefon",
            "Kayıt zamanı",
            "Katılım",
            "Onay metni",
        ],
        Lang::En => [
            "Status",
            "Position",
            "Name",
            "Organisation",
            "Organisation type",
            "E-mail",
            "Phone",
            "Registered at",
            "Attendance",
            "Consent text",
        ],
    };
    let rows = registrations
        .iter()
        .map(|r| {
            let a = &r.attendee;
            let text = |s: &str| Cell::Text(s.to_owned());
            vec![
                text(status_word(r.status, lang)),
                Cell::Int(r.position as i64),
                text(a.name.as_str()),
                text(a.organisation.as_str()),
                text(a.org_type.code()),
                text(a.email.as_str()),
                a.phone.as_ref().map_or(Cell::Empty, |p| text(p.as_str())),
                Cell::DateTime(r.registered_at.to_zoned(time::office_tz()).datetime()),
                match r.attendance {
                    Some(Attendance::Present) => text(pick(lang, "geldi", "present")),
                    Some(Attendance::Absent) => text(pick(lang, "gelmedi", "absent")),
                    None => Cell::Empty,
                },
                text(&r.consent_version),
            ]
        })
        .collect();
    Sheet {
        name: pick(lang, "Kayıtlar", "Registrations").to_owned(),
        headers: headers.iter().map(|h| (*h).to_owned()).collect(),
        rows,
    }
}

fn status_word(status: Status, lang: Lang) -> &'static str {
    match status {
        Status::Confirmed => pick(lang, "kesin", "confirmed"),
        Status::Waitlisted => pick(lang, "yedek", "waitlisted"),
        Status::Cancelled => pick(lang, "iptal", "cancelled"),
    }
}

/// The registrations as an `.xlsx` workbook.
pub fn xlsx(registrations: &[Registration], lang: Lang) -> Result<Vec<u8>, RenderError> {
    workbook(&[sheet(registrations, lang)])
}

#[cfg(test)]
mod tests {
    use super::cell;

    #[test]
    fn formulas_and_phone_numbers_stay_text_in_excel() {
        assert_eq!(cell("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(cell("+905321234567"), "'+905321234567");
        assert_eq!(cell("@sum"), "'@sum");
        assert_eq!(cell("Ayşe"), "Ayşe");
    }

    #[test]
    fn every_piece_a_semicolon_reading_spreadsheet_sees_stays_text() {
        assert_eq!(cell("Ali;=1+2"), "Ali;'=1+2");
        assert_eq!(cell("Ali; @SUM(A1)"), "Ali;' @SUM(A1)");
        assert_eq!(cell("=a;+b"), "'=a;'+b");
        assert_eq!(cell("a\t-1"), "a\t'-1");
        assert_eq!(cell("Kuruluş; Dernek"), "Kuruluş; Dernek");
    }
}
