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
