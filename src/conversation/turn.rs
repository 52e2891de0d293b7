//! One person's state during one event.

use super::Place;
use super::flow::{Flow, LastQuestion};
use crate::ids::UserId;
use crate::lang::Lang;
use crate::storage::Work;

/// One person's state during one event: loaded before, saved after, with the
/// database work of the event (committed as one).
pub struct Turn<'a> {
    /// The services shared by every handler.
    pub desk: &'a super::Desk,
    pub work: Work,
    pub user: UserId,
    pub lang: Lang,
    pub chosen: Option<Lang>,
    pub node: String,
    pub flow: Option<Flow>,
    pub last_question: Option<LastQuestion>,
    /// The person asked to be forgotten: nothing about them is saved after this turn.
    pub forgotten: bool,
    pub place: Place,
    pub first_name: String,
    /// Said once above the first reply (a reset of unreadable saved state).
    pub notice: Option<&'static str>,
    /// Questions typed in this turn, logged with its other changes.
    pub logged: Vec<crate::storage::questions::Logged>,
}

impl Turn<'_> {
    /// Leaves the form or flow in progress, if any; `true` when there was one.
    pub fn abandon_flow(&mut self) -> bool {
        self.flow.take().is_some()
    }
}
