-- PCM training sessions, registrations, reminders, and the outbox of messages owed.
-- Times are RFC 3339 UTC timestamps (text sorts in time order).

-- The step a person is at in a multi-step flow (a booking), as JSON; NULL = none.
ALTER TABLE conversations ADD COLUMN flow TEXT;

CREATE TABLE sessions (
    id                      INTEGER PRIMARY KEY,
    title_tr                TEXT NOT NULL,
    title_en                TEXT NOT NULL,
    starts_at               TEXT NOT NULL,
    ends_at                 TEXT NOT NULL,
    place                   TEXT NOT NULL,
    capacity                INTEGER NOT NULL CHECK (capacity > 0),
    deadline                TEXT NOT NULL,
    state                   TEXT NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'closed', 'cancelled')),
    second_reminder_minutes INTEGER CHECK (second_reminder_minutes > 0),
    created_at              TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
);

CREATE TABLE registrations (
    id              INTEGER PRIMARY KEY,  -- also the order of arrival: seats and waitlist follow it
    session_id      INTEGER NOT NULL REFERENCES sessions (id),
    user_id         INTEGER NOT NULL,
    lang            TEXT NOT NULL CHECK (lang IN ('tr', 'en')),
    name            TEXT NOT NULL,
    organisation    TEXT NOT NULL,
    org_type        TEXT NOT NULL,
    email           TEXT NOT NULL,
    phone           TEXT,
    consent_version TEXT NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('confirmed', 'waitlisted', 'cancelled')),
    registered_at   TEXT NOT NULL,
    cancelled_at    TEXT,
    promoted_at     TEXT
);
-- One live registration per person and session; after cancelling, a person may book
-- again (at the end of the queue), but the cancelled row is never promoted.
CREATE UNIQUE INDEX registrations_one_live ON registrations (session_id, user_id) WHERE status != 'cancelled';
CREATE INDEX registrations_by_user ON registrations (user_id, status);

-- A reminder is sent once: its row is written in the same transaction as its message.
CREATE TABLE reminders_sent (
    registration_id INTEGER NOT NULL REFERENCES registrations (id),
    kind            TEXT NOT NULL,  -- 'day_before' or 'second'
    sent_at         TEXT NOT NULL,
    PRIMARY KEY (registration_id, kind)
);

-- Messages the bot owes someone, written in the same transaction as the change that
-- caused them, and sent by a worker with retries until Telegram accepts or refuses them.
CREATE TABLE outbox (
    id           INTEGER PRIMARY KEY,
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
    sent_at      TEXT
);
CREATE INDEX outbox_due ON outbox (state, next_attempt);
