-- Phrasings the bot learned from staff: a question staff linked to the node that
-- answers it becomes one more way of asking for that node, used by the matcher at once
-- and exported (`eudesk phrasings export`) to be pasted into dialogues/.
CREATE TABLE learned_phrasings (
    -- AUTOINCREMENT: ids are never reused, so (count, largest id) marks every change.
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    node_id     TEXT NOT NULL,
    lang        TEXT NOT NULL CHECK (lang IN ('tr', 'en')),
    text        TEXT NOT NULL,
    -- The ticket it came from, and whether the text is the person's own words (erased
    -- with them) or staff's rewording (kept, unlinked).
    ticket_id   INTEGER,
    verbatim    INTEGER NOT NULL CHECK (verbatim IN (0, 1)),
    added_by_id INTEGER,
    added_by    TEXT NOT NULL,
    added_at    TEXT NOT NULL
);
CREATE INDEX learned_phrasings_by_ticket ON learned_phrasings (ticket_id);
