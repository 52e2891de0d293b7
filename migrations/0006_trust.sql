-- Trust at both doors: staff answers are drafts until sent, files travel with tickets,
-- every outbox row knows its ticket (so an erasure finds all of them), the daily
-- question limit survives an erasure without naming anyone, and a ticket can be closed
-- because its person erased their data.

-- Ticket history gains files (either way) and erasures. SQLite cannot change a CHECK in
-- place: the table is rebuilt with the same rows and ids.
CREATE TABLE ticket_events_new (
    id          INTEGER PRIMARY KEY,
    ticket_id   INTEGER NOT NULL REFERENCES tickets (id),
    at          TEXT NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('question', 'answer', 'follow_up', 'take', 'close', 'delivered',
                                              'undeliverable', 'file', 'erased', 'linked')),
    author_id   INTEGER,
    author_name TEXT,
    text        TEXT
);
INSERT INTO ticket_events_new (id, ticket_id, at, kind, author_id, author_name, text)
    SELECT id, ticket_id, at, kind, author_id, author_name, text FROM ticket_events;
DROP TABLE ticket_events;
ALTER TABLE ticket_events_new RENAME TO ticket_events;
CREATE INDEX ticket_events_by_ticket ON ticket_events (ticket_id, id);

-- The ticket an outbox row is about (its post, a piece of it, an answer, a note), and a
-- message to copy instead of text (a file a person or staff sent, relayed as it is).
ALTER TABLE outbox ADD COLUMN ticket_id INTEGER;
ALTER TABLE outbox ADD COLUMN copy_from_chat INTEGER;
ALTER TABLE outbox ADD COLUMN copy_message_id INTEGER;
UPDATE outbox SET ticket_id = COALESCE(reply_to_ticket, json_extract(purpose, '$.ticket'))
    WHERE purpose IS NOT NULL OR reply_to_ticket IS NOT NULL;
CREATE INDEX outbox_by_ticket ON outbox (ticket_id) WHERE ticket_id IS NOT NULL;

-- A staff member's answer in the making, per chat: pressing "Answer" in the staff group
-- starts one there only, and nothing reaches the person before "Send" on its preview.
CREATE TABLE staff_drafts (
    user_id      INTEGER NOT NULL,
    chat_id      INTEGER NOT NULL,
    ticket_id    INTEGER NOT NULL REFERENCES tickets (id),
    seen_event   INTEGER NOT NULL, -- the ticket's last event when answering began: answers
                                   -- by others after it are a conflict to ask about
    touched_at   TEXT NOT NULL,   -- the last activity: the draft expires 15 minutes after it
    text         TEXT,            -- the answer, once written
    file_chat    INTEGER,         -- or a file to relay: where it is…
    file_message INTEGER,         -- …which message…
    file_label   TEXT,            -- …and what it is, for the preview and the history
    confirmed    INTEGER NOT NULL DEFAULT 0,  -- warned of a conflict and chose to send anyway
    PRIMARY KEY (user_id, chat_id)
);

-- New questions per person and office day, counted under a keyed hash of the person's
-- id with a key of that day (kept only for that day): /forget cannot reset the count,
-- and the count names nobody.
CREATE TABLE ticket_quota (
    day   TEXT NOT NULL,
    tag   TEXT NOT NULL,
    count INTEGER NOT NULL,
    PRIMARY KEY (day, tag)
);
CREATE TABLE ticket_quota_keys (
    day TEXT PRIMARY KEY,
    key BLOB NOT NULL
);
