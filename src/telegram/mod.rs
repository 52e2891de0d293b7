//! The Telegram adapter: updates in (kept, then handled chat by chat), engine events
//! through, messages out. `run.rs` starts and stops the bot, `intake.rs` takes updates
//! (polling or the webhook) and hands them to their chat's line, `handlers.rs` turns an
//! update into engine events, `outbox.rs` delivers every message owed (replies
//! included), `fanout.rs` the alerts, `pace.rs` keeps Telegram's limits for both, and
//! `api.rs`/`sender.rs` talk to Telegram.

mod address;
mod api;
pub mod callback_data;
pub mod deep_link;
mod fanout;
mod handlers;
mod intake;
mod keyboard;
mod outbox;
mod pace;
mod run;
mod sender;
pub mod split;
pub mod staff_chat;
mod webhook;

pub use api::{BotName, TokenRefused};
pub use run::{Hangups, Mode, listen_for_hangups, register_commands, run, run_in, run_with};
pub(crate) use sender::transient;
pub use sender::{Sender, bot, username};
