-- qcall schema v3: appointments (预约), booked for a day and a time slot,
-- checked in at the kiosk with their code.

CREATE TABLE appointments (
    day             TEXT    NOT NULL,         -- business day of the slot
    code            TEXT    NOT NULL,         -- check-in code given to the applicant
    service         TEXT    NOT NULL,
    slot_start_ms   INTEGER NOT NULL,
    slot_end_ms     INTEGER NOT NULL,
    name            TEXT,
    phone           TEXT,
    booked_seq      INTEGER NOT NULL,         -- the appointment_booked event
    ticket_id       INTEGER,                  -- set at check-in
    PRIMARY KEY (day, code)
) STRICT;

ALTER TABLE events ADD COLUMN slot_end_ms INTEGER;     -- appointment_booked
ALTER TABLE events ADD COLUMN code TEXT;               -- appointment_booked / _checked_in
ALTER TABLE events ADD COLUMN issued_day TEXT;         -- ticket_returned: the ticket's own day
ALTER TABLE events ADD COLUMN phone TEXT;              -- notify_requested / notification_queued
ALTER TABLE events ADD COLUMN ref_seq INTEGER;         -- notification_delivered: which message

-- Messages for applicants' phones (the hall's SMS gateway), written in the
-- transaction of the event that made them due; sent until delivered.
CREATE TABLE outbox (
    id              INTEGER PRIMARY KEY,      -- seq of its notification_queued event
    ticket_id       INTEGER NOT NULL,
    kind            TEXT    NOT NULL,         -- near | called | suspended | ready
    phone           TEXT    NOT NULL,
    message         TEXT    NOT NULL,
    queued_at_ms    INTEGER NOT NULL,
    delivered_at_ms INTEGER
) STRICT;
CREATE INDEX outbox_pending ON outbox (id) WHERE delivered_at_ms IS NULL;
