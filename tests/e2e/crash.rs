//! Durability: kill -9 mid-load loses no acknowledged ticket and never
//! reuses a number.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use serde_json::json;
use tokio::sync::Notify;

use super::*;

/// Kills during the run: the issue asks for at least ten.
const KILLS: usize = 12;
const CLIENTS: usize = 24;
/// Acknowledged tickets per round before the kill, so every kill lands
/// while requests are in flight.
const ACKS_BEFORE_KILL: usize = 150;

#[derive(Debug, Clone, PartialEq, Eq)]
struct Acked {
    id: u64,
    number: String,
    service: String,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_nine_mid_load_loses_no_acknowledged_ticket() {
    // No daily caps: this test is about durability, not quotas.
    let hall = Hall::with(|c| {
        c.server.kiosk_rate_per_minute = 0;
        c.services.iter_mut().for_each(|s| {
            s.daily_cap = 0;
            s.slot_cap = 0;
        });
    });
    let services = ["A", "B", "C", "D", "E", "F"];
    let mut acked: Vec<Acked> = Vec::new();
    for round in 0..KILLS {
        let mut daemon = hall.start();
        // Everything acknowledged so far is still there, unchanged.
        let mut c = daemon.conn().await;
        for a in &acked {
            let got = c.get(&format!("/api/v1/tickets/{}", a.id)).await.unwrap();
            assert_eq!(
                got.status.as_u16(),
                200,
                "round {round}: acknowledged ticket {a:?} is gone"
            );
            assert_eq!(
                got.body["ticket"]["number"], a.number,
                "round {round}: ticket {} changed number",
                a.id
            );
        }
        let count = Arc::new(AtomicUsize::new(0));
        let enough = Arc::new(Notify::new());
        let mut tasks = Vec::new();
        for i in 0..CLIENTS {
            let (url, count, enough) = (daemon.url.clone(), count.clone(), enough.clone());
            let service = services[(i + round) % services.len()];
            tasks.push(tokio::spawn(async move {
                let mut mine = Vec::new();
                let Ok(mut conn) = Conn::connect(&url).await else {
                    return mine;
                };
                // Issue until the daemon dies under us.
                while let Ok(resp) = conn
                    .post("/api/v1/tickets", None, &json!({"service": service}))
                    .await
                {
                    assert_eq!(resp.status.as_u16(), 201, "{}", resp.body);
                    let t = &resp.body["ticket"];
                    mine.push(Acked {
                        id: t["id"].as_u64().unwrap(),
                        number: t["number"].as_str().unwrap().to_owned(),
                        service: service.to_owned(),
                    });
                    if count.fetch_add(1, Ordering::SeqCst) + 1 == ACKS_BEFORE_KILL {
                        enough.notify_one();
                    }
                }
                mine
            }));
        }
        enough.notified().await;
        daemon.kill();
        for t in tasks {
            acked.extend(t.await.unwrap());
        }
        assert!(acked.len() >= (round + 1) * ACKS_BEFORE_KILL);
    }

    // No number was ever handed out twice.
    let mut numbers = HashSet::new();
    for a in &acked {
        assert!(
            numbers.insert(a.number.clone()),
            "number {} acknowledged twice",
            a.number
        );
    }
    // After the last kill: every ticket is there and numbering continues
    // after the highest number issued, acknowledged or not.
    let daemon = hall.start();
    let mut c = daemon.conn().await;
    let mut highest: HashMap<&str, u32> = HashMap::new();
    for a in &acked {
        let got = c.get(&format!("/api/v1/tickets/{}", a.id)).await.unwrap();
        assert_eq!(got.body["ticket"]["number"], a.number);
        let n: u32 = a.number[1..].parse().unwrap();
        let h = highest.entry(a.service.as_str()).or_default();
        *h = (*h).max(n);
    }
    for service in services {
        let t = c
            .post("/api/v1/tickets", None, &json!({"service": service}))
            .await
            .unwrap()
            .body;
        let n: u32 = t["ticket"]["number"].as_str().unwrap()[1..]
            .parse()
            .unwrap();
        assert!(
            n > highest.get(service).copied().unwrap_or(0),
            "service {service}: number {n} reused"
        );
    }
    drop(daemon);
    let check = qcall(&["db", "check", "--db", hall.db.to_str().unwrap()]);
    assert!(check.status.success(), "db check: {}", stdout(&check));
    eprintln!("{} tickets acknowledged across {KILLS} kills", acked.len());
}
