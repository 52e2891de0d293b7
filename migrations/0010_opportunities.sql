-- Opportunities for young people and organisations (the office's Eurodesk role), the
-- topics people subscribe to, and the fan-out that brings each alert to every subscriber
-- exactly once.

CREATE TABLE opportunities (
    id           INTEGER PRIMARY KEY,
    topics       TEXT NOT NULL,              -- topic ids, space-separated
    title_tr     TEXT NOT NULL,
    title_en     TEXT NOT NULL,
    text_tr      TEXT NOT NULL,
    text_en      TEXT NOT NULL,
    url          TEXT NOT NULL,
    deadline     TEXT NOT NULL,
    age_min      INTEGER,
    age_max      INTEGER,
    published_by TEXT NOT NULL,
    published_at TEXT NOT NULL,
    withdrawn_at TEXT
);
CREATE INDEX opportunities_open ON opportunities (deadline) WHERE withdrawn_at IS NULL;

-- A person's topics, with the consent they gave and the language alerts come in.
CREATE TABLE subscriptions (
    user_id         INTEGER NOT NULL,
    topic           TEXT NOT NULL,
    lang            TEXT NOT NULL CHECK (lang IN ('tr', 'en')),
    consent_version TEXT NOT NULL,
    subscribed_at   TEXT NOT NULL,
    PRIMARY KEY (user_id, topic)
) WITHOUT ROWID;
CREATE INDEX subscriptions_by_topic ON subscriptions (topic, user_id);

-- Subscribers per topic over time, without whose: +1 or -1 per change.
CREATE TABLE subscription_log (
    at     TEXT NOT NULL,
    topic  TEXT NOT NULL,
    change INTEGER NOT NULL CHECK (change IN (1, -1))
);

-- One delivery of an alert (an opportunity, or a new training session) to the
-- subscribers of its topics, as they were when it was queued.
CREATE TABLE fanouts (
    id               INTEGER PRIMARY KEY,
    opportunity_id   INTEGER REFERENCES opportunities (id),
    session_id       INTEGER REFERENCES sessions (id),
    created_at       TEXT NOT NULL,
    state            TEXT NOT NULL DEFAULT 'sending' CHECK (state IN ('sending', 'done', 'stopped')),
    total            INTEGER NOT NULL,
    -- The staff chat's progress post, edited in place.
    progress_message INTEGER,
    finished_at      TEXT,
    -- Counted when it ends (who got it is forgotten with time; the counts stay).
    sent             INTEGER NOT NULL DEFAULT 0,
    blocked          INTEGER NOT NULL DEFAULT 0,
    failed           INTEGER NOT NULL DEFAULT 0,
    CHECK ((opportunity_id IS NULL) != (session_id IS NULL))
);
CREATE TABLE fanout_recipients (
    fanout_id INTEGER NOT NULL REFERENCES fanouts (id),
    user_id   INTEGER NOT NULL,
    lang      TEXT NOT NULL CHECK (lang IN ('tr', 'en')),
    state     TEXT NOT NULL DEFAULT 'pending'
              CHECK (state IN ('pending', 'sent', 'blocked', 'failed', 'stopped')),
    PRIMARY KEY (fanout_id, user_id)
) WITHOUT ROWID;
CREATE INDEX fanout_recipients_pending ON fanout_recipients (fanout_id, state, user_id);

-- "Remind me": one reminder a few days before the deadline, once.
CREATE TABLE opportunity_reminders (
    opportunity_id INTEGER NOT NULL REFERENCES opportunities (id),
    user_id        INTEGER NOT NULL,
    lang           TEXT NOT NULL CHECK (lang IN ('tr', 'en')),
    due_at         TEXT NOT NULL,
    sent_at        TEXT,
    PRIMARY KEY (opportunity_id, user_id)
) WITHOUT ROWID;
CREATE INDEX opportunity_reminders_due ON opportunity_reminders (due_at) WHERE sent_at IS NULL;

-- "Remind me" presses, counted without whose.
CREATE TABLE remind_presses (at TEXT NOT NULL);
