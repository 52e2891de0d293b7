//! The command line's words: every subcommand, option and value `eudesk` takes (clap).

use crate::lang::Lang;
use crate::tickets::TicketStatus;
use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

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
    Opportunities(OpportunitiesCommand),
    /// Certificates of attendance: verify a code.
    #[command(subcommand)]
    Certificates(CertificatesCommand),
    /// Make the running bot read dialogues/ again (refused, with the problem list, when
    /// they are not valid).
    Reload,
    /// Ways of asking learned from staff: list, remove, export as `ask` lines.
    #[command(subcommand)]
    Phrasings(PhrasingsCommand),
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
    pub(super) title_tr: Option<String>,
    #[arg(long)]
    pub(super) title_en: Option<String>,
    /// Start, office time: "2026-12-10 10:00".
    #[arg(long)]
    pub(super) starts: Option<String>,
    /// End, office time: "2026-12-10 17:00".
    #[arg(long)]
    pub(super) ends: Option<String>,
    /// The place, or an online link.
    #[arg(long)]
    pub(super) place: Option<String>,
    #[arg(long)]
    pub(super) capacity: Option<u32>,
    /// Registration closes here [default: the start].
    #[arg(long)]
    pub(super) deadline: Option<String>,
    /// A second reminder this many hours before the start (besides the one a day before).
    #[arg(long)]
    pub(super) remind_hours: Option<u32>,
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

#[derive(Subcommand)]
pub enum OpportunitiesCommand {
    /// Publish the opportunity in FILE (TOML, see the README); prints its id. The
    /// running bot sends it to the subscribers of its topics.
    Add { file: PathBuf },
    /// Every opportunity, newest first: id, deadline, state, topics, title.
    List {
        /// One JSON array instead of lines.
        #[arg(long)]
        json: bool,
    },
    /// Take an opportunity off /opportunities and stop its alert if it is still going out.
    Withdraw { id: i64 },
}

#[derive(Subcommand)]
pub enum PhrasingsCommand {
    /// Every learned phrasing with its id, node, language, ticket and who added it.
    List {
        /// One JSON array instead of lines.
        #[arg(long)]
        json: bool,
    },
    /// Forget learned phrasings; the running bot stops using them within a minute.
    Remove {
        /// The ids `eudesk phrasings list` shows.
        #[arg(required_unless_present = "all", num_args = 1..)]
        ids: Vec<i64>,
        /// Every learned phrasing (after pasting the export into dialogues/).
        #[arg(long, conflicts_with = "ids")]
        all: bool,
    },
    /// Print the learned phrasings as `ask` lines, node by node, to paste into the
    /// dialogue files they name.
    Export,
}
