//! Store tests on real SQLite files in a temp dir.

use qcall_core::{CounterState, Event, Recorded, Ticket, TicketId, TicketState};
use rusqlite::Connection;

use super::*;

fn day(s: &str) -> BusinessDay {
    s.parse().unwrap()
}

fn ticket(id: i64, seq_no: u32, service: &str) -> Ticket {
    Ticket {
        id: TicketId(id),
        day: day("2026-11-22"),
        service: service.into(),
        class: "normal".into(),
        seq_no,
        number: format!("{service}{seq_no:03}"),
        state: TicketState::Waiting,
        issued_at: 1000 + id,
        queued_at: 1000 + id,
        queued_behind: None,
        predicted_wait_s: Some(60),
        predicted_range_s: Some((45, 90)),
        called_at: None,
        started_at: None,
        finished_at: None,
        served_by: None,
        counter: None,
        target_counter: None,
        recalls: 0,
        source: Some("kiosk-1".into()),
        rating: None,
        case_no: None,
        channel: qcall_core::ticket::Channel::WalkIn,
        arrived_at: None,
        lapse_at: None,
        deferred: false,
    }
}

fn issued(seq: u64, t: &Ticket) -> Recorded {
    Recorded {
        seq,
        at: t.issued_at,
        event: Event::TicketIssued {
            ticket: t.id,
            service: t.service.clone(),
            class: t.class.clone(),
            seq_no: t.seq_no,
            number: t.number.clone(),
            source: t.source.clone(),
        },
    }
}

#[test]
fn opens_with_durable_pragmas_and_head_schema() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("q.db")).unwrap();
    let mode: String = store
        .conn
        .pragma_query_value(None, "journal_mode", |r| r.get(0))
        .unwrap();
    let sync: i64 = store
        .conn
        .pragma_query_value(None, "synchronous", |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
    assert_eq!(sync, 2, "synchronous=FULL");
    assert_eq!(store.schema_version().unwrap(), SCHEMA_VERSION);
}

/// The database, its `-wal`/`-shm` and its backups hold the hall secret:
/// readable by their owner only, whatever the umask, and an old database
/// left readable by others is narrowed when opened.
#[cfg(unix)]
#[test]
fn the_database_its_log_and_backups_are_private_to_their_owner() {
    use std::os::unix::fs::PermissionsExt;
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("q.db");
    let store = Store::open(&path).unwrap();
    store
        .conn
        .execute_batch("CREATE TABLE t (x); INSERT INTO t VALUES (1);")
        .unwrap();
    for suffix in ["", "-wal", "-shm"] {
        let file = dir.path().join(format!("q.db{suffix}"));
        assert_eq!(mode(&file), 0o600, "{}", file.display());
    }
    let dest = dir.path().join("copy.db");
    backup(&path, &dest, Pace::PROMPT).unwrap();
    assert_eq!(mode(&dest), 0o600, "the backup");
    drop(store);

    let old = dir.path().join("old.db");
    drop(Connection::open(&old).unwrap());
    std::fs::set_permissions(&old, std::fs::Permissions::from_mode(0o644)).unwrap();
    drop(Store::open(&old).unwrap());
    assert_eq!(
        mode(&old),
        0o600,
        "an old world-readable database is narrowed"
    );
}

// Old schemas upgrading to the head: migrate/tests.rs, on committed fixtures.

#[test]
fn a_newer_schema_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("new.db");
    Connection::open(&path)
        .unwrap()
        .pragma_update(None, "user_version", 99)
        .unwrap();
    let err = Store::open(&path).unwrap_err();
    assert!(err.to_string().contains("upgrade qcall"), "{err}");
}

#[test]
fn events_and_tickets_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(&dir.path().join("q.db")).unwrap();
    let mut t1 = ticket(1, 1, "A");
    t1.case_no = Some("BJ-2026/0001".into());
    let mut events = vec![
        issued(1, &t1),
        Recorded {
            seq: 2,
            at: 5,
            event: Event::TicketCalled {
                ticket: t1.id,
                counter: "3".into(),
            },
        },
        Recorded {
            seq: 3,
            at: 6,
            event: Event::TicketRecalled {
                ticket: t1.id,
                counter: "3".into(),
                recalls: 1,
            },
        },
        Recorded {
            seq: 4,
            at: 7,
            event: Event::TicketDone {
                ticket: t1.id,
                counter: "3".into(),
                rating: Some(4),
            },
        },
        Recorded {
            seq: 5,
            at: 8,
            event: Event::TicketTransferred {
                ticket: t1.id,
                from_counter: Some("3".into()),
                to_service: "B".into(),
                to_counter: Some("2".into()),
            },
        },
        Recorded {
            seq: 6,
            at: 9,
            event: Event::CounterStateChanged {
                counter: "3".into(),
                state: CounterState::Paused,
            },
        },
        Recorded {
            seq: 7,
            at: 9,
            event: Event::TicketCancelled { ticket: t1.id },
        },
        Recorded {
            seq: 8,
            at: 10,
            event: Event::TicketRated {
                ticket: t1.id,
                score: 2,
                comment: Some("慢".into()),
                reason: Some("等候时间太长".into()),
                indicators: vec![("overall".into(), 2), ("attitude".into(), 4)],
                indicator_version: 3,
                channel: qcall_core::rating::Channel::Sms,
            },
        },
        Recorded {
            seq: 9,
            at: 11,
            event: Event::CaseAttached {
                ticket: t1.id,
                case_no: "BJ-2026/0001".into(),
                by: "3".into(),
            },
        },
        Recorded {
            seq: 10,
            at: 12,
            event: Event::UploadDelivered { id: 8 },
        },
        Recorded {
            seq: 11,
            at: 13,
            event: Event::CounterStaffLeft {
                counter: "3".into(),
                staff: "1024".into(),
            },
        },
    ];
    let mut b = store.batch().unwrap();
    for e in &events {
        b.append(e, day("2026-11-22")).unwrap();
    }
    b.put_ticket(&t1, 1).unwrap();
    b.commit().unwrap();
    assert_eq!(store.events_of_day(day("2026-11-22")).unwrap(), events);
    assert_eq!(store.events_of_day(day("2026-11-23")).unwrap(), vec![]);
    assert_eq!(store.events_after(5, 10).unwrap(), events.split_off(5));
    assert_eq!(store.ticket(TicketId(1)).unwrap(), Some(t1.clone()));
    assert_eq!(store.last_seq().unwrap(), 11);
    assert_eq!(store.next_ticket_id().unwrap(), 2);
    let visits = store.visits("BJ-2026/0001").unwrap();
    assert_eq!(visits.iter().map(|v| v.ticket).collect::<Vec<_>>(), [t1.id]);
    assert_eq!(store.visits("other").unwrap(), vec![]);

    // An update changes state but keeps the numbering columns.
    let mut t1b = t1.clone();
    t1b.state = TicketState::Done;
    t1b.service = "B".into();
    let mut b = store.batch().unwrap();
    b.put_ticket(&t1b, 8).unwrap();
    b.commit().unwrap();
    assert_eq!(store.ticket(TicketId(1)).unwrap(), Some(t1b));
}

#[test]
fn an_uncommitted_batch_leaves_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(&dir.path().join("q.db")).unwrap();
    {
        let mut b = store.batch().unwrap();
        let t = ticket(1, 1, "A");
        b.append(&issued(1, &t), t.day).unwrap();
        b.put_ticket(&t, 1).unwrap();
        // dropped without commit
    }
    assert_eq!(store.last_seq().unwrap(), 0);
    assert_eq!(store.ticket(TicketId(1)).unwrap(), None);
}

#[test]
fn a_number_cannot_be_issued_twice() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(&dir.path().join("q.db")).unwrap();
    let mut b = store.batch().unwrap();
    b.put_ticket(&ticket(1, 1, "A"), 1).unwrap();
    assert!(
        b.put_ticket(&ticket(2, 1, "A"), 2).is_err(),
        "same day, service and seq_no"
    );
}

#[test]
fn check_finds_gaps_and_orphans() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(&dir.path().join("q.db")).unwrap();
    let (t1, t3) = (ticket(1, 1, "A"), ticket(3, 3, "A"));
    let mut b = store.batch().unwrap();
    b.append(&issued(1, &t1), t1.day).unwrap();
    b.put_ticket(&t1, 1).unwrap();
    b.append(&issued(3, &t3), t3.day).unwrap();
    b.put_ticket(&t3, 3).unwrap();
    b.put_ticket(&ticket(4, 2, "B"), 3).unwrap();
    b.commit().unwrap();
    let report = store.check().unwrap();
    assert_eq!((report.events, report.tickets, report.days), (2, 3, 1));
    let text = report.problems.join("\n");
    assert!(text.contains("event log has gaps"), "{text}");
    assert!(
        text.contains("service A: 2 tickets but numbers run 1..3"),
        "{text}"
    );
    assert!(
        text.contains("service B: 1 tickets but numbers run 2..2"),
        "{text}"
    );
    assert!(
        text.contains("1 tickets have no ticket_issued event"),
        "{text}"
    );
}

#[test]
fn tokens_are_found_by_hash_until_revoked() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(&dir.path().join("q.db")).unwrap();
    store.add_token("abc", Role::Counter, "3", 1).unwrap();
    let reader = Store::open_read_only(store.path()).unwrap();
    assert_eq!(
        reader.credential_at("abc", 0).unwrap(),
        Some(Credential {
            role: Role::Counter,
            subject: "3".into(),
            staff: None,
            account: None,
        })
    );
    assert_eq!(reader.credential_at("abd", 0).unwrap(), None);
    assert_eq!(store.revoke_tokens(Role::Counter, "3", 2).unwrap(), 1);
    assert_eq!(reader.credential_at("abc", 0).unwrap(), None);
}

// --- faults, backups, restores ------------------------------------------------

/// Issues tickets `from..=to` of service A, one transaction each, as the
/// engine would (event and ticket row together).
fn issue_range(store: &mut Store, from: i64, to: i64) {
    for id in from..=to {
        let t = ticket(id, id as u32, "A");
        let mut b = store.batch().unwrap();
        b.append(&issued(id as u64, &t), t.day).unwrap();
        b.put_ticket(&t, id as u64).unwrap();
        b.commit().unwrap();
    }
}

#[test]
fn a_full_disk_and_a_damaged_file_are_named_faults() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(&dir.path().join("q.db")).unwrap();
    issue_range(&mut store, 1, 1);
    // SQLite's own page cap gives the same SQLITE_FULL as a full disk.
    let pages: i64 = store
        .conn
        .pragma_query_value(None, "page_count", |r| r.get(0))
        .unwrap();
    store
        .conn
        .pragma_update(None, "max_page_count", pages)
        .unwrap();
    let mut b = store.batch().unwrap();
    let err = (2..500)
        .find_map(|id| {
            let t = ticket(id, id as u32, "A");
            b.append(&issued(id as u64, &t), t.day)
                .and_then(|()| b.put_ticket(&t, id as u64))
                .err()
        })
        .expect("the page cap is reached");
    assert_eq!(Fault::of(&err), Some(Fault::DiskFull), "{err}");

    let junk = dir.path().join("junk.db");
    std::fs::write(&junk, vec![0x5a; 8192]).unwrap();
    let err = Store::open_read_only(&junk).unwrap_err();
    assert_eq!(Fault::of(&err), Some(Fault::Corrupt), "{err}");
}

#[test]
fn a_store_notices_its_file_deleted() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("q.db");
    let mut store = Store::open(&path).unwrap();
    assert_eq!(store.verify_file(), Ok(()));
    std::fs::remove_file(&path).unwrap();
    // SQLite itself goes on writing to the deleted file: only the
    // identity check can tell.
    issue_range(&mut store, 1, 1);
    assert_eq!(store.verify_file(), Err(Fault::Gone));
    // What it left beside the path is not opened as a new database.
    drop(store);
    assert!(dir.path().join("q.db-wal").exists());
    let err = Store::open(&path).unwrap_err();
    assert!(matches!(err, StoreError::OrphanWal { .. }), "{err}");
    assert!(!path.exists(), "nothing created");
}

#[test]
fn a_backup_is_one_checked_file_with_every_committed_ticket() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(&dir.path().join("q.db")).unwrap();
    issue_range(&mut store, 1, 5);
    let dest = dir.path().join("copy.db");
    let report = backup(store.path(), &dest, Pace::PROMPT).unwrap();
    assert_eq!(report.file, dest);
    assert!(report.check.is_ok(), "{:?}", report.check.problems);
    assert_eq!(report.check.tickets, 5);
    assert!(!dir.path().join("copy.db-wal").exists());
    let copy = Connection::open(&dest).unwrap();
    let mode: String = copy
        .pragma_query_value(None, "journal_mode", |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "delete", "a self-contained file");
    // No temporary file is left beside it.
    let left: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.ends_with(".tmp"))
        .collect();
    assert_eq!(left, Vec::<String>::new());
    // The database itself is no target.
    assert!(backup(store.path(), store.path(), Pace::PROMPT).is_err());
}

#[test]
fn a_backup_taken_while_tickets_are_committed_is_consistent() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("q.db");
    let mut store = Store::open(&path).unwrap();
    // Enough pages that the copy takes many steps.
    issue_range(&mut store, 1, 400);
    let writer = std::thread::spawn(move || {
        issue_range(&mut store, 401, 800);
        store
    });
    let slow = Pace {
        pages_per_step: 1,
        pause: std::time::Duration::from_millis(1),
    };
    let dest = dir.path().join("copy.db");
    let report = backup(&path, &dest, slow).unwrap();
    let store = writer.join().unwrap();
    // Numbers 1..n with no gap: the copy is the database of one instant.
    assert!(report.check.is_ok(), "{:?}", report.check.problems);
    assert!(report.check.tickets >= 400, "{}", report.check.tickets);
    assert_eq!(store.check().unwrap().tickets, 800);
}

#[test]
fn a_restore_keeps_the_replaced_file_and_refuses_a_bad_source() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("q.db");
    let mut store = Store::open(&db).unwrap();
    issue_range(&mut store, 1, 2);
    let saved = dir.path().join("saved.db");
    backup(&db, &saved, Pace::PROMPT).unwrap();
    issue_range(&mut store, 3, 4);
    drop(store);

    // A source that fails `db check` changes nothing.
    let junk = dir.path().join("junk.db");
    std::fs::write(&junk, vec![0x5a; 8192]).unwrap();
    assert!(restore(&junk, &db, "t0").is_err());
    assert_eq!(Store::open(&db).unwrap().check().unwrap().tickets, 4);

    let report = restore(&saved, &db, "t1").unwrap();
    assert_eq!(report.check.tickets, 2);
    let kept = report.kept.unwrap();
    assert_eq!(kept, dir.path().join("q.db.replaced-t1"));
    assert_eq!(Store::open(&db).unwrap().check().unwrap().tickets, 2);
    assert_eq!(Store::open(&kept).unwrap().check().unwrap().tickets, 4);
}

/// Queueing from home: every new event decodes to itself, and a remote
/// ticket's channel, arrival, hold and deferral survive the projection.
#[test]
fn remote_and_booking_events_and_ticket_fields_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(&dir.path().join("q.db")).unwrap();
    let mut t1 = ticket(1, 1, "A");
    let kinds = vec![
        Event::RemoteRequested {
            request: "request-0000000001".into(),
            service: "A".into(),
            phone: "13800138000".into(),
            expires_at: 300_000,
        },
        Event::RemoteCodeWrong {
            request: "request-0000000001".into(),
        },
        Event::TicketRemote {
            ticket: t1.id,
            request: "request-0000000001".into(),
            phone: "13800138000".into(),
        },
        Event::TicketHeld {
            ticket: t1.id,
            lapse_at: 900_000,
        },
        Event::TicketDeferred {
            ticket: t1.id,
            places: 3,
            queued_at: 1_234,
            behind: Some(TicketId(9)),
        },
        Event::TicketArrived {
            ticket: t1.id,
            by: "kiosk".into(),
        },
        Event::TicketLapsed { ticket: t1.id },
        Event::BookingRequested {
            request: "request-0000000002".into(),
            service: "A".into(),
            phone: "13800138000".into(),
            expires_at: 300_000,
            slot_start: 1_800_000,
            name: "张三".into(),
            id_hash: "ab".repeat(32),
            id_last4: "002X".into(),
        },
        Event::AppointmentContact {
            code: "123456".into(),
            request: "request-0000000002".into(),
            slot_start: 1_800_000,
            phone: "13800138000".into(),
            id_hash: "ab".repeat(32),
            id_last4: "002X".into(),
        },
        Event::AppointmentCancelled {
            code: "123456".into(),
            slot_start: 1_800_000,
        },
        Event::AppointmentReminded {
            code: "123456".into(),
            slot_start: 1_800_000,
        },
    ];
    let events: Vec<Recorded> = kinds
        .into_iter()
        .enumerate()
        .map(|(i, event)| Recorded {
            seq: i as u64 + 1,
            at: 10 + i as i64,
            event,
        })
        .collect();
    t1.state = TicketState::Remote;
    t1.channel = qcall_core::ticket::Channel::Remote;
    t1.arrived_at = Some(77);
    t1.lapse_at = Some(900_000);
    t1.deferred = true;
    let mut b = store.batch().unwrap();
    for e in &events {
        b.append(e, day("2026-11-22")).unwrap();
    }
    b.put_ticket(&t1, 1).unwrap();
    b.commit().unwrap();
    assert_eq!(store.events_of_day(day("2026-11-22")).unwrap(), events);
    assert_eq!(store.ticket(TicketId(1)).unwrap(), Some(t1));
}
