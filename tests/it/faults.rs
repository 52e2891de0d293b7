//! Fault injection: the real Telegram adapter against a loopback fake Bot API that
//! answers 429, 400, 403, 5xx, HTML error pages, slowly or not at all, and the real
//! binary stopped by signals, started twice on one database, and killed with SIGKILL
//! at chosen points and restarted. After each scenario the invariants are checked:
//! nothing sent twice that should be sent once, nothing owed left unsent, seats taken
//! never above capacity, and the token never in the logs. Nothing here reaches any
//! host but 127.0.0.1.

use crate::fake_api::{Call, FakeApi};
use crate::helpers::{Chat, Process, Running, Sandbox, WAIT, is_output};
use eudesk::lang::{Lang, Localized};
use eudesk::message::{OutMessage, Recipient};
use eudesk::storage::Store;
use eudesk::trainings::{
    Attendee, Email, OrgType, Organisation, PersonName, Registration, SessionDetails, SessionId, Status,
};
use eudesk::trainings::{Booked, Cancelled};
use jiff::{SignedDuration, Timestamp};
use serde_json::{Value, json};

use std::time::{Duration, Instant};

const TITLE_TR: &str = "PCM Temel Eğitimi";

// ---------------------------------------------------------------------------
// Telegram's answers, as the real API words them.

fn too_many_requests(seconds: u64) -> Value {
    json!({
        "ok": false,
        "error_code": 429,
        "description": format!("Too Many Requests: retry after {seconds}"),
        "parameters": { "retry_after": seconds },
    })
}

fn bad_request(description: &str) -> Value {
    json!({ "ok": false, "error_code": 400, "description": format!("Bad Request: {description}") })
}

fn blocked() -> Value {
    json!({ "ok": false, "error_code": 403, "description": "Forbidden: bot was blocked by the user" })
}

fn conflict() -> Value {
    json!({
        "ok": false,
        "error_code": 409,
        "description": "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running",
    })
}

const NOT_MODIFIED: &str = "message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message";
const QUERY_TOO_OLD: &str = "query is too old and response timeout expired or query ID is invalid";
const BAD_GATEWAY_PAGE: &str = "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n";

// ---------------------------------------------------------------------------
// Reading what the bot sent.

fn accepted(call: &Call) -> bool {
    call.response["ok"] == true
}

/// Every message, edit or document sent to `chat` that says `needle`, whatever the
/// fake answered.
fn outputs(api: &FakeApi, chat: i64, needle: &str) -> Vec<Call> {
    api.calls()
        .into_iter()
        .filter(|c| is_output(c) && c.chat_id() == Some(chat) && c.text().is_some_and(|t| t.contains(needle)))
        .collect()
}

/// How often `chat` was shown `needle`: calls Telegram accepted.
fn seen(api: &FakeApi, chat: i64, needle: &str) -> usize {
    outputs(api, chat, needle).iter().filter(|c| accepted(c)).count()
}

fn calls_of(api: &FakeApi, method: &str) -> Vec<Call> {
    api.calls().into_iter().filter(|c| c.method == method).collect()
}

fn to(chat: i64, needle: &'static str) -> impl Fn(&Call) -> bool {
    move |c: &Call| c.chat_id() == Some(chat) && c.text().is_some_and(|t| t.contains(needle))
}

fn button(call: &Call, label: &str) -> String {
    call.buttons()
        .into_iter()
        .find(|(l, _)| l.contains(label))
        .map(|(_, data)| data)
        .unwrap_or_else(|| panic!("no button '{label}' in {:?}", call.buttons()))
}

/// Waits, at most `limit`, until `done` holds.
async fn eventually(limit: Duration, what: &str, mut done: impl AsyncFnMut() -> bool) {
    let deadline = Instant::now() + limit;
    while !done().await {
        assert!(Instant::now() < deadline, "not within {limit:?}: {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Lets the bot do whatever it would do next (a retry, a second send) before a test
/// checks that it did not.
async fn settle() {
    tokio::time::sleep(Duration::from_millis(1500)).await;
}

// ---------------------------------------------------------------------------
// One person's side of a conversation, read in order.

impl Chat {
    /// A whole booking of `session` up to the summary.
    async fn fill_in_booking(&mut self, session: SessionId, name: &str) -> Call {
        self.say("/trainings");
        let list = self.expect("sendMessage", "PCM eğitimleri").await;
        self.press(&list, &format!("s:{session}"));
        // The session's details, or word that it is full.
        self.expect("editMessageText", "").await;
        self.expect("sendMessage", "Adım 1/6").await;
        self.say(name);
        let org_type = self.expect("sendMessage", "Adım 2/6").await;
        self.press(&org_type, "f:org:ngo");
        self.expect("sendMessage", "Adım 3/6").await;
        self.say("Ege Kalkınma Derneği");
        self.expect("sendMessage", "Adım 4/6").await;
        self.say("kisi@example.org");
        let phone = self.expect("sendMessage", "Adım 5/6").await;
        self.press(&phone, "f:skip");
        let consent = self.expect("sendMessage", "Adım 6/6").await;
        self.press(&consent, "f:yes");
        self.expect("sendMessage", "Lütfen bilgilerinizi kontrol edin").await
    }
}

// ---------------------------------------------------------------------------
// Sessions and registrations, made through the library as the bot makes them.

/// A session a month from now, open for booking.
fn details(capacity: u32) -> SessionDetails {
    let starts = Timestamp::now() + SignedDuration::from_hours(24 * 30);
    SessionDetails {
        title: Localized::new(TITLE_TR.to_owned(), "PCM Basic Training".to_owned()),
        starts,
        ends: starts + SignedDuration::from_hours(7),
        place: "İzmir Valiliği, Konak".to_owned(),
        capacity,
        deadline: starts,
        second_reminder: None,
    }
}

fn attendee(name: &str) -> Attendee {
    Attendee {
        name: PersonName::parse(name).unwrap(),
        organisation: Organisation::parse("Konak Belediyesi").unwrap(),
        org_type: OrgType::Municipality,
        email: Email::parse("kisi@konak.bel.tr").unwrap(),
        phone: None,
    }
}

async fn book(store: &Store, session: SessionId, user: i64) -> Registration {
    match crate::helpers::book(
        store,
        session,
        user,
        Lang::Tr,
        &attendee("Ayşe Yılmaz"),
        "test-1",
        Timestamp::now(),
    )
    .await
    {
        Booked::New(r) => r,
        other => panic!("expected a new registration, got {other:?}"),
    }
}

/// The seats taken are never more than the seats there are.
async fn assert_capacity_kept(store: &Store, session: SessionId, capacity: usize) {
    let confirmed = store
        .registrations(session)
        .await
        .unwrap()
        .iter()
        .filter(|r| r.status == Status::Confirmed)
        .count();
    assert!(confirmed <= capacity, "{confirmed} seats taken of {capacity}");
}

/// (chat_id, state, attempts, last_error) of every outbox row, oldest first.
async fn outbox_rows(sandbox: &Sandbox) -> Vec<(i64, String, i64, Option<String>)> {
    let pool = sqlx::SqlitePool::connect(&sandbox.database_url()).await.unwrap();
    let rows = sqlx::query_as("SELECT chat_id, state, attempts, last_error FROM outbox ORDER BY id")
        .fetch_all(&pool)
        .await
        .unwrap();
    pool.close().await;
    rows
}

async fn start() -> Running {
    let sandbox = Sandbox::new();
    let engine = sandbox.engine().await;
    Running::start(sandbox, engine, false).await
}

/// `/start`, and the main menu it brings.
async fn main_menu(bot: &Running, user: i64) -> Call {
    bot.api.push_text(user, "/start");
    bot.api.wait_for("sendMessage", to(user, "Merhaba!"), WAIT).await
}

// ---------------------------------------------------------------------------
// A. The adapter in this process against the fake.

#[tokio::test]
async fn an_edit_answered_429_is_retried_after_the_wait_and_the_person_sees_it_once() {
    let bot = start().await;
    let menu = main_menu(&bot, 21).await;
    bot.api.fail_next("editMessageText", 429, too_many_requests(1));
    bot.api
        .push_callback(21, menu.sent_message_id().unwrap(), &button(&menu, "Proje yazma"));

    let refused = |c: &Call| c.chat_id() == Some(21) && !accepted(c);
    bot.api.wait_for("editMessageText", refused, WAIT).await;
    let refused_at = Instant::now();
    let ok = |c: &Call| c.chat_id() == Some(21) && accepted(c);
    let edit = bot.api.wait_for("editMessageText", ok, WAIT).await;
    assert!(
        refused_at.elapsed() >= Duration::from_millis(800),
        "the retry waited as Telegram asked: {:?}",
        refused_at.elapsed()
    );
    assert!(edit.text().unwrap().contains("Proje Döngüsü"));
    assert_eq!(edit.message_id(), menu.sent_message_id(), "edited in place");
    settle().await;
    assert_eq!(calls_of(&bot.api, "editMessageText").len(), 2, "one refusal, one retry");
    assert_eq!(seen(&bot.api, 21, "Proje Döngüsü"), 1, "shown once");
    assert!(
        outputs(&bot.api, 21, "Proje Döngüsü")
            .iter()
            .all(|c| c.method == "editMessageText")
    );
}

#[tokio::test]
async fn a_reply_answered_429_is_retried_after_the_wait_and_sent_once() {
    let bot = start().await;
    bot.api.fail_next_to("sendMessage", 20, 429, too_many_requests(1));
    bot.api.push_text(20, "/start");
    let refused = |c: &Call| c.chat_id() == Some(20) && !accepted(c);
    bot.api.wait_for("sendMessage", refused, WAIT).await;
    let refused_at = Instant::now();
    let ok = |c: &Call| c.chat_id() == Some(20) && accepted(c);
    let reply = bot.api.wait_for("sendMessage", ok, WAIT).await;
    assert!(
        refused_at.elapsed() >= Duration::from_millis(800),
        "{:?}",
        refused_at.elapsed()
    );
    assert!(reply.text().unwrap().contains("Merhaba!"));
    settle().await;
    assert_eq!(outputs(&bot.api, 20, "Merhaba!").len(), 2, "one refusal, one retry");
    assert_eq!(seen(&bot.api, 20, "Merhaba!"), 1);
}

#[tokio::test]
async fn a_callback_answer_answered_429_is_retried_and_the_press_is_answered_once() {
    let bot = start().await;
    let menu = main_menu(&bot, 22).await;
    bot.api.fail_next("answerCallbackQuery", 429, too_many_requests(1));
    bot.api
        .push_callback(22, menu.sent_message_id().unwrap(), &button(&menu, "Proje yazma"));

    let answers = bot.api.wait_calls("answerCallbackQuery", 2, WAIT + WAIT).await;
    assert!(!accepted(&answers[0]) && accepted(&answers[1]), "{answers:?}");
    assert_eq!(
        answers[0].params["callback_query_id"],
        answers[1].params["callback_query_id"]
    );
    bot.api.wait_for("editMessageText", to(22, "Proje Döngüsü"), WAIT).await;
    settle().await;
    assert_eq!(calls_of(&bot.api, "answerCallbackQuery").len(), 2);
    assert_eq!(seen(&bot.api, 22, "Proje Döngüsü"), 1);
}

#[tokio::test]
async fn a_too_old_callback_query_is_ignored_and_the_press_still_gets_its_reply() {
    let bot = start().await;
    let menu = main_menu(&bot, 23).await;
    bot.api
        .fail_next("answerCallbackQuery", 400, bad_request(QUERY_TOO_OLD));
    bot.api
        .push_callback(23, menu.sent_message_id().unwrap(), &button(&menu, "Proje yazma"));

    let edit = bot.api.wait_for("editMessageText", to(23, "Proje Döngüsü"), WAIT).await;
    assert!(accepted(&edit));
    settle().await;
    assert_eq!(
        calls_of(&bot.api, "answerCallbackQuery").len(),
        1,
        "a query too old is not asked again"
    );
    assert_eq!(seen(&bot.api, 23, "Proje Döngüsü"), 1);
    assert_eq!(
        seen(&bot.api, 23, "Bir sorun oluştu"),
        0,
        "no apology: nothing went wrong"
    );
}

#[tokio::test]
async fn an_edit_answered_message_is_not_modified_counts_as_done_without_a_new_message() {
    let bot = start().await;
    let menu = main_menu(&bot, 24).await;
    bot.api.fail_next("editMessageText", 400, bad_request(NOT_MODIFIED));
    bot.api
        .push_callback(24, menu.sent_message_id().unwrap(), &button(&menu, "Proje yazma"));

    bot.api.wait_for("editMessageText", to(24, "Proje Döngüsü"), WAIT).await;
    // The same chat's updates are handled in order: once the next message is answered,
    // the press is done with.
    bot.api.push_text(24, "bütçe nasıl hazırlanır");
    bot.api.wait_for("sendMessage", to(24, "Bütçe hazırlama"), WAIT).await;
    assert!(
        outputs(&bot.api, 24, "Proje Döngüsü")
            .iter()
            .all(|c| c.method == "editMessageText"),
        "no fallback sendMessage"
    );
    assert_eq!(calls_of(&bot.api, "editMessageText").len(), 1, "not retried either");
    assert_eq!(seen(&bot.api, 24, "Bir sorun oluştu"), 0);
}

#[tokio::test]
async fn polling_survives_500_a_502_html_page_and_a_dropped_connection_with_backoff() {
    let bot = start().await;
    // Queued before the bot's first poll: this test's runtime has not yet run the bot.
    bot.api.fail_next(
        "getUpdates",
        500,
        json!({"ok": false, "error_code": 500, "description": "Internal Server Error"}),
    );
    bot.api.fail_next("getUpdates", 502, json!(BAD_GATEWAY_PAGE));
    bot.api.drop_next("getUpdates");
    bot.api.push_text(25, "/start");
    let started = Instant::now();

    // teloxide waits 10 s after any 5xx before reading it, then backs off 1 s, 2 s, 4 s.
    bot.api
        .wait_for("sendMessage", to(25, "Merhaba!"), Duration::from_secs(45))
        .await;
    let polls = calls_of(&bot.api, "getUpdates");
    assert!(
        polls.len() < 30,
        "{} getUpdates calls in {:?}: a busy loop",
        polls.len(),
        started.elapsed()
    );
    assert!(polls.len() >= 4, "three faults, then a good poll: {}", polls.len());
    assert_eq!(polls[0].response["error_code"], 500);
    assert_eq!(polls[1].response, json!(BAD_GATEWAY_PAGE));
    assert_eq!(polls[2].response, Value::Null, "the dropped one");
    assert!(started.elapsed() >= Duration::from_secs(5), "{:?}", started.elapsed());

    // And it goes on polling normally.
    bot.api.push_text(25, "bütçe nasıl hazırlanır");
    bot.api.wait_for("sendMessage", to(25, "Bütçe hazırlama"), WAIT).await;
    assert_eq!(seen(&bot.api, 25, "Merhaba!"), 1);
}

#[tokio::test]
async fn a_slow_send_to_one_person_does_not_hold_up_another_persons_reply() {
    for throttle in [true, false] {
        let sandbox = Sandbox::new();
        let engine = sandbox.engine().await;
        let bot = Running::start(sandbox, engine, throttle).await;
        let slow = Duration::from_secs(2);
        bot.api.delay_next_to("sendMessage", 26, slow);
        bot.api.push_text(26, "/start");
        bot.api.wait_for("sendMessage", to(26, "Merhaba!"), WAIT).await;
        let held = Instant::now();
        bot.api.push_text(27, "/start");
        bot.api.wait_for("sendMessage", to(27, "Merhaba!"), WAIT).await;
        assert!(
            held.elapsed() < slow - Duration::from_millis(500),
            "throttle {throttle}: the other person waited {:?} for the slow send",
            held.elapsed()
        );
        // The slow one completes, and is not sent a second time.
        tokio::time::sleep(slow).await;
        assert_eq!(seen(&bot.api, 26, "Merhaba!"), 1, "throttle {throttle}");
        assert_eq!(seen(&bot.api, 27, "Merhaba!"), 1, "throttle {throttle}");
    }
}

#[tokio::test]
async fn an_update_delivered_twice_is_handled_once() {
    let sandbox = Sandbox::new();
    let engine = sandbox.engine().await;
    let session = engine
        .store()
        .create_session(&details(5).check().unwrap())
        .await
        .unwrap();
    let bot = Running::start(sandbox, engine, false).await;

    // A message: one reply.
    let first = bot.api.push_text(28, "/start");
    bot.api.wait_for("sendMessage", to(28, "Merhaba!"), WAIT).await;
    assert!(bot.api.redeliver(first));
    // The fake hands re-deliveries out in the very next poll, so the follow-up comes
    // in the same batch or a later one; one chat's updates are handled in order, so
    // once the follow-up is answered the re-delivered update was handled (skipped).
    bot.api.push_text(28, "bütçe nasıl hazırlanır");
    bot.api.wait_for("sendMessage", to(28, "Bütçe hazırlama"), WAIT).await;
    assert_eq!(
        seen(&bot.api, 28, "Merhaba!"),
        1,
        "the re-delivered /start is not answered"
    );

    // A booking's confirmation: one registration, one confirmation.
    let mut chat = Chat::new(&bot.api, 29);
    let summary = chat.fill_in_booking(session, "Ayşe Yılmaz").await;
    let confirm = chat.press(&summary, "f:confirm");
    chat.expect("editMessageText", "Kaydınız tamamlandı").await;
    chat.expect("sendDocument", "Takviminize ekleyin").await;
    assert!(bot.api.redeliver(confirm));
    chat.say("bütçe nasıl hazırlanır");
    chat.expect("sendMessage", "Bütçe hazırlama").await;
    let registrations = bot.engine.store().registrations(session).await.unwrap();
    assert_eq!(registrations.len(), 1, "{registrations:?}");
    assert_eq!(registrations[0].status, Status::Confirmed);
    assert_eq!(seen(&bot.api, 29, "Kaydınız tamamlandı"), 1);
    assert_eq!(seen(&bot.api, 29, "Takviminize ekleyin"), 1);
    assert_eq!(
        seen(&bot.api, 29, "artık sürmüyor"),
        0,
        "not even a stale-button notice"
    );
}

#[tokio::test]
async fn a_person_who_blocked_the_bot_is_marked_failed_and_never_retried() {
    let sandbox = Sandbox::new();
    let engine = sandbox.engine().await;
    let store = engine.store().clone();
    let session = store.create_session(&details(1).check().unwrap()).await.unwrap();
    let seat = book(&store, session, 30).await;
    let waiting = book(&store, session, 31).await;
    assert_eq!(waiting.status, Status::Waitlisted);
    let bot = Running::start(sandbox, engine, false).await;
    // The person on the waitlist has blocked the bot since.
    bot.api.fail_next_to("sendMessage", 31, 403, blocked());
    bot.api.fail_next_to("sendDocument", 31, 403, blocked());
    // A broadcast-like message to someone else goes through meanwhile.
    store
        .enqueue(
            &OutMessage::new(Recipient::Chat(eudesk::ids::ChatId(32)), "📢 Salon değişti"),
            Timestamp::now(),
        )
        .await
        .unwrap();

    let cancelled = crate::helpers::cancel_registration(&store, seat.id, 30, Timestamp::now()).await;
    assert!(matches!(cancelled, Cancelled::Done { promoted: Some(_), .. }));
    eventually(WAIT, "the outbox is worked off", async || {
        store.outbox_backlog().await.unwrap() == 0
    })
    .await;
    settle().await;

    let to_blocked: Vec<Call> = bot
        .api
        .calls()
        .into_iter()
        .filter(|c| c.chat_id() == Some(31))
        .collect();
    assert_eq!(to_blocked.len(), 2, "one try each, no retry: {to_blocked:?}");
    assert!(to_blocked.iter().all(|c| c.response["error_code"] == 403));
    let rows = outbox_rows(&bot.sandbox).await;
    let blocked_rows: Vec<_> = rows.iter().filter(|r| r.0 == 31).collect();
    assert_eq!(blocked_rows.len(), 2, "{rows:?}");
    for (_, state, attempts, error) in blocked_rows {
        assert_eq!(state, "failed");
        assert_eq!(*attempts, 1);
        assert!(error.as_deref().is_some_and(|e| e.contains("blocked")), "{error:?}");
    }
    assert_eq!(seen(&bot.api, 32, "Salon değişti"), 1, "others are not held up");
    assert_capacity_kept(&store, session, 1).await;
}

#[tokio::test]
async fn a_reply_whose_connection_drops_is_sent_again() {
    let bot = start().await;
    bot.api.drop_next("sendMessage");
    bot.api.push_text(33, "/start");
    bot.api
        .wait_for("sendMessage", |c| c.chat_id() == Some(33) && accepted(c), WAIT + WAIT)
        .await;
    assert_eq!(seen(&bot.api, 33, "Merhaba!"), 1);
}

// ---------------------------------------------------------------------------
// B. The real binary.

/// Starts the binary, lets it answer one person (whose reply is slow, so it is in
/// flight at the signal), sends `signal` and expects a graceful stop.
async fn stops_gracefully_on(signal: &str) {
    let sandbox = Sandbox::new();
    let api = FakeApi::start().await;
    let mut bot = Process::started(&sandbox, &api).await;
    api.push_text(41, "/start");
    api.wait_for("sendMessage", to(41, "Merhaba!"), WAIT).await;

    api.delay_next_to("sendMessage", 42, Duration::from_millis(1500));
    api.push_text(42, "/start");
    api.wait_for("sendMessage", to(42, "Merhaba!"), WAIT).await;
    let signalled = Instant::now();
    bot.signal(signal);
    let status = bot.exit(Duration::from_secs(10)).await;
    let log = bot.stderr();
    let status = status.unwrap_or_else(|| panic!("still running 10 s after SIG{signal}:\n{log}"));
    assert_eq!(status.code(), Some(0), "SIG{signal}: {status:?}\n{log}");
    assert!(log.contains("stopping: finishing the updates in progress"), "{log}");
    assert!(log.lines().last().is_some_and(|l| l.contains("stopped")), "{log}");
    assert!(
        signalled.elapsed() >= Duration::from_millis(900),
        "the reply in flight was waited for: {:?}",
        signalled.elapsed()
    );
    assert!(!log.contains("ERROR"), "{log}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_stops_the_bot_gracefully_with_exit_code_0() {
    stops_gracefully_on("TERM").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigint_stops_the_bot_gracefully_with_exit_code_0() {
    stops_gracefully_on("INT").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_run_on_the_same_database_refuses_at_once_and_the_first_keeps_serving() {
    let sandbox = Sandbox::new();
    let api = FakeApi::start().await;
    let mut first = Process::started(&sandbox, &api).await;

    let other_api = FakeApi::start().await;
    let mut second = Process::start(&sandbox, &other_api);
    let status = second
        .exit(Duration::from_secs(10))
        .await
        .expect("the second run gives up at once");
    let log = second.stderr();
    assert_eq!(status.code(), Some(1), "{log}");
    assert!(log.contains("already using the database"), "{log}");
    assert!(!log.contains("panicked"), "{log}");
    assert!(
        other_api.calls().is_empty(),
        "the second run never talked to Telegram: {:?}",
        other_api.calls()
    );

    api.push_text(43, "/start");
    api.wait_for("sendMessage", to(43, "Merhaba!"), WAIT).await;
    first.signal("TERM");
    let status = first.exit(Duration::from_secs(10)).await.expect("stops");
    assert_eq!(status.code(), Some(0), "{}", first.stderr());
}

const SECRET: &str = "SECRET_TOKEN_xyz";
const TOKEN: &str = "424242:SECRET_TOKEN_xyz";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_token_never_appears_in_the_logs_when_telegram_cannot_be_reached() {
    for level in ["info", "trace"] {
        let sandbox = Sandbox::new();
        // Port 9 (discard) on loopback: nothing listens, the connection is refused.
        let mut bot = Process::run(&sandbox, "http://127.0.0.1:9/", TOKEN, level);
        let status = bot.exit(Duration::from_secs(20)).await.expect("gives up");
        let log = bot.stderr();
        assert_eq!(status.code(), Some(1), "{log}");
        assert!(log.contains("could not reach Telegram"), "{log}");
        assert!(!log.contains(SECRET), "RUST_LOG={level}: the token leaked:\n{log}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_token_never_appears_in_the_logs_while_telegram_fails() {
    let sandbox = Sandbox::new();
    let api = FakeApi::start().await;
    // Before the bot starts: its first polls meet these.
    api.drop_next("getUpdates");
    api.fail_next("getUpdates", 409, conflict());
    api.fail_next("getUpdates", 429, too_many_requests(1));
    // (A 401 is no passing fault: the bot stops on it, see `trust`.)
    api.drop_next("sendMessage");
    let mut bot = Process::run(&sandbox, &api.url(), TOKEN, "info");
    api.push_text(44, "/start");
    // The reply to /start is lost with its connection; the next message is answered.
    api.wait_for("sendMessage", |c| c.chat_id() == Some(44), Duration::from_secs(30))
        .await;
    api.push_text(44, "bütçe nasıl hazırlanır");
    api.wait_for("sendMessage", to(44, "Bütçe hazırlama"), WAIT).await;
    assert!(api.calls().iter().all(|c| c.token == TOKEN), "the fake saw the token");
    bot.signal("TERM");
    let status = bot.exit(Duration::from_secs(10)).await.expect("stops");
    let log = bot.stderr();
    assert_eq!(status.code(), Some(0), "{log}");
    assert!(log.contains("could not get updates"), "the faults were logged:\n{log}");
    assert!(!log.contains(SECRET), "the token leaked:\n{log}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_booking_confirmed_just_before_a_kill_is_there_once_after_the_restart() {
    let sandbox = Sandbox::new();
    let store = Store::open(&sandbox.database_url()).await.unwrap();
    let session = store.create_session(&details(1).check().unwrap()).await.unwrap();

    let api = FakeApi::start_at(1).await;
    let mut bot = Process::started(&sandbox, &api).await;
    let mut ayse = Chat::new(&api, 51);
    let summary = ayse.fill_in_booking(session, "Ayşe Yılmaz").await;
    let confirm = ayse.press(&summary, "f:confirm");
    ayse.expect("editMessageText", "Kaydınız tamamlandı").await;
    // The chosen point: the seat is stored and the confirmation shown; the calendar
    // file may still be on its way.
    bot.kill_hard();
    let first_log = bot.stderr();

    // Telegram hands the unconfirmed press out again after the restart, and someone
    // else wants the same (only) seat.
    let pressed = api.delivered_update(confirm).expect("the press was delivered");
    let api2 = FakeApi::start_at(confirm).await;
    assert_eq!(api2.push_update(pressed), confirm);
    let mut bot2 = Process::started(&sandbox, &api2).await;
    let mut burak = Chat::new(&api2, 52);
    let summary = burak.fill_in_booking(session, "Burak Şahin").await;
    burak.press(&summary, "f:confirm");
    burak.expect("editMessageText", "Kaydınızı aldım").await;
    // The press was kept before the kill, so the next bot tells Telegram so at its first
    // getUpdates (Telegram then drops it); had it been handed out again, it is skipped.
    eventually(WAIT, "the re-delivered press is not handled again", async || {
        bot2.stderr().contains("skipping an update handled before")
            || api2
                .calls()
                .iter()
                .any(|c| c.method == "getUpdates" && c.params.get("offset").and_then(Value::as_i64) > Some(confirm))
    })
    .await;

    let registrations = store.registrations(session).await.unwrap();
    let of = |user: i64| {
        registrations
            .iter()
            .filter(|r| r.user == eudesk::ids::UserId(user))
            .collect::<Vec<_>>()
    };
    assert_eq!(of(51).len(), 1, "{registrations:?}");
    assert_eq!(of(51)[0].status, Status::Confirmed);
    assert_eq!(of(52).len(), 1);
    assert_eq!(of(52)[0].status, Status::Waitlisted);
    assert_capacity_kept(&store, session, 1).await;
    // Shown once: the confirmation replaces the summary in place, so an edit Telegram
    // was taking at the kill and made again after the restart shows the same message,
    // never a second one.
    let shown: Vec<Call> = [&api, &api2]
        .iter()
        .flat_map(|api| outputs(api, 51, "Kaydınız tamamlandı"))
        .filter(accepted)
        .collect();
    assert!(!shown.is_empty());
    assert!(
        shown
            .iter()
            .all(|c| c.method == "editMessageText" && c.message_id() == shown[0].message_id()),
        "{shown:?}"
    );
    assert_eq!(seen(&api2, 51, "artık sürmüyor"), 0);
    // The calendar file was saved with the booking, so the kill cannot lose it: sent
    // before it, or after the restart; twice only when Telegram was taking it at the
    // very moment of the kill (the bot never heard it arrived).
    let before = seen(&api, 51, "Takviminize ekleyin");
    let files = before + seen(&api2, 51, "Takviminize ekleyin");
    assert!(files == 1 || (files == 2 && before == 1), "{before} then {files}");

    bot2.signal("TERM");
    let status = bot2.exit(Duration::from_secs(10)).await.expect("stops");
    assert_eq!(status.code(), Some(0), "{}\n---\n{first_log}", bot2.stderr());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn messages_owed_when_the_bot_is_killed_mid_sending_are_all_sent_after_the_restart() {
    const PEOPLE: [i64; 6] = [61, 62, 63, 64, 65, 66];
    let sandbox = Sandbox::new();
    let store = Store::open(&sandbox.database_url()).await.unwrap();
    let session = store.create_session(&details(10).check().unwrap()).await.unwrap();
    for user in PEOPLE {
        book(&store, session, user).await;
    }
    // Cancelled from the command line while the bot is stopped: one notice each, and
    // the calendar file that removes the entry, owed.
    let out = sandbox.eudesk(&["sessions", "cancel", &session.to_string()], "");
    assert!(out.status.success(), "{}", crate::helpers::stderr(&out));
    assert_eq!(store.outbox_backlog().await.unwrap(), 2 * PEOPLE.len() as u64);

    // A slow Telegram: each send takes 400 ms, so the kill finds one in flight.
    let api = FakeApi::start_at(1).await;
    for _ in PEOPLE {
        api.delay_next("sendMessage", Duration::from_millis(400));
    }
    let mut bot = Process::started(&sandbox, &api).await;
    api.wait_calls("sendMessage", 3, WAIT).await;
    bot.kill_hard();
    // A request written to its socket just before the kill still reaches the fake.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let before: Vec<Call> = calls_of(&api, "sendMessage");
    let in_flight = before.last().and_then(Call::chat_id).unwrap();
    assert!(store.outbox_backlog().await.unwrap() > 0, "the kill left messages owed");

    let api2 = FakeApi::start_at(100_000).await;
    let mut bot2 = Process::started(&sandbox, &api2).await;
    eventually(WAIT, "every owed message is sent", async || {
        store.outbox_backlog().await.unwrap() == 0
    })
    .await;
    bot2.signal("TERM");
    let status = bot2.exit(Duration::from_secs(10)).await.expect("stops");
    assert_eq!(status.code(), Some(0), "{}", bot2.stderr());

    let rows = outbox_rows(&sandbox).await;
    assert!(rows.iter().all(|r| r.1 == "sent"), "{rows:?}");
    let mut duplicates = Vec::new();
    for user in PEOPLE {
        let told = seen(&api, user, "iptal edildi") + seen(&api2, user, "iptal edildi");
        assert!(told >= 1, "{user} was never told");
        if told > 1 {
            duplicates.push((user, told));
        }
    }
    // Telegram took the messages in flight at the kill (each chat's line sends at once),
    // but the bot died before it heard so and recorded them: after the restart they are
    // sent again. Those, and no other, may arrive twice; everything recorded as sent is
    // never sent again.
    let begun: Vec<i64> = before.iter().filter_map(Call::chat_id).collect();
    assert!(begun.contains(&in_flight));
    assert!(
        duplicates
            .iter()
            .all(|&(user, told)| begun.contains(&user) && told == 2),
        "only messages in flight ({begun:?}) may come twice: {duplicates:?}"
    );
}
