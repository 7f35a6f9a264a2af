//! The business day's end under the test clock: the old day's waiting and
//! called tickets are closed as `expired` (counted in that day's
//! statistics, said so on their page), and every connected screen gets the
//! new day's snapshot at midnight without a ticket being taken.

use serde_json::{Value, json};

use super::*;

/// Midnight starting Monday 2026-11-23 in the demo hall (Asia/Shanghai).
const MONDAY: i64 = 1_795_363_200_000;
const HOUR: i64 = 3_600_000;

async fn take(c: &mut Conn, service: &str) -> Value {
    let r = c
        .post("/api/v1/tickets", None, &json!({"service": service}))
        .await
        .unwrap();
    assert_eq!(r.status.as_u16(), 201, "{}", r.body);
    r.body["ticket"].clone()
}

#[tokio::test]
async fn at_midnight_open_tickets_expire_on_their_day_and_screens_start_the_new_day() {
    let hall = Hall::demo();
    let clerk = hall.counter_token("1");
    let d = hall.start_at(MONDAY + 20 * HOUR);
    let mut c = d.conn().await;
    let (t1, t2, t3) = (
        take(&mut c, "A").await,
        take(&mut c, "A").await,
        take(&mut c, "B").await,
    );
    let done = take(&mut c, "C").await;
    let r = c
        .post(
            "/api/v1/counters/4/call-next",
            Some(&hall.counter_token("4")),
            &json!({}),
        )
        .await
        .unwrap();
    assert_eq!(r.body["ticket"]["id"], done["id"]);
    let r = c
        .post(
            "/api/v1/counters/4/finish",
            Some(&hall.counter_token("4")),
            &json!({}),
        )
        .await
        .unwrap();
    assert_eq!(r.status.as_u16(), 200);
    let r = c
        .post("/api/v1/counters/1/call-next", Some(&clerk), &json!({}))
        .await
        .unwrap();
    assert_eq!(
        r.body["ticket"]["id"], t1["id"],
        "t1 is called, the others wait"
    );

    let mut display = d.display("").await;
    let snap = display.next_of("snapshot").await;
    assert_eq!(snap["day"], "2026-11-23");
    assert!(!snap["recent_calls"].as_array().unwrap().is_empty());

    // One minute past midnight: no ticket is taken, yet the day turns.
    d.set_clock(MONDAY + 24 * HOUR + 60_000).await;
    let frames = display.until("day_started").await;
    let expired: Vec<&Value> = frames
        .iter()
        .filter(|f| f["type"] == "ticket_expired")
        .map(|f| &f["ticket"]["id"])
        .collect();
    assert_eq!(expired, [&t1["id"], &t2["id"], &t3["id"]], "{frames:?}");
    assert!(
        frames
            .iter()
            .all(|f| f["type"] != "ticket_expired" || f["ticket"]["state"] == "expired")
    );
    let fresh = display.next().await;
    assert_eq!(
        fresh["type"], "snapshot",
        "the new day's snapshot follows at once"
    );
    assert_eq!(fresh["day"], "2026-11-24");
    assert_eq!(fresh["recent_calls"], json!([]));
    let counters = fresh["counters"].as_array().unwrap();
    assert!(
        counters
            .iter()
            .all(|c| c["state"] == "closed" && c["current"].is_null()),
        "{counters:?}"
    );
    let queue = fresh["queue"]["services"].as_array().unwrap();
    assert!(queue.iter().all(|q| q["waiting"] == 0), "{queue:?}");

    // The ticket says so; the finished one stays done.
    let page = c
        .get(&format!("/api/v1/tickets/{}", t2["id"]))
        .await
        .unwrap();
    assert_eq!(page.body["ticket"]["state"], "expired");
    let page = c
        .get(&format!("/api/v1/tickets/{}", done["id"]))
        .await
        .unwrap();
    assert_eq!(page.body["ticket"]["state"], "done");
    // Counted in Monday's figures, not Tuesday's.
    let stats = c.get("/api/v1/stats?date=2026-11-23").await.unwrap().body;
    assert_eq!(stats["total"]["expired"], 3, "{stats}");
    assert_eq!(stats["total"]["open"], 0);
    assert_eq!(stats["total"]["served"], 1);
    let today = c.get("/api/v1/stats?date=2026-11-24").await.unwrap().body;
    assert_eq!(today["total"]["issued"], 0);
    // The new day numbers from 001 again; a restart replays the same.
    assert!(
        take(&mut c, "A").await["number"]
            .as_str()
            .unwrap()
            .ends_with("001")
    );
    drop(display);
    let mut d = d;
    d.kill();
    let d = hall.start_at(MONDAY + 24 * HOUR + 2 * 60_000);
    let mut c = d.conn().await;
    let page = c
        .get(&format!("/api/v1/tickets/{}", t1["id"]))
        .await
        .unwrap();
    assert_eq!(page.body["ticket"]["state"], "expired");
    assert!(
        take(&mut c, "A").await["number"]
            .as_str()
            .unwrap()
            .ends_with("002")
    );
}

#[tokio::test]
async fn a_hall_off_at_midnight_closes_the_old_day_when_it_starts() {
    let hall = Hall::demo();
    let mut d = hall.start_at(MONDAY + 17 * HOUR);
    let mut c = d.conn().await;
    let waiting = take(&mut c, "A").await;
    d.kill();
    // Started the next morning: yesterday's ticket does not say "waiting".
    let d = hall.start_at(MONDAY + 32 * HOUR);
    let mut c = d.conn().await;
    let page = c
        .get(&format!("/api/v1/tickets/{}", waiting["id"]))
        .await
        .unwrap();
    assert_eq!(page.body["ticket"]["state"], "expired");
    let stats = c.get("/api/v1/stats?date=2026-11-23").await.unwrap().body;
    assert_eq!(stats["total"]["expired"], 1, "{}", stats["total"]);
    let mut display = d.display("").await;
    let snap = display.next_of("snapshot").await;
    assert_eq!(snap["day"], "2026-11-24");
    assert!(
        take(&mut c, "A").await["number"]
            .as_str()
            .unwrap()
            .ends_with("001")
    );
}
