//! Everything that can happen in a hall, as it is recorded in the event log.
//!
//! Events are facts: they were decided against the state, committed, and are
//! replayed through [`crate::HallState::apply`] at start-up. They never fail to
//! apply to the state they were decided on. Adding a variant is cheap; changing
//! the meaning of a recorded one is not (old logs must still replay).

use crate::rating::Channel;
use crate::rectify::RectifyAction;
use crate::ticket::TicketId;
use crate::time::BusinessDay;
use crate::time::Millis;

/// A counter's state as displays show it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CounterState {
    /// Not staffed.
    Closed,
    /// Staffed, nobody called.
    Idle,
    /// A ticket is called and expected at the counter.
    Calling,
    /// Serving a ticket.
    Serving,
    /// Staffed but not calling (break, paperwork).
    Paused,
}

impl CounterState {
    pub const ALL: [CounterState; 5] = [
        CounterState::Closed,
        CounterState::Idle,
        CounterState::Calling,
        CounterState::Serving,
        CounterState::Paused,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            CounterState::Closed => "closed",
            CounterState::Idle => "open_idle",
            CounterState::Calling => "calling",
            CounterState::Serving => "serving",
            CounterState::Paused => "paused",
        }
    }

    pub fn parse(s: &str) -> Option<CounterState> {
        CounterState::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

/// One recorded change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    // --- tickets ---
    /// A ticket was taken; its number is final for the day.
    TicketIssued {
        ticket: TicketId,
        service: String,
        class: String,
        seq_no: u32,
        number: String,
        source: Option<String>,
    },
    /// A counter called a waiting ticket.
    TicketCalled { ticket: TicketId, counter: String },
    /// The counter called its current ticket again; `recalls` counts them.
    TicketRecalled {
        ticket: TicketId,
        counter: String,
        recalls: u32,
    },
    /// A called ticket went back to its queue, keeping its place.
    TicketRequeued { ticket: TicketId, counter: String },
    /// The applicant arrived and service began.
    TicketStarted { ticket: TicketId, counter: String },
    /// Service finished, with an optional 1..=5 rating.
    TicketDone {
        ticket: TicketId,
        counter: String,
        rating: Option<u8>,
    },
    /// A called ticket never came (or ran out of recalls).
    TicketNoShow { ticket: TicketId, counter: String },
    /// A ticket moved to another service or counter, keeping its place by
    /// original issue time; it is waiting again afterwards.
    TicketTransferred {
        ticket: TicketId,
        from_counter: Option<String>,
        to_service: String,
        to_counter: Option<String>,
    },
    /// A waiting ticket was withdrawn.
    TicketCancelled { ticket: TicketId },
    /// Its business day ended while it was still waiting or called: it is
    /// closed, and counted in that day's statistics.
    TicketExpired { ticket: TicketId },
    /// A no-show came back in time and waits again, at `queued_at`
    /// (behind the tickets that were next when it returned).
    TicketReentered {
        ticket: TicketId,
        queued_at: Millis,
        behind: Option<TicketId>,
        by: String,
    },

    /// Set aside at the counter for missing materials (挂起).
    TicketSuspended {
        ticket: TicketId,
        counter: String,
        missing: Vec<String>,
    },
    /// A suspended ticket came back (possibly on a later day) and waits
    /// again at its original place. Carries the ticket, so a later day's
    /// replay can rebuild it.
    TicketReturned {
        ticket: TicketId,
        service: String,
        class: String,
        seq_no: u32,
        number: String,
        issued_day: BusinessDay,
        issued_at: Millis,
    },
    /// The applicant left a phone number to be told about the ticket.
    NotifyRequested { ticket: TicketId, phone: String },
    /// The counter marked the ticket's certificate ready for collection.
    TicketReady { ticket: TicketId, by: String },
    /// A message for the applicant's phone is due: it goes into the outbox
    /// in the same transaction as what caused it. Its id is this event's seq.
    NotificationQueued {
        ticket: TicketId,
        kind: String,
        phone: String,
        message: String,
    },
    /// The hall's gateway accepted the message with this id.
    NotificationDelivered { id: u64 },
    /// The 好差评 platform accepted the upload with this id (the seq of
    /// the event uploaded).
    UploadDelivered { id: u64 },
    /// An appointment was booked for a service and a time slot.
    AppointmentBooked {
        code: String,
        service: String,
        slot_start: Millis,
        slot_end: Millis,
        name: Option<String>,
    },
    /// An appointment was checked in: `ticket` is its ticket, queued at its
    /// slot's start.
    AppointmentCheckedIn {
        code: String,
        ticket: TicketId,
        queued_at: Millis,
    },
    /// The applicant rated a finished ticket (at the pad, from the QR
    /// code or a text message's link). Logs before indicators existed
    /// replay with none, version 0 and the pad as channel.
    TicketRated {
        ticket: TicketId,
        score: u8,
        comment: Option<String>,
        /// Why, for a 差评 (picked from `[rating] reasons` or typed).
        reason: Option<String>,
        /// (indicator code, score) of the set in force.
        indicators: Vec<(String, u8)>,
        /// The indicator set's version when it was given.
        indicator_version: u32,
        channel: Channel,
    },

    /// A 差评 opened an item to put right by the end of `deadline` (a
    /// working day on the hall's calendar).
    RectificationOpened {
        ticket: TicketId,
        score: u8,
        reason: Option<String>,
        deadline: BusinessDay,
    },
    /// A step in putting a 差评 right, by `by` (a supervisor, or the
    /// applicant's key for the fix's rating).
    Rectified {
        ticket: TicketId,
        action: RectifyAction,
        by: String,
    },
    /// A counter (or the hall's business system) attached a case number
    /// (办件编号) to the ticket; `by` is who.
    CaseAttached {
        ticket: TicketId,
        case_no: String,
        by: String,
    },

    // --- remote tickets (taken from home) ---
    /// Someone asked for a remote ticket from a phone: a code went to it.
    /// The code is derived from `request` with the hall secret, so it is
    /// never recorded.
    RemoteRequested {
        request: String,
        service: String,
        phone: String,
        expires_at: Millis,
    },
    /// A wrong code was given for `request`.
    RemoteCodeWrong { request: String },
    /// The ticket just issued was taken from home for `request`: it holds
    /// its place but is not called until the applicant arrives.
    TicketRemote {
        ticket: TicketId,
        request: String,
        phone: String,
    },
    /// The applicant of a remote ticket checked in at the hall; it waits at
    /// its place like any other.
    TicketArrived { ticket: TicketId, by: String },
    /// Wrong last 4 phone digits were given to check remote ticket
    /// `ticket` in: after `ARRIVAL_DIGITS_TRIES` only its code checks it in.
    ArrivalDigitsWrong { ticket: TicketId },
    /// Wrong last 4 phone digits were given to cancel the booking `code`
    /// at `slot_start`: after `BOOKING_DIGITS_TRIES` it is not cancelled
    /// from a phone.
    AppointmentCancelWrong { code: String, slot_start: Millis },
    /// A remote ticket reached the front before its applicant arrived: it
    /// is skipped, and lapses unless they arrive by `lapse_at`.
    TicketHeld { ticket: TicketId, lapse_at: Millis },
    /// A remote ticket's applicant did not arrive in time.
    TicketLapsed { ticket: TicketId },
    /// A remote ticket moved back in its queue, to just behind `behind`
    /// at `queued_at`.
    TicketDeferred {
        ticket: TicketId,
        places: u32,
        queued_at: Millis,
        behind: Option<TicketId>,
    },

    // --- appointments booked by the applicant (`/r`) ---
    /// Someone asked to book an appointment from a phone: a code went to
    /// it (derived from `request`, never recorded). Only the ID number's
    /// keyed hash and its last four characters are kept.
    BookingRequested {
        request: String,
        service: String,
        phone: String,
        expires_at: Millis,
        slot_start: Millis,
        name: String,
        id_hash: String,
        id_last4: String,
    },
    /// The appointment `code` just booked was the applicant's own, for
    /// `request`: what the reminder and a later check need.
    AppointmentContact {
        code: String,
        request: String,
        slot_start: Millis,
        phone: String,
        id_hash: String,
        id_last4: String,
    },
    /// An appointment was cancelled with its code.
    AppointmentCancelled { code: String, slot_start: Millis },
    /// The day-before reminder of an appointment went into the outbox.
    AppointmentReminded { code: String, slot_start: Millis },

    // --- audit ---
    /// Something staff did outside the usual flow, with who and why.
    Audit {
        action: String,
        by: String,
        detail: String,
        counter: Option<String>,
        ticket: Option<TicketId>,
    },

    // --- the day ---
    /// A new business day started (recorded on that day): numbering
    /// restarts, counters start closed, every screen gets a fresh snapshot.
    DayStarted,

    // --- counters ---
    /// A clerk now works at the counter (their token names them).
    CounterStaff { counter: String, staff: String },
    /// The clerk signed out: the counter no longer names anyone, in
    /// whatever state it is (a counter they left paused or closed is still
    /// theirs for the 脱岗/早退 alert until another clerk signs in).
    CounterStaffLeft { counter: String, staff: String },
    /// A counter's displayed state changed.
    CounterStateChanged {
        counter: String,
        state: CounterState,
    },
}

impl Event {
    /// The wire and log name of the variant.
    pub fn kind(&self) -> &'static str {
        match self {
            Event::TicketIssued { .. } => "ticket_issued",
            Event::TicketCalled { .. } => "ticket_called",
            Event::TicketRecalled { .. } => "ticket_recalled",
            Event::TicketRequeued { .. } => "ticket_requeued",
            Event::TicketStarted { .. } => "ticket_started",
            Event::TicketDone { .. } => "ticket_done",
            Event::TicketNoShow { .. } => "ticket_no_show",
            Event::TicketTransferred { .. } => "ticket_transferred",
            Event::TicketCancelled { .. } => "ticket_cancelled",
            Event::TicketExpired { .. } => "ticket_expired",
            Event::DayStarted => "day_started",
            Event::TicketReentered { .. } => "ticket_reentered",
            Event::TicketRated { .. } => "ticket_rated",
            Event::CaseAttached { .. } => "case_attached",
            Event::RectificationOpened { .. } => "rectification_opened",
            Event::Rectified { action, .. } => match action {
                RectifyAction::Assign { .. } => "rectification_assigned",
                RectifyAction::Callback { .. } => "rectification_called_back",
                RectifyAction::Fix { .. } => "rectification_fixed",
                RectifyAction::RateFix { .. } => "rectification_rated",
            },
            Event::NotifyRequested { .. } => "notify_requested",
            Event::TicketReady { .. } => "ticket_ready",
            Event::NotificationQueued { .. } => "notification_queued",
            Event::NotificationDelivered { .. } => "notification_delivered",
            Event::UploadDelivered { .. } => "upload_delivered",
            Event::TicketSuspended { .. } => "ticket_suspended",
            Event::TicketReturned { .. } => "ticket_returned",
            Event::AppointmentBooked { .. } => "appointment_booked",
            Event::AppointmentCheckedIn { .. } => "appointment_checked_in",
            Event::RemoteRequested { .. } => "remote_requested",
            Event::RemoteCodeWrong { .. } => "remote_code_wrong",
            Event::TicketRemote { .. } => "ticket_remote",
            Event::TicketArrived { .. } => "ticket_arrived",
            Event::ArrivalDigitsWrong { .. } => "arrival_digits_wrong",
            Event::TicketHeld { .. } => "ticket_held",
            Event::TicketLapsed { .. } => "ticket_lapsed",
            Event::TicketDeferred { .. } => "ticket_deferred",
            Event::BookingRequested { .. } => "booking_requested",
            Event::AppointmentContact { .. } => "appointment_contact",
            Event::AppointmentCancelled { .. } => "appointment_cancelled",
            Event::AppointmentCancelWrong { .. } => "appointment_cancel_wrong",
            Event::AppointmentReminded { .. } => "appointment_reminded",
            Event::Audit { .. } => "audit",
            Event::CounterStateChanged { .. } => "counter_state",
            Event::CounterStaff { .. } => "counter_staff",
            Event::CounterStaffLeft { .. } => "counter_staff_left",
        }
    }

    /// The ticket this event is about, if any.
    pub fn ticket(&self) -> Option<TicketId> {
        match self {
            Event::TicketIssued { ticket, .. }
            | Event::TicketCalled { ticket, .. }
            | Event::TicketRecalled { ticket, .. }
            | Event::TicketRequeued { ticket, .. }
            | Event::TicketStarted { ticket, .. }
            | Event::TicketDone { ticket, .. }
            | Event::TicketNoShow { ticket, .. }
            | Event::TicketTransferred { ticket, .. }
            | Event::TicketCancelled { ticket }
            | Event::TicketExpired { ticket }
            | Event::TicketReentered { ticket, .. }
            | Event::TicketRated { ticket, .. }
            | Event::CaseAttached { ticket, .. }
            | Event::RectificationOpened { ticket, .. }
            | Event::Rectified { ticket, .. }
            | Event::AppointmentCheckedIn { ticket, .. }
            | Event::TicketSuspended { ticket, .. }
            | Event::TicketReturned { ticket, .. }
            | Event::NotifyRequested { ticket, .. }
            | Event::TicketReady { ticket, .. }
            | Event::NotificationQueued { ticket, .. }
            | Event::TicketRemote { ticket, .. }
            | Event::TicketArrived { ticket, .. }
            | Event::ArrivalDigitsWrong { ticket }
            | Event::TicketHeld { ticket, .. }
            | Event::TicketLapsed { ticket }
            | Event::TicketDeferred { ticket, .. } => Some(*ticket),
            Event::NotificationDelivered { .. }
            | Event::UploadDelivered { .. }
            | Event::DayStarted => None,
            Event::RemoteRequested { .. } | Event::RemoteCodeWrong { .. } => None,
            Event::BookingRequested { .. }
            | Event::AppointmentContact { .. }
            | Event::AppointmentCancelled { .. }
            | Event::AppointmentCancelWrong { .. }
            | Event::AppointmentReminded { .. } => None,
            Event::AppointmentBooked { .. } => None,
            Event::Audit { ticket, .. } => *ticket,
            Event::CounterStateChanged { .. }
            | Event::CounterStaff { .. }
            | Event::CounterStaffLeft { .. } => None,
        }
    }

    /// The counter this event is about, if any.
    pub fn counter(&self) -> Option<&str> {
        match self {
            Event::TicketCalled { counter, .. }
            | Event::TicketRecalled { counter, .. }
            | Event::TicketRequeued { counter, .. }
            | Event::TicketStarted { counter, .. }
            | Event::TicketDone { counter, .. }
            | Event::TicketNoShow { counter, .. }
            | Event::CounterStateChanged { counter, .. }
            | Event::CounterStaff { counter, .. }
            | Event::CounterStaffLeft { counter, .. } => Some(counter),
            Event::TicketTransferred { from_counter, .. } => from_counter.as_deref(),
            Event::Audit { counter, .. } => counter.as_deref(),
            Event::TicketIssued { .. }
            | Event::TicketCancelled { .. }
            | Event::TicketExpired { .. }
            | Event::DayStarted
            | Event::TicketReentered { .. }
            | Event::TicketRated { .. }
            | Event::CaseAttached { .. }
            | Event::RectificationOpened { .. }
            | Event::Rectified { .. }
            | Event::AppointmentBooked { .. }
            | Event::AppointmentCheckedIn { .. }
            | Event::TicketReturned { .. }
            | Event::NotifyRequested { .. }
            | Event::TicketReady { .. }
            | Event::NotificationQueued { .. }
            | Event::NotificationDelivered { .. }
            | Event::UploadDelivered { .. }
            | Event::RemoteRequested { .. }
            | Event::RemoteCodeWrong { .. }
            | Event::TicketRemote { .. }
            | Event::TicketArrived { .. }
            | Event::ArrivalDigitsWrong { .. }
            | Event::TicketHeld { .. }
            | Event::TicketLapsed { .. }
            | Event::TicketDeferred { .. }
            | Event::BookingRequested { .. }
            | Event::AppointmentContact { .. }
            | Event::AppointmentCancelled { .. }
            | Event::AppointmentCancelWrong { .. }
            | Event::AppointmentReminded { .. } => None,
            Event::TicketSuspended { counter, .. } => Some(counter),
        }
    }
}

/// An event with its hall-wide sequence number and the instant it happened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recorded {
    /// Strictly increasing across the hall's whole log, never reused.
    pub seq: u64,
    pub at: Millis,
    pub event: Event,
}
