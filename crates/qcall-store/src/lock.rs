//! One daemon per database: an OS advisory lock on `<db>.lock`.
//!
//! The daemon takes the lock before it opens the database and holds it for
//! its life; the OS drops it when the process ends, however it ends (a
//! `kill -9` too), so a stale lock never blocks a restart. The file holds
//! who took it (pid, listen address, since when), so the one refused can
//! name the one that holds it. The lock file is left in place at exit:
//! deleting it would let two processes lock two different files.
//!
//! `qcall db restore` takes the same lock, so it cannot replace the file
//! under a running daemon, and a daemon cannot start mid-restore. This
//! module knows nothing of SQLite; other processes that open the database
//! (`db check`, `db backup`, `token create`) do not take the lock.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

/// Who holds a database: written into the lock file by its holder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Holder {
    pub pid: u32,
    /// What the holder is: `qcall serve on http://ADDR`, `qcall db restore`.
    pub what: String,
    /// When it took the lock (RFC 3339).
    pub since: String,
}

impl std::fmt::Display for Holder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} (pid {}) since {}", self.what, self.pid, self.since)
    }
}

impl Holder {
    /// This process, doing `what`, from now.
    pub fn me(what: impl Into<String>) -> Holder {
        Holder {
            pid: std::process::id(),
            what: what.into(),
            since: jiff::Timestamp::now()
                .strftime("%Y-%m-%dT%H:%M:%SZ")
                .to_string(),
        }
    }

    fn encode(&self) -> String {
        format!(
            "pid={}\nwhat={}\nsince={}\n",
            self.pid,
            self.what.replace('\n', " "),
            self.since
        )
    }

    /// The holder written in a lock file; `None` when the text is not one
    /// (an empty file, a holder caught mid-write).
    fn decode(text: &str) -> Option<Holder> {
        let field = |key: &str| {
            text.lines()
                .find_map(|l| l.strip_prefix(key)?.strip_prefix('='))
                .map(str::to_owned)
        };
        Some(Holder {
            pid: field("pid")?.parse().ok()?,
            what: field("what")?,
            since: field("since")?,
        })
    }
}

/// Why the lock was not taken.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    #[error(
        "the database {db} is in use by {}; stop that one first (for a service: `systemctl stop qcall`), or give this one its own --db",
        holder.as_ref().map_or_else(|| "another qcall".to_owned(), |h| h.to_string())
    )]
    Held { db: PathBuf, holder: Option<Holder> },
    #[error("cannot use the lock file {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// The lock on one database, held until dropped (or the process ends).
#[derive(Debug)]
pub struct DbLock {
    // The open file is the lock: closing it (drop, exit, kill) releases it.
    _file: File,
    path: PathBuf,
}

impl DbLock {
    /// The lock file of database `db`: `<db>.lock` beside it.
    pub fn path_for(db: &Path) -> PathBuf {
        let mut name = db.as_os_str().to_owned();
        name.push(".lock");
        PathBuf::from(name)
    }

    /// Takes the lock of database `db` for `holder`, or says who has it.
    /// Never waits.
    pub fn acquire(db: &Path, holder: &Holder) -> Result<DbLock, LockError> {
        let (mut file, path) = try_lock(db)?;
        let io = |source| LockError::Io {
            path: path.clone(),
            source,
        };
        file.set_len(0).map_err(io)?;
        file.write_all(holder.encode().as_bytes()).map_err(io)?;
        file.sync_data().map_err(io)?;
        Ok(DbLock { _file: file, path })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// Opens `db`'s lock file and locks it, or says who holds it.
fn try_lock(db: &Path) -> Result<(File, PathBuf), LockError> {
    let path = DbLock::path_for(db);
    let io = |source| LockError::Io {
        path: path.clone(),
        source,
    };
    let mut file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .map_err(io)?;
    match file.try_lock() {
        Ok(()) => Ok((file, path)),
        Err(TryLockError::WouldBlock) => Err(LockError::Held {
            db: db.into(),
            holder: read_holder(&mut file),
        }),
        Err(TryLockError::Error(e)) => Err(io(e)),
    }
}

fn read_holder(file: &mut File) -> Option<Holder> {
    let mut text = String::new();
    file.seek(SeekFrom::Start(0)).ok()?;
    file.take(4096).read_to_string(&mut text).ok()?;
    Holder::decode(&text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_holder_is_refused_and_told_who_has_it() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("hall.db");
        let first = Holder::me("qcall serve on http://127.0.0.1:8080");
        let lock = DbLock::acquire(&db, &first).unwrap();
        assert_eq!(lock.path(), dir.path().join("hall.db.lock"));
        let err =
            DbLock::acquire(&db, &Holder::me("qcall serve on http://127.0.0.1:9090")).unwrap_err();
        match &err {
            LockError::Held { holder, .. } => assert_eq!(holder.as_ref(), Some(&first)),
            other => panic!("{other:?}"),
        }
        let text = err.to_string();
        assert!(text.contains("127.0.0.1:8080"), "{text}");
        assert!(
            text.contains(&format!("pid {}", std::process::id())),
            "{text}"
        );
        // Released, it is free for the next holder.
        drop(lock);
        let again = DbLock::acquire(&db, &Holder::me("qcall db restore")).unwrap();
        drop(again);
    }

    #[test]
    fn holder_text_round_trips_and_junk_is_no_holder() {
        let h = Holder {
            pid: 42,
            what: "qcall serve on http://0.0.0.0:8080".into(),
            since: "2026-12-02T08:00:00Z".into(),
        };
        assert_eq!(Holder::decode(&h.encode()), Some(h));
        assert_eq!(Holder::decode(""), None);
        assert_eq!(Holder::decode("pid=x\nwhat=a\nsince=b\n"), None);
    }
}
