//! The framework's own ceiling: a minimal teloxide 0.17 bot that answers every message
//! and every button press with one sendMessage, nothing else (no database, no throttle).
//! The benchmark runs it as a child process: `load --echo-bot`, with TELOXIDE_TOKEN and
//! TELOXIDE_API_URL in its environment.

use teloxide::prelude::*;
use teloxide::types::Update;

pub fn main() {
    let token = std::env::var("TELOXIDE_TOKEN").expect("TELOXIDE_TOKEN");
    let url = std::env::var("TELOXIDE_API_URL").expect("TELOXIDE_API_URL");
    // The same runtime as eudesk's: multi-threaded, one worker per core.
    let runtime = tokio::runtime::Runtime::new().expect("a runtime");
    runtime.block_on(async move {
        let bot = Bot::new(token).set_api_url(url.parse().expect("a URL"));
        let handler = dptree::entry()
            .branch(Update::filter_message().endpoint(|bot: Bot, msg: Message| async move {
                bot.send_message(msg.chat.id, msg.text().unwrap_or("?")).await?;
                Ok::<(), teloxide::RequestError>(())
            }))
            .branch(
                Update::filter_callback_query().endpoint(|bot: Bot, q: CallbackQuery| async move {
                    let chat = q.message.as_ref().map_or(ChatId(q.from.id.0 as i64), |m| m.chat().id);
                    bot.send_message(chat, q.data.unwrap_or_default()).await?;
                    Ok::<(), teloxide::RequestError>(())
                }),
            );
        Dispatcher::builder(bot, handler)
            .default_handler(|_| async {})
            .build()
            .dispatch()
            .await;
    });
}
