//! Connections on a shared hall network: half-sent requests cannot take the
//! hall down, and a client that stops reading cannot keep the daemon from
//! stopping.
//!
//! These speak raw TCP on purpose (a slowloris sends one header byte; a
//! sleeping phone completes the websocket upgrade and then reads nothing);
//! the API itself is covered elsewhere. Every address is on 127.0.0.0/8.

use std::net::SocketAddr;
use std::process::Command;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};

use crate::{FRAME_TIMEOUT, Hall};

/// Half-sent requests held open from one address.
const STALLED: usize = 300;
/// The per-address cap the slowloris test configures.
const PER_IP: usize = 50;

fn addr(url: &str) -> SocketAddr {
    url.trim_start_matches("http://").parse().unwrap()
}

/// Sends `raw` from the source address `from` and reads until the server
/// closes; an error when the server reset the connection.
async fn request_from(from: &str, to: SocketAddr, raw: &str) -> std::io::Result<String> {
    let socket = TcpSocket::new_v4()?;
    socket.bind(format!("{from}:0").parse().unwrap())?;
    let mut stream = socket.connect(to).await?;
    stream.write_all(raw.as_bytes()).await?;
    let mut out = Vec::new();
    stream.read_to_end(&mut out).await?;
    Ok(String::from_utf8_lossy(&out).into_owned())
}

const TICKET: &str = "POST /api/v1/tickets HTTP/1.1\r\nHost: hall\r\nContent-Type: application/json\r\nContent-Length: 15\r\nConnection: close\r\n\r\n{\"service\":\"A\"}";

#[tokio::test]
async fn half_sent_requests_neither_block_kiosks_nor_stay_open() {
    let hall = Hall::with(|c| {
        c.server.kiosk_rate_per_minute = 0;
        c.server.max_connections_per_ip = PER_IP;
        c.server.header_timeout_s = 5;
    });
    let d = hall.start();
    let to = addr(&d.url);

    // A slowloris on 127.0.0.1: each connection sends one byte of a request
    // head and stalls.
    let mut stalled = Vec::with_capacity(STALLED);
    for _ in 0..STALLED {
        let mut s = TcpStream::connect(to).await.unwrap();
        // A connection past the cap may already be closed: that is fine.
        let _ = s.write_all(b"G").await;
        stalled.push(s);
    }

    // A kiosk elsewhere on the network still gets its ticket at once.
    let reply = tokio::time::timeout(
        Duration::from_secs(1),
        request_from("127.0.0.2", to, TICKET),
    )
    .await
    .expect("no ticket within 1 s while half-sent requests stall")
    .expect("the kiosk's connection failed");
    assert!(reply.starts_with("HTTP/1.1 201"), "{reply}");
    assert!(reply.contains("\"number\":\"A001\""), "{reply}");

    // The slowloris's own address is at its cap: a new connection from it is
    // closed without an answer.
    let refused = request_from("127.0.0.1", to, TICKET).await;
    assert!(
        !matches!(&refused, Ok(text) if !text.is_empty()),
        "a connection past the per-address cap was served: {refused:?}"
    );

    // After the header timeout the server closes every stalled connection
    // (those past the cap were closed at once).
    let reads = stalled.into_iter().map(|mut s| async move {
        let mut rest = Vec::new();
        tokio::time::timeout(FRAME_TIMEOUT, s.read_to_end(&mut rest)).await
    });
    let still_open = futures_util::future::join_all(reads)
        .await
        .into_iter()
        .filter(Result::is_err)
        .count();
    assert_eq!(
        still_open, 0,
        "half-sent requests still open long after the 5 s header timeout"
    );
}

/// A frame from a client: masked (RFC 6455 §5.3; a zero key is a valid key).
fn client_text_frame(text: &str) -> Vec<u8> {
    assert!(text.len() < 126);
    let mut f = vec![0x81, 0x80 | text.len() as u8, 0, 0, 0, 0];
    f.extend_from_slice(text.as_bytes());
    f
}

#[tokio::test]
async fn sigterm_ends_the_daemon_while_a_websocket_client_reads_nothing() {
    // A long send timeout: the daemon must stop because it was told to,
    // not because it gave up on the client first.
    let hall = Hall::with(|c| {
        c.server.kiosk_rate_per_minute = 0;
        c.server.ws_send_timeout_s = 300;
    });
    let mut d = hall.start();
    let to = addr(&d.url);

    // A phone that completes the upgrade and then falls asleep: a small
    // receive window, and it reads nothing after the 101.
    let socket = TcpSocket::new_v4().unwrap();
    socket.set_recv_buffer_size(4096).unwrap();
    let mut phone = socket.connect(to).await.unwrap();
    phone
        .write_all(
            b"GET /ws/display HTTP/1.1\r\nHost: hall\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
              Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
        )
        .await
        .unwrap();
    let mut head = [0u8; 12];
    phone.read_exact(&mut head).await.unwrap();
    assert_eq!(&head, b"HTTP/1.1 101", "the upgrade failed");

    // Its pings are answered with pongs it never reads. Once the daemon is
    // stuck writing to it, the daemon stops reading too, and the phone's
    // own writes cannot proceed: that is when the daemon's buffers are full.
    let ping = client_text_frame(r#"{"type":"ping"}"#);
    let mut batch = Vec::new();
    for _ in 0..1024 {
        batch.extend_from_slice(&ping);
    }
    let mut written = 0usize;
    loop {
        match tokio::time::timeout(Duration::from_secs(2), phone.write_all(&batch)).await {
            Ok(Ok(())) => written += batch.len(),
            Ok(Err(e)) => panic!("the daemon dropped the client early: {e}"),
            Err(_) => break,
        }
        assert!(
            written < 512 << 20,
            "the daemon read 512 MB of pings without getting stuck"
        );
    }

    let pid = d.child.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success()
    );
    let exited = tokio::task::spawn_blocking(move || {
        for _ in 0..50 {
            if let Some(status) = d.child.try_wait().unwrap() {
                std::mem::forget(d);
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        // Dropping the daemon kills it.
        None
    })
    .await
    .unwrap();
    let status = exited.expect("the daemon was still running 5 s after SIGTERM");
    assert!(status.success(), "{status:?}");
    drop(phone);
}
