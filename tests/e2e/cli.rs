//! The command line as an operator and a clerk use it.

use super::*;

#[tokio::test]
async fn take_a_ticket_and_call_it_from_the_command_line() {
    let hall = Hall::demo();
    let d = hall.start();
    let mut display = d.display("").await;
    display.next_of("snapshot").await;

    let take = qcall(&["ticket", "take", "--server", &d.url, "A"]);
    assert!(take.status.success(), "{take:?}");
    assert!(stdout(&take).starts_with("A001"), "{}", stdout(&take));

    let token = hall.counter_token("1");
    assert!(token.starts_with("qc_") && token.len() > 60, "{token}");
    let call = qcall(&[
        "counter",
        "call",
        "--server",
        &d.url,
        "--counter",
        "1",
        "--token",
        &token,
    ]);
    assert!(call.status.success(), "{call:?}");
    assert!(
        stdout(&call).contains("A001") && stdout(&call).contains("counter 1"),
        "{}",
        stdout(&call)
    );

    let issued = display.next_of("ticket_issued").await;
    let called = display.next_of("ticket_called").await;
    assert!(called["seq"].as_u64() > issued["seq"].as_u64());

    let status = qcall(&["status", "--server", &d.url]);
    assert!(
        stdout(&status).contains("A001 -> counter 1"),
        "{}",
        stdout(&status)
    );
    let finish = qcall(&[
        "counter",
        "finish",
        "--server",
        &d.url,
        "--counter",
        "1",
        "--token",
        &token,
        "--rating",
        "5",
    ]);
    assert!(finish.status.success(), "{finish:?}");
    let stats = qcall(&["stats", "--server", &d.url]);
    assert!(stdout(&stats).contains("service A"), "{}", stdout(&stats));
}

#[tokio::test]
async fn exit_codes_mean_something() {
    let hall = Hall::demo();
    let d = hall.start();
    let token = hall.counter_token("1");
    let code = |args: &[&str]| qcall(args).status.code();
    assert_eq!(
        code(&["ticket", "take", "--server", &d.url, "Z"]),
        Some(3),
        "refused by the server"
    );
    assert_eq!(
        code(&[
            "counter",
            "call",
            "--server",
            &d.url,
            "--counter",
            "1",
            "--token",
            "bad"
        ]),
        Some(3)
    );
    assert_eq!(
        code(&["ticket", "take", "--server", "http://127.0.0.1:1", "A"]),
        Some(4),
        "unreachable"
    );
    assert_eq!(code(&["ticket", "frobnicate"]), Some(2), "usage");
    assert_eq!(code(&["serve", "--config", "/nonexistent.toml"]), Some(1));
    // Revoked tokens stop working at once.
    let config = hall.config.to_str().unwrap();
    assert!(
        qcall(&[
            "token",
            "revoke",
            "--config",
            config,
            "--db",
            hall.db.to_str().unwrap(),
            "--counter",
            "1"
        ])
        .status
        .success()
    );
    assert_eq!(
        code(&[
            "counter",
            "call",
            "--server",
            &d.url,
            "--counter",
            "1",
            "--token",
            &token
        ]),
        Some(3)
    );
    // db check on a healthy file.
    let check = qcall(&["db", "check", "--db", hall.db.to_str().unwrap()]);
    assert!(
        check.status.success() && stdout(&check).contains("ok:"),
        "{}",
        stdout(&check)
    );
    let _ = hall.path();
}

#[test]
fn default_config_prints_the_example() {
    let out = qcall(&["default-config"]);
    assert!(out.status.success());
    let text = stdout(&out);
    assert_eq!(
        text,
        std::fs::read_to_string(root().join("config/qcall.example.toml")).unwrap()
    );
    Config::parse(&text).unwrap();
}

#[tokio::test]
async fn sigterm_stops_the_daemon_cleanly_with_sockets_open() {
    let hall = Hall::demo();
    let mut d = hall.start();
    let mut display = d.display("").await;
    display.next_of("snapshot").await;
    let pid = d.child.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success()
    );
    // The display is told the server is going away...
    assert!(display.closed_reason().await.contains("shutting down"));
    // ...and the daemon exits by itself, successfully.
    let status = tokio::task::spawn_blocking(move || {
        let status = d.child.wait().unwrap();
        std::mem::forget(d);
        status
    })
    .await
    .unwrap();
    assert!(status.success(), "{status:?}");
}
