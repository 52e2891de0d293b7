//! The command line: the subcommands and what each does, over the same core as the
//! bot. One file per group of subcommands.

mod opportunities;
mod phrasings;
mod sessions;
mod tickets;

use crate::config::Config;
use crate::dialogue::{self, LoadError, Loaded};
use crate::engine::{Engine, Options, Person};
use crate::lang::{Lang, Localized};
use crate::matching::Matcher;
use crate::storage::Store;
use crate::tickets::Actor;
use crate::tickets::Answer;
use crate::tickets::service::{self as ticket_service, Answered, Closed, Closer};
use crate::tickets::{TicketId, TicketStatus};
use crate::trainings::service::{self as training, Changed};
use crate::trainings::{CheckedDetails, SessionDetails, SessionId, SessionState, export, time};
use anyhow::{Context, bail};
use clap::{Args, Parser, Subcommand};
use jiff::{SignedDuration, Timestamp};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
#[derive(Parser)]
#[command(
    name = "eudesk",
    version,
    about = "The Telegram assistant of the Izmir Governorship's EU and Foreign Relations Office"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand)]
pub enum Command {
    /// Run the Telegram bot (long polling, or a webhook with --webhook); needs TELOXIDE_TOKEN.
    Run {
        /// Receive updates by webhook at this public HTTPS URL (behind a reverse proxy)
        /// instead of polling; the process listens on the URL's path.
        #[arg(long)]
        webhook: Option<reqwest::Url>,
        /// Where the webhook server listens (the reverse proxy forwards to it).
        #[arg(long, default_value = "127.0.0.1:8443")]
        listen: std::net::SocketAddr,
    },
    /// Copy the live database consistently into FILE (safe while the bot runs).
    Backup { file: PathBuf },
    /// Database reachable, migrations current, outbox backlog, open tickets, last update received.
    Status {
        /// One JSON object instead of text.
        #[arg(long)]
        json: bool,
    },
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
    /// Run a list of questions with the node each should get: answered at once and
    /// right, per kind of question; top-3; answered confidently and wrong.
    Eval {
        /// Tab-separated: expected, lang, question, and optionally kind and part.
        file: PathBuf,
        /// Only the questions of this part (tune or test).
        #[arg(long)]
        part: Option<String>,
        /// One JSON object instead of a table.
        #[arg(long)]
        json: bool,
        /// Also print every question: how it was decided, the first matches and scores.
        #[arg(long)]
        cases: bool,
        /// Which questions got better or worse since a run saved with --json.
        #[arg(long, value_name = "OLD.json")]
        compare: Option<PathBuf>,
    },
    /// PCM training sessions: add, list, edit, close, cancel, link.
    #[command(subcommand)]
    Sessions(SessionsCommand),
    /// Registrations of a session.
    #[command(subcommand)]
    Registrations(RegistrationsCommand),
    /// Questions for staff: list, show, answer, close.
    #[command(subcommand)]
    Tickets(TicketsCommand),
    /// Opportunities and alerts: add FILE, list, withdraw ID.
    #[command(subcommand)]
    Opportunities(opportunities::OpportunitiesCommand),
    /// Certificates of attendance: verify a code.
    #[command(subcommand)]
    Certificates(CertificatesCommand),
    /// Make the running bot read dialogues/ again (refused, with the problem list, when
    /// they are not valid).
    Reload,
    /// Ways of asking learned from staff: list, remove, export as `ask` lines.
    #[command(subcommand)]
    Phrasings(phrasings::PhrasingsCommand),
    /// What the office learns from the bot: people, questions, tickets, what it could not answer.
    Stats {
        /// One JSON object instead of text.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
pub enum TicketsCommand {
    /// Tickets, oldest first.
    List {
        #[arg(long, value_parser = parse_status)]
        status: Option<TicketStatus>,
        /// One JSON array instead of lines.
        #[arg(long)]
        json: bool,
    },
    /// A ticket's whole history.
    Show { id: i64 },
    /// Answer a ticket; the running bot delivers the answer.
    Answer {
        id: i64,
        /// The answer (several words need no quotes).
        #[arg(required = true, num_args = 1..)]
        text: Vec<String>,
    },
    /// Close a ticket; the person is told.
    Close {
        id: i64,
        /// A closing note for the person.
        #[arg(long)]
        note: Option<String>,
    },
}

fn parse_status(s: &str) -> Result<TicketStatus, String> {
    TicketStatus::parse(s).ok_or_else(|| format!("'{s}' is not a ticket status; use open, answered or closed"))
}

#[derive(Subcommand)]
pub enum SessionsCommand {
    /// Create a session; prints its id. Times are office time (Europe/Istanbul).
    Add(SessionArgs),
    /// List every session with its counts.
    List {
        /// One JSON array instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Change a session: give only what changes.
    Edit {
        id: i64,
        #[command(flatten)]
        changes: SessionArgs,
    },
    /// Stop taking bookings for a session (registrations stay).
    Close { id: i64 },
    /// Take bookings again for a closed session.
    Reopen { id: i64 },
    /// Cancel a session and tell every registrant, in their language.
    Cancel { id: i64 },
    /// Print the deep link that opens the booking of a session in Telegram.
    Link { id: i64 },
    /// Attendance and the feedback survey's results of a session.
    Report {
        id: i64,
        /// One JSON object instead of text.
        #[arg(long)]
        json: bool,
        /// Also write the results as an Excel workbook to this file.
        #[arg(long)]
        output: Option<PathBuf>,
    },
}

#[derive(Subcommand)]
pub enum CertificatesCommand {
    /// Say what a certificate's code certifies (exit 0), or that no such certificate
    /// was issued (exit 1).
    Verify {
        /// The code printed at the bottom of the certificate (case and dashes ignored).
        code: String,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum ExportFormat {
    /// An Excel workbook (what Turkish-locale Excel opens without asking).
    Xlsx,
    /// UTF-8 CSV with a byte-order mark.
    Csv,
}

#[derive(Args, Default)]
pub struct SessionArgs {
    #[arg(long)]
    title_tr: Option<String>,
    #[arg(long)]
    title_en: Option<String>,
    /// Start, office time: "2026-12-10 10:00".
    #[arg(long)]
    starts: Option<String>,
    /// End, office time: "2026-12-10 17:00".
    #[arg(long)]
    ends: Option<String>,
    /// The place, or an online link.
    #[arg(long)]
    place: Option<String>,
    #[arg(long)]
    capacity: Option<u32>,
    /// Registration closes here [default: the start].
    #[arg(long)]
    deadline: Option<String>,
    /// A second reminder this many hours before the start (besides the one a day before).
    #[arg(long)]
    remind_hours: Option<u32>,
}

#[derive(Subcommand)]
pub enum RegistrationsCommand {
    /// Write the registrations of a session as an Excel workbook (or CSV).
    Export {
        id: i64,
        /// The file to write [default: registrations-session-ID.xlsx, or standard
        /// output for CSV].
        #[arg(long)]
        output: Option<PathBuf>,
        #[arg(long, value_enum, default_value_t = ExportFormat::Xlsx)]
        format: ExportFormat,
    },
}

fn parse_lang(s: &str) -> Result<Lang, String> {
    Lang::parse(s).ok_or_else(|| format!("'{s}' is not a language here; use tr or en"))
}

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

/// Only one `eudesk run` per database: a second one would fight the first over
/// Telegram's updates (409 Conflict) and answer every message twice. The lock is an
/// operating-system lock on a file beside the database, released when the process ends
/// however it ends, so a crash never leaves a stale lock behind.
/// The lock file beside the database that one `eudesk run` holds; `None` for a
/// database that is not a file.
fn lock_path(database_url: &str) -> Option<String> {
    let path = database_url
        .strip_prefix("sqlite://")
        .or_else(|| database_url.strip_prefix("sqlite:"))
        .unwrap_or(database_url);
    let path = path.split('?').next().unwrap_or(path);
    if path.is_empty() || path.starts_with(":memory:") {
        return None;
    }
    Some(format!("{path}.run-lock"))
}

fn run_lock(database_url: &str) -> anyhow::Result<Option<(std::fs::File, String)>> {
    let Some(lock_path) = lock_path(database_url) else {
        return Ok(None);
    };
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock_path)
        .with_context(|| format!("could not create the lock file '{lock_path}' beside the database"))?;
    match file.try_lock() {
        Ok(()) => {
            // No process named until it listens for SIGHUP (`write_pid`).
            file.set_len(0)
                .with_context(|| format!("could not write to the lock file '{lock_path}'"))?;
            Ok(Some((file, lock_path)))
        }
        Err(std::fs::TryLockError::WouldBlock) => bail!(
            "another `eudesk run` is already using the database (its lock is '{lock_path}'); stop it first (two bots on one token fight over Telegram's updates)"
        ),
        Err(std::fs::TryLockError::Error(e)) => Err(e).with_context(|| format!("could not lock '{lock_path}'")),
    }
}

/// Names this process in its lock, for `eudesk reload`.
fn write_pid(mut file: std::fs::File, lock_path: &str) -> anyhow::Result<std::fs::File> {
    use std::io::Write;
    write!(file, "{}", std::process::id())
        .and_then(|()| file.flush())
        .with_context(|| format!("could not write to the lock file '{lock_path}'"))?;
    Ok(file)
}

/// `eudesk reload`: checks the dialogues as `check` does (refusing an invalid tree with
/// its problems, exit 1), then asks the running bot, found through its lock file, to
/// read them again (SIGHUP).
fn reload(config: &Config) -> anyhow::Result<ExitCode> {
    let dir = &config.dialogues_dir;
    match dialogue::load(dir) {
        Ok(loaded) => {
            for w in &loaded.warnings {
                println!("warning: {w}");
            }
            println!("{}: {} nodes, valid", dir.display(), loaded.tree.len());
        }
        Err(LoadError::Invalid(problems)) => {
            for p in &problems {
                println!("{p}");
            }
            println!(
                "{} problem(s) in {}: not reloaded; the running bot keeps the dialogues it has",
                problems.len(),
                dir.display()
            );
            return Ok(ExitCode::from(1));
        }
        Err(err) => {
            eprintln!("error: {err}");
            return Ok(ExitCode::from(2));
        }
    }
    let Some(lock_path) = lock_path(&config.database_url) else {
        bail!("DATABASE_URL is not a file, so there is no running bot to find");
    };
    let running = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(&lock_path)
        .ok()
        .filter(|f| matches!(f.try_lock(), Err(std::fs::TryLockError::WouldBlock)));
    let Some(_) = running else {
        println!("no bot is running on this database; it will read the dialogues when it starts");
        return Ok(ExitCode::SUCCESS);
    };
    let pid: i32 = std::fs::read_to_string(&lock_path)
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .filter(|p| *p > 1)
        .with_context(|| {
            format!("the bot holding '{lock_path}' is still starting (it names itself there once it can reload); try again in a moment, or restart it")
        })?;
    #[cfg(unix)]
    {
        // SAFETY: kill only sends a signal to the process the lock file names.
        if unsafe { libc::kill(pid, libc::SIGHUP) } != 0 {
            let err = std::io::Error::last_os_error();
            bail!(
                "could not signal the running bot (process {pid}): {err}; run this as the bot's user, or `systemctl reload eudesk`"
            );
        }
        println!("the running bot (process {pid}) is reading the dialogues again");
        Ok(ExitCode::SUCCESS)
    }
    #[cfg(not(unix))]
    bail!("reloading a running bot needs a Unix signal; restart it instead (process {pid})")
}

/// `eudesk status`: exit 0 when all is well, 1 when something needs a look.
async fn status(config: &Config, json: bool) -> anyhow::Result<ExitCode> {
    let store = match Store::connect(&config.database_url).await {
        Ok(store) => store,
        Err(err) => {
            if json {
                println!(
                    "{}",
                    serde_json::json!({"database": "unreachable", "error": err.to_string()})
                );
            } else {
                println!("database: unreachable ({err})");
            }
            return Ok(ExitCode::from(1));
        }
    };
    let h = store.health().await?;
    let current = h.migrations_applied == h.migrations_known;
    if json {
        let mut v = serde_json::to_value(&h)?;
        v["database"] = "ok".into();
        v["migrations_current"] = current.into();
        println!("{v}");
    } else {
        println!("database: ok ({})", config.database_url);
        println!(
            "migrations: {}/{}{}",
            h.migrations_applied,
            h.migrations_known,
            if current {
                " (current)"
            } else {
                " (behind: the next `eudesk run` applies them)"
            }
        );
        println!(
            "outbox: {} waiting, {} undeliverable",
            h.outbox_backlog, h.outbox_failed
        );
        println!("inbox: {} updates taken and not yet handled", h.inbox_backlog);
        println!("open tickets: {}", h.open_tickets);
        println!(
            "last update received: {}",
            h.last_update.as_deref().unwrap_or("none in the last two days")
        );
    }
    Ok(if current { ExitCode::SUCCESS } else { ExitCode::from(1) })
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
