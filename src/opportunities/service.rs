//! The rules of opportunities and alerts, each in the caller's transaction: publishing
//! (stored, fanned out to the subscribers of its topics, posted to the channel),
//! withdrawing, subscriptions, "Remind me" and its reminders, announcing a new training.

use super::messages;
use super::{FanoutState, Opportunity, Topic};
use crate::ids::{ChatId, FanoutId, OpportunityId, UserId};
use crate::lang::Lang;
use crate::storage::opportunities::{self as q, Carrying, Stored};
use crate::storage::{StoreError, outbox, trainings};
use crate::trainings::SessionId;
use jiff::{SignedDuration, Timestamp};
use sqlx::SqliteConnection;

/// A published opportunity and its fan-out.
#[derive(Debug, PartialEq, Eq)]
pub struct Published {
    pub id: OpportunityId,
    pub fanout: FanoutId,
    pub recipients: i64,
}

/// A person chose a language: their alerts follow it (the subscriptions, the alerts
/// still going out to them, and the reminders they asked for).
pub async fn follow_language(conn: &mut SqliteConnection, user: UserId, lang: Lang) -> Result<(), StoreError> {
    q::set_language(conn, user.0, lang).await
}

/// Stores an opportunity, queues its alert to the subscribers of its topics (each once)
/// and, with a channel, its post there.
pub async fn publish(
    conn: &mut SqliteConnection,
    o: &Opportunity,
    by: &str,
    channel: Option<ChatId>,
    now: Timestamp,
) -> Result<Published, StoreError> {
    let id = q::insert(conn, o, by, now).await?;
    let (fanout, recipients) = q::queue(conn, Carrying::Opportunity(id), &o.topics, now).await?;
    if let Some(channel) = channel {
        let stored = q::get(conn, id)
            .await?
            .ok_or_else(|| StoreError::Corrupt(format!("opportunity {id} vanished")))?;
        outbox::enqueue(conn, &messages::channel_post(&stored, channel), now).await?;
    }
    Ok(Published {
        id: OpportunityId(id),
        fanout: FanoutId(fanout),
        recipients,
    })
}

/// What a tap on a topic did.
#[derive(Debug, PartialEq, Eq)]
pub enum Toggled {
    On,
    Off,
    /// Nothing: the person has not accepted the alerts' consent as it reads now.
    NeedsConsent,
}

/// A tap on a topic: off when subscribed, else on. Nobody is subscribed under a consent
/// they have not accepted: a first topic only right after "I agree" (`agreed_now`),
/// another one under the consent text they agreed to (`version`, the current one).
pub async fn toggle_topic(
    conn: &mut SqliteConnection,
    user: UserId,
    topic: Topic,
    lang: Lang,
    version: &str,
    agreed_now: bool,
    now: Timestamp,
) -> Result<Toggled, StoreError> {
    let had = q::topics_of_user(&mut *conn, user.0).await?;
    if had.contains(&topic) {
        q::unsubscribe(conn, user.0, Some(&[topic]), now).await?;
        return Ok(Toggled::Off);
    }
    if !agreed_now && (had.is_empty() || !q::consented_to(&mut *conn, user.0, version).await?) {
        return Ok(Toggled::NeedsConsent);
    }
    q::subscribe(conn, user.0, topic, lang, version, now).await?;
    Ok(Toggled::On)
}

/// Takes an opportunity off `/opportunities`, stops its alert if still going out, and
/// drops the reminders asked for it. `false` when there is none or it was withdrawn.
pub async fn withdraw(conn: &mut SqliteConnection, id: OpportunityId, now: Timestamp) -> Result<bool, StoreError> {
    if !q::withdraw(conn, id.0, now).await? {
        return Ok(false);
    }
    stop_alerts(conn, Carrying::Opportunity(id.0), now).await?;
    Ok(true)
}

/// Stops what is still going out about a withdrawn opportunity or a cancelled session:
/// nobody should be invited to book a training that will not take place.
pub async fn stop_alerts(conn: &mut SqliteConnection, carrying: Carrying, now: Timestamp) -> Result<(), StoreError> {
    for fanout in q::sending_of(conn, carrying).await? {
        end_fanout(conn, FanoutId(fanout), FanoutState::Stopped, now).await?;
    }
    Ok(())
}

/// Ends a fan-out: `Done` when everyone was tried, `Stopped` early (nobody left gets
/// it). `false` when it had ended already.
pub async fn end_fanout(
    conn: &mut SqliteConnection,
    id: FanoutId,
    end: FanoutState,
    now: Timestamp,
) -> Result<bool, StoreError> {
    if end == FanoutState::Stopped {
        q::stop_pending(conn, id.0).await?;
    }
    q::finish(conn, id.0, end, now).await
}

/// Whether a fan-out still going out must end before its next batch, and how: it was
/// ended elsewhere meanwhile (Stop, a withdrawal, a cancelled session), or its
/// opportunity's deadline passed (news no more).
pub fn ending(state: Option<FanoutState>, deadline_passed: bool) -> Option<FanoutState> {
    match state {
        Some(FanoutState::Sending) if deadline_passed => Some(FanoutState::Stopped),
        Some(FanoutState::Sending) => None,
        // Already over: recorded as it is (ending it again changes nothing).
        _ => Some(FanoutState::Done),
    }
}

/// A new session open for booking, announced to the trainings topic's subscribers.
/// The fan-out and how many, or `None` when it is not bookable.
pub async fn announce_session(
    conn: &mut SqliteConnection,
    session: SessionId,
    now: Timestamp,
) -> Result<Option<(i64, i64)>, StoreError> {
    let Some(s) = trainings::session(conn, session).await? else {
        return Ok(None);
    };
    if !s.bookable(now) {
        return Ok(None);
    }
    Ok(Some(
        q::queue(conn, Carrying::Session(session), &[Topic::Trainings], now).await?,
    ))
}

/// The outcome of "Remind me".
#[derive(Debug, PartialEq, Eq)]
pub enum RemindMe {
    /// A reminder will come at this time.
    Set(Timestamp),
    Already,
    /// The deadline has passed (or the opportunity was withdrawn).
    Closed,
}

/// Asks for one reminder `lead` before the deadline (at once when that moment has
/// passed but the deadline has not).
pub async fn remind_me(
    conn: &mut SqliteConnection,
    opportunity: OpportunityId,
    user: UserId,
    lang: Lang,
    lead: SignedDuration,
    now: Timestamp,
) -> Result<RemindMe, StoreError> {
    let Some(stored) = q::get(conn, opportunity.0).await? else {
        return Ok(RemindMe::Closed);
    };
    let deadline = stored.opportunity.deadline;
    if stored.withdrawn || deadline <= now {
        return Ok(RemindMe::Closed);
    }
    let due = reminder_time(deadline, lead).unwrap_or(now).max(now);
    Ok(if q::remind(conn, opportunity.0, user.0, lang, due, now).await? {
        RemindMe::Set(due)
    } else {
        RemindMe::Already
    })
}

/// At 10:00 office time on the day `lead` before the deadline: a 23:59 deadline would
/// otherwise be remembered at midnight. Always before the deadline, for a lead of a day
/// or more.
fn reminder_time(deadline: Timestamp, lead: SignedDuration) -> Option<Timestamp> {
    let tz = crate::trainings::time::office_tz();
    let before = deadline.checked_sub(lead).ok()?;
    let at = before
        .to_zoned(tz.clone())
        .date()
        .at(10, 0, 0, 0)
        .to_zoned(tz)
        .ok()?
        .timestamp();
    Some(if at < deadline { at } else { before })
}

/// Queues the reminders due now. One whose deadline passed (the bot was down), or whose
/// opportunity was withdrawn, is dropped instead: never a reminder after the deadline.
pub async fn queue_reminders(conn: &mut SqliteConnection, now: Timestamp) -> Result<usize, StoreError> {
    let mut queued = 0;
    for (opportunity, user, lang) in q::due_reminders(conn, now).await? {
        let stored: Option<Stored> = q::get(conn, opportunity).await?;
        if let Some(stored) = stored.filter(|s| !s.withdrawn && s.opportunity.deadline > now) {
            outbox::enqueue(conn, &messages::reminder(&stored, UserId(user), lang), now).await?;
            queued += 1;
        }
        q::reminder_sent(conn, opportunity, user, now).await?;
    }
    Ok(queued)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fan_out_ends_when_ended_elsewhere_or_past_its_deadline() {
        assert_eq!(ending(Some(FanoutState::Sending), false), None);
        assert_eq!(ending(Some(FanoutState::Sending), true), Some(FanoutState::Stopped));
        // Stopped by staff meanwhile, or gone: nothing more goes out.
        assert_eq!(ending(Some(FanoutState::Stopped), false), Some(FanoutState::Done));
        assert_eq!(ending(None, false), Some(FanoutState::Done));
    }
}
