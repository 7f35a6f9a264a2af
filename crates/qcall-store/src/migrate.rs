//! The schema's history and the one runner that brings any released
//! database to the head.
//!
//! `PRAGMA user_version` counts the migrations applied; the runner applies
//! the rest, in order, in one transaction. A migration is a file under
//! `migrations/` plus, where SQLite's SQL cannot say it, a list of columns to
//! add only when missing (SQLite has no `ADD COLUMN IF NOT EXISTS`). Both are
//! released the moment they are committed and never change afterwards: a
//! hall that ran a migration never runs it again, so an edit would reach only
//! new halls. The checksum test in `migrate/tests.rs` holds every file to its
//! released bytes. This module does not decide what the tables mean; the
//! rest of the crate reads and writes them.

use std::path::Path;

use rusqlite::{Connection, TransactionBehavior};

use crate::StoreError;

/// One released schema change.
#[derive(Debug)]
pub(crate) struct Migration {
    /// Its file under `migrations/`.
    pub(crate) file: &'static str,
    /// The file's text, run as one batch.
    pub(crate) sql: &'static str,
    /// Columns added before `sql` runs, each only if its table lacks it.
    pub(crate) add_if_missing: &'static [Column],
}

/// A column a migration adds only where it is missing.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Column {
    pub(crate) table: &'static str,
    pub(crate) name: &'static str,
    /// Type and constraints, as after the name in `ADD COLUMN`.
    pub(crate) decl: &'static str,
}

impl Column {
    /// The statement that adds it. Names are constants of this file, never
    /// input, so formatting them into SQL is safe.
    pub(crate) fn alter(&self) -> String {
        format!(
            "ALTER TABLE {} ADD COLUMN {} {}",
            self.table, self.name, self.decl
        )
    }
}

/// A migration that is only its file.
macro_rules! sql_file {
    ($name:literal) => {
        Migration {
            file: $name,
            sql: include_str!(concat!("../migrations/", $name)),
            add_if_missing: &[],
        }
    };
}

/// What 0003 gained after b9c77f0 released it (1d5cf1a added `issued_day`,
/// a18a68d `phone` and `ref_seq`), with the definitions those edits used.
/// A database has none, the first or all three, depending on which 0003 it
/// ran; adding them here, after every column any migration before 0005
/// adds to `events`, leaves them in the order a fresh database has.
const COLUMNS_0005: &[Column] = &[
    Column {
        table: "events",
        name: "issued_day",
        decl: "TEXT",
    },
    Column {
        table: "events",
        name: "phone",
        decl: "TEXT",
    },
    Column {
        table: "events",
        name: "ref_seq",
        decl: "INTEGER",
    },
];

/// Schema migrations, in order. Append only.
pub(crate) const MIGRATIONS: &[Migration] = &[
    sql_file!("0001_init.sql"),
    sql_file!("0002_queue_place_and_audit.sql"),
    sql_file!("0003_appointments.sql"),
    sql_file!("0004_staff.sql"),
    Migration {
        add_if_missing: COLUMNS_0005,
        ..sql_file!("0005_what_0003_gained_later.sql")
    },
    sql_file!("0006_hall_secrets.sql"),
    sql_file!("0007_wait_range.sql"),
    sql_file!("0008_staff_accounts.sql"),
    sql_file!("0009_ratings_cases_uploads.sql"),
    sql_file!("0010_queue_from_home.sql"),
];

/// The schema version this build writes.
pub const SCHEMA_VERSION: usize = MIGRATIONS.len();

/// The schema version of the database on `conn`.
pub(crate) fn version(conn: &Connection) -> Result<usize, StoreError> {
    let v: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    Ok(v as usize)
}

/// Brings the database at `path` (open on `conn`) to [`SCHEMA_VERSION`];
/// refuses one written by a newer qcall.
pub(crate) fn run(conn: &mut Connection, path: &Path) -> Result<(), StoreError> {
    let too_new = |found| StoreError::TooNew {
        path: path.into(),
        found,
        supported: SCHEMA_VERSION,
    };
    let found = version(conn)?;
    if found > SCHEMA_VERSION {
        return Err(too_new(found));
    }
    if found == SCHEMA_VERSION {
        return Ok(());
    }
    // Another process (the daemon and `qcall token create`, say) may be
    // migrating the same file: take the write lock first, then look again
    // at what is applied. All or nothing: a failure leaves the old version.
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let found = version(&tx)?;
    if found > SCHEMA_VERSION {
        return Err(too_new(found));
    }
    for (i, m) in MIGRATIONS.iter().enumerate().skip(found) {
        apply(&tx, m).map_err(|source| StoreError::Migration {
            file: m.file,
            source,
        })?;
        tx.pragma_update(None, "user_version", (i + 1) as i64)?;
    }
    tx.commit()?;
    Ok(())
}

fn apply(conn: &Connection, m: &Migration) -> rusqlite::Result<()> {
    for column in m.add_if_missing {
        if !has_column(conn, column)? {
            conn.execute_batch(&column.alter())?;
        }
    }
    conn.execute_batch(m.sql)
}

fn has_column(conn: &Connection, column: &Column) -> rusqlite::Result<bool> {
    conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM pragma_table_info(?1) WHERE name = ?2)",
        [column.table, column.name],
        |r| r.get(0),
    )
}

#[cfg(test)]
mod tests;
