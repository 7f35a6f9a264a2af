//! Scheduled backups while the daemon serves (`[backup]`), and the names
//! and retention of their files.
//!
//! One task wakes when a copy is due, takes it on a blocking thread with
//! [`qcall_store::backup`] over a connection of its own (never through the
//! engine's writer, so ticket issuing does not wait for it), deletes the
//! oldest copies beyond `keep`, logs one line, and records the outcome in
//! the store's [`Health`], which `/healthz` shows. The first copy is due
//! `every_minutes` after the newest copy already in the directory, so a
//! daemon restarted more often than that still takes them. How a copy is
//! made and checked is `qcall-store`'s; this file decides when and where.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use qcall_store::{BackupStatus, Health, Pace};

use crate::config::BackupSection;

/// The file extension of scheduled copies.
const EXT: &str = "db";

/// The name of a copy of database `db` taken at `at`:
/// `<db stem>-<YYYYMMDD>T<HHMMSS>Z.db`, which sorts by time.
pub fn file_name(db: &Path, at: jiff::Timestamp) -> String {
    format!("{}-{}.{EXT}", stem(db), at.strftime("%Y%m%dT%H%M%SZ"))
}

fn stem(db: &Path) -> String {
    db.file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "qcall".into())
}

/// The scheduled copies of `db` in `dir`, oldest first. Only names this
/// module makes count: other files in the directory are never touched.
pub fn copies(dir: &Path, db: &Path) -> Vec<PathBuf> {
    let prefix = format!("{}-", stem(db));
    let mut found: Vec<PathBuf> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .and_then(|n| n.strip_prefix(&prefix))
                .and_then(|rest| rest.strip_suffix(&format!(".{EXT}")))
                .is_some_and(is_stamp)
        })
        .collect();
    found.sort();
    found
}

/// `YYYYMMDDTHHMMSSZ`.
fn is_stamp(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 16
        && b[8] == b'T'
        && b[15] == b'Z'
        && b[..8].iter().chain(&b[9..15]).all(u8::is_ascii_digit)
}

/// Deletes the oldest copies of `db` in `dir` beyond the newest `keep`;
/// returns what it deleted.
pub fn prune(dir: &Path, db: &Path, keep: usize) -> Vec<PathBuf> {
    let all = copies(dir, db);
    let excess = all.len().saturating_sub(keep.max(1));
    all.into_iter()
        .take(excess)
        .filter(|p| std::fs::remove_file(p).is_ok())
        .collect()
}

/// Takes one copy of `db` into `dir` now and prunes; returns the status
/// to record.
pub fn take(db: &Path, dir: &Path, keep: usize, pace: Pace) -> BackupStatus {
    let now = jiff::Timestamp::now();
    let file = dir.join(file_name(db, now));
    let result = std::fs::create_dir_all(dir)
        .map_err(|e| format!("cannot create {}: {e}", dir.display()))
        .and_then(|()| qcall_store::backup(db, &file, pace).map_err(|e| e.to_string()));
    let status = BackupStatus {
        at: jiff::Timestamp::now().to_string(),
        file: file.clone(),
        error: result.as_ref().err().cloned(),
    };
    match result {
        Ok(report) => {
            let pruned = prune(dir, db, keep);
            tracing::info!(
                file = %file.display(),
                bytes = report.bytes,
                tickets = report.check.tickets,
                pruned = pruned.len(),
                "backup written and verified"
            );
        }
        Err(e) => tracing::error!(file = %file.display(), error = %e, "backup failed"),
    }
    status
}

/// Before this qcall migrates database `db` of an older release: a copy of
/// it as that release left it, `<db stem>-before-v<N>-<time>.db` in `dir`
/// (never pruned). Returns the copy, or `None` when there is nothing to
/// upgrade. A copy that cannot be made stops the start: an upgrade is not
/// undone by a restart.
pub fn before_upgrade(db: &Path, dir: &Path) -> anyhow::Result<Option<PathBuf>> {
    use anyhow::Context;
    if !db.exists() {
        return Ok(None);
    }
    let version = qcall_store::Store::open_read_only(db)?.schema_version()?;
    if version >= qcall_store::SCHEMA_VERSION {
        return Ok(None);
    }
    let stamp = jiff::Timestamp::now().strftime("%Y%m%dT%H%M%SZ");
    let file = dir.join(format!(
        "{}-before-v{}-{stamp}.{EXT}",
        stem(db),
        qcall_store::SCHEMA_VERSION
    ));
    let copied = std::fs::create_dir_all(dir)
        .map_err(anyhow::Error::from)
        .and_then(|()| Ok(qcall_store::backup(db, &file, Pace::PROMPT)?));
    copied.with_context(|| {
        format!(
            "cannot copy the database (schema v{version}) before upgrading it to v{} into {}; \
                 free some space or set [backup] dir",
            qcall_store::SCHEMA_VERSION,
            dir.display()
        )
    })?;
    tracing::info!(file = %file.display(), from = version, to = qcall_store::SCHEMA_VERSION, "copied the database before upgrading it");
    Ok(Some(file))
}

/// Runs scheduled backups of `db` until `stop` turns true. Nothing to do
/// when `every_minutes` is 0.
pub async fn run(
    config: BackupSection,
    db: PathBuf,
    health: Arc<Health>,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    if config.every_minutes == 0 {
        return;
    }
    let dir = config.dir_for(&db);
    remove_leftovers(&dir);
    let every = Duration::from_secs(u64::from(config.every_minutes) * 60);
    let mut wait = first_wait(&dir, &db, every);
    loop {
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = stop.wait_for(|s| *s) => return,
        }
        let (db, dir, keep) = (db.clone(), dir.clone(), config.keep);
        match tokio::task::spawn_blocking(move || take(&db, &dir, keep, Pace::BACKGROUND)).await {
            Ok(status) => health.backup_done(status),
            Err(e) => tracing::error!(error = %e, "the backup task failed"),
        }
        wait = every;
    }
}

/// How long until the first copy: `every` after the newest copy already
/// there (by the time in its name, which a copied file keeps), at once
/// when there is none or it is older.
fn first_wait(dir: &Path, db: &Path, every: Duration) -> Duration {
    let newest_age = copies(dir, db).last().and_then(|p| {
        let name = p.file_stem()?.to_str()?;
        let stamp = name.get(name.len().checked_sub(16)?..name.len() - 1)?;
        let at = jiff::civil::DateTime::strptime("%Y%m%dT%H%M%S", stamp)
            .ok()?
            .to_zoned(jiff::tz::TimeZone::UTC)
            .ok()?
            .timestamp();
        let age = jiff::Timestamp::now().duration_since(at);
        Duration::try_from(age).ok()
    });
    match newest_age {
        Some(age) => every.saturating_sub(age),
        None => Duration::ZERO,
    }
}

/// Temporary files of a backup cut short (the daemon killed mid-copy).
fn remove_leftovers(dir: &Path) {
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if name.starts_with(".qcall-backup-") && name.ends_with(".tmp") {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copies_are_named_by_time_and_pruned_oldest_first() {
        let dir = tempfile::tempdir().unwrap();
        let db = Path::new("/var/lib/qcall/hall.db");
        let at: jiff::Timestamp = "2026-12-02T08:30:05Z".parse().unwrap();
        assert_eq!(file_name(db, at), "hall-20261202T083005Z.db");
        for name in [
            "hall-20261202T083005Z.db",
            "hall-20261201T083005Z.db",
            "hall-20261203T083005Z.db",
            // Not ours: never counted, never deleted.
            "hall-manual.db",
            "other-20261201T083005Z.db",
            "hall-20261201T083005Z.db.bak",
        ] {
            std::fs::write(dir.path().join(name), b"").unwrap();
        }
        let names = |v: Vec<PathBuf>| -> Vec<String> {
            v.iter()
                .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
                .collect()
        };
        assert_eq!(
            names(copies(dir.path(), db)),
            [
                "hall-20261201T083005Z.db",
                "hall-20261202T083005Z.db",
                "hall-20261203T083005Z.db"
            ]
        );
        assert_eq!(
            names(prune(dir.path(), db, 2)),
            ["hall-20261201T083005Z.db"]
        );
        assert_eq!(names(prune(dir.path(), db, 2)), Vec::<String>::new());
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 5);
    }

    #[test]
    fn the_first_copy_is_due_at_once_without_a_recent_one() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("hall.db");
        let hour = Duration::from_secs(3600);
        assert_eq!(first_wait(dir.path(), &db, hour), Duration::ZERO);
        std::fs::write(dir.path().join("hall-20200101T000000Z.db"), b"").unwrap();
        assert_eq!(first_wait(dir.path(), &db, hour), Duration::ZERO, "old");
        let recent = file_name(
            &db,
            jiff::Timestamp::now() - jiff::SignedDuration::from_mins(10),
        );
        std::fs::write(dir.path().join(recent), b"").unwrap();
        let wait = first_wait(dir.path(), &db, hour);
        assert!(
            wait > Duration::from_secs(45 * 60) && wait <= Duration::from_secs(50 * 60),
            "{wait:?}"
        );
    }
}
