//! The opportunity file of `eudesk opportunities add FILE` (the contract's TOML), read
//! through the public API: a valid file becomes an opportunity in office time, and a
//! broken one lists every problem at once, each naming its field.

use eudesk::lang::{Lang, Localized};
use eudesk::opportunities::file::from_toml;
use eudesk::opportunities::opportunity::{FieldProblem, Opportunity, Topic};
use jiff::Timestamp;

fn now() -> Timestamp {
    "2026-12-01T09:00:00Z".parse().unwrap()
}

/// The contract's example, filled in.
const VALID: &str = r#"
# A European Solidarity Corps placement, as staff would write it.
topics = ["volunteering"]                 # one or more topic ids
title = { tr = "Portekiz'de 12 aylık gönüllülük", en = "Twelve months of volunteering in Portugal" }
text = { tr = "**Avrupa Dayanışma Programı** kapsamında bir gençlik merkezinde gönüllülük. Yol, konaklama ve harçlık karşılanır.", en = "Volunteering in a youth centre with the **European Solidarity Corps**. Travel, board and pocket money are covered." }
url = "https://youth.europa.eu/solidarity_en"
deadline = 2027-03-01T23:59:00            # office time (Europe/Istanbul)
ages = [18, 30]                           # optional
"#;

fn problems(text: &str) -> Vec<String> {
    match from_toml(text, now()) {
        Ok(o) => panic!("expected problems, got {o:#?}"),
        Err(problems) => problems.iter().map(FieldProblem::to_string).collect(),
    }
}

fn assert_has(problems: &[String], expected: &str) {
    assert!(
        problems.iter().any(|p| p.contains(expected)),
        "expected «{expected}» in:\n{}",
        problems.join("\n")
    );
}

#[test]
fn the_contracts_example_is_read_in_office_time() {
    let o = from_toml(VALID, now()).expect("the example is valid");
    assert_eq!(
        o,
        Opportunity {
            topics: vec![Topic::Volunteering],
            title: Localized::new(
                "Portekiz'de 12 aylık gönüllülük".to_owned(),
                "Twelve months of volunteering in Portugal".to_owned()
            ),
            text: o.text.clone(),
            url: "https://youth.europa.eu/solidarity_en".to_owned(),
            deadline: "2027-03-01T20:59:00Z".parse().unwrap(),
            ages: Some((18, 30)),
        }
    );
    assert!(o.text.get(Lang::Tr).starts_with("**Avrupa Dayanışma Programı**"));
    assert!(o.text.get(Lang::En).contains("**European Solidarity Corps**"));
}

#[test]
fn dotted_keys_a_date_alone_several_topics_and_no_ages_are_accepted() {
    let file = r#"
topics = ["calls", "trainings", "calls"]
title.tr = "KA2 işbirliği ortaklıkları çağrısı"
title.en = "KA2 cooperation partnerships call"
text.tr = "Kurumlar için teklif çağrısı."
text.en = "A call for proposals for organisations."
url = "https://erasmus-plus.ec.europa.eu/programme-guide/part-b/key-action-2/cooperation-partnerships"
deadline = 2027-03-05
"#;
    let o = from_toml(file, now()).expect("valid");
    assert_eq!(
        o.topics,
        [Topic::Calls, Topic::Trainings],
        "in Topic::ALL order, once each"
    );
    assert_eq!(o.title.en, "KA2 cooperation partnerships call");
    assert_eq!(
        o.deadline.to_string(),
        "2027-03-05T20:59:00Z",
        "a date alone means 23:59 that day in Istanbul (UTC+3)"
    );
    assert_eq!(o.ages, None);

    let as_text = file.replace("deadline = 2027-03-05", "deadline = \"05.03.2027 17:00\"");
    assert_eq!(
        from_toml(&as_text, now()).unwrap().deadline.to_string(),
        "2027-03-05T14:00:00Z"
    );
}

#[test]
fn a_broken_file_lists_every_problem_at_once_each_naming_its_field() {
    let broken = r#"
topics = ["volunteering", "exchange"]
title = { tr = "Portekiz'de gönüllülük" }
text = { tr = "**Kalın yazı", en = "" }
url = "youth.europa.eu/solidarity_en"
deadline = 2026-11-30T23:59:00
ages = [16, 100]
link = "https://example.org"
"#;
    let p = problems(broken);
    assert_has(
        &p,
        "file: unknown key 'link'; the keys are topics, title, text, url, deadline, ages",
    );
    assert_has(
        &p,
        r#"topics: unknown topic "exchange" (did you mean "exchanges"?); the topics are volunteering, exchanges, traineeships, discovereu, study, calls, trainings"#,
    );
    assert_has(&p, r#"title.en: missing English title; add title.en = "...""#);
    assert_has(&p, "text.tr: a '**' has no partner");
    assert_has(&p, "text.en: the text is empty");
    assert_has(&p, r#"url: "youth.europa.eu/solidarity_en" is not a web address"#);
    assert_has(
        &p,
        "deadline: the deadline 2026-11-30 23:59 (office time) has already passed",
    );
    assert_has(&p, "ages: 16-100: ages go from 10 to 99");
    assert_eq!(p.len(), 8, "one problem each:\n{}", p.join("\n"));
}

#[test]
fn an_empty_file_names_every_missing_key() {
    let p = problems("");
    assert_eq!(
        p,
        [
            r#"topics: missing; add topics = ["volunteering"]"#,
            r#"title: missing; add title = { tr = "...", en = "..." }"#,
            r#"text: missing; add text = { tr = "...", en = "..." }"#,
            r#"url: missing; add url = "https://youth.europa.eu/...""#,
            "deadline: missing; add deadline = 2027-03-01T23:59:00 (office time)",
        ]
    );
}

#[test]
fn a_toml_syntax_error_is_one_problem_with_line_and_column() {
    let p = problems(&VALID.replace("ages = [18, 30]", "ages = [18, 30"));
    assert_eq!(p.len(), 1, "{p:?}");
    assert!(p[0].starts_with("file: line "), "{p:?}");
    assert!(p[0].contains("TOML syntax error"), "{p:?}");
}

#[test]
fn a_deadline_with_a_time_zone_is_refused_as_ambiguous() {
    let p = problems(&VALID.replace("2027-03-01T23:59:00", "2027-03-01T23:59:00+01:00"));
    assert_has(
        &p,
        "deadline: 2027-03-01T23:59:00+01:00 has a time zone; write the deadline in office time",
    );
}
