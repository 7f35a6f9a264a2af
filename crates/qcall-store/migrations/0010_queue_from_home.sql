-- qcall schema v10: queueing from home (`/r`). How a ticket was taken
-- (walk_in, remote, appointment), when a remote ticket's applicant checked
-- in at the hall, and until when a remote ticket that reached the front
-- before its applicant is held. The day's statistics count per channel
-- from these columns; the events carry the same facts.

ALTER TABLE tickets ADD COLUMN channel TEXT;              -- NULL: walk_in (tickets before v10)
ALTER TABLE tickets ADD COLUMN arrived_at_ms INTEGER;     -- remote: checked in at the hall
ALTER TABLE tickets ADD COLUMN lapse_at_ms INTEGER;       -- remote, held: lapses after this
ALTER TABLE tickets ADD COLUMN deferred INTEGER NOT NULL DEFAULT 0;

-- Appointments the applicant booked: only what checking in needs, the ID
-- number as a keyed hash (HMAC with the hall secret) plus its last four
-- characters; cancelled by its code; reminded the day before.
ALTER TABLE appointments ADD COLUMN id_hash TEXT;
ALTER TABLE appointments ADD COLUMN id_last4 TEXT;
ALTER TABLE appointments ADD COLUMN cancelled_at_ms INTEGER;
ALTER TABLE appointments ADD COLUMN reminded_at_ms INTEGER;
CREATE INDEX appointments_by_code ON appointments (code) WHERE cancelled_at_ms IS NULL;
