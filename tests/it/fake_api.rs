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
//! The wire protocol (the server, request paths and bodies, method names, the
//! JSON of users, chats, messages and errors, the long poll) lives in
//! tests/support/bot_api.rs, shared with the load benchmark's fake; this
//! module keeps the state: the history of calls, the queued and delivered
//! updates, the messages the bot sent, the injected faults. Method names are
//! matched case-insensitively, like the real API does, and recorded in their
//! canonical lower-camel form (`sendMessage`), although teloxide itself sends
//! `SendMessage`.

#![allow(dead_code)]

use std::{
    collections::{HashMap, VecDeque},
    net::SocketAddr,
    sync::{Arc, Mutex, MutexGuard},
    time::Duration,
};

use serde_json::{Map, Value, json};
use tokio::sync::{Notify, watch};

use crate::bot_api::{self, Backend, Incoming, LongPoll, Reply, as_i64, json_or_string, update_id};

pub use crate::bot_api::BOT_ID;
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

    /// The bytes of the file sent as `field` (`document`, `photo`), if any.
    pub fn file(&self, field: &str) -> Option<Vec<u8>> {
        let hex = self.params.get(field)?.get("hex")?.as_str()?;
        (0..hex.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(hex.get(i..i + 2)?, 16).ok())
            .collect()
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
    updates_changed: Notify,
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
        bot_api::serve(|addr| FakeApi {
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
                updates_changed: Notify::new(),
                calls_changed: watch::Sender::new(0),
            }),
        })
        .await
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
                let mut m = bot_message(message_id, user_id);
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
        self.inner.updates_changed.notify_waiters();
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
            self.inner.updates_changed.notify_waiters();
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
            .entry(bot_api::canonical_method(method))
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
        let mut m = bot_api::message(id.into(), user_json(user_id, lang), chat_json(user_id));
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
    /// `Outcome::Poll` for `getUpdates`, which is answered by
    /// [`Self::poll_updates`].
    fn record_and_answer(&self, method: String, params: Value, token: String) -> (Option<Duration>, Outcome) {
        let mut state = self.lock();
        let chat = params.get("chat_id").and_then(as_i64);
        let fault = state.failures.get_mut(&method).and_then(|queue| {
            let i = queue.iter().position(|f| f.chat.is_none() || f.chat == chat)?;
            queue.remove(i)
        });
        let (delay, injected) = match fault.map(|f| f.action) {
            Some(Action::Answer(status, body)) => (None, Some(Outcome::Answer(status, body))),
            Some(Action::Drop) => (None, Some(Outcome::Drop)),
            Some(Action::Delay(d)) => (Some(d), None),
            None => (None, None),
        };
        let reply = match injected {
            Some(reply) => reply,
            None if method == "getUpdates" => Outcome::Poll,
            None => {
                let (status, body) = answer(&mut state, &method, &params);
                Outcome::Answer(status, body)
            }
        };
        state.calls.push(Call {
            method,
            params,
            token,
            response: match &reply {
                Outcome::Answer(_, body) => body.clone(),
                Outcome::Poll | Outcome::Drop => Value::Null,
            },
        });
        drop(state);
        self.inner.calls_changed.send_modify(|n| *n += 1);
        (delay, reply)
    }

    /// Long poll: confirms updates below `offset`, then returns pending ones
    /// (at most `limit`), after any to hand out again, as soon as there are
    /// any, or an empty list after `min(timeout, MAX_POLL_WAIT)`.
    async fn poll_updates(&self, params: &Value) -> Value {
        let param = |name: &str| params.get(name).and_then(as_i64);
        let poll = LongPoll::new(param("offset"), param("limit"), param("timeout"), MAX_POLL_WAIT);
        poll.wait(&self.inner.updates_changed, |expired| {
            let mut state = self.lock();
            if poll.offset > 0 {
                state.updates.retain(|u| update_id(u) >= poll.offset);
            }
            if state.redeliveries.is_empty() && state.updates.is_empty() && !expired {
                return None;
            }
            let mut batch: Vec<Value> = std::mem::take(&mut state.redeliveries);
            batch.extend(state.updates.iter().take(poll.limit).cloned());
            for u in &batch {
                state.delivered.insert(update_id(u), u.clone());
            }
            Some(bot_api::ok(Value::Array(batch)))
        })
        .await
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

/// How a call is answered, decided when it arrives.
enum Outcome {
    Answer(u16, Value),
    /// `getUpdates`: a long poll.
    Poll,
    /// Close the connection without a word.
    Drop,
}

impl Backend for FakeApi {
    type Params = Map<String, Value>;

    async fn answer(&self, request: Incoming<Map<String, Value>>) -> Reply {
        let params = Value::Object(request.params);
        let (delay, outcome) = self.record_and_answer(request.method, params.clone(), request.token);
        if let Some(delay) = delay {
            tokio::time::sleep(delay).await;
        }
        match outcome {
            Outcome::Answer(status, body) => Reply::Json(status, body),
            Outcome::Poll => Reply::Json(200, self.poll_updates(&params).await),
            Outcome::Drop => Reply::Drop,
        }
    }
}

/// The normal (non-injected) answer for a method.
fn answer(state: &mut State, method: &str, params: &Value) -> (u16, Value) {
    let ok = |result: Value| (200, bot_api::ok(result));
    if bot_api::is_true_method(method) {
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
        "getMe" => ok(bot_api::get_me(BOT_USERNAME)),
        "getWebhookInfo" => ok(bot_api::webhook_info(state.updates.len())),
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
        _ => (404, bot_api::error(404, bot_api::METHOD_NOT_FOUND)),
    }
}

/// A bot message for any `send*` method: fresh id, bot as sender, content
/// echoed from the parameters; kept for later edits and callback queries.
fn send_message(state: &mut State, method: &str, params: &Value) -> Value {
    let chat_id = params.get("chat_id").and_then(as_i64).unwrap_or(0);
    let id = state.next_message_id;
    state.next_message_id += 1;
    let n = state.next_file_id;
    state.next_file_id += 1;
    let mut m = bot_message(id, chat_id);
    m.extend(bot_api::sent_content(method, params, n));
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
            let mut m = bot_message(id, chat_id);
            m.insert("text".into(), json!(""));
            m
        }
    };
    bot_api::apply_edit(&mut m, method, params);
    let m = Value::Object(m);
    state.messages.insert((chat_id, id), m.clone());
    m
}

/// A message of the bot's in this chat, without content yet.
fn bot_message(id: i32, chat_id: i64) -> Map<String, Value> {
    bot_api::message(id.into(), bot_api::bot_user(BOT_USERNAME), chat_json(chat_id))
}

/// User `User{id}` (`@user{id}`).
fn user_json(user_id: i64, lang: &str) -> Value {
    let username = format!("user{user_id}");
    bot_api::user(user_id, &format!("User{user_id}"), Some(&username), lang)
}

/// The private chat with `User{id}`, or a test group or supergroup.
fn chat_json(chat_id: i64) -> Value {
    match bot_api::chat_type(chat_id) {
        "private" => {
            let username = format!("user{chat_id}");
            bot_api::chat(chat_id, &format!("User{chat_id}"), Some(&username))
        }
        "supergroup" => bot_api::chat(chat_id, "Test supergroup", None),
        _ => bot_api::chat(chat_id, "Test group", None),
    }
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
        json!({ "filename": "guide.pdf", "bytes_len": 11, "hex": "68656c6c6f20776f726c64" })
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
