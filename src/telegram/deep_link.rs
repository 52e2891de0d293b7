//! Deep links (`https://t.me/<bot>?start=<payload>`): Telegram opens the chat and sends
//! `/start <payload>`. The payload names what to open, in Telegram's terms; here it
//! becomes what the core understands, as if the matching button had been pressed.

use crate::engine::{Callback, DeepLink, SessionVerb};
use crate::trainings::SessionId;

const SESSION: &str = "training_";
const CHECK_IN: &str = "in_";
const NEW_SESSION: &str = "newsession";
const EDIT_SESSION: &str = "edit_";
const PUBLISH: &str = "publish";

/// The link that opens the booking of a session.
pub fn session(username: &str, id: SessionId) -> String {
    url(username, &DeepLink::Booking(id))
}

/// The address of a deep link. Payloads keep to Telegram's rule: at most 64 of
/// A–Z, a–z, 0–9, _ and -.
pub fn url(username: &str, to: &DeepLink) -> String {
    let payload = match to {
        DeepLink::Booking(id) => format!("{SESSION}{id}"),
        DeepLink::CheckIn(id, key) => format!("{CHECK_IN}{id}_{key}"),
        DeepLink::NewSession => NEW_SESSION.to_owned(),
        DeepLink::EditSession(id) => format!("{EDIT_SESSION}{id}"),
        DeepLink::Publish => PUBLISH.to_owned(),
    };
    format!("https://t.me/{username}?start={payload}")
}

/// What `/start <payload>` asks for: a session's booking (the list of sessions when
/// the number is not one), a check-in, a staff form, or `None` for a payload that is
/// not ours.
pub fn open(payload: &str) -> Option<Callback> {
    let payload = payload.trim();
    let number = |s: &str| s.parse::<i64>().ok().filter(|n| *n > 0).map(SessionId);
    if let Some(rest) = payload.strip_prefix(CHECK_IN) {
        let (id, key) = rest.split_once('_')?;
        return Some(Callback::CheckIn(number(id)?, key.to_owned()));
    }
    if payload == NEW_SESSION {
        return Some(Callback::NewSession);
    }
    if payload == PUBLISH {
        return Some(Callback::Publish);
    }
    if let Some(id) = payload.strip_prefix(EDIT_SESSION) {
        return Some(Callback::SessionAct(SessionVerb::Edit, number(id)?));
    }
    let rest = payload.strip_prefix(SESSION)?;
    Some(match number(rest) {
        Some(id) => Callback::Session(id),
        None => Callback::Trainings,
    })
}

/// The payload of a `/start` command, if the text is one.
pub fn payload(text: &str) -> Option<&str> {
    let rest = text.trim_start().strip_prefix("/start")?;
    let rest = rest
        .strip_prefix(|c: char| c == '@')
        .map_or(rest, |r| r.split_once(char::is_whitespace).map_or("", |(_, p)| p));
    let payload = rest.trim();
    (!payload.is_empty()).then_some(payload)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_session_link_opens_that_sessions_booking() {
        assert_eq!(
            session("eudesk_bot", SessionId(3)),
            "https://t.me/eudesk_bot?start=training_3"
        );
        assert_eq!(payload("/start training_3"), Some("training_3"));
        assert_eq!(payload("/start@eudesk_bot training_3"), Some("training_3"));
        assert_eq!(payload("/start"), None);
        assert_eq!(open("training_3"), Some(Callback::Session(SessionId(3))));
        assert_eq!(open("training_x"), Some(Callback::Trainings));
        assert_eq!(open("something_else"), None);
    }

    #[test]
    fn every_link_opens_what_it_names() {
        for to in [
            DeepLink::Booking(SessionId(3)),
            DeepLink::CheckIn(SessionId(3), "K7QF3M9TZZ".into()),
            DeepLink::NewSession,
            DeepLink::EditSession(SessionId(12)),
            DeepLink::Publish,
        ] {
            let address = url("eudesk_bot", &to);
            let payload = address.split_once("?start=").unwrap().1;
            assert!(payload.len() <= 64 && payload.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'));
            let opened = open(payload).unwrap();
            let expected = match to {
                DeepLink::Booking(id) => Callback::Session(id),
                DeepLink::CheckIn(id, key) => Callback::CheckIn(id, key),
                DeepLink::NewSession => Callback::NewSession,
                DeepLink::EditSession(id) => Callback::SessionAct(SessionVerb::Edit, id),
                DeepLink::Publish => Callback::Publish,
            };
            assert_eq!(opened, expected);
        }
        assert_eq!(open("in_3"), None);
        assert_eq!(open("edit_x"), None);
    }
}
