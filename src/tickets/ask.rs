//! A person's side of questions for staff: asking (with files), following up, their
//! list of tickets, "Solved".

use crate::conversation::flow::{Ask, Flow};
use crate::conversation::{EngineError, Placement, Reply, Turn};
use crate::conversation::{cancel_row, flow_button};
use crate::conversation::{main_button, notice};
use crate::dialogue::render::escape_html;
use crate::lang::{Lang, pick as t};
use crate::message::FormPress;
use crate::message::{Callback, TicketVerb, to};
use crate::text::shorten;
use crate::tickets::service::{self as ticket_service, Addition, Asked, Closed, Closer};
use crate::tickets::{Actor, Attachment, NewTicket, QuestionError, QuestionText, TicketId, TicketStatus};
use crate::trainings::time::{local, office_tz};

/// What a person adds to a ticket after it exists: text or a file.
pub(crate) enum FollowUpInput<'a> {
    Text(&'a str),
    File(&'a Attachment),
}

/// Starts asking staff: `question` with the nodes the matcher thought of (for
/// staff to link), or the last question the bot could not answer, or a prompt.
pub(crate) fn start_ask(turn: &mut Turn<'_>, question: Option<(&str, Vec<crate::tickets::Candidate>)>) -> Vec<Reply> {
    let question = question.filter(|(q, _)| !q.trim().is_empty());
    let (question, matches) = match (question, turn.last_question.take()) {
        (Some((q, matches)), _) => (Some(q.to_owned()), matches),
        (None, Some(last)) => (Some(last.text), last.matches),
        (None, None) => (None, Vec::new()),
    };
    turn.flow = Some(Flow::Ask(Ask {
        question: None,
        node: turn.node.clone(),
        matches,
        files: Vec::new(),
    }));
    match question {
        Some(q) => ask_text(turn, &q),
        None => vec![ask_prompt(turn.lang)],
    }
}

pub(crate) fn ask_prompt(lang: Lang) -> Reply {
    Reply::new(
        t(
            lang,
            "Sorunuzu tek bir mesaj olarak yazın (en fazla 2.000 karakter). Büro personeline ileteceğim; yanıt bu sohbete gelecek.",
            "Write your question in one message (up to 2,000 characters). I will pass it to the office's staff; the answer will come to this chat.",
        ),
        vec![cancel_row(lang)],
    )
}

/// Text while asking: the question (again), then Send / Cancel.
pub(crate) fn ask_text(turn: &mut Turn<'_>, text: &str) -> Vec<Reply> {
    let lang = turn.lang;
    let Some(Flow::Ask(mut ask)) = turn.flow.clone() else {
        return Vec::new();
    };
    match QuestionText::parse(text) {
        Err(QuestionError::Empty) => vec![ask_prompt(lang)],
        Err(QuestionError::TooLong(n)) => {
            let html = match lang {
                Lang::Tr => format!("Sorunuz {n} karakter; lütfen 2.000 karakterin altına indirip yeniden yazın."),
                Lang::En => {
                    format!("Your question has {n} characters; please shorten it to under 2,000 and send it again.")
                }
            };
            vec![Reply::new(html, Vec::new()), ask_prompt(lang)]
        }
        Ok(question) => {
            ask.question = Some(question);
            let html = ask_preview(lang, &ask);
            turn.flow = Some(Flow::Ask(ask));
            vec![Reply::new(html, ask_buttons(lang))]
        }
    }
}

/// A file while asking: it goes with the question. With a caption and no question
/// yet, the caption is the question.
pub(crate) fn ask_file(turn: &mut Turn<'_>, file: &crate::tickets::Attachment) -> Vec<Reply> {
    let lang = turn.lang;
    let Some(Flow::Ask(mut ask)) = turn.flow.clone() else {
        return Vec::new();
    };
    if ask.files.len() >= MAX_FILES {
        let html = match lang {
            Lang::Tr => format!("Bir soruyla en çok {MAX_FILES} dosya gönderilebilir; bu dosyayı eklemedim."),
            Lang::En => format!("A question can carry at most {MAX_FILES} files; I did not add this one."),
        };
        return vec![Reply::new(html, Vec::new())];
    }
    ask.files.push(file.clone());
    if ask.question.is_none()
        && let Some(Ok(q)) = file.caption.as_deref().map(QuestionText::parse)
    {
        ask.question = Some(q);
    }
    turn.flow = Some(Flow::Ask(ask.clone()));
    if ask.question.is_none() {
        return vec![Reply::new(
            t(
                lang,
                "📎 Dosyayı aldım; sorunuzla birlikte gidecek. Şimdi sorunuzu tek bir mesaj olarak yazın.",
                "📎 I have the file; it will go with your question. Now write your question in one message.",
            ),
            vec![cancel_row(lang)],
        )];
    }
    vec![Reply::new(ask_preview(lang, &ask), ask_buttons(lang))]
}

/// A button while asking.
pub(crate) async fn ask_press(turn: &mut Turn<'_>, value: FormPress) -> Result<Vec<Reply>, EngineError> {
    let lang = turn.lang;
    let Some(Flow::Ask(ask)) = turn.flow.clone() else {
        return Ok(Vec::new());
    };
    match (value, ask.question.clone()) {
        (FormPress::Cancel, _) => {
            turn.flow = None;
            Ok(vec![
                notice(
                    lang,
                    t(
                        lang,
                        "Tamam, sorunuzu göndermedim.",
                        "All right, I did not send your question.",
                    ),
                )
                .placed(Placement::Replace),
            ])
        }
        (FormPress::Rewrite, _) => {
            turn.flow = Some(Flow::Ask(Ask {
                question: None,
                files: Vec::new(),
                ..ask
            }));
            Ok(vec![ask_prompt(lang).placed(Placement::Replace)])
        }
        (FormPress::Send, Some(question)) => send_ticket(turn, ask, question).await,
        _ => Ok(vec![ask_prompt(lang)]),
    }
}

pub(crate) async fn send_ticket(
    turn: &mut Turn<'_>,
    ask: Ask,
    question: QuestionText,
) -> Result<Vec<Reply>, EngineError> {
    let desk = turn.desk;
    let lang = turn.lang;
    let now = desk.clock.now();
    let day = now.to_zoned(office_tz()).date();
    let new = NewTicket {
        user: turn.user,
        first_name: turn.first_name.clone(),
        lang,
        question,
        context_node: Some(ask.node.clone()),
        context_matches: ask.matches.clone(),
        attachments: ask.files.clone(),
    };
    let created = ticket_service::ask(
        turn.work.write().await?,
        &new,
        day,
        desk.settings.tickets_per_day,
        desk.settings.staff_lang,
        now,
    )
    .await?;
    turn.flow = None;
    Ok(vec![match created {
        Asked::Ticket(ticket) => {
            let response_time = desk
                .tree()
                .contact()
                .response_time
                .as_ref()
                .map(|r| r.get(lang).clone())
                .unwrap_or_else(|| {
                    t(
                        lang,
                        "Büro personeli en kısa sürede yanıtlayacak.",
                        "The office's staff will answer as soon as they can.",
                    )
                    .to_owned()
                });
            let html = match lang {
                Lang::Tr => format!(
                    "📨 Sorunuz alındı: <b>talep #{}</b>.\n\n{}\nYanıt bu sohbete gelecek. Sorularınızı /mytickets ile görebilirsiniz.",
                    ticket.id,
                    escape_html(&response_time)
                ),
                Lang::En => format!(
                    "📨 Your question is received: <b>ticket #{}</b>.\n\n{}\nThe answer will come to this chat. See your questions with /mytickets.",
                    ticket.id,
                    escape_html(&response_time)
                ),
            };
            notice(lang, &html).placed(Placement::Replace)
        }
        Asked::LimitReached => {
            let html = match lang {
                Lang::Tr => format!(
                    "Bugün {} soru gönderdiniz; bu günlük sınır. Yarın yeniden yazabilir ya da büroyla doğrudan iletişime geçebilirsiniz.",
                    desk.settings.tickets_per_day
                ),
                Lang::En => format!(
                    "You have sent {} questions today, which is the daily limit. You can write again tomorrow, or contact the office directly.",
                    desk.settings.tickets_per_day
                ),
            };
            notice(lang, &html).placed(Placement::Replace)
        }
    }])
}

/// The person's follow-up to their ticket: a text, or a file relayed to staff.
pub(crate) async fn follow_up(
    turn: &mut Turn<'_>,
    ticket: TicketId,
    input: FollowUpInput<'_>,
) -> Result<Vec<Reply>, EngineError> {
    let desk = turn.desk;
    let lang = turn.lang;
    turn.flow = None;
    let now = desk.clock.now();
    let parsed;
    let addition = match input {
        FollowUpInput::Text(text) => match QuestionText::parse(text) {
            Ok(q) => {
                parsed = q;
                Addition::Text(parsed.as_str())
            }
            Err(QuestionError::Empty) => return Ok(vec![notice(lang, crate::conversation::ui::nothing_to_read(lang))]),
            Err(QuestionError::TooLong(n)) => {
                turn.flow = Some(Flow::FollowUp { ticket });
                let html = match lang {
                    Lang::Tr => {
                        format!("Mesajınız {n} karakter; lütfen 2.000 karakterin altına indirip yeniden yazın.")
                    }
                    Lang::En => {
                        format!("Your message has {n} characters; please shorten it to under 2,000 and send it again.")
                    }
                };
                return Ok(vec![Reply::new(html, Vec::new())]);
            }
        },
        FollowUpInput::File(file) => Addition::File(file),
    };
    let done = ticket_service::follow_up(
        turn.work.write().await?,
        ticket,
        turn.user,
        addition,
        desk.settings.staff_lang,
        now,
    )
    .await?;
    Ok(vec![match done {
        Some(t) => {
            let html = match lang {
                Lang::Tr => format!(
                    "💬 Ek mesajınızı #{} numaralı talebe ekledim ve personele ilettim.",
                    t.id
                ),
                Lang::En => format!("💬 I added your message to ticket #{} and passed it to staff.", t.id),
            };
            notice(lang, &html)
        }
        None => notice(lang, t(lang, "Bu talep bulunamadı.", "That ticket cannot be found.")),
    }])
}

pub(crate) async fn my_tickets(turn: &mut Turn<'_>) -> Result<Vec<Reply>, EngineError> {
    let lang = turn.lang;
    let tickets = crate::storage::tickets::tickets_of(turn.work.read().await?, turn.user.0).await?;
    if tickets.is_empty() {
        let html = t(
            lang,
            "Henüz personele bir soru göndermediniz. Sormak için /ask yazın.",
            "You have not sent a question to staff yet. To ask one, type /ask.",
        );
        return Ok(vec![notice(lang, html)]);
    }
    let mut lines = vec![
        t(
            lang,
            "<b>Personele sorduğunuz sorular</b>",
            "<b>Your questions to staff</b>",
        )
        .to_owned(),
    ];
    let mut keyboard = Vec::new();
    for ticket in &tickets {
        lines.push(format!(
            "\n#{} · {} · {}\n<i>{}</i>",
            ticket.id,
            local(ticket.created_at),
            ticket.status.label(lang),
            escape_html(&shorten(&ticket.question, 120))
        ));
        if ticket.status != TicketStatus::Closed {
            let label = match lang {
                Lang::Tr => format!("💬 #{} için ek soru", ticket.id),
                Lang::En => format!("💬 Follow up on #{}", ticket.id),
            };
            keyboard.push(vec![to(&label, Callback::Ticket(TicketVerb::FollowUp, ticket.id))]);
        }
    }
    keyboard.push(vec![main_button(lang)]);
    Ok(vec![Reply::new(lines.join("\n"), keyboard)])
}

/// The person's buttons under an answer: "I have a follow-up", "Solved".
pub(crate) async fn person_ticket_press(
    turn: &mut Turn<'_>,
    verb: TicketVerb,
    id: TicketId,
) -> Result<Vec<Reply>, EngineError> {
    let desk = turn.desk;
    let lang = turn.lang;
    let not_found = || {
        vec![notice(
            lang,
            t(lang, "Bu talep bulunamadı.", "That ticket cannot be found."),
        )]
    };
    match verb {
        TicketVerb::FollowUp => {
            let mine = crate::storage::tickets::ticket(turn.work.read().await?, id)
                .await?
                .filter(|t| t.user == turn.user);
            let Some(ticket) = mine else {
                return Ok(not_found());
            };
            turn.flow = Some(Flow::FollowUp { ticket: ticket.id });
            let html = match lang {
                Lang::Tr => format!(
                    "#{} numaralı talebiniz için ek sorunuzu yazın (ya da bir belge, fotoğraf gönderin):",
                    ticket.id
                ),
                Lang::En => format!(
                    "Write your follow-up to ticket #{} (or send a document or a photo):",
                    ticket.id
                ),
            };
            Ok(vec![Reply::new(html, vec![cancel_row(lang)])])
        }
        TicketVerb::Solved => {
            let me = Actor {
                id: turn.user.0,
                name: turn.first_name.clone(),
            };
            let now = desk.clock.now();
            let closed = ticket_service::close(
                turn.work.write().await?,
                id,
                Closer::Person(&me),
                desk.settings.staff_lang,
                now,
            )
            .await?;
            Ok(match closed {
                Closed::Now(t) | Closed::Already(t) => {
                    let html = match lang {
                        Lang::Tr => format!("Yardımcı olabildiysek ne mutlu! #{} numaralı talebi kapattım.", t.id),
                        Lang::En => format!("Glad we could help! I have closed ticket #{}.", t.id),
                    };
                    vec![notice(lang, &html)]
                }
                Closed::NotFound => not_found(),
            })
        }
        _ => Ok(not_found()),
    }
}

/// At most this many files go with one question.
const MAX_FILES: usize = 5;

/// The question (and its files) as it will be sent, asking to confirm.
fn ask_preview(lang: Lang, ask: &Ask) -> String {
    let question = ask.question.as_ref().map(|q| q.as_str()).unwrap_or("");
    let files = match ask.files.len() {
        0 => String::new(),
        n => match lang {
            Lang::Tr => format!("\n📎 {n} dosya ile"),
            Lang::En => format!("\n📎 with {n} file(s)"),
        },
    };
    format!(
        "{}\n\n<blockquote>{}</blockquote>{files}",
        t(
            lang,
            "Bu soruyu büro personeline göndereyim mi?",
            "Shall I send this question to the office's staff?"
        ),
        escape_html(question)
    )
}

fn ask_buttons(lang: Lang) -> Vec<Vec<crate::message::Button>> {
    vec![
        vec![to(t(lang, "📨 Gönder", "📨 Send"), Callback::Flow(FormPress::Send))],
        vec![
            to(
                t(lang, "✏️ Yeniden yaz", "✏️ Rewrite"),
                Callback::Flow(FormPress::Rewrite),
            ),
            flow_button(crate::conversation::ui::cancel(lang), FormPress::Cancel),
        ],
    ]
}
