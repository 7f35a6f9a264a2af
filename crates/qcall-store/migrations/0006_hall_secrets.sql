-- qcall schema v6: the hall's own secrets. `ticket_keys` is the key every
-- ticket's secret (the `k` in its status URL and QR code) is derived from
-- with HMAC-SHA256, so no per-ticket secret has to be stored and every
-- ticket ever issued has one. Generated at first start; a backup carries it,
-- so a restored hall's printed tickets still work.
CREATE TABLE hall_secrets (
    name            TEXT PRIMARY KEY,
    secret          BLOB    NOT NULL,
    created_at_ms   INTEGER NOT NULL
) STRICT;
