//! The real Telegram adapter (`telegram::run`) end to end, against the loopback fake Bot
//! API: nothing here reaches Telegram.

use crate::fake_api::Call;
use crate::helpers::{Running, Sandbox, WAIT};

async fn start(throttle: bool) -> Running {
    let sandbox = Sandbox::new();
    let engine = sandbox.engine().await;
    Running::start(sandbox, engine, throttle).await
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

#[tokio::test]
async fn commands_are_registered_in_turkish_and_english() {
    let bot = start(true).await;
    let calls = bot.api.wait_calls("setMyCommands", 2, WAIT).await;
    let turkish = calls
        .iter()
        .find(|c| c.params["language_code"] == "tr")
        .expect("a Turkish menu");
    assert!(turkish.params["commands"].to_string().contains("Ana menü"));
    let default = calls
        .iter()
        .find(|c| c.params.get("language_code").is_none())
        .expect("a default menu");
    assert!(default.params["commands"].to_string().contains("Main menu"));
}

#[tokio::test]
async fn start_shows_the_main_menu_and_buttons_navigate_in_place() {
    let bot = start(true).await;
    bot.api.push_text(11, "/start");
    let menu = bot.api.wait_for("sendMessage", to(11, "Merhaba!"), WAIT).await;
    assert_eq!(menu.params["parse_mode"], "HTML");
    let id = menu.sent_message_id().unwrap();

    bot.api.push_callback(11, id, &button(&menu, "Proje yazma"));
    let edit = bot.api.wait_for("editMessageText", to(11, "Proje Döngüsü"), WAIT).await;
    assert_eq!(edit.message_id(), Some(id), "the menu message is edited in place");
    bot.api.wait_for("answerCallbackQuery", |_| true, WAIT).await;

    bot.api.push_callback(11, id, &button(&edit, "Mantıksal"));
    let answer = bot
        .api
        .wait_for("editMessageText", to(11, "<b>Mantıksal çerçeve matrisi</b>"), WAIT)
        .await;
    assert!(
        answer
            .buttons()
            .iter()
            .any(|(l, url)| l.contains("Rehber") && url == "https://example.org/guide")
    );
    assert!(answer.buttons().iter().any(|(l, _)| l.contains("Geri")));
}

#[tokio::test]
async fn a_typed_question_is_answered_in_the_persons_language() {
    let bot = start(false).await;
    bot.api.push_text_lang(12, "en", "how do I prepare a budget?");
    let answer = bot
        .api
        .wait_for("sendMessage", to(12, "Preparing a budget"), WAIT)
        .await;
    assert!(answer.buttons().iter().any(|(l, _)| l.contains("Main menu")));
}

#[tokio::test]
async fn an_unanswerable_question_is_echoed_escaped_with_an_offer_to_ask_staff() {
    let bot = start(false).await;
    bot.api
        .push_text_lang(13, "en", "<script>passport</script> renewal & fees");
    let reply = bot.api.wait_for("sendMessage", to(13, "no ready answer"), WAIT).await;
    assert!(
        reply
            .text()
            .unwrap()
            .contains("&lt;script&gt;passport&lt;/script&gt; renewal &amp; fees")
    );
    assert_eq!(button(&reply, "Ask staff"), "q:");
}

#[tokio::test]
async fn stickers_and_photos_get_the_polite_reply() {
    let bot = start(false).await;
    bot.api.push_sticker(14);
    bot.api
        .wait_for("sendMessage", to(14, "Yalnızca yazılı mesajları"), WAIT)
        .await;
    bot.api.push_photo(15);
    bot.api
        .wait_for("sendMessage", to(15, "Yalnızca yazılı mesajları"), WAIT)
        .await;
}

#[tokio::test]
async fn a_stale_button_is_answered_and_leads_to_the_main_menu() {
    let bot = start(false).await;
    bot.api.push_callback(16, 555, "n:a.node.that.was.removed");
    bot.api.wait_for("answerCallbackQuery", |_| true, WAIT).await;
    let reply = bot.api.wait_for("editMessageText", to(16, "artık yok"), WAIT).await;
    assert!(reply.text().unwrap().contains("Merhaba!"));
}

#[tokio::test]
async fn when_the_menu_cannot_be_edited_it_is_sent_anew() {
    let bot = start(false).await;
    bot.api.fail_next(
        "editMessageText",
        400,
        serde_json::json!({"ok": false, "error_code": 400, "description": "Bad Request: message can't be edited"}),
    );
    bot.api.push_callback(17, 777, "n:pcm");
    bot.api.wait_for("sendMessage", to(17, "Proje Döngüsü"), WAIT).await;
}

#[tokio::test]
async fn the_language_choice_changes_the_menus() {
    let bot = start(false).await;
    bot.api.push_text(18, "/language");
    let choose = bot
        .api
        .wait_for("sendMessage", to(18, "Choose your language"), WAIT)
        .await;
    bot.api
        .push_callback(18, choose.sent_message_id().unwrap(), &button(&choose, "English"));
    bot.api
        .wait_for("editMessageText", to(18, "Language: English"), WAIT)
        .await;
    bot.api.push_text(18, "/menu");
    bot.api
        .wait_for("sendMessage", to(18, "Hello! How can I help?"), WAIT)
        .await;
}

#[tokio::test]
async fn a_panic_in_one_conversation_is_answered_with_an_apology_and_every_other_chat_goes_on() {
    use eudesk::engine::{Engine, Options};
    use std::sync::Arc;
    let sandbox = Sandbox::new();
    let loaded = eudesk::dialogue::load(&sandbox.dialogues()).unwrap();
    let store = eudesk::storage::Store::open(&sandbox.database_url()).await.unwrap();
    let options = Options {
        observer: Some(Arc::new(|user: eudesk::ids::UserId, _: &eudesk::engine::Event| {
            if user.0 == 66 {
                panic!("injected fault for person 66");
            }
        })),
        ..Options::default()
    };
    let engine = Engine::with_options(loaded.tree, store, options);
    let bot = Running::start(sandbox, engine, false).await;
    bot.api.push_text(66, "/start");
    bot.api.wait_for("sendMessage", to(66, "Bir sorun oluştu"), WAIT).await;
    bot.api.push_text(67, "/start");
    bot.api.wait_for("sendMessage", to(67, "Merhaba!"), WAIT).await;
    // The dispatcher lives on for the next update.
    bot.api.push_text(67, "/help");
    bot.api.wait_for("sendMessage", to(67, "/language"), WAIT).await;
}
