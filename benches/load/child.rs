//! The bots under test as child processes, and what /proc says about them.
//!
//! Each bot runs under a small `sh` watcher that kills it as soon as the watcher's
//! stdin (a pipe from this process) closes: when the benchmark ends, panics, is
//! interrupted or is killed, no bot is left polling a fake that is gone.

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Pids of the running bots, for the Ctrl-C handler.
static RUNNING: Mutex<Vec<u32>> = Mutex::new(Vec::new());

pub struct Bot {
    pub name: &'static str,
    pub pid: u32,
    watcher: std::process::Child,
    log: PathBuf,
}

/// Memory of a process, in kB, from /proc/<pid>/status.
#[derive(Clone, Copy, Debug, Default)]
pub struct Mem {
    pub hwm_kb: u64,
    pub rss_kb: u64,
}

impl Bot {
    /// Starts `program args` with only `vars` (and PATH) in its environment, in `dir`,
    /// its stderr appended to `log`.
    pub fn spawn(name: &'static str, program: &Path, args: &[&str], vars: &[(&str, String)], dir: &Path) -> Bot {
        let log = dir.join(format!("{name}.log"));
        let mut command = Command::new("sh");
        command
            .arg("-c")
            .arg(r#"log=$1; shift; "$@" >/dev/null 2>>"$log" & echo $!; read _; kill -9 $! 2>/dev/null; wait"#)
            .arg("sh")
            .arg(&log)
            .arg(program)
            .args(args)
            .current_dir(dir)
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        for (k, v) in vars {
            command.env(k, v);
        }
        let mut watcher = command.spawn().expect("sh runs");
        let mut line = String::new();
        BufReader::new(watcher.stdout.take().expect("piped stdout"))
            .read_line(&mut line)
            .expect("the watcher prints the pid");
        let pid: u32 = line.trim().parse().expect("a pid");
        RUNNING.lock().unwrap().push(pid);
        Bot {
            name,
            pid,
            watcher,
            log,
        }
    }

    /// Err with the end of its log if the bot has exited.
    pub fn check_alive(&self) -> Result<(), String> {
        if Path::new(&format!("/proc/{}/status", self.pid)).exists() && !self.zombie() {
            return Ok(());
        }
        Err(format!(
            "{} exited; the end of its log:\n{}",
            self.name,
            self.log_tail(2000)
        ))
    }

    fn zombie(&self) -> bool {
        std::fs::read_to_string(format!("/proc/{}/stat", self.pid))
            .map(|s| {
                s.rsplit_once(')')
                    .is_some_and(|(_, rest)| rest.trim_start().starts_with('Z'))
            })
            .unwrap_or(true)
    }

    pub fn log_tail(&self, bytes: usize) -> String {
        let mut text = String::new();
        if let Ok(mut f) = std::fs::File::open(&self.log) {
            let _ = f.read_to_string(&mut text);
        }
        let start = text.len().saturating_sub(bytes);
        let start = (start..text.len()).find(|&i| text.is_char_boundary(i)).unwrap_or(0);
        text[start..].to_owned()
    }

    /// Lines of its log (warnings and errors, with RUST_LOG=warn).
    pub fn log_lines(&self) -> usize {
        std::fs::read_to_string(&self.log)
            .map(|t| t.lines().count())
            .unwrap_or(0)
    }

    pub fn mem(&self) -> Mem {
        mem_of(self.pid)
    }

    /// User + system CPU time used so far.
    pub fn cpu(&self) -> Duration {
        cpu_of(&format!("/proc/{}/stat", self.pid))
    }

    /// Kills the bot (after its memory was read) and waits for it.
    pub fn stop(mut self) -> Mem {
        let mem = self.mem();
        self.kill();
        mem
    }

    /// SIGKILLs the bot now (a crash, as far as it can tell) and waits for it.
    pub fn sigkill(&mut self) {
        self.kill();
    }

    fn kill(&mut self) {
        // Closing the watcher's stdin makes it kill the bot and exit.
        drop(self.watcher.stdin.take());
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.watcher.try_wait() {
                break;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        if !matches!(self.watcher.try_wait(), Ok(Some(_))) {
            let _ = Command::new("kill").arg("-9").arg(self.pid.to_string()).status();
            let _ = self.watcher.kill();
            let _ = self.watcher.wait();
        }
        RUNNING.lock().unwrap().retain(|p| *p != self.pid);
    }
}

impl Drop for Bot {
    fn drop(&mut self) {
        if self.watcher.stdin.is_some() {
            self.kill();
        }
    }
}

/// Kills every bot still running (Ctrl-C), by pid.
pub fn kill_all() {
    for pid in RUNNING.lock().unwrap().drain(..) {
        let _ = Command::new("kill").arg("-9").arg(pid.to_string()).status();
    }
}

pub fn mem_of(pid: u32) -> Mem {
    let mut mem = Mem::default();
    if let Ok(status) = std::fs::read_to_string(format!("/proc/{pid}/status")) {
        for line in status.lines() {
            let kb = || line.split_whitespace().nth(1).and_then(|v| v.parse().ok()).unwrap_or(0);
            if line.starts_with("VmHWM:") {
                mem.hwm_kb = kb();
            } else if line.starts_with("VmRSS:") {
                mem.rss_kb = kb();
            }
        }
    }
    mem
}

/// utime + stime of /proc/…/stat (clock ticks of 10 ms).
pub fn cpu_of(stat_path: &str) -> Duration {
    let Ok(stat) = std::fs::read_to_string(stat_path) else {
        return Duration::ZERO;
    };
    let Some((_, rest)) = stat.rsplit_once(')') else {
        return Duration::ZERO;
    };
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // After the command: state is field 3, utime 14 and stime 15 (1-based).
    let ticks: u64 = [11, 12]
        .iter()
        .filter_map(|&i| fields.get(i).and_then(|v| v.parse::<u64>().ok()))
        .sum();
    Duration::from_millis(ticks * 10)
}

/// The eudesk binary cargo built beside this benchmark, built now if missing.
pub fn eudesk_binary() -> PathBuf {
    if let Some(path) = option_env!("CARGO_BIN_EXE_eudesk").map(PathBuf::from)
        && path.exists()
    {
        return path;
    }
    let exe = std::env::current_exe().expect("current exe");
    let beside = exe
        .parent()
        .and_then(Path::parent)
        .map(|d| d.join("eudesk"))
        .expect("target dir");
    if !beside.exists() {
        eprintln!(
            "load: {} is missing; running cargo build --release --bin eudesk",
            beside.display()
        );
        let status = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
            .args(["build", "--release", "--bin", "eudesk"])
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .status()
            .expect("cargo runs");
        assert!(status.success(), "cargo build --release --bin eudesk failed");
    }
    beside
}
