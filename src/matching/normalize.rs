//! Turning what people type into comparable words: Turkish-aware case folding,
//! diacritics removed, apostrophe suffixes cut, greetings and filler words dropped.

pub use crate::text::fold;

/// Words that say nothing about what a person wants: greetings, politeness, question
/// words and pronouns, in both languages, already folded. Rare words carry the meaning;
/// these would only add noise to every score.
const STOPWORDS: &[&str] = &[
    // Turkish
    "merhaba",
    "merhabalar",
    "selam",
    "selamlar",
    "slm",
    "mrb",
    "sa",
    "as",
    "iyi",
    "gunler",
    "aksamlar",
    "hocam",
    "lutfen",
    "rica",
    "ederim",
    "tesekkur",
    "tesekkurler",
    "sagol",
    "sagolun",
    "acaba",
    "bir",
    "bu",
    "su",
    "o",
    "ve",
    "veya",
    "ya",
    "ile",
    "de",
    "da",
    "mi",
    "mu",
    "ne",
    "nedir",
    "neler",
    "nelerdir",
    "nasil",
    "hakkinda",
    "bilgi",
    "almak",
    "istiyorum",
    "isterim",
    "istiyoruz",
    "ogrenmek",
    "var",
    "mii",
    "icin",
    "gibi",
    "ben",
    "biz",
    "bana",
    "beni",
    "benim",
    "bize",
    "siz",
    "size",
    "sizin",
    "hangi",
    "nereden",
    "nerede",
    "kim",
    "kimler",
    "olur",
    "olarak",
    "ama",
    "fakat",
    "cok",
    "daha",
    "ki",
    "yani",
    "sey",
    "hk",
    "verir",
    "misiniz",
    "musunuz",
    "miyim",
    "miyiz",
    "yardimci",
    "yardim",
    "eder",
    "edebilir",
    "olabilir",
    "olmak",
    "olan",
    "oldugu",
    "nasildir",
    "yapmam",
    "gerekiyor",
    "gerekir",
    "gerek",
    "lazim",
    "tam",
    // Verbs any question may use ("nasıl alınır", "yapabilir miyim"): they say how
    // one asks, not what about; left in, "vize nasıl alınır" found "PIC nasıl alınır".
    "alinir",
    "alabilir",
    "alabilirim",
    "alabiliriz",
    "alirim",
    "yapilir",
    "yapabilir",
    "yapabilirim",
    "yapabiliriz",
    "yapmaliyim",
    "yapmaliyiz",
    "yapmak",
    "edilir",
    "olunur",
    "olmali",
    "ogrenebilir",
    "ogrenebilirim",
    "merak",
    "ediyorum",
    "ederiz",
    "ediyoruz",
    "gunaydin",
    "kolay",
    "gelsin",
    "calismalar",
    "sevgiler",
    "saygilar",
    "saygilarimla",
    "simdiden",
    // English
    "hello",
    "hi",
    "hey",
    "dear",
    "please",
    "thanks",
    "thank",
    "you",
    "what",
    "whats",
    "is",
    "are",
    "the",
    "a",
    "an",
    "how",
    "do",
    "does",
    "i",
    "can",
    "could",
    "to",
    "of",
    "for",
    "about",
    "in",
    "on",
    "with",
    "my",
    "me",
    "we",
    "our",
    "your",
    "it",
    "its",
    "this",
    "that",
    "there",
    "be",
    "get",
    "want",
    "would",
    "like",
    "know",
    "tell",
    "info",
    "information",
    "some",
    "any",
    "where",
    "which",
    "who",
    "should",
    "need",
    "and",
    "or",
    "s",
    "am",
    "was",
    "will",
    "us",
    "help",
    "mean",
    "explain",
    "lot",
    "regards",
    "best",
    "kind",
    "greetings",
    "good",
    "morning",
    "afternoon",
    "evening",
    "appreciate",
    "wondering",
    "obtain",
    "just",
    "really",
    "advance",
];

/// Whether a folded word is one of `STOPWORDS`: a set, since a long message has
/// hundreds of words.
pub fn is_stopword(word: &str) -> bool {
    static SET: std::sync::LazyLock<std::collections::HashSet<&'static str>> =
        std::sync::LazyLock::new(|| STOPWORDS.iter().copied().collect());
    SET.contains(word)
}

/// The meaningful words of a text, folded, in order.
pub fn words(text: &str) -> Vec<String> {
    fold(text)
        .split_whitespace()
        .filter(|w| !is_stopword(w))
        .map(str::to_owned)
        .collect()
}

/// One part of a message scored on its own: its meaningful words (each once), and
/// whether it asks something (a question mark, a Turkish question particle or a
/// question word) rather than giving context.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unit {
    pub words: Vec<String>,
    pub asks: bool,
}

/// The parts of a message scored on their own: the whole, and each of its sentences
/// when there are several.
pub fn units(text: &str) -> Vec<Unit> {
    let dedup = |words: Vec<String>| {
        let mut seen = std::collections::HashSet::new();
        words.into_iter().filter(|w| seen.insert(w.clone())).collect::<Vec<_>>()
    };
    let whole = dedup(words(text));
    if whole.is_empty() {
        return Vec::new();
    }
    let mut units = vec![Unit {
        words: whole,
        asks: true,
    }];
    // Sentences end at . ? ! ; or a line break; the mark that ended one says whether
    // it asked.
    let mut sentences = Vec::new();
    let mut start = 0;
    for (i, c) in text.char_indices() {
        if matches!(c, '.' | '?' | '!' | '\n' | ';') {
            sentences.push((&text[start..i], c == '?'));
            start = i + c.len_utf8();
        }
    }
    sentences.push((&text[start..], false));
    let sentences: Vec<Unit> = sentences
        .into_iter()
        .map(|(s, marked)| Unit {
            words: dedup(words(s)),
            asks: marked || asks(s),
        })
        .filter(|u| !u.words.is_empty())
        .collect();
    if sentences.len() > 1 {
        // At most the first few dozen: a 4,096-character message of one-word
        // sentences must not cost a scoring per word.
        units.extend(sentences.into_iter().take(MAX_SENTENCES));
    }
    units
}

/// Whether a sentence asks: a Turkish question particle or a question word, in either
/// language.
fn asks(sentence: &str) -> bool {
    const ASKING: &[&str] = &[
        "mi", "mu", "misiniz", "musunuz", "miyim", "miyiz", "midir", "mudur", "nasil", "nedir", "ne", "neler",
        "nerede", "nereden", "nereye", "hangi", "kim", "kimler", "neden", "nicin", "kac", "ne zaman", "how", "what",
        "where", "when", "which", "who", "why", "can", "could", "is", "are", "do", "does",
    ];
    let folded = fold(sentence);
    folded
        .split_whitespace()
        .any(|w| ASKING.contains(&w) || w.starts_with("mi") && w.len() <= 5 && w.ends_with(['m', 'n', 'z']))
}

/// Sentences of one message scored on their own, at most.
const MAX_SENTENCES: usize = 24;

/// A folded word's stems under the Turkish and English Snowball stemmers. The word has
/// lost its Turkish letters (as most people type); the Turkish stemmer still strips
/// most suffixes of such a word, which is all a shared stem needs.
pub fn stems(word: &str) -> [String; 2] {
    static TR: std::sync::LazyLock<rust_stemmers::Stemmer> =
        std::sync::LazyLock::new(|| rust_stemmers::Stemmer::create(rust_stemmers::Algorithm::Turkish));
    static EN: std::sync::LazyLock<rust_stemmers::Stemmer> =
        std::sync::LazyLock::new(|| rust_stemmers::Stemmer::create(rust_stemmers::Algorithm::English));
    // Prefixed: a Turkish stem and an English one that happen to be spelled alike are
    // different words.
    [format!("tr:{}", TR.stem(word)), format!("en:{}", EN.stem(word))]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn greetings_and_question_words_are_dropped() {
        assert_eq!(words("Merhaba, mantıksal çerçeve nedir?"), ["mantiksal", "cerceve"]);
        assert_eq!(words("Hi, what is a logframe please"), ["logframe"]);
        assert!(words("😀 !!").is_empty());
    }
}
