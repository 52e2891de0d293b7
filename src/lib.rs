//! eudesk: the Telegram assistant of the Izmir Governorship's EU and Foreign Relations
//! Office. The core (dialogue, matching, engine) knows nothing of Telegram; the
//! adapters (telegram, console) and the storage sit around it.

pub mod cli;
pub mod clock;
pub mod config;
pub mod console;
pub mod conversation;
pub mod dialogue;
pub mod engine;
pub mod flood;
pub mod ids;
pub mod lang;
pub mod matching;
pub mod message;
pub mod opportunities;
pub mod privacy;
pub mod render;
pub mod scheduler;
pub mod stats;
pub mod storage;
pub mod telegram;
pub mod telemetry;
pub mod text;
pub mod tickets;
pub mod trainings;
