//! Staff's command line for training sessions and their registrations, through the real
//! binary: `sessions add/list/edit/close/reopen/cancel/link` and `registrations export`.
//! Registrations are made through the library on the same database file, as the bot
//! would make them.

use crate::fake_api::{BOT_USERNAME, FakeApi};
use crate::helpers::{Sandbox, eudesk_in, stderr, stdout};
use eudesk::lang::Lang;
use eudesk::message::{OutMessage, Recipient};
use eudesk::storage::Store;
use eudesk::trainings::{Attendee, Email, OrgType, Organisation, PersonName, Phone, Registration, SessionId, Status};
use eudesk::trainings::{Booked, Cancelled};
use jiff::Timestamp;
use serde_json::{Value, json};
use std::process::Output;

/// The options of a complete, valid `sessions add`.
const PCM_DECEMBER: [&str; 12] = [
    "--title-tr",
    "PCM Temel Eğitimi",
    "--title-en",
    "PCM Basic Training",
    "--starts",
    "2026-12-10 10:00",
    "--ends",
    "2026-12-10 17:00",
    "--place",
    "İzmir Valiliği, Konak",
    "--capacity",
    "20",
];

/// Before every session the tests create: bookings made "now" are open.
fn booking_time() -> Timestamp {
    "2026-11-28T09:00:00Z".parse().unwrap()
}

fn far_future() -> Timestamp {
    "2100-01-01T00:00:00Z".parse().unwrap()
}

/// Asserts the run succeeded and returns its standard output.
fn ok(output: &Output) -> String {
    assert_eq!(
        output.status.code(),
        Some(0),
        "stdout: {}\nstderr: {}",
        stdout(output),
        stderr(output)
    );
    stdout(output)
}

/// One clear sentence on stderr, exit 1, no panic.
fn assert_clean_failure(output: &Output, expected: &str) {
    let err = stderr(output);
    assert_eq!(output.status.code(), Some(1), "stderr: {err}");
    assert!(!err.contains("panicked") && !err.contains("backtrace"), "{err}");
    let errors: Vec<&str> = err.lines().filter(|l| l.starts_with("error: ")).collect();
    assert_eq!(errors.len(), 1, "exactly one error line expected in: {err}");
    assert!(errors[0].contains(expected), "expected «{expected}» in: {err}");
}

/// `sessions add` with the given options; returns the printed id.
fn add(sandbox: &Sandbox, options: &[&str]) -> i64 {
    let mut args = vec!["sessions", "add"];
    args.extend_from_slice(options);
    let out = ok(&sandbox.eudesk(&args, ""));
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 1, "only the id expected, got: {out:?}");
    lines[0]
        .parse()
        .unwrap_or_else(|_| panic!("not a number alone on a line: {out:?}"))
}

/// `sessions add` with the December options, `overrides` replacing some of them.
fn add_with(sandbox: &Sandbox, overrides: &[(&str, &str)]) -> i64 {
    let mut options: Vec<&str> = PCM_DECEMBER.to_vec();
    for (name, value) in overrides {
        match options.iter().position(|o| o == name) {
            Some(i) => options[i + 1] = *value,
            None => options.extend([*name, *value]),
        }
    }
    add(sandbox, &options)
}

fn list_json(sandbox: &Sandbox) -> Vec<Value> {
    let out = ok(&sandbox.eudesk(&["sessions", "list", "--json"], ""));
    let value: Value = serde_json::from_str(out.trim())
        .unwrap_or_else(|e| panic!("`sessions list --json` printed no JSON ({e}): {out}"));
    value.as_array().expect("a JSON array").clone()
}

fn session_json(sandbox: &Sandbox, id: i64) -> Value {
    list_json(sandbox)
        .into_iter()
        .find(|s| s["id"] == id)
        .unwrap_or_else(|| panic!("session {id} is not listed"))
}

async fn store(sandbox: &Sandbox) -> Store {
    Store::open(&sandbox.database_url())
        .await
        .expect("the database the binary made opens")
}

fn attendee(name: &str, organisation: &str, org_type: OrgType, email: &str, phone: Option<&str>) -> Attendee {
    Attendee {
        name: PersonName::parse(name).unwrap(),
        organisation: Organisation::parse(organisation).unwrap(),
        org_type,
        email: Email::parse(email).unwrap(),
        phone: phone.map(|p| Phone::parse(p).unwrap()),
    }
}

async fn book(store: &Store, session: i64, user: i64, lang: Lang, who: &Attendee, now: Timestamp) -> Registration {
    match crate::helpers::book(store, SessionId(session), user, lang, who, "test-1", now).await {
        Booked::New(r) => r,
        other => panic!("expected a new registration, got {other:?}"),
    }
}

async fn cancel(store: &Store, r: &Registration, now: Timestamp) {
    match crate::helpers::cancel_registration(store, r.id, r.user.0, now).await {
        Cancelled::Done { .. } => {}
        Cancelled::NotFound => panic!("registration {:?} not found", r.id),
    }
}

fn some_person(n: i64) -> Attendee {
    attendee(
        &format!("Katılımcı {n}"),
        "Konak Belediyesi",
        OrgType::Municipality,
        &format!("kisi{n}@konak.bel.tr"),
        None,
    )
}

// ---- add ----------------------------------------------------------------------------

#[test]
fn sessions_add_prints_the_new_id_and_a_second_add_prints_the_next() {
    let sandbox = Sandbox::new();
    let first = add(&sandbox, &PCM_DECEMBER);
    let second = add_with(
        &sandbox,
        &[("--starts", "2027-01-14 10:00"), ("--ends", "2027-01-14 17:00")],
    );
    assert_eq!(second, first + 1);
    let ids: Vec<Value> = list_json(&sandbox).iter().map(|s| s["id"].clone()).collect();
    assert_eq!(ids, vec![json!(first), json!(second)]);
}

// ---- list ---------------------------------------------------------------------------

#[test]
fn sessions_list_says_so_when_there_are_none() {
    let sandbox = Sandbox::new();
    let out = ok(&sandbox.eudesk(&["sessions", "list"], ""));
    assert!(out.contains("no sessions yet"), "{out}");
    assert_eq!(list_json(&sandbox), Vec::<Value>::new());
}

#[tokio::test]
async fn sessions_list_shows_every_session_soonest_first_as_a_table_and_as_json() {
    let sandbox = Sandbox::new();
    let december = add(&sandbox, &PCM_DECEMBER);
    let november = add_with(
        &sandbox,
        &[
            ("--title-tr", "Bütçe Atölyesi"),
            ("--title-en", "Budget Workshop"),
            ("--starts", "2026-11-30 09:30"),
            ("--ends", "2026-11-30 12:30"),
            ("--place", "https://meet.example.org/budget"),
            ("--capacity", "1"),
            ("--deadline", "2026-11-29 17:00"),
        ],
    );
    let store = store(&sandbox).await;
    let now = booking_time();
    book(&store, november, 1, Lang::Tr, &some_person(1), now).await;
    book(&store, november, 2, Lang::En, &some_person(2), now).await;
    book(&store, december, 3, Lang::Tr, &some_person(3), now).await;

    let table = ok(&sandbox.eudesk(&["sessions", "list"], ""));
    let lines: Vec<&str> = table.lines().collect();
    assert_eq!(lines.len(), 3, "{table}");
    let header: Vec<&str> = lines[0].split_whitespace().collect();
    assert_eq!(
        header,
        ["id", "starts", "capacity", "confirmed", "waitlisted", "state", "title"]
    );
    let row = |line: &str| -> Vec<String> { line.split_whitespace().map(str::to_owned).collect() };
    assert_eq!(
        row(lines[1]),
        [
            november.to_string().as_str(),
            "2026-11-30",
            "09:30",
            "1",
            "1",
            "1",
            "open",
            "Bütçe",
            "Atölyesi"
        ]
    );
    assert_eq!(
        row(lines[2]),
        [
            december.to_string().as_str(),
            "2026-12-10",
            "10:00",
            "20",
            "1",
            "0",
            "open",
            "PCM",
            "Temel",
            "Eğitimi"
        ]
    );

    assert_eq!(
        list_json(&sandbox),
        vec![
            json!({
                "id": november,
                "title_tr": "Bütçe Atölyesi",
                "title_en": "Budget Workshop",
                "starts": "2026-11-30 09:30",
                "ends": "2026-11-30 12:30",
                "deadline": "2026-11-29 17:00",
                "place": "https://meet.example.org/budget",
                "capacity": 1,
                "confirmed": 1,
                "waitlisted": 1,
                "present": 0,
                "absent": 0,
                "state": "open",
            }),
            json!({
                "id": december,
                "title_tr": "PCM Temel Eğitimi",
                "title_en": "PCM Basic Training",
                "starts": "2026-12-10 10:00",
                "ends": "2026-12-10 17:00",
                "deadline": "2026-12-10 10:00",
                "place": "İzmir Valiliği, Konak",
                "capacity": 20,
                "confirmed": 1,
                "waitlisted": 0,
                "present": 0,
                "absent": 0,
                "state": "open",
            }),
        ]
    );
}

// ---- edit ---------------------------------------------------------------------------

#[test]
fn sessions_edit_changes_only_the_options_given() {
    let sandbox = Sandbox::new();
    let id = add_with(&sandbox, &[("--deadline", "2026-12-08 17:00")]);
    let other = add(&sandbox, &PCM_DECEMBER);
    let before = session_json(&sandbox, id);
    let other_before = session_json(&sandbox, other);

    let out = ok(&sandbox.eudesk(
        &[
            "sessions",
            "edit",
            &id.to_string(),
            "--capacity",
            "30",
            "--place",
            "Kültürpark, Salon 3",
        ],
        "",
    ));
    assert_eq!(out.trim(), format!("session {id} updated"));

    let mut expected = before.clone();
    expected["capacity"] = json!(30);
    expected["place"] = json!("Kültürpark, Salon 3");
    assert_eq!(session_json(&sandbox, id), expected);
    assert_eq!(session_json(&sandbox, other), other_before);
}

#[test]
fn sessions_edit_moves_a_deadline_that_equalled_the_start_with_the_start() {
    let sandbox = Sandbox::new();
    let id = add(&sandbox, &PCM_DECEMBER);
    assert_eq!(session_json(&sandbox, id)["deadline"], "2026-12-10 10:00");

    ok(&sandbox.eudesk(
        &[
            "sessions",
            "edit",
            &id.to_string(),
            "--starts",
            "2026-12-11 10:00",
            "--ends",
            "2026-12-11 17:00",
        ],
        "",
    ));
    let s = session_json(&sandbox, id);
    assert_eq!(s["starts"], "2026-12-11 10:00");
    assert_eq!(s["ends"], "2026-12-11 17:00");
    assert_eq!(s["deadline"], "2026-12-11 10:00");
    assert_eq!(s["title_tr"], "PCM Temel Eğitimi");
    assert_eq!(s["capacity"], 20);

    // Moving it earlier (the end stays) takes the deadline along too.
    ok(&sandbox.eudesk(
        &["sessions", "edit", &id.to_string(), "--starts", "2026-12-11 09:00"],
        "",
    ));
    let s = session_json(&sandbox, id);
    assert_eq!(s["starts"], "2026-12-11 09:00");
    assert_eq!(s["ends"], "2026-12-11 17:00");
    assert_eq!(s["deadline"], "2026-12-11 09:00");
}

#[test]
fn sessions_edit_keeps_a_deadline_of_its_own_when_the_start_moves() {
    let sandbox = Sandbox::new();
    let id = add_with(&sandbox, &[("--deadline", "2026-12-08 17:00")]);
    ok(&sandbox.eudesk(
        &[
            "sessions",
            "edit",
            &id.to_string(),
            "--starts",
            "2026-12-11 10:00",
            "--ends",
            "2026-12-11 17:00",
        ],
        "",
    ));
    let s = session_json(&sandbox, id);
    assert_eq!(s["starts"], "2026-12-11 10:00");
    assert_eq!(s["deadline"], "2026-12-08 17:00");
}

#[test]
fn sessions_edit_refuses_a_change_that_breaks_a_rule_and_keeps_the_session() {
    let sandbox = Sandbox::new();
    let id = add(&sandbox, &PCM_DECEMBER);
    let before = session_json(&sandbox, id);
    let id_s = id.to_string();
    for (args, expected) in [
        (
            vec!["--starts", "2026-12-10 18:00"],
            "the session must end after it starts",
        ),
        (vec!["--capacity", "0"], "the capacity must be at least 1"),
        (
            vec!["--ends", "10/12/2026 17:00"],
            "'10/12/2026 17:00' is not a date and time; write it like 2026-12-10 10:00",
        ),
        (
            vec!["--deadline", "2026-12-10 11:00"],
            "the registration deadline must not be after the start",
        ),
    ] {
        let mut all = vec!["sessions", "edit", id_s.as_str()];
        all.extend(args);
        assert_clean_failure(&sandbox.eudesk(&all, ""), expected);
        assert_eq!(session_json(&sandbox, id), before);
    }
}

// ---- bad input ----------------------------------------------------------------------

#[test]
fn sessions_add_refuses_a_time_written_another_way_and_says_how_to_write_it() {
    let sandbox = Sandbox::new();
    let mut args = vec!["sessions", "add"];
    args.extend(PCM_DECEMBER);
    args[7] = "10/12/2026";
    assert_eq!(args[6], "--starts");
    assert_clean_failure(
        &sandbox.eudesk(&args, ""),
        "'10/12/2026' is not a date and time; write it like 2026-12-10 10:00 or 10.12.2026 10:00 (office time, Europe/Istanbul)",
    );
    assert_eq!(list_json(&sandbox), Vec::<Value>::new());
}

#[test]
fn sessions_add_refuses_a_session_that_ends_before_it_starts() {
    let sandbox = Sandbox::new();
    let mut args = vec!["sessions", "add"];
    args.extend(PCM_DECEMBER);
    args[9] = "2026-12-10 09:00";
    assert_eq!(args[8], "--ends");
    assert_clean_failure(
        &sandbox.eudesk(&args, ""),
        "the session must end after it starts (--ends later than --starts)",
    );
    assert_eq!(list_json(&sandbox), Vec::<Value>::new());
}

#[test]
fn sessions_add_refuses_a_capacity_of_zero() {
    let sandbox = Sandbox::new();
    let mut args = vec!["sessions", "add"];
    args.extend(PCM_DECEMBER);
    args[13] = "0";
    assert_eq!(args[12], "--capacity");
    assert_clean_failure(
        &sandbox.eudesk(&args, ""),
        "the capacity must be at least 1 (--capacity)",
    );
    assert_eq!(list_json(&sandbox), Vec::<Value>::new());
}

/// The chat form's limits hold on the command line too: one check in the domain,
/// whatever the door.
#[test]
fn sessions_add_and_edit_keep_the_limits_the_chat_form_keeps() {
    let sandbox = Sandbox::new();
    let long_title = "P".repeat(121);
    let long_place = "Konak ".repeat(34);
    let cases = [
        ("--capacity", "5000", "the capacity is at most 1000 (--capacity)"),
        (
            "--title-en",
            long_title.as_str(),
            "a title is one line of at most 120 characters",
        ),
        (
            "--place",
            long_place.as_str(),
            "the place is at most 200 characters (--place)",
        ),
        (
            "--remind-hours",
            "400",
            "the second reminder is 1 to 168 hours before the start (--remind-hours)",
        ),
    ];
    for (option, value, expected) in cases {
        let mut args = vec!["sessions", "add"];
        args.extend(PCM_DECEMBER);
        match args.iter().position(|a| *a == option) {
            Some(at) => args[at + 1] = value,
            None => args.extend([option, value]),
        }
        assert_clean_failure(&sandbox.eudesk(&args, ""), expected);
        assert_eq!(list_json(&sandbox), Vec::<Value>::new(), "{option}");
    }
    let id = add(&sandbox, &PCM_DECEMBER);
    let before = session_json(&sandbox, id);
    let id_s = id.to_string();
    for (option, value, expected) in cases {
        let args = ["sessions", "edit", id_s.as_str(), option, value];
        assert_clean_failure(&sandbox.eudesk(&args, ""), expected);
        assert_eq!(session_json(&sandbox, id), before, "{option}");
    }
    // The largest allowed is taken.
    ok(&sandbox.eudesk(&["sessions", "edit", id_s.as_str(), "--capacity", "1000"], ""));
    assert_eq!(session_json(&sandbox, id)["capacity"], 1000);
}

#[test]
fn sessions_add_names_each_missing_required_option() {
    let sandbox = Sandbox::new();
    for missing in [
        "--title-tr",
        "--title-en",
        "--starts",
        "--ends",
        "--place",
        "--capacity",
    ] {
        let mut args = vec!["sessions", "add"];
        for pair in PCM_DECEMBER.chunks(2) {
            if pair[0] != missing {
                args.extend(pair);
            }
        }
        assert_clean_failure(
            &sandbox.eudesk(&args, ""),
            &format!("{missing} is required for a new session"),
        );
    }
    assert_eq!(list_json(&sandbox), Vec::<Value>::new());
}

#[test]
fn every_subcommand_refuses_an_unknown_session_id() {
    let sandbox = Sandbox::new();
    let id = add(&sandbox, &PCM_DECEMBER);
    let unknown = (id + 98).to_string();
    let u = unknown.as_str();
    let cases: [(&[&str], String); 6] = [
        (
            &["sessions", "edit", u, "--capacity", "5"],
            format!("there is no session {u}; `eudesk sessions list` shows the ids"),
        ),
        (
            &["sessions", "close", u],
            format!("session {u} does not exist or is cancelled"),
        ),
        (
            &["sessions", "reopen", u],
            format!("session {u} does not exist or is cancelled"),
        ),
        (
            &["sessions", "cancel", u],
            format!("session {u} does not exist or is already cancelled"),
        ),
        (
            &["sessions", "link", u],
            format!("there is no session {u}; `eudesk sessions list` shows the ids"),
        ),
        (
            &["registrations", "export", u],
            format!("there is no session {u}; `eudesk sessions list` shows the ids"),
        ),
    ];
    for (args, expected) in &cases {
        let output = sandbox.eudesk(args, "");
        assert_clean_failure(&output, expected);
        assert_eq!(stdout(&output), "", "{args:?}");
    }
    assert_eq!(session_json(&sandbox, id)["state"], "open");
    assert_eq!(session_json(&sandbox, id)["capacity"], 20);
}

// ---- close, reopen, cancel ----------------------------------------------------------

#[tokio::test]
async fn sessions_close_stops_bookings_and_reopen_takes_them_again() {
    let sandbox = Sandbox::new();
    let id = add(&sandbox, &PCM_DECEMBER);
    let id_s = id.to_string();

    let out = ok(&sandbox.eudesk(&["sessions", "close", &id_s], ""));
    assert_eq!(out.trim(), format!("session {id} closed to new bookings"));
    assert_eq!(session_json(&sandbox, id)["state"], "closed");
    let store = store(&sandbox).await;
    let refused = crate::helpers::book(
        &store,
        SessionId(id),
        7,
        Lang::Tr,
        &some_person(7),
        "test-1",
        booking_time(),
    )
    .await;
    assert!(matches!(refused, Booked::NotBookable), "{refused:?}");

    let out = ok(&sandbox.eudesk(&["sessions", "reopen", &id_s], ""));
    assert_eq!(out.trim(), format!("session {id} open for bookings"));
    assert_eq!(session_json(&sandbox, id)["state"], "open");
    book(&store, id, 7, Lang::Tr, &some_person(7), booking_time()).await;
    assert_eq!(session_json(&sandbox, id)["confirmed"], 1);
}

#[tokio::test]
async fn sessions_cancel_tells_every_registrant_in_their_language() {
    let sandbox = Sandbox::new();
    let id = add_with(&sandbox, &[("--capacity", "1")]);
    let store = store(&sandbox).await;
    let now = booking_time();
    let turkish = book(&store, id, 101, Lang::Tr, &some_person(101), now).await;
    let english = book(&store, id, 102, Lang::En, &some_person(102), now).await;
    let gone = book(&store, id, 103, Lang::En, &some_person(103), now).await;
    assert_eq!(turkish.status, Status::Confirmed);
    assert_eq!(english.status, Status::Waitlisted);
    cancel(&store, &gone, now).await;
    assert!(store.due_messages(far_future(), 100).await.unwrap().is_empty());

    let out = ok(&sandbox.eudesk(&["sessions", "cancel", &id.to_string()], ""));
    assert_eq!(
        out.trim(),
        format!("session {id} cancelled; 2 registrant(s) will be told by the running bot")
    );
    assert_eq!(session_json(&sandbox, id)["state"], "cancelled");

    let mut queued = store.due_messages(far_future(), 100).await.unwrap();
    queued.sort_by_key(|p| chat_of(&p.message));
    // Each notice is followed by its calendar file (a row of its own in the outbox).
    let (notices, files): (Vec<_>, Vec<_>) = queued.into_iter().partition(|p| p.message.document.is_none());
    let queued = notices;
    let chats: Vec<i64> = queued.iter().map(|p| chat_of(&p.message)).collect();
    assert_eq!(chats, [101, 102], "one notice each, none for who had cancelled");
    let file_chats: Vec<i64> = files.iter().map(|p| chat_of(&p.message)).collect();
    assert_eq!(file_chats, [101, 102], "one calendar file each");
    let tr = &queued[0].message.html;
    assert!(tr.contains("iptal edildi"), "{tr}");
    assert!(tr.contains("PCM Temel Eğitimi"), "{tr}");
    assert!(!tr.contains("cancelled"), "{tr}");
    let en = &queued[1].message.html;
    assert!(en.contains("cancelled"), "{en}");
    assert!(en.contains("PCM Basic Training"), "{en}");
    assert!(!en.contains("iptal"), "{en}");

    // A cancelled session stays cancelled, and nobody is told twice.
    let id_s = id.to_string();
    assert_clean_failure(
        &sandbox.eudesk(&["sessions", "cancel", &id_s], ""),
        &format!("session {id} does not exist or is already cancelled"),
    );
    for verb in ["close", "reopen"] {
        assert_clean_failure(
            &sandbox.eudesk(&["sessions", verb, &id_s], ""),
            &format!("session {id} does not exist or is cancelled"),
        );
    }
    assert_eq!(session_json(&sandbox, id)["state"], "cancelled");
    assert_eq!(
        store.due_messages(far_future(), 100).await.unwrap().len(),
        4,
        "still two notices and their two calendar files"
    );
}

// ---- export -------------------------------------------------------------------------

const HEADER: &str = "status,position,name,organisation,organisation_type,email,phone,registered_at,consent_version";

/// A session with capacity 2 and four bookings, the first of them cancelled (which
/// promotes the first on the waitlist): one row of each status.
async fn session_with_registrations(sandbox: &Sandbox) -> i64 {
    let id = add_with(sandbox, &[("--capacity", "2")]);
    let store = store(sandbox).await;
    let at = |minute: i64| booking_time() + jiff::SignedDuration::from_mins(minute);
    let sukru = book(
        &store,
        id,
        201,
        Lang::Tr,
        &attendee(
            "Şükrü Öztürk",
            "İzmir Valiliği AB ve Dış İlişkiler Bürosu",
            OrgType::PublicBody,
            "sukru.ozturk@izmir.gov.tr",
            Some("0532 123 45 67"),
        ),
        at(0),
    )
    .await;
    book(
        &store,
        id,
        202,
        Lang::Tr,
        &attendee(
            "İlknur Çağlar",
            "Ege Üniversitesi",
            OrgType::University,
            "ilknur.caglar@ege.edu.tr",
            None,
        ),
        at(1),
    )
    .await;
    let john = book(
        &store,
        id,
        203,
        Lang::En,
        &attendee(
            "John Smith",
            "Smith, \"Jones\" & Partners",
            OrgType::Company,
            "john.smith@example.org",
            Some("+49 30 901820"),
        ),
        at(2),
    )
    .await;
    assert_eq!((john.status, john.position), (Status::Waitlisted, 1));
    book(
        &store,
        id,
        204,
        Lang::Tr,
        &attendee(
            "Ayşe Yılmaz",
            "Çiğli Belediyesi",
            OrgType::Municipality,
            "ayse.yilmaz@cigli.bel.tr",
            None,
        ),
        at(3),
    )
    .await;
    cancel(&store, &sukru, at(60)).await;
    id
}

#[tokio::test]
async fn registrations_export_writes_a_csv_with_bom_one_row_per_registration() {
    let sandbox = Sandbox::new();
    let id = session_with_registrations(&sandbox).await;
    let file = sandbox.dir.path().join("katılımcılar.csv");
    let output = sandbox.eudesk(
        &[
            "registrations",
            "export",
            &id.to_string(),
            "--format",
            "csv",
            "--output",
            file.to_str().unwrap(),
        ],
        "",
    );
    ok(&output);

    let bytes = std::fs::read(&file).expect("the CSV file was written");
    assert_eq!(&bytes[..3], b"\xEF\xBB\xBF", "UTF-8 byte-order mark first");
    let text = std::str::from_utf8(&bytes[3..]).expect("UTF-8");
    assert!(!text.starts_with('\u{FEFF}'), "a single BOM");
    let lines: Vec<&str> = text.lines().collect();
    let expected = [
        HEADER,
        "cancelled,1,Şükrü Öztürk,İzmir Valiliği AB ve Dış İlişkiler Bürosu,public_body,sukru.ozturk@izmir.gov.tr,'+905321234567,2026-11-28 12:00,test-1",
        "confirmed,1,İlknur Çağlar,Ege Üniversitesi,university,ilknur.caglar@ege.edu.tr,,2026-11-28 12:01,test-1",
        "confirmed,2,John Smith,\"Smith, \"\"Jones\"\" & Partners\",company,john.smith@example.org,'+4930901820,2026-11-28 12:02,test-1",
        "waitlisted,1,Ayşe Yılmaz,Çiğli Belediyesi,municipality,ayse.yilmaz@cigli.bel.tr,,2026-11-28 12:03,test-1",
    ];
    assert_eq!(lines.len(), expected.len(), "{text}");
    for (i, (line, want)) in lines.iter().zip(expected).enumerate() {
        assert_eq!(*line, want, "line {}", i + 1);
    }
    assert!(text.ends_with('\n'), "the last row ends its line");

    // A CSV reader gets the fields back, the quoted organisation in one piece.
    let mut reader = csv::ReaderBuilder::new().has_headers(true).from_reader(text.as_bytes());
    let header: Vec<String> = reader.headers().unwrap().iter().map(str::to_owned).collect();
    assert_eq!(header.join(","), HEADER);
    let rows: Vec<Vec<String>> = reader
        .records()
        .map(|r| r.unwrap().iter().map(str::to_owned).collect())
        .collect();
    assert_eq!(rows.len(), 4);
    assert!(rows.iter().all(|r| r.len() == 9), "{rows:?}");
    assert_eq!(rows[2][3], "Smith, \"Jones\" & Partners");
    assert_eq!(rows[0][2], "Şükrü Öztürk");
    assert_eq!(rows[1][2], "İlknur Çağlar");
    let statuses: Vec<&str> = rows.iter().map(|r| r[0].as_str()).collect();
    assert_eq!(statuses, ["cancelled", "confirmed", "confirmed", "waitlisted"]);
}

#[tokio::test]
async fn registrations_export_without_output_writes_the_csv_to_standard_output() {
    let sandbox = Sandbox::new();
    let id = session_with_registrations(&sandbox).await;
    let file = sandbox.dir.path().join("list.csv");
    let id_s = id.to_string();
    ok(&sandbox.eudesk(
        &[
            "registrations",
            "export",
            &id_s,
            "--format",
            "csv",
            "--output",
            file.to_str().unwrap(),
        ],
        "",
    ));
    let output = sandbox.eudesk(&["registrations", "export", &id_s, "--format", "csv"], "");
    ok(&output);
    assert_eq!(output.stdout, std::fs::read(&file).unwrap());
    assert!(output.stdout.starts_with(b"\xEF\xBB\xBF"));
}

#[test]
fn registrations_export_of_a_session_without_registrations_is_the_header_alone() {
    let sandbox = Sandbox::new();
    let id = add(&sandbox, &PCM_DECEMBER);
    let output = sandbox.eudesk(&["registrations", "export", &id.to_string(), "--format", "csv"], "");
    ok(&output);
    let text = std::str::from_utf8(&output.stdout).unwrap();
    let text = text.strip_prefix('\u{FEFF}').expect("a BOM first");
    assert_eq!(text.lines().collect::<Vec<_>>(), [HEADER]);
}

#[test]
fn registrations_export_to_an_unwritable_file_says_which() {
    let sandbox = Sandbox::new();
    let id = add(&sandbox, &PCM_DECEMBER);
    let file = sandbox.dir.path().join("no-such-folder").join("list.csv");
    let file = file.to_str().unwrap();
    assert_clean_failure(
        &sandbox.eudesk(&["registrations", "export", &id.to_string(), "--output", file], ""),
        &format!("could not write '{file}'"),
    );
}

// ---- link ---------------------------------------------------------------------------

#[tokio::test]
async fn sessions_link_prints_the_deep_link_with_the_bot_username() {
    let sandbox = Sandbox::new();
    let id = add(&sandbox, &PCM_DECEMBER);
    let api = FakeApi::start().await;
    let (dir, db, url) = (sandbox.dir.path().to_owned(), sandbox.database_url(), api.url());
    let output = tokio::task::spawn_blocking(move || {
        eudesk_in(
            &dir,
            &["sessions", "link", &id.to_string()],
            "",
            &[
                ("DATABASE_URL", &db),
                ("TELOXIDE_TOKEN", "123:TEST"),
                ("TELOXIDE_API_URL", &url),
            ],
        )
    })
    .await
    .unwrap();
    let out = ok(&output);
    assert_eq!(
        out.lines().collect::<Vec<_>>(),
        [format!("https://t.me/{BOT_USERNAME}?start=training_{id}")]
    );
    assert_eq!(BOT_USERNAME, "eudesk_test_bot");
    let calls = api.calls();
    assert!(
        calls.iter().any(|c| c.method == "getMe" && c.token == "123:TEST"),
        "{:?}",
        calls.iter().map(|c| &c.method).collect::<Vec<_>>()
    );
}

#[test]
fn sessions_link_without_a_token_names_teloxide_token() {
    let sandbox = Sandbox::new();
    let id = add(&sandbox, &PCM_DECEMBER);
    let output = sandbox.eudesk(&["sessions", "link", &id.to_string()], "");
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(78), "a configuration error: {err}");
    assert!(err.contains("TELOXIDE_TOKEN") && !err.contains("panicked"), "{err}");
    assert_eq!(stdout(&output), "");
}

// ---- found while testing --------------------------------------------------------------

#[tokio::test]
async fn sessions_edit_raising_the_capacity_seats_the_waitlist_first() {
    let sandbox = Sandbox::new();
    let id = add_with(&sandbox, &[("--capacity", "1")]);
    let store = store(&sandbox).await;
    let now = booking_time();
    book(&store, id, 301, Lang::Tr, &some_person(301), now).await;
    let waiting = book(&store, id, 302, Lang::Tr, &some_person(302), now).await;
    assert_eq!(waiting.status, Status::Waitlisted);

    ok(&sandbox.eudesk(&["sessions", "edit", &id.to_string(), "--capacity", "2"], ""));
    let late = book(&store, id, 303, Lang::Tr, &some_person(303), now).await;

    let waiting_now = store.live_registration(SessionId(id), 302).await.unwrap().unwrap();
    assert_eq!(
        (waiting_now.status, late.status),
        (Status::Confirmed, Status::Waitlisted),
        "the person who waited should get the new seat, not the one who came later"
    );
}

#[tokio::test]
async fn sessions_cancel_does_not_need_the_dialogue_files() {
    let sandbox = Sandbox::new();
    let id = add(&sandbox, &PCM_DECEMBER);
    let store = store(&sandbox).await;
    book(&store, id, 401, Lang::Tr, &some_person(401), booking_time()).await;
    std::fs::remove_dir_all(sandbox.dialogues()).unwrap();

    // Everything else works from a folder without dialogues ...
    ok(&sandbox.eudesk(&["sessions", "close", &id.to_string()], ""));
    ok(&sandbox.eudesk(&["registrations", "export", &id.to_string()], ""));
    // ... and so should cancelling.
    let out = ok(&sandbox.eudesk(&["sessions", "cancel", &id.to_string()], ""));
    assert!(out.contains("1 registrant(s)"), "{out}");
    assert_eq!(session_json(&sandbox, id)["state"], "cancelled");
    let queued = store.due_messages(far_future(), 100).await.unwrap();
    assert_eq!(queued.len(), 2, "the notice and its calendar file");
    assert!(queued[0].message.html.contains("iptal edildi"));
}

#[test]
fn a_cancelled_session_can_no_longer_be_edited() {
    let sandbox = Sandbox::new();
    let add = sandbox.eudesk(
        &[
            "sessions",
            "add",
            "--title-tr",
            "A",
            "--title-en",
            "A",
            "--starts",
            "2030-01-10 10:00",
            "--ends",
            "2030-01-10 17:00",
            "--place",
            "İzmir",
            "--capacity",
            "5",
        ],
        "",
    );
    let id = String::from_utf8_lossy(&add.stdout).trim().to_owned();
    assert!(sandbox.eudesk(&["sessions", "cancel", &id], "").status.success());
    let edit = sandbox.eudesk(&["sessions", "edit", &id, "--capacity", "9"], "");
    assert_eq!(edit.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&edit.stderr).contains("is cancelled and can no longer be changed"));
}

#[test]
fn a_session_starting_in_the_past_is_created_with_a_warning() {
    let sandbox = Sandbox::new();
    let add = sandbox.eudesk(
        &[
            "sessions",
            "add",
            "--title-tr",
            "A",
            "--title-en",
            "A",
            "--starts",
            "2020-01-10 10:00",
            "--ends",
            "2020-01-10 17:00",
            "--place",
            "İzmir",
            "--capacity",
            "5",
        ],
        "",
    );
    assert!(add.status.success());
    assert!(String::from_utf8_lossy(&add.stderr).contains("warning: the start 2020-01-10 10:00 is in the past"));
}

fn chat_of(m: &OutMessage) -> i64 {
    match m.to {
        Recipient::Chat(c) => c.0,
        Recipient::Staff => panic!("a training notice goes to a person, not the staff chat"),
    }
}
