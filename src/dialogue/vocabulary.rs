//! The office's vocabulary, kept as data beside the dialogues (`[vocabulary]`, in
//! `vocabulary.toml`): words that mean the same to the office ("ortak" and "partner",
//! "hibe", "fon" and "para"), filler people type that says nothing ("abi", "bi",
//! "pls"), and names that are context, not topic (universities, towns, countries: "I
//! study at Dokuz Eylül" says who writes, not what they ask). The matcher reads it; an
//! editor adds a word without touching code, and `eudesk check` checks it like a node.

use super::problem::{Location, Problem};
use serde::Deserialize;
use std::collections::HashMap;
use std::path::Path;

/// The vocabulary as the matcher uses it: every word folded as a question's would be.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Vocabulary {
    /// Groups of words that mean the same.
    pub same: Vec<Vec<String>>,
    /// Words that say nothing about what a person wants.
    pub filler: Vec<String>,
    /// Names that say who writes or where from, not what about.
    pub context: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    #[serde(default)]
    same: Vec<Vec<String>>,
    #[serde(default)]
    filler: Vec<String>,
    #[serde(default)]
    context: Vec<String>,
}

fn push(problems: &mut Vec<Problem>, file: &Path, message: String) {
    problems.push(Problem {
        file: file.to_owned(),
        location: Location::File,
        message,
    });
}

/// One word as a question would hold it, or a problem naming it.
fn word(file: &Path, list: &str, w: &str, problems: &mut Vec<Problem>) -> Option<String> {
    let folded = crate::text::fold(w);
    if folded.is_empty() || folded.contains(' ') {
        let message = format!(
            "[vocabulary] {list}: '{w}' is not one word; write each word on its own (a name of two words as two entries)"
        );
        push(problems, file, message);
        return None;
    }
    Some(folded)
}

/// Reads and checks a `[vocabulary]` table; each problem names the file and the word.
pub(super) fn check(file: &Path, value: &toml::Value, problems: &mut Vec<Problem>) -> Option<Vocabulary> {
    let raw: Raw = match value.clone().try_into() {
        Ok(raw) => raw,
        Err(e) => {
            let message = format!(
                "[vocabulary]: {}; it holds `same` (lists of words that mean the same), `filler` and `context` (lists of words)",
                e.message().trim_end()
            );
            push(problems, file, message);
            return None;
        }
    };
    let before = problems.len();
    let mut group_of: HashMap<String, usize> = HashMap::new();
    let mut same = Vec::new();
    for (i, group) in raw.same.iter().enumerate() {
        let mut words: Vec<String> = group.iter().filter_map(|w| word(file, "same", w, problems)).collect();
        if group.len() < 2 {
            let message = format!(
                "[vocabulary] same #{}: {group:?} has one word; a group says which words mean the same, so give at least two",
                i + 1
            );
            push(problems, file, message);
        }
        for w in &words {
            match group_of.get(w) {
                Some(&first) if first != i => {
                    let message = format!(
                        "[vocabulary] same: '{w}' is in group #{} and in group #{}; merge the two groups or keep the word in one",
                        first + 1,
                        i + 1
                    );
                    push(problems, file, message);
                }
                Some(_) => {}
                None => {
                    group_of.insert(w.clone(), i);
                }
            }
        }
        words.dedup();
        same.push(words);
    }
    let plain = |list: &'static str, words: &[String], problems: &mut Vec<Problem>| -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for w in words {
            let Some(folded) = word(file, list, w, problems) else {
                continue;
            };
            if group_of.contains_key(&folded) {
                let message = format!(
                    "[vocabulary] {list}: '{w}' is also in `same`, where it means something; take it out of one of them"
                );
                push(problems, file, message);
            }
            if !out.contains(&folded) {
                out.push(folded);
            }
        }
        out
    };
    let filler = plain("filler", &raw.filler, problems);
    let context = plain("context", &raw.context, problems);
    for w in &filler {
        if context.contains(w) {
            push(
                problems,
                file,
                format!("[vocabulary]: '{w}' is both filler and context; keep it in one list"),
            );
        }
    }
    (problems.len() == before).then_some(Vocabulary { same, filler, context })
}
