//! Replies that nothing holds up (issue 19): the real adapter, and the real binary,
//! against the loopback fake Bot API, with the production setting EUDESK_THROTTLE=on
//! where it matters. These tests check outcomes (who got what, what is left owed);
//! how fast is measured in `cargo bench --bench load`.

use crate::fake_api::{Call, FakeApi};
use crate::helpers::{Process, Running, Sandbox, WAIT, count_to, is_output};
use eudesk::dialogue;
use eudesk::engine::{Engine, Options};
use eudesk::storage::Store;
use serde_json::{Value, json};
use std::time::{Duration, Instant};

fn accepted(call: &Call) -> bool {
    call.response.get("ok").and_then(Value::as_bool) == Some(true)
}

fn to(chat: i64, needle: &'static str) -> impl Fn(&Call) -> bool {
    move |c: &Call| c.chat_id() == Some(chat) && accepted(c) && c.text().is_some_and(|t| t.contains(needle))
}

async fn eventually(limit: Duration, what: &str, mut done: impl AsyncFnMut() -> bool) {
    let deadline = Instant::now() + limit;
    while !done().await {
        assert!(Instant::now() < deadline, "not within {limit:?}: {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// An engine with the shipped flood control (20 a minute), as in production.
async fn production_engine(sandbox: &Sandbox) -> Engine {
    let loaded = dialogue::load(&sandbox.dialogues()).expect("the test tree is valid");
    let store = Store::open(&sandbox.database_url()).await.expect("database opens");
    Engine::with_options(loaded.tree, store, Options::default())
}

async fn outbox_to(sandbox: &Sandbox, chat: i64) -> Vec<(String, String)> {
    let pool = sqlx::SqlitePool::connect(&sandbox.database_url()).await.unwrap();
    let rows = sqlx::query_as("SELECT state, html FROM outbox WHERE chat_id = ? AND to_staff = 0 ORDER BY id")
        .bind(chat)
        .fetch_all(&pool)
        .await
        .unwrap();
    pool.close().await;
    rows
}

#[tokio::test]
async fn one_persons_flood_with_throttling_on_does_not_hold_up_anyone_else() {
    const FLOODER: i64 = 4001;
    const OTHER: i64 = 4002;
    let sandbox = Sandbox::new();
    let engine = production_engine(&sandbox).await;
    let bot = Running::start(sandbox, engine, true).await;
    for k in 0..100 {
        bot.api.push_text(FLOODER, &format!("mesaj {k}"));
    }
    // Everyone else is answered while the flooder's replies still wait for Telegram's
    // limit in the flooder's own line (one a second after a short burst).
    bot.api.push_text(OTHER, "/start");
    bot.api.wait_for("sendMessage", to(OTHER, "Merhaba!"), WAIT).await;
    let flooder_so_far = crate::helpers::outputs_to(&bot.api, FLOODER).len();
    assert!(
        flooder_so_far < 20,
        "the other person waited behind the flooder's {flooder_so_far} replies"
    );
    // The flooder gets at most their allowance and one "slow down"; the rest was
    // dropped where updates arrive, never queued.
    eventually(WAIT, "the flooder's updates are all taken", async || {
        bot.api.pending_updates() == 0
    })
    .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let owed = outbox_to(&bot.sandbox, FLOODER).await;
    let slow_downs = owed.iter().filter(|(_, html)| html.contains("Çok hızlı")).count();
    assert_eq!(slow_downs, 1, "{owed:?}");
    assert!(owed.len() <= 21, "{} messages owed to the flooder", owed.len());
    // A second person is not touched by the first one's pause.
    bot.api.push_text(OTHER, "/menu");
    eventually(WAIT, "the other person's second reply", async || {
        count_to(&bot.api, OTHER, "") >= 2
    })
    .await;
}

#[tokio::test]
async fn a_server_error_costs_a_short_retry_not_a_ten_second_stall() {
    const PERSON: i64 = 4011;
    let sandbox = Sandbox::new();
    let engine = sandbox.engine().await;
    let bot = Running::start(sandbox, engine, true).await;
    bot.api.fail_next_to(
        "sendMessage",
        PERSON,
        502,
        json!({"ok": false, "error_code": 502, "description": "Bad Gateway"}),
    );
    let asked = Instant::now();
    bot.api.push_text(PERSON, "/start");
    bot.api.wait_for("sendMessage", to(PERSON, "Merhaba!"), WAIT).await;
    // teloxide's own requests sleep 10 s on every 5xx before returning it; eudesk's
    // retry comes after a fraction of a second. Far from both, this bound does not
    // depend on a quiet machine.
    assert!(
        asked.elapsed() < Duration::from_secs(6),
        "the reply came after {:?}",
        asked.elapsed()
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    let sends: Vec<Call> = bot
        .api
        .calls()
        .into_iter()
        .filter(|c| c.method == "sendMessage" && c.chat_id() == Some(PERSON))
        .collect();
    assert_eq!(sends.len(), 2, "one refused, one accepted: {sends:?}");
    assert_eq!(sends.iter().filter(|c| accepted(c)).count(), 1, "shown once");
}

#[tokio::test]
async fn a_slow_telegram_for_one_chat_holds_up_no_other_chat() {
    const SLOW: i64 = 4021;
    const OTHER: i64 = 4022;
    let sandbox = Sandbox::new();
    let engine = sandbox.engine().await;
    let bot = Running::start(sandbox, engine, true).await;
    bot.api.delay_next_to("sendMessage", SLOW, Duration::from_secs(8));
    bot.api.push_text(SLOW, "/start");
    // The slow chat's send is under way…
    bot.api
        .wait_for("sendMessage", |c| c.chat_id() == Some(SLOW), WAIT)
        .await;
    // …and the next person is answered meanwhile.
    bot.api.push_text(OTHER, "/start");
    bot.api.wait_for("sendMessage", to(OTHER, "Merhaba!"), WAIT).await;
    let slow = outbox_to(&bot.sandbox, SLOW).await;
    assert_eq!(slow.len(), 1);
    assert_eq!(slow[0].0, "pending", "the slow chat's reply was still on its way");
}

/// A conversation's update as Telegram sends it.
fn update(id: i64, user: i64, text: &str) -> Value {
    json!({
        "update_id": id,
        "message": {
            "message_id": 900 + id,
            "date": 1_800_000_000,
            "chat": {"id": user, "type": "private", "first_name": "Deniz"},
            "from": {"id": user, "is_bot": false, "first_name": "Deniz", "language_code": "tr"},
            "text": text,
        }
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_a_kill_every_reply_owed_and_every_update_taken_is_delivered_once() {
    const IN_FLIGHT: i64 = 4031;
    const ANSWERED: i64 = 4032;
    const TAKEN: i64 = 4033;
    let sandbox = Sandbox::new();
    let api = FakeApi::start_at(1).await;
    let mut bot = Process::started(&sandbox, &api).await;
    // A reply owed: Telegram holds its send until after the kill.
    api.delay_next_to("sendMessage", IN_FLIGHT, Duration::from_secs(30));
    api.push_text(IN_FLIGHT, "/start");
    api.wait_for("sendMessage", |c| c.chat_id() == Some(IN_FLIGHT), WAIT)
        .await;
    let answered = api.push_text(ANSWERED, "/start");
    api.wait_for("sendMessage", to(ANSWERED, "Merhaba!"), WAIT).await;
    // Recorded as sent (a message Telegram took but the bot had not yet recorded may
    // come twice: that is the one duplicate a kill can make, tested in `faults`).
    eventually(WAIT, "the reply is recorded as sent", async || {
        outbox_to(&sandbox, ANSWERED)
            .await
            .iter()
            .all(|(state, _)| state == "sent")
    })
    .await;
    bot.kill_hard();

    // Updates taken from Telegram before the kill and not yet handled wait in the inbox
    // (written here as the bot writes them): one never handled, and one handled just
    // before the kill but not yet cleared.
    let pool = sqlx::SqlitePool::connect(&sandbox.database_url()).await.unwrap();
    for (id, user) in [(50_000, TAKEN), (answered, ANSWERED)] {
        sqlx::query("INSERT OR REPLACE INTO inbox (update_id, body, received_at) VALUES (?, ?, ?)")
            .bind(id)
            .bind(update(id, user, "/start").to_string())
            .bind(jiff::Timestamp::now().to_string())
            .execute(&pool)
            .await
            .unwrap();
    }
    pool.close().await;

    let api2 = FakeApi::start_at(100_000).await;
    let mut bot2 = Process::started(&sandbox, &api2).await;
    api2.wait_for("sendMessage", to(IN_FLIGHT, "Merhaba!"), WAIT).await;
    api2.wait_for("sendMessage", to(TAKEN, "Merhaba!"), WAIT).await;
    let store = Store::open(&sandbox.database_url()).await.unwrap();
    eventually(WAIT, "nothing left owed or untaken", async || {
        store.outbox_backlog().await.unwrap() == 0
    })
    .await;
    tokio::time::sleep(Duration::from_millis(800)).await;
    bot2.signal("TERM");
    let status = bot2.exit(Duration::from_secs(10)).await.expect("stops");
    assert_eq!(status.code(), Some(0), "{}", bot2.stderr());

    assert_eq!(
        count_to(&api2, TAKEN, "Merhaba!"),
        1,
        "the update taken is handled once"
    );
    assert_eq!(
        count_to(&api, ANSWERED, "Merhaba!") + count_to(&api2, ANSWERED, "Merhaba!"),
        1,
        "an update handled before the kill is not handled again"
    );
    let pool = sqlx::SqlitePool::connect(&sandbox.database_url()).await.unwrap();
    let left: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM inbox")
        .fetch_one(&pool)
        .await
        .unwrap();
    pool.close().await;
    assert_eq!(left, 0, "the inbox is empty once everything is handled");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn updates_are_confirmed_to_telegram_only_once_kept() {
    const PERSON: i64 = 4041;
    let sandbox = Sandbox::new();
    let api = FakeApi::start_at(1).await;
    let mut bot = Process::started(&sandbox, &api).await;
    api.push_text(PERSON, "/start");
    api.wait_for("sendMessage", to(PERSON, "Merhaba!"), WAIT).await;
    eventually(WAIT, "the reply is recorded as sent", async || {
        outbox_to(&sandbox, PERSON)
            .await
            .iter()
            .all(|(state, _)| state == "sent")
    })
    .await;
    bot.kill_hard();
    // The next bot starts where the last one's kept updates end: it is not handed the
    // update again (Telegram would, with no offset), and answers the new one.
    let asked = api.calls().len();
    let mut bot2 = Process::started(&sandbox, &api).await;
    api.push_text(PERSON, "bütçe nasıl hazırlanır");
    eventually(WAIT, "the second message is answered", async || {
        api.calls()
            .iter()
            .filter(|c| is_output(c) && c.chat_id() == Some(PERSON) && accepted(c))
            .count()
            >= 2
    })
    .await;
    let later: Vec<Call> = api.calls().into_iter().skip(asked).collect();
    let first_poll = later.iter().find(|c| c.method == "getUpdates").expect("polled");
    assert!(
        first_poll.params.get("offset").and_then(Value::as_i64).is_some(),
        "the restarted bot confirms what the last one kept: {:?}",
        first_poll.params
    );
    assert_eq!(count_to(&api, PERSON, "Merhaba!"), 1);
    bot2.signal("TERM");
    bot2.exit(Duration::from_secs(10)).await.expect("stops");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sighup_at_start_does_not_stop_the_bot() {
    const PERSON: i64 = 4051;
    let sandbox = Sandbox::new();
    let api = FakeApi::start_at(1).await;
    let mut bot = Process::start(&sandbox, &api);
    // As soon as the program has set SIGHUP aside (the first thing `main` does), long
    // before the bot listens for it (a reload during a restart). Earlier, between `exec`
    // and `main`, no program can catch it; waiting a fixed time instead made this test
    // fail on a busy machine.
    let status = format!("/proc/{}/status", bot.id());
    // Set aside: ignored (`SigIgn`), or already caught (`SigCgt`) once the bot listens.
    let hup = 1u64 << (libc::SIGHUP - 1);
    eventually(WAIT, "the program ignores SIGHUP", async || {
        std::fs::read_to_string(&status).is_ok_and(|s| {
            s.lines()
                .filter_map(|l| l.strip_prefix("SigIgn:").or_else(|| l.strip_prefix("SigCgt:")))
                .filter_map(|mask| u64::from_str_radix(mask.trim(), 16).ok())
                .any(|mask| mask & hup != 0)
        })
    })
    .await;
    bot.signal("HUP");
    api.wait_for("getUpdates", |_| true, WAIT).await;
    bot.signal("HUP");
    assert!(bot.exit(Duration::from_millis(300)).await.is_none(), "{}", bot.stderr());
    api.push_text(PERSON, "/start");
    api.wait_for("sendMessage", to(PERSON, "Merhaba!"), WAIT).await;
    bot.signal("TERM");
    let status = bot.exit(Duration::from_secs(10)).await.expect("stops");
    assert_eq!(status.code(), Some(0), "{}", bot.stderr());
}
