//! The dialogue files exactly as written: what serde reads before anything is checked.
//!
//! Every field a person may forget is an `Option`, so that a forgotten one becomes a
//! problem report naming the node ("missing English text") instead of a serde error.

use serde::Deserialize;

/// Keys allowed at the top of a file; used to suggest the right one for a typo.
pub const FILE_KEYS: &[&str] = &[
    "reviewed",
    "contact",
    "consent",
    "alerts_consent",
    "survey",
    "vocabulary",
    "node",
];

/// Keys allowed in a `[[node]]` block.
pub const NODE_KEYS: &[&str] = &[
    "id", "label", "text", "children", "links", "ask", "action", "match", "sources", "reviewed",
];

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawNode {
    pub id: String,
    pub label: Option<RawLocalized>,
    pub text: Option<RawLocalized>,
    #[serde(default)]
    pub children: Vec<String>,
    #[serde(default)]
    pub links: Vec<RawLink>,
    pub ask: Option<RawAsk>,
    pub action: Option<String>,
    #[serde(rename = "match")]
    pub matchable: Option<bool>,
    #[serde(default)]
    pub sources: Vec<String>,
    // `reviewed` is read by `load` from the value itself: see `read_node`.
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawLocalized {
    pub tr: Option<String>,
    pub en: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawAsk {
    #[serde(default)]
    pub tr: Vec<String>,
    #[serde(default)]
    pub en: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawLink {
    pub tr: Option<String>,
    pub en: Option<String>,
    pub url: String,
}

/// The office's contact details: the one place they are kept.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawContact {
    #[serde(default)]
    pub address: String,
    #[serde(default)]
    pub phone: String,
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub hours: String,
    #[serde(default)]
    pub web: String,
    /// What people are told about when staff usually answer a question.
    pub response_time: Option<RawLocalized>,
}

/// A personal-data consent (KVKK), versioned: `[consent]` is shown before a training
/// registration, `[alerts_consent]` before a subscription to opportunity alerts. The
/// version is stored with every registration or subscription.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawConsent {
    pub version: String,
    pub text: RawLocalized,
}

/// Keys allowed in the `[survey]` table.
pub const SURVEY_KEYS: &[&str] = &["version", "intro", "thanks", "question"];

/// Keys allowed in a `[[survey.question]]` block.
pub const SURVEY_QUESTION_KEYS: &[&str] = &["id", "kind", "text", "max_chars"];

/// The feedback survey after a PCM training, without its questions: those are read one
/// by one, like nodes, so that one broken question does not hide the others' problems.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSurvey {
    pub version: Option<String>,
    pub intro: Option<RawLocalized>,
    pub thanks: Option<RawLocalized>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSurveyQuestion {
    // `id` is read by `survey::check` before the rest, to name the question's problems.
    pub kind: Option<String>,
    pub text: Option<RawLocalized>,
    /// Signed, so that a negative number is reported as out of range rather than as a
    /// type error.
    pub max_chars: Option<i64>,
}
