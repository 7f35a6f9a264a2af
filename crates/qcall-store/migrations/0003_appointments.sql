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
