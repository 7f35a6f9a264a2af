//! The mapping between domain values and rows: one place that knows the
//! column layout of `events` and `tickets`.
//!
//! Each event variant uses the columns it needs and leaves the rest NULL; the
//! `kind` column says which variant a row is. Decoding a row that does not
//! fit its kind is [`StoreError::Corrupt`], never a panic.

use qcall_core::rating::Channel;
use qcall_core::rectify::RectifyAction;
use qcall_core::ticket::Channel as TicketChannel;
use qcall_core::{BusinessDay, CounterState, Event, Recorded, Ticket, TicketId, TicketState};
use rusqlite::{Row, Transaction, params};

use crate::StoreError;

pub(crate) const SELECT_EVENT: &str = "SELECT seq, at_ms, kind, ticket_id, counter_id, service, class, seq_no, \
     number, source, to_counter, state, recalls, rating, queued_at_ms, actor, action, detail, behind_ticket, slot_end_ms, code, issued_day, phone, ref_seq, reason, indicators, indicator_version, channel, case_no, deadline FROM events";

pub(crate) const SELECT_TICKET: &str = "SELECT id, day, service, class, seq_no, number, state, issued_at_ms, \
     called_at_ms, started_at_ms, finished_at_ms, counter_id, target_counter, recalls, source, rating, \
     queued_at_ms, predicted_wait_s, queued_behind, served_by, predicted_low_s, predicted_high_s, case_no, channel, \
     arrived_at_ms, lapse_at_ms, deferred FROM tickets";

/// An `events` row, columns as in [`SELECT_EVENT`].
#[derive(Debug, Default)]
pub(crate) struct EventRow {
    seq: i64,
    at_ms: i64,
    kind: String,
    ticket_id: Option<i64>,
    counter_id: Option<String>,
    service: Option<String>,
    class: Option<String>,
    seq_no: Option<i64>,
    number: Option<String>,
    source: Option<String>,
    to_counter: Option<String>,
    state: Option<String>,
    recalls: Option<i64>,
    rating: Option<i64>,
    queued_at_ms: Option<i64>,
    actor: Option<String>,
    action: Option<String>,
    detail: Option<String>,
    behind_ticket: Option<i64>,
    slot_end_ms: Option<i64>,
    code: Option<String>,
    issued_day: Option<String>,
    phone: Option<String>,
    ref_seq: Option<i64>,
    reason: Option<String>,
    indicators: Option<String>,
    indicator_version: Option<i64>,
    channel: Option<String>,
    case_no: Option<String>,
    deadline: Option<String>,
}

pub(crate) fn event_row(r: &Row<'_>) -> rusqlite::Result<EventRow> {
    Ok(EventRow {
        seq: r.get(0)?,
        at_ms: r.get(1)?,
        kind: r.get(2)?,
        ticket_id: r.get(3)?,
        counter_id: r.get(4)?,
        service: r.get(5)?,
        class: r.get(6)?,
        seq_no: r.get(7)?,
        number: r.get(8)?,
        source: r.get(9)?,
        to_counter: r.get(10)?,
        state: r.get(11)?,
        recalls: r.get(12)?,
        rating: r.get(13)?,
        queued_at_ms: r.get(14)?,
        actor: r.get(15)?,
        action: r.get(16)?,
        detail: r.get(17)?,
        behind_ticket: r.get(18)?,
        slot_end_ms: r.get(19)?,
        code: r.get(20)?,
        issued_day: r.get(21)?,
        phone: r.get(22)?,
        ref_seq: r.get(23)?,
        reason: r.get(24)?,
        indicators: r.get(25)?,
        indicator_version: r.get(26)?,
        channel: r.get(27)?,
        case_no: r.get(28)?,
        deadline: r.get(29)?,
    })
}

fn encode(rec: &Recorded) -> EventRow {
    let mut row = EventRow {
        seq: rec.seq as i64,
        at_ms: rec.at,
        kind: rec.event.kind().to_owned(),
        ticket_id: rec.event.ticket().map(|t| t.0),
        counter_id: rec.event.counter().map(str::to_owned),
        ..EventRow::default()
    };
    match &rec.event {
        Event::TicketIssued {
            service,
            class,
            seq_no,
            number,
            source,
            ..
        } => {
            row.service = Some(service.clone());
            row.class = Some(class.clone());
            row.seq_no = Some(i64::from(*seq_no));
            row.number = Some(number.clone());
            row.source = source.clone();
        }
        Event::TicketRecalled { recalls, .. } => row.recalls = Some(i64::from(*recalls)),
        Event::TicketDone { rating, .. } => row.rating = rating.map(i64::from),
        Event::AppointmentBooked {
            code,
            service,
            slot_start,
            slot_end,
            name,
        } => {
            row.code = Some(code.clone());
            row.service = Some(service.clone());
            row.queued_at_ms = Some(*slot_start);
            row.slot_end_ms = Some(*slot_end);
            row.detail = name.clone();
        }
        Event::AppointmentCheckedIn {
            code, queued_at, ..
        } => {
            row.code = Some(code.clone());
            row.queued_at_ms = Some(*queued_at);
        }
        Event::TicketSuspended { missing, .. } => row.detail = Some(missing.join("\n")),
        Event::NotifyRequested { phone, .. } => row.phone = Some(phone.clone()),
        Event::TicketReady { by, .. } => row.actor = Some(by.clone()),
        Event::CounterStaff { staff, .. } | Event::CounterStaffLeft { staff, .. } => {
            row.actor = Some(staff.clone())
        }
        Event::NotificationQueued {
            kind,
            phone,
            message,
            ..
        } => {
            row.action = Some(kind.clone());
            row.phone = Some(phone.clone());
            row.detail = Some(message.clone());
        }
        Event::NotificationDelivered { id } => row.ref_seq = Some(*id as i64),
        Event::TicketReturned {
            service,
            class,
            seq_no,
            number,
            issued_day,
            issued_at,
            ..
        } => {
            row.service = Some(service.clone());
            row.class = Some(class.clone());
            row.seq_no = Some(i64::from(*seq_no));
            row.number = Some(number.clone());
            row.issued_day = Some(issued_day.to_string());
            row.queued_at_ms = Some(*issued_at);
        }
        Event::TicketRated {
            score,
            comment,
            reason,
            indicators,
            indicator_version,
            channel,
            ..
        } => {
            row.rating = Some(i64::from(*score));
            row.detail = comment.clone();
            row.reason = reason.clone();
            row.indicators = Some(encode_indicators(indicators));
            row.indicator_version = Some(i64::from(*indicator_version));
            row.channel = Some(channel.as_str().to_owned());
        }
        Event::CaseAttached { case_no, by, .. } => {
            row.case_no = Some(case_no.clone());
            row.actor = Some(by.clone());
        }
        Event::UploadDelivered { id } => row.ref_seq = Some(*id as i64),
        Event::RectificationOpened {
            score,
            reason,
            deadline,
            ..
        } => {
            row.rating = Some(i64::from(*score));
            row.reason = reason.clone();
            row.deadline = Some(deadline.to_string());
        }
        Event::Rectified { action, by, .. } => {
            row.actor = Some(by.clone());
            match action {
                RectifyAction::Assign { to } => row.detail = Some(to.clone()),
                RectifyAction::Callback { outcome } => row.detail = Some(outcome.clone()),
                RectifyAction::Fix { note } => row.detail = Some(note.clone()),
                RectifyAction::RateFix { score } => row.rating = Some(i64::from(*score)),
            }
        }
        Event::TicketTransferred {
            to_service,
            to_counter,
            ..
        } => {
            row.service = Some(to_service.clone());
            row.to_counter = to_counter.clone();
        }
        Event::CounterStateChanged { state, .. } => row.state = Some(state.as_str().to_owned()),
        Event::TicketReentered {
            queued_at,
            behind,
            by,
            ..
        } => {
            row.queued_at_ms = Some(*queued_at);
            row.behind_ticket = behind.map(|t| t.0);
            row.actor = Some(by.clone());
        }
        Event::Audit {
            action, by, detail, ..
        } => {
            row.action = Some(action.clone());
            row.actor = Some(by.clone());
            row.detail = Some(detail.clone());
        }
        Event::RemoteRequested {
            request,
            service,
            phone,
            expires_at,
        } => {
            row.code = Some(request.clone());
            row.service = Some(service.clone());
            row.phone = Some(phone.clone());
            row.slot_end_ms = Some(*expires_at);
        }
        Event::RemoteCodeWrong { request } => row.code = Some(request.clone()),
        Event::TicketRemote { request, phone, .. } => {
            row.code = Some(request.clone());
            row.phone = Some(phone.clone());
        }
        Event::TicketArrived { by, .. } => row.actor = Some(by.clone()),
        Event::TicketHeld { lapse_at, .. } => row.slot_end_ms = Some(*lapse_at),
        Event::TicketDeferred {
            places,
            queued_at,
            behind,
            ..
        } => {
            row.recalls = Some(i64::from(*places));
            row.queued_at_ms = Some(*queued_at);
            row.behind_ticket = behind.map(|t| t.0);
        }
        Event::BookingRequested {
            request,
            service,
            phone,
            expires_at,
            slot_start,
            name,
            id_hash,
            id_last4,
        } => {
            row.code = Some(request.clone());
            row.service = Some(service.clone());
            row.phone = Some(phone.clone());
            row.slot_end_ms = Some(*expires_at);
            row.queued_at_ms = Some(*slot_start);
            row.detail = Some(name.clone());
            row.actor = Some(id_hash.clone());
            row.action = Some(id_last4.clone());
        }
        Event::AppointmentContact {
            code,
            request,
            slot_start,
            phone,
            id_hash,
            id_last4,
        } => {
            row.code = Some(code.clone());
            row.detail = Some(request.clone());
            row.queued_at_ms = Some(*slot_start);
            row.phone = Some(phone.clone());
            row.actor = Some(id_hash.clone());
            row.action = Some(id_last4.clone());
        }
        Event::AppointmentCancelled { code, slot_start }
        | Event::AppointmentCancelWrong { code, slot_start }
        | Event::AppointmentReminded { code, slot_start } => {
            row.code = Some(code.clone());
            row.queued_at_ms = Some(*slot_start);
        }
        Event::TicketLapsed { .. }
        | Event::ArrivalDigitsWrong { .. }
        | Event::TicketCalled { .. }
        | Event::TicketRequeued { .. }
        | Event::TicketStarted { .. }
        | Event::TicketNoShow { .. }
        | Event::TicketCancelled { .. }
        | Event::TicketExpired { .. }
        | Event::DayStarted => {}
    }
    row
}

/// `code=score` lines, in the set's order.
pub(crate) fn encode_indicators(indicators: &[(String, u8)]) -> String {
    indicators
        .iter()
        .map(|(c, s)| format!("{c}={s}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The inverse of [`encode_indicators`]; `None` for a line that is not one.
pub(crate) fn decode_indicators(text: &str) -> Option<Vec<(String, u8)>> {
    text.lines()
        .filter(|l| !l.is_empty())
        .map(|l| {
            let (code, score) = l.split_once('=')?;
            Some((code.to_owned(), score.parse().ok()?))
        })
        .collect()
}

pub(crate) fn decode(row: EventRow) -> Result<Recorded, StoreError> {
    let bad = |what: &str| {
        StoreError::Corrupt(format!("event {} ({}): missing {what}", row.seq, row.kind))
    };
    let ticket = || row.ticket_id.map(TicketId).ok_or_else(|| bad("ticket_id"));
    let counter = || row.counter_id.clone().ok_or_else(|| bad("counter_id"));
    let event = match row.kind.as_str() {
        "ticket_issued" => Event::TicketIssued {
            ticket: ticket()?,
            service: row.service.clone().ok_or_else(|| bad("service"))?,
            class: row.class.clone().ok_or_else(|| bad("class"))?,
            seq_no: row.seq_no.ok_or_else(|| bad("seq_no"))? as u32,
            number: row.number.clone().ok_or_else(|| bad("number"))?,
            source: row.source.clone(),
        },
        "ticket_called" => Event::TicketCalled {
            ticket: ticket()?,
            counter: counter()?,
        },
        "ticket_recalled" => Event::TicketRecalled {
            ticket: ticket()?,
            counter: counter()?,
            recalls: row.recalls.ok_or_else(|| bad("recalls"))? as u32,
        },
        "ticket_requeued" => Event::TicketRequeued {
            ticket: ticket()?,
            counter: counter()?,
        },
        "ticket_started" => Event::TicketStarted {
            ticket: ticket()?,
            counter: counter()?,
        },
        "ticket_done" => Event::TicketDone {
            ticket: ticket()?,
            counter: counter()?,
            rating: row.rating.map(|r| r as u8),
        },
        "ticket_no_show" => Event::TicketNoShow {
            ticket: ticket()?,
            counter: counter()?,
        },
        "ticket_transferred" => Event::TicketTransferred {
            ticket: ticket()?,
            from_counter: row.counter_id.clone(),
            to_service: row.service.clone().ok_or_else(|| bad("service"))?,
            to_counter: row.to_counter.clone(),
        },
        "ticket_cancelled" => Event::TicketCancelled { ticket: ticket()? },
        "ticket_expired" => Event::TicketExpired { ticket: ticket()? },
        "day_started" => Event::DayStarted,
        "appointment_booked" => Event::AppointmentBooked {
            code: row.code.clone().ok_or_else(|| bad("code"))?,
            service: row.service.clone().ok_or_else(|| bad("service"))?,
            slot_start: row.queued_at_ms.ok_or_else(|| bad("queued_at_ms"))?,
            slot_end: row.slot_end_ms.ok_or_else(|| bad("slot_end_ms"))?,
            name: row.detail.clone(),
        },
        "appointment_checked_in" => Event::AppointmentCheckedIn {
            code: row.code.clone().ok_or_else(|| bad("code"))?,
            ticket: ticket()?,
            queued_at: row.queued_at_ms.ok_or_else(|| bad("queued_at_ms"))?,
        },
        "notify_requested" => Event::NotifyRequested {
            ticket: ticket()?,
            phone: row.phone.clone().ok_or_else(|| bad("phone"))?,
        },
        "remote_requested" => Event::RemoteRequested {
            request: row.code.clone().ok_or_else(|| bad("code"))?,
            service: row.service.clone().ok_or_else(|| bad("service"))?,
            phone: row.phone.clone().ok_or_else(|| bad("phone"))?,
            expires_at: row.slot_end_ms.ok_or_else(|| bad("slot_end_ms"))?,
        },
        "remote_code_wrong" => Event::RemoteCodeWrong {
            request: row.code.clone().ok_or_else(|| bad("code"))?,
        },
        "ticket_remote" => Event::TicketRemote {
            ticket: ticket()?,
            request: row.code.clone().ok_or_else(|| bad("code"))?,
            phone: row.phone.clone().ok_or_else(|| bad("phone"))?,
        },
        "arrival_digits_wrong" => Event::ArrivalDigitsWrong { ticket: ticket()? },
        "ticket_arrived" => Event::TicketArrived {
            ticket: ticket()?,
            by: row.actor.clone().unwrap_or_default(),
        },
        "ticket_held" => Event::TicketHeld {
            ticket: ticket()?,
            lapse_at: row.slot_end_ms.ok_or_else(|| bad("slot_end_ms"))?,
        },
        "ticket_lapsed" => Event::TicketLapsed { ticket: ticket()? },
        "ticket_deferred" => Event::TicketDeferred {
            ticket: ticket()?,
            places: row.recalls.ok_or_else(|| bad("recalls"))? as u32,
            queued_at: row.queued_at_ms.ok_or_else(|| bad("queued_at_ms"))?,
            behind: row.behind_ticket.map(TicketId),
        },
        "booking_requested" => Event::BookingRequested {
            request: row.code.clone().ok_or_else(|| bad("code"))?,
            service: row.service.clone().ok_or_else(|| bad("service"))?,
            phone: row.phone.clone().ok_or_else(|| bad("phone"))?,
            expires_at: row.slot_end_ms.ok_or_else(|| bad("slot_end_ms"))?,
            slot_start: row.queued_at_ms.ok_or_else(|| bad("queued_at_ms"))?,
            name: row.detail.clone().unwrap_or_default(),
            id_hash: row.actor.clone().ok_or_else(|| bad("actor"))?,
            id_last4: row.action.clone().ok_or_else(|| bad("action"))?,
        },
        "appointment_contact" => Event::AppointmentContact {
            code: row.code.clone().ok_or_else(|| bad("code"))?,
            request: row.detail.clone().unwrap_or_default(),
            slot_start: row.queued_at_ms.ok_or_else(|| bad("queued_at_ms"))?,
            phone: row.phone.clone().ok_or_else(|| bad("phone"))?,
            id_hash: row.actor.clone().ok_or_else(|| bad("actor"))?,
            id_last4: row.action.clone().ok_or_else(|| bad("action"))?,
        },
        "appointment_cancelled" => Event::AppointmentCancelled {
            code: row.code.clone().ok_or_else(|| bad("code"))?,
            slot_start: row.queued_at_ms.ok_or_else(|| bad("queued_at_ms"))?,
        },
        "appointment_cancel_wrong" => Event::AppointmentCancelWrong {
            code: row.code.clone().ok_or_else(|| bad("code"))?,
            slot_start: row.queued_at_ms.ok_or_else(|| bad("queued_at_ms"))?,
        },
        "appointment_reminded" => Event::AppointmentReminded {
            code: row.code.clone().ok_or_else(|| bad("code"))?,
            slot_start: row.queued_at_ms.ok_or_else(|| bad("queued_at_ms"))?,
        },
        "counter_staff" => Event::CounterStaff {
            counter: counter()?,
            staff: row.actor.clone().unwrap_or_default(),
        },
        "counter_staff_left" => Event::CounterStaffLeft {
            counter: counter()?,
            staff: row.actor.clone().ok_or_else(|| bad("actor"))?,
        },
        "ticket_ready" => Event::TicketReady {
            ticket: ticket()?,
            by: row.actor.clone().unwrap_or_default(),
        },
        "notification_queued" => Event::NotificationQueued {
            ticket: ticket()?,
            kind: row.action.clone().ok_or_else(|| bad("action"))?,
            phone: row.phone.clone().ok_or_else(|| bad("phone"))?,
            message: row.detail.clone().unwrap_or_default(),
        },
        "notification_delivered" => Event::NotificationDelivered {
            id: row.ref_seq.ok_or_else(|| bad("ref_seq"))? as u64,
        },
        "ticket_suspended" => Event::TicketSuspended {
            ticket: ticket()?,
            counter: counter()?,
            missing: row
                .detail
                .as_deref()
                .unwrap_or_default()
                .lines()
                .map(str::to_owned)
                .collect(),
        },
        "ticket_returned" => Event::TicketReturned {
            ticket: ticket()?,
            service: row.service.clone().ok_or_else(|| bad("service"))?,
            class: row.class.clone().ok_or_else(|| bad("class"))?,
            seq_no: row.seq_no.ok_or_else(|| bad("seq_no"))? as u32,
            number: row.number.clone().ok_or_else(|| bad("number"))?,
            issued_day: row
                .issued_day
                .as_deref()
                .and_then(|d| d.parse().ok())
                .ok_or_else(|| bad("issued_day"))?,
            issued_at: row.queued_at_ms.ok_or_else(|| bad("queued_at_ms"))?,
        },
        // Before schema v7 a rating was a score and a comment from the pad.
        "ticket_rated" => Event::TicketRated {
            ticket: ticket()?,
            score: row.rating.ok_or_else(|| bad("rating"))? as u8,
            comment: row.detail.clone(),
            reason: row.reason.clone(),
            indicators: decode_indicators(row.indicators.as_deref().unwrap_or(""))
                .ok_or_else(|| bad("readable indicators"))?,
            indicator_version: row.indicator_version.unwrap_or(0) as u32,
            channel: match row.channel.as_deref() {
                None => Channel::Pad,
                Some(c) => Channel::parse(c).ok_or_else(|| bad("a known channel"))?,
            },
        },
        "case_attached" => Event::CaseAttached {
            ticket: ticket()?,
            case_no: row.case_no.clone().ok_or_else(|| bad("case_no"))?,
            by: row.actor.clone().unwrap_or_default(),
        },
        "rectification_opened" => Event::RectificationOpened {
            ticket: ticket()?,
            score: row.rating.ok_or_else(|| bad("rating"))? as u8,
            reason: row.reason.clone(),
            deadline: row
                .deadline
                .as_deref()
                .and_then(|d| d.parse().ok())
                .ok_or_else(|| bad("deadline"))?,
        },
        kind @ ("rectification_assigned"
        | "rectification_called_back"
        | "rectification_fixed"
        | "rectification_rated") => {
            let text = || row.detail.clone().ok_or_else(|| bad("detail"));
            Event::Rectified {
                ticket: ticket()?,
                action: match kind {
                    "rectification_assigned" => RectifyAction::Assign { to: text()? },
                    "rectification_called_back" => RectifyAction::Callback { outcome: text()? },
                    "rectification_fixed" => RectifyAction::Fix { note: text()? },
                    _ => RectifyAction::RateFix {
                        score: row.rating.ok_or_else(|| bad("rating"))? as u8,
                    },
                },
                by: row.actor.clone().unwrap_or_default(),
            }
        }
        "upload_delivered" => Event::UploadDelivered {
            id: row.ref_seq.ok_or_else(|| bad("ref_seq"))? as u64,
        },
        "ticket_reentered" => Event::TicketReentered {
            ticket: ticket()?,
            queued_at: row.queued_at_ms.ok_or_else(|| bad("queued_at_ms"))?,
            behind: row.behind_ticket.map(TicketId),
            by: row.actor.clone().unwrap_or_default(),
        },
        "audit" => Event::Audit {
            action: row.action.clone().ok_or_else(|| bad("action"))?,
            by: row.actor.clone().unwrap_or_default(),
            detail: row.detail.clone().unwrap_or_default(),
            counter: row.counter_id.clone(),
            ticket: row.ticket_id.map(TicketId),
        },
        "counter_state" => Event::CounterStateChanged {
            counter: counter()?,
            state: row
                .state
                .as_deref()
                .and_then(CounterState::parse)
                .ok_or_else(|| bad("a known state"))?,
        },
        other => {
            return Err(StoreError::Corrupt(format!(
                "event {} has unknown kind `{other}`",
                row.seq
            )));
        }
    };
    Ok(Recorded {
        seq: row.seq as u64,
        at: row.at_ms,
        event,
    })
}

pub(crate) fn insert_event(
    tx: &Transaction<'_>,
    rec: &Recorded,
    day: BusinessDay,
) -> Result<(), StoreError> {
    let r = encode(rec);
    let mut stmt = tx.prepare_cached(
        "INSERT INTO events (seq, at_ms, day, kind, ticket_id, counter_id, service, class, seq_no, number, \
         source, to_counter, state, recalls, rating, queued_at_ms, actor, action, detail, behind_ticket, slot_end_ms, code, issued_day, phone, ref_seq, \
         reason, indicators, indicator_version, channel, case_no, deadline) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, \
         ?23, ?24, ?25, ?26, ?27, ?28, ?29, ?30, ?31)",
    )?;
    stmt.execute(params![
        r.seq,
        r.at_ms,
        day.to_string(),
        r.kind,
        r.ticket_id,
        r.counter_id,
        r.service,
        r.class,
        r.seq_no,
        r.number,
        r.source,
        r.to_counter,
        r.state,
        r.recalls,
        r.rating,
        r.queued_at_ms,
        r.actor,
        r.action,
        r.detail,
        r.behind_ticket,
        r.slot_end_ms,
        r.code,
        r.issued_day,
        r.phone,
        r.ref_seq,
        r.reason,
        r.indicators,
        r.indicator_version,
        r.channel,
        r.case_no,
        r.deadline
    ])?;
    Ok(())
}

pub(crate) fn upsert_ticket(tx: &Transaction<'_>, t: &Ticket, seq: u64) -> Result<(), StoreError> {
    // issued_service, day, seq_no, number and the prediction are fixed at
    // issue time: the conflict branch leaves them alone.
    let mut stmt = tx.prepare_cached(
        "INSERT INTO tickets (id, day, issued_service, service, class, seq_no, number, state, issued_at_ms, \
         called_at_ms, started_at_ms, finished_at_ms, counter_id, target_counter, recalls, source, rating, last_seq, \
         queued_at_ms, predicted_wait_s, queued_behind, served_by, predicted_low_s, predicted_high_s, case_no, \
         channel, arrived_at_ms, lapse_at_ms, deferred) \
         VALUES (?1, ?2, ?3, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, \
         ?22, ?23, ?24, ?25, ?26, ?27, ?28) \
         ON CONFLICT (id) DO UPDATE SET service = ?3, class = ?4, state = ?7, called_at_ms = ?9, \
         started_at_ms = ?10, finished_at_ms = ?11, counter_id = ?12, target_counter = ?13, recalls = ?14, \
         rating = ?16, last_seq = ?17, queued_at_ms = ?18, queued_behind = ?20, served_by = ?21, case_no = ?24, \
         channel = ?25, arrived_at_ms = ?26, lapse_at_ms = ?27, deferred = ?28",
    )?;
    stmt.execute(params![
        t.id.0,
        t.day.to_string(),
        t.service,
        t.class,
        t.seq_no,
        t.number,
        t.state.as_str(),
        t.issued_at,
        t.called_at,
        t.started_at,
        t.finished_at,
        t.counter,
        t.target_counter,
        t.recalls,
        t.source,
        t.rating,
        seq as i64,
        t.queued_at,
        t.predicted_wait_s,
        t.queued_behind.map(|b| b.0),
        t.served_by,
        t.predicted_range_s.map(|r| r.0),
        t.predicted_range_s.map(|r| r.1),
        t.case_no,
        t.channel.as_str(),
        t.arrived_at,
        t.lapse_at,
        t.deferred
    ])?;
    Ok(())
}

/// A `tickets` row as read, columns as in [`SELECT_TICKET`].
pub(crate) struct TicketRow {
    ticket: Ticket,
    day: String,
    state: String,
    channel: Option<String>,
}

pub(crate) fn ticket_row(r: &Row<'_>) -> rusqlite::Result<TicketRow> {
    let issued_at: i64 = r.get(7)?;
    Ok(TicketRow {
        day: r.get(1)?,
        state: r.get(6)?,
        channel: r.get(23)?,
        ticket: Ticket {
            id: TicketId(r.get(0)?),
            day: jiff::civil::Date::ZERO,
            service: r.get(2)?,
            class: r.get(3)?,
            seq_no: r.get(4)?,
            number: r.get(5)?,
            state: TicketState::Waiting,
            issued_at,
            queued_at: r.get::<_, Option<i64>>(16)?.unwrap_or(issued_at),
            predicted_wait_s: r.get(17)?,
            predicted_range_s: r
                .get::<_, Option<u32>>(20)?
                .zip(r.get::<_, Option<u32>>(21)?),
            queued_behind: r.get::<_, Option<i64>>(18)?.map(TicketId),
            called_at: r.get(8)?,
            started_at: r.get(9)?,
            finished_at: r.get(10)?,
            counter: r.get(11)?,
            served_by: r.get(19)?,
            target_counter: r.get(12)?,
            recalls: r.get(13)?,
            source: r.get(14)?,
            rating: r.get(15)?,
            case_no: r.get(22)?,
            channel: TicketChannel::WalkIn,
            arrived_at: r.get(24)?,
            lapse_at: r.get(25)?,
            deferred: r.get(26)?,
        },
    })
}

pub(crate) fn decode_ticket(r: TicketRow) -> Result<Ticket, StoreError> {
    let mut t = r.ticket;
    let id = t.id;
    t.day = r
        .day
        .parse()
        .map_err(|_| StoreError::Corrupt(format!("ticket {id}: day `{}`", r.day)))?;
    t.state = TicketState::parse(&r.state)
        .ok_or_else(|| StoreError::Corrupt(format!("ticket {id}: state `{}`", r.state)))?;
    if let Some(c) = r.channel.as_deref() {
        t.channel = TicketChannel::parse(c)
            .ok_or_else(|| StoreError::Corrupt(format!("ticket {id}: channel `{c}`")))?;
    }
    Ok(t)
}
