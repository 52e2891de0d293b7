//! Running it for years: webhook mode (secret checked, /health), backups while the bot
//! runs, `eudesk status`.

use crate::fake_api::FakeApi;
use crate::helpers::{Sandbox, WAIT, stderr, stdout};
use eudesk::config::Config;
use eudesk::telegram::Mode;
use serde_json::json;
use std::net::SocketAddr;

const SECRET: &str = "test_secret-123";

/// A free loopback port (there is a tiny window before the server binds it).
fn free_address() -> SocketAddr {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
}

struct Webhook {
    api: FakeApi,
    listen: SocketAddr,
    task: tokio::task::JoinHandle<anyhow::Result<()>>,
    _sandbox: Sandbox,
}

impl Drop for Webhook {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn start_webhook() -> Webhook {
    let sandbox = Sandbox::new();
    let engine = sandbox.engine().await;
    let api = FakeApi::start().await;
    let url = api.url();
    let config = Config::from_lookup(|name| match name {
        "TELOXIDE_TOKEN" => Some("123:TEST".to_owned()),
        "TELOXIDE_API_URL" => Some(url.clone()),
        "EUDESK_THROTTLE" => Some("off".to_owned()),
        _ => None,
    })
    .unwrap();
    let listen = free_address();
    let mode = Mode::Webhook {
        url: "https://bot.example.org/eudesk/hook".parse().unwrap(),
        listen,
        secret: Some(SECRET.to_owned()),
    };
    let task = tokio::spawn(async move { eudesk::telegram::run_in(&config, engine, mode).await });
    // Ready once it has told Telegram where to post.
    api.wait_for("setWebhook", |_| true, WAIT).await;
    for _ in 0..100 {
        if tokio::net::TcpStream::connect(listen).await.is_ok() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    Webhook {
        api,
        listen,
        task,
        _sandbox: sandbox,
    }
}

fn update(id: i64, user: i64, text: &str) -> serde_json::Value {
    json!({
        "update_id": id,
        "message": {
            "message_id": id, "date": 1_800_000_000,
            "chat": {"id": user, "type": "private", "first_name": "Ayşe"},
            "from": {"id": user, "is_bot": false, "first_name": "Ayşe", "language_code": "tr"},
            "text": text
        }
    })
}

async fn post(listen: SocketAddr, path: &str, secret: Option<&str>, body: &serde_json::Value) -> u16 {
    let mut request = reqwest::Client::new().post(format!("http://{listen}{path}")).json(body);
    if let Some(secret) = secret {
        request = request.header("X-Telegram-Bot-Api-Secret-Token", secret);
    }
    request.send().await.unwrap().status().as_u16()
}

#[tokio::test]
async fn the_webhook_is_registered_with_its_secret_and_handles_a_good_request() {
    let bot = start_webhook().await;
    let set = bot.api.wait_for("setWebhook", |_| true, WAIT).await;
    assert_eq!(set.params["url"], "https://bot.example.org/eudesk/hook");
    assert_eq!(set.params["secret_token"], SECRET);
    assert_eq!(
        post(bot.listen, "/eudesk/hook", Some(SECRET), &update(1, 31, "/start")).await,
        200
    );
    bot.api
        .wait_for(
            "sendMessage",
            |c| c.chat_id() == Some(31) && c.text().is_some_and(|t| t.contains("Merhaba")),
            WAIT,
        )
        .await;
}

#[tokio::test]
async fn a_wrong_or_missing_secret_gets_401_and_changes_nothing() {
    let bot = start_webhook().await;
    assert_eq!(
        post(bot.listen, "/eudesk/hook", Some("wrong"), &update(1, 32, "/start")).await,
        401
    );
    assert_eq!(
        post(bot.listen, "/eudesk/hook", None, &update(2, 32, "/start")).await,
        401
    );
    // A good request afterwards is answered, and only it.
    assert_eq!(
        post(bot.listen, "/eudesk/hook", Some(SECRET), &update(3, 33, "/menu")).await,
        200
    );
    bot.api.wait_for("sendMessage", |c| c.chat_id() == Some(33), WAIT).await;
    assert!(
        !bot.api.calls().iter().any(|c| c.chat_id() == Some(32)),
        "nothing was done for the refused requests"
    );
}

#[tokio::test]
async fn the_webhook_listens_only_on_the_path_of_its_url() {
    let bot = start_webhook().await;
    assert_eq!(
        post(bot.listen, "/other", Some(SECRET), &update(1, 34, "/start")).await,
        404
    );
}

#[tokio::test]
async fn health_answers_in_webhook_mode() {
    let bot = start_webhook().await;
    let response = reqwest::get(format!("http://{}/health", bot.listen)).await.unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["status"], "ok");
    assert_eq!(body["outbox_backlog"], 0);
}

#[tokio::test]
async fn a_backup_made_while_the_bot_runs_holds_its_data() {
    let sandbox = Sandbox::new();
    let engine = sandbox.engine().await;
    let bot = crate::helpers::Running::start(sandbox, engine, false).await;
    bot.api.push_text(41, "/language");
    bot.api.wait_for("sendMessage", |c| c.chat_id() == Some(41), WAIT).await;
    let file = bot.sandbox.dir.path().join("backup.db");
    let output = bot.sandbox.eudesk(&["backup", file.to_str().unwrap()], "");
    assert!(output.status.success(), "{}", stderr(&output));
    // The copy is a database of its own that eudesk opens and reads.
    let copy = eudesk::storage::Store::open(&format!("sqlite://{}", file.display()))
        .await
        .unwrap();
    assert!(copy.conversation(41).await.unwrap().is_some());
    // A backup never overwrites.
    let again = bot.sandbox.eudesk(&["backup", file.to_str().unwrap()], "");
    assert_eq!(again.status.code(), Some(1));
    assert!(stderr(&again).contains("exists already"));
}

#[test]
fn status_reports_database_migrations_outbox_and_tickets() {
    let sandbox = Sandbox::new();
    // A database made by running the bot's commands once.
    assert!(sandbox.eudesk(&["sessions", "list"], "").status.success());
    let output = sandbox.eudesk(&["status", "--json"], "");
    assert!(output.status.success(), "{}", stderr(&output));
    let v: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(v["database"], "ok");
    assert_eq!(v["migrations_current"], true);
    assert_eq!(v["outbox_backlog"], 0);
    assert_eq!(v["inbox_backlog"], 0);
    assert_eq!(v["open_tickets"], 0);
    let text = stdout(&sandbox.eudesk(&["status"], ""));
    assert!(text.contains("migrations: ") && text.contains("(current)"), "{text}");
    assert!(text.contains("inbox: 0 updates"), "{text}");
}

#[test]
fn status_says_when_the_database_is_unreachable() {
    let sandbox = Sandbox::new();
    let output = crate::helpers::eudesk_in(
        sandbox.dir.path(),
        &["status"],
        "",
        &[("DATABASE_URL", "sqlite:///no/such/folder/x.db")],
    );
    assert_eq!(output.status.code(), Some(1));
    assert!(stdout(&output).contains("database: unreachable"));
}
