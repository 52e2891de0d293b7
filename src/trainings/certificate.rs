//! Certificates of attendance: issued once per attendee, with a short code printed on
//! the PDF that anyone can have the office confirm (`eudesk certificates verify`,
//! `/verify`). The PDF itself is drawn by `crate::render::pdf`.

use super::attendance::random_code;
use super::{Attendance, Registration, RegistrationId, Session, Status};
use crate::ids::UserId;
use crate::storage::certificates::{self as q, Issued};
use crate::storage::{StoreError, trainings};
use jiff::Timestamp;
use sqlx::SqliteConnection;

/// Why a certificate cannot be had, or the one there is.
#[derive(Debug)]
pub enum Issue {
    Ready {
        issued: Issued,
        registration: Box<Registration>,
        session: Box<Session>,
    },
    /// Not this person's registration (an old or forwarded button).
    NotYours,
    /// Only people who came get one.
    NotAttended,
}

/// The certificate of a registration, issued now if it has none yet.
pub async fn issue(
    conn: &mut SqliteConnection,
    registration: RegistrationId,
    user: UserId,
    now: Timestamp,
) -> Result<Issue, StoreError> {
    let Some(r) = trainings::registration(conn, registration).await? else {
        return Ok(Issue::NotYours);
    };
    if r.user != user {
        return Ok(Issue::NotYours);
    }
    if r.status != Status::Confirmed || r.attendance != Some(Attendance::Present) {
        return Ok(Issue::NotAttended);
    }
    let Some(session) = trainings::session(conn, r.session).await? else {
        return Ok(Issue::NotYours);
    };
    let issued = match q::of_registration(conn, r.id).await? {
        Some(issued) => issued,
        None => loop {
            let candidate = Issued {
                code: random_code(8)?,
                registration: r.id,
                session: r.session,
                name: Some(r.attendee.name.as_str().to_owned()),
                issued_at: now,
            };
            // 32⁸ codes: a clash is all but impossible, and then another is drawn.
            if q::insert(conn, &candidate).await? {
                break candidate;
            }
        },
    };
    Ok(Issue::Ready {
        issued,
        registration: Box::new(r),
        session: Box::new(session),
    })
}

/// "K7QF3M9T" as printed: "K7QF-3M9T".
pub fn display(code: &str) -> String {
    if code.len() == 8 {
        format!("{}-{}", &code[..4], &code[4..])
    } else {
        code.to_owned()
    }
}

/// A code as someone typed it: case, spaces and dashes ignored, and the letters people
/// confuse with digits read as those digits (O → 0, I and L → 1).
pub fn normalize(typed: &str) -> String {
    typed
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| match c.to_ascii_uppercase() {
            'O' => '0',
            'I' | 'L' => '1',
            c => c,
        })
        .collect()
}

/// What a code certifies.
#[derive(Debug)]
pub enum Verified {
    Valid {
        issued: Issued,
        session: Option<Box<Session>>,
    },
    Unknown,
}

pub async fn verify(conn: &mut SqliteConnection, typed: &str) -> Result<Verified, StoreError> {
    let code = normalize(typed);
    if code.is_empty() {
        return Ok(Verified::Unknown);
    }
    let Some(issued) = q::by_code(conn, &code).await? else {
        return Ok(Verified::Unknown);
    };
    let session = trainings::session(conn, issued.session).await?.map(Box::new);
    Ok(Verified::Valid { issued, session })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typed_codes_are_read_forgivingly() {
        assert_eq!(normalize(" k7qf-3m9t "), "K7QF3M9T");
        assert_eq!(normalize("OIL0"), "0110");
        assert_eq!(display("K7QF3M9T"), "K7QF-3M9T");
        assert_eq!(normalize(&display("K7QF3M9T")), "K7QF3M9T");
    }

    #[test]
    fn drawn_codes_use_only_unambiguous_letters() {
        let code = random_code(64).unwrap();
        assert!(code.chars().all(|c| !"ILOU".contains(c)), "{code}");
        assert_eq!(normalize(&code), code);
    }
}
