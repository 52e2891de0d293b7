//! Routing an event to what handles it: commands, button presses, typed text and
//! files, in a private chat or in the staff group.

use super::answering;
use super::asking::FollowUpInput;
use super::flow::Flow;
use super::{Callback, Command, Engine, EngineError, Event, Placement, Reply, Turn, shorten, to, ui};
use crate::dialogue::Action;
use crate::dialogue::render::escape_html;
use crate::lang::Lang;
use crate::tickets::TicketId;

impl Engine {
    /// What a staff member does in the staff chat: staff commands, replies to ticket
    /// posts, the answer they are writing, ticket buttons. Everything else there is
    /// staff talking among themselves.
    pub(super) async fn staff_chat_event(
        &self,
        turn: &mut Turn<'_>,
        event: Event,
        replied_ticket: Option<TicketId>,
    ) -> Result<Vec<Reply>, EngineError> {
        let lang = turn.lang;
        match event {
            Event::Text(text) => {
                if let Some(command) = Command::parse(&text) {
                    return self.staff_chat_command(turn, command).await;
                }
                if let Some(id) = replied_ticket {
                    return self.answer_with(turn, id, answering::Input::Text(&text)).await;
                }
                Ok(self
                    .draft_input(turn, answering::Input::Text(&text))
                    .await?
                    .unwrap_or_default())
            }
            Event::File(file) => {
                if let Some(id) = replied_ticket {
                    return self.answer_with(turn, id, answering::Input::File(&file)).await;
                }
                Ok(self
                    .draft_input(turn, answering::Input::File(&file))
                    .await?
                    .unwrap_or_default())
            }
            Event::Unsupported => {
                let answering =
                    replied_ticket.is_some() || self.live_draft(turn).await?.is_some_and(|d| d.content.is_none());
                Ok(if answering {
                    vec![self.staff_reply(ui::cannot_relay(lang))]
                } else {
                    Vec::new()
                })
            }
            Event::Press(pressed) => match pressed {
                Some(Callback::Ticket(verb, id)) => self.ticket_press(turn, verb, id).await,
                Some(Callback::Link(id, i)) => self.link_preview(turn, id, i).await,
                Some(Callback::LinkAdd(id, i)) => self.link_add(turn, id, i).await,
                Some(Callback::StaffSession(id)) => self.session_card(turn, id, Placement::Replace).await,
                Some(Callback::SessionAct(verb, id)) => self.session_act(turn, verb, id).await,
                Some(Callback::Tick(id, present)) => self.tick(turn, id, present).await,
                Some(Callback::StopFanout(id)) => self.stop_fanout(turn, id).await,
                Some(Callback::Withdraw(id, confirmed)) => self.withdraw_press(turn, id, confirmed).await,
                _ => Ok(Vec::new()),
            },
            Event::Resume => Ok(Vec::new()),
        }
    }

    /// A command in the staff chat. The people's commands start private flows, whose
    /// prompts must not land in the group: they are pointed to the private chat.
    pub(super) async fn staff_chat_command(
        &self,
        turn: &mut Turn<'_>,
        command: Command,
    ) -> Result<Vec<Reply>, EngineError> {
        let lang = turn.lang;
        match command {
            Command::Help => Ok(vec![self.staff_reply(ui::staff_help(lang).trim_start())]),
            Command::Cancel => Ok(vec![self.staff_reply(&match self.cancel_draft(turn).await? {
                Some(id) => ui::answer_cancelled(lang, id),
                None => ui::nothing_to_cancel(lang).to_owned(),
            })]),
            Command::Tickets
            | Command::Ticket(_)
            | Command::Take(_)
            | Command::Close(_)
            | Command::Reply(_)
            | Command::Stats
            | Command::Faq(_) => self.ticket_command(turn, &command).await,
            Command::Link(arg) => self.link_command(turn, &arg).await,
            Command::Sessions => self.staff_sessions(turn).await,
            Command::Attendees(arg) => self.staff_attendees(turn, &arg).await,
            Command::Broadcast(arg) => self.staff_broadcast(turn, &arg).await,
            Command::NewSession => Ok(vec![self.new_session_in_private(turn)]),
            Command::Report(arg) => self.report_command(turn, &arg).await,
            Command::Verify(arg) => self.verify_command(turn, &arg).await,
            Command::Reload => self.reload_command(turn).await,
            Command::Publish => self.start_publish(turn).await,
            Command::Unknown(_) => Ok(Vec::new()),
            _ => Ok(vec![self.staff_reply(ui::private_only(lang))]),
        }
    }

    /// Typed text: a command, a reply to a ticket message, the next answer of a flow,
    /// or a question.
    pub(super) async fn text(
        &self,
        turn: &mut Turn<'_>,
        text: &str,
        reply_to: Option<TicketId>,
    ) -> Result<Vec<Reply>, EngineError> {
        if let Some(command) = Command::parse(text) {
            return self.command(turn, command).await;
        }
        // A reply (in Telegram) to one of their ticket's answers: a follow-up to it.
        if let Some(ticket) = reply_to {
            return self.follow_up(turn, ticket, FollowUpInput::Text(text)).await;
        }
        // A staff member writing an answer in their private chat (after Edit).
        if self.is_staff(turn.user)
            && let Some(replies) = self.draft_input(turn, answering::Input::Text(text)).await?
        {
            return Ok(replies);
        }
        match turn.flow.clone() {
            Some(Flow::Booking(_)) => self.flow_text(turn, text).await,
            Some(Flow::Ask(_)) => Ok(self.ask_text(turn, text)),
            Some(Flow::FollowUp { ticket }) => self.follow_up(turn, TicketId(ticket), FollowUpInput::Text(text)).await,
            Some(Flow::SessionForm(_)) => self.form_text(turn, text).await,
            Some(Flow::Survey(_)) => self.survey_text(turn, text).await,
            Some(Flow::Publish(_)) => self.publish_text(turn, text).await,
            // The topics screen takes taps, not text: a text is a question.
            Some(Flow::AlertTopics { .. }) | None => self.question(turn, text).await,
        }
    }

    /// A file in a private chat: part of a question for staff or a follow-up (relayed
    /// with it), an answer a staff member is writing, or else something the bot cannot
    /// read.
    pub(super) async fn file(
        &self,
        turn: &mut Turn<'_>,
        file: &crate::tickets::Attachment,
        reply_to: Option<TicketId>,
    ) -> Result<Vec<Reply>, EngineError> {
        if let Some(ticket) = reply_to {
            return self.follow_up(turn, ticket, FollowUpInput::File(file)).await;
        }
        if self.is_staff(turn.user)
            && let Some(replies) = self.draft_input(turn, answering::Input::File(file)).await?
        {
            return Ok(replies);
        }
        match turn.flow.clone() {
            Some(Flow::Ask(_)) => Ok(self.ask_file(turn, file)),
            Some(Flow::FollowUp { ticket }) => self.follow_up(turn, TicketId(ticket), FollowUpInput::File(file)).await,
            _ => Ok(vec![self.notice(turn.lang, ui::text_only(turn.lang))]),
        }
    }

    /// A sticker, poll, location…: said plainly that it cannot be passed on when the
    /// person is writing to staff, and that the bot reads text otherwise.
    pub(super) async fn unsupported(&self, turn: &mut Turn<'_>) -> Result<Vec<Reply>, EngineError> {
        let lang = turn.lang;
        Ok(match turn.flow {
            Some(Flow::Ask(_) | Flow::FollowUp { .. }) => vec![Reply::new(ui::cannot_relay(lang), Vec::new())],
            _ => vec![self.notice(lang, ui::text_only(lang))],
        })
    }

    pub(super) async fn command(&self, turn: &mut Turn<'_>, command: Command) -> Result<Vec<Reply>, EngineError> {
        let lang = turn.lang;
        Ok(match command {
            Command::Start(_) | Command::Menu => {
                let abandoned = self.abandon_flow(turn);
                let menu = self.show(turn, self.tree().main(), Placement::New);
                vec![if abandoned {
                    menu.with_notice(ui::booking_abandoned(lang))
                } else {
                    menu
                }]
            }
            Command::Help => {
                let mut help = ui::help(lang);
                if self.is_staff(turn.user) {
                    help.push_str(&ui::staff_help(lang));
                }
                let mut replies = vec![self.notice(lang, &help)];
                if turn.flow.is_some() {
                    replies.extend(self.flow_prompt(turn).await?);
                }
                replies
            }
            Command::Language => {
                let keyboard = vec![vec![
                    to("🇹🇷 Türkçe", Callback::Lang(Lang::Tr)),
                    to("🇬🇧 English", Callback::Lang(Lang::En)),
                ]];
                vec![Reply::new(ui::choose_language(), keyboard)]
            }
            Command::Cancel => {
                // Each flow says what was cancelled; a staff member may also be writing
                // an answer in this chat.
                let draft = if self.is_staff(turn.user) {
                    self.cancel_draft(turn).await?
                } else {
                    None
                };
                let said = match (turn.flow.take(), draft) {
                    (Some(Flow::Booking(_)), _) => ui::booking_cancelled(lang).to_owned(),
                    (Some(Flow::Ask(_)), _) => ui::question_cancelled(lang).to_owned(),
                    (Some(Flow::FollowUp { ticket }), _) => ui::follow_up_cancelled(lang, TicketId(ticket)),
                    (Some(Flow::SessionForm(f)), _) => ui::session_form_cancelled(lang, f.session.is_some()).to_owned(),
                    (Some(Flow::Survey(_)), _) => ui::survey_cancelled(lang).to_owned(),
                    (Some(Flow::Publish(_)), _) => ui::pick(
                        lang,
                        "Duyuru iptal edildi; hiçbir şey gönderilmedi.",
                        "The alert is cancelled; nothing was sent.",
                    )
                    .to_owned(),
                    (Some(Flow::AlertTopics { .. }), _) => ui::pick(
                        lang,
                        "Konu seçimi kapatıldı; seçtikleriniz olduğu gibi duruyor (/subscribe).",
                        "Choosing topics is closed; what you chose stays as it is (/subscribe).",
                    )
                    .to_owned(),
                    (None, Some(id)) => ui::answer_cancelled(lang, id),
                    (None, None) => ui::nothing_to_cancel(lang).to_owned(),
                };
                vec![self.notice(lang, &said)]
            }
            Command::Trainings => {
                self.abandon_flow(turn);
                self.trainings(turn, Placement::New).await?
            }
            Command::MyRegistrations => {
                self.abandon_flow(turn);
                self.my_registrations(turn, Placement::New).await?
            }
            Command::Ask(question) => {
                self.abandon_flow(turn);
                let candidates = self.candidates(&question, turn.lang).await;
                self.start_ask(turn, Some((&question, candidates)))
            }
            Command::MyTickets => {
                self.abandon_flow(turn);
                self.my_tickets(turn).await?
            }
            Command::Privacy => {
                let html = self.privacy_text(turn).await?;
                vec![self.notice(lang, &html)]
            }
            Command::Opportunities => {
                self.abandon_flow(turn);
                self.opportunities(turn, None, Placement::New).await?
            }
            Command::Subscribe => {
                self.abandon_flow(turn);
                self.subscribe(turn, Placement::New).await?
            }
            Command::Unsubscribe => self.stop_alerts(turn, None).await?,
            Command::Forget => {
                let keyboard = vec![
                    vec![to(ui::forget_yes(lang), Callback::Forget)],
                    vec![self.main_button(lang)],
                ];
                vec![Reply::new(ui::forget_confirm(lang), keyboard)]
            }
            Command::Tickets
            | Command::Ticket(_)
            | Command::Take(_)
            | Command::Close(_)
            | Command::Reply(_)
            | Command::Stats
            | Command::Faq(_) => self.ticket_command(turn, &command).await?,
            Command::Link(arg) => self.link_command(turn, &arg).await?,
            Command::Sessions => self.staff_sessions(turn).await?,
            Command::Attendees(arg) => self.staff_attendees(turn, &arg).await?,
            Command::Broadcast(arg) => self.staff_broadcast(turn, &arg).await?,
            Command::NewSession => {
                self.abandon_flow(turn);
                self.start_form(turn, None).await?
            }
            Command::Report(arg) => self.report_command(turn, &arg).await?,
            Command::Verify(arg) => self.verify_command(turn, &arg).await?,
            Command::Reload => self.reload_command(turn).await?,
            Command::Publish => self.start_publish(turn).await?,
            Command::Unknown(name) => {
                let name = crate::dialogue::render::printable(&shorten(&name, 40));
                vec![self.notice(lang, &ui::unknown_command(lang, &escape_html(&name)))]
            }
        })
    }

    pub(super) async fn press(
        &self,
        turn: &mut Turn<'_>,
        pressed: Option<Callback>,
    ) -> Result<Vec<Reply>, EngineError> {
        let lang = turn.lang;
        let replace = Placement::Replace;
        Ok(match pressed {
            Some(Callback::Node(id)) => {
                let abandoned = self.abandon_flow(turn);
                let reply = match self.tree().get(id.as_str()) {
                    Some(node) => self.show(turn, node, replace),
                    None => self
                        .show(turn, self.tree().main(), replace)
                        .with_notice(ui::node_gone(lang)),
                };
                vec![if abandoned {
                    reply.with_notice(ui::booking_abandoned(lang))
                } else {
                    reply
                }]
            }
            Some(Callback::Action(id)) => match self.tree().get(id.as_str()).and_then(|n| n.action.map(|a| (n, a))) {
                Some((node, Action::RegisterTraining)) => {
                    turn.node = node.id.to_string();
                    self.abandon_flow(turn);
                    self.trainings(turn, Placement::New).await?
                }
                Some((node, Action::AskStaff)) => {
                    // From the menu: a new question, not the last unanswered one.
                    turn.node = node.id.to_string();
                    turn.last_question = None;
                    self.abandon_flow(turn);
                    self.start_ask(turn, None)
                }
                None => vec![
                    self.show(turn, self.tree().main(), replace)
                        .with_notice(ui::node_gone(lang)),
                ],
            },
            Some(Callback::Lang(chosen)) => {
                turn.chosen = Some(chosen);
                turn.lang = chosen;
                // Alerts follow the person's language.
                crate::storage::opportunities::set_language(turn.work.write().await?, turn.user, chosen).await?;
                vec![
                    self.show(turn, self.tree().main(), replace)
                        .with_notice(ui::language_set(chosen)),
                ]
            }
            Some(Callback::Trainings) => {
                self.abandon_flow(turn);
                self.trainings(turn, replace).await?
            }
            Some(Callback::Session(id)) => {
                self.abandon_flow(turn);
                self.start_booking(turn, id, replace).await?
            }
            Some(Callback::Flow(value)) => match turn.flow {
                Some(Flow::Ask(_)) => self.ask_press(turn, &value).await?,
                Some(Flow::FollowUp { .. }) if value == "cancel" => {
                    turn.flow = None;
                    vec![self.notice(lang, ui::nothing_sent(lang)).placed(replace)]
                }
                Some(Flow::SessionForm(_)) => self.form_press(turn, &value).await?,
                Some(Flow::Survey(_)) => self.survey_press(turn, &value).await?,
                Some(Flow::Publish(_)) => self.publish_press(turn, &value).await?,
                _ => self.flow_press(turn, &value).await?,
            },
            Some(Callback::Forget) => {
                let now = self.clock.now();
                let erased = crate::privacy::forget(turn.work.write().await?, turn.user, now).await?;
                // Logged outside this update's span, which names the person: the log
                // must not tie an id to an erasure any more than `privacy_log` does.
                tracing::info!(
                    parent: None,
                    cancelled = erased.cancelled,
                    registrations = erased.registrations,
                    tickets = erased.tickets,
                    "a person's data was erased at their request"
                );
                turn.forgotten = true;
                vec![Reply::new(ui::forgotten(lang), Vec::new()).placed(replace)]
            }
            Some(Callback::AskStaff) => {
                self.abandon_flow(turn);
                self.start_ask(turn, None)
            }
            Some(Callback::Ticket(verb, id)) => self.ticket_press(turn, verb, id).await?,
            Some(Callback::Link(id, i)) => self.link_preview(turn, id, i).await?,
            Some(Callback::LinkAdd(id, i)) => self.link_add(turn, id, i).await?,
            Some(Callback::MyRegistrations) => self.my_registrations(turn, replace).await?,
            Some(Callback::CancelAsk(id)) => self.cancel_ask(turn, id).await?,
            Some(Callback::CancelDo(id)) => self.cancel_do(turn, id).await?,
            Some(Callback::CheckIn(session, key)) => {
                self.abandon_flow(turn);
                self.check_in(turn, session, &key).await?
            }
            Some(Callback::Survey(id)) => self.start_survey(turn, id).await?,
            Some(Callback::Certificate(id)) => self.certificate(turn, id).await?,
            Some(Callback::StaffSession(id)) => self.session_card(turn, id, replace).await?,
            Some(Callback::SessionAct(verb, id)) => self.session_act(turn, verb, id).await?,
            Some(Callback::Tick(id, present)) => self.tick(turn, id, present).await?,
            Some(Callback::NewSession) => {
                self.abandon_flow(turn);
                self.start_form(turn, None).await?
            }
            Some(Callback::Opportunities(topic)) => self.opportunities(turn, topic, replace).await?,
            Some(Callback::Subscribe) => self.subscribe(turn, replace).await?,
            Some(Callback::AlertsConsent) => self.alerts_consent(turn).await?,
            Some(Callback::ToggleTopic(topic)) => self.toggle_topic(turn, topic).await?,
            Some(Callback::AlertsDone) => self.alerts_done(turn).await?,
            Some(Callback::StopAlerts(topics)) => self.stop_alerts(turn, Some(topics)).await?,
            Some(Callback::RemindMe(id)) => self.remind_me(turn, id).await?,
            Some(Callback::StopFanout(id)) => self.stop_fanout(turn, id).await?,
            Some(Callback::Withdraw(id, confirmed)) => self.withdraw_press(turn, id, confirmed).await?,
            Some(Callback::InPreview) => vec![self.notice(
                lang,
                ui::pick(
                    lang,
                    "Bu bir önizleme: düğmeler abonelere giden duyuruda çalışır.",
                    "This is a preview: the buttons work in the alert subscribers get.",
                ),
            )],
            Some(Callback::Publish) => self.start_publish(turn).await?,
            None => vec![
                self.show(turn, self.tree().main(), replace)
                    .with_notice(ui::button_unknown(lang)),
            ],
        })
    }
}
