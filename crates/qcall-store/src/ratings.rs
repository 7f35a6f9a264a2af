//! 好差评, cases and 整改 in the store: the upload outbox (what the
//! provincial platform has not yet taken, and each record's state for
//! `/admin`), the visits of a case across days, and the rows of the 差评
//! being put right.
//!
//! Writes happen in [`crate::Batch::record`], in the transaction of the
//! event they come from ([`put_rectification`] is its helper).

use qcall_core::rating::Channel;
use qcall_core::rectify::{Rectification, Step};
use qcall_core::{BusinessDay, TicketId};
use rusqlite::{Row, Transaction, params};

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
    /// The event uploaded (`ticket_rated`, `rectification_fixed`, ...).
    pub event: String,
    /// For a rectification: the item as it is now (its deadline, callback
    /// and fix); the event's own step is `event` and `at`.
    pub rectification: Option<Rectification>,
}

/// (indicator code, score) pairs of one rating, in the set's order.
pub type Indicators = Vec<(String, u8)>;

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
     u.queued_at_ms, u.delivered_at_ms, e.kind \
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
                    event: r.get(17)?,
                    rectification: None,
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
        .collect::<Result<Vec<_>, StoreError>>()?
        .into_iter()
        .map(|mut u| {
            if u.kind == "rectification" {
                u.rectification = self.rectification(u.ticket)?;
                // The 差评 it puts right, for lists.
                if let Some(r) = &u.rectification {
                    (u.score, u.reason) = (r.score, r.reason.clone());
                }
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

const SELECT_RECTIFICATION: &str = "SELECT ticket_id, number, service, counter_id, staff, score, reason, \
     opened_at_ms, deadline, assignee, callback_at_ms, callback_by, callback_outcome, fixed_at_ms, fixed_by, \
     fix_note, fix_score, (SELECT e.phone FROM events e WHERE e.ticket_id = rectifications.ticket_id \
     AND e.kind IN ('notify_requested', 'ticket_remote') AND e.phone IS NOT NULL ORDER BY e.seq DESC LIMIT 1) \
     FROM rectifications";

fn rectification_row(r: &Row<'_>) -> rusqlite::Result<(Rectification, String)> {
    let step = |at: Option<i64>, by: Option<String>, text: Option<String>| {
        at.map(|at| Step {
            at,
            by: by.unwrap_or_default(),
            text: text.unwrap_or_default(),
        })
    };
    Ok((
        Rectification {
            ticket: TicketId(r.get(0)?),
            number: r.get(1)?,
            service: r.get(2)?,
            counter: r.get(3)?,
            staff: r.get(4)?,
            score: r.get::<_, i64>(5)? as u8,
            reason: r.get(6)?,
            opened_at: r.get(7)?,
            deadline: jiff::civil::Date::ZERO,
            assignee: r.get(9)?,
            callback: step(r.get(10)?, r.get(11)?, r.get(12)?),
            fix: step(r.get(13)?, r.get(14)?, r.get(15)?),
            fix_score: r.get::<_, Option<i64>>(16)?.map(|s| s as u8),
            // Not a column: the phone the ticket's events left on file.
            phone: r.get(17)?,
        },
        r.get(8)?,
    ))
}

/// Writes a 差评 item as of event `seq`.
pub(crate) fn put_rectification(
    tx: &Transaction<'_>,
    r: &Rectification,
    seq: u64,
) -> Result<(), StoreError> {
    let mut stmt = tx.prepare_cached(
        "INSERT INTO rectifications (ticket_id, number, service, counter_id, staff, score, reason, opened_at_ms, \
         deadline, assignee, callback_at_ms, callback_by, callback_outcome, fixed_at_ms, fixed_by, fix_note, \
         fix_score, last_seq) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18) \
         ON CONFLICT (ticket_id) DO UPDATE SET assignee = ?10, callback_at_ms = ?11, callback_by = ?12, \
         callback_outcome = ?13, fixed_at_ms = ?14, fixed_by = ?15, fix_note = ?16, fix_score = ?17, last_seq = ?18",
    )?;
    let (cb, fx) = (r.callback.as_ref(), r.fix.as_ref());
    stmt.execute(params![
        r.ticket.0,
        r.number,
        r.service,
        r.counter,
        r.staff,
        i64::from(r.score),
        r.reason,
        r.opened_at,
        r.deadline.to_string(),
        r.assignee,
        cb.map(|s| s.at),
        cb.map(|s| s.by.as_str()),
        cb.map(|s| s.text.as_str()),
        fx.map(|s| s.at),
        fx.map(|s| s.by.as_str()),
        fx.map(|s| s.text.as_str()),
        r.fix_score.map(i64::from),
        seq as i64
    ])?;
    Ok(())
}

impl Store {
    /// The 差评 items whose fix is not rated yet: what the day's state
    /// carries.
    pub fn open_rectifications(&self) -> Result<Vec<Rectification>, StoreError> {
        self.rectifications_where("WHERE fix_score IS NULL ORDER BY ticket_id", None)
    }

    /// The latest items, newest first: `/admin`'s list and the figures.
    pub fn recent_rectifications(&self, limit: usize) -> Result<Vec<Rectification>, StoreError> {
        self.rectifications_where("ORDER BY ticket_id DESC LIMIT ?1", Some(limit))
    }

    /// The items of the 差评 given to a day's tickets.
    pub fn rectifications_of_day(
        &self,
        day: BusinessDay,
    ) -> Result<Vec<Rectification>, StoreError> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "{SELECT_RECTIFICATION} WHERE ticket_id IN (SELECT id FROM tickets WHERE day = ?1) ORDER BY ticket_id"
        ))?;
        let rows = stmt.query_map([day.to_string()], rectification_row)?;
        rows.map(|r| finish_rectification(r?)).collect()
    }

    /// The indicators each rating of a day gave, by ticket.
    pub fn indicators_of_day(
        &self,
        day: BusinessDay,
    ) -> Result<Vec<(TicketId, Indicators)>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT ticket_id, indicators FROM events WHERE day = ?1 AND kind = 'ticket_rated' AND indicators IS NOT NULL ORDER BY seq",
        )?;
        let rows = stmt.query_map([day.to_string()], |r| {
            Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?))
        })?;
        rows.map(|row| {
            let (id, text) = row?;
            let list = decode_indicators(&text).ok_or_else(|| {
                StoreError::Corrupt(format!("the rating of ticket {id}: indicators `{text}`"))
            })?;
            Ok((TicketId(id), list))
        })
        .collect()
    }

    /// One item, open or closed.
    pub fn rectification(&self, ticket: TicketId) -> Result<Option<Rectification>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached(&format!("{SELECT_RECTIFICATION} WHERE ticket_id = ?1"))?;
        let mut rows = stmt.query_map([ticket.0], rectification_row)?;
        rows.next().map(|r| finish_rectification(r?)).transpose()
    }

    fn rectifications_where(
        &self,
        tail: &str,
        limit: Option<usize>,
    ) -> Result<Vec<Rectification>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached(&format!("{SELECT_RECTIFICATION} {tail}"))?;
        let rows = match limit {
            Some(n) => stmt.query_map([n as i64], rectification_row)?,
            None => stmt.query_map([], rectification_row)?,
        };
        rows.map(|r| finish_rectification(r?)).collect()
    }
}

fn finish_rectification(
    (mut r, deadline): (Rectification, String),
) -> Result<Rectification, StoreError> {
    r.deadline = deadline.parse().map_err(|_| {
        StoreError::Corrupt(format!("rectification {}: deadline `{deadline}`", r.ticket))
    })?;
    Ok(r)
}
