//! The attendee list as CSV for staff: UTF-8 with a byte-order mark, which is what
//! makes Excel show Turkish letters instead of mojibake.

use super::session::Registration;
use super::time;

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
fn cell(value: &str) -> std::borrow::Cow<'_, str> {
    match value.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{value}").into(),
        _ => value.into(),
    }
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
}
