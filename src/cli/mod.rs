//! The command line: the subcommands and what each does, over the same core as the
//! bot. One file per group of subcommands.

mod args;
mod opportunities;
mod phrasings;
mod process;
mod sessions;
mod tickets;

use self::process::{reload, run_lock, status, write_pid};
use crate::config::Config;
use crate::dialogue::{self, LoadError, Loaded};
use crate::engine::{Engine, Options, Person};
use crate::lang::{Lang, Localized};
use crate::matching::Matcher;
use crate::storage::Store;
use crate::tickets::Actor;
use crate::tickets::Answer;
use crate::tickets::TicketId;
use crate::tickets::service::{self as ticket_service, Answered, Closed, Closer};
use crate::trainings::service::{self as training, Changed};
use crate::trainings::{CheckedDetails, SessionDetails, SessionId, SessionState, export, time};
use anyhow::{Context, bail};
pub use args::*;
use jiff::{SignedDuration, Timestamp};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

pub async fn run(command: Command) -> anyhow::Result<ExitCode> {
    let config = Config::from_env()?;
    match command {
        Command::Check { dir } => Ok(check(dir.as_deref().unwrap_or(&config.dialogues_dir))),
        Command::Match { lang, json, question } => {
            let loaded = load(&config.dialogues_dir)?;
            print_match(&loaded, lang, json, &question.join(" "));
            Ok(ExitCode::SUCCESS)
        }
        Command::Eval {
            file,
            part,
            json,
            cases: show_cases,
            compare,
        } => {
            let loaded = load(&config.dialogues_dir)?;
            let text = std::fs::read_to_string(&file)
                .with_context(|| format!("could not read the question list '{}'", file.display()))?;
            let cases = crate::matching::eval::parse(&text)
                .with_context(|| format!("the question list '{}' cannot be read", file.display()))?;
            let cases: Vec<_> = cases
                .into_iter()
                .filter(|c| part.as_deref().is_none_or(|p| c.part.as_deref() == Some(p)))
                .collect();
            if cases.is_empty() {
                bail!("no questions to run (is --part one of the list's parts?)");
            }
            let matcher = Matcher::new(&loaded.tree);
            if show_cases {
                for c in &cases {
                    let outcome = matcher.find(&c.question, c.lang);
                    let tops: Vec<String> = outcome
                        .matches
                        .iter()
                        .take(3)
                        .map(|m| format!("{} {:.3}", m.id, m.score))
                        .collect();
                    let s = outcome.signals;
                    println!(
                        "{}\t{}\t{:?}\t{}\ttop {:.3} second {:.3} explained {:.3} anchored {:.3} unknown {:.3} words {} agree {} held {:.3} lead {:.3}\t{}",
                        c.kind,
                        c.expected.as_deref().unwrap_or("none"),
                        outcome.decision,
                        tops.join(", "),
                        s.top,
                        s.second,
                        s.explained,
                        s.anchored,
                        s.unknown,
                        s.words,
                        s.agree,
                        s.held,
                        s.bm25_lead,
                        c.question
                    );
                }
            }
            let report = crate::matching::eval::evaluate(&matcher, &cases);
            if let Some(old) = compare {
                #[derive(serde::Deserialize)]
                struct Saved {
                    cases: Vec<crate::matching::eval::Done>,
                }
                let text = std::fs::read_to_string(&old)
                    .with_context(|| format!("could not read the saved run '{}'", old.display()))?;
                let saved: Saved = serde_json::from_str(&text).with_context(|| {
                    format!(
                        "'{}' is not a run saved with `eudesk eval FILE --json > OLD.json`",
                        old.display()
                    )
                })?;
                print!("{report}");
                println!();
                print!("{}", crate::matching::eval::compare(&saved.cases, &report.cases));
                return Ok(ExitCode::SUCCESS);
            }
            if json {
                println!("{}", serde_json::to_string(&report)?);
            } else {
                print!("{report}");
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Console { lang, user_id } => {
            let engine = engine(&config).await?;
            crate::console::run(
                engine,
                Person {
                    user: crate::ids::UserId(user_id),
                    lang_hint: lang,
                },
            )
            .await?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Run { webhook, listen } => {
            config.require_token()?;
            let lock = run_lock(&config.database_url)?;
            // SIGHUP is ignored from main's first line until this listener exists; only
            // then does the lock name this process for `eudesk reload` to signal.
            let hangups = crate::telegram::listen_for_hangups();
            let _lock = lock.map(|(file, path)| write_pid(file, &path)).transpose()?;
            let engine = engine(&config).await?;
            let mode = match webhook {
                None => crate::telegram::Mode::Polling,
                Some(url) => crate::telegram::Mode::Webhook {
                    url,
                    listen,
                    secret: config.webhook_secret.clone(),
                },
            };
            let sessions = engine.store().sessions().await?.len();
            tracing::info!(
                version = env!("CARGO_PKG_VERSION"),
                nodes = engine.tree().len(),
                sessions,
                database = %config.database_url,
                mode = if matches!(mode, crate::telegram::Mode::Polling) { "polling" } else { "webhook" },
                "eudesk starting"
            );
            crate::telegram::run_with(&config, engine, mode, hangups).await?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Sessions(command) => sessions::run(&config, command).await,
        Command::Backup { file } => {
            if file.exists() {
                bail!(
                    "'{}' exists already; choose a new file name (a backup never overwrites)",
                    file.display()
                );
            }
            let store = Store::open(&config.database_url).await?;
            if let Err(err) = store.backup(&file).await {
                // Not a half-written file that looks like a backup.
                let _ = std::fs::remove_file(&file);
                return Err(err).with_context(|| format!("could not write the backup to '{}'", file.display()));
            }
            println!("backup written to {}", file.display());
            Ok(ExitCode::SUCCESS)
        }
        Command::Status { json } => status(&config, json).await,
        Command::Tickets(command) => tickets::run(&config, command).await,
        Command::Phrasings(command) => phrasings::run(&config, command).await,
        Command::Stats { json } => {
            let store = Store::open(&config.database_url).await?;
            let mut stats = crate::stats::of(&store, &config.staff_user_ids).await?;
            stats.trained_before = config.trained_before as u64;
            stats.trained_total += stats.trained_before;
            if json {
                println!("{}", serde_json::to_string(&stats)?);
            } else {
                println!("{}", crate::engine::stats_text(&stats, Lang::En));
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Registrations(RegistrationsCommand::Export { id, output, format }) => {
            let store = Store::open(&config.database_url).await?;
            if store.session(SessionId(id)).await?.is_none() {
                bail!("there is no session {id}; `eudesk sessions list` shows the ids");
            }
            let registrations = store.registrations(SessionId(id)).await?;
            match format {
                ExportFormat::Csv => {
                    let csv = export::csv(&registrations);
                    match output {
                        Some(path) => write_private(&path, &csv)?,
                        None => {
                            use std::io::Write;
                            std::io::stdout().write_all(&csv)?;
                        }
                    }
                }
                ExportFormat::Xlsx => {
                    let path = output.unwrap_or_else(|| PathBuf::from(format!("registrations-session-{id}.xlsx")));
                    let bytes =
                        export::xlsx(&registrations, config.staff_lang).context("could not write the workbook")?;
                    write_private(&path, &bytes)?;
                    eprintln!("{} registration(s) written to {}", registrations.len(), path.display());
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Certificates(CertificatesCommand::Verify { code }) => {
            let store = Store::open(&config.database_url).await?;
            let verified = store
                .read(async |c| crate::trainings::certificate::verify(c, &code).await)
                .await?;
            match verified {
                crate::trainings::certificate::Verified::Valid { issued, session } => {
                    println!(
                        "valid certificate {}",
                        crate::trainings::certificate::display(&issued.code)
                    );
                    println!(
                        "name: {}",
                        issued.name.as_deref().unwrap_or(
                            "(no longer kept: erased at the person's request or after the retention period)"
                        )
                    );
                    match &session {
                        Some(s) => println!("training: #{} {} ({})", s.id, s.details.title.tr, s.when(Lang::En)),
                        None => println!("training: #{}", issued.session),
                    }
                    println!("issued: {}", time::local(issued.issued_at));
                    Ok(ExitCode::SUCCESS)
                }
                crate::trainings::certificate::Verified::Unknown => {
                    println!("no certificate was issued with the code '{}'", code.trim());
                    Ok(ExitCode::from(1))
                }
            }
        }
        Command::Reload => reload(&config),
        Command::Opportunities(command) => opportunities::run(&config, command).await,
    }
}

fn print_match(loaded: &Loaded, lang: Lang, json: bool, question: &str) {
    let outcome = Matcher::new(&loaded.tree).find(question, lang);
    let decision = serde_json::to_value(outcome.decision).expect("a decision serialises");
    if json {
        let matches: Vec<serde_json::Value> = outcome
            .matches
            .iter()
            .map(|m| serde_json::json!({"id": m.id.as_str(), "score": round(m.score)}))
            .collect();
        let object =
            serde_json::json!({"query": question, "lang": lang.code(), "decision": decision, "matches": matches});
        println!("{object}");
    } else {
        println!("decision: {}", decision.as_str().unwrap_or_default());
        for m in &outcome.matches {
            let label = loaded
                .tree
                .get(m.id.as_str())
                .map(|n| n.label.get(lang).as_str())
                .unwrap_or("");
            println!("  {:.3}  {:<24} {label}", m.score, m.id.as_str());
        }
    }
}

fn round(score: f32) -> f64 {
    (score as f64 * 1000.0).round() / 1000.0
}

async fn engine(config: &Config) -> anyhow::Result<Engine> {
    let loaded = load(&config.dialogues_dir)?;
    let store = Store::open(&config.database_url).await?;
    let options = Options {
        dialogues_dir: Some(config.dialogues_dir.clone()),
        trained_before: config.trained_before,
        channel: config.channel_id,
        remind_before: SignedDuration::from_hours(24 * config.remind_days as i64),
        staff: config.staff_user_ids.clone(),
        staff_chat: config.staff_chat_id,
        staff_lang: config.staff_lang,
        tickets_per_day: config.tickets_per_day,
        staff_remind_after: SignedDuration::from_hours(config.staff_remind_hours as i64),
        flood: crate::flood::Limits {
            per_window: config.flood_per_minute,
            ..crate::flood::Limits::default()
        },
        retention_days: config.retention_days,
        ..Options::default()
    };
    let engine = Engine::with_options(loaded.tree, store, options);
    // The ways of asking staff taught it (`/link`), on top of dialogues/.
    let learned = engine.relearn().await?;
    if learned > 0 {
        tracing::info!(learned, "learned phrasings in use");
    }
    Ok(engine)
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
            for pull in crate::matching::pulls(&loaded.tree) {
                let file = loaded
                    .tree
                    .get(pull.node.as_str())
                    .map(|n| n.file.display().to_string())
                    .unwrap_or_default();
                println!(
                    "warning: {file}: {}: the {} phrasing \"{}\" is closer to {} than to its own node; reword it, or move it to {}",
                    pull.node,
                    pull.lang.code(),
                    pull.phrasing,
                    pull.to,
                    pull.to
                );
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

/// Writes a file of personal data (an attendee list) readable by its owner only,
/// replacing it if it exists.
fn write_private(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options
        .open(path)
        .with_context(|| format!("could not write '{}'", path.display()))?;
    // An existing file keeps its permissions on open: narrow them too.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        file.set_permissions(std::fs::Permissions::from_mode(0o600))
            .with_context(|| format!("could not restrict '{}' to its owner", path.display()))?;
    }
    file.write_all(bytes)
        .with_context(|| format!("could not write '{}'", path.display()))
}
