//! The command line's errors: one clear sentence, no panic; exit 78 (EX_CONFIG) when
//! only a person can fix the configuration, 1 otherwise.

use crate::helpers::{Sandbox, eudesk_in, stderr};

fn assert_clean_failure(output: &std::process::Output, code: i32, expected: &str) {
    let err = stderr(output);
    assert_eq!(output.status.code(), Some(code), "{err}");
    assert!(err.contains(expected), "expected «{expected}» in: {err}");
    assert!(!err.contains("panicked") && !err.contains("backtrace"), "{err}");
}

#[test]
fn run_without_a_token_says_where_to_get_one() {
    let sandbox = Sandbox::new();
    let output = sandbox.eudesk(&["run"], "");
    assert_clean_failure(&output, 78, "TELOXIDE_TOKEN is not set; get a token from @BotFather");
}

#[test]
fn a_malformed_staff_list_names_the_variable_and_the_bad_entry() {
    let sandbox = Sandbox::new();
    let output = eudesk_in(sandbox.dir.path(), &["console"], "", &[("STAFF_USER_IDS", "123,abc")]);
    assert_clean_failure(&output, 78, "STAFF_USER_IDS has 'abc'");
}

#[test]
fn an_unusable_database_path_names_the_variable() {
    let sandbox = Sandbox::new();
    let output = eudesk_in(
        sandbox.dir.path(),
        &["console"],
        "",
        &[("DATABASE_URL", "sqlite:///no/such/folder/eudesk.db")],
    );
    assert_clean_failure(
        &output,
        1,
        "cannot open the database 'sqlite:///no/such/folder/eudesk.db'",
    );
    assert!(stderr(&output).contains("DATABASE_URL"));
}

#[test]
fn dot_env_in_the_working_directory_is_read() {
    let sandbox = Sandbox::new();
    std::fs::write(sandbox.dir.path().join(".env"), "DIALOGUES_DIR=elsewhere\n").unwrap();
    let output = eudesk_in(sandbox.dir.path(), &["check"], "", &[]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("'elsewhere'"), "{}", stderr(&output));
}
