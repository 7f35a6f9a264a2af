//! Tickets and their state machine.
//!
//! ```text
//! waiting ──call──▶ called ──start──▶ serving ──finish──▶ done
//!    ▲  │              │  ├──finish──────────────────────▶ done
//!    │  │              │  ├──no-show / recall past limit─▶ no_show
//!    │  │              │  └──requeue──▶ waiting
//!    │  └──cancel──▶ cancelled
//!    └──── transfer (from waiting, called or serving; keeps its place)
//! waiting, called ──the business day ends──▶ expired
//!
//! remote ──arrive──▶ waiting      (taken from home, at its place by issue time)
//!    ├──lapse──▶ lapsed            (not arrived in time)
//!    ├──defer──▶ remote            (once, a few places back)
//!    └──cancel─▶ cancelled
//! ```
//! The allowed transitions are spelled out once, in [`TicketState::can`].

use crate::time::{BusinessDay, Millis};

/// A ticket's identity, unique across days; `/t/{id}` is its status page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TicketId(pub i64);

impl std::fmt::Display for TicketId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

/// Where a ticket is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TicketState {
    /// In a queue, waiting to be called.
    Waiting,
    /// Called to a counter; the applicant is on the way.
    Called,
    /// At the counter, being served.
    Serving,
    /// Served. Final.
    Done,
    /// Called but never came (may re-enter within the hall's window).
    NoShow,
    /// Withdrawn while waiting. Final.
    Cancelled,
    /// Set aside at the counter until missing materials are brought
    /// (挂起/补件); comes back with the same ticket, ahead of new ones.
    Suspended,
    /// Still waiting or called when its business day ended. Final.
    Expired,
    /// Taken from home (`/r`): holds its place in its queue but is not
    /// called until the applicant arrives at the hall.
    Remote,
    /// A remote ticket whose applicant did not arrive in time. Final.
    Lapsed,
}

/// A transition a ticket can be asked to take.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transition {
    Call,
    Recall,
    Requeue,
    Start,
    Finish,
    NoShow,
    Transfer,
    Cancel,
    Reenter,
    Suspend,
    Return,
    Expire,
    Arrive,
    Lapse,
    Defer,
}

impl TicketState {
    pub const ALL: [TicketState; 10] = [
        TicketState::Remote,
        TicketState::Lapsed,
        TicketState::Suspended,
        TicketState::Waiting,
        TicketState::Called,
        TicketState::Serving,
        TicketState::Done,
        TicketState::NoShow,
        TicketState::Cancelled,
        TicketState::Expired,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            TicketState::Waiting => "waiting",
            TicketState::Called => "called",
            TicketState::Serving => "serving",
            TicketState::Done => "done",
            TicketState::NoShow => "no_show",
            TicketState::Cancelled => "cancelled",
            TicketState::Suspended => "suspended",
            TicketState::Expired => "expired",
            TicketState::Remote => "remote",
            TicketState::Lapsed => "lapsed",
        }
    }

    pub fn parse(s: &str) -> Option<TicketState> {
        TicketState::ALL.into_iter().find(|t| t.as_str() == s)
    }

    /// Still in the hall's hands (not finished one way or another).
    pub fn is_open(self) -> bool {
        matches!(
            self,
            TicketState::Waiting | TicketState::Called | TicketState::Serving | TicketState::Remote
        )
    }

    /// Whether `t` is allowed from this state: the one table of the state machine.
    pub fn can(self, t: Transition) -> bool {
        use TicketState::*;
        use Transition as T;
        matches!(
            (self, t),
            (Waiting, T::Call)
                | (Waiting | Remote, T::Cancel)
                | (Remote, T::Arrive | T::Lapse | T::Defer)
                | (Called, T::Recall)
                | (Called, T::Requeue)
                | (Called, T::Start)
                | (Called, T::Finish)
                | (Called, T::NoShow)
                | (Serving, T::Finish)
                | (Waiting | Called | Serving, T::Transfer)
                | (Waiting | Called | Remote, T::Expire)
                | (NoShow, T::Reenter)
                | (Called | Serving, T::Suspend)
                | (Suspended, T::Return)
        )
    }
}

/// A waiting ticket's place in its queue; a queue is the set of its keys in
/// order. The fields are compared in this order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct QueueKey {
    /// When it joined: its issue time (kept through transfers and
    /// requeues), its slot's start (appointments), or its place on re-entry.
    pub queued_at: Millis,
    /// Its own id; for a ticket re-entered behind ticket X, X's id...
    pub order: i64,
    /// ...with `after` = 1, so it sorts right after X even among tickets
    /// queued in the same millisecond.
    pub after: u8,
    pub id: TicketId,
}

impl QueueKey {
    /// The key of a ticket, from its `queued_at` and `queued_behind`.
    pub fn of(t: &Ticket) -> QueueKey {
        let (order, after) = match t.queued_behind {
            Some(x) => (x.0, 1),
            None => (t.id.0, 0),
        };
        QueueKey {
            queued_at: t.queued_at,
            order,
            after,
            id: t.id,
        }
    }
}

/// One ticket of the current business day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ticket {
    pub id: TicketId,
    pub day: BusinessDay,
    pub service: String,
    /// Priority class id.
    pub class: String,
    /// Position in the service's numbering for the day, from 1.
    pub seq_no: u32,
    /// The printed number, e.g. `A012`.
    pub number: String,
    pub state: TicketState,
    pub issued_at: Millis,
    /// Its place in the queue: the issue time, kept through transfers; later
    /// for a no-show that re-entered behind others.
    pub queued_at: Millis,
    /// After a re-entry: the ticket it waits right behind.
    pub queued_behind: Option<TicketId>,
    /// The wait estimated when it was issued, to measure the estimate.
    pub predicted_wait_s: Option<u32>,
    /// The 80% range estimated when it was issued (low, high seconds).
    pub predicted_range_s: Option<(u32, u32)>,
    pub called_at: Option<Millis>,
    pub started_at: Option<Millis>,
    pub finished_at: Option<Millis>,
    /// The counter that called it, once called.
    pub counter: Option<String>,
    /// The clerk working at that counter when it was called, if known.
    pub served_by: Option<String>,
    /// After a transfer to a specific counter: only that counter may call it.
    pub target_counter: Option<String>,
    /// How many times it was recalled at its current call.
    pub recalls: u32,
    /// Kiosk or channel it was taken at.
    pub source: Option<String>,
    /// Satisfaction rating given at finish (1 worst ..= 5 best).
    pub rating: Option<u8>,
    /// The case (办件编号) the counter attached: tickets sharing it are one
    /// case's visits, possibly over several days.
    pub case_no: Option<String>,
    /// How it was taken: at the hall, from home, or for an appointment.
    pub channel: Channel,
    /// A remote ticket: when the applicant checked in at the hall.
    pub arrived_at: Option<Millis>,
    /// A remote ticket that reached the front before arriving: it lapses
    /// if not arrived by this time.
    pub lapse_at: Option<Millis>,
    /// A remote ticket already moved back once.
    pub deferred: bool,
}

/// How a ticket was taken, for the screens' marks and the statistics.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Channel {
    /// At the kiosk, a guide's desk or the CLI.
    WalkIn,
    /// From home, on `/r`.
    Remote,
    /// For an appointment, at check-in.
    Appointment,
}

impl Channel {
    pub const ALL: [Channel; 3] = [Channel::WalkIn, Channel::Remote, Channel::Appointment];

    pub fn as_str(self) -> &'static str {
        match self {
            Channel::WalkIn => "walk_in",
            Channel::Remote => "remote",
            Channel::Appointment => "appointment",
        }
    }

    pub fn parse(s: &str) -> Option<Channel> {
        Channel::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

impl Ticket {
    /// A ticket that has just joined its queue at `issued_at`: nothing else
    /// has happened to it yet. The one place a ticket is made from scratch.
    pub fn waiting(
        id: TicketId,
        day: BusinessDay,
        service: String,
        class: String,
        seq_no: u32,
        number: String,
        issued_at: Millis,
    ) -> Ticket {
        Ticket {
            id,
            day,
            service,
            class,
            seq_no,
            number,
            state: TicketState::Waiting,
            issued_at,
            queued_at: issued_at,
            queued_behind: None,
            predicted_wait_s: None,
            predicted_range_s: None,
            called_at: None,
            started_at: None,
            finished_at: None,
            counter: None,
            served_by: None,
            target_counter: None,
            recalls: 0,
            source: None,
            rating: None,
            case_no: None,
            channel: Channel::WalkIn,
            arrived_at: None,
            lapse_at: None,
            deferred: false,
        }
    }
}
