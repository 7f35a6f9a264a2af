//! The v1 HTTP contract: shapes, errors, and that bad input changes nothing.

use hyper::{Method, StatusCode};
use serde_json::{Value, json};

use super::*;

/// Everything observable about the hall's state, to compare before/after.
async fn observable(conn: &mut Conn) -> (Value, Value) {
    let queue = conn.get("/api/v1/queue").await.unwrap().body;
    let counters = conn.get("/api/v1/counters").await.unwrap().body;
    (
        json!({"seq": queue["seq"], "services": queue["services"], "calls": queue["calls"]}),
        counters,
    )
}

/// The estimate's 80% range holds its point and is said in both languages.
fn has_a_range(t: &Value) {
    let range = t["estimated_wait_range_s"]
        .as_array()
        .unwrap_or_else(|| panic!("no range: {t}"));
    let (low, high) = (range[0].as_u64().unwrap(), range[1].as_u64().unwrap());
    let point = t["estimated_wait_s"].as_u64().unwrap();
    assert!(low <= point && point <= high, "{range:?} around {point}");
    for lang in ["zh", "en"] {
        assert!(
            !t["estimated_wait_text"][lang].as_str().unwrap().is_empty(),
            "{t}"
        );
    }
}

#[tokio::test]
async fn a_ticket_has_the_contract_fields_and_can_be_followed() {
    let hall = Hall::demo();
    let d = hall.start();
    let mut c = d.conn().await;
    let resp = c
        .post(
            "/api/v1/tickets",
            None,
            &json!({"service": "A", "source": "kiosk-1"}),
        )
        .await
        .unwrap();
    assert_eq!(resp.status, StatusCode::CREATED);
    let t = &resp.body["ticket"];
    for field in [
        "id",
        "number",
        "service",
        "priority",
        "state",
        "issued_at",
        "ahead",
        "estimated_wait_s",
        "estimated_wait_range_s",
        "estimated_wait_text",
        "status_url",
    ] {
        assert!(!t[field].is_null(), "ticket lacks `{field}`: {t}");
    }
    has_a_range(t);
    assert_eq!(t["number"], "A001");
    assert_eq!(t["state"], "waiting");
    assert_eq!(t["priority"], "normal");
    // The taker holds the ticket: its key is in the QR code's link.
    let key = t["ticket_key"].as_str().expect("the holder gets the key");
    assert_eq!(key.len(), 20);
    assert_eq!(t["status_url"], format!("{}/t/{}?k={key}", d.url, t["id"]));
    let second = c
        .post("/api/v1/tickets", None, &json!({"service": "A"}))
        .await
        .unwrap()
        .body;
    assert_eq!(second["ticket"]["number"], "A002");
    assert_eq!(second["ticket"]["ahead"], 1);

    let green = c
        .post(
            "/api/v1/tickets",
            None,
            &json!({"service": "A", "priority": "elderly"}),
        )
        .await
        .unwrap();
    assert_eq!(green.body["ticket"]["green"], true);
    assert_eq!(green.body["ticket"]["ahead"], 0, "green channel goes first");

    let got = c
        .get(&format!("/api/v1/tickets/{}", t["id"]))
        .await
        .unwrap();
    assert_eq!(got.status, StatusCode::OK);
    assert_eq!(got.body["ticket"]["number"], "A001");
    has_a_range(&got.body["ticket"]);
    assert_eq!(
        got.body["ticket"]["ahead"], 1,
        "behind the green-channel ticket"
    );

    let queue = c.get("/api/v1/queue").await.unwrap().body;
    let a = queue["services"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["service"] == "A")
        .unwrap();
    assert_eq!(a["waiting"], 3);
    assert_eq!(a["by_class"]["elderly"], 1);
    assert_eq!(a["sla"], "green");
    let services = c.get("/api/v1/services").await.unwrap().body;
    assert!(services["services"].as_array().unwrap().len() >= 6);
    assert!(
        services["classes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["id"] == "disabled" && c["green"] == true)
    );
}

/// A ticket taken while no counter serving its service is open says so
/// instead of a number; once one opens, the range again.
#[tokio::test]
async fn with_no_counter_open_a_ticket_says_so() {
    let hall = Hall::demo();
    let d = hall.start();
    let mut c = d.conn().await;
    // C is served by counters 4 and 5 only, both closed at the start.
    let t = c
        .post("/api/v1/tickets", None, &json!({"service": "C"}))
        .await
        .unwrap()
        .body["ticket"]
        .clone();
    assert_eq!(t["no_counter_open"], true, "{t}");
    assert!(
        t["estimated_wait_text"]["zh"]
            .as_str()
            .unwrap()
            .starts_with("暂无窗口办理"),
        "{t}"
    );
    assert!(
        t["estimated_wait_text"]["en"]
            .as_str()
            .unwrap()
            .starts_with("no counter open now"),
        "{t}"
    );
    has_a_range(&t);
    let token = hall.counter_token("4");
    let opened = c
        .post("/api/v1/counters/4/open", Some(&token), &json!({}))
        .await
        .unwrap();
    assert!(opened.status.is_success(), "{:?}", opened.body);
    let now = c
        .get(&format!("/api/v1/tickets/{}", t["id"]))
        .await
        .unwrap()
        .body["ticket"]
        .clone();
    assert_eq!(now["no_counter_open"], false, "{now}");
    assert_eq!(now["service_starts_at"], Value::Null);
    assert!(
        !now["estimated_wait_text"]["zh"]
            .as_str()
            .unwrap()
            .starts_with("暂无"),
        "{now}"
    );
}

#[tokio::test]
async fn counter_actions_over_http() {
    let hall = Hall::demo();
    let d = hall.start();
    let token = hall.counter_token("1");
    let mut c = d.conn().await;
    let path = |action: &str| format!("/api/v1/counters/1/{action}");
    // Nothing waits: 204.
    let empty = c
        .post(&path("call-next"), Some(&token), &json!({}))
        .await
        .unwrap();
    assert_eq!(empty.status, StatusCode::NO_CONTENT);
    let id = c
        .post("/api/v1/tickets", None, &json!({"service": "A"}))
        .await
        .unwrap()
        .body["ticket"]["id"]
        .clone();
    let called = c
        .post(&path("call-next"), Some(&token), &json!({}))
        .await
        .unwrap();
    assert_eq!(called.status, StatusCode::OK);
    assert_eq!(called.body["ticket"]["state"], "called");
    assert_eq!(called.body["ticket"]["counter"]["id"], "1");
    let recalled = c
        .post(&path("recall"), Some(&token), &json!({}))
        .await
        .unwrap();
    assert_eq!(recalled.body["ticket"]["recalls"], 1);
    assert_eq!(
        c.post(&path("start"), Some(&token), &json!({}))
            .await
            .unwrap()
            .body["ticket"]["state"],
        "serving"
    );
    let done = c
        .post(&path("finish"), Some(&token), &json!({"rating": 5}))
        .await
        .unwrap();
    assert_eq!(
        (
            done.body["ticket"]["state"].clone(),
            done.body["ticket"]["rating"].clone()
        ),
        (json!("done"), json!(5))
    );
    let t = c.get(&format!("/api/v1/tickets/{id}")).await.unwrap().body;
    assert_eq!(t["ticket"]["state"], "done");
    assert_eq!(
        c.post(&path("pause"), Some(&token), &json!({}))
            .await
            .unwrap()
            .body["counter_state"],
        "paused"
    );
    assert_eq!(
        c.post(&path("resume"), Some(&token), &json!({}))
            .await
            .unwrap()
            .body["counter_state"],
        "open_idle"
    );
    assert_eq!(
        c.post(&path("close"), Some(&token), &json!({}))
            .await
            .unwrap()
            .body["counter_state"],
        "closed"
    );

    // Transfer keeps the number and sends the ticket to another service.
    c.post("/api/v1/tickets", None, &json!({"service": "A"}))
        .await
        .unwrap();
    c.post(&path("call-next"), Some(&token), &json!({}))
        .await
        .unwrap();
    let moved = c
        .post(&path("transfer"), Some(&token), &json!({"service": "F"}))
        .await
        .unwrap();
    assert_eq!(moved.status, StatusCode::OK, "{}", moved.body);
    assert_eq!(moved.body["ticket"]["number"], "A002");
    assert_eq!(moved.body["ticket"]["service"], "F");
    assert_eq!(moved.body["ticket"]["state"], "waiting");

    let stats = c.get("/api/v1/stats").await.unwrap().body;
    let a = stats["services"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["service"] == "A")
        .unwrap();
    assert_eq!(
        (
            a["issued"].clone(),
            a["served"].clone(),
            a["satisfaction"].clone()
        ),
        (json!(1), json!(1), json!(5.0))
    );
    assert!(
        stats["counters"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["counter"] == "1" && c["served"] == 1)
    );
}

/// One refused request: method, path, token, raw body, expected status and code.
type Case<'a> = (&'a str, &'a str, Option<&'a str>, &'a str, u16, &'a str);

#[tokio::test]
async fn every_error_has_its_status_and_changes_nothing() {
    let hall = Hall::demo();
    let d = hall.start();
    let token1 = hall.counter_token("1");
    let token2 = hall.counter_token("2");
    let mut c = d.conn().await;
    // Something to act on, so that refusals have state to (not) change.
    c.post("/api/v1/tickets", None, &json!({"service": "A"}))
        .await
        .unwrap();
    c.post("/api/v1/counters/1/call-next", Some(&token1), &json!({}))
        .await
        .unwrap();
    let before = observable(&mut c).await;

    let cases: &[Case] = &[
        (
            "POST",
            "/api/v1/tickets",
            None,
            r#"{"service":"Z"}"#,
            404,
            "unknown_service",
        ),
        (
            "POST",
            "/api/v1/tickets",
            None,
            r#"{"service":"A""#,
            400,
            "malformed_json",
        ),
        (
            "POST",
            "/api/v1/tickets",
            None,
            r#"{"service":5}"#,
            422,
            "invalid_body",
        ),
        (
            "POST",
            "/api/v1/tickets",
            None,
            r#"{}"#,
            422,
            "invalid_body",
        ),
        (
            "POST",
            "/api/v1/tickets",
            None,
            r#"{"service":"A","colour":"red"}"#,
            422,
            "invalid_body",
        ),
        (
            "POST",
            "/api/v1/tickets",
            None,
            r#"{"service":"A","priority":"vip"}"#,
            422,
            "unknown_priority",
        ),
        (
            "POST",
            "/api/v1/tickets",
            None,
            r#"{"service":"A","source":""}"#,
            422,
            "bad_input",
        ),
        (
            "POST",
            "/api/v1/tickets",
            Some("wrong"),
            r#"{"service":"A"}"#,
            401,
            "unauthorized",
        ),
        (
            "GET",
            "/api/v1/tickets/999999",
            None,
            "",
            404,
            "unknown_ticket",
        ),
        (
            "GET",
            "/api/v1/tickets/abc",
            None,
            "",
            404,
            "unknown_ticket",
        ),
        (
            "POST",
            "/api/v1/counters/99/call-next",
            Some(&token1),
            "{}",
            404,
            "unknown_counter",
        ),
        (
            "POST",
            "/api/v1/counters/1/dance",
            Some(&token1),
            "{}",
            404,
            "unknown_action",
        ),
        (
            "POST",
            "/api/v1/counters/1/call-next",
            None,
            "{}",
            401,
            "unauthorized",
        ),
        (
            "POST",
            "/api/v1/counters/1/call-next",
            Some("qc_not_a_token"),
            "{}",
            401,
            "unauthorized",
        ),
        (
            "POST",
            "/api/v1/counters/1/call-next",
            Some(&token2),
            "{}",
            403,
            "forbidden",
        ),
        (
            "POST",
            "/api/v1/counters/1/finish",
            Some(&token1),
            r#"{"rating":9}"#,
            422,
            "bad_rating",
        ),
        (
            "POST",
            "/api/v1/counters/1/finish",
            Some(&token1),
            r#"{"rating":"#,
            400,
            "invalid_body",
        ),
        (
            "POST",
            "/api/v1/counters/1/transfer",
            Some(&token1),
            r#"{}"#,
            422,
            "invalid_body",
        ),
        (
            "POST",
            "/api/v1/counters/1/transfer",
            Some(&token1),
            r#"{"service":"Z"}"#,
            404,
            "unknown_service",
        ),
        (
            "POST",
            "/api/v1/counters/1/close",
            Some(&token1),
            "{}",
            409,
            "counter_busy",
        ),
        (
            "POST",
            "/api/v1/counters/2/recall",
            Some(&token2),
            "{}",
            409,
            "no_current_ticket",
        ),
        (
            "GET",
            "/api/v1/stats?date=yesterday",
            None,
            "",
            400,
            "bad_request",
        ),
        ("GET", "/api/v1/nothing", None, "", 404, "not_found"),
    ];
    for (method, path, token, body, status, code) in cases {
        let method: Method = method.parse().unwrap();
        let body = (!body.is_empty()).then(|| bytes::Bytes::from(body.to_string()));
        let (got, raw) = c
            .send_raw(method.clone(), path, *token, body)
            .await
            .unwrap();
        let v: Value = serde_json::from_slice(&raw).unwrap_or(Value::Null);
        assert_eq!(got.as_u16(), *status, "{method} {path}: {v}");
        assert_eq!(v["error"]["code"], *code, "{method} {path}: {v}");
        let message = v["error"]["message"].as_str().unwrap_or_default();
        assert!(
            message.len() > 10,
            "{method} {path}: the message must explain: {v}"
        );
    }
    assert_eq!(
        observable(&mut c).await,
        before,
        "refused requests changed the hall"
    );
}

#[tokio::test]
async fn kiosks_are_rate_limited_but_guides_are_not() {
    let hall = Hall::with(|c| c.server.kiosk_rate_per_minute = 3);
    let d = hall.start();
    let guide = hall.token(&["--guide", "wang"]);
    let mut c = d.conn().await;
    for _ in 0..3 {
        assert_eq!(
            c.post("/api/v1/tickets", None, &json!({"service": "A"}))
                .await
                .unwrap()
                .status,
            StatusCode::CREATED
        );
    }
    let limited = c
        .post("/api/v1/tickets", None, &json!({"service": "A"}))
        .await
        .unwrap();
    assert_eq!(limited.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(limited.body["error"]["code"], "rate_limited");
    let by_guide = c
        .post("/api/v1/tickets", Some(&guide), &json!({"service": "A"}))
        .await
        .unwrap();
    assert_eq!(by_guide.status, StatusCode::CREATED);
    assert_eq!(
        by_guide.body["ticket"]["number"], "A004",
        "the refused request used no number"
    );
}

#[tokio::test]
async fn health_and_metrics() {
    let hall = Hall::demo();
    let d = hall.start();
    let mut c = d.conn().await;
    let health = c.get("/healthz").await.unwrap();
    assert_eq!(health.status, StatusCode::OK);
    assert_eq!(health.body["status"], "ok");
    assert_eq!(
        c.get("/api/v1/healthz").await.unwrap().status,
        StatusCode::OK
    );
    c.post("/api/v1/tickets", None, &json!({"service": "B"}))
        .await
        .unwrap();
    let (status, body) = c
        .send_raw(Method::GET, "/metrics", None, None)
        .await
        .unwrap();
    let text = String::from_utf8_lossy(&body);
    assert_eq!(status, StatusCode::OK);
    assert!(text.contains("qcall_tickets_issued_total 1"), "{text}");
    assert!(text.contains("qcall_waiting{service=\"B\"} 1"), "{text}");
}
