//! The Telegram Bot API's wire protocol, as the loopback fakes speak it.
//!
//! One module for both fakes: the integration tests' (tests/it/fake_api.rs, which
//! records every call and injects faults) and the load benchmark's (benches/load/fake.rs,
//! which keeps no history and drives synthetic people). Included by path from
//! tests/it/main.rs and benches/load.rs. It holds what does not depend on a fake's
//! state:
//!
//! - the server: [`serve`] answers every `POST /bot{token}/{Method}` by handing the
//!   parsed request ([`Incoming`]) to the fake (a [`Backend`]) and sending back its
//!   [`Reply`], which may also be to cut the connection without a word;
//! - requests: the path, canonical method names (the real API ignores their case;
//!   teloxide sends `SendMessage`), JSON, urlencoded and multipart bodies (files become
//!   `{"filename", "bytes_len"}`, `attach://id` references are resolved) and query
//!   parameters;
//! - answers: the JSON of the bot (`getMe`), users, chats, messages (what a send or an
//!   edit does to a message), callback queries and errors;
//! - the long poll of `getUpdates` ([`LongPoll`]).
//!
//! The fakes speak raw JSON on purpose: building the wire format by hand (and checking
//! in the tests that teloxide parses it) catches mismatches that sharing teloxide's own
//! types would hide.

#![allow(dead_code)]

use std::{
    collections::HashMap,
    future::Future,
    net::SocketAddr,
    pin::Pin,
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    task::{Context as TaskContext, Poll},
    time::{Duration, SystemTime, UNIX_EPOCH},
};

use axum::{
    Router,
    body::Body,
    extract::{ConnectInfo, Query, Request, State as AxumState},
    http::{StatusCode, Uri, header},
    response::{IntoResponse, Response},
};
use serde::de::DeserializeOwned;
use serde_json::{Map, Value, json};
use tokio::sync::Notify;

/// Id of the bot user returned by `getMe` and used as `from` of bot messages.
pub const BOT_ID: i64 = 4242;
/// First name of the bot user.
pub const BOT_FIRST_NAME: &str = "eudesk";

// ---------------------------------------------------------------------------
// Method names

/// Methods that answer a bare `true` (Bot API 10.1 methods returning Boolean).
pub const TRUE_METHODS: &[&str] = &[
    "setWebhook",
    "deleteWebhook",
    "logOut",
    "close",
    "sendMessageDraft",
    "sendChatAction",
    "setMessageReaction",
    "setUserEmojiStatus",
    "banChatMember",
    "unbanChatMember",
    "restrictChatMember",
    "promoteChatMember",
    "setChatAdministratorCustomTitle",
    "setChatMemberTag",
    "banChatSenderChat",
    "unbanChatSenderChat",
    "setChatPermissions",
    "approveChatJoinRequest",
    "declineChatJoinRequest",
    "answerChatJoinRequestQuery",
    "sendChatJoinRequestWebApp",
    "setChatPhoto",
    "deleteChatPhoto",
    "setChatTitle",
    "setChatDescription",
    "pinChatMessage",
    "unpinChatMessage",
    "unpinAllChatMessages",
    "leaveChat",
    "setChatStickerSet",
    "deleteChatStickerSet",
    "editForumTopic",
    "closeForumTopic",
    "reopenForumTopic",
    "deleteForumTopic",
    "unpinAllForumTopicMessages",
    "editGeneralForumTopic",
    "closeGeneralForumTopic",
    "reopenGeneralForumTopic",
    "hideGeneralForumTopic",
    "unhideGeneralForumTopic",
    "unpinAllGeneralForumTopicMessages",
    "answerCallbackQuery",
    "setManagedBotAccessSettings",
    "setMyCommands",
    "deleteMyCommands",
    "setMyName",
    "setMyDescription",
    "setMyShortDescription",
    "setMyProfilePhoto",
    "removeMyProfilePhoto",
    "setChatMenuButton",
    "setMyDefaultAdministratorRights",
    "sendGift",
    "giftPremiumSubscription",
    "verifyUser",
    "verifyChat",
    "removeUserVerification",
    "removeChatVerification",
    "readBusinessMessage",
    "deleteBusinessMessages",
    "setBusinessAccountName",
    "setBusinessAccountUsername",
    "setBusinessAccountBio",
    "setBusinessAccountProfilePhoto",
    "removeBusinessAccountProfilePhoto",
    "setBusinessAccountGiftSettings",
    "transferBusinessAccountStars",
    "convertGiftToStars",
    "upgradeGift",
    "transferGift",
    "deleteStory",
    "approveSuggestedPost",
    "declineSuggestedPost",
    "deleteMessage",
    "deleteMessages",
    "deleteMessageReaction",
    "deleteAllMessageReactions",
    "createNewStickerSet",
    "addStickerToSet",
    "setStickerPositionInSet",
    "deleteStickerFromSet",
    "replaceStickerInSet",
    "setStickerEmojiList",
    "setStickerKeywords",
    "setStickerMaskPosition",
    "setStickerSetTitle",
    "setStickerSetThumbnail",
    "setCustomEmojiStickerSetThumbnail",
    "deleteStickerSet",
    "sendRichMessageDraft",
    "answerInlineQuery",
    "answerShippingQuery",
    "answerPreCheckoutQuery",
    "refundStarPayment",
    "editUserStarSubscription",
    "setPassportDataErrors",
];

/// Methods with a non-`true` answer that a fake may implement.
pub const KNOWN_METHODS: &[&str] = &[
    "getMe",
    "getUpdates",
    "getWebhookInfo",
    "getMyCommands",
    "getMyName",
    "getMyDescription",
    "getMyShortDescription",
    "getChatMenuButton",
    "getFile",
    "sendMessage",
    "sendPhoto",
    "sendDocument",
    "sendSticker",
    "sendAudio",
    "sendVideo",
    "sendAnimation",
    "sendVoice",
    "sendVideoNote",
    "sendLocation",
    "sendVenue",
    "sendContact",
    "sendDice",
    "sendMediaGroup",
    "forwardMessage",
    "copyMessage",
    "editMessageText",
    "editMessageCaption",
    "editMessageReplyMarkup",
    "editMessageMedia",
];

/// `SendMessage` / `sendmessage` → `sendMessage`: the real API ignores case, the fakes
/// compare against the documented spelling. An unknown name gets a lower-case first
/// letter.
pub fn canonical_method(method: &str) -> String {
    KNOWN_METHODS
        .iter()
        .chain(TRUE_METHODS)
        .find(|m| m.eq_ignore_ascii_case(method))
        .map(|m| (*m).to_owned())
        .unwrap_or_else(|| {
            let mut chars = method.chars();
            chars
                .next()
                .map(|c| c.to_ascii_lowercase().to_string() + chars.as_str())
                .unwrap_or_default()
        })
}

/// Whether the (canonical) method answers a bare `true`.
pub fn is_true_method(method: &str) -> bool {
    TRUE_METHODS.contains(&method)
}

// ---------------------------------------------------------------------------
// Requests

/// One request as a fake gets it.
pub struct Incoming<P> {
    /// Bot token from the URL path (percent-decoded).
    pub token: String,
    /// Canonical method name, e.g. `sendMessage`.
    pub method: String,
    /// The parameters, as the fake's own type (see [`parse_params`]).
    pub params: P,
}

/// Splits `/bot{token}/{Method}` into the token and the canonical method.
pub fn parse_path(path: &str) -> Option<(String, String)> {
    let (bot, method) = path.trim_start_matches('/').split_once('/')?;
    let token = bot.strip_prefix("bot")?;
    let token = percent_decode(token);
    if method.is_empty() || method.contains('/') {
        return None;
    }
    Some((token, canonical_method(method)))
}

/// The request's parameters as `P`: a JSON body straight into `P` (a lean fake picks
/// the few fields it reads and skips the rest); a form or multipart body, and query
/// parameters (merged in, the body winning), through a JSON object of strings (and of
/// `{"filename", "bytes_len"}` for files), so numbers may arrive as strings there.
pub fn parse_params<P: DeserializeOwned>(content_type: &str, body: &[u8], query: Option<&str>) -> Result<P, String> {
    let mime = mime(content_type);
    let form = matches!(
        mime.as_str(),
        "multipart/form-data" | "application/x-www-form-urlencoded"
    );
    if !form && !body.is_empty() && query.is_none_or(str::is_empty) {
        return serde_json::from_slice(body).map_err(|e| format!("invalid JSON body: {e}"));
    }
    let mut params = parse_body(content_type, body)?;
    if let Some(query) = query.and_then(|q| parse_form(q).ok()) {
        for (k, v) in query {
            params.entry(k).or_insert(v);
        }
    }
    serde_json::from_value(Value::Object(params)).map_err(|e| format!("bad parameters: {e}"))
}

fn mime(content_type: &str) -> String {
    content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase()
}

/// Parameters from a JSON, urlencoded or multipart body.
pub fn parse_body(content_type: &str, body: &[u8]) -> Result<Map<String, Value>, String> {
    if body.is_empty() {
        return Ok(Map::new());
    }
    match mime(content_type).as_str() {
        "multipart/form-data" => {
            let boundary = content_type
                .split(';')
                .filter_map(|p| p.trim().strip_prefix("boundary="))
                .next()
                .ok_or("multipart body without boundary")?
                .trim_matches('"');
            parse_multipart(boundary, body)
        }
        "application/x-www-form-urlencoded" => parse_form(std::str::from_utf8(body).map_err(|e| e.to_string())?),
        // teloxide always sets application/json; be lenient with others.
        _ => match serde_json::from_slice(body) {
            Ok(Value::Object(m)) => Ok(m),
            Ok(other) => Err(format!("JSON body is not an object: {other}")),
            Err(e) => Err(format!("invalid JSON body: {e}")),
        },
    }
}

/// `a=1&b=x` (a query string or an urlencoded body) as string parameters.
fn parse_form(text: &str) -> Result<Map<String, Value>, String> {
    let uri: Uri = format!("/?{text}").parse().map_err(|e| format!("bad form body: {e}"))?;
    let Query(form) = Query::<HashMap<String, String>>::try_from_uri(&uri).map_err(|e| e.to_string())?;
    Ok(form.into_iter().map(|(k, v)| (k, Value::String(v))).collect())
}

/// Minimal `multipart/form-data` parser: text parts become strings, file parts
/// `{"filename", "bytes_len", "hex"}`; `attach://id` references are resolved.
fn parse_multipart(boundary: &str, body: &[u8]) -> Result<Map<String, Value>, String> {
    let delim = format!("--{boundary}");
    let delim = delim.as_bytes();
    let mut starts = Vec::new();
    let mut at = 0;
    while let Some(pos) = find(&body[at..], delim) {
        starts.push(at + pos);
        at += pos + delim.len();
    }
    if starts.is_empty() {
        return Err("multipart body without boundary delimiters".into());
    }
    let mut fields = Map::new();
    let mut files = Map::new();
    for pair in starts.windows(2) {
        let mut part = &body[pair[0] + delim.len()..pair[1]];
        if part.starts_with(b"--") {
            break;
        }
        part = part.strip_prefix(b"\r\n").unwrap_or(part);
        part = part.strip_suffix(b"\r\n").unwrap_or(part);
        let split = find(part, b"\r\n\r\n").ok_or("multipart part without header end")?;
        let headers = String::from_utf8_lossy(&part[..split]);
        let content = &part[split + 4..];
        let disposition = headers
            .lines()
            .find(|l| l.to_ascii_lowercase().starts_with("content-disposition:"))
            .ok_or("multipart part without Content-Disposition")?;
        let name = disposition_param(disposition, "name").ok_or("multipart part without name")?;
        match disposition_param(disposition, "filename") {
            Some(filename) => {
                // The content too, in hex, for tests that read a file back (a PDF's
                // text, a workbook's cells, a calendar's lines).
                let hex: String = content.iter().map(|b| format!("{b:02x}")).collect();
                files.insert(
                    name,
                    json!({ "filename": filename, "bytes_len": content.len(), "hex": hex }),
                );
            }
            None => {
                fields.insert(name, Value::String(String::from_utf8_lossy(content).into_owned()));
            }
        }
    }
    for value in fields.values_mut() {
        let attached = value
            .as_str()
            .and_then(|s| s.strip_prefix("attach://"))
            .and_then(|id| files.remove(id));
        if let Some(file) = attached {
            *value = file;
        }
    }
    fields.extend(files);
    Ok(fields)
}

/// `name="value"` from a Content-Disposition header line.
fn disposition_param(line: &str, key: &str) -> Option<String> {
    line.split(';').skip(1).find_map(|p| {
        let (k, v) = p.trim().split_once('=')?;
        (k.trim() == key).then(|| v.trim().trim_matches('"').replace("\\\"", "\""))
    })
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(b)) => {
                out.push(b);
                i += 3;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Number, or a string holding one (multipart and query parameters).
pub fn as_i64(v: &Value) -> Option<i64> {
    v.as_i64().or_else(|| v.as_str()?.trim().parse().ok())
}

/// Object parameter, or a string holding one (multipart serialises nested objects as
/// JSON text).
pub fn json_or_string(v: &Value) -> Option<Value> {
    match v {
        Value::String(s) => serde_json::from_str(s).ok(),
        Value::Null => None,
        other => Some(other.clone()),
    }
}

// ---------------------------------------------------------------------------
// Answers

/// How a fake answers a request.
pub enum Reply {
    /// This HTTP status and JSON body. A JSON string is sent verbatim as `text/html`
    /// instead (a proxy's error page).
    Json(u16, Value),
    /// This HTTP status and an already serialised JSON body.
    Raw(u16, String),
    /// Close the connection without answering: the client sees it drop after sending
    /// its request.
    Drop,
}

/// `{"ok":true,"result":..}`.
pub fn ok(result: Value) -> Value {
    json!({ "ok": true, "result": result })
}

/// `{"ok":true,"result":[..]}` from already serialised items.
pub fn ok_list<S: AsRef<str>>(items: impl IntoIterator<Item = S>) -> String {
    let mut out = String::from(r#"{"ok":true,"result":["#);
    for (k, item) in items.into_iter().enumerate() {
        if k > 0 {
            out.push(',');
        }
        out.push_str(item.as_ref());
    }
    out.push_str("]}");
    out
}

/// `{"ok":false,"error_code":..,"description":..}`.
pub fn error(code: u16, description: &str) -> Value {
    json!({ "ok": false, "error_code": code, "description": description })
}

/// The description of Telegram's 404 for a method it does not have.
pub const METHOD_NOT_FOUND: &str = "Not Found: method not found";

/// Unix time now, in seconds (message dates).
pub fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// The bot as the `from` of its messages.
pub fn bot_user(username: &str) -> Value {
    json!({
        "id": BOT_ID,
        "is_bot": true,
        "first_name": BOT_FIRST_NAME,
        "username": username,
    })
}

/// The `getMe` result.
pub fn get_me(username: &str) -> Value {
    let mut me = bot_user(username);
    for flag in [
        "can_join_groups",
        "can_read_all_group_messages",
        "supports_inline_queries",
        "can_connect_to_business",
        "has_main_web_app",
    ] {
        me[flag] = json!(flag == "can_join_groups");
    }
    me
}

/// The `getWebhookInfo` result of a bot that polls.
pub fn webhook_info(pending_update_count: usize) -> Value {
    json!({
        "url": "",
        "has_custom_certificate": false,
        "pending_update_count": pending_update_count,
    })
}

/// A (non-bot) user; an empty `lang` omits `language_code`, as Telegram may.
pub fn user(id: i64, first_name: &str, username: Option<&str>, lang: &str) -> Value {
    let mut user = json!({ "id": id, "is_bot": false, "first_name": first_name });
    if let Some(username) = username {
        user["username"] = json!(username);
    }
    if !lang.is_empty() {
        user["language_code"] = json!(lang);
    }
    user
}

/// The type of the chat with this id: private for positive ids, groups for negative
/// ones, supergroups (and channels) from -10¹² down, as in Telegram.
pub fn chat_type(id: i64) -> &'static str {
    if id >= 0 {
        "private"
    } else if id <= -1_000_000_000_000 {
        "supergroup"
    } else {
        "group"
    }
}

/// A chat: `name` is the first name of a private chat's user, a group's title.
pub fn chat(id: i64, name: &str, username: Option<&str>) -> Value {
    let kind = chat_type(id);
    let mut chat = if kind == "private" {
        json!({ "id": id, "type": kind, "first_name": name })
    } else {
        json!({ "id": id, "type": kind, "title": name })
    };
    if let Some(username) = username {
        chat["username"] = json!(username);
    }
    chat
}

/// The fields every message has (dated now); add its content.
pub fn message(id: i64, from: Value, chat: Value) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("message_id".into(), json!(id));
    m.insert("from".into(), from);
    m.insert("chat".into(), chat);
    m.insert("date".into(), json!(now()));
    m
}

/// A button press on `message`.
pub fn callback_query(id: &str, from: Value, message: Value, chat_instance: &str, data: &str) -> Value {
    json!({
        "id": id,
        "from": from,
        "message": message,
        "chat_instance": chat_instance,
        "data": data,
    })
}

/// `update_id` of an update (0 without one).
pub fn update_id(update: &Value) -> i64 {
    update.get("update_id").and_then(Value::as_i64).unwrap_or(0)
}

/// The content a `send*` (or `forwardMessage`) puts in the bot's message, echoed from
/// its parameters: text, or a document, photo or sticker (file ids numbered `n`) with
/// its caption; other media become a text message carrying the caption, which keeps the
/// answer parseable as a `Message`. An inline keyboard is echoed too.
pub fn sent_content(method: &str, params: &Value, n: u64) -> Map<String, Value> {
    let mut m = Map::new();
    let caption = params.get("caption").cloned();
    match method {
        "sendMessage" => {
            m.insert("text".into(), params.get("text").cloned().unwrap_or(json!("")));
        }
        "sendDocument" => {
            let mut doc = json!({
                "file_id": format!("doc-file-{n}"),
                "file_unique_id": format!("doc-uniq-{n}"),
            });
            if let Some(file) = params.get("document").filter(|d| d.is_object()) {
                doc["file_name"] = file.get("filename").cloned().unwrap_or(Value::Null);
                doc["file_size"] = file.get("bytes_len").cloned().unwrap_or(Value::Null);
            } else if let Some(id) = params.get("document").and_then(Value::as_str) {
                doc["file_id"] = json!(id);
            }
            if let Value::Object(d) = &mut doc {
                d.retain(|_, v| !v.is_null());
            }
            m.insert("document".into(), doc);
            m.extend(caption.map(|c| ("caption".to_owned(), c)));
        }
        "sendPhoto" => {
            m.insert(
                "photo".into(),
                json!([{
                    "file_id": format!("photo-file-{n}"),
                    "file_unique_id": format!("photo-uniq-{n}"),
                    "width": 800,
                    "height": 600,
                }]),
            );
            m.extend(caption.map(|c| ("caption".to_owned(), c)));
        }
        "sendSticker" => {
            m.insert(
                "sticker".into(),
                json!({
                    "file_id": params.get("sticker").and_then(Value::as_str).unwrap_or("sticker"),
                    "file_unique_id": format!("sticker-uniq-{n}"),
                    "type": "regular",
                    "width": 512,
                    "height": 512,
                    "is_animated": false,
                    "is_video": false,
                }),
            );
        }
        _ => {
            m.insert("text".into(), caption.unwrap_or(json!("")));
        }
    }
    if let Some(markup) = inline_markup(params) {
        m.insert("reply_markup".into(), markup);
    }
    m
}

/// What an `editMessage*` does to the message, like Telegram: it gets an `edit_date`,
/// a text or caption edit replaces the text or caption and, without a new
/// `reply_markup`, drops the keyboard.
pub fn apply_edit(m: &mut Map<String, Value>, method: &str, params: &Value) {
    m.insert("edit_date".into(), json!(now()));
    match method {
        "editMessageText" => {
            m.insert("text".into(), params.get("text").cloned().unwrap_or(json!("")));
            m.remove("entities");
            m.remove("reply_markup");
        }
        "editMessageCaption" => {
            m.insert("caption".into(), params.get("caption").cloned().unwrap_or(json!("")));
            m.remove("reply_markup");
        }
        "editMessageReplyMarkup" => {
            m.remove("reply_markup");
        }
        _ => {}
    }
    if let Some(markup) = inline_markup(params) {
        m.insert("reply_markup".into(), markup);
    }
}

/// `reply_markup` parameter if it is an inline keyboard (reply keyboards and removals
/// are not echoed in `Message.reply_markup`).
pub fn inline_markup(params: &Value) -> Option<Value> {
    params
        .get("reply_markup")
        .and_then(json_or_string)
        .filter(|m| m.get("inline_keyboard").is_some())
}

// ---------------------------------------------------------------------------
// The long poll of getUpdates

/// One `getUpdates` long poll: its `offset`, its `limit` (1 to 100, default 100) and
/// how long it may wait (its `timeout`, at most the fake's cap).
pub struct LongPoll {
    pub offset: i64,
    pub limit: usize,
    deadline: tokio::time::Instant,
}

impl LongPoll {
    pub fn new(offset: Option<i64>, limit: Option<i64>, timeout: Option<i64>, max_wait: Duration) -> LongPoll {
        let wait = Duration::from_secs(timeout.unwrap_or(0).max(0) as u64).min(max_wait);
        LongPoll {
            offset: offset.unwrap_or(0),
            limit: limit.unwrap_or(100).clamp(1, 100) as usize,
            deadline: tokio::time::Instant::now() + wait,
        }
    }

    /// Calls `answer(expired)` at once, then whenever `wake` is notified, and once more
    /// when the wait is over, until it gives the answer: the fake confirms updates
    /// below the offset and answers as soon as it has updates, and once `expired`
    /// with whatever it has (usually nothing). `answer` must answer when `expired`.
    pub async fn wait<T>(&self, wake: &Notify, mut answer: impl FnMut(bool) -> Option<T>) -> T {
        loop {
            let notified = wake.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            let expired = tokio::time::Instant::now() >= self.deadline;
            if let Some(answer) = answer(expired) {
                return answer;
            }
            let _ = tokio::time::timeout_at(self.deadline, notified).await;
        }
    }
}

// ---------------------------------------------------------------------------
// The server

/// A fake behind [`serve`].
pub trait Backend: Clone + Send + Sync + 'static {
    /// The parameters as the fake reads them (see [`parse_params`]).
    type Params: DeserializeOwned + Send;

    /// The answer to one request.
    fn answer(&self, request: Incoming<Self::Params>) -> impl Future<Output = Reply> + Send;
}

/// Binds `127.0.0.1:0` and serves `make(address)` on the current tokio runtime (the
/// server dies with it); returns the backend.
pub async fn serve<B: Backend>(make: impl FnOnce(SocketAddr) -> B) -> B {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("fake Telegram API: bind 127.0.0.1:0");
    let addr = listener.local_addr().expect("fake Telegram API: local_addr");
    let backend = make(addr);
    let app = Router::new().fallback(handle::<B>).with_state(backend.clone());
    tokio::spawn(async move {
        let listener = DroppableListener(listener);
        axum::serve(listener, app.into_make_service_with_connect_info::<Connection>())
            .await
            .expect("fake Telegram API server failed");
    });
    backend
}

/// Single handler for every path: `/bot{token}/{Method}`.
async fn handle<B: Backend>(
    AxumState(backend): AxumState<B>,
    ConnectInfo(connection): ConnectInfo<Connection>,
    req: Request,
) -> Response {
    let (parts, body) = req.into_parts();
    let Some((token, method)) = parse_path(parts.uri.path()) else {
        return json_response(404, error(404, "Not Found").to_string());
    };
    let content_type = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let body = match axum::body::to_bytes(body, usize::MAX).await {
        Ok(b) => b,
        Err(e) => {
            return json_response(
                400,
                error(400, &format!("Bad Request: unreadable body: {e}")).to_string(),
            );
        }
    };
    let params = match parse_params(content_type, &body, parts.uri.query()) {
        Ok(p) => p,
        Err(e) => return json_response(400, error(400, &format!("Bad Request: {e}")).to_string()),
    };
    let request = Incoming { token, method, params };
    match backend.answer(request).await {
        Reply::Json(status, Value::String(raw)) => (
            status_code(status),
            [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
            raw,
        )
            .into_response(),
        Reply::Json(status, json) => json_response(status, json.to_string()),
        Reply::Raw(status, json) => json_response(status, json),
        Reply::Drop => {
            connection.drop_now();
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

fn status_code(status: u16) -> StatusCode {
    StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
}

fn json_response(status: u16, body: String) -> Response {
    (
        status_code(status),
        [(header::CONTENT_TYPE, "application/json")],
        Body::from(body),
    )
        .into_response()
}

/// A TCP listener whose connections the handler can cut: the fake's way to drop a
/// connection without answering.
struct DroppableListener(tokio::net::TcpListener);

impl axum::serve::Listener for DroppableListener {
    type Io = DroppableStream;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (DroppableStream, SocketAddr) {
        loop {
            match self.0.accept().await {
                Ok((stream, addr)) => {
                    let cut = Arc::new(AtomicBool::new(false));
                    return (DroppableStream { stream, cut }, addr);
                }
                Err(_) => tokio::time::sleep(Duration::from_millis(10)).await,
            }
        }
    }

    fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.0.local_addr()
    }
}

/// A connection that fails every read and write once cut, so the server closes it
/// without writing the answer it was about to send.
struct DroppableStream {
    stream: tokio::net::TcpStream,
    cut: Arc<AtomicBool>,
}

impl DroppableStream {
    fn is_cut(&self) -> bool {
        self.cut.load(Ordering::SeqCst)
    }
}

fn cut_error() -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::ConnectionReset, "dropped by the fake")
}

impl tokio::io::AsyncRead for DroppableStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut TaskContext<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        if self.is_cut() {
            return Poll::Ready(Err(cut_error()));
        }
        Pin::new(&mut self.get_mut().stream).poll_read(cx, buf)
    }
}

impl tokio::io::AsyncWrite for DroppableStream {
    fn poll_write(self: Pin<&mut Self>, cx: &mut TaskContext<'_>, buf: &[u8]) -> Poll<std::io::Result<usize>> {
        if self.is_cut() {
            return Poll::Ready(Err(cut_error()));
        }
        Pin::new(&mut self.get_mut().stream).poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<std::io::Result<()>> {
        if self.is_cut() {
            return Poll::Ready(Err(cut_error()));
        }
        Pin::new(&mut self.get_mut().stream).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_shutdown(cx)
    }
}

/// What the handler knows of its connection: the switch that cuts it.
#[derive(Clone)]
struct Connection {
    cut: Arc<AtomicBool>,
}

impl Connection {
    fn drop_now(&self) {
        self.cut.store(true, Ordering::SeqCst);
    }
}

impl axum::extract::connect_info::Connected<axum::serve::IncomingStream<'_, DroppableListener>> for Connection {
    fn connect_info(stream: axum::serve::IncomingStream<'_, DroppableListener>) -> Connection {
        Connection {
            cut: stream.io().cut.clone(),
        }
    }
}
