-- qcall schema v7: tickets taken from home (`/r`). How a ticket was taken
-- (walk_in, remote, appointment), when a remote ticket's applicant checked
-- in at the hall, and until when a remote ticket that reached the front
-- before its applicant is held. The day's statistics count per channel
-- from these columns; the events carry the same facts.

ALTER TABLE tickets ADD COLUMN channel TEXT;              -- NULL: walk_in (tickets before v7)
ALTER TABLE tickets ADD COLUMN arrived_at_ms INTEGER;     -- remote: checked in at the hall
ALTER TABLE tickets ADD COLUMN lapse_at_ms INTEGER;       -- remote, held: lapses after this
ALTER TABLE tickets ADD COLUMN deferred INTEGER NOT NULL DEFAULT 0;
