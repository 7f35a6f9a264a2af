-- qcall schema v5: what 0003_appointments.sql gained after its release.
--
-- 0003 was edited twice after b9c77f0 released it (1d5cf1a: events.issued_day;
-- a18a68d: events.phone, events.ref_seq and the outbox). A hall that had run
-- an earlier 0003 was at user_version 3 and never ran the additions, so real
-- databases at v3 and v4 come in three shapes. 0003 is back to its released
-- text; this migration brings every shape to the same schema.
--
-- SQLite has no ADD COLUMN IF NOT EXISTS, so the three columns are not here:
-- the runner adds each one that `pragma_table_info` says is missing, before
-- this file runs (migrate.rs, `COLUMNS_0005`), with exactly these
-- definitions, in this order:
--     ALTER TABLE events ADD COLUMN issued_day TEXT;  -- ticket_returned: the ticket's own day
--     ALTER TABLE events ADD COLUMN phone TEXT;       -- notify_requested / notification_queued
--     ALTER TABLE events ADD COLUMN ref_seq INTEGER;  -- notification_delivered: which message
--
-- The outbox below is the text a18a68d put in 0003, byte for byte, so the
-- schema SQLite keeps is the same whichever migration created it.

-- Messages for applicants' phones (the hall's SMS gateway), written in the
-- transaction of the event that made them due; sent until delivered.
CREATE TABLE IF NOT EXISTS outbox (
    id              INTEGER PRIMARY KEY,      -- seq of its notification_queued event
    ticket_id       INTEGER NOT NULL,
    kind            TEXT    NOT NULL,         -- near | called | suspended | ready
    phone           TEXT    NOT NULL,
    message         TEXT    NOT NULL,
    queued_at_ms    INTEGER NOT NULL,
    delivered_at_ms INTEGER
) STRICT;
CREATE INDEX IF NOT EXISTS outbox_pending ON outbox (id) WHERE delivered_at_ms IS NULL;
