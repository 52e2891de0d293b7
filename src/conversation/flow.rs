//! Multi-step flows, saved with the conversation between messages (and restarts).

pub use crate::message::form::{FormStep, PublishStep, Step};
use crate::tickets::TicketId;
use crate::tickets::{Attachment, Candidate, QuestionText};
use crate::trainings::{Email, OrgType, Organisation, PersonName, Phone};
use crate::trainings::{RegistrationId, SessionId};
use serde::{Deserialize, Serialize};

/// A flow in progress. Saved as JSON; what an older release saved and this one cannot
/// read is dropped with a notice (`Flow::from_json` → `None`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Flow {
    Booking(Booking),
    /// Writing a question for staff; with the question written, waiting for Send.
    Ask(Ask),
    /// The next text (or file) is a follow-up to this ticket.
    FollowUp {
        ticket: TicketId,
    },
    /// Staff creating or changing a session, one value at a time.
    SessionForm(SessionForm),
    /// A person answering the feedback survey after a training.
    Survey(SurveyProgress),
    /// Staff writing an opportunity to publish, one field at a time.
    Publish(PublishForm),
    /// Choosing alert topics after accepting the alerts' consent (this version): only
    /// now may a tap subscribe someone who follows no topic. An old topics screen
    /// tapped after `/forget` or "Stop all", or a forged press, asks for the consent
    /// again instead.
    AlertTopics {
        consent: String,
    },
}

/// An opportunity being written by staff: what is given so far, each value checked.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PublishForm {
    pub step: PublishStep,
    #[serde(default)]
    pub editing: bool,
    #[serde(default)]
    pub topics: Vec<crate::opportunities::Topic>,
    pub title_tr: Option<String>,
    pub title_en: Option<String>,
    pub text_tr: Option<String>,
    pub text_en: Option<String>,
    pub url: Option<String>,
    pub deadline: Option<jiff::Timestamp>,
    /// Answered (an age range, or "no age limits"): saved as two fields, since JSON
    /// cannot tell "not answered" from "no limits" in a nested option.
    #[serde(default)]
    pub ages_given: bool,
    pub ages: Option<(u8, u8)>,
}

impl PublishForm {
    pub fn new() -> PublishForm {
        PublishForm {
            step: PublishStep::Topics,
            editing: false,
            topics: Vec::new(),
            title_tr: None,
            title_en: None,
            text_tr: None,
            text_en: None,
            url: None,
            deadline: None,
            ages_given: false,
            ages: None,
        }
    }

    /// The next step, or the preview when editing or when all is given.
    pub fn advance(&mut self) {
        self.step = if self.editing {
            PublishStep::Preview
        } else {
            PublishStep::ORDER
                .get(self.step.number())
                .copied()
                .unwrap_or(PublishStep::Preview)
        };
        if self.step == PublishStep::Preview {
            self.editing = false;
        }
    }

    /// The opportunity, when every value is there.
    pub fn opportunity(&self) -> Option<crate::opportunities::Opportunity> {
        Some(crate::opportunities::Opportunity {
            topics: (!self.topics.is_empty()).then(|| self.topics.clone())?,
            title: crate::lang::Localized::new(self.title_tr.clone()?, self.title_en.clone()?),
            text: crate::lang::Localized::new(self.text_tr.clone()?, self.text_en.clone()?),
            url: self.url.clone()?,
            deadline: self.deadline?,
            ages: if self.ages_given { self.ages } else { return None },
        })
    }
}

impl Default for PublishForm {
    fn default() -> Self {
        PublishForm::new()
    }
}

/// A session being created (no `session`) or changed, its values as given so far,
/// each already checked.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SessionForm {
    pub session: Option<SessionId>,
    pub step: FormStep,
    /// Changing one value from the summary: back to the summary after it.
    #[serde(default)]
    pub editing: bool,
    pub title_tr: Option<String>,
    pub title_en: Option<String>,
    pub starts: Option<jiff::Timestamp>,
    pub ends: Option<jiff::Timestamp>,
    pub place: Option<String>,
    pub capacity: Option<u32>,
    /// Registration closes here; `None` once answered means "at the start".
    pub deadline: Option<jiff::Timestamp>,
    #[serde(default)]
    pub deadline_given: bool,
    /// Hours before the start of a second reminder; 0 once answered means none.
    pub second_reminder_hours: Option<u32>,
}

impl SessionForm {
    pub fn new() -> SessionForm {
        SessionForm {
            session: None,
            step: FormStep::TitleTr,
            editing: false,
            title_tr: None,
            title_en: None,
            starts: None,
            ends: None,
            place: None,
            capacity: None,
            deadline: None,
            deadline_given: false,
            second_reminder_hours: None,
        }
    }

    /// Moves on after a value: to the next step, or back to the summary when editing.
    pub fn advance(&mut self) {
        self.step = if self.editing {
            FormStep::Summary
        } else {
            let i = self.step.number();
            FormStep::ORDER.get(i).copied().unwrap_or(FormStep::Summary)
        };
        if self.step == FormStep::Summary {
            self.editing = false;
        }
    }
}

impl Default for SessionForm {
    fn default() -> Self {
        SessionForm::new()
    }
}

/// A person's answers to the feedback survey so far (kept with their conversation until
/// they submit; then stored without their name and dropped from here).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SurveyProgress {
    pub registration: RegistrationId,
    /// The survey's version when started: a reload that changes it starts over.
    pub version: String,
    pub answers: Vec<(String, crate::storage::surveys::Answer)>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Ask {
    pub question: Option<QuestionText>,
    /// The node the person was at, and what the matcher offered: context for staff.
    pub node: String,
    #[serde(default)]
    pub matches: Vec<Candidate>,
    /// Files sent while writing the question: relayed to staff with it.
    #[serde(default)]
    pub files: Vec<Attachment>,
}

/// The last question the bot could not answer, kept so that "Ask staff" passes it on
/// without the person typing it again.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LastQuestion {
    pub text: String,
    pub matches: Vec<Candidate>,
}

impl Flow {
    /// Forms only staff may fill in. Checked at every step: a member can be taken off
    /// the staff list while one is open, and the form must not publish or change
    /// anything for them afterwards.
    pub fn is_staff_only(&self) -> bool {
        matches!(self, Flow::SessionForm(_) | Flow::Publish(_))
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("flows serialise")
    }

    pub fn from_json(json: &str) -> Option<Flow> {
        serde_json::from_str(json).ok()
    }
}

/// A training booking: which session, which step, what has been given so far. Every
/// field is already valid: it was parsed when the person typed it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Booking {
    pub session: SessionId,
    pub step: Step,
    /// Changing one answer from the summary: go back to the summary after it.
    #[serde(default)]
    pub editing: bool,
    pub name: Option<PersonName>,
    pub org_type: Option<OrgType>,
    pub organisation: Option<Organisation>,
    pub email: Option<Email>,
    pub phone: Option<Phone>,
    #[serde(default)]
    pub phone_skipped: bool,
    #[serde(default)]
    pub consented: bool,
}

impl Booking {
    pub fn new(session: SessionId) -> Booking {
        Booking {
            session,
            step: Step::Name,
            editing: false,
            name: None,
            org_type: None,
            organisation: None,
            email: None,
            phone: None,
            phone_skipped: false,
            consented: false,
        }
    }

    /// Moves on after an answer: to the next unanswered step, or back to the summary
    /// when editing.
    pub fn advance(&mut self) {
        self.step = if self.editing && self.consented {
            Step::Summary
        } else {
            match self.step {
                Step::Name => Step::OrgType,
                Step::OrgType if self.org_type == Some(OrgType::Individual) => Step::Email,
                Step::OrgType => Step::Organisation,
                Step::Organisation => Step::Email,
                Step::Email => Step::Phone,
                Step::Phone => Step::Consent,
                Step::Consent | Step::Summary | Step::Edit => Step::Summary,
            }
        };
        if self.step == Step::Summary {
            self.editing = false;
        }
    }

    /// Which of the six questions this is, for "step 2 of 6".
    pub fn number(&self) -> usize {
        match self.step {
            Step::Name => 1,
            Step::OrgType => 2,
            Step::Organisation => 3,
            Step::Email => 4,
            Step::Phone => 5,
            Step::Consent | Step::Summary | Step::Edit => 6,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn individuals_skip_the_organisation_name() {
        let mut b = Booking::new(SessionId(1));
        b.advance();
        assert_eq!(b.step, Step::OrgType);
        b.org_type = Some(OrgType::Individual);
        b.advance();
        assert_eq!(b.step, Step::Email);
    }

    #[test]
    fn editing_returns_to_the_summary() {
        let mut b = Booking::new(SessionId(1));
        b.consented = true;
        b.editing = true;
        b.step = Step::Email;
        b.advance();
        assert_eq!(b.step, Step::Summary);
        assert!(!b.editing);
    }

    #[test]
    fn saved_flows_round_trip_and_unknown_ones_are_refused() {
        let mut b = Booking::new(SessionId(3));
        b.name = Some(PersonName::parse("Ayşe Yılmaz").unwrap());
        let f = Flow::Booking(b);
        assert_eq!(Flow::from_json(&f.to_json()), Some(f));
        assert_eq!(Flow::from_json(r#"{"kind":"ticket","id":3}"#), None);
        assert_eq!(
            Flow::from_json(r#"{"kind":"booking","session":1,"step":"name","name":"x"}"#),
            None,
            "an invalid saved name"
        );
    }
}
