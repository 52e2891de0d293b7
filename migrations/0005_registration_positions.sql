-- Seats and waitlist positions are counted per session and status in order of arrival:
-- an index that answers those counts without reading the whole session (bookings take
-- SQLite's write lock while they count).
CREATE INDEX registrations_by_session_status ON registrations (session_id, status, id);
