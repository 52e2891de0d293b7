//! One-call reads and writes on the store, for the command line, the adapters and the
//! tests; the services use the same queries inside their transactions.

use super::*;

/// Reads for the command line, the tests and the adapters, each on a connection of its
/// own: the same queries the services use.
impl Store {
    pub async fn conversation(&self, user: i64) -> Result<Option<Conversation>, StoreError> {
        self.read(async |c| conversations::load(c, user).await).await
    }

    pub async fn ticket(&self, id: crate::tickets::TicketId) -> Result<Option<crate::tickets::Ticket>, StoreError> {
        self.read(async |c| tickets::ticket(c, id).await).await
    }

    pub async fn ticket_events(
        &self,
        id: crate::tickets::TicketId,
    ) -> Result<Vec<crate::tickets::TicketEvent>, StoreError> {
        self.read(async |c| tickets::events(c, id).await).await
    }

    pub async fn tickets(
        &self,
        status: Option<crate::tickets::TicketStatus>,
    ) -> Result<Vec<crate::tickets::Ticket>, StoreError> {
        self.read(async |c| tickets::tickets(c, status).await).await
    }

    pub async fn tickets_of(&self, user: i64) -> Result<Vec<crate::tickets::Ticket>, StoreError> {
        self.read(async |c| tickets::tickets_of(c, user).await).await
    }

    pub async fn ticket_of_message(
        &self,
        message: crate::ids::MessageRef,
    ) -> Result<Option<crate::tickets::TicketId>, StoreError> {
        self.read(async |c| tickets::ticket_of_message(c, message).await).await
    }

    pub async fn draft(&self, user: i64, chat: crate::ids::ChatId) -> Result<Option<Draft>, StoreError> {
        self.read(async |c| drafts::draft(c, user, chat).await).await
    }

    pub async fn session(
        &self,
        id: crate::trainings::SessionId,
    ) -> Result<Option<crate::trainings::Session>, StoreError> {
        self.read(async |c| trainings::session(c, id).await).await
    }

    pub async fn sessions(&self) -> Result<Vec<crate::trainings::Session>, StoreError> {
        self.read(async |c| trainings::sessions(c).await).await
    }

    pub async fn registrations(
        &self,
        session: crate::trainings::SessionId,
    ) -> Result<Vec<crate::trainings::Registration>, StoreError> {
        self.read(async |c| trainings::registrations(c, session).await).await
    }

    pub async fn live_registration(
        &self,
        session: crate::trainings::SessionId,
        user: i64,
    ) -> Result<Option<crate::trainings::Registration>, StoreError> {
        self.read(async |c| trainings::live_registration(c, session, user).await)
            .await
    }

    pub async fn create_session(
        &self,
        d: &crate::trainings::CheckedDetails,
    ) -> Result<crate::trainings::SessionId, StoreError> {
        self.write(async |c| trainings::insert_session(c, d).await).await
    }

    pub async fn setting(&self, key: &str) -> Result<Option<String>, StoreError> {
        self.read(async |c| settings::get(c, key).await).await
    }

    pub async fn set_setting(&self, key: &str, value: &str) -> Result<(), StoreError> {
        self.write(async |c| settings::set(c, key, value).await).await
    }

    pub async fn due_messages(&self, now: jiff::Timestamp, limit: u32) -> Result<Vec<Pending>, StoreError> {
        self.read(async |c| outbox::due(c, now, limit).await).await
    }

    pub async fn outbox_backlog(&self) -> Result<u64, StoreError> {
        self.read(async |c| outbox::backlog(c).await).await
    }

    pub async fn enqueue(&self, m: &crate::message::OutMessage, now: jiff::Timestamp) -> Result<OutboxId, StoreError> {
        self.write(async |c| outbox::enqueue(c, m, now).await).await
    }
}
