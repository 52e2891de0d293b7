//! One thing wrong in a content file (dialogues, surveys, the vocabulary), worded for
//! the person who has to fix it, and the helpers that word it.

use std::fmt;
use std::path::PathBuf;

/// Telegram refuses messages longer than this (in UTF-16 code units).
pub const MAX_TEXT: usize = 4096;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Location {
    File,
    Line { line: usize, column: usize },
    Node(String),
}

/// One thing wrong in a dialogue file, worded for the person who has to fix it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    pub file: PathBuf,
    pub location: Location,
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let file = self.file.display();
        match &self.location {
            Location::File => write!(f, "{file}: {}", self.message),
            Location::Line { line, column } => {
                write!(f, "{file}:{line}:{column}: {}", self.message)
            }
            Location::Node(id) => write!(f, "{file}: {id}: {}", self.message),
        }
    }
}

pub(super) fn unknown_key(key: &str, allowed: &[&str], place: &str) -> String {
    format!(
        "unknown key '{key}' {place}{}; the keys are {}",
        suggestion(key, allowed.iter().copied()),
        allowed.join(", ")
    )
}

/// "; did you mean 'x'?" for the closest candidate, when one is close enough to be a
/// likely typo (at most a third of the letters differ).
pub fn suggestion<'a>(wrong: &str, candidates: impl Iterator<Item = &'a str>) -> String {
    candidates
        .map(|c| (strsim::levenshtein(wrong, c), c))
        .filter(|(d, c)| *d * 3 <= c.chars().count().max(wrong.chars().count()))
        .min()
        .map(|(_, c)| format!("; did you mean \"{c}\"?"))
        .unwrap_or_default()
}

/// 1-based line and column (in characters) of a byte offset, for TOML errors.
pub fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_and_column_count_from_one() {
        assert_eq!(line_column("ab\ncd", 4), (2, 2));
        assert_eq!(line_column("ab", 0), (1, 1));
    }

    #[test]
    fn suggestions_only_for_likely_typos() {
        let ids = ["pcm.logframe", "eu.erasmus"];
        assert_eq!(
            suggestion("pcm.logfrme", ids.iter().copied()),
            "; did you mean \"pcm.logframe\"?"
        );
        assert_eq!(suggestion("youth", ids.iter().copied()), "");
    }
}
