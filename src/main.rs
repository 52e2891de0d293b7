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
    init_tracing(matches!(cli.command, Command::Console { .. }));
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
