//! Staff accounts and sessions through the real binary: `qcall staff` on
//! the hall's database, `POST/DELETE /api/v1/session` and what a session's
//! token may do, its errors (401, 403, 404, 422, 429 with `Retry-After`),
//! the lockout's audit row, and the ends of a session: sign-out, the end
//! of the business day (under the test clock), a disabled account.

use std::io::Write;
use std::process::Stdio;

use hyper::Method;
use serde_json::{Value, json};

use super::*;

/// Midnight starting Monday 2026-11-23 in the demo hall (Asia/Shanghai).
const MONDAY: i64 = 1_795_363_200_000;
const MIN: i64 = 60_000;
/// The end of that business day.
const DAY_END: i64 = MONDAY + 24 * 60 * MIN;

/// `qcall staff ARGS --config .. --db ..` with `stdin` on standard input.
pub(super) fn staff_cli(hall: &Hall, args: &[&str], stdin: &str) -> Output {
    let mut child = std::process::Command::new(qcall_bin())
        .arg("staff")
        .args(args)
        .args(["--config", hall.config.to_str().unwrap()])
        .args(["--db", hall.db.to_str().unwrap()])
        .env("RUST_LOG", "warn")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("cannot run qcall staff");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

/// Adds an account with `qcall staff add --password-stdin`.
pub(super) fn add_staff(hall: &Hall, id: &str, name: &str, role: &str, password: &str) {
    let out = staff_cli(
        hall,
        &[
            "add",
            "--id",
            id,
            "--name",
            name,
            "--role",
            role,
            "--password-stdin",
        ],
        &format!("{password}\n"),
    );
    assert!(
        out.status.success(),
        "staff add: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

async fn sign_in(c: &mut Conn, body: Value) -> qcall::client::Response {
    c.send(Method::POST, "/api/v1/session", None, Some(&body))
        .await
        .unwrap()
}

fn code(r: &qcall::client::Response) -> (u16, &str) {
    (
        r.status.as_u16(),
        r.body["error"]["code"].as_str().unwrap_or(""),
    )
}

#[tokio::test]
async fn qcall_staff_adds_lists_and_refuses_bad_input() {
    let hall = Hall::demo();
    add_staff(&hall, "1024", "李娜", "clerk", "s3cret-pass");
    add_staff(&hall, "2001", "王强", "supervisor", "boss-pass-1");
    let taken = staff_cli(
        &hall,
        &[
            "add",
            "--id",
            "1024",
            "--name",
            "x",
            "--role",
            "guide",
            "--password-stdin",
        ],
        "another-pass\n",
    );
    assert!(!taken.status.success());
    assert!(String::from_utf8_lossy(&taken.stderr).contains("is taken"));
    let short = staff_cli(
        &hall,
        &[
            "add",
            "--id",
            "7",
            "--name",
            "x",
            "--role",
            "guide",
            "--password-stdin",
        ],
        "short\n",
    );
    assert!(String::from_utf8_lossy(&short.stderr).contains("at least 8"));
    let out = staff_cli(&hall, &["list"], "");
    assert!(out.status.success());
    assert_eq!(
        stdout(&out),
        "1024\t李娜\tclerk\tactive\n2001\t王强\tsupervisor\tactive\n"
    );
    let out = staff_cli(&hall, &["disable", "--id", "1024"], "");
    assert!(out.status.success());
    assert!(stdout(&staff_cli(&hall, &["list"], "")).starts_with("1024\t李娜\tclerk\tdisabled\n"));
    let out = staff_cli(&hall, &["disable", "--id", "9999"], "");
    assert!(String::from_utf8_lossy(&out.stderr).contains("no staff account 9999"));
}

#[tokio::test]
async fn a_clerk_signs_in_at_a_counter_acts_there_and_signs_out() {
    let hall = Hall::demo();
    add_staff(&hall, "1024", "李娜", "clerk", "s3cret-pass");
    add_staff(&hall, "3001", "赵敏", "guide", "guide-pass");
    let device = hall.counter_token("1");
    let d = hall.start_at(MONDAY + 10 * 60 * MIN);
    let mut c = d.conn().await;

    let pw = "s3cret-pass";
    let r = sign_in(&mut c, json!({"staff": "1024", "password": pw})).await;
    assert_eq!(code(&r), (422, "counter_required"), "{}", r.body);
    let r = sign_in(
        &mut c,
        json!({"staff": "1024", "password": pw, "counter": "99"}),
    )
    .await;
    assert_eq!(code(&r), (404, "unknown_counter"));
    let r = sign_in(
        &mut c,
        json!({"staff": "1024", "password": pw, "counter": 1}),
    )
    .await;
    assert_eq!(r.status.as_u16(), 422, "a counter is a string: {}", r.body);
    let r = sign_in(
        &mut c,
        json!({"staff": "nobody", "password": pw, "counter": "1"}),
    )
    .await;
    assert_eq!(code(&r), (401, "unauthorized"));

    let r = sign_in(
        &mut c,
        json!({"staff": "1024", "password": pw, "counter": "1"}),
    )
    .await;
    assert_eq!(r.status.as_u16(), 201, "{}", r.body);
    assert_eq!(r.body["role"], "clerk");
    assert_eq!(r.body["staff"], json!({"id": "1024", "name": "李娜"}));
    assert_eq!(r.body["expires_at"], "2026-11-24T00:00:00+08:00");
    let token = r.body["token"].as_str().unwrap().to_owned();

    let who = c
        .send(Method::GET, "/api/v1/whoami", Some(&token), None)
        .await
        .unwrap();
    assert_eq!(
        (who.body["role"].as_str(), who.body["subject"].as_str()),
        (Some("counter"), Some("1"))
    );
    // Signed in at counter 1: it opens there, and not at counter 2.
    let open = c
        .send(Method::POST, "/api/v1/counters/1/open", Some(&token), None)
        .await
        .unwrap();
    assert_eq!(open.status.as_u16(), 200, "{}", open.body);
    let other = c
        .send(Method::POST, "/api/v1/counters/2/open", Some(&token), None)
        .await
        .unwrap();
    assert_eq!(code(&other), (403, "forbidden"));
    // The counter's clerk is the account's 工号 (statistics count it).
    let counters = c.get("/api/v1/counters").await.unwrap();
    assert!(counters.body.to_string().contains("open_idle"));

    // A guide's session acts hall-wide, never at a counter.
    let g = sign_in(&mut c, json!({"staff": "3001", "password": "guide-pass"})).await;
    assert_eq!(
        (g.status.as_u16(), g.body["role"].as_str()),
        (201, Some("guide"))
    );
    let guide = g.body["token"].as_str().unwrap();
    let r = c
        .send(Method::POST, "/api/v1/counters/1/pause", Some(guide), None)
        .await
        .unwrap();
    assert_eq!(code(&r), (403, "forbidden"));

    // Signing out: the token stops working; a device token cannot sign out.
    let r = c
        .send(Method::DELETE, "/api/v1/session", Some(&device), None)
        .await
        .unwrap();
    assert_eq!(code(&r), (403, "forbidden"));
    let r = c
        .send(Method::DELETE, "/api/v1/session", None, None)
        .await
        .unwrap();
    assert_eq!(code(&r), (401, "unauthorized"));
    let r = c
        .send(Method::DELETE, "/api/v1/session", Some(&token), None)
        .await
        .unwrap();
    assert_eq!(r.status.as_u16(), 204);
    let r = c
        .send(Method::POST, "/api/v1/counters/1/pause", Some(&token), None)
        .await
        .unwrap();
    assert_eq!(code(&r), (401, "unauthorized"));
    let r = c
        .send(Method::DELETE, "/api/v1/session", Some(&token), None)
        .await
        .unwrap();
    assert_eq!(code(&r), (401, "unauthorized"), "once");
}

#[tokio::test]
async fn a_clerk_who_signs_out_is_no_longer_named_on_the_window_screen() {
    let hall = Hall::demo();
    add_staff(&hall, "1024", "李娜", "clerk", "s3cret-pass");
    let boss = hall.token(&["--supervisor", "li.na"]);
    let mut d = hall.start_at(MONDAY + 10 * 60 * MIN);
    let mut c = d.conn().await;
    let r = sign_in(
        &mut c,
        json!({"staff": "1024", "password": "s3cret-pass", "counter": "3"}),
    )
    .await;
    assert_eq!(r.status.as_u16(), 201, "{}", r.body);
    let token = r.body["token"].as_str().unwrap().to_owned();
    for action in ["open", "pause"] {
        let path = format!("/api/v1/counters/3/{action}");
        let r = c
            .send(Method::POST, &path, Some(&token), None)
            .await
            .unwrap();
        assert_eq!(r.status.as_u16(), 200, "{action}: {}", r.body);
    }
    let window = c.get("/api/v1/window/3").await.unwrap().body;
    assert_eq!(window["clerk"], json!({"id": "1024", "name": "李娜"}));
    assert_eq!(window["state"], "paused");

    let mut display = d.display("").await;
    display.next_of("snapshot").await;
    let r = c
        .send(Method::DELETE, "/api/v1/session", Some(&token), None)
        .await
        .unwrap();
    assert_eq!(r.status.as_u16(), 204, "{}", r.body);
    // The screens hear it: a frame about counter 3, still paused.
    let frame = display.next_of("counter_staff_left").await;
    assert_eq!(
        (
            frame["counter"]["id"].as_str(),
            frame["counter"]["state"].as_str()
        ),
        (Some("3"), Some("paused"))
    );
    assert!(frame["seq"].as_u64() > window["seq"].as_u64(), "{frame}");
    let after = c.get("/api/v1/window/3").await.unwrap().body;
    assert_eq!(after["clerk"], Value::Null, "{after}");
    assert_eq!(after["state"], "paused", "neither closed nor resumed");
    assert!(!after.to_string().contains("李娜"), "{after}");

    // Audited like the other staff actions.
    let audit = c
        .send(Method::GET, "/api/v1/audit", Some(&boss), None)
        .await
        .unwrap()
        .body;
    let rows: Vec<_> = audit["audit"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["action"].clone(), r["by"].clone(), r["counter"].clone()))
        .collect();
    assert_eq!(
        rows,
        [(json!("staff_sign_out"), json!("1024"), json!("3"))],
        "{audit}"
    );

    // The log replays to the same screen after a restart.
    d.kill();
    let d = hall.start_at(MONDAY + 10 * 60 * MIN + MIN);
    let again = d.conn().await.get("/api/v1/window/3").await.unwrap().body;
    assert_eq!(
        (again["clerk"].clone(), again["state"].clone()),
        (Value::Null, json!("paused"))
    );
}

#[tokio::test]
async fn five_wrong_passwords_lock_the_account_for_15_minutes_audited() {
    let hall = Hall::demo();
    add_staff(&hall, "1024", "李娜", "clerk", "s3cret-pass");
    let supervisor = hall.token(&["--supervisor", "王强"]);
    let t0 = MONDAY + 10 * 60 * MIN;
    let d = hall.start_at(t0);
    let mut c = d.conn().await;
    let wrong = json!({"staff": "1024", "password": "guess-guess", "counter": "1"});
    let right = json!({"staff": "1024", "password": "s3cret-pass", "counter": "1"});
    for attempt in 1..=4 {
        let r = sign_in(&mut c, wrong.clone()).await;
        assert_eq!(code(&r), (401, "unauthorized"), "attempt {attempt}");
    }
    let r = sign_in(&mut c, wrong.clone()).await;
    assert_eq!(code(&r), (429, "account_locked"), "{}", r.body);
    assert_eq!(r.headers["retry-after"], "900");
    // Locked: even the right password waits, and says how long.
    d.set_clock(t0 + 5 * MIN).await;
    let r = sign_in(&mut c, right.clone()).await;
    assert_eq!(code(&r), (429, "account_locked"));
    assert_eq!(r.headers["retry-after"], "600");
    assert!(
        r.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("10 minute")
    );

    let audit = c
        .send(Method::GET, "/api/v1/audit", Some(&supervisor), None)
        .await
        .unwrap();
    let rows = audit.body["audit"].as_array().unwrap();
    assert!(
        rows.iter()
            .any(|a| a["action"] == "staff_locked" && a["by"] == "1024"),
        "{rows:?}"
    );
    d.set_clock(t0 + 15 * MIN).await;
    let r = sign_in(&mut c, right).await;
    assert_eq!(
        r.status.as_u16(),
        201,
        "unlocked after 15 minutes: {}",
        r.body
    );
}

#[tokio::test]
async fn a_session_ends_with_the_business_day_and_with_its_account() {
    let hall = Hall::demo();
    add_staff(&hall, "2001", "王强", "supervisor", "boss-pass-1");
    let d = hall.start_at(DAY_END - 10 * MIN);
    let mut c = d.conn().await;
    let body = json!({"staff": "2001", "password": "boss-pass-1"});
    let r = sign_in(&mut c, body.clone()).await;
    assert_eq!(
        (r.status.as_u16(), r.body["role"].as_str()),
        (201, Some("supervisor"))
    );
    let token = r.body["token"].as_str().unwrap().to_owned();
    let r = c
        .send(Method::GET, "/api/v1/audit", Some(&token), None)
        .await
        .unwrap();
    assert_eq!(r.status.as_u16(), 200);
    d.set_clock(DAY_END).await;
    let r = c
        .send(Method::GET, "/api/v1/audit", Some(&token), None)
        .await
        .unwrap();
    assert_eq!(code(&r), (401, "unauthorized"), "a new day: sign in again");

    let r = sign_in(&mut c, body.clone()).await;
    let token = r.body["token"].as_str().unwrap().to_owned();
    let out = staff_cli(&hall, &["disable", "--id", "2001"], "");
    assert!(out.status.success());
    let r = c
        .send(Method::GET, "/api/v1/audit", Some(&token), None)
        .await
        .unwrap();
    assert_eq!(code(&r), (401, "unauthorized"), "disabled");
    let r = sign_in(&mut c, body).await;
    assert_eq!(code(&r), (403, "account_disabled"));
}

#[tokio::test]
async fn post_call_calls_a_waiting_number_of_this_counter_and_refuses_others_clearly() {
    let hall = Hall::demo();
    let clerk = hall.counter_token("1"); // counter 1 serves A and B
    let supervisor = hall.token(&["--supervisor", "王强"]);
    let d = hall.start();
    let mut c = d.conn().await;
    let take = |service: &'static str| {
        let url = d.url.clone();
        async move {
            let mut c = Conn::connect(&url).await.unwrap();
            c.post("/api/v1/tickets", None, &json!({"service": service}))
                .await
                .unwrap()
                .body["ticket"]
                .clone()
        }
    };
    let (a1, a2, c1) = (take("A").await, take("A").await, take("C").await);
    let call = |body: Value, token: &str| {
        let (url, token) = (d.url.clone(), token.to_owned());
        async move {
            let mut c = Conn::connect(&url).await.unwrap();
            c.post("/api/v1/counters/1/call", Some(&token), &body)
                .await
                .unwrap()
        }
    };
    let r = call(json!({"number": a2["number"]}), &clerk).await;
    assert_eq!(code(&r), (422, "bad_input"), "{}", r.body);
    let r = call(json!({"reason": "away"}), &clerk).await;
    assert_eq!(code(&r), (422, "invalid_body"), "{}", r.body);
    let r = call(json!({"number": "Z999", "reason": "away"}), &clerk).await;
    assert_eq!(code(&r), (404, "unknown_number"));
    let r = call(json!({"number": c1["number"], "reason": "away"}), &clerk).await;
    assert_eq!(code(&r), (409, "not_for_this_counter"), "{}", r.body);
    assert!(
        r.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("does not serve")
    );
    let r = call(
        json!({"number": c1["number"], "reason": "away", "force": true}),
        &clerk,
    )
    .await;
    assert_eq!(code(&r), (403, "forbidden"));
    let r = c
        .post(
            "/api/v1/counters/1/call",
            None,
            &json!({"number": "A001", "reason": "x"}),
        )
        .await
        .unwrap();
    assert_eq!(code(&r), (401, "unauthorized"));

    let r = call(
        json!({"number": a2["number"], "reason": "called while away"}),
        &clerk,
    )
    .await;
    assert_eq!(r.status.as_u16(), 200, "{}", r.body);
    assert_eq!(r.body["ticket"]["id"], a2["id"]);
    assert_eq!(r.body["ticket"]["state"], "called");
    assert_eq!(r.body["counter_state"], "calling");
    let first = c
        .get(&format!("/api/v1/tickets/{}", a1["id"]))
        .await
        .unwrap();
    assert_eq!(first.body["ticket"]["state"], "waiting");

    // A supervisor may call another service's number here, audited as theirs.
    let r = c
        .post("/api/v1/counters/1/finish", Some(&clerk), &json!({}))
        .await
        .unwrap();
    assert_eq!(r.status.as_u16(), 200);
    let r = call(
        json!({"number": c1["number"], "reason": "urgent", "force": true}),
        &supervisor,
    )
    .await;
    assert_eq!(r.status.as_u16(), 200, "{}", r.body);
    let audit = c
        .send(Method::GET, "/api/v1/audit", Some(&supervisor), None)
        .await
        .unwrap();
    let rows = audit.body["audit"].as_array().unwrap();
    let actions: Vec<(&str, &str)> = rows
        .iter()
        .filter(|a| {
            a["action"]
                .as_str()
                .is_some_and(|x| x.starts_with("call_number"))
        })
        .map(|a| (a["action"].as_str().unwrap(), a["by"].as_str().unwrap()))
        .collect();
    assert_eq!(
        actions,
        [("call_number", "1"), ("call_number_override", "王强")],
        "{rows:?}"
    );
}

#[tokio::test]
async fn alerts_keep_their_ids_and_acknowledgements_across_a_restart() {
    let hall = Hall::demo();
    let supervisor = hall.token(&["--supervisor", "王强"]);
    let clerk = hall.counter_token("1");
    let mut d = hall.start();
    let mut c = d.conn().await;
    let raise = json!({"kind": "guide", "source": "kiosk-1"});
    let first = c.post("/api/v1/alerts", None, &raise).await.unwrap().body["alert"]["id"].clone();
    let second = c.post("/api/v1/alerts", None, &raise).await.unwrap().body["alert"]["id"].clone();
    assert_eq!(second.as_i64(), first.as_i64().map(|n| n + 1));
    let ack = |id: &Value| format!("/api/v1/alerts/{id}/ack");
    let r = c.post(&ack(&first), None, &json!({})).await.unwrap();
    assert_eq!(code(&r), (401, "unauthorized"));
    let r = c
        .post(&ack(&first), Some(&clerk), &json!({}))
        .await
        .unwrap();
    assert_eq!(code(&r), (403, "forbidden"));
    let r = c
        .post("/api/v1/alerts/999/ack", Some(&supervisor), &json!({}))
        .await
        .unwrap();
    assert_eq!(code(&r), (404, "unknown_alert"));
    let r = c
        .post("/api/v1/alerts/wait:A/ack", Some(&supervisor), &json!({}))
        .await
        .unwrap();
    assert_eq!(code(&r), (404, "unknown_alert"));
    let r = c
        .post(
            &ack(&first),
            Some(&supervisor),
            &json!({"note": "x".repeat(501)}),
        )
        .await
        .unwrap();
    assert_eq!(code(&r), (422, "invalid_body"));
    let r = c
        .post(
            &ack(&first),
            Some(&supervisor),
            &json!({"note": "guide sent"}),
        )
        .await
        .unwrap();
    assert_eq!(r.status.as_u16(), 200, "{}", r.body);
    assert_eq!(r.body["alert"]["ack"]["by"], "王强");
    assert_eq!(r.body["alert"]["ack"]["note"], "guide sent");

    d.kill();
    let d = hall.start();
    let mut c = d.conn().await;
    let list = c
        .send(Method::GET, "/api/v1/alerts", Some(&supervisor), None)
        .await
        .unwrap();
    let recent = list.body["recent"].as_array().unwrap();
    let ids: Vec<&Value> = recent.iter().map(|a| &a["id"]).collect();
    assert_eq!(ids, [&second, &first], "{recent:?}");
    assert_eq!(recent[1]["ack"]["note"], "guide sent");
    assert!(recent[0]["ack"].is_null());
    let third = c.post("/api/v1/alerts", None, &raise).await.unwrap().body["alert"]["id"].clone();
    assert_eq!(
        third.as_i64(),
        second.as_i64().map(|n| n + 1),
        "ids go on after a restart"
    );
}

#[tokio::test]
async fn a_clerk_away_inside_hours_with_people_waiting_alerts_supervisors_and_counts_in_stats() {
    let hall = Hall::demo(); // Monday 08:30-12:00; [staff] away_alert_minutes = 10
    add_staff(&hall, "1024", "李娜", "clerk", "s3cret-pass");
    let supervisor = hall.token(&["--supervisor", "王强"]);
    let t0 = MONDAY + 9 * 60 * MIN;
    let d = hall.start_at(t0);
    let mut c = d.conn().await;
    let r = sign_in(
        &mut c,
        json!({"staff": "1024", "password": "s3cret-pass", "counter": "4"}),
    )
    .await;
    let token = r.body["token"].as_str().unwrap().to_owned();
    for action in ["open", "pause"] {
        let r = c
            .post(
                &format!("/api/v1/counters/4/{action}"),
                Some(&token),
                &json!({}),
            )
            .await
            .unwrap();
        assert_eq!(r.status.as_u16(), 200, "{action}: {}", r.body);
    }
    let r = c
        .post("/api/v1/tickets", None, &json!({"service": "C"}))
        .await
        .unwrap();
    assert_eq!(r.status.as_u16(), 201);
    let mut staff = super::trust::staff_stream(&d, &supervisor).await;
    d.set_clock(t0 + 11 * MIN).await;
    let alert = loop {
        let f = staff.next_of("alert").await;
        if f["kind"] == "away" {
            break f;
        }
    };
    assert_eq!(
        (alert["counter"].as_str(), alert["staff"].as_str()),
        (Some("4"), Some("1024"))
    );
    assert_eq!(alert["state"], "paused");
    assert_eq!(alert["minutes"], 11);
    assert!(
        alert["message"]["zh"]
            .as_str()
            .unwrap()
            .contains("脱岗/早退")
    );
    let stats = c
        .send(Method::GET, "/api/v1/stats", Some(&supervisor), None)
        .await
        .unwrap();
    assert_eq!(
        stats.body["away"],
        json!([{"staff": "1024", "minutes": 11}]),
        "{}",
        stats.body["away"]
    );
    let public = c.get("/api/v1/stats").await.unwrap();
    assert_eq!(
        public.body["away"],
        json!([]),
        "who was away is the supervisor's business"
    );
}

#[tokio::test]
async fn supervisors_manage_staff_over_the_api_and_each_change_is_audited() {
    let hall = Hall::demo();
    let supervisor = hall.token(&["--supervisor", "王强"]);
    let clerk = hall.counter_token("1");
    let d = hall.start();
    let mut c = d.conn().await;
    let add = json!({"id": "1024", "name": "李娜", "role": "clerk", "password": "s3cret-pass"});
    let r = c.post("/api/v1/staff", None, &add).await.unwrap();
    assert_eq!(code(&r), (401, "unauthorized"));
    let r = c.post("/api/v1/staff", Some(&clerk), &add).await.unwrap();
    assert_eq!(code(&r), (403, "forbidden"));
    let r = c
        .post(
            "/api/v1/staff",
            Some(&supervisor),
            &json!({"id": "1024", "name": "x", "role": "boss", "password": "s3cret-pass"}),
        )
        .await
        .unwrap();
    assert_eq!(code(&r), (422, "invalid_body"));
    let r = c
        .post("/api/v1/staff", Some(&supervisor), &add)
        .await
        .unwrap();
    assert_eq!(r.status.as_u16(), 201, "{}", r.body);
    assert_eq!(
        r.body["staff"],
        json!({"id": "1024", "name": "李娜", "role": "clerk", "state": "active"})
    );
    let r = c
        .post("/api/v1/staff", Some(&supervisor), &add)
        .await
        .unwrap();
    assert_eq!(code(&r), (409, "staff_exists"));
    let r = sign_in(
        &mut c,
        json!({"staff": "1024", "password": "s3cret-pass", "counter": "1"}),
    )
    .await;
    let session = r.body["token"].as_str().unwrap().to_owned();
    let r = c
        .post(
            "/api/v1/staff/1024/password",
            Some(&supervisor),
            &json!({"password": "new-pass-22"}),
        )
        .await
        .unwrap();
    assert_eq!(r.status.as_u16(), 200, "{}", r.body);
    let r = c
        .send(Method::GET, "/api/v1/whoami", Some(&session), None)
        .await
        .unwrap();
    assert_eq!(
        code(&r),
        (401, "unauthorized"),
        "a new password ends the sessions"
    );
    let r = c
        .post("/api/v1/staff/9999/disable", Some(&supervisor), &json!({}))
        .await
        .unwrap();
    assert_eq!(code(&r), (404, "unknown_staff"));
    let r = c
        .post("/api/v1/staff/1024/promote", Some(&supervisor), &json!({}))
        .await
        .unwrap();
    assert_eq!(code(&r), (404, "unknown_change"));
    let r = c
        .post("/api/v1/staff/1024/disable", Some(&supervisor), &json!({}))
        .await
        .unwrap();
    assert_eq!(r.body["staff"]["state"], "disabled");
    let list = c
        .send(Method::GET, "/api/v1/staff", Some(&supervisor), None)
        .await
        .unwrap();
    assert_eq!(list.body["staff"][0]["state"], "disabled");
    assert!(
        !list.body.to_string().contains("argon2"),
        "no hash leaves the daemon"
    );
    let audit = c
        .send(Method::GET, "/api/v1/audit", Some(&supervisor), None)
        .await
        .unwrap();
    let actions: Vec<&str> = audit.body["audit"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|a| a["action"].as_str())
        .collect();
    assert_eq!(
        actions,
        ["staff_add", "staff_password", "staff_disable"],
        "{actions:?}"
    );
}

/// Parallel sign-ins meet the lockout as serial ones do: of ten wrong
/// passwords sent at once, four are checked and answered 401, the fifth
/// locks, the rest are refused without a check; the right password, even
/// five at once, is refused while locked.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parallel_sign_ins_cannot_outrun_the_lockout() {
    let hall = Hall::demo();
    add_staff(&hall, "1024", "李娜", "clerk", "s3cret-pass");
    let d = hall.start_at(MONDAY + 10 * 60 * MIN);
    let at_once = |password: &'static str, n: usize| {
        let d = &d;
        async move {
            let mut conns = Vec::new();
            for _ in 0..n {
                conns.push(d.conn().await);
            }
            let tries = conns.into_iter().map(|mut c| async move {
                let body = json!({"staff": "1024", "password": password, "counter": "1"});
                let r = sign_in(&mut c, body).await;
                (
                    r.status.as_u16(),
                    r.body["error"]["code"].as_str().unwrap_or("").to_owned(),
                )
            });
            futures_util::future::join_all(tries).await
        }
    };
    let count = |answers: &[(u16, String)], status: u16, code: &str| {
        answers
            .iter()
            .filter(|(s, c)| *s == status && c == code)
            .count()
    };
    let wrong = at_once("guess-guess", 10).await;
    assert_eq!(count(&wrong, 401, "unauthorized"), 4, "{wrong:?}");
    assert_eq!(count(&wrong, 429, "account_locked"), 6, "{wrong:?}");
    let right = at_once("s3cret-pass", 5).await;
    assert_eq!(count(&right, 429, "account_locked"), 5, "{right:?}");
}

/// A wrong password and an unknown 工号 get the same answer (it tells no
/// one which 工号 exist); each address has 20 sign-ins a minute, then 429
/// with `Retry-After`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_ins_tell_no_real_id_and_are_limited_per_address() {
    let hall = Hall::demo();
    add_staff(&hall, "1024", "李娜", "clerk", "s3cret-pass");
    let d = hall.start_at(MONDAY + 10 * 60 * MIN);
    let mut c = d.conn().await;
    let real = sign_in(
        &mut c,
        json!({"staff": "1024", "password": "nope-nope", "counter": "1"}),
    )
    .await;
    let unknown = sign_in(
        &mut c,
        json!({"staff": "9999", "password": "nope-nope", "counter": "1"}),
    )
    .await;
    assert_eq!(code(&real), (401, "unauthorized"));
    assert_eq!(
        real.body, unknown.body,
        "the same for a real and an unknown 工号"
    );
    for attempt in 3..=20 {
        let r = sign_in(&mut c, json!({"staff": "9999", "password": "nope-nope"})).await;
        assert_eq!(code(&r), (401, "unauthorized"), "attempt {attempt}");
    }
    let r = sign_in(
        &mut c,
        json!({"staff": "1024", "password": "s3cret-pass", "counter": "1"}),
    )
    .await;
    assert_eq!(code(&r), (429, "rate_limited"), "{}", r.body);
    assert_eq!(r.headers["retry-after"], "60");
}
