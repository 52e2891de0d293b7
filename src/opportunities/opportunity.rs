//! An opportunity for young people or organisations (a Eurodesk alert) and how it is
//! read: field by field, as staff type it in the guided `/publish` dialogue, or all at
//! once from the TOML file of `eudesk opportunities add FILE`. Both go through the same
//! `parse_*` functions, so a value refused in one is refused in the other with the same
//! sentence. Nothing here knows Telegram or SQL.

use crate::dialogue::render;
use crate::lang::{Lang, Localized};
use crate::trainings::time::{self, OFFICE_TZ, office_tz};
use jiff::Timestamp;
use jiff::civil::{Date, DateTime, Time};

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
    fn new(field: &'static str, message: impl Into<String>) -> FieldProblem {
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

/// The keys of an opportunity file, in the order they are checked.
const KEYS: &[&str] = &["topics", "title", "text", "url", "deadline", "ages"];

fn topic_ids() -> String {
    Topic::ALL.map(Topic::id).join(", ")
}

/// The closest id when it is close enough to be a likely typo (at most a third of the
/// letters differ, two swapped letters counting as one), as the dialogue checks suggest.
fn closest<'a>(wrong: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
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
fn topics_from<'a>(ids: impl IntoIterator<Item = &'a str>) -> Result<Vec<Topic>, FieldProblem> {
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
fn invisible(s: &str) -> Option<char> {
    s.chars().find(|&c| {
        (c.is_control() && c != '\n' && c != '\t') || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
    })
}

fn invisible_problem(field: &'static str, c: char) -> FieldProblem {
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
fn end_of_day(date: Date) -> Result<Timestamp, FieldProblem> {
    office(date.at(23, 59, 0, 0))
}

fn office(civil: DateTime) -> Result<Timestamp, FieldProblem> {
    civil.to_zoned(office_tz()).map(|z| z.timestamp()).map_err(|e| {
        let message = format!("{civil} does not exist in office time ({OFFICE_TZ}): {e}");
        FieldProblem::new("deadline", message)
    })
}

fn future(deadline: Timestamp, now: Timestamp) -> Result<Timestamp, FieldProblem> {
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

fn age_range(min: i64, max: i64) -> Result<Option<(u8, u8)>, FieldProblem> {
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

/// The contract's TOML file (see PRODUCT.md): every problem at once, each naming the
/// field.
pub fn from_toml(text: &str, now: Timestamp) -> Result<Opportunity, Vec<FieldProblem>> {
    let table: toml::Table = match toml::from_str(text) {
        Ok(t) => t,
        Err(e) => {
            let (line, column) = e
                .span()
                .map(|s| crate::dialogue::line_column(text, s.start))
                .unwrap_or((1, 1));
            let message = format!(
                "line {line}, column {column}: TOML syntax error: {}",
                e.message().trim_end()
            );
            return Err(vec![FieldProblem::new("file", message)]);
        }
    };
    let mut problems = Vec::new();
    for key in table.keys() {
        if !KEYS.contains(&key.as_str()) {
            let hint = closest(key, KEYS.iter().copied())
                .map(|c| format!("; did you mean \"{c}\"?"))
                .unwrap_or_default();
            let message = format!("unknown key '{key}'{hint}; the keys are {}", KEYS.join(", "));
            problems.push(FieldProblem::new("file", message));
        }
    }
    let topics = ok(topics_value(table.get("topics")), &mut problems);
    let (title, mut more) = localized(&table, "title", ["title.tr", "title.en"], parse_title);
    problems.append(&mut more);
    let (text_, mut more) = localized(&table, "text", ["text.tr", "text.en"], parse_text);
    problems.append(&mut more);
    let url =
        string_value(table.get("url"), "url", "url = \"https://youth.europa.eu/...\"").and_then(|s| parse_url(&s));
    let url = ok(url, &mut problems);
    let deadline = ok(deadline_value(table.get("deadline"), now), &mut problems);
    let ages = ok(ages_value(table.get("ages")), &mut problems);
    // Back in the contract's order of fields, whatever order they were checked in.
    let rank = |p: &FieldProblem| {
        let field = p.field.split('.').next().unwrap_or(p.field);
        KEYS.iter().position(|k| *k == field).map_or(0, |i| i + 1)
    };
    problems.sort_by_key(rank);
    match (topics, title, text_, url, deadline, ages) {
        (Some(topics), Some(title), Some(text), Some(url), Some(deadline), Some(ages)) if problems.is_empty() => {
            Ok(Opportunity {
                topics,
                title,
                text,
                url,
                deadline,
                ages,
            })
        }
        _ => Err(problems),
    }
}

fn ok<T>(result: Result<T, FieldProblem>, problems: &mut Vec<FieldProblem>) -> Option<T> {
    result.map_err(|p| problems.push(p)).ok()
}

fn missing(field: &'static str, example: &str) -> FieldProblem {
    FieldProblem::new(field, format!("missing; add {example}"))
}

fn topics_value(value: Option<&toml::Value>) -> Result<Vec<Topic>, FieldProblem> {
    let example = "topics = [\"volunteering\"]";
    match value {
        None => Err(missing("topics", example)),
        Some(toml::Value::String(s)) => parse_topics(s),
        Some(toml::Value::Array(items)) => {
            let ids: Option<Vec<&str>> = items.iter().map(toml::Value::as_str).collect();
            match ids {
                Some(ids) => topics_from(ids),
                None => Err(FieldProblem::new(
                    "topics",
                    format!(
                        "write the topics as a list of ids in quotes, like topics = [\"volunteering\", \"exchanges\"]; the topics are {}",
                        topic_ids()
                    ),
                )),
            }
        }
        Some(_) => Err(FieldProblem::new(
            "topics",
            "write the topics as a list of ids in quotes, like topics = [\"volunteering\", \"exchanges\"]",
        )),
    }
}

fn string_value(value: Option<&toml::Value>, field: &'static str, example: &str) -> Result<String, FieldProblem> {
    match value {
        None => Err(missing(field, example)),
        Some(toml::Value::String(s)) => Ok(s.clone()),
        Some(_) => Err(FieldProblem::new(field, format!("write it in quotes, like {example}"))),
    }
}

/// Both languages of the title or the text: `{ tr = "…", en = "…" }` or dotted keys.
fn localized(
    table: &toml::Table,
    key: &'static str,
    fields: [&'static str; 2],
    parse: fn(&str) -> Result<String, FieldProblem>,
) -> (Option<Localized<String>>, Vec<FieldProblem>) {
    let example = format!("{key} = {{ tr = \"...\", en = \"...\" }}");
    let inner = match table.get(key) {
        None => return (None, vec![missing(key, &example)]),
        Some(toml::Value::Table(t)) => t,
        Some(_) => {
            let message = format!("give the {key} in both languages, like {example}");
            return (None, vec![FieldProblem::new(key, message)]);
        }
    };
    let mut problems = Vec::new();
    for lang in inner.keys() {
        if Lang::parse(lang).is_none_or(|l| l.code() != lang) {
            let message = format!("unknown language '{lang}'; the languages are tr (Turkish) and en (English)");
            problems.push(FieldProblem::new(key, message));
        }
    }
    let mut values = Vec::new();
    for (lang, field) in Lang::ALL.into_iter().zip(fields) {
        let value = match inner.get(lang.code()) {
            None => Err(FieldProblem::new(
                field,
                format!("missing {} {key}; add {field} = \"...\"", lang.name()),
            )),
            Some(toml::Value::String(s)) => parse(s).map_err(|p| FieldProblem::new(field, p.message)),
            Some(_) => Err(FieldProblem::new(
                field,
                format!("write the {} {key} in quotes, like {field} = \"...\"", lang.name()),
            )),
        };
        match value {
            Ok(v) => values.push(v),
            Err(p) => problems.push(p),
        }
    }
    match <[String; 2]>::try_from(values) {
        Ok([tr, en]) if problems.is_empty() => (Some(Localized::new(tr, en)), problems),
        _ => (None, problems),
    }
}

fn deadline_value(value: Option<&toml::Value>, now: Timestamp) -> Result<Timestamp, FieldProblem> {
    let how = format!(
        "write the deadline in office time ({OFFICE_TZ}) without a time zone, like deadline = 2027-03-01T23:59:00, or a date alone (deadline = 2027-03-01) for 23:59 that day"
    );
    match value {
        None => Err(missing("deadline", "deadline = 2027-03-01T23:59:00 (office time)")),
        Some(toml::Value::String(s)) => parse_deadline(s, now),
        Some(toml::Value::Datetime(dt)) => {
            if dt.offset.is_some() {
                return Err(FieldProblem::new("deadline", format!("{dt} has a time zone; {how}")));
            }
            let Some(d) = dt.date else {
                return Err(FieldProblem::new("deadline", format!("{dt} has no date; {how}")));
            };
            let date = Date::new(d.year as i16, d.month as i8, d.day as i8)
                .map_err(|_| FieldProblem::new("deadline", format!("{dt} is not a date; {how}")))?;
            let deadline = match dt.time {
                None => end_of_day(date)?,
                Some(t) => {
                    // TOML allows a leap second (:60), which no clock in Istanbul shows.
                    let time = Time::new(t.hour as i8, t.minute as i8, t.second as i8, t.nanosecond as i32)
                        .map_err(|_| FieldProblem::new("deadline", format!("{dt} is not a time of day; {how}")))?;
                    office(date.to_datetime(time))?
                }
            };
            future(deadline, now)
        }
        Some(_) => Err(FieldProblem::new("deadline", how)),
    }
}

fn ages_value(value: Option<&toml::Value>) -> Result<Option<(u8, u8)>, FieldProblem> {
    let how = "write the youngest and the oldest age as two numbers, like ages = [18, 30], or leave the line out for no age limit";
    match value {
        None => Ok(None),
        Some(toml::Value::String(s)) => parse_ages(s),
        Some(toml::Value::Array(items)) => match items.as_slice() {
            [toml::Value::Integer(min), toml::Value::Integer(max)] => age_range(*min, *max),
            _ => Err(FieldProblem::new("ages", how)),
        },
        Some(_) => Err(FieldProblem::new("ages", how)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> Timestamp {
        "2027-01-15T09:00:00Z".parse().unwrap()
    }

    const VALID: &str = r#"
topics = ["exchanges", "volunteering", "volunteering"]
title = { tr = "Portekiz'de gönüllülük", en = "Volunteering in Portugal" }
text.tr = "**Avrupa Dayanışma Programı** kapsamında 12 aylık gönüllülük."
text.en = "Twelve months of volunteering with the **European Solidarity Corps**."
url = "https://youth.europa.eu/solidarity_en"
deadline = 2027-03-01T23:59:00
ages = [18, 30]
"#;

    fn problems(text: &str) -> Vec<String> {
        from_toml(text, now())
            .unwrap_err()
            .iter()
            .map(ToString::to_string)
            .collect()
    }

    fn has(problems: &[String], expected: &str) {
        assert!(
            problems.iter().any(|p| p.contains(expected)),
            "expected «{expected}» in:\n{}",
            problems.join("\n")
        );
    }

    #[test]
    fn a_valid_file_is_read() {
        let o = from_toml(VALID, now()).unwrap();
        assert_eq!(
            o.topics,
            [Topic::Volunteering, Topic::Exchanges],
            "sorted, duplicates dropped"
        );
        assert_eq!(o.title.en, "Volunteering in Portugal");
        assert!(o.text.tr.starts_with("**Avrupa"));
        assert_eq!(o.url, "https://youth.europa.eu/solidarity_en");
        assert_eq!(
            o.deadline.to_string(),
            "2027-03-01T20:59:00Z",
            "23:59 in Istanbul is UTC+3"
        );
        assert_eq!(o.ages, Some((18, 30)));

        let without_ages = VALID.replace("ages = [18, 30]\n", "");
        assert_eq!(from_toml(&without_ages, now()).unwrap().ages, None);
    }

    #[test]
    fn every_problem_is_listed_at_once() {
        let broken = r#"
topics = ["volunterring", "sport"]
title = { tr = "", en = "A title\non two lines" }
text.tr = "**Kalın"
url = "http://youth.europa.eu"
deadline = 2027-01-01T10:00:00
ages = [30, 18]
colour = "blue"
"#;
        let p = problems(broken);
        has(
            &p,
            r#"topics: unknown topics "volunterring" (did you mean "volunteering"?), "sport"; the topics are volunteering, exchanges"#,
        );
        has(&p, "title.tr: the title is empty");
        has(&p, "title.en: the title must be one line");
        has(&p, "text.tr: a '**' has no partner");
        has(&p, r#"text.en: missing English text; add text.en = "...""#);
        has(&p, r#"url: "http://youth.europa.eu" must start with https://"#);
        has(
            &p,
            "deadline: the deadline 2027-01-01 10:00 (office time) has already passed",
        );
        has(&p, "ages: 30-18: the youngest age comes first; write it as 18-30");
        has(
            &p,
            "file: unknown key 'colour'; the keys are topics, title, text, url, deadline, ages",
        );
        assert_eq!(p.len(), 9, "{p:#?}");
        assert!(p[0].starts_with("file:"), "file-level problems first: {p:#?}");
    }

    #[test]
    fn missing_keys_and_wrong_types_are_named() {
        let p = problems("title = \"Only a title\"\nurl = 5\nages = [18]\ntitel = 1\n");
        has(&p, r#"topics: missing; add topics = ["volunteering"]"#);
        has(
            &p,
            r#"title: give the title in both languages, like title = { tr = "...", en = "..." }"#,
        );
        has(&p, r#"text: missing; add text = { tr = "...", en = "..." }"#);
        has(&p, "url: write it in quotes");
        has(&p, "deadline: missing; add deadline = 2027-03-01T23:59:00");
        has(&p, "ages: write the youngest and the oldest age as two numbers");
        has(&p, r#"file: unknown key 'titel'; did you mean "title"?"#);
    }

    #[test]
    fn a_syntax_error_is_one_problem_with_line_and_column() {
        let p = problems("topics = [\"calls\"]\ntitle = = 1\n");
        assert_eq!(p.len(), 1, "{p:?}");
        assert!(p[0].starts_with("file: line 2, column 9: TOML syntax error"), "{p:?}");
    }

    #[test]
    fn a_deadline_in_the_past_is_refused() {
        let err = parse_deadline("2027-01-15 11:59", now()).unwrap_err();
        assert_eq!(err.field, "deadline");
        assert!(err.message.contains("has already passed"), "{err}");
        assert!(
            parse_deadline("2027-01-15 12:01", now()).is_ok(),
            "12:01 office time is 09:01 UTC"
        );
        let p = problems(&VALID.replace("2027-03-01T23:59:00", "2026-12-01"));
        has(
            &p,
            "deadline: the deadline 2026-12-01 23:59 (office time) has already passed",
        );
    }

    #[test]
    fn a_date_alone_means_23_59_office_time() {
        for s in ["2027-03-01", "01.03.2027", " 2027-03-01 ", "1.3.2027", "20270301"] {
            let t = parse_deadline(s, now()).unwrap();
            assert_eq!(t.to_string(), "2027-03-01T20:59:00Z", "{s}");
        }
        let o = from_toml(&VALID.replace("2027-03-01T23:59:00", "2027-03-01"), now()).unwrap();
        assert_eq!(o.deadline.to_string(), "2027-03-01T20:59:00Z");
        let o = from_toml(&VALID.replace("2027-03-01T23:59:00", "\"01.03.2027 17:00\""), now()).unwrap();
        assert_eq!(o.deadline.to_string(), "2027-03-01T14:00:00Z");
    }

    #[test]
    fn deadlines_in_every_format_are_office_time() {
        for s in [
            "2027-03-01 23:59",
            "01.03.2027 23:59",
            "2027-03-01T23:59:00",
            "2027-03-01T23:59",
        ] {
            assert_eq!(
                parse_deadline(s, now()).unwrap().to_string(),
                "2027-03-01T20:59:00Z",
                "{s}"
            );
        }
        assert_eq!(
            parse_deadline("2027-03-01T10", now()).unwrap().to_string(),
            "2027-03-01T07:00:00Z"
        );
        let err = parse_deadline("1 March", now()).unwrap_err();
        assert!(err.message.contains("2027-03-01 23:59"), "{err}");
        let p = problems(&VALID.replace("2027-03-01T23:59:00", "2027-03-01T23:59:00Z"));
        has(&p, "deadline: 2027-03-01T23:59:00Z has a time zone");
        let p = problems(&VALID.replace("2027-03-01T23:59:00", "2027-03-01T23:59:60"));
        has(&p, "deadline: 2027-03-01T23:59:60 is not a time of day");
        let p = problems(&VALID.replace("2027-03-01T23:59:00", "23:59:00"));
        has(&p, "deadline: 23:59:00 has no date");
    }

    #[test]
    fn ages_are_a_range_or_nothing() {
        assert_eq!(parse_ages("18-30"), Ok(Some((18, 30))));
        assert_eq!(parse_ages("18–30"), Ok(Some((18, 30))));
        assert_eq!(parse_ages(" 18 30 "), Ok(Some((18, 30))));
        assert_eq!(parse_ages("18 - 30"), Ok(Some((18, 30))));
        assert_eq!(parse_ages("18-18"), Ok(Some((18, 18))));
        assert_eq!(parse_ages(""), Ok(None));
        assert_eq!(parse_ages("-"), Ok(None));
        assert!(parse_ages("30-18").unwrap_err().message.contains("write it as 18-30"));
        assert!(
            parse_ages("5-30")
                .unwrap_err()
                .message
                .contains("ages go from 10 to 99")
        );
        assert!(parse_ages("18-300").is_err());
        assert!(parse_ages("18").unwrap_err().message.contains("like 18-30"));
        assert!(parse_ages("18+").is_err());
        assert!(parse_ages("eighteen").is_err());
    }

    #[test]
    fn topics_parse_with_a_suggestion_for_a_typo() {
        assert_eq!(
            parse_topics("exchanges, volunteering"),
            Ok(vec![Topic::Volunteering, Topic::Exchanges])
        );
        assert_eq!(
            parse_topics(" Calls  DiscoverEU "),
            Ok(vec![Topic::Discovereu, Topic::Calls])
        );
        let err = parse_topics("traineships").unwrap_err();
        assert_eq!(err.field, "topics");
        assert_eq!(
            err.message,
            "unknown topic \"traineships\" (did you mean \"traineeships\"?); the topics are volunteering, exchanges, traineeships, discovereu, study, calls, trainings"
        );
        assert!(
            parse_topics(" , ")
                .unwrap_err()
                .message
                .starts_with("give at least one topic")
        );
    }

    #[test]
    fn topic_ids_and_labels() {
        for t in Topic::ALL {
            assert_eq!(Topic::parse(t.id()), Some(t));
            assert_eq!(Topic::parse(&format!(" {} ", t.id().to_uppercase())), Some(t));
            assert_eq!(serde_json::to_string(&t).unwrap(), format!("\"{}\"", t.id()));
            for lang in Lang::ALL {
                assert!(!t.label(lang).is_ascii(), "{t:?} starts with an emoji");
            }
        }
        assert!(Topic::ALL.is_sorted(), "Ord follows ALL");
        assert_eq!(Topic::parse("volunteer"), None);
    }

    #[test]
    fn titles_texts_and_links() {
        assert_eq!(parse_title("  DiscoverEU  "), Ok("DiscoverEU".into()));
        assert!(parse_title(&"a".repeat(MAX_TITLE_CHARS)).is_ok());
        let err = parse_title(&"ş".repeat(MAX_TITLE_CHARS + 1)).unwrap_err();
        assert!(err.message.contains("has 121 characters; at most 120"), "{err}");
        assert!(parse_title("a\u{202E}b").unwrap_err().message.contains("U+202E"));

        assert_eq!(parse_text(" **Bold** <b>&\r\nnext "), Ok("**Bold** <b>&\nnext".into()));
        let visible = format!("**{}**", "a".repeat(MAX_TEXT_CHARS));
        assert!(parse_text(&visible).is_ok(), "bold markers are not counted");
        assert!(parse_text(&"a".repeat(MAX_TEXT_CHARS + 1)).is_err());
        assert!(parse_text("   ").unwrap_err().message.contains("empty"));

        assert_eq!(
            parse_url("https://youth.europa.eu"),
            Ok("https://youth.europa.eu/".into())
        );
        assert_eq!(
            parse_url(" https://erasmus-plus.ec.europa.eu/opportunities?x=1 "),
            Ok("https://erasmus-plus.ec.europa.eu/opportunities?x=1".into())
        );
        for bad in [
            "",
            "youth.europa.eu",
            "http://youth.europa.eu",
            "https://localhost/x",
            "https://192.168.1.1/x",
            "https://youth.europa.eu/a b",
            "https://europa.eu@evil.example/",
            "https://",
            "ftp://youth.europa.eu",
        ] {
            assert!(parse_url(bad).is_err(), "{bad}");
        }
        assert!(parse_url(&format!("https://europa.eu/{}", "a".repeat(500))).is_err());
    }
}
