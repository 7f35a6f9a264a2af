//! Reads for 好差评 and cases: the upload outbox (what the provincial
//! platform has not yet taken, and each record's state for `/admin`),
//! and the visits of a case across days.
//!
//! Writes happen in [`crate::Batch::record`], in the transaction of the
//! event they come from; this file only reads.

use qcall_core::rating::Channel;
use qcall_core::{BusinessDay, TicketId};
use rusqlite::params;

use crate::codec::decode_indicators;
use crate::{Store, StoreError};

/// One record for the 好差评 platform, with what it says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadRecord {
    /// The seq of the event it uploads: its idempotency key.
    pub id: u64,
    /// `rating`.
    pub kind: String,
    pub ticket: TicketId,
    pub number: String,
    pub service: String,
    pub class: String,
    pub counter: Option<String>,
    /// The clerk rated.
    pub staff: Option<String>,
    pub case_no: Option<String>,
    /// When it was given (UTC ms).
    pub at: i64,
    pub score: u8,
    pub indicators: Vec<(String, u8)>,
    pub indicator_version: u32,
    pub reason: Option<String>,
    pub channel: Channel,
    pub queued_at: i64,
    /// When the platform took it; `None` while pending.
    pub delivered_at: Option<i64>,
}

/// One visit of a case: a ticket that carries its number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Visit {
    pub ticket: TicketId,
    pub day: BusinessDay,
    pub number: String,
    pub service: String,
    pub issued_at: i64,
}

const SELECT_UPLOAD: &str = "SELECT u.id, u.kind, u.ticket_id, t.number, t.service, t.class, t.counter_id, \
     t.served_by, t.case_no, e.at_ms, e.rating, e.indicators, e.indicator_version, e.reason, e.channel, \
     u.queued_at_ms, u.delivered_at_ms \
     FROM uploads u JOIN events e ON e.seq = u.id JOIN tickets t ON t.id = u.ticket_id";

impl Store {
    /// Uploads the platform has not taken yet, oldest first.
    pub fn pending_uploads(&self, limit: usize) -> Result<Vec<UploadRecord>, StoreError> {
        self.uploads_where(
            "WHERE u.delivered_at_ms IS NULL ORDER BY u.id LIMIT ?1",
            limit,
        )
    }

    /// The latest uploads, pending or delivered, newest first: `/admin`.
    pub fn recent_uploads(&self, limit: usize) -> Result<Vec<UploadRecord>, StoreError> {
        self.uploads_where("ORDER BY u.id DESC LIMIT ?1", limit)
    }

    fn uploads_where(&self, tail: &str, limit: usize) -> Result<Vec<UploadRecord>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached(&format!("{SELECT_UPLOAD} {tail}"))?;
        let rows = stmt.query_map([limit as i64], |r| {
            Ok((
                UploadRecord {
                    id: r.get::<_, i64>(0)? as u64,
                    kind: r.get(1)?,
                    ticket: TicketId(r.get(2)?),
                    number: r.get(3)?,
                    service: r.get(4)?,
                    class: r.get(5)?,
                    counter: r.get(6)?,
                    staff: r.get(7)?,
                    case_no: r.get(8)?,
                    at: r.get(9)?,
                    score: r.get::<_, Option<i64>>(10)?.unwrap_or(0) as u8,
                    indicators: Vec::new(),
                    indicator_version: r.get::<_, Option<i64>>(12)?.unwrap_or(0) as u32,
                    reason: r.get(13)?,
                    channel: Channel::Pad,
                    queued_at: r.get(15)?,
                    delivered_at: r.get(16)?,
                },
                r.get::<_, Option<String>>(11)?,
                r.get::<_, Option<String>>(14)?,
            ))
        })?;
        rows.map(|row| {
            let (mut u, indicators, channel) = row?;
            let bad = |what: &str| StoreError::Corrupt(format!("upload {}: {what}", u.id));
            u.indicators = decode_indicators(indicators.as_deref().unwrap_or(""))
                .ok_or_else(|| bad("unreadable indicators"))?;
            if let Some(c) = channel {
                u.channel = Channel::parse(&c).ok_or_else(|| bad("unknown channel"))?;
            }
            Ok(u)
        })
        .collect()
    }

    /// Every visit of case `case_no`, in the order they were taken.
    pub fn visits(&self, case_no: &str) -> Result<Vec<Visit>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT id, day, number, service, issued_at_ms FROM tickets WHERE case_no = ?1 ORDER BY issued_at_ms, id",
        )?;
        let rows = stmt.query_map(params![case_no], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, i64>(4)?,
            ))
        })?;
        rows.map(|row| {
            let (id, day, number, service, issued_at) = row?;
            Ok(Visit {
                ticket: TicketId(id),
                day: day
                    .parse()
                    .map_err(|_| StoreError::Corrupt(format!("ticket {id}: day `{day}`")))?,
                number,
                service,
                issued_at,
            })
        })
        .collect()
    }

    /// The cases with a visit on `day`, each with all its visits up to
    /// the end of that day: what the day's visits-per-case figures count.
    pub fn cases_of_day(&self, day: BusinessDay) -> Result<Vec<Vec<Visit>>, StoreError> {
        let day_s = day.to_string();
        let mut stmt = self.conn.prepare_cached(
            "SELECT DISTINCT case_no FROM tickets WHERE day = ?1 AND case_no IS NOT NULL ORDER BY case_no",
        )?;
        let cases: Vec<String> = stmt
            .query_map([&day_s], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        cases
            .iter()
            .map(|c| {
                let mut v = self.visits(c)?;
                v.retain(|visit| visit.day <= day);
                Ok(v)
            })
            .collect()
    }
}
