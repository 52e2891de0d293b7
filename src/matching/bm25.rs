//! A second reading of the whole message: BM25F over each node's label, `ask`
//! phrasings and text, word for word by Snowball stem. The main score (in `mod.rs`)
//! asks how much of the question one node covers and how close it comes to one
//! phrasing; this asks which node's words the message as a whole is made of, however
//! long it is and however many sentences give context. Where the two agree, the node
//! is understood even when neither alone would be sure (a long message, a rewording).
//!
//! Small enough to keep here (about a hundred lines over 80 documents); the crates
//! that offer BM25 bring a whole search engine and their own tokenizers, which know
//! nothing of questions typed without Turkish letters.

use super::normalize;
use crate::lang::Lang;
use std::collections::HashMap;

/// How fast a word's weight saturates with repetition, and how much a long document is
/// held back: the usual values; the documents are short and alike in length.
const K1: f32 = 1.2;
const B: f32 = 0.6;

/// A label or an `ask` phrasing says what a node is about; the text only mentions.
const TITLE_FIELD: f32 = 2.0;
const TEXT_FIELD: f32 = 1.0;

/// One document: a node in one language.
struct Doc {
    node: u32,
    lang: Lang,
    /// Weighted length (words of titles count `TITLE_FIELD` each).
    len: f32,
}

/// The index: for each stem, the documents that hold it and its weighted frequency.
pub(super) struct Bm25 {
    docs: Vec<Doc>,
    postings: HashMap<String, Vec<(u32, f32)>>,
    avg_len: f32,
}

/// A node's BM25 score for a message, and the share of the message's weight (by
/// stem rarity) that the node holds at all.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub(super) struct Hit {
    pub node: u32,
    pub score: f32,
    pub share: f32,
}

/// Builds the index from (node, language, title texts, body text) in order.
#[derive(Default)]
pub(super) struct Builder {
    docs: Vec<Doc>,
    postings: HashMap<String, Vec<(u32, f32)>>,
    /// Each word's stems, computed once: a large tree repeats its words many times.
    stems: HashMap<String, [String; 2]>,
}

impl Builder {
    pub fn add(&mut self, node: u32, lang: Lang, titles: &[&str], text: &str) {
        let d = self.docs.len() as u32;
        let mut tf: HashMap<String, f32> = HashMap::new();
        let mut len = 0.0;
        // A document is keyed by its own language's stems (the key carries the
        // language: "tr:…", "en:…").
        let which = match lang {
            Lang::Tr => 0,
            Lang::En => 1,
        };
        for (field, texts) in [(TITLE_FIELD, titles.to_vec()), (TEXT_FIELD, vec![text])] {
            for t in texts {
                for w in normalize::words(t) {
                    let stems = self.stems.entry(w).or_insert_with_key(|w| normalize::stems(w));
                    *tf.entry(stems[which].clone()).or_insert(0.0) += field;
                    len += field;
                }
            }
        }
        for (k, f) in tf {
            self.postings.entry(k).or_default().push((d, f));
        }
        self.docs.push(Doc { node, lang, len });
    }

    pub fn finish(self) -> Bm25 {
        let avg_len = self.docs.iter().map(|d| d.len).sum::<f32>() / self.docs.len().max(1) as f32;
        Bm25 {
            docs: self.docs,
            postings: self.postings,
            avg_len: avg_len.max(1.0),
        }
    }
}

impl Bm25 {
    fn idf(&self, df: usize) -> f32 {
        let n = self.docs.len() as f32;
        (1.0 + (n - df as f32 + 0.5) / (df as f32 + 0.5)).ln()
    }

    /// Scores the message's words (each once; `keys` gives a word's stems in both
    /// languages, with those of the words of the office's vocabulary that mean the
    /// same) against every node, best first; a document in the other language than
    /// the person's counts `other` of its score.
    pub fn rank<'k>(&self, words: &[String], keys: &dyn Fn(&str) -> Vec<&'k str>, lang: Lang, other: f32) -> Vec<Hit> {
        let mut scores = vec![0.0f32; self.docs.len()];
        let mut held = vec![0.0f32; self.docs.len()];
        let mut total = 0.0f32;
        // This word's best score in each document, and the documents it touched.
        let mut best = vec![0.0f32; self.docs.len()];
        let mut touched: Vec<u32> = Vec::new();
        for word in words {
            // A word and its synonyms are one query term: the best of them counts. Both
            // languages' stems: a Turkish message may hold English words.
            let mut weight = 0.0f32;
            {
                for key in keys(word) {
                    let Some(postings) = self.postings.get(key) else {
                        continue;
                    };
                    let idf = self.idf(postings.len());
                    weight = weight.max(idf);
                    for &(d, tf) in postings {
                        let doc = &self.docs[d as usize];
                        let norm = tf * (K1 + 1.0) / (tf + K1 * (1.0 - B + B * doc.len / self.avg_len));
                        let slot = &mut best[d as usize];
                        if *slot == 0.0 {
                            touched.push(d);
                        }
                        *slot = slot.max(idf * norm);
                    }
                }
            }
            // A word no document holds weighs as the rarest: it is likely the point.
            if weight == 0.0 {
                weight = self.idf(1);
            }
            total += weight;
            for d in touched.drain(..) {
                scores[d as usize] += std::mem::take(&mut best[d as usize]);
                held[d as usize] += weight;
            }
        }
        let mut by_node: HashMap<u32, Hit> = HashMap::new();
        for (d, doc) in self.docs.iter().enumerate() {
            if scores[d] == 0.0 {
                continue;
            }
            let score = if doc.lang == lang { scores[d] } else { scores[d] * other };
            let hit = Hit {
                node: doc.node,
                score,
                share: if total > 0.0 { held[d] / total } else { 0.0 },
            };
            let e = by_node.entry(doc.node).or_insert(hit);
            if hit.score > e.score {
                *e = hit;
            }
        }
        let mut hits: Vec<Hit> = by_node.into_values().collect();
        hits.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.node.cmp(&b.node)));
        hits
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plain(w: &str) -> Vec<&'static str> {
        // Leaked: a test's handful of words.
        super::normalize::stems(w).map(|s| &*s.leak()).to_vec()
    }

    fn index() -> Bm25 {
        let mut b = Builder::default();
        b.add(
            0,
            Lang::Tr,
            &["Mantıksal çerçeve matrisi"],
            "Müdahale mantığı, göstergeler ve varsayımlar.",
        );
        b.add(
            0,
            Lang::En,
            &["Logical framework matrix"],
            "Intervention logic, indicators, assumptions.",
        );
        b.add(
            1,
            Lang::Tr,
            &["Bütçe hazırlamak"],
            "Uygun maliyetler, eş finansman, götürü tutarlar.",
        );
        b.add(
            1,
            Lang::En,
            &["Preparing the budget"],
            "Eligible costs, co-financing, lump sums.",
        );
        b.finish()
    }

    #[test]
    fn the_node_whose_words_the_message_is_made_of_comes_first() {
        let words = normalize::words("hocam butcede es finansman zorunlu mu, maliyetler nasil hesaplaniyor");
        let hits = index().rank(&words, &plain, Lang::Tr, 0.9);
        assert_eq!(hits[0].node, 1);
        assert!(hits[0].share > 0.5, "{hits:?}");
    }

    #[test]
    fn a_synonym_of_the_office_counts_as_the_word() {
        let words = normalize::words("costs");
        let also = |w: &str| {
            let mut keys = plain(w);
            if w == "money" {
                keys.extend(plain("costs"));
            }
            keys
        };
        let direct = index().rank(&words, &plain, Lang::En, 0.9);
        let words = normalize::words("money");
        let through = index().rank(&words, &also, Lang::En, 0.9);
        assert_eq!(through[0].node, direct[0].node);
        assert_eq!(through[0].node, 1);
    }
}
