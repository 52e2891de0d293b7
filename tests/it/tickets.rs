//! Questions for staff over a real SQLite file, without Telegram: asking (from a
//! question the bot could not answer, or /ask), the person's tickets, the question log
//! and statistics, FAQ drafts, staff commands in a private chat; then the same tickets
//! through the real binary's `tickets` and `stats` subcommands.

use crate::helpers::{Sandbox, button, person, press, staff_answers, stderr, stdout, text};
use eudesk::clock::ManualClock;
use eudesk::engine::{Context, Engine, Event, Place, Reply};
use eudesk::lang::Lang;
use eudesk::message::{Purpose, Recipient};
use eudesk::storage::{Pending, Store};
use eudesk::tickets::{TicketId, TicketStatus};
use jiff::{SignedDuration, Timestamp};
use std::sync::Arc;

/// Staff user ids of these tests; everyone else is a member of the public.
const AYSE: i64 = 900;
const MEHMET: i64 = 901;

fn clock() -> Arc<ManualClock> {
    // A Tuesday, 12:00 in Istanbul.
    Arc::new(ManualClock::new("2026-12-01T09:00:00Z".parse().unwrap()))
}

async fn engine(sandbox: &Sandbox, clock: &Arc<ManualClock>) -> Engine {
    sandbox.engine_with(clock.clone(), vec![AYSE, MEHMET]).await
}

/// A private chat with a person who has this first name.
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

/// One event from `user` (named `name`) in their private chat; the replies.
async fn say(engine: &Engine, user: i64, lang: Lang, name: &str, event: Event) -> Vec<Reply> {
    engine
        .handle_in(person(user, lang), private(name), event)
        .await
        .unwrap()
}

fn all_text(replies: &[Reply]) -> String {
    replies
        .iter()
        .map(|r| r.html.as_str())
        .collect::<Vec<_>>()
        .join("\n---\n")
}

/// Everything in the outbox still waiting to be sent, oldest first.
async fn outbox(store: &Store) -> Vec<Pending> {
    let far = "2100-01-01T00:00:00Z".parse::<Timestamp>().unwrap();
    store.due_messages(far, 100).await.unwrap()
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
    let done = say(engine, user, lang, name, press(&send)).await;
    let newest = engine.store().tickets_of(user).await.unwrap();
    let id = newest.first().expect("a ticket was created").id;
    assert!(all_text(&done).contains(&format!("#{id}")), "{}", all_text(&done));
    id
}

/// The text between `<pre>` and `</pre>`, with Telegram's HTML escapes undone.
fn pre_block(html: &str) -> String {
    let start = html.find("<pre>").expect("a <pre> block") + "<pre>".len();
    let end = html.find("</pre>").expect("the end of the <pre> block");
    html[start..end]
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

// ─── Asking ─────────────────────────────────────────────────────────────────────────

#[tokio::test]
async fn ask_staff_after_an_unanswered_question_sends_that_question_with_its_context() {
    let sandbox = Sandbox::new();
    let clock = clock();
    let engine = engine(&sandbox, &clock).await;
    let question = "Erasmus hibesi <b>ne zaman</b> & nasıl?";
    // Where the person is when they ask: part of the context staff see.
    say(&engine, 1, Lang::Tr, "Zeynep", press("n:pcm")).await;
    let no_answer = say(&engine, 1, Lang::Tr, "Zeynep", text(question)).await;
    assert_eq!(no_answer.len(), 1);
    let ask_staff = button(&no_answer[0], "Personele sor");
    assert_eq!(ask_staff, "q:");

    let confirm = say(&engine, 1, Lang::Tr, "Zeynep", press(&ask_staff)).await;
    assert_eq!(confirm.len(), 1);
    assert!(
        confirm[0]
            .html
            .contains("Erasmus hibesi &lt;b&gt;ne zaman&lt;/b&gt; &amp; nasıl?"),
        "the same question is offered, escaped, without retyping: {}",
        confirm[0].html
    );
    assert_eq!(button(&confirm[0], "Gönder"), "f:send");
    assert!(
        engine.store().tickets(None).await.unwrap().is_empty(),
        "nothing before Send"
    );

    let sent = say(&engine, 1, Lang::Tr, "Zeynep", press("f:send")).await;
    assert!(all_text(&sent).contains("talep #1"), "{}", all_text(&sent));
    assert!(all_text(&sent).contains("/mytickets"));

    let ticket = engine.store().ticket(TicketId(1)).await.unwrap().expect("ticket #1");
    assert_eq!(ticket.user, eudesk::ids::UserId(1));
    assert_eq!(ticket.first_name, "Zeynep");
    assert_eq!(ticket.lang, Lang::Tr);
    assert_eq!(ticket.question, question);
    assert_eq!(ticket.status, TicketStatus::Open);
    assert_eq!(ticket.context_node.as_deref(), Some("pcm"));
    assert!(
        ticket
            .context_matches
            .iter()
            .any(|c| c.id == "office.about" && c.score > 0.0),
        "the matcher's candidates are kept: {:?}",
        ticket.context_matches
    );

    let queued = outbox(engine.store()).await;
    assert_eq!(queued.len(), 1, "{queued:#?}");
    let post = &queued[0].message;
    assert_eq!(post.to, Recipient::Staff);
    assert_eq!(
        post.purpose,
        Some(Purpose::TicketPost {
            ticket: eudesk::tickets::TicketId(1)
        })
    );
    assert!(post.html.contains("Talep #1"), "{}", post.html);
    assert!(post.html.contains("Zeynep"));
    assert!(post.html.contains("Zeynep · TR"), "{}", post.html);
    assert!(post.html.contains("pcm"), "the node: {}", post.html);
    assert!(post.html.contains("office.about ("), "the candidates: {}", post.html);
    assert!(
        post.html
            .contains("Erasmus hibesi &lt;b&gt;ne zaman&lt;/b&gt; &amp; nasıl?"),
        "the question, escaped: {}",
        post.html
    );
    assert!(!post.html.contains("<b>ne zaman</b>"));

    // The question is passed on once: a second "Ask staff" starts from scratch.
    let again = say(&engine, 1, Lang::Tr, "Zeynep", press("q:")).await;
    assert!(!again[0].html.contains("Erasmus"), "{}", again[0].html);
}

#[tokio::test]
async fn slash_ask_goes_to_send_and_cancel_rewrite_asks_again_and_cancel_stores_nothing() {
    let sandbox = Sandbox::new();
    let clock = clock();
    let engine = engine(&sandbox, &clock).await;
    let p = |e| say(&engine, 5, Lang::En, "Ann", e);

    let confirm = p(text("/ask Can I apply twice?")).await;
    assert_eq!(confirm.len(), 1);
    assert!(confirm[0].html.contains("Can I apply twice?"), "{}", confirm[0].html);
    assert_eq!(button(&confirm[0], "Send"), "f:send");
    assert_eq!(button(&confirm[0], "Rewrite"), "f:rewrite");
    assert_eq!(button(&confirm[0], "Cancel"), "f:cancel");

    let prompt = p(press("f:rewrite")).await;
    assert!(prompt[0].html.contains("Write your question"), "{}", prompt[0].html);
    let confirm = p(text("Can two people from one NGO apply?")).await;
    assert!(confirm[0].html.contains("Can two people from one NGO apply?"));
    assert!(!confirm[0].html.contains("apply twice"));

    let cancelled = p(press("f:cancel")).await;
    assert!(cancelled[0].html.contains("did not send"), "{}", cancelled[0].html);
    assert!(engine.store().tickets(None).await.unwrap().is_empty());
    assert!(outbox(engine.store()).await.is_empty());

    // Send after the cancel is a stale button: still nothing is stored.
    p(press("f:send")).await;
    assert!(engine.store().tickets(None).await.unwrap().is_empty());
    assert!(outbox(engine.store()).await.is_empty());

    // And a question too long is asked to be shortened, not cut.
    let long = p(text(&format!("/ask {}", "a".repeat(2001)))).await;
    assert!(all_text(&long).contains("2001 characters"), "{}", all_text(&long));
    assert!(engine.store().tickets(None).await.unwrap().is_empty());
}

// ─── The person's tickets ───────────────────────────────────────────────────────────

#[tokio::test]
async fn mytickets_lists_the_persons_own_tickets_and_refuses_anothers() {
    let sandbox = Sandbox::new();
    let clock = clock();
    let engine = engine(&sandbox, &clock).await;
    let mine = ask(&engine, 1, Lang::En, "Ann", "Is the deadline in March?").await;
    clock.advance(SignedDuration::from_mins(5));
    let second = ask(&engine, 1, Lang::En, "Ann", "Which form do I use?").await;
    let theirs = ask(&engine, 2, Lang::Tr, "Ali", "Başka birinin sorusu").await;
    staff_answers(&engine, AYSE, second, "Form B.").await;

    let list = say(&engine, 1, Lang::En, "Ann", text("/mytickets")).await;
    let html = &list[0].html;
    assert!(
        html.contains(&format!("#{mine}")) && html.contains(&format!("#{second}")),
        "{html}"
    );
    assert!(html.contains("waiting for an answer"), "{html}");
    assert!(html.contains("answered"), "{html}");
    assert!(html.contains("Is the deadline in March?"));
    assert!(!html.contains(&format!("#{theirs}")), "only the person's own: {html}");
    assert!(!html.contains("Başka"));
    assert!(
        html.find(&format!("#{second}")) < html.find(&format!("#{mine}")),
        "newest first: {html}"
    );

    let before = outbox(engine.store()).await.len();
    for data in [format!("k:follow:{theirs}"), format!("k:solved:{theirs}")] {
        let refused = say(&engine, 1, Lang::En, "Ann", press(&data)).await;
        assert!(
            all_text(&refused).contains("cannot be found"),
            "{data}: {}",
            all_text(&refused)
        );
        let refused = say(&engine, 3, Lang::Tr, "Can", press(&data)).await;
        assert!(
            all_text(&refused).contains("bulunamadı"),
            "{data}: {}",
            all_text(&refused)
        );
    }
    // A follow-up typed now is a question, not a message on someone else's ticket.
    say(&engine, 1, Lang::En, "Ann", text("hello staff of ticket two")).await;
    let ticket = engine.store().ticket(theirs).await.unwrap().unwrap();
    assert_eq!(ticket.status, TicketStatus::Open);
    assert_eq!(engine.store().ticket_events(theirs).await.unwrap().len(), 1);
    assert_eq!(outbox(engine.store()).await.len(), before, "nothing queued");

    // The person's own: the follow-up button works, and "solved" closes it.
    let follow = say(&engine, 1, Lang::En, "Ann", press(&format!("k:follow:{second}"))).await;
    assert!(
        all_text(&follow).contains(&format!("#{second}")),
        "{}",
        all_text(&follow)
    );
    say(&engine, 1, Lang::En, "Ann", text("And form C?")).await;
    assert_eq!(
        engine.store().ticket(second).await.unwrap().unwrap().status,
        TicketStatus::Open,
        "a follow-up reopens the ticket"
    );
    say(&engine, 1, Lang::En, "Ann", press(&format!("k:solved:{second}"))).await;
    assert_eq!(
        engine.store().ticket(second).await.unwrap().unwrap().status,
        TicketStatus::Closed
    );
}

// ─── The question log and /stats ────────────────────────────────────────────────────

#[tokio::test]
async fn the_question_log_counts_decisions_and_groups_unanswered_spellings() {
    let sandbox = Sandbox::new();
    let clock = clock();
    let engine = engine(&sandbox, &clock).await;
    for (user, q) in [
        (1, "bütçe nasıl hazırlanır"),  // answered
        (1, "finansman matrisi"),       // suggestions
        (1, "Erasmus hibesi ne zaman"), // not answered
        (1, "Vize nasıl alınır?"),      // not answered…
        (2, "vize nasil alinir"),       // …the same, spelled otherwise
        (2, "VİZE NASIL ALINIR"),       // …and once more
    ] {
        say(&engine, user, Lang::Tr, "X", text(q)).await;
    }
    let stats = eudesk::stats::of(engine.store(), &[]).await.unwrap();
    assert_eq!(stats.people, 2);
    assert_eq!(stats.answered, 1);
    assert_eq!(stats.suggested, 1);
    assert_eq!(stats.escalated, 4);
    assert_eq!(stats.tickets_open, 0);
    let (normalized, count, example) = &stats.top_unanswered[0];
    assert_eq!(*count, 3, "{:?}", stats.top_unanswered);
    assert!(normalized.contains("vize"), "{normalized}");
    assert!(
        ["Vize nasıl alınır?", "vize nasil alinir", "VİZE NASIL ALINIR"].contains(&example.as_str()),
        "{example}"
    );
    assert_eq!(stats.top_unanswered.len(), 2, "{:?}", stats.top_unanswered);
    assert_eq!(stats.top_unanswered[1].1, 1);

    // Commands are not questions.
    say(&engine, 1, Lang::Tr, "X", text("/mytickets")).await;
    assert_eq!(eudesk::stats::of(engine.store(), &[]).await.unwrap().escalated, 4);

    let shown = engine.handle(person(AYSE, Lang::En), text("/stats")).await.unwrap();
    let html = all_text(&shown);
    assert!(html.contains("People served: 2"), "{html}");
    assert!(html.contains("1 answered from the dialogues"), "{html}");
    assert!(html.contains("1 answered with suggestions"), "{html}");
    assert!(html.contains("4 not answered"), "{html}");
    assert!(html.contains(&format!("3 × {normalized}")), "{html}");

    let refused = engine.handle(person(1, Lang::Tr), text("/stats")).await.unwrap();
    assert!(
        all_text(&refused).contains("yalnızca büro personeli"),
        "{}",
        all_text(&refused)
    );
    assert!(!all_text(&refused).contains("vize"));
}

#[tokio::test]
async fn stats_count_tickets_and_time_to_first_answer() {
    let sandbox = Sandbox::new();
    let clock = clock();
    let engine = engine(&sandbox, &clock).await;
    let a = ask(&engine, 1, Lang::Tr, "Zeynep", "Birinci soru").await;
    let b = ask(&engine, 2, Lang::Tr, "Ali", "İkinci soru").await;
    ask(&engine, 3, Lang::Tr, "Can", "Üçüncü soru").await;
    clock.advance(SignedDuration::from_hours(2));
    staff_answers(&engine, AYSE, a, "Yanıt").await;
    clock.advance(SignedDuration::from_hours(2));
    staff_answers(&engine, AYSE, b, "Yanıt").await;
    engine
        .handle(person(AYSE, Lang::Tr), text(&format!("/close {b}")))
        .await
        .unwrap();
    let stats = eudesk::stats::of(engine.store(), &[]).await.unwrap();
    assert_eq!(
        (stats.tickets_open, stats.tickets_answered, stats.tickets_closed),
        (1, 1, 1)
    );
    assert_eq!(stats.median_first_answer_secs, Some(2 * 3600));
    assert_eq!(stats.p90_first_answer_secs, Some(4 * 3600));
}

// ─── FAQ drafts ─────────────────────────────────────────────────────────────────────

/// The snippet /faq gives, made reachable (listed in the main menu) and completed
/// (labels, English text), appended to the test tree. With `drop_node_reviewed`, the
/// node's own `reviewed` line is left out (the file's date then applies): see
/// `faq_snippet_pasted_as_is_passes_check` for why.
fn paste_faq(sandbox: &Sandbox, snippet: &str, drop_node_reviewed: bool) -> String {
    let id = snippet
        .lines()
        .find_map(|l| l.strip_prefix("id = \""))
        .and_then(|l| l.split('"').next())
        .expect("the snippet has an id")
        .to_owned();
    let mut node = snippet
        .replace(
            "label = { tr = \"…\", en = \"…\" }",
            "label = { tr = \"Ortaklık\", en = \"Partnership\" }",
        )
        .replace("\"\"\"\n…\"\"\"", "\"\"\"\nThe partner must be registered.\"\"\"");
    if drop_node_reviewed {
        node = node
            .lines()
            .filter(|l| !l.starts_with("reviewed = "))
            .map(|l| format!("{l}\n"))
            .collect();
    }
    assert!(!node.contains('…'), "everything to fill is filled: {node}");
    let tree = crate::helpers::TREE.replace(
        r#"children = ["office", "pcm", "help.ask_staff", "training.register"]"#,
        &format!(r#"children = ["office", "pcm", "help.ask_staff", "training.register", "{id}"]"#),
    );
    sandbox.write("tree.toml", &format!("{tree}\n{node}"));
    id
}

const FAQ_QUESTION: &str = "Ortak kuruluşun \"kayıtlı\" olması gerekir mi?";
const FAQ_ANSWER: &str =
    "Evet: ortak kuruluş <b>resmî</b> olarak kayıtlı olmalı & \"PIC\" numarası almalı.\nAyrıntı: https://example.org";

/// An answered ticket in the sandbox, and the snippet /faq gives for it.
async fn faq_draft(sandbox: &Sandbox, answer: &str) -> String {
    let clock = clock();
    let engine = engine(sandbox, &clock).await;
    let id = ask(&engine, 1, Lang::Tr, "Zeynep", FAQ_QUESTION).await;
    let staff = |e| engine.handle(person(AYSE, Lang::En), e);
    crate::helpers::staff_answers(&engine, AYSE, id, answer).await;
    let draft = all_text(&staff(text(&format!("/faq {id}"))).await.unwrap());
    assert!(draft.contains("eudesk check"), "{draft}");
    pre_block(&draft)
}

#[tokio::test]
async fn faq_drafts_a_node_from_an_answered_ticket_and_says_when_there_is_none() {
    let sandbox = Sandbox::new();
    let clock = clock();
    let engine = engine(&sandbox, &clock).await;
    let id = ask(&engine, 1, Lang::Tr, "Zeynep", "Henüz yanıtı yok").await;
    let staff = |e| engine.handle(person(AYSE, Lang::En), e);
    let unanswered = all_text(&staff(text(&format!("/faq {id}"))).await.unwrap());
    assert!(unanswered.contains("That ticket has no answer yet"), "{unanswered}");
    assert!(!unanswered.contains("<pre>"));
    let missing = all_text(&staff(text("/faq 77")).await.unwrap());
    assert!(missing.contains("There is no ticket #77"), "{missing}");
    let usage = all_text(&staff(text("/faq")).await.unwrap());
    assert!(usage.contains("Usage: /faq N"), "{usage}");
    engine.store().close().await;

    let sandbox = Sandbox::new();
    let snippet = faq_draft(&sandbox, FAQ_ANSWER).await;
    assert!(snippet.starts_with("[[node]]\nid = \"faq.ticket_1\""), "{snippet}");
    assert!(
        snippet.contains(&format!("text.tr = \"\"\"\n{FAQ_ANSWER}\"\"\"")),
        "{snippet}"
    );
    assert!(
        snippet.contains(r#"ask.tr = ["Ortak kuruluşun \"kayıtlı\" olması gerekir mi?"]"#),
        "{snippet}"
    );
    assert!(snippet.contains("reviewed = 2026-12-01"), "{snippet}");

    // Pasted (without the node's own date, which the loader cannot read) and
    // completed, it passes check and answers the question it came from.
    let id = paste_faq(&sandbox, &snippet, true);
    let output = sandbox.eudesk(&["check", "dialogues"], "");
    assert_eq!(output.status.code(), Some(0), "{}\n{snippet}", stdout(&output));
    assert!(stdout(&output).contains("10 nodes, valid"), "{}", stdout(&output));
    let loaded = eudesk::dialogue::load(&sandbox.dialogues()).unwrap();
    let node = loaded.tree.get(&id).expect("the new node");
    assert!(node.html.get(Lang::Tr).contains("PIC"), "{}", node.html.get(Lang::Tr));
    let outcome = eudesk::matching::Matcher::new(&loaded.tree).find(FAQ_QUESTION, Lang::Tr);
    assert_eq!(outcome.matches.first().map(|m| m.id.as_str()), Some(id.as_str()));
}

#[tokio::test]
async fn faq_snippet_pasted_as_is_passes_check() {
    let sandbox = Sandbox::new();
    let snippet = faq_draft(&sandbox, FAQ_ANSWER).await;
    paste_faq(&sandbox, &snippet, false);
    let output = sandbox.eudesk(&["check", "dialogues"], "");
    assert_eq!(output.status.code(), Some(0), "{}\n{snippet}", stdout(&output));
    let loaded = eudesk::dialogue::load(&sandbox.dialogues()).unwrap();
    let node = loaded.tree.get("faq.ticket_1").unwrap();
    assert_eq!(node.reviewed, Some("2026-12-01".parse().unwrap()));
}

#[tokio::test]
async fn faq_snippet_with_a_backslash_in_the_answer_passes_check() {
    let sandbox = Sandbox::new();
    let answer = r"C:\Users\ofis\Belgeler klasörüne kaydedin.";
    let snippet = faq_draft(&sandbox, answer).await;
    paste_faq(&sandbox, &snippet, true);
    let output = sandbox.eudesk(&["check", "dialogues"], "");
    assert_eq!(output.status.code(), Some(0), "{}\n{snippet}", stdout(&output));
    let loaded = eudesk::dialogue::load(&sandbox.dialogues()).unwrap();
    let node = loaded.tree.get("faq.ticket_1").unwrap();
    assert!(node.html.get(Lang::Tr).contains(answer), "{}", node.html.get(Lang::Tr));
}

// ─── Staff commands in a private chat ───────────────────────────────────────────────

#[tokio::test]
async fn staff_list_read_take_and_close_tickets_in_a_private_chat() {
    let sandbox = Sandbox::new();
    let clock = clock();
    let engine = engine(&sandbox, &clock).await;
    let staff = |user: i64, name: &'static str, e: Event| {
        let engine = engine.clone();
        async move {
            engine
                .handle_in(person(user, Lang::En), private(name), e)
                .await
                .unwrap()
        }
    };
    let empty = staff(AYSE, "Ayşe", text("/tickets")).await;
    assert!(all_text(&empty).contains("No open tickets"), "{}", all_text(&empty));

    let first = ask(&engine, 1, Lang::En, "Ann", "When is the next call?").await;
    clock.advance(SignedDuration::from_mins(30));
    let second = ask(&engine, 2, Lang::Tr, "Ali", "Bütçe <şablonu> nerede?").await;
    clock.advance(SignedDuration::from_hours(3));

    let taken = staff(MEHMET, "Mehmet", text(&format!("/take {second}"))).await;
    assert!(
        all_text(&taken).contains(&format!("#{second} is yours")),
        "{}",
        all_text(&taken)
    );

    let open = all_text(&staff(AYSE, "Ayşe", text("/tickets")).await);
    let (at_first, at_second) = (
        open.find(&format!("<b>#{first}</b>")).expect("the first ticket"),
        open.find(&format!("<b>#{second}</b>")).expect("the second ticket"),
    );
    assert!(at_first < at_second, "oldest first: {open}");
    assert!(open.contains("Ann") && open.contains("Ali"), "{open}");
    assert!(open.contains("3 h 30 min"), "the first ticket's age: {open}");
    assert!(open.contains("3 h 0 min"), "the second ticket's age: {open}");
    assert!(open.contains("🙋 Mehmet"), "who took it: {open}");
    assert_eq!(open.matches("🙋").count(), 1, "{open}");
    assert!(open.contains("Bütçe &lt;şablonu&gt; nerede?"), "escaped: {open}");

    staff(AYSE, "Ayşe", text(&format!("/reply {second} Şablon web sitesinde."))).await;
    // Mehmet took it: Ayşe is told so before anything is sent, and sends anyway.
    let warned = all_text(&staff(AYSE, "Ayşe", press(&format!("k:send:{second}"))).await);
    assert!(warned.contains("taken by Mehmet"), "{warned}");
    assert_eq!(
        engine.store().ticket(second).await.unwrap().unwrap().status,
        TicketStatus::Open
    );
    staff(AYSE, "Ayşe", press(&format!("k:force:{second}"))).await;
    clock.advance(SignedDuration::from_mins(10));
    let closed = staff(
        MEHMET,
        "Mehmet",
        text(&format!("/close {second} Başka sorunuz olursa yazın")),
    )
    .await;
    assert!(
        all_text(&closed).contains(&format!("#{second} is closed")),
        "{}",
        all_text(&closed)
    );
    assert_eq!(
        engine.store().ticket(second).await.unwrap().unwrap().status,
        TicketStatus::Closed
    );

    let history = all_text(&staff(AYSE, "Ayşe", text(&format!("/ticket {second}"))).await);
    let kinds = ["question", "take", "answer", "close"];
    let mut at = 0;
    for kind in kinds {
        let found = history[at..]
            .find(&format!(" · {kind} "))
            .unwrap_or_else(|| panic!("'{kind}' after position {at} in:\n{history}"));
        at += found + 1;
    }
    assert!(history.contains("Ali"), "{history}");
    assert!(history.contains("Bütçe &lt;şablonu&gt; nerede?"), "{history}");
    assert!(history.contains("take Mehmet"), "{history}");
    assert!(history.contains("answer Ayşe: Şablon web sitesinde."), "{history}");
    assert!(
        history.contains("close Mehmet: Başka sorunuz olursa yazın"),
        "{history}"
    );
    assert!(history.contains("2026-12-01"), "{history}");

    // What the close queued: the person's notice in Turkish with the note, and a note
    // in the staff chat.
    let queued = outbox(engine.store()).await;
    let to_person: Vec<_> = queued
        .iter()
        .filter(|p| p.message.to == Recipient::Chat(eudesk::ids::ChatId(2)) && p.message.purpose.is_none())
        .collect();
    assert_eq!(to_person.len(), 1, "{queued:#?}");
    let notice = &to_person[0].message.html;
    assert!(notice.contains(&format!("#{second} numaralı talebiniz")), "{notice}");
    assert!(notice.contains("kapatıldı"), "{notice}");
    assert!(notice.contains("Başka sorunuz olursa yazın"), "{notice}");
    let staff_notes: Vec<_> = queued
        .iter()
        .filter(|p| p.message.to == Recipient::Staff && p.message.html.contains("kapatıldı"))
        .collect();
    assert_eq!(staff_notes.len(), 1, "{queued:#?}");
    assert!(staff_notes[0].message.html.contains("Mehmet"));
    assert_eq!(staff_notes[0].message.reply_to_ticket, Some(second));
    let answer = queued
        .iter()
        .find(|p| p.message.purpose == Some(Purpose::TicketAnswer { ticket: second }))
        .expect("the answer is queued");
    assert_eq!(answer.message.to, Recipient::Chat(eudesk::ids::ChatId(2)));
    assert!(answer.message.html.contains("Şablon web sitesinde."));

    // A closing to an English speaker is in English.
    staff(AYSE, "Ayşe", text(&format!("/close {first} See the website"))).await;
    let queued = outbox(engine.store()).await;
    let english = queued
        .iter()
        .find(|p| p.message.to == Recipient::Chat(eudesk::ids::ChatId(1)) && p.message.purpose.is_none())
        .expect("Ann is told");
    assert!(
        english
            .message
            .html
            .contains(&format!("Your ticket #{first} has been closed"))
    );
    assert!(english.message.html.contains("See the website"));

    let none = all_text(&staff(AYSE, "Ayşe", text("/tickets")).await);
    assert!(none.contains("No open tickets"), "{none}");
    let missing = all_text(&staff(AYSE, "Ayşe", text("/ticket 99")).await);
    assert!(missing.contains("There is no ticket #99"), "{missing}");
    let usage = all_text(&staff(AYSE, "Ayşe", text("/take")).await);
    assert!(usage.contains("Usage: /take N"), "{usage}");
}

#[tokio::test]
async fn staff_commands_and_buttons_are_refused_to_everyone_else() {
    let sandbox = Sandbox::new();
    let clock = clock();
    let engine = engine(&sandbox, &clock).await;
    let id = ask(&engine, 1, Lang::En, "Ann", "A question").await;
    let before = outbox(engine.store()).await.len();
    for command in [
        "/tickets".to_owned(),
        format!("/ticket {id}"),
        format!("/take {id}"),
        format!("/close {id} no"),
        format!("/reply {id} hi"),
        format!("/faq {id}"),
        "/stats".to_owned(),
    ] {
        let refused = all_text(&say(&engine, 2, Lang::En, "Bob", text(&command)).await);
        assert!(refused.contains("staff only"), "{command}: {refused}");
        assert!(!refused.contains("A question"), "{command}: {refused}");
    }
    for data in [
        format!("k:take:{id}"),
        format!("k:close:{id}"),
        format!("k:answer:{id}"),
    ] {
        let refused = all_text(&say(&engine, 1, Lang::En, "Ann", press(&data)).await);
        assert!(refused.contains("staff only"), "{data}: {refused}");
    }
    let ticket = engine.store().ticket(id).await.unwrap().unwrap();
    assert_eq!(ticket.status, TicketStatus::Open);
    assert!(ticket.taken_by.is_none());
    assert_eq!(outbox(engine.store()).await.len(), before);
}

// ─── The command line ───────────────────────────────────────────────────────────────

/// Two tickets made through the library on the sandbox's database: #1 by Zeynep (tr,
/// answered), #2 by Ann (en, open, taken by Mehmet).
async fn two_tickets(sandbox: &Sandbox) {
    let clock = Arc::new(ManualClock::new(Timestamp::now() - SignedDuration::from_hours(1)));
    let engine = engine(sandbox, &clock).await;
    say(&engine, 1, Lang::Tr, "Zeynep", press("n:pcm")).await;
    say(&engine, 1, Lang::Tr, "Zeynep", text("Erasmus hibesi ne zaman")).await;
    say(&engine, 1, Lang::Tr, "Zeynep", press("q:")).await;
    say(&engine, 1, Lang::Tr, "Zeynep", press("f:send")).await;
    clock.advance(SignedDuration::from_mins(10));
    ask(&engine, 2, Lang::En, "Ann", "Where is the <office>?").await;
    let staff = |e| engine.handle_in(person(MEHMET, Lang::Tr), private("Mehmet"), e);
    staff(text("/reply 1 Mart ayında.")).await.unwrap();
    staff(press("k:send:1")).await.unwrap();
    staff(text("/take 2")).await.unwrap();
    engine.store().close().await;
}

#[tokio::test]
async fn tickets_list_shows_every_ticket_or_those_of_one_status() {
    let sandbox = Sandbox::new();
    two_tickets(&sandbox).await;

    let output = sandbox.eudesk(&["tickets", "list"], "");
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let out = stdout(&output);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 2, "{out}");
    assert!(lines[0].starts_with("#1") && lines[0].contains("answered"), "{out}");
    assert!(
        lines[0].contains("Zeynep") && lines[0].contains("Erasmus hibesi ne zaman"),
        "{out}"
    );
    assert!(lines[1].starts_with("#2") && lines[1].contains("open"), "{out}");
    assert!(lines[1].contains("Where is the <office>?"), "{out}");

    let output = sandbox.eudesk(&["tickets", "list", "--status", "open"], "");
    let out = stdout(&output);
    assert_eq!(out.lines().count(), 1, "{out}");
    assert!(out.starts_with("#2"), "{out}");
    let output = sandbox.eudesk(&["tickets", "list", "--status", "closed"], "");
    assert_eq!(stdout(&output).trim(), "no tickets");

    let output = sandbox.eudesk(&["tickets", "list", "--json"], "");
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let rows: serde_json::Value = serde_json::from_str(&stdout(&output)).expect("JSON");
    let rows = rows.as_array().expect("an array");
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0]["id"], 1);
    assert_eq!(rows[0]["status"], "answered");
    assert_eq!(rows[0]["user"], 1);
    assert_eq!(rows[0]["first_name"], "Zeynep");
    assert_eq!(rows[0]["lang"], "tr");
    assert_eq!(rows[0]["question"], "Erasmus hibesi ne zaman");
    assert!(rows[0]["taken_by"].is_null());
    assert_eq!(rows[1]["taken_by"], "Mehmet");
    assert_eq!(rows[1]["question"], "Where is the <office>?");
    assert!(
        rows[1]["created"].as_str().is_some_and(|c| c.len() == 16),
        "{}",
        rows[1]
    );

    let output = sandbox.eudesk(&["tickets", "list", "--status", "answered", "--json"], "");
    let rows: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(rows.as_array().unwrap().len(), 1);
    assert_eq!(rows[0]["id"], 1);

    let output = sandbox.eudesk(&["tickets", "list", "--status", "pending"], "");
    assert_eq!(output.status.code(), Some(2), "a usage error: {}", stderr(&output));
    let err = stderr(&output);
    assert!(
        err.contains("'pending' is not a ticket status; use open, answered or closed"),
        "{err}"
    );
    assert!(stdout(&output).is_empty());
}

#[tokio::test]
async fn tickets_show_prints_the_context_and_every_event() {
    let sandbox = Sandbox::new();
    two_tickets(&sandbox).await;
    let output = sandbox.eudesk(&["tickets", "show", "1"], "");
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let out = stdout(&output);
    let lines: Vec<&str> = out.lines().collect();
    assert!(lines[0].starts_with("#1 · answered · Zeynep · tr · asked "), "{out}");
    assert!(lines[1].starts_with("context: pcm; matcher: office.about 0."), "{out}");
    assert!(
        lines[2].contains("question") && lines[2].contains("Zeynep: Erasmus hibesi ne zaman"),
        "{out}"
    );
    assert!(
        lines[3].contains("answer") && lines[3].contains("Mehmet: Mart ayında."),
        "{out}"
    );
    assert_eq!(lines.len(), 4, "{out}");

    let output = sandbox.eudesk(&["tickets", "show", "2"], "");
    let out = stdout(&output);
    assert!(out.contains("take") && out.contains("Mehmet"), "{out}");
    assert!(out.contains("Ann: Where is the <office>?"), "shown literally: {out}");
}

#[tokio::test]
async fn tickets_answer_queues_the_answer_and_marks_the_ticket_answered() {
    let sandbox = Sandbox::new();
    two_tickets(&sandbox).await;
    let output = sandbox.eudesk(&["tickets", "answer", "2", "It", "is", "on", "floor", "3."], "");
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(stdout(&output).contains("answer to #2 queued"), "{}", stdout(&output));

    let store = Store::open(&sandbox.database_url()).await.unwrap();
    let ticket = store.ticket(TicketId(2)).await.unwrap().unwrap();
    assert_eq!(ticket.status, TicketStatus::Answered);
    assert!(ticket.first_answered_at.is_some());
    let events = store.ticket_events(TicketId(2)).await.unwrap();
    let last = events.last().unwrap();
    assert_eq!(last.text.as_deref(), Some("It is on floor 3."));
    assert!(
        last.author.as_ref().is_some_and(|(_, n)| n.contains("komut satırı")),
        "{last:?}"
    );
    let answers: Vec<_> = outbox(&store)
        .await
        .into_iter()
        .filter(|p| {
            p.message.purpose
                == Some(Purpose::TicketAnswer {
                    ticket: eudesk::tickets::TicketId(2),
                })
        })
        .collect();
    assert_eq!(answers.len(), 1);
    let answer = &answers[0].message;
    assert_eq!(answer.to, Recipient::Chat(eudesk::ids::ChatId(2)));
    assert!(answer.html.contains("It is on floor 3."), "{}", answer.html);
    assert!(
        answer
            .html
            .contains("An answer from the EU and Foreign Relations Office"),
        "in English: {}",
        answer.html
    );
    assert!(answer.html.contains("Where is the &lt;office&gt;?"), "{}", answer.html);
    assert!(answer.keyboard.iter().flatten().any(|b| b.label.contains("Solved")));
    store.close().await;

    let output = sandbox.eudesk(&["tickets", "answer", "42", "hello"], "");
    assert_eq!(output.status.code(), Some(1));
    let err = stderr(&output);
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(err.contains("there is no ticket 42"), "{err}");
    assert!(!err.contains("panicked"));
}

#[tokio::test]
async fn tickets_close_closes_and_queues_the_notices() {
    let sandbox = Sandbox::new();
    two_tickets(&sandbox).await;
    let output = sandbox.eudesk(&["tickets", "close", "1", "--note", "Başvuru formu ektedir"], "");
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(stdout(&output).contains("ticket #1 closed"), "{}", stdout(&output));

    let store = Store::open(&sandbox.database_url()).await.unwrap();
    assert_eq!(
        store.ticket(TicketId(1)).await.unwrap().unwrap().status,
        TicketStatus::Closed
    );
    let close = store.ticket_events(TicketId(1)).await.unwrap().pop().unwrap();
    assert_eq!(close.text.as_deref(), Some("Başvuru formu ektedir"));
    let queued = outbox(&store).await;
    let notice = queued
        .iter()
        .find(|p| p.message.to == Recipient::Chat(eudesk::ids::ChatId(1)) && p.message.purpose.is_none())
        .expect("the person is told");
    assert!(
        notice.message.html.contains("#1 numaralı talebiniz"),
        "in Turkish: {}",
        notice.message.html
    );
    assert!(notice.message.html.contains("Başvuru formu ektedir"));
    let note = queued
        .iter()
        .find(|p| p.message.to == Recipient::Staff && p.message.html.contains("komut satırı tarafından kapatıldı"))
        .expect("the staff chat is told");
    assert_eq!(note.message.reply_to_ticket, Some(eudesk::tickets::TicketId(1)));
    store.close().await;

    for args in [&["tickets", "close", "9"][..], &["tickets", "show", "9"][..]] {
        let output = sandbox.eudesk(args, "");
        assert_eq!(output.status.code(), Some(1), "{args:?}");
        let err = stderr(&output);
        assert_eq!(err.trim().lines().count(), 1, "{args:?}: {err}");
        assert!(
            err.contains("there is no ticket 9; `eudesk tickets list` shows them"),
            "{err}"
        );
    }
}

#[tokio::test]
async fn stats_on_the_command_line_in_text_and_json() {
    let sandbox = Sandbox::new();
    two_tickets(&sandbox).await;
    {
        let engine = sandbox.engine().await;
        for q in [
            "bütçe nasıl hazırlanır",
            "finansman matrisi",
            "Vize nasıl alınır?",
            "vize nasil alinir",
        ] {
            say(&engine, 3, Lang::Tr, "Can", text(q)).await;
        }
        engine.store().close().await;
    }

    let output = sandbox.eudesk(&["stats", "--json"], "");
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let json: serde_json::Value = serde_json::from_str(&stdout(&output)).expect("JSON");
    assert!(json.is_object());
    // Zeynep, Ann, Can, and Mehmet, who answered from a private chat.
    assert_eq!(json["people"], 4);
    assert_eq!(json["answered"], 1);
    assert_eq!(json["suggested"], 1);
    assert_eq!(json["escalated"], 3);
    assert_eq!(json["tickets_open"], 1);
    assert_eq!(json["tickets_answered"], 1);
    assert_eq!(json["tickets_closed"], 0);
    assert!(json["median_first_answer_secs"].is_i64(), "{json}");
    assert!(json["p90_first_answer_secs"].is_i64(), "{json}");
    let top = json["top_unanswered"].as_array().expect("a list");
    let normalized = top[0][0].as_str().expect("the normalised question");
    assert!(normalized.starts_with("vize"), "{json}");
    assert_eq!(top[0][1], 2);
    assert_eq!(top[1][1], 1);

    let output = sandbox.eudesk(&["stats"], "");
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let out = stdout(&output);
    assert!(out.contains("People served: 4"), "{out}");
    assert!(
        out.contains("1 answered from the dialogues, 1 answered with suggestions, 3 not answered"),
        "{out}"
    );
    assert!(out.contains("Tickets: 1 open, 1 answered, 0 closed"), "{out}");
    assert!(
        out.contains("Time to first answer: median 10 min, 90th percentile 10 min"),
        "{out}"
    );
    assert!(out.contains(&format!("2 × {normalized}")), "{out}");
}

/// A ticket's history is shown whole, however long: the core no longer cuts it to one
/// Telegram message (the Telegram adapter splits a long message into several).
#[tokio::test]
async fn a_long_ticket_history_is_shown_whole() {
    let sandbox = Sandbox::new();
    let clock = clock();
    let engine = engine(&sandbox, &clock).await;
    let staff = |e: Event| {
        let engine = engine.clone();
        async move {
            engine
                .handle_in(person(AYSE, Lang::En), private("Ayşe"), e)
                .await
                .unwrap()
        }
    };
    let id = ask(&engine, 1, Lang::En, "Ann", "How do we report a running project?").await;
    for n in 1..=3 {
        let answer = format!("{} answer {n} ends here", "Step by step. ".repeat(180));
        staff(text(&format!("/reply {id} {answer}"))).await;
        staff(press(&format!("k:send:{id}"))).await;
        clock.advance(SignedDuration::from_mins(5));
    }
    let history = all_text(&staff(text(&format!("/ticket {id}"))).await);
    assert!(
        history.encode_utf16().count() > 4096,
        "long enough to need two messages"
    );
    for n in 1..=3 {
        assert!(
            history.contains(&format!("answer {n} ends here")),
            "answer {n} is in the history"
        );
    }
}
