//! The shipped `dialogues/`: they load, every node is reachable, and every FAQ id the
//! product promises (shared/faq-topics.md) exists in both languages.

use eudesk::dialogue::{self, Tree};
use eudesk::lang::Lang;
use std::path::Path;

/// The FAQ ids of shared/faq-topics.md: a contract (`eudesk match --json` reports them).
pub const FAQ_IDS: &[&str] = &[
    "office.about",
    "office.contact",
    "office.consulting",
    "office.eurodesk",
    "pcm.what",
    "pcm.logframe",
    "pcm.problem_tree",
    "pcm.stakeholders",
    "pcm.objectives",
    "pcm.indicators",
    "pcm.budget",
    "pcm.partners",
    "pcm.dissemination",
    "pcm.mistakes",
    "pcm.registration",
    "eu.erasmus",
    "eu.erasmus_ka1",
    "eu.erasmus_ka2",
    "eu.deadlines",
    "eu.national_agency",
    "eu.esc",
    "eu.horizon",
    "eu.ipa",
    "eu.find_calls",
    "youth.opportunities",
    "youth.exchanges",
    "youth.volunteering",
    "youth.discovereu",
    "youth.traineeships",
    "training.about",
    "training.register",
    "help.ask_staff",
];

pub fn shipped() -> Tree {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("dialogues");
    match dialogue::load(&dir) {
        Ok(loaded) => loaded.tree,
        Err(err) => panic!("the shipped dialogues must load: {err}"),
    }
}

#[test]
fn the_shipped_dialogues_load_and_every_node_is_reachable_from_main() {
    let tree = shipped();
    // `load` refuses unreachable nodes; walk the tree anyway, as a person would.
    let mut seen = std::collections::HashSet::new();
    let mut stack = vec![tree.main().id.clone()];
    while let Some(id) = stack.pop() {
        if seen.insert(id.clone()) {
            stack.extend(tree.get(id.as_str()).unwrap().children.iter().cloned());
        }
    }
    assert_eq!(seen.len(), tree.len());
}

#[test]
fn every_faq_topic_exists_in_turkish_and_english() {
    let tree = shipped();
    let missing: Vec<&str> = FAQ_IDS.iter().copied().filter(|id| tree.get(id).is_none()).collect();
    assert!(missing.is_empty(), "missing FAQ nodes: {missing:?}");
    for id in FAQ_IDS {
        let node = tree.get(id).unwrap();
        assert!(node.matchable, "{id} must be reachable by free text");
        for lang in Lang::ALL {
            assert!(!node.plain.get(lang).is_empty() && !node.label.get(lang).is_empty());
        }
    }
}

#[test]
fn the_workflow_nodes_carry_their_actions() {
    use eudesk::dialogue::Action;
    let tree = shipped();
    assert_eq!(
        tree.get("training.register").unwrap().action,
        Some(Action::RegisterTraining)
    );
    assert_eq!(tree.get("help.ask_staff").unwrap().action, Some(Action::AskStaff));
}

/// One question of `tests/fixtures/questions.tsv`.
struct Question {
    expected: Option<String>,
    lang: Lang,
    text: String,
}

fn questions() -> Vec<Question> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/questions.tsv");
    let text = std::fs::read_to_string(&path).expect("the question list exists");
    text.lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map(|l| {
            let mut cols = l.splitn(3, '\t');
            let (expected, lang, q) = (
                cols.next().unwrap(),
                cols.next().unwrap(),
                cols.next().unwrap_or_else(|| panic!("three columns: {l}")),
            );
            Question {
                expected: (expected != "none").then(|| expected.to_owned()),
                lang: Lang::parse(lang).unwrap_or_else(|| panic!("language tr or en: {l}")),
                text: q.to_owned(),
            }
        })
        .collect()
}

/// What the matcher achieves on the question list. Measured when the content was
/// written: top-1 0.972, answered right 0.881, confidently wrong 0.006, out of scope
/// answered 0.000. Each limit leaves a small margin (about one question in 40) under
/// that, so a change that makes the answers worse fails here instead of in front of a
/// user, while rewording one phrasing does not.
const MIN_TOP1: f64 = 0.94;
const MIN_ANSWERED_RIGHT: f64 = 0.85;
const MAX_CONFIDENT_WRONG: f64 = 0.03;
const MAX_OUT_OF_SCOPE_ANSWERED: f64 = 0.05;

#[test]
fn the_matcher_answers_the_question_list_at_least_as_well_as_measured() {
    use eudesk::matching::{Decision, Matcher};
    let tree = shipped();
    let matcher = Matcher::new(&tree);
    let questions = questions();
    let (mut in_scope, mut top1, mut answered_right, mut confident_wrong) = (0, 0, 0, 0);
    let (mut out_of_scope, mut out_answered) = (0, 0);
    let mut misses = Vec::new();
    for q in &questions {
        let outcome = matcher.find(&q.text, q.lang);
        let top = outcome.matches.first().map(|m| m.id.as_str());
        match &q.expected {
            Some(expected) => {
                assert!(
                    tree.get(expected).is_some(),
                    "the list expects a node that does not exist: {expected}"
                );
                in_scope += 1;
                let right = top == Some(expected.as_str()) && outcome.decision != Decision::Escalate;
                top1 += right as usize;
                if outcome.decision == Decision::Answer {
                    if right {
                        answered_right += 1;
                    } else {
                        confident_wrong += 1;
                    }
                }
                if !(right && outcome.decision == Decision::Answer) {
                    misses.push(format!(
                        "{:?} {expected} ← «{}» got {top:?} {:?}",
                        outcome.decision,
                        q.text,
                        outcome.matches.first().map(|m| m.score)
                    ));
                }
            }
            None => {
                out_of_scope += 1;
                if outcome.decision == Decision::Answer {
                    out_answered += 1;
                    misses.push(format!("answered out of scope «{}» with {top:?}", q.text));
                }
            }
        }
    }
    let ratio = |a: usize, b: usize| a as f64 / b.max(1) as f64;
    let report = format!(
        "{in_scope} in scope: top-1 {:.3}, answered right {:.3}, confidently wrong {:.3}; {out_of_scope} out of scope: answered {:.3}\n{}",
        ratio(top1, in_scope),
        ratio(answered_right, in_scope),
        ratio(confident_wrong, in_scope),
        ratio(out_answered, out_of_scope),
        misses.join("\n")
    );
    println!("{report}");
    assert!(
        in_scope >= 100 && out_of_scope >= 20,
        "the list must stay realistic: {report}"
    );
    assert!(ratio(top1, in_scope) >= MIN_TOP1, "{report}");
    assert!(ratio(answered_right, in_scope) >= MIN_ANSWERED_RIGHT, "{report}");
    assert!(ratio(confident_wrong, in_scope) <= MAX_CONFIDENT_WRONG, "{report}");
    assert!(
        ratio(out_answered, out_of_scope) <= MAX_OUT_OF_SCOPE_ANSWERED,
        "{report}"
    );
}

/// EU programmes change every year: the Erasmus+ and European Solidarity Corps guides
/// and the calls come out each autumn. Content checked within the last 13 months has
/// seen one yearly cycle plus a month's grace; older content may be wrong, so the build
/// fails until someone re-checks it and updates `reviewed`.
const MAX_REVIEW_AGE_DAYS: i64 = 396;

#[test]
fn no_node_is_older_than_a_yearly_review() {
    let today = jiff::Zoned::now().with_time_zone(jiff::tz::TimeZone::UTC).date();
    let tree = shipped();
    let mut stale = Vec::new();
    for node in tree.nodes() {
        match node.reviewed {
            None => stale.push(format!("{}: {}: no reviewed date", node.file.display(), node.id)),
            Some(date) => {
                let days = date.until(today).expect("dates within jiff's range").get_days() as i64;
                if days > MAX_REVIEW_AGE_DAYS {
                    stale.push(format!(
                        "{}: {}: reviewed {date}, {days} days ago; re-check its sources and update reviewed",
                        node.file.display(),
                        node.id
                    ));
                }
                assert!(date <= today, "{}: reviewed date {date} is in the future", node.id);
            }
        }
    }
    assert!(stale.is_empty(), "stale content:\n{}", stale.join("\n"));
}

#[test]
fn every_answer_node_names_its_sources() {
    let tree = shipped();
    let missing: Vec<String> = tree
        .nodes()
        .filter(|n| {
            n.matchable
                && n.sources.is_empty()
                && !n.id.as_str().starts_with("office.")
                && !n.id.as_str().starts_with("help.")
                && !n.id.as_str().starts_with("training.")
        })
        .map(|n| n.id.to_string())
        .collect();
    assert!(missing.is_empty(), "answer nodes without sources: {missing:?}");
}

/// The held-out half of `tests/fixtures/eval.tsv` (issue 12): what the matcher achieved
/// on its `test` part when the thresholds were chosen on the `tune` part only, as
/// counts of 180 in-scope and 34 out-of-scope questions (`eudesk eval
/// tests/fixtures/eval.tsv --part test`). The issue asks for 0.90 answered right, 0.80
/// for long messages and paraphrases and 0.05 out of scope; these floors are what
/// is reached today, so that nothing falls further while the rest is worked on.
/// Issue 20 (the whole-message reading, the office's vocabulary, both readings
/// agreeing) moved them from 135, 19, 18, 178, 7 and 2: more answered, four fewer
/// wrong answers in scope, one more question out of scope answered (3 of 34).
const TEST_PART_ANSWERED_RIGHT: usize = 143;
const TEST_PART_LONG_ANSWERED_RIGHT: usize = 20;
const TEST_PART_PARAPHRASE_ANSWERED_RIGHT: usize = 24;
const TEST_PART_TOP3: usize = 179;
const TEST_PART_FALSE_CONFIDENT: usize = 4;
const TEST_PART_OUT_OF_SCOPE_ANSWERED: usize = 3;

fn eval_list() -> Vec<eudesk::matching::eval::Case> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/eval.tsv");
    let text = std::fs::read_to_string(&path).expect("the evaluation list exists");
    eudesk::matching::eval::parse(&text).expect("the evaluation list reads")
}

#[test]
fn the_evaluation_list_is_split_once_with_every_kind_in_both_parts() {
    let cases = eval_list();
    let tree = shipped();
    assert!(cases.len() >= 400, "{} questions", cases.len());
    for c in &cases {
        if let Some(expected) = &c.expected {
            assert!(tree.get(expected).is_some(), "no node {expected}: {}", c.question);
        }
        assert!(
            matches!(c.part.as_deref(), Some("tune" | "test")),
            "every question is in one part: {}",
            c.question
        );
    }
    let kinds = [
        "plain",
        "typo",
        "no_diacritics",
        "mixed",
        "paraphrase",
        "long",
        "single_word",
        "out_of_scope",
    ];
    for part in ["tune", "test"] {
        let of_part = || cases.iter().filter(|c| c.part.as_deref() == Some(part));
        for kind in kinds {
            assert!(
                of_part().any(|c| c.kind == kind),
                "no {kind} question in the {part} part"
            );
        }
        // The split alternates within each (node, kind) group, and most long,
        // paraphrased and misspelled groups hold one Turkish and one English question:
        // the tune part is mostly Turkish, the test part mostly English. Both parts still
        // hold both languages.
        for lang in [Lang::Tr, Lang::En] {
            assert!(
                of_part().filter(|c| c.lang == lang).count() >= 30,
                "too few {lang:?} questions in the {part} part"
            );
        }
    }
    let long: Vec<_> = cases.iter().filter(|c| c.kind == "long").collect();
    assert!(
        long.iter().all(|c| c.question.chars().count() >= 150),
        "long means long"
    );
    // Nothing is asked twice across the parts: a question tuned on is not tested on.
    let mut seen = std::collections::HashSet::new();
    for c in &cases {
        assert!(seen.insert(c.question.to_lowercase()), "twice: {}", c.question);
    }
}

#[test]
fn the_test_part_of_the_evaluation_list_is_answered_at_least_as_well_as_measured() {
    use eudesk::matching::Matcher;
    use eudesk::matching::eval::evaluate;
    let test: Vec<_> = eval_list()
        .into_iter()
        .filter(|c| c.part.as_deref() == Some("test"))
        .collect();
    let report = evaluate(&Matcher::new(&shipped()), &test);
    let kind = |k: &str| {
        report
            .kinds
            .iter()
            .find(|r| r.kind == k)
            .expect("the kind is in the list")
    };
    let shown = format!("{report}");
    println!("{shown}");
    assert!(report.all.answered_right >= TEST_PART_ANSWERED_RIGHT, "{shown}");
    assert!(kind("long").answered_right >= TEST_PART_LONG_ANSWERED_RIGHT, "{shown}");
    assert!(
        kind("paraphrase").answered_right >= TEST_PART_PARAPHRASE_ANSWERED_RIGHT,
        "{shown}"
    );
    assert!(report.all.top3 >= TEST_PART_TOP3, "{shown}");
    assert!(report.all.false_confident <= TEST_PART_FALSE_CONFIDENT, "{shown}");
    assert!(
        report.out_of_scope_answered <= TEST_PART_OUT_OF_SCOPE_ANSWERED,
        "{shown}"
    );
}

/// The second list (issue 20, `tests/fixtures/fresh.tsv`), written blind and split
/// before any tuning: what its `test` part reaches, as counts of 136 questions in
/// scope and 30 out of scope (18 of them long). The issue asks for 0.90 answered right
/// (123), long 0.85, paraphrase 0.80, out of scope 0.03; these floors are what is
/// reached today (before issue 20's changes: 99, 15, 14, 12, 135, 6 and 2).
const FRESH_TEST_ANSWERED_RIGHT: usize = 104;
const FRESH_TEST_LONG_ANSWERED_RIGHT: usize = 14;
const FRESH_TEST_PARAPHRASE_ANSWERED_RIGHT: usize = 18;
const FRESH_TEST_MIXED_ANSWERED_RIGHT: usize = 18;
const FRESH_TEST_TOP3: usize = 136;
const FRESH_TEST_FALSE_CONFIDENT: usize = 5;
const FRESH_TEST_OUT_OF_SCOPE_ANSWERED: usize = 2;

fn fresh_list() -> Vec<eudesk::matching::eval::Case> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/fresh.tsv");
    let text = std::fs::read_to_string(&path).expect("the second evaluation list exists");
    eudesk::matching::eval::parse(&text).expect("the second evaluation list reads")
}

#[test]
fn the_second_list_is_balanced_in_both_parts_and_shares_nothing_with_the_first() {
    let cases = fresh_list();
    let tree = shipped();
    assert!(cases.len() >= 300, "{} questions", cases.len());
    let long_out = cases.iter().filter(|c| c.kind == "long_out_of_scope").count();
    assert!(long_out >= 30, "{long_out} long out-of-scope messages");
    for c in &cases {
        if let Some(expected) = &c.expected {
            assert!(tree.get(expected).is_some(), "no node {expected}: {}", c.question);
        }
        assert_eq!(c.expected.is_none(), c.kind.ends_with("out_of_scope"), "{}", c.question);
    }
    // Each kind, in each language, is split half and half.
    let mut groups: std::collections::HashMap<(String, Lang), (usize, usize)> = Default::default();
    for c in &cases {
        let e = groups.entry((c.kind.clone(), c.lang)).or_default();
        match c.part.as_deref() {
            Some("tune") => e.0 += 1,
            Some("test") => e.1 += 1,
            other => panic!("{other:?} is no part: {}", c.question),
        }
    }
    for ((kind, lang), (tune, test)) in groups {
        assert!(tune.abs_diff(test) <= 1, "{kind} {lang:?}: {tune} tune, {test} test");
    }
    let first: std::collections::HashSet<String> = eval_list().iter().map(|c| c.question.to_lowercase()).collect();
    let mut seen = std::collections::HashSet::new();
    for c in &cases {
        let q = c.question.to_lowercase();
        assert!(!first.contains(&q), "also in the first list: {}", c.question);
        assert!(seen.insert(q), "twice: {}", c.question);
    }
}

#[test]
fn the_test_part_of_the_second_list_is_answered_at_least_as_well_as_measured() {
    use eudesk::matching::Matcher;
    use eudesk::matching::eval::evaluate;
    let test: Vec<_> = fresh_list()
        .into_iter()
        .filter(|c| c.part.as_deref() == Some("test"))
        .collect();
    let report = evaluate(&Matcher::new(&shipped()), &test);
    let right = |k: &str| {
        report
            .kinds
            .iter()
            .find(|r| r.kind == k)
            .map_or(0, |r| r.answered_right)
    };
    let shown = format!("{report}");
    println!("{shown}");
    assert!(report.all.answered_right >= FRESH_TEST_ANSWERED_RIGHT, "{shown}");
    assert!(right("long") >= FRESH_TEST_LONG_ANSWERED_RIGHT, "{shown}");
    assert!(right("paraphrase") >= FRESH_TEST_PARAPHRASE_ANSWERED_RIGHT, "{shown}");
    assert!(right("mixed") >= FRESH_TEST_MIXED_ANSWERED_RIGHT, "{shown}");
    assert!(report.all.top3 >= FRESH_TEST_TOP3, "{shown}");
    assert!(report.all.false_confident <= FRESH_TEST_FALSE_CONFIDENT, "{shown}");
    assert!(
        report.out_of_scope_answered <= FRESH_TEST_OUT_OF_SCOPE_ANSWERED,
        "{shown}"
    );
}
