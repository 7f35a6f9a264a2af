//! The counter actions are one table in the core: each one a client may
//! ask for is understood by the HTTP parser and the websocket parser, is a
//! verb of the CLI, and is what `GET /api/v1/counter-actions` serves (the
//! counter page's buttons are checked against that list in the page tests).

use qcall_core::command::ActionSpec;
use serde_json::json;

use super::*;

/// An answer that proves the parser knew the action: anything but its
/// "no such action" error (the action itself may be refused for the state).
fn understood(code: &Value) -> bool {
    code != "unknown_action"
}

#[tokio::test]
async fn every_counter_action_of_the_core_is_understood_everywhere() {
    let hall = Hall::demo();
    let d = hall.start();
    let token = hall.counter_token("1");
    let mut c = d.conn().await;

    let served = c.get("/api/v1/counter-actions").await.unwrap();
    let served: Vec<&str> = served.body["actions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["name"].as_str().unwrap())
        .collect();
    let table: Vec<&str> = ActionSpec::for_clients().map(|a| a.name).collect();
    assert_eq!(served, table, "the API serves the core's table");
    assert!(table.len() >= 12, "{table:?}");

    let mut ws = d.counter_socket(&token).await;

    let help = stdout(&qcall(&["counter", "--help"]));
    for (i, a) in ActionSpec::for_clients().enumerate() {
        // An empty body: actions with required arguments answer 422, not 404.
        let r = c
            .post(
                &format!("/api/v1/counters/1/{}", a.name),
                Some(&token),
                &json!({}),
            )
            .await
            .unwrap();
        assert!(
            understood(&r.body["error"]["code"]),
            "HTTP does not know `{}`: {:?}",
            a.name,
            r.body
        );
        let id = format!("q{i}");
        ws.send(json!({"type": a.name, "id": id})).await;
        let answer = loop {
            let f = ws.next().await;
            if f["id"] == id.as_str() {
                break f;
            }
        };
        assert!(
            understood(&answer["error"]["code"]),
            "the websocket does not know `{}`: {answer}",
            a.name
        );
        let word = if a.name == "call-next" {
            "call"
        } else {
            a.name
        };
        assert!(
            help.contains(word),
            "`{word}` is not in `qcall counter --help`:\n{help}"
        );
    }
    // The parsers still refuse what is not in the table, naming what is.
    let r = c
        .post("/api/v1/counters/1/dance", Some(&token), &json!({}))
        .await
        .unwrap();
    assert_eq!(r.body["error"]["code"], "unknown_action");
    let message = r.body["error"]["message"].as_str().unwrap();
    for name in &table {
        assert!(message.contains(name), "`{name}` not offered in: {message}");
    }
}
