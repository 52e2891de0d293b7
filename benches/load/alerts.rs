//! The alerts scenario (issue 14): an opportunity published from the command line, as
//! staff on the server would, to every subscriber of its topics while the bot runs.
//!
//! - Queuing: the wall time and peak memory of `eudesk opportunities add FILE` with
//!   100,000 subscribers in the database (its VmHWM, read while it runs).
//! - Throttling off: how fast the bot's delivery task brings the alert to the fake's
//!   subscribers, while people's own conversations go on at a steady rate and their
//!   first-reply latency is measured over exactly the time the alert was going out.
//! - Throttling on: a fake that answers 429 whenever a send would make more than the
//!   configured rate in any one second, and the most sends it saw in any second.
//!
//! Every 100th subscriber has blocked the bot (403): the delivery goes on, and the
//! database must have unsubscribed them. The fake counts any second send to the same
//! subscriber as a duplicate.

use crate::Target;
use crate::child;
use crate::fake::{AlertStats, Audience, FIRST_SUBSCRIBER, RunConfig};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// One subscriber in this many has blocked the bot.
pub const BLOCKED_EVERY: usize = 100;

/// `n` subscribers, user ids from `FIRST_SUBSCRIBER`: every one on volunteering, every
/// third on youth exchanges too (the alert names both topics and must reach each person
/// once), every fourth in English.
pub async fn subscribe(database_url: &str, n: usize) {
    let pool = sqlx::SqlitePool::connect(database_url)
        .await
        .expect("the benchmark's database opens");
    let now = jiff::Timestamp::now().strftime("%Y-%m-%dT%H:%M:%SZ").to_string();
    for (topic, every) in [("volunteering", 1i64), ("exchanges", 3)] {
        sqlx::query(
            "WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i + 1 < ?1)
             INSERT INTO subscriptions (user_id, topic, lang, consent_version, subscribed_at)
             SELECT ?2 + i, ?3, CASE i % 4 WHEN 3 THEN 'en' ELSE 'tr' END, 'bench', ?4
             FROM n WHERE i % ?5 = 0",
        )
        .bind(n as i64)
        .bind(FIRST_SUBSCRIBER)
        .bind(topic)
        .bind(&now)
        .bind(every)
        .execute(&pool)
        .await
        .expect("the subscribers are stored");
    }
    pool.close().await;
}

/// The command-line publication: how long it took and the most memory it held.
pub struct Queued {
    pub wall: Duration,
    pub peak_kb: u64,
    pub said: String,
}

/// An opportunity file for both topics, its deadline a month ahead.
fn opportunity_file(dir: &Path) -> PathBuf {
    let deadline = jiff::Zoned::now()
        .with_time_zone(jiff::tz::TimeZone::get("Europe/Istanbul").expect("the office's time zone"))
        .checked_add(jiff::Span::new().days(30))
        .expect("a month ahead")
        .strftime("%Y-%m-%dT%H:%M:00");
    let text = format!(
        r#"topics = ["volunteering", "exchanges"]
title = {{ tr = "Portekiz'de gönüllülük (yük testi)", en = "Volunteering in Portugal (load test)" }}
text = {{ tr = "6 ay, yol ve konaklama karşılanır.", en = "Six months, travel and housing covered." }}
url = "https://youth.europa.eu/solidarity_en"
deadline = {deadline}
ages = [18, 30]
"#
    );
    let path = dir.join("opportunity.toml");
    std::fs::write(&path, text).expect("the opportunity file is written");
    path
}

/// Runs `eudesk opportunities add` beside the bot (blocking: call on a blocking thread).
///
/// Its peak memory is its VmHWM, read every 2 ms while it runs: `wait4`'s `ru_maxrss`
/// would not do, since Linux carries the parent's resident set at the fork over the
/// exec into it (a large benchmark process made a small command look 55 MB).
fn publish(database_url: &str, dir: &Path) -> Queued {
    let file = opportunity_file(dir);
    let started = Instant::now();
    let mut process = Command::new(child::eudesk_binary())
        .args(["opportunities", "add"])
        .arg(&file)
        .current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("DATABASE_URL", database_url)
        .env("DIALOGUES_DIR", crate::manifest_dir().join("dialogues"))
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("eudesk runs");
    let mut peak_kb = 0;
    let status = loop {
        if let Some(status) = process.try_wait().expect("the command can be waited for") {
            break status;
        }
        peak_kb = peak_kb.max(child::mem_of(process.id()).hwm_kb);
        std::thread::sleep(Duration::from_millis(2));
    };
    let wall = started.elapsed();
    let mut said = String::new();
    if let Some(mut out) = process.stdout.take() {
        let _ = out.read_to_string(&mut said);
    }
    if let Some(mut err) = process.stderr.take() {
        let _ = err.read_to_string(&mut said);
    }
    assert!(status.success(), "eudesk opportunities add failed:\n{said}");
    Queued {
        wall,
        peak_kb,
        said: said.trim().replace('\n', " / "),
    }
}

/// What the bot recorded about the alert once it had gone out.
#[derive(Debug, Default)]
pub struct Recorded {
    pub state: String,
    pub total: i64,
    pub sent: i64,
    pub blocked: i64,
    pub failed: i64,
    /// Subscribers who blocked the bot and are still subscribed (should be none).
    pub blocked_still_subscribed: i64,
}

async fn recorded(database_url: &str) -> Recorded {
    let pool = sqlx::SqlitePool::connect(database_url)
        .await
        .expect("the benchmark's database opens");
    let (state, total, sent, blocked, failed): (String, i64, i64, i64, i64) =
        sqlx::query_as("SELECT state, total, sent, blocked, failed FROM fanouts ORDER BY id DESC LIMIT 1")
            .fetch_one(&pool)
            .await
            .expect("the alert's fan-out is recorded");
    let blocked_still_subscribed: i64 =
        sqlx::query_scalar("SELECT COUNT(DISTINCT user_id) FROM subscriptions WHERE (user_id - ?1) % ?2 = ?2 - 1")
            .bind(FIRST_SUBSCRIBER)
            .bind(BLOCKED_EVERY as i64)
            .fetch_one(&pool)
            .await
            .expect("the subscriptions are counted");
    pool.close().await;
    Recorded {
        state,
        total,
        sent,
        blocked,
        failed,
        blocked_still_subscribed,
    }
}

/// One publication and its delivery.
pub struct Delivery {
    pub subscribers: usize,
    pub queued: Queued,
    pub alerts: AlertStats,
    /// Every subscriber reached within the time limit.
    pub finished: bool,
    /// The bot's peak memory (VmHWM) when the alert had gone out.
    pub bot_peak_kb: u64,
    /// First-reply latencies (µs, sorted) of the conversation updates queued while the
    /// alert was going out; answered and lost updates of the whole conversation run.
    pub latencies: Vec<u32>,
    pub answered: usize,
    pub lost: usize,
    pub recorded: Recorded,
}

impl Delivery {
    /// First send to last, in seconds.
    pub fn span(&self) -> f64 {
        match (self.alerts.first, self.alerts.last) {
            (Some(a), Some(b)) => b.saturating_duration_since(a).as_secs_f64(),
            _ => 0.0,
        }
    }

    /// Subscribers reached per second.
    pub fn rate(&self) -> f64 {
        self.alerts.reached as f64 / self.span().max(1e-9)
    }

    /// First attempt (whatever its answer) to the last subscriber reached, in seconds.
    pub fn total(&self) -> f64 {
        match (self.alerts.first_attempt, self.alerts.last) {
            (Some(a), Some(b)) => b.saturating_duration_since(a).as_secs_f64(),
            _ => 0.0,
        }
    }
}

/// The same alert without and with server errors (throttling off).
pub struct FaultsReport {
    pub clean: Delivery,
    pub faulty: Delivery,
}

/// An alert to `--alert-fault-subscribers`, once as it is, once with one send attempt
/// in `--alert-fail-every` answered 500 or 502, each on a fresh eudesk.
pub async fn with_faults(args: &crate::Args) -> FaultsReport {
    let n = args.alert_fault_subscribers;
    let mut runs = Vec::new();
    for fail_every in [0, args.alert_fail_every] {
        let (target, _) = crate::start(
            crate::Kind::Eudesk(crate::Setup {
                flood_per_minute: Some(100_000),
                subscribers: n,
                throttled: None,
            }),
            args,
        )
        .await;
        let audience = Audience {
            subscribers: n,
            blocked_every: BLOCKED_EVERY,
            limit: None,
            fail_every,
        };
        let limit = Duration::from_secs(args.limit_s).max(Duration::from_secs_f64(30.0 + n as f64 / 250.0));
        runs.push(deliver(&target, audience, None, limit).await);
        target.bot.stop();
    }
    let faulty = runs.pop().expect("two runs");
    let clean = runs.pop().expect("two runs");
    FaultsReport { clean, faulty }
}

pub fn print_faults(r: &FaultsReport, args: &crate::Args) {
    let (c, f) = (&r.clean, &r.faulty);
    let ratio = f.total() / c.total().max(1e-9);
    println!(
        "alerts with server errors (throttling off): {} subscribers in {:.2} s without errors, {:.2} s with 1 send attempt in {} answered 5xx ({} of {} attempts) — ratio {ratio:.2}, target ≤ 1.2: {}",
        c.subscribers,
        c.total(),
        f.total(),
        args.alert_fail_every,
        f.alerts.server_errors,
        f.alerts.attempts,
        crate::verdict(ratio <= 1.2 && f.finished)
    );
    println!("alerts with server errors, exactly once: {}", exactness(f));
}

/// Publishes to `audience` and waits until every subscriber was reached (or `limit`),
/// with `conversations` going on meanwhile when given.
pub async fn deliver(
    target: &Target,
    audience: Audience,
    conversations: Option<RunConfig>,
    limit: Duration,
) -> Delivery {
    let n = audience.subscribers;
    target.fake.set_audience(audience);
    let began = Instant::now();
    let talking = conversations.is_some();
    if let Some(config) = conversations {
        target.fake.begin(config);
        // Conversations at their pace before the alert starts.
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    let url = target.database_url.clone();
    let dir = target.dir.path().to_owned();
    let queued = tokio::task::spawn_blocking(move || publish(&url, &dir))
        .await
        .expect("the publication ran");
    let deadline = Instant::now() + limit;
    let finished = loop {
        tokio::time::sleep(Duration::from_millis(20)).await;
        if target.fake.alert_stats().reached >= n {
            break true;
        }
        if Instant::now() > deadline {
            eprintln!("load: the alert had not reached every subscriber within {limit:?}");
            break false;
        }
        if let Err(e) = target.bot.check_alive() {
            panic!("{e}");
        }
    };
    let alerts = target.fake.alert_stats();
    let (mut latencies, answered, lost) = if talking {
        let run = target.fake.finish();
        let micros = |t: Option<Instant>| t.map_or(0, |t| t.saturating_duration_since(began).as_micros() as u64);
        let during = micros(alerts.first)..=micros(alerts.last);
        let latencies = run
            .series
            .iter()
            .filter(|(queued, _, _)| during.contains(queued))
            .map(|(_, latency, _)| *latency)
            .collect();
        (latencies, run.answered, run.lost)
    } else {
        (Vec::new(), 0, 0)
    };
    latencies.sort_unstable();
    let bot_peak_kb = target.bot.mem().hwm_kb;
    // The delivery task records the end after its last send.
    tokio::time::sleep(Duration::from_secs(2)).await;
    Delivery {
        subscribers: n,
        queued,
        alerts,
        finished,
        bot_peak_kb,
        latencies,
        answered,
        lost,
        recorded: recorded(&target.database_url).await,
    }
}

/// Both deliveries of the scenario.
pub struct Report {
    pub open: Delivery,
    pub throttled: Option<Delivery>,
}

/// Throttling off with conversations going on, then throttling on alone.
pub async fn scenario(args: &crate::Args, tree: &eudesk::dialogue::Tree) -> Report {
    // At least 250 a second, whatever --limit says: the point is to see the rate.
    let limit = |n: usize, per_second: f64| {
        Duration::from_secs(args.limit_s).max(Duration::from_secs_f64(30.0 + n as f64 / per_second))
    };
    let n = args.alert_subscribers;
    let (target, sessions) = crate::start(
        crate::Kind::Eudesk(crate::Setup {
            flood_per_minute: Some(100_000),
            subscribers: n,
            throttled: None,
        }),
        args,
    )
    .await;
    let open_limit = limit(n, 250.0);
    let material = crate::workload::Material::new(tree, sessions);
    let updates = (args.alert_rate * open_limit.as_secs_f64()) as usize;
    let scripts = crate::workload::scripts(&material, 5, args.paced_people, updates, 24);
    let people = target.fake.add_people(scripts, false);
    let conversations = RunConfig {
        think: Duration::from_millis(args.think_ms),
        window: args.window,
        rate: Some(args.alert_rate),
        people,
        shuffle: true,
        flood: None,
    };
    let audience = Audience {
        subscribers: n,
        blocked_every: BLOCKED_EVERY,
        limit: None,
        fail_every: 0,
    };
    let open = deliver(&target, audience, Some(conversations), open_limit).await;
    target.bot.stop();

    let throttled = if args.alert_throttled == 0 {
        None
    } else {
        let m = args.alert_throttled;
        let rate = args.broadcast_per_second;
        let (target, _) = crate::start(
            crate::Kind::Eudesk(crate::Setup {
                flood_per_minute: Some(100_000),
                subscribers: m,
                throttled: Some(rate),
            }),
            args,
        )
        .await;
        let audience = Audience {
            subscribers: m,
            blocked_every: BLOCKED_EVERY,
            limit: Some(rate as usize),
            fail_every: 0,
        };
        let delivery = deliver(&target, audience, None, limit(m, rate as f64 / 2.0)).await;
        target.bot.stop();
        Some(delivery)
    };
    Report { open, throttled }
}

fn mb(kb: u64) -> f64 {
    kb as f64 / 1024.0
}

/// The checks every delivery must pass, as one line.
fn exactness(d: &Delivery) -> String {
    let r = &d.recorded;
    let a = &d.alerts;
    let blocked_expected = d.subscribers / BLOCKED_EVERY;
    let ok = d.finished
        && a.duplicates == 0
        && a.reached == d.subscribers
        && a.blocked == blocked_expected
        && r.state == "done"
        && r.total == d.subscribers as i64
        && r.sent == a.accepted as i64
        && r.blocked == a.blocked as i64
        && r.blocked_still_subscribed == 0;
    format!(
        "reached {} of {} subscribers, {} twice; the bot recorded {} sent, {} blocked, {} failed (state {}), {} who blocked it still subscribed — {}",
        a.reached,
        d.subscribers,
        a.duplicates,
        r.sent,
        r.blocked,
        r.failed,
        r.state,
        r.blocked_still_subscribed,
        crate::verdict(ok)
    )
}

pub fn print(report: &Report, args: &crate::Args) {
    let d = &report.open;
    println!(
        "alerts, queuing: `eudesk opportunities add` for {} subscribers took {:.2} s with a peak (VmHWM) of {:.1} MB (said: {}) — target < 2 s and < 80 MB: {}",
        d.subscribers,
        d.queued.wall.as_secs_f64(),
        mb(d.queued.peak_kb),
        d.queued.said,
        crate::verdict(d.queued.wall < Duration::from_secs(2) && mb(d.queued.peak_kb) < 80.0)
    );
    // Whole seconds only: the last one is cut short.
    let mut seconds = d.alerts.per_second.clone();
    seconds.pop();
    seconds.sort_unstable();
    let (worst, median, best) = match seconds.len() {
        0 => (0, 0, 0),
        n => (seconds[0], seconds[n / 2], seconds[n - 1]),
    };
    println!(
        "alerts, throttling off: {} subscribers in {:.1} s = {:.0} messages/s (per whole second: worst {worst}, median {median}, best {best}) — target ≥ 2000/s: {}; bot peak memory {:.1} MB — target < 80 MB: {}",
        d.alerts.reached,
        d.span(),
        d.rate(),
        crate::verdict(d.rate() >= 2_000.0),
        mb(d.bot_peak_kb),
        crate::verdict(mb(d.bot_peak_kb) < 80.0)
    );
    let p99 = crate::percentile_ms(&d.latencies, 0.99);
    println!(
        "alerts, conversations at {:.0} updates/s meanwhile: {} updates queued while the alert went out, p50 {:.2} ms, p99 {p99:.2} ms, max {:.1} ms ({} answered, {} lost in the whole run) — target p99 < 50 ms: {}",
        args.alert_rate,
        d.latencies.len(),
        crate::percentile_ms(&d.latencies, 0.5),
        crate::percentile_ms(&d.latencies, 1.0),
        d.answered,
        d.lost,
        crate::verdict(p99 < 50.0 && d.lost == 0)
    );
    println!("alerts, throttling off, exactly once: {}", exactness(d));
    if let Some(t) = &report.throttled {
        let rate = args.broadcast_per_second as usize;
        let best = t.alerts.per_second.iter().max().copied().unwrap_or(0);
        println!(
            "alerts, throttling on at {rate}/s: {} subscribers in {:.1} s ({:.1}/s); most in any one second {} (best whole second {best}); 429 answers {} — target ≤ {rate} and no 429: {}",
            t.alerts.reached,
            t.span(),
            t.rate(),
            t.alerts.max_in_window,
            t.alerts.too_many,
            crate::verdict(t.alerts.max_in_window <= rate && t.alerts.too_many == 0)
        );
        println!("alerts, throttling on, exactly once: {}", exactness(t));
    }
}
