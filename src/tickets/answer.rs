//! Staff answering a ticket: nothing reaches the person before staff have seen it.
//!
//! Pressing a ticket's "Answer" starts a draft that belongs to that staff member, that
//! ticket and the chat it was pressed in; only their next text (or file) in that chat
//! fills it, and only for 15 minutes. A reply to a ticket's post and `/reply N text`
//! fill a draft at once. Every draft is shown back with Send / Edit / Cancel; Send
//! checks, at that moment, that the sender is still staff, that the ticket's person is
//! still there, and whether someone else took or answered the ticket meanwhile.

use crate::conversation::staff_reply;
use crate::conversation::{EngineError, Place, Placement, Reply, Turn};
use crate::dialogue::render::{escape_html, printable};
use crate::ids::ChatId;
use crate::lang::{Lang, pick as t};
use crate::message::{Callback, TicketVerb, to};
use crate::storage::{Draft, DraftContent, drafts, tickets};
use crate::tickets::service::{self as ticket_service, Answered};
use crate::tickets::{Actor, Answer, Attachment, EventKind, Ticket, TicketId};
use jiff::Timestamp;

/// What a staff member gave for a draft.
pub(crate) enum Input<'a> {
    Text(&'a str),
    File(&'a Attachment),
}

/// The chat a turn happens in: the staff group, or the staff member's private chat.
fn chat_of(turn: &Turn<'_>) -> ChatId {
    match turn.place {
        Place::StaffChat(chat) => ChatId(chat),
        Place::Private => turn.user.chat(),
    }
}

fn draft_buttons(lang: Lang, ticket: TicketId, send: TicketVerb) -> Vec<Vec<crate::message::Button>> {
    let send_label = match send {
        TicketVerb::SendAnyway => t(lang, "📤 Yine de gönder", "📤 Send anyway"),
        _ => t(lang, "📤 Gönder", "📤 Send"),
    };
    vec![
        vec![to(send_label, Callback::Ticket(send, ticket))],
        vec![
            to(
                t(lang, "✏️ Düzenle", "✏️ Edit"),
                Callback::Ticket(TicketVerb::Edit, ticket),
            ),
            to(
                crate::conversation::ui::cancel(lang),
                Callback::Ticket(TicketVerb::Discard, ticket),
            ),
        ],
    ]
}

/// "Selin" or "#9001": who a staff member is in a note.
fn who(turn: &Turn<'_>) -> String {
    escape_html(&turn.first_name)
}

/// The staff member's live draft in this chat, if any; an expired one is dropped.
pub(crate) async fn live_draft(turn: &mut Turn<'_>) -> Result<Option<Draft>, EngineError> {
    let (user, chat, now) = (turn.user, chat_of(turn), turn.desk.clock.now());
    Ok(ticket_service::live_draft(turn.work.write().await?, user, chat, now).await?)
}

/// An empty draft of an answer to ticket `id`, by this staff member in this chat,
/// remembering the ticket's last event (answers by others after it are a conflict).
async fn new_draft(turn: &mut Turn<'_>, id: TicketId, now: Timestamp) -> Result<Draft, EngineError> {
    Ok(Draft {
        user: turn.user.0,
        chat: chat_of(turn),
        ticket: id,
        seen_event: last_event(turn, id).await?,
        touched_at: now,
        content: None,
        confirmed: false,
    })
}

/// "Answer" pressed: the next text (or file) from this staff member in this chat is
/// the answer's draft.
pub(crate) async fn start_answer(turn: &mut Turn<'_>, id: TicketId) -> Result<Vec<Reply>, EngineError> {
    let desk = turn.desk;
    let lang = turn.lang;
    let Some(ticket) = tickets::ticket(turn.work.read().await?, id).await? else {
        return Ok(vec![staff_reply(&crate::tickets::messages::missing(id, lang))]);
    };
    if ticket.erased() {
        return Ok(vec![staff_reply(&erased(lang, id))]);
    }
    let now = desk.clock.now();
    let draft = new_draft(turn, id, now).await?;
    drafts::save(turn.work.write().await?, &draft).await?;
    let mut html = match lang {
        Lang::Tr => format!(
            "✍️ {}, #{id} numaralı talebin yanıtını bu sohbette yazın (ya da bir dosya gönderin). Göndermeden önce size gösterilecek. 15 dakika içinde yazılmazsa iptal olur; vazgeçmek için /cancel.",
            who(turn)
        ),
        Lang::En => format!(
            "✍️ {}, write the answer to ticket #{id} in this chat (or send a file). You will see it before it is sent. Answer mode ends after 15 minutes; /cancel to stop.",
            who(turn)
        ),
    };
    if let Some(warning) = taken_warning(turn, &ticket) {
        html = format!("{warning}\n\n{html}");
    }
    Ok(vec![staff_reply(&html)])
}

/// "#12 is taken by Burak", when another staff member took the ticket.
pub(crate) fn taken_warning(turn: &Turn<'_>, ticket: &Ticket) -> Option<String> {
    let (by, name) = ticket.taken_by.as_ref()?;
    if *by == turn.user.0 {
        return None;
    }
    let name = escape_html(name);
    Some(match turn.lang {
        Lang::Tr => format!("⚠️ #{} numaralı talebi {name} üstlendi.", ticket.id),
        Lang::En => format!("⚠️ Ticket #{} is taken by {name}.", ticket.id),
    })
}

/// Text or a file for the draft this staff member has open in this chat, if any:
/// `None` when there is none (the text is not for the bot).
pub(crate) async fn draft_input(turn: &mut Turn<'_>, input: Input<'_>) -> Result<Option<Vec<Reply>>, EngineError> {
    let desk = turn.desk;
    let chat = chat_of(turn);
    let Some(draft) = drafts::draft(turn.work.read().await?, turn.user.0, chat).await? else {
        return Ok(None);
    };
    // Only a draft waiting for its text takes what is said; a finished one waits
    // for its buttons, and staff go on talking meanwhile.
    if draft.content.is_some() {
        return Ok(None);
    }
    if ticket_service::draft_expired(&draft, desk.clock.now()) {
        drafts::delete(turn.work.write().await?, turn.user.0, chat).await?;
        return Ok(Some(vec![staff_reply(&expired_notice(
            turn.lang,
            &who(turn),
            draft.ticket,
        ))]));
    }
    Ok(Some(fill_draft(turn, draft, input).await?))
}

/// A reply to one of a ticket's messages in the staff chat, or `/reply N text`: a
/// draft with this content at once.
pub(crate) async fn answer_with(
    turn: &mut Turn<'_>,
    id: TicketId,
    input: Input<'_>,
) -> Result<Vec<Reply>, EngineError> {
    let desk = turn.desk;
    let now = desk.clock.now();
    let draft = new_draft(turn, id, now).await?;
    fill_draft(turn, draft, input).await
}

pub(crate) async fn fill_draft(
    turn: &mut Turn<'_>,
    mut draft: Draft,
    input: Input<'_>,
) -> Result<Vec<Reply>, EngineError> {
    let desk = turn.desk;
    let lang = turn.lang;
    let Some(ticket) = tickets::ticket(turn.work.read().await?, draft.ticket).await? else {
        drafts::delete(turn.work.write().await?, turn.user.0, draft.chat).await?;
        return Ok(vec![staff_reply(&crate::tickets::messages::missing(
            draft.ticket,
            lang,
        ))]);
    };
    if ticket.erased() {
        drafts::delete(turn.work.write().await?, turn.user.0, draft.chat).await?;
        return Ok(vec![staff_reply(&erased(lang, ticket.id))]);
    }
    draft.content = Some(match input {
        Input::Text(text) => {
            let text = printable(text).trim().to_owned();
            if text.is_empty() {
                return Ok(vec![staff_reply(t(
                    lang,
                    "Boş yanıt gönderilmez; yanıtı yazın.",
                    "An empty answer is not sent; write the answer.",
                ))]);
            }
            if text.chars().count() > MAX_ANSWER_CHARS {
                return Ok(vec![staff_reply(&match lang {
                    Lang::Tr => format!(
                        "Yanıt {} karakter; lütfen {MAX_ANSWER_CHARS} karakterin altına indirin ya da bir belge olarak gönderin.",
                        text.chars().count()
                    ),
                    Lang::En => format!(
                        "The answer has {} characters; please keep it under {MAX_ANSWER_CHARS}, or send it as a document.",
                        text.chars().count()
                    ),
                })]);
            }
            DraftContent::Text(text)
        }
        Input::File(file) => DraftContent::File {
            of: file.of,
            label: file.kind.label(Lang::En),
            caption: file.caption.clone(),
        },
    });
    draft.touched_at = desk.clock.now();
    drafts::save(turn.work.write().await?, &draft).await?;
    Ok(vec![preview(turn, &draft, &ticket)])
}

/// The draft as the person will get it, with Send / Edit / Cancel.
pub(crate) fn preview(turn: &Turn<'_>, draft: &Draft, ticket: &Ticket) -> Reply {
    let lang = turn.lang;
    let to_whom = format!(
        "{} · {}",
        escape_html(&printable(&ticket.first_name)),
        ticket.lang.code().to_uppercase()
    );
    let body = match &draft.content {
        Some(DraftContent::Text(text)) => format!("<blockquote>{}</blockquote>", escape_html(text)),
        Some(DraftContent::File { label, caption, .. }) => {
            let caption = caption
                .as_deref()
                .map(|c| format!("\n<blockquote>{}</blockquote>", escape_html(c)))
                .unwrap_or_default();
            format!("📎 {}{caption}", escape_html(label))
        }
        None => String::new(),
    };
    let mut html = match lang {
        Lang::Tr => format!(
            "👀 <b>Önizleme</b> — #{} numaralı talebin yanıtı ({to_whom}). Kişiye henüz bir şey gitmedi.\n\n{body}",
            ticket.id
        ),
        Lang::En => format!(
            "👀 <b>Preview</b> — the answer to ticket #{} ({to_whom}). Nothing has reached the person yet.\n\n{body}",
            ticket.id
        ),
    };
    if let Some(warning) = taken_warning(turn, ticket) {
        html = format!("{warning}\n\n{html}");
    }
    Reply::new(html, draft_buttons(lang, ticket.id, TicketVerb::Send))
}

/// Send, Send anyway, Edit or Cancel under a preview.
pub(crate) async fn draft_press(
    turn: &mut Turn<'_>,
    verb: TicketVerb,
    id: TicketId,
) -> Result<Vec<Reply>, EngineError> {
    let desk = turn.desk;
    let lang = turn.lang;
    let chat = chat_of(turn);
    let outdated = || {
        vec![
            staff_reply(t(
                lang,
                "Bu önizleme artık geçerli değil; hiçbir şey gönderilmedi. Yanıtlamak için talebin «Yanıtla» düğmesine yeniden basın.",
                "This preview is no longer valid; nothing was sent. To answer, press the ticket's «Answer» button again.",
            ))
            .placed(Placement::Replace),
        ]
    };
    let draft = match drafts::draft(turn.work.read().await?, turn.user.0, chat).await? {
        Some(d) if d.ticket == id => d,
        _ => return Ok(outdated()),
    };
    if ticket_service::draft_expired(&draft, desk.clock.now()) {
        drafts::delete(turn.work.write().await?, turn.user.0, chat).await?;
        return Ok(vec![
            staff_reply(&expired_notice(lang, &who(turn), id)).placed(Placement::Replace),
        ]);
    }
    match verb {
        TicketVerb::Discard => {
            drafts::delete(turn.work.write().await?, turn.user.0, chat).await?;
            let html = match lang {
                Lang::Tr => format!("✖️ #{id} yanıtı gönderilmedi."),
                Lang::En => format!("✖️ The answer to #{id} was not sent."),
            };
            Ok(vec![staff_reply(&html).placed(Placement::Replace)])
        }
        TicketVerb::Edit => {
            let now = desk.clock.now();
            drafts::save(
                turn.work.write().await?,
                &Draft {
                    content: None,
                    touched_at: now,
                    ..draft
                },
            )
            .await?;
            let html = match lang {
                Lang::Tr => format!(
                    "✏️ {}, #{id} yanıtını yeniden yazın (ya da bir dosya gönderin); önce size gösterilecek.",
                    who(turn)
                ),
                Lang::En => format!(
                    "✏️ {}, write the answer to #{id} again (or send a file); you will see it first.",
                    who(turn)
                ),
            };
            Ok(vec![staff_reply(&html).placed(Placement::Replace)])
        }
        TicketVerb::Send | TicketVerb::SendAnyway => send_draft(turn, draft, verb).await,
        _ => Ok(outdated()),
    }
}

pub(crate) async fn send_draft(turn: &mut Turn<'_>, draft: Draft, verb: TicketVerb) -> Result<Vec<Reply>, EngineError> {
    let desk = turn.desk;
    let lang = turn.lang;
    let id = draft.ticket;
    let Some(content) = draft.content.clone() else {
        return Ok(vec![staff_reply(t(
            lang,
            "Önce yanıtı yazın.",
            "Write the answer first.",
        ))]);
    };
    let Some(ticket) = tickets::ticket(turn.work.read().await?, id).await? else {
        drafts::delete(turn.work.write().await?, turn.user.0, draft.chat).await?;
        return Ok(vec![staff_reply(&crate::tickets::messages::missing(id, lang))]);
    };
    if ticket.erased() {
        drafts::delete(turn.work.write().await?, turn.user.0, draft.chat).await?;
        return Ok(vec![staff_reply(&erased(lang, id)).placed(Placement::Replace)]);
    }
    // Someone else took the ticket, or answered it since this draft began: say who
    // and when, and send only when asked to again.
    if verb == TicketVerb::Send && !draft.confirmed {
        let mut warnings: Vec<String> = taken_warning(turn, &ticket).into_iter().collect();
        for (at, name, text) in answers_by_others(turn, id, draft.seen_event).await? {
            let quote = escape_html(&crate::text::shorten(&text, 300));
            warnings.push(match lang {
                Lang::Tr => format!(
                    "⚠️ {} bu talebi {} saatinde yanıtladı:\n<blockquote>{quote}</blockquote>",
                    escape_html(&name),
                    crate::trainings::time::local(at)
                ),
                Lang::En => format!(
                    "⚠️ {} answered this ticket at {}:\n<blockquote>{quote}</blockquote>",
                    escape_html(&name),
                    crate::trainings::time::local(at)
                ),
            });
        }
        if !warnings.is_empty() {
            let question = match lang {
                Lang::Tr => "Sizin yanıtınız da kişiye ek yanıt olarak gitsin mi?",
                Lang::En => "Send yours to the person as well, as an additional answer?",
            };
            let html = format!("{}\n\n{question}", warnings.join("\n\n"));
            return Ok(vec![
                staff_reply(&html)
                    .with_keyboard(draft_buttons(lang, id, TicketVerb::SendAnyway))
                    .placed(Placement::Replace),
            ]);
        }
    }
    let me = Actor {
        id: turn.user.0,
        name: turn.first_name.clone(),
    };
    let answer = match &content {
        DraftContent::Text(text) => Answer::Text(text.clone()),
        DraftContent::File { of, label, caption } => Answer::File {
            of: *of,
            label: label.clone(),
            caption: caption.clone(),
        },
    };
    let now = desk.clock.now();
    let conn = turn.work.write().await?;
    drafts::delete(&mut *conn, turn.user.0, draft.chat).await?;
    let answered = ticket_service::answer(conn, id, &me, &answer, now).await?;
    Ok(vec![match answered {
        Answered::Queued(t) => {
            let html = match lang {
                Lang::Tr => format!("📤 #{} yanıtı kuyruğa alındı; iletilince burada yazacak.", t.id),
                Lang::En => format!(
                    "📤 The answer to #{} is queued; you will see here when it is delivered.",
                    t.id
                ),
            };
            staff_reply(&html).placed(Placement::Replace)
        }
        Answered::NoSuchTicket => staff_reply(&crate::tickets::messages::missing(id, lang)),
        Answered::Erased => staff_reply(&erased(lang, id)),
    }])
}

/// The id of the ticket's last event (0 when none).
pub(crate) async fn last_event(turn: &mut Turn<'_>, id: TicketId) -> Result<i64, EngineError> {
    Ok(tickets::events(turn.work.read().await?, id)
        .await?
        .last()
        .map_or(0, |e| e.id))
}

/// Answers (text or file) to the ticket by others than this staff member after
/// the event `seen`: when, who, what.
pub(crate) async fn answers_by_others(
    turn: &mut Turn<'_>,
    id: TicketId,
    seen: i64,
) -> Result<Vec<(Timestamp, String, String)>, EngineError> {
    let me = turn.user;
    Ok(tickets::events(turn.work.read().await?, id)
        .await?
        .into_iter()
        .filter(|e| e.id > seen && matches!(e.kind, EventKind::Answer | EventKind::File))
        .filter_map(|e| {
            let (author, name) = e.author?;
            (author != me.0).then(|| (e.at, name, e.text.unwrap_or_default()))
        })
        .collect())
}

/// `/cancel` in a chat where the staff member has a draft: drop it.
pub(crate) async fn cancel_draft(turn: &mut Turn<'_>) -> Result<Option<TicketId>, EngineError> {
    let chat = chat_of(turn);
    Ok(drafts::delete(turn.work.write().await?, turn.user.0, chat)
        .await?
        .map(|d| d.ticket))
}

/// The longest answer sent as a message: it must fit one Telegram message with its
/// header and the person's question quoted under it. Longer ones go as a document.
pub const MAX_ANSWER_CHARS: usize = 3000;

fn erased(lang: Lang, id: TicketId) -> String {
    match lang {
        Lang::Tr => format!(
            "#{id} numaralı talebin sahibi verilerinin silinmesini istedi; talep kapatıldı ve kişiye artık hiçbir şey gönderilemez."
        ),
        Lang::En => format!(
            "The person of ticket #{id} asked for their data to be erased; the ticket is closed and nothing can be sent to them any more."
        ),
    }
}

fn expired_notice(lang: Lang, name: &str, id: TicketId) -> String {
    crate::tickets::messages::draft_expired_text(lang, name, id)
}
