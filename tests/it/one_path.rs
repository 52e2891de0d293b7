//! One implementation per action: the same staff action taken in Telegram and on the
//! command line (the real binary, while the bot runs on the same database) leaves the
//! same history and the same notes in the staff chat.

use crate::helpers::{Chat, eudesk_in};
use crate::tickets_telegram::{
    AYSE, MEHMET, STAFF_A, STAFF_CHAT, events, say_in_group, send_preview, sent, start, wait_sent,
};
use eudesk::tickets::{EventKind, TicketId};

/// `eudesk ARGS` on the running bot's database.
fn cli(bot: &crate::helpers::Running, args: &[&str]) {
    let output = eudesk_in(
        bot.sandbox.dir.path(),
        args,
        "",
        &[("DATABASE_URL", &bot.sandbox.database_url())],
    );
    assert!(output.status.success(), "{args:?}: {}", crate::helpers::stderr(&output));
}

/// A staff-chat text with the ticket number and the author's name made neutral.
fn shape(html: &str, ticket: i64, author: &str) -> String {
    html.replace(&format!("#{ticket}"), "#N").replace(author, "AUTHOR")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn answering_in_telegram_and_on_the_command_line_leaves_the_same_history_and_staff_notes() {
    // The bot on the real clock: the command line queues at the real time.
    let (bot, _clock) = start(|o| o.clock = std::sync::Arc::new(eudesk::clock::SystemClock)).await;
    let api = &bot.api;
    let mut ayse = Chat::new(api, AYSE);
    let mut mehmet = Chat::new(api, MEHMET);
    let by_telegram = ayse.ask("Başvuru formu nerede?").await;
    let by_cli = mehmet.ask("Başvuru formu hangi dilde?").await;

    say_in_group(
        api,
        STAFF_CHAT,
        STAFF_A,
        &format!("/reply {by_telegram} Web sitemizde."),
    );
    send_preview(api, STAFF_A, by_telegram, 1).await;
    cli(
        &bot,
        &[
            "tickets",
            "answer",
            &by_cli.to_string(),
            "Türkçe",
            "ya",
            "da",
            "İngilizce.",
        ],
    );

    ayse.expect("sendMessage", "Bürosu'ndan yanıt").await;
    mehmet.expect("sendMessage", "Bürosu'ndan yanıt").await;
    let notes = wait_sent(api, STAFF_CHAT, "yanıtı kişiye iletildi", 2).await;
    let shapes: Vec<String> = notes
        .iter()
        .map(|n| {
            let html = n.text().unwrap();
            let ticket = if html.contains(&format!("#{by_telegram}")) {
                by_telegram
            } else {
                by_cli
            };
            shape(html, ticket, "")
        })
        .collect();
    assert_eq!(shapes[0], shapes[1], "the same note whichever door");
    let kinds = [EventKind::Question, EventKind::Answer, EventKind::Delivered];
    assert_eq!(events(&bot.engine, by_telegram).await, kinds);
    assert_eq!(events(&bot.engine, by_cli).await, kinds);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn closing_in_telegram_and_on_the_command_line_leaves_the_same_history_and_staff_notes() {
    // The bot on the real clock: the command line queues at the real time.
    let (bot, _clock) = start(|o| o.clock = std::sync::Arc::new(eudesk::clock::SystemClock)).await;
    let api = &bot.api;
    let mut ayse = Chat::new(api, AYSE);
    let mut mehmet = Chat::new(api, MEHMET);
    let by_telegram = ayse.ask("Eğitim ücretli mi?").await;
    let by_cli = mehmet.ask("Eğitim sertifikalı mı?").await;

    say_in_group(
        api,
        STAFF_CHAT,
        STAFF_A,
        &format!("/close {by_telegram} Yanıt web sitemizde"),
    );
    cli(
        &bot,
        &["tickets", "close", &by_cli.to_string(), "--note", "Yanıt web sitemizde"],
    );

    let told_ayse = ayse.expect("sendMessage", "kapatıldı").await;
    let told_mehmet = mehmet.expect("sendMessage", "kapatıldı").await;
    assert_eq!(
        shape(told_ayse.text().unwrap(), by_telegram, ""),
        shape(told_mehmet.text().unwrap(), by_cli, ""),
        "the person is told the same"
    );
    let notes = wait_sent(api, STAFF_CHAT, "tarafından kapatıldı", 2).await;
    let note_of = |ticket: i64| {
        notes
            .iter()
            .find(|n| n.text().unwrap().contains(&format!("#{ticket}")))
            .expect("a note per ticket")
            .text()
            .unwrap()
            .to_owned()
    };
    assert_eq!(
        shape(&note_of(by_telegram), by_telegram, "Selin"),
        shape(&note_of(by_cli), by_cli, "komut satırı"),
        "the same note whichever door"
    );
    for ticket in [by_telegram, by_cli] {
        assert_eq!(
            events(&bot.engine, ticket).await,
            [EventKind::Question, EventKind::Close]
        );
        let history = bot.engine.store().ticket_events(TicketId(ticket)).await.unwrap();
        assert_eq!(history[1].text.as_deref(), Some("Yanıt web sitemizde"));
    }
    assert_eq!(sent(api, STAFF_CHAT, "tarafından kapatıldı").len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancelling_a_session_in_telegram_and_on_the_command_line_tells_registrants_the_same() {
    use eudesk::lang::{Lang, Localized};
    use eudesk::trainings::{Attendee, Email, OrgType, Organisation, PersonName, SessionDetails, SessionState};
    let (bot, _clock) = start(|o| o.clock = std::sync::Arc::new(eudesk::clock::SystemClock)).await;
    let store = bot.engine.store().clone();
    let now = jiff::Timestamp::now();
    let in_a_week = now.checked_add(jiff::SignedDuration::from_hours(24 * 7)).unwrap();
    let details = SessionDetails {
        title: Localized::new("PCM Temel Eğitimi".to_owned(), "PCM Basic Training".to_owned()),
        starts: in_a_week,
        ends: in_a_week.checked_add(jiff::SignedDuration::from_hours(6)).unwrap(),
        place: "İzmir Valiliği, Konak".to_owned(),
        capacity: 5,
        deadline: in_a_week,
        second_reminder: None,
    };
    let by_telegram = store.create_session(&details.clone().check().unwrap()).await.unwrap();
    let by_cli = store.create_session(&details.clone().check().unwrap()).await.unwrap();
    let person = |name: &str| Attendee {
        name: PersonName::parse(name).unwrap(),
        organisation: Organisation::parse("Konak Belediyesi").unwrap(),
        org_type: OrgType::Municipality,
        email: Email::parse("kisi@konak.bel.tr").unwrap(),
        phone: None,
    };
    crate::helpers::book(
        &store,
        by_telegram,
        AYSE,
        Lang::Tr,
        &person("Ayşe Yılmaz"),
        "test-1",
        now,
    )
    .await;
    crate::helpers::book(
        &store,
        by_cli,
        MEHMET,
        Lang::Tr,
        &person("Mehmet Öztürk"),
        "test-1",
        now,
    )
    .await;

    let mut staff = Chat::new(&bot.api, STAFF_A);
    staff.say("/sessions");
    let list = staff.expect("sendMessage", "Oturumlar").await;
    staff.press(&list, &format!("ss:{by_telegram}"));
    let card = staff.expect("editMessageText", "PCM Temel Eğitimi").await;
    staff.press(&card, &format!("sa:cancel:{by_telegram}"));
    let sure = staff.expect("editMessageText", "iptal edilsin mi").await;
    staff.press(&sure, &format!("sa:cancel!:{by_telegram}"));
    staff.expect("editMessageText", "1 kişiye haber veriliyor").await;
    cli(&bot, &["sessions", "cancel", &by_cli.to_string()]);

    let mut ayse = Chat::new(&bot.api, AYSE);
    let mut mehmet = Chat::new(&bot.api, MEHMET);
    let told_ayse = ayse.expect("sendMessage", "iptal edildi").await;
    let told_mehmet = mehmet.expect("sendMessage", "iptal edildi").await;
    assert_eq!(told_ayse.text(), told_mehmet.text(), "the same notice whichever door");
    for user in [AYSE, MEHMET] {
        let file = bot
            .api
            .wait_for("sendDocument", |c| c.chat_id() == Some(user), crate::helpers::WAIT)
            .await;
        let name = file.params["document"]["filename"].as_str().unwrap().to_owned();
        assert!(name.ends_with("-cancelled.ics"), "{name}");
    }
    for id in [by_telegram, by_cli] {
        let s = store.session(id).await.unwrap().unwrap();
        assert_eq!((s.state, s.sequence), (SessionState::Cancelled, 1));
    }
}
