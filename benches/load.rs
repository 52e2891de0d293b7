//! Load benchmark (issue 7): the real `eudesk run` against a loopback fake Bot API,
//! fed N updates from M distinct people, next to a minimal teloxide echo bot on the
//! same machine and the same updates.
//!
//!     cargo bench --bench load
//!     cargo bench --bench load -- --updates 20000 --people 10000
//!     cargo bench --bench load -- --quick          # a small run, to try it
//!     cargo bench --bench load -- --help
//!
//! Everything stays on 127.0.0.1. The bots are child processes (eudesk with
//! EUDESK_THROTTLE=off, a temporary database and the shipped dialogues), killed at
//! the end. Each person waits for the reply to an update, thinks a moment, and sends
//! the next: the latency of an update is the time from it being queued in the fake to
//! the first reply in that person's chat.

#[path = "load/alerts.rs"]
mod alerts;
#[path = "../tests/support/bot_api.rs"]
mod bot_api;
#[path = "load/child.rs"]
mod child;
#[path = "load/echo.rs"]
mod echo;
#[path = "load/fake.rs"]
mod fake;
#[path = "load/resilience.rs"]
mod resilience;
#[path = "load/workload.rs"]
mod workload;

use child::{Bot, Mem};
use eudesk::dialogue;
use eudesk::lang::Localized;
use eudesk::storage::Store;
use eudesk::trainings::SessionDetails;
use fake::{Counters, Fake, RunConfig, RunStats};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use workload::{Material, Script, Step};

/// The targets.
const TARGET_THROUGHPUT: f64 = 2_000.0;
const TARGET_P99_MS: f64 = 50.0;
const TARGET_MEMORY_MB: f64 = 60.0;
const TARGET_ECHO_RATIO: f64 = 0.5;

#[derive(Clone, Debug)]
struct Args {
    updates: usize,
    people: usize,
    /// Offered load of the latency runs, updates per second.
    rate: f64,
    paced_updates: usize,
    paced_people: usize,
    think_ms: u64,
    window: usize,
    flood_people: usize,
    flood_updates: usize,
    flood_messages: usize,
    crowd: usize,
    /// Per-run time limit, seconds.
    limit_s: u64,
    skip_echo: bool,
    /// Alert subscribers with throttling off (issue 14).
    alert_subscribers: usize,
    /// Alert subscribers with throttling on.
    alert_throttled: usize,
    /// Conversation updates per second while the alert goes out.
    alert_rate: f64,
    /// EUDESK_BROADCAST_PER_SECOND of the throttled run.
    broadcast_per_second: u32,
    /// Write each run's (queued at, latency) series as CSV into this folder.
    dump: Option<PathBuf>,
    /// Sessions the bookings are spread over.
    sessions: usize,
    /// Extra environment for the eudesk processes (experiments: MALLOC_ARENA_MAX=2 …).
    eudesk_env: Vec<(String, String)>,
    /// Scenarios to run (empty: all but those skipped), and those skipped.
    only: Vec<String>,
    skip: Vec<String>,
    /// Throttling on, a flood: people talking normally, steps each, their think time,
    /// and the flooder's messages at once.
    tflood_people: usize,
    tflood_steps: usize,
    tflood_think_ms: u64,
    tflood_messages: usize,
    /// Throttling on, a steady rate from different people.
    steady_rate: f64,
    steady_updates: usize,
    steady_people: usize,
    steady_think_ms: u64,
    /// Faults: people, updates, offered rate, think time, one sendMessage in
    /// `fault_every` failing, and when (share of the updates answered) eudesk is killed.
    fault_people: usize,
    fault_updates: usize,
    fault_rate: f64,
    fault_think_ms: u64,
    fault_every: u64,
    kill_at: f64,
    /// Alerts with server errors: subscribers, one send attempt in `alert_fail_every` 5xx.
    alert_fault_subscribers: usize,
    alert_fail_every: usize,
}

/// Every scenario, by the name `--only` and `--skip` take.
const SCENARIOS: &[&str] = &[
    "main",
    "flood",
    "crowd",
    "alerts",
    "throttled-flood",
    "throttled-steady",
    "faults",
    "alert-faults",
];

impl Args {
    fn wants(&self, scenario: &str) -> bool {
        if self.only.is_empty() {
            !self.skip.iter().any(|s| s == scenario)
        } else {
            self.only.iter().any(|s| s == scenario)
        }
    }
}

impl Default for Args {
    fn default() -> Args {
        Args {
            updates: 30_000,
            people: 10_000,
            rate: 1_000.0,
            paced_updates: 6_000,
            paced_people: 2_000,
            think_ms: 20,
            window: 512,
            flood_people: 1_500,
            flood_updates: 5_000,
            flood_messages: 500,
            crowd: 100_000,
            limit_s: 90,
            skip_echo: false,
            alert_subscribers: 100_000,
            alert_throttled: 600,
            alert_rate: 200.0,
            broadcast_per_second: 25,
            dump: None,
            sessions: 1,
            eudesk_env: Vec::new(),
            only: Vec::new(),
            skip: Vec::new(),
            tflood_people: 50,
            tflood_steps: 8,
            tflood_think_ms: 4_000,
            tflood_messages: 300,
            steady_rate: 20.0,
            steady_updates: 600,
            steady_people: 300,
            steady_think_ms: 2_000,
            fault_people: 200,
            fault_updates: 2_400,
            fault_rate: 100.0,
            fault_think_ms: 500,
            fault_every: 20,
            kill_at: 0.4,
            alert_fault_subscribers: 10_000,
            alert_fail_every: 50,
        }
    }
}

const HELP: &str = "cargo bench --bench load -- [options]
  --updates N          updates in the throughput run (30000)
  --people M           distinct people in it (10000)
  --rate R             offered load of the latency runs, updates/s (1000)
  --paced-updates N    updates in each latency run (6000), from --paced-people (2000)
  --think-ms T         pause between a reply and the person's next update (20)
  --window W           updates waiting for a reply at most, in the throughput runs (512)
  --flood-people M     people writing normally in the flood scenario (1500),
  --flood-updates N    with N updates in all (5000), at --rate
  --flood-messages F   messages the flooder sends at once (500)
  --crowd P            distinct people each sending /start, for memory (100000)
  --limit S            time limit of each run, seconds (90)
  --alert-subscribers N  subscribers of the alert sent with throttling off (100000)
  --alert-throttled N  subscribers of the alert sent with throttling on (600)
  --alert-rate R       conversation updates/s while the alert goes out (200)
  --broadcast-per-second B  EUDESK_BROADCAST_PER_SECOND of the throttled alert (25)
  --tflood-people M    throttling on, a flood: people talking normally (50), with
  --tflood-steps K     K updates each (8), --tflood-think-ms T between them (4000:
                       under the default flood limit of 20 a minute), and
  --tflood-messages F  messages the flooder sends at once (300)
  --steady-rate R      throttling on, steady load: updates/s from different people (20),
  --steady-updates N   N updates in all (600) from --steady-people P (300),
  --steady-think-ms T  T ms apart for one person (2000)
  --fault-people M     faults: people (200), --fault-updates N (2400) at --fault-rate R
                       updates/s at most (100), --fault-think-ms T (500)
  --fault-every K      one sendMessage in K answered 500, 502 or 429 in turn (20: 5 %)
  --kill-at Q          SIGKILL eudesk once this share of the updates is answered (0.4)
  --alert-fault-subscribers N  alerts with server errors: subscribers (10000),
  --alert-fail-every K one send attempt in K answered 5xx (50: 2 %)
  --quick              a small run: 3000 updates, 1000 people, crowd 10000,
                       alerts to 10000 and 150 subscribers; throttled flood 20 people
                       × 4 updates; steady 200 updates from 100 people; faults 50
                       people, 400 updates at 50/s
  --only A,B           only these scenarios (repeatable): main (throughput, latency,
                       echo), flood, crowd, alerts, throttled-flood, throttled-steady,
                       faults, alert-faults
  --skip A,B           skip these scenarios (repeatable)
  --skip-echo | --skip-flood | --skip-crowd | --skip-alerts
  --only-alerts        only the alerts scenario
  --sessions K         spread the bookings over K sessions (1)
  --eudesk-env K=V     add a variable to eudesk's environment (repeatable)
  --dump DIR           write each run's latencies over time to DIR/<run>.csv";

fn parse_args() -> Args {
    let mut args = Args::default();
    let mut it = std::env::args().skip(1);
    let number = |it: &mut dyn Iterator<Item = String>, name: &str| -> f64 {
        it.next()
            .and_then(|v| v.replace('_', "").parse::<f64>().ok())
            .filter(|v| *v > 0.0)
            .unwrap_or_else(|| {
                eprintln!("load: {name} needs a positive number\n{HELP}");
                std::process::exit(2)
            })
    };
    while let Some(arg) = it.next() {
        match arg.as_str() {
            // cargo bench passes --bench to every benchmark binary.
            "--bench" => {}
            "--updates" => args.updates = number(&mut it, "--updates") as usize,
            "--people" => args.people = number(&mut it, "--people") as usize,
            "--rate" => args.rate = number(&mut it, "--rate"),
            "--paced-updates" => args.paced_updates = number(&mut it, "--paced-updates") as usize,
            "--paced-people" => args.paced_people = number(&mut it, "--paced-people") as usize,
            "--think-ms" => args.think_ms = number(&mut it, "--think-ms") as u64,
            "--window" => args.window = number(&mut it, "--window") as usize,
            "--flood-people" => args.flood_people = number(&mut it, "--flood-people") as usize,
            "--flood-updates" => args.flood_updates = number(&mut it, "--flood-updates") as usize,
            "--flood-messages" => args.flood_messages = number(&mut it, "--flood-messages") as usize,
            "--crowd" => args.crowd = number(&mut it, "--crowd") as usize,
            "--alert-subscribers" => args.alert_subscribers = number(&mut it, "--alert-subscribers") as usize,
            "--alert-throttled" => args.alert_throttled = number(&mut it, "--alert-throttled") as usize,
            "--alert-rate" => args.alert_rate = number(&mut it, "--alert-rate"),
            "--broadcast-per-second" => args.broadcast_per_second = number(&mut it, "--broadcast-per-second") as u32,
            "--limit" => args.limit_s = number(&mut it, "--limit") as u64,
            "--tflood-people" => args.tflood_people = number(&mut it, "--tflood-people") as usize,
            "--tflood-steps" => args.tflood_steps = number(&mut it, "--tflood-steps") as usize,
            "--tflood-think-ms" => args.tflood_think_ms = number(&mut it, "--tflood-think-ms") as u64,
            "--tflood-messages" => args.tflood_messages = number(&mut it, "--tflood-messages") as usize,
            "--steady-rate" => args.steady_rate = number(&mut it, "--steady-rate"),
            "--steady-updates" => args.steady_updates = number(&mut it, "--steady-updates") as usize,
            "--steady-people" => args.steady_people = number(&mut it, "--steady-people") as usize,
            "--steady-think-ms" => args.steady_think_ms = number(&mut it, "--steady-think-ms") as u64,
            "--fault-people" => args.fault_people = number(&mut it, "--fault-people") as usize,
            "--fault-updates" => args.fault_updates = number(&mut it, "--fault-updates") as usize,
            "--fault-rate" => args.fault_rate = number(&mut it, "--fault-rate"),
            "--fault-think-ms" => args.fault_think_ms = number(&mut it, "--fault-think-ms") as u64,
            "--fault-every" => args.fault_every = number(&mut it, "--fault-every") as u64,
            "--kill-at" => args.kill_at = number(&mut it, "--kill-at").min(1.0),
            "--alert-fault-subscribers" => {
                args.alert_fault_subscribers = number(&mut it, "--alert-fault-subscribers") as usize
            }
            "--alert-fail-every" => args.alert_fail_every = number(&mut it, "--alert-fail-every") as usize,
            "--only" | "--skip" => {
                let names: Vec<String> = it
                    .next()
                    .unwrap_or_default()
                    .split(',')
                    .map(|n| n.trim().to_owned())
                    .filter(|n| !n.is_empty())
                    .collect();
                if let Some(bad) = names.iter().find(|n| !SCENARIOS.contains(&n.as_str())) {
                    eprintln!(
                        "load: unknown scenario '{bad}' (one of {})\n{HELP}",
                        SCENARIOS.join(", ")
                    );
                    std::process::exit(2)
                }
                if names.is_empty() {
                    eprintln!("load: {arg} needs scenario names\n{HELP}");
                    std::process::exit(2)
                }
                if arg == "--only" {
                    args.only.extend(names);
                } else {
                    args.skip.extend(names);
                }
            }
            "--quick" => {
                args.updates = 3_000;
                args.people = 1_000;
                args.paced_updates = 1_500;
                args.paced_people = 500;
                args.flood_people = 300;
                args.flood_updates = 1_000;
                args.crowd = 10_000;
                args.alert_subscribers = 10_000;
                args.alert_throttled = 150;
                args.tflood_people = 20;
                args.tflood_steps = 4;
                args.steady_updates = 200;
                args.steady_people = 100;
                args.fault_people = 50;
                args.fault_updates = 400;
                args.fault_rate = 50.0;
            }
            "--dump" => args.dump = it.next().map(PathBuf::from),
            "--sessions" => args.sessions = number(&mut it, "--sessions") as usize,
            "--eudesk-env" => match it.next().as_deref().and_then(|v| v.split_once('=')) {
                Some((k, v)) => args.eudesk_env.push((k.to_owned(), v.to_owned())),
                None => {
                    eprintln!("load: --eudesk-env needs NAME=VALUE\n{HELP}");
                    std::process::exit(2)
                }
            },
            "--skip-echo" => args.skip_echo = true,
            "--skip-flood" => args.skip.push("flood".into()),
            "--skip-crowd" => args.skip.push("crowd".into()),
            "--skip-alerts" => args.skip.push("alerts".into()),
            "--only-alerts" => args.only.push("alerts".into()),
            "-h" | "--help" => {
                println!("{HELP}");
                std::process::exit(0)
            }
            other => {
                eprintln!("load: unknown argument '{other}'\n{HELP}");
                std::process::exit(2)
            }
        }
    }
    args
}

fn main() {
    if std::env::args().nth(1).as_deref() == Some("--echo-bot") {
        echo::main();
        return;
    }
    let args = parse_args();
    // A panic anywhere (the fake's tasks included) ends the benchmark and its bots.
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        default_hook(info);
        child::kill_all();
        std::process::exit(101);
    }));
    // The fake and the pacing run on one thread: the bots get the rest of the machine.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    runtime.block_on(async {
        tokio::spawn(async {
            if tokio::signal::ctrl_c().await.is_ok() {
                child::kill_all();
                std::process::exit(130);
            }
        });
        bench(args).await;
    });
}

fn manifest_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A database with `sessions` PCM sessions of very large capacity, bookable for a month,
/// and `subscribers` alert subscribers (see `alerts::subscribe`).
async fn prepare_database(dir: &Path, sessions: usize, subscribers: usize) -> (String, Vec<i64>) {
    let url = format!("sqlite://{}", dir.join("eudesk.db").display());
    let store = Store::open(&url).await.expect("the database opens");
    let now = jiff::Timestamp::now();
    let starts = now.checked_add(jiff::SignedDuration::from_hours(24 * 30)).unwrap();
    let mut ids = Vec::new();
    for _ in 0..sessions.max(1) {
        // Far more seats than any real session may have (the office's limit is 1,000):
        // written straight to the table, since the load must stay on the confirmed
        // path, not spill into the waitlist.
        let details = SessionDetails {
            title: Localized::new(
                "PCM Eğitimi (yük testi)".to_owned(),
                "PCM training (load test)".to_owned(),
            ),
            starts,
            ends: starts.checked_add(jiff::SignedDuration::from_hours(7)).unwrap(),
            place: "İzmir Valiliği, toplantı salonu".to_owned(),
            capacity: 1_000_000,
            deadline: starts,
            second_reminder: None,
        };
        let id = store
            .write(async |c| eudesk::storage::trainings::insert_session(c, &details).await)
            .await
            .expect("a session is created");
        ids.push(id.0);
    }
    store.close().await;
    if subscribers > 0 {
        alerts::subscribe(&url, subscribers).await;
    }
    (url, ids)
}

/// A bot under test with its own fake API and temporary folder.
struct Target {
    fake: Fake,
    bot: Bot,
    /// The database's URL (eudesk only).
    database_url: String,
    dir: tempfile::TempDir,
    /// The bot's environment, to start it again.
    env: Vec<(String, String)>,
}

impl Target {
    /// Starts eudesk again, on the same database and fake (after `bot.sigkill()`).
    fn respawn(&mut self) {
        let vars: Vec<(&str, String)> = self.env.iter().map(|(k, v)| (k.as_str(), v.clone())).collect();
        self.bot = Bot::spawn("eudesk", &child::eudesk_binary(), &["run"], &vars, self.dir.path());
    }
}

/// How eudesk is started.
#[derive(Default)]
struct Setup {
    /// `None` keeps eudesk's default limit.
    flood_per_minute: Option<u32>,
    /// Alert subscribers in the database.
    subscribers: usize,
    /// EUDESK_THROTTLE=on with this EUDESK_BROADCAST_PER_SECOND; `None`: throttling off.
    throttled: Option<u32>,
}

enum Kind {
    Eudesk(Setup),
    Echo,
}

async fn start(kind: Kind, args: &Args) -> (Target, Vec<i64>) {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let fake = Fake::start().await;
    let mut vars = vec![
        ("TELOXIDE_TOKEN", "1:bench".to_owned()),
        ("TELOXIDE_API_URL", fake.url()),
        ("RUST_LOG", "warn".to_owned()),
    ];
    let mut database_url = String::new();
    let mut env = Vec::new();
    let (bot, session) = match kind {
        Kind::Eudesk(setup) => {
            let (url, session) = prepare_database(dir.path(), args.sessions, setup.subscribers).await;
            database_url = url.clone();
            match setup.throttled {
                Some(n) => vars.extend([
                    ("EUDESK_THROTTLE", "on".to_owned()),
                    ("EUDESK_BROADCAST_PER_SECOND", n.to_string()),
                ]),
                None => vars.push(("EUDESK_THROTTLE", "off".to_owned())),
            }
            vars.extend([
                ("DATABASE_URL", url),
                ("DIALOGUES_DIR", manifest_dir().join("dialogues").display().to_string()),
                ("STAFF_CHAT_ID", "-100".to_owned()),
            ]);
            if let Some(n) = setup.flood_per_minute {
                vars.push(("EUDESK_FLOOD_PER_MINUTE", n.to_string()));
            }
            for (k, v) in &args.eudesk_env {
                vars.push((k.as_str(), v.clone()));
            }
            env = vars.iter().map(|(k, v)| ((*k).to_owned(), v.clone())).collect();
            let bot = Bot::spawn("eudesk", &child::eudesk_binary(), &["run"], &vars, dir.path());
            (bot, session)
        }
        Kind::Echo => {
            let exe = std::env::current_exe().expect("current exe");
            (
                Bot::spawn("echo-bot", &exe, &["--echo-bot"], &vars, dir.path()),
                Vec::new(),
            )
        }
    };
    // Ready when it polls.
    let deadline = Instant::now() + Duration::from_secs(60);
    while fake.counters().polls == 0 {
        if let Err(e) = bot.check_alive() {
            panic!("{e}");
        }
        assert!(
            Instant::now() < deadline,
            "{} did not start polling within 60 s:\n{}",
            bot.name,
            bot.log_tail(2000)
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    (
        Target {
            fake,
            bot,
            database_url,
            dir,
            env,
        },
        session,
    )
}

/// What one run measured, with the CPU it took.
struct Phase {
    stats: RunStats,
    bot_cpu: Duration,
    driver_cpu: Duration,
    wall: Duration,
    calls: Counters,
}

impl Phase {
    fn throughput(&self) -> f64 {
        self.stats.answered as f64 / self.stats.elapsed.as_secs_f64().max(1e-9)
    }

    fn steady(&self) -> Option<f64> {
        self.stats.steady.map(|(n, d)| n as f64 / d.as_secs_f64().max(1e-9))
    }

    fn percentile_ms(&self, q: f64) -> f64 {
        percentile_ms(&self.stats.latencies, q)
    }

    fn cpu_per_update_ms(&self) -> f64 {
        self.bot_cpu.as_secs_f64() * 1000.0 / self.stats.answered.max(1) as f64
    }
}

fn percentile_ms(sorted: &[u32], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() as f64 * q) as usize).min(sorted.len() - 1);
    sorted[i] as f64 / 1000.0
}

fn delta(a: &Counters, b: &Counters) -> Counters {
    Counters {
        polls: b.polls - a.polls,
        get_updates: b.get_updates - a.get_updates,
        delivered: b.delivered - a.delivered,
        send_message: b.send_message - a.send_message,
        edit_message: b.edit_message - a.edit_message,
        send_document: b.send_document - a.send_document,
        answer_callback: b.answer_callback - a.answer_callback,
        other_methods: b.other_methods - a.other_methods,
        other_chats: b.other_chats - a.other_chats,
        faults_5xx: b.faults_5xx - a.faults_5xx,
        faults_429: b.faults_429 - a.faults_429,
        not_modified: b.not_modified - a.not_modified,
    }
}

async fn run(target: &Target, config: RunConfig, limit: Duration, sample: impl FnMut(usize, &Bot)) -> Phase {
    run_settled(target, config, limit, Duration::ZERO, sample).await
}

/// A run that, once every person is done, goes on until no reply came for `quiet`
/// (at most 60 s more), so that late replies (paced, retried) are counted in it.
async fn run_settled(
    target: &Target,
    config: RunConfig,
    limit: Duration,
    quiet: Duration,
    mut sample: impl FnMut(usize, &Bot),
) -> Phase {
    let cpu0 = target.bot.cpu();
    let self0 = child::cpu_of("/proc/self/stat");
    let calls0 = target.fake.counters();
    let started = Instant::now();
    target.fake.begin(config);
    loop {
        tokio::time::sleep(Duration::from_millis(20)).await;
        let (answered, _, done) = target.fake.progress();
        sample(answered, &target.bot);
        if done {
            break;
        }
        if started.elapsed() > limit {
            eprintln!("load: a {} run hit its time limit of {limit:?}", target.bot.name);
            break;
        }
        if let Err(e) = target.bot.check_alive() {
            panic!("{e}");
        }
    }
    settle(target, quiet).await;
    let mut stats = target.fake.finish();
    stats.latencies.sort_unstable();
    Phase {
        stats,
        bot_cpu: target.bot.cpu().saturating_sub(cpu0),
        driver_cpu: child::cpu_of("/proc/self/stat").saturating_sub(self0),
        wall: started.elapsed(),
        calls: delta(&calls0, &target.fake.counters()),
    }
}

/// Waits until no reply came for `quiet` (at most 60 s).
async fn settle(target: &Target, quiet: Duration) {
    if quiet.is_zero() {
        return;
    }
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
        if target.fake.last_reply().is_none_or(|t| t.elapsed() >= quiet) {
            break;
        }
    }
}

fn saturated(args: &Args, people: std::ops::Range<usize>) -> RunConfig {
    RunConfig {
        think: Duration::from_millis(args.think_ms),
        window: args.window,
        rate: None,
        people,
        shuffle: false,
        flood: None,
    }
}

fn paced(args: &Args, people: std::ops::Range<usize>) -> RunConfig {
    RunConfig {
        think: Duration::from_millis(args.think_ms),
        window: args.window,
        rate: Some(args.rate),
        people,
        shuffle: true,
        flood: None,
    }
}

fn mb(kb: u64) -> f64 {
    kb as f64 / 1024.0
}

fn verdict(ok: bool) -> &'static str {
    if ok { "met" } else { "MISSED" }
}

fn dump(dir: Option<&Path>, label: &str, p: &Phase) {
    let Some(dir) = dir else { return };
    let _ = std::fs::create_dir_all(dir);
    let mut csv = String::from("queued_ms,latency_ms,kind\n");
    for (queued, latency, kind) in &p.stats.series {
        csv += &format!(
            "{:.3},{:.3},{kind}\n",
            *queued as f64 / 1000.0,
            *latency as f64 / 1000.0
        );
    }
    let path = dir.join(format!("{}.csv", label.replace([' ', ','], "_")));
    if let Err(e) = std::fs::write(&path, csv) {
        eprintln!("load: could not write {}: {e}", path.display());
    }
}

fn describe(label: &str, p: &Phase, think: Duration, dir: Option<&Path>) {
    dump(dir, label, p);
    let s = &p.stats;
    let c = &p.calls;
    println!(
        "  {label}: {} of {} updates answered in {:.2} s (wall {:.2} s{}), lost {}, {}",
        s.answered,
        s.expected,
        s.elapsed.as_secs_f64(),
        p.wall.as_secs_f64(),
        if s.finished { "" } else { ", NOT FINISHED" },
        s.lost,
        format_args!(
            "bot CPU {:.2} s ({:.3} ms/update), driver CPU {:.2} s",
            p.bot_cpu.as_secs_f64(),
            p.cpu_per_update_ms(),
            p.driver_cpu.as_secs_f64()
        )
    );
    println!(
        "    calls: {} getUpdates (avg batch {:.1}), {} sendMessage, {} editMessageText, {} sendDocument, {} answerCallbackQuery, {} other; {} sends to the staff chat",
        c.get_updates,
        c.delivered as f64 / c.get_updates.max(1) as f64,
        c.send_message,
        c.edit_message,
        c.send_document,
        c.answer_callback,
        c.other_methods,
        c.other_chats
    );
    println!(
        "    replies after the first of a handler: {} (the latest {:.1} ms after the first){}",
        s.trailing,
        s.max_spread.as_secs_f64() * 1000.0,
        if s.max_spread * 2 > think {
            " — WARNING: close to the think time, so a late reply may have been taken for the next update's; raise --think-ms"
        } else {
            ""
        }
    );
}

/// The throughput and latency runs of eudesk and the echo bot.
struct Main {
    main_scripts: usize,
    e_sat: Phase,
    e_paced: Phase,
    e_mem_main: Mem,
    e_mem_end: Mem,
    e_log: usize,
    e_log_tail: String,
    echo: Option<(Phase, Phase, Mem)>,
}

async fn main_runs(args: &Args, tree: &dialogue::Tree) -> Main {
    let limit = Duration::from_secs(args.limit_s);
    let think = Duration::from_millis(args.think_ms);
    // ---- eudesk: throughput, then latency at a fixed offered load ----
    let (eudesk, session) = start(
        Kind::Eudesk(Setup {
            flood_per_minute: Some(100_000),
            ..Setup::default()
        }),
        args,
    )
    .await;
    let material = Material::new(tree, session);
    let main_scripts = workload::scripts(&material, 1, args.people, args.updates, 24);
    let paced_scripts = workload::scripts(&material, 2, args.paced_people, args.paced_updates, 24);
    println!(
        "workload: {} updates from {} people ({}); {} dialogue nodes, {} question phrasings with typos",
        args.updates,
        main_scripts.len(),
        workload::mix(&main_scripts),
        material.nodes(),
        material.questions()
    );
    println!(
        "method: closed loop, think time {} ms; throughput runs keep at most {} updates waiting for a reply; latency runs offer {} updates/s ({} updates, {} people)",
        args.think_ms,
        args.window,
        args.rate,
        args.paced_updates,
        paced_scripts.len()
    );
    let people = eudesk.fake.add_people(main_scripts.clone(), false);
    let e_sat = run(&eudesk, saturated(args, people), limit, |_, _| {}).await;
    let e_mem_main = eudesk.bot.mem();
    describe("eudesk throughput run", &e_sat, think, args.dump.as_deref());
    let people = eudesk.fake.add_people(paced_scripts.clone(), false);
    let e_paced = run(&eudesk, paced(args, people), limit, |_, _| {}).await;
    describe("eudesk latency run", &e_paced, think, args.dump.as_deref());
    let e_log = eudesk.bot.log_lines();
    let e_log_tail = eudesk.bot.log_tail(600);
    let e_mem_end = eudesk.bot.stop();

    // ---- the echo bot on the same updates ----
    let echo = if args.skip_echo {
        None
    } else {
        let (echo, _) = start(Kind::Echo, args).await;
        let people = echo.fake.add_people(main_scripts.clone(), false);
        let sat = run(&echo, saturated(args, people), limit, |_, _| {}).await;
        describe("echo throughput run", &sat, think, args.dump.as_deref());
        let people = echo.fake.add_people(paced_scripts.clone(), false);
        let lat = run(&echo, paced(args, people), limit, |_, _| {}).await;
        describe("echo latency run", &lat, think, args.dump.as_deref());
        let mem = echo.bot.stop();
        Some((sat, lat, mem))
    };
    Main {
        main_scripts: main_scripts.len(),
        e_sat,
        e_paced,
        e_mem_main,
        e_mem_end,
        e_log,
        e_log_tail,
        echo,
    }
}

async fn bench(args: Args) {
    let total_start = Instant::now();
    let loaded = dialogue::load(&manifest_dir().join("dialogues")).expect("the shipped dialogues load");
    println!("== eudesk load benchmark (issue 7) ==");
    println!(
        "machine: {} cores; bots are child processes on 127.0.0.1; eudesk {} with EUDESK_THROTTLE=off unless said",
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        child::eudesk_binary().display()
    );
    let limit = Duration::from_secs(args.limit_s);
    let think = Duration::from_millis(args.think_ms);
    let main = if args.wants("main") {
        Some(main_runs(&args, &loaded.tree).await)
    } else {
        None
    };

    // ---- one person flooding while others write normally (default flood limit) ----
    let flood = if !args.wants("flood") {
        None
    } else {
        let (target, session) = start(Kind::Eudesk(Setup::default()), &args).await;
        let material = Material::new(&loaded.tree, session);
        // Flood control allows 20 a minute: nobody else comes near it.
        let others = workload::scripts(&material, 3, args.flood_people, args.flood_updates, 15);
        let quiet_people = target.fake.add_people(others.clone(), false);
        let quiet = run(&target, paced(&args, quiet_people), limit, |_, _| {}).await;
        describe("flood scenario, quiet run", &quiet, think, args.dump.as_deref());
        let flood_people = target.fake.add_people(others, false);
        let mut rng = workload::Rng::new(4);
        let flooder = Script {
            lang: "tr",
            steps: (0..args.flood_messages)
                .map(|i| Step::Text(workload::typo(&format!("cevap verin lütfen {i}"), &mut rng)))
                .collect(),
        };
        let flooder = target.fake.add_people(vec![flooder], true).start;
        let mut config = paced(&args, flood_people);
        config.flood = Some((flooder, Duration::from_secs(1)));
        let flooded = run(&target, config, limit, |_, _| {}).await;
        describe("flood scenario, flood run", &flooded, think, args.dump.as_deref());
        target.bot.stop();
        Some((quiet, flooded))
    };

    // ---- many distinct people: is memory bounded? ----
    let crowd = if !args.wants("crowd") {
        None
    } else {
        let (target, _) = start(
            Kind::Eudesk(Setup {
                flood_per_minute: Some(100_000),
                ..Setup::default()
            }),
            &args,
        )
        .await;
        let start_mem = target.bot.mem();
        let people = target.fake.add_people(workload::crowd(args.crowd, 5), false);
        let tenth = (args.crowd / 10).max(1);
        let mut at_tenth: Option<Mem> = None;
        let mut config = saturated(&args, people);
        config.think = Duration::ZERO;
        let phase = run(&target, config, limit, |answered, bot| {
            if at_tenth.is_none() && answered >= tenth {
                at_tenth = Some(bot.mem());
            }
        })
        .await;
        let at_end = target.bot.mem();
        describe("crowd run", &phase, think, args.dump.as_deref());
        tokio::time::sleep(Duration::from_secs(3)).await;
        let quiet = target.bot.stop();
        Some((phase, start_mem, at_tenth.unwrap_or_default(), at_end, quiet))
    };

    // ---- an alert to many subscribers (issue 14) ----
    let alerts = if args.wants("alerts") {
        Some(alerts::scenario(&args, &loaded.tree).await)
    } else {
        None
    };

    // ---- throttling on: a flood among people talking normally; a steady rate ----
    let throttled_flood = if args.wants("throttled-flood") {
        Some(resilience::throttled_flood(&args, &loaded.tree).await)
    } else {
        None
    };
    let throttled_steady = if args.wants("throttled-steady") {
        Some(resilience::throttled_steady(&args, &loaded.tree).await)
    } else {
        None
    };

    // ---- faults: server errors, 429, a crash and a restart ----
    let faults = if args.wants("faults") {
        Some(resilience::faults(&args, &loaded.tree).await)
    } else {
        None
    };

    // ---- an alert with server errors, against the same alert without ----
    let alert_faults = if args.wants("alert-faults") {
        Some(alerts::with_faults(&args).await)
    } else {
        None
    };

    // ---- the report ----
    println!();
    println!("== report ==");
    if let Some(m) = &main {
        let x = m.e_sat.throughput();
        println!(
            "eudesk throughput: {x:.0} updates/s ({} updates from {} people; steady state 10–90 %: {}) — target ≥ {TARGET_THROUGHPUT:.0}: {}",
            m.e_sat.stats.answered,
            m.main_scripts,
            m.e_sat.steady().map_or("-".into(), |s| format!("{s:.0}/s")),
            verdict(x >= TARGET_THROUGHPUT)
        );
        println!(
            "eudesk CPU per update: {:.3} ms (throughput run), {:.3} ms (latency run)",
            m.e_sat.cpu_per_update_ms(),
            m.e_paced.cpu_per_update_ms()
        );
        let p99 = m.e_paced.percentile_ms(0.99);
        println!(
            "eudesk latency at {:.0} updates/s: p50 {:.2} ms, p90 {:.2} ms, p99 {:.2} ms, max {:.2} ms — target p99 < {TARGET_P99_MS:.0} ms: {}",
            args.rate,
            m.e_paced.percentile_ms(0.5),
            m.e_paced.percentile_ms(0.9),
            p99,
            m.e_paced.percentile_ms(1.0),
            verdict(p99 < TARGET_P99_MS)
        );
        println!(
            "eudesk latency when saturated (window of {} waiting updates, mostly queueing): p50 {:.1} ms, p99 {:.1} ms",
            args.window,
            m.e_sat.percentile_ms(0.5),
            m.e_sat.percentile_ms(0.99)
        );
        println!(
            "(teloxide keeps one worker per chat with an update in flight, each with a channel whose first block holds 32 updates of {} bytes)",
            std::mem::size_of::<teloxide::types::Update>()
        );
        let peak = mb(m.e_mem_main.hwm_kb);
        println!(
            "eudesk peak memory (VmHWM) after {} distinct people: {peak:.1} MB (RSS {:.1} MB; after the latency run too: peak {:.1} MB) — target < {TARGET_MEMORY_MB:.0} MB: {}",
            m.main_scripts,
            mb(m.e_mem_main.rss_kb),
            mb(m.e_mem_end.hwm_kb),
            verdict(peak < TARGET_MEMORY_MB)
        );
        if let Some((sat, lat, mem)) = &m.echo {
            let ratio = x / sat.throughput();
            println!(
                "echo bot throughput: {:.0} updates/s (steady {}), CPU {:.3} ms/update, latency at {:.0}/s p50 {:.2} ms p99 {:.2} ms, peak memory {:.1} MB",
                sat.throughput(),
                sat.steady().map_or("-".into(), |s| format!("{s:.0}/s")),
                sat.cpu_per_update_ms(),
                args.rate,
                lat.percentile_ms(0.5),
                lat.percentile_ms(0.99),
                mb(mem.hwm_kb)
            );
            println!(
                "eudesk / echo throughput: {ratio:.2} — target ≥ {TARGET_ECHO_RATIO}: {}",
                verdict(ratio >= TARGET_ECHO_RATIO)
            );
        }
    }
    if let Some((quiet, flooded)) = &flood {
        let q = quiet.percentile_ms(0.99);
        let f = flooded.percentile_ms(0.99);
        println!(
            "flood: others' p99 {f:.2} ms with one person sending {} messages at once vs {q:.2} ms quiet (p50 {:.2} vs {:.2} ms, max {:.1} ms) — target ≤ 2× quiet: {}",
            args.flood_messages,
            flooded.percentile_ms(0.5),
            quiet.percentile_ms(0.5),
            flooded.percentile_ms(1.0),
            verdict(f <= 2.0 * q)
        );
        println!(
            "flood: the flooder got {} replies for {} messages; the bot polled past the flood {}",
            flooded.stats.flooder_replies,
            args.flood_messages,
            flooded.stats.flood_drained.map_or("-".into(), |d| format!(
                "{:.0} ms after it was queued",
                d.as_secs_f64() * 1000.0
            ))
        );
    }
    if let Some((phase, start_mem, tenth, end, quiet)) = &crowd {
        let n = args.crowd;
        let growth = end.rss_kb.saturating_sub(tenth.rss_kb);
        let per_person = growth as f64 * 1024.0 / (n - n / 10).max(1) as f64;
        let bounded = mb(end.hwm_kb) < TARGET_MEMORY_MB && phase.stats.finished;
        println!(
            "crowd: {} of {n} distinct people answered at {:.0} updates/s; RSS {:.1} MB at start, {:.1} MB after {}, {:.1} MB after {n}, {:.1} MB 3 s later; peak {:.1} MB",
            phase.stats.answered,
            phase.throughput(),
            mb(start_mem.rss_kb),
            mb(tenth.rss_kb),
            n / 10,
            mb(end.rss_kb),
            mb(quiet.rss_kb),
            mb(quiet.hwm_kb.max(end.hwm_kb))
        );
        println!(
            "crowd: growth from {} to {n} people {:.1} MB ({per_person:.0} bytes/person) — bounded (peak < {TARGET_MEMORY_MB:.0} MB, run finished): {}",
            n / 10,
            mb(growth),
            verdict(bounded)
        );
    }
    if let Some(report) = &alerts {
        alerts::print(report, &args);
    }
    if let Some(report) = &throttled_flood {
        resilience::print_flood(report, &args);
    }
    if let Some(report) = &throttled_steady {
        resilience::print_steady(report, &args);
    }
    if let Some(report) = &faults {
        resilience::print_faults(report, &args);
    }
    if let Some(report) = &alert_faults {
        alerts::print_faults(report, &args);
    }
    if let Some(m) = &main {
        println!(
            "eudesk log (throughput and latency runs): {} warning/error lines{}",
            m.e_log,
            if m.e_log > 0 {
                format!("; last: {}", m.e_log_tail.lines().last().unwrap_or_default())
            } else {
                String::new()
            }
        );
    }
    println!("total time {:.0} s", total_start.elapsed().as_secs_f64());
}
