//! What every test needs: a temporary folder with dialogue files and a database, an
//! engine over them, and the real binary.

#![allow(dead_code)]

use crate::fake_api::FakeApi;
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
    Person { user, lang_hint: lang }
}

pub fn text(s: &str) -> Event {
    Event::Text(s.to_owned())
}

pub fn press(data: &str) -> Event {
    Event::Press(data.to_owned())
}

/// The callback data of the button with this label in a reply.
pub fn button(reply: &Reply, label: &str) -> String {
    reply
        .keyboard
        .iter()
        .flatten()
        .find(|b| b.label.contains(label))
        .and_then(|b| match &b.target {
            Target::Callback(d) => Some(d.clone()),
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
