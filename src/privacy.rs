//! Personal data under the KVKK: erasing a person at their request, and anonymising
//! what has been kept long enough. Both run in the caller's transaction.

use crate::ids::{ChatId, UserId};
use crate::storage::{
    StoreError, certificates, conversations, drafts, outbox, phrasings, privacy as q, questions, tickets, trainings,
};
use crate::tickets::{EventKind, TicketStatus};
use crate::trainings::{SessionState, Status, service as training};
use jiff::Timestamp;
use sqlx::SqliteConnection;

/// What an erasure touched.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Erased {
    /// Upcoming registrations cancelled (their seats passed to the waitlist).
    pub cancelled: u64,
    /// Registrations anonymised (all of the person's).
    pub registrations: u64,
    /// Tickets anonymised.
    pub tickets: u64,
}

/// Erases everything the bot holds about a person: their upcoming registrations are
/// cancelled (the waitlist moves up, told through the outbox), every registration and
/// ticket is anonymised (open tickets are closed, their history says why), their
/// questions lose their text, their conversation and every message to them or about
/// their tickets are deleted. Afterwards no table holds their Telegram id or anything
/// they wrote; a `privacy_log` row records that it happened, without whose.
pub async fn forget(conn: &mut SqliteConnection, user: UserId, now: Timestamp) -> Result<Erased, StoreError> {
    let mut erased = Erased::default();
    // Upcoming seats are freed first, so that the waitlist moves up.
    for r in trainings::upcoming_of(conn, user.0, now).await? {
        let session = trainings::session(conn, r.session).await?;
        if session.is_some_and(|s| s.state != SessionState::Cancelled) {
            trainings::cancel_registration(conn, r.id, now).await?;
            erased.cancelled += 1;
            if r.status == Status::Confirmed {
                training::promote(conn, r.session, now).await?;
            }
        }
    }
    // Certificates keep their code (it still confirms the training and date) but not
    // the name; first, while the registrations still say whose they are.
    certificates::forget_user(conn, user.0).await?;
    erased.registrations = q::anonymise_registrations_of(conn, user.0, now).await?;
    let ids = tickets::ids_of(conn, user.0).await?;
    for &id in &ids {
        // Nobody is left to answer: open questions are closed, and staff who try to
        // answer one are told why.
        if let Some(t) = tickets::ticket(conn, id).await?
            && t.status != TicketStatus::Closed
        {
            tickets::set_status(conn, id, TicketStatus::Closed, now).await?;
            tickets::add_event(conn, id, EventKind::Erased, None, None, now).await?;
        }
        q::anonymise_ticket(conn, id).await?;
        phrasings::forget_ticket(conn, id).await?;
        outbox::erase_for_ticket(conn, id).await?;
        // A staff answer being written to the person may name them.
        drafts::delete_for_ticket(conn, id).await?;
    }
    erased.tickets = ids.len() as u64;
    // Their name may also stand on tickets they took or answered as staff.
    q::forget_staff_member(conn, user.0).await?;
    crate::storage::opportunities::forget_user(conn, user.0, now).await?;
    phrasings::forget_author(conn, user.0).await?;
    questions::forget_user(conn, user.0).await?;
    q::unlink_chat(conn, ChatId(user.0)).await?;
    outbox::delete_to_chat(conn, ChatId(user.0)).await?;
    conversations::delete(conn, user.0).await?;
    let detail = format!(
        "registrations cancelled: {}, anonymised: {}; tickets anonymised: {}",
        erased.cancelled, erased.registrations, erased.tickets
    );
    q::log(conn, "forget", &detail, now).await?;
    Ok(erased)
}

/// Anonymises what has been kept long enough: registrations of sessions that ended
/// before `before`, tickets closed before it, the outbox's old rows and the text of old
/// questions. Returns (registrations, tickets) anonymised.
pub async fn apply_retention(
    conn: &mut SqliteConnection,
    before: Timestamp,
    now: Timestamp,
) -> Result<(u64, u64), StoreError> {
    certificates::forget_before(conn, before).await?;
    crate::storage::opportunities::forget_before(conn, before).await?;
    let registrations = q::anonymise_registrations_ended_before(conn, before, now).await?;
    let ids = q::closed_before(conn, before).await?;
    for &id in &ids {
        q::anonymise_ticket(conn, id).await?;
        phrasings::unlink_ticket(conn, id).await?;
        outbox::erase_for_ticket(conn, id).await?;
    }
    // A message past its moment (a reminder of a session long over) ends first, so that
    // it goes with the other old rows instead of staying, pending, for ever.
    outbox::expire(conn, now).await?;
    outbox::delete_done_before(conn, before).await?;
    questions::forget_before(conn, before).await?;
    if registrations > 0 || !ids.is_empty() {
        let detail = format!(
            "registrations anonymised: {registrations}; tickets anonymised: {}",
            ids.len()
        );
        q::log(conn, "retention", &detail, now).await?;
    }
    Ok((registrations, ids.len() as u64))
}
