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
