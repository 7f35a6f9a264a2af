//! Engine tests on a real SQLite file, with a manual clock.

use std::sync::{Arc, Mutex};

use jiff::tz::TimeZone;
use qcall_core::{
    Command, CounterAction, CounterDef, Hall, Policy, PolicyKind, PriorityClass, Rejection,
    Service, Text, TicketState, TransferTarget,
};
use qcall_store::Store;

use super::*;

const DAY_MS: Millis = 86_400_000;
/// 2026-11-22 09:00 in Shanghai.
const NINE_AM: Millis = 1_795_309_200_000;

fn hall() -> Arc<Hall> {
    hall_of(&["A", "B"], &[])
}

/// The test hall with `services` only, each asking for `materials`.
fn hall_of(services: &[&str], materials: &[&str]) -> Arc<Hall> {
    let service = |code: &str| Service {
        code: code.into(),
        name: Text::new(code, code),
        prefix: code.into(),
        materials: materials.iter().map(|m| Text::new(*m, *m)).collect(),
        target_wait_yellow_s: 600,
        target_wait_red_s: 1200,
        daily_cap: None,
        avg_service_s: 300,
    };
    let class = |id: &str, weight| PriorityClass {
        id: id.into(),
        name: Text::new(id, id),
        weight,
        green: weight > 1,
        mark: None,
        prefix: None,
    };
    let counter = |id: &str, number| CounterDef {
        id: id.into(),
        number,
        name: Text::new(id, id),
        services: services.iter().map(|s| (*s).into()).collect(),
        service_order: Default::default(),
    };
    Arc::new(
        Hall::new(
            Text::new("大厅", "Hall"),
            TimeZone::get("Asia/Shanghai").unwrap(),
            services.iter().map(|s| service(s)).collect(),
            vec![class("normal", 1), class("elderly", 3)],
            "normal".into(),
            vec![counter("1", 1), counter("2", 2)],
            Policy {
                kind: PolicyKind::Ratio { n: 2 },
                max_wait_ms: None,
            },
            2,
            3,
        )
        .unwrap(),
    )
}

/// A publisher that records what it saw and checks, at publish time, that
/// every event is already readable from the database by another connection.
#[derive(Clone)]
struct Recorder {
    seen: Arc<Mutex<Vec<Published>>>,
    /// Calls of `publish`: one per committed batch that changed something.
    publishes: Arc<std::sync::atomic::AtomicUsize>,
    db: std::path::PathBuf,
}

impl Publisher for Recorder {
    fn publish(&mut self, batch: &[Published]) {
        let reader = Store::open_read_only(&self.db).unwrap();
        let last = reader.last_seq().unwrap();
        for p in batch {
            assert!(
                p.seq() <= last,
                "published seq {} before it was committed (db has {last})",
                p.seq()
            );
        }
        self.seen.lock().unwrap().extend_from_slice(batch);
        self.publishes
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    }
}

struct Daemon {
    handle: EngineHandle,
    join: thread::JoinHandle<()>,
    seen: Arc<Mutex<Vec<Published>>>,
    publishes: Arc<std::sync::atomic::AtomicUsize>,
}

fn start_at(db: &std::path::Path, clock: Arc<ManualClock>) -> Daemon {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let publishes = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let recorder = Recorder {
        seen: seen.clone(),
        publishes: publishes.clone(),
        db: db.into(),
    };
    let (handle, join) = start(
        hall(),
        Store::open(db).unwrap(),
        clock,
        vec![Box::new(recorder)],
    )
    .unwrap();
    Daemon {
        handle,
        join,
        seen,
        publishes,
    }
}

impl Daemon {
    fn stop(self) {
        drop(self.handle);
        self.join.join().unwrap();
    }
}

fn issue(service: &str, class: Option<&str>) -> Command {
    Command::Issue {
        service: service.into(),
        class: class.map(Into::into),
        source: None,
    }
}

fn at(counter: &str, action: CounterAction) -> Command {
    Command::Counter {
        counter: counter.into(),
        action,
    }
}

#[tokio::test]
async fn a_ticket_is_durable_and_published_after_commit() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("hall.db");
    let clock = Arc::new(ManualClock::new(NINE_AM));
    let d = start_at(&db, clock.clone());
    let reply = d.handle.execute(issue("A", None)).await.unwrap();
    let t = reply.ticket.unwrap();
    assert_eq!((t.ticket.number.as_str(), t.ahead), ("A001", 0));
    // Durable: another connection reads it right away.
    let stored = Store::open_read_only(&db)
        .unwrap()
        .ticket(t.ticket.id)
        .unwrap()
        .unwrap();
    assert_eq!(stored.number, "A001");
    let seen = d.seen.lock().unwrap().clone();
    assert!(
        matches!(&seen[0], Published::Event { rec, .. } if rec.event.kind() == "ticket_issued")
    );
    assert!(matches!(&seen[1], Published::QueueChanged { queues, .. } if queues[0].waiting == 1));
    d.stop();
}

#[tokio::test]
async fn a_refusal_writes_and_publishes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("hall.db");
    let d = start_at(&db, Arc::new(ManualClock::new(NINE_AM)));
    let err = d.handle.execute(issue("Z", None)).await.unwrap_err();
    assert_eq!(
        err,
        EngineError::Rejected(Rejection::UnknownService("Z".into()))
    );
    let err = d
        .handle
        .execute(at("1", CounterAction::Recall))
        .await
        .unwrap_err();
    assert_eq!(
        err,
        EngineError::Rejected(Rejection::NoCurrentTicket {
            counter: "1".into()
        })
    );
    assert_eq!(Store::open_read_only(&db).unwrap().last_seq().unwrap(), 0);
    assert!(d.seen.lock().unwrap().is_empty());
    d.stop();
}

#[tokio::test]
async fn a_restart_restores_the_day_and_continues_numbering() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("hall.db");
    let clock = Arc::new(ManualClock::new(NINE_AM));
    let d = start_at(&db, clock.clone());
    for _ in 0..3 {
        d.handle.execute(issue("A", None)).await.unwrap();
    }
    d.handle.execute(issue("A", Some("elderly"))).await.unwrap();
    let called = d
        .handle
        .execute(at("1", CounterAction::CallNext))
        .await
        .unwrap()
        .ticket
        .unwrap();
    assert_eq!(called.ticket.number, "A004", "green channel first");
    let before = d.handle.read(|s, _| s.fingerprint()).await.unwrap();
    d.stop();

    let d = start_at(&db, clock.clone());
    let after = d.handle.read(|s, _| s.fingerprint()).await.unwrap();
    assert_eq!(after, before, "replay rebuilds the same state");
    let next = d
        .handle
        .execute(issue("A", None))
        .await
        .unwrap()
        .ticket
        .unwrap();
    assert_eq!(next.ticket.number, "A005");
    let snap = d.handle.snapshot().await.unwrap();
    assert_eq!(
        snap.counters[0].current.as_ref().unwrap().ticket.number,
        "A004"
    );
    assert_eq!(snap.queues[0].waiting, 4);
    d.stop();
}

#[tokio::test]
async fn numbering_restarts_on_the_next_business_day_without_cron() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("hall.db");
    let clock = Arc::new(ManualClock::new(NINE_AM));
    let d = start_at(&db, clock.clone());
    let first = d
        .handle
        .execute(issue("A", None))
        .await
        .unwrap()
        .ticket
        .unwrap();
    clock.advance(DAY_MS);
    let next_day = d
        .handle
        .execute(issue("A", None))
        .await
        .unwrap()
        .ticket
        .unwrap();
    assert_eq!(next_day.ticket.number, "A001");
    assert!(next_day.ticket.id > first.ticket.id, "ids never repeat");
    assert_eq!(next_day.ticket.day, first.ticket.day.tomorrow().unwrap());
    // Yesterday's ticket is still readable, closed with its day: it no
    // longer says "waiting, 0 ahead".
    let old = d.handle.ticket(first.ticket.id).await.unwrap().unwrap();
    assert_eq!(
        (old.ticket.number.as_str(), old.ticket.state),
        ("A001", TicketState::Expired)
    );
    assert_eq!(old.ticket.day, first.ticket.day, "on its own day");
    d.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_commands_share_commits_and_never_share_numbers() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("hall.db");
    let d = start_at(&db, Arc::new(ManualClock::new(NINE_AM)));
    let mut tasks = Vec::new();
    for i in 0..400 {
        let h = d.handle.clone();
        let service = if i % 2 == 0 { "A" } else { "B" };
        tasks.push(tokio::spawn(async move {
            h.execute(issue(service, None))
                .await
                .unwrap()
                .ticket
                .unwrap()
        }));
    }
    let mut numbers = std::collections::HashSet::new();
    for t in tasks {
        assert!(numbers.insert(t.await.unwrap().ticket.number));
    }
    assert_eq!(numbers.len(), 400);
    assert!(numbers.contains("A200") && numbers.contains("B200"));
    let report = Store::open_read_only(&db).unwrap().check().unwrap();
    assert!(report.is_ok(), "{:?}", report.problems);
    assert_eq!(report.tickets, 400);
    d.stop();
}

impl Daemon {
    /// Runs `cmd` and returns what was published for its batch.
    async fn frames(&self, cmd: Command) -> (Result<Reply, EngineError>, Vec<Published>) {
        let before = self.seen.lock().unwrap().len();
        let result = self.handle.execute(cmd).await;
        // Published before the reply, so the batch's frames are all here.
        let frames = self.seen.lock().unwrap()[before..].to_vec();
        (result, frames)
    }
}

fn has_queue_changed(frames: &[Published]) -> bool {
    frames
        .iter()
        .any(|p| matches!(p, Published::QueueChanged { .. }))
}

#[tokio::test]
async fn every_event_that_queues_a_ticket_publishes_queue_changed() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("hall.db");
    let clock = Arc::new(ManualClock::new(NINE_AM));
    let d = start_at(&db, clock.clone());
    let t = |r: Result<Reply, EngineError>| r.unwrap().ticket.unwrap().ticket;
    let mut missing = Vec::new();
    let mut expect = |what: &str, frames: &[Published]| {
        if !has_queue_changed(frames) {
            missing.push(what.to_owned());
        }
    };

    let (r, frames) = d.frames(issue("A", None)).await;
    let first = t(r);
    expect("issue", &frames);

    // A no-show re-enters the queue (过号重排).
    d.handle
        .execute(at("1", CounterAction::CallNext))
        .await
        .unwrap();
    d.handle
        .execute(at("1", CounterAction::NoShow))
        .await
        .unwrap();
    let (r, frames) = d
        .frames(Command::Reenter {
            ticket: first.id,
            by: "guide".into(),
        })
        .await;
    r.unwrap();
    expect("re-entry after no-show", &frames);

    // A suspended applicant returns with the missing materials.
    d.handle
        .execute(at("1", CounterAction::CallNext))
        .await
        .unwrap();
    let suspend = CounterAction::Suspend {
        missing: vec!["户口簿".into()],
    };
    d.handle.execute(at("1", suspend)).await.unwrap();
    let (r, frames) = d
        .frames(Command::Return {
            ticket: first.id,
            earlier: None,
        })
        .await;
    r.unwrap();
    expect("return after suspend", &frames);

    // Requeue and transfers from a counter.
    d.handle
        .execute(at("1", CounterAction::CallNext))
        .await
        .unwrap();
    let (r, frames) = d.frames(at("1", CounterAction::Requeue)).await;
    r.unwrap();
    expect("requeue", &frames);
    d.handle
        .execute(at("1", CounterAction::CallNext))
        .await
        .unwrap();
    let to_b = CounterAction::Transfer(TransferTarget::Service("B".into()));
    let (r, frames) = d.frames(at("1", to_b)).await;
    r.unwrap();
    expect("transfer to a service", &frames);
    d.handle
        .execute(at("1", CounterAction::CallNext))
        .await
        .unwrap();
    let to_2 = CounterAction::Transfer(TransferTarget::Counter("2".into()));
    let (r, frames) = d.frames(at("1", to_2)).await;
    r.unwrap();
    expect("transfer to a counter", &frames);

    // An appointment checks in at a kiosk.
    let slot = NINE_AM + 10 * 60_000;
    d.handle
        .execute(Command::Book {
            code: "ABCD1234".into(),
            service: "A".into(),
            slot_start: slot,
            name: None,
        })
        .await
        .unwrap();
    let (r, frames) = d
        .frames(Command::CheckIn {
            code: "ABCD1234".into(),
            service: None,
            source: None,
        })
        .await;
    r.unwrap();
    expect("appointment check-in", &frames);

    assert!(
        missing.is_empty(),
        "no queue_changed after: {}",
        missing.join(", ")
    );
    d.stop();
}

#[tokio::test]
async fn a_failed_commit_rebuilds_the_state_from_the_store() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("hall.db");
    let clock = Arc::new(ManualClock::new(NINE_AM));
    let d = start_at(&db, clock.clone());
    d.handle.execute(issue("A", None)).await.unwrap();
    // Another connection makes the next call fail inside the transaction,
    // after the state already applied it in memory.
    let sql = rusqlite::Connection::open(&db).unwrap();
    sql.execute_batch(
        "CREATE TRIGGER no_calls BEFORE INSERT ON events WHEN NEW.kind = 'ticket_called' \
         BEGIN SELECT RAISE(ABORT, 'refused by the test'); END;",
    )
    .unwrap();
    let err = d
        .handle
        .execute(at("1", CounterAction::CallNext))
        .await
        .unwrap_err();
    assert!(matches!(err, EngineError::Storage(_)), "{err:?}");
    let now = clock.now();
    let (live, stored) = d
        .handle
        .read(move |state, store| {
            let stored = restore(state.hall(), store, now).unwrap();
            (state.fingerprint(), stored.fingerprint())
        })
        .await
        .unwrap();
    assert_eq!(live, stored, "the state is the store's again");

    // Once the store accepts writes again, the same call goes through.
    sql.execute_batch("DROP TRIGGER no_calls").unwrap();
    let called = d
        .handle
        .execute(at("1", CounterAction::CallNext))
        .await
        .unwrap()
        .ticket
        .expect("the ticket is still waiting");
    assert_eq!(called.ticket.number, "A001");
    d.stop();
}

#[tokio::test]
async fn a_deleted_database_file_takes_no_more_changes() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("hall.db");
    let d = start_at(&db, Arc::new(ManualClock::new(NINE_AM)));
    d.handle.execute(issue("A", None)).await.unwrap();
    std::fs::remove_file(&db).unwrap();
    // SQLite would commit this to the deleted file and the kiosk would
    // hear "done"; the engine refuses it.
    let err = d.handle.execute(issue("A", None)).await.unwrap_err();
    assert_eq!(err, EngineError::Unavailable(Fault::Gone));
    assert_eq!(d.handle.health().fault(), Some(Fault::Gone));
    // And keeps refusing, also once a new file appears at the path.
    std::fs::write(&db, b"").unwrap();
    let err = d.handle.execute(issue("B", None)).await.unwrap_err();
    assert_eq!(err, EngineError::Unavailable(Fault::Gone));
    d.stop();
}

#[tokio::test]
async fn a_replaced_database_file_takes_no_more_changes() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("hall.db");
    let d = start_at(&db, Arc::new(ManualClock::new(NINE_AM)));
    let other = dir.path().join("other.db");
    Store::open(&other).unwrap();
    std::fs::rename(&other, &db).unwrap();
    let err = d.handle.execute(issue("A", None)).await.unwrap_err();
    assert_eq!(err, EngineError::Unavailable(Fault::Replaced));
    assert!(err.to_string().contains("Restart qcall"), "{err}");
    d.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn commands_queued_together_share_one_transaction() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("hall.db");
    let d = start_at(&db, Arc::new(ManualClock::new(NINE_AM)));
    // Hold the writer inside a read while the commands queue up behind it.
    let (entered_tx, entered) = tokio::sync::oneshot::channel();
    let (go, go_rx) = std::sync::mpsc::channel::<()>();
    let handle = d.handle.clone();
    let held = tokio::spawn(async move {
        handle
            .read(move |_, _| {
                entered_tx.send(()).unwrap();
                go_rx.recv().unwrap();
            })
            .await
    });
    entered.await.unwrap();
    const N: usize = 20;
    let mut replies = Vec::new();
    for _ in 0..N {
        let (reply, rx) = oneshot::channel();
        // Straight into the channel: once `send` returns, it is queued.
        d.handle
            .tx
            .send(Request::Execute {
                cmd: issue("A", None),
                reply,
            })
            .await
            .unwrap();
        replies.push(rx);
    }
    go.send(()).unwrap();
    held.await.unwrap().unwrap();
    for rx in replies {
        rx.await.unwrap().unwrap();
    }
    let batches = d.publishes.load(std::sync::atomic::Ordering::SeqCst);
    assert_eq!(batches, 1, "{N} queued commands took {batches} commits");
    assert_eq!(
        Store::open_read_only(&db).unwrap().last_seq().unwrap(),
        N as u64
    );
    d.stop();
}

/// A reload that would strand a waiting ticket is refused and changes
/// nothing; one that fits swaps the hall, keeps today's queue and
/// numbering, and is audited once, published after it commits.
#[tokio::test]
async fn a_reload_keeps_today_and_refuses_to_strand_a_ticket() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("hall.db");
    let d = start_at(&db, Arc::new(ManualClock::new(NINE_AM)));
    d.handle.execute(issue("B", None)).await.unwrap();
    let err = d
        .handle
        .reload(hall_of(&["A"], &[]), "test".into(), "B removed".into())
        .await
        .unwrap_err();
    assert!(
        matches!(&err, EngineError::Rejected(Rejection::ConfigRefused(m)) if m.contains("service `B` still has 1 ticket")),
        "{err}"
    );
    assert!(
        d.handle.hall().service("B").is_some(),
        "the running hall stays"
    );
    let audits = |d: &Daemon| {
        d.seen
            .lock()
            .unwrap()
            .iter()
            .filter(|p| matches!(p, Published::Event { rec, .. } if rec.event.kind() == "audit"))
            .count()
    };
    assert_eq!(audits(&d), 0);

    let seq = d
        .handle
        .reload(
            hall_of(&["A", "B"], &["ID card"]),
            "test".into(),
            "materials".into(),
        )
        .await
        .unwrap();
    assert_eq!(d.handle.hall().service("A").unwrap().materials.len(), 1);
    assert_eq!(audits(&d), 1);
    let stored = Store::open_read_only(&db).unwrap().last_seq().unwrap();
    assert_eq!(seq, stored, "the audit event is committed");
    // Today's queue and numbering go on under the new hall.
    let next = d.handle.execute(issue("B", None)).await.unwrap();
    let t = next.ticket.unwrap();
    assert_eq!((t.ticket.number.as_str(), t.ahead), ("B002", 1));
    d.stop();
}
