//! What to say back: a message with its buttons, where it goes, and the few replies
//! every workflow gives alike.

use super::{Place, ReplyIn, ui};
use crate::dialogue::render::escape_html;
use crate::dialogue::{MAIN, NodeId};
use crate::ids::UserId;
use crate::lang::Lang;
use crate::message::{Button, Callback, Document, FormPress, OutMessage, to};
use crate::text::shorten;

/// Where a reply goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Placement {
    /// A new message.
    New,
    /// In place of the message whose button was pressed, so menus do not flood the chat.
    Replace,
}

/// One message to show: Telegram HTML (user text already escaped), rows of buttons,
/// perhaps a file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reply {
    pub html: String,
    pub keyboard: Vec<Vec<Button>>,
    pub placement: Placement,
    pub document: Option<Document>,
}

impl Reply {
    pub fn new(html: impl Into<String>, keyboard: Vec<Vec<Button>>) -> Reply {
        Reply {
            html: html.into(),
            keyboard,
            placement: Placement::New,
            document: None,
        }
    }

    pub fn with_keyboard(mut self, keyboard: Vec<Vec<Button>>) -> Reply {
        self.keyboard = keyboard;
        self
    }

    pub fn placed(mut self, placement: Placement) -> Reply {
        self.placement = placement;
        self
    }

    /// The reply as an outbox message to `to`'s chat (`Recipient::Staff` in the staff
    /// chat, which Telegram may move).
    pub fn to_message(&self, to: ReplyIn, place: Place) -> OutMessage {
        let recipient = match place {
            Place::StaffChat(_) => crate::message::Recipient::Staff,
            Place::Private => crate::message::Recipient::Chat(to.chat),
        };
        let mut m = OutMessage::new(recipient, self.html.clone());
        m.keyboard = self.keyboard.clone();
        m.document = self.document.clone();
        if self.placement == Placement::Replace {
            m.edit = to.pressed.map(|message| crate::ids::MessageRef::new(to.chat, message));
        }
        m
    }

    /// Puts a short notice (in italics) above the message.
    pub fn with_notice(mut self, notice: &str) -> Reply {
        self.html = format!("<i>{}</i>\n\n{}", escape_html(notice), self.html);
        self
    }
}

/// "Main menu".
pub fn main_button(lang: Lang) -> Button {
    to(
        ui::main_menu(lang),
        Callback::Node(NodeId::parse(MAIN).expect("main is a valid id")),
    )
}

/// A button of the form or flow in progress: pressing it tells the flow `press` (every
/// step-by-step form shares this, and the way out below).
pub fn flow_button(label: &str, press: FormPress) -> Button {
    to(label, Callback::Flow(press))
}

/// "✖️ Cancel", leaving the form or flow in progress.
pub fn cancel_row(lang: Lang) -> Vec<Button> {
    vec![flow_button(ui::cancel(lang), FormPress::Cancel)]
}

/// A short message with the way back to the main menu.
pub fn notice(lang: Lang, html: &str) -> Reply {
    Reply::new(html, vec![vec![main_button(lang)]])
}

/// A reply to staff without the main-menu button, which means nothing in a group.
pub fn staff_reply(html: &str) -> Reply {
    Reply::new(html, Vec::new())
}

/// The longest name shown for a person: names go into staff posts and notes.
const MAX_NAME_CHARS: usize = 64;

/// A person's name as the bot shows it: without control or direction-override
/// characters (which would reverse a staff post's line), on one line, shortened; their
/// id when nothing printable is left.
pub fn display_name(name: &str, user: UserId) -> String {
    let cleaned = crate::dialogue::render::printable(name)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    let cleaned: String = cleaned
        .chars()
        .filter(|c| !matches!(c, '\u{200B}'..='\u{200F}' | '\u{061C}' | '\u{FEFF}'))
        .collect();
    if cleaned.trim().is_empty() {
        format!("#{user}")
    } else {
        shorten(&cleaned, MAX_NAME_CHARS)
    }
}
