//! Per-person flood control. Past a rate, a person gets one "slow down" and is then
//! ignored for a while; everyone else is unaffected. Kept in memory: it protects the
//! running process, and a restart forgiving everyone is harmless.

use crate::ids::UserId;
use jiff::{SignedDuration, Timestamp};
use std::collections::HashMap;
use std::sync::Mutex;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    Allow,
    /// The limit was just passed: say "slow down", once.
    Warn,
    /// Still paused: say nothing.
    Ignore,
}

#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Events allowed per `window`.
    pub per_window: u32,
    pub window: SignedDuration,
    /// How long a person is ignored after passing the limit.
    pub pause: SignedDuration,
}

impl Default for Limits {
    /// 20 events a minute is more than a person reading answers and pressing buttons
    /// does (a booking takes about 10), and well under what a script sends.
    fn default() -> Limits {
        Limits {
            per_window: 20,
            window: SignedDuration::from_mins(1),
            pause: SignedDuration::from_mins(2),
        }
    }
}

struct Bucket {
    window_start: Timestamp,
    count: u32,
    paused_until: Option<Timestamp>,
}

pub struct FloodGuard {
    limits: Limits,
    buckets: Mutex<Buckets>,
}

struct Buckets {
    by_user: HashMap<i64, Bucket>,
    last_sweep: Option<Timestamp>,
}

impl FloodGuard {
    pub fn new(limits: Limits) -> FloodGuard {
        FloodGuard {
            limits,
            buckets: Mutex::new(Buckets {
                by_user: HashMap::new(),
                last_sweep: None,
            }),
        }
    }

    pub fn check(&self, user: UserId, now: Timestamp) -> Verdict {
        let mut buckets = self.buckets.lock().expect("flood lock");
        // Forget people who went quiet, so memory stays bounded however many write; at
        // most once a window, so a crowd does not make every check sweep the table.
        let horizon = self.limits.window.max(self.limits.pause);
        let due = buckets
            .last_sweep
            .is_none_or(|at| now.duration_since(at) >= self.limits.window);
        if buckets.by_user.len() > 1_000 && due {
            buckets
                .by_user
                .retain(|_, b| now.duration_since(b.window_start) < horizon || b.paused_until.is_some_and(|p| p > now));
            buckets.last_sweep = Some(now);
        }
        let bucket = buckets.by_user.entry(user.0).or_insert(Bucket {
            window_start: now,
            count: 0,
            paused_until: None,
        });
        if let Some(until) = bucket.paused_until {
            if now < until {
                return Verdict::Ignore;
            }
            bucket.paused_until = None;
            bucket.window_start = now;
            bucket.count = 0;
        }
        if now.duration_since(bucket.window_start) >= self.limits.window {
            bucket.window_start = now;
            bucket.count = 0;
        }
        bucket.count += 1;
        if bucket.count > self.limits.per_window {
            bucket.paused_until = now.checked_add(self.limits.pause).ok();
            return Verdict::Warn;
        }
        Verdict::Allow
    }

    /// How many people are tracked (for tests of bounded memory).
    pub fn tracked(&self) -> usize {
        self.buckets.lock().expect("flood lock").by_user.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(secs: i64) -> Timestamp {
        Timestamp::from_second(1_800_000_000 + secs).unwrap()
    }

    #[test]
    fn past_the_limit_one_warning_then_silence_then_forgiveness() {
        let guard = FloodGuard::new(Limits {
            per_window: 3,
            window: SignedDuration::from_secs(60),
            pause: SignedDuration::from_secs(120),
        });
        for i in 0..3 {
            assert_eq!(guard.check(crate::ids::UserId(1), at(i)), Verdict::Allow);
        }
        assert_eq!(guard.check(crate::ids::UserId(1), at(4)), Verdict::Warn);
        assert_eq!(guard.check(crate::ids::UserId(1), at(5)), Verdict::Ignore);
        assert_eq!(
            guard.check(crate::ids::UserId(2), at(5)),
            Verdict::Allow,
            "nobody else is slowed"
        );
        assert_eq!(
            guard.check(crate::ids::UserId(1), at(200)),
            Verdict::Allow,
            "after the pause"
        );
    }

    #[test]
    fn quiet_people_are_forgotten() {
        let guard = FloodGuard::new(Limits::default());
        for user in 0..10_001 {
            guard.check(crate::ids::UserId(user), at(0));
        }
        guard.check(crate::ids::UserId(99_999), at(600));
        assert!(guard.tracked() < 10, "{}", guard.tracked());
    }
}
