//! Telegram's sending limits, kept by eudesk itself for everything it sends (replies,
//! staff posts, alerts together), instead of teloxide's `Throttle`, whose queue sat
//! inside the update handlers (one person's flood then held every chat) and released
//! requests only every 250 ms. A message that may go now goes now; one over a limit
//! gets the moment it may go, and waits in its own chat's line, never in front of
//! another chat's.
//!
//! The limits are Telegram's documented ones (core.telegram.org/bots/faq, "My bot is
//! hitting limits"): about 30 messages a second in all; in one private chat about one a
//! second, short bursts allowed; in a group no more than 20 a minute. Alerts take what
//! replies leave: a reply that had to wait for the overall limit holds alerts back until
//! it went.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::Duration;
use tokio::time::Instant;

/// Messages a second in all.
const GLOBAL_PER_SECOND: usize = 30;
/// A private chat: this many at once, then one a second.
const PRIVATE_BURST: f64 = 3.0;
const PRIVATE_PER_SECOND: f64 = 1.0;
/// A group (or channel): at most this many in any minute.
const GROUP_PER_MINUTE: usize = 20;
/// Alerts are counted over a little more than a second: Telegram counts arrivals, and a
/// send that began in one second may arrive in the next, beside the next second's own.
const ALERT_SPAN: Duration = Duration::from_millis(1100);

/// Who is sending: what people are owed (replies, staff posts, reminders) goes first;
/// alerts to subscribers take what is left.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Class {
    Owed,
    Alert,
}

/// The limits, shared by the outbox and the alerts' delivery. `off` (a local Bot API
/// server, benchmarks) lets everything go at once.
#[derive(Debug)]
pub struct Pace {
    state: Option<Mutex<State>>,
    /// Alerts a second (EUDESK_BROADCAST_PER_SECOND), within the overall limit.
    alerts_per_second: usize,
}

#[derive(Debug, Default)]
struct State {
    /// When the messages of the last second began.
    sent: VecDeque<Instant>,
    /// When the alerts of the last second began.
    alerts: VecDeque<Instant>,
    /// A message owed to someone waits for the overall limit: no alert goes before it.
    owed_waiting: bool,
    chats: HashMap<i64, Chat>,
}

#[derive(Debug)]
enum Chat {
    /// A token bucket: `tokens` as of `at`.
    Private { tokens: f64, at: Instant },
    /// When the messages of the last minute began.
    Group(VecDeque<Instant>),
}

impl Chat {
    fn new(chat: i64, now: Instant) -> Chat {
        if chat > 0 {
            Chat::Private {
                tokens: PRIVATE_BURST,
                at: now,
            }
        } else {
            Chat::Group(VecDeque::new())
        }
    }

    /// `None` when a message may go now, else when it may.
    fn next_free(&mut self, now: Instant) -> Option<Instant> {
        match self {
            Chat::Private { tokens, at } => {
                *tokens = (*tokens + now.duration_since(*at).as_secs_f64() * PRIVATE_PER_SECOND).min(PRIVATE_BURST);
                *at = now;
                (*tokens < 1.0).then(|| now + Duration::from_secs_f64((1.0 - *tokens) / PRIVATE_PER_SECOND))
            }
            Chat::Group(sent) => {
                forget_before(sent, now, Duration::from_secs(60));
                (sent.len() >= GROUP_PER_MINUTE).then(|| sent[0] + Duration::from_secs(60))
            }
        }
    }

    fn take(&mut self, now: Instant) {
        match self {
            Chat::Private { tokens, .. } => *tokens -= 1.0,
            Chat::Group(sent) => sent.push_back(now),
        }
    }

    /// Whether the chat is back to where an unknown chat starts (nothing to remember).
    fn rested(&mut self, now: Instant) -> bool {
        self.next_free(now).is_none()
            && match self {
                Chat::Private { tokens, .. } => *tokens >= PRIVATE_BURST,
                Chat::Group(sent) => sent.is_empty(),
            }
    }
}

fn forget_before(sent: &mut VecDeque<Instant>, now: Instant, span: Duration) {
    while sent.front().is_some_and(|&t| now.duration_since(t) >= span) {
        sent.pop_front();
    }
}

impl Pace {
    /// Telegram's limits when `on`; alerts at most `alerts_per_second` of them.
    pub fn new(on: bool, alerts_per_second: Option<u32>) -> Pace {
        Pace {
            state: on.then(|| Mutex::new(State::default())),
            alerts_per_second: alerts_per_second
                .map_or(GLOBAL_PER_SECOND, |n| (n.max(1) as usize).min(GLOBAL_PER_SECOND)),
        }
    }

    /// Takes a place for one message to `chat` now, or says when to ask again.
    pub fn try_take(&self, chat: i64, class: Class) -> Result<(), Instant> {
        let Some(state) = &self.state else { return Ok(()) };
        let mut s = state.lock().expect("pace lock");
        let now = Instant::now();
        if s.chats.len() > 10_000 {
            s.chats.retain(|_, c| !c.rested(now));
        }
        forget_before(&mut s.sent, now, Duration::from_secs(1));
        forget_before(&mut s.alerts, now, ALERT_SPAN);
        let mut wait: Option<Instant> = None;
        let mut later = |t: Instant| wait = Some(wait.map_or(t, |w| w.max(t)));
        if s.sent.len() >= GLOBAL_PER_SECOND {
            later(s.sent[0] + Duration::from_secs(1));
            if class == Class::Owed {
                s.owed_waiting = true;
            }
        }
        if class == Class::Alert {
            if s.owed_waiting {
                // Asked again soon: the owed message goes at the next free moment.
                later(now + Duration::from_millis(20));
            }
            if s.alerts.len() >= self.alerts_per_second {
                later(s.alerts[0] + ALERT_SPAN);
            }
        }
        let chat_state = s.chats.entry(chat).or_insert_with(|| Chat::new(chat, now));
        if let Some(t) = chat_state.next_free(now) {
            later(t);
        }
        if let Some(t) = wait {
            return Err(t);
        }
        chat_state.take(now);
        s.sent.push_back(now);
        match class {
            Class::Owed => s.owed_waiting = false,
            Class::Alert => s.alerts.push_back(now),
        }
        Ok(())
    }

    /// Waits for a place, then takes it.
    pub async fn take(&self, chat: i64, class: Class) {
        while let Err(at) = self.try_take(chat, class) {
            tokio::time::sleep_until(at).await;
        }
    }

    /// Telegram asked this chat to wait (429 with `retry_after`): nothing more goes to it
    /// before then.
    pub fn hold(&self, chat: i64, wait: Duration) {
        let Some(state) = &self.state else { return };
        let mut s = state.lock().expect("pace lock");
        let now = Instant::now();
        let until = now + wait;
        match s.chats.entry(chat).or_insert_with(|| Chat::new(chat, now)) {
            Chat::Private { tokens, at } => {
                *tokens = -(wait.as_secs_f64() * PRIVATE_PER_SECOND);
                *at = now;
            }
            Chat::Group(sent) => {
                sent.clear();
                let start = until - Duration::from_secs(60);
                sent.extend(std::iter::repeat_n(start, GROUP_PER_MINUTE));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn a_private_chat_gets_a_short_burst_then_one_a_second() {
        let pace = Pace::new(true, None);
        for _ in 0..3 {
            assert!(pace.try_take(7, Class::Owed).is_ok());
        }
        let at = pace.try_take(7, Class::Owed).unwrap_err();
        assert_eq!(at - Instant::now(), Duration::from_secs(1));
        assert!(pace.try_take(8, Class::Owed).is_ok(), "another chat is not held up");
        tokio::time::advance(Duration::from_secs(1)).await;
        assert!(pace.try_take(7, Class::Owed).is_ok());
    }

    #[tokio::test(start_paused = true)]
    async fn a_group_gets_twenty_a_minute() {
        let pace = Pace::new(true, None);
        for k in 0..20 {
            assert!(pace.try_take(-100, Class::Owed).is_ok(), "message {k}");
            tokio::time::advance(Duration::from_millis(100)).await;
        }
        let at = pace.try_take(-100, Class::Owed).unwrap_err();
        assert_eq!(at - Instant::now(), Duration::from_secs(58));
    }

    #[tokio::test(start_paused = true)]
    async fn thirty_a_second_in_all_and_owed_messages_before_alerts() {
        let pace = Pace::new(true, Some(25));
        for chat in 1..=25 {
            assert!(pace.try_take(chat, Class::Alert).is_ok());
        }
        assert!(pace.try_take(26, Class::Alert).is_err(), "alerts stop at their rate");
        for chat in 100..105 {
            assert!(pace.try_take(chat, Class::Owed).is_ok(), "replies still go");
        }
        assert!(pace.try_take(200, Class::Owed).is_err(), "30 a second in all");
        tokio::time::advance(ALERT_SPAN).await;
        assert!(pace.try_take(300, Class::Alert).is_err(), "a waiting reply goes first");
        assert!(pace.try_take(200, Class::Owed).is_ok());
        assert!(pace.try_take(300, Class::Alert).is_ok());
    }

    #[tokio::test(start_paused = true)]
    async fn off_lets_everything_go() {
        let pace = Pace::new(false, None);
        for _ in 0..1000 {
            assert!(pace.try_take(1, Class::Owed).is_ok());
        }
    }

    #[tokio::test(start_paused = true)]
    async fn retry_after_holds_the_chat() {
        let pace = Pace::new(true, None);
        pace.hold(5, Duration::from_secs(7));
        let at = pace.try_take(5, Class::Owed).unwrap_err();
        assert_eq!(at - Instant::now(), Duration::from_secs(8));
        pace.hold(-5, Duration::from_secs(7));
        let at = pace.try_take(-5, Class::Owed).unwrap_err();
        assert_eq!(at - Instant::now(), Duration::from_secs(7));
    }
}
