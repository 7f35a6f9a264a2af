//! The live state of one business day: tickets, queues, counters.
//!
//! Two operations, kept apart on purpose:
//! - [`HallState::decide`] turns a [`Command`] into the events it would
//!   record, or a [`Rejection`]; it reads the state and changes nothing, so a
//!   refused command leaves no trace.
//! - [`HallState::apply`] changes the state by one recorded event. The engine
//!   applies what it decided; start-up replays the day's log through the same
//!   function, so the state after a restart is the state before it.
//!
//! # What must stay true
//! - A waiting ticket sits in exactly one queue: its (service, class) queue,
//!   or the direct queue of the counter it was transferred to. Called,
//!   serving and finished tickets sit in none, so no two counters can ever
//!   call the same ticket.
//! - A queue is ordered by (original issue time, id): transfers and requeues
//!   keep a ticket's place.
//! - Per service, `issued` only grows within a day, so numbers never repeat.
//! - Events change the state only through `apply`, which reports every
//!   change it makes ([`Changes`]): what the engine publishes and the store
//!   projects.
//!
//! # Layout
//! - this file: the state's fields and the queries on them;
//! - `decide`: commands other than counter actions into events;
//! - `counter`: counter actions into events, and which ticket a counter calls;
//! - `apply`: one recorded event into the state, reporting what it changed;
//! - `estimate`: the wait estimate, the glue around the dry run in `forecast`;
//! - `notify`: the text messages owed to applicants;
//! - `bookings`: appointments applicants book themselves (`/r`), their
//!   cancellation and the day-before reminder;
//! - `remote`: tickets taken from home: codes, quotas, arrival, holding,
//!   lapsing and deferral;
//! - `invariants`: self-checks and the replay fingerprint.

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::sync::Arc;

use crate::event::{CounterState, Event};
use crate::hall::Hall;
use crate::rectify::Rectification;
use crate::ticket::{QueueKey, Ticket, TicketId, TicketState, Transition};
use crate::time::{BusinessDay, Millis};

pub use crate::command::{Command, CounterAction, Decision, RatingOf, Rejection, TransferTarget};
pub use apply::{Changes, Outbox, Upload};
pub use estimate::{Estimate, NoCounter, SHORT_WAIT_S};
pub use invariants::Fingerprint;
pub use notify::{FIX_KIND, LinkFor, Placeholder, RATE_KIND, fill_placeholders, mask_phone};

mod apply;
mod bookings;
mod counter;
mod decide;
mod estimate;
mod invariants;
mod notify;
mod remote;

pub use bookings::{Booking, Reminder, id_last4, normalize_id_number};
pub use remote::{
    BookingDraft, CODE_KIND, NO_TICKET, RemoteRequest, arrival_digits, code_placeholder,
    normalize_phone,
};

/// Calls of a service remembered for its time per call.
const PER_CALL_SAMPLES: usize = 40;

/// Estimates kept from issue for the views of the same batch (a batch is at
/// most a few hundred commands).
const FRESH_ESTIMATES_MAX: usize = 1024;

/// How many recent calls the state remembers for wall displays.
pub const RECENT_CALLS: usize = 12;

/// An applicant's wish to be told, and what was already queued for them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subscription {
    pub phone: String,
    pub sent: BTreeSet<String>,
    pub ready: bool,
}

/// An appointment of the current business day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Appointment {
    pub code: String,
    pub service: String,
    pub slot_start: Millis,
    pub slot_end: Millis,
    pub name: Option<String>,
    /// Its ticket, once checked in.
    pub ticket: Option<TicketId>,
}

/// A counter's live state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CounterRuntime {
    pub state: CounterState,
    /// The called or serving ticket.
    pub current: Option<TicketId>,
    /// Priority-class calls in a row, for the `ratio` policy.
    pub streak: u32,
    /// The clerk working here, when their token names them; `None` once
    /// they sign out.
    pub staff: Option<String>,
    /// The clerk who last worked here, kept when they sign out: a counter
    /// they left paused or closed inside its hours is still theirs for the
    /// 脱岗/早退 alert, until another clerk signs in.
    pub last_staff: Option<String>,
    /// When its state last changed today (`None`: as the day started).
    pub since: Option<Millis>,
}

/// An event that does not fit the state: only a corrupt or foreign log.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("event {seq} ({kind}) does not apply: {why}")]
pub struct Inconsistent {
    pub seq: u64,
    pub kind: &'static str,
    pub why: String,
}

/// The state of one business day.
#[derive(Debug, Clone)]
pub struct HallState {
    hall: Arc<Hall>,
    day: BusinessDay,
    last_seq: u64,
    next_ticket_id: i64,
    tickets: HashMap<TicketId, Ticket>,
    /// Per service index: the last sequence number issued today.
    issued: Vec<u32>,
    /// `[service][class]` queues of waiting tickets.
    queues: Vec<Vec<BTreeSet<QueueKey>>>,
    /// Per counter index: tickets transferred to that counter.
    direct: Vec<BTreeSet<QueueKey>>,
    counters: Vec<CounterRuntime>,
    /// Per service index: how long its recent calls kept a counter (call
    /// to finish or no-show, ms), newest last.
    per_call: Vec<VecDeque<f64>>,
    recent_calls: VecDeque<TicketId>,
    /// Tickets issued per (service index, time slot) for slot quotas.
    slots: HashMap<(usize, u16), u32>,
    /// Today's appointments by code.
    appointments: HashMap<String, Appointment>,
    /// `[service][class]`: issue times of the last hour, for the arrival rate.
    arrivals: Vec<Vec<VecDeque<Millis>>>,
    /// The first ticket of the day, for the arrival rate early on.
    first_issue: Option<Millis>,
    /// Estimates made for tickets as they were issued, kept only while
    /// nothing happens that could change them: later ordinary tickets queue
    /// behind, anything else (a call, a green ticket) clears them. Saves
    /// the dry run for the views of a batch of new tickets.
    fresh_estimates: HashMap<TicketId, Estimate>,
    /// What the day taught the estimate: clerks' gaps, its own errors.
    learned: estimate::Learned,
    /// Time of the last applied event: "now" as far as the state knows.
    last_at: Millis,
    /// Tickets whose applicant wants messages.
    subscriptions: HashMap<TicketId, Subscription>,
    /// 差评 being put right, of any day until the fix is rated: loaded
    /// from the store at start, carried over at rollover.
    rectifications: BTreeMap<TicketId, Rectification>,
    /// Today's requests for remote tickets, by request id.
    remote_requests: HashMap<String, RemoteRequest>,
    /// Remote tickets: the phone that took each.
    remote_phones: HashMap<TicketId, String>,
    /// Remote tickets: wrong `phone_last4` given to check each in, so that
    /// guessing the 4 digits stops after a few tries.
    arrival_wrong: HashMap<TicketId, u32>,
}

impl HallState {
    /// An empty day. `last_seq` and `next_ticket_id` continue the log and the
    /// ticket ids of earlier days, so neither is ever reused.
    pub fn new(hall: Arc<Hall>, day: BusinessDay, last_seq: u64, next_ticket_id: i64) -> HallState {
        let services = hall.services.len();
        let classes = hall.classes.len();
        HallState {
            day,
            last_seq,
            next_ticket_id: next_ticket_id.max(1),
            tickets: HashMap::new(),
            issued: vec![0; services],
            queues: vec![vec![BTreeSet::new(); classes]; services],
            direct: vec![BTreeSet::new(); hall.counters.len()],
            counters: vec![
                CounterRuntime {
                    state: CounterState::Closed,
                    current: None,
                    streak: 0,
                    staff: None,
                    last_staff: None,
                    since: None,
                };
                hall.counters.len()
            ],
            per_call: vec![VecDeque::new(); services],
            recent_calls: VecDeque::new(),
            slots: HashMap::new(),
            appointments: HashMap::new(),
            arrivals: vec![vec![VecDeque::new(); classes]; services],
            first_issue: None,
            fresh_estimates: HashMap::new(),
            learned: estimate::Learned::default(),
            last_at: 0,
            subscriptions: HashMap::new(),
            rectifications: BTreeMap::new(),
            remote_requests: HashMap::new(),
            remote_phones: HashMap::new(),
            arrival_wrong: HashMap::new(),
            hall,
        }
    }

    /// The same hall on a new business day: numbering restarts, counters are
    /// closed, ids and sequence numbers continue.
    /// What ends with the business day: every ticket still waiting or
    /// called expires, recorded on this (the old) day. Pure, like decide.
    pub fn expiry(&self) -> Vec<Event> {
        let mut open: Vec<_> = self
            .tickets
            .values()
            .filter(|t| t.state.can(Transition::Expire))
            .map(|t| t.id)
            .collect();
        open.sort();
        open.into_iter()
            .map(|ticket| Event::TicketExpired { ticket })
            .collect()
    }

    pub fn next_day(&self, day: BusinessDay) -> HallState {
        let mut next = HallState::new(self.hall.clone(), day, self.last_seq, self.next_ticket_id);
        // Putting a 差评 right takes days: the items go on.
        next.rectifications = self.rectifications.clone();
        next
    }

    /// The 差评 items not yet closed, as the store has them (start-up,
    /// after today's events were replayed: the store's rows win).
    pub fn load_rectifications(&mut self, list: Vec<Rectification>) {
        for r in list {
            self.rectifications.insert(r.ticket, r);
        }
    }

    /// The item of a 差评, while it is open.
    pub fn rectification(&self, ticket: TicketId) -> Option<&Rectification> {
        self.rectifications.get(&ticket)
    }

    /// Every open item, by ticket id.
    pub fn rectifications(&self) -> impl Iterator<Item = &Rectification> {
        self.rectifications.values()
    }

    pub fn hall(&self) -> &Arc<Hall> {
        &self.hall
    }

    pub fn day(&self) -> BusinessDay {
        self.day
    }

    /// Time of the last applied event: "now" as far as the state knows.
    pub fn last_at(&self) -> Millis {
        self.last_at
    }

    /// Sequence number of the last applied event.
    pub fn last_seq(&self) -> u64 {
        self.last_seq
    }

    /// Continues numbering events after `seq`: for a log that holds events
    /// of a later day than this state's (the clock was set back).
    pub fn skip_seq_to(&mut self, seq: u64) {
        self.last_seq = self.last_seq.max(seq);
    }

    /// The runtime state of the counter at `index` in the hall's list.
    pub fn counter_at(&self, index: usize) -> &CounterRuntime {
        &self.counters[index]
    }

    pub fn ticket(&self, id: TicketId) -> Option<&Ticket> {
        self.tickets.get(&id)
    }

    pub fn tickets(&self) -> impl Iterator<Item = &Ticket> {
        self.tickets.values()
    }

    /// The runtime state of a counter, by id.
    pub fn counter(&self, id: &str) -> Option<&CounterRuntime> {
        self.hall.counter_index(id).map(|i| &self.counters[i])
    }

    /// Recent calls, newest first.
    pub fn recent_calls(&self) -> impl Iterator<Item = &Ticket> {
        self.recent_calls
            .iter()
            .rev()
            .filter_map(|id| self.tickets.get(id))
    }

    /// Waiting tickets of a service per class, in the hall's class order
    /// (tickets transferred straight to a counter are not counted here).
    pub fn waiting_by_class(&self, service: &str) -> Vec<(&str, usize)> {
        let Some(si) = self.hall.service_index(service) else {
            return vec![];
        };
        self.hall
            .classes
            .iter()
            .zip(&self.queues[si])
            .map(|(c, q)| (c.id.as_str(), q.len()))
            .collect()
    }

    /// Issue time of the longest-waiting ticket of a service.
    pub fn oldest_waiting(&self, service: &str) -> Option<Millis> {
        let si = self.hall.service_index(service)?;
        // A remote ticket not yet arrived is nobody waiting in the hall.
        self.queues[si]
            .iter()
            .filter_map(|q| self.head_of(q).map(|k| k.queued_at))
            .min()
    }

    /// Tickets issued today for a service.
    pub fn issued_today(&self, service: &str) -> u32 {
        self.hall
            .service_index(service)
            .map_or(0, |si| self.issued[si])
    }

    /// How many waiting tickets will be called before this one, as far as can
    /// be told now: heavier classes of its service, then its own class and
    /// equal weights by issue time. Zero once it is no longer waiting.
    pub fn ahead(&self, id: TicketId) -> u32 {
        let Some(t) = self.tickets.get(&id) else {
            return 0;
        };
        if !matches!(t.state, TicketState::Waiting | TicketState::Remote) {
            return 0;
        }
        let key = QueueKey::of(t);
        if let Some(ci) = t
            .target_counter
            .as_deref()
            .and_then(|c| self.hall.counter_index(c))
        {
            return count_before(&self.direct[ci], &key) as u32;
        }
        let Some(si) = self.hall.service_index(&t.service) else {
            return 0;
        };
        let weight = self.hall.weight(&t.class);
        let mut n = 0;
        for (class, queue) in self.hall.classes.iter().zip(&self.queues[si]) {
            n += match class.weight.cmp(&weight) {
                std::cmp::Ordering::Greater => queue.len(),
                std::cmp::Ordering::Equal => count_before(queue, &key),
                std::cmp::Ordering::Less => 0,
            };
        }
        n as u32
    }

    /// The first ticket of a queue that can be called: remote tickets whose
    /// applicant has not arrived keep their place but are passed over.
    fn head_of<'q>(&self, queue: &'q BTreeSet<QueueKey>) -> Option<&'q QueueKey> {
        queue.iter().find(|k| {
            self.tickets
                .get(&k.id)
                .is_none_or(|t| t.state != TicketState::Remote)
        })
    }

    /// Waiting tickets of a service (its queues, not direct transfers).
    fn waiting_in(&self, service: &str) -> usize {
        self.hall
            .service_index(service)
            .map_or(0, |si| self.queues[si].iter().map(BTreeSet::len).sum())
    }

    /// Loads the appointments booked for this business day (from earlier
    /// days' bookings); idempotent with the day's own replayed bookings.
    pub fn load_appointments(&mut self, list: Vec<Appointment>) {
        for a in list {
            let slot_day = crate::time::business_day(a.slot_start, &self.hall.tz);
            if slot_day == self.day {
                self.appointments.insert(a.code.clone(), a);
            }
        }
    }

    /// One of today's appointments.
    pub fn appointment(&self, code: &str) -> Option<&Appointment> {
        self.appointments.get(code)
    }

    /// Today's appointments, by slot.
    pub fn appointments(&self) -> Vec<&Appointment> {
        let mut list: Vec<&Appointment> = self.appointments.values().collect();
        list.sort_by_key(|a| (a.slot_start, a.code.clone()));
        list
    }
}

fn check(t: &Ticket, transition: Transition, action: &'static str) -> Result<(), Rejection> {
    if t.state.can(transition) {
        Ok(())
    } else {
        Err(Rejection::WrongState {
            number: t.number.clone(),
            state: t.state.as_str(),
            action,
        })
    }
}

/// How many keys of `set` sort before `key`. Constant time for the newest
/// key (a ticket just issued is the last of its queue), which is the hot
/// path; otherwise linear in the answer.
fn count_before(set: &BTreeSet<QueueKey>, key: &QueueKey) -> usize {
    match set.last() {
        Some(last) if last < key => set.len(),
        Some(last) if last == key => set.len() - 1,
        _ => set.range(..key).count(),
    }
}

#[cfg(test)]
mod tests;
