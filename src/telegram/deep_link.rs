//! Deep links (`https://t.me/<bot>?start=<payload>`): Telegram opens the chat and sends
//! `/start <payload>`. The payload names what to open, in Telegram's terms; here it
//! becomes what the core understands, as if the matching button had been pressed.

use crate::engine::Callback;
use crate::trainings::SessionId;

const SESSION: &str = "training_";

/// The link that opens the booking of a session.
pub fn session(username: &str, id: SessionId) -> String {
    format!("https://t.me/{username}?start={SESSION}{id}")
}

/// What `/start <payload>` asks for: a session's booking (the list of sessions when
/// the number is not one), or `None` for a payload that is not ours.
pub fn open(payload: &str) -> Option<Callback> {
    let number = payload.trim().strip_prefix(SESSION)?;
    Some(match number.parse::<i64>() {
        Ok(n) if n > 0 => Callback::Session(SessionId(n)),
        _ => Callback::Trainings,
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
}
