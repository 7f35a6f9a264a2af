//! What callers ask of the hall and why it may refuse: [`Command`], the
//! counter actions and their one table ([`COUNTER_ACTIONS`]), [`Rejection`]
//! and [`Decision`].
//!
//! Plain values: deciding a command is [`crate::HallState::decide`]'s job,
//! and parsing one from a request is the web and CLI's. The table is here so
//! that every layer that names a counter action reads the same list.

use crate::event::Event;
use crate::ticket::{Ticket, TicketId};
use crate::time::Millis;

/// Something a kiosk, counter or supervisor asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// Take a ticket for a service, in a class (default class when `None`).
    Issue {
        service: String,
        class: Option<String>,
        source: Option<String>,
    },
    /// An action at a counter, on the counter's current ticket where it needs one.
    Counter {
        counter: String,
        action: CounterAction,
    },
    /// Withdraw a waiting ticket.
    Cancel { ticket: TicketId },
    /// A no-show came back within the hall's window (过号重排); `by` is the
    /// staff member who let it back in.
    Reenter { ticket: TicketId, by: String },
    /// An applicant rates the ticket just finished at `counter` (好差评):
    /// 5 very satisfied ... 1 very dissatisfied. One rating per ticket.
    Rate {
        counter: String,
        score: u8,
        comment: Option<String>,
    },
    /// Book an appointment; `code` is the check-in code, chosen by the caller.
    Book {
        code: String,
        service: String,
        slot_start: Millis,
        name: Option<String>,
    },
    /// Check in an appointment of today at a kiosk: its ticket.
    CheckIn {
        code: String,
        service: Option<String>,
        source: Option<String>,
    },
    /// A suspended ticket comes back with its missing materials. `earlier`
    /// is the ticket as stored, when it is from an earlier business day
    /// (the engine fills it in; the core does no IO).
    Return {
        ticket: TicketId,
        earlier: Option<Box<Ticket>>,
    },
    /// The applicant leaves a phone number to be told about the ticket.
    Subscribe { ticket: TicketId, phone: String },
    /// The counter marks a served ticket's certificate ready for collection.
    MarkReady { ticket: TicketId, by: String },
    /// The gateway accepted outbox message `id`.
    Delivered { id: u64 },
}

/// What a counter can do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CounterAction {
    /// Finish the current ticket (if any) and call the next one.
    CallNext,
    /// Call the current ticket again; past the recall limit it is a no-show.
    Recall,
    /// The called ticket did not come.
    NoShow,
    /// Put the called ticket back in its queue, keeping its place.
    Requeue,
    /// The applicant is at the counter.
    Start,
    /// Service finished, optionally rated 1..=5.
    Finish {
        rating: Option<u8>,
    },
    /// Send the current ticket to another service or counter.
    Transfer(TransferTarget),
    /// Set the current ticket aside until the listed materials are brought
    /// (挂起/补件); the applicant returns later with the same ticket.
    Suspend {
        missing: Vec<String>,
    },
    Pause,
    Resume,
    Open,
    /// Close the counter. Refused while its services have waiting tickets
    /// that no other open counter serves, unless a supervisor overrides
    /// (`override_by`), which is audited.
    Close {
        override_by: Option<String>,
    },
    /// The clerk named by the acting token works at this counter now.
    SignIn {
        staff: String,
    },
}

/// Where a transfer sends a ticket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TransferTarget {
    Service(String),
    Counter(String),
}

/// Why a command was refused. Each message says what was wrong and what to do.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Rejection {
    // --- not found ---
    #[error("there is no service `{0}`; GET /api/v1/services lists the services of this hall")]
    UnknownService(String),
    #[error("there is no counter `{0}`; GET /api/v1/counters lists the counters of this hall")]
    UnknownCounter(String),
    #[error("there is no ticket {0} today")]
    UnknownTicket(TicketId),

    // --- bad input ---
    #[error(
        "there is no priority class `{0}`; the hall's classes are listed in GET /api/v1/services"
    )]
    UnknownClass(String),
    #[error("a rating is 1 (very dissatisfied) to 5 (very satisfied), not {0}")]
    BadRating(u8),
    #[error("{0}")]
    BadInput(String),

    // --- conflicts with the current state ---
    #[error(
        "service `{service}` has reached its daily cap of {cap} tickets; please come back on the next working day"
    )]
    ServiceFull { service: String, cap: u32 },
    #[error("counter `{counter}` has no current ticket; call one first")]
    NoCurrentTicket { counter: String },
    #[error("ticket {number} is {state}, so it cannot be {action}")]
    WrongState {
        number: String,
        state: &'static str,
        action: &'static str,
    },
    #[error(
        "counter `{counter}` still has ticket {number}; finish, transfer or mark it no-show first"
    )]
    CounterBusy { counter: String, number: String },
    #[error("counter `{0}` is closed; open it first")]
    CounterClosed(String),
    #[error(
        "ticket {number} is already at service `{service}`; choose another service or a counter"
    )]
    TransferToSame { number: String, service: String },
    #[error("service `{service}` is not taking tickets now: {why}")]
    ServiceClosed { service: String, why: String },
    #[error(
        "service `{service}` has given out all {cap} tickets of this time slot; the next slot starts at {next}"
    )]
    SlotFull {
        service: String,
        cap: u32,
        next: String,
    },
    #[error(
        "counter `{counter}` is the last open counter for service `{service}`, where {waiting} still wait; \
         everyone who took a ticket is served before closing (a supervisor may override)"
    )]
    LastCounter {
        counter: String,
        service: String,
        waiting: usize,
    },
    #[error("ticket {number} cannot re-enter the queue: {why}")]
    ReentryRefused { number: String, why: String },
    #[error("counter `{0}` has no finished ticket left to rate")]
    NothingToRate(String),
    #[error(
        "there is no appointment `{0}` for today; check the code, or take a ticket without one"
    )]
    UnknownAppointment(String),
    #[error("appointment {code}: {why}")]
    AppointmentWindow { code: String, why: String },
    #[error("the appointment code `{0}` is already taken for that day; try again")]
    CodeTaken(String),
}

/// What a command decided: the events to record and the ticket it is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    pub events: Vec<Event>,
    /// The ticket the caller asked about (issued, called, finished...), if any.
    pub subject: Option<TicketId>,
}
