//! `qcall config check FILE` as a user runs it: exit 0 and a summary for a
//! good file, exit 1 with FILE:LINE and what is wrong for a bad one.

use super::*;

#[test]
fn config_check_accepts_the_demo_and_names_the_line_of_a_mistake() {
    let demo = root().join("config/demo.toml");
    let out = qcall(&["config", "check", demo.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout(&out).contains(": ok (6 services, 8 counters"),
        "{}",
        stdout(&out)
    );

    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("hall.toml");
    let text = std::fs::read_to_string(&demo).unwrap();
    let line = text
        .lines()
        .position(|l| l.starts_with("timezone = "))
        .unwrap()
        + 1;
    std::fs::write(&bad, text.replacen("Asia/Shanghai", "Mars/Olympus", 1)).unwrap();
    let out = qcall(&["config", "check", bad.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&format!(
            "{}:{line}: [hall] timezone = \"Mars/Olympus\"",
            bad.display()
        )),
        "{err}"
    );
    let out = qcall(&["config", "check", "/nonexistent.toml"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot read /nonexistent.toml"));
}

/// `[hours] cutoff_minutes` through the binary: a forecast cut-off ignores
/// it, so a file without it is ok; a fixed one stops by it, so the same
/// file with the fixed cut-off is refused at the `[hours]` line, naming
/// the key and what to write.
#[test]
fn config_check_takes_a_forecast_cut_off_without_cutoff_minutes_but_not_a_fixed_one() {
    let demo = std::fs::read_to_string(root().join("config/demo.toml")).unwrap();
    let without = demo.replacen("cutoff_minutes = 30\n", "", 1);
    assert_ne!(without, demo, "the demo has no `cutoff_minutes = 30`");
    let header = without.lines().position(|l| l == "[hours]").unwrap() + 1;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("hall.toml");

    let forecast = without.replacen("[hours]\n", "[hours]\ncutoff = \"forecast\"\n", 1);
    std::fs::write(&file, &forecast).unwrap();
    let out = qcall(&["config", "check", file.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout(&out).contains(&format!("{}: ok (6 services", file.display())),
        "{}",
        stdout(&out)
    );

    for text in [
        without.clone(),
        without.replacen("[hours]\n", "[hours]\ncutoff = \"fixed\"\n", 1),
    ] {
        std::fs::write(&file, &text).unwrap();
        let out = qcall(&["config", "check", file.to_str().unwrap()]);
        assert_eq!(out.status.code(), Some(1));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains(&format!(
                "{}:{header}: [hours] cutoff_minutes is missing",
                file.display()
            )) && err.contains("add cutoff_minutes = 30 under [hours]"),
            "{err}"
        );
    }
}

/// `qcall serve` with a mistaken config says where, as `config check` does:
/// `FILE:LINE: what is wrong` on stderr, a non-zero exit, and no database
/// created. Both kinds of mistake: a TOML syntax error (the parser's span)
/// and a value the hall refuses (the key's line in its section).
#[test]
fn qcall_serve_names_the_line_of_a_config_mistake_and_exits_non_zero() {
    let demo = std::fs::read_to_string(root().join("config/demo.toml")).unwrap();
    let line = |needle: &str| demo.lines().position(|l| l.starts_with(needle)).unwrap() + 1;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("hall.toml");
    let db = dir.path().join("hall.db");
    for (text, at, what) in [
        (
            demo.replacen("keep = 24", "keep = = 24", 1),
            line("keep = 24"),
            "extra `=`",
        ),
        (
            demo.replacen("Asia/Shanghai", "Mars/Olympus", 1),
            line("timezone = "),
            "[hall] timezone = \"Mars/Olympus\"",
        ),
    ] {
        assert_ne!(text, demo, "the demo changed: {what}");
        std::fs::write(&file, &text).unwrap();
        let out = serve_until_it_exits(&[
            "serve",
            "--config",
            file.to_str().unwrap(),
            "--db",
            db.to_str().unwrap(),
            "--listen",
            "127.0.0.1:0",
        ]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "it served: {err}");
        assert!(
            err.contains(&format!("{}:{at}: {what}", file.display())),
            "{err}"
        );
        assert!(!db.exists(), "a refused config opens no database");
        // The same words as `qcall config check`.
        let check = qcall(&["config", "check", file.to_str().unwrap()]);
        let check_err = String::from_utf8_lossy(&check.stderr);
        let first = |s: &str| s.lines().next().unwrap_or("").to_owned();
        assert_eq!(first(&err), first(&check_err));
    }
}

/// Runs `qcall ARGS` to its exit; a daemon that starts instead is killed
/// (by its pid) and the test fails, rather than hanging.
fn serve_until_it_exits(args: &[&str]) -> Output {
    let child = Command::new(qcall_bin())
        .args(args)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("cannot run qcall");
    let pid = child.id();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || tx.send(child.wait_with_output()));
    match rx.recv_timeout(Duration::from_secs(60)) {
        Ok(out) => out.unwrap(),
        Err(_) => {
            let _ = Command::new("kill").args(["-9", &pid.to_string()]).status();
            panic!("qcall {args:?} did not exit: it took the config");
        }
    }
}
