//! Online backups and restores of a hall's database.
//!
//! [`backup`] copies a database that a daemon may be writing, with SQLite's
//! online backup API, over a connection of its own: the copy is the
//! database as of one instant (one read transaction spans every step), the
//! daemon's commits go on meanwhile (WAL: a reader never blocks the
//! writer), and the work is done in steps with a pause between them so the
//! disk is shared. The copy goes to a temporary file beside the target,
//! is switched to a rollback journal (one self-contained file), checked
//! with `PRAGMA integrity_check` and the rest of `db check`, and only then
//! renamed into place: a reader of the target never sees half a backup.
//!
//! [`restore`] puts a copy in place of a database that no daemon holds (the
//! caller holds its [`crate::DbLock`]), keeping the replaced file and its
//! WAL aside under one new name. Scheduling and retention are the
//! daemon's (`crates/qcall/src/backup.rs`).

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::backup::{Backup, StepResult};
use rusqlite::{Connection, OpenFlags};

use crate::{CheckReport, StoreError, check};

/// How fast a backup goes: pages copied per step, and the pause after each.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pace {
    pub pages_per_step: i32,
    pub pause: Duration,
}

impl Pace {
    /// `qcall db backup`: someone is waiting for it.
    pub const PROMPT: Pace = Pace {
        pages_per_step: 1024,
        pause: Duration::from_millis(2),
    };
    /// Scheduled backups inside the daemon: gentle on the disk the
    /// writer's fsyncs need.
    pub const BACKGROUND: Pace = Pace {
        pages_per_step: 256,
        pause: Duration::from_millis(10),
    };
}

/// What a backup wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackupReport {
    pub file: PathBuf,
    pub bytes: u64,
    /// `db check` of the copy (its integrity passed, or there is no copy).
    pub check: CheckReport,
}

/// Copies database `src` to `dest` while it may be in use; see the module
/// doc. `dest` is replaced only by a copy that passed its integrity check.
pub fn backup(src: &Path, dest: &Path, pace: Pace) -> Result<BackupReport, StoreError> {
    if same_file(src, dest) {
        return Err(StoreError::File {
            path: dest.into(),
            source: std::io::Error::other("that is the database itself; choose another file"),
        });
    }
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let source = Connection::open_with_flags(src, flags).map_err(|source| StoreError::Open {
        path: src.into(),
        source,
    })?;
    source.busy_timeout(Duration::from_secs(5))?;
    let dir = match dest.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let file_err = |path: &Path| {
        let path = path.to_path_buf();
        move |source| StoreError::File { path, source }
    };
    let tmp = tempfile::Builder::new()
        .prefix(".qcall-backup-")
        .suffix(".tmp")
        .tempfile_in(dir)
        .map_err(file_err(dir))?;
    let check = {
        let mut copy = Connection::open(tmp.path())?;
        // One read transaction across every step: the copy is the
        // database as of the first step. Without it, each commit by the
        // daemon would restart the copy from page 1.
        source.execute_batch("BEGIN")?;
        source.query_row("SELECT COUNT(*) FROM sqlite_schema", [], |_| Ok(()))?;
        {
            let step = Backup::new(&source, &mut copy)?;
            loop {
                match step.step(pace.pages_per_step)? {
                    StepResult::Done => break,
                    StepResult::More => std::thread::sleep(pace.pause),
                    // The copy's own file is busy: only if someone opened
                    // the temporary file; wait as for a page.
                    StepResult::Busy | StepResult::Locked => {
                        std::thread::sleep(pace.pause.max(Duration::from_millis(10)))
                    }
                    _ => std::thread::sleep(pace.pause),
                }
            }
        }
        source.execute_batch("COMMIT")?;
        // One self-contained file, whatever the source's journal was.
        copy.pragma_update(None, "journal_mode", "DELETE")?;
        let report = check::run(&copy)?;
        if !report.integrity_ok {
            return Err(StoreError::Unverified {
                path: dest.into(),
                problems: report.problems,
            });
        }
        report
    };
    tmp.as_file().sync_all().map_err(file_err(tmp.path()))?;
    let bytes = tmp
        .as_file()
        .metadata()
        .map_err(file_err(tmp.path()))?
        .len();
    tmp.persist(dest).map_err(|e| StoreError::File {
        path: dest.into(),
        source: e.error,
    })?;
    sync_dir(dir);
    Ok(BackupReport {
        file: dest.into(),
        bytes,
        check,
    })
}

/// What a restore did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RestoreReport {
    /// Where the replaced database now is (with its `-wal`, if it had one);
    /// `None` when there was none.
    pub kept: Option<PathBuf>,
    /// `db check` of the file now in place.
    pub check: CheckReport,
}

/// Puts a copy of backup `from` in place of database `db`. The caller holds
/// `db`'s lock, so no daemon serves it; `from` must pass `db check`
/// (`Unverified` otherwise, and nothing changes). The database that was
/// there is renamed to `<db>.replaced-<stamp>`, its WAL beside it under the
/// same name, so it stays openable as it was.
pub fn restore(from: &Path, db: &Path, stamp: &str) -> Result<RestoreReport, StoreError> {
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let source = Connection::open_with_flags(from, flags).map_err(|source| StoreError::Open {
        path: from.into(),
        source,
    })?;
    let report = check::run(&source)?;
    if !report.is_ok() {
        return Err(StoreError::Unverified {
            path: from.into(),
            problems: report.problems,
        });
    }
    let version = report.schema_version;
    if version > crate::SCHEMA_VERSION {
        return Err(StoreError::TooNew {
            path: from.into(),
            found: version,
            supported: crate::SCHEMA_VERSION,
        });
    }
    drop(source);
    let dir = match db.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    std::fs::create_dir_all(dir).map_err(|source| StoreError::File {
        path: dir.into(),
        source,
    })?;
    // Copy first, beside the target, so the swap below is two renames.
    let staged = dir.join(format!(".qcall-restore-{stamp}.tmp"));
    let _ = std::fs::remove_file(&staged);
    let copied = backup(from, &staged, Pace::PROMPT);
    let copied = match copied {
        Ok(c) => c,
        Err(e) => {
            let _ = std::fs::remove_file(&staged);
            return Err(e);
        }
    };
    let with_suffix = |p: &Path, suffix: &str| {
        let mut s = p.as_os_str().to_owned();
        s.push(suffix);
        PathBuf::from(s)
    };
    // The restored file belongs to whoever owned the one it replaces (the
    // service's user, when an administrator restores as root).
    if let Ok(old) = std::fs::metadata(db) {
        use std::os::unix::fs::MetadataExt;
        let _ = std::os::unix::fs::chown(&staged, Some(old.uid()), Some(old.gid()));
        let _ = std::fs::set_permissions(&staged, old.permissions());
    }
    let kept = if db.exists() {
        let kept = with_suffix(db, &format!(".replaced-{stamp}"));
        let rename = |a: &Path, b: &Path| {
            std::fs::rename(a, b).map_err(|source| StoreError::File {
                path: a.into(),
                source,
            })
        };
        rename(db, &kept)?;
        let wal = with_suffix(db, "-wal");
        if wal.exists() {
            rename(&wal, &with_suffix(&kept, "-wal"))?;
        }
        // The shared-memory index is rebuilt from the WAL on open.
        let _ = std::fs::remove_file(with_suffix(db, "-shm"));
        Some(kept)
    } else {
        None
    };
    std::fs::rename(&staged, db).map_err(|source| StoreError::File {
        path: db.into(),
        source,
    })?;
    sync_dir(dir);
    Ok(RestoreReport {
        kept,
        check: copied.check,
    })
}

/// Whether two paths name one file (both must exist to be the same).
fn same_file(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}

/// Makes a rename durable. Best effort: some file systems refuse to sync
/// a directory, and the data itself is already synced.
fn sync_dir(dir: &Path) {
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
}
