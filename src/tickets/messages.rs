//! The messages a ticket produces: its post in the staff chat, the answer to the
//! person, the notes staff see. Plain functions, so the command line can queue them
//! too. Staff-chat texts are in EUDESK_STAFF_LANG (Turkish unless set); people get
//! theirs.

use super::{Answer, Attachment, Ticket, TicketId};
use crate::dialogue::render::{escape_html, printable};
use crate::lang::{Lang, pick as t};
use crate::message::{Callback, TicketVerb, to};
use crate::message::{OutMessage, Purpose, Recipient};
use crate::text::shorten;

/// To staff naming a ticket number that does not exist (or no longer does).
pub fn missing(id: TicketId, lang: Lang) -> String {
    match lang {
        Lang::Tr => format!("#{id} numaralı talep yok."),
        Lang::En => format!("There is no ticket #{id}."),
    }
}

fn staff_buttons(id: TicketId, lang: Lang) -> Vec<Vec<crate::message::Button>> {
    vec![vec![
        to(
            t(lang, "✍️ Yanıtla", "✍️ Answer"),
            Callback::Ticket(TicketVerb::Answer, id),
        ),
        to(t(lang, "🙋 Üstlen", "🙋 Take"), Callback::Ticket(TicketVerb::Take, id)),
        to(t(lang, "✅ Kapat", "✅ Close"), Callback::Ticket(TicketVerb::Close, id)),
    ]]
}

/// "Talep #12" / "Ticket #12", bold.
fn ticket_name(id: TicketId, lang: Lang) -> String {
    format!("<b>{} #{id}</b>", t(lang, "Talep", "Ticket"))
}

/// A new ticket in the staff chat: who, in which language, what the bot already tried,
/// and the question shown literally whatever it contains.
pub fn staff_post(ticket: &Ticket, lang: Lang) -> OutMessage {
    let tried = if ticket.context_matches.is_empty() {
        "—".to_owned()
    } else {
        ticket
            .context_matches
            .iter()
            .map(|c| format!("{} ({:.2})", escape_html(&c.id), c.score))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let (at, tried_label, how) = match lang {
        Lang::Tr => (
            "Bulunduğu menü",
            "Botun önerdikleri",
            format!("Yanıtlamak için bu mesajı yanıtlayın ya da /reply {} metin", ticket.id),
        ),
        Lang::En => (
            "Menu they were at",
            "What the bot offered",
            format!("To answer, reply to this message or write /reply {} text", ticket.id),
        ),
    };
    let html = format!(
        "🎫 {} · {} · {}\n📍 {at}: {}\n🔎 {tried_label}: {tried}\n\n<blockquote>{}</blockquote>\n\n<i>{how}</i>",
        ticket_name(ticket.id, lang),
        escape_html(&printable(&ticket.first_name)),
        ticket.lang.code().to_uppercase(),
        escape_html(ticket.context_node.as_deref().unwrap_or("—")),
        escape_html(&ticket.question),
    );
    let mut keyboard = staff_buttons(ticket.id, lang);
    // The matcher's candidates, one tap from teaching the bot this way of asking.
    let links: Vec<_> = ticket
        .context_matches
        .iter()
        .take(3)
        .enumerate()
        .map(|(i, c)| to(&format!("🔗 {}", c.id), Callback::Link(ticket.id, i as u8)))
        .collect();
    if !links.is_empty() {
        keyboard.push(links);
    }
    OutMessage::new(Recipient::Staff, html)
        .with_keyboard(keyboard)
        .with_purpose(Purpose::TicketPost { ticket: ticket.id })
}

/// A follow-up in the staff chat, as a reply to the ticket's post.
pub fn staff_follow_up(ticket: &Ticket, text: &str, lang: Lang) -> OutMessage {
    let html = format!(
        "💬 {} · {} {}:\n\n<blockquote>{}</blockquote>",
        ticket_name(ticket.id, lang),
        escape_html(&printable(&ticket.first_name)),
        t(lang, "ek soru yazdı", "wrote a follow-up"),
        escape_html(text)
    );
    OutMessage::new(Recipient::Staff, html)
        .with_keyboard(staff_buttons(ticket.id, lang))
        .replying_to_ticket(ticket.id)
        .with_purpose(Purpose::TicketPost { ticket: ticket.id })
}

/// A short note about a ticket in the staff chat, as a reply to its post.
pub fn staff_note(ticket: TicketId, html: String) -> OutMessage {
    OutMessage::new(Recipient::Staff, html).replying_to_ticket(ticket)
}

/// Staff's answer, to the person, in one message that says it comes from the office;
/// `before` is the ticket as it was, so that a second answer to the same question says
/// it is an addition. A
/// file is relayed as it is, with the same header as its caption.
pub fn answer(before: &Ticket, answer: &Answer) -> OutMessage {
    let ticket = before;
    let lang = ticket.lang;
    // Answered already, with no follow-up since: this one adds to that answer.
    let adds = before.status == crate::tickets::TicketStatus::Answered;
    let heading = match (adds, matches!(answer, Answer::File { .. })) {
        (false, false) => t(
            lang,
            "AB ve Dış İlişkiler Bürosu'ndan yanıt",
            "An answer from the EU and Foreign Relations Office",
        ),
        (true, false) => t(
            lang,
            "AB ve Dış İlişkiler Bürosu'ndan ek yanıt",
            "An additional answer from the EU and Foreign Relations Office",
        ),
        (_, true) => t(
            lang,
            "📎 AB ve Dış İlişkiler Bürosu'ndan dosya",
            "📎 A file from the EU and Foreign Relations Office",
        ),
    };
    let keyboard = vec![vec![
        to(
            t(lang, "✅ Çözüldü, teşekkürler", "✅ Solved, thanks"),
            Callback::Ticket(TicketVerb::Solved, ticket.id),
        ),
        to(
            t(lang, "💬 Ek sorum var", "💬 I have a follow-up"),
            Callback::Ticket(TicketVerb::FollowUp, ticket.id),
        ),
    ]];
    let message = match answer {
        Answer::Text(text) => {
            let html = format!(
                "✉️ <b>{heading}</b> ({} #{})\n\n{}\n\n<i>{}: {}</i>",
                t(lang, "talep", "ticket"),
                ticket.id,
                escape_html(text),
                t(lang, "Sorunuz", "Your question"),
                escape_html(&shorten(&ticket.question, 300))
            );
            OutMessage::new(Recipient::Chat(ticket.user.chat()), html)
        }
        Answer::File { of, caption, .. } => OutMessage::new(
            Recipient::Chat(ticket.user.chat()),
            file_caption(
                &format!("<b>{heading}</b> ({} #{})", t(lang, "talep", "ticket"), ticket.id),
                caption.as_deref(),
            ),
        )
        .copying(*of),
    };
    message
        .with_keyboard(keyboard)
        .with_purpose(Purpose::TicketAnswer { ticket: ticket.id })
}

/// Telegram's limit on a caption, in UTF-16 code units.
const CAPTION_LIMIT: usize = 1024;

/// A relayed file's caption: a header saying what it is, then the caption it was sent
/// with, shortened to fit Telegram's caption limit.
fn file_caption(header_html: &str, caption: Option<&str>) -> String {
    let Some(caption) = caption.filter(|c| !c.trim().is_empty()) else {
        return header_html.to_owned();
    };
    let room = CAPTION_LIMIT.saturating_sub(header_html.encode_utf16().count() + 40);
    let mut kept = String::new();
    for c in caption.chars() {
        if escape_html(&kept).encode_utf16().count() + c.len_utf16() * 6 > room {
            kept.push('…');
            break;
        }
        kept.push(c);
    }
    format!("{header_html}\n\n{}", escape_html(&kept))
}

/// A file the person sent with their question or follow-up, relayed into the staff
/// chat under the ticket's post: staff replying to it answer the ticket.
pub fn staff_file(ticket: &Ticket, file: &Attachment, lang: Lang) -> OutMessage {
    let header = format!(
        "📎 {} · {} · {}",
        ticket_name(ticket.id, lang),
        escape_html(&printable(&ticket.first_name)),
        escape_html(&file.kind.label(lang))
    );
    OutMessage::new(Recipient::Staff, file_caption(&header, file.caption.as_deref()))
        .copying(file.of)
        .replying_to_ticket(ticket.id)
        .with_purpose(Purpose::TicketPost { ticket: ticket.id })
}

/// Told to the person when staff close their ticket.
pub fn closed_by_staff(ticket: &Ticket, note: Option<&str>) -> OutMessage {
    let lang = ticket.lang;
    let mut html = match lang {
        Lang::Tr => format!(
            "#{} numaralı talebiniz büro personeli tarafından kapatıldı. Bize yazdığınız için teşekkür ederiz.",
            ticket.id
        ),
        Lang::En => format!(
            "Your ticket #{} has been closed by the office's staff. Thank you for writing to us.",
            ticket.id
        ),
    };
    if let Some(note) = note.filter(|n| !n.trim().is_empty()) {
        html.push_str(&format!("\n\n<i>{}</i>", escape_html(note)));
    }
    html.push_str(t(
        lang,
        "\n\nYeni bir sorunuz olursa /ask yazabilirsiniz.",
        "\n\nIf you have another question, type /ask.",
    ));
    OutMessage::new(Recipient::Chat(ticket.user.chat()), html)
}

/// A reminder to staff of a ticket still waiting.
pub fn staff_reminder(ticket: &Ticket, office_hours: i64, lang: Lang) -> OutMessage {
    let name = ticket_name(ticket.id, lang);
    let html = match lang {
        Lang::Tr => format!(
            "⏰ {name} {office_hours} mesai saatidir yanıt bekliyor. Yanıtlamak için bu mesajı yanıtlayın ya da üstlenin."
        ),
        Lang::En => format!(
            "⏰ {name} has waited {office_hours} office hours for an answer. Reply to this message to answer, or take it."
        ),
    };
    staff_note(ticket.id, html).with_keyboard(staff_buttons(ticket.id, lang))
}

/// An answered ticket as a draft FAQ node, ready to paste into `dialogues/`.
pub fn faq_snippet(ticket: &Ticket, answer: &str, today: jiff::civil::Date) -> String {
    let escape = |s: &str| s.replace('\\', "\\\\").replace('"', "\\\"");
    // A TOML basic multi-line string: backslashes and runs of three quotes escaped.
    let multiline = |s: &str| s.replace('\\', "\\\\").replace("\"\"\"", "\"\"\\\"");
    let (ask_lang, other) = match ticket.lang {
        Lang::Tr => ("tr", "en"),
        Lang::En => ("en", "tr"),
    };
    format!(
        "[[node]]\nid = \"faq.ticket_{id}\"   # choose a lasting id, and list it in a menu's children\nlabel = {{ tr = \"…\", en = \"…\" }}\ntext.{ask_lang} = \"\"\"\n{answer}\"\"\"\ntext.{other} = \"\"\"\n…\"\"\"\nask.{ask_lang} = [\"{question}\"]\nsources = []\nreviewed = {today}\n",
        id = ticket.id,
        answer = multiline(answer),
        question = escape(&ticket.question.replace('\n', " ")),
        today = today
    )
}

/// In the staff chat: a staff member took a ticket.
pub fn taken_note(ticket: TicketId, name: &str, lang: Lang) -> OutMessage {
    let (id, name) = (ticket_name(ticket, lang), escape_html(name));
    staff_note(
        ticket,
        match lang {
            Lang::Tr => format!("🙋 {id} {name} tarafından üstlenildi."),
            Lang::En => format!("🙋 {id} was taken by {name}."),
        },
    )
}

/// In the staff chat: staff closed a ticket (from Telegram or the command line alike).
pub fn closed_note(ticket: TicketId, name: &str, lang: Lang) -> OutMessage {
    let (id, name) = (ticket_name(ticket, lang), escape_html(name));
    staff_note(
        ticket,
        match lang {
            Lang::Tr => format!("✅ {id} {name} tarafından kapatıldı."),
            Lang::En => format!("✅ {id} was closed by {name}."),
        },
    )
}

/// In the staff chat: the person closed their ticket as solved.
pub fn solved_note(ticket: TicketId, lang: Lang) -> OutMessage {
    let id = ticket_name(ticket, lang);
    staff_note(
        ticket,
        match lang {
            Lang::Tr => format!("✅ {id} kişi tarafından çözüldü olarak kapatıldı."),
            Lang::En => format!("✅ {id} was closed as solved by the person."),
        },
    )
}

/// In the staff chat: the answer reached its person.
pub fn delivered_note(ticket: TicketId, lang: Lang) -> OutMessage {
    let id = ticket_name(ticket, lang);
    staff_note(
        ticket,
        match lang {
            Lang::Tr => format!("📬 {id} yanıtı kişiye iletildi."),
            Lang::En => format!("📬 The answer to {id} reached the person."),
        },
    )
}

/// In the staff chat: Telegram refused the answer for good.
pub fn undeliverable_note(ticket: TicketId, reason: &str, lang: Lang) -> OutMessage {
    let (id, reason) = (ticket_name(ticket, lang), escape_html(reason));
    staff_note(
        ticket,
        match lang {
            Lang::Tr => format!(
                "⚠️ {id} yanıtı kişiye iletilemedi ({reason}). Kişi botu engellemiş ya da sohbeti silmiş olabilir."
            ),
            Lang::En => format!(
                "⚠️ The answer to {id} could not be delivered ({reason}). The person may have blocked the bot or deleted the chat."
            ),
        },
    )
}

/// To the staff member, in the chat of their draft: it expired unsent.
pub fn draft_expired(draft: &crate::storage::Draft, lang: Lang) -> OutMessage {
    // A group is the staff chat, wherever Telegram has moved it since.
    let to = if draft.chat.0 < 0 {
        Recipient::Staff
    } else {
        Recipient::Chat(draft.chat)
    };
    OutMessage::new(to, draft_expired_text(lang, &format!("#{}", draft.user), draft.ticket))
}

/// "⌛ Selin, answer mode for #12 ended…", in the staff chat's language.
pub fn draft_expired_text(lang: Lang, name: &str, id: TicketId) -> String {
    match lang {
        Lang::Tr => format!(
            "⌛ {name}, #{id} yanıt modu 15 dakika dolduğu için kapandı; kişiye hiçbir şey gönderilmedi. Yanıtlamak için «Yanıtla»ya yeniden basın."
        ),
        Lang::En => format!(
            "⌛ {name}, answer mode for #{id} ended after 15 minutes; nothing was sent to the person. To answer, press «Answer» again."
        ),
    }
}
