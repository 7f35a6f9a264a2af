//! `qcall db`: maintenance on a database file, with the daemon stopped or
//! running (the file is opened read-only).
//!
//! The checks themselves are `qcall-store`'s; this file prints the report
//! and maps problems to exit code 5.

use std::path::{Path, PathBuf};

use clap::Subcommand;
use qcall_store::Store;

use super::Failure;

#[derive(Debug, Subcommand)]
pub(super) enum DbCmd {
    /// Verify the database file, the event log and the numbering.
    Check {
        /// Database file.
        #[arg(long)]
        db: PathBuf,
    },
}

pub(super) fn db(cmd: DbCmd) -> Result<(), Failure> {
    match cmd {
        DbCmd::Check { db } => check(&db),
    }
}

fn check(db: &Path) -> Result<(), Failure> {
    if !db.exists() {
        return Err(anyhow::anyhow!("there is no database at {}", db.display()).into());
    }
    let store = Store::open_read_only(db).map_err(anyhow::Error::from)?;
    let report = store.check().map_err(anyhow::Error::from)?;
    println!(
        "{}: schema v{}, {} events, {} tickets over {} day(s)",
        db.display(),
        report.schema_version,
        report.events,
        report.tickets,
        report.days
    );
    if report.is_ok() {
        println!("ok: integrity, event sequence and numbering all check out");
        Ok(())
    } else {
        for p in &report.problems {
            println!("problem: {p}");
        }
        Err(Failure {
            code: 5,
            error: anyhow::anyhow!("{} problem(s) found", report.problems.len()),
        })
    }
}
