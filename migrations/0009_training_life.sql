-- A training's whole life: calendar updates, check-in, attendance, feedback, certificates.

-- Every change of time or place sends an .ics that updates the same calendar entry:
-- calendars keep the entry with the highest SEQUENCE for a UID.
ALTER TABLE sessions ADD COLUMN sequence INTEGER NOT NULL DEFAULT 0;
-- The secret in the check-in QR code's deep link: without it, anyone who can count
-- could check themselves in from home.
ALTER TABLE sessions ADD COLUMN checkin_key TEXT;
-- When the follow-up after the session (survey, certificate) was queued, once.
ALTER TABLE sessions ADD COLUMN followed_up_at TEXT;
-- Sessions over before attendance was taken have nothing to follow up: without this,
-- everyone registered for them would be recorded as a no-show.
UPDATE sessions SET followed_up_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now')
WHERE ends_at < strftime('%Y-%m-%dT%H:%M:%SZ', 'now');

-- Attendance of a confirmed registrant: present (checked in by QR or ticked by staff),
-- or absent (a no-show, recorded when the session's check-in window closes).
ALTER TABLE registrations ADD COLUMN attendance TEXT CHECK (attendance IN ('present', 'absent'));
ALTER TABLE registrations ADD COLUMN attended_at TEXT;
-- That the person answered the survey (the answers themselves name nobody).
ALTER TABLE registrations ADD COLUMN surveyed_at TEXT;

-- Survey answers, without the person: a response belongs to a session and to the
-- survey's version, nothing else.
CREATE TABLE survey_responses (
    id             INTEGER PRIMARY KEY,
    session_id     INTEGER NOT NULL REFERENCES sessions (id),
    survey_version TEXT NOT NULL,
    submitted_at   TEXT NOT NULL
);
CREATE INDEX survey_responses_by_session ON survey_responses (session_id);
CREATE TABLE survey_answers (
    response_id INTEGER NOT NULL REFERENCES survey_responses (id),
    question_id TEXT NOT NULL,
    rating      INTEGER CHECK (rating BETWEEN 1 AND 5),
    text        TEXT,
    PRIMARY KEY (response_id, question_id)
);

-- Certificates of attendance: the code printed on the PDF, and what it certifies. The
-- name is kept as long as the registration is (retention and erasure clear it; the
-- code then still confirms the training and date, without a name).
CREATE TABLE certificates (
    code            TEXT PRIMARY KEY,
    registration_id INTEGER NOT NULL UNIQUE REFERENCES registrations (id),
    session_id      INTEGER NOT NULL REFERENCES sessions (id),
    name            TEXT,
    issued_at       TEXT NOT NULL
);
