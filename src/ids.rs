//! Ids that are easy to swap when they are bare numbers: a chat and a message in that
//! chat are two `i64`s in Telegram, and `(chat, message)` called as `(message, chat)`
//! compiles; so do a person and an opportunity. The ids of tickets, sessions and
//! registrations live with their types.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A chat: a person's private chat with the bot (its id is the person's user id) or a
/// group (negative).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ChatId(pub i64);

/// A person, by their Telegram user id (also the id of their private chat with the bot).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct UserId(pub i64);

impl UserId {
    /// The person's private chat with the bot.
    pub fn chat(self) -> ChatId {
        ChatId(self.0)
    }
}

/// A published opportunity.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct OpportunityId(pub i64);

/// One alert's delivery to its subscribers (a fan-out).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct FanoutId(pub i64);

/// A message, within its chat.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct MessageId(pub i64);

/// One message: which chat, which message in it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct MessageRef {
    pub chat: ChatId,
    pub message: MessageId,
}

impl MessageRef {
    pub fn new(chat: ChatId, message: MessageId) -> MessageRef {
        MessageRef { chat, message }
    }
}

/// A Telegram update's id: increasing, and re-delivered when the bot died before
/// confirming it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct UpdateId(pub u32);

impl fmt::Display for ChatId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl fmt::Display for UserId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl fmt::Display for OpportunityId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl fmt::Display for FanoutId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}
