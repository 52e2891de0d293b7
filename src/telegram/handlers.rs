//! Updates in, engine events through, replies out: the handler tree and what each
//! branch does.

use super::run::BotName;
use super::sender::{Sender, retrying};
use super::split::{TELEGRAM_LIMIT, split_html};
use super::staff_chat::StaffChat;
use super::{callback_data, deep_link};
use crate::engine::{Context, Engine, Event, Person, Place, Placement, Reply, Target};
use crate::ids::{ChatId as IdChat, MessageId as IdMessage, MessageRef, UpdateId};
use crate::lang::Lang;
use crate::message::Button;
use teloxide::dispatching::UpdateHandler;
use teloxide::prelude::*;
use teloxide::types::{InlineKeyboardButton, InlineKeyboardMarkup, MessageId};
use teloxide::{ApiError, RequestError};

/// The whole handler tree: messages and button presses; everything else is ignored.
pub fn schema() -> UpdateHandler<anyhow::Error> {
    dptree::entry()
        .branch(Update::filter_message().endpoint(on_message))
        .branch(Update::filter_callback_query().endpoint(on_callback))
}

/// A dispatcher over `schema`, ready to `dispatch()`; tests stop it with its shutdown
/// token. It polls with the plain bot (getUpdates is not rate-limited) and answers
/// through `sender`.
pub fn dispatcher(
    bot: Bot,
    sender: Sender,
    engine: Engine,
    name: BotName,
    staff: StaffChat,
) -> Dispatcher<Bot, anyhow::Error, i64> {
    Dispatcher::builder(bot, schema())
        .dependencies(dptree::deps![engine, sender, name, staff])
        .default_handler(|_| async {})
        .distribution_function(worker_of)
        .build()
}

/// How many workers handle updates at once. teloxide starts a worker (with a queue of
/// its own) per key and keeps as many as were ever busy at once; keyed by chat, a
/// burst from many people grows memory with the burst. Chats are spread over a fixed
/// number of workers instead: one chat always lands on the same worker, so its updates
/// stay in order, and memory stays bounded however many people write at once.
const WORKERS: i64 = 64;

fn worker_of(update: &Update) -> Option<i64> {
    update.chat().map(|chat| chat.id.0.rem_euclid(WORKERS))
}

fn person(user: &teloxide::types::User) -> Person {
    Person {
        user: user.id.0 as i64,
        lang_hint: Lang::from_ietf(user.language_code.as_deref()),
    }
}

/// Where a chat stands for the bot: a person's private chat, the staff chat, or a
/// chat the bot does not serve (other groups it was added to).
async fn place(staff: &StaffChat, chat: &teloxide::types::Chat) -> anyhow::Result<Option<Place>> {
    if chat.is_private() {
        return Ok(Some(Place::Private));
    }
    Ok((staff.current().await? == Some(chat.id.0)).then_some(Place::StaffChat(chat.id.0)))
}

/// Flood control before anything touches the database: a flooder's updates cost one
/// in-memory look-up each. `true` when the update goes on. A "slow down" is said only
/// in a private chat: in the staff group it would queue ahead of ticket posts.
async fn admitted(
    bot: &Sender,
    engine: &Engine,
    user: Option<&teloxide::types::User>,
    chat: &teloxide::types::Chat,
) -> bool {
    let Some(user) = user else {
        return true;
    };
    match engine.admit(person(user)) {
        None => true,
        Some(replies) => {
            if chat.is_private()
                && let Err(err) = deliver(bot, chat.id, None, replies).await
            {
                tracing::debug!(%err, "could not tell a flooding person to slow down");
            }
            false
        }
    }
}

/// A person's name as Telegram gives it, first and last, for the engine to clean.
fn full_name(user: &teloxide::types::User) -> String {
    match &user.last_name {
        Some(last) => format!("{} {last}", user.first_name),
        None => user.first_name.clone(),
    }
}

/// What a message carries, as the engine sees it: text, a file it can relay, or
/// something it can do nothing with. A deep link's `/start <payload>` is the press of
/// what it opens.
fn event_of(msg: &Message) -> Event {
    use crate::tickets::{Attachment, FileKind};
    if let Some(text) = msg.text() {
        if let Some(opened) = deep_link::payload(text).and_then(deep_link::open) {
            return Event::Press(Some(opened));
        }
        return Event::Text(text.to_owned());
    }
    let kind = if let Some(d) = msg.document() {
        Some(FileKind::Document(d.file_name.clone()))
    } else if msg.photo().is_some() {
        Some(FileKind::Photo)
    } else if msg.video().is_some() {
        Some(FileKind::Video)
    } else if let Some(a) = msg.audio() {
        Some(FileKind::Audio(a.file_name.clone()))
    } else if msg.voice().is_some() {
        Some(FileKind::Voice)
    } else {
        None
    };
    match kind {
        Some(kind) => Event::File(Attachment {
            of: crate::ids::MessageRef::new(
                crate::ids::ChatId(msg.chat.id.0),
                crate::ids::MessageId(msg.id.0 as i64),
            ),
            kind,
            caption: msg
                .caption()
                .map(crate::dialogue::render::printable)
                .map(|c| c.trim().to_owned())
                .filter(|c| !c.is_empty()),
        }),
        None => Event::Unsupported,
    }
}

/// The ticket of the message this one replies to, if it belongs to one: the adapter
/// knows which Telegram messages carried which ticket.
async fn replied_ticket(engine: &Engine, msg: &Message) -> anyhow::Result<Option<crate::tickets::TicketId>> {
    let Some(replied) = msg.reply_to_message() else {
        return Ok(None);
    };
    let message = MessageRef::new(IdChat(msg.chat.id.0), IdMessage(replied.id.0 as i64));
    Ok(engine.store().ticket_of_message(message).await?)
}

async fn on_message(
    bot: Sender,
    engine: Engine,
    name: BotName,
    staff: StaffChat,
    update: Update,
    msg: Message,
) -> anyhow::Result<()> {
    // Commands for another bot in the same group (`/stats@other_bot`) are not ours.
    if let Some(to) = msg.text().and_then(crate::engine::addressee)
        && !to.eq_ignore_ascii_case(&name.0)
    {
        return Ok(());
    }
    if !admitted(&bot, &engine, msg.from.as_ref(), &msg.chat).await {
        return Ok(());
    }
    // A group upgraded to a supergroup moves to a new id: follow the staff chat there.
    // (Checked before the place: the old id is the configured one.)
    if let Some(to) = msg.migrate_to_chat_id() {
        staff.moved(msg.chat.id.0, to.0).await?;
        return Ok(());
    }
    let Some(place) = place(&staff, &msg.chat).await? else {
        return Ok(());
    };
    let Some(user) = msg.from.as_ref() else {
        return Ok(());
    };
    // Nobody but staff is heard in the staff chat: not even a database write for them.
    if matches!(place, Place::StaffChat(_)) && !engine.is_staff(user.id.0 as i64) {
        return Ok(());
    }
    let person = person(user);
    let ctx = Context {
        place,
        first_name: full_name(user),
        reply_to_ticket: replied_ticket(&engine, &msg).await?,
        update: Some(UpdateId(update.id.0)),
        admitted: true,
    };
    let event = event_of(&msg);
    respond(&bot, &engine, update.id.0, person, ctx, event, msg.chat.id, None).await
}

async fn on_callback(
    bot: Sender,
    engine: Engine,
    staff: StaffChat,
    update: Update,
    q: CallbackQuery,
) -> anyhow::Result<()> {
    let chat = match &q.message {
        Some(m) => m.chat().clone(),
        None => teloxide::types::Chat {
            id: ChatId(q.from.id.0 as i64),
            kind: teloxide::types::ChatKind::Private(teloxide::types::ChatPrivate {
                username: None,
                first_name: None,
                last_name: None,
            }),
        },
    };
    if !admitted(&bot, &engine, Some(&q.from), &chat).await {
        return Ok(());
    }
    let Some(place) = place(&staff, &chat).await? else {
        return Ok(());
    };
    // A member of the staff group who is not staff pressing a ticket's button: told
    // privately, on the button itself, not with a message to the whole group.
    if matches!(place, Place::StaffChat(_)) && !engine.is_staff(q.from.id.0 as i64) {
        let text = crate::engine::ui::staff_only(Lang::from_ietf(q.from.language_code.as_deref()));
        if let Err(err) = bot.answer_callback_with(q.id.clone(), Some(text)).await {
            tracing::debug!(%err, "could not answer a callback query (probably too old)");
        }
        return Ok(());
    }
    // Answer first: until then the person's client shows a spinner on the button.
    if let Err(err) = bot.answer_callback(q.id.clone()).await {
        tracing::debug!(%err, "could not answer a callback query (probably too old)");
    }
    let person = person(&q.from);
    let ctx = Context {
        place,
        first_name: full_name(&q.from),
        reply_to_ticket: None,
        update: Some(UpdateId(update.id.0)),
        admitted: true,
    };
    let pressed = q.message.as_ref().map(|m| m.id());
    let event = Event::Press(q.data.as_deref().and_then(callback_data::decode));
    respond(&bot, &engine, update.id.0, person, ctx, event, chat.id, pressed).await
}

/// Runs the engine for one update and delivers what it says. A panic in one
/// conversation is caught here: logged with the update's id, answered with an apology,
/// and every other chat goes on.
#[allow(clippy::too_many_arguments)]
async fn respond(
    bot: &Sender,
    engine: &Engine,
    update: u32,
    person: Person,
    ctx: Context,
    event: Event,
    chat: ChatId,
    pressed: Option<MessageId>,
) -> anyhow::Result<()> {
    use futures::FutureExt;
    let handled = std::panic::AssertUnwindSafe(engine.handle_in(person, ctx, event))
        .catch_unwind()
        .await;
    let failure = match handled {
        Ok(Ok(replies)) => return deliver(bot, chat, pressed, replies).await,
        Ok(Err(err)) => err.to_string(),
        Err(panic) => {
            let what = panic
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_default();
            format!("panic: {what}")
        }
    };
    tracing::error!(update, user = person.user, error = %failure, "could not handle an update");
    let sorry = match person.lang_hint {
        Lang::Tr => "Bir sorun oluştu; lütfen birazdan tekrar deneyin.",
        Lang::En => "Something went wrong; please try again in a moment.",
    };
    bot.send(chat, sorry, None).await?;
    Ok(())
}

async fn deliver(bot: &Sender, chat: ChatId, pressed: Option<MessageId>, replies: Vec<Reply>) -> anyhow::Result<()> {
    for reply in replies {
        if let Some(document) = &reply.document {
            bot.send_document(chat, document, &reply.html).await?;
            continue;
        }
        let markup = keyboard(&reply.keyboard);
        // Too long for one message: several, the buttons under the last.
        let pieces = split_html(&reply.html, TELEGRAM_LIMIT);
        if pieces.len() > 1 {
            let last = pieces.len() - 1;
            for (i, piece) in pieces.iter().enumerate() {
                let markup = if i == last { markup.clone() } else { None };
                retrying(|| bot.send(chat, piece, markup.clone())).await?;
            }
            continue;
        }
        if let (Placement::Replace, Some(message)) = (reply.placement, pressed) {
            match bot.edit(chat, message, &reply.html, markup.clone()).await {
                Ok(()) | Err(RequestError::Api(ApiError::MessageNotModified)) => continue,
                // Too old to edit, deleted, or not a text message: say it anew instead.
                Err(err) => {
                    tracing::debug!(%err, "could not edit the menu in place; sending it anew")
                }
            }
        }
        retrying(|| bot.send(chat, &reply.html, markup.clone())).await?;
    }
    Ok(())
}

pub(super) fn keyboard(rows: &[Vec<Button>]) -> Option<InlineKeyboardMarkup> {
    if rows.is_empty() {
        return None;
    }
    let rows = rows.iter().map(|row| {
        row.iter()
            .filter_map(|b| match &b.target {
                Target::Callback(pressed) => Some(InlineKeyboardButton::callback(
                    b.label.clone(),
                    callback_data::encode(pressed),
                )),
                Target::Url(url) => reqwest::Url::parse(url)
                    .ok()
                    .map(|u| InlineKeyboardButton::url(b.label.clone(), u)),
            })
            .collect::<Vec<_>>()
    });
    Some(InlineKeyboardMarkup::new(rows))
}
