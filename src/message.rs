//! What the bot says, independent of how it is delivered: text in Telegram's HTML
//! subset, rows of buttons, an optional file. The engine produces these; the adapters
//! and the outbox deliver them.

use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Target {
    Callback(String),
    Url(String),
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Button {
    pub label: String,
    pub target: Target,
}

impl Button {
    pub fn callback(label: impl Into<String>, data: impl Into<String>) -> Button {
        Button {
            label: label.into(),
            target: Target::Callback(data.into()),
        }
    }
}

/// A file sent with a message (an `.ics` invitation, a CSV list).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Document {
    pub name: String,
    pub bytes: Vec<u8>,
}

/// A message owed to a chat outside the current conversation turn: to a promoted
/// person, a reminder, a cancellation notice. Stored in the outbox before it is sent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutMessage {
    pub chat: i64,
    pub html: String,
    pub keyboard: Vec<Vec<Button>>,
    pub document: Option<Document>,
}
