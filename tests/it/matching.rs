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
