//! What every workflow's chat speaks: who is talking and where (`Person`, `Place`,
//! `Context`), what they did (`Event`), their state during one event (`Turn`, with the
//! `Desk` of shared services), and what to say back (`Reply`). The engine, the kernel
//! above, makes a `Turn` for each event and routes it to the workflow that handles it.

mod command;
mod desk;
pub mod flow;
mod reply;
mod turn;
pub mod ui;

pub use command::{COMMANDS, Command, STAFF_COMMANDS, id_arg};
pub(crate) use desk::desk_index;
pub use desk::{DeepLink, Desk, Learned, LinkMaker, Settings};
pub use flow::Flow;
pub use reply::{Placement, Reply, cancel_row, display_name, flow_button, main_button, notice, staff_reply};
pub use turn::Turn;

use crate::ids::{UpdateId, UserId};
use crate::lang::Lang;
use crate::message::{Audience, Callback};
use crate::storage::StoreError;
use crate::tickets::TicketId;

/// Who is talking: their Telegram (or console) user id, and the language their client
/// reports, used until they choose one with /language.
#[derive(Clone, Copy, Debug)]
pub struct Person {
    pub user: UserId,
    pub lang_hint: Lang,
}

/// Where an event happened.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Place {
    /// The person's private chat with the bot (or the console).
    Private,
    /// The staff group, whose id this is.
    StaffChat(i64),
}

/// What an adapter knows about an event besides the person: where it happened, the
/// person's name (shown to staff on tickets), the ticket of the message it replies to,
/// and the update it came in.
#[derive(Clone, Debug)]
pub struct Context {
    pub place: Place,
    pub first_name: String,
    /// The ticket whose message this replies to (the adapter knows which messages
    /// belong to which ticket).
    pub reply_to_ticket: Option<TicketId>,
    /// The update this event came in: an update delivered again is not handled twice.
    pub update: Option<UpdateId>,
    /// The adapter already let this event past flood control (`Engine::admit`).
    pub admitted: bool,
    /// Where the replies go when the adapter delivers them through the outbox: they are
    /// then queued in the same transaction as the change they answer, so a crash after
    /// the commit still delivers them, and one before leaves nothing half done.
    pub reply_in: Option<ReplyIn>,
}

/// The chat an event's replies go to, and the message whose button was pressed (a
/// reply placed `Replace` is shown in its place).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReplyIn {
    pub chat: crate::ids::ChatId,
    pub pressed: Option<crate::ids::MessageId>,
}

impl Default for Context {
    fn default() -> Context {
        Context {
            place: Place::Private,
            first_name: String::new(),
            reply_to_ticket: None,
            update: None,
            admitted: false,
            reply_in: None,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    /// Typed text, commands included.
    Text(String),
    /// A button pressed: what it means, or `None` for a button the bot does not know
    /// (an old one, or hand-made data).
    Press(Option<Callback>),
    /// A document, photo, video or voice message: relayed with a question for staff or
    /// an answer from staff, not read.
    File(crate::tickets::Attachment),
    /// A sticker, poll, location…: something the bot neither reads nor relays.
    Unsupported,
    /// An adapter (re)connects to a person: show where they were.
    Resume,
}

impl Event {
    /// Who may send it: a staff command or a staff button is for staff.
    pub fn audience(&self) -> Audience {
        match self {
            Event::Text(text) => Command::parse(text).map_or(Audience::Anyone, |c| c.audience()),
            Event::Press(Some(pressed)) => pressed.audience(),
            Event::Press(None) | Event::File(_) | Event::Unsupported | Event::Resume => Audience::Anyone,
        }
    }
}

/// Why an event could not be handled. The person gets a plain apology; the log gets
/// this.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// The database failed (which query is in the error).
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Matching a question failed (its thread panicked or the runtime is stopping).
    #[error("could not match a question: {0}")]
    Matching(String),
    /// Drawing a file (a certificate, a QR code, a chart, a workbook) failed.
    #[error("could not draw a file: {0}")]
    Render(String),
}
