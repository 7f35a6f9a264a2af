//! Queueing from home through the API, with the test clock and a local SMS
//! gateway: a remote ticket is taken with the texted code, passed over
//! while its applicant is away, checked in and called at its place;
//! another lapses; the quota, the cut-off, one-per-phone and the code lock
//! refuse with a reason and change nothing; a deferral; all of it survives
//! `kill -9`, and no code is ever written to the database.

use hyper::Method;
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio::sync::mpsc;

use super::notify::{Answer, gateway_with, next_seen};
use super::*;

fn monday(hh: i64, mm: i64) -> i64 {
    1_795_363_200_000 + (hh * 60 + mm) * 60_000
}

/// The next message the gateway took that `wanted` picks (others skipped).
async fn message(
    rx: &mut mpsc::UnboundedReceiver<Value>,
    wanted: impl Fn(&Value) -> bool,
) -> Value {
    loop {
        let m = next_seen(rx).await;
        if wanted(&m) {
            return m;
        }
    }
}

/// The six digits of a code message.
fn code_of(m: &Value) -> String {
    let text = m["message"].as_str().unwrap();
    let digits: Vec<char> = text.chars().collect();
    digits
        .windows(6)
        .find(|w| w.iter().all(char::is_ascii_digit))
        .map(|w| w.iter().collect())
        .unwrap_or_else(|| panic!("no code in {text:?}"))
}

/// Asks for a remote ticket of A for `phone` and reads its code at the gateway.
async fn start(
    c: &mut Conn,
    rx: &mut mpsc::UnboundedReceiver<Value>,
    phone: &str,
) -> (String, String) {
    let r = c
        .post(
            "/api/v1/remote/start",
            None,
            &json!({"service": "A", "phone": phone}),
        )
        .await
        .unwrap();
    assert_eq!(r.status.as_u16(), 202, "{}", r.body);
    let request = r.body["request_id"].as_str().unwrap().to_owned();
    assert!(r.body["expires_at"].is_string());
    let sms = message(rx, |m| m["kind"] == "code" && m["phone"] == phone).await;
    (request, code_of(&sms))
}

async fn confirm(c: &mut Conn, request: &str, code: &str) -> qcall::client::Response {
    c.post(
        "/api/v1/remote/confirm",
        None,
        &json!({"request_id": request, "code": code}),
    )
    .await
    .unwrap()
}

/// A remote ticket of A for `phone`: (id, key).
async fn remote(
    c: &mut Conn,
    rx: &mut mpsc::UnboundedReceiver<Value>,
    phone: &str,
) -> (u64, String) {
    let (request, code) = start(c, rx, phone).await;
    let r = confirm(c, &request, &code).await;
    assert_eq!(r.status.as_u16(), 201, "{}", r.body);
    let t = &r.body["ticket"];
    assert_eq!(
        (t["state"].clone(), t["channel"].clone()),
        (json!("remote"), json!("remote"))
    );
    assert_eq!(t["arrival_code"].as_str().map(str::len), Some(6), "{t}");
    (
        t["id"].as_u64().unwrap(),
        t["ticket_key"].as_str().unwrap().to_owned(),
    )
}

async fn ticket(c: &mut Conn, id: u64) -> Value {
    c.get(&format!("/api/v1/tickets/{id}")).await.unwrap().body["ticket"].clone()
}

async fn walk_in(c: &mut Conn) -> u64 {
    let r = c
        .post("/api/v1/tickets", None, &json!({"service": "A"}))
        .await
        .unwrap();
    assert_eq!(r.status.as_u16(), 201, "{}", r.body);
    r.body["ticket"]["id"].as_u64().unwrap()
}

async fn call(c: &mut Conn, token: &str) -> u64 {
    let r = c
        .post("/api/v1/counters/1/call-next", Some(token), &json!({}))
        .await
        .unwrap();
    assert_eq!(r.status.as_u16(), 200, "{}", r.body);
    r.body["ticket"]["id"].as_u64().unwrap()
}

/// Who waits where, and the day's figures.
async fn figures(c: &mut Conn) -> (Value, Value) {
    (
        c.get("/api/v1/queue").await.unwrap().body["services"].clone(),
        c.get("/api/v1/stats").await.unwrap().body,
    )
}

/// A refusal: its status, code and a part of its message; the queue and
/// the day's figures are as before.
async fn refused(c: &mut Conn, path: &str, body: Value, status: u16, code: &str, part: &str) {
    let before = figures(c).await;
    let r = c.post(path, None, &body).await.unwrap();
    assert_eq!(r.status.as_u16(), status, "{path} {body}: {}", r.body);
    assert_eq!(r.body["error"]["code"], code, "{}", r.body);
    let message = r.body["error"]["message"].as_str().unwrap();
    assert!(message.contains(part), "{part:?} not in {message:?}");
    // Not the queue's `seq`: the gateway's deliveries are events too.
    assert!(
        figures(c).await == before,
        "{path} {body} changed something"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn remote_tickets_hold_their_place_arrive_lapse_and_survive_a_kill() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let (seen, _gw) = gateway_with(listener, None, |_| Answer::Ok);
    let mut rx = {
        let (tx, out) = mpsc::unbounded_channel();
        let mut seen = seen;
        tokio::spawn(async move {
            while let Some(s) = seen.recv().await {
                let _ = tx.send(s.body);
            }
        });
        out
    };
    let hall = Hall::with(|c| {
        c.server.kiosk_rate_per_minute = 0;
        c.notify.webhook = format!("http://127.0.0.1:{port}/sms/send");
        c.notify.retry_ms = 50;
        c.hours.enforce = true;
        for s in &mut c.services {
            s.remote_per_hour = if s.code == "A" { 2 } else { 0 };
        }
    });
    let mut d = hall.start_at(monday(9, 0));
    let token = hall.counter_token("1");
    let mut c = d.conn().await;
    let mut codes = vec![];

    // A remote ticket, then a walk-in behind it: the walk-in is called
    // while the remote applicant is away, and their phone told to hurry.
    let (request, code) = start(&mut c, &mut rx, "13800138000").await;
    codes.push(code.clone());
    let wrong = if code == "000000" { "111111" } else { "000000" };
    let r = confirm(&mut c, &request, wrong).await;
    assert_eq!(
        (r.status.as_u16(), r.body["error"]["code"].clone()),
        (422, json!("wrong_code")),
        "{}",
        r.body
    );
    assert!(
        r.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("4 tries left"),
        "{}",
        r.body
    );
    let r = confirm(&mut c, &request, &code).await;
    assert_eq!(r.status.as_u16(), 201, "{}", r.body);
    let r1 = r.body["ticket"]["id"].as_u64().unwrap();
    assert_eq!(r.body["ticket"]["state"], "remote");
    let w1 = walk_in(&mut c).await;
    assert_eq!(
        ticket(&mut c, w1).await["ahead"],
        1,
        "the remote ticket holds its place"
    );
    assert_eq!(
        call(&mut c, &token).await,
        w1,
        "the walk-in behind is called"
    );
    let hurry = message(&mut rx, |m| m["kind"] == "hurry").await;
    assert_eq!(hurry["ticket"], r1);
    assert!(ticket(&mut c, r1).await["lapse_at"].is_string());

    // It arrives at the kiosk (wrong digits first) and is called at its place.
    refused(
        &mut c,
        &format!("/api/v1/tickets/{r1}/arrive"),
        json!({"phone_last4": "1234"}),
        422,
        "arrival_mismatch",
        "do not match",
    )
    .await;
    let w_later = walk_in(&mut c).await;
    let r = c
        .post(
            &format!("/api/v1/tickets/{r1}/arrive"),
            None,
            &json!({"phone_last4": "8000"}),
        )
        .await
        .unwrap();
    assert_eq!(r.status.as_u16(), 200, "{}", r.body);
    assert_eq!(r.body["ticket"]["state"], "waiting");
    assert_eq!(
        call(&mut c, &token).await,
        r1,
        "called at its place, before {w_later}"
    );

    // A second remote ticket fills the hour's quota of 2.
    let (r2, _) = remote(&mut c, &mut rx, "13900139000").await;
    refused(
        &mut c,
        "/api/v1/remote/start",
        json!({"service": "A", "phone": "13700137000"}),
        409,
        "remote_refused",
        "its 2 tickets from home for 09:00 to 10:00 are all taken",
    )
    .await;
    refused(
        &mut c,
        "/api/v1/remote/start",
        json!({"service": "B", "phone": "13700137000"}),
        409,
        "remote_refused",
        "does not take tickets from home",
    )
    .await;
    // The walk-in is called past it; it lapses when not here in time.
    assert_eq!(call(&mut c, &token).await, w_later);
    let w2 = walk_in(&mut c).await;
    assert_eq!(call(&mut c, &token).await, w2);
    assert!(ticket(&mut c, r2).await["lapse_at"].is_string(), "held");
    d.set_clock(monday(11, 30)).await;
    assert_eq!(ticket(&mut c, r2).await["state"], "lapsed");
    let lapsed = message(&mut rx, |m| m["kind"] == "lapsed").await;
    assert_eq!(lapsed["ticket"], r2);

    // One live remote ticket per phone, service and day; a deferral, once.
    let (r3, key3) = remote(&mut c, &mut rx, "13700137000").await;
    refused(
        &mut c,
        "/api/v1/remote/start",
        json!({"service": "A", "phone": "137 0013 7000"}),
        409,
        "one_per_phone",
        "already holds remote ticket",
    )
    .await;
    let _w3 = walk_in(&mut c).await;
    let _w4 = walk_in(&mut c).await;
    let ahead = ticket(&mut c, r3).await["ahead"].as_u64().unwrap();
    let r = c
        .post(
            &format!("/api/v1/tickets/{r3}/defer"),
            None,
            &json!({"places": 1, "ticket_key": key3}),
        )
        .await
        .unwrap();
    assert_eq!(r.status.as_u16(), 200, "{}", r.body);
    assert_eq!(
        (
            r.body["ticket"]["ahead"].as_u64(),
            r.body["ticket"]["deferred"].clone()
        ),
        (Some(ahead + 1), json!(true))
    );
    refused(
        &mut c,
        &format!("/api/v1/tickets/{r3}/defer"),
        json!({"places": 1, "ticket_key": key3}),
        409,
        "defer_refused",
        "only once",
    )
    .await;

    // Five wrong codes lock a request, even for the right code after.
    let (locked, locked_code) = start(&mut c, &mut rx, "13600136000").await;
    codes.push(locked_code.clone());
    let wrong = if locked_code == "000000" {
        "111111"
    } else {
        "000000"
    };
    for left in (0..5).rev() {
        let r = confirm(&mut c, &locked, wrong).await;
        let expect = if left == 0 {
            (403, "code_locked")
        } else {
            (422, "wrong_code")
        };
        assert_eq!(
            (r.status.as_u16(), r.body["error"]["code"].as_str().unwrap()),
            expect,
            "{}",
            r.body
        );
    }
    refused(
        &mut c,
        "/api/v1/remote/confirm",
        json!({"request_id": locked, "code": locked_code}),
        403,
        "code_locked",
        "locked",
    )
    .await;

    // Past the remote cut-off (16:00, an hour before the 17:00 cut-off)
    // only walk-ins are taken.
    d.set_clock(monday(16, 10)).await;
    refused(
        &mut c,
        "/api/v1/remote/start",
        json!({"service": "A", "phone": "13500135000"}),
        409,
        "remote_refused",
        "tickets from home stop at 16:00",
    )
    .await;
    walk_in(&mut c).await;

    // kill -9 and a restart: every state, the deferral and the lock stand.
    d.kill();
    let d = hall.start_at(monday(16, 10));
    let mut c = d.conn().await;
    assert_eq!(ticket(&mut c, r2).await["state"], "lapsed");
    let t3 = ticket(&mut c, r3).await;
    assert_eq!(
        (
            t3["state"].clone(),
            t3["deferred"].clone(),
            t3["channel"].clone()
        ),
        (json!("remote"), json!(true), json!("remote"))
    );
    let r = confirm(&mut c, &locked, &locked_code).await;
    assert_eq!(r.body["error"]["code"], "code_locked", "{}", r.body);
    // At a guide's desk: the guide's token is the proof.
    refused(
        &mut c,
        &format!("/api/v1/tickets/{r3}/arrive"),
        json!({}),
        422,
        "bad_input",
        "phone_last4",
    )
    .await;
    let guide = hall.token(&["--guide", "wang"]);
    let r = c
        .post(
            &format!("/api/v1/tickets/{r3}/arrive"),
            Some(&guide),
            &json!({}),
        )
        .await
        .unwrap();
    assert_eq!(
        (r.status.as_u16(), r.body["ticket"]["state"].clone()),
        (200, json!("waiting")),
        "{}",
        r.body
    );
    let stats = c.get("/api/v1/stats").await.unwrap().body;
    let channel = |name: &str| {
        stats["channels"]
            .as_array()
            .unwrap()
            .iter()
            .find(|g| g["channel"] == name)
            .cloned()
            .unwrap_or_else(|| panic!("no channel {name}: {stats}"))
    };
    let remote = channel("remote");
    assert_eq!(
        (
            remote["issued"].as_u64(),
            remote["arrived"].as_u64(),
            remote["lapsed"].as_u64()
        ),
        (Some(3), Some(2), Some(1)),
        "{remote}"
    );
    assert_eq!(channel("walk_in")["issued"].as_u64(), Some(6));
    assert!(remote["wait_s"]["p50"].is_number(), "{remote}");
    drop(d);

    // The codes went to the gateway, and into no table.
    let db = rusqlite::Connection::open(&hall.db).unwrap();
    for code in &codes {
        let found: i64 = db
            .query_row(
                "SELECT (SELECT count(*) FROM outbox WHERE message LIKE '%' || ?1 || '%') + \
                 (SELECT count(*) FROM events WHERE detail LIKE '%' || ?1 || '%' OR code = ?1)",
                [code],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(found, 0, "code {code} is in the database");
    }
}

/// Every message the gateway takes, as JSON.
async fn sms_gateway() -> (u16, mpsc::UnboundedReceiver<Value>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let (mut seen, gw) = gateway_with(listener, None, |_| Answer::Ok);
    let (tx, out) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        let _gw = gw;
        while let Some(s) = seen.recv().await {
            let _ = tx.send(s.body);
        }
    });
    (port, out)
}

/// Books `date` `slot` of A for `id_number` from `phone`: the answer to
/// the confirmation.
async fn book(
    c: &mut Conn,
    rx: &mut mpsc::UnboundedReceiver<Value>,
    (date, slot): (&str, &str),
    id_number: &str,
    phone: &str,
) -> qcall::client::Response {
    let body = json!({"service": "A", "date": date, "slot": slot, "name": "张三", "id_number": id_number, "phone": phone});
    let r = c.post("/api/v1/bookings", None, &body).await.unwrap();
    assert_eq!(r.status.as_u16(), 202, "{}", r.body);
    let request = r.body["request_id"].as_str().unwrap().to_owned();
    let sms = message(rx, |m| m["kind"] == "code" && m["phone"] == phone).await;
    c.post(
        "/api/v1/bookings/confirm",
        None,
        &json!({"request_id": request, "code": code_of(&sms)}),
    )
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_self_booked_appointment_is_reminded_the_day_before_and_checked_in_after_a_kill() {
    const ID: &str = "11010519491231002X";
    let (port, mut rx) = sms_gateway().await;
    let hall = Hall::with(|c| {
        c.server.kiosk_rate_per_minute = 0;
        c.notify.webhook = format!("http://127.0.0.1:{port}/sms/send");
        c.notify.retry_ms = 50;
        c.appointments.self_booking = true;
        c.appointments.per_slot = 2;
    });
    let mut d = hall.start_at(monday(10, 0));
    let mut c = d.conn().await;
    // Refusals with their reasons: not an ID number, over lunch, too far.
    let ask = |date: &str, slot: &str, id: &str| json!({"service": "A", "date": date, "slot": slot, "name": "张三", "id_number": id, "phone": "13800138000"});
    refused(
        &mut c,
        "/api/v1/bookings",
        ask("2026-11-25", "09:30", "1234"),
        422,
        "bad_input",
        "ID-card number",
    )
    .await;
    refused(
        &mut c,
        "/api/v1/bookings",
        ask("2026-11-25", "12:30", ID),
        409,
        "booking_refused",
        "does not serve at 2026-11-25 12:30",
    )
    .await;
    refused(
        &mut c,
        "/api/v1/bookings",
        ask("2026-12-25", "09:30", ID),
        409,
        "booking_refused",
        "up to 14 days ahead",
    )
    .await;
    refused(
        &mut c,
        "/api/v1/bookings",
        ask("2026-11-25", "09:40", ID),
        409,
        "booking_refused",
        "every 30 minutes",
    )
    .await;

    // Booked on Monday for Wednesday 09:30: the check-in code is texted.
    let r = book(&mut c, &mut rx, ("2026-11-25", "09:30"), ID, "13800138000").await;
    assert_eq!(r.status.as_u16(), 201, "{}", r.body);
    let code = r.body["code"].as_str().unwrap().to_owned();
    assert_eq!(
        (r.body["id_last4"].clone(), r.body["slot"].clone()),
        (json!("002X"), json!("2026-11-25T09:30:00+08:00"))
    );
    let booked = message(&mut rx, |m| m["kind"] == "booked").await;
    assert!(
        booked["message"].as_str().unwrap().contains(&code),
        "{booked}"
    );
    // The same person cannot hold two that day; the slot shows one taken.
    let again = book(&mut c, &mut rx, ("2026-11-25", "10:00"), ID, "13800138000").await;
    assert_eq!(
        (again.status.as_u16(), again.body["error"]["code"].clone()),
        (409, json!("booking_refused")),
        "{}",
        again.body
    );
    let slots = c
        .get("/api/v1/bookings/slots?service=A&date=2026-11-25")
        .await
        .unwrap()
        .body;
    let left = |slots: &Value, at: &str| {
        slots["slots"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["slot"] == at)
            .map(|s| s["left"].clone())
    };
    assert_eq!(left(&slots, "09:30"), Some(json!(1)), "{slots}");
    assert_eq!(left(&slots, "12:30"), None, "lunch is not bookable");
    // Another booking, cancelled by its code: its place comes back.
    let other = book(
        &mut c,
        &mut rx,
        ("2026-11-25", "09:30"),
        "110105194912310021",
        "13900139000",
    )
    .await;
    assert_eq!(other.status.as_u16(), 201, "{}", other.body);
    let other_code = other.body["code"].as_str().unwrap().to_owned();
    let cancel = |code: String, digits: &str| {
        (
            format!("/api/v1/bookings/{code}"),
            json!({"phone_last4": digits}),
        )
    };
    // Wrong digits answer as a code that does not exist: nothing to learn.
    let unknown_code = if other_code == "000000" {
        "000001"
    } else {
        "000000"
    };
    let mut answers = vec![];
    for (code, digits) in [
        (unknown_code.to_owned(), "9000"),
        (other_code.clone(), "1234"),
    ] {
        let (path, body) = cancel(code, digits);
        let r = c
            .send(Method::DELETE, &path, None, Some(&body))
            .await
            .unwrap();
        answers.push((r.status.as_u16(), r.body));
    }
    assert_eq!(answers[0].0, 404, "{:?}", answers[0]);
    assert_eq!(
        answers[0], answers[1],
        "a wrong code and wrong digits look the same"
    );
    let (path, _) = cancel(other_code.clone(), "9000");
    let r = c.send(Method::DELETE, &path, None, None).await.unwrap();
    assert_eq!(
        r.status.as_u16(),
        415,
        "the digits are required: {}",
        r.body
    );
    let (path, body) = cancel(other_code.clone(), "9000");
    let r = c
        .send(Method::DELETE, &path, None, Some(&body))
        .await
        .unwrap();
    assert_eq!(
        (r.status.as_u16(), r.body["cancelled"].clone()),
        (200, json!(true)),
        "{}",
        r.body
    );
    let r = c
        .send(Method::DELETE, &path, None, Some(&body))
        .await
        .unwrap();
    assert_eq!(
        (r.status.as_u16(), r.body["error"]["code"].clone()),
        (404, json!("unknown_booking"))
    );
    let slots = c
        .get("/api/v1/bookings/slots?service=A&date=2026-11-25")
        .await
        .unwrap()
        .body;
    assert_eq!(left(&slots, "09:30"), Some(json!(1)));
    // Booked again: five wrong digits, and then the right ones no longer
    // cancel it from a phone (the same 404); its place stays taken.
    let again = book(
        &mut c,
        &mut rx,
        ("2026-11-25", "09:30"),
        "110105194912310021",
        "13900139000",
    )
    .await;
    assert_eq!(again.status.as_u16(), 201, "{}", again.body);
    let again_code = again.body["code"].as_str().unwrap().to_owned();
    for guess in ["1111", "2222", "3333", "4444", "5555"] {
        let (path, body) = cancel(again_code.clone(), guess);
        let r = c
            .send(Method::DELETE, &path, None, Some(&body))
            .await
            .unwrap();
        assert_eq!(r.status.as_u16(), 404, "{guess}: {}", r.body);
    }
    let (path, body) = cancel(again_code.clone(), "9000");
    let r = c
        .send(Method::DELETE, &path, None, Some(&body))
        .await
        .unwrap();
    assert_eq!(
        (r.status.as_u16(), &r.body),
        (404, &answers[0].1),
        "after 5 wrong digits"
    );
    let slots = c
        .get("/api/v1/bookings/slots?service=A&date=2026-11-25")
        .await
        .unwrap()
        .body;
    assert_eq!(left(&slots, "09:30"), Some(json!(0)), "still booked");

    // kill -9 on Monday: stored are the hash and the last four, never the number.
    d.kill();
    {
        let db = rusqlite::Connection::open(&hall.db).unwrap();
        let (last4, hash, reminded): (String, String, Option<i64>) = db
            .query_row(
                "SELECT id_last4, id_hash, reminded_at_ms FROM appointments WHERE code = ?1",
                [&code],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .unwrap();
        assert_eq!(
            (last4.as_str(), hash.len(), reminded),
            ("002X", 64, None),
            "not reminded on Monday"
        );
        let raw: i64 = db
            .query_row(
                "SELECT (SELECT count(*) FROM events WHERE detail LIKE '%' || ?1 || '%' OR actor LIKE '%' || ?1 || '%' OR action LIKE '%' || ?1 || '%') \
                 + (SELECT count(*) FROM appointments WHERE id_hash LIKE '%' || ?1 || '%' OR name LIKE '%' || ?1 || '%') \
                 + (SELECT count(*) FROM outbox WHERE message LIKE '%' || ?1 || '%')",
                ["19491231"],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(raw, 0, "the ID number is in the database");
    }
    // Tuesday, the day before: the reminder, with the code, to the phone.
    let d = hall.start_at(monday(10, 0) + 24 * 3_600_000);
    // (The booking kept after five wrong digits is reminded too.)
    let reminder = message(&mut rx, |m| {
        m["kind"] == "reminder" && m["phone"] == "13800138000"
    })
    .await;
    assert!(
        reminder["message"].as_str().unwrap().contains(&code),
        "{reminder}"
    );
    // Wednesday 09:10: checked in at the kiosk as any appointment.
    d.set_clock(monday(9, 10) + 2 * 24 * 3_600_000).await;
    let mut c = d.conn().await;
    let r = c
        .post(
            "/api/v1/tickets",
            None,
            &json!({"service": "A", "appointment_code": code}),
        )
        .await
        .unwrap();
    assert_eq!(r.status.as_u16(), 201, "{}", r.body);
    assert_eq!(
        (
            r.body["ticket"]["priority"].clone(),
            r.body["ticket"]["channel"].clone()
        ),
        (json!("appointment"), json!("appointment"))
    );
    let cancelled = c
        .post(
            "/api/v1/tickets",
            None,
            &json!({"service": "A", "appointment_code": other_code}),
        )
        .await
        .unwrap();
    assert_eq!(
        cancelled.body["error"]["code"], "unknown_appointment",
        "{}",
        cancelled.body
    );
    let stats = c.get("/api/v1/stats").await.unwrap().body;
    let appointment = stats["channels"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["channel"] == "appointment")
        .unwrap()
        .clone();
    assert_eq!(appointment["issued"], 1, "{appointment}");
}

/// Guessing the last 4 phone digits of someone else's remote ticket: each
/// wrong guess is recorded against the ticket, the fifth leaves only its
/// code (or a guide), across `kill -9`; and codes tried alone, against
/// every remote ticket of the day, have a strict budget per address.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn five_wrong_phone_digits_leave_only_the_code_and_codes_alone_are_rate_limited() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let (seen, _gw) = gateway_with(listener, None, |_| Answer::Ok);
    let mut rx = {
        let (tx, out) = mpsc::unbounded_channel();
        let mut seen = seen;
        tokio::spawn(async move {
            while let Some(s) = seen.recv().await {
                let _ = tx.send(s.body);
            }
        });
        out
    };
    let hall = Hall::with(|c| {
        c.server.kiosk_rate_per_minute = 0;
        c.notify.webhook = format!("http://127.0.0.1:{port}/sms/send");
        c.notify.retry_ms = 50;
        c.hours.enforce = true;
    });
    let mut d = hall.start_at(monday(9, 0));
    let mut c = d.conn().await;
    let (request, code) = start(&mut c, &mut rx, "13800138000").await;
    let r = confirm(&mut c, &request, &code).await;
    assert_eq!(r.status.as_u16(), 201, "{}", r.body);
    let t = r.body["ticket"].clone();
    let (id, number) = (
        t["id"].as_u64().unwrap(),
        t["number"].as_str().unwrap().to_owned(),
    );
    let arrival_code = t["arrival_code"].as_str().unwrap().to_owned();
    let by_id = format!("/api/v1/tickets/{id}/arrive");
    for guess in ["1111", "2222", "3333", "4444"] {
        refused(
            &mut c,
            &by_id,
            json!({"phone_last4": guess}),
            422,
            "arrival_mismatch",
            "do not match",
        )
        .await;
    }
    // The fifth wrong guess, at the kiosk's number form: now only the code.
    refused(
        &mut c,
        "/api/v1/remote/arrive",
        json!({"number": number, "phone_last4": "5555"}),
        403,
        "arrival_locked",
        "6-digit code",
    )
    .await;
    let right = json!({"phone_last4": "8000"});
    refused(
        &mut c,
        &by_id,
        right.clone(),
        403,
        "arrival_locked",
        "guide's desk",
    )
    .await;
    assert_eq!(ticket(&mut c, id).await["state"], "remote");

    // The count is in the log: a restart does not give five more.
    d.kill();
    let d = hall.start_at(monday(9, 5));
    let mut c = d.conn().await;
    refused(
        &mut c,
        &by_id,
        right.clone(),
        403,
        "arrival_locked",
        "6-digit code",
    )
    .await;
    refused(
        &mut c,
        "/api/v1/remote/arrive",
        json!({"number": number, "phone_last4": "8000"}),
        403,
        "arrival_locked",
        "6-digit code",
    )
    .await;
    let r = c
        .post(&by_id, None, &json!({"code": arrival_code}))
        .await
        .unwrap();
    assert_eq!(
        r.status.as_u16(),
        200,
        "the code still checks it in: {}",
        r.body
    );
    assert_eq!(r.body["ticket"]["state"], "waiting");

    // A code alone is tried against every remote ticket: 20 per address
    // in 10 minutes, then 429 with Retry-After.
    let wrong = if arrival_code == "000000" {
        "111111"
    } else {
        "000000"
    };
    for attempt in 1..=20 {
        let r = c
            .post("/api/v1/remote/arrive", None, &json!({"code": wrong}))
            .await
            .unwrap();
        assert_eq!(r.status.as_u16(), 422, "attempt {attempt}: {}", r.body);
    }
    let r = c
        .post("/api/v1/remote/arrive", None, &json!({"code": wrong}))
        .await
        .unwrap();
    assert_eq!(
        (r.status.as_u16(), r.body["error"]["code"].clone()),
        (429, json!("rate_limited")),
        "{}",
        r.body
    );
    assert!(r.headers.contains_key("retry-after"), "{:?}", r.headers);
}
