-- Updates already handled: Telegram delivers a batch again when the bot died before
-- confirming it, and such an update must not act twice. Kept for two days only:
-- Telegram restarts update ids after a week without updates.
CREATE TABLE processed_updates (
    update_id INTEGER PRIMARY KEY,
    at        TEXT NOT NULL
);
CREATE INDEX processed_updates_by_time ON processed_updates (at);

-- Consent given with a registration can be withdrawn (/forget); when, is kept.
ALTER TABLE registrations ADD COLUMN consent_withdrawn_at TEXT;

-- What was erased or anonymised, and when, without saying whose: the office's record
-- that requests under KVKK were carried out.
CREATE TABLE privacy_log (
    id      INTEGER PRIMARY KEY,
    at      TEXT NOT NULL,
    action  TEXT NOT NULL CHECK (action IN ('forget', 'retention')),
    detail  TEXT NOT NULL
);
