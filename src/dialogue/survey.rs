//! The feedback survey a person gets after attending a PCM training: one `[survey]`
//! table in the dialogues folder. It refers to no node, so it is checked on its own.

use super::problem::{Location, MAX_TEXT, Problem, suggestion, unknown_key};
use super::raw::{RawLocalized, RawSurvey, RawSurveyQuestion, SURVEY_KEYS, SURVEY_QUESTION_KEYS};
use super::render;
use crate::lang::{Lang, Localized};
use std::collections::HashMap;
use std::path::Path;

/// The checked survey. Its texts are plain (no `**bold**`, no `{contact}`): escape them
/// for Telegram's HTML and show them as they are.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Survey {
    /// Stored with every answer, so that answers to different wordings are never
    /// compared as if they were answers to the same question.
    pub version: String,
    pub intro: Localized<String>,
    pub thanks: Localized<String>,
    pub questions: Vec<SurveyQuestion>,
}

impl Survey {
    /// Every further question loses people before the end; the intro promises about two
    /// minutes.
    pub const MAX_QUESTIONS: usize = 10;

    pub fn question(&self, id: &str) -> Option<&SurveyQuestion> {
        self.questions.iter().find(|q| q.id == id)
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SurveyQuestion {
    /// Answers are stored under it: lowercase ASCII letters, digits and `_`.
    pub id: String,
    pub text: Localized<String>,
    pub kind: SurveyKind,
}

impl SurveyQuestion {
    /// Stored with every answer and carried, with the rating, in a button's callback data
    /// (64 bytes in all), so it stays short.
    pub const MAX_ID_BYTES: usize = 32;
    /// A question is read at a glance above its rating buttons.
    pub const MAX_TEXT_CHARS: usize = 300;
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SurveyKind {
    /// An answer from 1 to 5.
    Rating,
    /// A free-text answer of at most `max_chars` characters.
    Text { max_chars: usize },
}

impl SurveyKind {
    pub const NAMES: &[&str] = &["rating", "text"];
    pub const DEFAULT_MAX_CHARS: usize = 1000;
    /// Longer is a letter rather than feedback, and staff read every answer.
    pub const MAX_CHARS: usize = 2000;
}

/// What the survey is meant to be, quoted in the problems about its shape.
const SHAPE: &str = "the survey has ratings 1–5 and one free-text question";

/// Checks the `[survey]` table of `file`, adding what is wrong to `problems`; `None`
/// when it cannot be used.
pub(super) fn check(file: &Path, value: &toml::Value, problems: &mut Vec<Problem>) -> Option<Survey> {
    let before = problems.len();
    let mut c = Check { file, problems };
    let survey = c.survey(value);
    if c.problems.len() > before { None } else { survey }
}

struct Check<'a> {
    file: &'a Path,
    problems: &'a mut Vec<Problem>,
}

/// Where a question's problems are reported: by its id.
fn at_question(id: &str) -> Location {
    Location::Node(format!("[survey] question \"{id}\""))
}

/// Where the problems of a question without a usable id are reported: by its place.
fn at_number(i: usize) -> Location {
    Location::Node(format!("[survey] question #{}", i + 1))
}

impl Check<'_> {
    fn problem(&mut self, location: Location, message: impl Into<String>) {
        self.problems.push(Problem {
            file: self.file.to_owned(),
            location,
            message: message.into(),
        });
    }

    fn on_survey(&mut self, message: impl std::fmt::Display) {
        self.problem(Location::File, format!("[survey]: {message}"));
    }

    fn survey(&mut self, value: &toml::Value) -> Option<Survey> {
        let Some(table) = value.as_table() else {
            self.problem(
                Location::File,
                "'survey' must be a [survey] table with version, intro, thanks and [[survey.question]] blocks",
            );
            return None;
        };
        // Unknown keys are reported, then dropped, so the rest is still checked in the
        // same run.
        let mut known = table.clone();
        for key in table.keys() {
            if !SURVEY_KEYS.contains(&key.as_str()) {
                self.on_survey(unknown_key(key, SURVEY_KEYS, "in [survey]"));
                known.remove(key);
            }
        }
        let questions = match known.remove("question") {
            None => Vec::new(),
            Some(toml::Value::Array(items)) => items,
            Some(_) => {
                self.on_survey(
                    "'question' must be a list of [[survey.question]] blocks (two square brackets on each side)",
                );
                Vec::new()
            }
        };
        let survey_types = [("version", Type::Text), ("intro", Type::Both), ("thanks", Type::Both)];
        self.drop_mistyped(&Location::File, "[survey]: ", &mut known, &survey_types);
        let raw = match toml::Value::Table(known).try_into::<RawSurvey>() {
            Ok(raw) => Some(raw),
            Err(e) => {
                self.on_survey(e.message().trim_end());
                None
            }
        };
        // A key that is there but mistyped has been reported already: not "missing" too.
        let absent = |key: &str| !table.contains_key(key);
        let (version, intro, thanks) = match raw {
            Some(raw) => {
                let version = raw.version.as_deref().map(str::trim).unwrap_or_default().to_owned();
                if raw.version.is_none() && absent("version") {
                    self.on_survey(
                        "has no version; add version = \"...\" (such as the month the questions were written): it is stored with every answer",
                    );
                } else if raw.version.is_some() && version.is_empty() {
                    self.on_survey("the version is empty; give it one, such as the month the questions were written");
                }
                let mut texts = |what: &str, raw: Option<&RawLocalized>| match raw {
                    None if !absent(what) => Localized::default(),
                    raw => self.texts(Location::File, "[survey]: ", what, raw),
                };
                let intro = texts("intro", raw.intro.as_ref());
                let thanks = texts("thanks", raw.thanks.as_ref());
                (version, intro, thanks)
            }
            None => Default::default(),
        };
        for (what, text) in [("intro", &intro), ("thanks", &thanks)] {
            for lang in Lang::ALL {
                if render::telegram_len(text.get(lang)) > MAX_TEXT {
                    self.on_survey(format!(
                        "the {} {what} is over Telegram's {MAX_TEXT} characters: shorten it",
                        lang.name()
                    ));
                }
            }
        }

        let mut read = Vec::new();
        let mut first_with: HashMap<String, usize> = HashMap::new();
        // Whether every question's kind is known: only then can "no rating" or "no text
        // question" be told, since a misspelt kind may have been meant as either.
        let mut kinds_known = true;
        for (i, value) in questions.iter().enumerate() {
            match self.question(i, value, &mut first_with) {
                Some(q) => read.push(q),
                None => kinds_known = false,
            }
        }
        if questions.len() > Survey::MAX_QUESTIONS {
            self.on_survey(format!(
                "has {} questions; at most {} keep it to about two minutes: remove some",
                questions.len(),
                Survey::MAX_QUESTIONS
            ));
        }
        let mut first_text: Option<&str> = None;
        let mut ratings = 0;
        for q in &read {
            match (&q.kind, first_text) {
                (Some(SurveyKind::Rating), _) => ratings += 1,
                (Some(SurveyKind::Text { .. }), None) => first_text = Some(&q.id),
                (Some(SurveyKind::Text { .. }), Some(first)) => {
                    let message = format!(
                        "a second text question (the first is \"{first}\"); {SHAPE}: make this one a rating, or remove it"
                    );
                    self.problem(at_question(&q.id), message);
                }
                (None, _) => kinds_known = false,
            }
        }
        if kinds_known && ratings == 0 {
            self.on_survey(format!(
                "has no rating question; add at least one [[survey.question]] with kind = \"rating\" ({SHAPE})"
            ));
        }
        if kinds_known && first_text.is_none() {
            self.on_survey(format!(
                "has no text question; add one [[survey.question]] with kind = \"text\" ({SHAPE})"
            ));
        }
        let questions = read
            .into_iter()
            .filter_map(|q| {
                Some(SurveyQuestion {
                    id: q.id,
                    text: q.text,
                    kind: q.kind?,
                })
            })
            .collect();
        Some(Survey {
            version,
            intro,
            thanks,
            questions,
        })
    }

    /// One question; `None` when it is too broken to tell its id.
    fn question(&mut self, i: usize, value: &toml::Value, first_with: &mut HashMap<String, usize>) -> Option<Read> {
        let Some(table) = value.as_table() else {
            self.problem(at_number(i), "is not a [[survey.question]] block");
            return None;
        };
        let id = match table.get("id") {
            Some(toml::Value::String(id)) if !id.trim().is_empty() => id.clone(),
            Some(toml::Value::String(_)) => {
                let message = "the id is empty; give the question a name such as \"overall\"";
                self.problem(at_number(i), message);
                return None;
            }
            _ => {
                self.problem(at_number(i), "has no id; add a line id = \"...\" to it");
                return None;
            }
        };
        let at = || at_question(&id);
        if let Some(bad) = id
            .chars()
            .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '_'))
        {
            let message = format!(
                "id \"{id}\" contains '{bad}'; use only lowercase letters a-z, digits and _ (no Turkish letters, spaces, dots or dashes)"
            );
            self.problem(at(), message);
        } else if id.len() > SurveyQuestion::MAX_ID_BYTES {
            let message = format!(
                "id \"{id}\" is {} bytes long; answers are stored under it, so it may have at most {}: shorten it",
                id.len(),
                SurveyQuestion::MAX_ID_BYTES
            );
            self.problem(at(), message);
        }
        if let Some(first) = first_with.get(&id) {
            let message = format!(
                "duplicate id: question #{first} has it too; give each question its own id, since answers are stored under it"
            );
            self.problem(at(), message);
        } else {
            first_with.insert(id.clone(), i + 1);
        }
        let mut known = table.clone();
        known.remove("id");
        for key in table.keys() {
            if !SURVEY_QUESTION_KEYS.contains(&key.as_str()) {
                self.problem(at(), unknown_key(key, SURVEY_QUESTION_KEYS, "in a survey question"));
                known.remove(key);
            }
        }
        let question_types = [("kind", Type::Text), ("text", Type::Both), ("max_chars", Type::Number)];
        self.drop_mistyped(&at(), "", &mut known, &question_types);
        let raw = match toml::Value::Table(known).try_into::<RawSurveyQuestion>() {
            Ok(raw) => raw,
            Err(e) => {
                self.problem(at(), e.message().trim_end());
                return Some(Read {
                    id,
                    text: Localized::default(),
                    kind: None,
                });
            }
        };
        let text = match raw.text {
            None if table.contains_key("text") => Localized::default(),
            raw => self.texts(at(), "", "text", raw.as_ref()),
        };
        for lang in Lang::ALL {
            let chars = text.get(lang).chars().count();
            if chars > SurveyQuestion::MAX_TEXT_CHARS {
                let message = format!(
                    "the {} text has {chars} characters; a survey question is read at a glance, so it may have at most {}: shorten it",
                    lang.name(),
                    SurveyQuestion::MAX_TEXT_CHARS
                );
                self.problem(at(), message);
            }
        }
        let kind = match raw.kind.as_deref() {
            None if table.contains_key("kind") => None,
            None => {
                let message = "has no kind; add kind = \"rating\" (an answer from 1 to 5) or kind = \"text\" (a free-text answer)";
                self.problem(at(), message);
                None
            }
            Some("rating") => {
                if raw.max_chars.is_some() {
                    let message = "max_chars is only for text questions; remove it (a rating is always 1 to 5)";
                    self.problem(at(), message);
                }
                Some(SurveyKind::Rating)
            }
            Some("text") => {
                let max_chars = raw.max_chars.unwrap_or(SurveyKind::DEFAULT_MAX_CHARS as i64);
                if !(1..=SurveyKind::MAX_CHARS as i64).contains(&max_chars) {
                    let message = format!(
                        "max_chars = {max_chars} is out of range; give a number from 1 to {}, or leave it out for {}",
                        SurveyKind::MAX_CHARS,
                        SurveyKind::DEFAULT_MAX_CHARS
                    );
                    self.problem(at(), message);
                }
                Some(SurveyKind::Text {
                    max_chars: max_chars.clamp(1, SurveyKind::MAX_CHARS as i64) as usize,
                })
            }
            Some(other) => {
                let message = format!(
                    "unknown kind \"{other}\"{}; the kinds are {}",
                    suggestion(other, SurveyKind::NAMES.iter().copied()),
                    SurveyKind::NAMES.join(", ")
                );
                self.problem(at(), message);
                None
            }
        };
        Some(Read { id, text, kind })
    }

    /// Reports and removes each key of `types` whose value is of the wrong type, so that
    /// the message names the key and shows how to write it, which serde's does not.
    fn drop_mistyped(&mut self, at: &Location, prefix: &str, table: &mut toml::Table, types: &[(&str, Type)]) {
        for (key, expected) in types {
            let Some(value) = table.get(*key) else { continue };
            let how = match (expected, value) {
                (Type::Text, toml::Value::String(_))
                | (Type::Both, toml::Value::Table(_))
                | (Type::Number, toml::Value::Integer(_)) => continue,
                (Type::Text, _) => format!("text in quotes, like {key} = \"...\""),
                (Type::Both, _) => format!("in both languages, like {key} = {{ tr = \"...\", en = \"...\" }}"),
                (Type::Number, _) => format!("a whole number without quotes, like {key} = 1000"),
            };
            self.problem(at.clone(), format!("{prefix}'{key}' must be {how}"));
            table.remove(*key);
        }
    }

    /// Both languages of a text; each missing or empty one, and markup, is a problem.
    /// `prefix` goes before each message (for the survey's own texts, which are reported
    /// on the file).
    fn texts(&mut self, at: Location, prefix: &str, what: &str, raw: Option<&RawLocalized>) -> Localized<String> {
        let mut out = Localized::<String>::default();
        for lang in Lang::ALL {
            let given = raw.and_then(|r| {
                if lang == Lang::Tr {
                    r.tr.as_deref()
                } else {
                    r.en.as_deref()
                }
            });
            let text = given.map(str::trim).unwrap_or_default();
            if text.is_empty() {
                let message = format!(
                    "{prefix}missing {} {what}; add {what}.{} = \"...\"",
                    lang.name(),
                    lang.code()
                );
                self.problem(at.clone(), message);
                continue;
            }
            // The survey is shown as plain text, so markup would reach people as stars
            // and braces.
            if text.contains("**") {
                let message = format!(
                    "{prefix}{} {what}: the survey is shown as plain text, so '**' would appear as it is: remove it",
                    lang.name()
                );
                self.problem(at.clone(), message);
            }
            if text.contains("{contact}") {
                let message = format!(
                    "{prefix}{} {what}: {{contact}} is not filled in in the survey: write out what is needed, or leave it out",
                    lang.name()
                );
                self.problem(at.clone(), message);
            }
            if lang == Lang::Tr {
                out.tr = text.to_owned();
            } else {
                out.en = text.to_owned();
            }
        }
        out
    }
}

/// What a key's value must be.
enum Type {
    Text,
    /// A `{ tr = "...", en = "..." }` table.
    Both,
    Number,
}

/// A question as far as it could be read: its id is known, its kind perhaps not.
struct Read {
    id: String,
    text: Localized<String>,
    kind: Option<SurveyKind>,
}
