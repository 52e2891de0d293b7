//! One update in, engine events through: what each kind of update does. The replies
//! are queued in the outbox by the engine, in the update's own transaction; nothing
//! here waits for Telegram (a button's answer is sent beside, not awaited).

use super::api::BotName;
use super::sender::Sender;
use super::staff_chat::StaffChat;
use super::{callback_data, deep_link};
use crate::engine::{Context, Engine, Event, Person, Place, ReplyIn};
use crate::ids::{ChatId as IdChat, MessageId as IdMessage, MessageRef, UpdateId};
use crate::lang::Lang;
use crate::message::{OutMessage, Recipient};
use teloxide::prelude::*;
use teloxide::types::UpdateKind;

/// What handling an update needs.
#[derive(Clone)]
pub struct Handler {
    pub engine: Engine,
    pub sender: Sender,
    pub name: BotName,
    pub staff: StaffChat,
}

impl Handler {
    /// Handles one update to the end: its effects and replies committed, or an apology
    /// queued.
    pub async fn handle(&self, update: Update) -> anyhow::Result<()> {
        let id = update.id.0;
        match update.kind {
            UpdateKind::Message(msg) => on_message(self, id, msg).await,
            UpdateKind::CallbackQuery(q) => on_callback(self, id, q).await,
            _ => Ok(()),
        }
    }
}

/// The chat (or, for a press with no message, the person) an update belongs to: its
/// updates are handled in order, one at a time.
pub fn line_of(update: &Update) -> Option<i64> {
    update
        .chat()
        .map(|chat| chat.id.0)
        .or_else(|| update.from().map(|user| user.id.0 as i64))
}

pub(super) fn person(user: &teloxide::types::User) -> Person {
    Person {
        user: crate::ids::UserId(user.id.0 as i64),
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
        return Event::Text(super::address::unaddressed(text).into_owned());
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

async fn on_message(h: &Handler, update: u32, msg: Message) -> anyhow::Result<()> {
    let (engine, staff) = (&h.engine, &h.staff);
    // Commands for another bot in the same group (`/stats@other_bot`) are not ours.
    if let Some(to) = msg.text().and_then(super::address::addressee)
        && !to.eq_ignore_ascii_case(&h.name.0)
    {
        return Ok(());
    }
    // A group upgraded to a supergroup moves to a new id: follow the staff chat there.
    // (Checked before the place: the old id is the configured one.)
    if let Some(to) = msg.migrate_to_chat_id() {
        staff.moved(msg.chat.id.0, to.0).await?;
        return Ok(());
    }
    let Some(place) = place(staff, &msg.chat).await? else {
        return Ok(());
    };
    let Some(user) = msg.from.as_ref() else {
        return Ok(());
    };
    // Nobody but staff is heard in the staff chat: not even a database write for them.
    if matches!(place, Place::StaffChat(_)) && !engine.is_staff(crate::ids::UserId(user.id.0 as i64)) {
        return Ok(());
    }
    let person = person(user);
    let ctx = Context {
        place,
        first_name: full_name(user),
        reply_to_ticket: replied_ticket(engine, &msg).await?,
        update: Some(UpdateId(update)),
        admitted: true,
        reply_in: Some(ReplyIn {
            chat: IdChat(msg.chat.id.0),
            pressed: None,
        }),
    };
    let event = event_of(&msg);
    respond(engine, update, person, ctx, event).await
}

/// Answers a button press beside the update's work, never waiting for it: until then
/// the person's client shows a spinner, and a lost answer costs only that.
fn answer_press(sender: &Sender, id: teloxide::types::CallbackQueryId, text: Option<String>) {
    let sender = sender.clone();
    tokio::spawn(async move {
        for attempt in 0..3u64 {
            match sender.answer_callback_with(id.clone(), text.as_deref()).await {
                Err(teloxide::RequestError::RetryAfter(wait)) => {
                    // A spinner longer than a few seconds is no use to anyone.
                    tokio::time::sleep(wait.duration().min(std::time::Duration::from_secs(5))).await;
                }
                Err(err) if super::transient(&err) => {
                    tokio::time::sleep(std::time::Duration::from_millis(200 << attempt)).await;
                }
                Err(err) => {
                    tracing::debug!(%err, "could not answer a callback query (probably too old)");
                    return;
                }
                Ok(()) => return,
            }
        }
    });
}

async fn on_callback(h: &Handler, update: u32, q: CallbackQuery) -> anyhow::Result<()> {
    let (engine, staff) = (&h.engine, &h.staff);
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
    let Some(place) = place(staff, &chat).await? else {
        return Ok(());
    };
    // A member of the staff group who is not staff pressing a ticket's button: told
    // privately, on the button itself, not with a message to the whole group.
    if matches!(place, Place::StaffChat(_)) && !engine.is_staff(crate::ids::UserId(q.from.id.0 as i64)) {
        let text = crate::engine::ui::staff_only(Lang::from_ietf(q.from.language_code.as_deref()));
        answer_press(&h.sender, q.id.clone(), Some(text.to_owned()));
        return Ok(());
    }
    answer_press(&h.sender, q.id.clone(), None);
    let person = person(&q.from);
    let ctx = Context {
        place,
        first_name: full_name(&q.from),
        reply_to_ticket: None,
        update: Some(UpdateId(update)),
        admitted: true,
        reply_in: Some(ReplyIn {
            chat: IdChat(chat.id.0),
            pressed: q.message.as_ref().map(|m| IdMessage(m.id().0 as i64)),
        }),
    };
    let event = Event::Press(q.data.as_deref().and_then(callback_data::decode));
    respond(engine, update, person, ctx, event).await
}

/// Runs the engine for one update; it queues what it says. A panic in one
/// conversation is caught here: logged with the update's id, answered with an apology,
/// and every other chat goes on.
async fn respond(engine: &Engine, update: u32, person: Person, ctx: Context, event: Event) -> anyhow::Result<()> {
    use futures::FutureExt;
    let to = ctx.reply_in;
    let staff_chat = matches!(ctx.place, Place::StaffChat(_));
    let handled = std::panic::AssertUnwindSafe(engine.handle_in(person, ctx, event))
        .catch_unwind()
        .await;
    let failure = match handled {
        Ok(Ok(_queued)) => return Ok(()),
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
    tracing::error!(update, user = person.user.0, error = %failure, "could not handle an update");
    let (Some(to), false) = (to, staff_chat) else {
        return Ok(());
    };
    let sorry = match person.lang_hint {
        Lang::Tr => "Bir sorun oluştu; lütfen birazdan tekrar deneyin.",
        Lang::En => "Something went wrong; please try again in a moment.",
    };
    engine
        .store()
        .enqueue(&OutMessage::new(Recipient::Chat(to.chat), sorry), engine.now())
        .await?;
    Ok(())
}
