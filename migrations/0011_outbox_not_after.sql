-- A message that is pointless after a moment (a reminder of a deadline) is not sent
-- after it, however long Telegram was unreachable: it ends as failed instead.
ALTER TABLE outbox ADD COLUMN not_after TEXT;
