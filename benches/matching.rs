//! Free-text matching speed: the shipped FAQ, and a generated 5,000-node tree.
//! Run: cargo bench --bench matching

use criterion::{Criterion, black_box, criterion_group, criterion_main};
use eudesk::dialogue;
use eudesk::lang::Lang;
use eudesk::matching::Matcher;
use std::fmt::Write;
use std::path::Path;

/// Questions as people type them: Turkish without letters, typos, English, noise.
const QUESTIONS: &[(&str, Lang)] = &[
    ("erasmusa nasil basvururum", Lang::Tr),
    ("mantiksal cerceve matrisi nedir", Lang::Tr),
    ("logframe'i nasil hazirlarim", Lang::Tr),
    ("gonullu olmak istiyorum yurtdisinda", Lang::Tr),
    ("KA2 ortaklık başvurusu ne zaman", Lang::Tr),
    ("bütçe hazırlarken eş finansman", Lang::Tr),
    ("discover eu tren bileti", Lang::Tr),
    ("staj imkanlari ab kurumlarinda", Lang::Tr),
    ("how do I find partners for my project", Lang::En),
    ("what is the european solidarity corps", Lang::En),
    ("horizon europe national contact point", Lang::En),
    ("schengen vizesi nasil alinir", Lang::Tr),
];

/// A deterministic generator: benchmarks must compare like with like across runs.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) as usize
    }
}

/// A tree of `n` answer nodes under 50 menus, over a vocabulary of 4,000 made-up words
/// plus the words of the questions, with realistic sizes: 3-word labels, 80-word texts,
/// six 4-word phrasings per language.
fn generated_tree(dir: &Path, n: usize) {
    let mut rng = Lcg(42);
    let syllables = [
        "ba", "ke", "li", "mo", "nu", "ra", "se", "ti", "yo", "za", "ça", "şe", "ğı", "ör", "ün",
    ];
    let mut vocab: Vec<String> = (0..4000)
        .map(|_| {
            (0..2 + rng.next() % 3)
                .map(|_| syllables[rng.next() % syllables.len()])
                .collect()
        })
        .collect();
    for (q, _) in QUESTIONS {
        vocab.extend(q.split_whitespace().map(str::to_owned));
    }
    let mut words = |rng: &mut Lcg, k: usize| -> String {
        (0..k)
            .map(|_| vocab[rng.next() % vocab.len()].as_str())
            .collect::<Vec<_>>()
            .join(" ")
    };
    let menus = 50;
    let mut toml = String::from(
        "reviewed = 2026-11-28\n\n[[node]]\nid = \"main\"\nlabel = { tr = \"Ana\", en = \"Main\" }\ntext = { tr = \"a\", en = \"a\" }\nchildren = [",
    );
    toml.push_str(&(0..menus).map(|m| format!("\"m{m}\"")).collect::<Vec<_>>().join(", "));
    toml.push_str("]\n");
    for m in 0..menus {
        let children: Vec<String> = (m..n).step_by(menus).map(|i| format!("\"n{i}\"")).collect();
        let _ = write!(
            toml,
            "\n[[node]]\nid = \"m{m}\"\nlabel = {{ tr = \"M{m}\", en = \"M{m}\" }}\ntext = {{ tr = \"m\", en = \"m\" }}\nmatch = false\nchildren = [{}]\n",
            children.join(", ")
        );
    }
    for i in 0..n {
        let ask = |rng: &mut Lcg, words: &mut dyn FnMut(&mut Lcg, usize) -> String| -> String {
            (0..6)
                .map(|_| format!("\"{}\"", words(rng, 4)))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let (lt, le, tt, te) = (
            words(&mut rng, 3),
            words(&mut rng, 3),
            words(&mut rng, 80),
            words(&mut rng, 80),
        );
        let (at, ae) = (ask(&mut rng, &mut words), ask(&mut rng, &mut words));
        let _ = write!(
            toml,
            "\n[[node]]\nid = \"n{i}\"\nlabel = {{ tr = \"{}\", en = \"{}\" }}\ntext = {{ tr = \"{tt}\", en = \"{te}\" }}\nask.tr = [{at}]\nask.en = [{ae}]\n",
            truncate(&lt),
            truncate(&le)
        );
    }
    std::fs::write(dir.join("generated.toml"), toml).unwrap();
}

/// Messages of Telegram's full length built to be expensive: one huge word, random
/// letters (many distinct long words), emoji, one short word repeated, near-miss
/// typos of real words, and a long real-looking paragraph.
fn worst_inputs() -> Vec<(&'static str, String)> {
    const LEN: usize = 4096;
    let mut rng = Lcg(7);
    let letters: Vec<char> = "abcçdefgğhıijklmnoöprsştuüvyz".chars().collect();
    let random_letters: String = (0..LEN).map(|_| letters[rng.next() % letters.len()]).collect();
    let random_words: String = (0..LEN)
        .map(|i| {
            if i % 10 == 9 {
                ' '
            } else {
                letters[rng.next() % letters.len()]
            }
        })
        .collect();
    let emoji: String = "😀🇹🇷👍🏽".chars().cycle().take(LEN / 2).collect();
    let repeated = "proje ".repeat(LEN / 6);
    let typos = "erasmsu logfrmae basvruu gonulluluk butcee ortaklk "
        .repeat(LEN / 51)
        .chars()
        .take(LEN)
        .collect();
    let paragraph: String = "Merhaba hocam, derneğimiz ilk kez bir Erasmus+ projesi yazıyor ve mantıksal çerçeve matrisinde göstergeleri nasıl yazacağımızı bilmiyoruz. "
        .repeat(40)
        .chars()
        .take(LEN)
        .collect();
    vec![
        ("one_word", "a".repeat(LEN)),
        ("random_letters", random_letters),
        ("random_words", random_words),
        ("emoji", emoji),
        ("repeated_word", repeated),
        ("typos", typos),
        ("long_paragraph", paragraph),
    ]
}

fn truncate(s: &str) -> String {
    s.chars().take(40).collect()
}

fn bench(c: &mut Criterion) {
    let shipped = dialogue::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("dialogues"))
        .expect("the shipped dialogues load")
        .tree;
    let matcher = Matcher::new(&shipped);
    c.bench_function("match/shipped", |b| {
        let mut i = 0;
        b.iter(|| {
            let (q, lang) = QUESTIONS[i % QUESTIONS.len()];
            i += 1;
            black_box(matcher.find(black_box(q), lang))
        })
    });

    // The worst messages a stranger can send (Telegram's limit is 4,096 characters):
    // each must stay far below a millisecond-scale budget (issue: under 5 ms), since
    // one such message used to stall the bot for minutes.
    for (name, text) in worst_inputs() {
        c.bench_function(&format!("match/worst/{name}"), |b| {
            b.iter(|| black_box(matcher.find(black_box(&text), Lang::Tr)))
        });
    }

    let dir = tempfile::tempdir().unwrap();
    generated_tree(dir.path(), 5000);
    let tree = dialogue::load(dir.path()).expect("the generated tree is valid").tree;
    let matcher = Matcher::new(&tree);
    c.bench_function("match/generated_5000", |b| {
        let mut i = 0;
        b.iter(|| {
            let (q, lang) = QUESTIONS[i % QUESTIONS.len()];
            i += 1;
            black_box(matcher.find(black_box(q), lang))
        })
    });
    c.bench_function("index/generated_5000", |b| {
        b.iter(|| black_box(Matcher::new(&tree).len()))
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
