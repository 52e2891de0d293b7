//! PCM training booking end to end through the real Telegram adapter (`telegram::run`)
//! against the loopback fake Bot API, with time driven by a manual clock.

use crate::fake_api::Call;
use crate::helpers::{Chat, Running, Sandbox, WAIT, count_to, message_of};
use eudesk::clock::{Clock, ManualClock};
use eudesk::engine::Engine;
use eudesk::lang::{Lang, Localized};
use eudesk::trainings::Booked;
use eudesk::trainings::time::parse_local;
use eudesk::trainings::{
    Attendee, Email, OrgType, Organisation, PersonName, Phone, SessionDetails, SessionId, Status, export,
};
use jiff::{SignedDuration, Timestamp};
use std::sync::Arc;
use std::time::Duration;

/// The one staff member of these tests.
const STAFF_ID: i64 = 9000;

const TITLE_TR: &str = "PCM Temel Eğitimi";
const TITLE_EN: &str = "PCM Basic Training";

fn at(local: &str) -> Timestamp {
    parse_local(local).expect("a valid office time")
}

/// An engine over the sandbox's files with this clock and these staff members.
async fn engine_with(sandbox: &Sandbox, clock: Arc<ManualClock>, staff: Vec<i64>) -> Engine {
    sandbox.engine_with(clock, staff).await
}

fn clock() -> Arc<ManualClock> {
    Arc::new(ManualClock::new("2026-12-01T09:00:00Z".parse().unwrap()))
}

/// A session on 10 December 2026, 10:00–17:00 office time.
fn details(capacity: u32) -> SessionDetails {
    SessionDetails {
        title: Localized::new(TITLE_TR.to_owned(), TITLE_EN.to_owned()),
        starts: at("2026-12-10 10:00"),
        ends: at("2026-12-10 17:00"),
        place: "İzmir Valiliği, Konak".to_owned(),
        capacity,
        deadline: at("2026-12-10 10:00"),
        second_reminder: None,
    }
}

/// Stops the bot and starts a new one (new engine, new fake Bot API) on the same
/// database: a restart.
async fn restart(mut bot: Running, clock: Arc<ManualClock>) -> Running {
    let sandbox = std::mem::replace(&mut bot.sandbox, Sandbox::new());
    drop(bot);
    let engine = engine_with(&sandbox, clock, vec![STAFF_ID]).await;
    Running::start(sandbox, engine, false).await
}

/// A stored attendee, for tests whose subject is not the booking itself.
fn attendee(name: &str) -> Attendee {
    Attendee {
        name: PersonName::parse(name).unwrap(),
        organisation: Organisation::parse("Konak Belediyesi").unwrap(),
        org_type: OrgType::Municipality,
        email: Email::parse("kisi@konak.bel.tr").unwrap(),
        phone: None,
    }
}

fn has_button(call: &Call, data: &str) -> bool {
    call.buttons().iter().any(|(_, d)| d == data)
}

fn button(call: &Call, label: &str) -> String {
    call.buttons()
        .into_iter()
        .find(|(l, _)| l.contains(label))
        .map(|(_, data)| data)
        .unwrap_or_else(|| panic!("no button '{label}' in {:?}", call.buttons()))
}

/// Waits until the outbox has nothing pending: everything queued was sent (or failed).
async fn outbox_drained(engine: &Engine) {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        if engine.store().outbox_backlog().await.unwrap() == 0 {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the outbox still holds messages after {WAIT:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

impl Chat {
    /// `/trainings`, then the session's button: up to the first question.
    async fn open_booking(&mut self, session: SessionId) -> Call {
        self.say("/trainings");
        let list = self.expect("sendMessage", "Kayda açık PCM eğitimleri").await;
        let data = format!("s:{session}");
        assert!(has_button(&list, &data), "{:?}", list.buttons());
        self.press(&list, &data);
        self.expect("editMessageText", TITLE_TR).await;
        self.expect("sendMessage", "Adım 1/6").await
    }

    /// From the first question to the summary, every answer valid.
    async fn fill_in(&mut self, name: &str, phone: Option<&str>) -> Call {
        self.say(name);
        let org_type = self.expect("sendMessage", "Adım 2/6").await;
        self.press(&org_type, "f:org:ngo");
        self.expect("sendMessage", "Adım 3/6").await;
        self.say("Ege Kalkınma Derneği");
        self.expect("sendMessage", "Adım 4/6").await;
        self.say("ayse.yilmaz@example.org");
        let phone_step = self.expect("sendMessage", "Adım 5/6").await;
        match phone {
            Some(p) => self.say(p),
            None => self.press(&phone_step, "f:skip"),
        };
        let consent = self.expect("sendMessage", "Adım 6/6").await;
        assert!(consent.text().unwrap().contains("KVKK"));
        assert!(
            consent
                .text()
                .unwrap()
                .contains("Verileriniz yalnızca kayıt için işlenir.")
        );
        self.press(&consent, "f:yes");
        self.expect("sendMessage", "Lütfen bilgilerinizi kontrol edin").await
    }

    /// A whole booking; returns the final message (the summary, edited).
    async fn book(&mut self, session: SessionId, name: &str) -> Call {
        self.open_booking(session).await;
        let summary = self.fill_in(name, Some("0532 123 45 67")).await;
        self.press(&summary, "f:confirm");
        self.expect("editMessageText", "Kaydınız").await
    }
}

async fn start_with(capacity: u32) -> (Running, Arc<ManualClock>, SessionId) {
    let sandbox = Sandbox::new();
    let clock = clock();
    let engine = engine_with(&sandbox, clock.clone(), vec![STAFF_ID]).await;
    let id = engine
        .store()
        .create_session(&details(capacity).check().unwrap())
        .await
        .unwrap();
    (Running::start(sandbox, engine, false).await, clock, id)
}

#[tokio::test]
async fn a_full_booking_in_turkish_ends_with_a_seat_and_a_calendar_file() {
    let (bot, _clock, id) = start_with(20).await;
    let mut ayse = Chat::new(&bot.api, 101);
    ayse.open_booking(id).await;
    let summary = ayse.fill_in("  Ayşe   Yılmaz ", Some("0532 123 45 67")).await;
    let text = summary.text().unwrap();
    for shown in [
        "Ayşe Yılmaz",
        "STK / dernek / vakıf",
        "Ege Kalkınma Derneği",
        "ayse.yilmaz@example.org",
        "+905321234567",
    ] {
        assert!(text.contains(shown), "{shown} in {text}");
    }
    for data in ["f:confirm", "f:edit", "f:cancel"] {
        assert!(has_button(&summary, data), "{:?}", summary.buttons());
    }

    ayse.press(&summary, "f:confirm");
    let done = ayse.expect("editMessageText", "Kaydınız tamamlandı").await;
    assert_eq!(done.message_id(), Some(message_of(&summary)));
    assert_eq!(done.params["parse_mode"], "HTML");
    let text = done.text().unwrap();
    assert!(text.contains("koltuk 1 / 20"), "{text}");
    assert!(text.contains("10 Aralık 2026 Perşembe, 10:00–17:00"), "{text}");
    assert!(text.contains("İzmir Valiliği, Konak"), "{text}");
    let calendar = ayse.expect("sendDocument", "Takviminize ekleyin").await;
    assert_eq!(
        calendar.params["document"]["filename"],
        format!("pcm-training-{id}.ics")
    );
    assert!(calendar.params["document"]["bytes_len"].as_u64().unwrap() > 100);

    let stored = bot.engine.store().registrations(id).await.unwrap();
    assert_eq!(stored.len(), 1);
    let r = &stored[0];
    assert_eq!(r.user, eudesk::ids::UserId(101));
    assert_eq!(r.status, Status::Confirmed);
    assert_eq!(r.position, 1);
    assert_eq!(r.lang, Lang::Tr);
    assert_eq!(r.attendee.name.as_str(), "Ayşe Yılmaz");
    assert_eq!(r.attendee.org_type, OrgType::Ngo);
    assert_eq!(r.attendee.organisation.as_str(), "Ege Kalkınma Derneği");
    assert_eq!(r.attendee.email.as_str(), "ayse.yilmaz@example.org");
    assert_eq!(r.attendee.phone.as_ref().map(Phone::as_str), Some("+905321234567"));
    assert_eq!(r.consent_version, "test-1");
    let conv = bot.engine.store().conversation(101).await.unwrap().unwrap();
    assert_eq!(conv.flow, None, "the booking is over");
}

#[tokio::test]
async fn every_invalid_input_is_re_asked_with_its_reason_and_nothing_is_stored() {
    let (bot, _clock, id) = start_with(20).await;
    let mut ali = Chat::new(&bot.api, 102);
    ali.open_booking(id).await;

    for (typed, reason) in [
        ("A", "Bu çok kısa"),
        ("Ali www.spam.com", "bağlantı (link) kullanılamaz"),
        ("Ali https://t.me/spam", "bağlantı (link) kullanılamaz"),
    ] {
        ali.say(typed);
        ali.expect("sendMessage", reason).await;
        ali.expect("sendMessage", "Adım 1/6").await;
    }
    ali.say("Ali Veli");
    let org_type = ali.expect("sendMessage", "Adım 2/6").await;

    ali.say("Belediye");
    ali.expect("sendMessage", "düğmelerden birini seçin").await;
    let again = ali.expect("sendMessage", "Adım 2/6").await;
    assert!(has_button(&again, "f:org:municipality"));
    ali.press(&org_type, "f:org:municipality");
    ali.expect("sendMessage", "Adım 3/6").await;
    ali.say("K");
    ali.expect("sendMessage", "Bu çok kısa").await;
    ali.expect("sendMessage", "Adım 3/6").await;
    ali.say("Konak Belediyesi");
    ali.expect("sendMessage", "Adım 4/6").await;

    for bad in ["ali", "ali@", "ali@localhost", "ali veli@example.org"] {
        ali.say(bad);
        ali.expect("sendMessage", "geçerli bir e-posta adresine benzemiyor")
            .await;
        ali.expect("sendMessage", "Adım 4/6").await;
    }
    ali.say("ali@konak.bel.tr");
    ali.expect("sendMessage", "Adım 5/6").await;

    for bad in ["123", "0532 123", "telefonum yok"] {
        ali.say(bad);
        ali.expect("sendMessage", "geçerli bir telefon numarası değil").await;
        ali.expect("sendMessage", "Adım 5/6").await;
    }
    ali.say("+90 (232) 455 00 00");
    ali.expect("sendMessage", "Adım 6/6").await;

    ali.say("evet");
    ali.expect("sendMessage", "düğmelerden birini seçin").await;
    let consent = ali.expect("sendMessage", "Adım 6/6").await;
    ali.press(&consent, "f:yes");
    ali.expect("sendMessage", "Lütfen bilgilerinizi kontrol edin").await;
    ali.say("onayla");
    ali.expect("sendMessage", "düğmelerden birini seçin").await;
    let summary = ali.expect("sendMessage", "Lütfen bilgilerinizi kontrol edin").await;
    assert!(summary.text().unwrap().contains("+902324550000"));

    assert!(bot.engine.store().registrations(id).await.unwrap().is_empty());
}

#[tokio::test]
async fn declining_consent_stores_nothing() {
    let (bot, _clock, id) = start_with(20).await;
    let mut can = Chat::new(&bot.api, 103);
    can.open_booking(id).await;
    can.say("Can Demir");
    let org_type = can.expect("sendMessage", "Adım 2/6").await;
    can.press(&org_type, "f:org:individual");
    // Individuals have no organisation name to give.
    can.expect("sendMessage", "Adım 4/6").await;
    can.say("can@example.com");
    let phone = can.expect("sendMessage", "Adım 5/6").await;
    can.press(&phone, "f:skip");
    let consent = can.expect("sendMessage", "Adım 6/6").await;
    can.press(&consent, "f:no");
    can.expect("sendMessage", "Hiçbir bilginiz saklanmadı").await;

    assert!(bot.engine.store().registrations(id).await.unwrap().is_empty());
    let conv = bot.engine.store().conversation(103).await.unwrap().unwrap();
    assert_eq!(conv.flow, None);

    // The old buttons no longer continue the booking.
    can.press(&consent, "f:yes");
    can.expect("editMessageText", "artık sürmüyor").await;
    assert!(bot.engine.store().registrations(id).await.unwrap().is_empty());
}

#[tokio::test]
async fn cancel_mid_booking_abandons_it_politely_and_stores_nothing() {
    let (bot, _clock, id) = start_with(20).await;
    let mut deniz = Chat::new(&bot.api, 104);
    deniz.open_booking(id).await;
    deniz.say("Deniz Kaya");
    let org_type = deniz.expect("sendMessage", "Adım 2/6").await;
    deniz.press(&org_type, "f:org:university");
    deniz.expect("sendMessage", "Adım 3/6").await;
    deniz.say("/cancel");
    deniz.expect("sendMessage", "Kayıt işlemini iptal ettim").await;

    assert!(bot.engine.store().registrations(id).await.unwrap().is_empty());
    let conv = bot.engine.store().conversation(104).await.unwrap().unwrap();
    assert_eq!(conv.flow, None);

    // What is typed next is a question again, not the organisation's name.
    deniz.say("/cancel");
    deniz.expect("sendMessage", "İptal edilecek bir işlem yok").await;
}

#[tokio::test]
async fn a_cancellation_promotes_the_first_on_the_waitlist_who_is_told_at_once() {
    let (bot, _clock, id) = start_with(1).await;
    let mut a = Chat::new(&bot.api, 201);
    let mut b = Chat::new(&bot.api, 202);

    let done = a.book(id, "Ayşe Yılmaz").await;
    assert!(done.text().unwrap().contains("koltuk 1 / 1"));
    a.expect("sendDocument", "Takviminize ekleyin").await;

    b.say("/trainings");
    let list = b.expect("sendMessage", "dolu, yedek liste").await;
    b.press(&list, &format!("s:{id}"));
    b.expect("editMessageText", "Bu eğitim dolu").await;
    b.expect("sendMessage", "Adım 1/6").await;
    let summary = b.fill_in("Burak Şahin", None).await;
    b.press(&summary, "f:confirm");
    let waiting = b.expect("editMessageText", "Kaydınızı aldım").await;
    assert!(waiting.text().unwrap().contains("sıranız 1"));

    a.say("/myregistrations");
    let mine = a.expect("sendMessage", "Eğitim kayıtlarınız").await;
    let ask = button(&mine, "İptal:");
    assert!(ask.starts_with("r:"), "{ask}");
    a.press(&mine, &ask);
    let sure = a.expect("editMessageText", "emin misiniz").await;
    let confirm = button(&sure, "Evet, iptal et");
    assert_eq!(confirm, format!("rc:{}", &ask[2..]));
    a.press(&sure, &confirm);
    a.expect("editMessageText", "Kaydınız iptal edildi").await;

    let promoted = b.expect("sendMessage", "Yer açıldı").await;
    assert!(promoted.text().unwrap().contains("koltuk 1 / 1"));
    let calendar = b.next().await;
    assert_eq!(calendar.method, "sendDocument");
    assert_eq!(
        calendar.params["document"]["filename"],
        format!("pcm-training-{id}.ics")
    );

    let stored = bot.engine.store().registrations(id).await.unwrap();
    let csv = String::from_utf8(export::csv(&stored)).unwrap();
    let rows: Vec<&str> = csv.trim_start_matches('\u{FEFF}').lines().collect();
    assert_eq!(rows.len(), 3, "{csv}");
    assert!(rows[1].starts_with("cancelled,1,Ayşe Yılmaz,"), "{csv}");
    assert!(rows[2].starts_with("confirmed,1,Burak Şahin,"), "{csv}");

    // Nobody else is told anything.
    outbox_drained(&bot.engine).await;
    assert_eq!(count_to(&bot.api, 201, "Yer açıldı"), 0);
    assert_eq!(count_to(&bot.api, 202, "Yer açıldı"), 1);
}

#[tokio::test]
async fn a_cancellation_after_the_deadline_promotes_nobody() {
    let sandbox = Sandbox::new();
    let clock = clock();
    let engine = engine_with(&sandbox, clock.clone(), vec![]).await;
    let mut d = details(1);
    d.deadline = at("2026-12-05 17:00");
    let id = engine
        .store()
        .create_session(&d.clone().check().unwrap())
        .await
        .unwrap();
    let bot = Running::start(sandbox, engine, false).await;
    let mut a = Chat::new(&bot.api, 211);
    let mut b = Chat::new(&bot.api, 212);

    a.book(id, "Ayşe Yılmaz").await;
    a.expect("sendDocument", "Takviminize ekleyin").await;
    let waiting = b.book(id, "Burak Şahin").await;
    assert!(waiting.text().unwrap().contains("sıranız 1"));

    clock.set(at("2026-12-06 09:00"));
    a.say("/myregistrations");
    let mine = a.expect("sendMessage", "Eğitim kayıtlarınız").await;
    let ask = button(&mine, "İptal:");
    a.press(&mine, &ask);
    let sure = a.expect("editMessageText", "emin misiniz").await;
    a.press(&sure, &button(&sure, "Evet, iptal et"));
    a.expect("editMessageText", "Kaydınız iptal edildi").await;

    let stored = bot.engine.store().registrations(id).await.unwrap();
    let statuses: Vec<Status> = stored.iter().map(|r| r.status).collect();
    assert_eq!(statuses, [Status::Cancelled, Status::Waitlisted]);
    outbox_drained(&bot.engine).await;
    assert_eq!(count_to(&bot.api, 212, "Yer açıldı"), 0);
}

#[tokio::test]
async fn a_confirmed_attendee_is_reminded_exactly_once_per_lead_time_even_across_a_restart() {
    let sandbox = Sandbox::new();
    let clock = clock();
    let engine = engine_with(&sandbox, clock.clone(), vec![]).await;
    let mut d = details(1);
    d.second_reminder = Some(SignedDuration::from_hours(2));
    let id = engine
        .store()
        .create_session(&d.clone().check().unwrap())
        .await
        .unwrap();
    let store = engine.store().clone();
    let now = clock.now();
    for (user, name) in [(301, "Ayşe Yılmaz"), (302, "Burak Şahin")] {
        let booked = crate::helpers::book(&store, id, user, Lang::Tr, &attendee(name), "test-1", now).await;
        assert!(matches!(booked, Booked::New(_)));
    }
    let bot = Running::start(sandbox, engine, false).await;
    const TOMORROW: &str = "Hatırlatma: PCM eğitiminiz yarın";
    const SOON: &str = "Hatırlatma: PCM eğitiminiz yaklaşıyor";

    clock.set(at("2026-12-10 10:00") - SignedDuration::from_hours(23));
    // The bot's own reminder ticker makes its first pass as it starts, possibly after
    // the clock moved: either it or this call queues the reminder. The counts of sent
    // messages below prove it went out once.
    assert!(eudesk::scheduler::queue_reminders(&bot.engine).await.unwrap() <= 1);
    let reminder = bot
        .api
        .wait_for(
            "sendMessage",
            |c| c.chat_id() == Some(301) && c.text().is_some_and(|t| t.contains(TOMORROW)),
            WAIT,
        )
        .await;
    assert!(reminder.text().unwrap().contains(TITLE_TR));
    assert_eq!(eudesk::scheduler::queue_reminders(&bot.engine).await.unwrap(), 0);
    outbox_drained(&bot.engine).await;
    assert_eq!(count_to(&bot.api, 301, TOMORROW), 1);
    assert_eq!(
        count_to(&bot.api, 302, "Hatırlatma"),
        0,
        "the waitlisted are not reminded"
    );

    clock.set(at("2026-12-10 10:00") - SignedDuration::from_hours(2));
    assert_eq!(eudesk::scheduler::queue_reminders(&bot.engine).await.unwrap(), 1);
    bot.api
        .wait_for(
            "sendMessage",
            |c| c.chat_id() == Some(301) && c.text().is_some_and(|t| t.contains(SOON)),
            WAIT,
        )
        .await;
    assert_eq!(eudesk::scheduler::queue_reminders(&bot.engine).await.unwrap(), 0);
    outbox_drained(&bot.engine).await;
    let first_api = bot.api.clone();

    let bot = restart(bot, clock.clone()).await;
    // The new bot is up (and its reminder ticker has started) once it answers.
    let mut a = Chat::new(&bot.api, 301);
    a.say("/myregistrations");
    a.expect("sendMessage", "Eğitim kayıtlarınız").await;
    assert_eq!(eudesk::scheduler::queue_reminders(&bot.engine).await.unwrap(), 0);
    outbox_drained(&bot.engine).await;
    for api in [&first_api, &bot.api] {
        assert_eq!(count_to(api, 302, "Hatırlatma"), 0);
    }
    assert_eq!(
        count_to(&first_api, 301, TOMORROW) + count_to(&bot.api, 301, TOMORROW),
        1
    );
    assert_eq!(count_to(&first_api, 301, SOON) + count_to(&bot.api, 301, SOON), 1);
}

#[tokio::test]
async fn a_deep_link_opens_that_sessions_booking() {
    let (bot, _clock, id) = start_with(20).await;
    let mut emre = Chat::new(&bot.api, 401);
    emre.say(&format!("/start training_{id}"));
    emre.expect("sendMessage", TITLE_TR).await;
    let first = emre.expect("sendMessage", "Adım 1/6").await;
    assert!(has_button(&first, "f:cancel"));
    emre.say("Emre Aydın");
    emre.expect("sendMessage", "Adım 2/6").await;
    let conv = bot.engine.store().conversation(401).await.unwrap().unwrap();
    assert!(
        conv.flow
            .as_deref()
            .is_some_and(|f| f.contains(&format!("\"session\":{id}")))
    );
}

#[tokio::test]
async fn a_deep_link_to_a_closed_or_unknown_session_shows_the_list_with_a_notice() {
    let (bot, _clock, open) = start_with(20).await;
    let closed = bot
        .engine
        .store()
        .create_session(&details(5).check().unwrap())
        .await
        .unwrap();
    assert!(crate::helpers::set_open(bot.engine.store(), closed, false).await);
    let mut fatma = Chat::new(&bot.api, 402);
    for target in [closed.0, 9999] {
        fatma.say(&format!("/start training_{target}"));
        let list = fatma.expect("sendMessage", "Bu eğitim kayda açık değil").await;
        assert!(list.text().unwrap().contains("Kayda açık PCM eğitimleri"));
        assert!(has_button(&list, &format!("s:{open}")));
        assert!(!has_button(&list, &format!("s:{closed}")));
    }
    let conv = bot.engine.store().conversation(402).await.unwrap().unwrap();
    assert_eq!(conv.flow, None);
}

#[tokio::test]
async fn a_restart_mid_booking_resumes_at_the_same_step() {
    let (bot, clock, id) = start_with(20).await;
    let mut gul = Chat::new(&bot.api, 501);
    gul.open_booking(id).await;
    gul.say("Gül Arslan");
    let org_type = gul.expect("sendMessage", "Adım 2/6").await;
    gul.press(&org_type, "f:org:public_body");
    gul.expect("sendMessage", "Adım 3/6").await;

    let bot = restart(bot, clock).await;
    let mut gul = Chat::new(&bot.api, 501);
    gul.say("İzmir Valiliği");
    gul.expect("sendMessage", "Adım 4/6").await;
    gul.say("gul.arslan@izmir.gov.tr");
    let phone = gul.expect("sendMessage", "Adım 5/6").await;
    gul.press(&phone, "f:skip");
    let consent = gul.expect("sendMessage", "Adım 6/6").await;
    gul.press(&consent, "f:yes");
    let summary = gul.expect("sendMessage", "Lütfen bilgilerinizi kontrol edin").await;
    assert!(summary.text().unwrap().contains("Gül Arslan"));
    assert!(summary.text().unwrap().contains("Kamu kurumu"));
    gul.press(&summary, "f:confirm");
    gul.expect("editMessageText", "koltuk 1 / 20").await;

    let stored = bot.engine.store().registrations(id).await.unwrap();
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].attendee.name.as_str(), "Gül Arslan");
    assert_eq!(stored[0].attendee.org_type, OrgType::PublicBody);
    assert_eq!(stored[0].attendee.organisation.as_str(), "İzmir Valiliği");
    assert_eq!(stored[0].attendee.phone, None);
}

#[tokio::test]
async fn booking_the_same_session_again_shows_the_existing_registration() {
    let (bot, _clock, id) = start_with(20).await;
    let mut hakan = Chat::new(&bot.api, 601);
    hakan.book(id, "Hakan Öztürk").await;
    hakan.expect("sendDocument", "Takviminize ekleyin").await;

    hakan.say("/trainings");
    let list = hakan.expect("sendMessage", "Kayda açık PCM eğitimleri").await;
    hakan.press(&list, &format!("s:{id}"));
    let existing = hakan.expect("editMessageText", "Bu eğitime zaten kaydınız var").await;
    assert!(existing.text().unwrap().contains("koltuk 1 / 20"));
    assert!(existing.buttons().iter().any(|(_, d)| d.starts_with("r:")));

    hakan.say(&format!("/start training_{id}"));
    hakan.expect("sendMessage", "Bu eğitime zaten kaydınız var").await;

    assert_eq!(bot.engine.store().registrations(id).await.unwrap().len(), 1);
    let conv = bot.engine.store().conversation(601).await.unwrap().unwrap();
    assert_eq!(conv.flow, None, "no second booking was started");
}

#[tokio::test]
async fn staff_get_the_attendee_list_and_reach_confirmed_attendees_others_are_refused() {
    let (bot, clock, id) = start_with(1).await;
    let store = bot.engine.store().clone();
    let now = clock.now();
    for (user, name) in [(701, "Ayşe Yılmaz"), (702, "Burak Şahin")] {
        crate::helpers::book(&store, id, user, Lang::Tr, &attendee(name), "test-1", now).await;
    }

    let mut staff = Chat::new(&bot.api, STAFF_ID);
    staff.say(&format!("/attendees {id}"));
    let list = staff.expect("sendDocument", TITLE_TR).await;
    assert!(list.text().unwrap().contains("1 kesin · 1 yedek"));
    assert_eq!(
        list.params["document"]["filename"],
        format!("katilimcilar-oturum-{id}.xlsx")
    );
    let cells = crate::workbook::cells(&list.file("document").expect("the workbook"));
    for name in ["Ayşe Yılmaz", "Burak Şahin", "kesin", "yedek"] {
        assert!(cells.iter().any(|c| c == name), "{name} in {cells:?}");
    }

    let mut outsider = Chat::new(&bot.api, 701);
    for command in [
        format!("/attendees {id}"),
        format!("/broadcast {id} merhaba"),
        "/sessions".to_owned(),
    ] {
        outsider.say(&command);
        outsider.expect("sendMessage", "yalnızca büro personeli").await;
    }

    staff.say(&format!("/broadcast {id} Salon <b>değişti</b> & kat 2"));
    staff
        .expect("sendMessage", "1 kesin katılımcıya gönderilmek üzere")
        .await;
    let told = outsider.expect("sendMessage", "📢").await;
    assert_eq!(told.params["parse_mode"], "HTML");
    let text = told.text().unwrap();
    assert!(text.contains("Salon &lt;b&gt;değişti&lt;/b&gt; &amp; kat 2"), "{text}");
    assert!(text.contains(TITLE_TR));
    outbox_drained(&bot.engine).await;
    assert_eq!(count_to(&bot.api, 702, "📢"), 0, "the waitlisted are not told");
    assert_eq!(count_to(&bot.api, 701, "📢"), 1);
}

#[tokio::test]
async fn an_english_booking_can_change_an_answer_from_the_summary() {
    let (bot, _clock, id) = start_with(20).await;
    let mut jane = Chat::new(&bot.api, 801);
    jane.lang = "en";
    // The fake presses buttons as a Turkish client: choose English for good.
    jane.say("/language");
    let choose = jane.expect("sendMessage", "Choose your language").await;
    jane.press(&choose, "l:en");
    jane.expect("editMessageText", "Language: English").await;
    jane.say("/trainings");
    let list = jane.expect("sendMessage", "PCM trainings open for booking").await;
    jane.press(&list, &format!("s:{id}"));
    jane.expect("editMessageText", TITLE_EN).await;
    jane.expect("sendMessage", "Step 1 of 6").await;
    jane.say("Jane Doe");
    let org_type = jane.expect("sendMessage", "Step 2 of 6").await;
    jane.press(&org_type, "f:org:individual");
    jane.expect("sendMessage", "Step 4 of 6").await;
    jane.say("jane@example");
    jane.expect("sendMessage", "valid e-mail address").await;
    jane.expect("sendMessage", "Step 4 of 6").await;
    jane.say("jane@example.org");
    jane.expect("sendMessage", "Step 5 of 6").await;
    jane.say("+49 30 901820");
    let consent = jane.expect("sendMessage", "Step 6 of 6").await;
    jane.press(&consent, "f:yes");
    let summary = jane.expect("sendMessage", "Please check your details").await;
    jane.press(&summary, "f:edit");
    let fields = jane.expect("sendMessage", "Which answer").await;
    assert!(!has_button(&fields, "f:edit:organisation"), "individuals have none");
    jane.press(&fields, "f:edit:email");
    jane.expect("sendMessage", "Step 4 of 6").await;
    jane.say("jane.doe@example.org");
    let summary = jane.expect("sendMessage", "Please check your details").await;
    assert!(summary.text().unwrap().contains("jane.doe@example.org"));
    jane.press(&summary, "f:confirm");
    let done = jane.expect("editMessageText", "You are booked!").await;
    assert!(done.text().unwrap().contains("seat 1 of 20"), "{:?}", done.text());
    assert!(done.text().unwrap().contains("Thursday 10 December 2026"));
    jane.expect("sendDocument", "Add to calendar").await;

    let stored = bot.engine.store().registrations(id).await.unwrap();
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].lang, Lang::En);
    assert_eq!(stored[0].attendee.email.as_str(), "jane.doe@example.org");
    assert_eq!(stored[0].attendee.organisation.as_str(), "Individual");
    assert_eq!(
        stored[0].attendee.phone.as_ref().map(Phone::as_str),
        Some("+4930901820")
    );
}

#[tokio::test]
async fn a_deadline_passing_while_filling_in_stores_nothing() {
    let (bot, clock, id) = start_with(20).await;
    let mut ilker = Chat::new(&bot.api, 802);
    ilker.open_booking(id).await;
    let summary = ilker.fill_in("İlker Koç", None).await;
    clock.set(at("2026-12-10 10:30"));
    ilker.press(&summary, "f:confirm");
    ilker.expect("sendMessage", "siz bilgileri girerken kapandı").await;
    assert!(bot.engine.store().registrations(id).await.unwrap().is_empty());
}

#[tokio::test]
async fn a_person_who_cancelled_can_book_again() {
    let (bot, _clock, id) = start_with(20).await;
    let mut oya = Chat::new(&bot.api, 803);
    oya.book(id, "Oya Tekin").await;
    oya.expect("sendDocument", "Takviminize ekleyin").await;
    oya.say("/myregistrations");
    let mine = oya.expect("sendMessage", "Eğitim kayıtlarınız").await;
    oya.press(&mine, &button(&mine, "İptal:"));
    let sure = oya.expect("editMessageText", "emin misiniz").await;
    oya.press(&sure, &button(&sure, "Evet, iptal et"));
    oya.expect("editMessageText", "Kaydınız iptal edildi").await;

    let done = oya.book(id, "Oya Tekin").await;
    assert!(done.text().unwrap().contains("koltuk 1 / 20"), "{:?}", done.text());
    let statuses: Vec<Status> = bot
        .engine
        .store()
        .registrations(id)
        .await
        .unwrap()
        .iter()
        .map(|r| r.status)
        .collect();
    assert_eq!(statuses, [Status::Cancelled, Status::Confirmed]);
}

#[tokio::test]
async fn a_promotion_whose_calendar_file_must_be_retried_is_announced_once() {
    let (bot, clock, id) = start_with(1).await;
    let store = bot.engine.store().clone();
    for (user, name) in [(901, "Ayşe Yılmaz"), (902, "Burak Şahin")] {
        crate::helpers::book(&store, id, user, Lang::Tr, &attendee(name), "test-1", clock.now()).await;
    }
    bot.api.fail_next(
        "sendDocument",
        429,
        serde_json::json!({"ok": false, "error_code": 429, "description": "Too Many Requests: retry after 1", "parameters": {"retry_after": 1}}),
    );
    let mut a = Chat::new(&bot.api, 901);
    a.say("/myregistrations");
    let mine = a.expect("sendMessage", "Eğitim kayıtlarınız").await;
    a.press(&mine, &button(&mine, "İptal:"));
    let sure = a.expect("editMessageText", "emin misiniz").await;
    a.press(&sure, &button(&sure, "Evet, iptal et"));
    a.expect("editMessageText", "Kaydınız iptal edildi").await;

    let refused = |c: &Call| c.chat_id() == Some(902) && c.response["ok"] == false;
    bot.api.wait_for("sendDocument", refused, WAIT).await;
    // Once the worker has recorded the failed attempt, the retry falls due.
    let deadline = tokio::time::Instant::now() + WAIT;
    let later = clock.now() + SignedDuration::from_hours(1);
    while store.due_messages(later, 8).await.unwrap().first().map(|p| p.attempts) != Some(1) {
        assert!(tokio::time::Instant::now() < deadline, "the failed attempt is recorded");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    clock.advance(SignedDuration::from_secs(2));
    bot.api
        .wait_for(
            "sendDocument",
            |c| c.chat_id() == Some(902) && c.response["ok"] == true,
            WAIT,
        )
        .await;
    outbox_drained(&bot.engine).await;
    assert_eq!(
        count_to(&bot.api, 902, "Yer açıldı"),
        1,
        "the person is told once, not once per attempt at the calendar file"
    );
}
