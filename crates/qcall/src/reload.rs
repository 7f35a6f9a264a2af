//! Live configuration: re-reads the daemon's config file on SIGHUP and on
//! `POST /api/v1/admin/reload`, and applies what may change while serving.
//!
//! A reload either takes effect whole or not at all: the file is parsed and
//! built into a `Hall` and a `Site` first; what needs a restart is refused
//! here ([`needs_restart`]); what today's queue still uses (a removed
//! service with tickets waiting) is refused by the engine, which swaps the
//! hall and records the `config_reload` audit event in one step. Only then
//! are the site settings swapped and every screen told
//! ([`qcall_web::RELOADED_NOTICE`]). This file does not re-create printers
//! or speakers: sections that would need that are refused with a restart
//! hint until that is built.

use std::path::PathBuf;
use std::sync::Arc;

use qcall_engine::EngineHandle;
use qcall_web::{Hub, LiveSite, ReloadBody, ReloadError, Reloader};
use serde_json::Value;

use crate::config::Config;

/// Sections that are read once at start-up (listener, background tasks,
/// devices): a change to one is refused with "restart".
const RESTART_SECTIONS: &[&str] = &[
    "server", "notify", "backup", "staff", "print", "printers", "audio",
];

/// Keys of `[rating]` read once at start-up (the upload task).
const RESTART_RATING_KEYS: &[&str] = &["upload_url", "retry_ms", "ca_file", "department"];

/// Re-reads `path` and applies it; the one implementation of [`Reloader`].
#[derive(Debug)]
pub struct ConfigReloader {
    path: PathBuf,
    /// The config in force. An async mutex held for a whole reload: each
    /// reload is judged against the config the one before it left, so two
    /// at once (a SIGHUP and a request) must not both compare with the same.
    running: tokio::sync::Mutex<Config>,
    engine: EngineHandle,
    site: Arc<LiveSite>,
    hub: Arc<Hub>,
}

impl ConfigReloader {
    pub fn new(
        path: PathBuf,
        running: Config,
        engine: EngineHandle,
        site: Arc<LiveSite>,
        hub: Arc<Hub>,
    ) -> ConfigReloader {
        ConfigReloader {
            path,
            running: tokio::sync::Mutex::new(running),
            engine,
            site,
            hub,
        }
    }

    /// Re-reads the file and applies it; `by` is who asked (audited).
    pub async fn apply(&self, by: String) -> Result<ReloadBody, ReloadError> {
        let mut running = self.running.lock().await;
        let name = self.path.display().to_string();
        let text = std::fs::read_to_string(&self.path)
            .map_err(|e| ReloadError::Invalid(format!("cannot read {name}: {e}")))?;
        let invalid =
            |e: anyhow::Error| ReloadError::Invalid(crate::config::located(&name, &text, &e));
        let next = Config::parse(&text).map_err(invalid)?;
        if let Some(why) = needs_restart(&running, &next) {
            return Err(ReloadError::Refused(why));
        }
        let hall = Arc::new(next.hall().map_err(invalid)?);
        let site = crate::site(&next, &hall).map_err(invalid)?;
        let changes = changes(&running, &next);
        let summary = match changes.is_empty() {
            true => "no change".to_owned(),
            false => changes.join("; "),
        };
        let seq = self
            .engine
            .reload(hall, by.clone(), summary.clone())
            .await
            .map_err(|e| match e {
                qcall_engine::EngineError::Rejected(qcall_core::Rejection::ConfigRefused(m)) => {
                    ReloadError::Refused(m)
                }
                other => ReloadError::Engine(other),
            })?;
        self.site.set(site);
        *running = next;
        self.hub.notice_with_snapshot(
            qcall_web::RELOADED_NOTICE,
            serde_json::json!({ "changes": changes }),
        );
        tracing::info!(%by, seq, changes = %summary, "configuration reloaded");
        Ok(ReloadBody { seq, changes })
    }
}

impl Reloader for ConfigReloader {
    fn reload(
        self: Arc<Self>,
        by: String,
    ) -> qcall_web::devices::BoxFuture<Result<ReloadBody, ReloadError>> {
        Box::pin(async move { self.apply(by).await })
    }
}

/// What `next` changes that only a restart can apply, as the reason to give.
pub fn needs_restart(running: &Config, next: &Config) -> Option<String> {
    if running.hall.timezone != next.hall.timezone {
        return Some(format!(
            "[hall] timezone changes from {:?} to {:?}: the business day and today's numbering follow it; change it with a restart after closing time",
            running.hall.timezone, next.hall.timezone
        ));
    }
    if running.server.db != next.server.db {
        return Some(format!(
            "[server] db changes from {} to {}: the database is opened once; restart the daemon to use another",
            running.server.db.display(),
            next.server.db.display()
        ));
    }
    if running.server.listen != next.server.listen {
        return Some(format!(
            "[server] listen changes from {:?} to {:?}: the listening address is bound once; restart the daemon to move it",
            running.server.listen, next.server.listen
        ));
    }
    let (old, new) = (to_value(running), to_value(next));
    for section in RESTART_SECTIONS {
        if old.get(*section) != new.get(*section) {
            return Some(format!(
                "[{section}] changed, and it is read once at start-up (this release does not re-create printers, speakers or background tasks live); restart the daemon to apply it"
            ));
        }
    }
    for key in RESTART_RATING_KEYS {
        if old["rating"].get(*key) != new["rating"].get(*key) {
            return Some(format!(
                "[rating] {key} changed, and the upload is set up once at start-up; restart the daemon to apply it"
            ));
        }
    }
    None
}

/// One line per change from `old` to `new`: per section the keys that
/// changed, per service, counter, class or printer (by its id) whether it
/// was added, removed or which keys changed.
pub fn changes(old: &Config, new: &Config) -> Vec<String> {
    let (old, new) = (to_value(old), to_value(new));
    let mut out = Vec::new();
    let (Value::Object(o), Value::Object(n)) = (&old, &new) else {
        return out;
    };
    for (section, ov) in o {
        let nv = n.get(section).unwrap_or(&Value::Null);
        if ov == nv {
            continue;
        }
        match (ov, nv) {
            (Value::Array(a), Value::Array(b)) => out.extend(list_changes(section, a, b)),
            _ => out.push(format!("[{section}] {}", changed_keys(ov, nv))),
        }
    }
    out
}

fn list_changes(section: &str, old: &[Value], new: &[Value]) -> Vec<String> {
    let id = |v: &Value| -> String {
        ["code", "id", "name"]
            .iter()
            .find_map(|k| v.get(*k).and_then(Value::as_str))
            .unwrap_or("?")
            .to_owned()
    };
    let mut out = Vec::new();
    for o in old {
        match new.iter().find(|n| id(n) == id(o)) {
            None => out.push(format!("[[{section}]] {} removed", id(o))),
            Some(n) if n != o => {
                out.push(format!("[[{section}]] {} {}", id(o), changed_keys(o, n)))
            }
            Some(_) => {}
        }
    }
    for n in new {
        if !old.iter().any(|o| id(o) == id(n)) {
            out.push(format!("[[{section}]] {} added", id(n)));
        }
    }
    out
}

fn changed_keys(old: &Value, new: &Value) -> String {
    match (old, new) {
        (Value::Object(o), Value::Object(n)) => {
            let mut keys: Vec<&str> = o
                .keys()
                .chain(n.keys())
                .filter(|k| o.get(*k) != n.get(*k))
                .map(String::as_str)
                .collect();
            keys.sort_unstable();
            keys.dedup();
            format!("changed: {}", keys.join(", "))
        }
        _ => "changed".to_owned(),
    }
}

fn to_value(config: &Config) -> Value {
    serde_json::to_value(config).unwrap_or(Value::Null)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn demo() -> Config {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../config/demo.toml");
        Config::load(std::path::Path::new(path)).unwrap()
    }

    fn check_changes(edit: impl FnOnce(&mut Config), expect: &[&str]) {
        let old = demo();
        let mut new = old.clone();
        edit(&mut new);
        assert_eq!(changes(&old, &new), expect);
        assert_eq!(needs_restart(&old, &new), None, "{expect:?} applies live");
    }

    fn check_restart(edit: impl FnOnce(&mut Config), expect: &str) {
        let old = demo();
        let mut new = old.clone();
        edit(&mut new);
        let why = needs_restart(&old, &new).expect("refused");
        assert!(why.contains(expect), "{why}");
    }

    #[test]
    fn changes_name_each_section_and_item_by_its_id() {
        check_changes(|_| {}, &[]);
        check_changes(
            |c| c.services[0].materials.clear(),
            &["[[services]] A changed: materials"],
        );
        check_changes(
            |c| {
                c.services[1].daily_cap = 9;
                c.services[1].name.en = "Disability card".into();
            },
            &["[[services]] B changed: daily_cap, name"],
        );
        check_changes(
            |c| {
                let mut s = c.services[0].clone();
                s.code = "Z".into();
                c.services.push(s);
            },
            &["[[services]] Z added"],
        );
        check_changes(
            |c| {
                c.counters.pop();
            },
            &["[[counters]] 8 removed"],
        );
        check_changes(|c| c.display.ticker.clear(), &["[display] changed: ticker"]);
        check_changes(
            |c| c.hall.hotline = "0571-00000000".into(),
            &["[hall] changed: hotline"],
        );
    }

    #[test]
    fn what_is_read_once_needs_a_restart() {
        check_restart(|c| c.hall.timezone = "Asia/Tokyo".into(), "[hall] timezone");
        check_restart(|c| c.server.db = "/tmp/other.db".into(), "[server] db");
        check_restart(
            |c| c.server.listen = "0.0.0.0:9999".into(),
            "[server] listen",
        );
        check_restart(|c| c.server.kiosk_rate_per_minute += 1, "[server] changed");
        check_restart(|c| c.audio.enabled = !c.audio.enabled, "[audio] changed");
        check_restart(|c| c.printers.clear(), "[printers] changed");
        check_restart(
            |c| c.rating.upload_url = "http://127.0.0.1:1/up".into(),
            "[rating] upload_url",
        );
    }
}
