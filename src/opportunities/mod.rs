//! Opportunities for young people and organisations (the office's Eurodesk role):
//! what is open now, alerts people subscribe to by topic, reminders before deadlines,
//! and the fan-out that delivers an alert to every subscriber exactly once.

pub mod file;
pub mod follow;
pub mod messages;
pub mod opportunity;
pub mod publish;
pub mod service;

pub use opportunity::{FieldProblem, Opportunity, Topic};
use serde::{Deserialize, Serialize};

/// Where an alert's delivery to its subscribers (a fan-out) stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FanoutState {
    /// Going out.
    Sending,
    /// Everyone was tried.
    Done,
    /// Ended early: staff pressed Stop, the opportunity was withdrawn or its deadline
    /// passed, the session was cancelled. Nobody left gets it.
    Stopped,
}

impl FanoutState {
    pub fn code(self) -> &'static str {
        match self {
            FanoutState::Sending => "sending",
            FanoutState::Done => "done",
            FanoutState::Stopped => "stopped",
        }
    }

    pub fn parse(s: &str) -> Option<FanoutState> {
        [FanoutState::Sending, FanoutState::Done, FanoutState::Stopped]
            .into_iter()
            .find(|state| state.code() == s)
    }
}

/// A set of topics, small enough for a button's data.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TopicSet(u8);

impl TopicSet {
    pub const ALL: TopicSet = TopicSet((1 << Topic::ALL.len()) - 1);

    fn bit(topic: Topic) -> u8 {
        let i = Topic::ALL
            .iter()
            .position(|t| *t == topic)
            .expect("every topic is in ALL");
        1 << i
    }

    pub fn of(topics: &[Topic]) -> TopicSet {
        TopicSet(topics.iter().fold(0, |bits, t| bits | Self::bit(*t)))
    }

    pub fn topics(self) -> Vec<Topic> {
        Topic::ALL.into_iter().filter(|t| self.0 & Self::bit(*t) != 0).collect()
    }

    pub fn bits(self) -> u8 {
        self.0
    }

    /// `None` for bits that name no topic, or none at all.
    pub fn from_bits(bits: u8) -> Option<TopicSet> {
        (bits != 0 && bits & !Self::ALL.0 == 0).then_some(TopicSet(bits))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn topic_sets_round_trip_through_their_bits() {
        let set = TopicSet::of(&[Topic::Trainings, Topic::Volunteering]);
        assert_eq!(set.topics(), [Topic::Volunteering, Topic::Trainings]);
        assert_eq!(TopicSet::from_bits(set.bits()), Some(set));
        assert_eq!(TopicSet::ALL.topics(), Topic::ALL);
        assert_eq!(TopicSet::from_bits(0), None);
        assert_eq!(TopicSet::from_bits(0x80), None);
    }
}
