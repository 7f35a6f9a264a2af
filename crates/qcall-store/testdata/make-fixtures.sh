#!/bin/sh
# Makes the old-schema fixture databases beside this script: one SQLite file
# per schema shape that halls run today, holding rows as the qcall of that
# time wrote them. The migration SQL comes from git history (`git show
# <commit>:<file>`), never from today's migration list, so a later edit of a
# migration cannot quietly change what the fixtures say a released schema
# was. The upgrade test in src/migrate/tests.rs opens copies of these files.
#
# Shapes (commit that released the schema, then what the file holds):
#   v1.sqlite                 0001 (25e5033); day 1 by the v1 code
#   v2.sqlite                 + 0002 (7ef77e1); day 2 by the v2 code
#   v3-b9c77f0.sqlite         + 0003 as first released (b9c77f0); day 3
#   v3-1d5cf1a.sqlite         + 0003 as edited in 1d5cf1a (issued_day); day 3
#                               with a suspended ticket that returned
#   v3-a18a68d.sqlite         + 0003 as edited in a18a68d (phone, ref_seq,
#                               outbox); day 3 with text messages
#   v4-b9c77f0.sqlite         v3-b9c77f0 upgraded by cd4747a or later: only
#                               0004 runs, so 0003's later columns never came;
#                               that qcall cannot write an event to it, but
#                               `qcall token create --staff` works
#   v4-1d5cf1a.sqlite         the same from v3-1d5cf1a
#   v4.sqlite                 v3-a18a68d upgraded to 0004 (cd4747a), the
#                               schema of a fresh install of today's main;
#                               day 4 by today's code (clerks' names)
#
# Rows mirror what each version's `codec.rs` wrote (same columns per event
# kind), and each day passes `qcall db check` (no seq gaps, numbers 1..n).
#
# Needs git and the sqlite3 shell. Run from anywhere inside the repository:
#   crates/qcall-store/testdata/make-fixtures.sh
# then commit the .sqlite files. The files are made with page_size 1024 and
# a rollback journal so each is one small file.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
cd "$here"
M=crates/qcall-store/migrations

# The text of migration $2 as released in commit $1.
mig() { git show "$1:$M/$2"; }

# Runs migration $3 (from commit $2) on database $1 as the runner of that
# time did: the file, then user_version = $4, in one transaction.
migrate() {
    { echo "BEGIN;"; mig "$2" "$3"; echo "PRAGMA user_version = $4; COMMIT;"; } |
        sqlite3 -bail "$1"
}

new_db() {
    rm -f "$1"
    sqlite3 -bail "$1" "PRAGMA page_size = 1024; PRAGMA journal_mode = DELETE; VACUUM;" >/dev/null
}

sql() { sqlite3 -bail "$1"; }

hash() { printf %s "$1" | sha256sum | cut -d' ' -f1; }

# --- rows, one function per day and the code that wrote it -----------------

# Day 1, 2026-11-02, by the v1 code (25e5033): no queue place, no prediction.
day1() {
    t=1793581200000 # 09:00 in Asia/Shanghai
    m=60000
    cat <<SQL
BEGIN;
INSERT INTO events (seq, at_ms, day, kind, ticket_id, counter_id, service, class, seq_no, number, source, to_counter, state, recalls, rating) VALUES
 (1,  $t + 1*$m,  '2026-11-02', 'ticket_issued',      1, NULL, 'A', 'normal',  1, 'A001', 'kiosk-1', NULL, NULL, NULL, NULL),
 (2,  $t + 2*$m,  '2026-11-02', 'ticket_issued',      2, NULL, 'A', 'normal',  2, 'A002', 'kiosk-1', NULL, NULL, NULL, NULL),
 (3,  $t + 3*$m,  '2026-11-02', 'ticket_issued',      3, NULL, 'B', 'elderly', 1, 'B001', NULL,      NULL, NULL, NULL, NULL),
 (4,  $t + 4*$m,  '2026-11-02', 'counter_state',   NULL, '1',  NULL, NULL, NULL, NULL, NULL, NULL, 'open_idle', NULL, NULL),
 (5,  $t + 5*$m,  '2026-11-02', 'ticket_called',      1, '1',  NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
 (6,  $t + 6*$m,  '2026-11-02', 'ticket_recalled',    1, '1',  NULL, NULL, NULL, NULL, NULL, NULL, NULL, 1, NULL),
 (7,  $t + 7*$m,  '2026-11-02', 'ticket_started',     1, '1',  NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
 (8,  $t + 12*$m, '2026-11-02', 'ticket_done',        1, '1',  NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 5),
 (9,  $t + 13*$m, '2026-11-02', 'ticket_called',      2, '1',  NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
 (10, $t + 16*$m, '2026-11-02', 'ticket_no_show',     2, '1',  NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
 (11, $t + 17*$m, '2026-11-02', 'ticket_transferred', 3, NULL, 'A', NULL, NULL, NULL, NULL, '2',  NULL, NULL, NULL),
 (12, $t + 18*$m, '2026-11-02', 'ticket_cancelled',   3, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
INSERT INTO tickets (id, day, issued_service, service, class, seq_no, number, state, issued_at_ms, called_at_ms, started_at_ms, finished_at_ms, counter_id, target_counter, recalls, source, rating, last_seq) VALUES
 (1, '2026-11-02', 'A', 'A', 'normal',  1, 'A001', 'done',      $t + 1*$m, $t + 5*$m,  $t + 7*$m, $t + 12*$m, '1',  NULL, 1, 'kiosk-1', 5,    8),
 (2, '2026-11-02', 'A', 'A', 'normal',  2, 'A002', 'no_show',   $t + 2*$m, $t + 13*$m, NULL,      $t + 16*$m, '1',  NULL, 0, 'kiosk-1', NULL, 10),
 (3, '2026-11-02', 'B', 'A', 'elderly', 1, 'B001', 'cancelled', $t + 3*$m, NULL,       NULL,      $t + 18*$m, NULL, '2',  0, NULL,      NULL, 12);
INSERT INTO counters (id, state, current_ticket, last_seq) VALUES ('1', 'open_idle', NULL, 10);
INSERT INTO tokens (hash, role, subject, created_at_ms, revoked_at_ms) VALUES
 ('$(hash fixture-counter-1)', 'counter', '1', $t, NULL),
 ('$(hash fixture-supervisor)', 'supervisor', 'Li Na', $t, NULL),
 ('$(hash fixture-revoked)', 'guide', 'Zhao', $t, $t + 60*$m);
COMMIT;
SQL
}

# Day 2, 2026-11-12, by the v2 code (7ef77e1): queue place, prediction, audit.
day2() {
    t=1794445200000
    m=60000
    cat <<SQL
BEGIN;
INSERT INTO events (seq, at_ms, day, kind, ticket_id, counter_id, service, class, seq_no, number, source, queued_at_ms, behind_ticket, actor, action, detail) VALUES
 (13, $t + 1*$m,  '2026-11-12', 'ticket_issued',    4, NULL, 'A', 'normal', 1, 'A001', 'kiosk-1', NULL, NULL, NULL, NULL, NULL),
 (14, $t + 2*$m,  '2026-11-12', 'ticket_issued',    5, NULL, 'A', 'normal', 2, 'A002', 'kiosk-2', NULL, NULL, NULL, NULL, NULL),
 (15, $t + 3*$m,  '2026-11-12', 'ticket_called',    4, '1',  NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
 (16, $t + 6*$m,  '2026-11-12', 'ticket_no_show',   4, '1',  NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
 (17, $t + 9*$m,  '2026-11-12', 'ticket_reentered', 4, NULL, NULL, NULL, NULL, NULL, NULL, $t + 9*$m, 5, 'Li Na', NULL, NULL),
 (18, $t + 10*$m, '2026-11-12', 'audit',            5, '1',  NULL, NULL, NULL, NULL, NULL, NULL, NULL, 'Li Na', 'call_override', '年长申请人优先'),
 (19, $t + 10*$m, '2026-11-12', 'ticket_called',    5, '1',  NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
 (20, $t + 11*$m, '2026-11-12', 'ticket_started',   5, '1',  NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
 (21, $t + 15*$m, '2026-11-12', 'ticket_done',      5, '1',  NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
INSERT INTO tickets (id, day, issued_service, service, class, seq_no, number, state, issued_at_ms, called_at_ms, started_at_ms, finished_at_ms, counter_id, target_counter, recalls, source, rating, last_seq, queued_at_ms, predicted_wait_s, queued_behind) VALUES
 (4, '2026-11-12', 'A', 'A', 'normal', 1, 'A001', 'waiting', $t + 1*$m, NULL,       NULL,       NULL,       NULL, NULL, 0, 'kiosk-1', NULL, 17, $t + 9*$m, 0,   5),
 (5, '2026-11-12', 'A', 'A', 'normal', 2, 'A002', 'done',    $t + 2*$m, $t + 10*$m, $t + 11*$m, $t + 15*$m, '1',  NULL, 0, 'kiosk-2', NULL, 21, $t + 2*$m, 300, NULL);
UPDATE counters SET state = 'open_idle', current_ticket = NULL, last_seq = 21 WHERE id = '1';
COMMIT;
SQL
}

# Day 3, 2026-11-22, by the v3 code of b9c77f0: appointments and ratings.
day3_b9c77f0() {
    t=1795309200000
    d25=1795568400000 # 2026-11-25 09:00
    m=60000
    cat <<SQL
BEGIN;
INSERT INTO events (seq, at_ms, day, kind, ticket_id, counter_id, service, class, seq_no, number, source, rating, queued_at_ms, detail, slot_end_ms, code) VALUES
 (22, $t + 0*$m,  '2026-11-22', 'appointment_booked',     NULL, NULL, 'A', NULL, NULL, NULL, NULL, NULL, $t + 60*$m, 'Zhang San', $t + 90*$m, 'K7Q2'),
 (23, $t + 1*$m,  '2026-11-22', 'appointment_booked',     NULL, NULL, 'B', NULL, NULL, NULL, NULL, NULL, $d25,       NULL,        $d25 + 30*$m, 'M3P9'),
 (24, $t + 55*$m, '2026-11-22', 'ticket_issued',          6,    NULL, 'A', 'appointment', 1, 'A001', 'kiosk-1', NULL, NULL, NULL, NULL, NULL),
 (25, $t + 55*$m, '2026-11-22', 'appointment_checked_in', 6,    NULL, NULL, NULL, NULL, NULL, NULL, NULL, $t + 60*$m, NULL, NULL, 'K7Q2'),
 (26, $t + 56*$m, '2026-11-22', 'ticket_issued',          7,    NULL, 'B', 'normal', 1, 'B001', 'kiosk-2', NULL, NULL, NULL, NULL, NULL),
 (27, $t + 60*$m, '2026-11-22', 'ticket_called',          6,    '2',  NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
 (28, $t + 61*$m, '2026-11-22', 'ticket_started',         6,    '2',  NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
 (29, $t + 70*$m, '2026-11-22', 'ticket_done',            6,    '2',  NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
 (30, $t + 71*$m, '2026-11-22', 'ticket_rated',           6,    NULL, NULL, NULL, NULL, NULL, NULL, 4,    NULL, '办得很快', NULL, NULL),
 (31, $t + 72*$m, '2026-11-22', 'ticket_called',          7,    '2',  NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
 (32, $t + 73*$m, '2026-11-22', 'ticket_requeued',        7,    '2',  NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
INSERT INTO appointments (day, code, service, slot_start_ms, slot_end_ms, name, phone, booked_seq, ticket_id) VALUES
 ('2026-11-22', 'K7Q2', 'A', $t + 60*$m, $t + 90*$m,   'Zhang San', '13800000001', 22, 6),
 ('2026-11-25', 'M3P9', 'B', $d25,       $d25 + 30*$m, NULL,        NULL,          23, NULL);
INSERT INTO tickets (id, day, issued_service, service, class, seq_no, number, state, issued_at_ms, called_at_ms, started_at_ms, finished_at_ms, counter_id, target_counter, recalls, source, rating, last_seq, queued_at_ms, predicted_wait_s, queued_behind) VALUES
 (6, '2026-11-22', 'A', 'A', 'appointment', 1, 'A001', 'done',    $t + 55*$m, $t + 60*$m, $t + 61*$m, $t + 70*$m, '2',  NULL, 0, 'kiosk-1', 4,    30, $t + 60*$m, 300, NULL),
 (7, '2026-11-22', 'B', 'B', 'normal',      1, 'B001', 'waiting', $t + 56*$m, NULL,       NULL,       NULL,       NULL, NULL, 0, 'kiosk-2', NULL, 32, $t + 56*$m, 600, NULL);
INSERT INTO counters (id, state, current_ticket, last_seq) VALUES ('2', 'open_idle', NULL, 32);
COMMIT;
SQL
}

# Day 3 continued by the code of 1d5cf1a: suspended for missing materials
# (挂起), then back with the same ticket.
day3_1d5cf1a() {
    t=1795309200000
    m=60000
    cat <<SQL
BEGIN;
INSERT INTO events (seq, at_ms, day, kind, ticket_id, counter_id, service, class, seq_no, number, queued_at_ms, detail, issued_day) VALUES
 (33, $t + 80*$m,  '2026-11-22', 'ticket_called',    7, '2',  NULL, NULL, NULL, NULL, NULL, NULL, NULL),
 (34, $t + 85*$m,  '2026-11-22', 'ticket_suspended', 7, '2',  NULL, NULL, NULL, NULL, NULL, '身份证复印件
户口本原件', NULL),
 (35, $t + 150*$m, '2026-11-22', 'ticket_returned',  7, NULL, 'B', 'normal', 1, 'B001', $t + 56*$m, NULL, '2026-11-22');
UPDATE tickets SET state = 'waiting', called_at_ms = $t + 80*$m, counter_id = NULL, last_seq = 35 WHERE id = 7;
UPDATE counters SET state = 'open_idle', current_ticket = NULL, last_seq = 34 WHERE id = '2';
COMMIT;
SQL
}

# Day 3 continued by the code of a18a68d: text messages through the outbox.
day3_a18a68d() {
    t=1795309200000
    m=60000
    cat <<SQL
BEGIN;
INSERT INTO events (seq, at_ms, day, kind, ticket_id, counter_id, actor, action, detail, phone, ref_seq) VALUES
 (36, $t + 151*$m, '2026-11-22', 'notify_requested',       7,    NULL, NULL, NULL, NULL, '13800000002', NULL),
 (37, $t + 151*$m, '2026-11-22', 'notification_queued',    7,    NULL, NULL, 'near', '【测试大厅】B001 号前面还有 0 人，请到大厅等候。', '13800000002', NULL),
 (38, $t + 152*$m, '2026-11-22', 'notification_delivered', NULL, NULL, NULL, NULL, NULL, NULL, 37),
 (39, $t + 153*$m, '2026-11-22', 'ticket_called',          7,    '2',  NULL, NULL, NULL, NULL, NULL),
 (40, $t + 153*$m, '2026-11-22', 'notification_queued',    7,    NULL, NULL, 'called', '【测试大厅】请 B001 号到 2号窗口 办理。', '13800000002', NULL),
 (41, $t + 154*$m, '2026-11-22', 'ticket_started',         7,    '2',  NULL, NULL, NULL, NULL, NULL),
 (42, $t + 160*$m, '2026-11-22', 'ticket_done',            7,    '2',  NULL, NULL, NULL, NULL, NULL),
 (43, $t + 200*$m, '2026-11-22', 'ticket_ready',           7,    NULL, 'Li Na', NULL, NULL, NULL, NULL);
INSERT INTO outbox (id, ticket_id, kind, phone, message, queued_at_ms, delivered_at_ms) VALUES
 (37, 7, 'near',   '13800000002', '【测试大厅】B001 号前面还有 0 人，请到大厅等候。', $t + 151*$m, $t + 152*$m),
 (40, 7, 'called', '13800000002', '【测试大厅】请 B001 号到 2号窗口 办理。',       $t + 153*$m, NULL);
UPDATE tickets SET state = 'done', called_at_ms = $t + 153*$m, started_at_ms = $t + 154*$m, finished_at_ms = $t + 160*$m, counter_id = '2', last_seq = 42 WHERE id = 7;
UPDATE counters SET state = 'open_idle', current_ticket = NULL, last_seq = 42 WHERE id = '2';
COMMIT;
SQL
}

# Day 4, 2026-11-30, by today's code (0004, cd4747a): a clerk's own token.
day4() {
    t=1796000400000
    m=60000
    cat <<SQL
BEGIN;
INSERT INTO tokens (hash, role, subject, created_at_ms, revoked_at_ms, staff) VALUES
 ('$(hash fixture-clerk-wang)', 'counter', '3', $t, NULL, 'Wang Fang');
INSERT INTO events (seq, at_ms, day, kind, ticket_id, counter_id, service, class, seq_no, number, source, state, rating, actor) VALUES
 (44, $t + 0*$m,  '2026-11-30', 'counter_staff',  NULL, '3',  NULL, NULL, NULL, NULL, NULL, NULL, NULL, 'Wang Fang'),
 (45, $t + 0*$m,  '2026-11-30', 'counter_state',  NULL, '3',  NULL, NULL, NULL, NULL, NULL, 'open_idle', NULL, NULL),
 (46, $t + 1*$m,  '2026-11-30', 'ticket_issued',  8,    NULL, 'A', 'normal', 1, 'A001', 'kiosk-1', NULL, NULL, NULL),
 (47, $t + 2*$m,  '2026-11-30', 'ticket_called',  8,    '3',  NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
 (48, $t + 3*$m,  '2026-11-30', 'ticket_started', 8,    '3',  NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
 (49, $t + 9*$m,  '2026-11-30', 'ticket_done',    8,    '3',  NULL, NULL, NULL, NULL, NULL, NULL, 5,    NULL);
INSERT INTO tickets (id, day, issued_service, service, class, seq_no, number, state, issued_at_ms, called_at_ms, started_at_ms, finished_at_ms, counter_id, target_counter, recalls, source, rating, last_seq, queued_at_ms, predicted_wait_s, queued_behind, served_by) VALUES
 (8, '2026-11-30', 'A', 'A', 'normal', 1, 'A001', 'done', $t + 1*$m, $t + 2*$m, $t + 3*$m, $t + 9*$m, '3', NULL, 0, 'kiosk-1', 5, 49, $t + 1*$m, 0, NULL, 'Wang Fang');
INSERT INTO counters (id, state, current_ticket, last_seq) VALUES ('3', 'open_idle', NULL, 49);
COMMIT;
SQL
}

# The one write a qcall of cd4747a or later could make to a v4 file whose
# 0003 lacked issued_day (every event insert names that column and fails).
staff_token_only() {
    cat <<SQL
INSERT INTO tokens (hash, role, subject, created_at_ms, revoked_at_ms, staff) VALUES
 ('$(hash fixture-clerk-wang)', 'counter', '3', 1796000400000, NULL, 'Wang Fang');
SQL
}

# --- the halls' histories ----------------------------------------------------

v2_history() {
    new_db "$1"
    migrate "$1" 25e5033 0001_init.sql 1
    day1 | sql "$1"
    migrate "$1" 7ef77e1 0002_queue_place_and_audit.sql 2
    day2 | sql "$1"
}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

new_db "$tmp/v1.sqlite"
migrate "$tmp/v1.sqlite" 25e5033 0001_init.sql 1
day1 | sql "$tmp/v1.sqlite"

v2_history "$tmp/v2.sqlite"

v2_history "$tmp/v3-b9c77f0.sqlite"
migrate "$tmp/v3-b9c77f0.sqlite" b9c77f0 0003_appointments.sql 3
day3_b9c77f0 | sql "$tmp/v3-b9c77f0.sqlite"

v2_history "$tmp/v3-1d5cf1a.sqlite"
migrate "$tmp/v3-1d5cf1a.sqlite" 1d5cf1a 0003_appointments.sql 3
day3_b9c77f0 | sql "$tmp/v3-1d5cf1a.sqlite"
day3_1d5cf1a | sql "$tmp/v3-1d5cf1a.sqlite"

v2_history "$tmp/v3-a18a68d.sqlite"
migrate "$tmp/v3-a18a68d.sqlite" a18a68d 0003_appointments.sql 3
day3_b9c77f0 | sql "$tmp/v3-a18a68d.sqlite"
day3_1d5cf1a | sql "$tmp/v3-a18a68d.sqlite"
day3_a18a68d | sql "$tmp/v3-a18a68d.sqlite"

for from in b9c77f0 1d5cf1a; do
    cp "$tmp/v3-$from.sqlite" "$tmp/v4-$from.sqlite"
    migrate "$tmp/v4-$from.sqlite" cd4747a 0004_staff.sql 4
    staff_token_only | sql "$tmp/v4-$from.sqlite"
done

cp "$tmp/v3-a18a68d.sqlite" "$tmp/v4.sqlite"
migrate "$tmp/v4.sqlite" cd4747a 0004_staff.sql 4
day4 | sql "$tmp/v4.sqlite"

mv "$tmp"/*.sqlite "$here/"
ls -l "$here"/*.sqlite
