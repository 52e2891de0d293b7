//! eudesk's integration tests: one binary, one module per feature.

mod check;
mod cli;
mod console;
mod content;
mod conversation;
mod fake_api;
mod helpers;
mod matching;
mod telegram;
