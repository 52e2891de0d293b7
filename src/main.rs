//! The `eudesk` command: reads `.env`, sets up logging, runs a subcommand.

use clap::Parser;
use eudesk::cli::{Cli, Command};
use std::process::ExitCode;

fn main() -> ExitCode {
    // `eudesk run` reloads the dialogues at SIGHUP once it listens for it; until then a
    // SIGHUP (a reload during a restart, a deploy script) must not end it, and systemd
    // would count that death as a clean exit and not restart it. Other commands get
    // the default back below.
    #[cfg(unix)]
    // SAFETY: sets the action of one signal; no memory is involved.
    unsafe {
        libc::signal(libc::SIGHUP, libc::SIG_IGN);
    }
    // Every file this process creates (database, its -wal and -shm, backups, exports)
    // holds personal data: readable by its owner only, whatever the shell's umask.
    #[cfg(unix)]
    // SAFETY: umask only sets the process's file-creation mask; no memory is involved.
    unsafe {
        libc::umask(0o077);
    }
    // glibc gives each thread that allocates its own malloc arena, up to eight per
    // core; the bot's threads (tokio's, SQLite's, the matcher's) each kept megabytes of
    // free memory in theirs. Two arenas are plenty for two busy threads at a time.
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets an allocator parameter, before any thread exists.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 2);
    }
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
    // Printing commands end quietly when their reader does (`eudesk eval … | head`),
    // as command-line tools do, instead of panicking on a closed pipe. The bot itself
    // keeps Rust's default (a peer closing a socket is an error to handle, not an end).
    #[cfg(unix)]
    if !matches!(cli.command, Command::Run { .. }) {
        // SAFETY: sets the action of one signal; no memory is involved.
        unsafe {
            libc::signal(libc::SIGHUP, libc::SIG_DFL);
        }
    }
    #[cfg(unix)]
    if !matches!(cli.command, Command::Run { .. } | Command::Console { .. }) {
        // SAFETY: sets the action of one signal; no memory is involved.
        unsafe {
            libc::signal(libc::SIGPIPE, libc::SIG_DFL);
        }
    }
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
            // 78 (EX_CONFIG): only a person can fix this; the systemd unit does not
            // restart on it (RestartPreventExitStatus=78).
            if err.is::<eudesk::telegram::TokenRefused>() || err.is::<eudesk::config::ConfigError>() {
                ExitCode::from(78)
            } else {
                ExitCode::FAILURE
            }
        }
    }
}
