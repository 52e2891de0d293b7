//! Hostile and odd input, table-driven, in the conversation core over a real SQLite
//! file: texts at Telegram's limits, empty, emoji, right-to-left, control characters,
//! HTML, Markdown, SQL; hand-made callback data; flood control. Every reply must be
//! valid for Telegram (HTML parse mode, 4,096 UTF-16 units, 64-byte callback data),
//! and nothing may change that should not.

use crate::helpers::{Sandbox, person, press, text};
use eudesk::clock::ManualClock;
use eudesk::dialogue;
use eudesk::engine::{Context, Engine, Event, Options, Place, Reply, Target};
use eudesk::lang::{Lang, Localized};
use eudesk::storage::Store;
use eudesk::telegram::split::{TELEGRAM_LIMIT, split_html};
use eudesk::tickets::TicketStatus;
use eudesk::trainings::{SessionDetails, SessionId, Status, time::parse_local};
use jiff::SignedDuration;
use sqlx::SqlitePool;
use std::collections::BTreeMap;
use std::sync::Arc;

const STAFF: i64 = 900;
/// The person whose registration and ticket others try to reach.
const OWNER: i64 = 555_000_111;

// ─── What Telegram accepts ──────────────────────────────────────────────────────────

/// Why `html` would be refused by Telegram's HTML parse mode, if it would: only the
/// tags b, i, u, s, code, pre, blockquote and a, properly nested and closed; every
/// `<`, `>` and `&` that is not part of a tag or entity escaped; only the named
/// entities Telegram knows, or numeric ones.
pub(crate) fn html_problem(html: &str) -> Option<String> {
    const TAGS: [&str; 8] = ["b", "i", "u", "s", "code", "pre", "blockquote", "a"];
    let mut open: Vec<&str> = Vec::new();
    let mut rest = html;
    while let Some(at) = rest.find(['<', '>', '&']) {
        let after = &rest[at + 1..];
        match rest.as_bytes()[at] {
            b'<' => {
                let Some(end) = after.find('>') else {
                    return Some(format!("a '<' that opens no tag at «{}»", excerpt(&rest[at..])));
                };
                let tag = &after[..end];
                if let Some(name) = tag.strip_prefix('/') {
                    match open.pop() {
                        Some(top) if top == name => {}
                        top => return Some(format!("</{name}> closes {top:?}")),
                    }
                } else {
                    let (name, attrs) = tag.split_once(char::is_whitespace).unwrap_or((tag, ""));
                    if !TAGS.contains(&name) {
                        return Some(format!("unknown or unescaped tag <{tag}>"));
                    }
                    let attrs = attrs.trim();
                    let ok = match name {
                        "a" => attrs
                            .strip_prefix("href=\"")
                            .and_then(|v| v.strip_suffix('"'))
                            .is_some_and(|v| !v.is_empty() && !v.contains(['"', '<', '>'])),
                        "code" => attrs.is_empty() || attrs.starts_with("class=\"language-"),
                        "blockquote" => attrs.is_empty() || attrs == "expandable",
                        _ => attrs.is_empty(),
                    };
                    if !ok {
                        return Some(format!("bad attributes in <{tag}>"));
                    }
                    open.push(name);
                }
                rest = &after[end + 1..];
            }
            b'>' => return Some(format!("an unescaped '>' at «{}»", excerpt(&rest[at..]))),
            _ => {
                let entity = after.split_once(';').map(|(e, _)| e).filter(|e| e.len() <= 10);
                let known = entity.is_some_and(|e| {
                    matches!(e, "amp" | "lt" | "gt" | "quot")
                        || e.strip_prefix("#x")
                            .or_else(|| e.strip_prefix("#X"))
                            .is_some_and(|h| !h.is_empty() && h.chars().all(|c| c.is_ascii_hexdigit()))
                        || e.strip_prefix('#')
                            .is_some_and(|d| !d.is_empty() && d.chars().all(|c| c.is_ascii_digit()))
                });
                if !known {
                    return Some(format!("a '&' that is no entity at «{}»", excerpt(&rest[at..])));
                }
                rest = after;
            }
        }
    }
    if !open.is_empty() {
        return Some(format!("tags left open: {open:?}"));
    }
    None
}

fn excerpt(s: &str) -> String {
    s.chars().take(40).collect()
}

#[test]
fn the_html_checker_accepts_telegram_html_and_refuses_the_rest() {
    for good in [
        "",
        "plain",
        "<b>bold</b> <i>it</i> <u>u</u> <s>s</s> <code>c</code> <pre>p</pre>",
        "<blockquote>q</blockquote> <a href=\"https://example.org/?a=1&amp;b=2\">x</a>",
        "&lt;script&gt; &amp; &quot; &#39; &#x1F600;",
        "<b><i>nested</i></b>",
    ] {
        assert_eq!(html_problem(good), None, "{good}");
    }
    for bad in [
        "<script>alert(1)</script>",
        "a < b",
        "a > b",
        "fish & chips",
        "&nbsp;",
        "<b>open",
        "<b><i>crossed</b></i>",
        "</b>",
        "<a>no href</a>",
        "<b class=\"x\">attr</b>",
    ] {
        assert!(html_problem(bad).is_some(), "{bad}");
    }
}

/// Asserts that Telegram would accept this reply: valid HTML that the adapter, which
/// splits long replies with `split_html`, sends as pieces each within the length limit
/// and valid on its own; callback data of at most 64 bytes.
pub(crate) fn assert_valid_reply(reply: &Reply) {
    if let Some(problem) = html_problem(&reply.html) {
        panic!("invalid Telegram HTML ({problem}): {:?}", reply.html);
    }
    let pieces = split_html(&reply.html, TELEGRAM_LIMIT);
    for piece in &pieces {
        let units = piece.encode_utf16().count();
        assert!(
            units <= TELEGRAM_LIMIT,
            "a piece of {units} UTF-16 units, over Telegram's limit: {:?}…",
            excerpt(piece)
        );
        if let Some(problem) = html_problem(piece) {
            panic!("a piece is invalid Telegram HTML ({problem}): {piece:?}");
        }
    }
    for b in reply.keyboard.iter().flatten() {
        match &b.target {
            Target::Callback(pressed) => {
                let data = eudesk::telegram::callback_data::encode(pressed);
                assert!(!data.is_empty() && data.len() <= 64, "callback data {data:?} of {b:?}")
            }
            Target::Url(url) => assert!(url.starts_with("https://") || url.starts_with("http://"), "{url}"),
        }
        assert!(!b.label.trim().is_empty(), "a button without a label: {b:?}");
    }
}

fn assert_sensible(replies: &[Reply], what: &str) {
    assert!(!replies.is_empty(), "no reply to {what}");
    for reply in replies {
        assert!(
            !reply.html.trim().is_empty() || reply.document.is_some(),
            "an empty reply to {what}"
        );
        assert_valid_reply(reply);
    }
}

// ─── Setting up ─────────────────────────────────────────────────────────────────────

fn clock() -> Arc<ManualClock> {
    Arc::new(ManualClock::new("2026-12-01T09:00:00Z".parse().unwrap()))
}

async fn engine_with(sandbox: &Sandbox, clock: &Arc<ManualClock>, flood: eudesk::flood::Limits) -> Engine {
    let loaded = dialogue::load(&sandbox.dialogues()).expect("the test tree is valid");
    let store = Store::open(&sandbox.database_url()).await.expect("database opens");
    Engine::with_options(
        loaded.tree,
        store,
        Options {
            staff: vec![STAFF],
            clock: clock.clone(),
            flood,
            ..Options::default()
        },
    )
}

async fn session(engine: &Engine, capacity: u32) -> SessionId {
    engine
        .store()
        .create_session(
            &SessionDetails {
                title: Localized::new("PCM Temel Eğitimi".to_owned(), "PCM Basics".to_owned()),
                starts: parse_local("2026-12-10 10:00").unwrap(),
                ends: parse_local("2026-12-10 17:00").unwrap(),
                place: "İzmir Valiliği".to_owned(),
                capacity,
                deadline: parse_local("2026-12-08 17:00").unwrap(),
                second_reminder: None,
            }
            .check()
            .unwrap(),
        )
        .await
        .unwrap()
}

fn private(name: &str) -> Context {
    Context {
        place: Place::Private,
        first_name: name.to_owned(),
        reply_to_ticket: None,
        update: None,
        admitted: false,
        reply_in: None,
    }
}

/// The number of rows of every table but those a question or a turn may add to.
async fn row_counts(pool: &SqlitePool) -> BTreeMap<String, i64> {
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name != '_sqlx_migrations'
         AND name NOT IN ('conversations', 'questions', 'processed_updates') ORDER BY name",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    let mut counts = BTreeMap::new();
    for table in tables {
        let n: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) FROM \"{table}\""))
            .fetch_one(pool)
            .await
            .unwrap();
        counts.insert(table, n);
    }
    counts
}

/// A text of exactly `n` characters: words, Turkish letters and punctuation.
fn long_text(n: usize) -> String {
    let text: String = "Erasmus hibesi ne zaman açıklanır, başvuru şartları nelerdir? "
        .chars()
        .cycle()
        .take(n)
        .collect();
    assert_eq!(text.chars().count(), n);
    text
}

fn hostile_texts() -> Vec<(&'static str, String)> {
    vec![
        ("4,096 characters", long_text(4096)),
        ("4,097 characters", long_text(4097)),
        ("4,096 UTF-16 units of emoji", "😀".repeat(2048)),
        ("4,097 ampersands (each escaped to five)", "&".repeat(4097)),
        ("empty", String::new()),
        ("whitespace only", "   \n\t ".to_owned()),
        ("only emoji", "😀🎉🇹🇷".to_owned()),
        ("Arabic", "مرحبا كيف حالك".to_owned()),
        ("Hebrew", "שלום, מה שלומך?".to_owned()),
        ("right-to-left override", "\u{202E}erasmus\u{202C} hibesi".to_owned()),
        ("control characters", "\u{0}\u{7}\u{1b}[31m".to_owned()),
        ("HTML", "<script>alert(1)</script> & <b>".to_owned()),
        ("entities", "&amp; &lt;b&gt; &#60;i&#62; &nbsp;".to_owned()),
        ("Markdown", "*bold* _it_ `code` [x](http://e.vil)".to_owned()),
        ("SQL", "'; DROP TABLE conversations; --".to_owned()),
        ("SQL or", "1 OR 1=1".to_owned()),
        ("a lone slash command", "/".to_owned()),
        ("an unknown command with HTML", "/<b>x</b> <i>".to_owned()),
        ("a command 4,097 characters long", format!("/{}", "a".repeat(4096))),
    ]
}

// ─── Texts ──────────────────────────────────────────────────────────────────────────

/// Each hostile text, typed (1) as a question in each language, (2) as the name and
/// organisation of a booking in progress, (3) as the question of "Ask staff" and
/// (4) after /ask: every reply is sensible and valid, and nothing is stored but the
/// question log and the person's place.
#[tokio::test]
async fn hostile_texts_get_valid_replies_and_change_nothing_they_should_not() {
    let sandbox = Sandbox::new();
    let clock = clock();
    let engine = engine_with(&sandbox, &clock, crate::helpers::lenient_flood()).await;
    let pool = SqlitePool::connect(&sandbox.database_url()).await.unwrap();
    let s = session(&engine, 5).await;
    let mut user = 10_000;
    for (what, input) in hostile_texts() {
        let scripts: Vec<(&str, Lang, Vec<Event>)> = vec![
            ("a question", Lang::Tr, vec![text(&input)]),
            ("a question", Lang::En, vec![text(&input)]),
            (
                "a booking's name and organisation",
                Lang::Tr,
                vec![
                    press(&format!("s:{}", s.0)),
                    text(&input),
                    press("f:org:ngo"),
                    text(&input),
                    text("kisi@example.org"),
                    press("f:skip"),
                    press("f:yes"),
                ],
            ),
            ("ask staff", Lang::En, vec![press("q:"), text(&input)]),
            ("after /ask", Lang::Tr, vec![text(&format!("/ask {input}"))]),
        ];
        for (context, lang, events) in scripts {
            user += 1;
            let before = row_counts(&pool).await;
            for event in events {
                let label = format!("{what} as {context} ({lang:?}), event {event:?}");
                let label: String = label.chars().take(200).collect();
                let replies = engine
                    .handle_in(person(user, lang), private("Hasan <b>&"), event)
                    .await
                    .unwrap_or_else(|e| panic!("{label}: {e}"));
                assert_sensible(&replies, &label);
            }
            assert_eq!(
                row_counts(&pool).await,
                before,
                "{what} as {context}: only the question log and the conversation may change"
            );
            // What was saved reads back.
            engine.store().conversation(user).await.unwrap();
            let again = engine.handle(person(user, lang), text("/menu")).await.unwrap();
            assert_sensible(&again, "/menu afterwards");
        }
    }
    // The SQL was text: every table is still there.
    let tables: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM sqlite_master WHERE name = 'conversations'")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(tables, 1);
    assert!(engine.store().tickets(None).await.unwrap().is_empty());
    assert!(engine.store().registrations(s).await.unwrap().is_empty());
}

/// A name, organisation and question that pass the fields' checks but are full of
/// markup reach the summary, the confirmation, the ticket and the staff post escaped.
#[tokio::test]
async fn markup_in_accepted_fields_is_shown_literally_everywhere() {
    let sandbox = Sandbox::new();
    let clock = clock();
    let engine = engine_with(&sandbox, &clock, crate::helpers::lenient_flood()).await;
    let s = session(&engine, 5).await;
    let name = "<b>Ayşe</b> & \"Co\" 'x'";
    let org = "*Dernek* _x_ `y` <i>";
    let p = person(1, Lang::Tr);
    let mut all = Vec::new();
    for event in [
        press(&format!("s:{}", s.0)),
        text(name),
        press("f:org:ngo"),
        text(org),
        text("kisi@example.org"),
        press("f:skip"),
        press("f:yes"),
        press("f:confirm"),
        text("/myregistrations"),
        text("/ask <script>alert(1)</script> & soru"),
        press("f:send"),
        text("/mytickets"),
    ] {
        let replies = engine
            .handle_in(p, private("<i>Hasan</i>"), event.clone())
            .await
            .unwrap();
        assert_sensible(&replies, &format!("{event:?}"));
        all.extend(replies);
    }
    let html: String = all.iter().map(|r| r.html.as_str()).collect::<Vec<_>>().join("\n");
    assert!(html.contains("&lt;b&gt;Ayşe&lt;/b&gt; &amp;"), "{html}");
    assert!(html.contains("&lt;script&gt;"), "{html}");
    let regs = engine.store().registrations(s).await.unwrap();
    assert_eq!(regs.len(), 1);
    assert_eq!(regs[0].attendee.name.as_str(), name, "stored as typed");
    let far = "2100-01-01T00:00:00Z".parse().unwrap();
    for pending in engine.store().due_messages(far, 100).await.unwrap() {
        let m = &pending.message;
        assert_eq!(html_problem(&m.html), None, "outbox: {:?}", m.html);
        for b in m.keyboard.iter().flatten() {
            if let Target::Callback(pressed) = &b.target {
                assert!(eudesk::telegram::callback_data::encode(pressed).len() <= 64);
            }
        }
    }
}

// ─── Hand-made callback data ────────────────────────────────────────────────────────

#[tokio::test]
async fn hand_made_callback_data_gets_a_sensible_reply_and_reaches_nothing_of_anyone_else() {
    let sandbox = Sandbox::new();
    let clock = clock();
    let engine = engine_with(&sandbox, &clock, crate::helpers::lenient_flood()).await;
    let pool = SqlitePool::connect(&sandbox.database_url()).await.unwrap();
    let store = engine.store().clone();
    let s = session(&engine, 5).await;

    // The owner's registration and ticket.
    let owner = person(OWNER, Lang::Tr);
    for event in [
        press(&format!("s:{}", s.0)),
        text("Ayşe Yılmaz"),
        press("f:org:ngo"),
        text("Genç İzmir Derneği"),
        text("ayse@example.org"),
        press("f:skip"),
        press("f:yes"),
        press("f:confirm"),
    ] {
        engine.handle_in(owner, private("Ayşe"), event).await.unwrap();
    }
    let registration = store.registrations(s).await.unwrap()[0].clone();
    assert_eq!(registration.status, Status::Confirmed);
    engine
        .handle_in(owner, private("Ayşe"), text("/ask Sahibin sorusu"))
        .await
        .unwrap();
    engine.handle_in(owner, private("Ayşe"), press("f:send")).await.unwrap();
    let ticket = store.tickets_of(OWNER).await.unwrap()[0].clone();
    assert_eq!(ticket.status, TicketStatus::Open);

    let r = registration.id.0;
    let t = ticket.id.0;
    let garbage: String = (0..64u32).map(|i| char::from(b'!' + (i * 37 % 94) as u8)).collect();
    let multibyte: String = "ğüşıöç€".chars().cycle().take(64).collect::<String>();
    let multibyte: String = {
        // At most 64 bytes, cut on a character boundary.
        let mut out = String::new();
        for c in multibyte.chars() {
            if out.len() + c.len_utf8() > 64 {
                break;
            }
            out.push(c);
        }
        out
    };
    // (data, what the reply says, in English)
    let cases: Vec<(String, &str)> = vec![
        ("n:no.such.node".into(), "no longer exists"),
        ("n:DROP TABLE conversations;--".into(), "no longer valid"),
        ("n:../../etc/passwd".into(), "no longer valid"),
        ("n:".into(), "no longer valid"),
        ("a:main".into(), "no longer exists"),
        ("a:no.such.node".into(), "no longer exists"),
        ("s:999999".into(), "not open for booking"),
        ("s:0".into(), "no longer valid"),
        ("s:-1".into(), "no longer valid"),
        (format!("s:{}", "9".repeat(62)), "no longer valid"),
        (format!("r:{r}"), "cannot be found"),
        (format!("rc:{r}"), "cannot be found"),
        ("rc:999999".into(), "cannot be found"),
        (format!("k:solved:{t}"), "cannot be found"),
        (format!("k:follow:{t}"), "cannot be found"),
        (format!("k:close:{t}"), "staff only"),
        (format!("k:answer:{t}"), "staff only"),
        ("k:take:1".into(), "staff only"),
        ("k:solved:999999".into(), "cannot be found"),
        (format!("k:explode:{t}"), "no longer valid"),
        ("k:solved:".into(), "no longer valid"),
        ("f:confirm".into(), "no longer in progress"),
        ("f:send".into(), "no longer in progress"),
        ("f:org:ngo".into(), "no longer in progress"),
        ("l:xx".into(), "no longer valid"),
        ("t:x".into(), "no longer valid"),
        ("x:forge".into(), "no longer valid"),
        ("x:forget ".into(), "no longer valid"),
        ("".into(), "no longer valid"),
        (":".into(), "no longer valid"),
        (garbage, "no longer valid"),
        (multibyte, "no longer valid"),
        (format!("f:{}", "<b>".repeat(20)), "no longer valid"),
    ];
    for (data, _) in &cases {
        assert!(data.len() <= 64, "{data:?} is {} bytes", data.len());
    }
    let before = row_counts(&pool).await;
    let mut user = 20_000;
    for (data, expected) in cases {
        user += 1;
        let replies = engine
            .handle_in(person(user, Lang::En), private("Mallory"), press(&data))
            .await
            .unwrap_or_else(|e| panic!("{data:?}: {e}"));
        assert_sensible(&replies, &format!("callback {data:?}"));
        let html: String = replies.iter().map(|r| r.html.as_str()).collect::<Vec<_>>().join("\n");
        assert!(html.contains(expected), "{data:?}: expected «{expected}» in {html}");
        assert!(!html.contains("Sahibin sorusu"), "{data:?}: {html}");
        assert!(!html.contains("Ayşe Yılmaz"), "{data:?}: {html}");
        // And a text next does not land on someone else's ticket or booking.
        let next = engine
            .handle_in(person(user, Lang::En), private("Mallory"), text("hello there"))
            .await
            .unwrap();
        assert_sensible(&next, "a text after the press");
        assert_eq!(row_counts(&pool).await, before, "{data:?} changed a table");
        let conv = store.conversation(user).await.unwrap();
        assert!(conv.is_none_or(|c| c.flow.is_none()), "{data:?} left a flow");
    }
    // The owner's registration and ticket are as they were.
    let now = store.registrations(s).await.unwrap();
    assert_eq!(now.len(), 1);
    assert_eq!(now[0].status, Status::Confirmed);
    assert_eq!(now[0].user, eudesk::ids::UserId(OWNER));
    let after = store.ticket(ticket.id).await.unwrap().unwrap();
    assert_eq!(after.status, TicketStatus::Open);
    assert!(after.taken_by.is_none());
    assert_eq!(store.ticket_events(ticket.id).await.unwrap().len(), 1);
    // Staff pressing an unknown ticket's buttons are told so, and nothing changes.
    for data in ["k:close:999999", "k:take:999999", "k:answer:999999"] {
        let replies = engine.handle(person(STAFF, Lang::En), press(data)).await.unwrap();
        assert_sensible(&replies, data);
    }
    assert_eq!(row_counts(&pool).await, before);
}

// ─── Flood control ──────────────────────────────────────────────────────────────────

#[tokio::test]
async fn a_flooding_person_is_warned_once_then_ignored_while_others_and_staff_are_answered() {
    let sandbox = Sandbox::new();
    let clock = clock();
    // The real limits (20 a minute), on a clock that does not move: 25 messages "at once".
    let engine = engine_with(&sandbox, &clock, eudesk::flood::Limits::default()).await;
    let mut slow_downs = 0;
    let mut silent = 0;
    for i in 0..25 {
        let event = if i % 2 == 0 {
            text("mantıksal çerçeve matrisi nedir")
        } else {
            press("n:pcm")
        };
        let replies = engine.handle(person(1, Lang::Tr), event).await.unwrap();
        let html = replies.iter().map(|r| r.html.as_str()).collect::<Vec<_>>().join("\n");
        match i {
            0..20 => {
                assert!(
                    !replies.is_empty() && !html.contains("Çok hızlı"),
                    "message {}: {html}",
                    i + 1
                );
            }
            20 => {
                assert_eq!(replies.len(), 1, "{replies:?}");
                assert!(html.contains("Çok hızlı"), "{html}");
                assert_sensible(&replies, "the warning");
            }
            _ => assert!(replies.is_empty(), "message {}: {replies:?}", i + 1),
        }
        slow_downs += html.matches("Çok hızlı").count();
        silent += usize::from(replies.is_empty());
    }
    assert_eq!((slow_downs, silent), (1, 4));

    // Nobody else is slowed.
    let other = engine
        .handle(person(2, Lang::En), text("what is a logframe"))
        .await
        .unwrap();
    assert!(other.iter().any(|r| r.html.contains("logical framework")), "{other:?}");
    // An English speaker is warned in English.
    let mut said = Vec::new();
    for _ in 0..25 {
        said.extend(engine.handle(person(3, Lang::En), text("hello")).await.unwrap());
    }
    let warnings = said.iter().filter(|r| r.html.contains("very fast")).count();
    assert_eq!(warnings, 1);

    // Staff are never slowed, however fast they go.
    for i in 0..60 {
        let replies = engine.handle(person(STAFF, Lang::Tr), text("/help")).await.unwrap();
        assert!(!replies.is_empty(), "staff message {}", i + 1);
        assert!(
            replies.iter().all(|r| !r.html.contains("Çok hızlı")),
            "staff message {}",
            i + 1
        );
    }

    // Still paused a minute later; forgiven after the pause.
    clock.advance(SignedDuration::from_secs(60));
    assert!(
        engine
            .handle(person(1, Lang::Tr), text("merhaba"))
            .await
            .unwrap()
            .is_empty()
    );
    clock.advance(SignedDuration::from_secs(61));
    let back = engine
        .handle(person(1, Lang::Tr), text("mantıksal çerçeve matrisi nedir"))
        .await
        .unwrap();
    assert!(back.iter().any(|r| r.html.contains("Mantıksal çerçeve")), "{back:?}");
}
