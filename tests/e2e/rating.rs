//! 好差评 and cases: a 差评 needs a reason and a refused one writes
//! nothing; indicators and the channel are kept; every rating is uploaded
//! to a fake provincial platform on 127.0.0.1 that is down, then up, then
//! holds a request while the daemon is killed: each record arrives with
//! its idempotency key and is taken once. A case over three tickets on two
//! days counts three visits, and the statistics give the one-visit share.
//! Putting a 差评 right is `rectify.rs`.

use hyper::Method;
use serde_json::{Value, json};
use tokio::net::TcpListener;

use super::notify::{Answer, gateway_with, next_seen};
use super::*;

/// 2026-11-23 (a Monday) at `hh:mm` in Shanghai, as Unix milliseconds.
pub(super) fn monday(hh: i64, mm: i64) -> i64 {
    1_795_363_200_000 + (hh * 60 + mm) * 60_000
}

pub(super) const DAY_MS: i64 = 24 * 3_600_000;

/// The event log's position: any recorded event moves it.
pub(super) async fn seq(c: &mut Conn) -> u64 {
    c.get("/healthz").await.unwrap().body["seq"]
        .as_u64()
        .unwrap()
}

/// Takes a ticket of service A and has counter `counter` call and finish
/// it; its id and key.
pub(super) async fn served(c: &mut Conn, counter: &str, token: &str) -> (u64, String) {
    let r = c
        .post("/api/v1/tickets", None, &json!({"service": "A"}))
        .await
        .unwrap();
    assert_eq!(r.status.as_u16(), 201, "{}", r.body);
    let id = r.body["ticket"]["id"].as_u64().unwrap();
    let key = r.body["ticket"]["ticket_key"].as_str().unwrap().to_owned();
    let called = c
        .post(
            &format!("/api/v1/counters/{counter}/call-next"),
            Some(token),
            &json!({}),
        )
        .await
        .unwrap();
    assert_eq!(called.body["ticket"]["id"], id, "{}", called.body);
    let done = c
        .post(
            &format!("/api/v1/counters/{counter}/finish"),
            Some(token),
            &json!({}),
        )
        .await
        .unwrap();
    assert_eq!(done.status.as_u16(), 200, "{}", done.body);
    (id, key)
}

pub(super) fn code(r: &qcall::client::Response) -> (u16, String) {
    (
        r.status.as_u16(),
        r.body["error"]["code"].as_str().unwrap_or("").to_owned(),
    )
}

#[tokio::test]
async fn a_poor_rating_needs_a_reason_and_keeps_its_indicators_and_channel() {
    let hall = Hall::demo();
    let d = hall.start_at(monday(10, 0));
    let token = hall.counter_token("2");
    let supervisor = hall.token(&["--supervisor", "wang"]);
    let mut c = d.conn().await;

    // What the pad asks: the five levels, the set (version 1), the reasons.
    let rules = c.get("/api/v1/rating").await.unwrap().body;
    let codes: Vec<&str> = rules["indicators"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, ["overall", "efficiency", "competence", "attitude"]);
    assert_eq!(rules["indicators"][3]["name"]["zh"], "服务态度");
    assert_eq!(rules["indicator_version"], 1);
    let poor: Vec<&Value> = rules["levels"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|l| l["poor"] == true)
        .collect();
    assert_eq!(
        poor.iter()
            .map(|l| l["name"]["zh"].clone())
            .collect::<Vec<_>>(),
        [json!("不满意"), json!("非常不满意")]
    );

    served(&mut c, "2", &token).await;
    let pad = "/api/v1/counters/2/rating";
    let before = seq(&mut c).await;
    let indicators = json!({"overall": 2, "efficiency": 3, "competence": 3, "attitude": 1});
    for (body, expect) in [
        (
            json!({"score": 2, "indicators": indicators}),
            (422, "reason_required"),
        ),
        (
            json!({"score": 1, "reason": "   ", "indicators": indicators}),
            (422, "reason_required"),
        ),
        (
            json!({"score": 4, "indicators": {"speed": 4}}),
            (422, "unknown_indicator"),
        ),
        (
            json!({"score": 4, "indicators": {"overall": 6}}),
            (422, "bad_rating"),
        ),
    ] {
        let r = c.post(pad, Some(&token), &body).await.unwrap();
        assert_eq!(code(&r), (expect.0, expect.1.to_owned()), "{body}");
        assert!(
            r.body["error"]["message"].as_str().unwrap().contains(
                if expect.1 == "reason_required" {
                    "等候时间太长"
                } else {
                    ""
                }
            ),
            "the refusal lists the reasons to pick: {}",
            r.body
        );
        assert_eq!(seq(&mut c).await, before, "a refused rating writes nothing");
    }
    let r = c
        .post(
            pad,
            Some(&token),
            &json!({"score": 2, "indicators": indicators, "reason": "服务态度差"}),
        )
        .await
        .unwrap();
    assert_eq!(r.status.as_u16(), 200, "{}", r.body);
    assert_eq!(r.body["ticket"]["rating"], 2);

    // The phone, from a text message's link: channel sms (the pad's is
    // not the phone's to claim).
    let (phone_id, key) = served(&mut c, "2", &token).await;
    let r = c
        .post(
            &format!("/api/v1/tickets/{phone_id}/rating"),
            None,
            &json!({"score": 5, "ticket_key": key, "channel": "pad"}),
        )
        .await
        .unwrap();
    assert_eq!(code(&r), (422, "bad_channel".to_owned()), "{}", r.body);
    let r = c
        .post(
            &format!("/api/v1/tickets/{phone_id}/rating"),
            None,
            &json!({"score": 5, "ticket_key": key, "channel": "sms", "indicators": {"overall": 5}}),
        )
        .await
        .unwrap();
    assert_eq!(r.status.as_u16(), 200, "{}", r.body);

    // Each rating waits for the platform (no upload_url in this hall),
    // with its reason and channel; the list is the supervisor's.
    let ups = c
        .send(
            Method::GET,
            "/api/v1/ratings/uploads",
            Some(&supervisor),
            None,
        )
        .await
        .unwrap();
    assert_eq!(ups.status.as_u16(), 200, "{}", ups.body);
    assert_eq!(ups.body["configured"], false);
    assert_eq!(ups.body["pending"], 2);
    let list = ups.body["uploads"].as_array().unwrap();
    assert_eq!(
        list.iter()
            .map(|u| (
                u["channel"].clone(),
                u["score"].clone(),
                u["reason"].clone(),
                u["state"].clone()
            ))
            .collect::<Vec<_>>(),
        [
            (json!("sms"), json!(5), Value::Null, json!("pending")),
            (
                json!("pad"),
                json!(2),
                json!("服务态度差"),
                json!("pending")
            ),
        ]
    );
    let r = c
        .send(Method::GET, "/api/v1/ratings/uploads", Some(&token), None)
        .await
        .unwrap();
    assert_eq!(r.status.as_u16(), 403, "a counter's token: {}", r.body);

    // The day's figures: per counter, service and indicator.
    let stats = c.get("/api/v1/stats?date=2026-11-23").await.unwrap().body;
    let ratings = &stats["ratings"];
    let pick = |list: &str, key: &str, id: &str| {
        ratings[list]
            .as_array()
            .unwrap()
            .iter()
            .find(|g| g[key] == id)
            .unwrap_or_else(|| panic!("no {key} {id} in {ratings}"))
            .clone()
    };
    let two = pick("counters", "counter", "2");
    assert_eq!(
        (
            two["rated"].clone(),
            two["good_rate"].clone(),
            two["poor_rate"].clone()
        ),
        (json!(2), json!(0.5), json!(0.5)),
        "{two}"
    );
    assert_eq!(pick("services", "service", "A")["rated"], 2);
    let overall = pick("indicators", "indicator", "overall");
    assert_eq!(
        (
            overall["rated"].clone(),
            overall["good"].clone(),
            overall["poor"].clone()
        ),
        (json!(2), json!(1), json!(1)),
        "overall 2 at the pad, 5 on the phone: {overall}"
    );
    assert_eq!(
        pick("indicators", "indicator", "attitude")["poor_rate"],
        1.0
    );
    // One 差评, not called back yet.
    assert_eq!(
        (
            ratings["total"]["rectifications"].clone(),
            ratings["total"]["callback_rate"].clone(),
            ratings["total"]["rectified_rate"].clone()
        ),
        (json!(1), json!(0.0), json!(0.0))
    );
    assert_eq!(
        ratings["staff"],
        json!([]),
        "clerks' figures are the supervisor's"
    );
}

/// The platform is down when the first rating is given, then up but holds
/// the request unanswered while the daemon is killed; after the restart
/// the same record comes again with the same key and is taken, and the
/// next record is the next one, never the taken one again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ratings_reach_the_platform_once_by_key_through_an_outage_and_a_kill_9() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let hall = Hall::with(|c| {
        c.server.kiosk_rate_per_minute = 0;
        c.rating.upload_url = format!("http://127.0.0.1:{port}/hcp/ratings");
        c.rating.retry_ms = 50;
        c.rating.department = "示例市政务服务中心".into();
    });
    let mut d = hall.start();
    let token = hall.counter_token("2");
    let supervisor = hall.token(&["--supervisor", "wang"]);
    let mut c = d.conn().await;
    let (first_id, _) = served(&mut c, "2", &token).await;
    let r = c
        .post(
            &format!("/api/v1/tickets/{first_id}/case"),
            Some(&token),
            &json!({"case_no": "SB-2026-0001"}),
        )
        .await
        .unwrap();
    assert_eq!(r.status.as_u16(), 200, "{}", r.body);
    let r = c
        .post(
            "/api/v1/counters/2/rating",
            Some(&token),
            &json!({"score": 1, "reason": "等候时间太长", "indicators": {"attitude": 2}}),
        )
        .await
        .unwrap();
    assert_eq!(r.status.as_u16(), 200, "{}", r.body);

    // The platform comes up: its first request hangs, later ones are taken.
    let listener = TcpListener::bind(("127.0.0.1", port)).await.unwrap();
    let (mut rx, _platform) = gateway_with(listener, None, |n| {
        if n == 0 { Answer::Hang } else { Answer::Ok }
    });
    let first = next_seen(&mut rx).await;
    assert_eq!(first.answer, Answer::Hang);
    let key = first.key.clone().expect("an Idempotency-Key header");
    let body = &first.body;
    assert_eq!(body["idempotency_key"], json!(key), "{body}");
    assert_eq!(key, body["id"].to_string());
    assert_eq!(
        (
            body["kind"].clone(),
            body["case_no"].clone(),
            body["service"]["code"].clone(),
            body["department"].clone(),
            body["channel"].clone(),
            body["counter"].clone(),
            body["level"]["score"].clone(),
            body["level"]["name"]["zh"].clone(),
            body["reason"].clone(),
            body["indicators"][0]["code"].clone(),
            body["indicators"][0]["score"].clone(),
            body["indicator_version"].clone(),
        ),
        (
            json!("rating"),
            json!("SB-2026-0001"),
            json!("A"),
            json!("示例市政务服务中心"),
            json!("PJQ"),
            json!("2"),
            json!(1),
            json!("非常不满意"),
            json!("等候时间太长"),
            json!("attitude"),
            json!(2),
            json!(1),
        ),
        "{body}"
    );
    assert!(
        body["rated_at"].as_str().unwrap().starts_with("20"),
        "{body}"
    );
    assert_eq!(body.get("phone"), None, "no personal data: {body}");

    d.kill();
    let d = hall.start();
    let again = next_seen(&mut rx).await;
    assert_eq!(again.answer, Answer::Ok);
    assert_eq!(again.key.as_deref(), Some(key.as_str()));
    assert_eq!(again.body, first.body, "the same record, unchanged");

    // Taken: the next request is the next rating's, with its own key.
    let mut c = d.conn().await;
    // Deliveries are events (on staff streams): they show when one is
    // recorded.
    let mut staff = super::trust::staff_stream(&d, &supervisor).await;
    let (second_id, _) = served(&mut c, "2", &token).await;
    let r = c
        .post(
            "/api/v1/counters/2/rating",
            Some(&token),
            &json!({"score": 5}),
        )
        .await
        .unwrap();
    assert_eq!(r.status.as_u16(), 200, "{}", r.body);
    let next = next_seen(&mut rx).await;
    assert_eq!(
        next.body["ticket"]["id"],
        json!(second_id),
        "the taken record did not come again: {:?}",
        next.body
    );
    assert_ne!(next.key.as_deref(), Some(key.as_str()));
    assert_eq!(next.answer, Answer::Ok);

    // /admin's list: both delivered once the second one is recorded.
    let delivered = loop {
        let ups = c
            .send(
                Method::GET,
                "/api/v1/ratings/uploads",
                Some(&supervisor),
                None,
            )
            .await
            .unwrap();
        assert_eq!(ups.body["configured"], true);
        if ups.body["pending"] == 0 {
            break ups.body["uploads"]
                .as_array()
                .unwrap()
                .iter()
                .map(|u| u["state"].clone())
                .collect::<Vec<_>>();
        }
        staff.next_of("upload_delivered").await;
    };
    assert_eq!(delivered, [json!("delivered"), json!("delivered")]);
}

/// `POST /tickets/{id}/case` with `cred`.
async fn case(c: &mut Conn, id: u64, no: &str, cred: String) -> qcall::client::Response {
    c.post(
        &format!("/api/v1/tickets/{id}/case"),
        Some(&cred),
        &json!({ "case_no": no }),
    )
    .await
    .unwrap()
}

#[tokio::test]
async fn one_case_over_three_tickets_on_two_days_counts_three_visits() {
    let hall = Hall::demo();
    let d = hall.start_at(monday(10, 0));
    let token = hall.counter_token("2");
    let guide = hall.token(&["--guide", "li"]);
    let other = hall.counter_token("3");
    let mut c = d.conn().await;

    let (a, _) = served(&mut c, "2", &token).await;
    let r = case(&mut c, a, "SB-7", token.clone()).await;
    assert_eq!(
        (r.body["visit"].clone(), r.status.as_u16()),
        (json!(1), 200),
        "{}",
        r.body
    );

    // Refusals write nothing.
    let before = seq(&mut c).await;
    let waiting = c
        .post("/api/v1/tickets", None, &json!({"service": "A"}))
        .await
        .unwrap()
        .body["ticket"]["id"]
        .as_u64()
        .unwrap();
    let before_refusals = seq(&mut c).await;
    assert!(before_refusals > before);
    for (id, no, cred, expect) in [
        (a, "SB-7", other.clone(), (403, "forbidden")),
        (a, "SB-7", guide.clone(), (403, "forbidden")),
        (a, "no spaces", token.clone(), (422, "bad_input")),
        (waiting, "SB-7", token.clone(), (409, "wrong_state")),
        (99_999, "SB-7", token.clone(), (404, "unknown_ticket")),
    ] {
        let r = case(&mut c, id, no, cred).await;
        assert_eq!(
            code(&r),
            (expect.0, expect.1.to_owned()),
            "{id} {no}: {}",
            r.body
        );
    }
    assert_eq!(seq(&mut c).await, before_refusals);
    // The waiting ticket goes first now; serve it without a case.
    c.post("/api/v1/counters/2/call-next", Some(&token), &json!({}))
        .await
        .unwrap();
    c.post("/api/v1/counters/2/finish", Some(&token), &json!({}))
        .await
        .unwrap();

    let (b, _) = served(&mut c, "2", &token).await;
    let r = case(&mut c, b, "SB-7", token.clone()).await;
    assert_eq!(r.body["visit"], 2, "{}", r.body);

    // The next day: the third visit, and another case done at once.
    d.set_clock(monday(10, 0) + DAY_MS).await;
    let (t3, _) = served(&mut c, "2", &token).await;
    let supervisor = hall.token(&["--supervisor", "wang"]);
    let r = case(&mut c, t3, "SB-7", supervisor).await;
    assert_eq!(r.body["visit"], 3, "{}", r.body);
    let days: Vec<&str> = r.body["visits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["day"].as_str().unwrap())
        .collect();
    assert_eq!(days, ["2026-11-23", "2026-11-23", "2026-11-24"]);
    let integration = hall.token(&["--integration", "ywxt"]);
    let (t4, _) = served(&mut c, "2", &token).await;
    let r = case(&mut c, t4, "SB-8", integration).await;
    assert_eq!(r.body["visit"], 1, "{}", r.body);

    let stats = c.get("/api/v1/stats?date=2026-11-24").await.unwrap().body;
    let cases = &stats["cases"];
    assert_eq!(
        (
            cases["total"]["cases"].clone(),
            cases["total"]["visits"].clone(),
            cases["total"]["one_visit"].clone(),
            cases["total"]["one_visit_share"].clone(),
        ),
        (json!(2), json!(4), json!(1), json!(0.5)),
        "{cases}"
    );
    let a_cases = cases["services"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["service"] == "A")
        .unwrap();
    assert_eq!(a_cases["visits_per_case"], 2.0, "{a_cases}");
    let monday_stats = c.get("/api/v1/stats?date=2026-11-23").await.unwrap().body;
    assert_eq!(
        monday_stats["cases"]["total"]["visits"], 2,
        "Monday counts the visits up to Monday"
    );
}

/// A ticket's case number is in staff views only: the counter that calls
/// a ticket with a case already (here sent back to the queue after it was
/// attached) gets it with its command's result, over HTTP and its socket;
/// the ticket's public page and the display stream never carry it.
#[tokio::test]
async fn a_case_number_reaches_the_counter_and_no_public_view() {
    let hall = Hall::demo();
    let d = hall.start_at(monday(10, 0));
    let token = hall.counter_token("2");
    let mut c = d.conn().await;
    let mut display = Ws::connect(&d.ws_url("/ws/display")).await;
    display.next_of("snapshot").await;
    let r = c
        .post("/api/v1/tickets", None, &json!({"service": "A"}))
        .await
        .unwrap();
    let id = r.body["ticket"]["id"].as_u64().unwrap();
    let call = "/api/v1/counters/2/call-next";
    let r = c.post(call, Some(&token), &json!({})).await.unwrap();
    assert_eq!(r.body["ticket"].get("case_no"), None, "{}", r.body);
    let r = case(&mut c, id, "SB-9", token.clone()).await;
    assert_eq!(r.status.as_u16(), 200, "{}", r.body);
    let r = c
        .post("/api/v1/counters/2/requeue", Some(&token), &json!({}))
        .await
        .unwrap();
    assert_eq!(r.body["ticket"]["case_no"], "SB-9", "{}", r.body);
    let r = c.post(call, Some(&token), &json!({})).await.unwrap();
    assert_eq!(
        (
            r.body["ticket"]["id"].clone(),
            r.body["ticket"]["case_no"].clone()
        ),
        (json!(id), json!("SB-9")),
        "{}",
        r.body
    );
    let r = c
        .post("/api/v1/counters/2/requeue", Some(&token), &json!({}))
        .await
        .unwrap();
    assert_eq!(r.status.as_u16(), 200, "{}", r.body);
    let mut counter = d.counter_socket(&token).await;
    counter.send(json!({"type": "call_next", "id": "n"})).await;
    let result = counter.next_of("result").await;
    assert_eq!(result["ticket"]["case_no"], "SB-9", "{result}");

    let public = c.get(&format!("/api/v1/tickets/{id}")).await.unwrap();
    assert_eq!(public.status.as_u16(), 200, "{}", public.body);
    assert!(!public.body.to_string().contains("SB-9"), "{}", public.body);
    let frames = display.until("ticket_called").await;
    let frames = [frames, display.until("ticket_called").await].concat();
    assert!(
        !frames.iter().any(|f| f.to_string().contains("SB-9")),
        "the display stream carries no case number: {frames:?}"
    );
}
