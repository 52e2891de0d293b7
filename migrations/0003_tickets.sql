-- Questions for staff (tickets), their history, what the bot was asked, and settings
-- the bot learns while running (the staff chat's id after a supergroup upgrade).

CREATE TABLE tickets (
    id                 INTEGER PRIMARY KEY,
    user_id            INTEGER NOT NULL,
    first_name         TEXT NOT NULL,
    lang               TEXT NOT NULL CHECK (lang IN ('tr', 'en')),
    question           TEXT NOT NULL,
    context_node       TEXT,
    context_matches    TEXT NOT NULL DEFAULT '[]',  -- JSON [{"id": "...", "score": 0.5}]
    status             TEXT NOT NULL CHECK (status IN ('open', 'answered', 'closed')),
    taken_by           INTEGER,
    taken_by_name      TEXT,
    created_at         TEXT NOT NULL,
    last_activity_at   TEXT NOT NULL,   -- the question or the latest follow-up
    first_answered_at  TEXT,
    closed_at          TEXT,
    staff_reminded_at  TEXT
);
CREATE INDEX tickets_by_status ON tickets (status, created_at);
CREATE INDEX tickets_by_user ON tickets (user_id, created_at);

CREATE TABLE ticket_events (
    id          INTEGER PRIMARY KEY,
    ticket_id   INTEGER NOT NULL REFERENCES tickets (id),
    at          TEXT NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('question', 'answer', 'follow_up', 'take', 'close', 'delivered', 'undeliverable')),
    author_id   INTEGER,
    author_name TEXT,
    text        TEXT
);
CREATE INDEX ticket_events_by_ticket ON ticket_events (ticket_id, id);

-- Telegram messages that belong to a ticket: its posts in the staff chat (a staff reply
-- to any of them answers the ticket) and its answers in the person's chat (a reply to
-- one of them is a follow-up).
CREATE TABLE ticket_messages (
    chat_id    INTEGER NOT NULL,
    message_id INTEGER NOT NULL,
    ticket_id  INTEGER NOT NULL REFERENCES tickets (id),
    PRIMARY KEY (chat_id, message_id)
);

-- Every free-text question and how it was understood: for /stats and for finding the
-- FAQ to write next.
CREATE TABLE questions (
    id          INTEGER PRIMARY KEY,
    at          TEXT NOT NULL,
    user_id     INTEGER NOT NULL,
    lang        TEXT NOT NULL,
    text        TEXT NOT NULL,
    normalized  TEXT NOT NULL,
    decision    TEXT NOT NULL CHECK (decision IN ('answer', 'suggest', 'escalate')),
    top_id      TEXT,
    top_score   REAL
);
CREATE INDEX questions_by_decision ON questions (decision, normalized);

CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

-- Outbox messages may go to the staff chat (resolved when sent, so a later
-- STAFF_CHAT_ID or a supergroup upgrade still reaches it), may answer a ticket's staff
-- message, and may carry what to record once Telegram accepts or refuses them.
ALTER TABLE outbox ADD COLUMN to_staff INTEGER NOT NULL DEFAULT 0;
ALTER TABLE outbox ADD COLUMN reply_to_ticket INTEGER;
ALTER TABLE outbox ADD COLUMN purpose TEXT;

-- The last question the bot could not answer, so "Ask staff" can pass it on as typed.
ALTER TABLE conversations ADD COLUMN last_question TEXT;
