//! What a button means when pressed: the core names buttons by meaning; the adapters
//! turn that into what their medium carries back (Telegram: a short string of at most
//! 64 bytes, see `telegram::callback_data`; the console: the value itself).

use super::form::FormPress;
use crate::dialogue::NodeId;
use crate::ids::{FanoutId, OpportunityId};
use crate::lang::Lang;
use crate::opportunities::{Topic, TopicSet};
use crate::tickets::TicketId;
use crate::trainings::{RegistrationId, SessionId};
use serde::{Deserialize, Serialize};

/// Who may use a command or a button. Part of each command and callback, so that a new
/// one cannot be routed without saying who it is for (the matches below have no
/// catch-all), and checked once, where an event enters the engine.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Audience {
    Anyone,
    /// The office's staff (STAFF_USER_IDS): anyone else is told it is for staff.
    Staff,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "value", rename_all = "snake_case")]
pub enum Callback {
    /// Show a node.
    Node(NodeId),
    /// Start the action of a node.
    Action(NodeId),
    /// Choose the bot's language.
    Lang(Lang),
    /// The list of sessions open for booking.
    Trainings,
    /// Book this session.
    Session(SessionId),
    /// A press inside the form or flow in progress.
    Flow(FormPress),
    /// The person's registrations.
    MyRegistrations,
    /// Ask to cancel this registration…
    CancelAsk(RegistrationId),
    /// …and, confirmed, cancel it.
    CancelDo(RegistrationId),
    /// Pass a question to staff (the last unanswered one, if any).
    AskStaff,
    /// Confirmed: erase everything about me.
    Forget,
    /// Something done to a ticket, by staff or by its person.
    Ticket(TicketVerb, TicketId),
    /// Staff: show, as a phrasing of the ticket's candidate node number `i` (of those
    /// the matcher offered), the ticket's question…
    Link(TicketId, u8),
    /// …and add it.
    LinkAdd(TicketId, u8),
    /// The person: answer the feedback survey of this registration's session…
    Survey(RegistrationId),
    /// …or get its certificate of attendance.
    Certificate(RegistrationId),
    /// Staff: a session's card (details, counts, what can be done with it).
    StaffSession(SessionId),
    /// Staff: something done to a session from its card.
    SessionAct(SessionVerb, SessionId),
    /// Staff, on the check-in list: mark this registrant present (or not).
    Tick(RegistrationId, bool),
    /// The person opened a session's check-in link (the QR code shown at the training).
    CheckIn(SessionId, String),
    /// Staff: start the form for a new session.
    NewSession,
    /// The opportunities open now, all or of one topic.
    Opportunities(Option<Topic>),
    /// The alerts' consent (or, for a subscriber, the topics).
    Subscribe,
    /// "I agree" under the alerts' consent: on to the topics.
    AlertsConsent,
    /// "Done" on the topics screen.
    AlertsDone,
    /// Subscribe to a topic, or stop it, from the topics screen.
    ToggleTopic(Topic),
    /// Under an alert: stop these topics (all of them: "stop all").
    StopAlerts(TopicSet),
    /// Under an alert: one reminder before its deadline.
    RemindMe(OpportunityId),
    /// Staff, under a fan-out's progress post: stop sending it.
    StopFanout(FanoutId),
    /// Staff: take an opportunity off `/opportunities` (and stop its alert); asks
    /// first, `true` once confirmed.
    Withdraw(OpportunityId, bool),
    /// Staff: start writing an alert (the deep link from the staff group).
    Publish,
    /// A subscriber's button shown in a staff preview: it only says so.
    InPreview,
}

impl Callback {
    /// Who may press it (see `Audience`).
    pub fn audience(&self) -> Audience {
        match self {
            Callback::Node(_)
            | Callback::Action(_)
            | Callback::Lang(_)
            | Callback::Trainings
            | Callback::Session(_)
            // A form's own buttons: a staff form is closed when its author is no longer
            // staff (`Flow::is_staff_only`), before any press reaches it.
            | Callback::Flow(_)
            | Callback::MyRegistrations
            | Callback::CancelAsk(_)
            | Callback::CancelDo(_)
            | Callback::AskStaff
            | Callback::Forget
            | Callback::Survey(_)
            | Callback::Certificate(_)
            | Callback::CheckIn(..)
            | Callback::Opportunities(_)
            | Callback::Subscribe
            | Callback::AlertsConsent
            | Callback::AlertsDone
            | Callback::ToggleTopic(_)
            | Callback::StopAlerts(_)
            | Callback::RemindMe(_)
            | Callback::InPreview => Audience::Anyone,
            Callback::Ticket(verb, _) => verb.audience(),
            Callback::Link(..)
            | Callback::LinkAdd(..)
            | Callback::StaffSession(_)
            | Callback::SessionAct(..)
            | Callback::Tick(..)
            | Callback::NewSession
            | Callback::StopFanout(_)
            | Callback::Withdraw(..)
            | Callback::Publish => Audience::Staff,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SessionVerb {
    /// Change it (in the staff member's private chat).
    Edit,
    /// Stop or resume taking bookings.
    Close,
    Reopen,
    /// Ask to cancel it, and, confirmed, cancel it (everyone registered is told).
    Cancel,
    CancelDo,
    /// The registrations as a spreadsheet.
    Attendees,
    /// The booking link and its QR code, and the check-in QR code.
    Links,
    /// The check-in list to tick.
    CheckIn,
    /// The feedback survey's results.
    Report,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TicketVerb {
    /// Staff: the next text answers the ticket.
    Answer,
    Take,
    Close,
    /// The person: it is solved, close it.
    Solved,
    /// The person: the next text is a follow-up.
    FollowUp,
    /// Staff, under an answer's preview: send it…
    Send,
    /// …send it although someone else took or answered the ticket…
    SendAnyway,
    /// …write it again…
    Edit,
    /// …or drop it.
    Discard,
}

impl TicketVerb {
    /// The person's own buttons under their ticket, or staff's.
    pub fn audience(self) -> Audience {
        match self {
            TicketVerb::Solved | TicketVerb::FollowUp => Audience::Anyone,
            TicketVerb::Answer
            | TicketVerb::Take
            | TicketVerb::Close
            | TicketVerb::Send
            | TicketVerb::SendAnyway
            | TicketVerb::Edit
            | TicketVerb::Discard => Audience::Staff,
        }
    }
}
