//! The running bot as a process: the lock that keeps a second `eudesk run` off the same
//! database (with its pid), `eudesk reload` (SIGHUP to that pid) and `eudesk status`.

use super::*;

/// Only one `eudesk run` per database: a second one would fight the first over
/// Telegram's updates (409 Conflict) and answer every message twice. The lock is an
/// operating-system lock on a file beside the database, released when the process ends
/// however it ends, so a crash never leaves a stale lock behind.
/// The lock file beside the database that one `eudesk run` holds; `None` for a
/// database that is not a file.
pub(crate) fn lock_path(database_url: &str) -> Option<String> {
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

pub(crate) fn run_lock(database_url: &str) -> anyhow::Result<Option<(std::fs::File, String)>> {
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
pub(crate) fn write_pid(mut file: std::fs::File, lock_path: &str) -> anyhow::Result<std::fs::File> {
    use std::io::Write;
    write!(file, "{}", std::process::id())
        .and_then(|()| file.flush())
        .with_context(|| format!("could not write to the lock file '{lock_path}'"))?;
    Ok(file)
}

/// `eudesk reload`: checks the dialogues as `check` does (refusing an invalid tree with
/// its problems, exit 1), then asks the running bot, found through its lock file, to
/// read them again (SIGHUP).
pub(crate) fn reload(config: &Config) -> anyhow::Result<ExitCode> {
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
pub(crate) async fn status(config: &Config, json: bool) -> anyhow::Result<ExitCode> {
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
