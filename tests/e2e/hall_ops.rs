//! Running a hall: opening hours and cut-off, serving everyone before
//! close, time-slot quotas, no-show re-entry and the audit trail. Driven
//! through the public API with the daemon's test clock.

use serde_json::{Value, json};

use super::*;

/// 2026-11-23 (a Monday) at `hh:mm` in Shanghai, as Unix milliseconds.
fn monday(hh: i64, mm: i64) -> i64 {
    1_795_363_200_000 + (hh * 60 + mm) * 60_000
}

/// The demo hall with its hours enforced: weekdays 08:30-12:00 and
/// 13:30-17:30, cut-off 30 minutes.
fn enforced_hall(edit: impl FnOnce(&mut Config)) -> Hall {
    Hall::with(|c| {
        c.server.kiosk_rate_per_minute = 0;
        c.hours.enforce = true;
        edit(c);
    })
}

async fn take(c: &mut Conn, service: &str) -> qcall::client::Response {
    c.post(
        "/api/v1/tickets",
        None,
        &json!({"service": service, "source": "kiosk-1"}),
    )
    .await
    .unwrap()
}

fn error(resp: &qcall::client::Response) -> (u16, String, String) {
    let e = &resp.body["error"];
    (
        resp.status.as_u16(),
        e["code"].as_str().unwrap_or("").into(),
        e["message"].as_str().unwrap_or("").into(),
    )
}

fn find<'a>(list: &'a Value, key: &str, id: &str) -> &'a Value {
    list.as_array()
        .unwrap()
        .iter()
        .find(|v| v[key] == id)
        .unwrap()
}

/// `[hours] cutoff = "forecast"`: past the fixed cut-off a service keeps
/// taking tickets while its queue can be served by closing plus the
/// extended minutes, then refuses with the reason, and `GET /services`
/// says `queue_full`.
#[tokio::test]
async fn a_forecast_cut_off_stops_a_service_when_its_queue_is_full() {
    let hall = enforced_hall(|c| {
        c.hours.cutoff = "forecast".into();
        c.hours.extended_minutes = 30;
    });
    let d = hall.start_at(monday(17, 5));
    let token = hall.counter_token("4");
    let mut c = d.conn().await;
    let r = c
        .post("/api/v1/counters/4/open", Some(&token), &json!({}))
        .await
        .unwrap();
    assert_eq!(r.status.as_u16(), 200);
    // C (15 minutes a call) at counter 4 alone, 55 minutes before 18:00.
    let mut taken = 0;
    let refusal = loop {
        let r = take(&mut c, "C").await;
        if r.status.as_u16() != 201 {
            break r;
        }
        taken += 1;
        assert!(taken < 10, "never refused");
    };
    assert!((1..=4).contains(&taken), "{taken} taken");
    let (status, code, message) = error(&refusal);
    assert_eq!((status, code.as_str()), (409, "service_closed"));
    assert!(
        message.contains(
            "can no longer be served by 18:00 (closing plus 30 minutes of extended service)"
        ),
        "{message}"
    );
    let services = c.get("/api/v1/services").await.unwrap().body;
    let svc = find(&services["services"], "code", "C");
    assert_eq!(
        (svc["intake"].as_str(), svc["open_now"].as_bool()),
        (Some("queue_full"), Some(false))
    );
    // A has nobody waiting: past the fixed 17:00 cut-off it still takes tickets.
    assert_eq!(find(&services["services"], "code", "A")["intake"], "open");
    assert_eq!(take(&mut c, "A").await.status.as_u16(), 201);
}

#[tokio::test]
async fn hours_and_cutoff_refuse_new_tickets_but_everyone_issued_is_served() {
    let hall = enforced_hall(|_| {});
    let d = hall.start_at(monday(8, 0));
    let token1 = hall.counter_token("1");
    let token2 = hall.counter_token("2");
    let mut c = d.conn().await;

    let (status, code, message) = error(&take(&mut c, "A").await);
    assert_eq!((status, code.as_str()), (409, "service_closed"));
    assert!(message.contains("opens at 08:30"), "{message}");
    let services = c.get("/api/v1/services").await.unwrap().body;
    assert_eq!(find(&services["services"], "code", "A")["open_now"], false);

    d.set_clock(monday(9, 0)).await;
    for _ in 0..3 {
        assert_eq!(take(&mut c, "A").await.status.as_u16(), 201);
    }
    d.set_clock(monday(12, 30)).await;
    assert_eq!(
        take(&mut c, "A").await.status.as_u16(),
        201,
        "over lunch, for the afternoon"
    );

    d.set_clock(monday(17, 0)).await;
    let (status, code, message) = error(&take(&mut c, "A").await);
    assert_eq!((status, code.as_str()), (409, "service_closed"));
    assert!(
        message.contains("new tickets stop at 17:00 (30 minutes before closing)"),
        "{message}"
    );

    // Counters 1 (A, B) and 2 (A, F) are open; four A tickets wait.
    for (counter, token) in [("1", &token1), ("2", &token2)] {
        let r = c
            .post(
                &format!("/api/v1/counters/{counter}/open"),
                Some(token),
                &json!({}),
            )
            .await
            .unwrap();
        assert_eq!(r.status.as_u16(), 200);
    }
    // One of two may leave: the other still serves A.
    let r = c
        .post("/api/v1/counters/2/close", Some(&token2), &json!({}))
        .await
        .unwrap();
    assert_eq!(r.status.as_u16(), 200, "{}", r.body);
    // The last one may not, while people wait.
    let r = c
        .post("/api/v1/counters/1/close", Some(&token1), &json!({}))
        .await
        .unwrap();
    let (status, code, message) = error(&r);
    assert_eq!((status, code.as_str()), (409, "last_counter"));
    assert!(message.contains("4 still wait"), "{message}");
    // ...nor force it with a counter token.
    let r = c
        .post(
            "/api/v1/counters/1/close",
            Some(&token1),
            &json!({"force": true}),
        )
        .await
        .unwrap();
    assert_eq!(r.status.as_u16(), 403);

    // Everyone is served, after closing: extended service.
    d.set_clock(monday(17, 40)).await;
    for _ in 0..4 {
        let r = c
            .post("/api/v1/counters/1/call-next", Some(&token1), &json!({}))
            .await
            .unwrap();
        assert_eq!(r.status.as_u16(), 200);
    }
    c.post("/api/v1/counters/1/finish", Some(&token1), &json!({}))
        .await
        .unwrap();
    let r = c
        .post("/api/v1/counters/1/close", Some(&token1), &json!({}))
        .await
        .unwrap();
    assert_eq!(r.status.as_u16(), 200, "nobody waits any more: {}", r.body);

    let stats = c.get("/api/v1/stats?date=2026-11-23").await.unwrap().body;
    let a = find(&stats["services"], "service", "A");
    assert_eq!(
        (
            a["issued"].clone(),
            a["served"].clone(),
            a["extended"].clone()
        ),
        (json!(4), json!(4), json!(4))
    );
    assert_eq!(stats["issued_by_hour"][9], 3);
    assert_eq!(stats["called_by_hour"][17], 4);
}

#[tokio::test]
async fn a_supervisor_override_to_close_is_audited() {
    let hall = enforced_hall(|_| {});
    let d = hall.start_at(monday(10, 0));
    let token = hall.counter_token("3");
    let boss = hall.token(&["--supervisor", "li.na"]);
    let mut c = d.conn().await;
    c.post("/api/v1/counters/3/open", Some(&token), &json!({}))
        .await
        .unwrap();
    take(&mut c, "B").await;
    let refused = c
        .post("/api/v1/counters/3/close", Some(&token), &json!({}))
        .await
        .unwrap();
    assert_eq!(error(&refused).1, "last_counter");
    let forced = c
        .post(
            "/api/v1/counters/3/close",
            Some(&boss),
            &json!({"force": true}),
        )
        .await
        .unwrap();
    assert_eq!(forced.status.as_u16(), 200, "{}", forced.body);
    assert_eq!(forced.body["counter_state"], "closed");

    assert_eq!(c.get("/api/v1/audit").await.unwrap().status.as_u16(), 401);
    let (_, raw) = c
        .send_raw(hyper::Method::GET, "/api/v1/audit", Some(&token), None)
        .await
        .unwrap();
    assert!(
        String::from_utf8_lossy(&raw).contains("forbidden"),
        "counter tokens cannot read the audit"
    );
    let audit = c
        .send(hyper::Method::GET, "/api/v1/audit", Some(&boss), None)
        .await
        .unwrap()
        .body;
    let row = &audit["audit"][0];
    assert_eq!(
        (
            row["action"].clone(),
            row["by"].clone(),
            row["counter"].clone()
        ),
        (json!("close_override"), json!("li.na"), json!("3"))
    );
    assert!(
        row["detail"]
            .as_str()
            .unwrap()
            .contains("1 waiting for service B"),
        "{row}"
    );
    let (_, csv) = c
        .send_raw(
            hyper::Method::GET,
            "/api/v1/audit?format=csv",
            Some(&boss),
            None,
        )
        .await
        .unwrap();
    let csv = String::from_utf8_lossy(&csv).into_owned();
    assert!(
        csv.starts_with("seq,time,kind,action,by,counter,ticket,detail\n")
            && csv.contains("\"close_override\""),
        "{csv}"
    );
}

#[tokio::test]
async fn a_time_slot_quota_and_the_daily_cap_are_shown_and_enforced() {
    let hall = enforced_hall(|c| {
        let a = c.services.iter_mut().find(|s| s.code == "A").unwrap();
        a.slot_minutes = 30;
        a.slot_cap = 2;
        let b = c.services.iter_mut().find(|s| s.code == "B").unwrap();
        b.daily_cap = 1;
    });
    let d = hall.start_at(monday(9, 10));
    let mut c = d.conn().await;
    assert_eq!(take(&mut c, "A").await.status.as_u16(), 201);
    assert_eq!(take(&mut c, "A").await.status.as_u16(), 201);
    let (status, code, message) = error(&take(&mut c, "A").await);
    assert_eq!((status, code.as_str()), (409, "slot_full"));
    assert!(message.contains("next slot starts at 09:30"), "{message}");
    // What the kiosk is told agrees with what issuing answers.
    let services = c.get("/api/v1/services").await.unwrap().body;
    assert_eq!(find(&services["services"], "code", "A")["sold_out"], true);
    d.set_clock(monday(9, 30)).await;
    assert_eq!(take(&mut c, "A").await.status.as_u16(), 201, "a new slot");

    assert_eq!(take(&mut c, "B").await.status.as_u16(), 201);
    let (status, code, _) = error(&take(&mut c, "B").await);
    assert_eq!((status, code.as_str()), (409, "service_full"));
    let services = c.get("/api/v1/services").await.unwrap().body;
    assert_eq!(find(&services["services"], "code", "B")["sold_out"], true);
    assert_eq!(find(&services["services"], "code", "A")["sold_out"], false);
}

#[tokio::test]
async fn past_the_recall_limit_a_no_show_may_reenter_within_its_window() {
    let hall = enforced_hall(|c| {
        c.queue.recall_limit = 1;
        c.queue.reentry_minutes = 30;
        c.queue.reentry_behind = 2;
    });
    let d = hall.start_at(monday(9, 0));
    let token = hall.counter_token("1");
    let guide = hall.token(&["--guide", "wang"]);
    let mut c = d.conn().await;
    let late = take(&mut c, "A").await.body["ticket"].clone();
    for _ in 0..4 {
        take(&mut c, "A").await;
    }
    c.post("/api/v1/counters/1/call-next", Some(&token), &json!({}))
        .await
        .unwrap();
    c.post("/api/v1/counters/1/recall", Some(&token), &json!({}))
        .await
        .unwrap();
    let gone = c
        .post("/api/v1/counters/1/recall", Some(&token), &json!({}))
        .await
        .unwrap();
    assert_eq!(
        gone.body["ticket"]["state"], "no_show",
        "recall limit reached"
    );

    let path = format!("/api/v1/tickets/{}/reenter", late["id"]);
    assert_eq!(
        c.post(&path, None, &json!({}))
            .await
            .unwrap()
            .status
            .as_u16(),
        401
    );
    d.set_clock(monday(9, 20)).await;
    let back = c.post(&path, Some(&guide), &json!({})).await.unwrap();
    assert_eq!(back.status.as_u16(), 200, "{}", back.body);
    let t = &back.body["ticket"];
    assert_eq!(
        (t["id"].clone(), t["number"].clone()),
        (late["id"].clone(), late["number"].clone()),
        "same ticket, same number"
    );
    assert_eq!(
        (t["state"].clone(), t["ahead"].clone()),
        (json!("waiting"), json!(2)),
        "behind the next two"
    );

    let boss = hall.token(&["--supervisor", "li.na"]);
    let audit = c
        .send(hyper::Method::GET, "/api/v1/audit", Some(&boss), None)
        .await
        .unwrap()
        .body;
    assert!(
        audit["audit"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["action"] == "reenter" && r["by"] == "wang"),
        "{audit}"
    );

    // Called again, gone again, and now too late.
    for _ in 0..3 {
        c.post("/api/v1/counters/1/call-next", Some(&token), &json!({}))
            .await
            .unwrap();
    }
    c.post("/api/v1/counters/1/no-show", Some(&token), &json!({}))
        .await
        .unwrap();
    d.set_clock(monday(9, 51)).await;
    let (status, code, message) = error(&c.post(&path, Some(&guide), &json!({})).await.unwrap());
    assert_eq!((status, code.as_str()), (409, "reentry_refused"));
    assert!(message.contains("more than 30 minutes ago"), "{message}");
}

#[tokio::test]
async fn waits_queues_and_long_services_turn_yellow_then_red_and_clear() {
    let hall = enforced_hall(|c| {
        // Service A: yellow at 15 min, red at 30 (demo); queue lights at 3 and 5.
        let a = c.services.iter_mut().find(|s| s.code == "A").unwrap();
        a.queue_yellow = 3;
        a.queue_red = 5;
        a.service_limit_minutes = 20;
        a.slot_cap = 0;
    });
    let d = hall.start_at(monday(9, 0));
    let token = hall.counter_token("1");
    let mut display = d.display("").await;
    display.next_of("snapshot").await;
    let mut c = d.conn().await;
    for _ in 0..3 {
        take(&mut c, "A").await;
    }
    d.set_clock(monday(9, 1)).await;
    let queue = display.next_of("alert").await;
    assert_eq!(
        (queue["id"].clone(), queue["level"].clone()),
        (json!("queue:A"), json!("yellow")),
        "{queue}"
    );

    d.set_clock(monday(9, 16)).await;
    let wait = display.next_of("alert").await;
    assert_eq!(
        (wait["id"].clone(), wait["level"].clone()),
        (json!("wait:A"), json!("yellow")),
        "{wait}"
    );
    assert!(
        wait["message"]["en"]
            .as_str()
            .unwrap()
            .contains("open another counter")
    );
    d.set_clock(monday(9, 31)).await;
    let wait = display.next_of("alert").await;
    assert_eq!(
        (wait["id"].clone(), wait["level"].clone()),
        (json!("wait:A"), json!("red"))
    );
    // The list is for staff (a counter's token will do).
    let listed = c
        .send(hyper::Method::GET, "/api/v1/alerts", Some(&token), None)
        .await
        .unwrap()
        .body;
    assert_eq!(listed["active"].as_array().unwrap().len(), 2, "{listed}");

    // Serving drains the queue: both clear.
    c.post("/api/v1/counters/1/call-next", Some(&token), &json!({}))
        .await
        .unwrap();
    c.post("/api/v1/counters/1/call-next", Some(&token), &json!({}))
        .await
        .unwrap();
    c.post("/api/v1/counters/1/call-next", Some(&token), &json!({}))
        .await
        .unwrap();
    c.post("/api/v1/counters/1/start", Some(&token), &json!({}))
        .await
        .unwrap();
    d.set_clock(monday(9, 32)).await;
    let mut cleared = Vec::new();
    while cleared.len() < 2 {
        let a = display.next_of("alert").await;
        assert_eq!(a["active"], false, "{a}");
        cleared.push(a["id"].as_str().unwrap().to_owned());
    }
    cleared.sort();
    assert_eq!(cleared, vec!["queue:A", "wait:A"]);

    // 限时办结: the ticket at the counter goes over 20 minutes.
    d.set_clock(monday(9, 53)).await;
    let long = display.next_of("alert").await;
    assert_eq!(
        (
            long["kind"].clone(),
            long["level"].clone(),
            long["counter"].clone()
        ),
        (json!("service_time"), json!("red"), json!("1"))
    );
    assert!(
        long["message"]["zh"]
            .as_str()
            .unwrap()
            .contains("超过限时办结时限"),
        "{long}"
    );
}

#[tokio::test]
async fn a_rating_is_taken_once_per_ticket_and_a_poor_one_alerts_supervisors() {
    let hall = enforced_hall(|_| {});
    let d = hall.start_at(monday(10, 0));
    let token = hall.counter_token("2");
    // A poor rating's alert carries the applicant's comment: staff streams
    // only (`trust.rs` checks the display never sees it).
    let supervisor = hall.token(&["--supervisor", "wang"]);
    let mut staff = super::trust::staff_stream(&d, &supervisor).await;
    let mut c = d.conn().await;
    let pad = "/api/v1/counters/2/rating";
    // The pad signs in with its counter's token.
    let nothing = c
        .post(pad, Some(&token), &json!({"score": 5}))
        .await
        .unwrap();
    assert_eq!(error(&nothing).1, "nothing_to_rate");

    take(&mut c, "A").await;
    c.post("/api/v1/counters/2/call-next", Some(&token), &json!({}))
        .await
        .unwrap();
    c.post("/api/v1/counters/2/finish", Some(&token), &json!({}))
        .await
        .unwrap();
    assert_eq!(
        c.post(pad, Some(&token), &json!({"score": 9}))
            .await
            .unwrap()
            .status
            .as_u16(),
        422
    );
    let rated = c
        .post(
            pad,
            Some(&token),
            &json!({"score": 2, "reason": "等候时间太长", "comment": "等了很久也没人解释"}),
        )
        .await
        .unwrap();
    assert_eq!(rated.status.as_u16(), 200, "{}", rated.body);
    assert_eq!(rated.body["ticket"]["rating"], 2);
    let again = c
        .post(pad, Some(&token), &json!({"score": 5}))
        .await
        .unwrap();
    assert_eq!(error(&again).1, "nothing_to_rate", "one rating per ticket");

    let alert = staff.next_of("alert").await;
    assert_eq!(
        (
            alert["kind"].clone(),
            alert["counter"].clone(),
            alert["score"].clone()
        ),
        (json!("rating"), json!("2"), json!(2))
    );
    assert_eq!(alert["comment"], "等了很久也没人解释");
    let stats = c.get("/api/v1/stats?date=2026-11-23").await.unwrap().body;
    assert_eq!(stats["total"]["ratings_by_score"], json!([0, 1, 0, 0, 0]));
    assert_eq!(stats["total"]["satisfaction"], 2.0);
}

/// Today's appointments, as a supervisor sees them.
async fn appointments(c: &mut Conn, token: &str) -> Value {
    c.send(
        hyper::Method::GET,
        "/api/v1/appointments",
        Some(token),
        None,
    )
    .await
    .unwrap()
    .body
}

#[tokio::test]
async fn an_appointment_booked_the_day_before_checks_in_and_is_called_at_its_time() {
    let hall = enforced_hall(|_| {});
    // Sunday: book Monday 10:00 for service A.
    let d = hall.start_at(monday(9, 0) - 86_400_000);
    let boss = hall.token(&["--supervisor", "li.na"]);
    let platform = hall.token(&["--integration", "gov-platform"]);
    let token = hall.counter_token("1");
    let mut c = d.conn().await;
    let body = json!({"service": "A", "slot": "2026-11-23T10:00:00+08:00", "name": "王女士"});
    assert_eq!(
        c.post("/api/v1/appointments", None, &body)
            .await
            .unwrap()
            .status
            .as_u16(),
        401
    );
    assert_eq!(
        c.post("/api/v1/appointments", Some(&token), &body)
            .await
            .unwrap()
            .status
            .as_u16(),
        403
    );
    let booked = c
        .post("/api/v1/appointments", Some(&platform), &body)
        .await
        .unwrap();
    assert_eq!(booked.status.as_u16(), 201, "{}", booked.body);
    let a = &booked.body["appointment"];
    assert_eq!(
        (a["checkin_from"].clone(), a["checkin_until"].clone()),
        (
            json!("2026-11-23T09:30:00+08:00"),
            json!("2026-11-23T10:45:00+08:00")
        )
    );
    let code = a["code"].as_str().unwrap().to_owned();
    // A second booking at the same time, never checked in (爽约).
    let missed = c
        .post(
            "/api/v1/appointments",
            Some(&platform),
            &json!({"service": "A", "slot": "2026-11-23T10:00:00+08:00", "name": "李先生"}),
        )
        .await
        .unwrap();
    assert_eq!(missed.status.as_u16(), 201, "{}", missed.body);
    // An integration books; it does not act for guides.
    let reenter = c
        .post("/api/v1/tickets/1/reenter", Some(&platform), &json!({}))
        .await
        .unwrap();
    assert_eq!(error(&reenter).1, "forbidden", "{}", reenter.body);
    let refused = c
        .post(
            "/api/v1/appointments",
            Some(&platform),
            &json!({"service": "A", "slot": "2026-11-23T12:30:00+08:00"}),
        )
        .await
        .unwrap();
    assert_eq!(
        error(&refused).1,
        "service_closed",
        "the lunch break is not bookable"
    );

    // A restart in between: Monday's bookings come from the database.
    drop(d);
    let d = hall.start_at(monday(9, 0));
    let mut c = d.conn().await;
    let checkin =
        |code: &str| json!({"service": "A", "appointment_code": code, "source": "kiosk-1"});
    let early = c
        .post("/api/v1/tickets", None, &checkin(&code))
        .await
        .unwrap();
    let (status, kind, message) = error(&early);
    assert_eq!((status, kind.as_str()), (409, "appointment_window"));
    assert!(message.contains("check-in opens at 09:30"), "{message}");
    let unknown = c
        .post("/api/v1/tickets", None, &checkin("000000"))
        .await
        .unwrap();
    assert_eq!(error(&unknown).1, "unknown_appointment");

    take(&mut c, "A").await; // A001, normal, 09:00
    d.set_clock(monday(9, 40)).await;
    let t = c
        .post("/api/v1/tickets", None, &checkin(&code))
        .await
        .unwrap();
    assert_eq!(t.status.as_u16(), 201, "{}", t.body);
    assert_eq!(t.body["ticket"]["priority"], "appointment");
    let appt_number = t.body["ticket"]["number"].clone();
    take(&mut c, "A").await; // A003, normal, 09:40
    let list = appointments(&mut c, &boss).await;
    assert_eq!(
        find(&list["appointments"], "name", "王女士")["ticket"],
        appt_number
    );

    // 09:50: not due yet, so the normal ticket goes first.
    d.set_clock(monday(9, 50)).await;
    let first = c
        .post("/api/v1/counters/1/call-next", Some(&token), &json!({}))
        .await
        .unwrap();
    assert_eq!(first.body["ticket"]["number"], "A001");
    // 10:01: due, and its class goes ahead of the normal A003.
    d.set_clock(monday(10, 1)).await;
    let second = c
        .post("/api/v1/counters/1/call-next", Some(&token), &json!({}))
        .await
        .unwrap();
    assert_eq!(second.body["ticket"]["number"], appt_number);

    // 10:46: check-in closed at 10:45; the second booking is missed, and
    // the list and the day's statistics say so.
    d.set_clock(monday(10, 46)).await;
    let list = appointments(&mut c, &boss).await;
    let statuses: Vec<(&str, &str)> = list["appointments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| (a["name"].as_str().unwrap(), a["status"].as_str().unwrap()))
        .collect();
    assert!(statuses.contains(&("王女士", "checked_in")), "{statuses:?}");
    assert!(statuses.contains(&("李先生", "missed")), "{statuses:?}");
    let stats = c
        .send(hyper::Method::GET, "/api/v1/stats", None, None)
        .await
        .unwrap()
        .body;
    assert_eq!(
        stats["appointments"]["total"],
        json!({"booked": 2, "checked_in": 1, "late": 0, "missed": 1, "pending": 0}),
        "{}",
        stats["appointments"]
    );
    let a_stats = find(&stats["appointments"]["services"], "service", "A");
    assert_eq!(a_stats["missed"], 1);
}

#[tokio::test]
async fn a_suspended_ticket_gets_a_notice_and_returns_the_next_day_ahead_of_new_tickets() {
    let hall = enforced_hall(|_| {});
    let d = hall.start_at(monday(9, 0));
    let token = hall.counter_token("3");
    let mut c = d.conn().await;
    let t = take(&mut c, "B").await.body["ticket"].clone();
    c.post("/api/v1/counters/3/call-next", Some(&token), &json!({}))
        .await
        .unwrap();
    c.post("/api/v1/counters/3/start", Some(&token), &json!({}))
        .await
        .unwrap();
    let body = json!({"missing": ["医院诊断证明"], "note": "请补齐后再来"});
    let suspended = c
        .post("/api/v1/counters/3/suspend", Some(&token), &body)
        .await
        .unwrap();
    assert_eq!(suspended.status.as_u16(), 200, "{}", suspended.body);
    assert_eq!(suspended.body["ticket"]["state"], "suspended");
    assert_eq!(suspended.body["counter_state"], "open_idle");
    // The demo prints notices on the hall printer (a file in the temp dir).
    assert_eq!(
        suspended.body["notice_print"]["status"], "printed",
        "{}",
        suspended.body
    );
    let slip = std::fs::read(hall.path().join("hall.escpos")).unwrap();
    let missing = encoding_rs::GB18030.encode("医院诊断证明").0;
    assert!(
        slip.windows(missing.len()).any(|w| w == &missing[..]),
        "the notice lists what is missing"
    );

    // Next morning, after a restart, it returns with the same ticket.
    drop(d);
    let d = hall.start_at(monday(9, 0) + 86_400_000);
    let mut c = d.conn().await;
    let today = take(&mut c, "B").await.body["ticket"].clone();
    assert_eq!(today["number"], "B001", "numbering restarted");
    let back = c
        .post(
            &format!("/api/v1/tickets/{}/return", t["id"]),
            None,
            &json!({"ticket_key": t["ticket_key"]}),
        )
        .await
        .unwrap();
    assert_eq!(back.status.as_u16(), 200, "{}", back.body);
    assert_eq!(
        (
            back.body["ticket"]["id"].clone(),
            back.body["ticket"]["state"].clone()
        ),
        (t["id"].clone(), json!("waiting"))
    );
    assert_eq!(back.body["ticket"]["ahead"], 0, "ahead of today's tickets");
    let again = c
        .post(
            &format!("/api/v1/tickets/{}/return", t["id"]),
            None,
            &json!({"ticket_key": t["ticket_key"]}),
        )
        .await
        .unwrap();
    assert_eq!(error(&again).1, "wrong_state");
    let token = hall.counter_token("3");
    let called = c
        .post("/api/v1/counters/3/call-next", Some(&token), &json!({}))
        .await
        .unwrap();
    assert_eq!(called.body["ticket"]["id"], t["id"]);
}

#[tokio::test]
async fn two_clerks_at_one_counter_are_counted_apart() {
    let hall = enforced_hall(|_| {});
    let d = hall.start_at(monday(9, 0));
    let li = hall.token(&["--counter", "1", "--staff", "li.na"]);
    let wang = hall.token(&["--counter", "1", "--staff", "wang.fang"]);
    let mut c = d.conn().await;
    for _ in 0..3 {
        take(&mut c, "A").await;
    }
    // Li works the morning: two applicants.
    for _ in 0..2 {
        let r = c
            .post("/api/v1/counters/1/call-next", Some(&li), &json!({}))
            .await
            .unwrap();
        assert_eq!(r.body["ticket"]["served_by"], "li.na");
    }
    c.post("/api/v1/counters/1/finish", Some(&li), &json!({}))
        .await
        .unwrap();
    // Wang takes over the counter.
    d.set_clock(monday(10, 0)).await;
    let r = c
        .post("/api/v1/counters/1/call-next", Some(&wang), &json!({}))
        .await
        .unwrap();
    assert_eq!(r.body["ticket"]["served_by"], "wang.fang");
    c.post("/api/v1/counters/1/finish", Some(&wang), &json!({}))
        .await
        .unwrap();

    // Per clerk only for their supervisor.
    let public = c.get("/api/v1/stats?date=2026-11-23").await.unwrap().body;
    assert_eq!(public["staff"], json!([]), "{}", public["staff"]);
    assert!(!public.to_string().contains("li.na"));
    let boss = hall.token(&["--supervisor", "zhao"]);
    let stats = c
        .send(
            hyper::Method::GET,
            "/api/v1/stats?date=2026-11-23",
            Some(&boss),
            None,
        )
        .await
        .unwrap()
        .body;
    let li_stats = find(&stats["staff"], "staff", "li.na");
    let wang_stats = find(&stats["staff"], "staff", "wang.fang");
    assert_eq!(
        (li_stats["served"].clone(), wang_stats["served"].clone()),
        (json!(2), json!(1)),
        "{}",
        stats["staff"]
    );
    let csv = qcall(&[
        "stats",
        "--server",
        &d.url,
        "--date",
        "2026-11-23",
        "--format",
        "csv",
        "--token",
        &boss,
    ]);
    assert!(
        stdout(&csv).contains("\n2026-11-23,staff,li.na,2,2,"),
        "{}",
        stdout(&csv)
    );
}
