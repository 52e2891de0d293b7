//! Talking to Telegram: throttled or not, with retries where a retry can help.

use crate::config::{Config, ConfigError};
use crate::message::Document;
use teloxide::adaptors::Throttle;
use teloxide::adaptors::throttle::Limits;
use teloxide::prelude::*;
use teloxide::types::{InlineKeyboardMarkup, InputFile, MessageId, ParseMode, ReplyParameters};
use teloxide::{ApiError, RequestError};

/// Telegram's limit on a caption, in UTF-16 code units.
const CAPTION_LIMIT: usize = 1024;

/// What the handlers send through: throttled to Telegram's limits, or not (a local Bot
/// API server, benchmarks). An enum rather than a generic or an erased requester: the
/// dispatcher needs `Send + Sync`, which `ErasedRequester` is not, and a generic would
/// spread trait bounds over every handler.
#[derive(Clone, Debug)]
pub enum Sender {
    Plain(Bot),
    Throttled(Throttle<Bot>),
}

/// Runs `$e` with `$b` bound to whichever bot the sender holds.
macro_rules! with_bot {
    ($sender:expr, $b:ident => $e:expr) => {
        match $sender {
            Sender::Plain($b) => $e,
            Sender::Throttled($b) => $e,
        }
    };
}

impl Sender {
    pub fn new(bot: Bot, throttle: bool) -> Sender {
        if throttle {
            Sender::Throttled(bot.throttle(Limits::default()))
        } else {
            Sender::Plain(bot)
        }
    }

    /// The same bot without teloxide's pacing, for a sender that paces itself (the
    /// alerts' fan-out): `Throttle` releases waiting requests every 250 ms, so requests
    /// made one after another through it go at four a second.
    pub(super) fn unpaced(&self) -> Sender {
        match self {
            Sender::Plain(b) => Sender::Plain(b.clone()),
            Sender::Throttled(b) => Sender::Plain(b.inner().clone()),
        }
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
        reply_to: Option<MessageId>,
    ) -> Result<MessageId, RequestError> {
        with_bot!(self, b => {
            let mut request = b.send_message(chat, html).parse_mode(ParseMode::Html);
            if let Some(m) = markup {
                request = request.reply_markup(m);
            }
            if let Some(id) = reply_to {
                request = request.reply_parameters(ReplyParameters::new(id).allow_sending_without_reply());
            }
            request.await.map(|m| m.id)
        })
    }

    pub(super) async fn edit(
        &self,
        chat: ChatId,
        message: MessageId,
        html: &str,
        markup: Option<InlineKeyboardMarkup>,
    ) -> Result<(), RequestError> {
        retrying(|| async {
            with_bot!(self, b => {
                let mut request = b.edit_message_text(chat, message, html).parse_mode(ParseMode::Html);
                if let Some(m) = markup.clone() {
                    request = request.reply_markup(m);
                }
                request.await.map(|_| ())
            })
        })
        .await
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
        let file = InputFile::memory(document.bytes.clone()).file_name(document.name.clone());
        with_bot!(self, b => {
            let mut request = b.send_document(chat, file).parse_mode(ParseMode::Html);
            if !caption.is_empty() {
                request = request.caption(caption);
            }
            request.await.map(|m| m.id)
        })
    }

    /// Relays a message (a file) as it is, with a new caption and buttons.
    pub(super) async fn copy(
        &self,
        chat: ChatId,
        of: crate::ids::MessageRef,
        caption: &str,
        markup: Option<InlineKeyboardMarkup>,
        reply_to: Option<MessageId>,
    ) -> Result<MessageId, RequestError> {
        with_bot!(self, b => {
            let mut request = b
                .copy_message(chat, ChatId(of.chat.0), MessageId(of.message.0 as i32))
                .caption(caption)
                .parse_mode(ParseMode::Html);
            if let Some(m) = markup {
                request = request.reply_markup(m);
            }
            if let Some(id) = reply_to {
                request = request.reply_parameters(ReplyParameters::new(id).allow_sending_without_reply());
            }
            request.await
        })
    }

    pub(super) async fn answer_callback(&self, id: teloxide::types::CallbackQueryId) -> Result<(), RequestError> {
        self.answer_callback_with(id, None).await
    }

    /// Answers a button press, with a short notice on the person's screen when given.
    pub(super) async fn answer_callback_with(
        &self,
        id: teloxide::types::CallbackQueryId,
        text: Option<&str>,
    ) -> Result<(), RequestError> {
        retrying(|| async {
            with_bot!(self, b => {
                let mut request = b.answer_callback_query(id.clone());
                if let Some(text) = text {
                    request = request.text(text);
                }
                request.await.map(|_| ())
            })
        })
        .await
    }
}

/// Edits and callback answers, which teloxide's `Throttle` does not pace, and replies
/// in the conversation (their update is already marked handled, so a lost reply would
/// stay lost): when Telegram answers 429, wait as long as it asks (at most 30 seconds);
/// after a dropped connection, a 5xx or an HTML error page, wait 1 s, then 2 s. At
/// most three tries more. A connection dropped after Telegram took the message can
/// make it arrive twice; once twice is better than never.
pub(super) async fn retrying<T, F, Fut>(mut call: F) -> Result<T, RequestError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, RequestError>>,
{
    let mut attempts = 0;
    loop {
        match call().await {
            Err(RequestError::RetryAfter(wait)) if attempts < 3 => {
                attempts += 1;
                tokio::time::sleep(wait.duration().min(std::time::Duration::from_secs(30))).await;
            }
            Err(err) if attempts < 3 && transient(&err) => {
                attempts += 1;
                tokio::time::sleep(std::time::Duration::from_secs(1 << (attempts - 1))).await;
            }
            other => return other,
        }
    }
}

/// Whether a failed request may succeed if simply made again: a dropped connection, a
/// proxy's HTML error page, or a server error. Telegram answers server errors as JSON
/// too (`{"ok":false,"error_code":502,"description":"Bad Gateway"}`); teloxide drops the
/// code and keeps the description, which for 5xx is the bare HTTP reason phrase, while
/// every refusal of the request itself starts "Bad Request:", "Forbidden:" and so on.
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

/// A bot for the configured token and API URL.
pub fn bot(config: &Config) -> Result<Bot, ConfigError> {
    let mut bot = Bot::new(config.require_token()?);
    if let Some(url) = &config.api_url {
        bot = bot.set_api_url(url.clone());
    }
    Ok(bot)
}
