-- Every reply goes through the outbox, written in the same transaction as the change
-- that caused it (issue 19). A menu replaced in place names the message it edits. The
-- table is made anew with AUTOINCREMENT: a row's id is recorded as sent some moments
-- after its send, and an erasure in between may delete the newest rows; a plain
-- rowid would give that id to the next message, which would then be taken as sent.
CREATE TABLE outbox_new (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    chat_id      INTEGER NOT NULL,
    html         TEXT NOT NULL,
    keyboard     TEXT,          -- JSON rows of buttons
    file_name    TEXT,          -- an attached document, if any
    file_bytes   BLOB,
    state        TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'sent', 'failed')),
    attempts     INTEGER NOT NULL DEFAULT 0,
    next_attempt TEXT NOT NULL,
    last_error   TEXT,
    created_at   TEXT NOT NULL,
    sent_at      TEXT,
    to_staff     INTEGER NOT NULL DEFAULT 0,
    reply_to_ticket INTEGER,
    purpose      TEXT,
    ticket_id    INTEGER,
    copy_from_chat INTEGER,
    copy_message_id INTEGER,
    pieces_sent  INTEGER NOT NULL DEFAULT 0,
    not_after    TEXT,
    edit_message_id INTEGER
);
INSERT INTO outbox_new (id, chat_id, html, keyboard, file_name, file_bytes, state, attempts, next_attempt,
                        last_error, created_at, sent_at, to_staff, reply_to_ticket, purpose, ticket_id,
                        copy_from_chat, copy_message_id, pieces_sent, not_after)
    SELECT id, chat_id, html, keyboard, file_name, file_bytes, state, attempts, next_attempt,
           last_error, created_at, sent_at, to_staff, reply_to_ticket, purpose, ticket_id,
           copy_from_chat, copy_message_id, pieces_sent, not_after
    FROM outbox;
DROP TABLE outbox;
ALTER TABLE outbox_new RENAME TO outbox;
CREATE INDEX outbox_due ON outbox (state, next_attempt);
CREATE INDEX outbox_by_ticket ON outbox (ticket_id) WHERE ticket_id IS NOT NULL;
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
