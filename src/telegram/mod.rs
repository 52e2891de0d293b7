//! The teloxide adapter: Telegram updates in, engine events through, messages out.
//! `run.rs` starts and stops the bot, `handlers.rs` turns updates into engine events
//! and replies into messages, `sender.rs` talks to Telegram (with retries), `outbox.rs`
//! delivers what the core owes people.

pub mod callback_data;
pub mod deep_link;
mod fanout;
mod handlers;
mod outbox;
mod run;
mod sender;
pub mod split;
pub mod staff_chat;
mod webhook;

pub use handlers::{dispatcher, schema};
pub use run::{BotName, Mode, TokenRefused, register_commands, run, run_in};
pub(crate) use sender::transient;
pub use sender::{Sender, bot};
