//! What one stranger's message or one staff slip could do, and can no longer: each test
//! here failed on the code before it (issue 10), through the real Telegram adapter
//! against the loopback fake Bot API, or through the real binary.

use crate::fake_api::{Call, FakeApi};
use crate::helpers::{Chat, Process, Running, Sandbox, WAIT, eudesk_in, message_of, person, press, stderr, text};
use crate::tickets_telegram::{
    AYSE, MEHMET, OUTSIDER, STAFF_A, STAFF_B, STAFF_CHAT, SUPERGROUP, engine_for, events, group_message, has_button,
    linked, next_id, outbox_drained, post_marker, press_in_group, replies_to, reply_in_group, say_in_group,
    send_preview, sends_to, sent, start, status, succeeded, unix_now, wait_one, wait_sent,
};
use eudesk::clock::ManualClock;
use eudesk::engine::Engine;
use eudesk::lang::{Lang, Localized};
use eudesk::tickets::{EventKind, TicketId, TicketStatus};
use eudesk::trainings::SessionDetails;
use eudesk::trainings::time::parse_local;
use jiff::SignedDuration;
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::Duration;

// ---------------------------------------------------------------------------
// The fake's side: private messages with names, files and replies of our choosing.

/// A message from `user` (with these names) in their private chat, `extra` merged in.
fn private_message(user: i64, first: &str, last: Option<&str>, extra: Value) -> Value {
    let mut from = json!({ "id": user, "is_bot": false, "first_name": first, "language_code": "tr" });
    if let Some(last) = last {
        from["last_name"] = json!(last);
    }
    let mut message = json!({
        "message_id": next_id(),
        "date": unix_now(),
        "chat": { "id": user, "type": "private", "first_name": first },
        "from": from,
    });
    if let (Some(m), Value::Object(extra)) = (message.as_object_mut(), extra) {
        m.extend(extra);
    }
    message
}

fn push_private(api: &FakeApi, user: i64, extra: Value) {
    api.push_update(json!({ "message": private_message(user, &format!("User{user}"), None, extra) }));
}

fn document(name: &str) -> Value {
    let n = next_id();
    json!({ "file_id": format!("doc-{n}"), "file_unique_id": format!("udoc-{n}"), "file_name": name })
}

fn photo() -> Value {
    let n = next_id();
    json!([{ "file_id": format!("ph-{n}"), "file_unique_id": format!("uph-{n}"), "width": 800, "height": 600 }])
}

fn sticker() -> Value {
    let n = next_id();
    json!({
        "file_id": format!("st-{n}"), "file_unique_id": format!("ust-{n}"), "type": "regular",
        "width": 512, "height": 512, "is_animated": false, "is_video": false,
    })
}

/// `from` replies in the staff group to the bot's message `to` with `extra` (a file…).
fn reply_in_group_with(api: &FakeApi, from: i64, to: &Call, extra: Value) {
    let mut content = extra;
    content["reply_to_message"] = to.response["result"].clone();
    api.push_update(json!({ "message": group_message(STAFF_CHAT, from, content) }));
}

/// Polls `cond` until it holds, failing after `within`.
async fn eventually<F, Fut>(within: Duration, what: &str, mut cond: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + within;
    while !cond().await {
        assert!(tokio::time::Instant::now() < deadline, "not within {within:?}: {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Every text the bot sent to `chat`, for assertion messages.
fn texts_to(api: &FakeApi, chat: i64) -> Vec<String> {
    sends_to(api, chat)
        .iter()
        .filter_map(|c| c.text().map(str::to_owned))
        .collect()
}

impl Chat {
    /// The next message to this person that says `needle`, skipping others.
    async fn until(&mut self, needle: &str) -> Call {
        loop {
            let call = self.next().await;
            if call.text().is_some_and(|t| t.contains(needle)) {
                return call;
            }
        }
    }

    /// `/ask QUESTION` for a question so long that its confirmation is split: Send is
    /// under the last piece. The ticket's number.
    async fn ask_long(&mut self, question: &str) -> i64 {
        self.say(&format!("/ask {question}"));
        let confirm = loop {
            let call = self.next().await;
            if has_button(&call, "f:send") {
                break call;
            }
        };
        self.press(&confirm, "f:send");
        let received = self.until("talep #").await;
        crate::tickets_telegram::ticket_number(received.text().unwrap())
    }
}

async fn with_staff(tweak: impl FnOnce(&mut eudesk::engine::Options)) -> (Running, Arc<ManualClock>) {
    start(tweak).await
}

// ---------------------------------------------------------------------------
// The public door.

/// 1. One long word used to take minutes of CPU in the typo look-up, on the runtime's
/// worker threads, while no other chat was answered.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_strangers_sending_huge_words_do_not_hold_up_anyone_else() {
    let sandbox = Sandbox::new();
    let engine = sandbox.engine().await;
    let bot = Running::start(sandbox, engine, false).await;
    let api = &bot.api;
    let letters: Vec<char> = "abcçdefgğhıijklmnoöprsştuüvyz".chars().collect();
    let mut seed = 42u64;
    let random: String = (0..4096)
        .map(|_| {
            seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1);
            letters[(seed >> 33) as usize % letters.len()]
        })
        .collect();
    api.push_text(7001, &"a".repeat(4096));
    api.push_text(7002, &random);
    api.push_text(7003, "/start");
    // Generous: the point is minutes against moments, not a speed (measured in
    // `cargo bench --bench matching`, match/worst/*).
    api.wait_for(
        "sendMessage",
        |c| c.chat_id() == Some(7003) && c.text().is_some_and(|t| t.contains("Merhaba")),
        WAIT,
    )
    .await;
    for stranger in [7001, 7002] {
        api.wait_for("sendMessage", |c| c.chat_id() == Some(stranger), WAIT)
            .await;
    }
}

/// 2. Telegram answers server errors as JSON too; such a reply used to be dropped.
#[tokio::test]
async fn a_reply_refused_with_a_json_bad_gateway_is_sent_again() {
    let sandbox = Sandbox::new();
    let engine = sandbox.engine().await;
    let bot = Running::start(sandbox, engine, false).await;
    let api = &bot.api;
    api.fail_next(
        "sendMessage",
        502,
        json!({ "ok": false, "error_code": 502, "description": "Bad Gateway" }),
    );
    api.push_text(7010, "/start");
    // teloxide waits 10 s after any 5xx before reading the answer; then the retry.
    let delivered = api
        .wait_for(
            "sendMessage",
            |c| c.chat_id() == Some(7010) && succeeded(c),
            Duration::from_secs(30),
        )
        .await;
    assert!(delivered.text().unwrap().contains("Merhaba"));
    let tries = sends_to(api, 7010);
    assert_eq!(tries.len(), 2, "refused once, sent once: {:?}", texts_to(api, 7010));
}

/// 3. `/stats@other_bot` in a group with several bots is not for eudesk.
#[tokio::test]
async fn commands_for_another_bot_are_left_to_it() {
    let (bot, _clock) = with_staff(|_| {}).await;
    let api = &bot.api;
    let mut ayse = Chat::new(api, AYSE);
    ayse.say("/start@other_bot");
    ayse.say("/help@EUDESK_test_bot");
    let first = ayse.next().await;
    assert!(
        first.text().unwrap().contains("/language"),
        "the first answer is to /help, not to /start@other_bot: {:?}",
        first.text()
    );

    say_in_group(api, STAFF_CHAT, STAFF_A, "/tickets@other_bot");
    say_in_group(api, STAFF_CHAT, STAFF_A, "/tickets@eudesk_test_bot");
    wait_one(api, STAFF_CHAT, "Açık talep yok").await;
    // Updates of one chat are handled in order: the first was handled before.
    assert_eq!(
        sent(api, STAFF_CHAT, "Açık talep yok").len(),
        1,
        "{:?}",
        texts_to(api, STAFF_CHAT)
    );
}

/// 4. A name with a right-to-left override and a bell character used to reach the
/// staff post unchanged.
#[tokio::test]
async fn names_reach_staff_without_control_or_direction_characters() {
    let (bot, _clock) = with_staff(|_| {}).await;
    let api = &bot.api;
    let user = 7020;
    let (first, last) = ("\u{202E}Ayşe\u{7}", "Yılmaz\u{2066}\u{200F}");
    api.push_update(json!({ "message": private_message(user, first, Some(last), json!({ "text": "/ask Sertifika veriliyor mu?" })) }));
    let confirm = api
        .wait_for(
            "sendMessage",
            |c| c.chat_id() == Some(user) && has_button(c, "f:send"),
            WAIT,
        )
        .await;
    api.push_update(json!({ "callback_query": {
        "id": format!("cbq-{}", next_id()),
        "from": { "id": user, "is_bot": false, "first_name": first, "last_name": last, "language_code": "tr" },
        "message": confirm.response["result"].clone(),
        "chat_instance": "x",
        "data": "f:send",
    }}));
    let post = wait_one(api, STAFF_CHAT, &post_marker(1)).await;
    let html = post.text().unwrap();
    assert!(html.contains("Ayşe Yılmaz"), "{html:?}");
    for bad in ['\u{202E}', '\u{7}', '\u{2066}', '\u{200F}'] {
        assert!(!html.contains(bad), "{bad:?} in {html:?}");
    }
    let stored = bot.engine.store().ticket(TicketId(1)).await.unwrap().unwrap();
    assert_eq!(stored.first_name, "Ayşe Yılmaz");
}

/// 5. `/cancel` used to say "I have cancelled the booking" whatever was going on.
#[tokio::test]
async fn cancel_says_what_it_cancelled_in_each_flow() {
    let (bot, _clock) = with_staff(|_| {}).await;
    let api = &bot.api;
    let mut ayse = Chat::new(api, AYSE);

    ayse.say("/ask");
    ayse.expect("sendMessage", "Sorunuzu tek bir mesaj olarak yazın").await;
    ayse.say("/cancel");
    let said = ayse.expect("sendMessage", "Sorunuzu göndermedim").await;
    assert!(!said.text().unwrap().contains("kayıt"), "{:?}", said.text());

    let n = ayse.ask("Bir sorum var").await;
    let list = {
        ayse.say("/mytickets");
        ayse.expect("sendMessage", "Personele sorduğunuz sorular").await
    };
    ayse.press(&list, &format!("k:follow:{n}"));
    ayse.expect("sendMessage", "ek sorunuzu yazın").await;
    ayse.say("/cancel");
    ayse.expect("sendMessage", &format!("#{n} numaralı talebinize ek mesaj göndermedim"))
        .await;

    // A staff member's answer in the making, in their private chat.
    let mut selin = Chat::new(api, STAFF_A);
    selin.say(&format!("/reply {n} Taslak yanıt"));
    let preview = selin.expect("sendMessage", "Önizleme").await;
    selin.press(&preview, &format!("k:edit:{n}"));
    selin.expect("editMessageText", "yeniden yazın").await;
    selin.say("/cancel");
    selin
        .expect("sendMessage", &format!("#{n} numaralı talebin yanıtı gönderilmedi"))
        .await;
    assert_eq!(status(&bot.engine, n).await, TicketStatus::Open);
    assert_eq!(ayse.count("Bürosu'ndan"), 0);

    // A booking says it was the booking.
    let session = bot
        .engine
        .store()
        .create_session(
            &SessionDetails {
                title: Localized::new("PCM Temel".to_owned(), "PCM Basics".to_owned()),
                starts: parse_local("2026-12-20 10:00").unwrap(),
                ends: parse_local("2026-12-20 17:00").unwrap(),
                place: "İzmir".to_owned(),
                capacity: 10,
                deadline: parse_local("2026-12-19 17:00").unwrap(),
                second_reminder: None,
            }
            .check()
            .unwrap(),
        )
        .await
        .unwrap();
    ayse.say(&format!("/start training_{}", session.0));
    ayse.until("Adım 1/6").await;
    ayse.say("/cancel");
    ayse.expect("sendMessage", "Kayıt işlemini iptal ettim").await;
}

/// 6. Sixty "/stats" from a member who is not staff used to put sixty "staff only"
/// messages into the group, ahead of ticket posts.
#[tokio::test]
async fn a_member_who_is_not_staff_cannot_crowd_the_staff_group() {
    let (bot, _clock) = with_staff(|_| {}).await;
    let api = &bot.api;
    for _ in 0..60 {
        say_in_group(api, STAFF_CHAT, OUTSIDER, "/stats");
    }
    say_in_group(api, STAFF_CHAT, STAFF_A, "/tickets");
    wait_one(api, STAFF_CHAT, "Açık talep yok").await;
    assert_eq!(sends_to(api, STAFF_CHAT).len(), 1, "{:?}", texts_to(api, STAFF_CHAT));
}

// ---------------------------------------------------------------------------
// The staff door.

/// 7. After "Answer", the next text in any chat used to go to the person as the
/// office's answer, unseen.
#[tokio::test]
async fn answer_mode_belongs_to_one_ticket_and_chat_shows_a_preview_and_expires() {
    let (bot, clock) = with_staff(|_| {}).await;
    let api = &bot.api;
    let mut ayse = Chat::new(api, AYSE);
    let n = ayse.ask("Eğitim ücretli mi?").await;
    let post = wait_one(api, STAFF_CHAT, &post_marker(n)).await;
    linked(&bot.engine, STAFF_CHAT, &post).await;

    press_in_group(api, STAFF_A, &post, &format!("k:answer:{n}"));
    wait_one(api, STAFF_CHAT, "yanıtını bu sohbette yazın").await;

    // A remark in Selin's private chat is hers, not an answer.
    let mut selin = Chat::new(api, STAFF_A);
    selin.say("bugün toplantı var mı");
    let own = selin.next().await;
    assert!(!own.text().unwrap().contains("Önizleme"), "{:?}", own.text());

    // A colleague talking in the group is just talk.
    say_in_group(api, STAFF_CHAT, STAFF_B, "Selin, çay içelim mi?");
    // Selin's text in the group is shown back first, with Send / Edit / Cancel.
    say_in_group(api, STAFF_CHAT, STAFF_A, "Hayır, eğitimlerimiz ücretsizdir.");
    let preview = wait_one(api, STAFF_CHAT, "Önizleme").await;
    let html = preview.text().unwrap();
    assert!(
        html.contains("eğitimlerimiz ücretsizdir") && !html.contains("çay"),
        "{html}"
    );
    for data in [format!("k:send:{n}"), format!("k:edit:{n}"), format!("k:drop:{n}")] {
        assert!(has_button(&preview, &data), "{:?}", preview.buttons());
    }
    press_in_group(api, STAFF_A, &preview, &format!("k:drop:{n}"));
    api.wait_for(
        "editMessageText",
        |c| c.message_id() == Some(message_of(&preview)) && c.text().is_some_and(|t| t.contains("gönderilmedi")),
        WAIT,
    )
    .await;

    // Answer mode expires after 15 minutes, with a notice; the late text is not taken.
    press_in_group(api, STAFF_A, &post, &format!("k:answer:{n}"));
    wait_sent(api, STAFF_CHAT, "yanıtını bu sohbette yazın", 2).await;
    clock.advance(SignedDuration::from_mins(16));
    say_in_group(api, STAFF_CHAT, STAFF_A, "Geç kalmış bir söz");
    wait_one(api, STAFF_CHAT, "15 dakika dolduğu için kapandı").await;
    assert!(sent(api, STAFF_CHAT, "Geç kalmış").is_empty());

    // The minute job expires a forgotten draft by itself, and says so in the group.
    press_in_group(api, STAFF_A, &post, &format!("k:answer:{n}"));
    wait_sent(api, STAFF_CHAT, "yanıtını bu sohbette yazın", 3).await;
    clock.advance(SignedDuration::from_mins(16));
    assert_eq!(eudesk::scheduler::expire_drafts(&bot.engine).await.unwrap(), 1);
    wait_sent(api, STAFF_CHAT, "15 dakika dolduğu için kapandı", 2).await;

    // Selin's own question in her private chat takes no text from the group, and the
    // people's commands in the group start nothing there.
    // (/ask offers her last unanswered question first; she writes a new one.)
    selin.say("/ask");
    let offered = selin.expect("sendMessage", "göndereyim mi").await;
    selin.press(&offered, "f:rewrite");
    selin
        .expect("editMessageText", "Sorunuzu tek bir mesaj olarak yazın")
        .await;
    say_in_group(api, STAFF_CHAT, STAFF_A, "Herkese günaydın");
    say_in_group(api, STAFF_CHAT, STAFF_A, "/ask");
    wait_one(api, STAFF_CHAT, "özel sohbette çalışır").await;
    selin.say("Benim kendi sorum");
    let confirm = selin
        .expect("sendMessage", "Bu soruyu büro personeline göndereyim mi?")
        .await;
    assert!(confirm.text().unwrap().contains("Benim kendi sorum"));
    assert!(!confirm.text().unwrap().contains("günaydın"));
    assert!(
        sent(api, STAFF_CHAT, "Sorunuzu tek bir mesaj").is_empty(),
        "no private prompt in the group"
    );

    outbox_drained(&bot.engine).await;
    assert_eq!(ayse.count("Bürosu'ndan"), 0, "nothing reached the person");
    assert_eq!(events(&bot.engine, n).await, [EventKind::Question]);
}

/// 8. A staff member removed from STAFF_USER_IDS kept their answer mode across the
/// restart, and their next private message reached the person.
#[tokio::test]
async fn a_staff_member_removed_from_the_list_can_no_longer_answer() {
    let sandbox = Sandbox::new();
    let clock = Arc::new(ManualClock::new(parse_local("2026-12-01 10:00").unwrap()));
    let engine = engine_for(&sandbox, clock.clone(), |_| {}).await;
    let bot = Running::start(sandbox, engine, false).await;
    let mut ayse = Chat::new(&bot.api, AYSE);
    let n = ayse.ask("Sertifika veriliyor mu?").await;
    let post = wait_one(&bot.api, STAFF_CHAT, &post_marker(n)).await;
    linked(&bot.engine, STAFF_CHAT, &post).await;
    reply_in_group(&bot.api, STAFF_CHAT, STAFF_A, &post, "Evet, veriliyor.");
    let preview = wait_one(&bot.api, STAFF_CHAT, "Önizleme").await;
    // Selin also starts answering in her private chat.
    let mut selin = Chat::new(&bot.api, STAFF_A);
    selin.say(&format!("/reply {n} Özelden yanıt"));
    let private_preview = selin.expect("sendMessage", "Önizleme").await;
    selin.press(&private_preview, &format!("k:edit:{n}"));
    selin.expect("editMessageText", "yeniden yazın").await;
    // Recorded as sent before the restart, so what follows is the new bot's.
    outbox_drained(&bot.engine).await;

    // The office removes Selin from STAFF_USER_IDS and restarts.
    let sandbox = bot.into_sandbox();
    let engine = engine_for(&sandbox, clock.clone(), |o| o.staff = vec![STAFF_B]).await;
    let bot = Running::start(sandbox, engine, false).await;
    let api = &bot.api;
    press_in_group(api, STAFF_A, &preview, &format!("k:send:{n}"));
    api.wait_for("answerCallbackQuery", |c| c.params.get("text").is_some(), WAIT)
        .await;
    let mut selin = Chat::new(api, STAFF_A);
    selin.say("Özelden yazdığım yanıt");
    let own = selin.next().await;
    assert!(!own.text().unwrap().contains("Önizleme"), "{:?}", own.text());
    say_in_group(api, STAFF_CHAT, STAFF_A, &format!("/reply {n} Yine de yanıt"));
    say_in_group(api, STAFF_CHAT, STAFF_B, "/tickets");
    wait_one(api, STAFF_CHAT, &format!("<b>#{n}</b>")).await;

    outbox_drained(&bot.engine).await;
    assert!(
        sends_to(api, AYSE).is_empty(),
        "nothing reached Ayşe: {:?}",
        texts_to(api, AYSE)
    );
    assert!(sent(api, STAFF_CHAT, "Önizleme").is_empty());
    assert_eq!(status(&bot.engine, n).await, TicketStatus::Open);
    assert_eq!(events(&bot.engine, n).await, [EventKind::Question]);
}

/// 9. Two staff answering at once both reached the person, with no warning.
#[tokio::test]
async fn a_second_answer_waits_until_its_author_has_seen_the_first() {
    let (bot, _clock) = with_staff(|_| {}).await;
    let api = &bot.api;
    let mut ayse = Chat::new(api, AYSE);
    let n = ayse.ask("Başvuru ne zaman kapanıyor?").await;
    let post = wait_one(api, STAFF_CHAT, &post_marker(n)).await;
    linked(&bot.engine, STAFF_CHAT, &post).await;

    press_in_group(api, STAFF_A, &post, &format!("k:answer:{n}"));
    wait_one(api, STAFF_CHAT, "Selin, #1").await;
    press_in_group(api, STAFF_B, &post, &format!("k:answer:{n}"));
    wait_one(api, STAFF_CHAT, "Burak, #1").await;
    say_in_group(api, STAFF_CHAT, STAFF_A, "Mart ayında kapanıyor.");
    send_preview(api, STAFF_A, n, 1).await;
    ayse.expect("sendMessage", "Bürosu'ndan yanıt").await;

    say_in_group(api, STAFF_CHAT, STAFF_B, "Şubat sonunda kapanıyor.");
    let preview_b = send_preview(api, STAFF_B, n, 2).await;
    let warning = api
        .wait_for(
            "editMessageText",
            |c| {
                c.message_id() == Some(message_of(&preview_b))
                    && c.text().is_some_and(|t| t.contains("Selin bu talebi"))
            },
            WAIT,
        )
        .await;
    let html = warning.text().unwrap();
    assert!(
        html.contains("Mart ayında kapanıyor.") && html.contains("ek yanıt olarak"),
        "{html}"
    );
    assert!(has_button(&warning, &format!("k:force:{n}")), "{:?}", warning.buttons());
    outbox_drained(&bot.engine).await;
    assert_eq!(ayse.count("Bürosu'ndan"), 1, "the second answer waits");

    // Burak sends it anyway: it reaches Ayşe as an addition.
    press_in_group(api, STAFF_B, &warning, &format!("k:force:{n}"));
    let second = ayse.expect("sendMessage", "Bürosu'ndan ek yanıt").await;
    assert!(second.text().unwrap().contains("Şubat sonunda"));

    // A ticket taken with /take asks others first.
    let mut mehmet = Chat::new(api, MEHMET);
    let m = mehmet.ask("Ortak bulmak için ne yapmalıyım?").await;
    let post_m = wait_one(api, STAFF_CHAT, &post_marker(m)).await;
    linked(&bot.engine, STAFF_CHAT, &post_m).await;
    say_in_group(api, STAFF_CHAT, STAFF_B, &format!("/take {m}"));
    wait_one(api, STAFF_CHAT, "tarafından üstlenildi").await;
    reply_in_group(api, STAFF_CHAT, STAFF_A, &post_m, "Ortak arama platformlarına bakın.");
    let preview = wait_sent(api, STAFF_CHAT, "Önizleme", 3).await.remove(2);
    assert!(
        preview.text().unwrap().contains("Burak üstlendi"),
        "{:?}",
        preview.text()
    );
    press_in_group(api, STAFF_A, &preview, &format!("k:send:{m}"));
    let asked = wait_sent(api, STAFF_CHAT, "Burak üstlendi", 1).await;
    assert!(!asked.is_empty());
    eventually(WAIT, "the warning under Send", || async {
        api.calls().iter().any(|c| {
            c.method == "editMessageText"
                && c.message_id() == Some(message_of(&preview))
                && has_button(c, &format!("k:force:{m}"))
        })
    })
    .await;
    outbox_drained(&bot.engine).await;
    assert_eq!(mehmet.count("Bürosu'ndan"), 0);
}

/// 10. A file sent as an answer was dropped without a word; files from the person
/// could not reach staff.
#[tokio::test]
async fn files_travel_with_a_ticket_both_ways_and_what_cannot_is_said() {
    let (bot, _clock) = with_staff(|_| {}).await;
    let api = &bot.api;
    let engine = &bot.engine;
    let mut ayse = Chat::new(api, AYSE);

    // A document with its question as the caption.
    ayse.say("/ask");
    ayse.expect("sendMessage", "Sorunuzu tek bir mesaj").await;
    push_private(
        api,
        AYSE,
        json!({ "document": document("basvuru.pdf"), "caption": "Formu doğru doldurdum mu?" }),
    );
    let confirm = ayse
        .expect("sendMessage", "Bu soruyu büro personeline göndereyim mi?")
        .await;
    assert!(confirm.text().unwrap().contains("Formu doğru doldurdum mu?"));
    assert!(confirm.text().unwrap().contains("1 dosya ile"));
    ayse.press(&confirm, "f:send");
    let received = ayse.expect("editMessageText", "talep #").await;
    let n = crate::tickets_telegram::ticket_number(received.text().unwrap());
    let post = wait_one(api, STAFF_CHAT, &post_marker(n)).await;
    let copied = api
        .wait_for("copyMessage", |c| c.chat_id() == Some(STAFF_CHAT), WAIT)
        .await;
    assert_eq!(copied.params["from_chat_id"].as_i64(), Some(AYSE));
    assert!(copied.params["caption"].as_str().unwrap().contains("basvuru.pdf"));
    assert_eq!(replies_to(&copied), Some(message_of(&post) as i64));
    linked(engine, STAFF_CHAT, &post).await;

    // Staff answer with a document, replying to the post: previewed, then relayed.
    reply_in_group_with(api, STAFF_A, &post, json!({ "document": document("dogru-form.pdf") }));
    let preview = send_preview(api, STAFF_A, n, 1).await;
    assert!(
        preview.text().unwrap().contains("dogru-form.pdf"),
        "{:?}",
        preview.text()
    );
    let to_ayse = api.wait_for("copyMessage", |c| c.chat_id() == Some(AYSE), WAIT).await;
    assert_eq!(to_ayse.params["from_chat_id"].as_i64(), Some(STAFF_CHAT));
    assert!(
        to_ayse.params["caption"]
            .as_str()
            .unwrap()
            .contains("Bürosu'ndan dosya")
    );
    assert!(has_button(&to_ayse, &format!("k:solved:{n}")) && has_button(&to_ayse, &format!("k:follow:{n}")));
    wait_one(api, STAFF_CHAT, "yanıtı kişiye iletildi").await;
    assert_eq!(status(engine, n).await, TicketStatus::Answered);

    // A sticker cannot be relayed: staff are told so, nothing is sent.
    reply_in_group_with(api, STAFF_A, &post, json!({ "sticker": sticker() }));
    wait_one(api, STAFF_CHAT, "Bunu iletemiyorum").await;

    // Ayşe follows up with a photo.
    ayse.press(&to_ayse, &format!("k:follow:{n}"));
    ayse.expect("sendMessage", "ek sorunuzu yazın").await;
    push_private(api, AYSE, json!({ "photo": photo() }));
    ayse.expect("sendMessage", "Ek mesajınızı").await;
    eventually(WAIT, "the photo in the staff chat", || async {
        api.calls()
            .iter()
            .filter(|c| c.method == "copyMessage" && c.chat_id() == Some(STAFF_CHAT))
            .count()
            == 2
    })
    .await;
    assert_eq!(status(engine, n).await, TicketStatus::Open);

    let history = engine.store().ticket_events(TicketId(n)).await.unwrap();
    let kinds: Vec<EventKind> = history.iter().map(|e| e.kind).collect();
    assert_eq!(
        kinds,
        [
            EventKind::Question,
            EventKind::File,
            EventKind::File,
            EventKind::Delivered,
            EventKind::File
        ]
    );
    assert_eq!(history[1].author.as_ref().map(|a| a.0), Some(AYSE));
    assert_eq!(history[2].author.as_ref().map(|a| a.0), Some(STAFF_A));
    assert!(history[2].text.as_deref().unwrap().contains("dogru-form.pdf"));
}

/// 11. A question full of `&` made a post too long for one message; a reply to its
/// first piece (the one with the ticket's header) was ignored.
#[tokio::test]
async fn every_piece_of_a_long_staff_post_leads_to_its_ticket() {
    let (bot, _clock) = with_staff(|_| {}).await;
    let api = &bot.api;
    let mut ayse = Chat::new(api, AYSE);
    let n = ayse.ask_long(&format!("Baş{}", "&".repeat(1990))).await;
    let first = wait_one(api, STAFF_CHAT, &post_marker(n)).await;
    outbox_drained(&bot.engine).await;
    let pieces = sends_to(api, STAFF_CHAT);
    assert!(pieces.len() >= 2, "split: {}", pieces.len());
    for piece in &pieces {
        linked(&bot.engine, STAFF_CHAT, piece).await;
    }
    reply_in_group(api, STAFF_CHAT, STAFF_A, &first, "Yanıt ilk parçaya.");
    let preview = send_preview(api, STAFF_A, n, 1).await;
    assert!(preview.text().unwrap().contains("Yanıt ilk parçaya."));
    ayse.expect("sendMessage", "Bürosu'ndan yanıt").await;
}

/// 12. A move learned once used to override STAFF_CHAT_ID for good.
#[tokio::test]
async fn the_configured_staff_chat_wins_over_a_move_learned_for_another_group() {
    const NEW_GROUP: i64 = -5_555;
    // A move learned from the old group, and what an older release stored.
    let sandbox = Sandbox::new();
    {
        let store = eudesk::storage::Store::open(&sandbox.database_url()).await.unwrap();
        store
            .set_setting(
                eudesk::telegram::staff_chat::STAFF_CHAT_MOVE,
                &format!("{STAFF_CHAT}:{SUPERGROUP}"),
            )
            .await
            .unwrap();
        store
            .set_setting("staff_chat_id", &SUPERGROUP.to_string())
            .await
            .unwrap();
        store.close().await;
    }
    let clock = Arc::new(ManualClock::new(parse_local("2026-12-01 10:00").unwrap()));
    let moved = engine_for(&sandbox, clock.clone(), |_| {}).await;
    assert_eq!(
        crate::tickets_telegram::staff_chat(&moved).await,
        Some(SUPERGROUP),
        "still configured for the old group"
    );
    let engine = engine_for(&sandbox, clock, |o| o.staff_chat = Some(NEW_GROUP)).await;
    assert_eq!(crate::tickets_telegram::staff_chat(&engine).await, Some(NEW_GROUP));
    let bot = Running::start(sandbox, engine, false).await;
    let mut ayse = Chat::new(&bot.api, AYSE);
    let n = ayse.ask("Yeni gruba mı gidecek?").await;
    wait_one(&bot.api, NEW_GROUP, &post_marker(n)).await;
    assert!(sends_to(&bot.api, SUPERGROUP).is_empty());
    assert!(sends_to(&bot.api, STAFF_CHAT).is_empty());
}

// ---------------------------------------------------------------------------
// Personal data.

/// Bytes of the database and its write-ahead log.
fn database_bytes(sandbox: &Sandbox) -> Vec<u8> {
    let db = sandbox.dir.path().join("eudesk.db");
    let mut bytes = std::fs::read(&db).unwrap();
    bytes.extend(std::fs::read(db.with_extension("db-wal")).unwrap_or_default());
    bytes
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle.as_bytes())
}

/// Ayşe erases her data: `/forget`, then the confirmation.
async fn forget(ayse: &mut Chat) {
    ayse.say("/forget");
    let confirm = ayse.until("silinecek").await;
    ayse.press(&confirm, "x:forget");
    ayse.until("silindi").await;
}

/// 13 and 14. After `/forget`, names, questions and answers were still readable in
/// `eudesk.db-wal` and in free pages; the leading pieces of a split post survived.
#[tokio::test]
async fn erased_data_leaves_no_trace_in_the_database_files() {
    let (bot, _clock) = with_staff(|_| {}).await;
    let api = &bot.api;
    let mut ayse = Chat::new(api, AYSE);
    let question = format!("Gizli-Soru-QX71 {}", "&".repeat(1900));
    let n = ayse.ask_long(&question).await;
    let post = wait_one(api, STAFF_CHAT, &post_marker(n)).await;
    linked(&bot.engine, STAFF_CHAT, &post).await;
    reply_in_group(api, STAFF_CHAT, STAFF_A, &post, "Gizli-Yanıt-QX72");
    send_preview(api, STAFF_A, n, 1).await;
    ayse.expect("sendMessage", "Gizli-Yanıt-QX72").await;
    outbox_drained(&bot.engine).await;
    ayse.say("/privacy");
    let privacy = ayse.expect("sendMessage", "").await;
    assert!(
        privacy.text().unwrap().contains("yedek"),
        "backups are explained: {:?}",
        privacy.text()
    );
    let before = database_bytes(&bot.sandbox);
    assert!(contains(&before, "Gizli-Soru-QX71"), "the marker is there before");

    forget(&mut ayse).await;
    // Messages delivered around the erasure are blanked by their delivery; that change
    // reaches the database file at the next checkpoint (the bot's own comes with the
    // next erasure or the stop).
    outbox_drained(&bot.engine).await;
    bot.engine.store().checkpoint().await.unwrap();
    let after = database_bytes(&bot.sandbox);
    for marker in ["Gizli-Soru-QX71", "Gizli-Yanıt-QX72"] {
        assert!(!contains(&after, marker), "{marker} is still in the database files");
    }
    let pool = sqlx::SqlitePool::connect(&bot.sandbox.database_url()).await.unwrap();
    let rows: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM outbox WHERE html LIKE '%QX71%' OR html LIKE '%&amp;&amp;%'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(rows, 0, "no piece of the post is left");
    let links: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM ticket_messages WHERE ticket_id = ?")
        .bind(n)
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(links, 0);
}

/// 15. `/forget` used to reset the daily limit of questions.
#[tokio::test]
async fn forgetting_does_not_reset_the_daily_question_limit() {
    let (bot, _clock) = with_staff(|o| o.tickets_per_day = 2).await;
    let mut ayse = Chat::new(&bot.api, AYSE);
    ayse.ask("Birinci soru").await;
    ayse.ask("İkinci soru").await;
    forget(&mut ayse).await;
    ayse.say("/ask Üçüncü soru");
    let confirm = ayse.expect("sendMessage", "göndereyim mi").await;
    ayse.press(&confirm, "f:send");
    ayse.expect("editMessageText", "günlük sınır").await;
    let pool = sqlx::SqlitePool::connect(&bot.sandbox.database_url()).await.unwrap();
    let tickets: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM tickets")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(tickets, 2);
    // The count is kept under the day's keyed hash of the id, never the id itself (a
    // search for the id's digits would find them in a random hash now and then).
    let (key, tag, count): (Vec<u8>, String, i64) =
        sqlx::query_as("SELECT k.key, q.tag, q.count FROM ticket_quota q JOIN ticket_quota_keys k ON k.day = q.day")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(count, 2);
    assert_eq!(
        tag,
        eudesk::tickets::quota_tag(&key, eudesk::ids::UserId(AYSE)),
        "the count names nobody"
    );
    assert!(tag.len() == 64 && tag.bytes().all(|b| b.is_ascii_hexdigit()), "{tag}");
}

/// 16. Answering an erased person's ticket sent to a negative chat id and told staff
/// "the person blocked the bot"; a delivery finishing during the erasure linked the
/// person's id to the ticket again.
#[tokio::test]
async fn staff_are_told_plainly_that_an_erased_persons_ticket_cannot_be_answered() {
    let (bot, _clock) = with_staff(|_| {}).await;
    let api = &bot.api;
    let engine = &bot.engine;
    let mut ayse = Chat::new(api, AYSE);
    let first = ayse.ask("İlk soru").await;
    let second = ayse.ask("İkinci soru").await;
    let post = wait_one(api, STAFF_CHAT, &post_marker(first)).await;
    linked(engine, STAFF_CHAT, &post).await;
    outbox_drained(engine).await;

    // The answer to the first is in flight (Telegram slow) while Ayşe erases her data.
    api.delay_next_to("sendMessage", AYSE, Duration::from_secs(4));
    say_in_group(api, STAFF_CHAT, STAFF_A, &format!("/reply {first} Yanıtımız"));
    send_preview(api, STAFF_A, first, 1).await;
    api.wait_for(
        "sendMessage",
        |c| c.chat_id() == Some(AYSE) && c.text().is_some_and(|t| t.contains("Yanıtımız")),
        WAIT,
    )
    .await;
    forget(&mut ayse).await;
    outbox_drained(engine).await;
    wait_one(api, STAFF_CHAT, "yanıtı kişiye iletildi").await;
    let pool = sqlx::SqlitePool::connect(&bot.sandbox.database_url()).await.unwrap();
    let linked_back: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM ticket_messages WHERE chat_id = ?")
        .bind(AYSE)
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(linked_back, 0, "the person's id is not tied to the ticket again");

    // The second, still open, was closed by the erasure; staff are told so.
    assert_eq!(status(engine, second).await, TicketStatus::Closed);
    assert_eq!(events(engine, second).await.last(), Some(&EventKind::Erased));
    say_in_group(api, STAFF_CHAT, STAFF_A, &format!("/reply {second} Geç yanıt"));
    wait_one(api, STAFF_CHAT, "verilerinin silinmesini istedi").await;
    let post2 = sent(api, STAFF_CHAT, &post_marker(second)).remove(0);
    press_in_group(api, STAFF_A, &post2, &format!("k:answer:{second}"));
    wait_sent(api, STAFF_CHAT, "verilerinin silinmesini istedi", 2).await;
    outbox_drained(engine).await;
    assert!(
        sent(api, STAFF_CHAT, "engellemiş").is_empty(),
        "no talk of a blocked bot"
    );
    assert!(
        api.calls()
            .iter()
            .all(|c| c.chat_id().is_none_or(|chat| chat > 0 || chat == STAFF_CHAT))
    );

    // The command line says the same.
    let output = eudesk_in(
        bot.sandbox.dir.path(),
        &["tickets", "answer", &second.to_string(), "Geç", "yanıt"],
        "",
        &[("DATABASE_URL", &bot.sandbox.database_url())],
    );
    assert_eq!(output.status.code(), Some(1));
    assert!(stderr(&output).contains("erased"), "{}", stderr(&output));
}

/// 17. The database, its write-ahead log, backups and exports were created 0644.
#[cfg(unix)]
#[tokio::test]
async fn the_database_backups_and_exports_are_readable_by_their_owner_only() {
    use std::os::unix::fs::PermissionsExt;
    let sandbox = Sandbox::new();
    let dir = sandbox.dir.path();
    let url = sandbox.database_url();
    let vars = [("DATABASE_URL", url.as_str())];
    let added = eudesk_in(
        dir,
        &[
            "sessions",
            "add",
            "--title-tr",
            "PCM",
            "--title-en",
            "PCM",
            "--starts",
            "2027-01-10 10:00",
            "--ends",
            "2027-01-10 17:00",
            "--place",
            "İzmir",
            "--capacity",
            "10",
        ],
        "",
        &vars,
    );
    assert!(added.status.success(), "{}", stderr(&added));
    // An export over a file that exists, readable by all.
    std::fs::write(dir.join("list.csv"), "old").unwrap();
    std::fs::set_permissions(dir.join("list.csv"), std::fs::Permissions::from_mode(0o644)).unwrap();
    let exported = eudesk_in(
        dir,
        &[
            "registrations",
            "export",
            "1",
            "--format",
            "csv",
            "--output",
            "list.csv",
        ],
        "",
        &vars,
    );
    assert!(exported.status.success(), "{}", stderr(&exported));
    let backup = eudesk_in(dir, &["backup", "copy.db"], "", &vars);
    assert!(backup.status.success(), "{}", stderr(&backup));
    let mut checked = 0;
    for name in ["eudesk.db", "eudesk.db-wal", "eudesk.db-shm", "copy.db", "list.csv"] {
        let Ok(meta) = std::fs::metadata(dir.join(name)) else {
            continue;
        };
        assert_eq!(meta.permissions().mode() & 0o777, 0o600, "{name}");
        checked += 1;
    }
    assert!(checked >= 3, "the database, the backup and the export exist");
    // And the library alone (tests, tools) creates a new database 0600 too.
    let other = Sandbox::new();
    eudesk::storage::Store::open(&other.database_url())
        .await
        .unwrap()
        .close()
        .await;
    let mode = std::fs::metadata(other.dir.path().join("eudesk.db"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
}

/// 18. The erasure was logged inside the update's span, which names the person.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_log_of_an_erasure_does_not_name_the_person() {
    let sandbox = Sandbox::new();
    let api = FakeApi::start().await;
    let mut bot = Process::started(&sandbox, &api).await;
    let user = 7_777_123;
    api.push_text(user, "/forget");
    let confirm = api.wait_for("sendMessage", |c| c.chat_id() == Some(user), WAIT).await;
    api.push_callback(user, message_of(&confirm), "x:forget");
    api.wait_for("editMessageText", |c| c.chat_id() == Some(user), WAIT)
        .await;
    bot.signal("TERM");
    bot.exit(Duration::from_secs(10)).await.expect("stops");
    let log = bot.stderr();
    let erasure: Vec<&str> = log.lines().filter(|l| l.contains("erased")).collect();
    assert_eq!(erasure.len(), 1, "{log}");
    assert!(!erasure[0].contains(&user.to_string()), "{}", erasure[0]);
}

/// 19. Turkish-locale Excel splits CSV on `;`: a name like `Ali;=1+2` put a formula
/// in a cell of its own.
#[tokio::test]
async fn an_export_stays_text_in_a_spreadsheet_that_splits_on_semicolons() {
    let sandbox = Sandbox::new();
    let engine: Engine = sandbox.engine().await;
    let session = engine
        .store()
        .create_session(
            &SessionDetails {
                title: Localized::new("PCM".to_owned(), "PCM".to_owned()),
                starts: parse_local("2027-01-10 10:00").unwrap(),
                ends: parse_local("2027-01-10 17:00").unwrap(),
                place: "İzmir".to_owned(),
                capacity: 10,
                deadline: parse_local("2027-01-09 17:00").unwrap(),
                second_reminder: None,
            }
            .check()
            .unwrap(),
        )
        .await
        .unwrap();
    let who = person(7030, Lang::Tr);
    for event in [
        press(&format!("s:{}", session.0)),
        text("Ali;=1+2"),
        press("f:org:ngo"),
        text("Dernek; @SUM(A1)"),
        text("ali@example.org"),
        press("f:skip"),
        press("f:yes"),
        press("f:confirm"),
    ] {
        engine.handle(who, event).await.unwrap();
    }
    engine.store().close().await;
    let output = sandbox.eudesk(
        &["registrations", "export", &session.0.to_string(), "--format", "csv"],
        "",
    );
    assert!(output.status.success(), "{}", stderr(&output));
    let csv = String::from_utf8(output.stdout).unwrap();
    assert!(csv.contains("Ali;"), "the registration is there: {csv}");
    for line in csv.lines() {
        for cell in line.split(';') {
            let seen = cell.trim_start_matches([' ', '"', '\u{feff}']);
            assert!(
                !seen.starts_with(['=', '+', '-', '@']),
                "a `;`-reading spreadsheet sees the formula {cell:?} in {line:?}"
            );
        }
    }
}

// ---------------------------------------------------------------------------
// Operations.

/// 20. A base64 secret made `eudesk run --webhook` panic after connecting (a restart
/// loop under systemd); a body that was not an update was logged whole.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_webhook_secret_is_refused_before_connecting_and_bodies_are_not_logged() {
    let sandbox = Sandbox::new();
    let api = FakeApi::start().await;
    let listen = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let webhook = [
        "run",
        "--webhook",
        "https://bot.example.org/eudesk",
        "--listen",
        &listen.to_string(),
    ];
    let mut bad = Process::run_with(
        &sandbox,
        &webhook,
        &api.url(),
        "123:TEST",
        "info",
        &[("EUDESK_WEBHOOK_SECRET", "c2VjcmV0LXRva2Vu+/w==")],
    );
    let status = bad.exit(Duration::from_secs(10)).await.expect("refuses at once");
    let log = bad.stderr();
    assert_eq!(status.code(), Some(78), "{log}");
    assert!(
        log.contains("EUDESK_WEBHOOK_SECRET") && !log.contains("c2VjcmV0"),
        "{log}"
    );
    assert!(!log.contains("panicked"), "{log}");
    assert!(api.calls().is_empty(), "never talked to Telegram");

    // A secret with a trailing newline (from a secrets file) works; a request that is
    // not an update is answered and logged without its content.
    let mut good = Process::run_with(
        &sandbox,
        &webhook,
        &api.url(),
        "123:TEST",
        "info",
        &[("EUDESK_WEBHOOK_SECRET", "good_secret-1\n")],
    );
    let set = api.wait_for("setWebhook", |_| true, WAIT).await;
    assert_eq!(set.params["secret_token"], "good_secret-1");
    let client = reqwest::Client::new();
    let mut answered = None;
    for _ in 0..100 {
        let sent = client
            .post(format!("http://{listen}/eudesk"))
            .header("X-Telegram-Bot-Api-Secret-Token", "good_secret-1")
            .header("content-type", "application/json")
            .body(r#"{"not_an_update": "Gizli-Gövde-991"}"#)
            .send()
            .await;
        if let Ok(response) = sent {
            answered = Some(response.status().as_u16());
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(answered, Some(200));
    let wrong = client
        .post(format!("http://{listen}/eudesk"))
        .header("X-Telegram-Bot-Api-Secret-Token", "good_secret-2")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status().as_u16(), 401);
    good.signal("TERM");
    good.exit(Duration::from_secs(10)).await.expect("stops");
    let log = good.stderr();
    assert!(log.contains("not a Telegram update"), "{log}");
    assert!(!log.contains("Gizli-Gövde-991"), "{log}");
}

/// 21. A revoked token (401 on getMe or on getUpdates) was retried forever.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revoked_token_stops_the_bot_with_a_clear_error() {
    let unauthorized = json!({ "ok": false, "error_code": 401, "description": "Unauthorized" });
    // Refused at the start.
    let sandbox = Sandbox::new();
    let api = FakeApi::start().await;
    api.fail_next("getMe", 401, unauthorized.clone());
    let mut bot = Process::start(&sandbox, &api);
    let status = bot.exit(Duration::from_secs(10)).await.expect("stops at once");
    let log = bot.stderr();
    assert_eq!(status.code(), Some(78), "{log}");
    assert!(log.contains("TELOXIDE_TOKEN") && log.contains("@BotFather"), "{log}");

    // Revoked while running.
    let sandbox = Sandbox::new();
    let api = FakeApi::start().await;
    let mut bot = Process::started(&sandbox, &api).await;
    api.push_text(7040, "/start");
    api.wait_for("sendMessage", |c| c.chat_id() == Some(7040), WAIT).await;
    for _ in 0..50 {
        api.fail_next("getUpdates", 401, unauthorized.clone());
    }
    let Some(status) = bot.exit(Duration::from_secs(20)).await else {
        panic!("still running after 401s on getUpdates:\n{}", bot.stderr());
    };
    let log = bot.stderr();
    assert_eq!(status.code(), Some(78), "{log}");
    assert!(log.contains("revoked"), "{log}");
    let polls = api
        .calls()
        .iter()
        .filter(|c| c.method == "getUpdates" && c.response.get("ok") == Some(&json!(false)))
        .count();
    assert!(polls <= 3, "no retrying: {polls} refused polls");
}
