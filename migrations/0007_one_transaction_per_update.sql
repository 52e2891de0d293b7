-- One transaction per update: a private chat's last handled update is kept with its
-- conversation (saved in the same statement or transaction as the rest of the update),
-- so that an update Telegram delivers again is recognised without a claim of its own.
-- The time matters: Telegram may restart update ids after a quiet week, so an old
-- mark is not trusted.
ALTER TABLE conversations ADD COLUMN last_update INTEGER;
ALTER TABLE conversations ADD COLUMN last_update_at TEXT;

-- A message too long for one Telegram message is stored whole and cut by the Telegram
-- adapter when sent; how many of its pieces went out, so that a retry goes on from the
-- next one instead of sending the first ones again.
ALTER TABLE outbox ADD COLUMN pieces_sent INTEGER NOT NULL DEFAULT 0;
