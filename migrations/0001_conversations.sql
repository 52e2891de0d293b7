-- Where each person is in their conversation with the bot, so that a restart resumes
-- every conversation. Node ids, never button labels: content edits must not strand anyone.
CREATE TABLE conversations (
    user_id    INTEGER PRIMARY KEY,
    -- The language the person chose with /language; NULL follows Telegram's language_code.
    lang       TEXT CHECK (lang IN ('tr', 'en')),
    node       TEXT NOT NULL DEFAULT 'main',
    updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
