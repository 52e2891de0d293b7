//! Staff-only is a property of each command and button, checked once: every command
//! and every kind of button is listed here, and a person who is not staff gets the
//! same refusal for each staff one, while staff are let through.

use crate::helpers::{Sandbox, person};
use eudesk::clock::ManualClock;
use eudesk::dialogue::NodeId;
use eudesk::engine::{Audience, Callback, Command, Event, Reply, SessionVerb, TicketVerb};
use eudesk::ids::{FanoutId, OpportunityId};
use eudesk::lang::Lang;
use eudesk::opportunities::{Topic, TopicSet};
use eudesk::tickets::TicketId;
use eudesk::trainings::{RegistrationId, SessionId};
use std::sync::Arc;

const STAFF: i64 = 900;
const PERSON: i64 = 1;
const REFUSAL: &str = "Bu komut yalnızca büro personeli içindir.";

/// The place of a command in the list below. No catch-all: a new command does not
/// compile here until it is added to `every_command`.
fn command_slot(command: &Command) -> usize {
    match command {
        Command::Start(_) => 0,
        Command::Menu => 1,
        Command::Help => 2,
        Command::Language => 3,
        Command::Cancel => 4,
        Command::Trainings => 5,
        Command::MyRegistrations => 6,
        Command::Ask(_) => 7,
        Command::MyTickets => 8,
        Command::Tickets => 9,
        Command::Ticket(_) => 10,
        Command::Take(_) => 11,
        Command::Close(_) => 12,
        Command::Reply(_) => 13,
        Command::Stats => 14,
        Command::Faq(_) => 15,
        Command::Link(_) => 16,
        Command::Privacy => 17,
        Command::Forget => 18,
        Command::Sessions => 19,
        Command::Attendees(_) => 20,
        Command::Broadcast(_) => 21,
        Command::NewSession => 22,
        Command::Report(_) => 23,
        Command::Verify(_) => 24,
        Command::Reload => 25,
        Command::Opportunities => 26,
        Command::Subscribe => 27,
        Command::Unsubscribe => 28,
        Command::Publish => 29,
        Command::Unknown(_) => 30,
    }
}

/// Every command as a person types it.
fn every_command() -> Vec<&'static str> {
    vec![
        "/start",
        "/menu",
        "/help",
        "/language",
        "/cancel",
        "/trainings",
        "/myregistrations",
        "/ask is there a grant",
        "/mytickets",
        "/tickets",
        "/ticket 1",
        "/take 1",
        "/close 1",
        "/reply 1 hello",
        "/stats",
        "/faq 1",
        "/link 1 pcm.what",
        "/privacy",
        "/forget",
        "/sessions",
        "/attendees 1",
        "/broadcast 1 hello",
        "/newsession",
        "/report 1",
        "/verify ABCD-1234",
        "/reload",
        "/opportunities",
        "/subscribe",
        "/unsubscribe",
        "/publish",
        "/nosuchcommand",
    ]
}

/// The place of a button in the list below; no catch-all, as for commands.
fn callback_slot(pressed: &Callback) -> usize {
    match pressed {
        Callback::Node(_) => 0,
        Callback::Action(_) => 1,
        Callback::Lang(_) => 2,
        Callback::Trainings => 3,
        Callback::Session(_) => 4,
        Callback::Flow(_) => 5,
        Callback::MyRegistrations => 6,
        Callback::CancelAsk(_) => 7,
        Callback::CancelDo(_) => 8,
        Callback::AskStaff => 9,
        Callback::Forget => 10,
        Callback::Ticket(verb, _) => 11 + ticket_verb_slot(*verb),
        Callback::Link(..) => 20,
        Callback::LinkAdd(..) => 21,
        Callback::Survey(_) => 22,
        Callback::Certificate(_) => 23,
        Callback::StaffSession(_) => 24,
        Callback::SessionAct(verb, _) => 25 + session_verb_slot(*verb),
        Callback::Tick(..) => 34,
        Callback::CheckIn(..) => 35,
        Callback::NewSession => 36,
        Callback::Opportunities(_) => 37,
        Callback::Subscribe => 38,
        Callback::AlertsConsent => 39,
        Callback::AlertsDone => 40,
        Callback::ToggleTopic(_) => 41,
        Callback::StopAlerts(_) => 42,
        Callback::RemindMe(_) => 43,
        Callback::StopFanout(_) => 44,
        Callback::Withdraw(..) => 45,
        Callback::Publish => 46,
        Callback::InPreview => 47,
    }
}

fn ticket_verb_slot(verb: TicketVerb) -> usize {
    match verb {
        TicketVerb::Answer => 0,
        TicketVerb::Take => 1,
        TicketVerb::Close => 2,
        TicketVerb::Solved => 3,
        TicketVerb::FollowUp => 4,
        TicketVerb::Send => 5,
        TicketVerb::SendAnyway => 6,
        TicketVerb::Edit => 7,
        TicketVerb::Discard => 8,
    }
}

fn session_verb_slot(verb: SessionVerb) -> usize {
    match verb {
        SessionVerb::Edit => 0,
        SessionVerb::Close => 1,
        SessionVerb::Reopen => 2,
        SessionVerb::Cancel => 3,
        SessionVerb::CancelDo => 4,
        SessionVerb::Attendees => 5,
        SessionVerb::Links => 6,
        SessionVerb::CheckIn => 7,
        SessionVerb::Report => 8,
    }
}

const SLOTS: usize = 48;

/// Every kind of button, with every verb of the ticket and session buttons.
fn every_callback() -> Vec<Callback> {
    let node = || NodeId::parse("pcm.what").unwrap();
    let ticket_verbs = [
        TicketVerb::Answer,
        TicketVerb::Take,
        TicketVerb::Close,
        TicketVerb::Solved,
        TicketVerb::FollowUp,
        TicketVerb::Send,
        TicketVerb::SendAnyway,
        TicketVerb::Edit,
        TicketVerb::Discard,
    ];
    let session_verbs = [
        SessionVerb::Edit,
        SessionVerb::Close,
        SessionVerb::Reopen,
        SessionVerb::Cancel,
        SessionVerb::CancelDo,
        SessionVerb::Attendees,
        SessionVerb::Links,
        SessionVerb::CheckIn,
        SessionVerb::Report,
    ];
    let mut all = vec![
        Callback::Node(node()),
        Callback::Action(node()),
        Callback::Lang(Lang::En),
        Callback::Trainings,
        Callback::Session(SessionId(1)),
        Callback::Flow(eudesk::message::FormPress::Yes),
        Callback::MyRegistrations,
        Callback::CancelAsk(RegistrationId(1)),
        Callback::CancelDo(RegistrationId(1)),
        Callback::AskStaff,
        Callback::Forget,
        Callback::Link(TicketId(1), 0),
        Callback::LinkAdd(TicketId(1), 0),
        Callback::Survey(RegistrationId(1)),
        Callback::Certificate(RegistrationId(1)),
        Callback::StaffSession(SessionId(1)),
        Callback::Tick(RegistrationId(1), true),
        Callback::CheckIn(SessionId(1), "key".into()),
        Callback::NewSession,
        Callback::Opportunities(None),
        Callback::Subscribe,
        Callback::AlertsConsent,
        Callback::AlertsDone,
        Callback::ToggleTopic(Topic::Volunteering),
        Callback::StopAlerts(TopicSet::ALL),
        Callback::RemindMe(OpportunityId(1)),
        Callback::StopFanout(FanoutId(1)),
        Callback::Withdraw(OpportunityId(1), false),
        Callback::Publish,
        Callback::InPreview,
    ];
    all.extend(ticket_verbs.map(|v| Callback::Ticket(v, TicketId(1))));
    all.extend(session_verbs.map(|v| Callback::SessionAct(v, SessionId(1))));
    all
}

fn texts(replies: &[Reply]) -> String {
    replies
        .iter()
        .map(|r| r.html.as_str())
        .collect::<Vec<_>>()
        .join("\n---\n")
}

#[test]
fn the_lists_hold_every_command_and_every_button() {
    let mut seen = [false; 31];
    for typed in every_command() {
        seen[command_slot(&Command::parse(typed).expect(typed))] = true;
    }
    assert!(seen.iter().all(|s| *s), "a command is missing from the list: {seen:?}");

    let mut seen = [false; SLOTS];
    for pressed in every_callback() {
        seen[callback_slot(&pressed)] = true;
    }
    assert!(seen.iter().all(|s| *s), "a button is missing from the list: {seen:?}");
}

#[tokio::test]
async fn a_person_gets_the_same_refusal_for_every_staff_command_and_button() {
    let sandbox = Sandbox::new();
    let engine = sandbox
        .engine_with(
            Arc::new(ManualClock::new("2026-12-08T10:00:00Z".parse().unwrap())),
            vec![STAFF],
        )
        .await;
    let mut events: Vec<(String, Event)> = every_command()
        .into_iter()
        .map(|t| (t.to_owned(), Event::Text(t.to_owned())))
        .collect();
    events.extend(
        every_callback()
            .into_iter()
            .map(|c| (format!("{c:?}"), Event::Press(Some(c)))),
    );

    let mut staff_only = 0;
    for (name, event) in events {
        let for_staff = event.audience() == Audience::Staff;
        let replies = engine.handle(person(PERSON, Lang::Tr), event.clone()).await.unwrap();
        if for_staff {
            staff_only += 1;
            // Exactly the refusal, nothing of what the command would have shown.
            assert_eq!(replies.len(), 1, "{name}: {}", texts(&replies));
            assert_eq!(replies[0].html, REFUSAL, "{name}");
            // Staff are let through to the command itself.
            let replies = engine.handle(person(STAFF, Lang::Tr), event).await.unwrap();
            assert!(
                !texts(&replies).contains(REFUSAL),
                "{name} refused staff: {}",
                texts(&replies)
            );
        } else {
            assert!(
                !texts(&replies).contains(REFUSAL),
                "{name} refused a person: {}",
                texts(&replies)
            );
        }
        // Leaves no form open for the next event.
        engine
            .handle(person(PERSON, Lang::Tr), Event::Text("/cancel".into()))
            .await
            .unwrap();
    }
    // 16 staff commands; 8 staff buttons, 9 session verbs and 7 staff ticket verbs.
    assert_eq!(staff_only, 40);
}
