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
fn default_config_is_the_shipped_example_and_documents_every_key() {
    let out = qcall(&["default-config"]);
    assert!(out.status.success(), "{out:?}");
    // Byte for byte the file in the repository that operators copy; that
    // file documents every key the daemon knows (config.rs's unit test
    // reads it from disk and checks each key).
    let shipped = std::fs::read(root().join("config/qcall.example.toml")).unwrap();
    assert!(
        out.stdout == shipped,
        "`qcall default-config` differs from config/qcall.example.toml"
    );
    // And it is a config the daemon accepts.
    Config::parse(&stdout(&out)).unwrap();
}

/// The lines of a slip as `ticket preview` draws it, without the frame and
/// the QR code's block art.
fn preview_lines(text: &str) -> Vec<String> {
    text.lines()
        .filter(|l| l.starts_with('|'))
        .map(|l| l.trim_matches('|').to_owned())
        .filter(|l| !l.trim().is_empty())
        .filter(|l| !l.chars().all(|c| matches!(c, ' ' | '█' | '▀' | '▄')))
        .collect()
}

/// Large text is spaced out in a preview ("A 0 0 1"); centring pads both.
fn squeezed(lines: &[String]) -> Vec<String> {
    lines
        .iter()
        .map(|l| l.chars().filter(|c| !c.is_whitespace()).collect())
        .collect()
}

#[tokio::test]
async fn ticket_preview_shows_what_the_daemon_prints() {
    let hall = Hall::demo();
    // A still clock: the wait estimate is the same at printing and preview.
    let d = hall.start_at(1_795_363_200_000 + 10 * 3_600_000);
    // Service B needs six materials (four fit on a slip), and the disabled
    // are served in the green channel.
    let (resp, printed) = d
        .take_and_print(
            &serde_json::json!({"service": "B", "priority": "disabled", "source": "kiosk-1"}),
        )
        .await;
    assert_eq!(resp.body["print"], "queued", "{}", resp.body);
    assert_eq!(printed["status"], "printed", "{printed}");
    let printer = resp.body["printer"].as_str().unwrap();
    let job = std::fs::read(hall.path().join(format!("{printer}.escpos"))).unwrap();
    let printed = escpos_lines(&job);

    let id = resp.body["ticket"]["id"].to_string();
    let config = hall.config.to_str().unwrap();
    let out = qcall(&[
        "ticket", "preview", &id, "--server", &d.url, "--config", config,
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let shown = preview_lines(&stdout(&out));
    assert_eq!(
        squeezed(&shown),
        squeezed(&printed),
        "the preview:\n{}\nthe daemon printed:\n{}",
        shown.join("\n"),
        printed.join("\n")
    );
    // What the old preview got wrong, spelled out.
    let has = |text: &str| printed.iter().any(|l| l.contains(text));
    assert!(
        has("【绿色通道 残疾人 Person with disability】"),
        "{printed:#?}"
    );
    assert!(has("5. ……另有 2 项"), "{printed:#?}");

    // A server ticket is laid out from the hall's config: without it, a
    // usage error; with another hall's, a refusal to guess.
    let out = qcall(&["ticket", "preview", &id, "--server", &d.url]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let other = Hall::with(|c| c.hall.name.zh = "另一个大厅".into());
    let out = qcall(&[
        "ticket",
        "preview",
        &id,
        "--server",
        &d.url,
        "--config",
        other.config.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
}

#[tokio::test]
async fn suspend_and_requeue_from_the_command_line() {
    let hall = Hall::demo();
    let d = hall.start();
    let token = hall.counter_token("1");
    let counter = |verb: &str, extra: &[&str]| {
        let mut args = vec![
            "counter",
            verb,
            "--server",
            &d.url,
            "--counter",
            "1",
            "--token",
            &token,
        ];
        args.extend_from_slice(extra);
        qcall(&args)
    };
    assert!(
        qcall(&["ticket", "take", "--server", &d.url, "A"])
            .status
            .success()
    );
    assert!(counter("open", &[]).status.success());
    assert!(counter("call", &[]).status.success());
    let requeued = counter("requeue", &[]);
    assert!(requeued.status.success(), "{requeued:?}");
    assert!(
        stdout(&requeued).contains("[waiting]"),
        "{}",
        stdout(&requeued)
    );
    assert!(counter("call", &[]).status.success());

    let suspended = counter(
        "suspend",
        &[
            "--missing",
            "户口簿",
            "--missing",
            "照片",
            "--note",
            "补齐后直接到1号窗口",
        ],
    );
    assert!(suspended.status.success(), "{suspended:?}");
    let text = stdout(&suspended);
    assert!(text.contains("[suspended]"), "{text}");
    assert!(text.contains("notice is printed"), "{text}");
    // The notice slip names what is missing.
    let notice = std::fs::read(hall.path().join("hall.escpos")).unwrap();
    let lines = escpos_lines(&notice);
    for expect in ["1. 户口簿", "2. 照片", "备注 Note: 补齐后直接到1号窗口"] {
        assert!(
            lines.iter().any(|l| l.contains(expect)),
            "{expect}: {lines:#?}"
        );
    }

    // A flag the verb does not take is a usage error, not silently dropped.
    let out = counter("call", &["--rating", "5"]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
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
