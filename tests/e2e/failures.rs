//! The refusals a hall sees on a bad day, each through the real daemon:
//! what the client is told (status and code), and that nothing changed.

use std::time::Duration;

use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::*;

/// One raw HTTP/1.1 request with the headers given; returns the status
/// and the body. For what the typed client cannot send (a wrong media type).
/// `head` may set its own Content-Length (to announce more than is sent).
pub(super) async fn raw(d: &Daemon, head: &str, body: &str) -> (u16, String) {
    let addr = d.url.trim_start_matches("http://").to_owned();
    let mut s = tokio::net::TcpStream::connect(&addr).await.unwrap();
    let length = if head.contains("Content-Length") {
        String::new()
    } else {
        format!("Content-Length: {}\r\n", body.len())
    };
    let req = format!("{head}\r\nHost: {addr}\r\n{length}Connection: close\r\n\r\n{body}");
    s.write_all(req.as_bytes()).await.unwrap();
    let mut out = Vec::new();
    tokio::time::timeout(FRAME_TIMEOUT, s.read_to_end(&mut out))
        .await
        .expect("no answer")
        .unwrap();
    let text = String::from_utf8_lossy(&out).into_owned();
    let status = text[9..12].parse().unwrap();
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    (status, body)
}

async fn issued_today(c: &mut Conn) -> u64 {
    let s = c.get("/api/v1/services").await.unwrap();
    s.body["services"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["issued_today"].as_u64().unwrap())
        .sum()
}

#[tokio::test]
async fn a_closed_counter_and_a_transfer_to_its_own_service_are_409() {
    let hall = Hall::demo();
    let d = hall.start();
    let token = hall.counter_token("1");
    let mut c = d.conn().await;
    let r = c
        .post("/api/v1/counters/1/pause", Some(&token), &json!({}))
        .await
        .unwrap();
    assert_eq!(r.status, 409, "{:?}", r.body);
    assert_eq!(r.body["error"]["code"], "counter_closed");

    c.post("/api/v1/counters/1/open", Some(&token), &json!({}))
        .await
        .unwrap();
    let t = c
        .post("/api/v1/tickets", None, &json!({"service": "A"}))
        .await
        .unwrap();
    assert_eq!(t.status, 201);
    let called = c
        .post("/api/v1/counters/1/call-next", Some(&token), &json!({}))
        .await
        .unwrap();
    assert_eq!(called.body["ticket"]["number"], "A001");
    let r = c
        .post(
            "/api/v1/counters/1/transfer",
            Some(&token),
            &json!({"service": "A"}),
        )
        .await
        .unwrap();
    assert_eq!(r.status, 409, "{:?}", r.body);
    assert_eq!(r.body["error"]["code"], "transfer_to_same");
    // Refused: the ticket is still called at counter 1.
    let id = t.body["ticket"]["id"].as_i64().unwrap();
    let now = c.get(&format!("/api/v1/tickets/{id}")).await.unwrap();
    assert_eq!(now.body["ticket"]["state"], "called");
}

#[tokio::test]
async fn printing_in_a_hall_without_printers_is_409_no_printer() {
    let hall = Hall::with(|c| {
        c.server.kiosk_rate_per_minute = 0;
        c.printers.clear();
        c.print.notice_printer = String::new();
    });
    let d = hall.start();
    let guide = hall.token(&["--guide", "wang"]);
    let mut c = d.conn().await;
    let t = c
        .post("/api/v1/tickets", None, &json!({"service": "A"}))
        .await
        .unwrap();
    assert_eq!(t.body["print"], "none", "{:?}", t.body);
    let id = t.body["ticket"]["id"].as_i64().unwrap();
    let r = c
        .post(
            &format!("/api/v1/tickets/{id}/reprint"),
            Some(&guide),
            &json!({}),
        )
        .await
        .unwrap();
    assert_eq!(r.status, 409, "{:?}", r.body);
    assert_eq!(r.body["error"]["code"], "no_printer");
}

#[tokio::test]
async fn a_body_that_is_not_json_is_415_and_issues_nothing() {
    let hall = Hall::demo();
    let d = hall.start();
    let (status, body) = raw(
        &d,
        "POST /api/v1/tickets HTTP/1.1\r\nContent-Type: text/plain",
        r#"{"service":"A"}"#,
    )
    .await;
    assert_eq!(status, 415, "{body}");
    let body: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(body["error"]["code"], "not_json");
    let mut c = d.conn().await;
    assert_eq!(issued_today(&mut c).await, 0);
}

/// The database is locked by someone else (a backup tool, a careless
/// `sqlite3` session): the kiosk hears 503 with a sentence it can show, no
/// number is handed out, and once the lock goes the next ticket is A001.
#[tokio::test]
async fn a_locked_database_is_503_and_loses_no_number() {
    let hall = Hall::demo();
    let d = hall.start();
    let mut c = d.conn().await;
    let lock = rusqlite::Connection::open(&hall.db).unwrap();
    lock.busy_timeout(Duration::from_secs(10)).unwrap();
    lock.execute_batch("BEGIN EXCLUSIVE").unwrap();
    let r = c
        .post("/api/v1/tickets", None, &json!({"service": "A"}))
        .await
        .unwrap();
    assert_eq!(r.status, 503, "{:?}", r.body);
    assert_eq!(r.body["error"]["code"], "storage_unavailable");
    assert!(
        !r.body.to_string().contains("locked"),
        "internals stay in the log: {:?}",
        r.body
    );
    lock.execute_batch("ROLLBACK").unwrap();
    drop(lock);
    let r = c
        .post("/api/v1/tickets", None, &json!({"service": "A"}))
        .await
        .unwrap();
    assert_eq!(r.status, 201, "{:?}", r.body);
    assert_eq!(r.body["ticket"]["number"], "A001");
    assert_eq!(issued_today(&mut c).await, 1);
}
