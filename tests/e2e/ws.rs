//! The websocket streams: order, resync, lag, authentication.

use serde_json::json;

use super::*;

#[tokio::test]
async fn a_display_sees_issue_then_call_with_increasing_seq() {
    let hall = Hall::demo();
    let d = hall.start();
    let token = hall.counter_token("1");
    let mut display = d.display("").await;
    let snap = display.next().await;
    assert_eq!(snap["type"], "snapshot");
    assert!(snap["counters"].as_array().unwrap().len() >= 8);
    let mut c = d.conn().await;
    c.post("/api/v1/tickets", None, &json!({"service": "A"}))
        .await
        .unwrap();
    c.post("/api/v1/counters/1/call-next", Some(&token), &json!({}))
        .await
        .unwrap();
    let issued = display.next_of("ticket_issued").await;
    let called = display.next_of("ticket_called").await;
    assert_eq!(issued["ticket"]["number"], "A001");
    assert_eq!(called["ticket"]["number"], "A001");
    assert_eq!(called["ticket"]["counter"]["number"], 1);
    assert!(called["seq"].as_u64() > issued["seq"].as_u64());
    assert!(issued["seq"].as_u64() > snap["seq"].as_u64());
    let state = display.next_of("counter_state").await;
    assert_eq!(state["counter"]["state"], "calling");
}

#[tokio::test]
async fn a_display_that_reconnects_with_since_gets_exactly_what_it_missed() {
    let hall = Hall::demo();
    let d = hall.start();
    let token = hall.counter_token("1");
    let mut c = d.conn().await;
    let mut display = d.display("").await;
    // Until the snapshot arrives the server may not be subscribed yet.
    display.next_of("snapshot").await;
    c.post("/api/v1/tickets", None, &json!({"service": "A"}))
        .await
        .unwrap();
    let last_seen = display.next_of("ticket_issued").await["seq"]
        .as_u64()
        .unwrap();
    drop(display);
    // While away: two calls and a new ticket.
    c.post("/api/v1/tickets", None, &json!({"service": "A"}))
        .await
        .unwrap();
    c.post("/api/v1/counters/1/call-next", Some(&token), &json!({}))
        .await
        .unwrap();
    c.post("/api/v1/counters/1/call-next", Some(&token), &json!({}))
        .await
        .unwrap();
    let mut back = d.display(&format!("?since={last_seen}")).await;
    let mut kinds = Vec::new();
    let mut seqs = Vec::new();
    loop {
        let f = back.next().await;
        assert_ne!(
            f["type"], "snapshot",
            "the ring holds these events: no snapshot needed"
        );
        if f["type"] != "queue_changed" {
            kinds.push(f["type"].as_str().unwrap().to_owned());
            seqs.push(f["seq"].as_u64().unwrap());
        }
        if f["type"] == "ticket_called" && f["ticket"]["number"] == "A002" {
            break;
        }
    }
    assert!(seqs.windows(2).all(|w| w[0] < w[1]), "in order: {seqs:?}");
    assert_eq!(seqs[0], last_seen + 1, "nothing skipped, nothing repeated");
    assert_eq!(
        kinds.iter().filter(|k| *k == "ticket_called").count(),
        2,
        "both calls: {kinds:?}"
    );

    // Too old (before this database's log) or unknown: a fresh snapshot.
    let mut fresh = d.display("?since=999999").await;
    assert_eq!(fresh.next().await["type"], "snapshot");
}

#[tokio::test]
async fn a_lagging_display_gets_a_snapshot_not_a_disconnect() {
    // `slow` reads nothing for as long as the flood lasts (longer than the
    // default send timeout, after which a client that reads nothing at all
    // is dropped): this test is about lagging, so give it all the time.
    let hall = Hall::with(|c| {
        c.server.kiosk_rate_per_minute = 0;
        c.server.ws_send_timeout_s = 300;
    });
    let d = hall.start();
    let mut slow = d.display("").await;
    let first = slow.next().await;
    assert_eq!(first["type"], "snapshot");
    // Flood the stream while `slow` reads nothing: its socket buffers fill,
    // its server task falls behind the broadcast buffer.
    let mut tasks = Vec::new();
    for _ in 0..16 {
        let url = d.url.clone();
        tasks.push(tokio::spawn(async move {
            let mut c = Conn::connect(&url).await.unwrap();
            for _ in 0..700 {
                let r = c
                    .post("/api/v1/tickets", None, &json!({"service": "F"}))
                    .await
                    .unwrap();
                assert_eq!(r.status.as_u16(), 201);
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let mut c = d.conn().await;
    let final_seq = c.get("/api/v1/queue").await.unwrap().body["seq"]
        .as_u64()
        .unwrap();
    // Now read: somewhere in the stream there is a resync snapshot, and the
    // stream reaches the final seq without a disconnect.
    let mut resynced = false;
    loop {
        let f = slow.next().await;
        resynced |= f["type"] == "snapshot";
        if f["seq"].as_u64().unwrap() >= final_seq && f["type"] != "ticket_issued" {
            break;
        }
    }
    assert!(resynced, "the lagging display was not resynced");
    let (_, body) = c
        .send_raw(hyper::Method::GET, "/metrics", None, None)
        .await
        .unwrap();
    let metrics = String::from_utf8_lossy(&body).into_owned();
    assert!(!metrics.contains("qcall_lag_resyncs_total 0"), "{metrics}");
}

#[tokio::test]
async fn display_sockets_refuse_commands() {
    let hall = Hall::demo();
    let d = hall.start();
    let mut c = d.conn().await;
    c.post("/api/v1/tickets", None, &json!({"service": "A"}))
        .await
        .unwrap();
    // What a refused command could have changed, without what moves on by
    // itself on the real clock (`at`, `oldest_wait_s`): the same `seq`,
    // calls and waiting tickets prove nothing was written or called.
    let queue = |body: serde_json::Value| {
        let waiting: Vec<_> = body["services"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|s| (s["service"].clone(), s["by_class"].clone()))
            .collect();
        (body["seq"].clone(), body["calls"].clone(), waiting)
    };
    let before = queue(c.get("/api/v1/queue").await.unwrap().body);
    let mut display = d.display("").await;
    display.next_of("snapshot").await;
    display.send(json!({"type": "call_next", "id": 7})).await;
    let err = display.next_of("error").await;
    assert_eq!(err["error"]["code"], "read_only");
    assert_eq!(err["id"], 7);
    display.send(json!({"type": "ping", "id": 8})).await;
    assert_eq!(display.next_of("pong").await["id"], 8, "still connected");
    assert_eq!(
        queue(c.get("/api/v1/queue").await.unwrap().body),
        before,
        "nothing was called"
    );
}

#[tokio::test]
async fn counter_sockets_authenticate_first_then_command() {
    let hall = Hall::demo();
    let d = hall.start();
    let token = hall.counter_token("1");
    let mut c = d.conn().await;
    c.post("/api/v1/tickets", None, &json!({"service": "A"}))
        .await
        .unwrap();

    // Anything but an auth frame first: closed with a reason.
    let mut bad = Ws::connect(&d.ws_url("/ws/counter")).await;
    bad.send(json!({"type": "call_next"})).await;
    assert!(bad.closed_reason().await.contains("first frame must be"));
    let mut wrong = Ws::connect(&d.ws_url("/ws/counter")).await;
    wrong
        .send(json!({"type": "auth", "token": "qc_nope"}))
        .await;
    assert!(
        wrong
            .closed_reason()
            .await
            .contains("invalid or revoked token")
    );
    let mut other = Ws::connect(&d.ws_url("/ws/counter")).await;
    other
        .send(json!({"type": "auth", "token": token, "counter": "2"}))
        .await;
    assert!(other.closed_reason().await.contains("belongs to counter 1"));
    assert_eq!(
        c.get("/api/v1/queue").await.unwrap().body["calls"],
        json!([])
    );

    let mut counter = Ws::connect(&d.ws_url("/ws/counter")).await;
    counter.send(json!({"type": "auth", "token": token})).await;
    let ok = counter.next().await;
    assert_eq!(
        (ok["type"].clone(), ok["counter"].clone()),
        (json!("auth_ok"), json!("1"))
    );
    assert_eq!(counter.next().await["type"], "snapshot");
    counter.send(json!({"type": "call_next", "id": "a"})).await;
    let result = counter.next_of("result").await;
    assert_eq!(result["id"], "a");
    assert_eq!(result["ticket"]["number"], "A001");
    counter
        .send(json!({"type": "finish", "id": "b", "args": {"rating": 4}}))
        .await;
    let mut frames = counter.until("result").await;
    assert_eq!(frames.last().unwrap()["ticket"]["state"], "done");
    counter.send(json!({"type": "recall", "id": "c"})).await;
    frames.extend(counter.until("error").await);
    assert_eq!(frames.last().unwrap()["error"]["code"], "no_current_ticket");
    // The same stream as a display: it carries the finish as an event too.
    if !frames.iter().any(|f| f["type"] == "ticket_done") {
        frames.push(counter.next_of("ticket_done").await);
    }
    let done = frames.iter().find(|f| f["type"] == "ticket_done").unwrap();
    assert_eq!(done["ticket"]["number"], "A001");
    assert_eq!(done["rating"], 4);
}

/// A suspension from the counter socket prints the one-time notice like
/// the same action over HTTP does.
#[tokio::test]
async fn a_suspend_over_the_counter_socket_prints_the_notice() {
    let hall = Hall::demo();
    let d = hall.start();
    let token = hall.counter_token("1");
    let mut c = d.conn().await;
    c.post("/api/v1/tickets", None, &json!({"service": "A"}))
        .await
        .unwrap();
    let mut counter = d.counter_socket(&token).await;
    counter.send(json!({"type": "call-next", "id": "a"})).await;
    assert_eq!(counter.next_of("result").await["ticket"]["number"], "A001");
    counter
        .send(json!({"type": "suspend", "id": "b", "args": {"missing": ["户口簿原件"], "note": "补齐后直接来"}}))
        .await;
    let result = counter.next_of("result").await;
    assert_eq!(result["ticket"]["state"], "suspended", "{result}");
    assert_eq!(result["notice_print"]["status"], "printed", "{result}");
    let bytes = std::fs::read(hall.path().join("hall.escpos")).unwrap();
    let (text, _, _) = encoding_rs::GB18030.decode(&bytes);
    assert!(
        text.contains("户口簿原件"),
        "the notice names what is missing"
    );
}
