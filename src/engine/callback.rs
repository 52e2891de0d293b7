//! What an inline button carries back when pressed. Telegram allows 64 bytes; node ids
//! are at most 62 (checked at load), and every form here is a short tag, a colon and
//! a node id, a number, a language code or a short word.

use crate::dialogue::NodeId;
use crate::lang::Lang;
use crate::tickets::TicketId;
use crate::trainings::{RegistrationId, SessionId};

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Callback {
    /// Show a node.
    Node(NodeId),
    /// Start the action of a node.
    Action(NodeId),
    /// Choose the bot's language.
    Lang(Lang),
    /// The list of sessions open for booking.
    Trainings,
    /// Book this session.
    Session(SessionId),
    /// An answer inside the booking in progress ("yes", "skip", "org:ngo", …).
    Flow(String),
    /// The person's registrations.
    MyRegistrations,
    /// Ask to cancel this registration…
    CancelAsk(RegistrationId),
    /// …and, confirmed, cancel it.
    CancelDo(RegistrationId),
    /// Pass a question to staff (the last unanswered one, if any).
    AskStaff,
    /// Confirmed: erase everything about me.
    Forget,
    /// Something done to a ticket, by staff or by its person.
    Ticket(TicketVerb, TicketId),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TicketVerb {
    /// Staff: the next text answers the ticket.
    Answer,
    Take,
    Close,
    /// The person: it is solved, close it.
    Solved,
    /// The person: the next text is a follow-up.
    FollowUp,
    /// Staff, under an answer's preview: send it…
    Send,
    /// …send it although someone else took or answered the ticket…
    SendAnyway,
    /// …write it again…
    Edit,
    /// …or drop it.
    Discard,
}

impl TicketVerb {
    const ALL: [(TicketVerb, &'static str); 9] = [
        (TicketVerb::Answer, "answer"),
        (TicketVerb::Take, "take"),
        (TicketVerb::Close, "close"),
        (TicketVerb::Solved, "solved"),
        (TicketVerb::FollowUp, "follow"),
        (TicketVerb::Send, "send"),
        (TicketVerb::SendAnyway, "force"),
        (TicketVerb::Edit, "edit"),
        (TicketVerb::Discard, "drop"),
    ];

    fn code(self) -> &'static str {
        TicketVerb::ALL
            .iter()
            .find(|(v, _)| *v == self)
            .map(|(_, c)| *c)
            .expect("every verb has a code")
    }

    fn parse(s: &str) -> Option<TicketVerb> {
        TicketVerb::ALL.iter().find(|(_, c)| *c == s).map(|(v, _)| *v)
    }
}

impl Callback {
    pub fn encode(&self) -> String {
        match self {
            Callback::Node(id) => format!("n:{id}"),
            Callback::Action(id) => format!("a:{id}"),
            Callback::Lang(lang) => format!("l:{lang}"),
            Callback::Trainings => "t:".to_owned(),
            Callback::Session(id) => format!("s:{id}"),
            Callback::Flow(v) => format!("f:{v}"),
            Callback::MyRegistrations => "m:".to_owned(),
            Callback::CancelAsk(id) => format!("r:{}", id.0),
            Callback::CancelDo(id) => format!("rc:{}", id.0),
            Callback::AskStaff => "q:".to_owned(),
            Callback::Forget => "x:forget".to_owned(),
            Callback::Ticket(verb, id) => format!("k:{}:{}", verb.code(), id.0),
        }
    }

    /// Anything can arrive here (old buttons, hand-made data): `None` for what is not
    /// one of ours.
    pub fn decode(data: &str) -> Option<Callback> {
        let (tag, rest) = data.split_once(':')?;
        let number = || rest.parse::<i64>().ok().filter(|n| *n > 0);
        match tag {
            "n" => NodeId::parse(rest).ok().map(Callback::Node),
            "a" => NodeId::parse(rest).ok().map(Callback::Action),
            "l" => Lang::parse(rest).map(Callback::Lang),
            "t" if rest.is_empty() => Some(Callback::Trainings),
            "s" => number().map(|n| Callback::Session(SessionId(n))),
            "f" if !rest.is_empty() && rest.len() <= 40 && rest.bytes().all(|b| b.is_ascii_graphic()) => {
                Some(Callback::Flow(rest.to_owned()))
            }
            "m" if rest.is_empty() => Some(Callback::MyRegistrations),
            "r" => number().map(|n| Callback::CancelAsk(RegistrationId(n))),
            "rc" => number().map(|n| Callback::CancelDo(RegistrationId(n))),
            "q" if rest.is_empty() => Some(Callback::AskStaff),
            "x" if rest == "forget" => Some(Callback::Forget),
            "k" => {
                let (verb, id) = rest.split_once(':')?;
                let id = id.parse::<i64>().ok().filter(|n| *n > 0)?;
                Some(Callback::Ticket(TicketVerb::parse(verb)?, TicketId(id)))
            }
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn callbacks_round_trip() {
        for c in [
            Callback::Node(NodeId::parse("pcm.logframe").unwrap()),
            Callback::Action(NodeId::parse("training.register").unwrap()),
            Callback::Lang(Lang::En),
            Callback::Trainings,
            Callback::Session(SessionId(12)),
            Callback::Flow("org:ngo".into()),
            Callback::MyRegistrations,
            Callback::CancelAsk(RegistrationId(7)),
            Callback::CancelDo(RegistrationId(7)),
            Callback::AskStaff,
            Callback::Forget,
            Callback::Ticket(TicketVerb::FollowUp, TicketId(3)),
            Callback::Ticket(TicketVerb::Close, TicketId(3)),
        ] {
            assert_eq!(Callback::decode(&c.encode()), Some(c));
        }
    }

    #[test]
    fn foreign_data_is_not_a_callback() {
        for bad in ["x:1", "n:DROP TABLE", "", "s:-1", "s:abc", "r:", "f:", "f:a b", "t:x"] {
            assert_eq!(Callback::decode(bad), None, "{bad}");
        }
    }

    #[test]
    fn the_longest_callback_fits_telegram() {
        let id = NodeId::parse(&"a".repeat(crate::dialogue::MAX_ID_BYTES)).unwrap();
        assert!(Callback::Action(id).encode().len() <= 64);
        assert!(Callback::CancelDo(RegistrationId(i64::MAX)).encode().len() <= 64);
    }
}
