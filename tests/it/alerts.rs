//! Opportunities and alerts (issue 14) through the real adapter and the loopback fake
//! Bot API: subscribing after the consent, an alert reaching exactly the subscribers of
//! its topics in their language, stopping from the alert's buttons, "Remind me" before
//! the deadline and never after, a blocked subscriber removed, stopping while an alert
//! is still going out, `/forget`, staff
//! publishing from Telegram, a new training announced, and a fan-out killed half-way
//! and finished after a restart without doubles.

use crate::fake_api::{Call, FakeApi};
use crate::helpers::{Chat, Process, Sandbox, WAIT, stdout};
use crate::tickets_telegram::{STAFF_A, STAFF_B, STAFF_CHAT, engine_for, has_button, wait_one};
use eudesk::clock::{Clock, ManualClock};
use eudesk::lang::Lang;
use eudesk::opportunities::{Topic, TopicSet};
use eudesk::storage::Store;
use eudesk::storage::opportunities as q;
use serde_json::json;
use std::sync::Arc;
use std::time::Duration;

const CONSENT: &str = r#"
[alerts_consent]
version = "alerts-test-1"
text = { tr = "Duyurular için Telegram kimliğinizi ve konularınızı saklarız.", en = "For alerts we keep your Telegram id and your topics." }
"#;

/// An opportunity file as staff would write it.
fn opportunity_file(topics: &str, deadline: &str) -> String {
    format!(
        r#"topics = [{topics}]
title = {{ tr = "Avrupa Dayanışma Programı gönüllülüğü", en = "European Solidarity Corps volunteering" }}
text = {{ tr = "Portekiz'de 6 ay **gönüllülük**; yol ve konaklama karşılanır.", en = "Six months of **volunteering** in Portugal; travel and housing covered." }}
url = "https://youth.europa.eu/solidarity_en"
deadline = {deadline}
ages = [18, 30]
"#
    )
}

async fn start() -> (crate::helpers::Running, Arc<ManualClock>) {
    let sandbox = Sandbox::new();
    sandbox.write("alerts.toml", CONSENT);
    let clock = crate::tickets_telegram::clock();
    let engine = engine_for(&sandbox, clock.clone(), |_| {}).await;
    (crate::helpers::Running::start(sandbox, engine, false).await, clock)
}

/// Subscribes `user` straight in the database (for tests whose subject is not that).
async fn subscribed(store: &Store, user: i64, lang: Lang, topics: &[Topic]) {
    let now = jiff::Timestamp::now();
    for topic in topics {
        store
            .write(async |c| q::subscribe(c, user, *topic, lang, "alerts-test-1", now).await)
            .await
            .unwrap();
    }
}

async fn topics_of(store: &Store, user: i64) -> Vec<Topic> {
    store.read(async |c| q::topics_of_user(c, user).await).await.unwrap()
}

/// Publishes from the command line, as staff on the server would; the opportunity's id.
/// (The tests that call it run on a multi-threaded runtime: the command line blocks this
/// thread while the bot, on the others, keeps working.)
fn publish(bot: &crate::helpers::Running, topics: &str, deadline: &str) -> i64 {
    let file = bot.sandbox.dialogues().with_file_name("opportunity.toml");
    std::fs::write(&file, opportunity_file(topics, deadline)).unwrap();
    let out = bot
        .sandbox
        .eudesk(&["opportunities", "add", file.to_str().unwrap()], "");
    assert!(out.status.success(), "{out:?}");
    stdout(&out).trim().parse().expect("the new id")
}

fn sends_to(api: &FakeApi, chat: i64, needle: &str) -> Vec<Call> {
    api.calls()
        .into_iter()
        .filter(|c| c.method == "sendMessage" && c.chat_id() == Some(chat))
        .filter(|c| c.text().is_some_and(|t| t.contains(needle)))
        .collect()
}

#[tokio::test]
async fn subscribing_asks_for_the_consent_first_then_topics_toggle() {
    let (bot, _clock) = start().await;
    let store = bot.engine.store().clone();
    let mut ayse = Chat::new(&bot.api, 101);
    ayse.say("/subscribe");
    let consent = ayse
        .expect("sendMessage", "Telegram kimliğinizi ve konularınızı saklarız")
        .await;
    assert!(has_button(&consent, "ac:"), "{:?}", consent.buttons());
    assert!(topics_of(&store, 101).await.is_empty(), "nothing before the consent");

    ayse.press(&consent, "ac:");
    let topics = ayse.expect("editMessageText", "Hangi konularda").await;
    assert_eq!(topics.buttons().len(), Topic::ALL.len() + 1, "{:?}", topics.buttons());
    ayse.press(&topics, "tg:volunteering");
    let topics = ayse.expect("editMessageText", "1 konuda").await;
    assert!(
        topics
            .buttons()
            .iter()
            .any(|(l, d)| l.starts_with("✅") && d == "tg:volunteering")
    );
    ayse.press(&topics, "tg:trainings");
    let topics = ayse.expect("editMessageText", "2 konuda").await;
    ayse.press(&topics, "tg:volunteering");
    let topics = ayse.expect("editMessageText", "1 konuda").await;
    ayse.press(&topics, "ad:");
    ayse.expect("editMessageText", "Büronun PCM eğitimleri").await;
    assert_eq!(topics_of(&store, 101).await, [Topic::Trainings]);
    let version: String = store
        .read(async |c| {
            sqlx::query_scalar::<_, String>("SELECT consent_version FROM subscriptions WHERE user_id = 101")
                .fetch_one(c)
                .await
                .map_err(|e| eudesk::storage::StoreError::Corrupt(e.to_string()))
        })
        .await
        .unwrap();
    assert_eq!(
        version, "alerts-test-1",
        "the consent's version is kept with the subscription"
    );

    // A second /subscribe goes straight to the topics; /privacy lists them.
    ayse.say("/subscribe");
    ayse.expect("sendMessage", "1 konuda").await;
    ayse.say("/privacy");
    let privacy = ayse.expect("sendMessage", "Duyuru abonelikleriniz").await;
    assert!(privacy.text().unwrap().contains("Büronun PCM eğitimleri"));
}

/// Consent withdrawn is not given back by a tap on an old screen: after "Stop all" or
/// `/forget`, the old topics screen (or a forged press) asks for the consent again.
#[tokio::test]
async fn an_old_topics_screen_does_not_subscribe_without_the_consent_again() {
    let (bot, _clock) = start().await;
    let store = bot.engine.store().clone();
    let mut ayse = Chat::new(&bot.api, 102);
    ayse.say("/subscribe");
    let consent = ayse.expect("sendMessage", "saklarız").await;
    ayse.press(&consent, "ac:");
    let old_screen = ayse.expect("editMessageText", "Hangi konularda").await;
    ayse.press(&old_screen, "tg:study");
    ayse.expect("editMessageText", "1 konuda").await;
    ayse.press(&old_screen, "ad:");
    ayse.expect("editMessageText", "").await;

    ayse.say("/unsubscribe");
    ayse.expect("sendMessage", "artık size duyuru gönderilmeyecek").await;
    ayse.press(&old_screen, "tg:calls");
    ayse.expect("editMessageText", "saklarız").await;
    assert!(topics_of(&store, 102).await.is_empty(), "the old screen subscribed her");

    // Accepting again works as the first time.
    ayse.press(&old_screen, "ac:");
    let screen = ayse.expect("editMessageText", "Hangi konularda").await;
    ayse.press(&screen, "tg:calls");
    ayse.expect("editMessageText", "1 konuda").await;

    ayse.say("/forget");
    let confirm = ayse.expect("sendMessage", "").await;
    ayse.press(&confirm, "x:forget");
    ayse.expect("editMessageText", "").await;
    ayse.press(&screen, "tg:exchanges");
    ayse.expect("editMessageText", "saklarız").await;
    assert!(
        topics_of(&store, 102).await.is_empty(),
        "a forgotten person was subscribed again"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_alert_reaches_exactly_the_subscribers_of_its_topics_in_their_language() {
    let (bot, _clock) = start().await;
    let api = &bot.api;
    let store = bot.engine.store().clone();
    subscribed(&store, 201, Lang::Tr, &[Topic::Volunteering]).await;
    subscribed(&store, 202, Lang::En, &[Topic::Volunteering, Topic::Calls]).await;
    subscribed(&store, 203, Lang::Tr, &[Topic::Calls]).await;

    let id = publish(&bot, r#""volunteering""#, "2027-03-01T23:59:00");
    let tr = api.wait_for("sendMessage", |c| c.chat_id() == Some(201), WAIT).await;
    let en = api.wait_for("sendMessage", |c| c.chat_id() == Some(202), WAIT).await;
    let text = tr.text().unwrap();
    assert!(
        text.contains("Avrupa Dayanışma Programı") && text.contains("<b>gönüllülük</b>"),
        "{text}"
    );
    assert!(
        text.contains("18–30 yaş") && text.contains("1 Mart 2027, 23:59"),
        "{text}"
    );
    let text = en.text().unwrap();
    assert!(
        text.contains("European Solidarity Corps") && text.contains("1 March 2027, 23:59"),
        "{text}"
    );
    for call in [&tr, &en] {
        assert!(has_button(call, &format!("rm:{id}")), "{:?}", call.buttons());
        assert!(has_button(
            call,
            &format!("us:{}", TopicSet::of(&[Topic::Volunteering]).bits())
        ));
        assert!(has_button(call, &format!("us:{}", TopicSet::ALL.bits())));
    }
    // The progress post ends with every recipient counted.
    api.wait_for(
        "editMessageText",
        |c| c.chat_id() == Some(STAFF_CHAT) && c.text().is_some_and(|t| t.contains("2 / 2")),
        WAIT,
    )
    .await;
    assert!(
        sends_to(api, 203, "").is_empty(),
        "another topic's subscriber got nothing"
    );
    assert_eq!(sends_to(api, 201, "Yeni fırsat").len(), 1, "exactly once");

    // It is listed while open.
    let mut reader = Chat::new(api, 204);
    reader.say("/opportunities");
    let list = reader.expect("sendMessage", "Şu an açık fırsatlar").await;
    assert!(list.text().unwrap().contains("Avrupa Dayanışma Programı"));
    reader.press(&list, "op:calls");
    reader.expect("editMessageText", "açık bir fırsat yok").await;

    // The figures.
    let stats = eudesk::stats::of(&store, &[]).await.unwrap();
    assert_eq!(
        (stats.alerts_total, stats.alerts_delivered, stats.alerts_blocked),
        (2, 2, 0)
    );
    assert!(
        stats.subscribers.contains(&("volunteering".to_owned(), 2)),
        "{:?}",
        stats.subscribers
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stopping_from_an_alerts_buttons_ends_that_topic_or_all_at_once() {
    let (bot, _clock) = start().await;
    let api = &bot.api;
    let store = bot.engine.store().clone();
    subscribed(&store, 301, Lang::En, &[Topic::Volunteering, Topic::Calls]).await;
    subscribed(&store, 302, Lang::Tr, &[Topic::Volunteering, Topic::Traineeships]).await;
    publish(&bot, r#""volunteering""#, "2027-03-01");

    let mut john = Chat::new(api, 301);
    let alert = john.expect("sendMessage", "A new opportunity").await;
    john.press(&alert, &format!("us:{}", TopicSet::of(&[Topic::Volunteering]).bits()));
    john.expect("sendMessage", "Durduruldu").await;
    assert_eq!(topics_of(&store, 301).await, [Topic::Calls]);

    let mut ayse = Chat::new(api, 302);
    let alert = ayse.expect("sendMessage", "Yeni fırsat").await;
    ayse.press(&alert, &format!("us:{}", TopicSet::ALL.bits()));
    ayse.expect("sendMessage", "artık size duyuru gönderilmeyecek").await;
    assert!(topics_of(&store, 302).await.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn remind_me_comes_before_the_deadline_once_and_never_after_it() {
    let (bot, clock) = start().await;
    let api = &bot.api;
    let store = bot.engine.store().clone();
    subscribed(&store, 401, Lang::Tr, &[Topic::Traineeships]).await;
    subscribed(&store, 402, Lang::Tr, &[Topic::Traineeships]).await;
    // Due 15 December 23:59; a reminder three days before, in the morning.
    let id = publish(&bot, r#""traineeships""#, "2026-12-15");

    for user in [401, 402] {
        let mut chat = Chat::new(api, user);
        let alert = chat.expect("sendMessage", "Yeni fırsat").await;
        chat.press(&alert, &format!("rm:{id}"));
        chat.expect("sendMessage", "12 Aralık 2026, 10:00 tarihinde size hatırlatacağım")
            .await;
        chat.press(&alert, &format!("rm:{id}"));
        chat.expect("sendMessage", "zaten kurulu").await;
    }

    // Not yet.
    clock.set(crate::tickets_telegram::at("2026-12-12 09:50"));
    assert_eq!(eudesk::scheduler::queue_alert_reminders(&bot.engine).await.unwrap(), 0);
    // Due: sent once.
    clock.set(crate::tickets_telegram::at("2026-12-12 10:01"));
    assert_eq!(eudesk::scheduler::queue_alert_reminders(&bot.engine).await.unwrap(), 2);
    assert_eq!(eudesk::scheduler::queue_alert_reminders(&bot.engine).await.unwrap(), 0);
    api.wait_for(
        "sendMessage",
        |c| c.chat_id() == Some(401) && c.text().is_some_and(|t| t.contains("Hatırlatma")),
        WAIT,
    )
    .await;

    // Asked too late: "closed"; and a reminder whose deadline passed while the bot was
    // down is dropped, never sent after the deadline.
    let late = publish(&bot, r#""traineeships""#, "2026-12-20");
    let mut late_chat = Chat::new(api, 401);
    clock.set(crate::tickets_telegram::at("2026-12-16 10:00"));
    let alert = api
        .wait_for(
            "sendMessage",
            |c| c.chat_id() == Some(401) && has_button(c, &format!("rm:{late}")),
            WAIT,
        )
        .await;
    late_chat.cursor_to_end();
    late_chat.press(&alert, &format!("rm:{late}"));
    late_chat.expect("sendMessage", "size hatırlatacağım").await;
    clock.set(crate::tickets_telegram::at("2026-12-21 10:00"));
    assert_eq!(eudesk::scheduler::queue_alert_reminders(&bot.engine).await.unwrap(), 0);
    late_chat.press(&alert, &format!("rm:{late}"));
    late_chat.expect("sendMessage", "son başvuru tarihi geçti").await;
    assert_eq!(eudesk::stats::of(&store, &[]).await.unwrap().remind_presses, 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_subscriber_who_blocked_the_bot_is_removed_and_counted() {
    let (bot, _clock) = start().await;
    let api = &bot.api;
    let store = bot.engine.store().clone();
    subscribed(&store, 501, Lang::Tr, &[Topic::Discovereu]).await;
    subscribed(&store, 502, Lang::Tr, &[Topic::Discovereu, Topic::Study]).await;
    api.fail_next_to(
        "sendMessage",
        502,
        403,
        json!({"ok": false, "error_code": 403, "description": "Forbidden: bot was blocked by the user"}),
    );
    publish(&bot, r#""discovereu""#, "2027-03-01");
    api.wait_for(
        "editMessageText",
        |c| c.chat_id() == Some(STAFF_CHAT) && c.text().is_some_and(|t| t.contains("1 engellemiş")),
        WAIT,
    )
    .await;
    assert!(
        topics_of(&store, 502).await.is_empty(),
        "every topic of a blocked person is dropped"
    );
    assert_eq!(topics_of(&store, 501).await, [Topic::Discovereu]);
    let stats = eudesk::stats::of(&store, &[]).await.unwrap();
    assert_eq!((stats.alerts_delivered, stats.alerts_blocked), (1, 1));
}

/// With 100,000 subscribers at 25 a second an alert takes over an hour: whoever says
/// stop meanwhile must not get it, unless another of its topics keeps them subscribed.
#[tokio::test]
async fn who_stops_while_an_alert_is_going_out_does_not_get_it() {
    let sandbox = Sandbox::new();
    let store = Store::open(&sandbox.database_url()).await.unwrap();
    let now = jiff::Timestamp::now();
    subscribed(&store, 701, Lang::Tr, &[Topic::Exchanges]).await;
    subscribed(&store, 702, Lang::En, &[Topic::Exchanges, Topic::Volunteering]).await;
    subscribed(&store, 703, Lang::Tr, &[Topic::Exchanges, Topic::Calls]).await;
    subscribed(&store, 704, Lang::Tr, &[Topic::Volunteering]).await;
    let text = opportunity_file(r#""exchanges", "volunteering""#, "2027-03-01");
    let opportunity = eudesk::opportunities::file::from_toml(&text, now).unwrap();
    let published = store
        .write(async |c| eudesk::opportunities::service::publish(c, &opportunity, "test", None, now).await)
        .await
        .unwrap();
    assert_eq!(published.recipients, 4);
    // 701 stops everything, 702 only exchanges (volunteering keeps them), 703 calls
    // (exchanges keeps them), 704 volunteering.
    for (user, only) in [
        (701, None),
        (702, Some(vec![Topic::Exchanges])),
        (703, Some(vec![Topic::Calls])),
        (704, Some(vec![Topic::Volunteering])),
    ] {
        store
            .write(async |c| q::unsubscribe(c, user, only.as_deref(), now).await)
            .await
            .unwrap();
    }
    let pending: Vec<i64> = store
        .read(async |c| q::pending(c, published.fanout.0, 100).await)
        .await
        .unwrap()
        .into_iter()
        .map(|(user, _)| user)
        .collect();
    assert_eq!(pending, [702, 703]);
    store.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forgetting_a_person_leaves_no_subscription_reminder_or_alert_of_theirs() {
    let (bot, _clock) = start().await;
    let api = &bot.api;
    let store = bot.engine.store().clone();
    subscribed(&store, 601, Lang::Tr, &[Topic::Study, Topic::Calls]).await;
    let id = publish(&bot, r#""study""#, "2027-03-01");
    let mut ayse = Chat::new(api, 601);
    let alert = ayse.expect("sendMessage", "Yeni fırsat").await;
    ayse.press(&alert, &format!("rm:{id}"));
    ayse.expect("sendMessage", "hatırlatacağım").await;
    ayse.say("/forget");
    let confirm = ayse.expect("sendMessage", "").await;
    ayse.press(&confirm, "x:forget");
    ayse.expect("editMessageText", "").await;

    let pool = sqlx::SqlitePool::connect(&bot.sandbox.database_url()).await.unwrap();
    for table in ["subscriptions", "opportunity_reminders", "fanout_recipients"] {
        let n: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {table} WHERE user_id = 601"))
            .fetch_one(&pool)
            .await
            .unwrap();
        assert_eq!(n, 0, "{table} still holds the person");
    }
    pool.close().await;
}

#[tokio::test]
async fn staff_publish_from_telegram_with_a_preview_in_both_languages() {
    let (bot, _clock) = start().await;
    let api = &bot.api;
    let store = bot.engine.store().clone();
    subscribed(&store, 701, Lang::En, &[Topic::Exchanges]).await;

    let mut staff = Chat::new(api, STAFF_A);
    staff.say("/publish");
    let topics = staff.expect("sendMessage", "(1/8)").await;
    staff.press(&topics, "f:topics_done");
    staff.expect("sendMessage", "En az bir konu").await;
    staff.press(&topics, "f:tp:exchanges");
    let topics = staff.expect("editMessageText", "(1/8)").await;
    staff.press(&topics, "f:topics_done");
    staff.expect("sendMessage", "(2/8)").await;
    staff.say("Gençlik değişimi: İspanya");
    staff.expect("sendMessage", "(3/8)").await;
    staff.say("Youth exchange: Spain");
    staff.expect("sendMessage", "(4/8)").await;
    staff.say("Valensiya'da 10 günlük değişim, **18-25 yaş**.");
    staff.expect("sendMessage", "(5/8)").await;
    staff.say("A 10-day exchange in Valencia, **ages 18-25**.");
    staff.expect("sendMessage", "(6/8)").await;
    staff.say("http://example.org");
    staff.expect("sendMessage", "https://").await;
    staff.expect("sendMessage", "(6/8)").await;
    staff.say("https://youth.europa.eu/go-abroad_en");
    staff.expect("sendMessage", "(7/8)").await;
    staff.say("01.11.2026");
    staff.expect("sendMessage", "Gelecekte bir tarih").await;
    staff.expect("sendMessage", "(7/8)").await;
    staff.say("15.01.2027");
    let ages = staff.expect("sendMessage", "(8/8)").await;
    staff.press(&ages, "f:no_ages");
    staff.expect("sendMessage", "Önizleme").await;
    let tr = staff.expect("sendMessage", "Gençlik değişimi: İspanya").await;
    let en = staff.expect("sendMessage", "Youth exchange: Spain").await;
    assert!(tr.text().unwrap().contains("15 Ocak 2027, 23:59"));
    assert!(en.text().unwrap().contains("15 January 2027, 23:59"));
    // The preview's subscriber buttons only say they are a preview.
    assert!(has_button(&en, "pv:") && !has_button(&en, "us:"), "{:?}", en.buttons());
    let ask = staff.expect("sendMessage", "Gönderilsin mi").await;
    staff.press(&en, "pv:");
    staff.expect("sendMessage", "Bu bir önizleme").await;

    // Changing one value from the preview: the English title, then the preview again.
    staff.press(&ask, "f:edit");
    let fields = staff.expect("sendMessage", "Hangi değer değişsin?").await;
    // A button of the session form (whose field names the publish form shares) changes
    // nothing here: the question is asked again.
    staff.press(&fields, "f:fe:title_en");
    let fields = staff.expect("sendMessage", "Hangi değer değişsin?").await;
    staff.press(&fields, "f:pe:title_en");
    staff.expect("sendMessage", "(3/8)").await;
    staff.say("Youth exchange: Spain");
    staff.expect("sendMessage", "Önizleme").await;
    staff.expect("sendMessage", "Gençlik değişimi: İspanya").await;
    let en = staff.expect("sendMessage", "Youth exchange: Spain").await;
    let ask = staff.expect("sendMessage", "Gönderilsin mi").await;

    assert!(q_count(&store).await == 0, "nothing stored before Send");
    staff.press(&ask, "f:send");
    staff.expect("editMessageText", "1 aboneye gönderiliyor").await;
    let alert = api.wait_for("sendMessage", |c| c.chat_id() == Some(701), WAIT).await;
    assert_eq!(alert.text(), en.text(), "exactly the preview");
}

async fn q_count(store: &Store) -> usize {
    store.read(async |c| q::all(c).await).await.unwrap().len()
}

#[tokio::test]
async fn a_new_training_session_is_announced_to_the_trainings_subscribers_with_its_booking() {
    let (bot, clock) = start().await;
    let api = &bot.api;
    let store = bot.engine.store().clone();
    subscribed(&store, 801, Lang::Tr, &[Topic::Trainings]).await;
    subscribed(&store, 802, Lang::Tr, &[Topic::Calls]).await;
    let details = eudesk::trainings::SessionDetails {
        title: eudesk::lang::Localized::new("PCM Temel Eğitimi".to_owned(), "PCM Basic Training".to_owned()),
        starts: crate::tickets_telegram::at("2026-12-10 10:00"),
        ends: crate::tickets_telegram::at("2026-12-10 17:00"),
        place: "İzmir Valiliği".to_owned(),
        capacity: 20,
        deadline: crate::tickets_telegram::at("2026-12-10 10:00"),
        second_reminder: None,
    };
    let now = clock.now();
    let id = store
        .write(async |c| eudesk::trainings::service::create_session(c, &details.clone().check().unwrap(), now).await)
        .await
        .unwrap();
    let told = api.wait_for("sendMessage", |c| c.chat_id() == Some(801), WAIT).await;
    assert!(told.text().unwrap().contains("Yeni PCM eğitimi kayda açıldı"));
    assert!(has_button(&told, &format!("s:{id}")), "{:?}", told.buttons());
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(sends_to(api, 802, "").is_empty());
    wait_one(api, STAFF_CHAT, "PCM Temel Eğitimi").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fan_out_killed_half_way_is_finished_after_a_restart_without_doubles() {
    const PEOPLE: i64 = 120;
    let sandbox = Sandbox::new();
    sandbox.write("alerts.toml", CONSENT);
    let store = Store::open(&sandbox.database_url()).await.unwrap();
    for user in 1..=PEOPLE {
        subscribed(&store, 10_000 + user, Lang::Tr, &[Topic::Volunteering]).await;
    }
    let file = sandbox.dialogues().with_file_name("opportunity.toml");
    std::fs::write(&file, opportunity_file(r#""volunteering""#, "2027-03-01")).unwrap();
    let out = sandbox.eudesk(&["opportunities", "add", file.to_str().unwrap()], "");
    assert!(out.status.success(), "{out:?}");

    // A slow Telegram: each alert takes 20 ms, so the kill comes half-way.
    let api = FakeApi::start_at(1).await;
    for _ in 0..PEOPLE {
        api.delay_next("sendMessage", Duration::from_millis(20));
    }
    let mut bot = Process::started(&sandbox, &api).await;
    api.wait_calls("sendMessage", 30, WAIT).await;
    bot.kill_hard();
    let first: Vec<i64> = api
        .calls()
        .iter()
        .filter(|c| c.method == "sendMessage" && c.chat_id().is_some_and(|u| u > 10_000))
        .filter_map(Call::chat_id)
        .collect();
    assert!((first.len() as i64) < PEOPLE, "the kill came before the end");

    let api2 = FakeApi::start_at(100_000).await;
    let mut bot2 = Process::started(&sandbox, &api2).await;
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let pending: i64 = store
            .read(async |c| {
                sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM fanout_recipients WHERE state = 'pending'")
                    .fetch_one(c)
                    .await
                    .map_err(|e| eudesk::storage::StoreError::Corrupt(e.to_string()))
            })
            .await
            .unwrap();
        if pending == 0 {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "{pending} alerts still pending");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    bot2.signal("TERM");
    bot2.exit(Duration::from_secs(10)).await.expect("stops");
    let second: Vec<i64> = api2
        .calls()
        .iter()
        .filter(|c| c.method == "sendMessage" && c.chat_id().is_some_and(|u| u > 10_000))
        .filter_map(Call::chat_id)
        .collect();
    let mut doubles = Vec::new();
    for user in 10_001..=10_000 + PEOPLE {
        let n = first.iter().filter(|u| **u == user).count() + second.iter().filter(|u| **u == user).count();
        assert!(n >= 1, "{user} never got the alert");
        if n > 1 {
            doubles.push(user);
        }
    }
    // Only the alerts in flight at the kill (a few go at once) may come twice.
    assert!(doubles.len() <= 4, "{doubles:?}");
}

/// A member taken off STAFF_USER_IDS while their alert waits at the preview cannot send
/// it after the restart: the form is closed with a sentence, nothing is published.
#[tokio::test]
async fn a_member_taken_off_the_staff_list_cannot_send_the_alert_they_were_writing() {
    let (bot, clock) = start().await;
    subscribed(bot.engine.store(), 801, Lang::Tr, &[Topic::Calls]).await;
    let mut staff = Chat::new(&bot.api, STAFF_A);
    staff.say("/publish");
    let topics = staff.expect("sendMessage", "(1/8)").await;
    staff.press(&topics, "f:tp:calls");
    let topics = staff.expect("editMessageText", "(1/8)").await;
    staff.press(&topics, "f:topics_done");
    staff.expect("sendMessage", "(2/8)").await;
    for (value, next) in [
        ("Kurumlara çağrı", "(3/8)"),
        ("A call for organisations", "(4/8)"),
        ("Son başvuru yaklaşıyor.", "(5/8)"),
        ("The deadline is near.", "(6/8)"),
        ("https://erasmus-plus.ec.europa.eu/", "(7/8)"),
    ] {
        staff.say(value);
        staff.expect("sendMessage", next).await;
    }
    staff.say("15.01.2027");
    let ages = staff.expect("sendMessage", "(8/8)").await;
    staff.press(&ages, "f:no_ages");
    staff.expect("sendMessage", "Önizleme").await;
    staff.expect("sendMessage", "Kurumlara çağrı").await;
    staff.expect("sendMessage", "A call for organisations").await;
    let ask = staff.expect("sendMessage", "Gönderilsin mi").await;
    // Every message of the form recorded as sent, so that the new bot's first message is
    // its own.
    crate::tickets_telegram::outbox_drained(&bot.engine).await;

    // The office takes them off the staff list and restarts.
    let sandbox = bot.into_sandbox();
    let engine = engine_for(&sandbox, clock.clone(), |o| o.staff = vec![STAFF_B]).await;
    let bot = crate::helpers::Running::start(sandbox, engine, false).await;
    let mut former = Chat::new(&bot.api, STAFF_A);
    former.press(&ask, "f:send");
    let closed = former.next().await;
    assert!(
        closed
            .text()
            .is_some_and(|t| t.contains("artık personel listesinde olmadığınız")),
        "{:?}",
        closed.text()
    );
    former.say("/publish");
    former.expect("sendMessage", "yalnızca büro personeli").await;
    assert_eq!(q_count(bot.engine.store()).await, 0, "nothing was published");
    assert!(sends_to(&bot.api, 801, "").is_empty());
}

/// A session cancelled while its announcement is still going out: the rest of the
/// subscribers are not invited to book it.
#[tokio::test]
async fn cancelling_a_session_stops_its_announcement() {
    let sandbox = Sandbox::new();
    let store = Store::open(&sandbox.database_url()).await.unwrap();
    for user in 901..904 {
        subscribed(&store, user, Lang::Tr, &[Topic::Trainings]).await;
    }
    let details = eudesk::trainings::SessionDetails {
        title: eudesk::lang::Localized::new("PCM Temel Eğitimi".to_owned(), "PCM Basic Training".to_owned()),
        starts: crate::tickets_telegram::at("2027-02-10 10:00"),
        ends: crate::tickets_telegram::at("2027-02-10 17:00"),
        place: "İzmir Valiliği".to_owned(),
        capacity: 20,
        deadline: crate::tickets_telegram::at("2027-02-09 17:00"),
        second_reminder: None,
    };
    let now = crate::tickets_telegram::at("2026-12-01 10:00");
    let session = store
        .write(async |c| eudesk::trainings::service::create_session(c, &details.clone().check().unwrap(), now).await)
        .await
        .unwrap();
    let fanout = store
        .read(async |c| q::sending_of(c, q::Carrying::Session(session)).await)
        .await
        .unwrap();
    assert_eq!(fanout.len(), 1, "the new session is announced");
    store
        .write(async |c| eudesk::trainings::service::cancel_session(c, session, now).await)
        .await
        .unwrap();
    let f = store
        .read(async |c| q::fanout(c, fanout[0]).await)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (f.state, f.pending, f.total),
        (eudesk::opportunities::FanoutState::Stopped, 0, 3)
    );
    store.close().await;
}

/// Staff withdraw a mistaken opportunity from Telegram, without a shell: from its
/// progress post in the group (after a confirmation) or from /opportunities. Nobody else
/// can, whatever they press.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn staff_withdraw_an_opportunity_from_telegram_and_nobody_else_can() {
    let (bot, _clock) = start().await;
    let api = &bot.api;
    let store = bot.engine.store().clone();
    subscribed(&store, 1001, Lang::Tr, &[Topic::Calls]).await;
    let first = publish(&bot, r#""calls""#, "2027-03-01");
    let done = api
        .wait_for(
            "editMessageText",
            |c| c.chat_id() == Some(STAFF_CHAT) && c.text().is_some_and(|t| t.contains("1 / 1")),
            WAIT,
        )
        .await;
    assert!(has_button(&done, &format!("wd:{first}")), "{:?}", done.buttons());

    // A person pressing a forged confirmation changes nothing.
    let mut ayse = Chat::new(api, 1001);
    ayse.expect("sendMessage", "Yeni fırsat").await;
    ayse.press(&done, &format!("wd:{first}:y"));
    ayse.expect("sendMessage", "yalnızca büro personeli").await;
    assert!(is_open(&store, first).await, "a person withdrew it");

    // Staff in the group: asked first, then withdrawn.
    crate::tickets_telegram::press_in_group(api, STAFF_A, &done, &format!("wd:{first}"));
    let ask = wait_one(api, STAFF_CHAT, "yayından kaldırılsın mı").await;
    assert!(is_open(&store, first).await, "withdrawn before the confirmation");
    crate::tickets_telegram::press_in_group(api, STAFF_A, &ask, &format!("wd:{first}:y"));
    api.wait_for(
        "editMessageText",
        |c| c.chat_id() == Some(STAFF_CHAT) && c.text().is_some_and(|t| t.contains("yayından kaldırıldı")),
        WAIT,
    )
    .await;
    assert!(!is_open(&store, first).await);

    // From /opportunities in the private chat: the list shows staff a button per item.
    let second = publish(&bot, r#""calls""#, "2027-04-01");
    let mut staff = Chat::new(api, STAFF_A);
    staff.say("/opportunities");
    let list = staff.expect("sendMessage", "Şu an açık fırsatlar").await;
    assert!(has_button(&list, &format!("wd:{second}")), "{:?}", list.buttons());
    assert!(!has_button(&list, &format!("wd:{first}")), "a withdrawn one is listed");
    staff.press(&list, &format!("wd:{second}"));
    let ask = staff.expect("sendMessage", "yayından kaldırılsın mı").await;
    staff.press(&ask, &format!("wd:{second}:y"));
    staff.expect("editMessageText", "yayından kaldırıldı").await;
    // A second press (two staff, or a double tap) says so and changes nothing.
    staff.press(&ask, &format!("wd:{second}:y"));
    staff.expect("sendMessage", "zaten yayından kaldırılmış").await;
    ayse.say("/opportunities");
    let seen = ayse.expect("sendMessage", "").await;
    assert!(
        seen.text().unwrap().contains("açık bir fırsat yok"),
        "{:?}",
        seen.text()
    );
    assert!(!has_button(&seen, "wd:"), "a person is shown staff buttons");
}

/// Published and not withdrawn.
async fn is_open(store: &Store, id: i64) -> bool {
    store
        .read(async |c| q::get(c, id).await)
        .await
        .unwrap()
        .is_some_and(|s| !s.withdrawn)
}

/// The delivery reads recipients in batches: whoever stops or is forgotten while their
/// batch is going out must still not get the alert.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn who_stops_or_is_forgotten_while_their_batch_goes_out_does_not_get_it() {
    let (bot, _clock) = start().await;
    let api = &bot.api;
    let store = bot.engine.store().clone();
    for user in 1..=20 {
        subscribed(&store, 20_000 + user, Lang::Tr, &[Topic::Study]).await;
    }
    // A slow Telegram: 60 ms a message, the whole alert well over a second.
    for _ in 0..25 {
        api.delay_next("sendMessage", Duration::from_millis(60));
    }
    publish(&bot, r#""study""#, "2027-03-01");
    api.wait_for("sendMessage", |c| c.chat_id() == Some(20_002), WAIT).await;
    let now = jiff::Timestamp::now();
    store
        .write(async |c| q::unsubscribe(c, 20_015, None, now).await)
        .await
        .unwrap();
    store
        .write(async |c| eudesk::privacy::forget(c, eudesk::ids::UserId(20_016), now).await)
        .await
        .unwrap();
    api.wait_for("sendMessage", |c| c.chat_id() == Some(20_020), WAIT).await;
    assert!(sends_to(api, 20_015, "").is_empty(), "an unsubscribed person got it");
    assert!(sends_to(api, 20_016, "").is_empty(), "a forgotten person got it");
    assert_eq!(sends_to(api, 20_017, "Yeni fırsat").len(), 1);
}

/// Topics chosen under one consent text are not extended under a newer one the person
/// has not read: the office changes the text, and the next topic asks for it first.
#[tokio::test]
async fn a_new_consent_text_is_accepted_before_another_topic_is_added() {
    let (bot, clock) = start().await;
    let mut ayse = Chat::new(&bot.api, 103);
    ayse.say("/subscribe");
    let consent = ayse.expect("sendMessage", "saklarız").await;
    ayse.press(&consent, "ac:");
    let screen = ayse.expect("editMessageText", "Hangi konularda").await;
    ayse.press(&screen, "tg:study");
    ayse.expect("editMessageText", "1 konuda").await;
    ayse.press(&screen, "ad:");
    ayse.expect("editMessageText", "").await;
    // Recorded as sent before the restart, so the new bot's first message is its own.
    crate::tickets_telegram::outbox_drained(&bot.engine).await;

    let sandbox = bot.into_sandbox();
    sandbox.write("alerts.toml", &CONSENT.replace("alerts-test-1", "alerts-test-2"));
    let engine = engine_for(&sandbox, clock.clone(), |_| {}).await;
    let bot = crate::helpers::Running::start(sandbox, engine, false).await;
    let store = bot.engine.store().clone();
    let mut ayse = Chat::new(&bot.api, 103);
    ayse.press(&screen, "tg:calls");
    ayse.expect("editMessageText", "saklarız").await;
    assert_eq!(
        topics_of(&store, 103).await,
        [Topic::Study],
        "added under an unread text"
    );
    ayse.say("/subscribe");
    let consent = ayse.expect("sendMessage", "saklarız").await;
    ayse.press(&consent, "ac:");
    let screen = ayse.expect("editMessageText", "1 konuda").await;
    ayse.press(&screen, "tg:calls");
    ayse.expect("editMessageText", "2 konuda").await;
    let versions: Vec<String> = store
        .read(async |c| {
            sqlx::query_scalar::<_, String>("SELECT DISTINCT consent_version FROM subscriptions WHERE user_id = 103")
                .fetch_all(c)
                .await
                .map_err(|e| eudesk::storage::StoreError::Corrupt(e.to_string()))
        })
        .await
        .unwrap();
    assert_eq!(versions, ["alerts-test-2"]);
}

/// A reminder queued in time but not taken by Telegram before the deadline (an outage)
/// is never sent after it: the outbox leaves it out and the next minute's job ends it.
#[tokio::test]
async fn a_reminder_held_up_past_the_deadline_is_never_sent() {
    use eudesk::storage::outbox;
    let sandbox = Sandbox::new();
    let store = Store::open(&sandbox.database_url()).await.unwrap();
    let published_at = crate::tickets_telegram::at("2026-12-01 10:00");
    let text = opportunity_file(r#""study""#, "2026-12-15");
    let opportunity = eudesk::opportunities::file::from_toml(&text, published_at).unwrap();
    let id = store
        .write(async |c| eudesk::opportunities::service::publish(c, &opportunity, "test", None, published_at).await)
        .await
        .unwrap()
        .id;
    let lead = jiff::SignedDuration::from_hours(72);
    store
        .write(async |c| {
            eudesk::opportunities::service::remind_me(c, id, eudesk::ids::UserId(1101), Lang::Tr, lead, published_at)
                .await
        })
        .await
        .unwrap();
    let due = crate::tickets_telegram::at("2026-12-12 10:00");
    let queued = store
        .write(async |c| eudesk::opportunities::service::queue_reminders(c, due).await)
        .await
        .unwrap();
    assert_eq!(queued, 1);
    let to_person = |pending: Vec<outbox::Pending>| {
        pending
            .into_iter()
            .filter(|p| p.message.to == eudesk::message::Recipient::Chat(eudesk::ids::ChatId(1101)))
            .count()
    };
    assert_eq!(to_person(store.due_messages(due, 100).await.unwrap()), 1);

    // Telegram was down until after the deadline.
    let late = crate::tickets_telegram::at("2026-12-16 00:30");
    assert_eq!(to_person(store.due_messages(late, 100).await.unwrap()), 0, "sent late");
    let expired = store.write(async |c| outbox::expire(c, late).await).await.unwrap();
    assert_eq!(expired, 1);
    store.close().await;
}

/// An alert still going out when its deadline passes (a long alert, or the bot was down)
/// stops: nobody hears of an opportunity that has closed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_alert_stops_going_out_at_its_deadline() {
    let (bot, clock) = start().await;
    let api = &bot.api;
    let store = bot.engine.store().clone();
    for user in 1..=80 {
        subscribed(&store, 30_000 + user, Lang::Tr, &[Topic::Calls]).await;
    }
    for _ in 0..90 {
        api.delay_next("sendMessage", Duration::from_millis(15));
    }
    publish(&bot, r#""calls""#, "2027-03-01");
    api.wait_for("sendMessage", |c| c.chat_id() == Some(30_002), WAIT).await;
    clock.set(crate::tickets_telegram::at("2027-03-02 10:00"));
    let stopped = api
        .wait_for(
            "editMessageText",
            |c| c.chat_id() == Some(STAFF_CHAT) && c.text().is_some_and(|t| t.contains("durduruldu")),
            WAIT,
        )
        .await;
    assert!(!has_button(&stopped, "sf:"), "{:?}", stopped.buttons());
    let reached = (30_001..=30_080).filter(|u| !sends_to(api, *u, "").is_empty()).count();
    assert!(reached < 80, "every subscriber got a closed opportunity");
    assert!(sends_to(api, 30_080, "").is_empty());
}
