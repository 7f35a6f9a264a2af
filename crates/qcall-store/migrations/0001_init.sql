-- qcall schema v1. Migrations are append-only: never edit this file once
-- released; add 0002_*.sql instead.

-- Every change, in order. The source of truth: the other tables are
-- projections that can be rebuilt from it.
CREATE TABLE events (
    seq         INTEGER PRIMARY KEY,          -- hall-wide, strictly increasing
    at_ms       INTEGER NOT NULL,             -- UTC milliseconds
    day         TEXT    NOT NULL,             -- business day, YYYY-MM-DD, hall time zone
    kind        TEXT    NOT NULL,             -- ticket_issued, ticket_called, ...
    ticket_id   INTEGER,
    counter_id  TEXT,
    service     TEXT,
    class       TEXT,
    seq_no      INTEGER,
    number      TEXT,
    source      TEXT,
    to_counter  TEXT,
    state       TEXT,
    recalls     INTEGER,
    rating      INTEGER
) STRICT;
CREATE INDEX events_by_day ON events (day, seq);
CREATE INDEX events_by_ticket ON events (ticket_id) WHERE ticket_id IS NOT NULL;

-- Current state of every ticket ever issued.
CREATE TABLE tickets (
    id              INTEGER PRIMARY KEY,
    day             TEXT    NOT NULL,
    issued_service  TEXT    NOT NULL,         -- numbering is per issued service
    service         TEXT    NOT NULL,         -- current service (after transfers)
    class           TEXT    NOT NULL,
    seq_no          INTEGER NOT NULL,
    number          TEXT    NOT NULL,
    state           TEXT    NOT NULL,
    issued_at_ms    INTEGER NOT NULL,
    called_at_ms    INTEGER,
    started_at_ms   INTEGER,
    finished_at_ms  INTEGER,
    counter_id      TEXT,
    target_counter  TEXT,
    recalls         INTEGER NOT NULL DEFAULT 0,
    source          TEXT,
    rating          INTEGER,
    last_seq        INTEGER NOT NULL,         -- event that last changed the row
    UNIQUE (day, issued_service, seq_no)      -- a number is never issued twice
) STRICT;

-- Current state of every counter.
CREATE TABLE counters (
    id              TEXT PRIMARY KEY,
    state           TEXT    NOT NULL,
    current_ticket  INTEGER,
    last_seq        INTEGER NOT NULL
) STRICT;

-- Credentials. Only a SHA-256 of the secret is kept.
CREATE TABLE tokens (
    hash            TEXT PRIMARY KEY,         -- hex SHA-256 of the token
    role            TEXT    NOT NULL,         -- counter | supervisor | guide
    subject         TEXT    NOT NULL,         -- counter id, or a person's name
    created_at_ms   INTEGER NOT NULL,
    revoked_at_ms   INTEGER
) STRICT;
CREATE INDEX tokens_by_subject ON tokens (role, subject);
