//! The API the screens add: whoami, guide alerts, display settings, the
//! supervisor overview, and the embedded pages themselves.

use hyper::{Method, StatusCode};
use serde_json::json;

use super::*;

#[tokio::test]
async fn whoami_names_the_role_and_the_overview_is_for_supervisors_only() {
    let hall = Hall::demo();
    let d = hall.start();
    let counter = hall.counter_token("3");
    let supervisor = hall.token(&["--supervisor", "li"]);
    let mut c = d.conn().await;

    let who = |token: Option<&str>| {
        let token = token.map(str::to_owned);
        let url = d.url.clone();
        async move {
            let mut c = Conn::connect(&url).await.unwrap();
            c.send(Method::GET, "/api/v1/whoami", token.as_deref(), None)
                .await
                .unwrap()
        }
    };
    assert_eq!(who(None).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(who(Some("qc_nope")).await.status, StatusCode::UNAUTHORIZED);
    let me = who(Some(&counter)).await;
    assert_eq!(me.status, StatusCode::OK);
    assert_eq!(me.body["role"], "counter");
    assert_eq!(me.body["subject"], "3");
    assert_eq!(me.body["counter"]["number"], 3);
    assert_eq!(who(Some(&supervisor)).await.body["role"], "supervisor");

    let overview = |token: Option<String>| {
        let url = d.url.clone();
        async move {
            let mut c = Conn::connect(&url).await.unwrap();
            c.send(
                Method::GET,
                "/api/v1/admin/overview",
                token.as_deref(),
                None,
            )
            .await
            .unwrap()
        }
    };
    assert_eq!(overview(None).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        overview(Some(counter.clone())).await.status,
        StatusCode::FORBIDDEN
    );
    c.post("/api/v1/tickets", None, &json!({"service": "A"}))
        .await
        .unwrap();
    let o = overview(Some(supervisor)).await;
    assert_eq!(o.status, StatusCode::OK);
    assert_eq!(o.body["supervisor"], "li");
    assert_eq!(o.body["counters"].as_array().unwrap().len(), 8);
    assert_eq!(o.body["queue"]["services"][0]["waiting"], 1);
    assert!(o.body["alerts"].is_array());
}

#[tokio::test]
async fn a_guide_alert_reaches_displays_and_the_overview() {
    let hall = Hall::demo();
    let d = hall.start();
    let supervisor = hall.token(&["--supervisor", "li"]);
    // A display that starts from a snapshot at the current seq still gets
    // the alert, which carries that same seq.
    let mut display = d.display("").await;
    let snap = display.next_of("snapshot").await;
    let mut c = d.conn().await;
    let r = c
        .post(
            "/api/v1/alerts",
            None,
            &json!({"kind": "guide", "source": "kiosk:east-1"}),
        )
        .await
        .unwrap();
    assert_eq!(r.status, StatusCode::ACCEPTED);
    let alert = display.next_of("alert").await;
    assert_eq!(alert["kind"], "guide");
    assert_eq!(alert["source"], "kiosk:east-1");
    assert_eq!(alert["seq"], snap["seq"]);

    let bad = c
        .post("/api/v1/alerts", None, &json!({"kind": "fire"}))
        .await
        .unwrap();
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    let o = c
        .send(
            Method::GET,
            "/api/v1/admin/overview",
            Some(&supervisor),
            None,
        )
        .await
        .unwrap();
    assert_eq!(o.body["alerts"][0]["source"], "kiosk:east-1");
    assert_eq!(o.body["alerts"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn alerts_are_rate_limited_like_kiosks() {
    let hall = Hall::with(|c| c.server.kiosk_rate_per_minute = 2);
    let d = hall.start();
    let mut c = d.conn().await;
    let mut statuses = Vec::new();
    for _ in 0..3 {
        let r = c
            .post("/api/v1/alerts", None, &json!({"kind": "guide"}))
            .await
            .unwrap();
        statuses.push(r.status);
    }
    assert_eq!(
        statuses,
        [
            StatusCode::ACCEPTED,
            StatusCode::ACCEPTED,
            StatusCode::TOO_MANY_REQUESTS
        ]
    );
}

#[tokio::test]
async fn display_settings_and_pages_come_from_the_daemon() {
    let hall = Hall::demo();
    let d = hall.start();
    let mut c = d.conn().await;
    let s = c.get("/api/v1/display").await.unwrap();
    assert_eq!(s.status, StatusCode::OK);
    assert_eq!(s.body["display"]["layout"], "columns");
    let zones: Vec<_> = s.body["display"]["zones"]
        .as_array()
        .unwrap()
        .iter()
        .map(|z| z["name"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(zones, ["east", "west"]);
    assert!(!s.body["display"]["ticker"].as_array().unwrap().is_empty());

    let services = c.get("/api/v1/services").await.unwrap().body;
    assert_eq!(services["timezone"], "Asia/Shanghai");
    assert!(services["now"].as_str().unwrap().ends_with("+08:00"));

    // The pages are HTML documents; an unknown static file is a JSON 404.
    for path in ["/kiosk", "/counter", "/display", "/admin", "/"] {
        let (status, body) = c.send_raw(Method::GET, path, None, None).await.unwrap();
        assert_eq!(status, StatusCode::OK, "{path}");
        assert!(body.starts_with(b"<!doctype html>"), "{path}");
    }
    // A ticket that was never issued: still the page (it explains), as a 404.
    let (status, body) = c.send_raw(Method::GET, "/t/42", None, None).await.unwrap();
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(body.starts_with(b"<!doctype html>"));
    let missing = c.get("/static/nope.js").await.unwrap();
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert_eq!(missing.body["error"]["code"], "not_found");
}
