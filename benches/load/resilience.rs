//! Sending through the outbox (issue 19): eudesk with its own pacing on, and eudesk
//! under faults.
//!
//! - Throttling on, a flood: one person sends hundreds of messages at once while others
//!   talk normally (each waits for the reply, thinks a few seconds — under the default
//!   flood limit of 20 a minute — and sends the next). The others' first replies must
//!   not wait behind the flooder's; the flooder gets their allowance and one "slow down".
//! - Throttling on, a steady rate from different people: the first reply, and the gap
//!   between the first and the second message of a reply of several messages, where
//!   Telegram's per-chat limit (a burst of 3) requires no waiting.
//! - Faults: one sendMessage in K answered 500, 502 or 429 (retry after 1 s), in turn,
//!   and eudesk SIGKILLed part-way and started again on the same database, while the
//!   fake keeps every update it has not been told arrived (getUpdates' offset) and hands
//!   it out again. The same scripts run first without faults: each step's replies (their
//!   texts, digits masked) are what the faulty run must deliver to that step, exactly
//!   once. Every person's script is deterministic and each step waits for its replies,
//!   so a reply is matched to the step that expects it even when it comes late (after a
//!   retry, or after the restart), and a second copy of a reply a step already had is a
//!   duplicate.

use crate::child;
use crate::fake::{Outcome, RunConfig};
use crate::workload::{self, Material, Script, Step};
use crate::{Args, Kind, Phase, Setup, Target, describe, percentile_ms, verdict};
use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

const TARGET_FLOOD_P99_MS: f64 = 100.0;
/// The default EUDESK_FLOOD_PER_MINUTE.
const FLOOD_ALLOWANCE: usize = 20;
const TARGET_STEADY_P99_MS: f64 = 30.0;
const TARGET_GAP_MS: f64 = 30.0;
const TARGET_FAULT_P99_MS: f64 = 2_000.0;

fn throttled(args: &Args, flood_per_minute: Option<u32>) -> Kind {
    Kind::Eudesk(Setup {
        flood_per_minute,
        subscribers: 0,
        throttled: Some(args.broadcast_per_second),
    })
}

// ---------------------------------------------------------------------------
// Throttling on: a flood among people talking normally

pub struct FloodReport {
    others: Phase,
    people: usize,
    /// Replies (sends and edits) the flooder got, in all.
    flooder_replies: usize,
    /// When the others' updates were queued after the flood: their latencies (sorted).
    after_flood: Vec<u32>,
}

pub async fn throttled_flood(args: &Args, tree: &eudesk::dialogue::Tree) -> FloodReport {
    let (target, sessions) = crate::start(throttled(args, None), args).await;
    let material = Material::new(tree, sessions);
    let n = args.tflood_people;
    let others = workload::scripts(&material, 8, n, n * args.tflood_steps, args.tflood_steps);
    let people = target.fake.add_people(others.clone(), false);
    let mut rng = workload::Rng::new(4);
    let flooder = Script {
        lang: "tr",
        steps: (0..args.tflood_messages)
            .map(|i| Step::Text(workload::typo(&format!("cevap verin lütfen {i}"), &mut rng)))
            .collect(),
    };
    let flooder = target.fake.add_people(vec![flooder], true).start;
    let flood_after = Duration::from_secs(1);
    let think = Duration::from_millis(args.tflood_think_ms);
    // People do not all come at the same moment: their first messages are spread over
    // one think time (else 50 /start at once are over Telegram's 30 a second in all, and
    // the closed loops keep that wave going).
    let config = RunConfig {
        think,
        window: usize::MAX,
        rate: Some(n as f64 / think.as_secs_f64().max(0.001)),
        people,
        shuffle: true,
        flood: Some((flooder, flood_after)),
    };
    let limit = Duration::from_secs(args.limit_s).max(think * (args.tflood_steps as u32 + 10));
    // The flooder's replies come one a second after a burst: the run waits for them.
    let phase = crate::run_settled(&target, config, limit, Duration::from_millis(2_500), |_, _| {}).await;
    describe("throttled flood run", &phase, think, args.dump.as_deref());
    let log = target.bot.log_tail(300);
    if target.bot.log_lines() > 0 {
        println!("    eudesk log ends: {}", log.lines().last().unwrap_or_default());
    }
    target.bot.stop();
    let from = flood_after.as_micros() as u64;
    let mut after_flood: Vec<u32> = phase
        .stats
        .series
        .iter()
        .filter(|(queued, _, _)| *queued >= from)
        .map(|(_, latency, _)| *latency)
        .collect();
    after_flood.sort_unstable();
    FloodReport {
        flooder_replies: phase.stats.flooder_replies,
        others: phase,
        people: others.len(),
        after_flood,
    }
}

pub fn print_flood(r: &FloodReport, args: &Args) {
    let p99 = r.others.percentile_ms(0.99);
    println!(
        "throttled flood: {} people talking normally ({} updates, think {} ms, first messages spread over the think time) while one sends {} messages at once: first reply p50 {:.2} ms, p99 {p99:.2} ms, max {:.1} ms (queued after the flood: {} updates, p99 {:.2} ms); {} answered, {} lost — target p99 < {TARGET_FLOOD_P99_MS:.0} ms: {}",
        r.people,
        r.others.stats.expected,
        args.tflood_think_ms,
        args.tflood_messages,
        r.others.percentile_ms(0.5),
        r.others.percentile_ms(1.0),
        r.after_flood.len(),
        percentile_ms(&r.after_flood, 0.99),
        r.others.stats.answered,
        r.others.stats.lost,
        verdict(p99 < TARGET_FLOOD_P99_MS && r.others.stats.lost == 0)
    );
    println!(
        "throttled flood: the flooder got {} messages for {} sent — target ≤ {} (the allowance of {FLOOD_ALLOWANCE} a minute, and one slow-down): {}",
        r.flooder_replies,
        args.tflood_messages,
        FLOOD_ALLOWANCE + 1,
        verdict(r.flooder_replies <= FLOOD_ALLOWANCE + 1)
    );
}

// ---------------------------------------------------------------------------
// Throttling on: a steady rate from different people

pub struct SteadyReport {
    phase: Phase,
    people: usize,
    /// First → second message of the replies of more than one message, µs, sorted.
    gaps: Vec<u32>,
}

pub async fn throttled_steady(args: &Args, tree: &eudesk::dialogue::Tree) -> SteadyReport {
    // Flood control is not what this measures: people are many and far apart anyway.
    let (target, sessions) = crate::start(throttled(args, Some(100_000)), args).await;
    let material = Material::new(tree, sessions);
    let scripts = workload::scripts(&material, 9, args.steady_people, args.steady_updates, 4);
    let people = target.fake.add_people(scripts.clone(), false);
    let think = Duration::from_millis(args.steady_think_ms);
    let config = RunConfig {
        think,
        window: usize::MAX,
        rate: Some(args.steady_rate),
        people,
        shuffle: true,
        flood: None,
    };
    let limit = Duration::from_secs(args.limit_s).max(Duration::from_secs_f64(
        args.steady_updates as f64 / args.steady_rate * 2.0,
    ));
    let phase = crate::run_settled(&target, config, limit, Duration::from_millis(1_500), |_, _| {}).await;
    describe("throttled steady run", &phase, think, args.dump.as_deref());
    target.bot.stop();
    let mut gaps = phase.stats.gaps.clone();
    gaps.sort_unstable();
    SteadyReport {
        phase,
        people: scripts.len(),
        gaps,
    }
}

pub fn print_steady(r: &SteadyReport, args: &Args) {
    let p = &r.phase;
    let p99 = p.percentile_ms(0.99);
    let messages = p.calls.send_message + p.calls.edit_message + p.calls.send_document;
    println!(
        "throttled steady: {:.0} updates/s from {} people ({} updates, {} answered, {} lost; {:.2} messages per update, {:.1} messages/s): first reply p50 {:.2} ms, p90 {:.2} ms, p99 {p99:.2} ms, max {:.1} ms — target p99 < {TARGET_STEADY_P99_MS:.0} ms: {}",
        args.steady_rate,
        r.people,
        p.stats.expected,
        p.stats.answered,
        p.stats.lost,
        messages as f64 / p.stats.answered.max(1) as f64,
        messages as f64 / p.stats.elapsed.as_secs_f64().max(1e-9),
        p.percentile_ms(0.5),
        p.percentile_ms(0.9),
        p.percentile_ms(1.0),
        verdict(p99 < TARGET_STEADY_P99_MS && p.stats.lost == 0)
    );
    let g99 = percentile_ms(&r.gaps, 0.99);
    println!(
        "throttled steady: replies of several messages: {} (one person's updates ≥ {} ms apart, so the burst of 3 needs no wait); first → second message p50 {:.2} ms, p99 {g99:.2} ms, max {:.1} ms — target < {TARGET_GAP_MS:.0} ms: {}",
        r.gaps.len(),
        args.steady_think_ms,
        percentile_ms(&r.gaps, 0.5),
        percentile_ms(&r.gaps, 1.0),
        verdict(g99 < TARGET_GAP_MS)
    );
}

// ---------------------------------------------------------------------------
// Faults: server errors, 429, a crash and a restart

/// The crash of a faulty run.
pub struct Crash {
    /// The killed process and the new one.
    pids: (u32, u32),
    /// Run start → SIGKILL.
    at: Duration,
    /// SIGKILL → the new process's first getUpdates.
    down: Duration,
    answered_before: usize,
}

/// One run of the fault scenario, checked step by step.
pub struct Checked {
    phase: Phase,
    crash: Option<Crash>,
    /// Steps queued; steps that got no reply at all.
    sent: usize,
    unanswered: usize,
    /// Replies expected (from the reference run) for the steps sent, and those missing.
    expected_replies: usize,
    lost_replies: usize,
    /// People whose booking's last press got its reply; live registrations in the
    /// database; each way round, those the other does not have.
    confirmations: usize,
    bookings: usize,
    booked_unconfirmed: usize,
    confirmed_unbooked: usize,
    /// The outbox and the inbox at the end: pending and failed messages, updates left.
    outbox_pending: i64,
    outbox_failed: i64,
    inbox_left: i64,
    /// Latencies (µs, sorted) of the updates that did not wait across the crash, and how
    /// many did.
    outside_crash: Vec<u32>,
    across_crash: usize,
    log_lines: usize,
    log_last: String,
    /// What the restarted process said it took up again from the inbox.
    resumed: Vec<String>,
    /// People's steps as tracked (the reference run's become the expectations).
    outcomes: Vec<Outcome>,
}

pub struct FaultReport {
    reference: Checked,
    faulty: Checked,
    people: usize,
}

/// A run of `config`, SIGKILLing eudesk (and starting it again at once, as systemd
/// would) once `kill_at` of the updates are answered; then until no reply came for
/// `quiet`.
async fn run_with_crash(
    target: &mut Target,
    config: RunConfig,
    limit: Duration,
    kill_at: Option<f64>,
    quiet: Duration,
) -> (Phase, Option<Crash>) {
    let mut cpu = Duration::ZERO;
    let cpu0 = target.bot.cpu();
    let self0 = child::cpu_of("/proc/self/stat");
    let calls0 = target.fake.counters();
    let started = Instant::now();
    target.fake.begin(config);
    let mut crash = None;
    let mut killed: Option<(Instant, u64, usize)> = None;
    let mut pids = (target.bot.pid, 0);
    loop {
        tokio::time::sleep(Duration::from_millis(20)).await;
        let (answered, expected, done) = target.fake.progress();
        if let Some((at, polls, before)) = killed
            && crash.is_none()
        {
            if target.fake.counters().polls > polls {
                crash = Some(Crash {
                    pids,
                    at: at.saturating_duration_since(started),
                    down: at.elapsed(),
                    answered_before: before,
                });
            } else {
                assert!(
                    at.elapsed() < Duration::from_secs(60),
                    "eudesk did not poll within 60 s of its restart:\n{}",
                    target.bot.log_tail(2000)
                );
            }
        }
        if killed.is_none()
            && let Some(share) = kill_at
            && answered as f64 >= share * expected as f64
        {
            cpu += target.bot.cpu().saturating_sub(cpu0);
            let polls = target.fake.counters().polls;
            target.bot.sigkill();
            let at = Instant::now();
            // The new process says how many updates it found in the inbox.
            target
                .env
                .push(("RUST_LOG".into(), "warn,eudesk::telegram::intake=info".into()));
            target.respawn();
            pids.1 = target.bot.pid;
            killed = Some((at, polls, answered));
        }
        if done && (killed.is_none() || crash.is_some()) {
            break;
        }
        if started.elapsed() > limit {
            eprintln!("load: a fault run hit its time limit of {limit:?}");
            break;
        }
        if let Err(e) = target.bot.check_alive() {
            panic!("{e}");
        }
    }
    crate::settle(target, quiet).await;
    let mut stats = target.fake.finish();
    stats.latencies.sort_unstable();
    cpu += if killed.is_some() {
        target.bot.cpu()
    } else {
        target.bot.cpu().saturating_sub(cpu0)
    };
    let phase = Phase {
        stats,
        bot_cpu: cpu,
        driver_cpu: child::cpu_of("/proc/self/stat").saturating_sub(self0),
        wall: started.elapsed(),
        calls: crate::delta(&calls0, &target.fake.counters()),
    };
    (phase, crash)
}

fn count(v: &[u64], h: u64) -> usize {
    v.iter().filter(|&&x| x == h).count()
}

/// Live registrations, the outbox's pending and failed messages, the inbox's updates.
async fn database_state(database_url: &str) -> (HashSet<i64>, i64, i64, i64) {
    let pool = sqlx::SqlitePool::connect(database_url)
        .await
        .expect("the benchmark's database opens");
    let booked: Vec<i64> = sqlx::query_scalar("SELECT user_id FROM registrations WHERE status != 'cancelled'")
        .fetch_all(&pool)
        .await
        .expect("the registrations are read");
    let outbox = |state: &'static str| {
        sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM outbox WHERE state = ?1")
            .bind(state)
            .fetch_one(&pool)
    };
    let pending = outbox("pending").await.expect("the outbox is read");
    let failed = outbox("failed").await.expect("the outbox is read");
    let inbox: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM inbox")
        .fetch_one(&pool)
        .await
        .expect("the inbox is read");
    pool.close().await;
    (booked.into_iter().collect(), pending, failed, inbox)
}

/// One run of the fault scenario on a fresh eudesk, checked against `expected` (none:
/// the reference run, which records).
async fn checked_run(
    args: &Args,
    tree: &eudesk::dialogue::Tree,
    label: &str,
    expected: Option<Vec<Vec<Vec<u64>>>>,
) -> (Checked, usize) {
    let faulty = expected.is_some();
    let kind = Kind::Eudesk(Setup {
        flood_per_minute: Some(100_000),
        subscribers: 0,
        throttled: None,
    });
    let (mut target, sessions) = crate::start(kind, args).await;
    let material = Material::new(tree, sessions);
    let scripts = workload::scripts(&material, 6, args.fault_people, args.fault_updates, 24);
    let n = scripts.len();
    target.fake.set_tracking(true);
    let people = target.fake.add_people(scripts, false);
    if let Some(expected) = expected {
        target.fake.expect(people.clone(), expected);
        target.fake.set_faults(args.fault_every);
    }
    let think = Duration::from_millis(args.fault_think_ms);
    let config = RunConfig {
        think,
        window: usize::MAX,
        rate: Some(args.fault_rate),
        people: people.clone(),
        shuffle: true,
        flood: None,
    };
    let limit = Duration::from_secs(args.limit_s).max(Duration::from_secs_f64(
        args.fault_updates as f64 / args.fault_rate * 3.0,
    ));
    let kill_at = faulty.then_some(args.kill_at);
    let (phase, crash) = run_with_crash(&mut target, config, limit, kill_at, Duration::from_secs(3)).await;
    describe(label, &phase, think, args.dump.as_deref());
    let log = target.bot.log_tail(1 << 20);
    let log_last = log.lines().last().unwrap_or_default().to_owned();
    let resumed: Vec<String> = log
        .lines()
        .filter(|l| l.contains("taken before the last stop"))
        .map(|l| l.split_once("INFO ").map_or(l, |(_, m)| m).trim().to_owned())
        .collect();
    let log_lines = log.lines().filter(|l| !l.contains(" INFO ")).count();
    target.bot.stop();

    let outcomes = target.fake.outcomes(people);
    let (mut sent, mut unanswered, mut expected_replies, mut lost_replies) = (0, 0, 0, 0);
    let mut confirmed = HashSet::new();
    for o in &outcomes {
        for k in 0..o.sent {
            sent += 1;
            let got = o.got.get(k).map(Vec::as_slice).unwrap_or_default();
            if got.is_empty() {
                unanswered += 1;
            }
            let want = o.expected.get(k).map(Vec::as_slice).unwrap_or_default();
            expected_replies += want.len();
            let distinct: HashSet<u64> = want.iter().copied().collect();
            for h in distinct {
                lost_replies += count(want, h).saturating_sub(count(got, h));
            }
            if matches!(&o.steps[k], Step::Press(d) if d == "f:confirm") && !got.is_empty() {
                confirmed.insert(o.user);
            }
        }
    }
    let (booked, outbox_pending, outbox_failed, inbox_left) = database_state(&target.database_url).await;
    let (mut outside_crash, mut across_crash) = (Vec::new(), 0);
    for &(queued, latency, _) in &phase.stats.series {
        let waited = match &crash {
            Some(c) => {
                let from = Duration::from_micros(queued);
                let to = from + Duration::from_micros(latency as u64);
                from < c.at + c.down && to > c.at
            }
            None => false,
        };
        if waited {
            across_crash += 1;
        } else {
            outside_crash.push(latency);
        }
    }
    outside_crash.sort_unstable();
    let checked = Checked {
        crash,
        sent,
        unanswered,
        expected_replies,
        lost_replies,
        confirmations: confirmed.len(),
        bookings: booked.len(),
        booked_unconfirmed: booked.difference(&confirmed).count(),
        confirmed_unbooked: confirmed.difference(&booked).count(),
        outbox_pending,
        outbox_failed,
        inbox_left,
        outside_crash,
        across_crash,
        log_lines,
        log_last,
        resumed,
        outcomes,
        phase,
    };
    (checked, n)
}

pub async fn faults(args: &Args, tree: &eudesk::dialogue::Tree) -> FaultReport {
    let (reference, people) = checked_run(args, tree, "faults, reference run (no faults)", None).await;
    let expected: Vec<Vec<Vec<u64>>> = reference.outcomes.iter().map(|o| o.got.clone()).collect();
    let (faulty, _) = checked_run(args, tree, "faults, faulty run", Some(expected)).await;
    FaultReport {
        reference,
        faulty,
        people,
    }
}

fn print_checked(label: &str, c: &Checked) {
    let s = &c.phase.stats;
    if c.expected_replies == 0 {
        let recorded: usize = c.outcomes.iter().flat_map(|o| &o.got).map(Vec::len).sum();
        println!(
            "{label}: {} updates sent, {} got no reply at all; {recorded} replies recorded as what each step should get; first reply p50 {:.1} ms, p99 {:.1} ms",
            c.sent,
            c.unanswered,
            c.phase.percentile_ms(0.5),
            c.phase.percentile_ms(0.99)
        );
    } else {
        println!(
            "{label}: {} updates sent, {} got no reply at all; {} replies expected, {} lost, {} duplicated, {} late (after their person went on), {} not expected; {} repeated edits refused as not modified",
            c.sent,
            c.unanswered,
            c.expected_replies,
            c.lost_replies,
            s.duplicates,
            s.late,
            s.unexpected,
            c.phase.calls.not_modified
        );
    }
    println!(
        "{label}: bookings in the database {}, confirmations received {}; booked without a confirmation {}, confirmed without a booking {}; at the end the outbox holds {} pending and {} failed messages, the inbox {} updates; eudesk log {} warning/error lines{}",
        c.bookings,
        c.confirmations,
        c.booked_unconfirmed,
        c.confirmed_unbooked,
        c.outbox_pending,
        c.outbox_failed,
        c.inbox_left,
        c.log_lines,
        if c.log_lines > 0 {
            format!(" (last: {})", c.log_last)
        } else {
            String::new()
        }
    );
}

pub fn print_faults(r: &FaultReport, args: &Args) {
    let f = &r.faulty;
    let c = &f.phase.calls;
    print_checked("faults, reference run without faults", &r.reference);
    println!(
        "faults: {} people, {} updates at ≤ {:.0}/s, throttling off; 1 sendMessage in {} answered 500, 502 or 429 (retry after 1 s) in turn: {} × 5xx, {} × 429 of {} sendMessage calls accepted; {}",
        r.people,
        f.sent,
        args.fault_rate,
        args.fault_every,
        c.faults_5xx,
        c.faults_429,
        c.send_message,
        match &f.crash {
            Some(k) => format!(
                "SIGKILL of pid {} {:.1} s in ({} updates answered), pid {} polling {:.0} ms later{}",
                k.pids.0,
                k.at.as_secs_f64(),
                k.answered_before,
                k.pids.1,
                k.down.as_secs_f64() * 1000.0,
                if f.resumed.is_empty() {
                    " (it found nothing left in the inbox)".to_owned()
                } else {
                    format!(" (it said: {})", f.resumed.join("; "))
                }
            ),
            None => "NO CRASH happened (the run ended first)".to_owned(),
        }
    );
    print_checked("faults", f);
    let s = &f.phase.stats;
    println!(
        "faults: updates lost {}, replies lost {}, replies duplicated {} — target 0, 0, 0: {}",
        f.unanswered,
        f.lost_replies,
        s.duplicates,
        verdict(f.unanswered == 0 && f.lost_replies == 0 && s.duplicates == 0)
    );
    println!(
        "faults: bookings {} in the database vs {} confirmations received — target equal, none without the other: {}",
        f.bookings,
        f.confirmations,
        verdict(f.booked_unconfirmed == 0 && f.confirmed_unbooked == 0)
    );
    let p99 = f.phase.percentile_ms(0.99);
    println!(
        "faults: first reply p50 {:.1} ms, p99 {p99:.1} ms, max {:.0} ms (reference run p99 {:.1} ms); not waiting across the crash p99 {:.1} ms, {} updates waited across it — target p99 < {TARGET_FAULT_P99_MS:.0} ms: {}",
        f.phase.percentile_ms(0.5),
        f.phase.percentile_ms(1.0),
        r.reference.phase.percentile_ms(0.99),
        percentile_ms(&f.outside_crash, 0.99),
        f.across_crash,
        verdict(p99 < TARGET_FAULT_P99_MS)
    );
    // Per kind of step, where replies went missing or came twice.
    let mut missing: HashMap<&'static str, usize> = HashMap::new();
    for o in &f.outcomes {
        for k in 0..o.sent {
            let got = o.got.get(k).map(Vec::as_slice).unwrap_or_default();
            let want = o.expected.get(k).map(Vec::as_slice).unwrap_or_default();
            let lost: usize = want
                .iter()
                .copied()
                .collect::<HashSet<u64>>()
                .into_iter()
                .map(|h| count(want, h).saturating_sub(count(got, h)))
                .sum();
            if lost > 0 {
                *missing.entry(crate::fake::kind_of(&o.steps[k])).or_default() += lost;
            }
        }
    }
    if !missing.is_empty() {
        let mut kinds: Vec<_> = missing.into_iter().collect();
        kinds.sort();
        println!(
            "faults: lost replies by kind of step: {}",
            kinds
                .iter()
                .map(|(k, n)| format!("{k} {n}"))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
}
