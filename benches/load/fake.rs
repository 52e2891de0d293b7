//! A lean loopback fake of the Telegram Bot API that also drives the synthetic people.
//!
//! The wire protocol (the server, request paths and bodies, method names, the JSON of
//! users, chats and messages, the long poll) is tests/support/bot_api.rs, shared with the
//! test fake (tests/it/fake_api.rs). Unlike the test fake this one keeps no history:
//! every call does a constant amount of work under one lock (the getUpdates answer is as
//! long as its batch), and reads only the parameters it needs. It queues updates, hands
//! them out by long polling, answers sends and edits with a minimal message teloxide
//! parses, and, for each person, notes the first reply after each of their updates was
//! queued.
//!
//! People are closed-loop: a person's next update is queued only after the previous
//! one got its first reply and a short "think time" has passed (so the replies a
//! handler sends after its first one have all arrived before the next update exists;
//! `max_spread` in the results shows the margin). A run may also cap the rate at
//! which updates are queued and the number waiting for a reply.

use super::workload::{Script, Step};
use crate::bot_api::{self, Backend, Incoming, LongPoll, Reply, as_i64};
use serde::Deserialize;
use serde_json::{Value, json};
use std::collections::{HashMap, VecDeque};
use std::hash::{Hash, Hasher};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};
use tokio::sync::Notify;

/// People's user ids (= their private chat ids) start here.
pub const FIRST_USER: i64 = 10_000_000;
/// Subscribers of the alerts scenario start here, far from the people.
pub const FIRST_SUBSCRIBER: i64 = 5_000_000_000;
/// Username of the fake bot.
const BOT_USERNAME: &str = "eudesk_load_bot";
/// Longest hold of a getUpdates long poll, whatever the bot asked for.
const MAX_POLL: Duration = Duration::from_secs(2);
/// An update with no reply after this long is counted lost and its person moves on.
const LOST_AFTER: Duration = Duration::from_secs(15);

#[derive(Clone)]
pub struct Fake {
    inner: Arc<Inner>,
}

struct Inner {
    addr: SocketAddr,
    state: Mutex<State>,
    /// Wakes long polls when updates are queued.
    queued: Notify,
}

struct Person {
    lang: &'static str,
    steps: Vec<Step>,
    next: usize,
    /// When the update waiting for its first reply was queued.
    waiting: Option<Instant>,
    /// When the last update's first reply came.
    last_first: Option<Instant>,
    /// Sends without waiting for replies; not measured.
    flooder: bool,
    /// When tracking: the fingerprints of the replies each step got (see `fingerprint`).
    got: Vec<Vec<u64>>,
    /// What each step should get (a run without faults recorded it); empty: record only.
    expected: Vec<Vec<u64>>,
    /// When the current step's first reply came, until its second one (the gap).
    gap_from: Option<Instant>,
}

/// How a run offers its load.
#[derive(Clone, Debug)]
pub struct RunConfig {
    /// Pause between a reply and the person's next update.
    pub think: Duration,
    /// At most this many updates waiting for a reply at once.
    pub window: usize,
    /// Updates queued per second at most (`None`: as fast as the window allows).
    pub rate: Option<f64>,
    /// The people taking part (indices from `add_people`).
    pub people: std::ops::Range<usize>,
    /// People start in a random order (else the longest scripts first, which keeps
    /// a run at full load to its end). The people then go on in rounds, each one's
    /// next update after everyone else's, so the order fixes the mix of each moment.
    pub shuffle: bool,
    /// A flooder (person index) whose whole script is queued at once this long after
    /// the run starts.
    pub flood: Option<(usize, Duration)>,
}

/// What a run measured.
#[derive(Debug, Default)]
pub struct RunStats {
    /// Update → first reply, microseconds, for every measured update that got one.
    pub latencies: Vec<u32>,
    /// (queued, microseconds after the run began; latency, microseconds; kind of
    /// step) in reply order, for --dump.
    pub series: Vec<(u64, u32, &'static str)>,
    pub queued: usize,
    pub answered: usize,
    pub expected: usize,
    pub lost: usize,
    /// Replies after a handler's first one (none of them is measured).
    pub trailing: usize,
    /// The longest time from an update's first reply to a later reply in the same chat
    /// while the person was thinking: must stay well under the think time.
    pub max_spread: Duration,
    /// First update queued → last first reply.
    pub elapsed: Duration,
    /// Between the first reply of the 10 % and of the 90 % mark: the steady state.
    pub steady: Option<(usize, Duration)>,
    pub flooder_replies: usize,
    /// When the last flood update was confirmed by the bot's polling, after the flood.
    pub flood_drained: Option<Duration>,
    pub finished: bool,
    /// First reply → second reply of one update's replies in one chat, microseconds.
    pub gaps: Vec<u32>,
    /// When tracking against expected replies: replies that came after their person had
    /// moved on (still the right ones, just late), replies a step had already had
    /// (duplicates), and replies no recent step expected.
    pub late: usize,
    pub duplicates: usize,
    pub unexpected: usize,
}

struct Run {
    config: RunConfig,
    start: Instant,
    last_tick: Instant,
    tokens: f64,
    outstanding: usize,
    done: usize,
    first_queued: Option<Instant>,
    last_reply: Option<Instant>,
    t10: Option<(usize, Instant)>,
    t90: Option<(usize, Instant)>,
    flood_queued: Option<(Instant, i64)>,
    last_sweep: Instant,
    stats: RunStats,
}

#[derive(Default, Clone, Debug)]
pub struct Counters {
    /// getUpdates requests received.
    pub polls: u64,
    /// getUpdates requests answered.
    pub get_updates: u64,
    /// Updates handed out by getUpdates (counting re-deliveries).
    pub delivered: u64,
    pub send_message: u64,
    pub edit_message: u64,
    pub send_document: u64,
    pub answer_callback: u64,
    pub other_methods: u64,
    /// Sends to chats that are not people (the staff chat).
    pub other_chats: u64,
    /// sendMessage calls answered 500 or 502 / 429 by the fault injection.
    pub faults_5xx: u64,
    pub faults_429: u64,
    /// Edits refused as "message is not modified" (the same text again; tracking only).
    pub not_modified: u64,
}

/// How the fake plays the subscribers of a fan-out.
#[derive(Clone, Debug, Default)]
pub struct Audience {
    /// Subscribers `FIRST_SUBSCRIBER ..` + this.
    pub subscribers: usize,
    /// Every k-th subscriber has blocked the bot (403); 0: nobody.
    pub blocked_every: usize,
    /// Answer 429 to a send to a subscriber that would make more than this many in
    /// any one second, as Telegram does above its broadcast limit.
    pub limit: Option<usize>,
    /// One send attempt to a subscriber in `fail_every`, at random (seeded), is answered
    /// 500 or 502; 0: none.
    pub fail_every: usize,
}

/// What the subscribers saw.
#[derive(Clone, Debug, Default)]
pub struct AlertStats {
    /// Sends accepted (a message delivered).
    pub accepted: usize,
    /// Sends refused with 403 (the subscriber blocked the bot).
    pub blocked: usize,
    /// Sends refused with 429.
    pub too_many: usize,
    /// Sends answered 500 or 502 (`fail_every`).
    pub server_errors: usize,
    /// Send attempts of any outcome, and when the first came.
    pub attempts: usize,
    pub first_attempt: Option<Instant>,
    /// Sends to a subscriber who already had the alert (accepted or blocked before).
    pub duplicates: usize,
    /// Distinct subscribers reached (accepted or blocked).
    pub reached: usize,
    pub first: Option<Instant>,
    pub last: Option<Instant>,
    /// The most sends (accepted or blocked) in any one-second window.
    pub max_in_window: usize,
    /// Sends (accepted or blocked) per whole second after the first.
    pub per_second: Vec<u32>,
}

#[derive(Default)]
struct Alerts {
    audience: Audience,
    /// Draws the failing attempts.
    rng: Option<super::workload::Rng>,
    seen: Vec<bool>,
    /// Arrivals in the last second.
    window: VecDeque<Instant>,
    stats: AlertStats,
}

impl Alerts {
    /// A send to subscriber `index`: `None` when it is accepted, else the refusal.
    fn send(&mut self, index: usize) -> Option<Reply> {
        let now = Instant::now();
        self.stats.attempts += 1;
        self.stats.first_attempt.get_or_insert(now);
        let every = self.audience.fail_every;
        if every > 0 {
            let rng = self.rng.get_or_insert_with(|| super::workload::Rng::new(11));
            if rng.below(every) == 0 {
                self.stats.server_errors += 1;
                return Some(server_error(self.stats.server_errors));
            }
        }
        while self
            .window
            .front()
            .is_some_and(|t| now.saturating_duration_since(*t) >= Duration::from_secs(1))
        {
            self.window.pop_front();
        }
        if self.audience.limit.is_some_and(|limit| self.window.len() >= limit) {
            self.stats.too_many += 1;
            let mut body = bot_api::error(429, "Too Many Requests: retry after 1");
            body["parameters"] = json!({ "retry_after": 1 });
            return Some(Reply::Json(429, body));
        }
        self.window.push_back(now);
        self.stats.max_in_window = self.stats.max_in_window.max(self.window.len());
        let first = *self.stats.first.get_or_insert(now);
        self.stats.last = Some(now);
        let second = now.saturating_duration_since(first).as_secs() as usize;
        if self.stats.per_second.len() <= second {
            self.stats.per_second.resize(second + 1, 0);
        }
        self.stats.per_second[second] += 1;
        if self.seen.len() < self.audience.subscribers {
            self.seen.resize(self.audience.subscribers, false);
        }
        if std::mem::replace(&mut self.seen[index], true) {
            self.stats.duplicates += 1;
        } else {
            self.stats.reached += 1;
        }
        let every = self.audience.blocked_every;
        if every > 0 && index % every == every - 1 {
            self.stats.blocked += 1;
            return Some(Reply::Json(
                403,
                bot_api::error(403, "Forbidden: bot was blocked by the user"),
            ));
        }
        self.stats.accepted += 1;
        None
    }
}

struct State {
    alerts: Alerts,
    queue: VecDeque<(i64, String)>,
    next_update: i64,
    next_message: i64,
    /// The highest offset the bot confirmed.
    confirmed: i64,
    people: Vec<Person>,
    ready: VecDeque<(Instant, usize)>,
    run: Option<Run>,
    counters: Counters,
    /// Every k-th sendMessage to a person or the staff chat fails (see `fault`); 0: none.
    fault_every: u64,
    send_attempts: u64,
    /// Replies are fingerprinted per step (and repeated edits refused as Telegram does).
    track: bool,
    /// Text fingerprint of each edited message (tracking only).
    edited: HashMap<i64, u64>,
    /// The last send or edit to a person, run or not.
    last_reply: Option<Instant>,
}

/// An injected server error, alternating 500 and 502.
fn server_error(n: usize) -> Reply {
    if n.is_multiple_of(2) {
        Reply::Json(500, bot_api::error(500, "Internal Server Error"))
    } else {
        Reply::Json(502, bot_api::error(502, "Bad Gateway"))
    }
}

/// A reply's text with every run of digits masked (ticket numbers, dates), hashed: the
/// same reply in two runs has the same fingerprint.
pub fn fingerprint(text: &str) -> u64 {
    let mut masked = String::with_capacity(text.len());
    let mut in_digits = false;
    for c in text.chars() {
        if c.is_ascii_digit() {
            if !in_digits {
                masked.push('#');
            }
            in_digits = true;
        } else {
            masked.push(c);
            in_digits = false;
        }
    }
    let mut h = std::hash::DefaultHasher::new();
    masked.hash(&mut h);
    h.finish()
}

/// Where a reply belongs, judged against the replies each step should get.
enum Attribution {
    /// The current step expects it (and has not had it yet).
    Current,
    /// An earlier step expected it and has not had it: late.
    Late(usize),
    /// A step that expected it has had it already.
    Duplicate,
    /// No recent step expects it.
    Unexpected,
}

fn count(v: &[u64], h: u64) -> usize {
    v.iter().filter(|&&x| x == h).count()
}

fn attribute(p: &Person, k: usize, h: u64) -> Attribution {
    let empty = Vec::new();
    let expected = |j: usize| p.expected.get(j).unwrap_or(&empty);
    let got = |j: usize| p.got.get(j).unwrap_or(&empty);
    if count(expected(k), h) > count(got(k), h) {
        return Attribution::Current;
    }
    if count(expected(k), h) > 0 {
        return Attribution::Duplicate;
    }
    for j in (k.saturating_sub(4)..k).rev() {
        if count(expected(j), h) > 0 {
            return if count(expected(j), h) > count(got(j), h) {
                Attribution::Late(j)
            } else {
                Attribution::Duplicate
            };
        }
    }
    Attribution::Unexpected
}

/// One person's steps as tracked: what each step should have got and what it got.
pub struct Outcome {
    pub user: i64,
    pub steps: Vec<Step>,
    /// Steps queued (the rest were never sent).
    pub sent: usize,
    pub expected: Vec<Vec<u64>>,
    pub got: Vec<Vec<u64>>,
}

impl Fake {
    /// Binds 127.0.0.1:0, serves on the current runtime and starts the pacing task.
    pub async fn start() -> Fake {
        let fake = bot_api::serve(|addr| Fake {
            inner: Arc::new(Inner {
                addr,
                state: Mutex::new(State {
                    alerts: Alerts::default(),
                    queue: VecDeque::new(),
                    next_update: 1,
                    next_message: 1,
                    confirmed: 0,
                    people: Vec::new(),
                    ready: VecDeque::new(),
                    run: None,
                    counters: Counters::default(),
                    fault_every: 0,
                    send_attempts: 0,
                    track: false,
                    edited: HashMap::new(),
                    last_reply: None,
                }),
                queued: Notify::new(),
            }),
        })
        .await;
        let pacer = fake.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_millis(1));
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
            loop {
                tick.tick().await;
                if pacer.tick() {
                    pacer.inner.queued.notify_waiters();
                }
            }
        });
        fake
    }

    pub fn url(&self) -> String {
        format!("http://{}/", self.inner.addr)
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.inner.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn counters(&self) -> Counters {
        self.lock().counters.clone()
    }

    /// Sets who the subscribers are and how they answer; forgets earlier alerts.
    pub fn set_audience(&self, audience: Audience) {
        self.lock().alerts = Alerts {
            audience,
            ..Alerts::default()
        };
    }

    pub fn alert_stats(&self) -> AlertStats {
        self.lock().alerts.stats.clone()
    }

    /// Every `every`-th sendMessage to a person or the staff chat is answered 500, 502
    /// or 429 (retry after 1 s), in turn; 0: none.
    pub fn set_faults(&self, every: u64) {
        self.lock().fault_every = every;
    }

    /// Fingerprints every reply per step, and refuses an edit that changes nothing.
    pub fn set_tracking(&self, on: bool) {
        self.lock().track = on;
    }

    /// Sets what each step of these people should get (from `outcomes` of another run).
    pub fn expect(&self, people: std::ops::Range<usize>, expected: Vec<Vec<Vec<u64>>>) {
        let mut state = self.lock();
        for (i, e) in people.zip(expected) {
            state.people[i].expected = e;
        }
    }

    /// The tracked steps of these people.
    pub fn outcomes(&self, people: std::ops::Range<usize>) -> Vec<Outcome> {
        let state = self.lock();
        people
            .map(|i| {
                let p = &state.people[i];
                Outcome {
                    user: FIRST_USER + i as i64,
                    steps: p.steps.clone(),
                    sent: p.next,
                    expected: p.expected.clone(),
                    got: p.got.clone(),
                }
            })
            .collect()
    }

    /// When the last send or edit to a person came.
    pub fn last_reply(&self) -> Option<Instant> {
        self.lock().last_reply
    }

    /// The injected failure for this sendMessage, if it is one.
    fn fault(&self) -> Option<Reply> {
        let mut state = self.lock();
        let every = state.fault_every;
        if every == 0 {
            return None;
        }
        state.send_attempts += 1;
        let n = state.send_attempts;
        if n % every != every / 2 {
            return None;
        }
        match (n / every) % 3 {
            2 => {
                state.counters.faults_429 += 1;
                let mut body = bot_api::error(429, "Too Many Requests: retry after 1");
                body["parameters"] = json!({ "retry_after": 1 });
                Some(Reply::Json(429, body))
            }
            k => {
                state.counters.faults_5xx += 1;
                Some(server_error(k as usize))
            }
        }
    }

    /// Adds people; returns their indices.
    pub fn add_people(&self, scripts: Vec<Script>, flooder: bool) -> std::ops::Range<usize> {
        let mut state = self.lock();
        let from = state.people.len();
        state.people.extend(scripts.into_iter().map(|s| Person {
            lang: s.lang,
            steps: s.steps,
            next: 0,
            waiting: None,
            last_first: None,
            flooder,
            got: Vec::new(),
            expected: Vec::new(),
            gap_from: None,
        }));
        from..state.people.len()
    }

    /// Starts a run.
    pub fn begin(&self, config: RunConfig) {
        let mut state = self.lock();
        let now = Instant::now();
        let mut order: Vec<usize> = config
            .people
            .clone()
            .filter(|&i| !state.people[i].steps.is_empty())
            .collect();
        let idle = config.people.len() - order.len();
        if config.shuffle {
            let mut rng = super::workload::Rng::new(7);
            for k in (1..order.len()).rev() {
                order.swap(k, rng.below(k + 1));
            }
        } else {
            order.sort_by_key(|&i| std::cmp::Reverse(state.people[i].steps.len()));
        }
        let expected = order.iter().map(|&i| state.people[i].steps.len()).sum();
        state.ready = order.into_iter().map(|i| (now, i)).collect();
        state.run = Some(Run {
            config,
            start: now,
            last_tick: now,
            tokens: 0.0,
            outstanding: 0,
            done: idle,
            first_queued: None,
            last_reply: None,
            t10: None,
            t90: None,
            flood_queued: None,
            last_sweep: now,
            stats: RunStats {
                expected,
                ..RunStats::default()
            },
        });
    }

    /// (updates answered, updates expected, whether every person is done).
    pub fn progress(&self) -> (usize, usize, bool) {
        let state = self.lock();
        match &state.run {
            Some(run) => {
                let people = run.config.people.len();
                let flood_done = run.config.flood.is_none() || run.flood_queued.is_some();
                (run.stats.answered, run.stats.expected, run.done >= people && flood_done)
            }
            None => (0, 0, true),
        }
    }

    /// Ends the run and returns what it measured.
    pub fn finish(&self) -> RunStats {
        let mut state = self.lock();
        state.ready.clear();
        let Some(run) = state.run.take() else {
            return RunStats::default();
        };
        let mut stats = run.stats;
        stats.finished = run.done >= run.config.people.len();
        if let (Some(a), Some(b)) = (run.first_queued, run.last_reply) {
            stats.elapsed = b.saturating_duration_since(a);
        }
        if let (Some((n10, a)), Some((n90, b))) = (run.t10, run.t90) {
            stats.steady = Some((n90 - n10, b.saturating_duration_since(a)));
        }
        stats
    }

    /// The pacing step, every millisecond: the flood when it is due, then people whose
    /// think time is over, within the rate and the window. True if it queued anything.
    fn tick(&self) -> bool {
        let mut guard = self.lock();
        let state = &mut *guard;
        let Some(run) = state.run.as_mut() else {
            return false;
        };
        let now = Instant::now();
        let mut queued = false;
        if let Some((flooder, after)) = run.config.flood
            && run.flood_queued.is_none()
            && now >= run.start + after
        {
            let p = &mut state.people[flooder];
            while p.next < p.steps.len() {
                let json = update_json(state.next_update, &mut state.next_message, p, flooder);
                p.next += 1;
                state.queue.push_back((state.next_update, json));
                state.next_update += 1;
            }
            run.flood_queued = Some((now, state.next_update - 1));
            queued = true;
        }
        if let Some((_, last)) = run.flood_queued
            && run.stats.flood_drained.is_none()
            && state.confirmed > last
        {
            run.stats.flood_drained = Some(now.saturating_duration_since(run.start + run.config.flood.unwrap().1));
        }
        let dt = now.saturating_duration_since(run.last_tick).as_secs_f64();
        run.last_tick = now;
        let mut budget = match run.config.rate {
            Some(rate) => {
                // A token bucket holding at most 5 ms of the rate: a pause in the
                // supply does not turn into a burst afterwards.
                run.tokens = (run.tokens + rate * dt).min((rate * 0.005).max(1.0));
                run.tokens.floor() as usize
            }
            None => usize::MAX,
        };
        while budget > 0
            && run.outstanding < run.config.window
            && let Some(&(at, i)) = state.ready.front()
            && at <= now
        {
            state.ready.pop_front();
            let p = &mut state.people[i];
            let json = update_json(state.next_update, &mut state.next_message, p, i);
            p.next += 1;
            p.waiting = Some(now);
            p.gap_from = None;
            state.queue.push_back((state.next_update, json));
            state.next_update += 1;
            run.outstanding += 1;
            run.stats.queued += 1;
            run.first_queued.get_or_insert(now);
            budget -= 1;
            if run.config.rate.is_some() {
                run.tokens -= 1.0;
            }
            queued = true;
        }
        if now.saturating_duration_since(run.last_sweep) >= Duration::from_secs(1) {
            run.last_sweep = now;
            for i in run.config.people.clone() {
                let p = &mut state.people[i];
                if let Some(at) = p.waiting
                    && now.saturating_duration_since(at) > LOST_AFTER
                {
                    p.waiting = None;
                    run.stats.lost += 1;
                    run.outstanding -= 1;
                    if p.next < p.steps.len() {
                        state.ready.push_back((now, i));
                    } else {
                        run.done += 1;
                    }
                }
            }
        }
        queued
    }

    /// A send or edit reached `chat`: if it is the first reply to that person's update,
    /// record its latency and let the person think about the next one.
    fn reply(&self, chat: i64, text: Option<&str>) {
        let now = Instant::now();
        let mut guard = self.lock();
        let state = &mut *guard;
        let index = chat - FIRST_USER;
        if index < 0 || index as usize >= state.people.len() {
            state.counters.other_chats += 1;
            return;
        }
        state.last_reply = Some(now);
        let i = index as usize;
        let Some(run) = state.run.as_mut() else {
            return;
        };
        let p = &mut state.people[i];
        if p.flooder {
            run.stats.flooder_replies += 1;
            return;
        }
        if !run.config.people.contains(&i) {
            // A late reply to a person of an earlier run.
            return;
        }
        if state.track {
            let Some(k) = p.next.checked_sub(1) else {
                run.stats.unexpected += 1;
                return;
            };
            let h = fingerprint(text.unwrap_or_default());
            if p.got.len() <= k {
                p.got.resize(k + 1, Vec::new());
            }
            if p.expected.is_empty() {
                p.got[k].push(h);
            } else {
                match attribute(p, k, h) {
                    Attribution::Current => p.got[k].push(h),
                    Attribution::Late(j) => {
                        p.got[j].push(h);
                        run.stats.late += 1;
                        return;
                    }
                    Attribution::Duplicate => {
                        run.stats.duplicates += 1;
                        return;
                    }
                    Attribution::Unexpected => {
                        // Taken as the current step's, so that the person goes on.
                        p.got[k].push(h);
                        run.stats.unexpected += 1;
                    }
                }
            }
        }
        match p.waiting.take() {
            Some(at) => {
                let micros = now.saturating_duration_since(at).as_micros().min(u32::MAX as u128) as u32;
                run.stats.latencies.push(micros);
                let kind = p.steps.get(p.next.wrapping_sub(1)).map_or("?", kind_of);
                let queued = at.saturating_duration_since(run.start).as_micros() as u64;
                run.stats.series.push((queued, micros, kind));
                run.stats.answered += 1;
                run.outstanding = run.outstanding.saturating_sub(1);
                run.last_reply = Some(now);
                p.last_first = Some(now);
                p.gap_from = Some(now);
                let n = run.stats.answered;
                if run.t10.is_none() && n * 10 >= run.stats.expected {
                    run.t10 = Some((n, now));
                }
                if run.t90.is_none() && n * 10 >= run.stats.expected * 9 {
                    run.t90 = Some((n, now));
                }
                if p.next < p.steps.len() {
                    state.ready.push_back((now + run.config.think, i));
                } else {
                    run.done += 1;
                }
            }
            None => {
                run.stats.trailing += 1;
                if let Some(first) = p.gap_from.take() {
                    let micros = now.saturating_duration_since(first).as_micros().min(u32::MAX as u128) as u32;
                    run.stats.gaps.push(micros);
                }
                if let Some(first) = p.last_first {
                    run.stats.max_spread = run.stats.max_spread.max(now.saturating_duration_since(first));
                }
            }
        }
    }

    /// getUpdates: confirms what is below `offset`, then answers with up to `limit`
    /// queued updates as soon as there are any, or nothing after the timeout.
    async fn poll(&self, params: &Params) -> Reply {
        let param = |v: &Option<Value>| v.as_ref().and_then(as_i64);
        let poll = LongPoll::new(
            param(&params.offset),
            param(&params.limit),
            param(&params.timeout),
            MAX_POLL,
        );
        self.lock().counters.polls += 1;
        let body = poll
            .wait(&self.inner.queued, |expired| {
                let mut state = self.lock();
                if poll.offset > state.confirmed {
                    state.confirmed = poll.offset;
                }
                while state.queue.front().is_some_and(|(id, _)| *id < poll.offset) {
                    state.queue.pop_front();
                }
                if state.queue.is_empty() && !expired {
                    return None;
                }
                let n = state.queue.len().min(poll.limit);
                state.counters.get_updates += 1;
                state.counters.delivered += n as u64;
                Some(bot_api::ok_list(state.queue.iter().take(n).map(|(_, json)| json)))
            })
            .await;
        Reply::Raw(200, body)
    }

    fn new_message_id(&self) -> i64 {
        let mut state = self.lock();
        state.next_message += 1;
        state.next_message
    }
}

/// What kind of step this is, for the latency series.
pub fn kind_of(step: &Step) -> &'static str {
    match step {
        Step::Text(t) if t == "/start" => "/start",
        Step::Text(t) if t.starts_with("/ask") => "/ask",
        Step::Text(t) if t.starts_with('/') => "command",
        Step::Text(_) => "text",
        Step::Press(d) if d.starts_with("n:") => "menu",
        Step::Press(d) if d.starts_with("s:") => "book",
        Step::Press(d) => match d.as_str() {
            "f:org:ngo" => "f:org",
            "f:skip" => "f:skip",
            "f:yes" => "f:yes",
            "f:confirm" => "f:confirm",
            "f:send" => "f:send",
            _ => "press",
        },
    }
}

/// The person's next step as a Bot API update.
fn update_json(update_id: i64, next_message: &mut i64, p: &Person, index: usize) -> String {
    let user = FIRST_USER + index as i64;
    let name = format!("Kisi{index}");
    let from = bot_api::user(user, &name, None, p.lang);
    let chat = bot_api::chat(user, &name, None);
    *next_message += 1;
    let message_id = *next_message;
    let update = match &p.steps[p.next] {
        Step::Text(text) => {
            let mut message = bot_api::message(message_id, from, chat);
            message.insert("text".into(), json!(text));
            json!({ "update_id": update_id, "message": message })
        }
        Step::Press(data) => {
            let mut message = bot_api::message(message_id, bot_api::bot_user(BOT_USERNAME), chat);
            message.insert("text".into(), json!("menu"));
            let query = bot_api::callback_query(
                &format!("q{update_id}"),
                from,
                Value::Object(message),
                &format!("ci{user}"),
                data,
            );
            json!({ "update_id": update_id, "callback_query": query })
        }
    };
    update.to_string()
}

/// The parameters the fake looks at; everything else in the body is skipped. Values,
/// not numbers: a multipart body (sendDocument) sends numbers as strings.
#[derive(Deserialize)]
pub struct Params {
    chat_id: Option<Value>,
    message_id: Option<Value>,
    text: Option<Value>,
    offset: Option<Value>,
    limit: Option<Value>,
    timeout: Option<Value>,
}

/// A minimal message of the bot's in `chat`, as the answer to a send or an edit.
fn message_json(id: i64, chat: i64) -> Reply {
    let name = if chat >= 0 { "Kisi" } else { "Staff" };
    let mut message = bot_api::message(id, bot_api::bot_user(BOT_USERNAME), bot_api::chat(chat, name, None));
    message.insert("text".into(), json!("ok"));
    Reply::Json(200, bot_api::ok(Value::Object(message)))
}

/// Every request: `/bot{token}/{Method}`.
impl Backend for Fake {
    type Params = Params;

    async fn answer(&self, request: Incoming<Params>) -> Reply {
        let Incoming { method, params, .. } = request;
        let chat = params.chat_id.as_ref().and_then(as_i64);
        let ok_true = || Reply::Json(200, bot_api::ok(json!(true)));
        match method.as_str() {
            "getUpdates" => self.poll(&params).await,
            "getMe" => Reply::Json(200, bot_api::ok(bot_api::get_me(BOT_USERNAME))),
            "getWebhookInfo" => Reply::Json(200, bot_api::ok(bot_api::webhook_info(0))),
            "sendMessage" | "sendDocument" => {
                let chat = chat.unwrap_or(0);
                let subscriber = chat - FIRST_SUBSCRIBER;
                if subscriber >= 0 {
                    let mut state = self.lock();
                    if (subscriber as usize) < state.alerts.audience.subscribers {
                        let refused = state.alerts.send(subscriber as usize);
                        drop(state);
                        return refused.unwrap_or_else(|| message_json(self.new_message_id(), chat));
                    }
                }
                if method == "sendMessage"
                    && let Some(refused) = self.fault()
                {
                    return refused;
                }
                {
                    let mut state = self.lock();
                    if method == "sendMessage" {
                        state.counters.send_message += 1;
                    } else {
                        state.counters.send_document += 1;
                    }
                }
                self.reply(chat, params.text.as_ref().and_then(Value::as_str));
                message_json(self.new_message_id(), chat)
            }
            "editMessageText" => {
                let chat = chat.unwrap_or(0);
                let message = params.message_id.as_ref().and_then(as_i64).unwrap_or(1);
                let text = params.text.as_ref().and_then(Value::as_str);
                {
                    let mut state = self.lock();
                    if state.track {
                        // Telegram refuses an edit that changes nothing.
                        let h = fingerprint(text.unwrap_or_default());
                        if state.edited.insert(message, h) == Some(h) {
                            state.counters.not_modified += 1;
                            return Reply::Json(
                                400,
                                bot_api::error(
                                    400,
                                    "Bad Request: message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message",
                                ),
                            );
                        }
                    }
                    state.counters.edit_message += 1;
                }
                self.reply(chat, text);
                message_json(message, chat)
            }
            "answerCallbackQuery" => {
                self.lock().counters.answer_callback += 1;
                ok_true()
            }
            "deleteWebhook" | "setMyCommands" => ok_true(),
            _ => {
                self.lock().counters.other_methods += 1;
                ok_true()
            }
        }
    }
}
