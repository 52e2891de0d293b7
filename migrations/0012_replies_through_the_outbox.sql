-- Every reply goes through the outbox, written in the same transaction as the change
-- that caused it (issue 19). A menu replaced in place names the message it edits.
ALTER TABLE outbox ADD COLUMN edit_message_id INTEGER;
-- Each chat's line: its first pending message is the next to go.
CREATE INDEX outbox_lines ON outbox (state, to_staff, chat_id, id);

-- Updates taken from Telegram and not yet handled: written before Telegram is told they
-- arrived (the next getUpdates' offset), deleted once handled, handled again after a
-- crash (a conversation's last update id keeps that exactly once).
CREATE TABLE inbox (
    update_id INTEGER PRIMARY KEY,
    body TEXT NOT NULL,
    received_at TEXT NOT NULL
);
