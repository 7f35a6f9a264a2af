-- qcall schema v9: 好差评 in full, case numbers (办件编号), putting 差评
-- right (整改) and the upload outbox for the provincial 好差评 platform.

-- ticket_rated: why (a 差评 needs one), the indicators rated and the
-- version of the indicator set they belong to, and the channel.
ALTER TABLE events ADD COLUMN reason TEXT;
ALTER TABLE events ADD COLUMN indicators TEXT;              -- "code=score" lines, in the set's order
ALTER TABLE events ADD COLUMN indicator_version INTEGER;
ALTER TABLE events ADD COLUMN channel TEXT;                 -- pad | qr | sms
-- case_attached: the case number a counter gave the ticket.
ALTER TABLE events ADD COLUMN case_no TEXT;
-- rectification_opened: the last working day to put the 差评 right.
ALTER TABLE events ADD COLUMN deadline TEXT;

-- A case over several visits (tickets, possibly on several days) is the
-- tickets that share its number.
ALTER TABLE tickets ADD COLUMN case_no TEXT;
CREATE INDEX tickets_by_case ON tickets (case_no) WHERE case_no IS NOT NULL;

-- Each 差评 being put right, as of its last step (one row per rated
-- ticket); the events are the record of who did what when.
CREATE TABLE rectifications (
    ticket_id        INTEGER PRIMARY KEY,
    number           TEXT    NOT NULL,
    service          TEXT    NOT NULL,
    counter_id       TEXT,
    staff            TEXT,
    score            INTEGER NOT NULL,
    reason           TEXT,
    opened_at_ms     INTEGER NOT NULL,
    deadline         TEXT    NOT NULL,         -- YYYY-MM-DD, hall calendar
    assignee         TEXT,
    callback_at_ms   INTEGER,
    callback_by      TEXT,
    callback_outcome TEXT,
    fixed_at_ms      INTEGER,
    fixed_by         TEXT,
    fix_note         TEXT,
    fix_score        INTEGER,
    last_seq         INTEGER NOT NULL
) STRICT;
CREATE INDEX rectifications_open ON rectifications (ticket_id) WHERE fix_score IS NULL;

-- Records for the 好差评 platform, written in the transaction of the event
-- they upload (its seq is their id, and the idempotency key a retry
-- keeps); sent until the platform accepts them.
CREATE TABLE uploads (
    id              INTEGER PRIMARY KEY,      -- seq of the event uploaded
    kind            TEXT    NOT NULL,         -- rating | rectification
    ticket_id       INTEGER NOT NULL,
    queued_at_ms    INTEGER NOT NULL,
    delivered_at_ms INTEGER
) STRICT;
CREATE INDEX uploads_pending ON uploads (id) WHERE delivered_at_ms IS NULL;
