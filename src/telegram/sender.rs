//! Talking to Telegram: one request each, answered at once (a server error included);
//! pacing and retries belong to whoever sends (the outbox, the alerts' delivery).

use super::api::Api;
use crate::config::{Config, ConfigError};
use crate::message::Document;
use serde_json::json;
use teloxide::prelude::*;
use teloxide::types::{InlineKeyboardMarkup, Message, MessageId};
use teloxide::{ApiError, RequestError};

/// Telegram's limit on a caption, in UTF-16 code units.
const CAPTION_LIMIT: usize = 1024;

/// The longest wait between two attempts at one message.
const MAX_BACKOFF: jiff::SignedDuration = jiff::SignedDuration::from_mins(15);

/// `first` doubled `attempts` times, at most 15 minutes, between half and all of it:
/// how long a sender waits after a failure before trying the same message again.
pub(super) fn jittered(first: std::time::Duration, attempts: u32) -> jiff::SignedDuration {
    let full = first
        .saturating_mul(1 << attempts.min(16))
        .min(MAX_BACKOFF.unsigned_abs());
    let mut byte = [0u8; 2];
    let _ = getrandom::getrandom(&mut byte);
    let share = 0.5 + f64::from(u16::from_le_bytes(byte)) / f64::from(u16::MAX) / 2.0;
    jiff::SignedDuration::try_from(full.mul_f64(share)).unwrap_or(MAX_BACKOFF)
}

/// What the adapter sends through: eudesk's own requests (see `api`).
#[derive(Clone, Debug)]
pub struct Sender {
    api: Api,
}

/// `reply_parameters` for a reply that is sent anyway if the message it answers is gone.
fn reply_to(id: Option<MessageId>) -> Option<serde_json::Value> {
    id.map(|id| json!({"message_id": id.0, "allow_sending_without_reply": true}))
}

impl Sender {
    pub fn new(bot: &Bot) -> Sender {
        Sender { api: Api::new(bot) }
    }

    pub(super) async fn send(
        &self,
        chat: ChatId,
        html: &str,
        markup: Option<InlineKeyboardMarkup>,
    ) -> Result<MessageId, RequestError> {
        self.send_reply(chat, html, markup, None).await
    }

    /// Sends a message, as a reply to `reply_to` when given (and anyway if that message
    /// is gone).
    pub(super) async fn send_reply(
        &self,
        chat: ChatId,
        html: &str,
        markup: Option<InlineKeyboardMarkup>,
        reply: Option<MessageId>,
    ) -> Result<MessageId, RequestError> {
        let params = json!({
            "chat_id": chat.0,
            "text": html,
            "parse_mode": "HTML",
            "reply_markup": markup,
            "reply_parameters": reply_to(reply),
        });
        let sent: Message = self.api.call("sendMessage", &strip_nulls(params)).await?;
        Ok(sent.id)
    }

    pub(super) async fn edit(
        &self,
        chat: ChatId,
        message: MessageId,
        html: &str,
        markup: Option<InlineKeyboardMarkup>,
    ) -> Result<(), RequestError> {
        let params = json!({
            "chat_id": chat.0,
            "message_id": message.0,
            "text": html,
            "parse_mode": "HTML",
            "reply_markup": markup,
        });
        // A message (or `true` for an inline message): only success matters.
        let _: serde_json::Value = self.api.call("editMessageText", &strip_nulls(params)).await?;
        Ok(())
    }

    /// Sends a file with `caption` under it (or before it, when too long for a caption).
    pub(super) async fn send_document(
        &self,
        chat: ChatId,
        document: &Document,
        caption: &str,
    ) -> Result<MessageId, RequestError> {
        // Telegram refuses a caption over 1,024 characters: a longer text goes first,
        // as messages of its own, and the file follows without one.
        let caption = if caption.encode_utf16().count() > CAPTION_LIMIT {
            for piece in super::split::split_html(caption, super::split::TELEGRAM_LIMIT) {
                self.send(chat, &piece, None).await?;
            }
            ""
        } else {
            caption
        };
        let file = reqwest::multipart::Part::bytes(document.bytes.clone()).file_name(document.name.clone());
        let mut form = reqwest::multipart::Form::new()
            .text("chat_id", chat.0.to_string())
            .text("parse_mode", "HTML")
            .part("document", file);
        if !caption.is_empty() {
            form = form.text("caption", caption.to_owned());
        }
        let sent: Message = self.api.call_multipart("sendDocument", form).await?;
        Ok(sent.id)
    }

    /// Relays a message (a file) as it is, with a new caption and buttons.
    pub(super) async fn copy(
        &self,
        chat: ChatId,
        of: crate::ids::MessageRef,
        caption: &str,
        markup: Option<InlineKeyboardMarkup>,
        reply: Option<MessageId>,
    ) -> Result<MessageId, RequestError> {
        #[derive(serde::Deserialize)]
        struct Copied {
            message_id: i32,
        }
        let params = json!({
            "chat_id": chat.0,
            "from_chat_id": of.chat.0,
            "message_id": of.message.0,
            "caption": caption,
            "parse_mode": "HTML",
            "reply_markup": markup,
            "reply_parameters": reply_to(reply),
        });
        let copied: Copied = self.api.call("copyMessage", &strip_nulls(params)).await?;
        Ok(MessageId(copied.message_id))
    }

    /// Answers a button press, with a short notice on the person's screen when given.
    pub(super) async fn answer_callback_with(
        &self,
        id: teloxide::types::CallbackQueryId,
        text: Option<&str>,
    ) -> Result<(), RequestError> {
        let params = json!({"callback_query_id": id.0, "text": text});
        let _: bool = self.api.call("answerCallbackQuery", &strip_nulls(params)).await?;
        Ok(())
    }
}

/// Leaves out the parameters that are not given (`null` is not "absent" to every
/// server).
fn strip_nulls(mut value: serde_json::Value) -> serde_json::Value {
    if let serde_json::Value::Object(map) = &mut value {
        map.retain(|_, v| !v.is_null());
    }
    value
}

/// Whether a failed request may succeed if simply made again: a dropped connection, a
/// proxy's HTML error page, or a server error. Telegram answers server errors as JSON
/// too (`{"ok":false,"error_code":502,"description":"Bad Gateway"}`), read as an unknown
/// error with the bare HTTP reason phrase, while every refusal of the request itself
/// starts "Bad Request:", "Forbidden:" and so on.
pub(crate) fn transient(err: &RequestError) -> bool {
    match err {
        RequestError::Network(_) | RequestError::Io(_) | RequestError::InvalidJson { .. } => true,
        RequestError::Api(ApiError::Unknown(description)) => {
            const SERVER_ERRORS: [&str; 4] = [
                "Internal Server Error",
                "Bad Gateway",
                "Service Unavailable",
                "Gateway Timeout",
            ];
            SERVER_ERRORS.iter().any(|e| description.starts_with(e))
        }
        _ => false,
    }
}

/// Failures after which the message surely did not reach Telegram, so sending it again
/// cannot make a second copy: no connection, a proxy's HTML error page, a server error
/// answered by Telegram.
pub(crate) fn surely_not_delivered(err: &RequestError) -> bool {
    match err {
        RequestError::Network(e) => e.is_connect(),
        RequestError::InvalidJson { raw, .. } => raw.trim_start().starts_with('<'),
        RequestError::Api(_) => transient(err),
        _ => false,
    }
}

/// A bot for the configured token and API URL.
pub fn bot(config: &Config) -> Result<Bot, ConfigError> {
    let mut bot = Bot::new(config.require_token()?);
    if let Some(url) = &config.api_url {
        bot = bot.set_api_url(url.clone());
    }
    Ok(bot)
}

/// The bot's username, asked of Telegram with the configured token (for deep links
/// made on the command line).
pub async fn username(config: &Config) -> anyhow::Result<String> {
    use anyhow::Context;
    let bot = bot(config).context("the deep link needs the bot's username, which Telegram tells for TELOXIDE_TOKEN")?;
    let me = bot
        .get_me()
        .await
        .context("could not ask Telegram for the bot's username (is TELOXIDE_TOKEN right, and the network up?)")?;
    Ok(me.username().to_owned())
}
