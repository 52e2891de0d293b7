//! The `eudesk` command: reads `.env`, sets up logging, runs a subcommand.

use anyhow::Context;
use clap::{Parser, Subcommand};
use eudesk::config::Config;
use eudesk::dialogue::{self, LoadError, Loaded};
use eudesk::engine::{Engine, Person};
use eudesk::lang::Lang;
use eudesk::matching::Matcher;
use eudesk::storage::Store;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "eudesk",
    version,
    about = "The Telegram assistant of the Izmir Governorship's EU and Foreign Relations Office"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the Telegram bot (long polling); needs TELOXIDE_TOKEN.
    Run,
    /// Chat with the bot in this terminal: same engine, same database, no Telegram.
    Console {
        /// The language to start in (until /language).
        #[arg(long, default_value = "tr", value_parser = parse_lang)]
        lang: Lang,
        /// Whose conversation this is; another id starts another conversation.
        #[arg(long, default_value_t = 1)]
        user_id: i64,
    },
    /// Validate the dialogue files: exit 0 when valid, 1 with every problem listed, 2 when they cannot be read.
    Check {
        /// The folder of dialogue files [default: DIALOGUES_DIR, else dialogues]
        dir: Option<PathBuf>,
    },
    /// Show how a free-text question is understood.
    Match {
        /// The question's language.
        #[arg(long, default_value = "tr", value_parser = parse_lang)]
        lang: Lang,
        /// Print one JSON object instead of text.
        #[arg(long)]
        json: bool,
        /// The question (several words need no quotes).
        #[arg(required = true, num_args = 1..)]
        question: Vec<String>,
    },
}

fn parse_lang(s: &str) -> Result<Lang, String> {
    Lang::parse(s).ok_or_else(|| format!("'{s}' is not a language here; use tr or en"))
}

fn main() -> ExitCode {
    // A missing .env is normal; a broken one is worth saying.
    if let Err(err) = dotenvy::dotenv()
        && !err.not_found()
    {
        eprintln!("error: could not read .env: {err}");
        return ExitCode::FAILURE;
    }
    let cli = Cli::parse();
    init_tracing(matches!(cli.command, Command::Console { .. }));
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(r) => r,
        Err(err) => {
            eprintln!("error: could not start the async runtime: {err}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli.command)) {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

/// Logs go to stderr, filtered by RUST_LOG (default `info`; `warn` in the console, where
/// they would mix with the conversation). teloxide logs through `log`; `init` bridges it.
fn init_tracing(console: bool) {
    use tracing_subscriber::EnvFilter;
    let default = if console { "warn" } else { "info" };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
}

async fn run(command: Command) -> anyhow::Result<ExitCode> {
    let config = Config::from_env()?;
    match command {
        Command::Check { dir } => Ok(check(dir.as_deref().unwrap_or(&config.dialogues_dir))),
        Command::Match {
            lang,
            json,
            question,
        } => {
            let loaded = load(&config.dialogues_dir)?;
            let question = question.join(" ");
            let outcome = Matcher::new(&loaded.tree).find(&question, lang);
            if json {
                let matches: Vec<serde_json::Value> = outcome
                    .matches
                    .iter()
                    .map(|m| serde_json::json!({"id": m.id.as_str(), "score": round(m.score)}))
                    .collect();
                let object = serde_json::json!({
                    "query": question,
                    "lang": lang.code(),
                    "decision": outcome.decision,
                    "matches": matches,
                });
                println!("{object}");
            } else {
                println!(
                    "decision: {}",
                    serde_json::to_value(outcome.decision)?
                        .as_str()
                        .unwrap_or_default()
                );
                for m in &outcome.matches {
                    let label = loaded
                        .tree
                        .get(m.id.as_str())
                        .map(|n| n.label.get(lang).as_str())
                        .unwrap_or("");
                    println!("  {:.3}  {:<24} {label}", m.score, m.id.as_str());
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Console { lang, user_id } => {
            let engine = engine(&config).await?;
            eudesk::console::run(
                engine,
                Person {
                    user: user_id,
                    lang_hint: lang,
                },
            )
            .await?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Run => {
            config.require_token()?;
            let engine = engine(&config).await?;
            tracing::info!(
                version = env!("CARGO_PKG_VERSION"),
                nodes = engine.tree().len(),
                database = %config.database_url,
                mode = "polling",
                "eudesk starting"
            );
            eudesk::telegram::run(&config, engine).await?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn round(score: f32) -> f64 {
    (score as f64 * 1000.0).round() / 1000.0
}

async fn engine(config: &Config) -> anyhow::Result<Engine> {
    let loaded = load(&config.dialogues_dir)?;
    let store = Store::open(&config.database_url).await?;
    Ok(Engine::new(loaded.tree, store))
}

/// Loads the dialogues for `run`, `console` and `match`, refusing an invalid tree with
/// the same list `check` prints.
fn load(dir: &Path) -> anyhow::Result<Loaded> {
    let loaded = dialogue::load(dir).with_context(|| {
        format!(
            "the dialogues in '{}' cannot be used; fix them (eudesk check {0} lists the problems)",
            dir.display()
        )
    })?;
    for w in &loaded.warnings {
        tracing::warn!("{w}");
    }
    Ok(loaded)
}

fn check(dir: &Path) -> ExitCode {
    match dialogue::load(dir) {
        Ok(loaded) => {
            for w in &loaded.warnings {
                println!("warning: {w}");
            }
            println!("{}: {} nodes, valid", dir.display(), loaded.tree.len());
            ExitCode::SUCCESS
        }
        Err(LoadError::Invalid(problems)) => {
            for p in &problems {
                println!("{p}");
            }
            println!("{} problem(s) in {}", problems.len(), dir.display());
            ExitCode::from(1)
        }
        Err(err) => {
            eprintln!("error: {err}");
            ExitCode::from(2)
        }
    }
}
