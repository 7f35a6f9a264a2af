//! The queue domain of a qcall hall, as pure values and functions.
//!
//! Everything that decides *what happens* in a hall lives here: which ticket
//! number comes next, which waiting ticket a counter calls, which transitions a
//! ticket may take, and what each change is recorded as. Nothing here does IO,
//! reads the clock, spawns threads or knows a wire format: time comes in as a
//! parameter ([`Millis`]), persistence and publishing belong to the engine.
//!
//! # Layout
//! - [`hall`]: the hall's static definition (services, priority classes,
//!   counters, policy, quotas, alert thresholds), built by the binary from
//!   its config file.
//! - [`hours`]: opening hours, cut-off, holidays and make-up days.
//! - [`ticket`]: tickets, their states and numbering.
//! - [`command`]: what callers ask for, the counter actions' table, and
//!   why a command is refused.
//! - [`event`]: the closed set of things that can happen, as recorded.
//! - [`policy`]: the next-ticket selection, a deterministic function.
//! - `forecast`: the wait estimate, a dry run of the hall from its state.
//! - [`state`]: the day's live state: `decide` a command into events, `apply`
//!   recorded events. Replaying the log through `apply` rebuilds the state.
//! - [`rating`]: 好差评 levels, indicators, reasons and channels.
//! - [`rectify`]: putting a 差评 right: steps, deadline, overdue.
//! - [`stats`]: a day's figures from its tickets.
//! - [`alerts`]: the SLA lights that hold right now.
//! - [`speech`]: what the hall speakers say for a call, as clip ids.
//! - [`time`]: milliseconds and the business day.
//!
//! # Dependencies
//! The modules form a DAG, lower ones knowing nothing of higher ones:
//! `time` <- `hours`, `ticket` <- `event`, `hall` <- `policy` <- `forecast`
//! <- `state` (with `command`) <- `alerts`, `stats`. The hall's own
//! thresholds (alert levels and limits) live in `hall`, so nothing below
//! `state` needs the day's state.

pub mod alerts;
pub mod command;
pub mod event;
mod forecast;
pub mod hall;
pub mod hours;
pub mod policy;
pub mod rating;
pub mod rectify;
pub mod speech;
pub mod state;
pub mod stats;
pub mod ticket;
pub mod time;

pub use command::{ActionSpec, COUNTER_ACTIONS, CounterActionKind};
pub use event::{CounterState, Event, Recorded};
pub use hall::{CounterDef, Hall, Policy, PolicyKind, PriorityClass, Service, ServiceOrder, Text};
pub use state::{
    Command, CounterAction, CounterRuntime, Estimate, HallState, NoCounter, RatingOf, Rejection,
    TransferTarget,
};
pub use ticket::{QueueKey, Ticket, TicketId, TicketState};
pub use time::{BusinessDay, Millis};
