//! An opportunity file (`eudesk opportunities add FILE`): its TOML read all at once,
//! each field through the same `parse_*` functions as the guided `/publish` dialogue,
//! every problem reported together.

use super::opportunity::*;
use crate::lang::{Lang, Localized};
use crate::trainings::time::OFFICE_TZ;
use jiff::Timestamp;
use jiff::civil::{Date, Time};

/// The keys of an opportunity file, in the order they are checked.
const KEYS: &[&str] = &["topics", "title", "text", "url", "deadline", "ages"];

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
