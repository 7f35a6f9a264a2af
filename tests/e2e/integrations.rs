//! What integrators and operators were told, checked against the daemon:
//! the client address behind a trusted reverse proxy, no credential in the
//! log at any level, and device health in a display's first snapshot.

use std::net::SocketAddr;

use bytes::Bytes;
use http_body_util::Full;
use hyper::{Request, StatusCode};
use hyper_util::rt::TokioIo;
use serde_json::json;
use tokio::net::TcpSocket;

use super::*;

/// `POST /api/v1/tickets` from the local address `from` (any 127.0.0.x),
/// with an `X-Forwarded-For` header when given.
async fn ticket_from(d: &Daemon, from: &str, forwarded_for: Option<&str>) -> StatusCode {
    let server: SocketAddr = d.url.trim_start_matches("http://").parse().unwrap();
    let socket = TcpSocket::new_v4().unwrap();
    socket
        .bind(SocketAddr::new(from.parse().unwrap(), 0))
        .unwrap();
    let stream = socket.connect(server).await.unwrap();
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .unwrap();
    tokio::spawn(conn);
    let mut req = Request::post("/api/v1/tickets")
        .header("host", server.to_string())
        .header("content-type", "application/json");
    if let Some(xff) = forwarded_for {
        req = req.header("x-forwarded-for", xff);
    }
    let body = Full::new(Bytes::from(json!({"service": "A"}).to_string()));
    sender
        .send_request(req.body(body).unwrap())
        .await
        .unwrap()
        .status()
}

/// Behind the hall's proxy (127.0.0.2), each kiosk's budget is its own,
/// keyed on the address the proxy forwards; from any other peer the header
/// is ignored, so forging it buys nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn behind_a_trusted_proxy_each_kiosk_has_its_own_rate_limit() {
    let hall = Hall::with(|c| {
        c.server.kiosk_rate_per_minute = 2;
        c.server.trusted_proxies = vec!["127.0.0.2".into()];
        c.hours.enforce = false;
    });
    let d = hall.start();
    let proxy = "127.0.0.2";
    for _ in 0..2 {
        assert_eq!(
            ticket_from(&d, proxy, Some("10.1.1.1")).await,
            StatusCode::CREATED
        );
    }
    assert_eq!(
        ticket_from(&d, proxy, Some("10.1.1.1")).await,
        StatusCode::TOO_MANY_REQUESTS,
        "kiosk 10.1.1.1 used its two"
    );
    assert_eq!(
        ticket_from(&d, proxy, Some("10.1.1.2")).await,
        StatusCode::CREATED,
        "kiosk 10.1.1.2 behind the same proxy has its own budget"
    );
    // A client that forges the header through the proxy: the proxy appends
    // the address it saw, and that one counts.
    assert_eq!(
        ticket_from(&d, proxy, Some("10.1.1.9, 10.1.1.1")).await,
        StatusCode::TOO_MANY_REQUESTS,
        "a forged left-hand hop does not reset the budget"
    );

    // 127.0.0.3 is not a trusted proxy: its header is ignored and its
    // requests share one budget, whatever they claim.
    let untrusted = "127.0.0.3";
    assert_eq!(
        ticket_from(&d, untrusted, Some("10.2.2.1")).await,
        StatusCode::CREATED
    );
    assert_eq!(
        ticket_from(&d, untrusted, Some("10.2.2.2")).await,
        StatusCode::CREATED
    );
    assert_eq!(
        ticket_from(&d, untrusted, Some("10.2.2.3")).await,
        StatusCode::TOO_MANY_REQUESTS,
        "X-Forwarded-For from an untrusted peer must be ignored"
    );
}

/// A daemon for `hall` whose log (stderr) goes to a file, at `rust_log`.
fn start_logged(hall: &Hall, rust_log: &str) -> (Daemon, PathBuf) {
    let log = hall.path().join("daemon.log");
    let mut child = Command::new(qcall_bin())
        .args(["serve", "--listen", "127.0.0.1:0", "--config"])
        .arg(&hall.config)
        .arg("--db")
        .arg(&hall.db)
        .env("RUST_LOG", rust_log)
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .expect("cannot start qcall serve");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let url = line
        .trim()
        .rsplit(' ')
        .next()
        .unwrap_or_default()
        .to_owned();
    assert!(
        url.starts_with("http://127.0.0.1:"),
        "daemon did not start: {line:?}"
    );
    (Daemon { child, url }, log)
}

/// With every log level on, a counter signs in over the websocket and
/// acts over HTTP with its token: the token appears nowhere in the log
/// (tungstenite logs each frame it reads at `trace`, the auth frame too).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_token_reaches_the_log_even_at_trace() {
    let hall = Hall::demo();
    let token = hall.counter_token("1");
    let (mut d, log) = start_logged(&hall, "trace");
    let mut ws = d.counter_socket(&token).await;
    ws.send(json!({"type": "call-next", "id": 1})).await;
    ws.next_of("result").await;
    let mut c = d.conn().await;
    let who = c
        .send(hyper::Method::GET, "/api/v1/whoami", Some(&token), None)
        .await
        .unwrap();
    assert_eq!(who.status.as_u16(), 200, "{}", who.body);
    let r = c
        .post("/api/v1/counters/1/call-next", Some(&token), &json!({}))
        .await
        .unwrap();
    assert!(r.status.is_success(), "{}", r.body);
    // A token that is refused is a credential too.
    let refused = "qc_0123456789abcdef0123456789abcdef";
    let r = c
        .post("/api/v1/counters/1/call-next", Some(refused), &json!({}))
        .await
        .unwrap();
    assert_eq!(r.status.as_u16(), 401);
    drop(ws);
    d.kill();
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(
        text.contains("counter socket authenticated"),
        "the log is not at debug/trace level, so the test proves nothing:\n{text}"
    );
    for secret in [token.as_str(), refused] {
        let shown: Vec<&str> = text.lines().filter(|l| l.contains(secret)).collect();
        assert!(shown.is_empty(), "a token reached the log: {shown:#?}");
    }
}

/// A printer fails (it points at a closed loopback port); a display that
/// connects afterwards learns it from its first snapshot, in the shape of
/// the `printer_state` notice it missed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_display_connecting_after_a_printer_failed_learns_it_from_the_snapshot() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let hall = Hall::with(|c| {
        c.server.kiosk_rate_per_minute = 0;
        c.hours.enforce = false;
        let kiosk = c.printers.iter_mut().find(|p| p.id == "kiosk-1").unwrap();
        kiosk.uri = format!("tcp://127.0.0.1:{closed}");
        kiosk.timeout_ms = 500;
    });
    let d = hall.start();
    let (_, printed) = d
        .take_and_print(&json!({"service": "A", "source": "kiosk-1"}))
        .await;
    assert_eq!(printed["status"], "failed", "{printed}");

    let mut display = d.display("").await;
    let snapshot = display.next_of("snapshot").await;
    let printers = snapshot["devices"]["printers"]
        .as_array()
        .unwrap_or_else(|| panic!("no devices.printers in the snapshot: {snapshot}"));
    let kiosk = printers
        .iter()
        .find(|p| p["printer"] == "kiosk-1")
        .unwrap_or_else(|| panic!("kiosk-1 missing: {printers:?}"));
    assert_eq!(kiosk["state"], "unreachable", "{kiosk}");
    // Found down by the start-up check, the ticket was not even sent.
    assert_eq!(kiosk["printed"], 0, "{kiosk}");
    assert!(
        kiosk["detail"].is_string(),
        "a reason a guide can act on: {kiosk}"
    );
    let other = printers.iter().find(|p| p["printer"] == "hall").unwrap();
    assert_ne!(
        other["state"], "unreachable",
        "the file printer is fine: {other}"
    );
    assert_eq!(
        snapshot["devices"]["audio"],
        Value::Null,
        "audio is off in tests"
    );
}
