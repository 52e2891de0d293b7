//! `eudesk console` driven through piped stdin of the real binary.

use crate::helpers::{Sandbox, stdout};

#[test]
fn numbers_press_buttons_and_text_asks_questions() {
    let sandbox = Sandbox::new();
    let output = sandbox.eudesk(&["console", "--lang", "en"], "2\n1\nwhat is co-financing\n");
    assert!(output.status.success(), "{}", crate::helpers::stderr(&output));
    let out = stdout(&output);
    assert!(out.contains("Hello! How can I help?"), "{out}");
    assert!(out.contains("[2] Project writing"), "{out}");
    assert!(out.contains("Project Cycle Management topics."), "{out}");
    assert!(
        out.contains("The logical framework matrix is a one-page summary"),
        "bold markers removed: {out}"
    );
    assert!(out.contains("Preparing a budget"), "{out}");
}

#[test]
fn commands_work_as_in_telegram() {
    let sandbox = Sandbox::new();
    let output = sandbox.eudesk(&["console"], "/language\n2\n/help\n");
    let out = stdout(&output);
    assert!(out.contains("Merhaba!"), "starts in Turkish: {out}");
    assert!(out.contains("Language: English"), "{out}");
    assert!(out.contains("/cancel — Cancel what you are doing"), "{out}");
}

#[test]
fn a_new_console_resumes_where_the_last_one_stopped() {
    let sandbox = Sandbox::new();
    sandbox.eudesk(&["console", "--lang", "en"], "2\n");
    let output = sandbox.eudesk(&["console", "--lang", "en"], "1\n");
    let out = stdout(&output);
    let first = out.split("\n\n").next().unwrap();
    assert!(
        first.contains("Project Cycle Management topics."),
        "resumed at the menu: {out}"
    );
    assert!(
        out.contains("logical framework matrix"),
        "and its first button still works: {out}"
    );
}

#[test]
fn other_user_ids_have_their_own_conversations() {
    let sandbox = Sandbox::new();
    sandbox.eudesk(&["console", "--lang", "en", "--user-id", "5"], "2\n");
    let output = sandbox.eudesk(&["console", "--lang", "en", "--user-id", "6"], "");
    assert!(stdout(&output).starts_with("Hello!"), "{}", stdout(&output));
}
