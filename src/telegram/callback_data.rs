//! Telegram's side of a button: the short string (at most 64 bytes) a callback query
//! carries back, made from a `Callback` and read back into one. Node ids are at most
//! 62 bytes (checked when the dialogues load), and every form here is a short tag, a
//! colon and a node id, a number, a language code or a short word.

use crate::dialogue::NodeId;
use crate::ids::{FanoutId, OpportunityId};
use crate::lang::Lang;
use crate::message::form::{FormPress, FormStep, PublishStep, Step};
use crate::message::{Callback, SessionVerb, TicketVerb};
use crate::opportunities::{Topic, TopicSet};
use crate::tickets::TicketId;
use crate::trainings::{OrgType, RegistrationId, SessionId};

/// The short code of each ticket verb.
const VERBS: [(TicketVerb, &str); 9] = [
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

fn verb_code(verb: TicketVerb) -> &'static str {
    VERBS
        .iter()
        .find(|(v, _)| *v == verb)
        .map(|(_, c)| *c)
        .expect("every verb has a code")
}

fn verb(code: &str) -> Option<TicketVerb> {
    VERBS.iter().find(|(_, c)| *c == code).map(|(v, _)| *v)
}

/// The short code of each session verb.
const SESSION_VERBS: [(SessionVerb, &str); 9] = [
    (SessionVerb::Edit, "edit"),
    (SessionVerb::Close, "close"),
    (SessionVerb::Reopen, "open"),
    (SessionVerb::Cancel, "cancel"),
    (SessionVerb::CancelDo, "cancel!"),
    (SessionVerb::Attendees, "list"),
    (SessionVerb::Links, "links"),
    (SessionVerb::CheckIn, "checkin"),
    (SessionVerb::Report, "report"),
];

fn session_verb_code(verb: SessionVerb) -> &'static str {
    SESSION_VERBS
        .iter()
        .find(|(v, _)| *v == verb)
        .map(|(_, c)| *c)
        .expect("every session verb has a code")
}

fn session_verb(code: &str) -> Option<SessionVerb> {
    SESSION_VERBS.iter().find(|(_, c)| *c == code).map(|(v, _)| *v)
}

/// The callback data of a button.
pub fn encode(callback: &Callback) -> String {
    match callback {
        Callback::Node(id) => format!("n:{id}"),
        Callback::Action(id) => format!("a:{id}"),
        Callback::Lang(lang) => format!("l:{lang}"),
        Callback::Trainings => "t:".to_owned(),
        Callback::Session(id) => format!("s:{id}"),
        Callback::Flow(press) => format!("f:{}", form_press(press)),
        Callback::MyRegistrations => "m:".to_owned(),
        Callback::CancelAsk(id) => format!("r:{}", id.0),
        Callback::CancelDo(id) => format!("rc:{}", id.0),
        Callback::AskStaff => "q:".to_owned(),
        Callback::Forget => "x:forget".to_owned(),
        Callback::Ticket(verb, id) => format!("k:{}:{}", verb_code(*verb), id.0),
        Callback::Link(id, i) => format!("lk:{}:{i}", id.0),
        Callback::LinkAdd(id, i) => format!("la:{}:{i}", id.0),
        Callback::Survey(id) => format!("sv:{}", id.0),
        Callback::Certificate(id) => format!("ce:{}", id.0),
        Callback::StaffSession(id) => format!("ss:{id}"),
        Callback::SessionAct(verb, id) => format!("sa:{}:{id}", session_verb_code(*verb)),
        Callback::Tick(id, present) => format!("tk:{}:{}", id.0, u8::from(*present)),
        Callback::CheckIn(id, key) => format!("ci:{id}:{key}"),
        Callback::NewSession => "ns:".to_owned(),
        Callback::Opportunities(topic) => format!("op:{}", topic.map_or("", |t| t.id())),
        Callback::AlertsConsent => "ac:".to_owned(),
        Callback::Subscribe => "sb:".to_owned(),
        Callback::AlertsDone => "ad:".to_owned(),
        Callback::ToggleTopic(topic) => format!("tg:{}", topic.id()),
        Callback::StopAlerts(topics) => format!("us:{}", topics.bits()),
        Callback::RemindMe(id) => format!("rm:{id}"),
        Callback::StopFanout(id) => format!("sf:{id}"),
        Callback::Withdraw(id, false) => format!("wd:{id}"),
        Callback::Withdraw(id, true) => format!("wd:{id}:y"),
        Callback::Publish => "pb:".to_owned(),
        Callback::InPreview => "pv:".to_owned(),
    }
}

/// A form's press as its data after "f:": the same words the bot has always sent, so
/// buttons already in people's chats keep working. (The publish form's values are
/// "pe:", the session form's "fe:": some fields of the two have the same names.)
fn form_press(press: &FormPress) -> String {
    let word = match press {
        FormPress::Yes => "yes",
        FormPress::No => "no",
        FormPress::Skip => "skip",
        FormPress::Cancel => "cancel",
        FormPress::Save => "save",
        FormPress::Confirm => "confirm",
        FormPress::Send => "send",
        FormPress::Rewrite => "rewrite",
        FormPress::Edit => "edit",
        FormPress::Back => "back",
        FormPress::Summary => "summary",
        FormPress::AtStart => "at_start",
        FormPress::NoReminder => "no_reminder",
        FormPress::NoAges => "no_ages",
        FormPress::TopicsDone => "topics_done",
        FormPress::Org(o) => return format!("org:{}", o.code()),
        FormPress::Answer(step) => return format!("edit:{}", step.code()),
        FormPress::Field(step) => return format!("fe:{}", step.code()),
        FormPress::PublishField(step) => return format!("pe:{}", step.code()),
        FormPress::Topic(topic) => return format!("tp:{}", topic.id()),
        FormPress::Rate(n) => return format!("rate:{n}"),
    };
    word.to_owned()
}

fn parse_form_press(data: &str) -> Option<FormPress> {
    if let Some((tag, value)) = data.split_once(':') {
        return match tag {
            "org" => OrgType::parse(value).map(FormPress::Org),
            "edit" => Step::EDITABLE
                .into_iter()
                .find(|s| s.code() == value)
                .map(FormPress::Answer),
            "fe" => FormStep::parse(value).map(FormPress::Field),
            "pe" => PublishStep::parse(value).map(FormPress::PublishField),
            "tp" => Topic::parse(value).map(FormPress::Topic),
            "rate" => value.parse::<u8>().ok().map(FormPress::Rate),
            _ => None,
        };
    }
    Some(match data {
        "yes" => FormPress::Yes,
        "no" => FormPress::No,
        "skip" => FormPress::Skip,
        "cancel" => FormPress::Cancel,
        "save" => FormPress::Save,
        "confirm" => FormPress::Confirm,
        "send" => FormPress::Send,
        "rewrite" => FormPress::Rewrite,
        "edit" => FormPress::Edit,
        "back" => FormPress::Back,
        "summary" => FormPress::Summary,
        "at_start" => FormPress::AtStart,
        "no_reminder" => FormPress::NoReminder,
        "no_ages" => FormPress::NoAges,
        "topics_done" => FormPress::TopicsDone,
        _ => return None,
    })
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
        "f" => parse_form_press(rest).map(Callback::Flow),
        "m" if rest.is_empty() => Some(Callback::MyRegistrations),
        "r" => number().map(|n| Callback::CancelAsk(RegistrationId(n))),
        "rc" => number().map(|n| Callback::CancelDo(RegistrationId(n))),
        "q" if rest.is_empty() => Some(Callback::AskStaff),
        "x" if rest == "forget" => Some(Callback::Forget),
        "k" => {
            let (code, id) = rest.split_once(':')?;
            let id = id.parse::<i64>().ok().filter(|n| *n > 0)?;
            Some(Callback::Ticket(verb(code)?, TicketId(id)))
        }
        "ci" => {
            let (id, key) = rest.split_once(':')?;
            let id = id.parse::<i64>().ok().filter(|n| *n > 0)?;
            let key_ok = !key.is_empty() && key.len() <= 16 && key.bytes().all(|b| b.is_ascii_alphanumeric());
            key_ok.then(|| Callback::CheckIn(SessionId(id), key.to_owned()))
        }
        "ns" if rest.is_empty() => Some(Callback::NewSession),
        "op" if rest.is_empty() => Some(Callback::Opportunities(None)),
        "op" => Topic::parse(rest).map(|t| Callback::Opportunities(Some(t))),
        "ac" if rest.is_empty() => Some(Callback::AlertsConsent),
        "sb" if rest.is_empty() => Some(Callback::Subscribe),
        "ad" if rest.is_empty() => Some(Callback::AlertsDone),
        "tg" => Topic::parse(rest).map(Callback::ToggleTopic),
        "us" => rest
            .parse::<u8>()
            .ok()
            .and_then(TopicSet::from_bits)
            .map(Callback::StopAlerts),
        "rm" => rest
            .parse::<i64>()
            .ok()
            .filter(|n| *n > 0)
            .map(|n| Callback::RemindMe(OpportunityId(n))),
        "pb" if rest.is_empty() => Some(Callback::Publish),
        "pv" if rest.is_empty() => Some(Callback::InPreview),
        "sf" => rest
            .parse::<i64>()
            .ok()
            .filter(|n| *n > 0)
            .map(|n| Callback::StopFanout(FanoutId(n))),
        "wd" => {
            let (id, confirmed) = match rest.split_once(':') {
                Some((id, "y")) => (id, true),
                Some(_) => return None,
                None => (rest, false),
            };
            id.parse::<i64>()
                .ok()
                .filter(|n| *n > 0)
                .map(|id| Callback::Withdraw(OpportunityId(id), confirmed))
        }
        "sv" => number().map(|n| Callback::Survey(RegistrationId(n))),
        "ce" => number().map(|n| Callback::Certificate(RegistrationId(n))),
        "ss" => number().map(|n| Callback::StaffSession(SessionId(n))),
        "sa" => {
            let (code, id) = rest.split_once(':')?;
            let id = id.parse::<i64>().ok().filter(|n| *n > 0)?;
            Some(Callback::SessionAct(session_verb(code)?, SessionId(id)))
        }
        "tk" => {
            let (id, present) = rest.split_once(':')?;
            let id = RegistrationId(id.parse::<i64>().ok().filter(|n| *n > 0)?);
            match present {
                "1" => Some(Callback::Tick(id, true)),
                "0" => Some(Callback::Tick(id, false)),
                _ => None,
            }
        }
        "lk" | "la" => {
            let (id, i) = rest.split_once(':')?;
            let id = TicketId(id.parse::<i64>().ok().filter(|n| *n > 0)?);
            let i = i.parse::<u8>().ok().filter(|i| *i < 3)?;
            Some(if tag == "lk" {
                Callback::Link(id, i)
            } else {
                Callback::LinkAdd(id, i)
            })
        }
        _ => None,
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
            Callback::Flow(FormPress::Org(OrgType::Ngo)),
            Callback::Flow(FormPress::Cancel),
            Callback::Flow(FormPress::Answer(Step::Email)),
            Callback::Flow(FormPress::Field(FormStep::Capacity)),
            Callback::Flow(FormPress::PublishField(PublishStep::TitleEn)),
            Callback::Flow(FormPress::Topic(Topic::Volunteering)),
            Callback::Flow(FormPress::Rate(4)),
            Callback::MyRegistrations,
            Callback::CancelAsk(RegistrationId(7)),
            Callback::CancelDo(RegistrationId(7)),
            Callback::AskStaff,
            Callback::Forget,
            Callback::Ticket(TicketVerb::FollowUp, TicketId(3)),
            Callback::Ticket(TicketVerb::Close, TicketId(3)),
            Callback::Link(TicketId(3), 1),
            Callback::LinkAdd(TicketId(3), 0),
            Callback::Survey(RegistrationId(5)),
            Callback::Certificate(RegistrationId(5)),
            Callback::StaffSession(SessionId(2)),
            Callback::SessionAct(SessionVerb::CancelDo, SessionId(2)),
            Callback::SessionAct(SessionVerb::Report, SessionId(2)),
            Callback::Tick(RegistrationId(9), true),
            Callback::Tick(RegistrationId(9), false),
            Callback::CheckIn(SessionId(4), "K7QF3M9TZZ".into()),
            Callback::NewSession,
            Callback::Opportunities(None),
            Callback::Opportunities(Some(Topic::Discovereu)),
            Callback::AlertsConsent,
            Callback::Subscribe,
            Callback::AlertsDone,
            Callback::ToggleTopic(Topic::Calls),
            Callback::StopAlerts(TopicSet::of(&[Topic::Trainings, Topic::Study])),
            Callback::StopAlerts(TopicSet::ALL),
            Callback::RemindMe(OpportunityId(12)),
            Callback::StopFanout(FanoutId(3)),
            Callback::Withdraw(OpportunityId(7), false),
            Callback::Withdraw(OpportunityId(7), true),
            Callback::Publish,
            Callback::InPreview,
        ] {
            assert_eq!(decode(&encode(&c)), Some(c));
        }
    }

    #[test]
    fn foreign_data_is_not_a_callback() {
        for bad in [
            "x:1",
            "n:DROP TABLE",
            "",
            "s:-1",
            "s:abc",
            "r:",
            "f:",
            "f:a b",
            "t:x",
            "lk:1:9",
            "lk:0:0",
            "la:x",
            "la:1",
        ] {
            assert_eq!(decode(bad), None, "{bad}");
        }
    }

    #[test]
    fn the_longest_callback_fits_telegram() {
        let id = NodeId::parse(&"a".repeat(crate::dialogue::MAX_ID_BYTES)).unwrap();
        assert!(encode(&Callback::Action(id)).len() <= 64);
        assert!(encode(&Callback::CancelDo(RegistrationId(i64::MAX))).len() <= 64);
    }
}
