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

use std::collections::{BTreeSet, HashMap, VecDeque};
use std::sync::Arc;

use crate::event::{CounterState, Event, Recorded};
use crate::forecast;
use crate::hall::Hall;
use crate::hours::{self, Intake};
use crate::policy::{self, Head};
use crate::ticket::{Ticket, TicketId, TicketState, Transition};
use crate::time::{BusinessDay, Millis};

/// Calls of a service remembered for its time per call.
const PER_CALL_SAMPLES: usize = 40;
/// The configured average counts as this many calls at first, less with
/// each real call, and not at all after `PER_CALL_FADE` of them.
const PER_CALL_PRIOR: f64 = 3.0;
const PER_CALL_FADE: f64 = 10.0;

/// Arrivals are counted over this window for the arrival rate, and over at
/// least `ARRIVAL_WINDOW_MIN` early in the day.
const ARRIVAL_WINDOW: Millis = 60 * 60_000;
const ARRIVAL_WINDOW_MIN: Millis = 15 * 60_000;

/// The dry run that estimates a wait stops after this many calls; with
/// more tickets than `FORECAST_MAX_WAITING` waiting (far beyond a hall's
/// day) a count of tickets ahead replaces it, so a flood costs little.
const FORECAST_MAX_STEPS: usize = 4000;
const FORECAST_MAX_WAITING: usize = 1000;

/// Estimates kept from issue for the views of the same batch (a batch is at
/// most a few hundred commands).
const FRESH_ESTIMATES_MAX: usize = 1024;

/// How many recent calls the state remembers for wall displays.
pub const RECENT_CALLS: usize = 12;

/// A ticket's place: (queued at, order, after, id). `order` is its own id,
/// or for a ticket re-entered behind ticket X, X's id with `after` = 1, so
/// it sorts right after X even among tickets issued in the same millisecond.
use crate::forecast::QueueKey;

/// The queue key of a ticket.
fn key_of(t: &Ticket) -> QueueKey {
    match t.queued_behind {
        Some(x) => (t.queued_at, x.0, 1, t.id),
        None => (t.queued_at, t.id.0, 0, t.id),
    }
}

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

/// An applicant's wish to be told, and what was already queued for them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subscription {
    pub phone: String,
    pub sent: BTreeSet<String>,
    pub ready: bool,
}

/// `138****5678`: a phone number as logs and screens may show it.
pub fn mask_phone(phone: &str) -> String {
    let digits: Vec<char> = phone.chars().collect();
    if digits.len() <= 7 {
        return "*".repeat(digits.len());
    }
    let head: String = digits[..3].iter().collect();
    let tail: String = digits[digits.len() - 4..].iter().collect();
    format!("{head}{}{tail}", "*".repeat(digits.len() - 7))
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

/// What a command decided: the events to record and the ticket it is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    pub events: Vec<Event>,
    /// The ticket the caller asked about (issued, called, finished...), if any.
    pub subject: Option<TicketId>,
}

/// A counter's live state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CounterRuntime {
    pub state: CounterState,
    /// The called or serving ticket.
    pub current: Option<TicketId>,
    /// Priority-class calls in a row, for the `ratio` policy.
    pub streak: u32,
    /// The clerk working here, when their token names them.
    pub staff: Option<String>,
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
    fresh_estimates: HashMap<TicketId, u32>,
    /// Time of the last applied event: "now" as far as the state knows.
    last_at: Millis,
    /// Tickets whose applicant wants messages.
    subscriptions: HashMap<TicketId, Subscription>,
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
            last_at: 0,
            subscriptions: HashMap::new(),
            hall,
        }
    }

    /// The same hall on a new business day: numbering restarts, counters are
    /// closed, ids and sequence numbers continue.
    pub fn next_day(&self, day: BusinessDay) -> HallState {
        HallState::new(self.hall.clone(), day, self.last_seq, self.next_ticket_id)
    }

    pub fn hall(&self) -> &Arc<Hall> {
        &self.hall
    }

    pub fn day(&self) -> BusinessDay {
        self.day
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
        self.queues[si]
            .iter()
            .filter_map(|q| q.first().map(|k| k.0))
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
        if t.state != TicketState::Waiting {
            return 0;
        }
        let key = key_of(t);
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

    /// Estimated seconds until the ticket is called, as of the last event:
    /// a dry run of the hall ([`crate::forecast`]) with its counters, its
    /// policy, its breaks, the measured time per call and the recent
    /// arrivals. Zero for a ticket no longer waiting.
    pub fn estimated_wait_s(&self, id: TicketId) -> u32 {
        let Some(t) = self.tickets.get(&id) else {
            return 0;
        };
        if t.state != TicketState::Waiting {
            return 0;
        }
        let Some(si) = self.hall.service_index(&t.service) else {
            return 0;
        };
        // Just issued, and nothing since that could change it (the reply
        // to the kiosk, the event for the displays): the estimate made then.
        if let Some(&wait) = self.fresh_estimates.get(&id) {
            return wait;
        }
        let now = self.last_at;
        let waiting: usize = self
            .queues
            .iter()
            .flatten()
            .map(BTreeSet::len)
            .sum::<usize>()
            + self.direct.iter().map(BTreeSet::len).sum::<usize>();
        if waiting > FORECAST_MAX_WAITING {
            return self.rough_wait_s(t, si);
        }
        let plan = self.hall.schedule.day_at(now, &self.hall.tz);
        let per_call_ms: Vec<f64> = (0..self.hall.services.len())
            .map(|si| self.per_call_ms(si))
            .collect();
        let mut counters = self.working_counters(now, &per_call_ms);
        // Nobody works who could call it (before opening, everyone on a
        // break, its counter closed): its counters come when serving starts.
        let callers: Vec<usize> = match t
            .target_counter
            .as_deref()
            .and_then(|c| self.hall.counter_index(c))
        {
            Some(ci) => vec![ci],
            None => self
                .hall
                .counters_serving(&t.service)
                .filter_map(|c| self.hall.counter_index(&c.id))
                .collect(),
        };
        if callers.iter().all(|&ci| counters[ci].is_none()) {
            for &ci in &callers {
                counters[ci] = Some(forecast::Busy {
                    free_at: plan.resume_at(now),
                    streak: 0,
                });
            }
        }
        let placement = |ticket: TicketId| {
            let t = self.tickets.get(&ticket)?;
            Some((
                self.hall.service_index(&t.service)?,
                self.hall.class_index(&t.class)?,
            ))
        };
        let inputs = forecast::Inputs {
            hall: &self.hall,
            queues: &self.queues,
            direct: &self.direct,
            placement: &placement,
            counters,
            per_call_ms,
            arrival_every_ms: self.arrival_every_ms(now),
            plan,
            now,
        };
        match forecast::call_at(&inputs, id, FORECAST_MAX_STEPS) {
            forecast::Outcome::Called(at) | forecast::Outcome::Beyond(at) => {
                ((at - now).max(0) as f64 / 1000.0).round() as u32
            }
            forecast::Outcome::Never => self.rough_wait_s(t, si),
        }
    }

    /// Each counter's state for the dry run: `None` when closed or paused,
    /// else when it is next free (now when idle; when its current
    /// applicant is likely done, at least a quarter of a call away).
    fn working_counters(&self, now: Millis, per_call_ms: &[f64]) -> Vec<Option<forecast::Busy>> {
        self.counters
            .iter()
            .map(|rt| {
                let free_at = match rt.state {
                    CounterState::Closed | CounterState::Paused => return None,
                    CounterState::Idle => now,
                    CounterState::Calling | CounterState::Serving => rt
                        .current
                        .and_then(|c| self.tickets.get(&c))
                        .and_then(|c| {
                            let per_call = per_call_ms[self.hall.service_index(&c.service)?];
                            let done = c.called_at? + per_call as Millis;
                            Some(done.max(now + (per_call / 4.0) as Millis))
                        })
                        .unwrap_or(now),
                };
                Some(forecast::Busy {
                    free_at,
                    streak: rt.streak,
                })
            })
            .collect()
    }

    /// Per (service, class): ms between arrivals over the last hour (or
    /// since the day's first ticket, at least 15 minutes), `None` if none.
    fn arrival_every_ms(&self, now: Millis) -> Vec<Vec<Option<f64>>> {
        let window = ARRIVAL_WINDOW
            .min(now - self.first_issue.unwrap_or(now))
            .max(ARRIVAL_WINDOW_MIN) as f64;
        self.arrivals
            .iter()
            .map(|per_class| {
                per_class
                    .iter()
                    .map(|times| {
                        let recent = times
                            .iter()
                            .filter(|&&at| at > now - ARRIVAL_WINDOW)
                            .count();
                        (recent > 0).then(|| window / recent as f64)
                    })
                    .collect()
            })
            .collect()
    }

    /// How long a call of service `si` keeps a counter: the mean of its
    /// recent calls. The configured average stands in for the first few
    /// calls of the day, then fades out: a wrong setting must not bias the
    /// estimate all day.
    fn per_call_ms(&self, si: usize) -> f64 {
        let prior = f64::from(self.hall.services[si].avg_service_s) * 1000.0;
        let samples = &self.per_call[si];
        let n = samples.len() as f64;
        let prior_weight = (PER_CALL_PRIOR * (1.0 - n / PER_CALL_FADE)).max(0.0);
        (prior * prior_weight + samples.iter().sum::<f64>()) / (prior_weight + n).max(1.0)
    }

    /// The estimate without a dry run, for a queue far longer than a day
    /// or one no counter serves: every open counter that serves the service
    /// (at least one, once it opens) takes one ticket ahead per call.
    fn rough_wait_s(&self, t: &Ticket, si: usize) -> u32 {
        let open = self
            .hall
            .counters_serving(&t.service)
            .filter_map(|c| self.hall.counter_index(&c.id))
            .filter(|&ci| {
                !matches!(
                    self.counters[ci].state,
                    CounterState::Closed | CounterState::Paused
                )
            })
            .count()
            .max(1);
        let until_open = self
            .hall
            .schedule
            .until_serving(self.last_at, &self.hall.tz)
            .unwrap_or(0);
        let rounds = f64::from(self.ahead(t.id) / open as u32);
        ((until_open as f64 + rounds * self.per_call_ms(si)) / 1000.0).round() as u32
    }

    /// Decides what `cmd` records at `now`, or why it is refused. Pure.
    pub fn decide(&self, cmd: &Command, now: Millis) -> Result<Decision, Rejection> {
        match cmd {
            Command::Issue {
                service,
                class,
                source,
            } => self.decide_issue(service, class.as_deref(), source.as_deref(), now),
            Command::Counter { counter, action } => self.decide_counter(counter, action, now),
            Command::Reenter { ticket, by } => self.decide_reenter(*ticket, by, now),
            Command::Rate {
                counter,
                score,
                comment,
            } => self.decide_rate(counter, *score, comment.as_deref()),
            Command::Book {
                code,
                service,
                slot_start,
                name,
            } => self.decide_book(code, service, *slot_start, name.as_deref(), now),
            Command::CheckIn {
                code,
                service,
                source,
            } => self.decide_checkin(code, service.as_deref(), source.as_deref(), now),
            Command::Return { ticket, earlier } => self.decide_return(*ticket, earlier.as_deref()),
            Command::Subscribe { ticket, phone } => {
                let t = self
                    .tickets
                    .get(ticket)
                    .ok_or(Rejection::UnknownTicket(*ticket))?;
                if !t.state.is_open() && t.state != TicketState::Suspended {
                    return Err(Rejection::WrongState {
                        number: t.number.clone(),
                        state: t.state.as_str(),
                        action: "followed by text message",
                    });
                }
                let digits: String = phone.chars().filter(|c| !matches!(c, ' ' | '-')).collect();
                let valid = (6..=20).contains(&digits.len())
                    && digits
                        .trim_start_matches('+')
                        .chars()
                        .all(|c| c.is_ascii_digit());
                if !valid {
                    return Err(Rejection::BadInput("a phone number is 6-20 digits".into()));
                }
                let events = vec![Event::NotifyRequested {
                    ticket: t.id,
                    phone: digits,
                }];
                Ok(Decision {
                    events,
                    subject: Some(t.id),
                })
            }
            Command::MarkReady { ticket, by } => {
                let t = self
                    .tickets
                    .get(ticket)
                    .ok_or(Rejection::UnknownTicket(*ticket))?;
                if t.state != TicketState::Done {
                    return Err(Rejection::WrongState {
                        number: t.number.clone(),
                        state: t.state.as_str(),
                        action: "marked ready (only a served ticket's certificate can be)",
                    });
                }
                let events = vec![Event::TicketReady {
                    ticket: t.id,
                    by: by.clone(),
                }];
                Ok(Decision {
                    events,
                    subject: Some(t.id),
                })
            }
            // Recorded whatever day queued it: the outbox table, not today's
            // state, is what the sender reads.
            Command::Delivered { id } => Ok(Decision {
                events: vec![Event::NotificationDelivered { id: *id }],
                subject: None,
            }),
            Command::Cancel { ticket } => {
                let t = self
                    .tickets
                    .get(ticket)
                    .ok_or(Rejection::UnknownTicket(*ticket))?;
                check(t, Transition::Cancel, "cancelled")?;
                Ok(Decision {
                    events: vec![Event::TicketCancelled { ticket: t.id }],
                    subject: Some(t.id),
                })
            }
        }
    }

    fn decide_issue(
        &self,
        service: &str,
        class: Option<&str>,
        source: Option<&str>,
        now: Millis,
    ) -> Result<Decision, Rejection> {
        let svc = self
            .hall
            .service(service)
            .ok_or_else(|| Rejection::UnknownService(service.into()))?;
        let class = class.unwrap_or(&self.hall.default_class);
        if self.hall.class(class).is_none() {
            return Err(Rejection::UnknownClass(class.into()));
        }
        if let Some(source) = source {
            let ok = (1..=64).contains(&source.len()) && !source.chars().any(char::is_control);
            if !ok {
                return Err(Rejection::BadInput(
                    "`source` must be 1-64 printable characters naming the kiosk".into(),
                ));
            }
        }
        let closed = |why: String| Rejection::ServiceClosed {
            service: service.into(),
            why,
        };
        match self.hall.intake(service, now) {
            Intake::Open { .. } => {}
            Intake::NotYetOpen { opens_at } => {
                return Err(closed(format!(
                    "it opens at {} today",
                    hours::clock(opens_at)
                )));
            }
            Intake::PastCutoff { cutoff_at } => {
                return Err(closed(format!(
                    "new tickets stop at {} ({} minutes before closing); please come back on the next working day",
                    hours::clock(cutoff_at),
                    self.hall.schedule_of(service).cutoff_minutes
                )));
            }
            Intake::ClosedToday => {
                return Err(closed(
                    "it is closed today; please come back on the next working day".into(),
                ));
            }
        }
        let si = self.hall.service_index(service).unwrap_or_default();
        if let Some(q) = self.hall.quota(service) {
            let slot = hours::local_minute(now, &self.hall.tz) / q.minutes.max(1);
            if self.slots.get(&(si, slot)).copied().unwrap_or(0) >= q.cap {
                let next = ((slot + 1) * q.minutes.max(1)).min(1440);
                return Err(Rejection::SlotFull {
                    service: service.into(),
                    cap: q.cap,
                    next: hours::clock(next),
                });
            }
        }
        let issued = self.issued[si];
        if let Some(cap) = svc.daily_cap
            && issued >= cap
        {
            return Err(Rejection::ServiceFull {
                service: service.into(),
                cap,
            });
        }
        let seq_no = issued + 1;
        let ticket = TicketId(self.next_ticket_id);
        let event = Event::TicketIssued {
            ticket,
            service: service.into(),
            class: class.into(),
            seq_no,
            number: self.hall.format_number(svc, class, seq_no),
            source: source.map(str::to_owned),
        };
        Ok(Decision {
            events: vec![event],
            subject: Some(ticket),
        })
    }

    fn decide_counter(
        &self,
        counter: &str,
        action: &CounterAction,
        now: Millis,
    ) -> Result<Decision, Rejection> {
        let ci = self
            .hall
            .counter_index(counter)
            .ok_or_else(|| Rejection::UnknownCounter(counter.into()))?;
        let rt = &self.counters[ci];
        let current = rt.current.and_then(|id| self.tickets.get(&id));
        let mut events = Vec::new();
        let set_state = |events: &mut Vec<Event>, state: CounterState| {
            if rt.state != state {
                events.push(Event::CounterStateChanged {
                    counter: counter.into(),
                    state,
                });
            }
        };
        let need_current = || {
            current.ok_or_else(|| Rejection::NoCurrentTicket {
                counter: counter.into(),
            })
        };
        let subject = match action {
            CounterAction::CallNext => {
                // A clerk pressing "next" is working: finish what they had,
                // and open or resume the counter if needed.
                if let Some(cur) = current {
                    events.push(Event::TicketDone {
                        ticket: cur.id,
                        counter: counter.into(),
                        rating: None,
                    });
                }
                let pick = self.pick_for(ci, now);
                match pick {
                    Some(ticket) => {
                        events.push(Event::TicketCalled {
                            ticket,
                            counter: counter.into(),
                        });
                        set_state(&mut events, CounterState::Calling);
                    }
                    None => set_state(&mut events, CounterState::Idle),
                }
                pick
            }
            CounterAction::Recall => {
                let t = need_current()?;
                check(t, Transition::Recall, "recalled")?;
                if t.recalls >= self.hall.recall_limit {
                    events.push(Event::TicketNoShow {
                        ticket: t.id,
                        counter: counter.into(),
                    });
                    set_state(&mut events, CounterState::Idle);
                } else {
                    events.push(Event::TicketRecalled {
                        ticket: t.id,
                        counter: counter.into(),
                        recalls: t.recalls + 1,
                    });
                }
                Some(t.id)
            }
            CounterAction::NoShow => {
                let t = need_current()?;
                check(t, Transition::NoShow, "marked no-show")?;
                events.push(Event::TicketNoShow {
                    ticket: t.id,
                    counter: counter.into(),
                });
                set_state(&mut events, CounterState::Idle);
                Some(t.id)
            }
            CounterAction::Requeue => {
                let t = need_current()?;
                check(t, Transition::Requeue, "put back in the queue")?;
                events.push(Event::TicketRequeued {
                    ticket: t.id,
                    counter: counter.into(),
                });
                set_state(&mut events, CounterState::Idle);
                Some(t.id)
            }
            CounterAction::Start => {
                let t = need_current()?;
                check(t, Transition::Start, "started")?;
                events.push(Event::TicketStarted {
                    ticket: t.id,
                    counter: counter.into(),
                });
                set_state(&mut events, CounterState::Serving);
                Some(t.id)
            }
            CounterAction::Finish { rating } => {
                if let Some(r) = *rating
                    && !(1..=5).contains(&r)
                {
                    return Err(Rejection::BadRating(r));
                }
                let t = need_current()?;
                check(t, Transition::Finish, "finished")?;
                events.push(Event::TicketDone {
                    ticket: t.id,
                    counter: counter.into(),
                    rating: *rating,
                });
                set_state(&mut events, CounterState::Idle);
                Some(t.id)
            }
            CounterAction::Transfer(target) => {
                // Validate the target before looking at the current ticket, so
                // a typo is reported as such.
                let (to_service, to_counter) = match target {
                    TransferTarget::Service(s) => {
                        self.hall
                            .service(s)
                            .ok_or_else(|| Rejection::UnknownService(s.clone()))?;
                        (s.clone(), None)
                    }
                    TransferTarget::Counter(c) => {
                        self.hall
                            .counter(c)
                            .ok_or_else(|| Rejection::UnknownCounter(c.clone()))?;
                        (String::new(), Some(c.clone()))
                    }
                };
                let t = need_current()?;
                check(t, Transition::Transfer, "transferred")?;
                let to_service = if to_service.is_empty() {
                    t.service.clone()
                } else {
                    to_service
                };
                if to_counter.is_none() && to_service == t.service {
                    return Err(Rejection::TransferToSame {
                        number: t.number.clone(),
                        service: to_service,
                    });
                }
                events.push(Event::TicketTransferred {
                    ticket: t.id,
                    from_counter: Some(counter.into()),
                    to_service,
                    to_counter,
                });
                set_state(&mut events, CounterState::Idle);
                Some(t.id)
            }
            CounterAction::Suspend { missing } => {
                let t = need_current()?;
                check(t, Transition::Suspend, "suspended")?;
                let missing: Vec<String> = missing
                    .iter()
                    .map(|m| m.trim().to_owned())
                    .filter(|m| !m.is_empty())
                    .collect();
                if missing.is_empty() || missing.len() > 30 {
                    return Err(Rejection::BadInput(
                        "list 1 to 30 missing materials, so the applicant knows what to bring"
                            .into(),
                    ));
                }
                events.push(Event::TicketSuspended {
                    ticket: t.id,
                    counter: counter.into(),
                    missing,
                });
                set_state(&mut events, CounterState::Idle);
                Some(t.id)
            }
            CounterAction::Pause => {
                if rt.state == CounterState::Closed {
                    return Err(Rejection::CounterClosed(counter.into()));
                }
                if let Some(t) = current {
                    return Err(Rejection::CounterBusy {
                        counter: counter.into(),
                        number: t.number.clone(),
                    });
                }
                set_state(&mut events, CounterState::Paused);
                None
            }
            CounterAction::Resume => {
                if rt.state == CounterState::Paused {
                    set_state(&mut events, CounterState::Idle);
                } else if rt.state == CounterState::Closed {
                    return Err(Rejection::CounterClosed(counter.into()));
                }
                None
            }
            CounterAction::SignIn { staff } => {
                let valid = (1..=64).contains(&staff.chars().count())
                    && !staff.chars().any(char::is_control);
                if !valid {
                    return Err(Rejection::BadInput(
                        "a staff name is 1-64 printable characters".into(),
                    ));
                }
                if rt.staff.as_deref() != Some(staff.as_str()) {
                    events.push(Event::CounterStaff {
                        counter: counter.into(),
                        staff: staff.clone(),
                    });
                }
                None
            }
            CounterAction::Open => {
                if rt.state == CounterState::Closed {
                    set_state(&mut events, CounterState::Idle);
                }
                None
            }
            CounterAction::Close { override_by } => {
                if let Some(t) = current {
                    return Err(Rejection::CounterBusy {
                        counter: counter.into(),
                        number: t.number.clone(),
                    });
                }
                if rt.state != CounterState::Closed {
                    // Everyone who took a ticket is served: the last open
                    // counter of a service with people waiting stays open.
                    let orphaned = self.hall.counters[ci].services.iter().find_map(|s| {
                        let waiting = self.waiting_in(s);
                        let others = self.hall.counters_serving(s).any(|c| {
                            c.id != counter
                                && self
                                    .counter(&c.id)
                                    .is_some_and(|r| r.state != CounterState::Closed)
                        });
                        (waiting > 0 && !others).then(|| (s.clone(), waiting))
                    });
                    if let Some((service, waiting)) = orphaned {
                        match override_by {
                            None => {
                                return Err(Rejection::LastCounter { counter: counter.into(), service, waiting });
                            }
                            Some(by) => events.push(Event::Audit {
                                action: "close_override".into(),
                                by: by.clone(),
                                detail: format!("closed with {waiting} waiting for service {service} and no other counter open"),
                                counter: Some(counter.into()),
                                ticket: None,
                            }),
                        }
                    }
                }
                set_state(&mut events, CounterState::Closed);
                None
            }
        };
        Ok(Decision { events, subject })
    }

    /// Waiting tickets of a service (its queues, not direct transfers).
    fn waiting_in(&self, service: &str) -> usize {
        self.hall
            .service_index(service)
            .map_or(0, |si| self.queues[si].iter().map(BTreeSet::len).sum())
    }

    fn decide_book(
        &self,
        code: &str,
        service: &str,
        slot_start: Millis,
        name: Option<&str>,
        now: Millis,
    ) -> Result<Decision, Rejection> {
        self.hall
            .service(service)
            .ok_or_else(|| Rejection::UnknownService(service.into()))?;
        let valid_code =
            (4..=12).contains(&code.len()) && code.bytes().all(|b| b.is_ascii_alphanumeric());
        if !valid_code {
            return Err(Rejection::BadInput(
                "an appointment code is 4-12 letters or digits".into(),
            ));
        }
        if name.is_some_and(|n| n.chars().count() > 64) {
            return Err(Rejection::BadInput(
                "a name is at most 64 characters".into(),
            ));
        }
        if slot_start < now {
            return Err(Rejection::BadInput(
                "the slot has already started; book a later one".into(),
            ));
        }
        // The slot must lie where counters serve (when hours are enforced).
        let serving = self
            .hall
            .schedule_of(service)
            .serving(slot_start, &self.hall.tz);
        if self.hall.hours_enforced && !serving {
            return Err(Rejection::ServiceClosed {
                service: service.into(),
                why: "that slot is outside its hours; choose another time".into(),
            });
        }
        if crate::time::business_day(slot_start, &self.hall.tz) == self.day
            && self.appointments.contains_key(code)
        {
            return Err(Rejection::CodeTaken(code.into()));
        }
        let event = Event::AppointmentBooked {
            code: code.into(),
            service: service.into(),
            slot_start,
            slot_end: slot_start + self.hall.appointments.slot_ms,
            name: name.map(str::to_owned),
        };
        Ok(Decision {
            events: vec![event],
            subject: None,
        })
    }

    fn decide_checkin(
        &self,
        code: &str,
        service: Option<&str>,
        source: Option<&str>,
        now: Millis,
    ) -> Result<Decision, Rejection> {
        let a = self
            .appointments
            .get(code)
            .ok_or_else(|| Rejection::UnknownAppointment(code.into()))?;
        let window = |why: String| Rejection::AppointmentWindow {
            code: code.into(),
            why,
        };
        if let Some(t) = a.ticket.and_then(|id| self.tickets.get(&id)) {
            return Err(window(format!(
                "it is already checked in, as ticket {}",
                t.number
            )));
        }
        if service.is_some_and(|s| s != a.service) {
            return Err(Rejection::BadInput(format!(
                "appointment {code} is for service `{}`, not `{}`",
                a.service,
                service.unwrap_or_default()
            )));
        }
        let rules = &self.hall.appointments;
        let clock = |at: Millis| hours::clock(hours::local_minute(at, &self.hall.tz));
        if now < a.slot_start - rules.early_ms {
            return Err(window(format!(
                "check-in opens at {}",
                clock(a.slot_start - rules.early_ms)
            )));
        }
        let late = now > a.slot_end + rules.late_ms;
        if late && !rules.late_as_normal {
            return Err(window(format!(
                "check-in closed at {}; please take an ordinary ticket",
                clock(a.slot_end + rules.late_ms)
            )));
        }
        // Late: an ordinary ticket, queued from now. In time: the
        // appointment class, queued at the slot's start.
        let (class, queued_at) = if late {
            (None, now)
        } else {
            (Some(rules.class.as_str()), a.slot_start)
        };
        let mut decision = self.decide_issue(&a.service, class, source, now)?;
        let ticket = decision
            .subject
            .ok_or_else(|| Rejection::BadInput("no ticket".into()))?;
        decision.events.push(Event::AppointmentCheckedIn {
            code: code.into(),
            ticket,
            queued_at,
        });
        Ok(decision)
    }

    fn decide_return(&self, id: TicketId, earlier: Option<&Ticket>) -> Result<Decision, Rejection> {
        let t = self
            .tickets
            .get(&id)
            .or(earlier)
            .ok_or(Rejection::UnknownTicket(id))?;
        check(t, Transition::Return, "taken back into the queue")?;
        let days = t
            .day
            .until(self.day)
            .map_or(i64::MAX, |span| i64::from(span.get_days()));
        if days > i64::from(self.hall.suspend_days) {
            return Err(Rejection::ReentryRefused {
                number: t.number.clone(),
                why: format!(
                    "it was set aside {days} days ago and may return within {} days; please take a new ticket",
                    self.hall.suspend_days
                ),
            });
        }
        let event = Event::TicketReturned {
            ticket: t.id,
            service: t.service.clone(),
            class: t.class.clone(),
            seq_no: t.seq_no,
            number: t.number.clone(),
            issued_day: t.day,
            issued_at: t.issued_at,
        };
        Ok(Decision {
            events: vec![event],
            subject: Some(t.id),
        })
    }

    /// The messages now owed to applicants who left a phone number: their
    /// ticket is near the front, called, suspended, or ready. Each kind is
    /// queued once per ticket; the engine records them in the same batch as
    /// what made them due.
    pub fn notifications_due(&self) -> Vec<Event> {
        let hall = &self.hall.name.zh;
        let mut ids: Vec<&TicketId> = self.subscriptions.keys().collect();
        ids.sort();
        let mut due = Vec::new();
        for id in ids {
            let (Some(sub), Some(t)) = (self.subscriptions.get(id), self.tickets.get(id)) else {
                continue;
            };
            let counter = t
                .counter
                .as_deref()
                .and_then(|c| self.hall.counter(c))
                .map_or(String::new(), |c| c.name.zh.clone());
            let wanted: Option<(&str, String)> = match t.state {
                TicketState::Called => Some((
                    "called",
                    format!("【{hall}】请 {} 号到 {counter} 办理。", t.number),
                )),
                // Runs after every batch: skip the count once "near" went out.
                TicketState::Waiting if !sub.sent.contains("near") => {
                    let ahead = self.ahead(t.id);
                    (ahead <= self.hall.notify_ahead).then(|| {
                        (
                            "near",
                            format!(
                                "【{hall}】您的 {} 号前面还有 {ahead} 人，请回到大厅等候叫号。",
                                t.number
                            ),
                        )
                    })
                }
                TicketState::Suspended => Some((
                    "suspended",
                    format!(
                        "【{hall}】{} 号材料尚未齐全，请按一次性告知单补齐后凭原号返回，无需重新排队。",
                        t.number
                    ),
                )),
                TicketState::Done if sub.ready => Some((
                    "ready",
                    format!(
                        "【{hall}】{} 号办理的证件已制作完成，请到 {counter} 领取。",
                        t.number
                    ),
                )),
                _ => None,
            };
            if let Some((kind, message)) = wanted
                && !sub.sent.contains(kind)
            {
                due.push(Event::NotificationQueued {
                    ticket: t.id,
                    kind: kind.into(),
                    phone: sub.phone.clone(),
                    message,
                });
            }
        }
        due
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

    fn decide_rate(
        &self,
        counter: &str,
        score: u8,
        comment: Option<&str>,
    ) -> Result<Decision, Rejection> {
        if self.hall.counter(counter).is_none() {
            return Err(Rejection::UnknownCounter(counter.into()));
        }
        if !(1..=5).contains(&score) {
            return Err(Rejection::BadRating(score));
        }
        if comment.is_some_and(|c| {
            c.chars().count() > 500 || c.chars().any(|ch| ch.is_control() && ch != '\n')
        }) {
            return Err(Rejection::BadInput(
                "a comment is at most 500 printable characters".into(),
            ));
        }
        // The ticket this counter finished last, if nobody rated it yet.
        let last = self
            .tickets
            .values()
            .filter(|t| t.state == TicketState::Done && t.counter.as_deref() == Some(counter))
            .max_by_key(|t| (t.finished_at, t.id))
            .filter(|t| t.rating.is_none())
            .ok_or_else(|| Rejection::NothingToRate(counter.into()))?;
        let event = Event::TicketRated {
            ticket: last.id,
            score,
            comment: comment.map(str::to_owned),
        };
        Ok(Decision {
            events: vec![event],
            subject: Some(last.id),
        })
    }

    fn decide_reenter(&self, id: TicketId, by: &str, now: Millis) -> Result<Decision, Rejection> {
        let t = self.tickets.get(&id).ok_or(Rejection::UnknownTicket(id))?;
        let refuse = |why: String| Rejection::ReentryRefused {
            number: t.number.clone(),
            why,
        };
        if !t.state.can(Transition::Reenter) {
            return Err(refuse(format!("it is {}, not a no-show", t.state.as_str())));
        }
        let window = self.hall.reentry.window_ms;
        if window == 0 {
            return Err(refuse(
                "this hall does not let no-shows back in; please take a new ticket".into(),
            ));
        }
        if now - t.finished_at.unwrap_or(now) > window {
            return Err(refuse(format!(
                "it was marked no-show more than {} minutes ago; please take a new ticket",
                window / 60_000
            )));
        }
        // Behind the next `behind` tickets of its own queue as it stands
        // now (or at its end when fewer wait).
        let behind = self.hall.reentry.behind;
        let queue = self
            .hall
            .service_index(&t.service)
            .zip(self.hall.class_index(&t.class))
            .map(|(si, ci)| &self.queues[si][ci]);
        let (queued_at, after) = match queue {
            Some(q) if behind == 0 => (q.first().map_or(now, |k| k.0 - 1), None),
            Some(q) => match q.iter().nth(behind - 1).or(q.last()) {
                Some(&(at, _, _, x)) => (at, Some(x)),
                None => (now, None),
            },
            None => (now, None),
        };
        let events = vec![
            Event::TicketReentered {
                ticket: id,
                queued_at,
                behind: after,
                by: by.to_owned(),
            },
            Event::Audit {
                action: "reenter".into(),
                by: by.to_owned(),
                detail: format!(
                    "no-show {} back in the queue behind the next {behind} waiting",
                    t.number
                ),
                counter: None,
                ticket: Some(id),
            },
        ];
        Ok(Decision {
            events,
            subject: Some(id),
        })
    }

    /// The ticket counter `ci` would call now.
    fn pick_for(&self, ci: usize, now: Millis) -> Option<TicketId> {
        let def = &self.hall.counters[ci];
        let mut heads = Vec::new();
        for (preference, code) in def.services.iter().enumerate() {
            let Some(si) = self.hall.service_index(code) else {
                continue;
            };
            for (class, queue) in self.hall.classes.iter().zip(&self.queues[si]) {
                if let Some(&(queued_at, _, _, ticket)) = queue.first() {
                    heads.push(Head {
                        ticket,
                        queued_at,
                        weight: class.weight,
                        priority: self.hall.is_priority(&class.id),
                        preference,
                    });
                }
            }
        }
        let direct = self.direct[ci].first().map(|&(queued_at, _, _, ticket)| {
            let class = self.tickets.get(&ticket).map_or("", |t| t.class.as_str());
            Head {
                ticket,
                queued_at,
                weight: self.hall.weight(class),
                priority: self.hall.is_priority(class),
                preference: 0,
            }
        });
        policy::select(
            &self.hall.policy,
            self.counters[ci].streak,
            direct,
            &heads,
            now,
        )
    }

    /// Applies one recorded event. Events decided on this state always
    /// apply; an error means the log does not belong to this state.
    pub fn apply(&mut self, rec: &Recorded) -> Result<(), Inconsistent> {
        let fail = |why: String| Inconsistent {
            seq: rec.seq,
            kind: rec.event.kind(),
            why,
        };
        if rec.seq <= self.last_seq {
            return Err(fail(format!("sequence number not after {}", self.last_seq)));
        }
        let at = rec.at;
        // "Now" moves first, so an estimate made while applying (a new
        // ticket's) is made at the event's own time.
        self.last_at = self.last_at.max(at);
        let behind_the_rest = match &rec.event {
            Event::TicketIssued { class, .. } => !self.hall.is_priority(class),
            _ => false,
        };
        if !behind_the_rest && !self.fresh_estimates.is_empty() {
            self.fresh_estimates.clear();
        }
        match &rec.event {
            Event::TicketIssued {
                ticket,
                service,
                class,
                seq_no,
                number,
                source,
            } => {
                if self.tickets.contains_key(ticket) {
                    return Err(fail(format!("ticket {ticket} already exists")));
                }
                if let Some(si) = self.hall.service_index(service) {
                    self.issued[si] = self.issued[si].max(*seq_no);
                }
                self.next_ticket_id = self.next_ticket_id.max(ticket.0 + 1);
                self.tickets.insert(
                    *ticket,
                    Ticket {
                        id: *ticket,
                        day: self.day,
                        service: service.clone(),
                        class: class.clone(),
                        seq_no: *seq_no,
                        number: number.clone(),
                        state: TicketState::Waiting,
                        issued_at: at,
                        queued_at: at,
                        queued_behind: None,
                        predicted_wait_s: None,
                        called_at: None,
                        started_at: None,
                        finished_at: None,
                        served_by: None,
                        counter: None,
                        target_counter: None,
                        recalls: 0,
                        source: source.clone(),
                        rating: None,
                    },
                );
                self.enqueue(*ticket);
                if let (Some(si), Some(ci)) = (
                    self.hall.service_index(service),
                    self.hall.class_index(class),
                ) {
                    let times = &mut self.arrivals[si][ci];
                    times.push_back(at);
                    while times.front().is_some_and(|&t| t <= at - ARRIVAL_WINDOW) {
                        times.pop_front();
                    }
                }
                self.first_issue.get_or_insert(at);
                let predicted = self.estimated_wait_s(*ticket);
                if let Some(t) = self.tickets.get_mut(ticket) {
                    t.predicted_wait_s = Some(predicted);
                }
                if self.fresh_estimates.len() >= FRESH_ESTIMATES_MAX {
                    // A flood of tickets with no call in between: keep the
                    // cache small, the newest are the ones still asked for.
                    self.fresh_estimates.clear();
                }
                self.fresh_estimates.insert(*ticket, predicted);
                if let (Some(si), Some(q)) =
                    (self.hall.service_index(service), self.hall.quota(service))
                {
                    let slot = hours::local_minute(at, &self.hall.tz) / q.minutes.max(1);
                    *self.slots.entry((si, slot)).or_default() += 1;
                }
            }
            Event::TicketCalled { ticket, counter } => {
                let ci = self.counter_ix(counter).map_err(&fail)?;
                self.dequeue(*ticket);
                let t = self
                    .tickets
                    .get_mut(ticket)
                    .ok_or_else(|| fail(format!("no ticket {ticket}")))?;
                t.state = TicketState::Called;
                t.called_at = Some(at);
                t.counter = Some(counter.clone());
                t.served_by = self
                    .hall
                    .counter_index(counter)
                    .and_then(|ci| self.counters[ci].staff.clone());
                t.target_counter = None;
                t.recalls = 0;
                let priority = self.hall.is_priority(&t.class);
                let rt = &mut self.counters[ci];
                rt.current = Some(*ticket);
                rt.streak = if priority { rt.streak + 1 } else { 0 };
                self.remember_call(*ticket);
            }
            Event::TicketRecalled {
                ticket, recalls, ..
            } => {
                let t = self
                    .tickets
                    .get_mut(ticket)
                    .ok_or_else(|| fail(format!("no ticket {ticket}")))?;
                t.recalls = *recalls;
                self.remember_call(*ticket);
            }
            Event::TicketRequeued { ticket, counter } => {
                self.release(counter, *ticket);
                let t = self
                    .tickets
                    .get_mut(ticket)
                    .ok_or_else(|| fail(format!("no ticket {ticket}")))?;
                t.state = TicketState::Waiting;
                t.counter = None;
                t.called_at = None;
                t.recalls = 0;
                self.enqueue(*ticket);
            }
            Event::TicketStarted { ticket, .. } => {
                let t = self
                    .tickets
                    .get_mut(ticket)
                    .ok_or_else(|| fail(format!("no ticket {ticket}")))?;
                t.state = TicketState::Serving;
                t.started_at = Some(at);
            }
            Event::TicketDone {
                ticket,
                counter,
                rating,
            } => {
                self.release(counter, *ticket);
                let t = self
                    .tickets
                    .get_mut(ticket)
                    .ok_or_else(|| fail(format!("no ticket {ticket}")))?;
                t.state = TicketState::Done;
                t.finished_at = Some(at);
                t.rating = *rating;
                let called = t.called_at.unwrap_or(at);
                let service = t.service.clone();
                self.record_per_call(&service, at - called);
            }
            Event::TicketNoShow { ticket, counter } => {
                self.release(counter, *ticket);
                let t = self
                    .tickets
                    .get_mut(ticket)
                    .ok_or_else(|| fail(format!("no ticket {ticket}")))?;
                t.state = TicketState::NoShow;
                t.finished_at = Some(at);
                let called = t.called_at.unwrap_or(at);
                let service = t.service.clone();
                self.record_per_call(&service, at - called);
            }
            Event::TicketTransferred {
                ticket,
                from_counter,
                to_service,
                to_counter,
            } => {
                self.dequeue(*ticket);
                if let Some(c) = from_counter {
                    self.release(c, *ticket);
                }
                let t = self
                    .tickets
                    .get_mut(ticket)
                    .ok_or_else(|| fail(format!("no ticket {ticket}")))?;
                t.state = TicketState::Waiting;
                t.service = to_service.clone();
                t.target_counter = to_counter.clone();
                t.counter = None;
                t.called_at = None;
                t.started_at = None;
                t.recalls = 0;
                self.enqueue(*ticket);
            }
            Event::TicketCancelled { ticket } => {
                self.dequeue(*ticket);
                let t = self
                    .tickets
                    .get_mut(ticket)
                    .ok_or_else(|| fail(format!("no ticket {ticket}")))?;
                t.state = TicketState::Cancelled;
                t.finished_at = Some(at);
            }
            Event::TicketReentered {
                ticket,
                queued_at,
                behind,
                ..
            } => {
                let t = self
                    .tickets
                    .get_mut(ticket)
                    .ok_or_else(|| fail(format!("no ticket {ticket}")))?;
                t.state = TicketState::Waiting;
                t.queued_at = *queued_at;
                t.queued_behind = *behind;
                t.counter = None;
                t.called_at = None;
                t.finished_at = None;
                t.recalls = 0;
                self.enqueue(*ticket);
            }
            Event::TicketRated { ticket, score, .. } => {
                let t = self
                    .tickets
                    .get_mut(ticket)
                    .ok_or_else(|| fail(format!("no ticket {ticket}")))?;
                t.rating = Some(*score);
            }
            Event::AppointmentBooked {
                code,
                service,
                slot_start,
                slot_end,
                name,
            } => {
                if crate::time::business_day(*slot_start, &self.hall.tz) == self.day {
                    let a = Appointment {
                        code: code.clone(),
                        service: service.clone(),
                        slot_start: *slot_start,
                        slot_end: *slot_end,
                        name: name.clone(),
                        ticket: None,
                    };
                    self.appointments.insert(code.clone(), a);
                }
            }
            Event::AppointmentCheckedIn {
                code,
                ticket,
                queued_at,
            } => {
                self.dequeue(*ticket);
                let t = self
                    .tickets
                    .get_mut(ticket)
                    .ok_or_else(|| fail(format!("no ticket {ticket}")))?;
                t.queued_at = *queued_at;
                self.enqueue(*ticket);
                if let Some(a) = self.appointments.get_mut(code) {
                    a.ticket = Some(*ticket);
                }
            }
            Event::TicketSuspended {
                ticket, counter, ..
            } => {
                self.release(counter, *ticket);
                let t = self
                    .tickets
                    .get_mut(ticket)
                    .ok_or_else(|| fail(format!("no ticket {ticket}")))?;
                t.state = TicketState::Suspended;
                t.counter = Some(counter.clone());
                t.finished_at = Some(at);
            }
            Event::TicketReturned {
                ticket,
                service,
                class,
                seq_no,
                number,
                issued_day,
                issued_at,
            } => {
                // From an earlier day: rebuild it here from the event.
                let t = self.tickets.entry(*ticket).or_insert_with(|| Ticket {
                    id: *ticket,
                    day: *issued_day,
                    service: service.clone(),
                    class: class.clone(),
                    seq_no: *seq_no,
                    number: number.clone(),
                    state: TicketState::Suspended,
                    issued_at: *issued_at,
                    queued_at: *issued_at,
                    queued_behind: None,
                    predicted_wait_s: None,
                    called_at: None,
                    started_at: None,
                    finished_at: None,
                    served_by: None,
                    counter: None,
                    target_counter: None,
                    recalls: 0,
                    source: None,
                    rating: None,
                });
                // Back at its original place: ahead of anyone issued since.
                t.state = TicketState::Waiting;
                t.queued_at = *issued_at;
                t.queued_behind = None;
                t.counter = None;
                t.target_counter = None;
                t.called_at = None;
                t.started_at = None;
                t.finished_at = None;
                t.recalls = 0;
                self.enqueue(*ticket);
            }
            Event::NotifyRequested { ticket, phone } => {
                let sub = self
                    .subscriptions
                    .entry(*ticket)
                    .or_insert_with(|| Subscription {
                        phone: phone.clone(),
                        sent: BTreeSet::new(),
                        ready: false,
                    });
                sub.phone = phone.clone();
            }
            Event::TicketReady { ticket, .. } => {
                if let Some(sub) = self.subscriptions.get_mut(ticket) {
                    sub.ready = true;
                }
            }
            Event::NotificationQueued { ticket, kind, .. } => {
                if let Some(sub) = self.subscriptions.get_mut(ticket) {
                    sub.sent.insert(kind.clone());
                }
            }
            // The outbox table, not the day's state, tracks deliveries.
            Event::NotificationDelivered { .. } => {}
            Event::Audit { .. } => {}
            Event::CounterStateChanged { counter, state } => {
                let ci = self.counter_ix(counter).map_err(&fail)?;
                self.counters[ci].state = *state;
            }
            Event::CounterStaff { counter, staff } => {
                let ci = self.counter_ix(counter).map_err(&fail)?;
                self.counters[ci].staff = Some(staff.clone());
            }
        }
        self.last_seq = rec.seq;
        Ok(())
    }

    /// One call of `service` kept its counter `ms`.
    fn record_per_call(&mut self, service: &str, ms: Millis) {
        if let Some(si) = self.hall.service_index(service) {
            let samples = &mut self.per_call[si];
            samples.push_back(ms.max(0) as f64);
            if samples.len() > PER_CALL_SAMPLES {
                samples.pop_front();
            }
        }
    }

    fn counter_ix(&self, id: &str) -> Result<usize, String> {
        self.hall
            .counter_index(id)
            .ok_or_else(|| format!("counter `{id}` is not in this hall's config"))
    }

    /// The counter no longer has `ticket` as its current one.
    fn release(&mut self, counter: &str, ticket: TicketId) {
        if let Some(ci) = self.hall.counter_index(counter)
            && self.counters[ci].current == Some(ticket)
        {
            self.counters[ci].current = None;
        }
    }

    fn remember_call(&mut self, ticket: TicketId) {
        self.recent_calls.retain(|&t| t != ticket);
        self.recent_calls.push_back(ticket);
        if self.recent_calls.len() > RECENT_CALLS {
            self.recent_calls.pop_front();
        }
    }

    /// The queue a waiting ticket belongs in, if the hall still knows it.
    fn queue_of(&mut self, id: TicketId) -> Option<(&mut BTreeSet<QueueKey>, QueueKey)> {
        let t = self.tickets.get(&id)?;
        let key = key_of(t);
        if let Some(c) = &t.target_counter {
            let ci = self.hall.counter_index(c)?;
            return Some((&mut self.direct[ci], key));
        }
        let si = self.hall.service_index(&t.service)?;
        let ci = self.hall.class_index(&t.class)?;
        Some((&mut self.queues[si][ci], key))
    }

    fn enqueue(&mut self, id: TicketId) {
        if let Some((q, key)) = self.queue_of(id) {
            q.insert(key);
        }
    }

    fn dequeue(&mut self, id: TicketId) {
        if let Some((q, key)) = self.queue_of(id) {
            q.remove(&key);
        }
    }

    /// Checks the internal invariants; for tests and `db check`.
    pub fn check_invariants(&self) -> Result<(), String> {
        let mut queued = 0;
        for (si, per_class) in self.queues.iter().enumerate() {
            for (ci, q) in per_class.iter().enumerate() {
                for &(at, _, _, ref id) in q {
                    let t = self
                        .tickets
                        .get(id)
                        .ok_or(format!("queued ticket {id} unknown"))?;
                    let ok = t.state == TicketState::Waiting
                        && t.queued_at == at
                        && t.target_counter.is_none()
                        && self.hall.service_index(&t.service) == Some(si)
                        && self.hall.class_index(&t.class) == Some(ci);
                    if !ok {
                        return Err(format!(
                            "ticket {} is queued in the wrong place: {t:?}",
                            t.number
                        ));
                    }
                    queued += 1;
                }
            }
        }
        for (ci, q) in self.direct.iter().enumerate() {
            for (_, _, _, id) in q {
                let t = self
                    .tickets
                    .get(id)
                    .ok_or(format!("queued ticket {id} unknown"))?;
                if t.state != TicketState::Waiting
                    || t.target_counter.as_deref() != Some(&self.hall.counters[ci].id)
                {
                    return Err(format!("ticket {} is in the wrong direct queue", t.number));
                }
                queued += 1;
            }
        }
        let waiting = self
            .tickets
            .values()
            .filter(|t| t.state == TicketState::Waiting)
            .count();
        if waiting != queued {
            return Err(format!("{waiting} tickets wait but {queued} are queued"));
        }
        let mut holders = HashMap::new();
        for (ci, rt) in self.counters.iter().enumerate() {
            let id = &self.hall.counters[ci].id;
            if let Some(cur) = rt.current {
                if let Some(other) = holders.insert(cur, id) {
                    return Err(format!(
                        "ticket {cur} is current at counters {other} and {id}"
                    ));
                }
                let t = self
                    .tickets
                    .get(&cur)
                    .ok_or(format!("counter {id} holds unknown ticket {cur}"))?;
                if !matches!(t.state, TicketState::Called | TicketState::Serving)
                    || t.counter.as_deref() != Some(id)
                {
                    return Err(format!(
                        "counter {id} holds {} in state {}",
                        t.number,
                        t.state.as_str()
                    ));
                }
            }
        }
        for t in self.tickets.values() {
            if matches!(t.state, TicketState::Called | TicketState::Serving)
                && !holders.contains_key(&t.id)
            {
                return Err(format!(
                    "ticket {} is {} but no counter holds it",
                    t.number,
                    t.state.as_str()
                ));
            }
        }
        Ok(())
    }

    /// Comparable summary of the state, for replay tests.
    pub fn fingerprint(&self) -> (Vec<Ticket>, Vec<CounterRuntime>, Vec<u32>, u64) {
        let mut tickets: Vec<Ticket> = self.tickets.values().cloned().collect();
        tickets.sort_by_key(|t| t.id);
        (
            tickets,
            self.counters.clone(),
            self.issued.clone(),
            self.last_seq,
        )
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
