//! The config's tests: the example documents every key, bad values are
//! refused with a message naming the key, and the conversion into a hall.

use std::collections::BTreeSet;

use std::path::Path;

use super::*;

/// Every key path in a TOML value; array elements share the path `[]`.
fn key_paths(value: &toml::Value, prefix: &str, out: &mut BTreeSet<String>) {
    match value {
        toml::Value::Table(t) => {
            for (k, v) in t {
                let path = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                out.insert(path.clone());
                key_paths(v, &path, out);
            }
        }
        toml::Value::Array(items) => {
            for item in items {
                key_paths(item, &format!("{prefix}[]"), out);
            }
        }
        _ => {}
    }
}

fn paths(text: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    key_paths(
        &toml::Value::Table(toml::from_str::<toml::Table>(text).unwrap()),
        "",
        &mut out,
    );
    out
}

#[test]
fn the_example_parses_and_documents_every_key() {
    // The file on disk, read here rather than through `EXAMPLE`, so the
    // check does not lean on what the binary embeds (the e2e test
    // compares the binary's output with this same file).
    let example = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../config/qcall.example.toml"
    ))
    .unwrap();
    let mut config = Config::parse(&example).unwrap();
    // Serialising the parsed config gives every key the program knows
    // (optional tables filled in so their keys count); the example must
    // show each of them.
    for s in &mut config.services {
        s.hours.get_or_insert_with(|| ServiceHours {
            mon: vec![],
            tue: vec![],
            wed: vec![],
            thu: vec![],
            fri: vec![],
            sat: vec![],
            sun: vec![],
        });
    }
    let known = paths(&toml::to_string(&config).unwrap());
    let shown = paths(&example);
    let missing: Vec<_> = known.difference(&shown).collect();
    assert!(
        missing.is_empty(),
        "config/qcall.example.toml lacks keys: {missing:?}"
    );
}

#[test]
fn the_demo_hall_is_realistic() {
    let config = Config::load(Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../config/demo.toml"
    )))
    .unwrap();
    let hall = config.hall().unwrap();
    assert!(hall.services.len() >= 6, "at least six services");
    assert!(hall.counters.len() >= 8, "at least eight counters");
    assert!(
        hall.services
            .iter()
            .all(|s| !s.materials.is_empty() && !s.name.zh.is_empty() && !s.name.en.is_empty())
    );
    let green: Vec<_> = hall
        .classes
        .iter()
        .filter(|c| c.green)
        .map(|c| c.id.as_str())
        .collect();
    for class in ["elderly", "disabled", "pregnant"] {
        assert!(green.contains(&class), "green channel for {class}");
    }
    assert!(!config.hours.sat.is_empty(), "Saturday service");
    // Overlapping services: some service is served by several counters.
    assert!(
        hall.services
            .iter()
            .any(|s| hall.counters_serving(&s.code).count() >= 2)
    );
    assert_eq!(config.server.listen, "127.0.0.1:8080");
    assert!(
        config.server.db.is_relative(),
        "the demo keeps its db under the working dir"
    );
}

#[test]
fn mistakes_are_named() {
    let check = |from: &str, to: &str, expect: &str| {
        let text = EXAMPLE.replacen(from, to, 1);
        assert_ne!(text, EXAMPLE, "fixture {from:?} not found in the example");
        let err = format!("{:#}", Config::parse(&text).unwrap_err());
        assert!(err.contains(expect), "{expect:?} not in {err:?}");
    };
    check("[queue]", "[queue]\npolicyy = 1", "unknown field `policyy`");
    check(
        "timezone = \"Asia/Shanghai\"",
        "timezone = \"Mars/Base\"",
        "not a known time zone",
    );
    check(
        "policy = \"ratio\"",
        "policy = \"lottery\"",
        "use \"strict\", \"ratio\" or \"aging\"",
    );
    check(
        "listen = \"127.0.0.1:8080\"",
        "listen = \"localhost\"",
        "not an address",
    );
    check(
        "header_timeout_s = 30",
        "header_timeout_s = 0",
        "[server] header_timeout_s = 0",
    );
    check(
        "locales = [\"zh-CN\", \"en\"]",
        "locales = [\"fr\"]",
        "[audio] locales",
    );
    check("volume = 0.8", "volume = 1.5", "[audio] volume");
    check(
        "quiet_hours = []",
        "quiet_hours = [\"13:00-12:00\"]",
        "[audio] quiet_hours",
    );
    check(
        "sat = [\"09:00-12:00\"]",
        "sat = [\"12:00-09:00\"]",
        "[hours] sat",
    );
    check(
        "layout = \"columns\"",
        "layout = \"grid\"",
        "[display] layout",
    );
    check(
        "en = \"East hall\" }\nservices = [\"A\", \"B\"]",
        "en = \"East hall\" }\nservices = [\"A\", \"Z\"]",
        "no service \"Z\"",
    );
}

#[test]
fn ranges() {
    assert_eq!(parse_range("08:30-12:00").unwrap(), (510, 720));
    assert!(parse_range("8-12").is_err());
    assert!(parse_range("12:00-12:00").is_err());
    assert!(parse_range("24:00-25:00").is_err());
}

#[test]
fn the_backup_section_may_be_left_out_and_bad_values_are_named() {
    let start = EXAMPLE
        .find("\n[backup]")
        .expect("the example has [backup]");
    let end = EXAMPLE[start + 1..]
        .find("\n[")
        .map_or(EXAMPLE.len(), |i| start + 1 + i);
    let without = format!("{}{}", &EXAMPLE[..start], &EXAMPLE[end..]);
    let config = Config::parse(&without).unwrap();
    assert_eq!(config.backup, BackupSection::default());
    assert_eq!(
        config.backup.dir_for(Path::new("/var/lib/qcall/hall.db")),
        Path::new("/var/lib/qcall/backups")
    );
    assert_eq!(
        config.backup.dir_for(Path::new("hall.db")),
        Path::new("backups")
    );
    for (from, to, expect) in [
        ("keep = 24", "keep = 0", "[backup] keep = 0"),
        (
            "every_minutes = 60",
            "every_minutes = 20000",
            "[backup] every_minutes = 20000",
        ),
        ("keep = 24", "keep = 24\nevery = 5", "unknown field `every`"),
    ] {
        let text = EXAMPLE.replacen(from, to, 1);
        assert_ne!(text, EXAMPLE, "{from:?} not in the example");
        let err = format!("{:#}", Config::parse(&text).unwrap_err());
        assert!(err.contains(expect), "{expect:?} not in {err:?}");
    }
}
