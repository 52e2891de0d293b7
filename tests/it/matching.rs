//! Free-text matching on the test tree: both languages, with and without Turkish
//! letters, with typos and suffixes; and `eudesk match --json`'s exact shape.

use crate::helpers::{Sandbox, stdout};
use eudesk::dialogue;
use eudesk::lang::Lang;
use eudesk::matching::{Decision, Matcher};

fn matcher() -> Matcher {
    let sandbox = Sandbox::new();
    Matcher::new(&dialogue::load(&sandbox.dialogues()).unwrap().tree)
}

fn answers(m: &Matcher, lang: Lang, question: &str, id: &str) {
    let outcome = m.find(question, lang);
    assert_eq!(outcome.decision, Decision::Answer, "«{question}»: {outcome:?}");
    assert_eq!(outcome.matches[0].id.as_str(), id, "«{question}»: {outcome:?}");
}

#[test]
fn turkish_questions_are_answered_with_and_without_turkish_letters() {
    let m = matcher();
    answers(&m, Lang::Tr, "mantıksal çerçeve matrisi nedir", "pcm.logframe");
    answers(&m, Lang::Tr, "mantiksal cerceve matrisi nedir", "pcm.logframe");
    answers(&m, Lang::Tr, "MANTIKSAL ÇERÇEVE", "pcm.logframe");
    answers(&m, Lang::Tr, "Bütçe nasıl hazırlanır?", "pcm.budget");
    answers(&m, Lang::Tr, "butce nasil hazirlanir", "pcm.budget");
}

#[test]
fn english_questions_are_answered() {
    let m = matcher();
    answers(&m, Lang::En, "What is a logframe?", "pcm.logframe");
    answers(&m, Lang::En, "how do I prepare the budget", "pcm.budget");
    answers(&m, Lang::En, "when was the office founded", "office.about");
}

#[test]
fn typos_and_turkish_suffixes_are_tolerated() {
    let m = matcher();
    answers(&m, Lang::Tr, "logframe'i nasil hazirlarim", "pcm.logframe");
    answers(&m, Lang::Tr, "logfrmae nedir", "pcm.logframe");
    answers(&m, Lang::Tr, "butceyi nasil hazirlarim", "pcm.budget");
    answers(&m, Lang::En, "logical framwork matrix", "pcm.logframe");
}

#[test]
fn a_question_in_the_other_language_is_still_understood() {
    let m = matcher();
    answers(&m, Lang::Tr, "what is a logframe", "pcm.logframe");
    answers(&m, Lang::En, "butce nasil hazirlanir", "pcm.budget");
}

#[test]
fn questions_the_office_cannot_answer_are_not_answered() {
    let m = matcher();
    for q in [
        "schengen vizesi nasıl alınır",
        "trafik cezası itiraz",
        "weather in izmir tomorrow",
    ] {
        let outcome = m.find(q, Lang::Tr);
        assert_eq!(outcome.decision, Decision::Escalate, "«{q}»: {outcome:?}");
    }
}

#[test]
fn greetings_alone_match_nothing() {
    let m = matcher();
    let outcome = m.find("merhaba hocam iyi günler", Lang::Tr);
    assert_eq!(outcome.decision, Decision::Escalate);
    assert!(outcome.matches.is_empty());
}

#[test]
fn navigation_menus_marked_match_false_are_never_answers() {
    let m = matcher();
    let outcome = m.find("proje yazma", Lang::Tr);
    assert!(outcome.matches.iter().all(|x| x.id.as_str() != "pcm"), "{outcome:?}");
}

#[test]
fn scores_are_best_first_within_0_and_1_and_at_most_5() {
    let m = matcher();
    for q in [
        "logframe",
        "bütçe eş finansman proje",
        "office contact phone budget logframe training",
    ] {
        let outcome = m.find(q, Lang::Tr);
        assert!(outcome.matches.len() <= 5);
        assert!(
            outcome.matches.windows(2).all(|w| w[0].score >= w[1].score),
            "{outcome:?}"
        );
        assert!(
            outcome.matches.iter().all(|x| (0.0..=1.0).contains(&x.score)),
            "{outcome:?}"
        );
    }
}

#[test]
fn match_json_prints_exactly_the_documented_object() {
    let sandbox = Sandbox::new();
    let output = sandbox.eudesk(&["match", "--json", "--lang", "en", "what", "is", "a", "logframe"], "");
    assert!(output.status.success(), "{}", crate::helpers::stderr(&output));
    let out = stdout(&output);
    assert_eq!(out.lines().count(), 1, "one line: {out}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(keys.len(), 4, "{v}");
    assert_eq!(v["query"], "what is a logframe");
    assert_eq!(v["lang"], "en");
    assert_eq!(v["decision"], "answer");
    assert_eq!(v["matches"][0]["id"], "pcm.logframe");
    let first = v["matches"][0].as_object().unwrap();
    assert_eq!(first.len(), 2, "{v}");
    assert!(first["score"].as_f64().unwrap() > 0.0);
}

#[test]
fn match_defaults_to_turkish_and_reports_escalation() {
    let sandbox = Sandbox::new();
    let output = sandbox.eudesk(&["match", "--json", "pasaport yenileme"], "");
    let v: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(v["lang"], "tr");
    assert_eq!(v["decision"], "escalate");
}

#[test]
fn the_offices_vocabulary_finds_a_node_by_a_word_it_does_not_use_and_ignores_context() {
    let without = matcher();
    let sandbox = Sandbox::with_files(&[
        ("tree.toml", crate::helpers::TREE),
        (
            "vocabulary.toml",
            "[vocabulary]\nsame = [[\"masraf\", \"butce\"]]\nfiller = [\"abi\"]\ncontext = [\"bornova\", \"karsiyaka\"]\n",
        ),
    ]);
    let with = Matcher::new(&dialogue::load(&sandbox.dialogues()).unwrap().tree);
    // "masraf" is in no node; with the vocabulary it is "bütçe", the budget node's
    // label, suffix and all.
    for q in ["masraf nasil hazirlanir", "masrafi nasil hazirlarim"] {
        assert_ne!(without.find(q, Lang::Tr).decision, Decision::Answer, "{q}");
        answers(&with, Lang::Tr, q, "pcm.budget");
    }
    // Filler and names of places neither help nor hurt: the same signals as without.
    let plain = with.find("logframe nasıl hazırlanır", Lang::Tr);
    let padded = with.find("abi bornova karsiyaka logframe nasıl hazırlanır", Lang::Tr);
    assert_eq!(plain.decision, Decision::Answer);
    assert_eq!(padded.decision, Decision::Answer);
    assert_eq!(plain.signals.unknown, padded.signals.unknown);
    assert!(
        without
            .find("abi bornova karsiyaka logframe nasıl hazırlanır", Lang::Tr)
            .signals
            .unknown
            > 0.0
    );
}

#[test]
fn eval_compare_names_the_questions_that_got_better_or_worse_since_a_saved_run() {
    let sandbox = Sandbox::new();
    let list = "expected\tlang\tquestion\npcm.budget\ttr\tmasraf nasil hazirlanir\npcm.logframe\ttr\tlogframe nasıl hazırlanır\n";
    std::fs::write(sandbox.dir.path().join("list.tsv"), list).unwrap();
    let saved = sandbox.eudesk(&["eval", "list.tsv", "--json"], "");
    assert_eq!(saved.status.code(), Some(0), "{}", stdout(&saved));
    std::fs::write(sandbox.dir.path().join("old.json"), &saved.stdout).unwrap();
    sandbox.write("vocabulary.toml", "[vocabulary]\nsame = [[\"masraf\", \"butce\"]]\n");
    let output = sandbox.eudesk(&["eval", "list.tsv", "--compare", "old.json"], "");
    let out = stdout(&output);
    assert_eq!(output.status.code(), Some(0), "{out}");
    assert!(out.contains("compared with the saved run: 1 better, 0 worse"), "{out}");
    assert!(
        out.contains(
            "masraf nasil hazirlanir (tr) → expected pcm.budget: was Suggest pcm.logframe, now Answer pcm.budget"
        ),
        "{out}"
    );
    // A file that is no saved run says what to give.
    std::fs::write(sandbox.dir.path().join("bad.json"), "{}").unwrap();
    let bad = sandbox.eudesk(&["eval", "list.tsv", "--compare", "bad.json"], "");
    assert_ne!(bad.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("eudesk eval FILE --json > OLD.json"));
}
