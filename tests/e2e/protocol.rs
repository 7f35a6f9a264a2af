//! Protocol corners that third-party clients hit: the websocket closing
//! handshake, errors axum answers before any handler (405, 413) in the one
//! JSON shape, and pages for things that do not exist.

use futures_util::{SinkExt, StreamExt};
use hyper::Method;
use serde_json::json;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

use super::*;

#[tokio::test]
async fn a_client_close_is_answered_with_a_close_frame() {
    let hall = Hall::demo();
    let d = hall.start();
    let mut display = d.display("").await;
    display.next_of("snapshot").await;
    let frame = CloseFrame {
        code: CloseCode::Normal,
        reason: "bye".into(),
    };
    display
        .socket
        .send(Message::Close(Some(frame)))
        .await
        .unwrap();
    // RFC 6455 §5.5.1: the server answers with a Close of its own before
    // dropping TCP. Without it the client sees the stream end (1006).
    let answer = loop {
        match tokio::time::timeout(FRAME_TIMEOUT, display.socket.next())
            .await
            .expect("no answer within the timeout")
        {
            Some(Ok(Message::Close(c))) => break c,
            Some(Ok(_)) => continue,
            other => panic!("the server dropped the socket without a Close: {other:?}"),
        }
    };
    assert_eq!(answer.map(|c| c.code), Some(CloseCode::Normal));
}

#[tokio::test]
async fn a_wrong_method_and_an_oversized_body_are_json_errors() {
    let hall = Hall::demo();
    let d = hall.start();
    let mut c = d.conn().await;

    let r = c
        .send(Method::DELETE, "/api/v1/services", None, None)
        .await
        .unwrap();
    assert_eq!(r.status, 405);
    assert_eq!(
        r.body["error"]["code"], "method_not_allowed",
        "{:?}",
        r.body
    );

    // A kiosk (or an attacker) announces 3 MiB: the answer comes at once,
    // from the length alone, in the usual JSON shape.
    let (status, body) = super::failures::raw(
        &d,
        &format!(
            "POST /api/v1/tickets HTTP/1.1\r\nContent-Type: application/json\r\nContent-Length: {}",
            3 << 20
        ),
        "{\"service\":\"A\",\"source\":\"xxxx",
    )
    .await;
    assert_eq!(status, 413, "{body}");
    let body: Value = serde_json::from_str(&body).expect("a JSON error body");
    assert_eq!(body["error"]["code"], "body_too_large", "{body}");
    assert!(
        body.to_string().len() < 1000,
        "the error does not echo the body back"
    );
    // Nothing was issued by the refused request.
    let queue = c.get("/api/v1/services").await.unwrap();
    let issued: u64 = queue.body["services"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["issued_today"].as_u64().unwrap())
        .sum();
    assert_eq!(issued, 0);
}

#[tokio::test]
async fn pages_for_unknown_tickets_and_counters_answer_404() {
    let hall = Hall::demo();
    let d = hall.start();
    let mut c = d.conn().await;
    let t = c
        .post("/api/v1/tickets", None, &json!({"service": "A"}))
        .await
        .unwrap();
    let id = t.body["ticket"]["id"].as_i64().unwrap();
    let status = |path: String| {
        let d = &d;
        async move {
            let mut c = d.conn().await;
            c.send_raw(Method::GET, &path, None, None).await.unwrap().0
        }
    };
    assert_eq!(status(format!("/t/{id}")).await, 200);
    assert_eq!(status(format!("/t/{}", id + 1000)).await, 404);
    assert_eq!(status("/t/not-a-ticket".into()).await, 404);
    assert_eq!(status("/rate/1".into()).await, 200);
    assert_eq!(status("/rate/no-such-counter".into()).await, 404);
}
