//! eudesk's integration tests: one binary, one module per feature.

mod alerts;
mod architecture;
mod audience;
mod booking;
mod booking_telegram;
#[path = "../support/bot_api.rs"]
mod bot_api;
mod check;
mod cli;
mod console;
mod content;
mod conversation;
mod delivery;
mod fake_api;
mod faults;
mod group_commit;
mod helpers;
mod hostile;
mod learning;
mod matching;
mod one_path;
mod operations;
mod opportunity_file;
mod privacy;
mod sessions_cli;
mod telegram;
mod tickets;
mod tickets_telegram;
mod training_life;
mod trust;
mod workbook;
