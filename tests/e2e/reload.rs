//! Live configuration through the real binary: the config file edited
//! under a running daemon, re-read on SIGHUP and on
//! `POST /api/v1/admin/reload`; connected screens keep their sockets and
//! learn of it from a `config_reloaded` notice; what cannot change live is
//! refused with the reason and the running config stays.

use serde_json::{Value, json};

use super::*;
use qcall::config::Bilingual;

/// 2026-11-23 (a Monday) at 10:00 in Shanghai, as Unix milliseconds.
const MONDAY_10: i64 = 1_795_363_200_000 + 10 * 60 * 60_000;

fn edit(hall: &Hall, change: impl FnOnce(&mut Config)) {
    let mut config = Config::load(&hall.config).unwrap();
    change(&mut config);
    std::fs::write(&hall.config, toml::to_string(&config).unwrap()).unwrap();
}

fn sighup(d: &Daemon) {
    let status = Command::new("kill")
        .args(["-HUP", &d.child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
}

fn alive(d: &mut Daemon) -> bool {
    d.child.try_wait().unwrap().is_none()
}

async fn take(d: &Daemon, service: &str) -> qcall::client::Response {
    d.conn()
        .await
        .post(
            "/api/v1/tickets",
            None,
            &json!({"service": service, "source": "kiosk-1"}),
        )
        .await
        .unwrap()
}

async fn materials(d: &Daemon, service: &str) -> Vec<String> {
    let body = d.conn().await.get("/api/v1/services").await.unwrap().body;
    body["services"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["code"] == service)
        .unwrap_or_else(|| panic!("no service {service} in {body}"))["materials"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["en"].as_str().unwrap().to_owned())
        .collect()
}

async fn ticker(d: &Daemon) -> Vec<String> {
    let body = d.conn().await.get("/api/v1/display").await.unwrap().body;
    body["display"]["ticker"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["en"].as_str().unwrap().to_owned())
        .collect()
}

async fn reload(d: &Daemon, token: Option<&str>) -> qcall::client::Response {
    d.conn()
        .await
        .post("/api/v1/admin/reload", token, &json!({}))
        .await
        .unwrap()
}

async fn audit(d: &Daemon, boss: &str) -> Vec<Value> {
    let body = d
        .conn()
        .await
        .send(hyper::Method::GET, "/api/v1/audit", Some(boss), None)
        .await
        .unwrap()
        .body;
    body["audit"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["action"] == "config_reload")
        .cloned()
        .collect()
}

fn error_code(resp: &qcall::client::Response) -> (u16, String, String) {
    let e = &resp.body["error"];
    (
        resp.status.as_u16(),
        e["code"].as_str().unwrap_or("").into(),
        e["message"].as_str().unwrap_or("").into(),
    )
}

/// SIGHUP adds a material, renames the hall and changes the ticker: a
/// kiosk's and a display's sockets (both on `/ws/display`, as the pages
/// use it) get the notice and a fresh snapshot of the new hall on the same
/// connection, the API then serves the new config, the
/// same sockets go on carrying events, and the reload is audited.
#[tokio::test]
async fn sighup_applies_a_new_material_and_ticker_to_connected_screens() {
    let hall = Hall::demo();
    let d = hall.start_at(MONDAY_10);
    let boss = hall.token(&["--supervisor", "li.na"]);
    let mut kiosk = d.display("").await;
    let mut display = d.display("").await;
    kiosk.next_of("snapshot").await;
    display.next_of("snapshot").await;
    assert!(
        !materials(&d, "A")
            .await
            .contains(&"Marriage certificate".to_owned())
    );

    edit(&hall, |c| {
        c.services[0].materials.push(Bilingual {
            zh: "结婚证".into(),
            en: "Marriage certificate".into(),
        });
        c.hall.name.en = "Riverside Service Hall".into();
        c.display.ticker = vec![Bilingual {
            zh: "今天下午三点停电检修".into(),
            en: "Power maintenance at 15:00 today".into(),
        }];
    });
    sighup(&d);
    for ws in [&mut kiosk, &mut display] {
        let notice = ws.next_of("config_reloaded").await;
        let changes = notice["changes"].to_string();
        assert!(
            changes.contains("[[services]] A changed: materials"),
            "{notice}"
        );
        assert!(changes.contains("[display] changed: ticker"), "{notice}");
        assert!(changes.contains("[hall] changed: name"), "{notice}");
        // Then a fresh snapshot, drawn with the new config.
        let snapshot = ws.next().await;
        assert_eq!(snapshot["type"], "snapshot", "{snapshot}");
        assert_eq!(snapshot["hall"]["en"], "Riverside Service Hall");
    }
    assert!(
        materials(&d, "A")
            .await
            .contains(&"Marriage certificate".to_owned())
    );
    assert_eq!(ticker(&d).await, ["Power maintenance at 15:00 today"]);

    // The same sockets carry the next ticket: nobody reconnected.
    let t = take(&d, "A").await;
    assert_eq!(t.status.as_u16(), 201, "{}", t.body);
    for ws in [&mut kiosk, &mut display] {
        let issued = ws.next_of("ticket_issued").await;
        assert_eq!(issued["ticket"]["id"], t.body["ticket"]["id"]);
    }
    let rows = audit(&d, &boss).await;
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0]["by"], "SIGHUP");
    let detail = rows[0]["detail"].as_str().unwrap();
    assert!(
        detail.contains("[[services]] A changed: materials"),
        "{detail}"
    );
}

/// A broken file, a changed time zone and a removed service that still
/// has a ticket waiting are each refused with the reason, on SIGHUP (the
/// daemon lives on) and on the endpoint; the running config stays,
/// tickets keep being issued, and nothing is audited as a reload.
#[tokio::test]
async fn a_reload_that_cannot_apply_is_refused_and_the_hall_runs_on() {
    let hall = Hall::demo();
    let mut d = hall.start_at(MONDAY_10);
    let boss = hall.token(&["--supervisor", "li.na"]);
    let before = materials(&d, "A").await;
    let waiting = take(&d, "B").await;
    assert_eq!(waiting.status.as_u16(), 201, "{}", waiting.body);
    let good = std::fs::read_to_string(&hall.config).unwrap();

    // A syntax error: named with its line.
    std::fs::write(&hall.config, format!("{good}\n[display\n")).unwrap();
    let line = good.lines().count() + 2;
    sighup(&d);
    let r = reload(&d, Some(&boss)).await;
    assert!(alive(&mut d), "SIGHUP must not end the daemon");
    let (status, code, message) = error_code(&r);
    assert_eq!(
        (status, code.as_str()),
        (422, "config_invalid"),
        "{message}"
    );
    assert!(
        message.contains(&format!("{}:{line}:", hall.config.display())),
        "{message}"
    );

    // A semantic refusal: the time zone needs a restart.
    std::fs::write(&hall.config, &good).unwrap();
    edit(&hall, |c| {
        c.hall.timezone = "Asia/Tokyo".into();
        c.services[0].materials.clear();
    });
    let (status, code, message) = error_code(&reload(&d, Some(&boss)).await);
    assert_eq!(
        (status, code.as_str()),
        (409, "config_refused"),
        "{message}"
    );
    assert!(message.contains("[hall] timezone"), "{message}");

    // Service B still has a ticket waiting: it cannot go.
    std::fs::write(&hall.config, &good).unwrap();
    edit(&hall, |c| {
        c.services.retain(|s| s.code != "B");
        for counter in &mut c.counters {
            counter.services.retain(|s| s != "B");
        }
        for zone in &mut c.display.zones {
            zone.services.retain(|s| s != "B");
        }
        c.services[0].materials.clear();
    });
    sighup(&d);
    let (status, code, message) = error_code(&reload(&d, Some(&boss)).await);
    assert!(alive(&mut d));
    assert_eq!(
        (status, code.as_str()),
        (409, "config_refused"),
        "{message}"
    );
    assert!(message.contains("service `B`"), "{message}");
    assert!(message.contains("1 ticket"), "{message}");

    // Nothing of any of them applies; tickets keep coming.
    assert_eq!(materials(&d, "A").await, before);
    assert_eq!(take(&d, "B").await.status.as_u16(), 201);
    assert_eq!(take(&d, "A").await.status.as_u16(), 201);
    assert!(audit(&d, &boss).await.is_empty());
}

/// `POST /api/v1/admin/reload` needs a supervisor and answers what changed;
/// the reload is in the audit trail with who asked.
#[tokio::test]
async fn the_reload_endpoint_needs_a_supervisor_and_answers_the_summary() {
    let hall = Hall::demo();
    let d = hall.start_at(MONDAY_10);
    let boss = hall.token(&["--supervisor", "li.na"]);
    let clerk = hall.counter_token("1");
    edit(&hall, |c| c.services[1].daily_cap = 7);

    assert_eq!(error_code(&reload(&d, None).await).0, 401);
    assert_eq!(error_code(&reload(&d, Some(&clerk)).await).0, 403);
    let r = reload(&d, Some(&boss)).await;
    assert_eq!(r.status.as_u16(), 200, "{}", r.body);
    assert_eq!(
        r.body["changes"],
        json!(["[[services]] B changed: daily_cap"])
    );
    let rows = audit(&d, &boss).await;
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(
        (rows[0]["by"].clone(), rows[0]["seq"].clone()),
        (json!("li.na"), r.body["seq"].clone())
    );
    assert_eq!(rows[0]["detail"], "[[services]] B changed: daily_cap");

    // Unchanged: still audited, with nothing changed.
    let again = reload(&d, Some(&boss)).await;
    assert_eq!(again.body["changes"], json!([]));
    assert_eq!(audit(&d, &boss).await.len(), 2);
}
