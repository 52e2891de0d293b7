//! The step-by-step forms' buttons, by meaning: which step of which form a button
//! names, and what a press inside a form says. Each adapter carries them its own way
//! (Telegram: `telegram::callback_data`); the forms themselves are in the workflows.

use crate::opportunities::Topic;
use crate::trainings::OrgType;
use serde::{Deserialize, Serialize};

/// A press inside the form or flow in progress. Which form it belongs to is the
/// person's saved flow; a press that does not fit it gets the form's current question.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FormPress {
    Yes,
    No,
    Skip,
    Cancel,
    Save,
    Confirm,
    Send,
    Rewrite,
    /// Change a value (from a summary or a preview).
    Edit,
    Back,
    /// Back to the booking's summary without changing anything.
    Summary,
    /// Session form: registration closes at the start.
    AtStart,
    /// Session form: no second reminder.
    NoReminder,
    /// Publish form: no age limits.
    NoAges,
    /// Publish form: the topics are chosen.
    TopicsDone,
    /// Booking: the kind of organisation.
    Org(OrgType),
    /// Booking: change this answer.
    Answer(Step),
    /// Session form: change this value.
    Field(FormStep),
    /// Publish form: change this value.
    PublishField(PublishStep),
    /// Publish form: this topic on or off.
    Topic(Topic),
    /// Survey: this rating.
    Rate(u8),
}

/// The booking's steps.
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

impl Step {
    /// The answers a person can change from the booking's summary, by the code their
    /// button carries.
    pub const EDITABLE: [Step; 5] = [Step::Name, Step::OrgType, Step::Organisation, Step::Email, Step::Phone];

    pub fn code(self) -> &'static str {
        match self {
            Step::Name => "name",
            Step::OrgType => "org_type",
            Step::Organisation => "organisation",
            Step::Email => "email",
            Step::Phone => "phone",
            Step::Consent => "consent",
            Step::Summary => "summary",
            Step::Edit => "edit",
        }
    }
}

/// The session form's steps.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FormStep {
    TitleTr,
    TitleEn,
    Starts,
    Ends,
    Place,
    Capacity,
    Deadline,
    Reminder,
    Summary,
    /// Choosing which value to change.
    Edit,
    /// The change tells registrants: waiting for an explicit yes.
    Confirm,
}

impl FormStep {
    /// The steps in order, for "step 3 of 8" and to move on.
    pub const ORDER: [FormStep; 8] = [
        FormStep::TitleTr,
        FormStep::TitleEn,
        FormStep::Starts,
        FormStep::Ends,
        FormStep::Place,
        FormStep::Capacity,
        FormStep::Deadline,
        FormStep::Reminder,
    ];

    pub fn number(self) -> usize {
        Self::ORDER
            .iter()
            .position(|s| *s == self)
            .map_or(Self::ORDER.len(), |i| i + 1)
    }

    pub fn code(self) -> &'static str {
        match self {
            FormStep::TitleTr => "title_tr",
            FormStep::TitleEn => "title_en",
            FormStep::Starts => "starts",
            FormStep::Ends => "ends",
            FormStep::Place => "place",
            FormStep::Capacity => "capacity",
            FormStep::Deadline => "deadline",
            FormStep::Reminder => "reminder",
            FormStep::Summary => "summary",
            FormStep::Edit => "edit",
            FormStep::Confirm => "confirm",
        }
    }

    pub fn parse(s: &str) -> Option<FormStep> {
        Self::ORDER.into_iter().find(|x| x.code() == s)
    }
}

/// The publish form's steps.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PublishStep {
    Topics,
    TitleTr,
    TitleEn,
    TextTr,
    TextEn,
    Url,
    Deadline,
    Ages,
    Preview,
    Edit,
}

impl PublishStep {
    pub const ORDER: [PublishStep; 8] = [
        PublishStep::Topics,
        PublishStep::TitleTr,
        PublishStep::TitleEn,
        PublishStep::TextTr,
        PublishStep::TextEn,
        PublishStep::Url,
        PublishStep::Deadline,
        PublishStep::Ages,
    ];

    pub fn number(self) -> usize {
        Self::ORDER
            .iter()
            .position(|s| *s == self)
            .map_or(Self::ORDER.len(), |i| i + 1)
    }

    pub fn code(self) -> &'static str {
        match self {
            PublishStep::Topics => "topics",
            PublishStep::TitleTr => "title_tr",
            PublishStep::TitleEn => "title_en",
            PublishStep::TextTr => "text_tr",
            PublishStep::TextEn => "text_en",
            PublishStep::Url => "url",
            PublishStep::Deadline => "deadline",
            PublishStep::Ages => "ages",
            PublishStep::Preview => "preview",
            PublishStep::Edit => "edit",
        }
    }

    pub fn parse(s: &str) -> Option<PublishStep> {
        Self::ORDER.into_iter().find(|x| x.code() == s)
    }
}
