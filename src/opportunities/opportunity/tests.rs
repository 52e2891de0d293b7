use super::*;
use crate::opportunities::file::from_toml;

fn now() -> Timestamp {
    "2027-01-15T09:00:00Z".parse().unwrap()
}

const VALID: &str = r#"
topics = ["exchanges", "volunteering", "volunteering"]
title = { tr = "Portekiz'de gönüllülük", en = "Volunteering in Portugal" }
text.tr = "**Avrupa Dayanışma Programı** kapsamında 12 aylık gönüllülük."
text.en = "Twelve months of volunteering with the **European Solidarity Corps**."
url = "https://youth.europa.eu/solidarity_en"
deadline = 2027-03-01T23:59:00
ages = [18, 30]
"#;

fn problems(text: &str) -> Vec<String> {
    from_toml(text, now())
        .unwrap_err()
        .iter()
        .map(ToString::to_string)
        .collect()
}

fn has(problems: &[String], expected: &str) {
    assert!(
        problems.iter().any(|p| p.contains(expected)),
        "expected «{expected}» in:\n{}",
        problems.join("\n")
    );
}

#[test]
fn a_valid_file_is_read() {
    let o = from_toml(VALID, now()).unwrap();
    assert_eq!(
        o.topics,
        [Topic::Volunteering, Topic::Exchanges],
        "sorted, duplicates dropped"
    );
    assert_eq!(o.title.en, "Volunteering in Portugal");
    assert!(o.text.tr.starts_with("**Avrupa"));
    assert_eq!(o.url, "https://youth.europa.eu/solidarity_en");
    assert_eq!(
        o.deadline.to_string(),
        "2027-03-01T20:59:00Z",
        "23:59 in Istanbul is UTC+3"
    );
    assert_eq!(o.ages, Some((18, 30)));

    let without_ages = VALID.replace("ages = [18, 30]\n", "");
    assert_eq!(from_toml(&without_ages, now()).unwrap().ages, None);
}

#[test]
fn every_problem_is_listed_at_once() {
    let broken = r#"
topics = ["volunterring", "sport"]
title = { tr = "", en = "A title\non two lines" }
text.tr = "**Kalın"
url = "http://youth.europa.eu"
deadline = 2027-01-01T10:00:00
ages = [30, 18]
colour = "blue"
"#;
    let p = problems(broken);
    has(
        &p,
        r#"topics: unknown topics "volunterring" (did you mean "volunteering"?), "sport"; the topics are volunteering, exchanges"#,
    );
    has(&p, "title.tr: the title is empty");
    has(&p, "title.en: the title must be one line");
    has(&p, "text.tr: a '**' has no partner");
    has(&p, r#"text.en: missing English text; add text.en = "...""#);
    has(&p, r#"url: "http://youth.europa.eu" must start with https://"#);
    has(
        &p,
        "deadline: the deadline 2027-01-01 10:00 (office time) has already passed",
    );
    has(&p, "ages: 30-18: the youngest age comes first; write it as 18-30");
    has(
        &p,
        "file: unknown key 'colour'; the keys are topics, title, text, url, deadline, ages",
    );
    assert_eq!(p.len(), 9, "{p:#?}");
    assert!(p[0].starts_with("file:"), "file-level problems first: {p:#?}");
}

#[test]
fn missing_keys_and_wrong_types_are_named() {
    let p = problems("title = \"Only a title\"\nurl = 5\nages = [18]\ntitel = 1\n");
    has(&p, r#"topics: missing; add topics = ["volunteering"]"#);
    has(
        &p,
        r#"title: give the title in both languages, like title = { tr = "...", en = "..." }"#,
    );
    has(&p, r#"text: missing; add text = { tr = "...", en = "..." }"#);
    has(&p, "url: write it in quotes");
    has(&p, "deadline: missing; add deadline = 2027-03-01T23:59:00");
    has(&p, "ages: write the youngest and the oldest age as two numbers");
    has(&p, r#"file: unknown key 'titel'; did you mean "title"?"#);
}

#[test]
fn a_syntax_error_is_one_problem_with_line_and_column() {
    let p = problems("topics = [\"calls\"]\ntitle = = 1\n");
    assert_eq!(p.len(), 1, "{p:?}");
    assert!(p[0].starts_with("file: line 2, column 9: TOML syntax error"), "{p:?}");
}

#[test]
fn a_deadline_in_the_past_is_refused() {
    let err = parse_deadline("2027-01-15 11:59", now()).unwrap_err();
    assert_eq!(err.field, "deadline");
    assert!(err.message.contains("has already passed"), "{err}");
    assert!(
        parse_deadline("2027-01-15 12:01", now()).is_ok(),
        "12:01 office time is 09:01 UTC"
    );
    let p = problems(&VALID.replace("2027-03-01T23:59:00", "2026-12-01"));
    has(
        &p,
        "deadline: the deadline 2026-12-01 23:59 (office time) has already passed",
    );
}

#[test]
fn a_date_alone_means_23_59_office_time() {
    for s in ["2027-03-01", "01.03.2027", " 2027-03-01 ", "1.3.2027", "20270301"] {
        let t = parse_deadline(s, now()).unwrap();
        assert_eq!(t.to_string(), "2027-03-01T20:59:00Z", "{s}");
    }
    let o = from_toml(&VALID.replace("2027-03-01T23:59:00", "2027-03-01"), now()).unwrap();
    assert_eq!(o.deadline.to_string(), "2027-03-01T20:59:00Z");
    let o = from_toml(&VALID.replace("2027-03-01T23:59:00", "\"01.03.2027 17:00\""), now()).unwrap();
    assert_eq!(o.deadline.to_string(), "2027-03-01T14:00:00Z");
}

#[test]
fn deadlines_in_every_format_are_office_time() {
    for s in [
        "2027-03-01 23:59",
        "01.03.2027 23:59",
        "2027-03-01T23:59:00",
        "2027-03-01T23:59",
    ] {
        assert_eq!(
            parse_deadline(s, now()).unwrap().to_string(),
            "2027-03-01T20:59:00Z",
            "{s}"
        );
    }
    assert_eq!(
        parse_deadline("2027-03-01T10", now()).unwrap().to_string(),
        "2027-03-01T07:00:00Z"
    );
    let err = parse_deadline("1 March", now()).unwrap_err();
    assert!(err.message.contains("2027-03-01 23:59"), "{err}");
    let p = problems(&VALID.replace("2027-03-01T23:59:00", "2027-03-01T23:59:00Z"));
    has(&p, "deadline: 2027-03-01T23:59:00Z has a time zone");
    let p = problems(&VALID.replace("2027-03-01T23:59:00", "2027-03-01T23:59:60"));
    has(&p, "deadline: 2027-03-01T23:59:60 is not a time of day");
    let p = problems(&VALID.replace("2027-03-01T23:59:00", "23:59:00"));
    has(&p, "deadline: 23:59:00 has no date");
}

#[test]
fn ages_are_a_range_or_nothing() {
    assert_eq!(parse_ages("18-30"), Ok(Some((18, 30))));
    assert_eq!(parse_ages("18–30"), Ok(Some((18, 30))));
    assert_eq!(parse_ages(" 18 30 "), Ok(Some((18, 30))));
    assert_eq!(parse_ages("18 - 30"), Ok(Some((18, 30))));
    assert_eq!(parse_ages("18-18"), Ok(Some((18, 18))));
    assert_eq!(parse_ages(""), Ok(None));
    assert_eq!(parse_ages("-"), Ok(None));
    assert!(parse_ages("30-18").unwrap_err().message.contains("write it as 18-30"));
    assert!(
        parse_ages("5-30")
            .unwrap_err()
            .message
            .contains("ages go from 10 to 99")
    );
    assert!(parse_ages("18-300").is_err());
    assert!(parse_ages("18").unwrap_err().message.contains("like 18-30"));
    assert!(parse_ages("18+").is_err());
    assert!(parse_ages("eighteen").is_err());
}

#[test]
fn topics_parse_with_a_suggestion_for_a_typo() {
    assert_eq!(
        parse_topics("exchanges, volunteering"),
        Ok(vec![Topic::Volunteering, Topic::Exchanges])
    );
    assert_eq!(
        parse_topics(" Calls  DiscoverEU "),
        Ok(vec![Topic::Discovereu, Topic::Calls])
    );
    let err = parse_topics("traineships").unwrap_err();
    assert_eq!(err.field, "topics");
    assert_eq!(
        err.message,
        "unknown topic \"traineships\" (did you mean \"traineeships\"?); the topics are volunteering, exchanges, traineeships, discovereu, study, calls, trainings"
    );
    assert!(
        parse_topics(" , ")
            .unwrap_err()
            .message
            .starts_with("give at least one topic")
    );
}

#[test]
fn topic_ids_and_labels() {
    for t in Topic::ALL {
        assert_eq!(Topic::parse(t.id()), Some(t));
        assert_eq!(Topic::parse(&format!(" {} ", t.id().to_uppercase())), Some(t));
        assert_eq!(serde_json::to_string(&t).unwrap(), format!("\"{}\"", t.id()));
        for lang in Lang::ALL {
            assert!(!t.label(lang).is_ascii(), "{t:?} starts with an emoji");
        }
    }
    assert!(Topic::ALL.is_sorted(), "Ord follows ALL");
    assert_eq!(Topic::parse("volunteer"), None);
}

#[test]
fn titles_texts_and_links() {
    assert_eq!(parse_title("  DiscoverEU  "), Ok("DiscoverEU".into()));
    assert!(parse_title(&"a".repeat(MAX_TITLE_CHARS)).is_ok());
    let err = parse_title(&"ş".repeat(MAX_TITLE_CHARS + 1)).unwrap_err();
    assert!(err.message.contains("has 121 characters; at most 120"), "{err}");
    assert!(parse_title("a\u{202E}b").unwrap_err().message.contains("U+202E"));

    assert_eq!(parse_text(" **Bold** <b>&\r\nnext "), Ok("**Bold** <b>&\nnext".into()));
    let visible = format!("**{}**", "a".repeat(MAX_TEXT_CHARS));
    assert!(parse_text(&visible).is_ok(), "bold markers are not counted");
    assert!(parse_text(&"a".repeat(MAX_TEXT_CHARS + 1)).is_err());
    assert!(parse_text("   ").unwrap_err().message.contains("empty"));

    assert_eq!(
        parse_url("https://youth.europa.eu"),
        Ok("https://youth.europa.eu/".into())
    );
    assert_eq!(
        parse_url(" https://erasmus-plus.ec.europa.eu/opportunities?x=1 "),
        Ok("https://erasmus-plus.ec.europa.eu/opportunities?x=1".into())
    );
    for bad in [
        "",
        "youth.europa.eu",
        "http://youth.europa.eu",
        "https://localhost/x",
        "https://192.168.1.1/x",
        "https://youth.europa.eu/a b",
        "https://europa.eu@evil.example/",
        "https://",
        "ftp://youth.europa.eu",
    ] {
        assert!(parse_url(bad).is_err(), "{bad}");
    }
    assert!(parse_url(&format!("https://europa.eu/{}", "a".repeat(500))).is_err());
}
