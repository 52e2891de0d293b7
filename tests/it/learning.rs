//! The bot learns from staff (issue 12): a ticket linked to the node that answers it,
//! with the 🔗 buttons under its post or `/link N node.id [words]`, becomes one more
//! way of asking for that node, used at once; `eudesk phrasings` lists, exports and
//! removes what was learned; erasing the person erases their words.

use crate::helpers::{Chat, WAIT, person, stdout, text};
use crate::tickets_telegram::{
    AYSE, MEHMET, OUTSIDER, STAFF_A, STAFF_B, STAFF_CHAT, ask_directly, events, has_button, post_marker,
    press_in_group, say_in_group, start, wait_one,
};
use eudesk::lang::Lang;
use eudesk::matching::Decision;
use eudesk::tickets::EventKind;

/// A question the test tree's budget node answers, worded so that the bot does not
/// recognise it (it offers staff).
const BUDGET_QUESTION: &str = "proje bütçesinde personel giderleri nasıl gösterilir";

async fn decision(engine: &eudesk::engine::Engine, question: &str) -> (Decision, Option<String>) {
    let outcome = engine.find(question, Lang::Tr).await.unwrap();
    (outcome.decision, outcome.matches.first().map(|m| m.id.to_string()))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_ticket_linked_with_the_button_under_its_post_is_answered_by_the_node_next_time() {
    let (bot, _clock) = start(|_| {}).await;
    let api = &bot.api;
    let engine = &bot.engine;
    assert_eq!(decision(engine, BUDGET_QUESTION).await.0, Decision::Escalate);

    // Ayşe's question is not recognised; she asks staff.
    let mut ayse = Chat::new(api, AYSE);
    ayse.say(BUDGET_QUESTION);
    let offer = ayse.expect("sendMessage", "").await;
    assert!(has_button(&offer, "q:"), "{:?}", offer.buttons());
    ayse.press(&offer, "q:");
    let confirm = ayse
        .expect("sendMessage", "Bu soruyu büro personeline göndereyim mi?")
        .await;
    ayse.press(&confirm, "f:send");
    ayse.expect("editMessageText", "talep #1").await;

    // The post shows the matcher's candidates as buttons; the first is the budget.
    let post = wait_one(api, STAFF_CHAT, &post_marker(1)).await;
    assert!(
        post.buttons()
            .iter()
            .any(|(label, data)| label == "🔗 pcm.budget" && data == "lk:1:0"),
        "{:?}",
        post.buttons()
    );

    // One tap shows the phrasing as it would be learned; Add learns it.
    press_in_group(api, STAFF_A, &post, "lk:1:0");
    let preview = wait_one(api, STAFF_CHAT, "söyleniş biçimi").await;
    let html = preview.text().unwrap();
    assert!(
        html.contains("<b>pcm.budget</b>") && html.contains(BUDGET_QUESTION),
        "{html}"
    );
    assert!(has_button(&preview, "la:1:0"), "{:?}", preview.buttons());
    press_in_group(api, STAFF_A, &preview, "la:1:0");
    api.wait_for(
        "editMessageText",
        |c| {
            c.text()
                .is_some_and(|t| t.contains("Öğrenildi") && t.contains("pcm.budget"))
        },
        WAIT,
    )
    .await;
    assert!(events(engine, 1).await.contains(&EventKind::Linked));

    // Mehmet asks the same: the budget node answers at once.
    let mut mehmet = Chat::new(api, MEHMET);
    mehmet.say(BUDGET_QUESTION);
    let answer = mehmet.expect("sendMessage", "Bütçe hazırlama").await;
    assert!(!has_button(&answer, "q:"), "{:?}", answer.buttons());

    // /stats counts the link and the node that gained a phrasing.
    let stats = eudesk::stats::of(engine.store(), &[]).await.unwrap();
    assert_eq!(stats.tickets_linked, 1);
    assert_eq!(stats.learned_by_node, [("pcm.budget".to_owned(), 1)]);
    say_in_group(api, STAFF_CHAT, STAFF_B, "/stats");
    let shown = wait_one(api, STAFF_CHAT, "Yanıtlayan düğüme bağlanan talepler: 1").await;
    assert!(shown.text().unwrap().contains("pcm.budget +1"), "{:?}", shown.text());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn staff_link_in_their_own_words_and_the_command_line_lists_exports_and_removes() {
    let (bot, _clock) = start(|_| {}).await;
    let api = &bot.api;
    let engine = &bot.engine;
    let question = "Küçük bir dernek için ortak finansman oranı ne kadar olmalı, adım Ayşe Yılmaz";
    let later = "ortak finansman oranı ne kadar";
    assert_ne!(decision(engine, later).await.0, Decision::Answer);

    // Asked straight to staff with /ask: the post still offers candidates.
    let mut ayse = Chat::new(api, AYSE);
    let n = ayse.ask(question).await;
    let post = wait_one(api, STAFF_CHAT, &post_marker(n)).await;
    assert!(has_button(&post, &format!("lk:{n}:0")), "{:?}", post.buttons());

    // Someone in the group who is not staff cannot teach the bot; a node that does
    // not exist is named; staff reword the question without the name.
    say_in_group(api, STAFF_CHAT, OUTSIDER, &format!("/link {n} pcm.budget {later}"));
    say_in_group(api, STAFF_CHAT, STAFF_B, &format!("/link {n} pcm.nothing {later}"));
    wait_one(api, STAFF_CHAT, "<b>pcm.nothing</b> adında").await;
    say_in_group(api, STAFF_CHAT, STAFF_B, &format!("/link {n} pcm.budget {later}"));
    wait_one(api, STAFF_CHAT, "Öğrenildi").await;
    assert_eq!(
        crate::tickets_telegram::sent(api, STAFF_CHAT, "Öğrenildi").len(),
        1,
        "only staff taught it"
    );
    assert_eq!(
        decision(engine, later).await,
        (Decision::Answer, Some("pcm.budget".into()))
    );

    // The command line sees what was learned, exports it as an ask line…
    let list = bot.sandbox.eudesk(&["phrasings", "list"], "");
    assert!(list.status.success(), "{list:?}");
    let listed = stdout(&list);
    assert!(
        listed.contains("pcm.budget") && listed.contains(later) && listed.contains(&format!("#{n}")),
        "{listed}"
    );
    assert!(listed.contains("Burak"), "who added it: {listed}");
    assert!(!listed.contains("Yılmaz"), "staff's words, not the person's: {listed}");
    let export = bot.sandbox.eudesk(&["phrasings", "export"], "");
    assert!(export.status.success(), "{export:?}");
    let exported = stdout(&export);
    assert!(exported.contains("node \"pcm.budget\": add to ask.tr"), "{exported}");
    assert!(exported.contains(&format!("  \"{later}\",")), "{exported}");

    // …and removes it: the running bot drops it at its next minute's check.
    let missing = bot.sandbox.eudesk(&["phrasings", "remove", "999"], "");
    assert_eq!(missing.status.code(), Some(1), "{missing:?}");
    let removed = bot.sandbox.eudesk(&["phrasings", "remove", "--all"], "");
    assert!(removed.status.success(), "{removed:?}");
    assert!(stdout(&removed).contains("1 phrasing(s) removed"));
    assert!(engine.relearn_if_changed().await.unwrap(), "the removal was noticed");
    assert_ne!(decision(engine, later).await.0, Decision::Answer);
    assert!(!engine.relearn_if_changed().await.unwrap(), "nothing changed since");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restarted_bot_keeps_what_it_learned_and_forgetting_a_person_erases_their_words() {
    let sandbox = crate::helpers::Sandbox::new();
    let clock = crate::tickets_telegram::clock();
    let engine = crate::tickets_telegram::engine_for(&sandbox, clock.clone(), |_| {}).await;
    let staff = person(STAFF_A, Lang::Tr);
    let verbatim = ask_directly(&engine, AYSE, BUDGET_QUESTION).await;
    let reworded = ask_directly(&engine, AYSE, "hibe bütçesinde eş finansman payı nasıl hesaplanır").await;
    let replies = engine
        .handle(staff, text(&format!("/link {verbatim} pcm.budget")))
        .await
        .unwrap();
    assert!(replies[0].html.contains("Öğrenildi"), "{}", replies[0].html);
    engine
        .handle(
            staff,
            text(&format!("/link {reworded} pcm.budget eş finansman payı hesabı")),
        )
        .await
        .unwrap();

    // A new process over the same database (`eudesk run` relearns at start).
    let again = crate::tickets_telegram::engine_for(&sandbox, clock.clone(), |_| {}).await;
    assert_eq!(again.relearn().await.unwrap(), 2);
    assert_eq!(
        decision(&again, BUDGET_QUESTION).await,
        (Decision::Answer, Some("pcm.budget".into()))
    );

    // Ayşe asks to be forgotten: her own words go, staff's rewording stays, unlinked.
    engine.handle(person(AYSE, Lang::Tr), text("/forget")).await.unwrap();
    engine
        .handle(person(AYSE, Lang::Tr), crate::helpers::press("x:forget"))
        .await
        .unwrap();
    let left = engine
        .store()
        .read(async |c| eudesk::storage::phrasings::all(c).await)
        .await
        .unwrap();
    assert_eq!(left.len(), 1, "{left:?}");
    assert_eq!(left[0].text, "eş finansman payı hesabı");
    assert_eq!(left[0].ticket, None);
    assert!(again.relearn_if_changed().await.unwrap());
    assert_ne!(decision(&again, BUDGET_QUESTION).await.0, Decision::Answer);
}
