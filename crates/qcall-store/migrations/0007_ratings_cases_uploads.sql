-- qcall schema v7: 好差评 in full, case numbers (办件编号) and the upload
-- outbox for the provincial 好差评 platform.

-- ticket_rated: why (a 差评 needs one), the indicators rated and the
-- version of the indicator set they belong to, and the channel.
ALTER TABLE events ADD COLUMN reason TEXT;
ALTER TABLE events ADD COLUMN indicators TEXT;              -- "code=score" lines, in the set's order
ALTER TABLE events ADD COLUMN indicator_version INTEGER;
ALTER TABLE events ADD COLUMN channel TEXT;                 -- pad | qr | sms
-- case_attached: the case number a counter gave the ticket.
ALTER TABLE events ADD COLUMN case_no TEXT;

-- A case over several visits (tickets, possibly on several days) is the
-- tickets that share its number.
ALTER TABLE tickets ADD COLUMN case_no TEXT;
CREATE INDEX tickets_by_case ON tickets (case_no) WHERE case_no IS NOT NULL;

-- Records for the 好差评 platform, written in the transaction of the event
-- they upload (its seq is their id, and the idempotency key a retry
-- keeps); sent until the platform accepts them.
CREATE TABLE uploads (
    id              INTEGER PRIMARY KEY,      -- seq of the event uploaded
    kind            TEXT    NOT NULL,         -- rating
    ticket_id       INTEGER NOT NULL,
    queued_at_ms    INTEGER NOT NULL,
    delivered_at_ms INTEGER
) STRICT;
CREATE INDEX uploads_pending ON uploads (id) WHERE delivered_at_ms IS NULL;
