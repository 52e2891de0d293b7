//! Free-text questions → FAQ nodes.
//!
//! Every matchable node becomes one document per language, made of its label, its
//! `ask` phrasings and its text. A question's words are looked up in an index built
//! once at load, with tolerance for Turkish suffixes ("erasmusa" → "erasmus") and
//! typos (one edit, two in long words), and weighted by how rare they are, so that
//! "logframe" decides more than "proje".

mod bm25;
mod decision;
pub mod eval;
mod index;
pub mod normalize;
mod pulls;
pub mod worker;

use decision::decide;
pub use decision::{ANSWER, Decision, MARGIN, Match, Outcome, SUGGEST, Signals};
pub use index::Matcher;
use index::{Builder, Doc, DocId, MAX_FUZZY_CHARS, MIN_STEM, MIN_TYPO_LEN, TermId, Word, deletions, hash, max_edits};
pub use pulls::{Pull, pulls};

use crate::dialogue::Tree;
use crate::lang::Lang;
use std::collections::HashMap;

/// At most this many matches are reported (`eudesk match --json`).
pub const MAX_MATCHES: usize = 5;

/// At most this many "did you mean" buttons.
pub const MAX_SUGGESTIONS: usize = 3;

/// Words in a label or an `ask` phrasing say what a node is about; words in its text
/// only that the node mentions them.
const TITLE_WEIGHT: f32 = 1.0;
const TEXT_WEIGHT: f32 = 0.6;

/// An answer in the other language is still an answer, but the person's own language
/// wins a tie.
const OTHER_LANGUAGE: f32 = 0.9;

/// How the final score mixes how much of the question a node covers with how closely
/// the question matches one of its phrasings (which separates "erasmus" from
/// "erasmus ka1" when both contain "erasmus").
const COVERAGE_SHARE: f32 = 0.75;

/// A sentence of a longer message that does not ask anything (context: who writes,
/// what happened) counts this much: it may still name the topic, but a sentence that
/// asks names it better.
const CONTEXT_SENTENCE: f32 = 0.85;

/// A word counts as shared "for real" with a node (anchoring it) when it matches at
/// least this well: exactly or by a suffix, not by a typo only.
const ANCHOR_SIMILARITY: f32 = 0.9;

/// Phrasing similarity is only computed for the best candidates by coverage.
const PHRASE_CANDIDATES: usize = 40;

/// One node's score for one unit, with its signals.
#[derive(Clone, Copy, Debug)]
struct Scored {
    node: u32,
    score: f32,
    explained: f32,
    anchored: f32,
    unknown: f32,
    words: usize,
}

impl Matcher {
    pub fn new(tree: &Tree) -> Matcher {
        Matcher::with_learned(tree, &[])
    }

    /// The index with phrasings learned from staff besides the tree's own `ask`
    /// lists: (node id, language, phrasing). Phrasings of nodes the tree no longer has
    /// are left out.
    pub fn with_learned(tree: &Tree, learned: &[(String, Lang, String)]) -> Matcher {
        let mut b = Builder::default();
        let vocabulary = tree.vocabulary();
        for node in tree.nodes().filter(|n| n.matchable) {
            let n = b.ids.len() as u32;
            b.ids.push(node.id.clone());
            for lang in Lang::ALL {
                let mut phrases = vec![b.phrase(node.label.get(lang))];
                phrases.extend(node.ask.get(lang).iter().map(|a| b.phrase(a)));
                phrases.extend(
                    learned
                        .iter()
                        .filter(|(id, l, _)| *l == lang && id == node.id.as_str())
                        .map(|(_, _, text)| b.phrase(text)),
                );
                let doc = b.docs.len() as DocId;
                let mut fields: HashMap<TermId, f32> = HashMap::new();
                for &t in phrases.iter().flatten() {
                    fields.insert(t, TITLE_WEIGHT);
                }
                for w in normalize::words(node.plain.get(lang)) {
                    let t = b.term(&w);
                    fields.entry(t).or_insert(TEXT_WEIGHT);
                }
                for (t, w) in fields {
                    b.postings[t as usize].push((doc, w));
                }
                let mut titles: Vec<&str> = vec![node.label.get(lang)];
                titles.extend(node.ask.get(lang).iter().map(String::as_str));
                titles.extend(
                    learned
                        .iter()
                        .filter(|(id, l, _)| *l == lang && id == node.id.as_str())
                        .map(|(_, _, text)| text.as_str()),
                );
                b.bm25.add(n, lang, &titles, node.plain.get(lang));
                b.docs.push(Doc { node: n, lang, phrases });
            }
        }
        b.finish(vocabulary)
    }

    pub fn len(&self) -> usize {
        self.ids.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// Matches a question in `lang`, falling back to the other language. A message of
    /// several sentences is scored as a whole and sentence by sentence, each node
    /// keeping its best: the sentence that asks is heard however much context comes
    /// around it.
    pub fn find(&self, question: &str, lang: Lang) -> Outcome {
        let mut units = normalize::units(question);
        // Filler and names of places and schools say nothing of the topic: they neither
        // count against a node nor for one.
        for unit in &mut units {
            unit.words.retain(|w| !self.ignored.contains(w));
        }
        units.retain(|u| !u.words.is_empty());
        if units.is_empty() || self.docs.is_empty() {
            return Outcome::escalate();
        }
        // Each word's stems and vocabulary group, once per message (the whole message
        // holds every word of its sentences).
        let known: HashMap<&str, Word> = units[0].words.iter().map(|w| (w.as_str(), Word::of(self, w))).collect();
        let mut candidates: HashMap<String, Vec<(TermId, f32)>> = HashMap::new();
        let mut best: HashMap<u32, Scored> = HashMap::new();
        for unit in &units {
            for mut scored in self.score_unit(&unit.words, lang, &known, &mut candidates) {
                if !unit.asks {
                    scored.score *= CONTEXT_SENTENCE;
                }
                let e = best.entry(scored.node).or_insert(scored);
                if scored.score > e.score {
                    *e = scored;
                }
            }
        }
        if best.is_empty() {
            return Outcome::escalate();
        }
        let mut ranked: Vec<Scored> = best.into_values().collect();
        ranked.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.node.cmp(&b.node)));
        // The whole message read the other way, and the two rankings fused: a node both
        // put high comes first.
        // By stem and the office's vocabulary only: a typo is the main reading's to
        // forgive (read with typos, messages about something else agreed too often).
        let keys = |w: &str| {
            let Some(word) = known.get(w) else {
                return Vec::new();
            };
            let mut keys: Vec<&str> = word.stems.iter().map(String::as_str).collect();
            if let Some(g) = word.group {
                keys.extend(self.group_stems[g].iter().map(String::as_str));
            }
            keys
        };
        let hits = self.bm25.rank(&units[0].words, &keys, lang, OTHER_LANGUAGE);
        let bm25_rank = |node: u32| {
            hits.iter()
                .position(|h| h.node == node)
                .unwrap_or(hits.len() + ranked.len())
        };
        let mut fused: Vec<(f32, f32, usize, usize)> = ranked
            .iter()
            .enumerate()
            .map(|(r, s)| {
                let b = bm25_rank(s.node);
                let f = 1.0 / (FUSION_K + r as f32) + 1.0 / (FUSION_K + b as f32);
                (f, s.score, b, r)
            })
            .collect();
        // Equal by both, the better score; equal scores (two nodes holding the same
        // phrasing), the whole-message reading decides, not the order of the files.
        fused.sort_by(|a, b| {
            b.0.total_cmp(&a.0)
                .then(b.1.total_cmp(&a.1))
                .then(a.2.cmp(&b.2))
                .then(a.3.cmp(&b.3))
        });
        let mut ranked: Vec<Scored> = fused.into_iter().map(|(_, _, _, r)| ranked[r]).collect();
        let first = ranked[0];
        let hit = hits.iter().find(|h| h.node == first.node).copied().unwrap_or_default();
        let signals = Signals {
            top: first.score,
            second: ranked[1..].iter().map(|s| s.score).fold(0.0, f32::max),
            explained: first.explained,
            anchored: first.anchored,
            unknown: first.unknown,
            words: first.words,
            // A message whose words this reading does not hold at all ("logfrmae") has
            // no objection to make.
            agree: hits.first().is_none_or(|h| h.node == first.node),
            held: hit.share,
            bm25_lead: match hits.as_slice() {
                [a, b, ..] if a.node == first.node => 1.0 - b.score / a.score,
                [a] if a.node == first.node => 1.0,
                _ => 0.0,
            },
        };
        ranked.truncate(MAX_MATCHES);
        // Best first by both readings; a node placed after another never shows a
        // higher score than it (its own reading alone would have put it first).
        let mut ceiling = f32::INFINITY;
        let matches: Vec<Match> = ranked
            .into_iter()
            .map(|s| {
                ceiling = ceiling.min(s.score);
                Match {
                    id: self.ids[s.node as usize].clone(),
                    score: ceiling,
                }
            })
            .collect();
        Outcome {
            decision: decide(&signals),
            matches,
            signals,
        }
    }

    /// Scores one unit (the whole question, or one of its sentences) against every
    /// node it touches.
    fn score_unit(
        &self,
        words: &[String],
        lang: Lang,
        known: &HashMap<&str, Word>,
        cache: &mut HashMap<String, Vec<(TermId, f32)>>,
    ) -> Vec<Scored> {
        // For each question word, the index terms it may stand for, and its weight.
        let mut matched: HashMap<TermId, f32> = HashMap::new();
        let mut total_weight = 0.0;
        let mut unknown_weight = 0.0;
        let mut coverage = vec![0.0f32; self.docs.len()];
        // Weight of the words a document has exactly or by a suffix (not by a typo):
        // a node that shares only near-spellings with a question is no answer to it.
        let mut anchor = vec![0.0f32; self.docs.len()];
        let mut best_for_word = vec![0.0f32; self.docs.len()];
        let mut touched: Vec<DocId> = Vec::new();
        for word in words {
            let candidates = cache
                .entry(word.clone())
                .or_insert_with(|| match known.get(word.as_str()) {
                    Some(w) => self.candidates(word, w),
                    None => self.candidates(word, &Word::of(self, word)),
                })
                .clone();
            let weight = candidates
                .iter()
                .map(|&(t, _)| self.terms[t as usize].idf)
                .fold(None, |m: Option<f32>, x| Some(m.map_or(x, |m| m.max(x))))
                .unwrap_or(self.unknown_weight);
            total_weight += weight;
            if candidates.is_empty() {
                unknown_weight += weight;
            }
            let mut word_docs: Vec<DocId> = Vec::new();
            for &(t, sim) in &candidates {
                let e = matched.entry(t).or_insert(0.0);
                *e = e.max(sim);
                for &(d, field) in &self.terms[t as usize].postings {
                    let s = sim * field;
                    let slot = &mut best_for_word[d as usize];
                    if *slot == 0.0 {
                        word_docs.push(d);
                    }
                    if s > *slot {
                        *slot = s;
                    }
                }
            }
            for d in word_docs {
                let c = &mut coverage[d as usize];
                if *c == 0.0 {
                    touched.push(d);
                }
                let got = best_for_word[d as usize];
                *c += weight * got;
                if got >= ANCHOR_SIMILARITY * TITLE_WEIGHT {
                    anchor[d as usize] += weight;
                }
                best_for_word[d as usize] = 0.0;
            }
        }
        if touched.is_empty() || total_weight == 0.0 {
            return Vec::new();
        }
        touched.sort_by(|a, b| coverage[*b as usize].total_cmp(&coverage[*a as usize]));
        touched.truncate(PHRASE_CANDIDATES);
        let known_weight = (total_weight - unknown_weight).max(f32::EPSILON);
        let mut by_node: HashMap<u32, Scored> = HashMap::new();
        for d in touched {
            let doc = &self.docs[d as usize];
            let cov = coverage[d as usize] / total_weight;
            let phrase = doc
                .phrases
                .iter()
                .map(|p| self.phrase_similarity(p, &matched))
                .fold(0.0, f32::max);
            let mut score = COVERAGE_SHARE * cov + (1.0 - COVERAGE_SHARE) * phrase;
            if doc.lang != lang {
                score *= OTHER_LANGUAGE;
            }
            let scored = Scored {
                node: doc.node,
                score: score.min(1.0),
                explained: (coverage[d as usize] / known_weight).min(1.0),
                anchored: anchor[d as usize] / total_weight,
                unknown: unknown_weight / total_weight,
                words: words.len(),
            };
            let e = by_node.entry(doc.node).or_insert(scored);
            if scored.score > e.score {
                *e = scored;
            }
        }
        by_node.into_values().collect()
    }

    /// How much of a phrasing (by word rarity) the question's words cover.
    fn phrase_similarity(&self, phrase: &[TermId], matched: &HashMap<TermId, f32>) -> f32 {
        let (mut hit, mut all) = (0.0, 0.0);
        for t in phrase {
            let idf = self.terms[*t as usize].idf;
            all += idf;
            hit += idf * matched.get(t).copied().unwrap_or(0.0);
        }
        if all == 0.0 { 0.0 } else { hit / all }
    }

    /// The group of the office's vocabulary `word` belongs to, as it is or with a
    /// Turkish suffix ("ortaklar", "paralari").
    fn group(&self, word: &str) -> Option<usize> {
        let bounds: Vec<usize> = word.char_indices().map(|(i, _)| i).chain([word.len()]).collect();
        let len = bounds.len() - 1;
        // The whole word, or the word less a suffix: up to seven letters after a word
        // of four or more ("ortak-larimiz"), three after a shorter one ("fon-lar").
        let group = (MIN_SYNONYM..=len)
            .rev()
            .filter(|&k| len - k <= if k >= 4 { 7 } else { 3 })
            .find_map(|k| self.group_of.get(&word[..bounds[k]]));
        group.copied()
    }

    /// The index terms a question word may stand for, each with a similarity in 0..1.
    fn candidates(&self, word: &str, known: &Word) -> Vec<(TermId, f32)> {
        let mut found: Vec<(TermId, f32)> = Vec::new();
        let mut add = |t: TermId, s: f32| match found.iter_mut().find(|(x, _)| *x == t) {
            Some((_, best)) => *best = best.max(s),
            None => found.push((t, s)),
        };
        let exact = self.vocab.get(word).copied();
        if let Some(t) = exact {
            add(t, 1.0);
        }
        // A word the office uses for the same thing: nearly the word itself, as it is
        // or with a suffix in the content ("maliyet" → "maliyetler").
        let synonyms = known.group.map(|g| self.groups[g].iter().filter(|w| *w != word));
        for same in synonyms.into_iter().flatten() {
            if let Some(&t) = self.vocab.get(same) {
                add(t, SYNONYM);
            }
            if same.chars().count() >= MIN_STEM {
                let start = self.sorted.partition_point(|(s, _)| s.as_str() < same.as_str());
                for (_, t) in self.sorted[start..]
                    .iter()
                    .take_while(|(s, _)| s.starts_with(same.as_str()))
                    .take(8)
                {
                    add(*t, SYNONYM * STEMMED);
                }
            }
        }
        let chars: Vec<char> = word.chars().collect();
        let len = chars.len();
        // No real word is this long; tolerance for suffixes and typos would only cost
        // time (the typo look-up grows with the cube of a word's length).
        if len > MAX_FUZZY_CHARS {
            return found;
        }
        // Byte offsets of each character boundary, to slice `word` without allocating.
        let bounds: Vec<usize> = word.char_indices().map(|(i, _)| i).chain([word.len()]).collect();
        // A Turkish suffix on the question word: "erasmusa", "projeyi", "basvurusu".
        for k in (MIN_STEM..len).rev() {
            if let Some(&t) = self.vocab.get(&word[..bounds[k]]) {
                add(t, stem_similarity(k, len));
            }
        }
        // A suffix on the indexed word, or both ("basvuru" ~ "basvurmak"): words that
        // share the question word's first letters.
        if len >= MIN_STEM {
            let prefix = &word[..bounds[len.min(SHARED_STEM)]];
            let start = self.sorted.partition_point(|(s, _)| s.as_str() < prefix);
            for (term, t) in self.sorted[start..]
                .iter()
                .take_while(|(s, _)| s.starts_with(prefix))
                .take(64)
            {
                let common = term.chars().zip(&chars).take_while(|(a, b)| a == *b).count();
                let tlen = term.chars().count();
                if common == len.min(tlen) || common >= SHARED_STEM {
                    add(*t, stem_similarity(common, len.max(tlen)));
                }
            }
        }
        // The same word under Snowball's Turkish or English stemmer ("hibeleri",
        // "hibelerin" → "hibe"; "applications" → "applic"): suffixes that are not a
        // plain extension of the stem.
        if len >= MIN_STEM {
            for stem in &known.stems {
                for &t in self.stems.get(stem).map(Vec::as_slice).unwrap_or_default() {
                    add(t, STEMMED);
                }
            }
        }
        // Typos: one edit, two in long words. A word the index knows as it is was
        // most likely meant as it is.
        if len >= MIN_TYPO_LEN && exact.is_none() {
            let mut keys = vec![hash(chars.iter().copied())];
            deletions(&chars, max_edits(len), &mut keys);
            keys.sort_unstable();
            keys.dedup();
            for key in keys {
                for &t in self.deletes.get(&key).map(Vec::as_slice).unwrap_or_default() {
                    let term = self.terms[t as usize].text.as_str();
                    let allowed = max_edits(len.min(term.chars().count()));
                    let d = strsim::osa_distance(word, term);
                    if d > 0 && d <= allowed {
                        add(t, if d == 1 { 0.85 } else { 0.7 });
                    }
                }
            }
        }
        found
    }
}

/// Two words sharing this many first letters are taken as one root with different
/// Turkish suffixes ("basvur-usu", "basvur-mak").
const SHARED_STEM: usize = 5;

/// The more of the longer word the shared stem covers, the surer the match: 0.7 plus
/// up to 0.25.
fn stem_similarity(common: usize, longer: usize) -> f32 {
    0.7 + 0.25 * common as f32 / longer.max(1) as f32
}

/// How sure a match through a shared Snowball stem is: as sure as a one-letter typo.
const STEMMED: f32 = 0.85;

/// How sure a match through the office's vocabulary is ("para" for "hibe").
const SYNONYM: f32 = 0.9;

/// The shortest vocabulary word found in a question word with a suffix ("ab").
const MIN_SYNONYM: usize = 2;

/// Reciprocal-rank fusion of the two readings: a node's fused score is the sum of
/// 1 / (K + its rank) in each. A small K lets the first places decide.
const FUSION_K: f32 = 5.0;
