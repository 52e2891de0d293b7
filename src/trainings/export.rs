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
                    a.name.as_str(),
                    a.organisation.as_str(),
                    a.org_type.code(),
                    a.email.as_str(),
                    a.phone.as_ref().map_or("", |p| p.as_str()),
                    &time::local(r.registered_at),
                    &r.consent_version,
                ])
                .expect("writing to memory");
        }
        writer.flush().expect("writing to memory");
    }
    out
}
