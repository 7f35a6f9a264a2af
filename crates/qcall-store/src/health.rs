//! Is the database still the one we write to, and can it take writes?
//!
//! SQLite keeps writing to a file that was deleted or replaced under it
//! (the open descriptor still points at the old inode), so every commit
//! "succeeds" and every ticket is lost at the next start. [`FileIdentity`]
//! compares the device and inode at the database's path with those taken
//! at open; the engine checks it around every commit and a timer checks it
//! every second. [`Fault`] names what is wrong, with a message for staff,
//! and [`Health`] is the shared record `/healthz` reads: the current fault
//! and the last backup. This module decides no policy: the engine decides
//! which faults refuse writes ([`Fault::refuses_writes`] says which should).

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use crate::StoreError;

/// What is wrong with the database, as far as the daemon can tell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Nothing is at the database's path any more (deleted or moved).
    Gone,
    /// Another file sits at the database's path (copied over, restored).
    Replaced,
    /// The disk is full (SQLITE_FULL): a commit could not be written.
    DiskFull,
    /// SQLite found the file damaged (SQLITE_CORRUPT or SQLITE_NOTADB).
    Corrupt,
}

impl Fault {
    /// A stable code for JSON (`/healthz`, error bodies).
    pub fn code(self) -> &'static str {
        match self {
            Fault::Gone => "database_gone",
            Fault::Replaced => "database_replaced",
            Fault::DiskFull => "disk_full",
            Fault::Corrupt => "database_corrupt",
        }
    }

    /// What happened and what to do, for staff. Never a path or an
    /// SQLite message: those go to the log.
    pub fn message(self) -> &'static str {
        match self {
            Fault::Gone => {
                "the database file was deleted or moved while qcall was running, so no change can be saved; \
                 nothing more is accepted. Put the file back (or restore a backup with `qcall db restore`), then restart qcall"
            }
            Fault::Replaced => {
                "the database file was replaced while qcall was running, so changes would go to the old file; \
                 nothing more is accepted. Restart qcall to serve the new file (use `qcall db restore` next time)"
            }
            Fault::DiskFull => {
                "the disk holding the database is full, so changes cannot be saved; free some space \
                 (old backups, logs); qcall accepts changes again once a write succeeds"
            }
            Fault::Corrupt => {
                "SQLite reports the database file as damaged; stop qcall, run `qcall db check`, \
                 and restore the last good backup with `qcall db restore`"
            }
        }
    }

    /// Whether the daemon must stop taking changes: a commit would go to a
    /// file nobody will read again, and be acknowledged.
    pub fn refuses_writes(self) -> bool {
        matches!(self, Fault::Gone | Fault::Replaced)
    }

    /// The fault behind a storage error, if it is one of these.
    pub fn of(e: &StoreError) -> Option<Fault> {
        let sql = match e {
            StoreError::Sql(e) | StoreError::Open { source: e, .. } => e,
            StoreError::Migration { source: e, .. } => e,
            StoreError::File { source, .. } => {
                return (source.kind() == std::io::ErrorKind::StorageFull)
                    .then_some(Fault::DiskFull);
            }
            // About a value or a copy, not the file's state.
            StoreError::Corrupt(_)
            | StoreError::TooNew { .. }
            | StoreError::Unverified { .. }
            | StoreError::Staff(_)
            | StoreError::OrphanWal { .. } => {
                return None;
            }
        };
        match sql.sqlite_error_code()? {
            rusqlite::ErrorCode::DiskFull => Some(Fault::DiskFull),
            rusqlite::ErrorCode::DatabaseCorrupt | rusqlite::ErrorCode::NotADatabase => {
                Some(Fault::Corrupt)
            }
            _ => None,
        }
    }
}

impl std::fmt::Display for Fault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.code())
    }
}

/// The device and inode a database path had when it was opened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileIdentity {
    path: PathBuf,
    dev: u64,
    ino: u64,
}

impl FileIdentity {
    /// The identity of the file at `path` now.
    pub fn of(path: &Path) -> std::io::Result<FileIdentity> {
        use std::os::unix::fs::MetadataExt;
        let m = std::fs::metadata(path)?;
        Ok(FileIdentity {
            path: path.into(),
            dev: m.dev(),
            ino: m.ino(),
        })
    }

    /// Whether the path still names the file it named at open. One
    /// `stat`, cheap enough for every commit.
    pub fn check(&self) -> Result<(), Fault> {
        match FileIdentity::of(&self.path) {
            Ok(now) if now == *self => Ok(()),
            Ok(_) => Err(Fault::Replaced),
            // Any other failure to stat it (a directory made unreadable)
            // means the same for the hall: the file cannot be found.
            Err(_) => Err(Fault::Gone),
        }
    }
}

/// How the last backup went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackupStatus {
    /// When it finished (RFC 3339).
    pub at: String,
    /// The file it wrote (or meant to write).
    pub file: PathBuf,
    /// `None` when it was written and verified; the reason otherwise.
    pub error: Option<String>,
}

/// The database's health as the daemon last saw it, shared by the writer,
/// the file watch, the backup task and `/healthz`.
#[derive(Debug, Default)]
pub struct Health {
    // A std mutex around two small values: set and read in a few
    // instructions, never held across IO or an await.
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    fault: Option<Fault>,
    last_backup: Option<BackupStatus>,
}

impl Health {
    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The current fault, if any.
    pub fn fault(&self) -> Option<Fault> {
        self.lock().fault
    }

    /// Records `fault`; returns whether it is news (so it is logged once).
    /// A fault that refuses writes is never replaced by one that does not.
    pub fn set_fault(&self, fault: Fault) -> bool {
        let mut inner = self.lock();
        if inner.fault == Some(fault) || inner.fault.is_some_and(Fault::refuses_writes) {
            return false;
        }
        inner.fault = Some(fault);
        true
    }

    /// A commit went through: a full disk has been freed. Returns whether
    /// that cleared a fault. The other faults last until a restart.
    pub fn commit_succeeded(&self) -> bool {
        let mut inner = self.lock();
        if inner.fault == Some(Fault::DiskFull) {
            inner.fault = None;
            return true;
        }
        false
    }

    pub fn backup_done(&self, status: BackupStatus) {
        self.lock().last_backup = Some(status);
    }

    pub fn last_backup(&self) -> Option<BackupStatus> {
        self.lock().last_backup.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identity_tells_gone_from_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("hall.db");
        std::fs::write(&db, b"one").unwrap();
        let id = FileIdentity::of(&db).unwrap();
        assert_eq!(id.check(), Ok(()));
        // Rewritten in place: the same file.
        std::fs::write(&db, b"two").unwrap();
        assert_eq!(id.check(), Ok(()));
        let other = dir.path().join("other.db");
        std::fs::write(&other, b"three").unwrap();
        std::fs::rename(&other, &db).unwrap();
        assert_eq!(id.check(), Err(Fault::Replaced));
        std::fs::remove_file(&db).unwrap();
        assert_eq!(id.check(), Err(Fault::Gone));
    }

    #[test]
    fn a_fault_that_refuses_writes_stays() {
        let h = Health::default();
        assert!(h.set_fault(Fault::DiskFull));
        assert!(!h.set_fault(Fault::DiskFull), "logged once");
        assert!(h.commit_succeeded());
        assert_eq!(h.fault(), None);
        assert!(h.set_fault(Fault::Gone));
        assert!(!h.set_fault(Fault::DiskFull));
        assert!(!h.commit_succeeded());
        assert_eq!(h.fault(), Some(Fault::Gone));
    }
}
