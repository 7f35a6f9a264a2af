//! The database as the hall's IT person meets it: one daemon per file, a
//! file deleted under a running daemon, a damaged file, backups taken while
//! kiosks issue tickets, restores, and a database from the last release.

use std::collections::HashSet;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::json;
use tokio::sync::Notify;

use super::*;

/// The demo hall without quotas: these tests are about the file.
fn uncapped() -> Hall {
    Hall::with(|c| {
        c.server.kiosk_rate_per_minute = 0;
        c.backup.every_minutes = 0;
        c.services.iter_mut().for_each(|s| {
            s.daily_cap = 0;
            s.slot_cap = 0;
        });
    })
}

fn arg(p: &Path) -> &str {
    p.to_str().unwrap()
}

async fn take(d: &Daemon) -> (u16, serde_json::Value) {
    let r = d
        .conn()
        .await
        .post("/api/v1/tickets", None, &json!({"service": "A"}))
        .await
        .unwrap();
    (r.status.as_u16(), r.body)
}

#[tokio::test]
async fn a_second_daemon_on_the_same_database_is_refused_and_names_the_first() {
    let hall = uncapped();
    let first = hall.start();
    let port = first.url.rsplit(':').next().unwrap().to_owned();
    let second = Command::new(qcall_bin())
        .args(["serve", "--listen", "127.0.0.1:0", "--config"])
        .arg(&hall.config)
        .arg("--db")
        .arg(&hall.db)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Refused at start: it exits by itself (on today's main it serves).
    let out = wait_exit(second);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{err}");
    assert!(
        stdout(&out).is_empty(),
        "it never said it was listening: {}",
        stdout(&out)
    );
    assert!(
        err.contains(&format!("pid {}", first.child.id())),
        "names the first's pid: {err}"
    );
    assert!(err.contains(&port), "names the first's address: {err}");
    assert!(err.contains("since "), "and since when: {err}");
    // The first goes on serving.
    assert_eq!(take(&first).await.0, 201);
}

#[tokio::test]
async fn a_deleted_database_refuses_tickets_and_healthz_says_why() {
    let hall = uncapped();
    let d = hall.start();
    let (status, _) = take(&d).await;
    assert_eq!(status, 201);
    let mut c = d.conn().await;
    assert_eq!(c.get("/healthz").await.unwrap().status, 200);

    std::fs::remove_file(&hall.db).unwrap();
    // The very next ticket is refused: SQLite would have committed it to
    // the deleted file, and the kiosk would have printed it.
    let (status, body) = take(&d).await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(body["error"]["code"], "database_gone", "{body}");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(message.contains("restart qcall"), "{message}");

    let health = c.get("/healthz").await.unwrap();
    assert_eq!(health.status, 503, "{}", health.body);
    assert_eq!(health.body["status"], "unavailable");
    assert_eq!(health.body["reason"], "database_gone");
    assert!(health.body["message"].as_str().unwrap().contains("deleted"));
    assert_eq!(c.get("/api/v1/healthz").await.unwrap().status, 503);
}

#[tokio::test]
async fn a_deleted_database_is_not_reopened_as_an_empty_one() {
    let hall = uncapped();
    let d = hall.start();
    assert_eq!(take(&d).await.0, 201);
    std::fs::remove_file(&hall.db).unwrap();
    drop(d);
    // The deleted file's WAL is still beside the path; SQLite would lay it
    // over a new, empty database and numbering would start again at 1.
    assert!(hall.path().join("hall.db-wal").exists());
    let out = Command::new(qcall_bin())
        .args(["serve", "--listen", "127.0.0.1:0", "--config"])
        .arg(&hall.config)
        .arg("--db")
        .arg(&hall.db)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let out = wait_exit(out);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{err}");
    assert!(err.contains("was deleted or moved"), "{err}");
    assert!(!hall.db.exists(), "no new empty database was made");
}

/// The output of a process that should exit by itself; killed (and the
/// test failed) if it is still running after [`FRAME_TIMEOUT`].
fn wait_exit(mut child: std::process::Child) -> std::process::Output {
    let deadline = Instant::now() + FRAME_TIMEOUT;
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("the process is still running: it should have refused to start");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    child.wait_with_output().unwrap()
}

#[test]
fn db_check_on_a_damaged_file_exits_5() {
    let dir = tempfile::tempdir().unwrap();
    let junk = dir.path().join("junk.db");
    std::fs::write(&junk, vec![0x5a; 16 * 1024]).unwrap();
    let out = qcall(&["db", "check", "--db", arg(&junk)]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(5), "{err}");
    assert!(err.contains("db restore"), "says what to do: {err}");

    // A real database with one of its pages overwritten.
    let hall = uncapped();
    let db = hall.path().join("copy.db");
    let conn = rusqlite::Connection::open(&db).unwrap();
    conn.execute_batch(
        "PRAGMA page_size = 1024; PRAGMA journal_mode = DELETE; \
         CREATE TABLE events (seq INTEGER PRIMARY KEY, kind TEXT); \
         CREATE TABLE tickets (id INTEGER PRIMARY KEY, day TEXT, issued_service TEXT, seq_no INTEGER, number TEXT); \
         CREATE INDEX by_kind ON events (kind);",
    )
    .unwrap();
    for i in 0..400 {
        conn.execute("INSERT INTO events (seq, kind) VALUES (?1, 'x' || ?1)", [i])
            .unwrap();
    }
    drop(conn);
    let mut bytes = std::fs::read(&db).unwrap();
    let len = bytes.len();
    bytes[len / 2..len / 2 + 2048].fill(0xa5);
    std::fs::write(&db, bytes).unwrap();
    let out = qcall(&["db", "check", "--db", arg(&db)]);
    assert_eq!(
        out.status.code(),
        Some(5),
        "{}{}",
        stdout(&out),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_under_64_clients_holds_every_ticket_acknowledged_before_it_began() {
    const CLIENTS: usize = 64;
    const ACKS_BEFORE_BACKUP: usize = 300;
    let hall = uncapped();
    let d = hall.start();
    let acked = Arc::new(Mutex::new(Vec::<u64>::new()));
    let stop = Arc::new(AtomicBool::new(false));
    let count = Arc::new(AtomicUsize::new(0));
    let enough = Arc::new(Notify::new());
    let services = ["A", "B", "C", "D", "E", "F"];
    let mut tasks = Vec::new();
    for i in 0..CLIENTS {
        let (url, acked, stop, count, enough) = (
            d.url.clone(),
            acked.clone(),
            stop.clone(),
            count.clone(),
            enough.clone(),
        );
        let service = services[i % services.len()];
        tasks.push(tokio::spawn(async move {
            let mut conn = Conn::connect(&url).await.unwrap();
            while !stop.load(Ordering::SeqCst) {
                let r = conn
                    .post("/api/v1/tickets", None, &json!({"service": service}))
                    .await
                    .unwrap();
                assert_eq!(r.status.as_u16(), 201, "{}", r.body);
                acked
                    .lock()
                    .unwrap()
                    .push(r.body["ticket"]["id"].as_u64().unwrap());
                if count.fetch_add(1, Ordering::SeqCst) + 1 == ACKS_BEFORE_BACKUP {
                    enough.notify_one();
                }
            }
        }));
    }
    enough.notified().await;
    let before: Vec<u64> = acked.lock().unwrap().clone();
    let copy = hall.path().join("copy.db");
    // The clients go on issuing while the backup runs.
    let out = tokio::process::Command::new(qcall_bin())
        .args(["db", "backup", "--db", arg(&hall.db), "--to", arg(&copy)])
        .env("RUST_LOG", "warn")
        .output()
        .await
        .unwrap();
    let during = count.load(Ordering::SeqCst) - before.len();
    stop.store(true, Ordering::SeqCst);
    for t in tasks {
        t.await.unwrap();
    }
    assert!(
        out.status.success(),
        "backup: {}{}",
        stdout(&out),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout(&out).contains(arg(&copy)), "says what it wrote");

    let check = qcall(&["db", "check", "--db", arg(&copy)]);
    assert!(check.status.success(), "db check: {}", stdout(&check));
    let conn = rusqlite::Connection::open(&copy).unwrap();
    let in_copy: HashSet<u64> = conn
        .prepare("SELECT id FROM tickets")
        .unwrap()
        .query_map([], |r| r.get::<_, i64>(0))
        .unwrap()
        .map(|r| r.unwrap() as u64)
        .collect();
    let lost: Vec<_> = before.iter().filter(|id| !in_copy.contains(id)).collect();
    assert!(
        lost.is_empty(),
        "acknowledged before the backup, missing from it: {lost:?}"
    );
    eprintln!(
        "backup holds {} tickets; {} acknowledged before it, {during} while it ran",
        in_copy.len(),
        before.len()
    );
}

#[tokio::test]
async fn restore_is_refused_while_the_daemon_serves_and_keeps_the_replaced_file() {
    let hall = uncapped();
    let mut d = hall.start();
    assert_eq!(take(&d).await.0, 201);
    let copy = hall.path().join("one-ticket.db");
    let out = qcall(&["db", "backup", "--db", arg(&hall.db), "--to", arg(&copy)]);
    assert!(out.status.success());
    assert_eq!(take(&d).await.0, 201);

    let out = qcall(&["db", "restore", "--from", arg(&copy), "--db", arg(&hall.db)]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "restored under a running daemon");
    assert!(
        err.contains(&format!("pid {}", d.child.id())),
        "names the daemon: {err}"
    );
    // Nothing changed: the daemon still has both tickets, so the next is
    // the third.
    let health = d.conn().await.get("/healthz").await.unwrap();
    assert_eq!(health.status, 200, "{}", health.body);
    let third = take(&d).await;
    assert_eq!(third.0, 201);
    assert_eq!(third.1["ticket"]["number"], "A003", "{}", third.1);

    d.kill();
    let out = qcall(&["db", "restore", "--from", arg(&copy), "--db", arg(&hall.db)]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let said = stdout(&out);
    assert!(said.contains("kept as"), "{said}");
    let kept: Vec<_> = std::fs::read_dir(hall.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().contains("hall.db.replaced-"))
        .filter(|p| !p.to_string_lossy().ends_with("-wal"))
        .collect();
    assert_eq!(kept.len(), 1, "{kept:?}");
    let count = |db: &Path| {
        let out = qcall(&["db", "check", "--db", arg(db)]);
        assert!(out.status.success(), "{}", stdout(&out));
        stdout(&out)
    };
    assert!(count(&hall.db).contains(" 1 tickets"), "restored");
    assert!(count(&kept[0]).contains(" 3 tickets"), "kept");

    // The restored hall serves, numbering on from the backup's state.
    let d = hall.start();
    let (status, body) = take(&d).await;
    assert_eq!(status, 201);
    assert_eq!(body["ticket"]["number"], "A002");
}

#[tokio::test]
async fn scheduled_backups_are_taken_while_serving_and_shown_on_healthz() {
    let hall = Hall::with(|c| {
        c.server.kiosk_rate_per_minute = 0;
        c.backup.every_minutes = 60;
        c.backup.keep = 2;
    });
    let dir = hall.path().join("backups");
    // Two old copies and a stranger: after the new copy, one old one goes.
    std::fs::create_dir_all(&dir).unwrap();
    for name in [
        "hall-20200101T000000Z.db",
        "hall-20200102T000000Z.db",
        "notes.txt",
    ] {
        std::fs::write(dir.join(name), b"").unwrap();
    }
    let d = hall.start();
    let mut c = d.conn().await;
    // The first copy is due at once (the newest is years old); wait for
    // /healthz to report it.
    let deadline = Instant::now() + FRAME_TIMEOUT;
    let last = loop {
        let h = c.get("/healthz").await.unwrap();
        if !h.body["last_backup"].is_null() {
            break h.body["last_backup"].clone();
        }
        assert!(Instant::now() < deadline, "no backup reported: {}", h.body);
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(last["ok"], true, "{last}");
    let file = dir.join(last["file"].as_str().unwrap());
    let check = qcall(&["db", "check", "--db", arg(&file)]);
    assert!(check.status.success(), "{}", stdout(&check));
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "hall-20200102T000000Z.db",
            last["file"].as_str().unwrap(),
            "notes.txt"
        ]
    );
}

#[tokio::test]
async fn a_database_of_the_last_release_upgrades_and_passes_db_check() {
    // v4.sqlite: the schema and rows of the release before this one
    // (crates/qcall-store/testdata/make-fixtures.sh).
    let hall = uncapped();
    std::fs::copy(
        root().join("crates/qcall-store/testdata/v4.sqlite"),
        &hall.db,
    )
    .unwrap();
    let before = qcall(&["db", "check", "--db", arg(&hall.db)]);
    assert!(before.status.success(), "{}", stdout(&before));
    assert!(stdout(&before).contains("schema v4"), "{}", stdout(&before));

    let mut d = hall.start();
    assert_eq!(take(&d).await.0, 201);
    // An applicant's ticket of that release reads back.
    let old = d.conn().await.get("/api/v1/tickets/8").await.unwrap();
    assert_eq!(old.status, 200, "{}", old.body);
    assert_eq!(old.body["ticket"]["number"], "A001");
    d.kill();

    let after = qcall(&["db", "check", "--db", arg(&hall.db)]);
    assert!(after.status.success(), "{}", stdout(&after));
    assert!(
        stdout(&after).contains(&format!("schema v{}", qcall_store::SCHEMA_VERSION)),
        "{}",
        stdout(&after)
    );
    // The file as the last release left it was copied before the upgrade.
    let kept: Vec<PathBuf> = std::fs::read_dir(hall.path().join("backups"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with(&format!("hall-before-v{}-", qcall_store::SCHEMA_VERSION))
        })
        .collect();
    assert_eq!(kept.len(), 1, "{kept:?}");
    let copy = qcall(&["db", "check", "--db", arg(&kept[0])]);
    assert!(copy.status.success(), "{}", stdout(&copy));
    assert!(stdout(&copy).contains("schema v4"), "{}", stdout(&copy));
    // A current file is not copied again at the next start.
    drop(hall.start());
    assert_eq!(
        std::fs::read_dir(hall.path().join("backups"))
            .unwrap()
            .filter(|e| e
                .as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .contains("before"))
            .count(),
        1
    );
}

#[tokio::test]
async fn a_storage_failure_is_logged_once() {
    let hall = uncapped();
    let mut child = Command::new(qcall_bin())
        .args(["serve", "--listen", "127.0.0.1:0", "--config"])
        .arg(&hall.config)
        .arg("--db")
        .arg(&hall.db)
        .env("RUST_LOG", "error")
        .env("NO_COLOR", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let url = line.trim().rsplit(' ').next().unwrap().to_owned();
    let mut d = Daemon { child, url };
    assert_eq!(take(&d).await.0, 201);
    // Another connection makes the next commit fail inside SQLite.
    rusqlite::Connection::open(&hall.db)
        .unwrap()
        .execute_batch(
            "CREATE TRIGGER no_tickets BEFORE INSERT ON events \
             BEGIN SELECT RAISE(ABORT, 'refused by the test'); END;",
        )
        .unwrap();
    let (status, body) = take(&d).await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(body["error"]["code"], "storage_unavailable");
    d.kill();
    let mut log = String::new();
    std::io::Read::read_to_string(&mut BufReader::new(stderr), &mut log).unwrap();
    let errors: Vec<&str> = log.lines().filter(|l| l.contains("ERROR")).collect();
    assert_eq!(errors.len(), 1, "one line for one failure: {errors:#?}");
    assert!(errors[0].contains("refused by the test"), "{}", errors[0]);
}
