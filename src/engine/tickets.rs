//! Questions for staff in the conversation: asking, the ticket's life, staff commands,
//! and what the outbox reports back about ticket messages.

use super::flow::{Ask, Flow};
use super::shorten;
use super::ticket_messages as msg;
use super::{Callback, Engine, EngineError, Placement, Reply, TicketVerb, Turn, to};
use crate::dialogue::render::escape_html;
use crate::lang::Lang;
use crate::message::{Purpose, Recipient};
use crate::storage::{Actor, Closed, Created, Pending};
use crate::tickets::{EventKind, NewTicket, QuestionError, QuestionText, TicketId, TicketStatus, hours};
use crate::trainings::time::{local, office_tz};

use super::ui::pick as t;

/// The setting that holds where Telegram moved the staff chat (a group upgraded to a
/// supergroup), as `from:to`. The move applies only while STAFF_CHAT_ID is still the
/// group it moved from: an operator who configures a new group is followed, not the
/// old group's new id.
pub const STAFF_CHAT_MOVE: &str = "staff_chat_move";

/// What a person or staff add to a ticket after it exists: text or a file.
pub(super) enum FollowUpInput<'a> {
    Text(&'a str),
    File(&'a crate::tickets::Attachment),
}

fn ticket_id(arg: &str) -> Option<TicketId> {
    super::command::id_arg(arg).map(TicketId)
}

/// "3 h 20 min" / "2 days": how long ago, roughly.
fn age(secs: i64, lang: Lang) -> String {
    let (d, h, m) = (secs / 86_400, (secs % 86_400) / 3600, (secs % 3600) / 60);
    match lang {
        Lang::Tr if d > 0 => format!("{d} gün {h} sa"),
        Lang::Tr if h > 0 => format!("{h} sa {m} dk"),
        Lang::Tr => format!("{m} dk"),
        Lang::En if d > 0 => format!("{d} d {h} h"),
        Lang::En if h > 0 => format!("{h} h {m} min"),
        Lang::En => format!("{m} min"),
    }
}

impl Engine {
    /// The staff chat's id: STAFF_CHAT_ID, or where Telegram moved that group. Read once
    /// and kept: only this process records moves (`staff_chat_moved`).
    pub async fn staff_chat(&self) -> Result<Option<i64>, EngineError> {
        if let Some(known) = *self.staff_chat.read().expect("staff chat lock") {
            return Ok(known);
        }
        let configured = self.settings.staff_chat;
        // (An older release stored only where the chat went, under `staff_chat_id`: with
        // no origin it cannot be told from a group the operator left, so it is ignored;
        // if the configured group did move, Telegram says so at the next post and the
        // move is learned again, with its origin.)
        let moved = self
            .store
            .setting(STAFF_CHAT_MOVE)
            .await?
            .and_then(|v| {
                v.split_once(':')
                    .and_then(|(from, to)| Some((from.parse::<i64>().ok()?, to.parse::<i64>().ok()?)))
            });
        let chat = match (configured, moved) {
            (Some(c), Some((from, to))) if c == from => Some(to),
            _ => configured,
        };
        *self.staff_chat.write().expect("staff chat lock") = Some(chat);
        Ok(chat)
    }

    /// Telegram upgraded the staff group to a supergroup: follow it.
    pub async fn staff_chat_moved(&self, from: i64, to: i64) -> Result<bool, EngineError> {
        if self.staff_chat().await? != Some(from) {
            return Ok(false);
        }
        // Recorded from the configured id: a chain (configured → moved → moved again)
        // still starts from what the operator wrote.
        let origin = self.settings.staff_chat.unwrap_or(from);
        self.store
            .set_setting(STAFF_CHAT_MOVE, &format!("{origin}:{to}"))
            .await?;
        *self.staff_chat.write().expect("staff chat lock") = Some(Some(to));
        tracing::info!(from, to, "the staff chat moved; following it");
        Ok(true)
    }

    /// Starts asking staff: with the question given (typed after /ask, or the last one
    /// the bot could not answer), straight to Send / Cancel.
    pub(super) fn start_ask(&self, turn: &mut Turn, question: Option<&str>) -> Vec<Reply> {
        let (question, matches) = match (question.filter(|q| !q.trim().is_empty()), turn.last_question.take()) {
            (Some(q), _) => (Some(q.to_owned()), Vec::new()),
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
            Some(q) => self.ask_text(turn, &q),
            None => vec![self.ask_prompt(turn.lang)],
        }
    }

    fn ask_prompt(&self, lang: Lang) -> Reply {
        Reply::new(
            t(
                lang,
                "Sorunuzu tek bir mesaj olarak yazın (en fazla 2.000 karakter). Büro personeline ileteceğim; yanıt bu sohbete gelecek.",
                "Write your question in one message (up to 2,000 characters). I will pass it to the office's staff; the answer will come to this chat.",
            ),
            vec![vec![to(
                t(lang, "✖️ Vazgeç", "✖️ Cancel"),
                Callback::Flow("cancel".into()),
            )]],
        )
    }

    /// Text while asking: the question (again), then Send / Cancel.
    pub(super) fn ask_text(&self, turn: &mut Turn, text: &str) -> Vec<Reply> {
        let lang = turn.lang;
        let Some(Flow::Ask(mut ask)) = turn.flow.clone() else {
            return Vec::new();
        };
        match QuestionText::parse(text) {
            Err(QuestionError::Empty) => vec![self.ask_prompt(lang)],
            Err(QuestionError::TooLong(n)) => {
                let html = match lang {
                    Lang::Tr => format!("Sorunuz {n} karakter; lütfen 2.000 karakterin altına indirip yeniden yazın."),
                    Lang::En => {
                        format!("Your question has {n} characters; please shorten it to under 2,000 and send it again.")
                    }
                };
                vec![Reply::new(html, Vec::new()), self.ask_prompt(lang)]
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
    pub(super) fn ask_file(&self, turn: &mut Turn, file: &crate::tickets::Attachment) -> Vec<Reply> {
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
                vec![vec![to(
                    t(lang, "✖️ Vazgeç", "✖️ Cancel"),
                    Callback::Flow("cancel".into()),
                )]],
            )];
        }
        vec![Reply::new(ask_preview(lang, &ask), ask_buttons(lang))]
    }

    /// A button while asking.
    pub(super) async fn ask_press(&self, turn: &mut Turn, value: &str) -> Result<Vec<Reply>, EngineError> {
        let lang = turn.lang;
        let Some(Flow::Ask(ask)) = turn.flow.clone() else {
            return Ok(Vec::new());
        };
        match (value, ask.question.clone()) {
            ("cancel", _) => {
                turn.flow = None;
                Ok(vec![
                    self.notice(
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
            ("rewrite", _) => {
                turn.flow = Some(Flow::Ask(Ask {
                    question: None,
                    files: Vec::new(),
                    ..ask
                }));
                Ok(vec![self.ask_prompt(lang).placed(Placement::Replace)])
            }
            ("send", Some(question)) => self.send_ticket(turn, ask, question).await,
            _ => Ok(vec![self.ask_prompt(lang)]),
        }
    }

    async fn send_ticket(&self, turn: &mut Turn, ask: Ask, question: QuestionText) -> Result<Vec<Reply>, EngineError> {
        let lang = turn.lang;
        let now = self.clock.now();
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
        let created = self
            .store
            .create_ticket(
                &new,
                now,
                day,
                self.settings.tickets_per_day,
                msg::staff_post,
                msg::staff_file,
            )
            .await?;
        turn.flow = None;
        Ok(vec![match created {
            Created::Ticket(ticket) => {
                let response_time = self
                    .tree
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
                self.notice(lang, &html).placed(Placement::Replace)
            }
            Created::LimitReached => {
                let html = match lang {
                    Lang::Tr => format!(
                        "Bugün {} soru gönderdiniz; bu günlük sınır. Yarın yeniden yazabilir ya da büroyla doğrudan iletişime geçebilirsiniz.",
                        self.settings.tickets_per_day
                    ),
                    Lang::En => format!(
                        "You have sent {} questions today, which is the daily limit. You can write again tomorrow, or contact the office directly.",
                        self.settings.tickets_per_day
                    ),
                };
                self.notice(lang, &html).placed(Placement::Replace)
            }
        }])
    }

    /// The person's follow-up to their ticket: a text, or a file relayed to staff.
    pub(super) async fn follow_up(
        &self,
        turn: &mut Turn,
        ticket: TicketId,
        input: FollowUpInput<'_>,
    ) -> Result<Vec<Reply>, EngineError> {
        let lang = turn.lang;
        turn.flow = None;
        let now = self.clock.now();
        let done = match input {
            FollowUpInput::Text(text) => {
                let text = match QuestionText::parse(text) {
                    Ok(q) => q,
                    Err(QuestionError::Empty) => return Ok(vec![self.notice(lang, super::ui::nothing_to_read(lang))]),
                    Err(QuestionError::TooLong(n)) => {
                        turn.flow = Some(Flow::FollowUp { ticket: ticket.0 });
                        let html = match lang {
                            Lang::Tr => {
                                format!("Mesajınız {n} karakter; lütfen 2.000 karakterin altına indirip yeniden yazın.")
                            }
                            Lang::En => format!(
                                "Your message has {n} characters; please shorten it to under 2,000 and send it again."
                            ),
                        };
                        return Ok(vec![Reply::new(html, Vec::new())]);
                    }
                };
                self.store
                    .follow_up(ticket, turn.user, text.as_str(), EventKind::FollowUp, now, |t| {
                        msg::staff_follow_up(t, text.as_str())
                    })
                    .await?
            }
            FollowUpInput::File(file) => {
                let label = match &file.caption {
                    Some(c) => format!("{}: {c}", file.kind.label(Lang::En)),
                    None => file.kind.label(Lang::En),
                };
                self.store
                    .follow_up(ticket, turn.user, &label, EventKind::File, now, |t| {
                        msg::staff_file(t, file)
                    })
                    .await?
            }
        };
        Ok(vec![match done {
            Some(t) => {
                let html = match lang {
                    Lang::Tr => format!(
                        "💬 Ek mesajınızı #{} numaralı talebe ekledim ve personele ilettim.",
                        t.id
                    ),
                    Lang::En => format!("💬 I added your message to ticket #{} and passed it to staff.", t.id),
                };
                self.notice(lang, &html)
            }
            None => self.notice(lang, t(lang, "Bu talep bulunamadı.", "That ticket cannot be found.")),
        }])
    }

    pub(super) async fn my_tickets(&self, turn: &mut Turn) -> Result<Vec<Reply>, EngineError> {
        let lang = turn.lang;
        let tickets = self.store.tickets_of(turn.user).await?;
        if tickets.is_empty() {
            let html = t(
                lang,
                "Henüz personele bir soru göndermediniz. Sormak için /ask yazın.",
                "You have not sent a question to staff yet. To ask one, type /ask.",
            );
            return Ok(vec![self.notice(lang, html)]);
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
        keyboard.push(vec![self.main_button(lang)]);
        Ok(vec![Reply::new(lines.join("\n"), keyboard)])
    }

    /// A ticket button: the person's (solved, follow-up) or staff's (answer, take, close).
    pub(super) async fn ticket_press(
        &self,
        turn: &mut Turn,
        verb: TicketVerb,
        id: TicketId,
    ) -> Result<Vec<Reply>, EngineError> {
        let lang = turn.lang;
        match verb {
            TicketVerb::FollowUp => {
                let Some(ticket) = self.store.ticket(id).await?.filter(|t| t.user == turn.user) else {
                    return Ok(vec![self.notice(
                        lang,
                        t(lang, "Bu talep bulunamadı.", "That ticket cannot be found."),
                    )]);
                };
                turn.flow = Some(Flow::FollowUp { ticket: ticket.id.0 });
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
                Ok(vec![Reply::new(
                    html,
                    vec![vec![to(
                        t(lang, "✖️ Vazgeç", "✖️ Cancel"),
                        Callback::Flow("cancel".into()),
                    )]],
                )])
            }
            TicketVerb::Solved => {
                let me = Actor {
                    id: turn.user,
                    name: turn.first_name.clone(),
                };
                let closed = self
                    .store
                    .close_ticket(id, &me, true, None, self.clock.now(), |t| {
                        vec![msg::staff_note(
                            t.id,
                            format!("✅ <b>Talep #{}</b> kişi tarafından çözüldü olarak kapatıldı.", t.id),
                        )]
                    })
                    .await?;
                Ok(vec![match closed {
                    Some(Closed::Now(t) | Closed::Already(t)) => {
                        let html = match lang {
                            Lang::Tr => format!("Yardımcı olabildiysek ne mutlu! #{} numaralı talebi kapattım.", t.id),
                            Lang::En => format!("Glad we could help! I have closed ticket #{}.", t.id),
                        };
                        self.notice(lang, &html)
                    }
                    None => self.notice(lang, t(lang, "Bu talep bulunamadı.", "That ticket cannot be found.")),
                }])
            }
            // Whether someone is staff is checked now, at the press, against the staff
            // list the bot runs with: a member removed from STAFF_USER_IDS can no
            // longer act, whatever they started before.
            _ if !self.is_staff(turn.user) => Ok(vec![self.notice(lang, super::ui::staff_only(lang))]),
            TicketVerb::Answer => self.start_answer(turn, id).await,
            TicketVerb::Send | TicketVerb::SendAnyway | TicketVerb::Edit | TicketVerb::Discard => {
                self.draft_press(turn, verb, id).await
            }
            TicketVerb::Take => self.take(turn, id).await,
            TicketVerb::Close => self.close(turn, id, None).await,
        }
    }

    /// A reply to staff without the main-menu button, which means nothing in a group.
    pub(super) fn staff_reply(&self, html: &str) -> Reply {
        Reply::new(html, Vec::new())
    }

    async fn take(&self, turn: &mut Turn, id: TicketId) -> Result<Vec<Reply>, EngineError> {
        let lang = turn.lang;
        let me = Actor {
            id: turn.user,
            name: turn.first_name.clone(),
        };
        let name = escape_html(&me.name);
        let taken = self
            .store
            .take_ticket(id, &me, self.clock.now(), |t| {
                msg::staff_note(t.id, format!("🙋 <b>Talep #{}</b> {name} tarafından üstlenildi.", t.id))
            })
            .await?;
        Ok(vec![match taken {
            Some(t) => {
                let html = match lang {
                    Lang::Tr => format!("#{} sizde.", t.id),
                    Lang::En => format!("#{} is yours.", t.id),
                };
                self.staff_reply(&html)
            }
            None => self.staff_reply(&missing_ticket(id, lang)),
        }])
    }

    async fn close(&self, turn: &mut Turn, id: TicketId, note: Option<&str>) -> Result<Vec<Reply>, EngineError> {
        let lang = turn.lang;
        let me = Actor {
            id: turn.user,
            name: turn.first_name.clone(),
        };
        let name = escape_html(&me.name);
        let closed = self
            .store
            .close_ticket(id, &me, false, note, self.clock.now(), |t| {
                vec![
                    msg::closed_by_staff(t, note),
                    msg::staff_note(t.id, format!("✅ <b>Talep #{}</b> {name} tarafından kapatıldı.", t.id)),
                ]
            })
            .await?;
        Ok(vec![match closed {
            Some(Closed::Now(t)) => {
                let html = match lang {
                    Lang::Tr => format!("#{} kapatıldı; kişiye bildirilecek.", t.id),
                    Lang::En => format!("#{} is closed; the person will be told.", t.id),
                };
                self.staff_reply(&html)
            }
            Some(Closed::Already(t)) => {
                let html = match lang {
                    Lang::Tr => format!("#{} zaten kapalıydı.", t.id),
                    Lang::En => format!("#{} was already closed.", t.id),
                };
                self.staff_reply(&html)
            }
            None => self.staff_reply(&missing_ticket(id, lang)),
        }])
    }

    /// Staff commands about tickets. The caller has checked that the user is staff.
    pub(super) async fn ticket_command(
        &self,
        turn: &mut Turn,
        command: &super::Command,
    ) -> Result<Vec<Reply>, EngineError> {
        use super::Command as C;
        let lang = turn.lang;
        let usage = |u: &str| vec![self.staff_reply(&format!("{}: {u}", t(lang, "Kullanım", "Usage")))];
        match command {
            C::Tickets => self.open_tickets(lang).await,
            C::Ticket(arg) => match ticket_id(arg) {
                Some(id) => self.ticket_history(lang, id).await,
                None => Ok(usage("/ticket N")),
            },
            C::Take(arg) => match ticket_id(arg) {
                Some(id) => self.take(turn, id).await,
                None => Ok(usage("/take N")),
            },
            C::Close(arg) => match ticket_id(arg) {
                Some(id) => {
                    let note = arg
                        .split_once(char::is_whitespace)
                        .map(|(_, n)| n.trim())
                        .filter(|n| !n.is_empty());
                    self.close(turn, id, note).await
                }
                None => Ok(usage("/close N [not]")),
            },
            C::Reply(arg) => match (
                ticket_id(arg),
                arg.split_once(char::is_whitespace).map(|(_, n)| n.trim()),
            ) {
                (Some(id), Some(text)) if !text.is_empty() => {
                    self.answer_with(turn, id, super::answering::Input::Text(text)).await
                }
                _ => Ok(usage("/reply N metin")),
            },
            C::Stats => self.stats().await,
            C::Faq(arg) => match ticket_id(arg) {
                Some(id) => self.faq(lang, id).await,
                None => Ok(usage("/faq N")),
            },
            _ => Ok(Vec::new()),
        }
    }

    async fn open_tickets(&self, lang: Lang) -> Result<Vec<Reply>, EngineError> {
        let now = self.clock.now();
        let open = self.store.tickets(Some(TicketStatus::Open)).await?;
        if open.is_empty() {
            return Ok(vec![self.staff_reply(t(
                lang,
                "Açık talep yok. 🎉",
                "No open tickets. 🎉",
            ))]);
        }
        let lines: Vec<String> = open
            .iter()
            .map(|ticket| {
                let taker = ticket
                    .taken_by
                    .as_ref()
                    .map(|(_, n)| format!(" · 🙋 {}", escape_html(n)))
                    .unwrap_or_default();
                format!(
                    "<b>#{}</b> · {} · {}{taker}\n<i>{}</i>",
                    ticket.id,
                    escape_html(&ticket.first_name),
                    age(now.duration_since(ticket.created_at).as_secs(), lang),
                    escape_html(&shorten(&ticket.question, 120))
                )
            })
            .collect();
        Ok(vec![self.staff_reply(&lines.join("\n\n"))])
    }

    async fn ticket_history(&self, lang: Lang, id: TicketId) -> Result<Vec<Reply>, EngineError> {
        let Some(ticket) = self.store.ticket(id).await? else {
            return Ok(vec![self.staff_reply(&missing_ticket(id, lang))]);
        };
        let mut lines = vec![format!(
            "<b>#{}</b> · {} · {} · {}",
            ticket.id,
            escape_html(&ticket.first_name),
            ticket.lang.code(),
            ticket.status.label(lang)
        )];
        for event in self.store.ticket_events(id).await? {
            let who = event.author.as_ref().map(|(_, n)| escape_html(n)).unwrap_or_default();
            let text = event
                .text
                .as_deref()
                .map(|t| format!(": {}", escape_html(t)))
                .unwrap_or_default();
            lines.push(format!("{} · {} {who}{text}", local(event.at), event.kind.code()));
        }
        Ok(vec![self.staff_reply(&super::fit_message(lines.join("\n")))])
    }

    async fn stats(&self) -> Result<Vec<Reply>, EngineError> {
        let staff: Vec<i64> = self.staff.iter().copied().collect();
        let s = self.store.stats(&staff).await?;
        Ok(vec![self.staff_reply(&escape_html(&stats_text(&s)))])
    }

    async fn faq(&self, lang: Lang, id: TicketId) -> Result<Vec<Reply>, EngineError> {
        let Some(ticket) = self.store.ticket(id).await? else {
            return Ok(vec![self.staff_reply(&missing_ticket(id, lang))]);
        };
        let answer = self
            .store
            .ticket_events(id)
            .await?
            .into_iter()
            .find(|e| e.kind == EventKind::Answer)
            .and_then(|e| e.text);
        let Some(answer) = answer else {
            return Ok(vec![self.staff_reply(t(
                lang,
                "Bu talep henüz yanıtlanmadı.",
                "That ticket has no answer yet.",
            ))]);
        };
        let today = self.clock.now().to_zoned(office_tz()).date();
        let snippet = msg::faq_snippet(&ticket, &answer, today);
        let html = format!(
            "{}\n<pre>{}</pre>",
            t(
                lang,
                "SSS taslağı (dialogues/ klasörüne yapıştırın, sonra eudesk check):",
                "Draft FAQ node (paste into dialogues/, then run eudesk check):"
            ),
            escape_html(&snippet)
        );
        Ok(vec![self.staff_reply(&html)])
    }

    /// The outbox delivered a message: remember where it landed, and tell staff when
    /// it was an answer.
    pub async fn delivered(&self, pending: &Pending, chat: i64, message: i64) -> Result<(), EngineError> {
        let now = self.clock.now();
        match pending.message.purpose {
            Some(Purpose::TicketPost { ticket } | Purpose::TicketPiece { ticket }) => {
                self.store.link_message(chat, message, TicketId(ticket)).await?
            }
            Some(Purpose::TicketAnswer { ticket }) => {
                let id = TicketId(ticket);
                self.store.link_message(chat, message, id).await?;
                let note = msg::staff_note(id, format!("📬 <b>Talep #{ticket}</b> yanıtı kişiye iletildi."));
                self.store
                    .ticket_delivery(id, EventKind::Delivered, None, now, Some(note))
                    .await?;
            }
            None => {}
        }
        Ok(())
    }

    /// Telegram refused a message for good: an answer that cannot reach its person is
    /// recorded on the ticket and shown to staff, never dropped silently.
    pub async fn undeliverable(&self, pending: &Pending, reason: &str) -> Result<(), EngineError> {
        let now = self.clock.now();
        if let Some(Purpose::TicketAnswer { ticket }) = pending.message.purpose {
            let id = TicketId(ticket);
            let note = msg::staff_note(
                id,
                format!(
                    "⚠️ <b>Talep #{ticket}</b> yanıtı kişiye iletilemedi ({}). Kişi botu engellemiş ya da sohbeti silmiş olabilir.",
                    escape_html(reason)
                ),
            );
            self.store
                .ticket_delivery(id, EventKind::Undeliverable, Some(reason), now, Some(note))
                .await?;
        } else if pending.message.to == Recipient::Staff {
            tracing::error!(
                reason,
                "a message to the staff chat was refused for good; check STAFF_CHAT_ID and that the bot is in the group"
            );
        }
        Ok(())
    }

    /// Anonymises closed tickets and past registrations older than the retention
    /// period (KVKK: data kept no longer than needed).
    pub async fn apply_retention(&self) -> Result<(u64, u64), EngineError> {
        let now = self.clock.now();
        let days = self.settings.retention_days as i64;
        let before = now
            .checked_sub(jiff::SignedDuration::from_hours(24 * days))
            .unwrap_or(now);
        Ok(self.store.apply_retention(before, now).await?)
    }

    /// Brings up again, in the staff chat, open tickets nobody has taken that have
    /// waited longer than the configured office hours since the question, the last
    /// follow-up or the last reminder.
    pub async fn remind_staff(&self) -> Result<usize, EngineError> {
        let now = self.clock.now();
        let mut reminded = 0;
        for ticket in self.store.tickets(Some(TicketStatus::Open)).await? {
            if ticket.taken_by.is_some() {
                continue;
            }
            let since = ticket
                .staff_reminded_at
                .unwrap_or(ticket.last_activity_at)
                .max(ticket.last_activity_at);
            if hours::between(since, now) < self.settings.staff_remind_after {
                continue;
            }
            let waited = hours::between(ticket.last_activity_at, now).as_hours();
            self.store
                .remind_staff(ticket.id, now, &msg::staff_reminder(&ticket, waited))
                .await?;
            reminded += 1;
        }
        Ok(reminded)
    }

    /// The person's reply (in Telegram) to an answer: a follow-up to its ticket.
    pub(super) async fn person_reply_to(
        &self,
        turn: &mut Turn,
        message: i64,
        input: FollowUpInput<'_>,
    ) -> Result<Option<Vec<Reply>>, EngineError> {
        match self.store.ticket_of_message(turn.user, message).await? {
            Some(id) => Ok(Some(self.follow_up(turn, id, input).await?)),
            None => Ok(None),
        }
    }
}

pub(super) fn missing_ticket(id: TicketId, lang: Lang) -> String {
    match lang {
        Lang::Tr => format!("#{id} numaralı talep yok."),
        Lang::En => format!("There is no ticket #{id}."),
    }
}

/// The statistics as plain text, for /stats and `eudesk stats`.
pub fn stats_text(s: &crate::storage::Stats) -> String {
    let duration = |secs: Option<i64>| secs.map_or_else(|| "—".to_owned(), |s| age(s, Lang::En));
    let mut lines = vec![
        format!("People served: {}", s.people),
        format!(
            "Free-text questions: {} answered from the dialogues, {} answered with suggestions, {} not answered",
            s.answered, s.suggested, s.escalated
        ),
        format!(
            "Tickets: {} open, {} answered, {} closed",
            s.tickets_open, s.tickets_answered, s.tickets_closed
        ),
        format!(
            "Time to first answer: median {}, 90th percentile {}",
            duration(s.median_first_answer_secs),
            duration(s.p90_first_answer_secs)
        ),
    ];
    if !s.top_unanswered.is_empty() {
        lines.push("Most frequent questions the bot could not answer:".to_owned());
        for (normalized, count, example) in &s.top_unanswered {
            lines.push(format!("  {count} × {normalized}  (e.g. \"{example}\")"));
        }
    }
    lines.join("\n")
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
        vec![to(t(lang, "📨 Gönder", "📨 Send"), Callback::Flow("send".into()))],
        vec![
            to(
                t(lang, "✏️ Yeniden yaz", "✏️ Rewrite"),
                Callback::Flow("rewrite".into()),
            ),
            to(t(lang, "✖️ Vazgeç", "✖️ Cancel"), Callback::Flow("cancel".into())),
        ],
    ]
}
