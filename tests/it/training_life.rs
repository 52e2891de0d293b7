//! A training's whole life run by staff from Telegram (issue 13), through the real
//! adapter against the loopback fake Bot API: a session created by chat, moved with
//! every registrant told and their calendar entry updated, check-in by the QR code's
//! deep link and by the staff list, no-shows, the survey, the certificate and its code,
//! workbooks, `/reload`, staff texts in English, `/stats` with a chart.

use crate::fake_api::{Call, FakeApi};
use crate::helpers::{Chat, Running, Sandbox, WAIT, book, stdout};
use crate::tickets_telegram::{AYSE, MEHMET, STAFF_A, STAFF_CHAT, at, engine_for, has_button, say_in_group, wait_one};
use eudesk::clock::{Clock, ManualClock};
use eudesk::lang::{Lang, Localized};
use eudesk::trainings::{Attendee, Email, OrgType, Organisation, PersonName, SessionDetails, SessionId};
use serde_json::Value;
use std::sync::Arc;
use std::time::Duration;

/// The feedback survey of the tests' dialogues: two ratings and a comment.
const SURVEY: &str = r#"
[survey]
version = "test-1"
intro = { tr = "Birkaç kısa soru.", en = "A few short questions." }
thanks = { tr = "Teşekkürler, yanıtlarınız kaydedildi.", en = "Thank you, your answers are saved." }

[[survey.question]]
id = "overall"
kind = "rating"
text = { tr = "Eğitimi genel olarak nasıl buldunuz?", en = "How was the training overall?" }

[[survey.question]]
id = "trainer"
kind = "rating"
text = { tr = "Eğitmen konuyu açık anlattı mı?", en = "Did the trainer explain clearly?" }

[[survey.question]]
id = "comment"
kind = "text"
max_chars = 500
text = { tr = "Neyi daha iyi yapabiliriz?", en = "What could we do better?" }
"#;

const WAITLISTED: i64 = 103;
const NAME: &str = "Ayşe Işıkçı Göğüş";

fn attendee(name: &str) -> Attendee {
    Attendee {
        name: PersonName::parse(name).unwrap(),
        organisation: Organisation::parse("Konak Belediyesi").unwrap(),
        org_type: OrgType::Municipality,
        email: Email::parse("kisi@konak.bel.tr").unwrap(),
        phone: None,
    }
}

fn details(starts: &str, ends: &str, capacity: u32) -> SessionDetails {
    SessionDetails {
        title: Localized::new("PCM Temel Eğitimi".to_owned(), "PCM Basic Training".to_owned()),
        starts: at(starts),
        ends: at(ends),
        place: "İzmir Valiliği, Konak".to_owned(),
        capacity,
        deadline: at(starts),
        second_reminder: None,
    }
}

/// A bot over the tests' dialogues plus the survey; the clock at 1 December 2026 10:00.
async fn start(tweak: impl FnOnce(&mut eudesk::engine::Options)) -> (Running, Arc<ManualClock>) {
    let sandbox = Sandbox::new();
    sandbox.write("survey.toml", SURVEY);
    let clock = crate::tickets_telegram::clock();
    let dialogues = sandbox.dialogues();
    let engine = engine_for(&sandbox, clock.clone(), |o| {
        o.dialogues_dir = Some(dialogues);
        tweak(o);
    })
    .await;
    (Running::start(sandbox, engine, false).await, clock)
}

/// The file sent with `call` (a document).
fn file_of(call: &Call) -> Vec<u8> {
    call.file("document")
        .unwrap_or_else(|| panic!("no document in {:?}", call.params))
}

/// The text of a PDF, as a reader's copy-and-paste would give it.
fn pdf_text(bytes: &[u8]) -> String {
    let doc = lopdf::Document::load_mem(bytes).expect("a PDF");
    let pages: Vec<u32> = doc.get_pages().keys().copied().collect();
    doc.extract_text(&pages).expect("its text")
}

/// The registration id of `user` for `session`.
async fn registration_of(bot: &Running, session: SessionId, user: i64) -> i64 {
    bot.engine
        .store()
        .registrations(session)
        .await
        .unwrap()
        .into_iter()
        .find(|r| r.user == eudesk::ids::UserId(user))
        .expect("registered")
        .id
        .0
}

/// Waits until `chat` was sent a document whose caption contains `needle`.
async fn document_to(api: &FakeApi, chat: i64, needle: &str) -> Call {
    api.wait_for(
        "sendDocument",
        |c| c.chat_id() == Some(chat) && c.text().is_some_and(|t| t.contains(needle)),
        WAIT,
    )
    .await
}

/// The `n`th calendar file (1 for the first) sent to `chat`, as text.
async fn calendar_file(api: &FakeApi, chat: i64, n: usize) -> String {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let files: Vec<Call> = api
            .calls()
            .into_iter()
            .filter(|c| {
                c.method == "sendDocument"
                    && c.chat_id() == Some(chat)
                    && c.params["document"]["filename"]
                        .as_str()
                        .is_some_and(|f| f.ends_with(".ics"))
            })
            .collect();
        if files.len() >= n {
            return String::from_utf8(file_of(&files[n - 1])).unwrap();
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no calendar file #{n} for {chat}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn staff_create_a_session_by_chat_each_value_checked_and_the_command_line_lists_it() {
    let (bot, _clock) = start(|_| {}).await;
    let mut staff = Chat::new(&bot.api, STAFF_A);

    staff.say("/newsession");
    staff.expect("sendMessage", "(1/8)").await;
    staff.say("Proje Döngüsü Yönetimi — Temel");
    staff.expect("sendMessage", "(2/8)").await;
    staff.say("Project Cycle Management — Basics");
    staff.expect("sendMessage", "(3/8)").await;
    // Each value is checked as it is typed, and asked again with the reason.
    staff.say("yarın sabah");
    staff.expect("sendMessage", "tarih ve saat değil").await;
    staff.expect("sendMessage", "(3/8)").await;
    staff.say("10.12.2026 10:00");
    staff.expect("sendMessage", "(4/8)").await;
    staff.say("10.12.2026 09:00");
    staff
        .expect("sendMessage", "başlangıçtan (2026-12-10 10:00) sonra")
        .await;
    staff.expect("sendMessage", "(4/8)").await;
    staff.say("2026-12-10 17:00");
    staff.expect("sendMessage", "(5/8)").await;
    staff.say("İzmir Valiliği, Konak");
    staff.expect("sendMessage", "(6/8)").await;
    staff.say("0");
    staff.expect("sendMessage", "1 ile 1000 arasında").await;
    staff.expect("sendMessage", "(6/8)").await;
    staff.say("25");
    let deadline = staff.expect("sendMessage", "(7/8)").await;
    staff.press(&deadline, "f:at_start");
    let reminder = staff.expect("sendMessage", "(8/8)").await;
    staff.press(&reminder, "f:no_reminder");
    let summary = staff.expect("sendMessage", "Yeni oturum:").await;
    let text = summary.text().unwrap();
    assert!(
        text.contains("2026-12-10 10:00") && text.contains("25") && text.contains("başlangıçta"),
        "{text}"
    );
    // Nothing is stored before Create.
    assert!(bot.engine.store().sessions().await.unwrap().is_empty());
    staff.press(&summary, "f:save");
    staff.expect("editMessageText", "#1 oturumu oluşturuldu").await;
    let card = staff.expect("sendMessage", "Proje Döngüsü Yönetimi — Temel").await;
    assert!(
        has_button(&card, "sa:links:1") && has_button(&card, "sa:cancel:1"),
        "{:?}",
        card.buttons()
    );

    let listed = bot.sandbox.eudesk(&["sessions", "list", "--json"], "");
    assert!(listed.status.success(), "{listed:?}");
    let sessions: Value = serde_json::from_str(&stdout(&listed)).unwrap();
    let s = &sessions[0];
    assert_eq!(s["id"], 1);
    assert_eq!(s["title_tr"], "Proje Döngüsü Yönetimi — Temel");
    assert_eq!(s["title_en"], "Project Cycle Management — Basics");
    assert_eq!(s["starts"], "2026-12-10 10:00");
    assert_eq!(s["ends"], "2026-12-10 17:00");
    assert_eq!(s["deadline"], "2026-12-10 10:00");
    assert_eq!(s["capacity"], 25);
    assert_eq!(s["state"], "open");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn moving_a_session_tells_every_registrant_with_a_calendar_file_that_updates_the_same_entry() {
    let (bot, clock) = start(|_| {}).await;
    let store = bot.engine.store().clone();
    let id = store
        .create_session(&details("2026-12-10 10:00", "2026-12-10 17:00", 1).check().unwrap())
        .await
        .unwrap();
    book(&store, id, AYSE, Lang::Tr, &attendee(NAME), "test-1", clock.now()).await;
    book(
        &store,
        id,
        WAITLISTED,
        Lang::En,
        &attendee("John Smith"),
        "test-1",
        clock.now(),
    )
    .await;

    let mut staff = Chat::new(&bot.api, STAFF_A);
    staff.say("/sessions");
    let list = staff.expect("sendMessage", "Oturumlar").await;
    staff.press(&list, &format!("ss:{id}"));
    let card = staff.expect("editMessageText", "PCM Temel Eğitimi").await;
    staff.press(&card, &format!("sa:edit:{id}"));
    let summary = staff.expect("sendMessage", "Oturumun yeni hâli").await;
    staff.press(&summary, "f:edit");
    let which = staff.expect("sendMessage", "Hangi değer").await;
    staff.press(&which, "f:fe:starts");
    staff.expect("sendMessage", "(3/8)").await;
    staff.say("11.12.2026 13:00");
    // The old end is now before the start: asked again.
    staff.expect("sendMessage", "(4/8)").await;
    staff.say("11.12.2026 17:00");
    let summary = staff.expect("sendMessage", "Oturumun yeni hâli").await;
    staff.press(&summary, "f:save");
    // It messages two people: an explicit yes first.
    let confirm = staff.expect("sendMessage", "Zaman ya da yer değişiyor").await;
    assert!(
        !bot.api.calls().iter().any(|c| c.method == "sendDocument"),
        "nobody told before the yes"
    );
    staff.press(&confirm, "f:confirm");
    staff.expect("editMessageText", "2 kişiye").await;
    let card = staff.expect("sendMessage", "11 Aralık 2026").await;

    for (user, lang_word) in [(AYSE, "değişti"), (WAITLISTED, "has changed")] {
        crate::tickets_telegram::wait_one(&bot.api, user, lang_word).await;
        let ics = calendar_file(&bot.api, user, 1).await;
        assert!(
            ics.contains(&format!("UID:eudesk-training-{id}@izmir-ab-buro")),
            "{ics}"
        );
        assert!(ics.contains("SEQUENCE:1"), "a higher revision of the same entry: {ics}");
        assert!(ics.contains("DTSTART:20261211T100000Z"), "{ics}");
        assert!(ics.contains("METHOD:PUBLISH"), "{ics}");
    }
    let s = store.session(id).await.unwrap().unwrap();
    assert_eq!(s.sequence, 1);
    assert_eq!(eudesk::trainings::time::local(s.details.starts), "2026-12-11 13:00");

    // Cancelling sends the file that removes the entry.
    staff.press(&card, &format!("sa:cancel:{id}"));
    let sure = staff.expect("editMessageText", "iptal edilsin mi").await;
    staff.press(&sure, &format!("sa:cancel!:{id}"));
    staff.expect("editMessageText", "2 kişiye haber veriliyor").await;
    crate::tickets_telegram::wait_one(&bot.api, AYSE, "iptal edildi").await;
    let ics = calendar_file(&bot.api, AYSE, 2).await;
    assert!(
        ics.contains("METHOD:CANCEL") && ics.contains("STATUS:CANCELLED") && ics.contains("SEQUENCE:2"),
        "{ics}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_in_survey_certificate_and_its_code_from_the_qr_code_to_the_verification() {
    let (bot, clock) = start(|o| o.trained_before = 1690).await;
    let api = &bot.api;
    let store = bot.engine.store().clone();
    // Today 10:30–12:30; it is 10:00.
    let id = store
        .create_session(&details("2026-12-01 10:30", "2026-12-01 12:30", 2).check().unwrap())
        .await
        .unwrap();
    for (user, name) in [(AYSE, NAME), (MEHMET, "Mehmet Öztürk"), (WAITLISTED, "Zeynep Kaya")] {
        book(&store, id, user, Lang::Tr, &attendee(name), "test-1", clock.now()).await;
    }
    let ayse_reg = registration_of(&bot, id, AYSE).await;
    let mehmet_reg = registration_of(&bot, id, MEHMET).await;

    // Staff open the links: the booking link and the check-in link, each a QR code.
    let mut staff = Chat::new(api, STAFF_A);
    staff.say("/sessions");
    let list = staff.expect("sendMessage", "Oturumlar").await;
    staff.press(&list, &format!("ss:{id}"));
    let card = staff.expect("editMessageText", "PCM Temel Eğitimi").await;
    staff.press(&card, &format!("sa:links:{id}"));
    let booking = staff.expect("sendDocument", "kayıt bağlantısı").await;
    assert!(booking.text().unwrap().contains(&format!("?start=training_{id}")));
    let check_in = staff.expect("sendDocument", "Yoklama QR kodu").await;
    for qr in [&booking, &check_in] {
        assert!(file_of(qr).starts_with(b"\x89PNG\r\n\x1a\n"), "a PNG image");
    }
    let caption = check_in.text().unwrap();
    let payload = caption
        .split("?start=")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_else(|| panic!("no check-in link in {caption}"))
        .to_owned();
    assert!(payload.starts_with(&format!("in_{id}_")), "{payload}");

    // Scanned in the room: the confirmed registrant is in; the waitlisted one is told
    // why not; a guessed key does nothing.
    let mut ayse = Chat::new(api, AYSE);
    ayse.say(&format!("/start {payload}"));
    ayse.expect("sendMessage", "Katılımınız kaydedildi").await;
    ayse.say(&format!("/start {payload}"));
    ayse.expect("sendMessage", "zaten kayıtlı").await;
    let mut waitlisted = Chat::new(api, WAITLISTED);
    waitlisted.say(&format!("/start {payload}"));
    waitlisted.expect("sendMessage", "kesin kaydınız görünmüyor").await;
    let mut mehmet = Chat::new(api, MEHMET);
    mehmet.say(&format!("/start in_{id}_WRONGKEY12"));
    mehmet.expect("sendMessage", "geçerli değil").await;

    // Staff tick Mehmet on the list, then take it back: he did not come.
    staff.press(&card, &format!("sa:checkin:{id}"));
    let ticks = staff.expect("sendMessage", "yoklama").await;
    assert!(
        ticks.buttons().iter().any(|(l, _)| l == &format!("✅ {NAME}")),
        "{:?}",
        ticks.buttons()
    );
    staff.press(&ticks, &format!("tk:{mehmet_reg}:1"));
    let ticked = staff.expect("editMessageText", "yoklama").await;
    assert!(
        ticked.buttons().iter().any(|(l, _)| l == "✅ Mehmet Öztürk"),
        "{:?}",
        ticked.buttons()
    );
    staff.press(&ticked, &format!("tk:{mehmet_reg}:0"));
    staff.expect("editMessageText", "yoklama").await;

    // An hour after the end: Mehmet is a no-show, Ayşe is invited to the survey and
    // offered her certificate; nobody else is.
    clock.advance(jiff::SignedDuration::from_hours(4));
    assert_eq!(eudesk::scheduler::follow_up_sessions(&bot.engine).await.unwrap(), 1);
    assert_eq!(
        eudesk::scheduler::follow_up_sessions(&bot.engine).await.unwrap(),
        0,
        "once"
    );
    let invitation = ayse.expect("sendMessage", "katıldığınız için teşekkür").await;
    assert!(has_button(&invitation, &format!("sv:{ayse_reg}")));
    assert!(has_button(&invitation, &format!("ce:{ayse_reg}")));
    let s = store.session(id).await.unwrap().unwrap();
    assert_eq!((s.present, s.absent), (1, 1));

    // The survey, from the dialogues' definition.
    ayse.press(&invitation, &format!("sv:{ayse_reg}"));
    ayse.expect("sendMessage", "Birkaç kısa soru").await;
    let q1 = ayse.expect("sendMessage", "(1/3)").await;
    ayse.press(&q1, "f:rate:5");
    ayse.expect("editMessageText", "(2/3)").await;
    // Words where a mark is asked: the question again, with the reason.
    ayse.say("harika");
    ayse.expect("sendMessage", "1 ile 5").await;
    let q2 = ayse.expect("sendMessage", "(2/3)").await;
    ayse.press(&q2, "f:rate:4");
    ayse.expect("editMessageText", "(3/3)").await;
    ayse.say("Örnekler çok faydalıydı; bütçe kısmı daha uzun olabilir.");
    let thanks = ayse.expect("sendMessage", "yanıtlarınız kaydedildi").await;
    // Stored without her: the response names a session and a version only.
    let pool = sqlx::SqlitePool::connect(&bot.sandbox.database_url()).await.unwrap();
    let columns: Vec<String> = sqlx::query_scalar("SELECT name FROM pragma_table_info('survey_responses')")
        .fetch_all(&pool)
        .await
        .unwrap();
    assert_eq!(columns, ["id", "session_id", "survey_version", "submitted_at"]);
    pool.close().await;

    // Staff read the results, in text and as a workbook.
    say_in_group(api, STAFF_CHAT, STAFF_A, &format!("/report {id}"));
    let report = document_to(api, STAFF_CHAT, "anket yanıtı: 1").await;
    let text = report.text().unwrap();
    assert!(text.contains("<b>5.0</b>") && text.contains("<b>4.0</b>"), "{text}");
    assert!(text.contains("bütçe kısmı daha uzun"), "{text}");
    let workbook = file_of(&report);
    let cells = crate::workbook::cells(&workbook);
    assert!(
        cells.iter().any(|c| c.contains("bütçe kısmı daha uzun olabilir")),
        "{cells:?}"
    );

    // The certificate: a PDF with her name in Turkish letters and a code.
    ayse.press(&thanks, &format!("ce:{ayse_reg}"));
    let pdf = ayse.expect("sendDocument", "Katılım belgeniz").await;
    let caption = pdf.text().unwrap().to_owned();
    let code = caption
        .split("<code>")
        .nth(1)
        .and_then(|c| c.split("</code>").next())
        .unwrap_or_else(|| panic!("no code in {caption}"))
        .to_owned();
    let text = pdf_text(&file_of(&pdf));
    assert!(text.contains(NAME), "{text}");
    assert!(text.contains(&code), "{text}");
    // Asked again, the same certificate.
    ayse.press(&pdf, &format!("ce:{ayse_reg}"));
    let again = ayse.expect("sendDocument", "Katılım belgeniz").await;
    assert!(again.text().unwrap().contains(&code));
    // Someone else's button gets nothing.
    mehmet.say("/start");
    let menu = mehmet.expect("sendMessage", "").await;
    mehmet.press(&menu, &format!("ce:{ayse_reg}"));
    mehmet.expect("sendMessage", "artık geçerli değil").await;
    assert!(
        !api.calls()
            .iter()
            .any(|c| c.method == "sendDocument" && c.chat_id() == Some(MEHMET)),
        "no certificate for Mehmet"
    );

    // Verified on the command line (forgiving case and dashes) and by staff.
    let verified = bot
        .sandbox
        .eudesk(&["certificates", "verify", &code.to_lowercase().replace('-', "")], "");
    assert_eq!(verified.status.code(), Some(0), "{verified:?}");
    let out = stdout(&verified);
    assert!(out.contains(NAME) && out.contains("PCM Temel Eğitimi"), "{out}");
    let unknown = bot.sandbox.eudesk(&["certificates", "verify", "0000-0000"], "");
    assert_eq!(unknown.status.code(), Some(1), "{unknown:?}");
    say_in_group(api, STAFF_CHAT, STAFF_A, &format!("/verify {code}"));
    let shown = wait_one(api, STAFF_CHAT, "Geçerli belge").await;
    assert!(shown.text().unwrap().contains(NAME));

    // The office's figures: trained from attendance, with the years before the bot.
    say_in_group(api, STAFF_CHAT, STAFF_A, "/stats");
    let figures = wait_one(api, STAFF_CHAT, "Eğitilen kişi").await;
    let text = figures.text().unwrap();
    assert!(text.contains("toplam 1691") && text.contains("2026: 1"), "{text}");
    assert!(text.contains("gelmeyen %50"), "{text}");
    let chart = document_to(api, STAFF_CHAT, "Son 12 hafta").await;
    assert!(file_of(&chart).starts_with(b"\x89PNG\r\n\x1a\n"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_attendee_list_is_a_workbook_a_spreadsheet_reads_back_with_its_turkish_text() {
    let (bot, clock) = start(|_| {}).await;
    let store = bot.engine.store().clone();
    let id = store
        .create_session(&details("2026-12-10 10:00", "2026-12-10 17:00", 5).check().unwrap())
        .await
        .unwrap();
    book(&store, id, AYSE, Lang::Tr, &attendee(NAME), "test-1", clock.now()).await;
    book(
        &store,
        id,
        MEHMET,
        Lang::Tr,
        &attendee("=HYPERLINK(\"x\") Şahin"),
        "test-1",
        clock.now(),
    )
    .await;

    say_in_group(&bot.api, STAFF_CHAT, STAFF_A, &format!("/attendees {id}"));
    let list = document_to(&bot.api, STAFF_CHAT, "PCM Temel Eğitimi").await;
    assert_eq!(
        list.params["document"]["filename"],
        format!("katilimcilar-oturum-{id}.xlsx")
    );
    let cells = crate::workbook::cells(&file_of(&list));
    assert!(cells.iter().any(|c| c == NAME), "{cells:?}");
    assert!(cells.iter().any(|c| c == "Konak Belediyesi"), "{cells:?}");
    assert!(
        cells.iter().any(|c| c == "=HYPERLINK(\"x\") Şahin"),
        "a formula-looking name stays text: {cells:?}"
    );

    // The command line writes the same workbook, or CSV on request.
    let out = bot.sandbox.dialogues().with_file_name("list.xlsx");
    let written = bot.sandbox.eudesk(
        &[
            "registrations",
            "export",
            &id.to_string(),
            "--output",
            out.to_str().unwrap(),
        ],
        "",
    );
    assert!(written.status.success(), "{written:?}");
    let cells = crate::workbook::cells(&std::fs::read(&out).unwrap());
    assert!(cells.iter().any(|c| c == NAME), "{cells:?}");
    let csv = bot
        .sandbox
        .eudesk(&["registrations", "export", &id.to_string(), "--format", "csv"], "");
    assert!(csv.status.success() && stdout(&csv).contains(NAME), "{csv:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reload_picks_up_an_edit_and_refuses_a_broken_tree_keeping_the_old_one() {
    let (bot, _clock) = start(|_| {}).await;
    let mut person = Chat::new(&bot.api, AYSE);
    let tree = crate::helpers::TREE;
    let edited = tree.replace(
        "12 Haziran 2007'de kuruldu.",
        "12 Haziran 2007'de kuruldu ve Konak'tadır.",
    );
    assert_ne!(edited, tree);
    bot.sandbox.write("tree.toml", &edited);

    say_in_group(&bot.api, STAFF_CHAT, STAFF_A, "/reload");
    wait_one(&bot.api, STAFF_CHAT, "Diyaloglar yeniden okundu").await;
    person.say("büro ne zaman kuruldu");
    person.expect("sendMessage", "ve Konak'tadır").await;

    // A broken edit: refused with the problem and the file named; the bot goes on.
    bot.sandbox.write(
        "broken.toml",
        "[[node]]\nid = \"office.about\"\nlabel = { tr = \"x\", en = \"x\" }\n",
    );
    say_in_group(&bot.api, STAFF_CHAT, STAFF_A, "/reload");
    let refused = wait_one(&bot.api, STAFF_CHAT, "Diyaloglar yüklenmedi").await;
    assert!(refused.text().unwrap().contains("broken.toml"), "{:?}", refused.text());
    person.say("büro ne zaman kuruldu");
    person.expect("sendMessage", "ve Konak'tadır").await;

    // The command line refuses it too, listing the problem, and touches nothing.
    let cli = bot.sandbox.eudesk(&["reload"], "");
    assert_eq!(cli.status.code(), Some(1), "{cli:?}");
    assert!(stdout(&cli).contains("broken.toml"), "{}", stdout(&cli));
    std::fs::remove_file(bot.sandbox.dialogues().join("broken.toml")).unwrap();
    let cli = bot.sandbox.eudesk(&["reload"], "");
    assert_eq!(cli.status.code(), Some(0), "{cli:?}");
    assert!(stdout(&cli).contains("no bot is running"), "{}", stdout(&cli));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_eudesk_staff_lang_en_the_staff_chat_reads_english() {
    let (bot, _clock) = start(|o| o.staff_lang = Lang::En).await;
    let api = &bot.api;
    let mut ayse = Chat::new(api, AYSE);
    let n = ayse.ask("Uzay istasyonunda mantar projesi için hibe var mı?").await;
    let post = wait_one(api, STAFF_CHAT, &format!("🎫 <b>Ticket #{n}</b>")).await;
    let text = post.text().unwrap();
    assert!(
        text.contains("What the bot offered") && text.contains("To answer, reply"),
        "{text}"
    );
    let labels: Vec<String> = post.buttons().into_iter().map(|(l, _)| l).collect();
    assert!(
        labels.contains(&"✍️ Answer".to_owned()) && labels.contains(&"🙋 Take".to_owned()),
        "{labels:?}"
    );

    say_in_group(api, STAFF_CHAT, STAFF_A, &format!("/take {n}"));
    wait_one(api, STAFF_CHAT, &format!("<b>Ticket #{n}</b> was taken by Selin")).await;
    say_in_group(api, STAFF_CHAT, STAFF_A, "/sessions");
    wait_one(api, STAFF_CHAT, "No sessions").await;
    say_in_group(api, STAFF_CHAT, STAFF_A, "/stats");
    wait_one(api, STAFF_CHAT, "People served").await;
    document_to(api, STAFF_CHAT, "The last 12 weeks").await;
    say_in_group(api, STAFF_CHAT, STAFF_A, "/help");
    wait_one(api, STAFF_CHAT, "Staff commands").await;
    tokio::time::sleep(Duration::from_millis(50)).await;
    let turkish: Vec<String> = crate::tickets_telegram::sends_to(api, STAFF_CHAT)
        .iter()
        .filter_map(|c| c.text().map(str::to_owned))
        .filter(|t| t.contains("Talep") || t.contains("yanıt") || t.contains("Oturum"))
        .collect();
    assert!(turkish.is_empty(), "Turkish in an English staff chat: {turkish:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn eudesk_reload_makes_the_running_bot_read_the_dialogues_again() {
    let sandbox = Sandbox::new();
    let api = FakeApi::start_at(1).await;
    let mut bot = crate::helpers::Process::started(&sandbox, &api).await;
    let mut person = Chat::new(&api, AYSE);
    person.say("büro ne zaman kuruldu");
    person.expect("sendMessage", "2007'de kuruldu.").await;

    let edited = crate::helpers::TREE.replace(
        "12 Haziran 2007'de kuruldu.",
        "12 Haziran 2007'de kuruldu; yeni adres Konak.",
    );
    sandbox.write("tree.toml", &edited);
    let out = sandbox.eudesk(&["reload"], "");
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert!(
        stdout(&out).contains("is reading the dialogues again"),
        "{}",
        stdout(&out)
    );
    // The signal is asynchronous: ask until the new text answers.
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        person.say("büro ne zaman kuruldu");
        let reply = person.expect("sendMessage", "").await;
        if reply.text().is_some_and(|t| t.contains("yeni adres Konak")) {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the bot still answers with the old text"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(bot.stderr().contains("dialogues reloaded"), "{}", bot.stderr());
    bot.signal("TERM");
    let status = bot.exit(Duration::from_secs(10)).await.expect("stops");
    assert_eq!(status.code(), Some(0), "{}", bot.stderr());
}
