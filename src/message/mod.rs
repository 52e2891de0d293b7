//! What the bot says, independent of how it is delivered: text in Telegram's HTML
//! subset, rows of buttons, an optional file. The engine produces these; the adapters
//! and the outbox deliver them (the Telegram adapter cuts what is too long for one
//! message).

mod callback;
pub mod form;

pub use callback::{Audience, Callback, SessionVerb, TicketVerb};
pub use form::FormPress;

use crate::ids::{ChatId, MessageRef};
use crate::tickets::TicketId;
use serde::{Deserialize, Serialize};

/// What pressing a button does: something for the bot (by meaning; each adapter
/// encodes it its own way), or opening a web page.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Target {
    Callback(Callback),
    Url(String),
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Button {
    pub label: String,
    pub target: Target,
}

impl Button {
    pub fn callback(label: impl Into<String>, callback: Callback) -> Button {
        Button {
            label: label.into(),
            target: Target::Callback(callback),
        }
    }
}

/// A button that tells the bot `callback` when pressed.
pub fn to(label: &str, callback: Callback) -> Button {
    Button::callback(label, callback)
}

/// A file sent with a message (an `.ics` invitation, a CSV list).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Document {
    pub name: String,
    pub bytes: Vec<u8>,
}

/// Who an outbox message is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Recipient {
    /// A chat: a person's private chat (its id is the person's user id).
    Chat(ChatId),
    /// The staff chat, whatever its id is when the message is sent.
    Staff,
}

/// What to record once Telegram has accepted or refused a message.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Purpose {
    /// A ticket's post in the staff chat: staff replies to it answer the ticket.
    TicketPost { ticket: TicketId },
    /// Staff's answer to the person: staff are told whether it arrived, and the
    /// person's reply to it is a follow-up.
    TicketAnswer { ticket: TicketId },
}

impl Purpose {
    pub fn ticket(self) -> TicketId {
        match self {
            Purpose::TicketPost { ticket } | Purpose::TicketAnswer { ticket } => ticket,
        }
    }
}

/// A message owed to someone outside the current conversation turn: to a promoted
/// person, a reminder, a ticket's post or answer. Stored in the outbox before it is
/// sent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutMessage {
    pub to: Recipient,
    pub html: String,
    pub keyboard: Vec<Vec<Button>>,
    pub document: Option<Document>,
    /// Sent as a reply to this ticket's first post in the staff chat.
    pub reply_to_ticket: Option<TicketId>,
    pub purpose: Option<Purpose>,
    /// The ticket this message is about, whatever it is: an erasure removes every
    /// message about the person's tickets, and a split post keeps leading to its ticket.
    pub ticket: Option<TicketId>,
    /// Relay this message (a file, with `html` as its new caption) instead of sending
    /// text.
    pub copy: Option<MessageRef>,
    /// Not sent after this moment (a reminder of a deadline), however long Telegram
    /// was unreachable.
    pub not_after: Option<jiff::Timestamp>,
    /// Shown in place of this message (the menu whose button was pressed), so menus do
    /// not flood the chat; sent anew when it can no longer be edited.
    pub edit: Option<MessageRef>,
}

impl OutMessage {
    pub fn new(to: Recipient, html: impl Into<String>) -> OutMessage {
        OutMessage {
            to,
            html: html.into(),
            keyboard: Vec::new(),
            document: None,
            reply_to_ticket: None,
            purpose: None,
            ticket: None,
            copy: None,
            not_after: None,
            edit: None,
        }
    }

    /// Not to be sent after `t`.
    pub fn not_after(mut self, t: jiff::Timestamp) -> OutMessage {
        self.not_after = Some(t);
        self
    }

    /// Marks the message as being about this ticket.
    pub fn about_ticket(mut self, ticket: TicketId) -> OutMessage {
        self.ticket = Some(ticket);
        self
    }

    /// Relays the message `of` with this caption.
    pub fn copying(mut self, of: MessageRef) -> OutMessage {
        self.copy = Some(of);
        self
    }

    pub fn with_keyboard(mut self, keyboard: Vec<Vec<Button>>) -> OutMessage {
        self.keyboard = keyboard;
        self
    }

    pub fn with_document(mut self, document: Document) -> OutMessage {
        self.document = Some(document);
        self
    }

    pub fn replying_to_ticket(mut self, ticket: TicketId) -> OutMessage {
        self.reply_to_ticket = Some(ticket);
        self.ticket = Some(ticket);
        self
    }

    pub fn with_purpose(mut self, purpose: Purpose) -> OutMessage {
        self.purpose = Some(purpose);
        self.ticket = Some(purpose.ticket());
        self
    }
}
