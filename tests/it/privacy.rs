//! Privacy (KVKK) in the conversation core over a real SQLite file: /privacy explains,
//! /forget erases a person everywhere (proven table by table) while keeping everyone
//! else's data and the counts, old records are anonymised after the retention period,
//! and consent and its withdrawal are recorded.

use crate::helpers::{Sandbox, button, person, press, text};
use eudesk::clock::{Clock, ManualClock};
use eudesk::dialogue;
use eudesk::engine::{Context, Engine, Event, Options, Place, Reply};
use eudesk::ids::{ChatId, MessageId, MessageRef};
use eudesk::lang::{Lang, Localized};
use eudesk::message::{Purpose, Recipient};
use eudesk::storage::{Pending, Store};
use eudesk::tickets::{TicketId, TicketStatus};
use eudesk::trainings::{SessionDetails, SessionId, Status, time::parse_local};
use jiff::{SignedDuration, Timestamp};
use sqlx::{Row, SqlitePool};
use std::sync::Arc;

/// The person who asks to be forgotten: an id no row id, count or timestamp of these
/// tests can contain by chance.
const P: i64 = 7_700_123_456;
/// Another person, whose data must survive.
const Q: i64 = 6_600_654_321;
/// A staff member.
const AYSE: i64 = 900;
/// The staff chat the outbox delivers ticket posts to (as the adapter would).
const STAFF_CHAT: i64 = -100_555_000;

const P_NAME: &str = "Zeynep Kırmızıgül";
const P_EMAIL: &str = "zeynep.kirmizigul@example.org";
const P_PHONE: &str = "0532 987 65 43";
const P_ORG: &str = "Kırmızıgül Gençlik Derneği";
const P_QUESTION: &str = "Benim özel sorum QX7";
const P_SECOND_QUESTION: &str = "İkinci sorum QX7 bütçe hakkında";
const P_FOLLOW_UP: &str = "Takip sorum TAKIP-ZK55 hakkında";
const STAFF_ANSWER: &str = "Bu yanıt-ABC sizin için";

/// Everything P wrote or gave (lowercased: the question log keeps a folded copy), and
/// the staff answer to P's ticket. After /forget, no value in any table may contain
/// any of these.
const P_NEEDLES: &[&str] = &[
    "7700123456",
    "zeynep kırmızıgül",
    "kirmizigul",
    "kırmızıgül",
    "zeynep.kirmizigul@example.org",
    "9876543",
    "qx7",
    "takip-zk55",
    "yanıt-abc",
];

fn clock(at: &str) -> Arc<ManualClock> {
    Arc::new(ManualClock::new(at.parse().unwrap()))
}

/// An engine on the sandbox's database with these options (flood control off, since
/// tests drive people at machine speed).
async fn engine_with_options(sandbox: &Sandbox, options: Options) -> Engine {
    let loaded = dialogue::load(&sandbox.dialogues()).expect("the test tree is valid");
    let store = Store::open(&sandbox.database_url()).await.expect("database opens");
    Engine::with_options(loaded.tree, store, options)
}

async fn engine(sandbox: &Sandbox, clock: &Arc<ManualClock>, retention_days: u32) -> Engine {
    engine_with_options(
        sandbox,
        Options {
            staff: vec![AYSE],
            clock: clock.clone(),
            flood: crate::helpers::lenient_flood(),
            retention_days,
            ..Options::default()
        },
    )
    .await
}

async fn pool(sandbox: &Sandbox) -> SqlitePool {
    SqlitePool::connect(&sandbox.database_url()).await.unwrap()
}

fn all_text(replies: &[Reply]) -> String {
    replies
        .iter()
        .map(|r| r.html.as_str())
        .collect::<Vec<_>>()
        .join("\n---\n")
}

/// One event from `user` in their private chat, with this Telegram first name.
async fn say(engine: &Engine, user: i64, lang: Lang, name: &str, event: Event) -> Vec<Reply> {
    let ctx = Context {
        place: Place::Private,
        first_name: name.to_owned(),
        reply_to_ticket: None,
        update: None,
        admitted: false,
        reply_in: None,
    };
    engine.handle_in(person(user, lang), ctx, event).await.unwrap()
}

/// A session in office time ("2026-12-10 10:00").
async fn session(engine: &Engine, starts: &str, ends: &str, deadline: &str, capacity: u32) -> SessionId {
    engine
        .store()
        .create_session(
            &SessionDetails {
                title: Localized::new("PCM Temel Eğitimi".to_owned(), "PCM Basics".to_owned()),
                starts: parse_local(starts).unwrap(),
                ends: parse_local(ends).unwrap(),
                place: "İzmir Valiliği".to_owned(),
                capacity,
                deadline: parse_local(deadline).unwrap(),
                second_reminder: None,
            }
            .check()
            .unwrap(),
        )
        .await
        .unwrap()
}

/// Books a session all the way through (name, NGO, organisation, e-mail, phone or
/// skip, consent, confirm); the confirmation's text.
#[allow(clippy::too_many_arguments)]
async fn book(
    engine: &Engine,
    user: i64,
    lang: Lang,
    first_name: &str,
    s: SessionId,
    name: &str,
    org: &str,
    email: &str,
    phone: Option<&str>,
) -> String {
    let mut events = vec![
        press(&format!("s:{}", s.0)),
        text(name),
        press("f:org:ngo"),
        text(org),
        text(email),
    ];
    events.push(match phone {
        Some(p) => text(p),
        None => press("f:skip"),
    });
    events.push(press("f:yes"));
    for event in events {
        say(engine, user, lang, first_name, event).await;
    }
    all_text(&say(engine, user, lang, first_name, press("f:confirm")).await)
}

/// Asks staff a question through /ask and Send; the new ticket's id.
async fn ask(engine: &Engine, user: i64, lang: Lang, name: &str, question: &str) -> TicketId {
    let confirm = say(engine, user, lang, name, text(&format!("/ask {question}"))).await;
    let send = button(
        &confirm[0],
        match lang {
            Lang::Tr => "Gönder",
            Lang::En => "Send",
        },
    );
    say(engine, user, lang, name, press(&send)).await;
    let id = engine.store().tickets_of(user).await.unwrap()[0].id;
    assert_eq!(engine.store().ticket(id).await.unwrap().unwrap().question, question);
    id
}

async fn staff(engine: &Engine, command: &str) -> String {
    all_text(&say(engine, AYSE, Lang::Tr, "Ayşe", text(command)).await)
}

async fn outbox(store: &Store) -> Vec<Pending> {
    let far = "2100-01-01T00:00:00Z".parse::<Timestamp>().unwrap();
    store.due_messages(far, 1000).await.unwrap()
}

/// Every value of every row of every table of the bot (SQLite's and sqlx's own
/// bookkeeping aside), as text: (table, column, value).
async fn every_value(pool: &SqlitePool) -> (Vec<String>, Vec<(String, String, String)>) {
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name != '_sqlx_migrations' ORDER BY name",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    let mut values = Vec::new();
    for table in &tables {
        let columns: Vec<String> = sqlx::query_scalar("SELECT name FROM pragma_table_info(?)")
            .bind(table)
            .fetch_all(pool)
            .await
            .unwrap();
        assert!(!columns.is_empty(), "{table}");
        // Cast to BLOB: the value's text (numbers included) as raw bytes, so that files
        // that are not UTF-8 are searched too.
        let select = columns
            .iter()
            .map(|c| format!("CAST(\"{c}\" AS BLOB)"))
            .collect::<Vec<_>>()
            .join(", ");
        let rows = sqlx::query(&format!("SELECT {select} FROM \"{table}\""))
            .fetch_all(pool)
            .await
            .unwrap();
        for row in rows {
            for (i, column) in columns.iter().enumerate() {
                let value: Option<Vec<u8>> = row.try_get(i).unwrap();
                if let Some(bytes) = value {
                    values.push((
                        table.clone(),
                        column.clone(),
                        String::from_utf8_lossy(&bytes).into_owned(),
                    ));
                }
            }
        }
    }
    (tables, values)
}

/// The values that contain one of `needles` (compared lowercased).
fn traces<'a>(values: &'a [(String, String, String)], needles: &[&str]) -> Vec<(&'a str, &'a str, &'a str, String)> {
    let mut found = Vec::new();
    for (table, column, value) in values {
        let lower = value.to_lowercase();
        for needle in needles {
            if lower.contains(needle) {
                found.push((table.as_str(), column.as_str(), value.as_str(), (*needle).to_owned()));
            }
        }
    }
    found
}

async fn count(pool: &SqlitePool, sql: &str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(pool).await.unwrap()
}

// ─── /privacy ───────────────────────────────────────────────────────────────────────

#[tokio::test]
async fn privacy_explains_what_why_how_long_who_and_the_rights_in_both_languages() {
    let sandbox = Sandbox::new();
    let clock = clock("2026-12-01T09:00:00Z");
    let engine = engine(&sandbox, &clock, 45).await;

    let tr = engine.handle(person(1, Lang::Tr), text("/privacy")).await.unwrap();
    assert_eq!(tr.len(), 1);
    let html = &tr[0].html;
    for expected in [
        "KVKK",
        "Veri sorumlusu: İzmir Valiliği",
        "Ne saklıyoruz, neden?",
        "Telegram kimlik numaranız",
        "Yazdığınız sorular",
        "e-posta ve telefon",
        "açık rızanızla",
        "Ne kadar süre?",
        "45 gün",
        "Haklarınız",
        "11. maddesindeki",
        "silme",
        "/forget",
    ] {
        assert!(html.contains(expected), "missing «{expected}»: {html}");
    }
    crate::hostile::assert_valid_reply(&tr[0]);

    let en = engine.handle(person(2, Lang::En), text("/privacy")).await.unwrap();
    assert_eq!(en.len(), 1);
    let html = &en[0].html;
    for expected in [
        "KVKK",
        "Data controller: Izmir Governorship",
        "What we keep, and why",
        "Telegram id",
        "questions you type",
        "e-mail and phone",
        "explicit consent",
        "For how long?",
        "45 days",
        "Your rights",
        "Article 11",
        "deleted",
        "/forget",
    ] {
        assert!(html.contains(expected), "missing «{expected}»: {html}");
    }
    crate::hostile::assert_valid_reply(&en[0]);

    // The Turkish aliases reach the same text.
    for alias in ["/gizlilik", "/kvkk"] {
        let again = engine.handle(person(1, Lang::Tr), text(alias)).await.unwrap();
        assert_eq!(again[0].html, tr[0].html, "{alias}");
    }
}

// ─── /forget ────────────────────────────────────────────────────────────────────────

#[tokio::test]
async fn forget_asks_first_and_then_leaves_no_trace_in_any_table_while_others_keep_their_data() {
    let sandbox = Sandbox::new();
    let clock = clock("2026-12-01T09:00:00Z");
    let engine = engine(&sandbox, &clock, 365).await;
    let store = engine.store().clone();
    let pool = pool(&sandbox).await;

    // A session P attends before the erasure, one P holds the only seat of with Q
    // waiting behind, and one P is booking when they ask to be forgotten.
    let past = session(&engine, "2026-12-03 10:00", "2026-12-03 17:00", "2026-12-02 17:00", 5).await;
    let upcoming = session(&engine, "2027-01-20 10:00", "2027-01-20 17:00", "2027-01-15 17:00", 1).await;
    let later = session(&engine, "2027-02-10 10:00", "2027-02-10 17:00", "2027-02-05 17:00", 5).await;

    // P chooses English over their client's Turkish.
    say(&engine, P, Lang::Tr, P_NAME, press("l:en")).await;
    let done = book(
        &engine,
        P,
        Lang::Tr,
        P_NAME,
        past,
        P_NAME,
        P_ORG,
        P_EMAIL,
        Some(P_PHONE),
    )
    .await;
    assert!(done.contains("seat 1 of 5"), "{done}");
    let done = book(
        &engine,
        P,
        Lang::Tr,
        P_NAME,
        upcoming,
        P_NAME,
        P_ORG,
        P_EMAIL,
        Some(P_PHONE),
    )
    .await;
    assert!(done.contains("seat 1 of 1"), "{done}");
    let done = book(
        &engine,
        Q,
        Lang::Tr,
        "Ali",
        upcoming,
        "Ali Veli",
        "Veli Vakfı",
        "ali.veli@example.org",
        None,
    )
    .await;
    assert!(done.contains("sıranız 1"), "Q waits behind P: {done}");
    let phone: Option<String> =
        sqlx::query_scalar("SELECT phone FROM registrations WHERE user_id = ? AND session_id = ?")
            .bind(P)
            .bind(past.0)
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(phone.as_deref(), Some("+905329876543"));

    // Free-text questions, answered or not, from both.
    for q in [
        "Benim özel sorum QX7 nedir",
        "mantıksal çerçeve matrisi nedir",
        "Zeynep Kırmızıgül vize başvurusu",
        "proje bütçesi",
    ] {
        say(&engine, P, Lang::Tr, P_NAME, text(q)).await;
    }
    say(&engine, Q, Lang::Tr, "Ali", text("Ali'nin erasmus sorusu")).await;

    // Two tickets of P: one answered by staff (and delivered), one answered and then
    // followed up; and a ticket of Q, taken by staff.
    let answered = ask(&engine, P, Lang::En, P_NAME, P_QUESTION).await;
    staff(&engine, &format!("/take {answered}")).await;
    let reply = staff(&engine, &format!("/reply {answered} {STAFF_ANSWER}")).await;
    say(&engine, AYSE, Lang::Tr, "Ayşe", press(&format!("k:send:{answered}"))).await;
    assert!(reply.contains(&format!("#{answered}")), "{reply}");
    let followed = ask(&engine, P, Lang::En, P_NAME, P_SECOND_QUESTION).await;
    staff(&engine, &format!("/reply {followed} Form B.")).await;
    say(&engine, AYSE, Lang::Tr, "Ayşe", press(&format!("k:send:{followed}"))).await;
    let prompt = say(&engine, P, Lang::En, P_NAME, press(&format!("k:follow:{followed}"))).await;
    assert!(
        all_text(&prompt).contains(&format!("#{followed}")),
        "{}",
        all_text(&prompt)
    );
    let added = say(&engine, P, Lang::En, P_NAME, text(P_FOLLOW_UP)).await;
    assert!(all_text(&added).contains("added your message"), "{}", all_text(&added));
    let q_ticket = ask(&engine, Q, Lang::Tr, "Ali", "Ali'nin talebi hibe hakkında").await;
    staff(&engine, &format!("/take {q_ticket}")).await;

    // The outbox worker delivers some messages (ticket posts to the staff chat, the
    // first answer to P) and leaves the rest pending.
    let mut message_id = 100;
    for pending in outbox(&store).await {
        let chat = match (pending.message.to, pending.message.purpose) {
            (Recipient::Staff, Some(Purpose::TicketPost { .. })) => STAFF_CHAT,
            (Recipient::Chat(chat), Some(Purpose::TicketAnswer { ticket })) if ticket == answered && chat.0 == P => P,
            _ => continue,
        };
        message_id += 1;
        crate::helpers::mark_sent(&store, pending.id, clock.now()).await;
        let landed = MessageRef::new(ChatId(chat), MessageId(message_id));
        eudesk::tickets::staff::delivered(&engine, &pending, &[landed])
            .await
            .unwrap();
    }
    let to_p: Vec<(String, i64)> =
        sqlx::query_as("SELECT state, COUNT(*) FROM outbox WHERE chat_id = ? GROUP BY state")
            .bind(P)
            .fetch_all(&pool)
            .await
            .unwrap();
    assert!(
        to_p.iter().any(|(s, n)| s == "sent" && *n > 0) && to_p.iter().any(|(s, n)| s == "pending" && *n > 0),
        "messages to P both sent and pending: {to_p:?}"
    );
    assert_eq!(
        count(
            &pool,
            &format!("SELECT COUNT(*) FROM ticket_messages WHERE chat_id = {P}")
        )
        .await,
        1
    );

    // P is in the middle of a booking, their name already typed.
    say(&engine, P, Lang::En, P_NAME, press(&format!("s:{}", later.0))).await;
    let step = all_text(&say(&engine, P, Lang::En, P_NAME, text(P_NAME)).await);
    assert!(step.contains("Step 2"), "{step}");
    let conv = store.conversation(P).await.unwrap().expect("P's conversation");
    assert_eq!(conv.lang, Some(Lang::En));
    assert!(conv.flow.as_deref().is_some_and(|f| f.contains(P_NAME)), "{conv:?}");

    // The past session has ended.
    clock.set("2026-12-05T09:00:00Z".parse().unwrap());

    // The history is rich: every one of P's strings is somewhere before the erasure.
    let (_, before) = every_value(&pool).await;
    for needle in P_NEEDLES {
        assert!(
            !traces(&before, &[needle]).is_empty(),
            "the test's history should hold «{needle}» before /forget"
        );
    }
    let stats_before = eudesk::stats::of(&store, &[]).await.unwrap();
    let tickets_before = (
        stats_before.tickets_open,
        stats_before.tickets_answered,
        stats_before.tickets_closed,
    );
    assert_eq!(tickets_before.0 + tickets_before.1 + tickets_before.2, 3);

    // /forget only asks.
    let asked = say(&engine, P, Lang::En, P_NAME, text("/forget")).await;
    assert_eq!(asked.len(), 1);
    assert!(asked[0].html.contains("This cannot be undone"), "{}", asked[0].html);
    assert_eq!(button(&asked[0], "Yes, erase my data"), "x:forget");
    assert_eq!(button(&asked[0], "Main menu"), "n:main");
    let (_, unchanged) = every_value(&pool).await;
    assert_eq!(
        traces(&unchanged, P_NEEDLES).len(),
        traces(&before, P_NEEDLES).len(),
        "asking erases nothing"
    );
    // Going back to the menu instead erases nothing either.
    say(&engine, P, Lang::En, P_NAME, press("n:main")).await;
    assert!(store.conversation(P).await.unwrap().is_some());
    assert_eq!(store.tickets_of(P).await.unwrap().len(), 2);

    // Confirmed.
    let erased = say(&engine, P, Lang::En, P_NAME, press("x:forget")).await;
    assert_eq!(erased.len(), 1);
    assert!(
        erased[0].html.contains("Everything about you has been erased"),
        "{}",
        erased[0].html
    );
    assert_eq!(
        count(
            &pool,
            &format!("SELECT COUNT(*) FROM conversations WHERE user_id = {P}")
        )
        .await,
        0,
        "the turn that erased P does not save P's conversation again"
    );

    // P's seat went to Q, who is told.
    let regs = store.registrations(upcoming).await.unwrap();
    let q_reg = regs
        .iter()
        .find(|r| r.user == eudesk::ids::UserId(Q))
        .expect("Q's registration is kept");
    assert_eq!(q_reg.status, Status::Confirmed, "{regs:#?}");
    assert_eq!(q_reg.attendee.name.as_str(), "Ali Veli");
    assert_eq!(q_reg.attendee.email.as_str(), "ali.veli@example.org");
    let p_reg = regs
        .iter()
        .find(|r| r.user != eudesk::ids::UserId(Q))
        .expect("P's row is kept, anonymised");
    assert_eq!(p_reg.status, Status::Cancelled);
    assert!(p_reg.user < eudesk::ids::UserId(0), "{p_reg:?}");
    let owed = outbox(&store).await;
    assert!(
        owed.iter()
            .any(|m| m.message.to == Recipient::Chat(eudesk::ids::ChatId(Q)) && m.message.html.contains("Yer açıldı")),
        "Q is told they moved up: {owed:#?}"
    );
    // The past registration is kept for statistics, anonymised, not cancelled.
    let past_regs = store.registrations(past).await.unwrap();
    assert_eq!(past_regs.len(), 1);
    assert_eq!(past_regs[0].status, Status::Confirmed);
    assert_eq!(past_regs[0].attendee.name.as_str(), "anonim");

    // THE CHECK: nothing of P in any table.
    let (tables, after) = every_value(&pool).await;
    for expected in [
        "conversations",
        "outbox",
        "privacy_log",
        "processed_updates",
        "questions",
        "registrations",
        "reminders_sent",
        "sessions",
        "settings",
        "ticket_events",
        "ticket_messages",
        "tickets",
    ] {
        assert!(
            tables.iter().any(|t| t == expected),
            "table {expected} is checked: {tables:?}"
        );
    }
    let left = traces(&after, P_NEEDLES);
    assert!(left.is_empty(), "P's data left after /forget: {left:#?}");
    let as_id: Vec<_> = after.iter().filter(|(_, _, v)| v == &P.to_string()).collect();
    assert!(as_id.is_empty(), "P's id left: {as_id:?}");

    // Q's data is all there.
    for needle in [
        "ali veli",
        "ali.veli@example.org",
        "ali'nin talebi",
        "ali'nin erasmus",
        "6600654321",
    ] {
        assert!(!traces(&after, &[needle]).is_empty(), "Q's «{needle}» is kept");
    }
    let q_conv = store.conversation(Q).await.unwrap().expect("Q's conversation is kept");
    assert_eq!(q_conv.user, Q);
    let q_tickets = store.tickets_of(Q).await.unwrap();
    assert_eq!(q_tickets.len(), 1);
    assert_eq!(q_tickets[0].question, "Ali'nin talebi hibe hakkında");
    assert_eq!(q_tickets[0].taken_by.as_ref().map(|t| t.0), Some(AYSE));
    assert_eq!(
        count(&pool, &format!("SELECT COUNT(*) FROM questions WHERE user_id = {Q}")).await,
        1
    );

    // Tickets are counted as before, P's two (one open after the follow-up, one
    // answered) now closed as erased; they still exist, anonymised.
    let stats = eudesk::stats::of(&store, &[]).await.unwrap();
    let (open, answered_before, closed) = tickets_before;
    assert_eq!(
        (stats.tickets_open, stats.tickets_answered, stats.tickets_closed),
        (open - 1, answered_before - 1, closed + 2)
    );
    for id in [answered, followed] {
        let events = store.ticket_events(id).await.unwrap();
        assert_eq!(events.last().map(|e| e.kind), Some(eudesk::tickets::EventKind::Erased));
    }
    for id in [answered, followed] {
        let ticket = store.ticket(id).await.unwrap().expect("the ticket is kept");
        assert!(
            ticket.user < eudesk::ids::UserId(0) && ticket.question.is_empty(),
            "{ticket:?}"
        );
        assert_eq!(ticket.status, TicketStatus::Closed, "nobody is left to answer");
    }
    assert!(store.tickets_of(P).await.unwrap().is_empty());

    // The office's record of the erasure, without whose.
    let log: Vec<(String, String)> = sqlx::query_as("SELECT action, detail FROM privacy_log")
        .fetch_all(&pool)
        .await
        .unwrap();
    assert_eq!(log.len(), 1, "{log:?}");
    assert_eq!(log[0].0, "forget");
    assert!(!log[0].1.contains(&P.to_string()), "{log:?}");
    assert!(log[0].1.contains("cancelled: 1"), "{log:?}");
    assert!(log[0].1.contains("tickets anonymised: 2"), "{log:?}");

    // P can start again, as a stranger.
    let fresh = say(&engine, P, Lang::Tr, "Z", text("/start")).await;
    assert!(fresh[0].html.contains("Merhaba"), "{}", fresh[0].html);
    let mine = all_text(&say(&engine, P, Lang::Tr, "Z", text("/myregistrations")).await);
    assert!(mine.contains("Yaklaşan bir eğitim kaydınız yok"), "{mine}");
    let tickets = all_text(&say(&engine, P, Lang::Tr, "Z", text("/mytickets")).await);
    assert!(!tickets.contains("QX7"), "{tickets}");
}

#[tokio::test]
async fn forget_of_a_person_the_bot_never_saw_erases_nothing_else() {
    let sandbox = Sandbox::new();
    let clock = clock("2026-12-01T09:00:00Z");
    let engine = engine(&sandbox, &clock, 365).await;
    let pool = pool(&sandbox).await;
    say(&engine, Q, Lang::Tr, "Ali", text("Ali'nin erasmus sorusu")).await;
    let q = ask(&engine, Q, Lang::Tr, "Ali", "Ali'nin talebi").await;
    let (_, before) = every_value(&pool).await;
    // A press of "x:forget" with no /forget before it (an old button, or hand-made).
    let erased = say(&engine, P, Lang::En, "", press("x:forget")).await;
    assert!(erased[0].html.contains("erased"), "{}", erased[0].html);
    let (_, after) = every_value(&pool).await;
    let without_log = |v: &[(String, String, String)]| {
        v.iter()
            .filter(|(t, _, _)| t != "privacy_log")
            .cloned()
            .collect::<Vec<_>>()
    };
    assert_eq!(without_log(&before), without_log(&after));
    assert_eq!(
        engine.store().ticket(q).await.unwrap().unwrap().question,
        "Ali'nin talebi"
    );
    assert_eq!(
        count(
            &pool,
            &format!("SELECT COUNT(*) FROM conversations WHERE user_id = {P}")
        )
        .await,
        0
    );
}

// ─── Retention ──────────────────────────────────────────────────────────────────────

#[tokio::test]
async fn retention_anonymises_tickets_closed_and_registrations_ended_before_the_period_only() {
    let sandbox = Sandbox::new();
    let clock = clock("2026-10-01T09:00:00Z");
    let engine = engine(&sandbox, &clock, 30).await;
    let store = engine.store().clone();
    let pool = pool(&sandbox).await;
    let old = session(&engine, "2026-10-05 10:00", "2026-10-05 17:00", "2026-10-04 17:00", 5).await;
    let recent = session(&engine, "2026-11-04 10:00", "2026-11-04 17:00", "2026-11-03 17:00", 5).await;
    for s in [old, recent] {
        let done = book(&engine, P, Lang::Tr, P_NAME, s, P_NAME, P_ORG, P_EMAIL, Some(P_PHONE)).await;
        assert!(done.contains("koltuk 1 / 5"), "{done}");
    }
    let old_ticket = ask(&engine, P, Lang::Tr, P_NAME, "Eski sorum QX7").await;
    let recent_ticket = ask(&engine, P, Lang::Tr, P_NAME, "Yeni sorum QX8").await;
    // Still open (never closed), however old: kept.
    let open_ticket = ask(&engine, Q, Lang::Tr, "Ali", "Açık kalan soru").await;
    clock.set("2026-10-05T15:00:00Z".parse().unwrap());
    staff(&engine, &format!("/reply {old_ticket} Eski yanıt")).await;
    say(&engine, AYSE, Lang::Tr, "Ayşe", press(&format!("k:send:{old_ticket}"))).await;
    say(&engine, P, Lang::Tr, P_NAME, press(&format!("k:solved:{old_ticket}"))).await;
    clock.set("2026-11-04T15:00:00Z".parse().unwrap());
    staff(&engine, &format!("/close {recent_ticket}")).await;
    for id in [old_ticket, recent_ticket] {
        assert_eq!(store.ticket(id).await.unwrap().unwrap().status, TicketStatus::Closed);
    }

    // 40 days after the old session and ticket, 10 after the recent ones.
    clock.set("2026-11-14T15:00:00Z".parse().unwrap());
    assert_eq!(eudesk::scheduler::apply_retention(&engine).await.unwrap(), (1, 1));

    let old_regs = store.registrations(old).await.unwrap();
    assert_eq!(old_regs.len(), 1);
    assert!(old_regs[0].user < eudesk::ids::UserId(0), "{:?}", old_regs[0]);
    assert_eq!(old_regs[0].attendee.name.as_str(), "anonim");
    assert!(old_regs[0].attendee.phone.is_none());
    assert!(!old_regs[0].attendee.email.as_str().contains("kirmizigul"));
    assert_eq!(old_regs[0].status, Status::Confirmed, "kept for statistics");
    let recent_regs = store.registrations(recent).await.unwrap();
    assert_eq!(recent_regs[0].user, eudesk::ids::UserId(P));
    assert_eq!(recent_regs[0].attendee.name.as_str(), P_NAME);
    assert_eq!(recent_regs[0].attendee.email.as_str(), P_EMAIL);

    let t = store.ticket(old_ticket).await.unwrap().unwrap();
    assert!(
        t.user < eudesk::ids::UserId(0) && t.question.is_empty() && t.first_name.is_empty(),
        "{t:?}"
    );
    assert_eq!(t.status, TicketStatus::Closed);
    assert!(
        store
            .ticket_events(old_ticket)
            .await
            .unwrap()
            .iter()
            .all(|e| e.text.is_none() && e.author.is_none())
    );
    let t = store.ticket(recent_ticket).await.unwrap().unwrap();
    assert_eq!((t.user.0, t.question.as_str()), (P, "Yeni sorum QX8"));
    let t = store.ticket(open_ticket).await.unwrap().unwrap();
    assert_eq!((t.user.0, t.question.as_str()), (Q, "Açık kalan soru"));
    // Nothing about the old ticket is left in the outbox either.
    let (_, values) = every_value(&pool).await;
    assert!(
        traces(&values, &["qx7", "eski yanıt"]).is_empty(),
        "{:#?}",
        traces(&values, &["qx7", "eski yanıt"])
    );
    assert!(!traces(&values, &["qx8"]).is_empty());

    let log: Vec<(String, String)> = sqlx::query_as("SELECT action, detail FROM privacy_log")
        .fetch_all(&pool)
        .await
        .unwrap();
    assert_eq!(log.len(), 1, "{log:?}");
    assert_eq!(log[0].0, "retention");

    // Done once: a second pass finds nothing, logs nothing.
    assert_eq!(eudesk::scheduler::apply_retention(&engine).await.unwrap(), (0, 0));
    assert_eq!(count(&pool, "SELECT COUNT(*) FROM privacy_log").await, 1);

    // Ten days later the recent ones are old enough too.
    clock.advance(SignedDuration::from_hours(24 * 21));
    assert_eq!(eudesk::scheduler::apply_retention(&engine).await.unwrap(), (1, 1));
    let (_, values) = every_value(&pool).await;
    assert!(traces(&values, &["qx8", "kirmizigul"]).is_empty());
}

// ─── Consent ────────────────────────────────────────────────────────────────────────

#[tokio::test]
async fn a_registration_records_the_consent_version_and_forget_records_its_withdrawal() {
    let sandbox = Sandbox::new();
    let clock = clock("2026-12-01T09:00:00Z");
    let engine = engine(&sandbox, &clock, 365).await;
    let pool = pool(&sandbox).await;
    let s = session(&engine, "2026-12-10 10:00", "2026-12-10 17:00", "2026-12-08 17:00", 5).await;
    book(&engine, P, Lang::Tr, P_NAME, s, P_NAME, P_ORG, P_EMAIL, None).await;
    book(
        &engine,
        Q,
        Lang::Tr,
        "Ali",
        s,
        "Ali Veli",
        "Veli Vakfı",
        "ali.veli@example.org",
        None,
    )
    .await;
    let consent = |user: i64| {
        let pool = pool.clone();
        async move {
            sqlx::query_as::<_, (String, Option<String>)>(
                "SELECT consent_version, consent_withdrawn_at FROM registrations WHERE user_id = ?",
            )
            .bind(user)
            .fetch_all(&pool)
            .await
            .unwrap()
        }
    };
    assert_eq!(consent(P).await, [("test-1".to_owned(), None)]);
    let reg = engine.store().registrations(s).await.unwrap();
    assert_eq!(reg[0].consent_version, "test-1");

    clock.advance(SignedDuration::from_hours(1));
    say(&engine, P, Lang::Tr, P_NAME, text("/forget")).await;
    say(&engine, P, Lang::Tr, P_NAME, press("x:forget")).await;

    let rows: Vec<(String, Option<String>, String)> =
        sqlx::query_as("SELECT consent_version, consent_withdrawn_at, status FROM registrations WHERE user_id < 0")
            .fetch_all(&pool)
            .await
            .unwrap();
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0].0, "test-1", "which text was consented to is kept");
    let withdrawn: Timestamp = rows[0].1.as_deref().expect("withdrawal recorded").parse().unwrap();
    assert_eq!(withdrawn, clock.now());
    assert_eq!(rows[0].2, "cancelled");
    assert_eq!(consent(Q).await, [("test-1".to_owned(), None)], "Q's consent stands");
}

// ─── Retention: what else ties a person to an anonymised record ─────────────────────

/// P books a session and is reminded of it the day before; P asks a question the bot
/// cannot answer and passes it to staff ("Ask staff"), and staff close the ticket with
/// a note; every message is sent. 40 days later (retention 30) the registration and
/// the ticket are anonymised. Returns the ticket's number.
async fn anonymised_by_retention(engine: &Engine, clock: &Arc<ManualClock>) -> TicketId {
    let old = session(engine, "2026-10-05 10:00", "2026-10-05 17:00", "2026-10-04 17:00", 5).await;
    book(engine, P, Lang::Tr, P_NAME, old, P_NAME, P_ORG, P_EMAIL, Some(P_PHONE)).await;
    say(engine, P, Lang::Tr, P_NAME, text("Erasmus QX7 hibesi ne zaman")).await;
    say(engine, P, Lang::Tr, P_NAME, press("q:")).await;
    say(engine, P, Lang::Tr, P_NAME, press("f:send")).await;
    let ticket = engine.store().tickets_of(P).await.unwrap()[0].id;
    assert_eq!(
        engine.store().ticket(ticket).await.unwrap().unwrap().question,
        "Erasmus QX7 hibesi ne zaman"
    );
    clock.set("2026-10-04T09:00:00Z".parse().unwrap());
    assert_eq!(eudesk::scheduler::queue_reminders(engine).await.unwrap(), 1);
    staff(engine, &format!("/close {ticket} QX7 notu")).await;
    for pending in outbox(engine.store()).await {
        crate::helpers::mark_sent(engine.store(), pending.id, clock.now()).await;
    }
    clock.set("2026-11-14T15:00:00Z".parse().unwrap());
    assert_eq!(eudesk::scheduler::apply_retention(engine).await.unwrap(), (1, 1));
    let t = engine.store().ticket(ticket).await.unwrap().unwrap();
    assert!(t.user < eudesk::ids::UserId(0) && t.question.is_empty(), "{t:?}");
    ticket
}

/// The outbox rows addressed to P, as (html).
async fn sent_to_p(pool: &SqlitePool) -> Vec<String> {
    sqlx::query_scalar("SELECT html FROM outbox WHERE chat_id = ?")
        .bind(P)
        .fetch_all(pool)
        .await
        .unwrap()
}

#[tokio::test]
async fn retention_leaves_no_closing_notice_tying_the_person_to_an_anonymised_ticket() {
    let sandbox = Sandbox::new();
    let clock = clock("2026-10-01T09:00:00Z");
    let engine = engine(&sandbox, &clock, 30).await;
    let pool = pool(&sandbox).await;
    let ticket = anonymised_by_retention(&engine, &clock).await;
    let tied: Vec<String> = sent_to_p(&pool)
        .await
        .into_iter()
        .filter(|html| html.contains(&format!("#{ticket} ")) || html.contains("QX7"))
        .collect();
    assert!(
        tied.is_empty(),
        "after retention the outbox still tells P's chat about anonymised ticket #{ticket}: {tied:#?}"
    );
}

#[tokio::test]
async fn retention_leaves_no_reminder_tying_the_person_to_the_session_of_an_anonymised_registration() {
    let sandbox = Sandbox::new();
    let clock = clock("2026-10-01T09:00:00Z");
    let engine = engine(&sandbox, &clock, 30).await;
    let pool = pool(&sandbox).await;
    anonymised_by_retention(&engine, &clock).await;
    let tied: Vec<String> = sent_to_p(&pool)
        .await
        .into_iter()
        .filter(|html| html.contains("5 Ekim 2026"))
        .collect();
    assert!(
        tied.is_empty(),
        "after retention the outbox still shows P was booked on the session of their anonymised registration: {tied:#?}"
    );
}

#[tokio::test]
async fn retention_leaves_the_text_of_an_anonymised_ticket_nowhere() {
    let sandbox = Sandbox::new();
    let clock = clock("2026-10-01T09:00:00Z");
    let engine = engine(&sandbox, &clock, 30).await;
    let pool = pool(&sandbox).await;
    anonymised_by_retention(&engine, &clock).await;
    let (_, values) = every_value(&pool).await;
    // The closing notice in the outbox is the test above; here, the question log.
    let values: Vec<_> = values.into_iter().filter(|(table, _, _)| table != "outbox").collect();
    let left = traces(&values, &["qx7"]);
    assert!(
        left.is_empty(),
        "the anonymised ticket's text is still stored: {left:#?}"
    );
}
