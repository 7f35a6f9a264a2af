//! The 好差评 texts, end to end through a local SMS gateway under the test
//! clock: the link to rate a fix, sent when a 差评 is put right (days later,
//! after a restart), and the DX channel (`[rating] sms_link`): one rating
//! link per finished ticket with a phone on file, none for a ticket rated
//! already. Links carry the ticket's key only on the wire to the gateway,
//! never in the outbox table or the event log.

use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio::sync::mpsc;

use super::notify::{Answer, gateway_with, next_seen};
use super::rating::{DAY_MS, monday};
use super::*;

/// A gateway on 127.0.0.1 taking every message; its URL and the bodies.
async fn sms_gateway() -> (String, mpsc::UnboundedReceiver<Value>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/sms", listener.local_addr().unwrap());
    let (mut seen, gw) = gateway_with(listener, None, |_| Answer::Ok);
    let (tx, out) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        let _gw = gw;
        while let Some(s) = seen.recv().await {
            let _ = tx.send(s.body);
        }
    });
    (url, out)
}

/// The next message of `kind` the gateway takes (others are skipped).
async fn text_of(rx: &mut mpsc::UnboundedReceiver<Value>, kind: &str) -> Value {
    loop {
        let m = next_seen(rx).await;
        if m["kind"] == kind {
            return m;
        }
    }
}

/// A hall texting through `webhook`; `sms_link` as given.
fn texting_hall(webhook: String, sms_link: bool) -> Hall {
    Hall::with(|c| {
        c.server.kiosk_rate_per_minute = 0;
        c.hall.public_url = "https://hall.example.gov.cn".into();
        c.notify.webhook = webhook;
        c.notify.retry_ms = 50;
        c.rating.sms_link = sms_link;
    })
}

/// Takes a ticket of A, leaves `phone` on it if given, and has counter 2
/// call and finish it with `finish` as the body; its id and key.
async fn finished(c: &mut Conn, token: &str, phone: Option<&str>, finish: Value) -> (u64, String) {
    let r = c
        .post("/api/v1/tickets", None, &json!({"service": "A"}))
        .await
        .unwrap();
    assert_eq!(r.status.as_u16(), 201, "{}", r.body);
    let id = r.body["ticket"]["id"].as_u64().unwrap();
    let key = r.body["ticket"]["ticket_key"].as_str().unwrap().to_owned();
    if let Some(phone) = phone {
        let r = c
            .post(
                &format!("/api/v1/tickets/{id}/notify"),
                None,
                &json!({"phone": phone, "ticket_key": key}),
            )
            .await
            .unwrap();
        assert_eq!(r.status.as_u16(), 200, "{}", r.body);
    }
    let r = c
        .post("/api/v1/counters/2/call-next", Some(token), &json!({}))
        .await
        .unwrap();
    assert_eq!(r.body["ticket"]["id"], id, "{}", r.body);
    let r = c
        .post("/api/v1/counters/2/finish", Some(token), &finish)
        .await
        .unwrap();
    assert_eq!(r.status.as_u16(), 200, "{}", r.body);
    (id, key)
}

/// The number of outbox rows of `kind`, and of outbox rows or events whose
/// text holds `secret`.
fn outbox_counts(db: &Path, kind: &str, secret: &str) -> (i64, i64) {
    let db = rusqlite::Connection::open(db).unwrap();
    let of_kind = db
        .query_row("SELECT count(*) FROM outbox WHERE kind = ?1", [kind], |r| {
            r.get(0)
        })
        .unwrap();
    let leaked = db
        .query_row(
            "SELECT (SELECT count(*) FROM outbox WHERE message LIKE '%' || ?1 || '%') + \
             (SELECT count(*) FROM events WHERE detail LIKE '%' || ?1 || '%')",
            [secret],
            |r| r.get(0),
        )
        .unwrap();
    (of_kind, leaked)
}

/// A 差评 on a ticket whose applicant left a phone number is put right on
/// a later day, after a restart: the fix's transaction queues a text with
/// the link to rate it, which reaches the gateway with the ticket's key
/// (and the key nowhere in the database); the fix is rated through that
/// link. A 差评 with no phone on file is put right without a text, and with
/// `sms_link` off no rating link is sent at finish.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_applicant_is_texted_the_link_to_rate_the_fix_and_rates_it_through_it() {
    let (webhook, mut rx) = sms_gateway().await;
    let hall = texting_hall(webhook, false);
    let mut d = hall.start_at(monday(10, 0));
    let token = hall.counter_token("2");
    let boss = hall.token(&["--supervisor", "zhao"]);
    let mut c = d.conn().await;
    let (id, key) = finished(&mut c, &token, Some("13812345678"), json!({})).await;
    let (silent, silent_key) = finished(&mut c, &token, None, json!({})).await;
    for (ticket, k) in [(id, &key), (silent, &silent_key)] {
        let r = c
            .post(
                &format!("/api/v1/tickets/{ticket}/rating"),
                None,
                &json!({"score": 1, "ticket_key": k, "reason": "等候时间太长"}),
            )
            .await
            .unwrap();
        assert_eq!(r.status.as_u16(), 200, "{}", r.body);
        let r = c
            .post(
                &format!("/api/v1/rectifications/{ticket}/callback"),
                Some(&boss),
                &json!({"outcome": "已电话致歉"}),
            )
            .await
            .unwrap();
        assert_eq!(r.status.as_u16(), 200, "{}", r.body);
    }
    assert_eq!(
        outbox_counts(&hall.db, "rate", &key).0,
        0,
        "[rating] sms_link is off: no rating link at finish"
    );

    // Thursday, after a restart: the item is loaded from the store, with
    // the phone on file.
    d.kill();
    let d = hall.start_at(monday(11, 0) + 3 * DAY_MS);
    let mut c = d.conn().await;
    for ticket in [silent, id] {
        let r = c
            .post(
                &format!("/api/v1/rectifications/{ticket}/fix"),
                Some(&boss),
                &json!({"note": "窗口增派人员"}),
            )
            .await
            .unwrap();
        assert_eq!(r.status.as_u16(), 200, "{}", r.body);
    }
    let text = text_of(&mut rx, "fix").await;
    assert_eq!(text["phone"], "13812345678", "{text}");
    assert_eq!(text["ticket"], id, "{text}");
    let message = text["message"].as_str().unwrap();
    let link = format!("https://hall.example.gov.cn/t/{id}?k={key}&fix=1");
    assert!(message.contains(&link), "{link} not in {message:?}");
    assert!(message.contains("差评已整改"), "{message}");
    let (fix_texts, leaked) = outbox_counts(&hall.db, "fix", &key);
    assert_eq!(
        (fix_texts, leaked),
        (1, 0),
        "one fix text (none for {silent}, no phone), and the key in no table"
    );

    // The applicant opens the link: its key rates the fix.
    let k = link.split("k=").nth(1).unwrap().split('&').next().unwrap();
    let r = c
        .post(
            &format!("/api/v1/tickets/{id}/fix-rating?k={k}"),
            None,
            &json!({"score": 5}),
        )
        .await
        .unwrap();
    assert_eq!(r.status.as_u16(), 200, "{}", r.body);
    let items = c
        .send(
            hyper::Method::GET,
            "/api/v1/rectifications",
            Some(&boss),
            None,
        )
        .await
        .unwrap()
        .body;
    let item = items["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["ticket"] == id)
        .cloned()
        .unwrap();
    assert_eq!(
        (item["state"].clone(), item["fix_score"].clone()),
        (json!("rated"), json!(5))
    );
    assert!(
        !items.to_string().contains("13812345678"),
        "the phone is not shown: {items}"
    );
}

/// With `[rating] sms_link = true`, a finished ticket with a phone on file
/// gets one text with its rating link (`&via=sms`), and rating through it
/// records channel sms; a ticket rated at finish and a ticket without a
/// phone get none.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_finished_ticket_with_a_phone_is_texted_its_rating_link_once() {
    let (webhook, mut rx) = sms_gateway().await;
    let hall = texting_hall(webhook, true);
    let d = hall.start_at(monday(10, 0));
    let token = hall.counter_token("2");
    let mut c = d.conn().await;
    let (id, key) = finished(&mut c, &token, Some("13812345678"), json!({})).await;
    let text = text_of(&mut rx, "rate").await;
    assert_eq!(
        (text["ticket"].clone(), text["phone"].clone()),
        (json!(id), json!("13812345678"))
    );
    let message = text["message"].as_str().unwrap();
    let link = format!("https://hall.example.gov.cn/t/{id}?k={key}&via=sms");
    assert!(message.contains(&link), "{link} not in {message:?}");
    // Rated at the window as it finished; no phone: no link for either.
    let (rated, rated_key) =
        finished(&mut c, &token, Some("13900001111"), json!({"rating": 5})).await;
    let (no_phone, _) = finished(&mut c, &token, None, json!({})).await;

    // The phone page opened from the text sends channel sms.
    let r = c
        .post(
            &format!("/api/v1/tickets/{id}/rating"),
            None,
            &json!({"score": 5, "ticket_key": key, "channel": "sms"}),
        )
        .await
        .unwrap();
    assert_eq!(r.status.as_u16(), 200, "{}", r.body);
    // Later events for the ticket send nothing again.
    let r = c
        .post(
            &format!("/api/v1/tickets/{id}/ready"),
            Some(&token),
            &json!({}),
        )
        .await
        .unwrap();
    assert_eq!(r.status.as_u16(), 200, "{}", r.body);
    text_of(&mut rx, "ready").await;
    drop(d);

    let db = rusqlite::Connection::open(&hall.db).unwrap();
    let channel: String = db
        .query_row(
            "SELECT channel FROM events WHERE kind = 'ticket_rated' AND ticket_id = ?1",
            [id as i64],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(channel, "sms");
    let per_ticket: Vec<(i64, i64)> = db
        .prepare("SELECT ticket_id, count(*) FROM outbox WHERE kind = 'rate' GROUP BY ticket_id")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(
        per_ticket,
        [(id as i64, 1)],
        "one link, for {id} only (not {rated}, rated; not {no_phone}, no phone)"
    );
    for k in [&key, &rated_key] {
        assert_eq!(
            outbox_counts(&hall.db, "rate", k).1,
            0,
            "a key in the database"
        );
    }
}
