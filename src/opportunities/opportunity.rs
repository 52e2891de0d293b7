//! An opportunity for young people or organisations (a Eurodesk alert) and how it is
//! read: field by field, as staff type it in the guided `/publish` dialogue, or all at
//! once from the TOML file of `eudesk opportunities add FILE` (in `file`). Both use the same
//! `parse_*` functions, so a value refused in one is refused in the other with the same
//! sentence. Nothing here knows Telegram or SQL.

use crate::dialogue::render;
use crate::lang::{Lang, Localized};
use crate::trainings::time::{self, OFFICE_TZ, office_tz};
use jiff::Timestamp;
use jiff::civil::{Date, DateTime};

/// What an opportunity is about; people subscribe to alerts by topic. The ids are a
/// contract (commands, stored subscriptions, callback data): never rename one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Topic {
    Volunteering,
    Exchanges,
    Traineeships,
    Discovereu,
    Study,
    Calls,
    Trainings,
}

impl Topic {
    pub const ALL: [Topic; 7] = [
        Topic::Volunteering,
        Topic::Exchanges,
        Topic::Traineeships,
        Topic::Discovereu,
        Topic::Study,
        Topic::Calls,
        Topic::Trainings,
    ];

    pub fn id(self) -> &'static str {
        match self {
            Topic::Volunteering => "volunteering",
            Topic::Exchanges => "exchanges",
            Topic::Traineeships => "traineeships",
            Topic::Discovereu => "discovereu",
            Topic::Study => "study",
            Topic::Calls => "calls",
            Topic::Trainings => "trainings",
        }
    }

    /// The exact ids, in any case, with spaces around them ignored.
    pub fn parse(id: &str) -> Option<Topic> {
        let id = id.trim();
        Topic::ALL.into_iter().find(|t| t.id().eq_ignore_ascii_case(id))
    }

    /// A short label for buttons and alerts, starting with an emoji.
    pub fn label(self, lang: Lang) -> &'static str {
        match (self, lang) {
            (Topic::Volunteering, Lang::Tr) => "🤝 Gönüllülük ve Dayanışma Programı",
            (Topic::Volunteering, Lang::En) => "🤝 Volunteering and the Solidarity Corps",
            (Topic::Exchanges, Lang::Tr) => "🌍 Gençlik değişimleri",
            (Topic::Exchanges, Lang::En) => "🌍 Youth exchanges",
            (Topic::Traineeships, Lang::Tr) => "💼 Stajlar",
            (Topic::Traineeships, Lang::En) => "💼 Traineeships",
            (Topic::Discovereu, _) => "🚆 DiscoverEU",
            (Topic::Study, Lang::Tr) => "🎓 Yurt dışında öğrenim ve bireysel Erasmus+",
            (Topic::Study, Lang::En) => "🎓 Study abroad and Erasmus+ for individuals",
            (Topic::Calls, Lang::Tr) => "📣 Kurumlar için teklif çağrıları",
            (Topic::Calls, Lang::En) => "📣 Calls for proposals for organisations",
            (Topic::Trainings, Lang::Tr) => "📘 Büronun PCM eğitimleri",
            (Topic::Trainings, Lang::En) => "📘 The office's PCM trainings",
        }
    }
}

/// One opportunity, every field checked.
#[derive(Clone, Debug, PartialEq)]
pub struct Opportunity {
    /// Non-empty, no duplicates, in `Topic::ALL` order.
    pub topics: Vec<Topic>,
    pub title: Localized<String>,
    /// Plain text with `**bold**`, as staff wrote it: render it with
    /// `dialogue::render::html`.
    pub text: Localized<String>,
    /// The https address of the official page.
    pub url: String,
    /// Given in office time (Europe/Istanbul).
    pub deadline: Timestamp,
    /// The youngest and oldest age it is open to, both included.
    pub ages: Option<(u8, u8)>,
}

/// One thing wrong with a field, said so a staff member knows what to write instead.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct FieldProblem {
    pub field: &'static str,
    pub message: String,
}

impl FieldProblem {
    pub(crate) fn new(field: &'static str, message: impl Into<String>) -> FieldProblem {
        FieldProblem {
            field,
            message: message.into(),
        }
    }
}

/// A title is read at a glance, in bold, above the text.
pub const MAX_TITLE_CHARS: usize = 120;

/// A few lines: the official page has the details.
pub const MAX_TEXT_CHARS: usize = 1000;

/// Longer addresses are tracking links or pasted searches, not an official page.
const MAX_URL_CHARS: usize = 500;

/// Ages people give for opportunities run from about 13 (youth exchanges) to 30
/// (volunteering, DiscoverEU); outside these bounds it is a typo.
const MIN_AGE: u8 = 10;
const MAX_AGE: u8 = 99;

pub(crate) fn topic_ids() -> String {
    Topic::ALL.map(Topic::id).join(", ")
}

/// The closest id when it is close enough to be a likely typo (at most a third of the
/// letters differ, two swapped letters counting as one), as the dialogue checks suggest.
pub(crate) fn closest<'a>(wrong: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    candidates
        .into_iter()
        .map(|c| (strsim::osa_distance(wrong, c), c))
        .filter(|(d, c)| *d * 3 <= c.chars().count().max(wrong.chars().count()))
        .min()
        .map(|(_, c)| c)
}

/// "volunteering, exchanges", "volunteering exchanges" or one id.
pub fn parse_topics(s: &str) -> Result<Vec<Topic>, FieldProblem> {
    topics_from(s.split(|c: char| c == ',' || c == ';' || c.is_whitespace()))
}

/// Topics from ids, each trimmed; empty ones are skipped, duplicates dropped.
pub(crate) fn topics_from<'a>(ids: impl IntoIterator<Item = &'a str>) -> Result<Vec<Topic>, FieldProblem> {
    let mut topics = Vec::new();
    let mut unknown = Vec::new();
    for id in ids.into_iter().map(str::trim).filter(|id| !id.is_empty()) {
        match Topic::parse(id) {
            Some(t) => topics.push(t),
            None => unknown.push(id),
        }
    }
    if !unknown.is_empty() {
        let named: Vec<String> = unknown
            .iter()
            .map(|id| {
                let lower = id.to_lowercase();
                match closest(&lower, Topic::ALL.map(Topic::id)) {
                    Some(c) => format!("\"{id}\" (did you mean \"{c}\"?)"),
                    None => format!("\"{id}\""),
                }
            })
            .collect();
        let s = if unknown.len() == 1 { "" } else { "s" };
        let message = format!("unknown topic{s} {}; the topics are {}", named.join(", "), topic_ids());
        return Err(FieldProblem::new("topics", message));
    }
    if topics.is_empty() {
        let message = format!("give at least one topic; the topics are {}", topic_ids());
        return Err(FieldProblem::new("topics", message));
    }
    topics.sort();
    topics.dedup();
    Ok(topics)
}

/// A character a person cannot see: a control character (other than a line break and a
/// tab) or one that reverses the direction of text, which can make a message read
/// differently from what it says.
pub(crate) fn invisible(s: &str) -> Option<char> {
    s.chars().find(|&c| {
        (c.is_control() && c != '\n' && c != '\t') || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
    })
}

pub(crate) fn invisible_problem(field: &'static str, c: char) -> FieldProblem {
    let message = format!(
        "contains an invisible character (U+{:04X}); type the {field} again instead of pasting it",
        c as u32
    );
    FieldProblem::new(field, message)
}

/// One line, at most `MAX_TITLE_CHARS` characters.
pub fn parse_title(s: &str) -> Result<String, FieldProblem> {
    let title = s.trim();
    if title.is_empty() {
        return Err(FieldProblem::new(
            "title",
            "the title is empty; write a short one, such as \"Volunteering in Portugal with the European Solidarity Corps\"",
        ));
    }
    if title.contains(['\n', '\r']) {
        return Err(FieldProblem::new(
            "title",
            "the title must be one line; put the details in the text",
        ));
    }
    if let Some(c) = invisible(title) {
        return Err(invisible_problem("title", c));
    }
    let chars = title.chars().count();
    if chars > MAX_TITLE_CHARS {
        let message = format!(
            "the title has {chars} characters; at most {MAX_TITLE_CHARS}: shorten it and put the details in the text"
        );
        return Err(FieldProblem::new("title", message));
    }
    Ok(title.to_owned())
}

/// Plain text with `**bold**`, at most `MAX_TEXT_CHARS` characters as people see them
/// (without the bold markers).
pub fn parse_text(s: &str) -> Result<String, FieldProblem> {
    let text = s.trim().replace("\r\n", "\n");
    if text.is_empty() {
        return Err(FieldProblem::new(
            "text",
            "the text is empty; write a few lines: what it is, who can apply, what it covers",
        ));
    }
    if let Some(c) = invisible(&text) {
        return Err(invisible_problem("text", c));
    }
    // Only the bold markers are markup here: `{…}` is shown as written.
    if text.matches("**").count() % 2 == 1 {
        return Err(FieldProblem::new(
            "text",
            "a '**' has no partner: bold text is written **like this**, with two stars on each side",
        ));
    }
    let chars = render::plain(&text, "{contact}").chars().count();
    if chars > MAX_TEXT_CHARS {
        let message = format!(
            "the text has {chars} characters; at most {MAX_TEXT_CHARS}: shorten it, the official page has the details"
        );
        return Err(FieldProblem::new("text", message));
    }
    Ok(text)
}

/// The https address of the official page, as a browser would write it.
pub fn parse_url(s: &str) -> Result<String, FieldProblem> {
    let problem = |m: String| Err(FieldProblem::new("url", m));
    let s = s.trim();
    if s.is_empty() {
        return problem("the link is empty; give the address of the official page, starting with https://".into());
    }
    if s.chars().any(char::is_whitespace) {
        return problem(format!(
            "\"{s}\" contains a space; give the page's address alone, like https://youth.europa.eu/solidarity_en"
        ));
    }
    if s.chars().count() > MAX_URL_CHARS {
        return problem(format!(
            "the link has {} characters; at most {MAX_URL_CHARS}: give the official page's own address, not a search or tracking link",
            s.chars().count()
        ));
    }
    let lower = s.to_ascii_lowercase();
    if !lower.starts_with("https://") {
        let why = if lower.starts_with("http://") {
            "must start with https:// (a secure address; official pages have one)"
        } else {
            "is not a web address; copy it from the browser's address bar, starting with https://"
        };
        return problem(format!("\"{s}\" {why}"));
    }
    let url = match reqwest::Url::parse(s) {
        Ok(url) => url,
        Err(e) => {
            return problem(format!(
                "\"{s}\" is not a valid web address ({e}); copy it from the browser's address bar"
            ));
        }
    };
    if !url.username().is_empty() || url.password().is_some() {
        return problem(format!(
            "\"{s}\" has a user name before '@'; such addresses hide where they lead: give the page's plain address"
        ));
    }
    match url.domain() {
        Some(domain) if domain.trim_end_matches('.').contains('.') => {}
        _ => {
            return problem(format!(
                "\"{s}\" has no web site name (such as youth.europa.eu); give the official page's address"
            ));
        }
    }
    let url = url.to_string();
    if url.chars().count() > MAX_URL_CHARS {
        return problem(format!(
            "the link has {} characters once written out; at most {MAX_URL_CHARS}",
            url.chars().count()
        ));
    }
    Ok(url)
}

/// How to write a deadline, quoted when one cannot be read.
const DEADLINE_FORMATS: &str =
    "write it like 2027-03-01 23:59 or 01.03.2027 23:59, or a date alone (2027-03-01 or 01.03.2027) for 23:59 that day";

/// A deadline in office time: a date and time, or a date alone meaning 23:59 that day.
/// It must be after `now`.
pub fn parse_deadline(s: &str, now: Timestamp) -> Result<Timestamp, FieldProblem> {
    let s = s.trim();
    // Without a time separator there is no time of day, whatever jiff would read into it.
    let date_only = (!s.contains([':', 'T', 't', ' ']))
        .then(|| {
            Date::strptime("%Y-%m-%d", s)
                .or_else(|_| Date::strptime("%d.%m.%Y", s))
                .or_else(|_| s.parse::<Date>())
                .ok()
        })
        .flatten();
    let deadline = match date_only {
        Some(date) => end_of_day(date)?,
        None => time::parse_local(s).map_err(|e| match e {
            time::TimeError::NotATime(_) => FieldProblem::new(
                "deadline",
                format!("\"{s}\" is not a date; {DEADLINE_FORMATS} (office time, {OFFICE_TZ})"),
            ),
            e @ (time::TimeError::NoSuchTime(..) | time::TimeError::WithZone(_)) => {
                FieldProblem::new("deadline", e.to_string())
            }
        })?,
    };
    future(deadline, now)
}

/// 23:59 on `date`, office time.
pub(crate) fn end_of_day(date: Date) -> Result<Timestamp, FieldProblem> {
    office(date.at(23, 59, 0, 0))
}

pub(crate) fn office(civil: DateTime) -> Result<Timestamp, FieldProblem> {
    civil.to_zoned(office_tz()).map(|z| z.timestamp()).map_err(|e| {
        let message = format!("{civil} does not exist in office time ({OFFICE_TZ}): {e}");
        FieldProblem::new("deadline", message)
    })
}

pub(crate) fn future(deadline: Timestamp, now: Timestamp) -> Result<Timestamp, FieldProblem> {
    if deadline <= now {
        let message = format!(
            "the deadline {} (office time) has already passed; an alert is only for what is still open",
            time::local(deadline)
        );
        return Err(FieldProblem::new("deadline", message));
    }
    Ok(deadline)
}

/// "18-30", "18–30", "18 30"; empty or "-" for none.
pub fn parse_ages(s: &str) -> Result<Option<(u8, u8)>, FieldProblem> {
    let s = s.trim();
    if s.is_empty() || matches!(s, "-" | "–" | "—") {
        return Ok(None);
    }
    let parts: Vec<&str> = s
        .split(|c: char| matches!(c, '-' | '–' | '—' | ',') || c.is_whitespace())
        .filter(|p| !p.is_empty())
        .collect();
    let how = "write the youngest and the oldest age, like 18-30, or leave it empty (or -) for no age limit";
    let numbers: Option<Vec<i64>> = parts.iter().map(|p| p.parse::<i64>().ok()).collect();
    match numbers.as_deref() {
        Some(&[min, max]) => age_range(min, max),
        _ => Err(FieldProblem::new("ages", format!("\"{s}\" is not an age range; {how}"))),
    }
}

pub(crate) fn age_range(min: i64, max: i64) -> Result<Option<(u8, u8)>, FieldProblem> {
    let in_range = |a: i64| (i64::from(MIN_AGE)..=i64::from(MAX_AGE)).contains(&a);
    if !in_range(min) || !in_range(max) {
        let message = format!("{min}-{max}: ages go from {MIN_AGE} to {MAX_AGE}; write the range like 18-30");
        return Err(FieldProblem::new("ages", message));
    }
    if min > max {
        let message = format!("{min}-{max}: the youngest age comes first; write it as {max}-{min}");
        return Err(FieldProblem::new("ages", message));
    }
    Ok(Some((min as u8, max as u8)))
}

#[cfg(test)]
mod tests;
