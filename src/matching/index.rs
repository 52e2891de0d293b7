//! The index over a tree's matchable nodes: its terms with their postings, the typo and
//! stem look-ups, and how it is built from the dialogues and the learned phrasings.

use super::normalize::stems;
use super::{bm25, normalize};
use crate::dialogue::NodeId;
use crate::lang::Lang;
use std::collections::HashMap;

pub(crate) type TermId = u32;

pub(crate) type DocId = u32;

pub(crate) struct Term {
    pub(super) text: String,
    pub(super) idf: f32,
    /// Documents containing the term, with the weight of the field it is in.
    pub(super) postings: Vec<(DocId, f32)>,
}

pub(crate) struct Doc {
    pub(super) node: u32,
    pub(super) lang: Lang,
    /// The label and each `ask` phrasing, as terms.
    pub(super) phrases: Vec<Vec<TermId>>,
}

/// The index over a tree's matchable nodes.
pub struct Matcher {
    pub(super) ids: Vec<NodeId>,
    pub(super) docs: Vec<Doc>,
    pub(super) terms: Vec<Term>,
    pub(super) vocab: HashMap<String, TermId>,
    /// The vocabulary in order, for prefix look-ups.
    pub(super) sorted: Vec<(String, TermId)>,
    /// Symmetric-delete index for typos: hash of a term with one (or two) letters
    /// deleted → terms.
    pub(super) deletes: HashMap<u64, Vec<TermId>>,
    /// Snowball stems (Turkish and English) → the terms that have them.
    pub(super) stems: HashMap<String, Vec<TermId>>,
    /// Weight of a question word the index does not know: as rare as the rarest word,
    /// because an unknown word is usually the point of the question ("vize").
    pub(super) unknown_weight: f32,
    /// The whole message's second reading (see `bm25`).
    pub(super) bm25: bm25::Bm25,
    /// The office's vocabulary: groups of words that mean the same, and for each word
    /// its group.
    pub(super) groups: Vec<Vec<String>>,
    pub(super) group_of: HashMap<String, usize>,
    /// Each group's words' stems, for the whole-message reading (stemming a group of a
    /// dozen words for every question word cost more than the rest of a match).
    pub(super) group_stems: Vec<Vec<String>>,
    /// Filler and context names: left out of a question before it is scored.
    pub(super) ignored: std::collections::HashSet<String>,
}

#[derive(Default)]
pub(crate) struct Builder {
    pub(super) ids: Vec<NodeId>,
    pub(super) docs: Vec<Doc>,
    pub(super) vocab: HashMap<String, TermId>,
    pub(super) postings: Vec<Vec<(DocId, f32)>>,
    pub(super) bm25: bm25::Builder,
}

/// FNV-1a over the characters: the typo index hashes many deletion variants of each
/// word, and this needs no allocation per variant.
pub(crate) fn hash(chars: impl Iterator<Item = char>) -> u64 {
    chars.fold(0xcbf2_9ce4_8422_2325, |h, c| {
        (h ^ c as u64).wrapping_mul(0x0100_0000_01b3)
    })
}

/// Hashes of `chars` with one letter deleted, and with two when `max` is 2.
pub(crate) fn deletions(chars: &[char], max: usize, out: &mut Vec<u64>) {
    let n = chars.len();
    let without = |skip: &[usize]| {
        hash(
            chars
                .iter()
                .enumerate()
                .filter(|(k, _)| !skip.contains(k))
                .map(|(_, c)| *c),
        )
    };
    for i in 0..n {
        out.push(without(&[i]));
        if max >= 2 {
            for j in i + 1..n {
                out.push(without(&[i, j]));
            }
        }
    }
}

pub(crate) fn max_edits(len: usize) -> usize {
    if len >= 9 { 2 } else { 1 }
}

/// Shorter words are not typo-matched: one edit in a three-letter word makes another
/// word.
pub(crate) const MIN_TYPO_LEN: usize = 4;

/// Question and index words must share at least this many first letters to count as
/// one word with different suffixes; four keeps "ajans"/"ajansi" together while
/// "pro" does not pull in every word starting with it.
pub(crate) const MIN_STEM: usize = 4;

impl Builder {
    pub(super) fn term(&mut self, word: &str) -> TermId {
        if let Some(&t) = self.vocab.get(word) {
            return t;
        }
        let t = self.postings.len() as TermId;
        self.vocab.insert(word.to_owned(), t);
        self.postings.push(Vec::new());
        t
    }

    pub(super) fn phrase(&mut self, text: &str) -> Vec<TermId> {
        let mut terms: Vec<TermId> = normalize::words(text).iter().map(|w| self.term(w)).collect();
        terms.dedup();
        terms
    }

    pub(super) fn finish(self, vocabulary: &crate::dialogue::Vocabulary) -> Matcher {
        let n = self.docs.len().max(1) as f32;
        let mut texts = vec![String::new(); self.postings.len()];
        for (word, &t) in &self.vocab {
            texts[t as usize] = word.clone();
        }
        let terms: Vec<Term> = self
            .postings
            .into_iter()
            .zip(texts)
            .map(|(postings, text)| Term {
                text,
                idf: (1.0 + n / postings.len().max(1) as f32).ln(),
                postings,
            })
            .collect();
        let unknown_weight = terms.iter().map(|t| t.idf).fold(1.0, f32::max);
        let mut sorted: Vec<(String, TermId)> = self.vocab.iter().map(|(s, &t)| (s.clone(), t)).collect();
        sorted.sort();
        let mut deletes: HashMap<u64, Vec<TermId>> = HashMap::new();
        for (word, t) in &sorted {
            let chars: Vec<char> = word.chars().collect();
            if chars.len() < MIN_TYPO_LEN {
                continue;
            }
            let mut keys = vec![hash(chars.iter().copied())];
            deletions(&chars, max_edits(chars.len()), &mut keys);
            keys.sort_unstable();
            keys.dedup();
            for k in keys {
                deletes.entry(k).or_default().push(*t);
            }
        }
        let mut stem_index: HashMap<String, Vec<TermId>> = HashMap::new();
        for (word, t) in &sorted {
            if word.chars().count() < MIN_STEM {
                continue;
            }
            for stem in stems(word) {
                let terms = stem_index.entry(stem).or_default();
                if !terms.contains(t) {
                    terms.push(*t);
                }
            }
        }
        Matcher {
            ids: self.ids,
            docs: self.docs,
            terms,
            vocab: self.vocab,
            sorted,
            deletes,
            stems: stem_index,
            unknown_weight,
            bm25: self.bm25.finish(),
            groups: vocabulary.same.clone(),
            group_stems: vocabulary
                .same
                .iter()
                .map(|g| {
                    let mut keys: Vec<String> = g.iter().flat_map(|w| stems(w)).collect();
                    keys.sort();
                    keys.dedup();
                    keys
                })
                .collect(),
            group_of: vocabulary
                .same
                .iter()
                .enumerate()
                .flat_map(|(i, g)| g.iter().map(move |w| (w.clone(), i)))
                .collect(),
            ignored: vocabulary.filler.iter().chain(&vocabulary.context).cloned().collect(),
        }
    }
}

/// Longer words are looked up only as they are. The longest word of the shipped content
/// has 21 letters ("uluslararasilastirma"-like compounds); a Turkish word with a few
/// suffixes stays under 30. Without this bound one 4,096-letter word took minutes in the
/// typo look-up (two deletions: millions of variants, each hashed over the whole word)
/// and stalled every other chat.
pub const MAX_FUZZY_CHARS: usize = 32;

/// What a message's word is, computed once per message.
pub(super) struct Word {
    /// Its Snowball stems (Turkish, English).
    pub(super) stems: [String; 2],
    /// Its group in the office's vocabulary.
    pub(super) group: Option<usize>,
}

impl Word {
    pub(super) fn of(matcher: &Matcher, word: &str) -> Word {
        // No real word is this long (see `MAX_FUZZY_CHARS`): looked up as it is, not
        // stemmed or cut, which would cost with the square of its length.
        if word.chars().count() > MAX_FUZZY_CHARS {
            return Word {
                stems: [format!("tr:{word}"), format!("en:{word}")],
                group: None,
            };
        }
        Word {
            stems: normalize::stems(word),
            group: matcher.group(word),
        }
    }
}
