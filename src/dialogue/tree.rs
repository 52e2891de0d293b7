//! The checked dialogue tree: what the rest of eudesk works with. Every value here has
//! passed `load`, so a node always has both languages and its children always exist.

use super::survey::Survey;
use super::vocabulary::Vocabulary;
use crate::lang::{Lang, Localized};
use jiff::civil::Date;
use std::collections::HashMap;
use std::fmt;
use std::path::PathBuf;

/// Telegram's limit on callback data is 64 bytes; a node is addressed by `n:<id>`, so an
/// id may take 62.
pub const MAX_ID_BYTES: usize = 62;

/// The id of the main menu, where every conversation starts.
pub const MAIN: &str = "main";

/// A node's id: lowercase ASCII letters, digits, `.`, `_` and `-`, short enough for
/// Telegram's callback data. Saved conversations name these, never button labels.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct NodeId(String);

/// Why a text is not a node id; each says how to fix it.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum NodeIdError {
    #[error("the id is empty; give the node a name such as \"pcm.logframe\"")]
    Empty,
    #[error(
        "id \"{id}\" contains '{bad}'; use only lowercase letters a-z, digits and . _ - (no Turkish letters or spaces)"
    )]
    BadCharacter { id: String, bad: char },
    #[error(
        "id \"{id}\" is {len} bytes long; Telegram's callback data allows 64 bytes, so ids may have at most {MAX_ID_BYTES}: shorten it"
    )]
    TooLong { id: String, len: usize },
}

impl NodeId {
    pub fn parse(s: &str) -> Result<NodeId, NodeIdError> {
        if s.is_empty() {
            return Err(NodeIdError::Empty);
        }
        if let Some(bad) = s
            .chars()
            .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-')))
        {
            return Err(NodeIdError::BadCharacter { id: s.to_owned(), bad });
        }
        if s.len() > MAX_ID_BYTES {
            return Err(NodeIdError::TooLong {
                id: s.to_owned(),
                len: s.len(),
            });
        }
        Ok(NodeId(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for NodeId {
    type Error = NodeIdError;
    fn try_from(s: String) -> Result<NodeId, NodeIdError> {
        NodeId::parse(&s)
    }
}

impl From<NodeId> for String {
    fn from(id: NodeId) -> String {
        id.0
    }
}

impl fmt::Display for NodeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// What a node can start besides showing its text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    RegisterTraining,
    AskStaff,
}

impl Action {
    pub const NAMES: &[&str] = &["register_training", "ask_staff"];

    pub fn parse(s: &str) -> Option<Action> {
        match s {
            "register_training" => Some(Action::RegisterTraining),
            "ask_staff" => Some(Action::AskStaff),
            _ => None,
        }
    }
}

#[derive(Clone, Debug)]
pub struct Link {
    pub label: Localized<String>,
    pub url: String,
}

#[derive(Clone, Debug)]
pub struct Node {
    pub id: NodeId,
    pub label: Localized<String>,
    /// The text as its author wrote it, with `{contact}` filled in: for matching and
    /// for terminals.
    pub plain: Localized<String>,
    /// The same text as Telegram HTML, rendered once at load.
    pub html: Localized<String>,
    pub children: Vec<NodeId>,
    pub links: Vec<Link>,
    pub ask: Localized<Vec<String>>,
    pub action: Option<Action>,
    /// Whether free-text questions may be answered with this node.
    pub matchable: bool,
    pub sources: Vec<String>,
    /// When the facts were last checked: the node's own date, else its file's.
    pub reviewed: Option<Date>,
    pub file: PathBuf,
    /// The first menu (breadth-first from `main`) that lists this node: where "Back" goes.
    pub parent: Option<NodeId>,
}

/// The office's contact details, from the one `[contact]` table. Empty means unknown.
#[derive(Clone, Debug, Default)]
pub struct Contact {
    pub address: String,
    pub phone: String,
    pub email: String,
    pub hours: String,
    pub web: String,
    /// When staff usually answer a question sent through the bot, if the office said.
    pub response_time: Option<Localized<String>>,
}

impl Contact {
    /// The contact block that replaces `{contact}` in texts: only the details that are
    /// known, or, while none are, a pointer to the staff through this bot.
    pub fn render(&self, lang: Lang) -> String {
        let rows: [(&str, &str, &str); 5] = [
            ("Adres", "Address", &self.address),
            ("Telefon", "Phone", &self.phone),
            ("E-posta", "E-mail", &self.email),
            ("Çalışma saatleri", "Opening hours", &self.hours),
            ("Web", "Web", &self.web),
        ];
        let known: Vec<String> = rows
            .iter()
            .filter(|(_, _, v)| !v.trim().is_empty())
            .map(|(tr, en, v)| {
                let name = if lang == Lang::Tr { tr } else { en };
                format!("{name}: {}", v.trim())
            })
            .collect();
        if known.is_empty() {
            match lang {
                Lang::Tr => "Büronun iletişim bilgileri bu bota henüz eklenmedi. Sorunuzu /ask yazarak bu bot üzerinden büro personeline iletebilirsiniz; yanıt bu sohbete gelir.".into(),
                Lang::En => "The office's contact details have not been added to this bot yet. You can pass your question to the office's staff through this bot by typing /ask; the answer comes to this chat.".into(),
            }
        } else {
            known.join("\n")
        }
    }
}

/// A consent to personal-data processing (KVKK): the one a booking asks for, or the one
/// a subscription to opportunity alerts asks for.
#[derive(Clone, Debug)]
pub struct Consent {
    pub version: String,
    /// Telegram HTML, rendered once at load.
    pub html: Localized<String>,
}

/// A checked tree. Cheap to share: wrap it in an `Arc`.
#[derive(Debug)]
pub struct Tree {
    nodes: Vec<Node>,
    index: HashMap<String, usize>,
    contact: Contact,
    consent: Option<Consent>,
    alerts_consent: Option<Consent>,
    survey: Option<Survey>,
    vocabulary: Vocabulary,
}

impl Tree {
    /// Only `load` builds trees, after every check has passed.
    pub(super) fn new(
        nodes: Vec<Node>,
        contact: Contact,
        consent: Option<Consent>,
        alerts_consent: Option<Consent>,
        survey: Option<Survey>,
    ) -> Tree {
        let index = nodes
            .iter()
            .enumerate()
            .map(|(i, n)| (n.id.as_str().to_owned(), i))
            .collect();
        Tree {
            nodes,
            index,
            contact,
            consent,
            alerts_consent,
            survey,
            vocabulary: Vocabulary::default(),
        }
    }

    pub(super) fn with_vocabulary(mut self, vocabulary: Vocabulary) -> Tree {
        self.vocabulary = vocabulary;
        self
    }

    /// The office's vocabulary (`[vocabulary]`), for the matcher.
    pub fn vocabulary(&self) -> &Vocabulary {
        &self.vocabulary
    }

    pub fn get(&self, id: &str) -> Option<&Node> {
        self.index.get(id).map(|&i| &self.nodes[i])
    }

    pub fn main(&self) -> &Node {
        self.get(MAIN).expect("load guarantees a main node")
    }

    pub fn nodes(&self) -> impl Iterator<Item = &Node> {
        self.nodes.iter()
    }

    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    pub fn contact(&self) -> &Contact {
        &self.contact
    }

    /// Present whenever a node starts a registration (`load` checks it).
    pub fn consent(&self) -> Option<&Consent> {
        self.consent.as_ref()
    }

    /// The consent a subscription to opportunity alerts asks for: the `[alerts_consent]`
    /// table; `None` when no file defines one.
    pub fn alerts_consent(&self) -> Option<&Consent> {
        self.alerts_consent.as_ref()
    }

    /// The feedback survey after a PCM training; `None` when no file defines one.
    pub fn survey(&self) -> Option<&Survey> {
        self.survey.as_ref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn node_ids_accept_lowercase_ascii_with_dots() {
        assert!(NodeId::parse("pcm.logframe").is_ok());
        assert!(NodeId::parse("eu.erasmus_ka1").is_ok());
    }

    #[test]
    fn node_ids_refuse_turkish_letters_spaces_and_uppercase() {
        assert!(NodeId::parse("pcm.çerçeve").unwrap_err().to_string().contains("'ç'"));
        assert!(NodeId::parse("pcm logframe").is_err());
        assert!(NodeId::parse("PCM").is_err());
        assert!(NodeId::parse("").is_err());
    }

    #[test]
    fn node_ids_must_fit_telegram_callback_data() {
        assert!(NodeId::parse(&"a".repeat(MAX_ID_BYTES)).is_ok());
        let err = NodeId::parse(&"a".repeat(MAX_ID_BYTES + 1)).unwrap_err();
        assert!(err.to_string().contains("64 bytes"), "{err}");
    }

    #[test]
    fn unknown_contact_details_point_to_the_staff() {
        let c = Contact::default();
        assert!(c.render(Lang::Tr).contains("/ask"));
        let c = Contact {
            phone: "+90 232 000 00 00".into(),
            ..Contact::default()
        };
        assert_eq!(c.render(Lang::En), "Phone: +90 232 000 00 00");
    }
}
