//! Text messages through the hall's gateway: queued in the outbox with the
//! event that made them due, retried while the gateway is down, and
//! delivered exactly once across a kill -9.

use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::sync::mpsc;

use super::*;

/// A minimal HTTP gateway on 127.0.0.1 that accepts every POST and hands
/// over its JSON body; aborting the handle closes its port.
async fn gateway(
    listener: TcpListener,
) -> (mpsc::UnboundedReceiver<Value>, tokio::task::JoinHandle<()>) {
    gateway_refusing(listener, 0).await
}

/// The same gateway answering `503` to its first `refuse` requests (each
/// still handed over, with `"refused": true` added).
async fn gateway_refusing(
    listener: TcpListener,
    refuse: usize,
) -> (mpsc::UnboundedReceiver<Value>, tokio::task::JoinHandle<()>) {
    let (tx, rx) = mpsc::unbounded_channel();
    let seen = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let task = tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let tx = tx.clone();
            let seen = seen.clone();
            tokio::spawn(async move {
                let mut buf = Vec::new();
                let mut chunk = [0u8; 4096];
                loop {
                    let Ok(n) = socket.read(&mut chunk).await else {
                        return;
                    };
                    if n == 0 {
                        return;
                    }
                    buf.extend_from_slice(&chunk[..n]);
                    let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") else {
                        continue;
                    };
                    let head = String::from_utf8_lossy(&buf[..end]).to_lowercase();
                    let len: usize = head
                        .lines()
                        .find_map(|l| l.strip_prefix("content-length:"))
                        .and_then(|v| v.trim().parse().ok())
                        .unwrap_or(0);
                    if buf.len() < end + 4 + len {
                        continue;
                    }
                    let mut body: Value =
                        serde_json::from_slice(&buf[end + 4..end + 4 + len]).unwrap_or(Value::Null);
                    let n = seen.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    let answer: &[u8] = if n < refuse {
                        body["refused"] = json!(true);
                        b"HTTP/1.1 503 Service Unavailable\r\ncontent-length: 0\r\n\r\n"
                    } else {
                        b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n"
                    };
                    let _ = socket.write_all(answer).await;
                    let _ = tx.send(body);
                    buf.drain(..end + 4 + len);
                }
            });
        }
    });
    (rx, task)
}

/// Takes three tickets of service A; returns the id of the last, which has
/// two ahead of it.
/// Takes three tickets; the third's id and key (its holder leaves the
/// phone number).
async fn third_ticket(c: &mut Conn) -> (u64, String) {
    let mut mine = (0, String::new());
    for _ in 0..3 {
        let r = c
            .post("/api/v1/tickets", None, &json!({"service": "A"}))
            .await
            .unwrap();
        let t = &r.body["ticket"];
        mine = (
            t["id"].as_u64().unwrap(),
            t["ticket_key"].as_str().unwrap().to_owned(),
        );
    }
    mine
}

async fn next_message(rx: &mut mpsc::UnboundedReceiver<Value>) -> Value {
    tokio::time::timeout(FRAME_TIMEOUT, rx.recv())
        .await
        .expect("no message reached the gateway")
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn messages_are_retried_while_the_gateway_is_down_and_delivered_once_after_a_restart() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let hall = Hall::with(|c| {
        c.server.kiosk_rate_per_minute = 0;
        c.notify.webhook = format!("http://127.0.0.1:{port}/sms/send");
        c.notify.ahead = 1;
        c.notify.retry_ms = 100;
    });
    let mut d = hall.start();
    let token = hall.counter_token("1");
    let mut c = d.conn().await;
    let (mine, key) = third_ticket(&mut c).await;
    let bad = c
        .post(
            &format!("/api/v1/tickets/{mine}/notify"),
            None,
            &json!({"phone": "12ab", "ticket_key": key}),
        )
        .await
        .unwrap();
    assert_eq!(bad.status.as_u16(), 422);
    let sub = c
        .post(
            &format!("/api/v1/tickets/{mine}/notify"),
            None,
            &json!({"phone": "13812345678", "ticket_key": key}),
        )
        .await
        .unwrap();
    assert_eq!(sub.body["phone"], "138****5678", "shown back masked");

    // One call: now one is ahead, so "near" is due while the gateway is down.
    c.post("/api/v1/counters/1/call-next", Some(&token), &json!({}))
        .await
        .unwrap();
    // The gateway comes up: the retry delivers it.
    let listener = TcpListener::bind(("127.0.0.1", port)).await.unwrap();
    let (mut rx, up) = gateway(listener).await;
    let near = next_message(&mut rx).await;
    assert_eq!(
        (
            near["kind"].clone(),
            near["ticket"].clone(),
            near["phone"].clone()
        ),
        (json!("near"), json!(mine), json!("13812345678"))
    );
    assert!(
        near["message"].as_str().unwrap().contains("前面还有 1 人"),
        "{near}"
    );

    // Gateway down again; the ticket is called; the daemon is killed.
    up.abort();
    let _ = up.await;
    c.post("/api/v1/counters/1/call-next", Some(&token), &json!({}))
        .await
        .unwrap();
    let called = c
        .post("/api/v1/counters/1/call-next", Some(&token), &json!({}))
        .await
        .unwrap();
    assert_eq!(called.body["ticket"]["id"], mine);
    d.kill();
    let listener = TcpListener::bind(("127.0.0.1", port)).await.unwrap();
    let (mut rx, _up) = gateway(listener).await;
    let d = hall.start();
    let mut c = d.conn().await;
    let called = next_message(&mut rx).await;
    assert_eq!(
        (called["kind"].clone(), called["ticket"].clone()),
        (json!("called"), json!(mine))
    );
    assert!(
        called["message"].as_str().unwrap().contains("1号窗口"),
        "{called}"
    );

    // Served, and the certificate marked ready: the last message. Anything
    // sent twice would have arrived before it.
    c.post("/api/v1/counters/1/finish", Some(&token), &json!({}))
        .await
        .unwrap();
    let r = c
        .post(
            &format!("/api/v1/tickets/{mine}/ready"),
            Some(&token),
            &json!({}),
        )
        .await
        .unwrap();
    assert_eq!(r.status.as_u16(), 200, "{}", r.body);
    let ready = next_message(&mut rx).await;
    assert_eq!(ready["kind"], "ready", "no message came twice: {ready}");
}

/// A gateway that answers with an error has not taken the message: the
/// daemon tries the same message again (same id), and once it is taken,
/// never again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_the_gateway_refuses_is_sent_again_until_it_is_taken() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let (mut rx, _up) = gateway_refusing(listener, 2).await;
    let hall = Hall::with(|c| {
        c.server.kiosk_rate_per_minute = 0;
        c.notify.webhook = format!("http://127.0.0.1:{port}/sms/send");
        c.notify.ahead = 1;
        c.notify.retry_ms = 50;
    });
    let d = hall.start();
    let token = hall.counter_token("1");
    let mut c = d.conn().await;
    let (mine, key) = third_ticket(&mut c).await;
    c.post(
        &format!("/api/v1/tickets/{mine}/notify"),
        None,
        &json!({"phone": "13812345678", "ticket_key": key}),
    )
    .await
    .unwrap();
    c.post("/api/v1/counters/1/call-next", Some(&token), &json!({}))
        .await
        .unwrap();
    let first = next_message(&mut rx).await;
    assert_eq!(
        (first["kind"].clone(), first["refused"].clone()),
        (json!("near"), json!(true))
    );
    let second = next_message(&mut rx).await;
    assert_eq!(
        second["id"], first["id"],
        "the refused message again: {second}"
    );
    assert_eq!(second["refused"], true);
    let third = next_message(&mut rx).await;
    assert_eq!(third["id"], first["id"], "and again: {third}");
    assert_eq!(third["refused"], Value::Null, "taken this time");
    // Taken: the next message through the gateway is the next one due.
    c.post("/api/v1/counters/1/call-next", Some(&token), &json!({}))
        .await
        .unwrap();
    c.post("/api/v1/counters/1/call-next", Some(&token), &json!({}))
        .await
        .unwrap();
    let called = next_message(&mut rx).await;
    assert_eq!(
        called["kind"], "called",
        "the taken message is not repeated: {called}"
    );
}
