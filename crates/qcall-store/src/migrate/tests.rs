//! Migrations against the databases halls really have.
//!
//! Two kinds of test. The checksum table holds every released migration to
//! its bytes: a hall that ran a migration never runs it again, so an edit
//! would reach new halls only (0003 was edited twice that way). The upgrade
//! tests open copies of the committed fixture files in `testdata/`, made by
//! `testdata/make-fixtures.sh` from the migrations as git history released
//! them, never from today's list, with rows in every table the schema has.
//! They check that each shape reaches the head schema, keeps and reads back
//! its rows, passes `db check` and takes today's writes.

use std::path::{Path, PathBuf};

use qcall_core::{BusinessDay, Event, Recorded, TicketId};
use rusqlite::{Connection, OpenFlags};
use sha2::Digest;

use super::*;
use crate::{Credential, Role, Store, token_hash};

// --- released migrations never change ---------------------------------------

/// Every released migration file and the SHA-256 of its bytes (what
/// `sha256sum migrations/*.sql` prints). A new migration adds a row here
/// when it is committed; no row ever changes.
const RELEASED: &[(&str, &str)] = &[
    (
        "0001_init.sql",
        "5b27c6842ad8f5e63f062ef0f46a8e83caf0b0b0e970e90e2fec439adf689456",
    ),
    (
        "0002_queue_place_and_audit.sql",
        "7d213b270ec3403b01e2b76c76235afd8b17c1ac1674e0559d19248eb4857754",
    ),
    (
        // As b9c77f0 released it; 1d5cf1a and a18a68d edited it in place
        // (dede315d...) and 0005 now carries those additions.
        "0003_appointments.sql",
        "f607eec361d0b8b38db62ca564b8b4e2a5116ffd0af091873b6b31cb61aa24de",
    ),
    (
        "0004_staff.sql",
        "35b0e17c9bcf6e9c9c7fd9520ff18a743a783aa4f8cfc0906b592362fd1a8acd",
    ),
    (
        "0005_what_0003_gained_later.sql",
        "3da98ef35ac91479c3050b49469f4d4cb8d6adb8dad6c7461638765723f499d6",
    ),
    (
        "0006_hall_secrets.sql",
        "5ca04a012927433520b7dbf9aac65530d66106862b70d64e4e23d41bf2cf9521",
    ),
    (
        "0007_wait_range.sql",
        "d0fee6fc6a6764e0609ea839e0f0df53e9afffc1dc67292945340dde65f42c26",
    ),
    (
        "0008_staff_accounts.sql",
        "6a4a5e9542bbaa0f99e672fb2d8a39376617cf4759df28d7379b1a6cdd02412b",
    ),
    (
        "0009_ratings_cases_uploads.sql",
        "2f847ef9efb1b719d87dd14861650d5c991b7e2c5564be7ab91a7e82f33b6378",
    ),
    (
        "0010_queue_from_home.sql",
        "08d766f33c3c0c68fac0dd4ec933a4836e16183939426781b2b28bad69c5a179",
    ),
];

/// The columns each migration adds where missing, as released: they are
/// part of the migration as much as its file.
const RELEASED_COLUMNS: &[(&str, &[&str])] = &[(
    "0005_what_0003_gained_later.sql",
    &[
        "ALTER TABLE events ADD COLUMN issued_day TEXT",
        "ALTER TABLE events ADD COLUMN phone TEXT",
        "ALTER TABLE events ADD COLUMN ref_seq INTEGER",
    ],
)];

const APPEND_ONLY: &str = "migrations are append-only: add a new one";

fn sha256_hex(bytes: &[u8]) -> String {
    sha2::Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[test]
fn released_migrations_never_change() {
    for (i, m) in MIGRATIONS.iter().enumerate() {
        let digest = sha256_hex(m.sql.as_bytes());
        let Some(&(file, released)) = RELEASED.get(i) else {
            panic!(
                "migration {} ({}) has no checksum: once it is committed it is released; \
                 add (\"{}\", \"{digest}\") to RELEASED",
                i + 1,
                m.file,
                m.file
            );
        };
        assert_eq!(
            m.file,
            file,
            "migration {} is {file} as released, not {}; {APPEND_ONLY}",
            i + 1,
            m.file
        );
        assert_eq!(
            digest, released,
            "{file} changed after its release ({APPEND_ONLY}); a hall that ran it never runs it again"
        );
        let columns: Vec<String> = m.add_if_missing.iter().map(Column::alter).collect();
        let released_columns = RELEASED_COLUMNS
            .iter()
            .find(|(f, _)| *f == file)
            .map_or(&[][..], |(_, c)| c);
        assert_eq!(
            columns, released_columns,
            "the columns {file} adds where missing changed after its release; {APPEND_ONLY}"
        );
    }
    assert_eq!(
        MIGRATIONS.len(),
        RELEASED.len(),
        "a released migration is gone; {APPEND_ONLY}"
    );
}

/// A file dropped into `migrations/` but not listed would never run.
#[test]
fn every_migration_file_is_listed_in_order() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations");
    let mut on_disk: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|name| name.ends_with(".sql"))
        .collect();
    on_disk.sort();
    let listed: Vec<&str> = MIGRATIONS.iter().map(|m| m.file).collect();
    assert_eq!(on_disk, listed);
    for (i, m) in MIGRATIONS.iter().enumerate() {
        assert!(
            m.file.starts_with(&format!("{:04}_", i + 1)),
            "{} is migration {}",
            m.file,
            i + 1
        );
        let on_disk = std::fs::read(dir.join(m.file)).unwrap();
        assert_eq!(on_disk, m.sql.as_bytes(), "{}", m.file);
    }
}

// --- old databases upgrade to the head --------------------------------------

/// A committed database of one shape that halls run, and what it holds.
struct Fixture {
    file: &'static str,
    /// `user_version` as the file was left.
    version: usize,
    /// Per business day, its events' kinds in order (segments joined).
    days: &'static [(&'static str, &'static [&'static str])],
    /// Every ticket: id, number, state.
    tickets: &'static [(i64, &'static str, &'static str)],
    /// Outbox messages not yet delivered.
    undelivered: &'static [u64],
    /// Live tokens: secret, subject, clerk.
    tokens: &'static [(&'static str, &'static str, Option<&'static str>)],
}

// Days as make-fixtures.sh writes them, by the code that wrote them.
const DAY1: (&str, &[&str]) = (
    "2026-11-02",
    &[
        "ticket_issued ticket_issued ticket_issued counter_state ticket_called ticket_recalled \
       ticket_started ticket_done ticket_called ticket_no_show ticket_transferred ticket_cancelled",
    ],
);
const DAY2: (&str, &[&str]) = (
    "2026-11-12",
    &[
        "ticket_issued ticket_issued ticket_called ticket_no_show ticket_reentered audit \
       ticket_called ticket_started ticket_done",
    ],
);
const DAY3_B9C77F0: &str = "appointment_booked appointment_booked ticket_issued \
    appointment_checked_in ticket_issued ticket_called ticket_started ticket_done ticket_rated \
    ticket_called ticket_requeued";
const DAY3_1D5CF1A: &str = "ticket_called ticket_suspended ticket_returned";
const DAY3_A18A68D: &str = "notify_requested notification_queued notification_delivered \
    ticket_called notification_queued ticket_started ticket_done ticket_ready";
const DAY4: (&str, &[&str]) = (
    "2026-11-30",
    &["counter_staff counter_state ticket_issued ticket_called ticket_started ticket_done"],
);

const TICKETS_V1: &[(i64, &str, &str)] = &[
    (1, "A001", "done"),
    (2, "A002", "no_show"),
    (3, "B001", "cancelled"),
];
const TICKETS_V2: &[(i64, &str, &str)] = &[
    (1, "A001", "done"),
    (2, "A002", "no_show"),
    (3, "B001", "cancelled"),
    (4, "A001", "waiting"),
    (5, "A002", "done"),
];
const TICKETS_V3_B9C77F0: &[(i64, &str, &str)] = &[
    (1, "A001", "done"),
    (2, "A002", "no_show"),
    (3, "B001", "cancelled"),
    (4, "A001", "waiting"),
    (5, "A002", "done"),
    (6, "A001", "done"),
    (7, "B001", "waiting"),
];
const TICKETS_V3_A18A68D: &[(i64, &str, &str)] = &[
    (1, "A001", "done"),
    (2, "A002", "no_show"),
    (3, "B001", "cancelled"),
    (4, "A001", "waiting"),
    (5, "A002", "done"),
    (6, "A001", "done"),
    (7, "B001", "done"),
];
const TICKETS_V4: &[(i64, &str, &str)] = &[
    (1, "A001", "done"),
    (2, "A002", "no_show"),
    (3, "B001", "cancelled"),
    (4, "A001", "waiting"),
    (5, "A002", "done"),
    (6, "A001", "done"),
    (7, "B001", "done"),
    (8, "A001", "done"),
];

const TOKENS: &[(&str, &str, Option<&str>)] = &[
    ("fixture-counter-1", "1", None),
    ("fixture-supervisor", "Li Na", None),
];
const TOKENS_V4: &[(&str, &str, Option<&str>)] = &[
    ("fixture-counter-1", "1", None),
    ("fixture-supervisor", "Li Na", None),
    ("fixture-clerk-wang", "3", Some("Wang Fang")),
];

const FIXTURES: &[Fixture] = &[
    Fixture {
        file: "v1.sqlite",
        version: 1,
        days: &[DAY1],
        tickets: TICKETS_V1,
        undelivered: &[],
        tokens: TOKENS,
    },
    Fixture {
        file: "v2.sqlite",
        version: 2,
        days: &[DAY1, DAY2],
        tickets: TICKETS_V2,
        undelivered: &[],
        tokens: TOKENS,
    },
    Fixture {
        file: "v3-b9c77f0.sqlite",
        version: 3,
        days: &[DAY1, DAY2, ("2026-11-22", &[DAY3_B9C77F0])],
        tickets: TICKETS_V3_B9C77F0,
        undelivered: &[],
        tokens: TOKENS,
    },
    Fixture {
        file: "v3-1d5cf1a.sqlite",
        version: 3,
        days: &[DAY1, DAY2, ("2026-11-22", &[DAY3_B9C77F0, DAY3_1D5CF1A])],
        tickets: TICKETS_V3_B9C77F0,
        undelivered: &[],
        tokens: TOKENS,
    },
    Fixture {
        file: "v3-a18a68d.sqlite",
        version: 3,
        days: &[
            DAY1,
            DAY2,
            ("2026-11-22", &[DAY3_B9C77F0, DAY3_1D5CF1A, DAY3_A18A68D]),
        ],
        tickets: TICKETS_V3_A18A68D,
        undelivered: &[40],
        tokens: TOKENS,
    },
    Fixture {
        file: "v4-b9c77f0.sqlite",
        version: 4,
        days: &[DAY1, DAY2, ("2026-11-22", &[DAY3_B9C77F0])],
        tickets: TICKETS_V3_B9C77F0,
        undelivered: &[],
        tokens: TOKENS_V4,
    },
    Fixture {
        file: "v4-1d5cf1a.sqlite",
        version: 4,
        days: &[DAY1, DAY2, ("2026-11-22", &[DAY3_B9C77F0, DAY3_1D5CF1A])],
        tickets: TICKETS_V3_B9C77F0,
        undelivered: &[],
        tokens: TOKENS_V4,
    },
    Fixture {
        file: "v4.sqlite",
        version: 4,
        days: &[
            DAY1,
            DAY2,
            ("2026-11-22", &[DAY3_B9C77F0, DAY3_1D5CF1A, DAY3_A18A68D]),
            DAY4,
        ],
        tickets: TICKETS_V4,
        undelivered: &[40],
        tokens: TOKENS_V4,
    },
];

fn fixture_path(file: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("testdata")
        .join(file)
}

fn day(s: &str) -> BusinessDay {
    s.parse().unwrap()
}

/// The schema as SQLite keeps it: every table and index with its SQL, which
/// holds the columns in order (ALTER TABLE appends to it). Sorted by type
/// and name: the order of `sqlite_schema`'s rows means nothing (VACUUM
/// changes it), though today every upgraded fixture matches a fresh file
/// in that too.
fn schema(conn: &Connection) -> Vec<(String, String, Option<String>)> {
    conn.prepare("SELECT type, name, sql FROM sqlite_schema ORDER BY type, name")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

/// Equal schemas, or a failure that lists only the objects that differ.
fn assert_same_schema(
    got: &[(String, String, Option<String>)],
    head: &[(String, String, Option<String>)],
    what: &str,
) {
    let missing: Vec<_> = head.iter().filter(|o| !got.contains(o)).collect();
    let extra: Vec<_> = got.iter().filter(|o| !head.contains(o)).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "{what}: schema differs from a fresh database's\nfresh has: {missing:#?}\nthis has: {extra:#?}"
    );
}

fn fresh_schema() -> Vec<(String, String, Option<String>)> {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("fresh.db")).unwrap();
    schema(&store.conn)
}

/// The schema of a new database migrated up to and including `last`.
fn schema_through(last: &str) -> Vec<(String, String, Option<String>)> {
    let conn = Connection::open_in_memory().unwrap();
    for m in MIGRATIONS {
        apply(&conn, m).unwrap();
        if m.file == last {
            return schema(&conn);
        }
    }
    panic!("there is no migration {last}");
}

fn open_untouched(file: &str) -> Connection {
    Connection::open_with_flags(fixture_path(file), OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap()
}

/// Copies the fixture to a temp dir and opens it with the store, which
/// migrates it.
fn upgraded(f: &Fixture) -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(f.file);
    std::fs::copy(fixture_path(f.file), &path).unwrap();
    let store = Store::open(&path).unwrap_or_else(|e| panic!("{}: {e}", f.file));
    (dir, store)
}

#[test]
fn the_fixtures_are_the_shapes_they_claim() {
    // What make-fixtures.sh produced, read without the store: a guard
    // against a fixture regenerated from the wrong history.
    let events_columns = |conn: &Connection| -> Vec<String> {
        conn.prepare("SELECT name FROM pragma_table_info('events')")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    };
    for f in FIXTURES {
        let conn = open_untouched(f.file);
        assert_eq!(version(&conn).unwrap(), f.version, "{}", f.file);
        let columns = events_columns(&conn);
        let has = |c: &str| columns.iter().any(|x| x == c);
        let outbox = schema(&conn).iter().any(|(_, name, _)| name == "outbox");
        let shape = (has("issued_day"), has("phone") && has("ref_seq"), outbox);
        let expected = match f.file {
            "v1.sqlite" | "v2.sqlite" | "v3-b9c77f0.sqlite" | "v4-b9c77f0.sqlite" => {
                (false, false, false)
            }
            "v3-1d5cf1a.sqlite" | "v4-1d5cf1a.sqlite" => (true, false, false),
            _ => (true, true, true),
        };
        assert_eq!(
            shape, expected,
            "{}: (issued_day, phone+ref_seq, outbox)",
            f.file
        );
    }
}

#[test]
fn a_fresh_database_has_the_schema_of_todays_halls() {
    // v4.sqlite has the schema every hall installed from 0004's release on
    // has (0003 as a18a68d left it, then 0004); a new hall must get the
    // same one from 0003 as released plus 0005. (Later migrations are the
    // same for both; the upgrade tests compare those.)
    assert_same_schema(
        &schema_through("0005_what_0003_gained_later.sql"),
        &schema(&open_untouched("v4.sqlite")),
        "a fresh database",
    );
}

/// One test per fixture, so a failure names every shape that breaks.
macro_rules! upgrade_tests {
    ($($name:ident => $file:literal,)*) => {
        $(
            #[test]
            fn $name() {
                upgrades_with_its_rows($file);
            }
        )*
        /// The fixtures the tests above open.
        const UPGRADE_TESTED: &[&str] = &[$($file),*];
    };
}

upgrade_tests! {
    upgrades_v1 => "v1.sqlite",
    upgrades_v2 => "v2.sqlite",
    upgrades_v3_as_first_released => "v3-b9c77f0.sqlite",
    upgrades_v3_with_issued_day => "v3-1d5cf1a.sqlite",
    upgrades_v3_as_last_edited => "v3-a18a68d.sqlite",
    upgrades_v4_over_first_v3 => "v4-b9c77f0.sqlite",
    upgrades_v4_over_v3_with_issued_day => "v4-1d5cf1a.sqlite",
    upgrades_v4 => "v4.sqlite",
}

#[test]
fn every_fixture_file_has_an_upgrade_test() {
    let mut on_disk: Vec<String> = std::fs::read_dir(fixture_path(""))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|name| name.ends_with(".sqlite"))
        .collect();
    on_disk.sort();
    let mut described: Vec<&str> = FIXTURES.iter().map(|f| f.file).collect();
    described.sort();
    let mut tested = UPGRADE_TESTED.to_vec();
    tested.sort();
    assert_eq!(on_disk, described);
    assert_eq!(tested, described);
}

/// Copies the fixture, opens it with the store (which migrates it), and
/// checks it against what `make-fixtures.sh` put in it.
fn upgrades_with_its_rows(file: &str) {
    let f = FIXTURES.iter().find(|f| f.file == file).unwrap();
    let head = fresh_schema();
    let (_dir, mut store) = upgraded(f);
    assert_eq!(store.schema_version().unwrap(), SCHEMA_VERSION, "{file}");

    // `qcall db check` finds nothing wrong.
    let report = store.check().unwrap();
    assert!(report.is_ok(), "{file}: {:?}", report.problems);
    let kinds_of = |segments: &[&str]| -> Vec<String> {
        segments
            .iter()
            .flat_map(|s| s.split_whitespace())
            .map(str::to_owned)
            .collect()
    };
    let total: usize = f.days.iter().map(|(_, s)| kinds_of(s).len()).sum();
    assert_eq!(
        (report.schema_version, report.events, report.tickets),
        (SCHEMA_VERSION, total as u64, f.tickets.len() as u64),
        "{file}"
    );

    // Each day's events decode, in order, as the kinds that were written.
    for (d, segments) in f.days {
        let events = store.events_of_day(day(d)).unwrap_or_else(|e| {
            panic!("{file}: the events of {d} cannot be read after the upgrade: {e}")
        });
        let kinds: Vec<String> = events.iter().map(|r| r.event.kind().to_owned()).collect();
        assert_eq!(kinds, kinds_of(segments), "{file}, {d}");
    }
    assert_eq!(store.events_after(0, 1000).unwrap().len(), total, "{file}");

    // Every ticket reads back.
    let mut tickets = Vec::new();
    for (d, _) in f.days {
        tickets.extend(store.tickets_of_day(day(d)).unwrap());
    }
    let seen: Vec<(i64, &str, &str)> = tickets
        .iter()
        .map(|t| (t.id.0, t.number.as_str(), t.state.as_str()))
        .collect();
    assert_eq!(seen, f.tickets, "{file}");

    // Tokens: live ones found with their clerk, the revoked one not.
    for &(secret, subject, staff) in f.tokens {
        let cred = store.credential_at(&token_hash(secret), 0).unwrap();
        let role = if subject == "Li Na" {
            Role::Supervisor
        } else {
            Role::Counter
        };
        assert_eq!(
            cred,
            Some(Credential {
                role,
                subject: subject.into(),
                staff: staff.map(str::to_owned),
                account: None,
            }),
            "{file}: token {secret}"
        );
    }
    assert_eq!(
        store
            .credential_at(&token_hash("fixture-revoked"), 0)
            .unwrap(),
        None,
        "{file}"
    );

    let undelivered: Vec<u64> = store
        .undelivered(10)
        .unwrap()
        .iter()
        .map(|o| o.id)
        .collect();
    assert_eq!(undelivered, f.undelivered, "{file}: undelivered outbox");

    check_values(f, &store);
    takes_todays_writes(f, &mut store);
    assert_same_schema(&schema(&store.conn), &head, file);

    // Opening the upgraded file again changes nothing.
    let path = store.path().to_owned();
    drop(store);
    let again = Store::open(&path).unwrap();
    assert_same_schema(&schema(&again.conn), &head, &format!("{file}, reopened"));
}

/// Values that only decode right if the columns kept their meaning: one per
/// schema generation, where the fixture has it.
fn check_values(f: &Fixture, store: &Store) {
    let file = f.file;
    let has_day = |d: &str| f.days.iter().any(|(x, _)| *x == d);
    let t0 = 1_793_581_200_000; // 2026-11-02 09:00, Asia/Shanghai
    let ticket = |id| store.ticket(TicketId(id)).unwrap().unwrap();

    // v1 rows have no queue place: it is the issue time.
    let t1 = ticket(1);
    assert_eq!(
        (t1.queued_at, t1.issued_at, t1.rating, t1.recalls),
        (t0 + 60_000, t0 + 60_000, Some(5), 1),
        "{file}"
    );
    let t3 = ticket(3);
    assert_eq!(
        (t3.service.as_str(), t3.class.as_str(), t3.target_counter),
        ("A", "elderly", Some("2".to_owned())),
        "{file}"
    );

    if has_day("2026-11-12") {
        let t2 = 1_794_445_200_000;
        let t4 = ticket(4);
        assert_eq!(
            (t4.queued_at, t4.queued_behind, t4.predicted_wait_s),
            (t2 + 9 * 60_000, Some(TicketId(5)), Some(0)),
            "{file}"
        );
        let audit = store.audit_of_day(day("2026-11-12")).unwrap();
        assert!(
            audit.iter().any(|r| matches!(
                &r.event,
                Event::Audit { action, by, .. } if action == "call_override" && by == "Li Na"
            )),
            "{file}: {audit:?}"
        );
    }

    if has_day("2026-11-22") {
        let t3 = 1_795_309_200_000;
        let today = store.appointments_of_day(day("2026-11-22")).unwrap();
        assert_eq!(today.len(), 1, "{file}");
        assert_eq!(
            (today[0].code.as_str(), today[0].ticket, today[0].slot_start),
            ("K7Q2", Some(TicketId(6)), t3 + 60 * 60_000),
            "{file}"
        );
        let later = store.appointments_of_day(day("2026-11-25")).unwrap();
        assert_eq!(
            later
                .iter()
                .map(|a| (a.code.as_str(), a.ticket))
                .collect::<Vec<_>>(),
            [("M3P9", None)],
            "{file}"
        );
        let events = store.events_of_day(day("2026-11-22")).unwrap();
        let find = |kind: &str| events.iter().find(|r| r.event.kind() == kind);
        assert!(
            matches!(
                &find("ticket_rated").unwrap().event,
                Event::TicketRated {
                    ticket: TicketId(6),
                    score: 4,
                    comment: Some(c),
                    reason: None,
                    indicators,
                    indicator_version: 0,
                    channel: qcall_core::rating::Channel::Pad,
                } if c == "办得很快" && indicators.is_empty()
            ),
            "{file}"
        );
        if let Some(r) = find("ticket_returned") {
            assert!(
                matches!(
                    &r.event,
                    Event::TicketReturned { ticket: TicketId(7), issued_day, issued_at, .. }
                        if *issued_day == day("2026-11-22") && *issued_at == t3 + 56 * 60_000
                ),
                "{file}: {r:?}"
            );
            let suspended = find("ticket_suspended").unwrap();
            assert!(
                matches!(&suspended.event, Event::TicketSuspended { missing, .. } if missing.len() == 2),
                "{file}"
            );
        }
        if let Some(r) = find("notification_delivered") {
            assert!(
                matches!(r.event, Event::NotificationDelivered { id: 37 }),
                "{file}"
            );
        }
    }

    if has_day("2026-11-30") {
        assert_eq!(ticket(8).served_by.as_deref(), Some("Wang Fang"), "{file}");
    }
}

/// Today's code writes every column and the outbox: after the upgrade, a
/// batch that uses them commits and reads back.
fn takes_todays_writes(f: &Fixture, store: &mut Store) {
    let file = f.file;
    let d = day("2026-12-01");
    let seq = store.last_seq().unwrap() + 1;
    let id = store.next_ticket_id().unwrap();
    let at = 1_796_605_200_000; // 2026-12-01 09:00
    let events = vec![
        Recorded {
            seq,
            at,
            event: Event::TicketIssued {
                ticket: TicketId(id),
                service: "A".into(),
                class: "normal".into(),
                seq_no: 1,
                number: "A001".into(),
                source: Some("kiosk-1".into()),
            },
        },
        Recorded {
            seq: seq + 1,
            at,
            event: Event::NotifyRequested {
                ticket: TicketId(id),
                phone: "13800000003".into(),
            },
        },
        Recorded {
            seq: seq + 2,
            at,
            event: Event::NotificationQueued {
                ticket: TicketId(id),
                kind: "near".into(),
                phone: "13800000003".into(),
                message: "近了".into(),
            },
        },
    ];
    let mut batch = store.batch().unwrap();
    for e in &events {
        batch.append(e, d).unwrap_or_else(|e| panic!("{file}: {e}"));
    }
    // The queued message's outbox row, as the engine records it.
    batch
        .put_outbox(&qcall_core::state::Outbox::Queued {
            id: seq + 2,
            ticket: TicketId(id),
            kind: "near".into(),
            phone: "13800000003".into(),
            message: "近了".into(),
            at,
        })
        .unwrap_or_else(|e| panic!("{file}: {e}"));
    batch.commit().unwrap();
    assert_eq!(store.events_of_day(d).unwrap(), events, "{file}");
    let last = store.undelivered(10).unwrap().pop().unwrap();
    assert_eq!(
        (last.id, last.ticket, last.phone.as_str()),
        (seq + 2, TicketId(id), "13800000003"),
        "{file}"
    );
}

#[test]
fn a_failed_migration_leaves_the_file_as_it_was() {
    // A v3 file whose events table is gone cannot take 0005's columns: the
    // error names the migration, and nothing of 0004 stays behind.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("broken.sqlite");
    std::fs::copy(fixture_path("v3-b9c77f0.sqlite"), &path).unwrap();
    Connection::open(&path)
        .unwrap()
        .execute_batch("DROP TABLE events")
        .unwrap();
    let err = Store::open(&path).unwrap_err();
    assert!(
        err.to_string().contains("0005_what_0003_gained_later.sql"),
        "{err}"
    );
    let conn = Connection::open(&path).unwrap();
    assert_eq!(version(&conn).unwrap(), 3);
    let tokens_columns: i64 = conn
        .query_row(
            "SELECT COUNT(*) FROM pragma_table_info('tokens') WHERE name = 'staff'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(tokens_columns, 0, "0004 rolled back with 0005");
}
