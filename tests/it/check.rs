//! `eudesk check`: every kind of broken dialogue file gives a message that names the
//! file and the node and says how to fix it.

use crate::helpers::{Sandbox, TREE, eudesk_in, stdout};
use eudesk::dialogue::{self, SurveyKind};

/// Runs `eudesk check dialogues` on the test tree changed by `edit`, expecting exit 1.
fn problems_after(edit: impl Fn(&str) -> String) -> String {
    let sandbox = Sandbox::with_files(&[("tree.toml", &edit(TREE))]);
    let output = sandbox.eudesk(&["check", "dialogues"], "");
    let out = stdout(&output);
    assert_eq!(output.status.code(), Some(1), "expected exit 1, got:\n{out}");
    out
}

fn assert_has(out: &str, expected: &str) {
    assert!(out.contains(expected), "expected «{expected}» in:\n{out}");
}

#[test]
fn a_valid_tree_passes_with_exit_0() {
    let sandbox = Sandbox::new();
    let output = sandbox.eudesk(&["check", "dialogues"], "");
    assert_eq!(output.status.code(), Some(0), "{}", stdout(&output));
    assert_has(&stdout(&output), "9 nodes, valid");
}

#[test]
fn a_toml_syntax_error_gives_file_line_and_column() {
    let sandbox = Sandbox::new();
    sandbox.write("broken.toml", "reviewed = 2026-11-28\n\n[[node]]\nid = = \"x\"\n");
    let output = sandbox.eudesk(&["check", "dialogues"], "");
    assert_eq!(output.status.code(), Some(1));
    assert_has(&stdout(&output), "broken.toml:4:6: TOML syntax error");
}

#[test]
fn an_unknown_key_is_named_with_the_likely_one() {
    let out = problems_after(|t| t.replace(r#"id = "pcm.budget""#, "id = \"pcm.budget\"\nlabl = \"x\""));
    assert_has(
        &out,
        r#"tree.toml: pcm.budget: unknown key 'labl' in a node; did you mean "label"?"#,
    );
}

#[test]
fn an_unknown_key_at_the_top_of_a_file_is_named() {
    let out = problems_after(|t| format!("reviewd = 2026-11-28\n{t}"));
    assert_has(
        &out,
        r#"unknown key 'reviewd' at the top of a file; did you mean "reviewed"?"#,
    );
}

#[test]
fn an_unknown_language_in_a_text_is_named() {
    let out = problems_after(|t| {
        t.replace(
            r#"text = { tr = "Bütçe hazırlama"#,
            r#"text = { fr = "x", tr = "Bütçe hazırlama"#,
        )
    });
    assert_has(&out, "tree.toml: pcm.budget: unknown field `fr`");
}

#[test]
fn a_duplicate_id_names_both_files() {
    let sandbox = Sandbox::new();
    sandbox.write(
        "zz_more.toml",
        "[[node]]\nid = \"pcm.budget\"\nlabel = { tr = \"a\", en = \"a\" }\ntext = { tr = \"a\", en = \"a\" }\n",
    );
    let output = sandbox.eudesk(&["check", "dialogues"], "");
    assert_eq!(output.status.code(), Some(1));
    let out = stdout(&output);
    assert_has(&out, "zz_more.toml: pcm.budget: duplicate id: also defined in");
    assert_has(&out, "tree.toml; give one of them another id");
}

#[test]
fn a_missing_child_suggests_the_closest_id() {
    let out = problems_after(|t| {
        t.replace(
            r#"children = ["pcm.logframe", "pcm.budget"]"#,
            r#"children = ["pcm.logfrme", "pcm.budget"]"#,
        )
    });
    assert_has(
        &out,
        r#"tree.toml: pcm: child "pcm.logfrme" does not exist; did you mean "pcm.logframe"?"#,
    );
}

#[test]
fn a_node_no_menu_lists_is_unreachable() {
    let out = problems_after(|t| {
        format!(
            "{t}\n[[node]]\nid = \"orphan\"\nlabel = {{ tr = \"a\", en = \"a\" }}\ntext = {{ tr = \"a\", en = \"a\" }}\n"
        )
    });
    assert_has(&out, "tree.toml: orphan: cannot be reached from the main menu");
}

#[test]
fn a_missing_main_menu_is_reported() {
    let out = problems_after(|t| t.replace(r#"id = "main""#, r#"id = "start""#));
    assert_has(&out, "no node has id \"main\"");
}

#[test]
fn missing_translations_are_named_by_language() {
    let out = problems_after(|t| {
        t.replace(
            r#"text = { tr = "Büro hakkında.", en = "About the office." }"#,
            r#"text = { tr = "Büro hakkında." }"#,
        )
        .replace(
            r#"label = { tr = "Bütçe", en = "Budget" }"#,
            r#"label = { en = "Budget" }"#,
        )
    });
    assert_has(&out, r#"tree.toml: office: missing English text; add text.en = "...""#);
    assert_has(
        &out,
        r#"tree.toml: pcm.budget: missing Turkish label; add label.tr = "...""#,
    );
}

#[test]
fn a_text_over_telegrams_limit_is_refused() {
    let long = "a".repeat(4097);
    let out = problems_after(|t| t.replace("Büro hakkında.", &long));
    assert_has(
        &out,
        "tree.toml: office: the Turkish text has 4097 characters; Telegram allows 4096",
    );
}

#[test]
fn a_text_over_a_phone_screen_is_only_a_warning() {
    let long = "a".repeat(1500);
    let sandbox = Sandbox::with_files(&[("tree.toml", &TREE.replace("Büro hakkında.", &long))]);
    let output = sandbox.eudesk(&["check", "dialogues"], "");
    assert_eq!(output.status.code(), Some(0));
    assert_has(&stdout(&output), "warning: ");
}

#[test]
fn a_label_too_long_for_a_button_is_refused() {
    let out = problems_after(|t| {
        t.replace(
            r#"en = "Budget" }"#,
            r#"en = "Budget preparation for European Union grant applications" }"#,
        )
    });
    assert_has(&out, "tree.toml: pcm.budget: the English label");
    assert_has(&out, "phones cut button labels after about 40");
}

#[test]
fn an_id_too_long_for_callback_data_is_refused() {
    let long = format!("pcm.{}", "x".repeat(60));
    let out = problems_after(|t| t.replace("pcm.budget", &long));
    assert_has(&out, "Telegram's callback data allows 64 bytes");
}

#[test]
fn an_id_with_turkish_letters_is_refused() {
    let out = problems_after(|t| t.replace("pcm.budget", "pcm.bütçe"));
    assert_has(&out, "use only lowercase letters a-z");
}

#[test]
fn an_unknown_action_suggests_the_right_one() {
    let out = problems_after(|t| t.replace(r#"action = "register_training""#, r#"action = "register_trainig""#));
    assert_has(
        &out,
        r#"tree.toml: training.register: unknown action "register_trainig"; did you mean "register_training"?"#,
    );
}

#[test]
fn unbalanced_bold_markers_are_refused() {
    let out = problems_after(|t| t.replace("**Mantıksal çerçeve matrisi**", "**Mantıksal çerçeve matrisi"));
    assert_has(&out, "tree.toml: pcm.logframe: Turkish text: a '**' has no partner");
}

#[test]
fn contact_details_in_two_places_are_refused() {
    let sandbox = Sandbox::new();
    sandbox.write("other.toml", "[contact]\nphone = \"1\"\n");
    let output = sandbox.eudesk(&["check", "dialogues"], "");
    assert_eq!(output.status.code(), Some(1));
    assert_has(&stdout(&output), "keep the office's contact details in one place only");
}

#[test]
fn every_problem_is_reported_in_one_run() {
    let out = problems_after(|t| {
        t.replace(r#"action = "register_training""#, r#"action = "nope""#)
            .replace(
                r#"children = ["pcm.logframe", "pcm.budget"]"#,
                r#"children = ["pcm.nothing", "pcm.budget"]"#,
            )
            .replace(
                r#"text = { tr = "Büro hakkında.", en = "About the office." }"#,
                r#"text = { tr = "Büro hakkında." }"#,
            )
    });
    assert_has(&out, "unknown action \"nope\"");
    assert_has(&out, "child \"pcm.nothing\" does not exist");
    assert_has(&out, "missing English text");
    assert_has(&out, "3 problem(s)");
}

#[test]
fn a_folder_that_cannot_be_read_exits_2() {
    let sandbox = Sandbox::new();
    let output = sandbox.eudesk(&["check", "no-such-folder"], "");
    assert_eq!(output.status.code(), Some(2));
    assert!(crate::helpers::stderr(&output).contains("cannot read the dialogue files in 'no-such-folder'"));
    let empty = tempfile::tempdir().unwrap();
    let output = eudesk_in(empty.path(), &["check", "."], "", &[]);
    assert_eq!(output.status.code(), Some(2));
    assert!(crate::helpers::stderr(&output).contains("no dialogue files"));
}

#[test]
fn console_and_run_refuse_an_invalid_tree_with_the_same_list() {
    let sandbox = Sandbox::with_files(&[(
        "tree.toml",
        &TREE.replace(r#"action = "ask_staff""#, r#"action = "nope""#),
    )]);
    for args in [&["console"][..], &["run"][..]] {
        let output = crate::helpers::eudesk_in(
            sandbox.dir.path(),
            args,
            "",
            &[
                ("DATABASE_URL", &sandbox.database_url()),
                ("TELOXIDE_TOKEN", "1:x"),
                ("TELOXIDE_API_URL", "http://127.0.0.1:9/"),
            ],
        );
        assert_eq!(output.status.code(), Some(1), "{args:?}");
        let err = crate::helpers::stderr(&output);
        assert!(
            err.contains("tree.toml: help.ask_staff: unknown action \"nope\""),
            "{args:?}: {err}"
        );
    }
}

#[test]
fn sources_must_be_web_addresses() {
    let out = problems_after(|t| {
        t.replace(
            r#"id = "pcm.budget""#,
            "id = \"pcm.budget\"\nsources = [\"the programme guide\"]",
        )
    });
    assert_has(
        &out,
        r#"tree.toml: pcm.budget: source "the programme guide" is not a web address"#,
    );
}

#[test]
fn a_source_on_a_retired_address_is_only_a_warning_and_a_current_one_none() {
    let with_source = |url: &str| {
        TREE.replace(
            r#"id = "pcm.budget""#,
            &format!("id = \"pcm.budget\"\nsources = [\"{url}\"]"),
        )
    };
    let old = "https://ec.europa.eu/europeaid/how/delivering-aid/project-approach/index_en.htm";
    let sandbox = Sandbox::with_files(&[("tree.toml", &with_source(old))]);
    let output = sandbox.eudesk(&["check", "dialogues"], "");
    let out = stdout(&output);
    assert_eq!(output.status.code(), Some(0), "{out}");
    assert_has(
        &out,
        &format!(
            "warning: dialogues/tree.toml: pcm.budget: source \"{old}\" is on a retired address (ec.europa.eu/europeaid/"
        ),
    );
    assert_has(&out, "international-partnerships.ec.europa.eu");

    let current = "https://erasmus-plus.ec.europa.eu/programme-guide/part-b/key-action-2/cooperation-partnerships";
    let sandbox = Sandbox::with_files(&[("tree.toml", &with_source(current))]);
    let output = sandbox.eudesk(&["check", "dialogues"], "");
    let out = stdout(&output);
    assert_eq!(output.status.code(), Some(0), "{out}");
    assert!(
        !out.contains("retired"),
        "no warning expected for a current address:\n{out}"
    );
}

/// A small valid survey: two ratings and the free-text question.
const SURVEY: &str = r#"
[survey]
version = "test-1"
intro = { tr = "Birkaç soru.", en = "A few questions." }
thanks = { tr = "Teşekkürler.", en = "Thank you." }

[[survey.question]]
id = "overall"
kind = "rating"
text = { tr = "Genel olarak?", en = "Overall?" }

[[survey.question]]
id = "clarity"
kind = "rating"
text = { tr = "Anlatım açık mıydı?", en = "Was it clear?" }

[[survey.question]]
id = "comment"
kind = "text"
text = { tr = "Önerileriniz?", en = "Suggestions?" }
"#;

/// Runs `eudesk check dialogues` on the test tree and this survey file, expecting exit 1.
fn survey_problems(survey: &str) -> String {
    let sandbox = Sandbox::with_files(&[("tree.toml", TREE), ("survey.toml", survey)]);
    let output = sandbox.eudesk(&["check", "dialogues"], "");
    let out = stdout(&output);
    assert_eq!(output.status.code(), Some(1), "expected exit 1, got:\n{out}");
    out
}

#[test]
fn the_shipped_dialogues_have_a_valid_survey() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let output = eudesk_in(dir, &["check", "dialogues"], "", &[]);
    assert_eq!(output.status.code(), Some(0), "{}", stdout(&output));

    let tree = crate::content::shipped();
    let survey = tree.survey().expect("dialogues/survey.toml defines the survey");
    assert!(!survey.version.is_empty());
    let ratings = survey.questions.iter().filter(|q| q.kind == SurveyKind::Rating).count();
    let texts = survey
        .questions
        .iter()
        .filter(|q| matches!(q.kind, SurveyKind::Text { .. }))
        .count();
    assert_eq!((ratings, texts), (4, 1), "{survey:#?}");
}

#[test]
fn a_survey_is_read_with_its_questions_in_order() {
    let sandbox = Sandbox::with_files(&[("tree.toml", TREE), ("survey.toml", SURVEY)]);
    let loaded = dialogue::load(&sandbox.dialogues()).expect("the survey is valid");
    let survey = loaded.tree.survey().expect("a survey");
    assert_eq!(survey.version, "test-1");
    assert_eq!(survey.intro.en, "A few questions.");
    let ids: Vec<&str> = survey.questions.iter().map(|q| q.id.as_str()).collect();
    assert_eq!(ids, ["overall", "clarity", "comment"]);
    assert_eq!(
        survey.question("comment").unwrap().kind,
        SurveyKind::Text { max_chars: 1000 },
        "max_chars defaults to 1000"
    );

    let without = Sandbox::new();
    let loaded = dialogue::load(&without.dialogues()).expect("the test tree is valid");
    assert!(loaded.tree.survey().is_none());
}

#[test]
fn a_broken_survey_lists_each_problem_with_the_file_and_the_question() {
    let broken = SURVEY
        .replace(r#"id = "clarity""#, r#"id = "overall""#)
        .replace(
            r#"text = { tr = "Genel olarak?", en = "Overall?" }"#,
            r#"text = { tr = "Genel olarak?" }"#,
        )
        .replace(r#"kind = "rating""#, r#"kind = "ratng""#)
        + "\n[[survey.question]]\nid = \"more\"\nkind = \"text\"\ntext = { tr = \"Başka?\", en = \"Anything else?\" }\n";
    let out = survey_problems(&broken);
    assert_has(
        &out,
        r#"survey.toml: [survey] question "overall": duplicate id: question #1 has it too"#,
    );
    assert_has(
        &out,
        r#"survey.toml: [survey] question "overall": missing English text; add text.en = "...""#,
    );
    assert_has(
        &out,
        r#"survey.toml: [survey] question "overall": unknown kind "ratng"; did you mean "rating"?; the kinds are rating, text"#,
    );
    assert_has(
        &out,
        r#"survey.toml: [survey] question "more": a second text question (the first is "comment"); the survey has ratings 1–5 and one free-text question"#,
    );
    assert!(
        !out.contains("has no rating question"),
        "a misspelt kind may be the rating: no guess about it\n{out}"
    );
}

#[test]
fn a_survey_needs_a_rating_and_a_text_question_and_fits_two_minutes() {
    let ratings: String = (1..=11)
        .map(|i| {
            format!("\n[[survey.question]]\nid = \"q{i}\"\nkind = \"rating\"\ntext = {{ tr = \"a\", en = \"a\" }}\n")
        })
        .collect();
    let head = SURVEY.split("\n[[survey.question]]").next().unwrap();
    let out = survey_problems(&format!("{head}{ratings}"));
    assert_has(&out, "survey.toml: [survey]: has 11 questions; at most 10");
    assert_has(&out, "survey.toml: [survey]: has no text question");

    let out = survey_problems(head);
    assert_has(&out, "survey.toml: [survey]: has no rating question");
}

#[test]
fn survey_ids_texts_and_limits_are_checked() {
    let broken = SURVEY
        .replace(r#"id = "clarity""#, r#"id = "Açıklık""#)
        .replace(r#"version = "test-1""#, r#"version = " ""#)
        .replace(
            r#"thanks = { tr = "Teşekkürler.", en = "Thank you." }"#,
            r#"thanks = { tr = "Teşekkürler." }"#,
        )
        .replace(r#"id = "comment""#, "id = \"comment\"\nmax_chars = 5000\nhint = \"x\"")
        .replace("Genel olarak?", &"a".repeat(301));
    let out = survey_problems(&broken);
    assert_has(
        &out,
        r#"survey.toml: [survey] question "Açıklık": id "Açıklık" contains 'A'"#,
    );
    assert_has(&out, "survey.toml: [survey]: the version is empty");
    assert_has(
        &out,
        r#"survey.toml: [survey]: missing English thanks; add thanks.en = "...""#,
    );
    assert_has(
        &out,
        r#"survey.toml: [survey] question "comment": max_chars = 5000 is out of range; give a number from 1 to 2000"#,
    );
    assert_has(
        &out,
        r#"survey.toml: [survey] question "comment": unknown key 'hint' in a survey question"#,
    );
    assert_has(
        &out,
        r#"survey.toml: [survey] question "overall": the Turkish text has 301 characters"#,
    );
}

#[test]
fn a_second_survey_in_another_file_is_refused() {
    let sandbox = Sandbox::with_files(&[("tree.toml", TREE), ("survey.toml", SURVEY), ("zz_more.toml", SURVEY)]);
    let output = sandbox.eudesk(&["check", "dialogues"], "");
    let out = stdout(&output);
    assert_eq!(output.status.code(), Some(1), "{out}");
    assert_has(
        &out,
        "zz_more.toml: [survey] is also in dialogues/survey.toml; keep one survey",
    );
}

/// A valid consent to opportunity alerts, in a file of its own beside the test tree.
const ALERTS_CONSENT: &str = r#"
[alerts_consent]
version = "alerts-1"
text = { tr = "**Duyurular** için Telegram kimliğiniz saklanır.", en = "For **alerts** we keep your Telegram id." }
"#;

#[test]
fn the_shipped_dialogues_have_an_alerts_consent_with_a_version() {
    let tree = crate::content::shipped();
    let consent = tree
        .alerts_consent()
        .expect("dialogues/consent.toml has an [alerts_consent]");
    assert!(!consent.version.is_empty());
    for html in [&consent.html.tr, &consent.html.en] {
        for needed in ["KVKK", "6698", "/unsubscribe", "/forget", "<b>"] {
            assert!(html.contains(needed), "«{needed}» expected in:\n{html}");
        }
    }
    let booking = tree.consent().expect("dialogues/consent.toml has a [consent]");
    assert_ne!(booking.html.en, consent.html.en, "two different texts");
}

#[test]
fn an_alerts_consent_is_read_and_rendered_to_telegram_html() {
    let sandbox = Sandbox::with_files(&[("tree.toml", TREE), ("alerts.toml", ALERTS_CONSENT)]);
    let loaded = dialogue::load(&sandbox.dialogues()).expect("the alerts consent is valid");
    let consent = loaded.tree.alerts_consent().expect("an alerts consent");
    assert_eq!(consent.version, "alerts-1");
    assert_eq!(consent.html.en, "For <b>alerts</b> we keep your Telegram id.");
    assert_eq!(
        loaded.tree.consent().expect("the booking consent").version,
        "test-1",
        "the booking consent is kept apart"
    );

    let without = Sandbox::new();
    let loaded = dialogue::load(&without.dialogues()).expect("the test tree is valid");
    assert!(loaded.tree.alerts_consent().is_none());
}

#[test]
fn a_broken_alerts_consent_is_a_problem_naming_the_file() {
    let broken = ALERTS_CONSENT
        .replace(r#"version = "alerts-1""#, r#"version = " ""#)
        .replace(r#", en = "For **alerts** we keep your Telegram id." }"#, " }")
        .replace("**Duyurular**", "**Duyurular");
    let sandbox = Sandbox::with_files(&[("tree.toml", TREE), ("alerts.toml", &broken)]);
    let output = sandbox.eudesk(&["check", "dialogues"], "");
    let out = stdout(&output);
    assert_eq!(output.status.code(), Some(1), "{out}");
    assert_has(&out, "alerts.toml: [alerts_consent]: the version is empty");
    assert_has(
        &out,
        r#"alerts.toml: [alerts_consent]: missing English text; add text.en = "...""#,
    );
    assert_has(
        &out,
        "alerts.toml: [alerts_consent] Turkish text: a '**' has no partner",
    );
    assert_has(&out, "3 problem(s)");
}

#[test]
fn a_second_alerts_consent_in_another_file_is_refused() {
    let sandbox = Sandbox::with_files(&[
        ("tree.toml", TREE),
        ("alerts.toml", ALERTS_CONSENT),
        ("zz_more.toml", ALERTS_CONSENT),
    ]);
    let output = sandbox.eudesk(&["check", "dialogues"], "");
    let out = stdout(&output);
    assert_eq!(output.status.code(), Some(1), "{out}");
    assert_has(
        &out,
        "zz_more.toml: [alerts_consent] is also in dialogues/alerts.toml; keep one alerts consent text",
    );
}

/// The office's vocabulary beside the test tree.
fn with_vocabulary(vocabulary: &str) -> Sandbox {
    Sandbox::with_files(&[("tree.toml", TREE), ("vocabulary.toml", vocabulary)])
}

#[test]
fn the_vocabulary_names_each_word_that_cannot_be_used() {
    let sandbox = with_vocabulary(
        r#"
[vocabulary]
same = [["hibe", "fon", "grant"], ["fon", "funding"], ["ortak"]]
filler = ["abi", "hibe"]
context = ["Dokuz Eylül", "abi"]
"#,
    );
    let output = sandbox.eudesk(&["check", "dialogues"], "");
    let out = stdout(&output);
    assert_eq!(output.status.code(), Some(1), "{out}");
    assert_has(
        &out,
        "vocabulary.toml: [vocabulary] same: 'fon' is in group #1 and in group #2",
    );
    assert_has(&out, "same #3: [\"ortak\"] has one word");
    assert_has(&out, "[vocabulary] filler: 'hibe' is also in `same`");
    assert_has(&out, "[vocabulary] context: 'Dokuz Eylül' is not one word");
    assert_has(&out, "'abi' is both filler and context");
}

#[test]
fn a_vocabulary_in_two_files_or_with_an_unknown_list_is_refused() {
    let sandbox = Sandbox::with_files(&[
        ("tree.toml", TREE),
        ("vocabulary.toml", "[vocabulary]\nsame = [[\"hibe\", \"fon\"]]\n"),
        ("more.toml", "[vocabulary]\nsynonyms = [[\"a\", \"b\"]]\n"),
    ]);
    let out = stdout(&sandbox.eudesk(&["check", "dialogues"], ""));
    assert_has(&out, "[vocabulary] is also in");
}

#[test]
fn a_context_word_a_node_asks_about_is_a_warning_naming_the_node() {
    let sandbox = with_vocabulary("[vocabulary]\ncontext = [\"bornova\", \"logframe\"]\n");
    let output = sandbox.eudesk(&["check", "dialogues"], "");
    let out = stdout(&output);
    assert_eq!(output.status.code(), Some(0), "{out}");
    assert_has(
        &out,
        "warning: dialogues/vocabulary.toml: pcm.logframe: 'logframe' is a context word",
    );
    assert!(!out.contains("'bornova'"), "{out}");
}

#[test]
fn an_ask_line_closer_to_another_node_is_a_warning_naming_both() {
    // The budget node's own word in the logframe node: the budget node, whose label
    // and text hold it too, wins it.
    let tree = TREE.replace(
        r#"ask.tr = ["mantıksal çerçeve matrisi nedir", "logframe nasıl hazırlanır"]"#,
        r#"ask.tr = ["mantıksal çerçeve matrisi nedir", "logframe nasıl hazırlanır", "bütçe"]"#,
    );
    let sandbox = Sandbox::with_files(&[("tree.toml", &tree)]);
    let output = sandbox.eudesk(&["check", "dialogues"], "");
    let out = stdout(&output);
    assert_eq!(output.status.code(), Some(0), "{out}");
    assert_has(
        &out,
        "pcm.logframe: the tr phrasing \"bütçe\" is closer to pcm.budget than to its own node",
    );
    // The shipped test tree has none.
    let clean = stdout(&Sandbox::new().eudesk(&["check", "dialogues"], ""));
    assert!(!clean.contains("is closer to"), "{clean}");
}
