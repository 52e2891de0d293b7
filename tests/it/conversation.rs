//! The conversation core over a real SQLite file: menus, questions, languages, and
//! conversations that survive a restart.

use crate::helpers::{Sandbox, TREE, button, labels, person, press, text};
use eudesk::engine::{Event, Placement};
use eudesk::lang::Lang;

#[tokio::test]
async fn start_shows_the_main_menu_with_its_children() {
    let sandbox = Sandbox::new();
    let engine = sandbox.engine().await;
    let replies = engine.handle(person(1, Lang::Tr), text("/start")).await.unwrap();
    assert_eq!(replies.len(), 1);
    assert!(replies[0].html.contains("Merhaba"));
    assert_eq!(
        labels(&replies[0]),
        ["Büro", "Proje yazma", "Personele sor", "Eğitime kayıt"]
    );
    assert_eq!(replies[0].placement, Placement::New);
}

#[tokio::test]
async fn buttons_navigate_in_place_with_back_and_main_menu() {
    let sandbox = Sandbox::new();
    let engine = sandbox.engine().await;
    let p = person(1, Lang::En);
    let menu = engine.handle(p, text("/start")).await.unwrap().remove(0);
    let pcm = engine
        .handle(p, press(&button(&menu, "Project writing")))
        .await
        .unwrap()
        .remove(0);
    assert_eq!(pcm.placement, Placement::Replace);
    assert!(pcm.html.contains("Project Cycle Management"));
    let logframe = engine
        .handle(p, press(&button(&pcm, "Logical framework")))
        .await
        .unwrap()
        .remove(0);
    assert!(
        logframe.html.contains("<b>logical framework matrix</b>"),
        "{}",
        logframe.html
    );
    assert!(labels(&logframe).contains(&"🔗 Guide".to_owned()));
    let back = engine
        .handle(p, press(&button(&logframe, "Back")))
        .await
        .unwrap()
        .remove(0);
    assert!(back.html.contains("Project Cycle Management"));
    let main = engine
        .handle(p, press(&button(&back, "Main menu")))
        .await
        .unwrap()
        .remove(0);
    assert!(main.html.contains("Hello"));
    assert!(
        !labels(&main).iter().any(|l| l.contains("Back")),
        "the main menu has nowhere to go back to"
    );
}

#[tokio::test]
async fn a_restart_resumes_the_conversation_where_it_was() {
    let sandbox = Sandbox::new();
    {
        let engine = sandbox.engine().await;
        engine.handle(person(7, Lang::Tr), press("n:pcm.budget")).await.unwrap();
        engine
            .handle(person(8, Lang::Tr), press("n:office.about"))
            .await
            .unwrap();
        engine.store().close().await;
    }
    let engine = sandbox.engine().await;
    let seven = engine
        .handle(person(7, Lang::Tr), Event::Resume)
        .await
        .unwrap()
        .remove(0);
    assert!(seven.html.contains("Bütçe hazırlama"), "{}", seven.html);
    let eight = engine
        .handle(person(8, Lang::Tr), Event::Resume)
        .await
        .unwrap()
        .remove(0);
    assert!(eight.html.contains("2007"), "{}", eight.html);
}

#[tokio::test]
async fn a_saved_node_removed_by_a_content_edit_falls_back_to_the_main_menu() {
    let sandbox = Sandbox::new();
    {
        let engine = sandbox.engine().await;
        engine.handle(person(7, Lang::En), press("n:pcm.budget")).await.unwrap();
        engine.store().close().await;
    }
    let edited = TREE
        .replace(
            r#"children = ["pcm.logframe", "pcm.budget"]"#,
            r#"children = ["pcm.logframe", "pcm.costs"]"#,
        )
        .replace(r#"id = "pcm.budget""#, r#"id = "pcm.costs""#);
    sandbox.write("tree.toml", &edited);
    let engine = sandbox.engine().await;
    let reply = engine
        .handle(person(7, Lang::En), Event::Resume)
        .await
        .unwrap()
        .remove(0);
    assert!(reply.html.contains("no longer exists"), "{}", reply.html);
    assert!(reply.html.contains("Hello"));
}

#[tokio::test]
async fn stale_and_hand_made_buttons_lead_to_the_main_menu() {
    let sandbox = Sandbox::new();
    let engine = sandbox.engine().await;
    for data in ["n:pcm.gone", "a:pcm.budget", "zzz", "", "n:DROP TABLE conversations;--"] {
        let reply = engine.handle(person(1, Lang::En), press(data)).await.unwrap().remove(0);
        assert!(reply.html.contains("Hello"), "{data}: {}", reply.html);
        assert!(reply.html.contains("<i>"), "{data}: a short notice says why");
    }
}

#[tokio::test]
async fn the_chosen_language_is_kept_over_telegrams_and_across_restarts() {
    let sandbox = Sandbox::new();
    {
        let engine = sandbox.engine().await;
        let choose = engine
            .handle(person(3, Lang::Tr), text("/language"))
            .await
            .unwrap()
            .remove(0);
        let reply = engine
            .handle(person(3, Lang::Tr), press(&button(&choose, "English")))
            .await
            .unwrap()
            .remove(0);
        assert!(reply.html.contains("Language: English"));
        engine.store().close().await;
    }
    let engine = sandbox.engine().await;
    let reply = engine
        .handle(person(3, Lang::Tr), text("/menu"))
        .await
        .unwrap()
        .remove(0);
    assert!(reply.html.contains("Hello"), "{}", reply.html);
}

#[tokio::test]
async fn a_clear_question_is_answered_with_the_node() {
    let sandbox = Sandbox::new();
    let engine = sandbox.engine().await;
    let reply = engine
        .handle(person(1, Lang::Tr), text("Merhaba, logframe nasil hazirlanir?"))
        .await
        .unwrap()
        .remove(0);
    assert!(reply.html.contains("Mantıksal çerçeve matrisi"), "{}", reply.html);
    assert_eq!(reply.placement, Placement::New);
    assert!(
        labels(&reply).iter().any(|l| l.contains("Geri")),
        "answers keep their buttons"
    );
}

#[tokio::test]
async fn an_unknown_question_offers_staff_and_echoes_it_escaped() {
    let sandbox = Sandbox::new();
    let engine = sandbox.engine().await;
    let reply = engine
        .handle(person(1, Lang::En), text("<b>visa</b> for Norway & Sweden"))
        .await
        .unwrap()
        .remove(0);
    assert!(
        reply.html.contains("&lt;b&gt;visa&lt;/b&gt; for Norway &amp; Sweden"),
        "{}",
        reply.html
    );
    assert_eq!(button(&reply, "Ask staff"), "q:");
}

#[tokio::test]
async fn greetings_and_emoji_alone_get_a_prompt_to_ask() {
    let sandbox = Sandbox::new();
    let engine = sandbox.engine().await;
    for input in ["merhaba", "😀😀", "   ", "?!"] {
        let reply = engine.handle(person(1, Lang::En), text(input)).await.unwrap().remove(0);
        assert!(reply.html.contains("type your question"), "{input}: {}", reply.html);
    }
}

#[tokio::test]
async fn stickers_and_photos_get_a_polite_text_only_reply() {
    let sandbox = Sandbox::new();
    let engine = sandbox.engine().await;
    let reply = engine
        .handle(person(1, Lang::Tr), Event::Unsupported)
        .await
        .unwrap()
        .remove(0);
    assert!(reply.html.contains("Yalnızca yazılı mesajları"), "{}", reply.html);
}

#[tokio::test]
async fn the_registration_action_lists_the_sessions() {
    let sandbox = Sandbox::new();
    let engine = sandbox.engine().await;
    let node = engine
        .handle(person(1, Lang::En), press("n:training.register"))
        .await
        .unwrap()
        .remove(0);
    let reply = engine
        .handle(person(1, Lang::En), press(&button(&node, "Register")))
        .await
        .unwrap()
        .remove(0);
    assert!(
        reply.html.contains("No PCM training is open for booking right now"),
        "{}",
        reply.html
    );
}

#[tokio::test]
async fn asking_staff_from_the_menu_asks_for_the_question() {
    let sandbox = Sandbox::new();
    let engine = sandbox.engine().await;
    let node = engine
        .handle(person(1, Lang::En), press("n:help.ask_staff"))
        .await
        .unwrap()
        .remove(0);
    let reply = engine
        .handle(person(1, Lang::En), press(&button(&node, "Ask staff")))
        .await
        .unwrap()
        .remove(0);
    assert!(reply.html.contains("Write your question"), "{}", reply.html);
}

#[tokio::test]
async fn help_lists_the_commands_and_unknown_commands_point_to_it() {
    let sandbox = Sandbox::new();
    let engine = sandbox.engine().await;
    let help = engine
        .handle(person(1, Lang::En), text("/help"))
        .await
        .unwrap()
        .remove(0);
    for c in ["/start", "/menu", "/help", "/language", "/cancel"] {
        assert!(help.html.contains(c), "{c} in {}", help.html);
    }
    let unknown = engine
        .handle(person(1, Lang::En), text("/<x>"))
        .await
        .unwrap()
        .remove(0);
    assert!(
        unknown.html.contains("/&lt;x&gt;") && unknown.html.contains("/help"),
        "{}",
        unknown.html
    );
}

#[tokio::test]
async fn the_contact_placeholder_says_how_to_reach_staff_while_details_are_unknown() {
    let sandbox = Sandbox::new();
    let engine = sandbox.engine().await;
    let reply = engine
        .handle(person(1, Lang::En), press("n:office.contact"))
        .await
        .unwrap()
        .remove(0);
    assert!(
        reply.html.contains("have not been added to this bot yet"),
        "{}",
        reply.html
    );
}
