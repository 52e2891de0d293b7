//! Questions for staff end to end through the real Telegram adapter (`telegram::run`)
//! against the loopback fake Bot API: a staff group with two staff members and one
//! member who is not staff, people asking in their private chats, the outbox
//! delivering, and time driven by a manual clock.

use crate::fake_api::{Call, FakeApi};
use crate::helpers::{Chat, Running, Sandbox, WAIT, message_of, person, press, text};
use eudesk::clock::ManualClock;
use eudesk::dialogue;
use eudesk::engine::{Context, Engine, Event, Options, Place};
use eudesk::ids::{ChatId, MessageId, MessageRef};
use eudesk::lang::Lang;
use eudesk::storage::Store;
use eudesk::tickets::{EventKind, TicketId, TicketStatus};
use eudesk::trainings::time::parse_local;
use jiff::{SignedDuration, Timestamp};
use serde_json::{Value, json};
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

/// The staff group (a basic group: negative id above Telegram's supergroup range).
pub(crate) const STAFF_CHAT: i64 = -4_001;
/// Where Telegram moves the staff group when it becomes a supergroup.
pub(crate) const SUPERGROUP: i64 = -1_001_234_567_890;
/// Two staff members (STAFF_USER_IDS) and a member of the group who is not staff.
pub(crate) const STAFF_A: i64 = 9001;
pub(crate) const STAFF_B: i64 = 9002;
pub(crate) const OUTSIDER: i64 = 9003;
/// People asking, in their private chats (the fake names them `User<id>`).
pub(crate) const AYSE: i64 = 101;
pub(crate) const MEHMET: i64 = 102;

/// What the bot's own post about a new ticket starts with.
pub(crate) fn post_marker(ticket: i64) -> String {
    format!("🎫 <b>Talep #{ticket}</b>")
}

pub(crate) fn at(local: &str) -> Timestamp {
    parse_local(local).expect("a valid office time")
}

/// Tuesday 1 December 2026, 10:00 in Istanbul: inside office hours.
pub(crate) fn clock() -> Arc<ManualClock> {
    Arc::new(ManualClock::new(at("2026-12-01 10:00")))
}

/// An engine over the sandbox's files with the staff group and the two staff members;
/// `tweak` changes further options.
pub(crate) async fn engine_for(sandbox: &Sandbox, clock: Arc<ManualClock>, tweak: impl FnOnce(&mut Options)) -> Engine {
    let loaded = dialogue::load(&sandbox.dialogues()).expect("the test tree is valid");
    let store = Store::open(&sandbox.database_url()).await.expect("database opens");
    let mut options = Options {
        staff: vec![STAFF_A, STAFF_B],
        clock,
        staff_chat: Some(STAFF_CHAT),
        ..Options::default()
    };
    tweak(&mut options);
    Engine::with_options(loaded.tree, store, options)
}

pub(crate) async fn start(tweak: impl FnOnce(&mut Options)) -> (Running, Arc<ManualClock>) {
    let sandbox = Sandbox::new();
    let clock = clock();
    let engine = engine_for(&sandbox, clock.clone(), tweak).await;
    (Running::start(sandbox, engine, false).await, clock)
}

// ---------------------------------------------------------------------------
// The fake's side: updates from the staff group, and what the bot sent.

pub(crate) static NEXT_ID: AtomicI64 = AtomicI64::new(700_000);

pub(crate) fn next_id() -> i64 {
    NEXT_ID.fetch_add(1, Ordering::Relaxed)
}

pub(crate) fn unix_now() -> i64 {
    Timestamp::now().as_second()
}

pub(crate) fn first_name(user: i64) -> &'static str {
    match user {
        STAFF_A => "Selin",
        STAFF_B => "Burak",
        OUTSIDER => "Kemal",
        _ => "Üye",
    }
}

pub(crate) fn member(user: i64) -> Value {
    json!({
        "id": user,
        "is_bot": false,
        "first_name": first_name(user),
        "language_code": "tr",
    })
}

pub(crate) fn group_chat(chat: i64) -> Value {
    if chat <= -1_000_000_000_000 {
        json!({ "id": chat, "type": "supergroup", "title": "Staff" })
    } else {
        json!({ "id": chat, "type": "group", "title": "Staff" })
    }
}

/// A message from `from` in the group `chat`, with `extra` fields merged in.
pub(crate) fn group_message(chat: i64, from: i64, extra: Value) -> Value {
    let mut message = json!({
        "message_id": next_id(),
        "date": unix_now(),
        "chat": group_chat(chat),
        "from": member(from),
    });
    if let (Some(m), Value::Object(extra)) = (message.as_object_mut(), extra) {
        m.extend(extra);
    }
    message
}

/// `from` writes `text` in the group.
pub(crate) fn say_in_group(api: &FakeApi, chat: i64, from: i64, text: &str) {
    api.push_update(json!({ "message": group_message(chat, from, json!({ "text": text })) }));
}

/// `from` replies in the group, in Telegram, to the bot's message `to`.
pub(crate) fn reply_in_group(api: &FakeApi, chat: i64, from: i64, to: &Call, text: &str) {
    let replied = to.response["result"].clone();
    assert!(replied.is_object(), "not a message the bot sent: {to:?}");
    let message = group_message(chat, from, json!({ "text": text, "reply_to_message": replied }));
    api.push_update(json!({ "message": message }));
}

/// `from` presses the button `data` under the bot's group message `on`.
pub(crate) fn press_in_group(api: &FakeApi, from: i64, on: &Call, data: &str) {
    let message = on.response["result"].clone();
    assert!(message.is_object(), "not a message the bot sent: {on:?}");
    api.push_update(json!({ "callback_query": {
        "id": format!("staff-cbq-{}", next_id()),
        "from": member(from),
        "message": message,
        "chat_instance": "staff-chat-instance",
        "data": data,
    }}));
}

pub(crate) fn succeeded(call: &Call) -> bool {
    call.response.get("ok") == Some(&Value::Bool(true))
}

pub(crate) fn has_button(call: &Call, data: &str) -> bool {
    call.buttons().iter().any(|(_, d)| d == data)
}

/// The message id a send replied to (`reply_parameters`), if any.
pub(crate) fn replies_to(call: &Call) -> Option<i64> {
    let parameters = match &call.params["reply_parameters"] {
        Value::String(s) => serde_json::from_str(s).ok()?,
        other => other.clone(),
    };
    parameters.get("message_id").and_then(Value::as_i64)
}

/// Every sendMessage to `chat`, whatever the fake answered.
pub(crate) fn sends_to(api: &FakeApi, chat: i64) -> Vec<Call> {
    api.calls()
        .into_iter()
        .filter(|c| c.method == "sendMessage" && c.chat_id() == Some(chat))
        .collect()
}

/// The messages Telegram accepted for `chat` whose text contains `needle`.
pub(crate) fn sent(api: &FakeApi, chat: i64, needle: &str) -> Vec<Call> {
    sends_to(api, chat)
        .into_iter()
        .filter(|c| succeeded(c) && c.text().is_some_and(|t| t.contains(needle)))
        .collect()
}

pub(crate) fn describe(api: &FakeApi, chat: i64) -> String {
    sends_to(api, chat)
        .iter()
        .map(|c| format!("  {} {:?}", if succeeded(c) { "ok  " } else { "FAIL" }, c.text()))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Waits until at least `n` messages saying `needle` reached `chat`; returns them all.
pub(crate) async fn wait_sent(api: &FakeApi, chat: i64, needle: &str, n: usize) -> Vec<Call> {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let found = sent(api, chat, needle);
        if found.len() >= n {
            return found;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "expected {n} message(s) with {needle:?} in chat {chat} within {WAIT:?}, saw {}; all sends there:\n{}",
            found.len(),
            describe(api, chat)
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// The first message saying `needle` in `chat`.
pub(crate) async fn wait_one(api: &FakeApi, chat: i64, needle: &str) -> Call {
    wait_sent(api, chat, needle, 1).await.remove(0)
}

/// Polls `$cond` (which may `.await`) until it holds, failing after `WAIT`.
macro_rules! eventually {
    ($what:expr, $cond:expr) => {
        eventually!(WAIT, $what, $cond)
    };
    ($within:expr, $what:expr, $cond:expr) => {{
        let within: Duration = $within;
        let deadline = tokio::time::Instant::now() + within;
        loop {
            if $cond {
                break;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "not within {within:?}: {}",
                $what
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }};
}

/// Waits until the bot has recorded that `call`'s message in `chat` belongs to a
/// ticket (done right after Telegram accepts it): only then is a reply to it an answer.
pub(crate) async fn linked(engine: &Engine, chat: i64, call: &Call) {
    let message = message_of(call) as i64;
    eventually!(
        format!("message {message} in {chat} linked to its ticket"),
        engine
            .store()
            .ticket_of_message(MessageRef::new(ChatId(chat), MessageId(message)))
            .await
            .unwrap()
            .is_some()
    );
}

/// Where the staff chat is now, as the bot reads it (STAFF_CHAT_ID, or where Telegram
/// moved it).
pub(crate) async fn staff_chat(engine: &Engine) -> Option<i64> {
    eudesk::telegram::staff_chat::StaffChat::new(engine.store().clone(), engine.configured_staff_chat())
        .current()
        .await
        .unwrap()
}

pub(crate) async fn outbox_drained(engine: &Engine) {
    eventually!(
        "the outbox drained",
        engine.store().outbox_backlog().await.unwrap() == 0
    );
}

pub(crate) async fn status(engine: &Engine, ticket: i64) -> TicketStatus {
    engine
        .store()
        .ticket(TicketId(ticket))
        .await
        .unwrap()
        .expect("the ticket exists")
        .status
}

pub(crate) async fn events(engine: &Engine, ticket: i64) -> Vec<EventKind> {
    engine
        .store()
        .ticket_events(TicketId(ticket))
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.kind)
        .collect()
}

/// One outbox row as stored: (id, chat_id, to_staff, state, attempts, next_attempt,
/// last_error).
type OutboxRow = (i64, i64, i64, String, i64, String, Option<String>);

pub(crate) async fn outbox_rows(sandbox: &Sandbox) -> Vec<OutboxRow> {
    let pool = sqlx::SqlitePool::connect(&sandbox.database_url()).await.unwrap();
    let rows = sqlx::query_as(
        "SELECT id, chat_id, to_staff, state, attempts, next_attempt, last_error FROM outbox ORDER BY id",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    pool.close().await;
    rows
}

impl Chat {
    /// `/ask QUESTION`, then Send: the ticket's number.
    pub(crate) async fn ask(&mut self, question: &str) -> i64 {
        self.say(&format!("/ask {question}"));
        let confirm = self
            .expect("sendMessage", "Bu soruyu büro personeline göndereyim mi?")
            .await;
        assert!(has_button(&confirm, "f:send"), "{:?}", confirm.buttons());
        self.press(&confirm, "f:send");
        let received = self.expect("editMessageText", "Sorunuz alındı").await;
        ticket_number(received.text().unwrap())
    }
}

/// N from "… talep #N …".
pub(crate) fn ticket_number(html: &str) -> i64 {
    let after = html
        .split_once("talep #")
        .unwrap_or_else(|| panic!("no ticket number in {html:?}"))
        .1;
    after
        .chars()
        .take_while(char::is_ascii_digit)
        .collect::<String>()
        .parse()
        .unwrap()
}

/// Staff member `from` presses Send under the `nth` preview (1 for the first) of an
/// answer to ticket `n` in the staff chat; returns the preview.
pub(crate) async fn send_preview(api: &FakeApi, from: i64, n: i64, nth: usize) -> Call {
    send_preview_in(api, STAFF_CHAT, from, n, nth).await
}

/// `send_preview` in `chat`.
pub(crate) async fn send_preview_in(api: &FakeApi, chat: i64, from: i64, n: i64, nth: usize) -> Call {
    let send = format!("k:send:{n}");
    let deadline = tokio::time::Instant::now() + WAIT;
    let preview = loop {
        let previews: Vec<Call> = sends_to(api, chat)
            .into_iter()
            .filter(|c| succeeded(c) && has_button(c, &send))
            .collect();
        if previews.len() >= nth {
            break previews[nth - 1].clone();
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no preview #{nth} of an answer to #{n} within {WAIT:?}:\n{}",
            describe(api, chat)
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    };
    assert!(preview.text().unwrap().contains("Önizleme"), "{:?}", preview.text());
    let message = preview.response["result"].clone();
    api.push_update(json!({ "callback_query": {
        "id": format!("staff-cbq-{}", next_id()),
        "from": member(from),
        "message": message,
        "chat_instance": "staff-chat-instance",
        "data": send,
    }}));
    preview
}

/// A ticket asked through the engine alone (no Telegram in between): `/ask`, Send.
pub(crate) async fn ask_directly(engine: &Engine, user: i64, question: &str) -> i64 {
    let who = person(user, Lang::Tr);
    engine.handle(who, text(&format!("/ask {question}"))).await.unwrap();
    let replies = engine.handle(who, press("f:send")).await.unwrap();
    ticket_number(&replies[0].html)
}

// ---------------------------------------------------------------------------

#[tokio::test]
pub(crate) async fn a_question_is_escalated_posted_answered_by_reply_and_by_slash_reply_followed_up_and_closed() {
    let (bot, _clock) = start(|_| {}).await;
    let api = &bot.api;
    let engine = &bot.engine;
    let mut ayse = Chat::new(api, AYSE);

    // A question the dialogues cannot answer: the bot offers to ask staff.
    let question = "Uzay istasyonunda mantar yetiştirme projesi için hibe var mı?";
    ayse.say(question);
    let offer = ayse.expect("sendMessage", "").await;
    assert!(has_button(&offer, "q:"), "no Ask staff button: {:?}", offer.buttons());
    ayse.press(&offer, "q:");
    let confirm = ayse
        .expect("sendMessage", "Bu soruyu büro personeline göndereyim mi?")
        .await;
    assert!(confirm.text().unwrap().contains(question));
    ayse.press(&confirm, "f:send");
    let received = ayse.expect("editMessageText", "talep #1").await;
    assert!(received.text().unwrap().contains("/mytickets"));

    // Posted to the staff chat, with the question, who asked and the buttons.
    let post = wait_one(api, STAFF_CHAT, &post_marker(1)).await;
    let html = post.text().unwrap();
    assert!(html.contains(question), "{html}");
    assert!(html.contains("User101") && html.contains("TR"), "{html}");
    assert_eq!(post.params["parse_mode"], "HTML");
    for data in ["k:answer:1", "k:take:1", "k:close:1"] {
        assert!(has_button(&post, data), "{:?}", post.buttons());
    }
    assert_eq!(status(engine, 1).await, TicketStatus::Open);

    // Staff member A answers by replying to the post in Telegram.
    linked(engine, STAFF_CHAT, &post).await;
    let first_answer = "Evet, Ufuk Avrupa çağrılarına bakabilirsiniz.";
    reply_in_group(api, STAFF_CHAT, STAFF_A, &post, first_answer);
    let preview = send_preview(api, STAFF_A, 1, 1).await;
    assert!(preview.text().unwrap().contains(first_answer));
    api.wait_for(
        "editMessageText",
        |c| {
            c.message_id() == Some(message_of(&preview))
                && c.text().is_some_and(|t| t.contains("#1 yanıtı kuyruğa alındı"))
        },
        WAIT,
    )
    .await;
    let answer = ayse
        .expect("sendMessage", "AB ve Dış İlişkiler Bürosu'ndan yanıt")
        .await;
    let html = answer.text().unwrap();
    assert!(html.contains(first_answer) && html.contains("talep #1"), "{html}");
    assert!(has_button(&answer, "k:solved:1") && has_button(&answer, "k:follow:1"));
    let delivered = wait_one(api, STAFF_CHAT, "<b>Talep #1</b> yanıtı kişiye iletildi").await;
    assert_eq!(replies_to(&delivered), Some(message_of(&post) as i64));
    assert_eq!(ayse.count("Bürosu'ndan yanıt"), 1, "the answer came once");
    assert_eq!(status(engine, 1).await, TicketStatus::Answered);

    // The person follows up with the button: the same ticket, open again, and staff
    // see it as a reply to the ticket's post.
    ayse.press(&answer, "k:follow:1");
    ayse.expect("sendMessage", "#1 numaralı talebiniz için ek sorunuzu yazın")
        .await;
    let follow_up = "Başvuru belgeleri İngilizce mi olmalı?";
    ayse.say(follow_up);
    ayse.expect("sendMessage", "Ek mesajınızı #1 numaralı talebe ekledim")
        .await;
    let relayed = wait_one(api, STAFF_CHAT, "ek soru yazdı").await;
    assert!(relayed.text().unwrap().contains(follow_up));
    assert!(relayed.text().unwrap().contains("<b>Talep #1</b>"));
    assert_eq!(replies_to(&relayed), Some(message_of(&post) as i64));
    assert_eq!(status(engine, 1).await, TicketStatus::Open);

    // Staff member B answers with /reply.
    let second_answer = "Türkçe ya da İngilizce olabilir.";
    say_in_group(api, STAFF_CHAT, STAFF_B, &format!("/reply 1 {second_answer}"));
    send_preview(api, STAFF_B, 1, 2).await;
    let answer2 = ayse
        .expect("sendMessage", "AB ve Dış İlişkiler Bürosu'ndan yanıt")
        .await;
    assert!(answer2.text().unwrap().contains(second_answer));
    assert!(!answer2.text().unwrap().contains(first_answer));
    wait_sent(api, STAFF_CHAT, "<b>Talep #1</b> yanıtı kişiye iletildi", 2).await;
    assert_eq!(status(engine, 1).await, TicketStatus::Answered);

    // Solved: closed, and staff are told.
    ayse.press(&answer2, "k:solved:1");
    ayse.expect("sendMessage", "#1 numaralı talebi kapattım").await;
    let note = wait_one(api, STAFF_CHAT, "kişi tarafından çözüldü").await;
    assert_eq!(replies_to(&note), Some(message_of(&post) as i64));
    assert_eq!(status(engine, 1).await, TicketStatus::Closed);

    let history = engine.store().ticket_events(TicketId(1)).await.unwrap();
    let kinds: Vec<EventKind> = history.iter().map(|e| e.kind).collect();
    assert_eq!(
        kinds,
        [
            EventKind::Question,
            EventKind::Answer,
            EventKind::Delivered,
            EventKind::FollowUp,
            EventKind::Answer,
            EventKind::Delivered,
            EventKind::Close,
        ]
    );
    let author = |i: usize| history[i].author.as_ref().map(|(id, _)| *id);
    assert_eq!(author(0), Some(AYSE));
    assert_eq!(history[0].text.as_deref(), Some(question));
    assert_eq!(author(1), Some(STAFF_A));
    assert_eq!(history[1].text.as_deref(), Some(first_answer));
    assert_eq!(history[1].author.as_ref().unwrap().1, "Selin");
    assert_eq!(history[3].text.as_deref(), Some(follow_up));
    assert_eq!(author(4), Some(STAFF_B));
    assert_eq!(history[4].text.as_deref(), Some(second_answer));
    assert_eq!(author(6), Some(AYSE));
    outbox_drained(engine).await;
    assert_eq!(ayse.count("Bürosu'ndan yanıt"), 2, "each answer came once");
}

#[tokio::test]
pub(crate) async fn html_and_telegram_markup_in_a_question_are_shown_literally_to_staff() {
    let (bot, _clock) = start(|_| {}).await;
    let api = &bot.api;
    let mut ayse = Chat::new(api, AYSE);
    let question = "<b>x</b> & *bold* _it_ [l](http://x)";
    let escaped = "&lt;b&gt;x&lt;/b&gt; &amp; *bold* _it_ [l](http://x)";

    let n = ayse.ask(question).await;
    let post = wait_one(api, STAFF_CHAT, &post_marker(n)).await;
    let html = post.text().unwrap();
    assert_eq!(post.params["parse_mode"], "HTML");
    assert!(html.contains(&format!("<blockquote>{escaped}</blockquote>")), "{html}");
    assert!(!html.contains("<b>x</b>"), "{html}");
    let stored = bot.engine.store().ticket(TicketId(n)).await.unwrap().unwrap();
    assert_eq!(stored.question, question, "stored as typed");

    // The answer quotes the question back, just as literally.
    linked(&bot.engine, STAFF_CHAT, &post).await;
    reply_in_group(api, STAFF_CHAT, STAFF_A, &post, "1 < 2 & <i>ok</i>");
    let preview = send_preview(api, STAFF_A, n, 1).await;
    assert!(preview.text().unwrap().contains("1 &lt; 2 &amp; &lt;i&gt;ok&lt;/i&gt;"));
    let answer = ayse.expect("sendMessage", "Bürosu'ndan yanıt").await;
    let html = answer.text().unwrap();
    assert!(html.contains("1 &lt; 2 &amp; &lt;i&gt;ok&lt;/i&gt;"), "{html}");
    assert!(html.contains(escaped), "{html}");
}

#[tokio::test]
pub(crate) async fn a_member_of_the_staff_group_who_is_not_staff_is_refused_and_not_relayed() {
    let (bot, _clock) = start(|_| {}).await;
    let api = &bot.api;
    let engine = &bot.engine;
    let mut ayse = Chat::new(api, AYSE);
    let n = ayse.ask("Eğitim sertifikası veriliyor mu?").await;
    let post = wait_one(api, STAFF_CHAT, &post_marker(n)).await;
    linked(engine, STAFF_CHAT, &post).await;

    // Silence in the group: an answer to an outsider would queue ahead of ticket posts.
    say_in_group(api, STAFF_CHAT, OUTSIDER, "/tickets");
    reply_in_group(api, STAFF_CHAT, OUTSIDER, &post, "Evet veriliyor, ben söyleyeyim.");
    press_in_group(api, OUTSIDER, &post, &format!("k:close:{n}"));
    // The press is answered on the outsider's own screen only.
    let told = api
        .wait_for("answerCallbackQuery", |c| c.params.get("text").is_some(), WAIT)
        .await;
    assert!(
        told.params["text"]
            .as_str()
            .unwrap_or_default()
            .contains("yalnızca büro personeli"),
        "{told:?}"
    );
    // Updates of one chat are handled in order: once staff's command is answered,
    // everything the outsider did before it has been handled.
    say_in_group(api, STAFF_CHAT, STAFF_A, "/tickets");
    let list = wait_one(api, STAFF_CHAT, "Eğitim sertifikası veriliyor mu?</i>").await;
    assert!(list.text().unwrap().contains(&format!("<b>#{n}</b>")));

    assert_eq!(status(engine, n).await, TicketStatus::Open);
    assert_eq!(events(engine, n).await, [EventKind::Question]);
    outbox_drained(engine).await;
    assert_eq!(ayse.count("Bürosu'ndan yanıt"), 0, "nothing relayed");
    assert_eq!(ayse.count("kapatıldı"), 0, "not closed");
    // Only the replies to Ayşe's own messages are queued for her (replies go through
    // the outbox), nothing the outsider wrote.
    let pool = sqlx::SqlitePool::connect(&bot.sandbox.database_url()).await.unwrap();
    let relayed: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM outbox WHERE chat_id = ? AND html LIKE '%ben söyleyeyim%'")
            .bind(AYSE)
            .fetch_one(&pool)
            .await
            .unwrap();
    pool.close().await;
    assert_eq!(relayed, 0, "nothing queued for the person");
    assert!(sent(api, STAFF_CHAT, "yalnızca büro personeli").is_empty());
    assert!(engine.store().conversation(OUTSIDER).await.unwrap().is_none());
}

#[tokio::test]
pub(crate) async fn two_staff_members_answering_two_tickets_at_once_never_see_their_answers_crossed() {
    let (bot, _clock) = start(|_| {}).await;
    let api = &bot.api;
    let engine = &bot.engine;
    let mut ayse = Chat::new(api, AYSE);
    let mut mehmet = Chat::new(api, MEHMET);
    let one = ayse.ask("Eğitim hangi tarihte?").await;
    let two = mehmet.ask("Bütçe şablonu nerede?").await;
    assert_eq!((one, two), (1, 2));
    let post1 = wait_one(api, STAFF_CHAT, &post_marker(1)).await;
    let post2 = wait_one(api, STAFF_CHAT, &post_marker(2)).await;

    press_in_group(api, STAFF_A, &post1, "k:answer:1");
    wait_one(api, STAFF_CHAT, "Selin, #1 numaralı talebin yanıtını bu sohbette yazın").await;
    press_in_group(api, STAFF_B, &post2, "k:answer:2");
    wait_one(api, STAFF_CHAT, "Burak, #2 numaralı talebin yanıtını bu sohbette yazın").await;

    let for_mehmet = "Bütçe şablonu sitemizde, Belgeler sayfasında.";
    let for_ayse = "Eğitim 10 Aralık'ta, İzmir'de.";
    say_in_group(api, STAFF_CHAT, STAFF_B, for_mehmet);
    let preview2 = send_preview(api, STAFF_B, 2, 1).await;
    assert!(preview2.text().unwrap().contains(for_mehmet));
    say_in_group(api, STAFF_CHAT, STAFF_A, for_ayse);
    let preview1 = send_preview(api, STAFF_A, 1, 1).await;
    assert!(preview1.text().unwrap().contains(for_ayse));

    let to_ayse = ayse.expect("sendMessage", "Bürosu'ndan yanıt").await;
    let to_mehmet = mehmet.expect("sendMessage", "Bürosu'ndan yanıt").await;
    assert!(to_ayse.text().unwrap().contains(for_ayse));
    assert!(!to_ayse.text().unwrap().contains(for_mehmet));
    assert!(to_ayse.text().unwrap().contains("talep #1"));
    assert!(to_mehmet.text().unwrap().contains(for_mehmet));
    assert!(!to_mehmet.text().unwrap().contains(for_ayse));
    assert!(to_mehmet.text().unwrap().contains("talep #2"));
    wait_one(api, STAFF_CHAT, "<b>Talep #1</b> yanıtı kişiye iletildi").await;
    wait_one(api, STAFF_CHAT, "<b>Talep #2</b> yanıtı kişiye iletildi").await;
    outbox_drained(engine).await;
    assert_eq!(ayse.count("Bürosu'ndan yanıt"), 1);
    assert_eq!(mehmet.count("Bürosu'ndan yanıt"), 1);

    let answer_of = |history: Vec<eudesk::tickets::TicketEvent>| {
        history
            .into_iter()
            .filter(|e| e.kind == EventKind::Answer)
            .map(|e| (e.author.map(|(id, _)| id), e.text))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        answer_of(engine.store().ticket_events(TicketId(1)).await.unwrap()),
        [(Some(STAFF_A), Some(for_ayse.to_owned()))]
    );
    assert_eq!(
        answer_of(engine.store().ticket_events(TicketId(2)).await.unwrap()),
        [(Some(STAFF_B), Some(for_mehmet.to_owned()))]
    );
    // Both are done answering: their next words in the group are just talk.
    for staff in [STAFF_A, STAFF_B] {
        assert_eq!(
            engine.store().draft(staff, ChatId(STAFF_CHAT)).await.unwrap(),
            None,
            "{staff}"
        );
        assert!(engine.store().conversation(staff).await.unwrap().is_none(), "{staff}");
    }

    // Mehmet replies to his answer in Telegram: a follow-up to his ticket only.
    linked(engine, MEHMET, &to_mehmet).await;
    let follow_up = "Şablonun İngilizcesi de var mı?";
    api.push_update(json!({ "message": {
        "message_id": next_id(),
        "date": unix_now(),
        "chat": { "id": MEHMET, "type": "private", "first_name": "User102" },
        "from": { "id": MEHMET, "is_bot": false, "first_name": "User102", "language_code": "tr" },
        "text": follow_up,
        "reply_to_message": to_mehmet.response["result"].clone(),
    }}));
    mehmet
        .expect("sendMessage", "Ek mesajınızı #2 numaralı talebe ekledim")
        .await;
    let relayed = wait_one(api, STAFF_CHAT, "ek soru yazdı").await;
    assert!(relayed.text().unwrap().contains("<b>Talep #2</b>"));
    assert!(relayed.text().unwrap().contains(follow_up));
    assert_eq!(replies_to(&relayed), Some(message_of(&post2) as i64));
    assert_eq!(status(engine, 2).await, TicketStatus::Open);
    assert_eq!(status(engine, 1).await, TicketStatus::Answered);
}

#[tokio::test]
pub(crate) async fn an_answer_to_a_person_who_blocked_the_bot_is_marked_undeliverable_and_staff_are_told() {
    let (bot, clock) = start(|_| {}).await;
    let api = &bot.api;
    let engine = &bot.engine;
    let mut ayse = Chat::new(api, AYSE);
    let n = ayse.ask("Proje ortağı bulmama yardım eder misiniz?").await;
    let post = wait_one(api, STAFF_CHAT, &post_marker(n)).await;
    linked(engine, STAFF_CHAT, &post).await;
    outbox_drained(engine).await;

    // Ayşe has blocked the bot since: Telegram refuses the answer. The answer is
    // given through the engine (as the adapter does for `/reply` in the group), so
    // that the refusal is sure to hit the answer and not staff's acknowledgement.
    api.fail_next(
        "sendMessage",
        403,
        json!({ "ok": false, "error_code": 403, "description": "Forbidden: bot was blocked by the user" }),
    );
    let staff = eudesk::engine::Person {
        user: eudesk::ids::UserId(STAFF_A),
        lang_hint: Lang::Tr,
    };
    let ctx = Context {
        place: Place::StaffChat(STAFF_CHAT),
        first_name: "Selin".to_owned(),
        reply_to_ticket: None,
        update: None,
        admitted: false,
        reply_in: None,
    };
    let preview = engine
        .handle_in(
            staff,
            ctx.clone(),
            Event::Text(format!("/reply {n} Elbette, ortak arama veri tabanına bakın.")),
        )
        .await
        .unwrap();
    assert!(preview[0].html.contains("Önizleme"), "{preview:?}");
    let replies = engine
        .handle_in(staff, ctx, crate::helpers::press(&format!("k:send:{n}")))
        .await
        .unwrap();
    assert!(replies[0].html.contains("kuyruğa alındı"), "{:?}", replies);

    let note = wait_one(api, STAFF_CHAT, "yanıtı kişiye iletilemedi").await;
    assert!(note.text().unwrap().contains(&format!("<b>Talep #{n}</b>")));
    assert_eq!(replies_to(&note), Some(message_of(&post) as i64));
    let refused: Vec<Call> = sends_to(api, AYSE).into_iter().filter(|c| !succeeded(c)).collect();
    assert_eq!(refused.len(), 1);
    assert!(refused[0].text().unwrap().contains("Bürosu'ndan yanıt"));

    outbox_drained(engine).await;
    let rows = outbox_rows(&bot.sandbox).await;
    // The last message to Ayşe (before it, the replies of her own conversation).
    let answer_row = rows
        .iter()
        .rev()
        .find(|r| r.1 == AYSE && r.2 == 0)
        .expect("the answer's outbox row");
    assert_eq!(answer_row.3, "failed");
    assert_eq!(answer_row.4, 1, "not retried");
    assert!(
        answer_row.6.as_deref().unwrap_or_default().contains("blocked"),
        "{answer_row:?}"
    );
    let history = engine.store().ticket_events(TicketId(n)).await.unwrap();
    let last = history.last().unwrap();
    assert_eq!(last.kind, EventKind::Undeliverable);
    assert!(last.text.as_deref().unwrap_or_default().contains("blocked"), "{last:?}");
    assert!(!history.iter().any(|e| e.kind == EventKind::Delivered));

    // Never retried, never reported as delivered, however long one waits.
    for _ in 0..3 {
        clock.advance(SignedDuration::from_mins(20));
        tokio::time::sleep(Duration::from_millis(400)).await;
    }
    assert_eq!(
        sends_to(api, AYSE)
            .iter()
            .filter(|c| c.text().unwrap_or("").contains("Bürosu'ndan yanıt"))
            .count(),
        1
    );
    assert!(sent(api, STAFF_CHAT, "yanıtı kişiye iletildi").is_empty());
    assert_eq!(sent(api, STAFF_CHAT, "yanıtı kişiye iletilemedi").len(), 1);
}

#[tokio::test]
pub(crate) async fn staff_posts_survive_429_and_502_from_telegram_and_are_each_delivered_exactly_once() {
    let (bot, clock) = start(|_| {}).await;
    let api = &bot.api;
    let engine = &bot.engine;
    let t0 = engine.now();

    // Flood control twice, then a proxy's error page (teloxide reads it after 10 s).
    for _ in 0..2 {
        api.fail_next(
            "sendMessage",
            429,
            json!({ "ok": false, "error_code": 429, "description": "Too Many Requests: retry after 1",
                    "parameters": { "retry_after": 1 } }),
        );
    }
    api.fail_next(
        "sendMessage",
        502,
        json!("<html><body><h1>502 Bad Gateway</h1></body></html>"),
    );

    for (user, question) in [
        (AYSE, "Birinci soru: hibe takvimi"),
        (MEHMET, "İkinci soru: ortaklık belgesi"),
        (AYSE, "Üçüncü soru: eş finansman oranı"),
    ] {
        ask_directly(engine, user, question).await;
    }

    // The staff chat is one line: its posts go in order, so the first post meets the
    // three failures one after the other while the others wait behind it. The clock has
    // not moved, so it is not due again until it does.
    let at = |rows: &[OutboxRow]| rows[0].5.parse::<Timestamp>().unwrap();
    eventually!(
        WAIT,
        "the first post refused once",
        outbox_rows(&bot.sandbox).await.first().is_some_and(|r| r.4 == 1)
    );
    let rows = outbox_rows(&bot.sandbox).await;
    assert_eq!(at(&rows), t0 + SignedDuration::from_secs(1), "retry_after honoured");
    assert!(
        rows[1..].iter().all(|r| r.4 == 0),
        "the others wait behind it: {rows:?}"
    );
    clock.advance(SignedDuration::from_secs(1));
    eventually!(
        WAIT,
        "the first post refused twice",
        outbox_rows(&bot.sandbox).await.first().is_some_and(|r| r.4 == 2)
    );
    let rows = outbox_rows(&bot.sandbox).await;
    assert_eq!(at(&rows), t0 + SignedDuration::from_secs(2), "retry_after honoured");
    clock.advance(SignedDuration::from_secs(1));
    eventually!(
        WAIT,
        "the first post refused a third time",
        outbox_rows(&bot.sandbox).await.first().is_some_and(|r| r.4 == 3)
    );
    // A proxy's error page: surely not delivered, so retried soon (under two seconds).
    let rows = outbox_rows(&bot.sandbox).await;
    let wait = at(&rows).duration_since(t0 + SignedDuration::from_secs(2));
    assert!(
        wait > SignedDuration::ZERO && wait <= SignedDuration::from_secs(2),
        "{wait:?}"
    );
    assert!(sends_to(api, STAFF_CHAT).iter().all(|c| !succeeded(c)));
    clock.advance(SignedDuration::from_secs(2));
    for n in 1..=3 {
        wait_one(api, STAFF_CHAT, &post_marker(n)).await;
    }
    outbox_drained(engine).await;

    // A while later, still exactly once each.
    for _ in 0..3 {
        clock.advance(SignedDuration::from_secs(60));
        tokio::time::sleep(Duration::from_millis(400)).await;
    }
    for n in 1..=3 {
        assert_eq!(sent(api, STAFF_CHAT, &post_marker(n)).len(), 1, "ticket {n}");
    }
    let all = sends_to(api, STAFF_CHAT);
    assert_eq!(
        all.len(),
        6,
        "three failures and three posts:\n{}",
        describe(api, STAFF_CHAT)
    );
    let rows = outbox_rows(&bot.sandbox).await;
    assert!(rows.iter().all(|r| r.3 == "sent"), "{rows:?}");
    let tries: Vec<i64> = rows.iter().map(|r| r.4).collect();
    assert_eq!(tries, [4, 1, 1], "three failures of the first post, then each once");
    for n in 1..=3 {
        assert_eq!(status(engine, n).await, TicketStatus::Open);
    }
}

#[tokio::test]
pub(crate) async fn a_ticket_committed_while_the_bot_was_down_is_posted_when_it_starts() {
    let sandbox = Sandbox::new();
    let clock = clock();
    let engine = engine_for(&sandbox, clock.clone(), |_| {}).await;
    // No bot running: the ticket and its post are committed, nothing is sent.
    let n = ask_directly(&engine, AYSE, "Kapanmadan önce sorulmuş soru").await;
    assert_eq!(engine.store().outbox_backlog().await.unwrap(), 1);
    assert_eq!(status(&engine, n).await, TicketStatus::Open);

    let bot = Running::start(sandbox, engine, false).await;
    let post = wait_one(&bot.api, STAFF_CHAT, &post_marker(n)).await;
    assert!(post.text().unwrap().contains("Kapanmadan önce sorulmuş soru"));
    outbox_drained(&bot.engine).await;
    linked(&bot.engine, STAFF_CHAT, &post).await;
    tokio::time::sleep(Duration::from_millis(700)).await;
    assert_eq!(sent(&bot.api, STAFF_CHAT, &post_marker(n)).len(), 1);

    // And it can be answered as usual.
    reply_in_group(&bot.api, STAFF_CHAT, STAFF_A, &post, "Yanıtımız bu.");
    send_preview(&bot.api, STAFF_A, 1, 1).await;
    wait_one(&bot.api, STAFF_CHAT, "yanıtı kişiye iletildi").await;
    assert_eq!(sent(&bot.api, AYSE, "Yanıtımız bu.").len(), 1);
}

#[tokio::test]
pub(crate) async fn a_staff_group_upgraded_to_a_supergroup_is_followed_when_telegram_says_so_in_an_update() {
    let (bot, _clock) = start(|_| {}).await;
    let api = &bot.api;
    let engine = &bot.engine;

    // Telegram's service message in the old group.
    let migrated = group_message(STAFF_CHAT, STAFF_A, json!({ "migrate_to_chat_id": SUPERGROUP }));
    api.push_update(json!({ "message": migrated }));
    eventually!("the staff chat moved", staff_chat(engine).await == Some(SUPERGROUP));

    let mut ayse = Chat::new(api, AYSE);
    let n = ayse.ask("Süper gruba taşındıktan sonra soru").await;
    let post = wait_one(api, SUPERGROUP, &post_marker(n)).await;
    assert!(sends_to(api, STAFF_CHAT).is_empty(), "nothing to the old group");

    // Staff work in the new chat; the old one is no longer served.
    say_in_group(api, STAFF_CHAT, STAFF_A, "/tickets");
    linked(engine, SUPERGROUP, &post).await;
    reply_in_group(api, SUPERGROUP, STAFF_A, &post, "Yeni gruptan yanıt.");
    send_preview_in(api, SUPERGROUP, STAFF_A, n, 1).await;
    let answer = ayse.expect("sendMessage", "Bürosu'ndan yanıt").await;
    assert!(answer.text().unwrap().contains("Yeni gruptan yanıt."));
    wait_one(api, SUPERGROUP, "yanıtı kişiye iletildi").await;
    say_in_group(api, SUPERGROUP, STAFF_B, "/tickets");
    wait_one(api, SUPERGROUP, "Açık talep yok").await;
    assert!(sends_to(api, STAFF_CHAT).is_empty(), "the old group is not served");
}

#[tokio::test]
pub(crate) async fn a_staff_post_refused_because_the_group_became_a_supergroup_is_sent_to_the_supergroup() {
    let (bot, _clock) = start(|_| {}).await;
    let api = &bot.api;
    let engine = &bot.engine;
    api.fail_next(
        "sendMessage",
        400,
        json!({ "ok": false, "error_code": 400,
                "description": "Bad Request: group chat was upgraded to a supergroup chat",
                "parameters": { "migrate_to_chat_id": SUPERGROUP } }),
    );
    let n = ask_directly(engine, AYSE, "Taşınan gruba soru").await;

    let post = wait_one(api, SUPERGROUP, &post_marker(n)).await;
    assert!(post.text().unwrap().contains("Taşınan gruba soru"));
    let old = sends_to(api, STAFF_CHAT);
    assert_eq!(old.len(), 1, "tried once in the old group");
    assert!(!succeeded(&old[0]));
    assert_eq!(staff_chat(engine).await, Some(SUPERGROUP));
    outbox_drained(engine).await;
    assert_eq!(sent(api, SUPERGROUP, &post_marker(n)).len(), 1);

    // Later posts go straight to the supergroup.
    let m = ask_directly(engine, MEHMET, "İkinci soru").await;
    wait_one(api, SUPERGROUP, &post_marker(m)).await;
    assert_eq!(sends_to(api, STAFF_CHAT).len(), 1);
}

#[tokio::test]
pub(crate) async fn staff_are_reminded_of_an_untaken_ticket_once_per_interval_of_office_hours_until_it_is_taken() {
    let (bot, clock) = start(|o| o.staff_remind_after = SignedDuration::from_hours(2)).await;
    let api = &bot.api;
    let engine = &bot.engine;
    let reminder = "mesai saatidir yanıt bekliyor";
    let mut ayse = Chat::new(api, AYSE);
    let n = ayse.ask("Hatırlatma testi sorusu").await;
    let post = wait_one(api, STAFF_CHAT, &post_marker(n)).await;
    assert_eq!(eudesk::scheduler::remind_staff(engine).await.unwrap(), 0, "just asked");

    // Tuesday 10:00 → 13:00: three office hours.
    clock.set(at("2026-12-01 13:00"));
    assert_eq!(eudesk::scheduler::remind_staff(engine).await.unwrap(), 1);
    let first = wait_one(api, STAFF_CHAT, reminder).await;
    let html = first.text().unwrap();
    assert!(html.contains(&format!("<b>Talep #{n}</b> 3 mesai saatidir")), "{html}");
    assert_eq!(replies_to(&first), Some(message_of(&post) as i64));
    assert!(has_button(&first, &format!("k:take:{n}")));

    assert_eq!(
        eudesk::scheduler::remind_staff(engine).await.unwrap(),
        0,
        "not again right away"
    );
    clock.set(at("2026-12-01 14:30"));
    assert_eq!(
        eudesk::scheduler::remind_staff(engine).await.unwrap(),
        0,
        "1.5 office hours since"
    );
    outbox_drained(engine).await;
    assert_eq!(sent(api, STAFF_CHAT, reminder).len(), 1);

    clock.set(at("2026-12-01 15:00"));
    assert_eq!(eudesk::scheduler::remind_staff(engine).await.unwrap(), 1);
    let all = wait_sent(api, STAFF_CHAT, reminder, 2).await;
    assert!(
        all[1].text().unwrap().contains("5 mesai saatidir"),
        "{:?}",
        all[1].text()
    );

    press_in_group(api, STAFF_A, &post, &format!("k:take:{n}"));
    wait_one(api, STAFF_CHAT, &format!("#{n} sizde.")).await;
    wait_one(api, STAFF_CHAT, "Selin tarafından üstlenildi").await;
    for later in ["2026-12-01 17:59", "2026-12-02 12:00", "2026-12-04 17:00"] {
        clock.set(at(later));
        assert_eq!(
            eudesk::scheduler::remind_staff(engine).await.unwrap(),
            0,
            "taken; {later}"
        );
    }
    outbox_drained(engine).await;
    assert_eq!(sent(api, STAFF_CHAT, reminder).len(), 2);
}

#[tokio::test]
pub(crate) async fn asking_refuses_a_question_over_2000_characters_and_stickers_politely_and_takes_a_photo_along() {
    let (bot, _clock) = start(|_| {}).await;
    let api = &bot.api;
    let mut ayse = Chat::new(api, AYSE);
    ayse.say("/ask");
    ayse.expect("sendMessage", "Sorunuzu tek bir mesaj olarak yazın").await;

    ayse.say(&"ç".repeat(2001));
    ayse.expect("sendMessage", "Sorunuz 2001 karakter; lütfen 2.000 karakterin altına")
        .await;
    ayse.expect("sendMessage", "Sorunuzu tek bir mesaj olarak yazın").await;

    api.push_sticker(AYSE);
    ayse.expect("sendMessage", "Bunu iletemiyorum").await;
    // A photo (a screenshot of an error, say) goes with the question.
    api.push_photo(AYSE);
    ayse.expect("sendMessage", "Dosyayı aldım").await;
    assert!(bot.engine.store().tickets_of(AYSE).await.unwrap().is_empty());

    // Still asking: the next text is the question.
    let question = "ç".repeat(2000);
    ayse.say(&question);
    let confirm = ayse
        .expect("sendMessage", "Bu soruyu büro personeline göndereyim mi?")
        .await;
    assert!(confirm.text().unwrap().contains("1 dosya ile"), "{:?}", confirm.text());
    ayse.press(&confirm, "f:send");
    ayse.expect("editMessageText", "talep #1").await;
    let post = wait_one(api, STAFF_CHAT, &post_marker(1)).await;
    assert!(post.text().unwrap().contains(&question));
    let copy = api
        .wait_for("copyMessage", |c| c.chat_id() == Some(STAFF_CHAT), WAIT)
        .await;
    assert_eq!(copy.params["from_chat_id"].as_i64(), Some(AYSE));
    assert!(copy.params["caption"].as_str().unwrap().contains("<b>Talep #1</b>"));
    assert_eq!(replies_to(&copy), Some(message_of(&post) as i64));
    assert_eq!(
        events(&bot.engine, 1).await,
        [EventKind::Question, EventKind::File],
        "the photo is in the ticket's history"
    );
    let tickets = bot.engine.store().tickets_of(AYSE).await.unwrap();
    assert_eq!(tickets.len(), 1);
    assert_eq!(tickets[0].question, question);
}

#[tokio::test]
pub(crate) async fn the_third_question_of_a_day_is_refused_with_the_limit_and_not_stored() {
    let (bot, clock) = start(|o| o.tickets_per_day = 2).await;
    let api = &bot.api;
    let engine = &bot.engine;
    let mut ayse = Chat::new(api, AYSE);
    assert_eq!(ayse.ask("Birinci soru").await, 1);
    assert_eq!(ayse.ask("İkinci soru").await, 2);

    ayse.say("/ask Üçüncü soru");
    let confirm = ayse.expect("sendMessage", "göndereyim mi?").await;
    ayse.press(&confirm, "f:send");
    ayse.expect("editMessageText", "Bugün 2 soru gönderdiniz; bu günlük sınır")
        .await;
    assert_eq!(engine.store().tickets_of(AYSE).await.unwrap().len(), 2);
    assert!(
        engine
            .store()
            .tickets(None)
            .await
            .unwrap()
            .iter()
            .all(|t| t.question != "Üçüncü soru")
    );
    outbox_drained(engine).await;
    assert_eq!(sent(api, STAFF_CHAT, "🎫 <b>Talep #").len(), 2);
    assert!(sent(api, STAFF_CHAT, "Üçüncü soru").is_empty());

    // Another person is not limited by Ayşe's questions, and Ayşe may ask tomorrow.
    let mut mehmet = Chat::new(api, MEHMET);
    assert_eq!(mehmet.ask("Mehmet'in sorusu").await, 3);
    clock.advance(SignedDuration::from_hours(24));
    assert_eq!(ayse.ask("Ertesi gün soru").await, 4);
}
