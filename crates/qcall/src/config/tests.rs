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

/// What the example says of a key path (`services[].slot_cap`): its
/// documented default, `None` for `# default: none`.
type Marks = std::collections::BTreeMap<String, Option<toml::Value>>;

/// The `# default: VALUE` marks at the ends of the example's lines, by key
/// path: on `key = value` lines and on `[[table]]` headers. Panics on a
/// mark whose value is not TOML, or a path marked twice differently.
fn default_marks(text: &str) -> Marks {
    let mut marks = Marks::new();
    let mut table = String::new();
    let mut array = false;
    for (n, line) in text.lines().enumerate() {
        let (code, mark) = match line.rfind("# default:") {
            Some(at) if !line.trim_start().starts_with('#') => {
                (line[..at].trim(), Some(line[at + 10..].trim()))
            }
            _ => (line.trim_end(), None),
        };
        let path = if let Some(name) = code.strip_prefix("[[").and_then(|c| c.strip_suffix("]]")) {
            (table, array) = (name.to_owned(), true);
            table.clone()
        } else if let Some(name) = code.strip_prefix('[').and_then(|c| c.strip_suffix(']')) {
            (table, array) = (name.to_owned(), false);
            table.clone()
        } else if let Some((key, _)) = code
            .split_once('=')
            .filter(|_| !line.starts_with([' ', '#']))
        {
            let key = key.trim();
            match (table.is_empty(), array) {
                (true, _) => key.to_owned(),
                (false, true) => format!("{table}[].{key}"),
                (false, false) => format!("{table}.{key}"),
            }
        } else {
            continue;
        };
        let Some(mark) = mark else { continue };
        let value = (mark != "none").then(|| {
            toml::from_str::<toml::Table>(&format!("v = {mark}"))
                .unwrap_or_else(|e| panic!("line {}: `# default: {mark}` is not TOML: {e}", n + 1))
                .remove("v")
                .unwrap()
        });
        if let Some(before) = marks.insert(path.clone(), value.clone()) {
            assert_eq!(
                before,
                value,
                "line {}: {path} marked with two defaults",
                n + 1
            );
        }
    }
    marks
}

/// `path` in `value`, arrays of tables spelt `name[]`: every value found.
fn lookup<'a>(value: &'a toml::Value, path: &str) -> Vec<&'a toml::Value> {
    let mut found = vec![value];
    for part in path.split('.') {
        let (key, each) = match part.strip_suffix("[]") {
            Some(k) => (k, true),
            None => (part, false),
        };
        found = found
            .into_iter()
            .filter_map(|v| v.get(key))
            .flat_map(|v| match (each, v) {
                (true, toml::Value::Array(items)) => items.iter().collect(),
                _ => vec![v],
            })
            .collect();
    }
    found
}

/// Removes `path` from `value`: a key of a table, from every entry of the
/// arrays of tables on the way when `all`, else from the first entry that
/// has it. Returns whether anything was removed.
fn remove(value: &mut toml::Value, path: &str, all: bool) -> bool {
    let (head, rest) = match path.split_once('.') {
        Some((h, r)) => (h, Some(r)),
        None => (path, None),
    };
    let (key, each) = match head.strip_suffix("[]") {
        Some(k) => (k, true),
        None => (head, false),
    };
    let Some(table) = value.as_table_mut() else {
        return false;
    };
    let Some(rest) = rest else {
        return table.remove(key).is_some();
    };
    let Some(inner) = table.get_mut(key) else {
        return false;
    };
    match (each, inner) {
        (true, toml::Value::Array(items)) => {
            let mut removed = false;
            for item in items {
                if remove(item, rest, all) {
                    removed = true;
                    if !all {
                        break;
                    }
                }
            }
            removed
        }
        (_, inner) => remove(inner, rest, all),
    }
}

fn example_text() -> String {
    std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../config/qcall.example.toml"
    ))
    .unwrap()
}

/// The example with every key that has a default left out, and the tables
/// left empty by that: only the required keys.
fn only_required(example: &str, marks: &Marks) -> toml::Value {
    let mut value = toml::Value::Table(toml::from_str(example).unwrap());
    for path in marks.keys() {
        assert!(
            remove(&mut value, path, true),
            "{path} is marked but not in the example"
        );
    }
    if let Some(t) = value.as_table_mut() {
        t.retain(|_, v| !matches!(v, toml::Value::Table(t) if t.is_empty()));
    }
    value
}

#[test]
fn a_config_with_only_the_required_keys_loads_with_the_documented_defaults() {
    let example = example_text();
    let marks = default_marks(&example);
    assert!(marks.len() >= 30, "the marks were not found: {marks:?}");
    let minimal = only_required(&example, &marks);
    for section in ["print", "appointments", "notify"] {
        assert!(
            minimal.get(section).is_none(),
            "[{section}] has a required key"
        );
    }
    let text = toml::to_string(&minimal).unwrap();
    let config = Config::parse(&text)
        .unwrap_or_else(|e| panic!("only the required keys do not load: {e:#}\n{text}"));
    assert!(config.display.zones.is_empty() && config.printers.is_empty());
    let loaded = toml::Value::try_from(&config).unwrap();
    for (path, default) in &marks {
        let got = lookup(&loaded, path);
        match default {
            None => assert!(
                got.iter()
                    .all(|v| v.as_array().is_some_and(|a| a.is_empty())),
                "{path}: documented as `none`, loaded as {got:?}"
            ),
            Some(default) => {
                assert!(!got.is_empty(), "{path}: not in the loaded config");
                for v in got {
                    assert_eq!(
                        v, default,
                        "{path}: the example says `# default: {default}`"
                    );
                }
            }
        }
    }
}

#[test]
fn every_key_without_a_documented_default_is_required() {
    let example = example_text();
    let marks = default_marks(&example);
    let full = toml::Value::Table(toml::from_str(&example).unwrap());
    let mut paths = BTreeSet::new();
    key_paths(&full, "", &mut paths);
    let minimal = only_required(&example, &marks);
    let mut silent = Vec::new();
    for path in &paths {
        if marks.contains_key(path) {
            continue;
        }
        // A section all of whose keys have defaults may be left out whole.
        if lookup(&full, path).iter().all(|v| v.is_table()) && lookup(&minimal, path).is_empty() {
            continue;
        }
        let mut without = full.clone();
        assert!(remove(&mut without, path, false), "{path}");
        if Config::parse(&toml::to_string(&without).unwrap()).is_ok() {
            silent.push(path.clone());
        }
    }
    assert!(
        silent.is_empty(),
        "these keys may be left out but the example gives them no `# default:`: {silent:?}"
    );
}

/// `[hours] cutoff_minutes` is what a fixed cut-off stops by, so it is
/// required there; a forecast cut-off ignores it, so there it may go.
#[test]
fn cutoff_minutes_is_required_by_a_fixed_cut_off_only() {
    let without = EXAMPLE.replacen("cutoff_minutes = 30\n", "", 1);
    assert_ne!(without, EXAMPLE, "the example has no `cutoff_minutes = 30`");
    let forecast = without.replacen(
        "cutoff = \"fixed\"  # default: \"fixed\"",
        "cutoff = \"forecast\"",
        1,
    );
    assert_ne!(forecast, without, "the example has no `cutoff = \"fixed\"`");
    let config = Config::parse(&forecast).unwrap_or_else(|e| panic!("{e:#}"));
    assert_eq!(config.hours.cutoff_minutes, None);
    let schedule = config.hours.schedule().unwrap();
    assert_eq!(
        (schedule.cutoff, schedule.cutoff_minutes),
        (
            qcall_core::hours::Cutoff::Forecast {
                extended_minutes: 30
            },
            0
        )
    );
    // Given anyway, it loads as before.
    let with = EXAMPLE.replacen(
        "cutoff = \"fixed\"  # default: \"fixed\"",
        "cutoff = \"forecast\"",
        1,
    );
    assert_eq!(Config::parse(&with).unwrap().hours.cutoff_minutes, Some(30));
    // Fixed, stated or by default: refused, naming the key and the fix.
    let unstated = without.replacen("cutoff = \"fixed\"  # default: \"fixed\"\n", "", 1);
    assert_ne!(unstated, without);
    for text in [without, unstated] {
        let err = format!("{:#}", Config::parse(&text).unwrap_err());
        assert!(
            err.contains("[hours] cutoff_minutes is missing")
                && err.contains("add cutoff_minutes = 30 under [hours]")
                && err.contains("cutoff = \"forecast\""),
            "{err}"
        );
    }
}
