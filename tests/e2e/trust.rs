//! What the hall can trust: a revoked token stops working on the sockets it
//! already opened, a refused request leaves no trace in the event log,
//! applicants' words and clerks' names stay off public views, and only the
//! counter that served a ticket marks it ready.
//!
//! Each test reads what a stranger on the hall's Wi-Fi could read (the
//! display stream, unauthenticated endpoints) next to what staff see.

use hyper::Method;
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

use super::*;

/// The staff stream for `token`, past its `auth_ok` and snapshot: frames
/// after this are live.
pub(super) async fn staff_stream(d: &Daemon, token: &str) -> Ws {
    let mut ws = Ws::connect(&d.ws_url("/ws/staff")).await;
    ws.send(json!({"type": "auth", "token": token})).await;
    assert_eq!(ws.next().await["type"], "auth_ok");
    ws.next_of("snapshot").await;
    ws
}

/// Reads until the server closes the socket: the text frames seen and the
/// close frame's code and reason. Panics if it stays open.
async fn until_closed(ws: &mut Ws) -> (Vec<Value>, u16, String) {
    let mut frames = Vec::new();
    loop {
        let msg = tokio::time::timeout(FRAME_TIMEOUT, ws.socket.next())
            .await
            .expect("the socket stayed open");
        match msg {
            Some(Ok(Message::Text(t))) => frames.push(serde_json::from_str(&t).unwrap()),
            Some(Ok(Message::Close(Some(f)))) => {
                return (frames, u16::from(f.code), f.reason.to_string());
            }
            Some(Ok(Message::Close(None))) | None | Some(Err(_)) => {
                return (frames, 0, String::new());
            }
            Some(Ok(_)) => {}
        }
    }
}

/// `qcall token revoke` on the hall's database, as the supervisor runs it
/// while the daemon serves.
fn revoke(hall: &Hall, args: &[&str]) {
    let mut all = vec![
        "token",
        "revoke",
        "--config",
        hall.config.to_str().unwrap(),
        "--db",
        hall.db.to_str().unwrap(),
    ];
    all.extend_from_slice(args);
    let out = qcall(&all);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The event log's position: any recorded event moves it.
async fn seq(c: &mut Conn) -> u64 {
    c.get("/healthz").await.unwrap().body["seq"]
        .as_u64()
        .unwrap()
}

async fn get_as(c: &mut Conn, path: &str, token: Option<&str>) -> qcall::client::Response {
    c.send(Method::GET, path, token, None).await.unwrap()
}

#[tokio::test]
async fn a_revoked_token_closes_its_open_counter_socket() {
    let hall = Hall::demo();
    let d = hall.start();
    let token = hall.counter_token("1");
    let mut socket = d.counter_socket(&token).await;
    socket.send(json!({"type": "ping", "id": 1})).await;
    assert_eq!(socket.next_of("pong").await["id"], 1);

    revoke(&hall, &["--counter", "1"]);
    // Nothing sent: the socket's own re-check finds the token gone.
    let (_, code, reason) = until_closed(&mut socket).await;
    assert_eq!(code, 1008, "policy violation: {reason}");
    assert!(reason.contains("token revoked"), "{reason}");
    // And it cannot come back with the same token.
    let mut again = Ws::connect(&d.ws_url("/ws/counter")).await;
    again.send(json!({"type": "auth", "token": token})).await;
    assert!(again.closed_reason().await.contains("revoked"));
}

#[tokio::test]
async fn a_command_after_revocation_is_refused() {
    let hall = Hall::demo();
    let d = hall.start();
    let token = hall.counter_token("1");
    let mut c = d.conn().await;
    c.post("/api/v1/tickets", None, &json!({"service": "A"}))
        .await
        .unwrap();
    let mut socket = d.counter_socket(&token).await;

    revoke(&hall, &["--counter", "1"]);
    socket
        .send(json!({"type": "call_next", "id": "after"}))
        .await;
    let (frames, code, reason) = until_closed(&mut socket).await;
    assert!(
        !frames.iter().any(|f| f["type"] == "result"),
        "a revoked token's command was taken: {frames:?}"
    );
    assert_eq!(code, 1008, "{reason}");
    assert!(reason.contains("token revoked"), "{reason}");
    assert_eq!(
        c.get("/api/v1/queue").await.unwrap().body["calls"],
        json!([]),
        "nobody was called"
    );
}

#[tokio::test]
async fn the_staff_stream_closes_when_its_token_is_revoked() {
    let hall = Hall::demo();
    let d = hall.start();
    let boss = hall.token(&["--supervisor", "li"]);
    let mut staff = staff_stream(&d, &boss).await;
    revoke(&hall, &["--supervisor", "li"]);
    let (_, code, reason) = until_closed(&mut staff).await;
    assert_eq!((code, reason.contains("token revoked")), (1008, true));
}

#[tokio::test]
async fn a_refused_staff_token_request_writes_no_event() {
    let hall = Hall::demo();
    let d = hall.start();
    let clerk = hall.token(&["--counter", "1", "--staff", "li.na"]);
    let mut c = d.conn().await;
    let before = seq(&mut c).await;
    let refused = [
        // Not an action.
        ("/api/v1/counters/1/frobnicate", json!({}), 404),
        // A body the action does not take.
        ("/api/v1/counters/1/transfer", json!({}), 422),
        ("/api/v1/counters/1/finish", json!({"rating": "good"}), 422),
        // Only a supervisor forces a close.
        ("/api/v1/counters/1/close", json!({"force": true}), 403),
        // Another counter.
        ("/api/v1/counters/2/call-next", json!({}), 403),
        // Nothing to recall: the state refuses it.
        ("/api/v1/counters/1/recall", json!({}), 409),
    ];
    for (path, body, status) in refused {
        let r = c.post(path, Some(&clerk), &body).await.unwrap();
        assert_eq!(r.status.as_u16(), status, "{path}: {}", r.body);
        assert_eq!(seq(&mut c).await, before, "{path} wrote an event");
    }
    let audit = hall.token(&["--supervisor", "wang"]);
    let log = get_as(&mut c, "/api/v1/audit", Some(&audit)).await;
    assert_eq!(log.status.as_u16(), 200, "{}", log.body);
    assert!(!log.body.to_string().contains("li.na"), "{}", log.body);

    // Taken, the same clerk's action signs them in and counts as theirs.
    c.post("/api/v1/tickets", None, &json!({"service": "A"}))
        .await
        .unwrap();
    let r = c
        .post("/api/v1/counters/1/call-next", Some(&clerk), &json!({}))
        .await
        .unwrap();
    assert_eq!(r.body["ticket"]["served_by"], "li.na", "{}", r.body);
}

#[tokio::test]
async fn alerts_need_a_staff_credential() {
    let hall = Hall::demo();
    let d = hall.start();
    let mut c = d.conn().await;
    assert_eq!(get_as(&mut c, "/api/v1/alerts", None).await.status, 401);
    let integration = hall.token(&["--integration", "booking"]);
    assert_eq!(
        get_as(&mut c, "/api/v1/alerts", Some(&integration))
            .await
            .status,
        403
    );
    for token in [
        hall.token(&["--supervisor", "li"]),
        hall.token(&["--guide", "zhao"]),
        hall.counter_token("3"),
    ] {
        let r = get_as(&mut c, "/api/v1/alerts", Some(&token)).await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert!(r.body["active"].is_array() && r.body["recent"].is_array());
    }
}

#[tokio::test]
async fn a_rating_comment_stays_off_public_views() {
    let hall = Hall::demo();
    let d = hall.start();
    let token = hall.counter_token("2");
    let boss = hall.token(&["--supervisor", "li"]);
    let mut c = d.conn().await;
    let start = seq(&mut c).await;
    let mut display = d.display("").await;
    display.next_of("snapshot").await;
    let mut staff = staff_stream(&d, &boss).await;

    let taken = c
        .post("/api/v1/tickets", None, &json!({"service": "A"}))
        .await
        .unwrap();
    let id = taken.body["ticket"]["id"].as_i64().unwrap();
    let key = taken.body["ticket"]["ticket_key"].clone();
    c.post("/api/v1/counters/2/call-next", Some(&token), &json!({}))
        .await
        .unwrap();
    c.post("/api/v1/counters/2/finish", Some(&token), &json!({}))
        .await
        .unwrap();
    let phone = "13812345678";
    let comment = format!("身份证 110101199003074512，电话 {phone}，请回电");
    let rated = c
        .post(
            &format!("/api/v1/tickets/{id}/rating"),
            None,
            &json!({"score": 1, "reason": "服务态度差", "comment": comment, "ticket_key": key}),
        )
        .await
        .unwrap();
    assert_eq!(rated.status, 200, "{}", rated.body);
    assert!(!rated.body.to_string().contains(phone));

    // Staff see it, with the comment.
    let alert = staff.next_of("alert").await;
    assert_eq!(
        (alert["kind"].clone(), alert["comment"].clone()),
        (json!("rating"), json!(comment))
    );
    // The display: everything up to a later public event, in stream order,
    // and nothing carries the comment.
    c.post("/api/v1/tickets", None, &json!({"service": "F"}))
        .await
        .unwrap();
    let mut seen = Vec::new();
    loop {
        let f = display.next().await;
        let done = f["type"] == "ticket_issued" && f["ticket"]["service"] == "F";
        seen.push(f);
        if done {
            break;
        }
    }
    assert!(
        !seen.iter().any(|f| f.to_string().contains(phone)),
        "the display saw the comment: {seen:?}"
    );
    assert!(
        !seen
            .iter()
            .any(|f| f["type"] == "alert" && f["kind"] == "rating"),
        "{seen:?}"
    );
    // Nor does a display replaying the ring.
    let mut replay = d.display(&format!("?since={start}")).await;
    loop {
        let f = replay.next().await;
        assert!(!f.to_string().contains(phone), "replayed: {f}");
        if f["type"] == "ticket_issued" && f["ticket"]["service"] == "F" {
            break;
        }
    }
    // Nor any unauthenticated endpoint.
    for path in [
        "/api/v1/alerts".to_owned(),
        format!("/api/v1/tickets/{id}"),
        "/api/v1/queue".to_owned(),
        "/api/v1/counters".to_owned(),
    ] {
        let r = get_as(&mut c, &path, None).await;
        assert!(!r.body.to_string().contains(phone), "{path}: {}", r.body);
    }
    // The supervisor's list has it.
    let listed = get_as(&mut c, "/api/v1/alerts", Some(&boss)).await;
    assert!(listed.body.to_string().contains(phone), "{}", listed.body);
}

#[tokio::test]
async fn public_views_carry_no_staff_name() {
    let hall = Hall::demo();
    let d = hall.start();
    let clerk = hall.token(&["--counter", "1", "--staff", "li.na"]);
    let boss = hall.token(&["--supervisor", "wang"]);
    let mut c = d.conn().await;
    let mut display = d.display("").await;
    display.next_of("snapshot").await;
    let taken = c
        .post("/api/v1/tickets", None, &json!({"service": "A"}))
        .await
        .unwrap();
    let id = taken.body["ticket"]["id"].as_i64().unwrap();
    let called = c
        .post("/api/v1/counters/1/call-next", Some(&clerk), &json!({}))
        .await
        .unwrap();
    // The counter's own view names the clerk.
    assert_eq!(called.body["ticket"]["served_by"], "li.na");

    let mine = c.get(&format!("/api/v1/tickets/{id}")).await.unwrap();
    assert_eq!(mine.status, 200);
    assert_eq!(mine.body["ticket"]["counter"]["id"], "1");
    assert_eq!(mine.body["ticket"]["served_by"], Value::Null);
    for path in ["/api/v1/queue", "/api/v1/counters"] {
        let r = c.get(path).await.unwrap();
        assert!(!r.body.to_string().contains("li.na"), "{path}: {}", r.body);
    }
    let frame = display.next_of("ticket_called").await;
    assert!(!frame.to_string().contains("li.na"), "{frame}");
    let fresh = d.display("").await.next_of("snapshot").await;
    assert!(!fresh.to_string().contains("li.na"), "{fresh}");

    // The supervisor's overview may.
    let overview = get_as(&mut c, "/api/v1/admin/overview", Some(&boss)).await;
    assert!(
        overview.body.to_string().contains("li.na"),
        "{}",
        overview.body
    );
}

#[tokio::test]
async fn only_the_serving_counter_or_a_supervisor_marks_a_ticket_ready() {
    let hall = Hall::demo();
    let d = hall.start();
    let one = hall.counter_token("1");
    let two = hall.counter_token("2");
    let boss = hall.token(&["--supervisor", "wang"]);
    let mut c = d.conn().await;
    let mut served = Vec::new();
    for _ in 0..2 {
        let t = c
            .post("/api/v1/tickets", None, &json!({"service": "A"}))
            .await
            .unwrap();
        served.push(t.body["ticket"]["id"].as_i64().unwrap());
        c.post("/api/v1/counters/1/call-next", Some(&one), &json!({}))
            .await
            .unwrap();
        c.post("/api/v1/counters/1/finish", Some(&one), &json!({}))
            .await
            .unwrap();
    }
    let before = seq(&mut c).await;
    let other = c
        .post(
            &format!("/api/v1/tickets/{}/ready", served[0]),
            Some(&two),
            &json!({}),
        )
        .await
        .unwrap();
    assert_eq!(other.status, 403, "{}", other.body);
    assert_eq!(other.body["error"]["code"], "forbidden", "{}", other.body);
    assert_eq!(seq(&mut c).await, before, "nothing recorded");

    for (id, token) in [(served[0], &one), (served[1], &boss)] {
        let r = c
            .post(
                &format!("/api/v1/tickets/{id}/ready"),
                Some(token),
                &json!({}),
            )
            .await
            .unwrap();
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(r.body["ready"], true);
    }
}

/// Acting on an applicant's ticket needs the ticket's key (the `k` in its
/// QR code), which only its holder got: a stranger who counts ids can
/// neither put their phone number on it nor bring a suspended ticket back,
/// and a refused attempt writes nothing. A guide may act for the applicant.
#[tokio::test]
async fn notify_and_return_need_the_tickets_key() {
    let hall = Hall::demo();
    let d = hall.start();
    let token = hall.counter_token("1");
    let mut c = d.conn().await;
    let take = |body: Value| body["ticket"].clone();
    let mine = take(
        c.post("/api/v1/tickets", None, &json!({"service": "A"}))
            .await
            .unwrap()
            .body,
    );
    let other = take(
        c.post("/api/v1/tickets", None, &json!({"service": "A"}))
            .await
            .unwrap()
            .body,
    );
    let id = mine["id"].as_i64().unwrap();
    let key = mine["ticket_key"].as_str().unwrap().to_owned();
    let other_key = other["ticket_key"].as_str().unwrap().to_owned();
    assert_ne!(key, other_key);
    assert_eq!(mine["status_url"], format!("{}/t/{id}?k={key}", d.url));

    // The public view has no key; the holder's (`?k=`) has.
    let public = c.get(&format!("/api/v1/tickets/{id}")).await.unwrap();
    assert!(
        public.body["ticket"].get("ticket_key").is_none(),
        "{}",
        public.body
    );
    assert_eq!(
        public.body["ticket"]["status_url"],
        format!("{}/t/{id}", d.url)
    );
    let held = c
        .get(&format!("/api/v1/tickets/{id}?k={key}"))
        .await
        .unwrap();
    assert_eq!(held.body["ticket"]["ticket_key"], key.as_str());
    let wrong = c
        .get(&format!("/api/v1/tickets/{id}?k={other_key}"))
        .await
        .unwrap();
    assert_eq!(wrong.status.as_u16(), 403, "{}", wrong.body);

    // The clerk suspends it: now it could be returned.
    c.post("/api/v1/counters/1/call-next", Some(&token), &json!({}))
        .await
        .unwrap();
    c.post("/api/v1/counters/1/start", Some(&token), &json!({}))
        .await
        .unwrap();
    let s = c
        .post(
            "/api/v1/counters/1/suspend",
            Some(&token),
            &json!({"missing": ["户口本"]}),
        )
        .await
        .unwrap();
    assert_eq!(s.status.as_u16(), 200, "{}", s.body);

    let before = seq(&mut c).await;
    let notify = format!("/api/v1/tickets/{id}/notify");
    let back = format!("/api/v1/tickets/{id}/return");
    let refused = [
        (
            &notify,
            json!({"phone": "13900001111"}),
            401,
            "ticket_key_required",
        ),
        (
            &notify,
            json!({"phone": "13900001111", "ticket_key": other_key}),
            403,
            "bad_ticket_key",
        ),
        (
            &notify,
            json!({"phone": "13900001111", "ticket_key": "x"}),
            403,
            "bad_ticket_key",
        ),
        (&back, json!({}), 401, "ticket_key_required"),
        (
            &back,
            json!({"ticket_key": other_key}),
            403,
            "bad_ticket_key",
        ),
    ];
    for (path, body, status, code) in &refused {
        let r = c.post(path, None, body).await.unwrap();
        assert_eq!(r.status.as_u16(), *status, "{path} {body}: {}", r.body);
        assert_eq!(r.body["error"]["code"], *code, "{path} {body}");
        assert_eq!(seq(&mut c).await, before, "{path} {body} wrote an event");
    }
    // A counter token is not the applicant's.
    let r = c.post(&back, Some(&token), &json!({})).await.unwrap();
    assert_eq!(r.status.as_u16(), 403, "{}", r.body);
    assert_eq!(seq(&mut c).await, before);

    // With the key (in the body, or `?k=` as the QR code's link has it).
    let r = c
        .post(
            &notify,
            None,
            &json!({"phone": "13900001111", "ticket_key": key}),
        )
        .await
        .unwrap();
    assert_eq!(r.status.as_u16(), 200, "{}", r.body);
    let r = c
        .post(&format!("{back}?k={key}"), None, &json!({}))
        .await
        .unwrap();
    assert_eq!(r.status.as_u16(), 200, "{}", r.body);
    assert_eq!(r.body["ticket"]["state"], "waiting");

    // A guide at the desk acts for an applicant without the slip.
    let guide = hall.token(&["--guide", "zhou"]);
    let r = c
        .post(
            &format!("/api/v1/tickets/{}/notify", other["id"]),
            Some(&guide),
            &json!({"phone": "13900002222"}),
        )
        .await
        .unwrap();
    assert_eq!(r.status.as_u16(), 200, "{}", r.body);
}

/// The rating pad rates only with its counter's token; the applicant's
/// phone rates its own ticket with the ticket's key. Neither can be done by
/// a stranger, and a refused rating writes nothing.
#[tokio::test]
async fn ratings_need_the_pads_token_or_the_tickets_key() {
    let hall = Hall::demo();
    let d = hall.start();
    let token = hall.counter_token("2");
    let mut c = d.conn().await;
    let t = c
        .post("/api/v1/tickets", None, &json!({"service": "A"}))
        .await
        .unwrap()
        .body["ticket"]
        .clone();
    let (id, key) = (t["id"].as_i64().unwrap(), t["ticket_key"].clone());
    c.post("/api/v1/counters/2/call-next", Some(&token), &json!({}))
        .await
        .unwrap();
    c.post("/api/v1/counters/2/finish", Some(&token), &json!({}))
        .await
        .unwrap();
    let before = seq(&mut c).await;
    let pad = "/api/v1/counters/2/rating";
    let mine = format!("/api/v1/tickets/{id}/rating");
    let three = hall.counter_token("3");
    for (path, cred, body, status) in [
        (pad, None, json!({"score": 1}), 401),
        (pad, Some(three.as_str()), json!({"score": 1}), 403),
        (mine.as_str(), None, json!({"score": 1}), 401),
        (
            mine.as_str(),
            Some(token.as_str()),
            json!({"score": 1}),
            401,
        ),
        (
            mine.as_str(),
            None,
            json!({"score": 1, "ticket_key": "AAAAAAAAAAAAAAAAAAAA"}),
            403,
        ),
    ] {
        let r = c.post(path, cred, &body).await.unwrap();
        assert_eq!(r.status.as_u16(), status, "{path} {body}: {}", r.body);
        assert_eq!(seq(&mut c).await, before, "{path} wrote an event");
    }
    let r = c
        .post(&mine, None, &json!({"score": 5, "ticket_key": key}))
        .await
        .unwrap();
    assert_eq!(r.status.as_u16(), 200, "{}", r.body);
    assert_eq!(r.body["ticket"]["rating"], 5);
    // One rating per ticket: the pad has nothing left, the phone is told.
    let r = c
        .post(pad, Some(&token), &json!({"score": 3}))
        .await
        .unwrap();
    assert_eq!(r.body["error"]["code"], "nothing_to_rate", "{}", r.body);
    let r = c
        .post(&mine, None, &json!({"score": 3, "ticket_key": key}))
        .await
        .unwrap();
    assert_eq!(r.body["error"]["code"], "already_rated", "{}", r.body);
}
