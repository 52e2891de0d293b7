//! Routing an event to what handles it: commands, button presses, typed text and
//! files, in a private chat or in the staff group.

use crate::opportunities::follow::{
    alerts_consent, alerts_done, opportunities, remind_me, stop_alerts, subscribe, toggle_topic,
};
use crate::trainings::day::{certificate, check_in, start_survey, survey_press, survey_text};

use super::flow::Flow;
use super::menus::privacy_text;
use super::menus::{candidates, question, show};
use super::reload::reload_command;
use super::{Callback, Command, EngineError, Event, Placement, Reply, Turn, shorten, to, ui};
use crate::conversation::{main_button, notice, staff_reply};
use crate::dialogue::Action;
use crate::dialogue::render::escape_html;
use crate::lang::Lang;
use crate::opportunities::publish::{publish_press, publish_text, start_publish, stop_fanout, withdraw_press};
use crate::tickets::TicketId;
use crate::tickets::answer::{answer_with, cancel_draft, draft_input, live_draft};
use crate::tickets::ask::FollowUpInput;
use crate::tickets::ask::{ask_file, ask_press, ask_text, follow_up, my_tickets, start_ask};
use crate::tickets::learn::{link_add, link_command, link_preview};
use crate::tickets::staff::{ticket_command, ticket_press};
use crate::trainings::book::{flow_press, flow_text, start_booking, trainings};
use crate::trainings::book_prompt::flow_prompt;
use crate::trainings::card::session_card;
use crate::trainings::form::{form_press, form_text, start_form};
use crate::trainings::mine::{cancel_ask, cancel_do, my_registrations};
use crate::trainings::staff::{
    new_session_in_private, report_command, session_act, staff_attendees, staff_broadcast, staff_sessions, tick,
    verify_command,
};

/// What a staff member does in the staff chat: staff commands, replies to ticket
/// posts, the answer they are writing, ticket buttons. Everything else there is
/// staff talking among themselves.
pub(crate) async fn staff_chat_event(
    turn: &mut Turn<'_>,
    event: Event,
    replied_ticket: Option<TicketId>,
) -> Result<Vec<Reply>, EngineError> {
    let lang = turn.lang;
    match event {
        Event::Text(text) => {
            if let Some(command) = Command::parse(&text) {
                return staff_chat_command(turn, command).await;
            }
            if let Some(id) = replied_ticket {
                return answer_with(turn, id, crate::tickets::answer::Input::Text(&text)).await;
            }
            Ok(draft_input(turn, crate::tickets::answer::Input::Text(&text))
                .await?
                .unwrap_or_default())
        }
        Event::File(file) => {
            if let Some(id) = replied_ticket {
                return answer_with(turn, id, crate::tickets::answer::Input::File(&file)).await;
            }
            Ok(draft_input(turn, crate::tickets::answer::Input::File(&file))
                .await?
                .unwrap_or_default())
        }
        Event::Unsupported => {
            let answering = replied_ticket.is_some() || live_draft(turn).await?.is_some_and(|d| d.content.is_none());
            Ok(if answering {
                vec![staff_reply(ui::cannot_relay(lang))]
            } else {
                Vec::new()
            })
        }
        Event::Press(pressed) => match pressed {
            Some(Callback::Ticket(verb, id)) => ticket_press(turn, verb, id).await,
            Some(Callback::Link(id, i)) => link_preview(turn, id, i).await,
            Some(Callback::LinkAdd(id, i)) => link_add(turn, id, i).await,
            Some(Callback::StaffSession(id)) => session_card(turn, id, Placement::Replace).await,
            Some(Callback::SessionAct(verb, id)) => session_act(turn, verb, id).await,
            Some(Callback::Tick(id, present)) => tick(turn, id, present).await,
            Some(Callback::StopFanout(id)) => stop_fanout(turn, id).await,
            Some(Callback::Withdraw(id, confirmed)) => withdraw_press(turn, id, confirmed).await,
            _ => Ok(Vec::new()),
        },
        Event::Resume => Ok(Vec::new()),
    }
}

/// A command in the staff chat. The people's commands start private flows, whose
/// prompts must not land in the group: they are pointed to the private chat.
pub(crate) async fn staff_chat_command(turn: &mut Turn<'_>, command: Command) -> Result<Vec<Reply>, EngineError> {
    let lang = turn.lang;
    match command {
        Command::Help => Ok(vec![staff_reply(ui::staff_help(lang).trim_start())]),
        Command::Cancel => Ok(vec![staff_reply(&match cancel_draft(turn).await? {
            Some(id) => ui::answer_cancelled(lang, id),
            None => ui::nothing_to_cancel(lang).to_owned(),
        })]),
        Command::Tickets
        | Command::Ticket(_)
        | Command::Take(_)
        | Command::Close(_)
        | Command::Reply(_)
        | Command::Stats
        | Command::Faq(_) => ticket_command(turn, &command).await,
        Command::Link(arg) => link_command(turn, &arg).await,
        Command::Sessions => staff_sessions(turn).await,
        Command::Attendees(arg) => staff_attendees(turn, &arg).await,
        Command::Broadcast(arg) => staff_broadcast(turn, &arg).await,
        Command::NewSession => Ok(vec![new_session_in_private(turn)]),
        Command::Report(arg) => report_command(turn, &arg).await,
        Command::Verify(arg) => verify_command(turn, &arg).await,
        Command::Reload => reload_command(turn).await,
        Command::Publish => start_publish(turn).await,
        Command::Unknown(_) => Ok(Vec::new()),
        _ => Ok(vec![staff_reply(ui::private_only(lang))]),
    }
}

/// Typed text: a command, a reply to a ticket message, the next answer of a flow,
/// or a question.
pub(crate) async fn text(
    turn: &mut Turn<'_>,
    text: &str,
    reply_to: Option<TicketId>,
) -> Result<Vec<Reply>, EngineError> {
    let desk = turn.desk;
    if let Some(command) = Command::parse(text) {
        return self::command(turn, command).await;
    }
    // A reply (in Telegram) to one of their ticket's answers: a follow-up to it.
    if let Some(ticket) = reply_to {
        return follow_up(turn, ticket, FollowUpInput::Text(text)).await;
    }
    // A staff member writing an answer in their private chat (after Edit).
    if desk.is_staff(turn.user)
        && let Some(replies) = draft_input(turn, crate::tickets::answer::Input::Text(text)).await?
    {
        return Ok(replies);
    }
    match turn.flow.clone() {
        Some(Flow::Booking(_)) => flow_text(turn, text).await,
        Some(Flow::Ask(_)) => Ok(ask_text(turn, text)),
        Some(Flow::FollowUp { ticket }) => follow_up(turn, ticket, FollowUpInput::Text(text)).await,
        Some(Flow::SessionForm(_)) => form_text(turn, text).await,
        Some(Flow::Survey(_)) => survey_text(turn, text).await,
        Some(Flow::Publish(_)) => publish_text(turn, text).await,
        // The topics screen takes taps, not text: a text is a question.
        Some(Flow::AlertTopics { .. }) | None => question(turn, text).await,
    }
}

/// A file in a private chat: part of a question for staff or a follow-up (relayed
/// with it), an answer a staff member is writing, or else something the bot cannot
/// read.
pub(crate) async fn file(
    turn: &mut Turn<'_>,
    file: &crate::tickets::Attachment,
    reply_to: Option<TicketId>,
) -> Result<Vec<Reply>, EngineError> {
    let desk = turn.desk;
    if let Some(ticket) = reply_to {
        return follow_up(turn, ticket, FollowUpInput::File(file)).await;
    }
    if desk.is_staff(turn.user)
        && let Some(replies) = draft_input(turn, crate::tickets::answer::Input::File(file)).await?
    {
        return Ok(replies);
    }
    match turn.flow.clone() {
        Some(Flow::Ask(_)) => Ok(ask_file(turn, file)),
        Some(Flow::FollowUp { ticket }) => follow_up(turn, ticket, FollowUpInput::File(file)).await,
        _ => Ok(vec![notice(turn.lang, ui::text_only(turn.lang))]),
    }
}

/// A sticker, poll, location…: said plainly that it cannot be passed on when the
/// person is writing to staff, and that the bot reads text otherwise.
pub(crate) async fn unsupported(turn: &mut Turn<'_>) -> Result<Vec<Reply>, EngineError> {
    let lang = turn.lang;
    Ok(match turn.flow {
        Some(Flow::Ask(_) | Flow::FollowUp { .. }) => vec![Reply::new(ui::cannot_relay(lang), Vec::new())],
        _ => vec![notice(lang, ui::text_only(lang))],
    })
}

pub(crate) async fn command(turn: &mut Turn<'_>, command: Command) -> Result<Vec<Reply>, EngineError> {
    let desk = turn.desk;
    let lang = turn.lang;
    Ok(match command {
        Command::Start(_) | Command::Menu => {
            let abandoned = turn.abandon_flow();
            let menu = show(turn, desk.tree().main(), Placement::New);
            vec![if abandoned {
                menu.with_notice(ui::booking_abandoned(lang))
            } else {
                menu
            }]
        }
        Command::Help => {
            let mut help = ui::help(lang);
            if desk.is_staff(turn.user) {
                help.push_str(&ui::staff_help(lang));
            }
            let mut replies = vec![notice(lang, &help)];
            if turn.flow.is_some() {
                replies.extend(flow_prompt(turn).await?);
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
            let draft = if desk.is_staff(turn.user) {
                cancel_draft(turn).await?
            } else {
                None
            };
            let said = match (turn.flow.take(), draft) {
                (Some(Flow::Booking(_)), _) => ui::booking_cancelled(lang).to_owned(),
                (Some(Flow::Ask(_)), _) => ui::question_cancelled(lang).to_owned(),
                (Some(Flow::FollowUp { ticket }), _) => ui::follow_up_cancelled(lang, ticket),
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
            vec![notice(lang, &said)]
        }
        Command::Trainings => {
            turn.abandon_flow();
            trainings(turn, Placement::New).await?
        }
        Command::MyRegistrations => {
            turn.abandon_flow();
            my_registrations(turn, Placement::New).await?
        }
        Command::Ask(question) => {
            turn.abandon_flow();
            let candidates = candidates(desk, &question, turn.lang).await;
            start_ask(turn, Some((&question, candidates)))
        }
        Command::MyTickets => {
            turn.abandon_flow();
            my_tickets(turn).await?
        }
        Command::Privacy => {
            let html = privacy_text(turn).await?;
            vec![notice(lang, &html)]
        }
        Command::Opportunities => {
            turn.abandon_flow();
            opportunities(turn, None, Placement::New).await?
        }
        Command::Subscribe => {
            turn.abandon_flow();
            subscribe(turn, Placement::New).await?
        }
        Command::Unsubscribe => stop_alerts(turn, None).await?,
        Command::Forget => {
            let keyboard = vec![
                vec![to(ui::forget_yes(lang), Callback::Forget)],
                vec![main_button(lang)],
            ];
            vec![Reply::new(ui::forget_confirm(lang), keyboard)]
        }
        Command::Tickets
        | Command::Ticket(_)
        | Command::Take(_)
        | Command::Close(_)
        | Command::Reply(_)
        | Command::Stats
        | Command::Faq(_) => ticket_command(turn, &command).await?,
        Command::Link(arg) => link_command(turn, &arg).await?,
        Command::Sessions => staff_sessions(turn).await?,
        Command::Attendees(arg) => staff_attendees(turn, &arg).await?,
        Command::Broadcast(arg) => staff_broadcast(turn, &arg).await?,
        Command::NewSession => {
            turn.abandon_flow();
            start_form(turn, None).await?
        }
        Command::Report(arg) => report_command(turn, &arg).await?,
        Command::Verify(arg) => verify_command(turn, &arg).await?,
        Command::Reload => reload_command(turn).await?,
        Command::Publish => start_publish(turn).await?,
        Command::Unknown(name) => {
            let name = crate::dialogue::render::printable(&shorten(&name, 40));
            vec![notice(lang, &ui::unknown_command(lang, &escape_html(&name)))]
        }
    })
}

pub(crate) async fn press(turn: &mut Turn<'_>, pressed: Option<Callback>) -> Result<Vec<Reply>, EngineError> {
    let desk = turn.desk;
    let lang = turn.lang;
    let replace = Placement::Replace;
    Ok(match pressed {
        Some(Callback::Node(id)) => {
            let abandoned = turn.abandon_flow();
            let reply = match desk.tree().get(id.as_str()) {
                Some(node) => show(turn, node, replace),
                None => show(turn, desk.tree().main(), replace).with_notice(ui::node_gone(lang)),
            };
            vec![if abandoned {
                reply.with_notice(ui::booking_abandoned(lang))
            } else {
                reply
            }]
        }
        Some(Callback::Action(id)) => match desk.tree().get(id.as_str()).and_then(|n| n.action.map(|a| (n, a))) {
            Some((node, Action::RegisterTraining)) => {
                turn.node = node.id.to_string();
                turn.abandon_flow();
                trainings(turn, Placement::New).await?
            }
            Some((node, Action::AskStaff)) => {
                // From the menu: a new question, not the last unanswered one.
                turn.node = node.id.to_string();
                turn.last_question = None;
                turn.abandon_flow();
                start_ask(turn, None)
            }
            None => vec![show(turn, desk.tree().main(), replace).with_notice(ui::node_gone(lang))],
        },
        Some(Callback::Lang(chosen)) => {
            turn.chosen = Some(chosen);
            turn.lang = chosen;
            crate::opportunities::service::follow_language(turn.work.write().await?, turn.user, chosen).await?;
            vec![show(turn, desk.tree().main(), replace).with_notice(ui::language_set(chosen))]
        }
        Some(Callback::Trainings) => {
            turn.abandon_flow();
            trainings(turn, replace).await?
        }
        Some(Callback::Session(id)) => {
            turn.abandon_flow();
            start_booking(turn, id, replace).await?
        }
        Some(Callback::Flow(value)) => match turn.flow {
            Some(Flow::Ask(_)) => ask_press(turn, value).await?,
            Some(Flow::FollowUp { .. }) if value == crate::message::FormPress::Cancel => {
                turn.flow = None;
                vec![notice(lang, ui::nothing_sent(lang)).placed(replace)]
            }
            Some(Flow::SessionForm(_)) => form_press(turn, value).await?,
            Some(Flow::Survey(_)) => survey_press(turn, value).await?,
            Some(Flow::Publish(_)) => publish_press(turn, value).await?,
            _ => flow_press(turn, value).await?,
        },
        Some(Callback::Forget) => {
            let now = desk.clock.now();
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
            turn.abandon_flow();
            start_ask(turn, None)
        }
        Some(Callback::Ticket(verb, id)) => ticket_press(turn, verb, id).await?,
        Some(Callback::Link(id, i)) => link_preview(turn, id, i).await?,
        Some(Callback::LinkAdd(id, i)) => link_add(turn, id, i).await?,
        Some(Callback::MyRegistrations) => my_registrations(turn, replace).await?,
        Some(Callback::CancelAsk(id)) => cancel_ask(turn, id).await?,
        Some(Callback::CancelDo(id)) => cancel_do(turn, id).await?,
        Some(Callback::CheckIn(session, key)) => {
            turn.abandon_flow();
            check_in(turn, session, &key).await?
        }
        Some(Callback::Survey(id)) => start_survey(turn, id).await?,
        Some(Callback::Certificate(id)) => certificate(turn, id).await?,
        Some(Callback::StaffSession(id)) => session_card(turn, id, replace).await?,
        Some(Callback::SessionAct(verb, id)) => session_act(turn, verb, id).await?,
        Some(Callback::Tick(id, present)) => tick(turn, id, present).await?,
        Some(Callback::NewSession) => {
            turn.abandon_flow();
            start_form(turn, None).await?
        }
        Some(Callback::Opportunities(topic)) => opportunities(turn, topic, replace).await?,
        Some(Callback::Subscribe) => subscribe(turn, replace).await?,
        Some(Callback::AlertsConsent) => alerts_consent(turn).await?,
        Some(Callback::ToggleTopic(topic)) => toggle_topic(turn, topic).await?,
        Some(Callback::AlertsDone) => alerts_done(turn).await?,
        Some(Callback::StopAlerts(topics)) => stop_alerts(turn, Some(topics)).await?,
        Some(Callback::RemindMe(id)) => remind_me(turn, id).await?,
        Some(Callback::StopFanout(id)) => stop_fanout(turn, id).await?,
        Some(Callback::Withdraw(id, confirmed)) => withdraw_press(turn, id, confirmed).await?,
        Some(Callback::InPreview) => vec![notice(
            lang,
            ui::pick(
                lang,
                "Bu bir önizleme: düğmeler abonelere giden duyuruda çalışır.",
                "This is a preview: the buttons work in the alert subscribers get.",
            ),
        )],
        Some(Callback::Publish) => start_publish(turn).await?,
        None => vec![show(turn, desk.tree().main(), replace).with_notice(ui::button_unknown(lang))],
    })
}
