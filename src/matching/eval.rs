//! Measuring the matcher on a list of questions with the node each should get: how
//! many are answered at once with the right node, per kind of question, how often the
//! right node is among the first three, and how often the bot answers confidently and
//! wrong. `eudesk eval FILE` prints it; the tests hold the shipped content to it.
//!
//! The list is tab-separated, one question a line, `#` lines and blank lines ignored,
//! a header line naming the columns: `expected` (a node id, or `none` for a question
//! the bot should not answer), `lang` (`tr`/`en`), `question`, and optionally `kind`
//! (plain, typo, long …) and `part` (`tune`/`test`).

use super::{Decision, Matcher};
use crate::lang::Lang;
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt;

/// One question of the list.
#[derive(Clone, Debug, PartialEq)]
pub struct Case {
    pub expected: Option<String>,
    pub lang: Lang,
    pub kind: String,
    pub part: Option<String>,
    pub question: String,
}

/// A line of the list that cannot be read.
#[derive(Debug, thiserror::Error)]
#[error("line {line}: {what}")]
pub struct EvalError {
    pub line: usize,
    pub what: String,
}

/// Reads a question list.
pub fn parse(text: &str) -> Result<Vec<Case>, EvalError> {
    let mut columns: Option<Vec<String>> = None;
    let mut cases = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line = i + 1;
        if raw.trim().is_empty() || raw.starts_with('#') {
            continue;
        }
        let cells: Vec<&str> = raw.split('\t').collect();
        let Some(names) = &columns else {
            let names: Vec<String> = cells.iter().map(|c| c.trim().to_lowercase()).collect();
            for needed in ["expected", "lang", "question"] {
                if !names.iter().any(|n| n == needed) {
                    return Err(EvalError {
                        line,
                        what: format!(
                            "the header has no '{needed}' column; write a first line like expected<TAB>lang<TAB>kind<TAB>part<TAB>question"
                        ),
                    });
                }
            }
            columns = Some(names);
            continue;
        };
        if cells.len() != names.len() {
            return Err(EvalError {
                line,
                what: format!("{} columns where the header has {}", cells.len(), names.len()),
            });
        }
        let get = |name: &str| names.iter().position(|n| n == name).map(|i| cells[i].trim());
        let expected = get("expected").unwrap_or_default();
        let lang = get("lang").unwrap_or_default();
        let lang = Lang::parse(lang).ok_or_else(|| EvalError {
            line,
            what: format!("language '{lang}'; write tr or en"),
        })?;
        let question = get("question").unwrap_or_default();
        if question.is_empty() {
            return Err(EvalError {
                line,
                what: "the question is empty".into(),
            });
        }
        cases.push(Case {
            expected: (!expected.is_empty() && expected != "none").then(|| expected.to_owned()),
            lang,
            kind: get("kind").filter(|k| !k.is_empty()).unwrap_or("all").to_owned(),
            part: get("part").filter(|p| !p.is_empty()).map(str::to_owned),
            question: question.to_owned(),
        });
    }
    Ok(cases)
}

/// The figures of one kind of question (or of all).
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Row {
    pub kind: String,
    pub questions: usize,
    /// In scope: answered at once with the right node.
    pub answered_right: usize,
    /// In scope: the right node first (answered, suggested or not).
    pub top1: usize,
    /// In scope: the right node among the first three.
    pub top3: usize,
    /// Answered at once, and wrong (a wrong node, or a question out of scope).
    pub false_confident: usize,
    /// Offered "did you mean".
    pub suggested: usize,
    /// Offered to ask staff.
    pub escalated: usize,
    /// Questions that should have been answered (not out of scope).
    pub in_scope: usize,
}

impl Row {
    fn rate(n: usize, of: usize) -> f64 {
        if of == 0 { 0.0 } else { n as f64 / of as f64 }
    }

    /// Answered at once with the right node, of the questions in scope.
    pub fn answered_rate(&self) -> f64 {
        Row::rate(self.answered_right, self.in_scope)
    }

    pub fn top3_rate(&self) -> f64 {
        Row::rate(self.top3, self.in_scope)
    }

    pub fn top1_rate(&self) -> f64 {
        Row::rate(self.top1, self.in_scope)
    }

    fn add(&mut self, case: &Case, decision: Decision, ids: &[&str]) {
        self.questions += 1;
        match decision {
            Decision::Suggest => self.suggested += 1,
            Decision::Escalate => self.escalated += 1,
            Decision::Answer => {}
        }
        match &case.expected {
            Some(expected) => {
                self.in_scope += 1;
                let first = ids.first().is_some_and(|id| id == expected);
                if first {
                    self.top1 += 1;
                }
                if ids.iter().take(3).any(|id| id == expected) {
                    self.top3 += 1;
                }
                match (decision, first) {
                    (Decision::Answer, true) => self.answered_right += 1,
                    (Decision::Answer, false) => self.false_confident += 1,
                    _ => {}
                }
            }
            None => {
                if decision == Decision::Answer {
                    self.false_confident += 1;
                }
            }
        }
    }
}

/// The evaluation of a list: a row per kind, and the whole.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Report {
    pub kinds: Vec<Row>,
    pub all: Row,
    /// Questions out of scope that were answered at once.
    pub out_of_scope_answered: usize,
    pub out_of_scope: usize,
    /// The questions answered wrong, for a look: (question, expected, given).
    pub mistakes: Vec<(String, String, String)>,
    /// Every question and what became of it: what `--compare` reads from a saved run.
    pub cases: Vec<Done>,
}

/// One question of a run and what became of it.
#[derive(Clone, Debug, PartialEq, Serialize, serde::Deserialize)]
pub struct Done {
    pub question: String,
    pub lang: String,
    pub expected: String,
    pub decision: Decision,
    /// The first match, or "—".
    pub given: String,
}

impl Done {
    /// The bot did what it should: answered with the right node, or (out of scope)
    /// did not answer.
    pub fn right(&self) -> bool {
        match self.expected.as_str() {
            "none" => self.decision != Decision::Answer,
            expected => self.decision == Decision::Answer && self.given == expected,
        }
    }
}

/// What changed between a saved run and this one, question by question.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Comparison {
    /// Right now, not before.
    pub better: Vec<(Done, Done)>,
    /// Right before, not now.
    pub worse: Vec<(Done, Done)>,
    /// Neither right nor wrong changed, but the decision or the first match did.
    pub changed: Vec<(Done, Done)>,
    /// Questions of this run the saved one did not have.
    pub new: usize,
}

/// Compares this run with a saved one (`eudesk eval --json` output), question by
/// question (same text, same language).
pub fn compare(old: &[Done], now: &[Done]) -> Comparison {
    let before: std::collections::HashMap<(&str, &str), &Done> = old
        .iter()
        .map(|d| ((d.question.as_str(), d.lang.as_str()), d))
        .collect();
    let mut out = Comparison::default();
    for d in now {
        let Some(&was) = before.get(&(d.question.as_str(), d.lang.as_str())) else {
            out.new += 1;
            continue;
        };
        let pair = (was.clone(), d.clone());
        match (was.right(), d.right()) {
            (false, true) => out.better.push(pair),
            (true, false) => out.worse.push(pair),
            _ if was.decision != d.decision || was.given != d.given => out.changed.push(pair),
            _ => {}
        }
    }
    out
}

impl fmt::Display for Comparison {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let line = |f: &mut fmt::Formatter<'_>, (was, now): &(Done, Done)| {
            writeln!(
                f,
                "  {} ({}) → expected {}: was {:?} {}, now {:?} {}",
                was.question, was.lang, was.expected, was.decision, was.given, now.decision, now.given
            )
        };
        writeln!(
            f,
            "compared with the saved run: {} better, {} worse, {} changed otherwise, {} new",
            self.better.len(),
            self.worse.len(),
            self.changed.len(),
            self.new
        )?;
        for (title, list) in [
            ("worse", &self.worse),
            ("better", &self.better),
            ("changed", &self.changed),
        ] {
            if !list.is_empty() {
                writeln!(f, "\n{title}:")?;
                for pair in list {
                    line(f, pair)?;
                }
            }
        }
        Ok(())
    }
}

impl Report {
    pub fn out_of_scope_rate(&self) -> f64 {
        Row::rate(self.out_of_scope_answered, self.out_of_scope)
    }
}

/// Runs every case through the matcher.
pub fn evaluate(matcher: &Matcher, cases: &[Case]) -> Report {
    let mut kinds: BTreeMap<String, Row> = BTreeMap::new();
    let mut report = Report::default();
    for case in cases {
        let outcome = matcher.find(&case.question, case.lang);
        let ids: Vec<&str> = outcome.matches.iter().map(|m| m.id.as_str()).collect();
        kinds
            .entry(case.kind.clone())
            .or_insert_with(|| Row {
                kind: case.kind.clone(),
                ..Row::default()
            })
            .add(case, outcome.decision, &ids);
        report.all.add(case, outcome.decision, &ids);
        let given = ids.first().copied().unwrap_or("—");
        report.cases.push(Done {
            question: case.question.clone(),
            lang: case.lang.code().to_owned(),
            expected: case.expected.clone().unwrap_or_else(|| "none".into()),
            decision: outcome.decision,
            given: given.to_owned(),
        });
        match &case.expected {
            None => {
                report.out_of_scope += 1;
                if outcome.decision == Decision::Answer {
                    report.out_of_scope_answered += 1;
                    report
                        .mistakes
                        .push((case.question.clone(), "none".into(), given.to_owned()));
                }
            }
            Some(expected) if outcome.decision == Decision::Answer && given != expected => {
                report
                    .mistakes
                    .push((case.question.clone(), expected.clone(), given.to_owned()));
            }
            Some(_) => {}
        }
    }
    report.all.kind = "all".into();
    report.kinds = kinds.into_values().collect();
    report
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let pct = |r: f64| format!("{:.2}", r);
        writeln!(
            f,
            "{:<16} {:>9} {:>15} {:>6} {:>6} {:>15}",
            "kind", "questions", "answered right", "top-1", "top-3", "false confident"
        )?;
        for row in self.kinds.iter().chain(std::iter::once(&self.all)) {
            if row.in_scope == 0 {
                writeln!(
                    f,
                    "{:<16} {:>9} {:>15} {:>6} {:>6} {:>15}",
                    row.kind, row.questions, "—", "—", "—", row.false_confident
                )?;
                continue;
            }
            writeln!(
                f,
                "{:<16} {:>9} {:>15} {:>6} {:>6} {:>15}",
                row.kind,
                row.questions,
                pct(row.answered_rate()),
                pct(row.top1_rate()),
                pct(row.top3_rate()),
                row.false_confident
            )?;
        }
        writeln!(
            f,
            "\nout of scope answered: {} of {} ({})",
            self.out_of_scope_answered,
            self.out_of_scope,
            pct(self.out_of_scope_rate())
        )?;
        if !self.mistakes.is_empty() {
            writeln!(f, "\nanswered wrong (question → expected, given):")?;
            for (q, expected, given) in &self.mistakes {
                writeln!(f, "  {q} → {expected}, {given}")?;
            }
        }
        Ok(())
    }
}
