//! Text messages through the hall's gateway: queued in the outbox with the
//! event that made them due, retried while the gateway is down, delivered
//! at least once across a kill -9, each request carrying the message's
//! idempotency key.

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
    let (rx, task) = gateway_with(listener, None, move |n| {
        if n < refuse {
            Answer::Refuse
        } else {
            Answer::Ok
        }
    });
    (body_only(rx), task)
}

/// Only the bodies of what a gateway saw, `"refused": true` added to those
/// it refused.
fn body_only(mut rx: mpsc::UnboundedReceiver<Seen>) -> mpsc::UnboundedReceiver<Value> {
    let (tx, out) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Some(mut seen) = rx.recv().await {
            if seen.answer == Answer::Refuse {
                seen.body["refused"] = json!(true);
            }
            if tx.send(seen.body).is_err() {
                return;
            }
        }
    });
    out
}

/// How the test gateway answers its `n`th request (from 0).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Answer {
    /// 200: taken.
    Ok,
    /// 503: not taken.
    Refuse,
    /// Read the request and never answer (the connection stays open).
    Hang,
}

/// One request as the test gateway saw it.
#[derive(Debug, Clone)]
pub(crate) struct Seen {
    pub body: Value,
    /// The `Idempotency-Key` header.
    pub key: Option<String>,
    pub answer: Answer,
}

/// A gateway on `listener` (HTTPS when `tls` is given) that answers its
/// `n`th request as `answer(n)` says and hands over each request as it is
/// read, before answering.
pub(crate) fn gateway_with(
    listener: TcpListener,
    tls: Option<tokio_rustls::TlsAcceptor>,
    answer: impl Fn(usize) -> Answer + Send + Sync + 'static,
) -> (mpsc::UnboundedReceiver<Seen>, tokio::task::JoinHandle<()>) {
    let (tx, rx) = mpsc::unbounded_channel();
    let seen = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let answer = std::sync::Arc::new(answer);
    let task = tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            let (tx, seen, answer, tls) = (tx.clone(), seen.clone(), answer.clone(), tls.clone());
            tokio::spawn(async move {
                match tls {
                    None => serve_gateway(socket, tx, seen, answer).await,
                    Some(tls) => {
                        if let Ok(stream) = tls.accept(socket).await {
                            serve_gateway(stream, tx, seen, answer).await;
                        }
                    }
                }
            });
        }
    });
    (rx, task)
}

async fn serve_gateway<S, F>(
    mut socket: S,
    tx: mpsc::UnboundedSender<Seen>,
    seen: std::sync::Arc<std::sync::atomic::AtomicUsize>,
    answer: std::sync::Arc<F>,
) where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
    F: Fn(usize) -> Answer,
{
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
        let header = |name: &str| {
            head.lines()
                .find_map(|l| l.strip_prefix(&format!("{name}:")))
                .map(|v| v.trim().to_owned())
        };
        let len: usize = header("content-length")
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        if buf.len() < end + 4 + len {
            continue;
        }
        let body: Value =
            serde_json::from_slice(&buf[end + 4..end + 4 + len]).unwrap_or(Value::Null);
        let n = seen.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let how = answer(n);
        let _ = tx.send(Seen {
            body,
            key: header("idempotency-key"),
            answer: how,
        });
        let reply: &[u8] = match how {
            Answer::Ok => b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n",
            Answer::Refuse => b"HTTP/1.1 503 Service Unavailable\r\ncontent-length: 0\r\n\r\n",
            Answer::Hang => {
                // Hold the connection, answering nothing, until the peer goes.
                while matches!(socket.read(&mut chunk).await, Ok(n) if n > 0) {}
                return;
            }
        };
        let _ = socket.write_all(reply).await;
        buf.drain(..end + 4 + len);
    }
}

/// Takes three tickets of service A; returns the id and key of the last
/// (two ahead of it; its holder leaves the phone number).
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

pub(crate) async fn next_seen<T>(rx: &mut mpsc::UnboundedReceiver<T>) -> T {
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
    let near = next_seen(&mut rx).await;
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
    let called = next_seen(&mut rx).await;
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
    let ready = next_seen(&mut rx).await;
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
    let first = next_seen(&mut rx).await;
    assert_eq!(
        (first["kind"].clone(), first["refused"].clone()),
        (json!("near"), json!(true))
    );
    let second = next_seen(&mut rx).await;
    assert_eq!(
        second["id"], first["id"],
        "the refused message again: {second}"
    );
    assert_eq!(second["refused"], true);
    let third = next_seen(&mut rx).await;
    assert_eq!(third["id"], first["id"], "and again: {third}");
    assert_eq!(third["refused"], Value::Null, "taken this time");
    // Taken: the next message through the gateway is the next one due.
    c.post("/api/v1/counters/1/call-next", Some(&token), &json!({}))
        .await
        .unwrap();
    c.post("/api/v1/counters/1/call-next", Some(&token), &json!({}))
        .await
        .unwrap();
    let called = next_seen(&mut rx).await;
    assert_eq!(
        called["kind"], "called",
        "the taken message is not repeated: {called}"
    );
}

/// A hall whose gateway is `webhook`, texting when one is ahead.
fn texting_hall(webhook: String, ca_file: Option<std::path::PathBuf>) -> Hall {
    Hall::with(|c| {
        c.server.kiosk_rate_per_minute = 0;
        c.notify.webhook = webhook;
        c.notify.ca_file = ca_file.unwrap_or_default();
        c.notify.ahead = 1;
        c.notify.retry_ms = 50;
    })
}

/// Leaves a phone number on a ticket with two ahead and calls one: the
/// ticket's "near" text is due. Returns the ticket's id.
async fn near_text_due(d: &Daemon, token: &str) -> u64 {
    let mut c = d.conn().await;
    let (mine, key) = third_ticket(&mut c).await;
    let r = c
        .post(
            &format!("/api/v1/tickets/{mine}/notify"),
            None,
            &json!({"phone": "13812345678", "ticket_key": key}),
        )
        .await
        .unwrap();
    assert_eq!(r.status.as_u16(), 200, "{}", r.body);
    c.post("/api/v1/counters/1/call-next", Some(token), &json!({}))
        .await
        .unwrap();
    mine
}

/// The gateway takes the request and never answers; the daemon is killed
/// at that moment and restarted on the same database. The text reaches the
/// gateway again (at least once), with the same idempotency key in the
/// header and the body, and once answered is never sent again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_delivery_cut_by_kill_9_comes_again_with_the_same_key_and_is_answered_once() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let (mut rx, _gw) = gateway_with(listener, None, |n| {
        if n == 0 { Answer::Hang } else { Answer::Ok }
    });
    let hall = texting_hall(format!("http://127.0.0.1:{port}/sms/send"), None);
    let mut d = hall.start();
    let token = hall.counter_token("1");
    let mine = near_text_due(&d, &token).await;

    let first = next_seen(&mut rx).await;
    assert_eq!(first.answer, Answer::Hang);
    assert_eq!(first.body["kind"], "near", "{:?}", first.body);
    let key = first.key.clone().expect("an Idempotency-Key header");
    assert_eq!(
        first.body["idempotency_key"],
        json!(key),
        "the same key in the body"
    );
    assert_eq!(
        key,
        first.body["id"].to_string(),
        "the key is the outbox id"
    );
    // The gateway holds the request unanswered: the daemon dies now.
    d.kill();
    let d = hall.start();

    let again = next_seen(&mut rx).await;
    assert_eq!(again.answer, Answer::Ok);
    assert_eq!(again.key.as_deref(), Some(key.as_str()), "{:?}", again.body);
    assert_eq!(again.body["idempotency_key"], json!(key));
    assert_eq!(again.body["message"], first.body["message"]);

    // Answered: the next request the gateway sees is the next text, with a
    // key of its own, never the answered one a third time.
    let mut c = d.conn().await;
    for _ in 0..2 {
        c.post("/api/v1/counters/1/call-next", Some(&token), &json!({}))
            .await
            .unwrap();
    }
    let called = next_seen(&mut rx).await;
    assert_eq!(
        (called.body["kind"].clone(), called.body["ticket"].clone()),
        (json!("called"), json!(mine)),
        "the answered text was not sent again: {:?}",
        called.body
    );
    assert_ne!(called.key.as_deref(), Some(key.as_str()));
    assert_eq!(called.body["idempotency_key"], json!(called.key.unwrap()));
}

/// A certificate authority of the hall's own and a gateway certificate for
/// 127.0.0.1 signed by it: (the CA in PEM, a TLS acceptor for the gateway).
fn private_ca() -> (String, tokio_rustls::TlsAcceptor) {
    use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair};
    let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.distinguished_name
        .push(rcgen::DnType::CommonName, "Example hall test CA");
    let ca_key = KeyPair::generate().unwrap();
    let ca_cert = ca.self_signed(&ca_key).unwrap();
    let issuer = Issuer::new(ca, ca_key);
    let leaf_key = KeyPair::generate().unwrap();
    let leaf = CertificateParams::new(vec!["127.0.0.1".to_owned()])
        .unwrap()
        .signed_by(&leaf_key, &issuer)
        .unwrap();
    let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(
            vec![leaf.der().clone()],
            rustls::pki_types::PrivatePkcs8KeyDer::from(leaf_key.serialize_der()).into(),
        )
        .unwrap();
    (
        ca_cert.pem(),
        tokio_rustls::TlsAcceptor::from(std::sync::Arc::new(config)),
    )
}

/// An `https://` gateway whose certificate comes from the hall's own CA
/// receives the text once `[notify] ca_file` names that CA.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_https_gateway_with_a_private_ca_receives_the_text() {
    let (ca_pem, acceptor) = private_ca();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let (mut rx, _gw) = gateway_with(listener, Some(acceptor), |_| Answer::Ok);
    let ca_dir = tempfile::tempdir().unwrap();
    let ca_file = ca_dir.path().join("hall-ca.pem");
    std::fs::write(&ca_file, ca_pem).unwrap();
    let hall = texting_hall(format!("https://127.0.0.1:{port}/sms/send"), Some(ca_file));
    let d = hall.start();
    let token = hall.counter_token("1");
    let mine = near_text_due(&d, &token).await;
    let seen = next_seen(&mut rx).await;
    assert_eq!(
        (seen.body["kind"].clone(), seen.body["ticket"].clone()),
        (json!("near"), json!(mine))
    );
    assert_eq!(seen.key, Some(seen.body["id"].to_string()));
}

/// Without the CA the same gateway is not trusted: the TLS handshake
/// fails and nothing reaches it (the daemon keeps the text and says why).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_https_gateway_with_an_unknown_ca_is_not_trusted() {
    let (_, acceptor) = private_ca();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let (failed_tx, mut failed) = mpsc::unbounded_channel();
    let _gw = tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            let result = acceptor.accept(socket).await.map(|_| ());
            let _ = failed_tx.send(result.map_err(|e| e.to_string()));
        }
    });
    let hall = texting_hall(format!("https://127.0.0.1:{port}/sms/send"), None);
    let d = hall.start();
    let token = hall.counter_token("1");
    near_text_due(&d, &token).await;
    // Two attempts, both refused by the daemon during the handshake.
    for _ in 0..2 {
        let handshake = next_seen(&mut failed).await;
        assert!(
            handshake.is_err(),
            "the daemon completed a TLS handshake with an untrusted gateway"
        );
    }
}

/// The wait as README says the range is worded, from the API's own
/// `estimated_wait_range_s` (seconds): "马上" when the range ends within 5
/// minutes, else whole minutes, the low end rounded down and the high end
/// up: "N 分钟以内" when the low end is under a minute, "约 N 分钟" when
/// both round to one figure, "约 LOW-HIGH 分钟" otherwise.
fn wait_words_zh(low_s: u64, high_s: u64) -> String {
    if high_s <= 300 {
        return "马上".to_owned();
    }
    let (low, high) = (low_s / 60, high_s.div_ceil(60));
    match low {
        0 => format!("{high} 分钟以内"),
        _ if low >= high => format!("约 {high} 分钟"),
        _ => format!("约 {low}-{high} 分钟"),
    }
}

/// The "near" text carries the wait's range as the ticket's own API says
/// it at that moment: the daemon's clock stands still (test clock), so
/// `GET /tickets/{id}` after the text arrives describes the hall the text
/// was written in, and the words are worked out here from its
/// `estimated_wait_range_s`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_near_text_says_the_wait_range_the_ticket_api_gives() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let (mut rx, _gw) = gateway(listener).await;
    let hall = Hall::with(|c| {
        c.server.kiosk_rate_per_minute = 0;
        c.notify.webhook = format!("http://127.0.0.1:{port}/sms/send");
        c.notify.ahead = 3;
        c.notify.retry_ms = 50;
    });
    // 2026-11-23, a Monday, 09:00 in Shanghai: inside the demo's hours.
    let d = hall.start_at(1_795_363_200_000 + 9 * 3_600_000);
    let token = hall.counter_token("1");
    let mut c = d.conn().await;
    // Five A tickets; the fifth leaves a number. One call at counter 1
    // (the only counter open, 8 minutes a call as configured) leaves
    // three ahead of it: the "near" text is due.
    let mut mine = (0, String::new());
    for _ in 0..5 {
        let r = c
            .post("/api/v1/tickets", None, &json!({"service": "A"}))
            .await
            .unwrap();
        assert_eq!(r.status.as_u16(), 201, "{}", r.body);
        let t = &r.body["ticket"];
        mine = (
            t["id"].as_u64().unwrap(),
            t["ticket_key"].as_str().unwrap().to_owned(),
        );
    }
    let (id, key) = mine;
    let r = c
        .post(
            &format!("/api/v1/tickets/{id}/notify"),
            None,
            &json!({"phone": "13812345678", "ticket_key": key}),
        )
        .await
        .unwrap();
    assert_eq!(r.status.as_u16(), 200, "{}", r.body);
    let r = c
        .post("/api/v1/counters/1/call-next", Some(&token), &json!({}))
        .await
        .unwrap();
    assert_eq!(r.status.as_u16(), 200, "{}", r.body);

    let near = next_seen(&mut rx).await;
    assert_eq!(
        (near["kind"].clone(), near["ticket"].clone()),
        (json!("near"), json!(id))
    );
    let message = near["message"].as_str().unwrap();
    let ticket = c
        .get(&format!("/api/v1/tickets/{id}?k={key}"))
        .await
        .unwrap();
    assert_eq!(ticket.status.as_u16(), 200, "{}", ticket.body);
    let t = &ticket.body["ticket"];
    assert_eq!(t["ahead"], 3, "{t}");
    assert_eq!(t["no_counter_open"], false, "{t}");
    let range = t["estimated_wait_range_s"].as_array().unwrap();
    let (low, high) = (range[0].as_u64().unwrap(), range[1].as_u64().unwrap());
    let words = wait_words_zh(low, high);
    assert!(
        words.starts_with('约') && words.contains('-'),
        "three ahead at 8 minutes a call is a range of minutes, not {words:?} ({low}-{high} s)"
    );
    assert_eq!(t["estimated_wait_text"]["zh"], json!(words), "{t}");
    assert!(
        message.contains(&format!("前面还有 3 人，预计等候 {words}，")),
        "{words:?} not in the text {message:?}"
    );
}
