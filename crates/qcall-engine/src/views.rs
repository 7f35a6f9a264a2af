//! Read-only pictures of the state that leave the writer thread: what a
//! reply, a published event and a display snapshot carry.
//!
//! They are plain owned values so that consumers (websockets, printer,
//! speaker) never need the state itself.

use qcall_core::{
    BusinessDay, CounterState, HallState, Millis, NoCounter, Recorded, Ticket, TicketId,
};

/// A ticket with what an applicant wants to know about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TicketView {
    pub ticket: Ticket,
    /// Waiting tickets expected to be called before it.
    pub ahead: u32,
    pub estimated_wait_s: u32,
    /// The wait's 80% interval, seconds: low and high.
    pub estimated_wait_range_s: (u32, u32),
    /// The state's time when the view was made (its last event): what the
    /// estimate counts from.
    pub now: Millis,
    /// No counter open for it: screens say so instead of a number.
    pub no_counter: Option<NoCounter>,
}

impl TicketView {
    /// The estimate in words, as every screen and slip says it.
    pub fn wait_words(&self, hall: &qcall_core::Hall) -> qcall_core::Text {
        qcall_core::Estimate {
            wait_s: self.estimated_wait_s,
            low_s: self.estimated_wait_range_s.0,
            high_s: self.estimated_wait_range_s.1,
            no_counter: self.no_counter,
        }
        .words(&hall.tz)
    }

    pub fn of(state: &HallState, id: TicketId) -> Option<TicketView> {
        let ticket = state.ticket(id)?.clone();
        let estimate = state.estimate(id);
        Some(TicketView {
            ahead: state.ahead(id),
            estimated_wait_s: estimate.wait_s,
            estimated_wait_range_s: (estimate.low_s, estimate.high_s),
            now: state.last_at(),
            no_counter: estimate.no_counter,
            ticket,
        })
    }

    /// A ticket of an earlier day: nothing is ahead of it any more.
    pub fn finished(ticket: Ticket) -> TicketView {
        TicketView {
            now: ticket.finished_at.unwrap_or(ticket.issued_at),
            ticket,
            ahead: 0,
            estimated_wait_s: 0,
            estimated_wait_range_s: (0, 0),
            no_counter: None,
        }
    }
}

/// A counter as displays show it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CounterView {
    pub id: String,
    pub state: CounterState,
    pub current: Option<TicketView>,
}

impl CounterView {
    pub fn of(state: &HallState, index: usize) -> CounterView {
        let rt = state.counter_at(index);
        CounterView {
            id: state.hall().counters[index].id.clone(),
            state: rt.state,
            current: rt.current.and_then(|id| TicketView::of(state, id)),
        }
    }
}

/// One service's queue at a glance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceQueue {
    pub service: String,
    /// Waiting tickets per class id, in the hall's class order.
    pub by_class: Vec<(String, usize)>,
    pub waiting: usize,
    pub oldest_issued_at: Option<Millis>,
    pub issued_today: u32,
}

impl ServiceQueue {
    pub fn all(state: &HallState) -> Vec<ServiceQueue> {
        state
            .hall()
            .services
            .iter()
            .map(|s| {
                let by_class: Vec<(String, usize)> = state
                    .waiting_by_class(&s.code)
                    .into_iter()
                    .map(|(c, n)| (c.to_owned(), n))
                    .collect();
                ServiceQueue {
                    service: s.code.clone(),
                    waiting: by_class.iter().map(|(_, n)| n).sum(),
                    by_class,
                    oldest_issued_at: state.oldest_waiting(&s.code),
                    issued_today: state.issued_today(&s.code),
                }
            })
            .collect()
    }
}

/// What publishers receive after a commit.
// `Event` is nearly every item; boxing it would cost an allocation per event
// to shrink the rare `QueueChanged`.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Published {
    /// One recorded event, with the ticket and counter as they stood right after it.
    Event {
        rec: Recorded,
        ticket: Option<TicketView>,
        counter: Option<CounterView>,
    },
    /// The waiting counts after a batch that changed them. `seq` is that of
    /// the batch's last event: derived, not recorded.
    QueueChanged {
        seq: u64,
        at: Millis,
        queues: Vec<ServiceQueue>,
    },
}

impl Published {
    pub(crate) fn event(state: &HallState, rec: Recorded) -> Published {
        let ticket = rec.event.ticket().and_then(|id| TicketView::of(state, id));
        let counter = rec
            .event
            .counter()
            .and_then(|c| state.hall().counter_index(c))
            .map(|i| CounterView::of(state, i));
        Published::Event {
            rec,
            ticket,
            counter,
        }
    }

    pub fn seq(&self) -> u64 {
        match self {
            Published::Event { rec, .. } => rec.seq,
            Published::QueueChanged { seq, .. } => *seq,
        }
    }
}

/// The whole hall at one sequence number: what a display starts from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snapshot {
    /// Every event up to and including this one is reflected.
    pub seq: u64,
    pub at: Millis,
    pub day: BusinessDay,
    pub counters: Vec<CounterView>,
    pub queues: Vec<ServiceQueue>,
    /// Newest first.
    pub recent_calls: Vec<TicketView>,
    /// Tickets waiting, called or being served right now.
    pub open_tickets: usize,
}

impl Snapshot {
    pub fn of(state: &HallState, at: Millis) -> Snapshot {
        Snapshot {
            seq: state.last_seq(),
            at,
            day: state.day(),
            counters: (0..state.hall().counters.len())
                .map(|i| CounterView::of(state, i))
                .collect(),
            queues: ServiceQueue::all(state),
            recent_calls: state
                .recent_calls()
                .filter_map(|t| TicketView::of(state, t.id))
                .collect(),
            open_tickets: state.tickets().filter(|t| t.state.is_open()).count(),
        }
    }
}
