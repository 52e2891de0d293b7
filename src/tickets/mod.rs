//! Questions for the office's staff: tickets, their history, and office hours.

pub mod answer;
pub mod ask;
pub mod hours;
pub mod learn;
pub mod messages;
pub mod service;
pub mod staff;

use crate::ids::UserId;
use crate::lang::Lang;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use std::fmt;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct TicketId(pub i64);

impl fmt::Display for TicketId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum TicketStatus {
    /// Waiting for staff (new, or a follow-up arrived).
    Open,
    /// Staff answered; the person may follow up.
    Answered,
    Closed,
}

impl TicketStatus {
    pub fn code(self) -> &'static str {
        match self {
            TicketStatus::Open => "open",
            TicketStatus::Answered => "answered",
            TicketStatus::Closed => "closed",
        }
    }

    pub fn parse(s: &str) -> Option<TicketStatus> {
        [TicketStatus::Open, TicketStatus::Answered, TicketStatus::Closed]
            .into_iter()
            .find(|x| x.code() == s)
    }

    pub fn label(self, lang: Lang) -> &'static str {
        match (self, lang) {
            (TicketStatus::Open, Lang::Tr) => "yanıt bekliyor",
            (TicketStatus::Open, Lang::En) => "waiting for an answer",
            (TicketStatus::Answered, Lang::Tr) => "yanıtlandı",
            (TicketStatus::Answered, Lang::En) => "answered",
            (TicketStatus::Closed, Lang::Tr) => "kapatıldı",
            (TicketStatus::Closed, Lang::En) => "closed",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    Question,
    Answer,
    FollowUp,
    Take,
    Close,
    Delivered,
    Undeliverable,
    /// A file relayed with the ticket, by the person or by staff (see the author).
    File,
    /// The person erased their data; the ticket was closed for it.
    Erased,
    /// Staff linked the question to the node that answers it (a learned phrasing).
    Linked,
}

impl EventKind {
    pub fn code(self) -> &'static str {
        match self {
            EventKind::Question => "question",
            EventKind::Answer => "answer",
            EventKind::FollowUp => "follow_up",
            EventKind::Take => "take",
            EventKind::Close => "close",
            EventKind::Delivered => "delivered",
            EventKind::Undeliverable => "undeliverable",
            EventKind::File => "file",
            EventKind::Erased => "erased",
            EventKind::Linked => "linked",
        }
    }

    pub fn parse(s: &str) -> Option<EventKind> {
        [
            EventKind::Question,
            EventKind::Answer,
            EventKind::FollowUp,
            EventKind::Take,
            EventKind::Close,
            EventKind::Delivered,
            EventKind::Undeliverable,
            EventKind::File,
            EventKind::Erased,
            EventKind::Linked,
        ]
        .into_iter()
        .find(|x| x.code() == s)
    }
}

/// A question as a person may send it: 1–2,000 characters of text. Longer questions are
/// asked to be shortened: staff answer better when the question is to the point, and
/// the staff post must fit one Telegram message with its context.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct QuestionText(String);

pub const MAX_QUESTION_CHARS: usize = 2000;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum QuestionError {
    Empty,
    TooLong(usize),
}

impl QuestionText {
    pub fn parse(input: &str) -> Result<QuestionText, QuestionError> {
        let cleaned = crate::dialogue::render::printable(input);
        let text = cleaned.trim();
        let n = text.chars().count();
        if n == 0 {
            return Err(QuestionError::Empty);
        }
        if n > MAX_QUESTION_CHARS {
            return Err(QuestionError::TooLong(n));
        }
        Ok(QuestionText(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for QuestionText {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        QuestionText::parse(&s).map_err(|e| format!("{e:?}"))
    }
}

impl From<QuestionText> for String {
    fn from(q: QuestionText) -> String {
        q.0
    }
}

/// A matcher candidate kept with a ticket, so staff see what the bot already tried.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Candidate {
    pub id: String,
    pub score: f32,
}

#[derive(Clone, Debug)]
pub struct Ticket {
    pub id: TicketId,
    pub user: UserId,
    pub first_name: String,
    pub lang: Lang,
    pub question: String,
    pub context_node: Option<String>,
    pub context_matches: Vec<Candidate>,
    pub status: TicketStatus,
    pub taken_by: Option<(i64, String)>,
    pub created_at: Timestamp,
    pub last_activity_at: Timestamp,
    pub first_answered_at: Option<Timestamp>,
    pub staff_reminded_at: Option<Timestamp>,
}

impl Ticket {
    /// Whether the ticket's person is gone: they erased their data, or the ticket was
    /// anonymised after the retention period. Nothing can be sent to them.
    pub fn erased(&self) -> bool {
        self.user <= crate::ids::UserId(0)
    }
}

#[derive(Clone, Debug)]
pub struct TicketEvent {
    /// In order of recording.
    pub id: i64,
    pub at: Timestamp,
    pub kind: EventKind,
    pub author: Option<(i64, String)>,
    pub text: Option<String>,
}

/// Who acts on a ticket: a staff member, its person, or the command line.
#[derive(Clone, Debug)]
pub struct Actor {
    pub id: i64,
    pub name: String,
}

/// What staff send a person as an answer.
#[derive(Clone, Debug)]
pub enum Answer {
    Text(String),
    /// A file relayed as it is, with what it is and its caption.
    File {
        of: crate::ids::MessageRef,
        label: String,
        caption: Option<String>,
    },
}

/// A file someone sent, as it can be relayed (copied) to the other side of a ticket.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attachment {
    pub of: crate::ids::MessageRef,
    pub kind: FileKind,
    /// The caption typed with it, cleaned.
    pub caption: Option<String>,
}

/// The kinds of file a ticket carries. Stickers, polls, locations and the like are not
/// relayed: they say nothing staff can answer, or cannot be copied.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "name", rename_all = "snake_case")]
pub enum FileKind {
    Document(Option<String>),
    Photo,
    Video,
    Audio(Option<String>),
    Voice,
}

impl FileKind {
    /// "document «form.pdf»", in the language given.
    pub fn label(&self, lang: Lang) -> String {
        let named = |what: &str, name: &Option<String>| match name {
            Some(n) => format!("{what} «{}»", crate::dialogue::render::printable(n)),
            None => what.to_owned(),
        };
        match (self, lang) {
            (FileKind::Document(n), Lang::Tr) => named("belge", n),
            (FileKind::Document(n), Lang::En) => named("document", n),
            (FileKind::Photo, Lang::Tr) => "fotoğraf".to_owned(),
            (FileKind::Photo, Lang::En) => "photo".to_owned(),
            (FileKind::Video, Lang::Tr) => "video".to_owned(),
            (FileKind::Video, Lang::En) => "video".to_owned(),
            (FileKind::Audio(n), Lang::Tr) => named("ses dosyası", n),
            (FileKind::Audio(n), Lang::En) => named("audio", n),
            (FileKind::Voice, Lang::Tr) => "sesli mesaj".to_owned(),
            (FileKind::Voice, Lang::En) => "voice message".to_owned(),
        }
    }
}

/// What a person asks, with what the bot knew when they asked.
#[derive(Clone, Debug)]
pub struct NewTicket {
    pub user: UserId,
    pub first_name: String,
    pub lang: Lang,
    pub question: QuestionText,
    pub context_node: Option<String>,
    pub context_matches: Vec<Candidate>,
    /// Files sent while writing the question, relayed after it.
    pub attachments: Vec<Attachment>,
}

/// The daily-limit tag of a person: HMAC-SHA-256 of their id under the day's key, in
/// hex. Without the key (kept one day) the tag cannot be tied back to an id.
pub fn quota_tag(key: &[u8], user: UserId) -> String {
    use hmac::{Hmac, Mac};
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(key).expect("HMAC takes a key of any length");
    mac.update(&user.0.to_be_bytes());
    mac.finalize().into_bytes().iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn questions_are_bounded_and_cleaned() {
        assert_eq!(
            QuestionText::parse("  soru \u{7}\n devam ").unwrap().as_str(),
            "soru \n devam"
        );
        assert_eq!(QuestionText::parse(" \n "), Err(QuestionError::Empty));
        assert_eq!(
            QuestionText::parse(&"a".repeat(2001)),
            Err(QuestionError::TooLong(2001))
        );
        assert!(QuestionText::parse(&"ş".repeat(2000)).is_ok());
    }
}
