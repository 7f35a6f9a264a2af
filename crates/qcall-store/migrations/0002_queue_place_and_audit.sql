-- qcall schema v2: a ticket's place in the queue apart from its issue time
-- (re-entered no-shows, appointments), the wait predicted at issue (to
-- measure estimates), and who did what for audited events.

ALTER TABLE tickets ADD COLUMN queued_at_ms INTEGER;      -- NULL: same as issued_at_ms
ALTER TABLE tickets ADD COLUMN queued_behind INTEGER;     -- re-entered right behind this ticket
ALTER TABLE tickets ADD COLUMN predicted_wait_s INTEGER;

ALTER TABLE events ADD COLUMN queued_at_ms INTEGER;       -- ticket_reentered
ALTER TABLE events ADD COLUMN behind_ticket INTEGER;      -- ticket_reentered
ALTER TABLE events ADD COLUMN actor TEXT;                 -- who, for audited actions
ALTER TABLE events ADD COLUMN action TEXT;                -- audit: what
ALTER TABLE events ADD COLUMN detail TEXT;                -- audit: why / details
CREATE INDEX events_audit ON events (day, seq) WHERE kind = 'audit';
