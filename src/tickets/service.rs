//! The rules of a ticket's life, each action once, whichever door it comes through
//! (a person's chat, the staff group, the command line, the scheduler). Every function
//! takes the connection of an open transaction: what it changes and the messages it
//! owes people (through the outbox) commit together with the caller's other work.

use super::messages as msg;
use super::{Actor, Answer, Attachment, EventKind, NewTicket, Ticket, TicketId, TicketStatus, hours, quota_tag};
use crate::ids::{ChatId, MessageRef, UserId};
use crate::lang::Lang;
use crate::message::OutMessage;
use crate::storage::{Draft, StoreError, drafts, outbox, phrasings, quota, tickets as q};
use jiff::{SignedDuration, Timestamp};
use sqlx::SqliteConnection;

/// The outcome of asking.
#[derive(Debug)]
pub enum Asked {
    Ticket(Box<Ticket>),
    /// The person has reached the day's limit of new questions.
    LimitReached,
}

/// The outcome of answering.
#[derive(Debug)]
pub enum Answered {
    /// Queued to the person; the ticket as it is now.
    Queued(Box<Ticket>),
    NoSuchTicket,
    /// The person erased their data: there is nobody to send it to.
    Erased,
}

/// The outcome of closing.
#[derive(Debug)]
pub enum Closed {
    Now(Box<Ticket>),
    /// It was closed before; nothing was done.
    Already(Box<Ticket>),
    /// No such ticket (or, closed by its person, not theirs).
    NotFound,
}

/// What a person adds to their ticket.
pub enum Addition<'a> {
    Text(&'a str),
    File(&'a Attachment),
}

async fn load(conn: &mut SqliteConnection, id: TicketId) -> Result<Option<Ticket>, StoreError> {
    q::ticket(conn, id).await
}

async fn reload(conn: &mut SqliteConnection, id: TicketId) -> Result<Ticket, StoreError> {
    load(conn, id)
        .await?
        .ok_or_else(|| StoreError::Corrupt(format!("ticket {id} vanished")))
}

/// Stores a new question for staff, its history and its post to the staff chat (with
/// the files sent while asking), unless the person has reached the day's limit.
pub async fn ask(
    conn: &mut SqliteConnection,
    new: &NewTicket,
    day: jiff::civil::Date,
    per_day: u32,
    staff: Lang,
    now: Timestamp,
) -> Result<Asked, StoreError> {
    if !quota_take(conn, day, new.user, per_day).await? {
        return Ok(Asked::LimitReached);
    }
    let id = q::insert(conn, new, now).await?;
    let asker = Actor {
        id: new.user.0,
        name: new.first_name.clone(),
    };
    q::add_event(
        conn,
        id,
        EventKind::Question,
        Some(&asker),
        Some(new.question.as_str()),
        now,
    )
    .await?;
    let ticket = reload(conn, id).await?;
    outbox::enqueue(conn, &msg::staff_post(&ticket, staff), now).await?;
    for file in &new.attachments {
        let label = file.kind.label(Lang::En);
        q::add_event(conn, id, EventKind::File, Some(&asker), Some(&label), now).await?;
        outbox::enqueue(conn, &msg::staff_file(&ticket, file, staff), now).await?;
    }
    Ok(Asked::Ticket(Box::new(ticket)))
}

/// Counts one new question against a person's daily limit: `false` (and nothing
/// counted) when the limit is reached. The count is kept under a keyed hash of the
/// person's id with a random key of the office day, so that it names nobody and an
/// erasure (which removes the person's id from their tickets) cannot reset it. Keys
/// and counts of earlier days are deleted: a key lives one day.
async fn quota_take(
    conn: &mut SqliteConnection,
    day: jiff::civil::Date,
    user: UserId,
    per_day: u32,
) -> Result<bool, StoreError> {
    let day = day.to_string();
    quota::keep_only(conn, &day).await?;
    let key = match quota::key(conn, &day).await? {
        Some(key) => key,
        None => {
            let mut key = vec![0u8; 32];
            getrandom::getrandom(&mut key).map_err(|e| StoreError::Corrupt(format!("no randomness for a key: {e}")))?;
            quota::set_key(conn, &day, &key).await?;
            key
        }
    };
    let tag = quota_tag(&key, user);
    if quota::count(conn, &day, &tag).await? >= per_day {
        return Ok(false);
    }
    quota::increment(conn, &day, &tag).await?;
    Ok(true)
}

/// The person adds to their ticket (text or a file): it is open again and staff see
/// it under the ticket's post. `None` when there is no such ticket of theirs.
pub async fn follow_up(
    conn: &mut SqliteConnection,
    id: TicketId,
    user: UserId,
    addition: Addition<'_>,
    staff: Lang,
    now: Timestamp,
) -> Result<Option<Ticket>, StoreError> {
    let Some(before) = load(conn, id).await?.filter(|t| t.user == user) else {
        return Ok(None);
    };
    q::set_status(conn, id, TicketStatus::Open, now).await?;
    let asker = Actor {
        id: user.0,
        name: before.first_name.clone(),
    };
    let ticket = reload(conn, id).await?;
    let (kind, text, post) = match addition {
        Addition::Text(text) => (
            EventKind::FollowUp,
            text.to_owned(),
            msg::staff_follow_up(&ticket, text, staff),
        ),
        Addition::File(file) => (
            EventKind::File,
            match &file.caption {
                Some(c) => format!("{}: {c}", file.kind.label(Lang::En)),
                None => file.kind.label(Lang::En),
            },
            msg::staff_file(&ticket, file, staff),
        ),
    };
    q::add_event(conn, id, kind, Some(&asker), Some(&text), now).await?;
    outbox::enqueue(conn, &post, now).await?;
    Ok(Some(ticket))
}

/// Staff's answer (a text, or a file relayed) to the person. A ticket whose person
/// erased their data cannot be answered.
pub async fn answer(
    conn: &mut SqliteConnection,
    id: TicketId,
    staff: &Actor,
    answer: &Answer,
    now: Timestamp,
) -> Result<Answered, StoreError> {
    let Some(before) = load(conn, id).await? else {
        return Ok(Answered::NoSuchTicket);
    };
    if before.erased() {
        return Ok(Answered::Erased);
    }
    q::set_status(conn, id, TicketStatus::Answered, now).await?;
    let (kind, text) = match answer {
        Answer::Text(text) => (EventKind::Answer, text.clone()),
        Answer::File { label, caption, .. } => (
            EventKind::File,
            match caption {
                Some(c) => format!("{label}: {c}"),
                None => label.clone(),
            },
        ),
    };
    q::add_event(conn, id, kind, Some(staff), Some(&text), now).await?;
    outbox::enqueue(conn, &msg::answer(&before, answer), now).await?;
    Ok(Answered::Queued(Box::new(reload(conn, id).await?)))
}

/// A staff member takes a ticket; the staff chat is told. `None` when there is none.
pub async fn take(
    conn: &mut SqliteConnection,
    id: TicketId,
    staff: &Actor,
    lang: Lang,
    now: Timestamp,
) -> Result<Option<Ticket>, StoreError> {
    if load(conn, id).await?.is_none() {
        return Ok(None);
    }
    q::set_taken(conn, id, staff).await?;
    q::add_event(conn, id, EventKind::Take, Some(staff), None, now).await?;
    outbox::enqueue(conn, &msg::taken_note(id, &staff.name, lang), now).await?;
    Ok(Some(reload(conn, id).await?))
}

/// Who closes a ticket, which decides who is told.
pub enum Closer<'a> {
    /// Staff (in Telegram or on the command line): the person is told, with the note.
    Staff(&'a Actor, Option<&'a str>),
    /// The person, pressing "Solved": staff are told.
    Person(&'a Actor),
}

pub async fn close(
    conn: &mut SqliteConnection,
    id: TicketId,
    by: Closer<'_>,
    staff: Lang,
    now: Timestamp,
) -> Result<Closed, StoreError> {
    let Some(before) = load(conn, id).await? else {
        return Ok(Closed::NotFound);
    };
    let (actor, note) = match &by {
        Closer::Staff(actor, note) => (*actor, *note),
        Closer::Person(actor) if actor.id == before.user.0 => (*actor, None),
        Closer::Person(_) => return Ok(Closed::NotFound),
    };
    if before.status == TicketStatus::Closed {
        return Ok(Closed::Already(Box::new(before)));
    }
    q::set_status(conn, id, TicketStatus::Closed, now).await?;
    q::add_event(conn, id, EventKind::Close, Some(actor), note, now).await?;
    let ticket = reload(conn, id).await?;
    let notices: Vec<OutMessage> = match by {
        Closer::Staff(actor, note) => {
            let mut notices = vec![msg::closed_note(id, &actor.name, staff)];
            if !ticket.erased() {
                notices.insert(0, msg::closed_by_staff(&ticket, note));
            }
            notices
        }
        Closer::Person(_) => vec![msg::solved_note(id, staff)],
    };
    for m in &notices {
        outbox::enqueue(conn, m, now).await?;
    }
    Ok(Closed::Now(Box::new(ticket)))
}

/// An answer reached its person: recorded, and staff are told.
pub async fn answer_delivered(
    conn: &mut SqliteConnection,
    id: TicketId,
    staff: Lang,
    now: Timestamp,
) -> Result<(), StoreError> {
    q::add_event(conn, id, EventKind::Delivered, None, None, now).await?;
    outbox::enqueue(conn, &msg::delivered_note(id, staff), now).await?;
    Ok(())
}

/// Telegram refused an answer for good: recorded, and staff are told why.
pub async fn answer_undeliverable(
    conn: &mut SqliteConnection,
    id: TicketId,
    reason: &str,
    staff: Lang,
    now: Timestamp,
) -> Result<(), StoreError> {
    q::add_event(conn, id, EventKind::Undeliverable, None, Some(reason), now).await?;
    outbox::enqueue(conn, &msg::undeliverable_note(id, reason, staff), now).await?;
    Ok(())
}

/// Brings up again, in the staff chat, open tickets nobody took that have waited
/// longer than `after` office hours since the question, the last follow-up or the last
/// reminder. How many.
pub async fn remind_waiting(
    conn: &mut SqliteConnection,
    after: SignedDuration,
    staff: Lang,
    now: Timestamp,
) -> Result<usize, StoreError> {
    let mut reminded = 0;
    for ticket in q::tickets(conn, Some(TicketStatus::Open)).await? {
        if ticket.taken_by.is_some() {
            continue;
        }
        let since = ticket
            .staff_reminded_at
            .unwrap_or(ticket.last_activity_at)
            .max(ticket.last_activity_at);
        if hours::between(since, now) < after {
            continue;
        }
        let waited = hours::between(ticket.last_activity_at, now).as_hours();
        q::set_reminded(conn, ticket.id, now).await?;
        outbox::enqueue(conn, &msg::staff_reminder(&ticket, waited, staff), now).await?;
        reminded += 1;
    }
    Ok(reminded)
}

/// Remembers where a message about a ticket landed in Telegram, so that a reply to it
/// leads to the ticket.
pub async fn link(conn: &mut SqliteConnection, message: MessageRef, id: TicketId) -> Result<(), StoreError> {
    q::link_message(conn, message, id).await
}

/// Staff teach the bot: `phrasing` (the ticket's question itself when `verbatim`, or
/// staff's rewording) becomes one more way of asking for `node`, and the link is kept
/// in the ticket's history.
pub async fn learn_phrasing(
    conn: &mut SqliteConnection,
    ticket: &Ticket,
    node: &str,
    phrasing: &str,
    verbatim: bool,
    by: &Actor,
    now: Timestamp,
) -> Result<(), StoreError> {
    let origin = phrasings::Origin {
        ticket: Some(ticket.id),
        verbatim,
        by,
    };
    phrasings::add(&mut *conn, node, ticket.lang, phrasing, origin, now).await?;
    q::add_event(
        conn,
        ticket.id,
        EventKind::Linked,
        Some(by),
        Some(&format!("{node}: {phrasing}")),
        now,
    )
    .await?;
    Ok(())
}

/// How long a staff member's answer may stay unsent and untouched before it is
/// dropped: long enough to write a careful answer, short enough that a forgotten one
/// does not catch the next text written in that chat.
pub const DRAFT_TTL: SignedDuration = SignedDuration::from_mins(15);

/// Whether a draft has been left untouched too long.
pub fn draft_expired(draft: &Draft, now: Timestamp) -> bool {
    now.duration_since(draft.touched_at) > DRAFT_TTL
}

/// The staff member's live draft in this chat, if any; an expired one is dropped (the
/// minute's job tells its author).
pub async fn live_draft(
    conn: &mut SqliteConnection,
    staff: UserId,
    chat: ChatId,
    now: Timestamp,
) -> Result<Option<Draft>, StoreError> {
    match drafts::draft(&mut *conn, staff.0, chat).await? {
        Some(d) if draft_expired(&d, now) => {
            drafts::delete(conn, staff.0, chat).await?;
            Ok(None)
        }
        other => Ok(other),
    }
}

/// Drops staff drafts untouched for `DRAFT_TTL` and tells each staff member, in the
/// chat the draft was in, that nothing was sent. The drafts dropped.
pub async fn expire_drafts(conn: &mut SqliteConnection, staff_lang: Lang, now: Timestamp) -> Result<usize, StoreError> {
    let before = now.checked_sub(DRAFT_TTL).unwrap_or(now);
    let expired = drafts::take_expired(conn, before).await?;
    for draft in &expired {
        outbox::enqueue(conn, &msg::draft_expired(draft, staff_lang), now).await?;
    }
    Ok(expired.len())
}
