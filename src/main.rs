//! The `eudesk` command: reads `.env`, sets up logging, runs a subcommand.

use clap::Parser;
use eudesk::cli::{Cli, Command};
use std::process::ExitCode;

fn main() -> ExitCode {
    // A missing .env is normal; a broken one is worth saying.
    if let Err(err) = dotenvy::dotenv()
        && !err.not_found()
    {
        eprintln!("error: could not read .env: {err}");
        return ExitCode::FAILURE;
    }
    let cli = Cli::parse();
    let token = std::env::var("TELOXIDE_TOKEN").ok().filter(|t| !t.trim().is_empty());
    let console = matches!(cli.command, Command::Console { .. });
    eudesk::telemetry::init(if console { "warn" } else { "info" }, token.clone());
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(r) => r,
        Err(err) => {
            eprintln!("error: could not start the async runtime: {err}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(eudesk::cli::run(cli.command)) {
        Ok(code) => code,
        Err(err) => {
            let message = format!("error: {err:#}");
            eprintln!("{}", eudesk::telemetry::redact(&message, token.as_deref()));
            ExitCode::FAILURE
        }
    }
}
