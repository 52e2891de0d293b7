//! Multi-step flows, saved with the conversation between messages (and restarts).

use crate::tickets::{Attachment, Candidate, QuestionText};
use crate::trainings::{Email, OrgType, Organisation, PersonName, Phone};
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
        ticket: i64,
    },
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
    pub session: i64,
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

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Step {
    Name,
    OrgType,
    Organisation,
    Email,
    Phone,
    Consent,
    Summary,
    Edit,
}

impl Booking {
    pub fn new(session: i64) -> Booking {
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
        let mut b = Booking::new(1);
        b.advance();
        assert_eq!(b.step, Step::OrgType);
        b.org_type = Some(OrgType::Individual);
        b.advance();
        assert_eq!(b.step, Step::Email);
    }

    #[test]
    fn editing_returns_to_the_summary() {
        let mut b = Booking::new(1);
        b.consented = true;
        b.editing = true;
        b.step = Step::Email;
        b.advance();
        assert_eq!(b.step, Step::Summary);
        assert!(!b.editing);
    }

    #[test]
    fn saved_flows_round_trip_and_unknown_ones_are_refused() {
        let mut b = Booking::new(3);
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
