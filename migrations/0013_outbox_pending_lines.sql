-- The delivery looks for each chat's first pending message after every commit. The
-- index of all rows by state needed a look at each pending row for `not_after`; under
-- load, with hundreds pending, that look was most of what delivery cost (4 ms a time).
-- Only pending rows, with everything the look needs, in the index itself.
DROP INDEX outbox_lines;
CREATE INDEX outbox_pending_lines ON outbox (to_staff, chat_id, id, not_after) WHERE state = 'pending';
