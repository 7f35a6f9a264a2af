//! Putting a 差评 right (整改), end to end under the test clock: the
//! item a 差评 opens, its deadline in working days on the hall's calendar
//! (a holiday skipped, a make-up day counted), callback before fix, the fix
//! rated through the ticket's link, the audit trail, the day's rates, and
//! nothing of it on the public display stream.

use hyper::Method;
use serde_json::{Value, json};

use super::rating::{DAY_MS, code, monday, seq, served};
use super::*;

/// A 差评 opens an item due five working days later on the hall's own
/// calendar: here Wednesday is a holiday (skipped), Saturday is closed and
/// Sunday a make-up day (counted), so Monday's 差评 is due the next Monday.
/// The callback comes before the fix, both are recorded, the fix is rated
/// through the ticket's link, and an item left open past its deadline is
/// overdue.
#[tokio::test]
async fn a_poor_rating_is_called_back_put_right_by_its_working_day_deadline_and_the_fix_rated() {
    let hall = Hall::with(|c| {
        c.server.kiosk_rate_per_minute = 0;
        c.hours.sat = vec![];
        c.hours.holidays = vec!["2026-11-25".into()];
        c.hours.workdays = vec!["2026-11-29=mon".into()];
        c.rating.fix_working_days = 5;
    });
    let d = hall.start_at(monday(10, 0));
    let token = hall.counter_token("2");
    let boss = hall.token(&["--supervisor", "zhao"]);
    let mut c = d.conn().await;
    // What the wall (and any phone on the Wi-Fi) sees, checked at the end.
    let mut display = Ws::connect(&d.ws_url("/ws/display")).await;
    display.next_of("snapshot").await;

    // A 差评 without a reason opens nothing; with one it opens an item.
    let (id, key) = served(&mut c, "2", &token).await;
    let r = c
        .post(
            &format!("/api/v1/tickets/{id}/rating"),
            None,
            &json!({"score": 1, "ticket_key": key}),
        )
        .await
        .unwrap();
    assert_eq!(code(&r), (422, "reason_required".to_owned()));
    assert_eq!(list(&mut c, &boss).await["items"], json!([]));
    let r = c
        .post(
            &format!("/api/v1/tickets/{id}/rating"),
            None,
            &json!({"score": 1, "ticket_key": key, "reason": "等候时间太长"}),
        )
        .await
        .unwrap();
    assert_eq!(r.status.as_u16(), 200, "{}", r.body);
    let items = list(&mut c, &boss).await;
    assert_eq!(items["fix_working_days"], 5);
    let item = &items["items"][0];
    assert_eq!(
        (
            item["ticket"].clone(),
            item["score"].clone(),
            item["reason"].clone(),
            item["deadline"].clone(),
            item["state"].clone(),
            item["overdue"].clone(),
        ),
        (
            json!(id),
            json!(1),
            json!("等候时间太长"),
            json!("2026-11-30"),
            json!("open"),
            json!(false),
        ),
        "Tue, Thu, Fri, the make-up Sunday and Mon: {item}"
    );

    // Steps: assign; the fix waits for the callback; each once.
    let r = step(&mut c, &boss, id, "assign", json!({"supervisor": "zhao"})).await;
    assert_eq!(r.body["assignee"], "zhao", "{}", r.body);
    let before = seq(&mut c).await;
    let r = step(&mut c, &boss, id, "fix", json!({"note": "窗口增派人员"})).await;
    assert_eq!(code(&r), (409, "rectify_step".to_owned()), "{}", r.body);
    let r = c
        .post(
            &format!("/api/v1/rectifications/{id}/callback"),
            Some(&token),
            &json!({"outcome": "x"}),
        )
        .await
        .unwrap();
    assert_eq!(r.status.as_u16(), 403, "a counter's token: {}", r.body);
    assert_eq!(seq(&mut c).await, before, "refused steps write nothing");
    // The fix cannot be rated before it exists.
    let r = c
        .post(
            &format!("/api/v1/tickets/{id}/fix-rating"),
            None,
            &json!({"score": 4, "ticket_key": key}),
        )
        .await
        .unwrap();
    assert_eq!(code(&r), (409, "rectify_step".to_owned()), "{}", r.body);

    d.set_clock(monday(15, 30)).await;
    let r = step(
        &mut c,
        &boss,
        id,
        "callback",
        json!({"outcome": "已电话致歉，申请人接受"}),
    )
    .await;
    assert_eq!(
        r.body["callback"]["text"], "已电话致歉，申请人接受",
        "{}",
        r.body
    );
    assert!(
        r.body["callback"]["at"]
            .as_str()
            .unwrap()
            .starts_with("2026-11-23T15:30"),
        "logged when: {}",
        r.body
    );
    assert_eq!(r.body["callback"]["by"], "zhao");
    // Friday: in time.
    d.set_clock(monday(11, 0) + 4 * DAY_MS).await;
    let r = step(&mut c, &boss, id, "fix", json!({"note": "窗口增派人员"})).await;
    assert_eq!(
        (
            r.body["state"].clone(),
            r.body["fixed_on_time"].clone(),
            r.body["overdue"].clone()
        ),
        (json!("fixed"), json!(true), json!(false)),
        "{}",
        r.body
    );
    let r = step(&mut c, &boss, id, "fix", json!({"note": "again"})).await;
    assert_eq!(code(&r), (409, "rectify_step".to_owned()));

    // The applicant rates the fix through the link the item gives.
    let link = r_link(&list(&mut c, &boss).await["items"][0]);
    assert!(link.contains(&format!("/t/{id}?k={key}")), "{link}");
    let r = c
        .post(
            &format!("/api/v1/tickets/{id}/fix-rating"),
            None,
            &json!({"score": 4, "ticket_key": "AAAAAAAAAAAAAAAAAAAA"}),
        )
        .await
        .unwrap();
    assert_eq!(code(&r).0, 403, "another key: {}", r.body);
    let r = c
        .post(
            &format!("/api/v1/tickets/{id}/fix-rating?k={key}"),
            None,
            &json!({"score": 4}),
        )
        .await
        .unwrap();
    assert_eq!(r.status.as_u16(), 200, "{}", r.body);
    let item = &list(&mut c, &boss).await["items"][0];
    assert_eq!(
        (item["state"].clone(), item["fix_score"].clone()),
        (json!("rated"), json!(4))
    );
    // The rating, the fix and the fix's rating each wait for the platform.
    let ups = c
        .send(Method::GET, "/api/v1/ratings/uploads", Some(&boss), None)
        .await
        .unwrap();
    let kinds: Vec<Value> = ups.body["uploads"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["kind"].clone())
        .collect();
    assert_eq!(
        kinds,
        [
            json!("rectification"),
            json!("rectification"),
            json!("rating")
        ],
        "{}",
        ups.body
    );

    // Monday's figures: the one 差评 called back and put right in time.
    let stats = c.get("/api/v1/stats?date=2026-11-23").await.unwrap().body;
    let total = &stats["ratings"]["total"];
    assert_eq!(
        (
            total["poor_rate"].clone(),
            total["callback_rate"].clone(),
            total["rectified_rate"].clone()
        ),
        (json!(1.0), json!(1.0), json!(1.0)),
        "{total}"
    );
    let csv = qcall(&[
        "stats",
        "--server",
        &d.url,
        "--date",
        "2026-11-23",
        "--format",
        "csv",
    ]);
    let text = stdout(&csv);
    let header = text.lines().next().unwrap();
    assert!(
        header.ends_with(",rated,good_rate,poor_rate,callback_rate,rectified_rate"),
        "{header}"
    );
    assert!(
        text.lines()
            .any(|l| l.starts_with("2026-11-23,hall,,") && l.ends_with(",1,0.0,1.0,1.0,1.0")),
        "{text}"
    );
    assert!(
        text.lines()
            .any(|l| l.starts_with("2026-11-23,indicator,attitude,")),
        "{text}"
    );

    // Audited: the supervisor's steps are in the day's audit trail.
    let audit = c
        .send(
            Method::GET,
            "/api/v1/audit?date=2026-11-23",
            Some(&boss),
            None,
        )
        .await
        .unwrap()
        .body;
    let steps: Vec<(Value, Value)> = audit["audit"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["ticket"] == json!(id))
        .map(|r| (r["kind"].clone(), r["by"].clone()))
        .collect();
    assert_eq!(
        steps,
        [
            (json!("rectification_assigned"), json!("zhao")),
            (json!("rectification_called_back"), json!("zhao")),
        ],
        "Monday's steps (the fix was Friday's): {audit}"
    );

    // Nothing of putting a 差评 right reached the public stream: read it up
    // to a ticket taken now.
    let last = c
        .post("/api/v1/tickets", None, &json!({"service": "B"}))
        .await
        .unwrap()
        .body["ticket"]["id"]
        .clone();
    let mut public = Vec::new();
    loop {
        let f = display.next().await;
        if f["type"] == "ticket_issued" && f["ticket"]["id"] == last {
            break;
        }
        public.push(f["type"].as_str().unwrap_or("").to_owned());
    }
    assert!(
        !public
            .iter()
            .any(|k| k.starts_with("rectification") || k == "case_attached"),
        "{public:?}"
    );
    assert!(
        public.iter().any(|k| k == "ticket_done"),
        "the stream was read: {public:?}"
    );

    // An item left open past its deadline is overdue.
    let (other, other_key) = served(&mut c, "2", &token).await;
    let r = c
        .post(
            &format!("/api/v1/tickets/{other}/rating"),
            None,
            &json!({"score": 2, "ticket_key": other_key, "reason": "服务态度差"}),
        )
        .await
        .unwrap();
    assert_eq!(r.status.as_u16(), 200, "{}", r.body);
    let due = list(&mut c, &boss).await["items"][0]["deadline"].clone();
    assert_eq!(
        due, "2026-12-03",
        "Friday's: the make-up Sunday, Mon 30, Tue, Wed, Thu"
    );
    d.set_clock(monday(10, 0) + 12 * DAY_MS).await;
    let items = list(&mut c, &boss).await;
    assert_eq!(items["items"][0]["overdue"], true, "{}", items);
    assert_eq!(
        items["items"][1]["overdue"], false,
        "fixed in time stays so"
    );
}

/// `GET /rectifications` as the supervisor `boss`.
async fn list(c: &mut Conn, boss: &str) -> Value {
    let r = c
        .send(Method::GET, "/api/v1/rectifications", Some(boss), None)
        .await
        .unwrap();
    assert_eq!(r.status.as_u16(), 200, "{}", r.body);
    r.body
}

/// A supervisor's step `what` on the item of ticket `id`.
async fn step(
    c: &mut Conn,
    boss: &str,
    id: u64,
    what: &str,
    body: Value,
) -> qcall::client::Response {
    c.post(
        &format!("/api/v1/rectifications/{id}/{what}"),
        Some(boss),
        &body,
    )
    .await
    .unwrap()
}

fn r_link(item: &Value) -> String {
    item["fix_rating_url"].as_str().unwrap().to_owned()
}

/// A 差评 given by the clerk at finish (v1 `finish {rating}`): without a
/// reason it is refused 422 `reason_required` over HTTP, the counter
/// socket and `qcall counter finish`, nothing is written and the ticket
/// stays at the counter; with one (`reason`, `--reason`) the ticket is
/// finished and an item is opened like the pad's.
#[tokio::test]
async fn a_poor_rating_at_finish_needs_a_reason_and_opens_an_item() {
    let hall = Hall::demo();
    let d = hall.start_at(monday(10, 0));
    let token = hall.counter_token("2");
    let boss = hall.token(&["--supervisor", "zhao"]);
    let mut c = d.conn().await;
    let first = called_at_2(&mut c, &token).await;
    let before = seq(&mut c).await;
    let r = c
        .post(
            "/api/v1/counters/2/finish",
            Some(&token),
            &json!({"rating": 2}),
        )
        .await
        .unwrap();
    assert_eq!(code(&r), (422, "reason_required".to_owned()), "{}", r.body);
    let message = r.body["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("needs a reason") && message.contains("`reason`"),
        "{message}"
    );
    let r = c
        .post(
            "/api/v1/counters/2/finish",
            Some(&token),
            &json!({"reason": "等候时间太长"}),
        )
        .await
        .unwrap();
    assert_eq!(
        code(&r),
        (422, "bad_input".to_owned()),
        "a reason without a rating: {}",
        r.body
    );

    let mut ws = d.counter_socket(&token).await;
    ws.send(json!({"type": "finish", "id": "p", "args": {"rating": 1}}))
        .await;
    let err = ws.next_of("error").await;
    assert_eq!(err["error"]["code"], "reason_required", "{err}");
    let cli = |extra: &[&str]| {
        let mut args = vec![
            "counter",
            "finish",
            "--server",
            &d.url,
            "--counter",
            "2",
            "--token",
            &token,
            "--rating",
            "2",
        ];
        args.extend_from_slice(extra);
        qcall(&args)
    };
    let refused = cli(&[]);
    assert!(!refused.status.success(), "{refused:?}");
    let said = String::from_utf8_lossy(&refused.stderr);
    assert!(said.contains("needs a reason"), "{said}");
    assert_eq!(seq(&mut c).await, before, "refused finishes write nothing");
    let t = c
        .send(
            Method::GET,
            &format!("/api/v1/tickets/{first}"),
            Some(&boss),
            None,
        )
        .await
        .unwrap();
    assert_eq!(
        t.body["ticket"]["state"], "called",
        "still at the counter: {}",
        t.body
    );
    assert_eq!(list(&mut c, &boss).await["items"], json!([]));

    // With a reason: finished, and an item opened.
    let done = cli(&["--reason", "办理效率低"]);
    assert!(done.status.success(), "{done:?}");
    let second = called_at_2(&mut c, &token).await;
    let r = c
        .post(
            "/api/v1/counters/2/finish",
            Some(&token),
            &json!({"rating": 1, "reason": "服务态度差"}),
        )
        .await
        .unwrap();
    assert_eq!(r.status.as_u16(), 200, "{}", r.body);
    assert_eq!(r.body["ticket"]["rating"], 1, "{}", r.body);
    let items = list(&mut c, &boss).await;
    let got: Vec<(Value, Value, Value, Value)> = items["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            (
                i["ticket"].clone(),
                i["score"].clone(),
                i["reason"].clone(),
                i["state"].clone(),
            )
        })
        .collect();
    let mut got = got;
    got.sort_by_key(|g| g.0.as_u64());
    assert_eq!(
        got,
        [
            (json!(first), json!(2), json!("办理效率低"), json!("open")),
            (json!(second), json!(1), json!("服务态度差"), json!("open")),
        ],
        "{items}"
    );
}

/// Takes a ticket of A and has counter 2 call it; its id.
async fn called_at_2(c: &mut Conn, token: &str) -> u64 {
    let r = c
        .post("/api/v1/tickets", None, &json!({"service": "A"}))
        .await
        .unwrap();
    let id = r.body["ticket"]["id"].as_u64().unwrap();
    let r = c
        .post("/api/v1/counters/2/call-next", Some(token), &json!({}))
        .await
        .unwrap();
    assert_eq!(r.body["ticket"]["id"], id, "{}", r.body);
    id
}
