//! A loopback fake of the Telegram Bot API for integration tests.
//!
//! The bot under test talks to this server instead of Telegram's own
//! (point `TELOXIDE_API_URL` or `Bot::set_api_url` at [`FakeApi::url`]), so
//! tests can feed it updates ([`FakeApi::push_text`] & co.), observe every
//! request it makes ([`FakeApi::calls`], [`FakeApi::wait_for`]) and inject
//! failures ([`FakeApi::fail_next`], [`FakeApi::fail_next_to`]), slow answers
//! ([`FakeApi::delay_next`]), dropped connections ([`FakeApi::drop_next`]) and
//! re-delivered updates ([`FakeApi::redeliver`]) without any network access.
//!
//! The fake speaks raw JSON on purpose: building the wire format by hand (and
//! checking below that teloxide can parse it) catches mismatches that sharing
//! teloxide's own types would hide.
//!
//! Requests arrive as `POST {url}bot{token}/{Method}` with a JSON body, or
//! with a `multipart/form-data` body when files are uploaded (teloxide sends
//! e.g. `document=attach://<id>` plus a file part named `<id>`). Method names
//! are matched case-insensitively, like the real API does, and recorded in
//! their canonical lower-camel form (`sendMessage`), although teloxide itself
//! sends `SendMessage`.

#![allow(dead_code)]

use std::{
    collections::{HashMap, VecDeque},
    net::SocketAddr,
    pin::Pin,
    sync::{
        Arc, Mutex, MutexGuard,
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
use serde_json::{Map, Value, json};
use tokio::sync::watch;

/// Id of the bot user returned by `getMe` and used as `from` of bot messages.
pub const BOT_ID: i64 = 4242;
/// Username of the fake bot.
pub const BOT_USERNAME: &str = "eudesk_test_bot";
/// Language code of users unless a test asks for another one; the bot's
/// audience is Turkish, so that is the realistic default.
pub const DEFAULT_LANG: &str = "tr";

/// Longest time a `getUpdates` long poll is held open, whatever `timeout`
/// the client asked for; keeps shutdown and test runs quick.
const MAX_POLL_WAIT: Duration = Duration::from_secs(1);

/// First message id handed out; distinct from small ids tests may pick by hand.
const FIRST_MESSAGE_ID: i32 = 1000;

/// Methods that answer a bare `true` (Bot API 10.1 methods returning Boolean).
const TRUE_METHODS: &[&str] = &[
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

/// One request the bot made, as the fake received it.
#[derive(Clone, Debug)]
pub struct Call {
    /// Canonical method name, e.g. `sendMessage` (teloxide sends `SendMessage`).
    pub method: String,
    /// Request parameters: the JSON body; for multipart bodies text fields as
    /// strings and files as `{"filename": .., "bytes_len": ..}` (an
    /// `attach://id` field is replaced by its file); query-string parameters
    /// are merged in too.
    pub params: Value,
    /// Bot token from the URL path, so tests can tell bots apart.
    pub token: String,
    /// Full JSON body the fake answered with (`{"ok":true,"result":..}` or an
    /// injected error); `Null` for `getUpdates`, whose answer is only known
    /// after the long poll ends, and for a dropped connection. Lets tests learn e.g. the `message_id` the
    /// fake assigned to a sent message.
    pub response: Value,
}

impl Call {
    /// `text` parameter, falling back to `caption` so document/photo sends
    /// can be checked the same way.
    pub fn text(&self) -> Option<&str> {
        self.params
            .get("text")
            .and_then(Value::as_str)
            .or_else(|| self.params.get("caption").and_then(Value::as_str))
    }

    /// `chat_id` parameter as a number (multipart sends it as a string).
    pub fn chat_id(&self) -> Option<i64> {
        self.params.get("chat_id").and_then(as_i64)
    }

    /// `message_id` parameter (edits, deletions), as a number.
    pub fn message_id(&self) -> Option<i32> {
        self.params.get("message_id").and_then(as_i64).map(|n| n as i32)
    }

    /// `message_id` of the message the fake returned for this call, e.g. the
    /// id assigned to a `sendMessage`; feed it to [`FakeApi::push_callback`].
    pub fn sent_message_id(&self) -> Option<i32> {
        self.response
            .pointer("/result/message_id")
            .and_then(Value::as_i64)
            .map(|n| n as i32)
    }

    /// Inline keyboard buttons as `(label, callback_data or url)`, rows
    /// flattened in order; empty without an inline keyboard.
    pub fn buttons(&self) -> Vec<(String, String)> {
        let Some(markup) = self.params.get("reply_markup").and_then(json_or_string) else {
            return Vec::new();
        };
        let Some(rows) = markup.get("inline_keyboard").and_then(Value::as_array) else {
            return Vec::new();
        };
        rows.iter()
            .filter_map(Value::as_array)
            .flatten()
            .map(|b| {
                let label = b.get("text").and_then(Value::as_str).unwrap_or_default();
                let target = ["/callback_data", "/url", "/web_app/url", "/login_url/url"]
                    .iter()
                    .find_map(|p| b.pointer(p).and_then(Value::as_str))
                    .unwrap_or_default();
                (label.to_owned(), target.to_owned())
            })
            .collect()
    }

    /// One-line description used in panic messages.
    fn summary(&self) -> String {
        let mut s = self.method.clone();
        if let Some(chat) = self.chat_id() {
            s += &format!(" chat={chat}");
        }
        if let Some(id) = self.message_id() {
            s += &format!(" message_id={id}");
        }
        if let Some(text) = self.text() {
            let short: String = text.chars().take(120).collect();
            let more = if short.len() < text.len() { "…" } else { "" };
            s += &format!(" text={short:?}{more}");
        }
        let buttons = self.buttons();
        if !buttons.is_empty() {
            s += &format!(" buttons={buttons:?}");
        }
        if self.response.get("ok") == Some(&Value::Bool(false)) {
            s += " (answered with an error)";
        }
        s
    }
}

/// Handle to a running fake server; cheap to clone, all clones share state.
#[derive(Clone)]
pub struct FakeApi {
    inner: Arc<Inner>,
}

struct Inner {
    addr: SocketAddr,
    state: Mutex<State>,
    /// Bumped whenever an update is pushed, to wake long polls.
    updates_changed: watch::Sender<u64>,
    /// Bumped whenever a call is recorded, to wake `wait_for`.
    calls_changed: watch::Sender<u64>,
}

struct State {
    /// Updates not yet confirmed by a `getUpdates` offset, by increasing id.
    updates: Vec<Value>,
    next_update_id: i64,
    next_message_id: i32,
    next_file_id: u64,
    calls: Vec<Call>,
    /// Injected faults per canonical method, consumed first-in first-out (a
    /// fault aimed at one chat waits for a call to that chat).
    failures: HashMap<String, VecDeque<Fault>>,
    /// Updates handed out by `getUpdates` so far, by update id, as sent.
    delivered: HashMap<i64, Value>,
    /// Updates to hand out again on the next `getUpdates`, whatever its offset.
    redeliveries: Vec<Value>,
    /// Messages the bot sent (or edited), by (chat id, message id), so edits
    /// and callback queries can carry the real message.
    messages: HashMap<(i64, i32), Value>,
}

impl FakeApi {
    /// Binds `127.0.0.1:0` and serves the fake on the current tokio runtime
    /// (the server dies with the test's runtime).
    pub async fn start() -> FakeApi {
        FakeApi::start_at(1).await
    }

    /// A fake whose update ids begin at `first_update_id`. Telegram never reuses an
    /// update id within days, and the bot skips ids it already handled, so a bot
    /// restarted against a new fake needs ids the first fake did not give out.
    pub async fn start_at(first_update_id: i64) -> FakeApi {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("fake Telegram API: bind 127.0.0.1:0");
        let addr = listener.local_addr().expect("fake Telegram API: local_addr");
        let api = FakeApi {
            inner: Arc::new(Inner {
                addr,
                state: Mutex::new(State {
                    updates: Vec::new(),
                    next_update_id: first_update_id,
                    next_message_id: FIRST_MESSAGE_ID,
                    next_file_id: 1,
                    calls: Vec::new(),
                    failures: HashMap::new(),
                    delivered: HashMap::new(),
                    redeliveries: Vec::new(),
                    messages: HashMap::new(),
                }),
                updates_changed: watch::Sender::new(0),
                calls_changed: watch::Sender::new(0),
            }),
        };
        let app = Router::new().fallback(handle).with_state(api.clone());
        tokio::spawn(async move {
            let listener = DroppableListener(listener);
            axum::serve(listener, app.into_make_service_with_connect_info::<Connection>())
                .await
                .expect("fake Telegram API server failed");
        });
        api
    }

    /// Base URL (`http://127.0.0.1:PORT/`) for `TELOXIDE_API_URL` or
    /// `Bot::set_api_url`; teloxide appends `bot{token}/{Method}`.
    pub fn url(&self) -> String {
        format!("http://{}/", self.inner.addr)
    }

    /// Queues a private-chat text message from `user_id` (chat id = user id,
    /// language `tr`); returns its update id.
    pub fn push_text(&self, user_id: i64, text: &str) -> i64 {
        self.push_text_lang(user_id, DEFAULT_LANG, text)
    }

    /// Like [`push_text`](Self::push_text) with the user's `language_code`
    /// set to `lang` (an empty `lang` omits the field, as Telegram may).
    pub fn push_text_lang(&self, user_id: i64, lang: &str, text: &str) -> i64 {
        let message = self.user_message(user_id, lang, json!({ "text": text }));
        self.push_update(json!({ "message": message }))
    }

    /// Queues a (regular, static) sticker message from `user_id`; bots must
    /// cope with non-text input.
    pub fn push_sticker(&self, user_id: i64) -> i64 {
        let n = self.next_file_id();
        let sticker = json!({
            "file_id": format!("sticker-file-{n}"),
            "file_unique_id": format!("sticker-uniq-{n}"),
            "file_size": 12345,
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": false,
            "is_video": false,
            "emoji": "👍",
            "set_name": "TestStickers",
        });
        let message = self.user_message(user_id, DEFAULT_LANG, json!({ "sticker": sticker }));
        self.push_update(json!({ "message": message }))
    }

    /// Queues a photo message (two sizes, no caption) from `user_id`.
    pub fn push_photo(&self, user_id: i64) -> i64 {
        let n = self.next_file_id();
        let photo = json!([
            {
                "file_id": format!("photo-file-{n}-s"),
                "file_unique_id": format!("photo-uniq-{n}-s"),
                "file_size": 1500,
                "width": 90,
                "height": 67,
            },
            {
                "file_id": format!("photo-file-{n}-m"),
                "file_unique_id": format!("photo-uniq-{n}-m"),
                "file_size": 25000,
                "width": 800,
                "height": 600,
            },
        ]);
        let message = self.user_message(user_id, DEFAULT_LANG, json!({ "photo": photo }));
        self.push_update(json!({ "message": message }))
    }

    /// Queues a callback query from `user_id` pressing a button with `data`
    /// on bot message `message_id` in the user's private chat. The attached
    /// message is the one the bot sent/edited under that id if the fake saw
    /// it, otherwise a stand-in bot text message.
    pub fn push_callback(&self, user_id: i64, message_id: i32, data: &str) -> i64 {
        let message = {
            let state = self.lock();
            state.messages.get(&(user_id, message_id)).cloned().unwrap_or_else(|| {
                let mut m = base_message(message_id, bot_user(), chat_json(user_id));
                m.insert("text".into(), json!("(message not seen by the fake)"));
                Value::Object(m)
            })
        };
        let n = self.next_file_id();
        let query = json!({
            "id": format!("cbq-{n}"),
            "from": user_json(user_id, DEFAULT_LANG),
            "message": message,
            "chat_instance": format!("chat-instance-{user_id}"),
            "data": data,
        });
        self.push_update(json!({ "callback_query": query }))
    }

    /// Queues a raw update; assigns `update_id` if missing (and keeps later
    /// ids above a given one). Returns the update id.
    pub fn push_update(&self, mut update: Value) -> i64 {
        let id = {
            let mut state = self.lock();
            let obj = update
                .as_object_mut()
                .expect("push_update: the update must be a JSON object");
            let id = match obj.get("update_id").and_then(Value::as_i64) {
                Some(id) => id,
                None => {
                    let id = state.next_update_id;
                    obj.insert("update_id".into(), json!(id));
                    id
                }
            };
            state.next_update_id = state.next_update_id.max(id + 1);
            let pos = state
                .updates
                .iter()
                .position(|u| update_id(u) > id)
                .unwrap_or(state.updates.len());
            state.updates.insert(pos, update);
            id
        };
        self.inner.updates_changed.send_modify(|n| *n += 1);
        id
    }

    /// Every request received so far (including `getUpdates` polls and
    /// requests answered with injected errors), in arrival order.
    pub fn calls(&self) -> Vec<Call> {
        self.lock().calls.clone()
    }

    /// Number of updates pushed but not yet confirmed by a `getUpdates`
    /// offset; lets tests check the bot consumed its input.
    pub fn pending_updates(&self) -> usize {
        self.lock().updates.len()
    }

    /// Waits for the first call (over the whole history, so one made before
    /// this was called counts) to `method` (case-insensitive) matching
    /// `pred`. Panics after `timeout` listing the calls seen.
    pub async fn wait_for(&self, method: &str, pred: impl Fn(&Call) -> bool, timeout: Duration) -> Call {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let mut changed = self.inner.calls_changed.subscribe();
            if let Some(call) = self
                .lock()
                .calls
                .iter()
                .find(|c| c.method.eq_ignore_ascii_case(method) && pred(c))
            {
                return call.clone();
            }
            if tokio::time::timeout_at(deadline, changed.changed()).await.is_err() {
                break;
            }
        }
        // One last look: a call may have landed right at the deadline.
        if let Some(call) = self
            .lock()
            .calls
            .iter()
            .find(|c| c.method.eq_ignore_ascii_case(method) && pred(c))
        {
            return call.clone();
        }
        panic!(
            "fake Telegram API: no matching {method} call within {timeout:?}\n{}",
            self.describe_calls()
        );
    }

    /// Waits until at least `n` calls to `method` (case-insensitive) were
    /// made and returns all of them (possibly more than `n`), in order.
    /// Panics after `timeout` listing the calls seen.
    pub async fn wait_calls(&self, method: &str, n: usize, timeout: Duration) -> Vec<Call> {
        let deadline = tokio::time::Instant::now() + timeout;
        let matching = |api: &FakeApi| -> Vec<Call> {
            api.lock()
                .calls
                .iter()
                .filter(|c| c.method.eq_ignore_ascii_case(method))
                .cloned()
                .collect()
        };
        loop {
            let mut changed = self.inner.calls_changed.subscribe();
            let found = matching(self);
            if found.len() >= n {
                return found;
            }
            if tokio::time::timeout_at(deadline, changed.changed()).await.is_err() {
                break;
            }
        }
        let found = matching(self);
        if found.len() >= n {
            return found;
        }
        panic!(
            "fake Telegram API: expected {n} {method} calls within {timeout:?}, saw {}\n{}",
            found.len(),
            self.describe_calls()
        );
    }

    /// Answers the next call to `method` with HTTP `status` and `body`
    /// instead of the normal result (queued: several calls inject several
    /// failures). A JSON string `body` is sent verbatim as `text/html` (to
    /// mimic a proxy's 502 page); anything else is sent as JSON, e.g.
    /// `{"ok":false,"error_code":429,"description":"Too Many Requests: retry
    /// after 1","parameters":{"retry_after":1}}` or `{"ok":false,
    /// "error_code":403,"description":"Forbidden: bot was blocked by the
    /// user"}`. Note teloxide sleeps 10 s after any 5xx status before
    /// reading the body.
    pub fn fail_next(&self, method: &str, status: u16, body: Value) {
        self.inject(method, None, Action::Answer(status, body));
    }

    /// Like [`fail_next`](Self::fail_next), but only a call to `method` for
    /// `chat_id` takes this failure; calls for other chats pass.
    pub fn fail_next_to(&self, method: &str, chat_id: i64, status: u16, body: Value) {
        self.inject(method, Some(chat_id), Action::Answer(status, body));
    }

    /// Answers the next call to `method` normally, but only after `delay` (a
    /// slow Telegram). The call is recorded, and its effect (a sent message)
    /// happens, when it arrives; only the answer waits. For `getUpdates` the
    /// long poll starts after the delay.
    pub fn delay_next(&self, method: &str, delay: Duration) {
        self.inject(method, None, Action::Delay(delay));
    }

    /// Like [`delay_next`](Self::delay_next), for a call to `method` for
    /// `chat_id` only.
    pub fn delay_next_to(&self, method: &str, chat_id: i64, delay: Duration) {
        self.inject(method, Some(chat_id), Action::Delay(delay));
    }

    /// Closes the connection of the next call to `method` without answering
    /// anything (the client sees the connection drop after sending its
    /// request). The call is recorded with a `Null` response and has no effect.
    pub fn drop_next(&self, method: &str) {
        self.inject(method, None, Action::Drop);
    }

    /// Hands the update with this id out again on the next `getUpdates`,
    /// exactly as it was first delivered and whatever the offset: what
    /// Telegram does when a bot dies before confirming a batch. `false` when
    /// no update with this id was delivered yet.
    pub fn redeliver(&self, update_id: i64) -> bool {
        let found = {
            let mut state = self.lock();
            let update = state.delivered.get(&update_id).cloned();
            update.map(|u| state.redeliveries.push(u)).is_some()
        };
        if found {
            self.inner.updates_changed.send_modify(|n| *n += 1);
        }
        found
    }

    /// The update with this id as `getUpdates` handed it out, if it did:
    /// lets a test push the very same update into another fake (a restart).
    pub fn delivered_update(&self, update_id: i64) -> Option<Value> {
        self.lock().delivered.get(&update_id).cloned()
    }

    fn inject(&self, method: &str, chat: Option<i64>, action: Action) {
        self.lock()
            .failures
            .entry(canonical_method(method))
            .or_default()
            .push_back(Fault { chat, action });
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A panicking test thread must not hide the real failure behind a
        // poisoned-lock panic in the server.
        self.inner.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn next_file_id(&self) -> u64 {
        let mut state = self.lock();
        state.next_file_id += 1;
        state.next_file_id - 1
    }

    /// A message from a (non-bot) user in their private chat, with `content`
    /// fields merged in; takes a fresh message id.
    fn user_message(&self, user_id: i64, lang: &str, content: Value) -> Value {
        let id = {
            let mut state = self.lock();
            state.next_message_id += 1;
            state.next_message_id - 1
        };
        let mut m = base_message(id, user_json(user_id, lang), chat_json(user_id));
        if let Value::Object(extra) = content {
            m.extend(extra);
        }
        Value::Object(m)
    }

    fn describe_calls(&self) -> String {
        let calls = self.calls();
        let polls = calls.iter().filter(|c| c.method == "getUpdates").count();
        let mut out = format!(
            "calls seen ({} besides {polls} getUpdates polls):\n",
            calls.len() - polls
        );
        for (i, call) in calls.iter().enumerate() {
            if call.method != "getUpdates" {
                out += &format!("  #{i}: {}\n", call.summary());
            }
        }
        out
    }

    /// Records the call and computes its answer. Runs under the state lock
    /// so the recorded response and the state change are atomic; returns
    /// `Reply::Poll` for `getUpdates`, which is answered by
    /// [`Self::poll_updates`].
    fn record_and_answer(&self, method: String, params: Value, token: String) -> (Option<Duration>, Reply) {
        let mut state = self.lock();
        let chat = params.get("chat_id").and_then(as_i64);
        let fault = state.failures.get_mut(&method).and_then(|queue| {
            let i = queue.iter().position(|f| f.chat.is_none() || f.chat == chat)?;
            queue.remove(i)
        });
        let (delay, injected) = match fault.map(|f| f.action) {
            Some(Action::Answer(status, body)) => (None, Some(Reply::Answer(status, body))),
            Some(Action::Drop) => (None, Some(Reply::Drop)),
            Some(Action::Delay(d)) => (Some(d), None),
            None => (None, None),
        };
        let reply = match injected {
            Some(reply) => reply,
            None if method == "getUpdates" => Reply::Poll,
            None => {
                let (status, body) = answer(&mut state, &method, &params);
                Reply::Answer(status, body)
            }
        };
        state.calls.push(Call {
            method,
            params,
            token,
            response: match &reply {
                Reply::Answer(_, body) => body.clone(),
                Reply::Poll | Reply::Drop => Value::Null,
            },
        });
        drop(state);
        self.inner.calls_changed.send_modify(|n| *n += 1);
        (delay, reply)
    }

    /// Long poll: confirms updates below `offset`, then returns pending ones
    /// (at most `limit`) as soon as there are any, or an empty list after
    /// `min(timeout, MAX_POLL_WAIT)`.
    async fn poll_updates(&self, params: &Value) -> Value {
        let offset = params.get("offset").and_then(as_i64).unwrap_or(0);
        let limit = params.get("limit").and_then(as_i64).unwrap_or(100).clamp(1, 100) as usize;
        let timeout = params.get("timeout").and_then(as_i64).unwrap_or(0).max(0) as u64;
        let deadline = tokio::time::Instant::now() + Duration::from_secs(timeout).min(MAX_POLL_WAIT);
        loop {
            let mut changed = self.inner.updates_changed.subscribe();
            {
                let mut state = self.lock();
                if offset > 0 {
                    state.updates.retain(|u| update_id(u) >= offset);
                }
                let again = !state.redeliveries.is_empty();
                if again || !state.updates.is_empty() || tokio::time::Instant::now() >= deadline {
                    let mut batch: Vec<Value> = std::mem::take(&mut state.redeliveries);
                    batch.extend(state.updates.iter().take(limit).cloned());
                    for u in &batch {
                        state.delivered.insert(update_id(u), u.clone());
                    }
                    return json!({ "ok": true, "result": batch });
                }
            }
            // On timeout the loop comes back once more and returns whatever
            // is there (usually nothing).
            let _ = tokio::time::timeout_at(deadline, changed.changed()).await;
        }
    }
}

/// An injected fault: for one method, optionally only for one chat.
struct Fault {
    chat: Option<i64>,
    action: Action,
}

enum Action {
    /// Answer with this status and body instead of the normal answer.
    Answer(u16, Value),
    /// Answer normally, after this long.
    Delay(Duration),
    /// Close the connection without answering.
    Drop,
}

/// How the handler answers a call.
enum Reply {
    Answer(u16, Value),
    /// `getUpdates`: a long poll.
    Poll,
    /// Close the connection without a word.
    Drop,
}

/// A TCP listener whose connections the handler can cut: the fake's way to
/// drop a connection without answering.
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

/// A connection that fails every read and write once cut, so the server
/// closes it without writing the answer it was about to send.
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

/// Single handler for every path: `/bot{token}/{Method}`.
async fn handle(
    AxumState(api): AxumState<FakeApi>,
    ConnectInfo(connection): ConnectInfo<Connection>,
    req: Request,
) -> Response {
    let (parts, body) = req.into_parts();
    let Some((token, method)) = parse_path(parts.uri.path()) else {
        return error_response(404, "Not Found");
    };
    let content_type = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let body = match axum::body::to_bytes(body, usize::MAX).await {
        Ok(b) => b,
        Err(e) => return error_response(400, &format!("Bad Request: unreadable body: {e}")),
    };
    let mut params = match parse_body(&content_type, &body) {
        Ok(p) => p,
        Err(e) => return error_response(400, &format!("Bad Request: {e}")),
    };
    if let Ok(Query(query)) = Query::<HashMap<String, String>>::try_from_uri(&parts.uri) {
        for (k, v) in query {
            params.entry(k).or_insert(Value::String(v));
        }
    }
    let params = Value::Object(params);
    let (delay, reply) = api.record_and_answer(method.clone(), params.clone(), token);
    if let Some(delay) = delay {
        tokio::time::sleep(delay).await;
    }
    let (status, body) = match reply {
        Reply::Answer(status, body) => (status, body),
        Reply::Poll => (200, api.poll_updates(&params).await),
        Reply::Drop => {
            connection.drop_now();
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
    };
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    match body {
        Value::String(raw) => (status, [(header::CONTENT_TYPE, "text/html; charset=utf-8")], raw).into_response(),
        json => (
            status,
            [(header::CONTENT_TYPE, "application/json")],
            Body::from(json.to_string()),
        )
            .into_response(),
    }
}

/// Splits `/bot{token}/{Method}` into the token and the canonical method.
fn parse_path(path: &str) -> Option<(String, String)> {
    let (bot, method) = path.trim_start_matches('/').split_once('/')?;
    let token = bot.strip_prefix("bot")?;
    let token = percent_decode(token);
    if method.is_empty() || method.contains('/') {
        return None;
    }
    Some((token, canonical_method(method)))
}

/// `SendMessage` / `sendmessage` → `sendMessage`: the real API ignores case,
/// tests compare against the documented spelling.
fn canonical_method(method: &str) -> String {
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

/// Methods with a non-`true` answer that the fake implements.
const KNOWN_METHODS: &[&str] = &[
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

/// The normal (non-injected) answer for a method.
fn answer(state: &mut State, method: &str, params: &Value) -> (u16, Value) {
    let ok = |result: Value| (200, json!({ "ok": true, "result": result }));
    if TRUE_METHODS.contains(&method) {
        if method == "deleteMessage"
            && let (Some(chat), Some(id)) = (
                params.get("chat_id").and_then(as_i64),
                params.get("message_id").and_then(as_i64),
            )
        {
            state.messages.remove(&(chat, id as i32));
        }
        return ok(json!(true));
    }
    match method {
        "getMe" => ok(json!({
            "id": BOT_ID,
            "is_bot": true,
            "first_name": "eudesk",
            "username": BOT_USERNAME,
            "can_join_groups": true,
            "can_read_all_group_messages": false,
            "supports_inline_queries": false,
            "can_connect_to_business": false,
            "has_main_web_app": false,
        })),
        "getWebhookInfo" => ok(json!({
            "url": "",
            "has_custom_certificate": false,
            "pending_update_count": state.updates.len(),
        })),
        "getMyCommands" => ok(json!([])),
        "getMyName" => ok(json!({ "name": "eudesk" })),
        "getMyDescription" => ok(json!({ "description": "" })),
        "getMyShortDescription" => ok(json!({ "short_description": "" })),
        "getChatMenuButton" => ok(json!({ "type": "default" })),
        "getFile" => {
            let file_id = params.get("file_id").and_then(Value::as_str).unwrap_or("unknown");
            ok(json!({
                "file_id": file_id,
                "file_unique_id": format!("uniq-{file_id}"),
                "file_size": 1024,
                "file_path": format!("files/{file_id}"),
            }))
        }
        "copyMessage" => {
            state.next_message_id += 1;
            ok(json!({ "message_id": state.next_message_id - 1 }))
        }
        "sendMediaGroup" => {
            // One message per album item, each with the item's caption.
            let media = params.get("media").and_then(json_or_string).unwrap_or(json!([]));
            let items = media.as_array().cloned().unwrap_or_default();
            let messages: Vec<Value> = items
                .iter()
                .map(|item| {
                    let mut p = params.clone();
                    p["caption"] = item.get("caption").cloned().unwrap_or(json!(""));
                    send_message(state, "sendMediaGroup", &p)
                })
                .collect();
            ok(Value::Array(messages))
        }
        m if m.starts_with("send") || m == "forwardMessage" => ok(send_message(state, m, params)),
        m if m.starts_with("edit") => {
            if params.get("inline_message_id").is_some() {
                ok(json!(true))
            } else {
                ok(edit_message(state, m, params))
            }
        }
        _ => (
            404,
            json!({ "ok": false, "error_code": 404, "description": "Not Found: method not found" }),
        ),
    }
}

/// A bot message for any `send*` method: fresh id, bot as sender, content
/// echoed from the parameters.
fn send_message(state: &mut State, method: &str, params: &Value) -> Value {
    let chat_id = params.get("chat_id").and_then(as_i64).unwrap_or(0);
    let id = state.next_message_id;
    state.next_message_id += 1;
    let mut m = base_message(id, bot_user(), chat_json(chat_id));
    let caption = params.get("caption").cloned();
    let n = state.next_file_id;
    state.next_file_id += 1;
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
            strip_nulls(&mut doc);
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
            // Media the fake does not model: a text message carrying the
            // caption keeps the answer parseable as a `Message`.
            m.insert("text".into(), caption.unwrap_or(json!("")));
        }
    }
    if let Some(markup) = inline_markup(params) {
        m.insert("reply_markup".into(), markup);
    }
    let m = Value::Object(m);
    state.messages.insert((chat_id, id), m.clone());
    m
}

/// `editMessage*`: same message id, stored content updated like Telegram
/// does (a text edit without `reply_markup` drops the keyboard).
fn edit_message(state: &mut State, method: &str, params: &Value) -> Value {
    let chat_id = params.get("chat_id").and_then(as_i64).unwrap_or(0);
    let id = params.get("message_id").and_then(as_i64).unwrap_or(0) as i32;
    let mut m = match state.messages.get(&(chat_id, id)) {
        Some(Value::Object(m)) => m.clone(),
        _ => {
            let mut m = base_message(id, bot_user(), chat_json(chat_id));
            m.insert("text".into(), json!(""));
            m
        }
    };
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
    let m = Value::Object(m);
    state.messages.insert((chat_id, id), m.clone());
    m
}

/// `reply_markup` parameter if it is an inline keyboard (reply keyboards and
/// removals are not echoed in `Message.reply_markup`).
fn inline_markup(params: &Value) -> Option<Value> {
    params
        .get("reply_markup")
        .and_then(json_or_string)
        .filter(|m| m.get("inline_keyboard").is_some())
}

/// The fields every message has.
fn base_message(id: i32, from: Value, chat: Value) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("message_id".into(), json!(id));
    m.insert("from".into(), from);
    m.insert("chat".into(), chat);
    m.insert("date".into(), json!(now()));
    m
}

fn bot_user() -> Value {
    json!({
        "id": BOT_ID,
        "is_bot": true,
        "first_name": "eudesk",
        "username": BOT_USERNAME,
    })
}

fn user_json(user_id: i64, lang: &str) -> Value {
    let mut user = json!({
        "id": user_id,
        "is_bot": false,
        "first_name": format!("User{user_id}"),
        "username": format!("user{user_id}"),
    });
    if !lang.is_empty() {
        user["language_code"] = json!(lang);
    }
    user
}

/// Private chat for positive ids, groups for negative ones (as in Telegram).
fn chat_json(chat_id: i64) -> Value {
    if chat_id >= 0 {
        json!({
            "id": chat_id,
            "type": "private",
            "first_name": format!("User{chat_id}"),
            "username": format!("user{chat_id}"),
        })
    } else if chat_id <= -1_000_000_000_000 {
        json!({ "id": chat_id, "type": "supergroup", "title": "Test supergroup" })
    } else {
        json!({ "id": chat_id, "type": "group", "title": "Test group" })
    }
}

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

fn update_id(update: &Value) -> i64 {
    update.get("update_id").and_then(Value::as_i64).unwrap_or(0)
}

/// Number, or a string holding one (multipart and query parameters).
fn as_i64(v: &Value) -> Option<i64> {
    v.as_i64().or_else(|| v.as_str()?.trim().parse().ok())
}

/// Object parameter, or a string holding one (multipart serialises nested
/// objects as JSON text).
fn json_or_string(v: &Value) -> Option<Value> {
    match v {
        Value::String(s) => serde_json::from_str(s).ok(),
        Value::Null => None,
        other => Some(other.clone()),
    }
}

fn strip_nulls(v: &mut Value) {
    if let Value::Object(m) = v {
        m.retain(|_, v| !v.is_null());
    }
}

fn error_response(status: u16, description: &str) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST);
    let body = json!({ "ok": false, "error_code": status.as_u16(), "description": description });
    (status, [(header::CONTENT_TYPE, "application/json")], body.to_string()).into_response()
}

/// Parameters from a JSON, urlencoded or multipart body.
fn parse_body(content_type: &str, body: &[u8]) -> Result<Map<String, Value>, String> {
    let mime = content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    if body.is_empty() {
        return Ok(Map::new());
    }
    match mime.as_str() {
        "multipart/form-data" => {
            let boundary = content_type
                .split(';')
                .filter_map(|p| p.trim().strip_prefix("boundary="))
                .next()
                .ok_or("multipart body without boundary")?
                .trim_matches('"');
            parse_multipart(boundary, body)
        }
        "application/x-www-form-urlencoded" => {
            let text = std::str::from_utf8(body).map_err(|e| e.to_string())?;
            let uri: Uri = format!("/?{text}").parse().map_err(|e| format!("bad form body: {e}"))?;
            let Query(form) = Query::<HashMap<String, String>>::try_from_uri(&uri).map_err(|e| e.to_string())?;
            Ok(form.into_iter().map(|(k, v)| (k, Value::String(v))).collect())
        }
        // teloxide always sets application/json; be lenient with others.
        _ => match serde_json::from_slice(body) {
            Ok(Value::Object(m)) => Ok(m),
            Ok(other) => Err(format!("JSON body is not an object: {other}")),
            Err(e) => Err(format!("invalid JSON body: {e}")),
        },
    }
}

/// Minimal `multipart/form-data` parser: text parts become strings, file
/// parts `{"filename", "bytes_len"}`; `attach://id` references are resolved.
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
                files.insert(name, json!({ "filename": filename, "bytes_len": content.len() }));
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

// ---------------------------------------------------------------------------
// Self-tests: the fake is only useful if teloxide parses what it produces.

/// POSTs `body` as JSON to `method` with plain reqwest, bypassing teloxide.
async fn raw_post(api: &FakeApi, method: &str, body: Value) -> (u16, Value) {
    let resp = reqwest::Client::new()
        .post(format!("{}botTEST:TOKEN/{method}", api.url()))
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .await
        .expect("POST to fake API");
    let status = resp.status().as_u16();
    let bytes = resp.bytes().await.expect("fake API body");
    (status, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
}

/// Parses an update like teloxide does: from JSON *text*. (teloxide's
/// `UpdateKind` deserializer wants borrowed keys, so `serde_json::from_value`
/// yields `UpdateKind::Error` even for valid updates.) An unparseable update
/// also becomes `UpdateKind::Error`, so re-parse the payload to show why.
fn parse_update(u: Value) -> teloxide::types::Update {
    use teloxide::types::{CallbackQuery, Message, Update, UpdateKind};
    let update: Update = serde_json::from_str(&u.to_string()).unwrap_or_else(|e| panic!("{e}: {u}"));
    if let UpdateKind::Error(_) = update.kind {
        let why = if let Some(m) = u.get("message") {
            serde_json::from_value::<Message>(m.clone()).err()
        } else if let Some(q) = u.get("callback_query") {
            serde_json::from_value::<CallbackQuery>(q.clone()).err()
        } else {
            None
        };
        panic!("teloxide cannot parse update ({why:?}): {u}");
    }
    update
}

#[tokio::test]
async fn fake_updates_deserialize_as_teloxide_updates() {
    use teloxide::types::{Update, UpdateKind};

    let api = FakeApi::start().await;
    let t = api.push_text(111, "merhaba");
    let l = api.push_text_lang(222, "en", "hello");
    let s = api.push_sticker(111);
    let p = api.push_photo(111);
    let c = api.push_callback(111, 77, "lang:en");
    let r = api.push_update(json!({ "update_id": 500, "message": {
        "message_id": 1, "date": 1700000000,
        "chat": { "id": 333, "type": "private", "first_name": "Raw" },
        "from": { "id": 333, "is_bot": false, "first_name": "Raw" },
        "text": "raw"
    }}));
    assert_eq!(r, 500);
    assert!(t < l && l < s && s < p && p < c && c < r);

    let (status, body) = raw_post(&api, "getUpdates", json!({ "offset": 0, "timeout": 0 })).await;
    assert_eq!(status, 200);
    let updates = body["result"].as_array().expect("result array").clone();
    assert_eq!(updates.len(), 6);

    let parsed: Vec<Update> = updates.into_iter().map(parse_update).collect();
    let msg = |u: &Update| match &u.kind {
        UpdateKind::Message(m) => m.clone(),
        other => panic!("expected a message, got {other:?}"),
    };
    let m = msg(&parsed[0]);
    assert_eq!(parsed[0].id.0 as i64, t);
    assert_eq!(m.text(), Some("merhaba"));
    assert_eq!(m.chat.id.0, 111);
    assert!(m.chat.is_private());
    let from = m.from.as_ref().expect("from");
    assert_eq!(from.language_code.as_deref(), Some("tr"));
    assert!(!from.is_bot);
    let m = msg(&parsed[1]);
    assert_eq!(m.text(), Some("hello"));
    assert_eq!(m.from.as_ref().unwrap().language_code.as_deref(), Some("en"));
    assert!(msg(&parsed[2]).sticker().is_some(), "sticker: {:?}", parsed[2]);
    assert_eq!(msg(&parsed[3]).photo().map(<[_]>::len), Some(2));
    match &parsed[4].kind {
        UpdateKind::CallbackQuery(q) => {
            assert_eq!(q.data.as_deref(), Some("lang:en"));
            assert_eq!(q.from.id.0, 111);
            let m = q.regular_message().expect("accessible message");
            assert_eq!(m.id.0, 77);
            assert_eq!(m.chat.id.0, 111);
        }
        other => panic!("expected a callback query, got {other:?}"),
    }
    assert_eq!(msg(&parsed[5]).text(), Some("raw"));

    // Unconfirmed updates are returned again; `limit` is honoured.
    let (_, body) = raw_post(&api, "getUpdates", json!({ "offset": 0, "limit": 2 })).await;
    assert_eq!(body["result"].as_array().unwrap().len(), 2);
    // Confirming everything empties the queue.
    let (_, body) = raw_post(&api, "getUpdates", json!({ "offset": r + 1, "timeout": 0 })).await;
    assert_eq!(body["result"], json!([]));
    assert_eq!(api.pending_updates(), 0);

    // A long poll wakes as soon as an update is pushed.
    let pusher = api.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(150)).await;
        pusher.push_text(111, "late");
    });
    let started = std::time::Instant::now();
    let (_, body) = raw_post(&api, "getUpdates", json!({ "offset": r + 1, "timeout": 30 })).await;
    assert!(
        started.elapsed() < Duration::from_millis(900),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(body["result"][0]["message"]["text"], "late");
    // ... and an empty long poll gives up after at most ~1 s.
    let next = body["result"][0]["update_id"].as_i64().unwrap() + 1;
    let started = std::time::Instant::now();
    let (_, body) = raw_post(&api, "getUpdates", json!({ "offset": next, "timeout": 30 })).await;
    assert_eq!(body["result"], json!([]));
    assert!(started.elapsed() < Duration::from_secs(3));

    // Unknown methods get Telegram's 404.
    let (status, body) = raw_post(&api, "noSuchMethod", json!({})).await;
    assert_eq!(status, 404);
    assert_eq!(body["description"], "Not Found: method not found");
}

#[tokio::test]
async fn fake_api_serves_teloxide_bot() {
    use teloxide::{
        ApiError, RequestError,
        prelude::*,
        types::{InlineKeyboardButton, InlineKeyboardMarkup, InputFile},
    };

    let api = FakeApi::start().await;
    let bot = Bot::new("TEST:TOKEN").set_api_url(api.url().parse().unwrap());

    let me = bot.get_me().await.expect("getMe");
    assert_eq!(me.id.0, BOT_ID as u64);
    assert_eq!(me.username(), BOT_USERNAME);
    assert!(bot.get_webhook_info().await.expect("getWebhookInfo").url.is_none());
    bot.delete_webhook().await.expect("deleteWebhook");

    let keyboard = InlineKeyboardMarkup::new([
        vec![InlineKeyboardButton::callback("Türkçe", "lang:tr")],
        vec![
            InlineKeyboardButton::callback("English", "lang:en"),
            InlineKeyboardButton::url("Site", "https://example.org/".parse().unwrap()),
        ],
    ]);
    let sent = bot
        .send_message(ChatId(555), "Dil seçin")
        .reply_markup(keyboard)
        .await
        .expect("sendMessage");
    assert_eq!(sent.text(), Some("Dil seçin"));
    assert_eq!(sent.chat.id, ChatId(555));
    assert!(sent.reply_markup().is_some());

    let call = api
        .wait_for("sendMessage", |c| c.chat_id() == Some(555), Duration::from_secs(5))
        .await;
    assert_eq!(call.token, "TEST:TOKEN");
    assert_eq!(call.text(), Some("Dil seçin"));
    assert_eq!(call.sent_message_id(), Some(sent.id.0));
    assert_eq!(
        call.buttons(),
        vec![
            ("Türkçe".to_owned(), "lang:tr".to_owned()),
            ("English".to_owned(), "lang:en".to_owned()),
            ("Site".to_owned(), "https://example.org/".to_owned()),
        ]
    );

    // The callback carries the message the bot sent, keyboard included.
    api.push_callback(555, sent.id.0, "lang:en");
    let (_, body) = raw_post(&api, "getUpdates", json!({})).await;
    let update = parse_update(body["result"][0].clone());
    match update.kind {
        teloxide::types::UpdateKind::CallbackQuery(q) => {
            let m = q.regular_message().unwrap();
            assert_eq!(m.text(), Some("Dil seçin"));
            assert!(m.reply_markup().is_some());
            bot.answer_callback_query(q.id.clone())
                .await
                .expect("answerCallbackQuery");
        }
        other => panic!("expected a callback query, got {other:?}"),
    }

    let edited = bot
        .edit_message_text(ChatId(555), sent.id, "Language: English")
        .await
        .expect("editMessageText");
    assert_eq!(edited.id, sent.id);
    assert_eq!(edited.text(), Some("Language: English"));
    assert!(edited.reply_markup().is_none());

    let doc = bot
        .send_document(
            ChatId(555),
            InputFile::memory(b"hello world".to_vec()).file_name("guide.pdf"),
        )
        .caption("Rehber")
        .await
        .expect("sendDocument");
    assert_eq!(doc.document().unwrap().file_name.as_deref(), Some("guide.pdf"));
    let call = api.wait_for("sendDocument", |_| true, Duration::from_secs(5)).await;
    assert_eq!(call.chat_id(), Some(555));
    assert_eq!(call.text(), Some("Rehber"));
    assert_eq!(
        call.params["document"],
        json!({ "filename": "guide.pdf", "bytes_len": 11 })
    );

    bot.send_chat_action(ChatId(555), teloxide::types::ChatAction::Typing)
        .await
        .expect("sendChatAction");
    bot.set_my_commands(Vec::<teloxide::types::BotCommand>::new())
        .await
        .expect("setMyCommands");

    // Injected failures are consumed one by one, then normal service resumes.
    api.fail_next(
        "sendMessage",
        429,
        json!({ "ok": false, "error_code": 429, "description": "Too Many Requests: retry after 3",
                "parameters": { "retry_after": 3 } }),
    );
    api.fail_next(
        "SendMessage",
        403,
        json!({ "ok": false, "error_code": 403, "description": "Forbidden: bot was blocked by the user" }),
    );
    match bot.send_message(ChatId(555), "a").await {
        Err(RequestError::RetryAfter(s)) => assert_eq!(s.seconds(), 3),
        other => panic!("expected RetryAfter, got {other:?}"),
    }
    match bot.send_message(ChatId(555), "b").await {
        Err(RequestError::Api(ApiError::BotBlocked)) => {}
        other => panic!("expected BotBlocked, got {other:?}"),
    }
    bot.send_message(ChatId(555), "c").await.expect("third send succeeds");
    let sends = api.wait_calls("sendMessage", 4, Duration::from_secs(5)).await;
    assert_eq!(sends.len(), 4);
    assert_eq!(sends[1].response["error_code"], 429);

    // A proxy's HTML error page is passed through verbatim.
    api.fail_next("getMe", 502, json!("<html><body>502 Bad Gateway</body></html>"));
    let resp = reqwest::Client::new()
        .post(format!("{}botTEST:TOKEN/getMe", api.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 502);
    assert!(resp.text().await.unwrap().contains("Bad Gateway"));

    let methods: Vec<String> = api.calls().into_iter().map(|c| c.method).collect();
    assert_eq!(methods.first().map(String::as_str), Some("getMe"));
    assert!(methods.contains(&"answerCallbackQuery".to_owned()));
}

#[tokio::test]
async fn fake_api_delays_drops_and_redelivers() {
    use teloxide::{RequestError, prelude::*};

    let api = FakeApi::start().await;
    let bot = Bot::new("TEST:TOKEN").set_api_url(api.url().parse().unwrap());

    // A delay aimed at one chat slows only that chat's call.
    api.delay_next_to("sendMessage", 1, Duration::from_millis(600));
    let started = std::time::Instant::now();
    bot.send_message(ChatId(2), "fast").await.expect("sendMessage to 2");
    assert!(
        started.elapsed() < Duration::from_millis(500),
        "{:?}",
        started.elapsed()
    );
    bot.send_message(ChatId(1), "slow").await.expect("sendMessage to 1");
    assert!(
        started.elapsed() >= Duration::from_millis(600),
        "{:?}",
        started.elapsed()
    );

    // A failure aimed at one chat waits for that chat.
    api.fail_next_to(
        "sendMessage",
        3,
        403,
        json!({ "ok": false, "error_code": 403, "description": "Forbidden: bot was blocked by the user" }),
    );
    bot.send_message(ChatId(2), "passes")
        .await
        .expect("chat 2 is not aimed at");
    assert!(bot.send_message(ChatId(3), "refused").await.is_err());

    // A dropped connection is a network error, recorded without a response;
    // the next call is served normally.
    api.drop_next("getMe");
    match bot.get_me().await {
        Err(RequestError::Network(_)) => {}
        other => panic!("expected a network error, got {other:?}"),
    }
    bot.get_me().await.expect("getMe after the drop");
    let gets: Vec<Call> = api.calls().into_iter().filter(|c| c.method == "getMe").collect();
    assert_eq!(gets.len(), 2);
    assert_eq!(gets[0].response, Value::Null);

    // A delivered update can be handed out again, whatever the offset.
    let id = api.push_text(5, "bir kez");
    let (_, body) = raw_post(&api, "getUpdates", json!({ "offset": 0 })).await;
    assert_eq!(body["result"][0]["update_id"], id);
    let (_, body) = raw_post(&api, "getUpdates", json!({ "offset": id + 1, "timeout": 0 })).await;
    assert_eq!(body["result"], json!([]));
    assert!(api.redeliver(id));
    assert!(!api.redeliver(id + 100));
    let (_, body) = raw_post(&api, "getUpdates", json!({ "offset": id + 1 })).await;
    assert_eq!(body["result"][0]["update_id"], id);
    assert_eq!(body["result"][0]["message"]["text"], "bir kez");
    assert_eq!(api.delivered_update(id).unwrap()["message"]["text"], "bir kez");
}

#[tokio::test]
#[should_panic(expected = "no matching sendMessage call")]
async fn fake_wait_for_panics_listing_calls() {
    let api = FakeApi::start().await;
    let _ = raw_post(&api, "sendMessage", json!({ "chat_id": 1, "text": "hi" })).await;
    api.wait_for("sendMessage", |c| c.text() == Some("bye"), Duration::from_millis(200))
        .await;
}

#[tokio::test]
async fn fake_api_drives_teloxide_polling() {
    use teloxide::{dispatching::UpdateFilterExt, prelude::*, types::Update};

    let api = FakeApi::start().await;
    let bot = Bot::new("TEST:TOKEN").set_api_url(api.url().parse().unwrap());
    let handler = Update::filter_message().endpoint(|bot: Bot, msg: Message| async move {
        let reply = format!("echo: {}", msg.text().unwrap_or("<non-text>"));
        bot.send_message(msg.chat.id, reply).await?;
        respond(())
    });
    let mut dispatcher = Dispatcher::builder(bot, handler).build();
    let shutdown = dispatcher.shutdown_token();
    let running = tokio::spawn(async move { dispatcher.dispatch().await });

    api.push_text(900, "selam");
    api.push_sticker(900);
    let echo = api
        .wait_for(
            "sendMessage",
            |c| c.text() == Some("echo: selam"),
            Duration::from_secs(10),
        )
        .await;
    assert_eq!(echo.chat_id(), Some(900));
    api.wait_for(
        "sendMessage",
        |c| c.text() == Some("echo: <non-text>"),
        Duration::from_secs(10),
    )
    .await;

    // Polling confirms what it processed via the next `offset`.
    api.wait_for(
        "getUpdates",
        |c| c.params.get("offset").and_then(Value::as_i64) == Some(3),
        Duration::from_secs(10),
    )
    .await;
    assert_eq!(api.pending_updates(), 0);

    shutdown.shutdown().expect("dispatcher running").await;
    running.await.unwrap();
}
