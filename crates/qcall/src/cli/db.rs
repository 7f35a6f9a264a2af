//! `qcall db`: maintenance on a database file, with the daemon stopped or
//! running.
//!
//! `check` and `backup` open the file read-only and may run beside the
//! daemon; `restore` replaces the file and so takes the database's lock,
//! which a running daemon holds. The work itself is `qcall-store`'s; this
//! file prints reports and maps problems (and a damaged file) to exit
//! code 5.

use std::path::{Path, PathBuf};

use clap::Subcommand;
use qcall_store::{CheckReport, DbLock, Fault, Holder, Pace, Store, StoreError};

use super::Failure;

#[derive(Debug, Subcommand)]
pub(super) enum DbCmd {
    /// Verify the database file, the event log and the numbering.
    Check {
        /// Database file.
        #[arg(long)]
        db: PathBuf,
    },
    /// Copy the database, consistently, even while the daemon serves it;
    /// the copy is checked before it replaces FILE.
    Backup {
        /// Database file.
        #[arg(long)]
        db: PathBuf,
        /// Where the copy goes (a file; a directory gets a dated name).
        #[arg(long, value_name = "FILE")]
        to: PathBuf,
    },
    /// Put a backup in place of the database. Refused while a daemon serves
    /// it; the replaced file is kept beside it.
    Restore {
        /// The backup to restore (it must pass `db check`).
        #[arg(long, value_name = "FILE")]
        from: PathBuf,
        /// Database file to replace.
        #[arg(long)]
        db: PathBuf,
    },
}

pub(super) fn db(cmd: DbCmd) -> Result<(), Failure> {
    match cmd {
        DbCmd::Check { db } => check(&db),
        DbCmd::Backup { db, to } => backup(&db, &to),
        DbCmd::Restore { from, db } => restore(&from, &db),
    }
}

/// Exit code 5 for a file SQLite calls damaged (or not a database);
/// exit 1 for other failures.
fn failure(e: StoreError) -> Failure {
    match Fault::of(&e) {
        Some(Fault::Corrupt) => Failure {
            code: 5,
            error: anyhow::anyhow!(
                "{e}\nthe file is damaged or not a qcall database; restore the last good backup with `qcall db restore`"
            ),
        },
        _ => anyhow::Error::from(e).into(),
    }
}

fn must_exist(db: &Path) -> Result<(), Failure> {
    if !db.exists() {
        return Err(anyhow::anyhow!("there is no database at {}", db.display()).into());
    }
    Ok(())
}

fn summary(file: &Path, report: &CheckReport) {
    println!(
        "{}: schema v{}, {} events, {} tickets over {} day(s)",
        file.display(),
        report.schema_version,
        report.events,
        report.tickets,
        report.days
    );
}

fn problems(list: &[String]) -> Failure {
    for p in list {
        println!("problem: {p}");
    }
    Failure {
        code: 5,
        error: anyhow::anyhow!("{} problem(s) found", list.len()),
    }
}

fn check(db: &Path) -> Result<(), Failure> {
    must_exist(db)?;
    let store = Store::open_read_only(db).map_err(failure)?;
    let report = store.check().map_err(failure)?;
    summary(db, &report);
    if report.is_ok() {
        println!("ok: integrity, event sequence and numbering all check out");
        Ok(())
    } else {
        Err(problems(&report.problems))
    }
}

fn backup(db: &Path, to: &Path) -> Result<(), Failure> {
    must_exist(db)?;
    let to = if to.is_dir() {
        to.join(crate::backup::file_name(db, jiff::Timestamp::now()))
    } else {
        to.to_path_buf()
    };
    let report = qcall_store::backup(db, &to, Pace::PROMPT).map_err(failure)?;
    summary(&report.file, &report.check);
    println!(
        "ok: wrote {} ({} bytes), a consistent copy of {}; SQLite integrity checks out",
        report.file.display(),
        report.bytes,
        db.display()
    );
    // Copied as they are: the copy is faithful, the database has them.
    for p in &report.check.problems {
        eprintln!("warning: the database itself has a problem (run `qcall db check`): {p}");
    }
    Ok(())
}

fn restore(from: &Path, db: &Path) -> Result<(), Failure> {
    must_exist(from)?;
    if let Some(dir) = db.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .map_err(|e| anyhow::anyhow!("cannot create {}: {e}", dir.display()))?;
    }
    // Held until the end: no daemon can start on the file mid-restore.
    let _lock = DbLock::acquire(db, &Holder::me("qcall db restore"))
        .map_err(|e| anyhow::anyhow!("not restored: {e}"))?;
    let stamp = jiff::Timestamp::now()
        .strftime("%Y%m%dT%H%M%SZ")
        .to_string();
    let report = match qcall_store::restore(from, db, &stamp) {
        Ok(r) => r,
        Err(StoreError::Unverified {
            problems: found, ..
        }) => {
            eprintln!(
                "not restored: {} fails `db check`; {} is unchanged",
                from.display(),
                db.display()
            );
            return Err(problems(&found));
        }
        Err(e) => {
            let mut f = failure(e);
            f.error = f
                .error
                .context(format!("not restored; {} is unchanged", db.display()));
            return Err(f);
        }
    };
    summary(db, &report.check);
    match &report.kept {
        Some(kept) => println!(
            "ok: restored {} from {}; the database it replaced is kept as {}",
            db.display(),
            from.display(),
            kept.display()
        ),
        None => println!("ok: restored {} from {}", db.display(), from.display()),
    }
    Ok(())
}
