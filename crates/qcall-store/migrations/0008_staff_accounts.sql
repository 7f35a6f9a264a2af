-- qcall schema v8: staff accounts (工号, name, role, argon2id password
-- hash) and the sessions they sign in to. A session is a row of `tokens`
-- like any device token, with the account it belongs to, when it ends and
-- how long it may sit unused.

CREATE TABLE staff (
    id              TEXT PRIMARY KEY,         -- 工号, e.g. 1024
    name            TEXT    NOT NULL,
    role            TEXT    NOT NULL,         -- clerk | guide | supervisor
    password_hash   TEXT    NOT NULL,         -- argon2id, PHC string
    created_at_ms   INTEGER NOT NULL,
    disabled_at_ms  INTEGER,
    failed_logins   INTEGER NOT NULL DEFAULT 0, -- wrong passwords in a row
    locked_until_ms INTEGER
) STRICT;

ALTER TABLE tokens ADD COLUMN account TEXT;        -- staff.id of a session
ALTER TABLE tokens ADD COLUMN expires_at_ms INTEGER;
ALTER TABLE tokens ADD COLUMN idle_ms INTEGER;
ALTER TABLE tokens ADD COLUMN last_used_ms INTEGER;
CREATE INDEX tokens_by_account ON tokens (account) WHERE account IS NOT NULL;

-- One-off alerts (a call for a guide, a poor rating) keep their id across a
-- restart, and who acknowledged them, when, with what note. `body` is the
-- alert as screens receive it, kept as the web layer wrote it.
CREATE TABLE alerts (
    id              INTEGER PRIMARY KEY,
    raised_at_ms    INTEGER NOT NULL,
    audience        TEXT    NOT NULL,         -- everyone | staff
    body            TEXT    NOT NULL,
    acked_at_ms     INTEGER,
    acked_by        TEXT,
    note            TEXT
) STRICT;
