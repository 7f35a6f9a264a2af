//! `qcall db check`: is the file sound, and did numbering hold?
//!
//! Read-only. Each finding is a sentence a person can act on; an empty list
//! of problems means the database is healthy.

use rusqlite::Connection;

use crate::StoreError;

/// What `db check` found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckReport {
    pub schema_version: usize,
    pub events: u64,
    pub tickets: u64,
    pub days: u64,
    /// SQLite's `PRAGMA integrity_check` found the file sound (the other
    /// problems are about what it holds).
    pub integrity_ok: bool,
    /// Human-readable problems; empty when all is well.
    pub problems: Vec<String>,
}

impl CheckReport {
    pub fn is_ok(&self) -> bool {
        self.problems.is_empty()
    }
}

pub(crate) fn run(conn: &Connection) -> Result<CheckReport, StoreError> {
    let mut problems = Vec::new();
    let integrity: Vec<String> = conn
        .prepare("PRAGMA integrity_check")?
        .query_map([], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    let integrity_ok = integrity == ["ok"];
    if !integrity_ok {
        problems.extend(
            integrity
                .into_iter()
                .map(|m| format!("SQLite integrity: {m}")),
        );
    }
    let count = |sql: &str| -> Result<u64, StoreError> {
        Ok(conn.query_row(sql, [], |r| r.get::<_, i64>(0))? as u64)
    };
    let schema_version =
        conn.pragma_query_value(None, "user_version", |r| r.get::<_, i64>(0))? as usize;
    let events = count("SELECT COUNT(*) FROM events")?;
    let tickets = count("SELECT COUNT(*) FROM tickets")?;
    let days = count("SELECT COUNT(DISTINCT day) FROM tickets")?;

    // The log's sequence numbers have no holes.
    let (min, max): (Option<i64>, Option<i64>) =
        conn.query_row("SELECT MIN(seq), MAX(seq) FROM events", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })?;
    if let (Some(min), Some(max)) = (min, max)
        && (max - min + 1) as u64 != events
    {
        problems.push(format!(
            "event log has gaps: {events} events between seq {min} and {max}"
        ));
    }

    // Per day and service, numbers run 1..=n with no gap and no repeat (a
    // repeat is impossible by the UNIQUE constraint; a gap means a lost ticket).
    let mut stmt = conn.prepare(
        "SELECT day, issued_service, COUNT(*), MIN(seq_no), MAX(seq_no) FROM tickets \
         GROUP BY day, issued_service ORDER BY day, issued_service",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, i64>(2)?,
            r.get::<_, i64>(3)?,
            r.get::<_, i64>(4)?,
        ))
    })?;
    for row in rows {
        let (day, service, n, min, max) = row?;
        if min != 1 || max != n {
            problems.push(format!(
                "{day} service {service}: {n} tickets but numbers run {min}..{max}; a ticket is missing"
            ));
        }
    }
    let dup_numbers = count(
        "SELECT COUNT(*) FROM (SELECT day, number FROM tickets GROUP BY day, number HAVING COUNT(*) > 1)",
    )?;
    if dup_numbers > 0 {
        problems.push(format!(
            "{dup_numbers} printed numbers occur twice on the same day"
        ));
    }

    // Every ticket has its issue event, and every issue event its ticket.
    let orphans = count(
        "SELECT COUNT(*) FROM tickets t WHERE NOT EXISTS \
         (SELECT 1 FROM events e WHERE e.kind = 'ticket_issued' AND e.ticket_id = t.id)",
    )?;
    if orphans > 0 {
        problems.push(format!("{orphans} tickets have no ticket_issued event"));
    }
    let missing = count(
        "SELECT COUNT(*) FROM events e WHERE e.kind = 'ticket_issued' AND NOT EXISTS \
         (SELECT 1 FROM tickets t WHERE t.id = e.ticket_id)",
    )?;
    if missing > 0 {
        problems.push(format!("{missing} ticket_issued events have no ticket row"));
    }
    Ok(CheckReport {
        schema_version,
        events,
        tickets,
        days,
        integrity_ok,
        problems,
    })
}
