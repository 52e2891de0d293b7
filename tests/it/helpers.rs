//! What every test needs: a temporary folder with dialogue files and a database, an
//! engine over them, and the real binary.

#![allow(dead_code)]

use crate::fake_api::{Call, FakeApi};
use eudesk::clock::ManualClock;
use eudesk::config::Config;
use eudesk::dialogue;
use eudesk::engine::{Engine, Event, Options, Person, Reply, Target};
use eudesk::lang::Lang;
use eudesk::storage::Store;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::Arc;
use std::time::Duration;
use tempfile::TempDir;

/// A small but complete tree: menus, answers, a link, both actions, a contact block.
pub const TREE: &str = r#"
reviewed = 2026-11-28

[contact]
phone = ""

[consent]
version = "test-1"
text = { tr = "Verileriniz yalnızca kayıt için işlenir.", en = "Your data is used only for the registration." }

[[node]]
id = "main"
label = { tr = "Ana menü", en = "Main menu" }
text = { tr = "Merhaba! Size nasıl yardımcı olabilirim?", en = "Hello! How can I help?" }
children = ["office", "pcm", "help.ask_staff", "training.register"]

[[node]]
id = "office"
label = { tr = "Büro", en = "The office" }
text = { tr = "Büro hakkında.", en = "About the office." }
children = ["office.about", "office.contact"]
match = false

[[node]]
id = "office.about"
label = { tr = "Büro nedir?", en = "What is the office?" }
text.tr = "AB ve Dış İlişkiler Bürosu 12 Haziran 2007'de kuruldu."
text.en = "The EU and Foreign Relations Office was founded on 12 June 2007."
ask.tr = ["buro ne zaman kuruldu", "ab burosu nedir"]
ask.en = ["when was the office founded", "what does the office do"]

[[node]]
id = "office.contact"
label = { tr = "İletişim", en = "Contact" }
text = { tr = "Bize ulaşın:\n{contact}", en = "Reach us:\n{contact}" }
ask.tr = ["iletisim bilgileri", "telefon numarasi"]
ask.en = ["contact details", "phone number"]

[[node]]
id = "pcm"
label = { tr = "Proje yazma", en = "Project writing" }
text = { tr = "Proje Döngüsü Yönetimi konuları.", en = "Project Cycle Management topics." }
children = ["pcm.logframe", "pcm.budget"]
match = false

[[node]]
id = "pcm.logframe"
label = { tr = "Mantıksal çerçeve", en = "Logical framework" }
text.tr = "**Mantıksal çerçeve matrisi** projenin tek sayfalık özetidir."
text.en = "The **logical framework matrix** is a one-page summary of a project."
ask.tr = ["mantıksal çerçeve matrisi nedir", "logframe nasıl hazırlanır"]
ask.en = ["what is a logframe", "logical framework matrix"]

[[node.links]]
tr = "Rehber"
en = "Guide"
url = "https://example.org/guide"

[[node]]
id = "pcm.budget"
label = { tr = "Bütçe", en = "Budget" }
text = { tr = "Bütçe hazırlama: uygun maliyetler, eş finansman.", en = "Preparing a budget: eligible costs, co-financing." }
ask.tr = ["bütçe nasıl hazırlanır", "eş finansman nedir"]
ask.en = ["how to prepare a budget", "what is co-financing"]

[[node]]
id = "help.ask_staff"
label = { tr = "Personele sor", en = "Ask staff" }
text = { tr = "Sorunuzu personele iletin.", en = "Pass your question to staff." }
action = "ask_staff"

[[node]]
id = "training.register"
label = { tr = "Eğitime kayıt", en = "Register for training" }
text = { tr = "PCM eğitimine kayıt.", en = "Register for a PCM training." }
action = "register_training"
ask.tr = ["egitime kayit", "pcm egitimi kayit"]
ask.en = ["register for training"]
"#;

/// A temporary folder, removed when dropped: dialogue files in `dialogues/`, a
/// database file beside them.
pub struct Sandbox {
    pub dir: TempDir,
}

impl Sandbox {
    pub fn new() -> Sandbox {
        Sandbox::with_files(&[("tree.toml", TREE)])
    }

    pub fn with_files(files: &[(&str, &str)]) -> Sandbox {
        let dir = tempfile::tempdir().expect("temporary folder");
        std::fs::create_dir(dir.path().join("dialogues")).unwrap();
        let sandbox = Sandbox { dir };
        for (name, text) in files {
            sandbox.write(name, text);
        }
        sandbox
    }

    pub fn write(&self, name: &str, text: &str) {
        std::fs::write(self.dialogues().join(name), text).unwrap();
    }

    pub fn dialogues(&self) -> PathBuf {
        self.dir.path().join("dialogues")
    }

    pub fn database_url(&self) -> String {
        format!("sqlite://{}", self.dir.path().join("eudesk.db").display())
    }

    pub async fn engine(&self) -> Engine {
        let loaded = dialogue::load(&self.dialogues()).expect("the test tree is valid");
        let store = Store::open(&self.database_url()).await.expect("database opens");
        let options = Options {
            flood: lenient_flood(),
            ..Options::default()
        };
        Engine::with_options(loaded.tree, store, options)
    }

    /// An engine on a clock the test moves, with these staff user ids.
    pub async fn engine_with(&self, clock: Arc<ManualClock>, staff: Vec<i64>) -> Engine {
        let loaded = dialogue::load(&self.dialogues()).expect("the test tree is valid");
        let store = Store::open(&self.database_url()).await.expect("database opens");
        Engine::with_options(
            loaded.tree,
            store,
            Options {
                staff,
                clock,
                flood: crate::helpers::lenient_flood(),
                ..Options::default()
            },
        )
    }

    /// The real binary, run in this folder with a clean environment of our own.
    pub fn eudesk(&self, args: &[&str], stdin: &str) -> Output {
        eudesk_in(self.dir.path(), args, stdin, &[("DATABASE_URL", &self.database_url())])
    }
}

/// Runs the built `eudesk` binary in `dir` with only the given variables (plus PATH),
/// so nothing from the developer's environment or `.env` leaks in.
pub fn eudesk_in(dir: &Path, args: &[&str], stdin: &str, vars: &[(&str, &str)]) -> Output {
    use std::io::Write;
    let mut command = Command::new(env!("CARGO_BIN_EXE_eudesk"));
    command
        .args(args)
        .current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in vars {
        command.env(k, v);
    }
    let mut child = command.spawn().expect("the eudesk binary runs");
    child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
    child.wait_with_output().unwrap()
}

pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

pub fn person(user: i64, lang: Lang) -> Person {
    Person {
        user: eudesk::ids::UserId(user),
        lang_hint: lang,
    }
}

pub fn text(s: &str) -> Event {
    Event::Text(s.to_owned())
}

/// A press of the button whose Telegram callback data is `data` (decoded as the
/// Telegram adapter decodes it).
pub fn press(data: &str) -> Event {
    Event::Press(eudesk::telegram::callback_data::decode(data))
}

/// The callback data of the button with this label in a reply.
pub fn button(reply: &Reply, label: &str) -> String {
    reply
        .keyboard
        .iter()
        .flatten()
        .find(|b| b.label.contains(label))
        .and_then(|b| match &b.target {
            Target::Callback(pressed) => Some(eudesk::telegram::callback_data::encode(pressed)),
            Target::Url(_) => None,
        })
        .unwrap_or_else(|| panic!("no button '{label}' in {reply:#?}"))
}

pub fn labels(reply: &Reply) -> Vec<String> {
    reply.keyboard.iter().flatten().map(|b| b.label.clone()).collect()
}

/// How long a test waits for the bot to answer before failing: generous, since CI
/// machines are shared; a passing test does not wait for it.
pub const WAIT: Duration = Duration::from_secs(10);

/// The real Telegram adapter (`telegram::run`) running against a fresh fake Bot API,
/// stopped when dropped.
pub struct Running {
    pub api: FakeApi,
    pub engine: Engine,
    task: tokio::task::JoinHandle<anyhow::Result<()>>,
    pub sandbox: Sandbox,
}

impl Running {
    pub async fn start(sandbox: Sandbox, engine: Engine, throttle: bool) -> Running {
        // Each bot of this test process gets update ids no earlier bot saw: a restarted
        // bot skips ids it already handled, as it must with Telegram.
        static BOTS: std::sync::atomic::AtomicI64 = std::sync::atomic::AtomicI64::new(0);
        let first = BOTS.fetch_add(1, std::sync::atomic::Ordering::Relaxed) * 100_000 + 1;
        let api = FakeApi::start_at(first).await;
        let config = Config::from_lookup(|name| match name {
            "TELOXIDE_TOKEN" => Some("123:TEST".to_owned()),
            "TELOXIDE_API_URL" => Some(api.url()),
            "EUDESK_THROTTLE" => Some(if throttle { "on" } else { "off" }.to_owned()),
            _ => None,
        })
        .unwrap();
        let running = engine.clone();
        let task = tokio::spawn(async move { eudesk::telegram::run(&config, running).await });
        Running {
            api,
            engine,
            task,
            sandbox,
        }
    }
}

impl Running {
    /// Stops the bot (as a crash would) and gives back its folder, to start another
    /// bot on the same database.
    pub fn into_sandbox(mut self) -> Sandbox {
        self.task.abort();
        std::mem::replace(&mut self.sandbox, Sandbox::new())
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Tests drive a person through whole flows at machine speed (and often on a clock that
/// does not move), which real flood control would stop: it is tested on its own.
pub fn lenient_flood() -> eudesk::flood::Limits {
    eudesk::flood::Limits {
        per_window: 100_000,
        ..eudesk::flood::Limits::default()
    }
}

/// Whether a call to the fake is something the bot showed a person: a message, an
/// edit or a file.
pub fn is_output(call: &Call) -> bool {
    ["sendMessage", "editMessageText", "sendDocument"]
        .iter()
        .any(|m| call.method.eq_ignore_ascii_case(m))
}

/// Every message, edit or file sent to `chat` so far.
pub fn outputs_to(api: &FakeApi, chat: i64) -> Vec<Call> {
    api.calls()
        .into_iter()
        .filter(|c| is_output(c) && c.chat_id() == Some(chat))
        .collect()
}

/// How many messages to `chat` say `needle`.
pub fn count_to(api: &FakeApi, chat: i64, needle: &str) -> usize {
    outputs_to(api, chat)
        .iter()
        .filter(|c| c.text().is_some_and(|t| t.contains(needle)))
        .count()
}

/// The message a call sent or edited, to press a button under it.
pub fn message_of(call: &Call) -> i32 {
    call.sent_message_id()
        .or(call.message_id())
        .unwrap_or_else(|| panic!("no message id in {call:?}"))
}

/// One person's private chat with the bot: what they send, and the bot's messages to
/// them, read strictly in order. Test modules add their own steps (a booking, a
/// question for staff) in `impl Chat` blocks of their own.
pub struct Chat {
    pub api: FakeApi,
    pub user: i64,
    /// The person's Telegram language, as the fake reports it.
    pub lang: &'static str,
    /// How many of the fake's calls have been read.
    cursor: usize,
}

impl Chat {
    pub fn new(api: &FakeApi, user: i64) -> Chat {
        Chat {
            api: api.clone(),
            user,
            lang: "tr",
            cursor: 0,
        }
    }

    /// Types a text; returns the update's id.
    pub fn say(&self, text: &str) -> i64 {
        self.api.push_text_lang(self.user, self.lang, text)
    }

    /// Presses a button under the message `on` sent or edited; returns the update's id.
    pub fn press(&self, on: &Call, data: &str) -> i64 {
        self.api.push_callback(self.user, message_of(on), data)
    }

    /// Every message, edit or file sent to this person so far.
    pub fn outputs(&self) -> Vec<Call> {
        outputs_to(&self.api, self.user)
    }

    /// Reads on from here: what was sent so far counts as seen.
    pub fn cursor_to_end(&mut self) {
        self.cursor = self.api.calls().len();
    }

    /// How many messages to this person say `needle`.
    pub fn count(&self, needle: &str) -> usize {
        count_to(&self.api, self.user, needle)
    }

    /// The next message, edit or file sent to this person.
    pub async fn next(&mut self) -> Call {
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            let calls = self.api.calls();
            if let Some((i, call)) = calls
                .iter()
                .enumerate()
                .skip(self.cursor)
                .find(|(_, c)| is_output(c) && c.chat_id() == Some(self.user))
            {
                self.cursor = i + 1;
                return call.clone();
            }
            if tokio::time::Instant::now() >= deadline {
                let seen: Vec<String> = self
                    .outputs()
                    .iter()
                    .map(|c| format!("{} {:?}", c.method, c.text()))
                    .collect();
                panic!(
                    "no further message to {} within {WAIT:?}; all so far:\n{}",
                    self.user,
                    seen.join("\n")
                );
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// The next message to this person, which must be a call to `method` saying `needle`.
    pub async fn expect(&mut self, method: &str, needle: &str) -> Call {
        let call = self.next().await;
        assert!(
            call.method.eq_ignore_ascii_case(method) && call.text().is_some_and(|t| t.contains(needle)),
            "expected {method} with {needle:?} for {}, got {} {:?}",
            self.user,
            call.method,
            call.text()
        );
        call
    }
}

/// Staff member `staff` answers ticket `ticket` in their private chat: `/reply N text`,
/// which shows a preview, then "Send" under it. The replies to the press.
pub async fn staff_answers(engine: &Engine, staff: i64, ticket: impl std::fmt::Display, answer: &str) -> Vec<Reply> {
    let staff = person(staff, Lang::En);
    let preview = engine
        .handle(staff, text(&format!("/reply {ticket} {answer}")))
        .await
        .unwrap();
    let send = format!("k:send:{ticket}");
    assert!(
        preview
            .iter()
            .flat_map(|r| r.keyboard.iter().flatten())
            .any(|b| matches!(&b.target, Target::Callback(c) if eudesk::telegram::callback_data::encode(c) == send)),
        "a preview with Send: {preview:#?}"
    );
    engine.handle(staff, press(&send)).await.unwrap()
}

/// A running `eudesk run`, killed if a test ends without stopping it.
pub struct Process {
    child: std::process::Child,
    log: PathBuf,
}

impl Process {
    /// `eudesk run` in the sandbox against `api_url`, with a clean environment; its
    /// logs go to a file (a pipe nobody reads could fill and stall it).
    pub fn run(sandbox: &Sandbox, api_url: &str, token: &str, rust_log: &str) -> Process {
        Process::run_with(sandbox, &["run"], api_url, token, rust_log, &[])
    }

    /// `eudesk ARGS` like `run`, with more variables.
    pub fn run_with(
        sandbox: &Sandbox,
        args: &[&str],
        api_url: &str,
        token: &str,
        rust_log: &str,
        vars: &[(&str, &str)],
    ) -> Process {
        use std::sync::atomic::{AtomicUsize, Ordering};
        static RUNS: AtomicUsize = AtomicUsize::new(0);
        let n = RUNS.fetch_add(1, Ordering::Relaxed);
        let log = sandbox.dir.path().join(format!("run-{n}.log"));
        let file = std::fs::File::create(&log).unwrap();
        let child = std::process::Command::new(env!("CARGO_BIN_EXE_eudesk"))
            .args(args)
            .current_dir(sandbox.dir.path())
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("TELOXIDE_TOKEN", token)
            .env("TELOXIDE_API_URL", api_url)
            .env("DATABASE_URL", sandbox.database_url())
            .env("DIALOGUES_DIR", sandbox.dialogues())
            .env("EUDESK_THROTTLE", "off")
            .env("RUST_LOG", rust_log)
            .envs(vars.iter().copied())
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(file)
            .spawn()
            .expect("the eudesk binary starts");
        Process { child, log }
    }

    pub fn start(sandbox: &Sandbox, api: &FakeApi) -> Process {
        Process::run(sandbox, &api.url(), "123:TEST", "info")
    }

    /// Started and polling.
    pub async fn started(sandbox: &Sandbox, api: &FakeApi) -> Process {
        let process = Process::start(sandbox, api);
        api.wait_for("getUpdates", |_| true, WAIT).await;
        process
    }

    /// The process id.
    pub fn id(&self) -> u32 {
        self.child.id()
    }

    pub fn signal(&self, name: &str) {
        let status = std::process::Command::new("kill")
            .args([format!("-{name}"), self.child.id().to_string()])
            .status()
            .expect("kill runs");
        assert!(status.success(), "kill -{name} failed");
    }

    /// SIGKILL: no chance to clean up.
    pub fn kill_hard(&mut self) {
        self.child.kill().expect("SIGKILL");
        self.child.wait().unwrap();
    }

    /// Its exit, within `limit`; `None` if it is still running.
    pub async fn exit(&mut self, limit: Duration) -> Option<std::process::ExitStatus> {
        let deadline = std::time::Instant::now() + limit;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return Some(status);
            }
            if std::time::Instant::now() >= deadline {
                return None;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    pub fn stderr(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

// Workflow actions called directly (as the adapters call them), each in a transaction
// of its own.

pub async fn book(
    store: &Store,
    session: eudesk::trainings::SessionId,
    user: i64,
    lang: Lang,
    attendee: &eudesk::trainings::Attendee,
    consent: &str,
    now: jiff::Timestamp,
) -> eudesk::trainings::Booked {
    store
        .write(async |c| {
            eudesk::trainings::service::book(c, session, eudesk::ids::UserId(user), lang, attendee, consent, now).await
        })
        .await
        .unwrap()
}

pub async fn cancel_registration(
    store: &Store,
    id: eudesk::trainings::RegistrationId,
    user: i64,
    now: jiff::Timestamp,
) -> eudesk::trainings::Cancelled {
    store
        .write(async |c| eudesk::trainings::service::cancel_registration(c, id, eudesk::ids::UserId(user), now).await)
        .await
        .unwrap()
}

pub async fn set_open(store: &Store, id: eudesk::trainings::SessionId, open: bool) -> bool {
    store
        .write(async |c| eudesk::trainings::service::set_open(c, id, open).await)
        .await
        .unwrap()
}

pub async fn cancel_session(store: &Store, id: eudesk::trainings::SessionId, now: jiff::Timestamp) -> Option<usize> {
    store
        .write(async |c| eudesk::trainings::service::cancel_session(c, id, now).await)
        .await
        .unwrap()
}

pub async fn mark_sent(store: &Store, id: eudesk::storage::OutboxId, now: jiff::Timestamp) {
    store
        .write(async |c| eudesk::storage::outbox::mark_sent(c, id, now).await)
        .await
        .unwrap()
}
