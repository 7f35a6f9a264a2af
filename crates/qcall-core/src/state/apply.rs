//! One recorded event applied to the state: the only code that changes it.
//!
//! The engine applies what it decided; start-up replays the log through the
//! same function. [`HallState::apply`] also reports what the event changed
//! ([`Changes`]), so the engine publishes and the store projects from one
//! answer instead of lists of event kinds kept beside this file.

use std::collections::{BTreeSet, HashMap};

use super::estimate::ARRIVAL_WINDOW;
use super::{Appointment, HallState, Inconsistent, RECENT_CALLS, Subscription};
use super::{FRESH_ESTIMATES_MAX, PER_CALL_SAMPLES};
use crate::event::{CounterState, Event, Recorded};
use crate::hours;
use crate::rectify::{Rectification, RectifyAction, Step};
use crate::ticket::{QueueKey, Ticket, TicketId, TicketState};
use crate::time::{BusinessDay, Millis};

/// What one applied event changed, told by the code that changed it: the
/// engine publishes from it and the store writes its projections from it,
/// so a new event cannot be left out of either.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Changes {
    /// Services (indices in the hall's list) whose waiting tickets changed:
    /// who waits, or in which order.
    pub queues: Vec<usize>,
    /// The ticket whose own record changed.
    pub ticket: Option<TicketId>,
    /// The counter (index in the hall's list) whose runtime state changed.
    pub counter: Option<usize>,
    /// An appointment booked or checked in, with the business day of its
    /// slot (a booking for another day is not in today's state).
    pub appointment: Option<(BusinessDay, Appointment)>,
    /// A text message queued or delivered.
    pub outbox: Option<Outbox>,
    /// A record for the 好差评 platform queued or delivered.
    pub upload: Option<Upload>,
    /// The 差评 item (by ticket) that was opened or took a step.
    pub rectification: Option<TicketId>,
    /// A self-booked appointment's contact, cancellation or reminder.
    pub booking: Option<super::Booking>,
}

/// A change to the upload outbox of the 好差评 platform.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Upload {
    /// A record to upload: the event with sequence number `id`, about
    /// `ticket`; `kind` says what it is (`rating`).
    Queued {
        id: u64,
        ticket: TicketId,
        kind: &'static str,
        at: Millis,
    },
    /// The platform accepted record `id` at `at`.
    Delivered { id: u64, at: Millis },
}

/// A change to the outbox of text messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outbox {
    /// A message to send; `id` is the sequence number of its event.
    Queued {
        id: u64,
        ticket: TicketId,
        kind: String,
        phone: String,
        message: String,
        at: Millis,
    },
    /// The gateway accepted message `id` at `at`.
    Delivered { id: u64, at: Millis },
}

impl Changes {
    /// Whether any waiting count or order changed.
    pub fn queues_changed(&self) -> bool {
        !self.queues.is_empty()
    }
}

impl HallState {
    /// Applies one recorded event. Events decided on this state always
    /// apply; an error means the log does not belong to this state. Returns
    /// what the event changed.
    pub fn apply(&mut self, rec: &Recorded) -> Result<Changes, Inconsistent> {
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
        let mut changes = Changes::default();
        match &rec.event {
            Event::TicketIssued {
                ticket,
                service,
                class,
                seq_no,
                number,
                source,
            } => {
                changes.ticket = Some(*ticket);
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
                        source: source.clone(),
                        ..Ticket::waiting(
                            *ticket,
                            self.day,
                            service.clone(),
                            class.clone(),
                            *seq_no,
                            number.clone(),
                            at,
                        )
                    },
                );
                self.enqueue(*ticket, &mut changes);
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
                let estimate = match self.raw_estimate(*ticket) {
                    Some(raw) => {
                        let knows = self.knows_its_calls(service);
                        self.learned.issued(*ticket, raw.wait_s, raw.spread, knows);
                        self.corrected(raw)
                    }
                    None => Default::default(),
                };
                let predicted = estimate.wait_s;
                if let Some(t) = self.tickets.get_mut(ticket) {
                    t.predicted_wait_s = Some(predicted);
                    t.predicted_range_s = Some((estimate.low_s, estimate.high_s));
                }
                if self.fresh_estimates.len() >= FRESH_ESTIMATES_MAX {
                    // A flood of tickets with no call in between: keep the
                    // cache small, the newest are the ones still asked for.
                    self.fresh_estimates.clear();
                }
                self.fresh_estimates.insert(*ticket, estimate);
                if let (Some(si), Some(q)) =
                    (self.hall.service_index(service), self.hall.quota(service))
                {
                    let slot = hours::local_minute(at, &self.hall.tz) / q.minutes.max(1);
                    *self.slots.entry((si, slot)).or_default() += 1;
                }
            }
            Event::TicketCalled { ticket, counter } => {
                changes.ticket = Some(*ticket);
                let ci = self.counter_ix(counter).map_err(&fail)?;
                self.dequeue(*ticket, &mut changes);
                let t = known(&mut self.tickets, ticket).map_err(fail)?;
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
                let (queued_at, issued_at) = (t.queued_at, t.issued_at);
                self.learned.called(ci, *ticket, queued_at, issued_at, at);
                let rt = &mut self.counters[ci];
                changes.counter = Some(ci);
                rt.current = Some(*ticket);
                rt.streak = if priority { rt.streak + 1 } else { 0 };
                self.remember_call(*ticket);
            }
            Event::TicketRecalled {
                ticket, recalls, ..
            } => {
                changes.ticket = Some(*ticket);
                let t = known(&mut self.tickets, ticket).map_err(fail)?;
                t.recalls = *recalls;
                self.remember_call(*ticket);
            }
            Event::TicketRequeued { ticket, counter } => {
                changes.ticket = Some(*ticket);
                self.release(counter, *ticket, &mut changes);
                let t = known(&mut self.tickets, ticket).map_err(fail)?;
                t.state = TicketState::Waiting;
                t.counter = None;
                t.called_at = None;
                t.recalls = 0;
                self.enqueue(*ticket, &mut changes);
            }
            Event::TicketStarted { ticket, .. } => {
                changes.ticket = Some(*ticket);
                let t = known(&mut self.tickets, ticket).map_err(fail)?;
                t.state = TicketState::Serving;
                t.started_at = Some(at);
            }
            Event::TicketDone {
                ticket,
                counter,
                rating,
            } => {
                changes.ticket = Some(*ticket);
                self.release(counter, *ticket, &mut changes);
                if let Some(ci) = self.hall.counter_index(counter) {
                    self.learned.released(ci, at);
                }
                let t = known(&mut self.tickets, ticket).map_err(fail)?;
                t.state = TicketState::Done;
                t.finished_at = Some(at);
                t.rating = *rating;
                let called = t.called_at.unwrap_or(at);
                let service = t.service.clone();
                self.record_per_call(&service, at - called);
            }
            Event::TicketNoShow { ticket, counter } => {
                changes.ticket = Some(*ticket);
                self.release(counter, *ticket, &mut changes);
                if let Some(ci) = self.hall.counter_index(counter) {
                    self.learned.released(ci, at);
                }
                let t = known(&mut self.tickets, ticket).map_err(fail)?;
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
                changes.ticket = Some(*ticket);
                self.dequeue(*ticket, &mut changes);
                if let Some(c) = from_counter {
                    self.release(c, *ticket, &mut changes);
                }
                let t = known(&mut self.tickets, ticket).map_err(fail)?;
                t.state = TicketState::Waiting;
                t.service = to_service.clone();
                t.target_counter = to_counter.clone();
                t.counter = None;
                t.called_at = None;
                t.started_at = None;
                t.recalls = 0;
                self.enqueue(*ticket, &mut changes);
            }
            Event::TicketCancelled { ticket } => {
                changes.ticket = Some(*ticket);
                self.dequeue(*ticket, &mut changes);
                self.learned.forget(*ticket);
                let t = known(&mut self.tickets, ticket).map_err(fail)?;
                t.state = TicketState::Cancelled;
                t.finished_at = Some(at);
            }
            Event::TicketExpired { ticket } => {
                changes.ticket = Some(*ticket);
                self.dequeue(*ticket, &mut changes);
                let counter = self.tickets.get(ticket).and_then(|t| t.counter.clone());
                if let Some(counter) = counter {
                    self.release(&counter, *ticket, &mut changes);
                }
                let t = known(&mut self.tickets, ticket).map_err(fail)?;
                t.state = TicketState::Expired;
                t.finished_at = Some(at);
            }
            Event::DayStarted => {}
            Event::TicketReentered {
                ticket,
                queued_at,
                behind,
                ..
            } => {
                changes.ticket = Some(*ticket);
                let t = known(&mut self.tickets, ticket).map_err(fail)?;
                t.state = TicketState::Waiting;
                t.queued_at = *queued_at;
                t.queued_behind = *behind;
                t.counter = None;
                t.called_at = None;
                t.finished_at = None;
                t.recalls = 0;
                self.enqueue(*ticket, &mut changes);
            }
            Event::TicketRated { ticket, score, .. } => {
                changes.ticket = Some(*ticket);
                let t = known(&mut self.tickets, ticket).map_err(fail)?;
                t.rating = Some(*score);
                // Every rating goes to the province, in this transaction.
                changes.upload = Some(Upload::Queued {
                    id: rec.seq,
                    ticket: *ticket,
                    kind: "rating",
                    at,
                });
            }
            Event::RectificationOpened {
                ticket,
                score,
                reason,
                deadline,
            } => {
                // Replayed before the store's rows are loaded, or opened now.
                let t = self.tickets.get(ticket);
                self.rectifications.insert(
                    *ticket,
                    Rectification {
                        ticket: *ticket,
                        number: t.map_or_else(String::new, |t| t.number.clone()),
                        service: t.map_or_else(String::new, |t| t.service.clone()),
                        counter: t.and_then(|t| t.counter.clone()),
                        staff: t.and_then(|t| t.served_by.clone()),
                        score: *score,
                        reason: reason.clone(),
                        opened_at: at,
                        deadline: *deadline,
                        assignee: None,
                        callback: None,
                        fix: None,
                        fix_score: None,
                        phone: self
                            .subscriptions
                            .get(ticket)
                            .map(|s| s.phone.clone())
                            .or_else(|| self.remote_phones.get(ticket).cloned()),
                    },
                );
                changes.rectification = Some(*ticket);
            }
            Event::Rectified { ticket, action, by } => {
                // An item of an earlier day is not in the state while
                // today's log replays; the store's row is loaded after.
                if let Some(r) = self.rectifications.get_mut(ticket) {
                    let step = |text: &str| {
                        Some(Step {
                            at,
                            by: by.clone(),
                            text: text.to_owned(),
                        })
                    };
                    match action {
                        RectifyAction::Assign { to } => r.assignee = Some(to.clone()),
                        RectifyAction::Callback { outcome } => r.callback = step(outcome),
                        RectifyAction::Fix { note } => r.fix = step(note),
                        RectifyAction::RateFix { score } => r.fix_score = Some(*score),
                    }
                    changes.rectification = Some(*ticket);
                }
                // The fix and its rating go to the province too.
                if matches!(
                    action,
                    RectifyAction::Fix { .. } | RectifyAction::RateFix { .. }
                ) {
                    changes.upload = Some(Upload::Queued {
                        id: rec.seq,
                        ticket: *ticket,
                        kind: "rectification",
                        at,
                    });
                }
            }
            Event::UploadDelivered { id } => {
                changes.upload = Some(Upload::Delivered { id: *id, at });
            }
            Event::CaseAttached {
                ticket, case_no, ..
            } => {
                changes.ticket = Some(*ticket);
                let t = known(&mut self.tickets, ticket).map_err(fail)?;
                t.case_no = Some(case_no.clone());
            }
            Event::AppointmentBooked {
                code,
                service,
                slot_start,
                slot_end,
                name,
            } => {
                let a = Appointment {
                    code: code.clone(),
                    service: service.clone(),
                    slot_start: *slot_start,
                    slot_end: *slot_end,
                    name: name.clone(),
                    ticket: None,
                };
                // Booked for another day: recorded, but not today's state.
                let slot_day = crate::time::business_day(*slot_start, &self.hall.tz);
                if slot_day == self.day {
                    self.appointments.insert(code.clone(), a.clone());
                }
                changes.appointment = Some((slot_day, a));
            }
            Event::AppointmentCheckedIn {
                code,
                ticket,
                queued_at,
            } => {
                changes.ticket = Some(*ticket);
                self.dequeue(*ticket, &mut changes);
                let t = known(&mut self.tickets, ticket).map_err(fail)?;
                t.queued_at = *queued_at;
                t.channel = crate::ticket::Channel::Appointment;
                self.enqueue(*ticket, &mut changes);
                if let Some(a) = self.appointments.get_mut(code) {
                    a.ticket = Some(*ticket);
                    changes.appointment = Some((self.day, a.clone()));
                }
            }
            Event::TicketSuspended {
                ticket, counter, ..
            } => {
                changes.ticket = Some(*ticket);
                self.release(counter, *ticket, &mut changes);
                let t = known(&mut self.tickets, ticket).map_err(fail)?;
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
                changes.ticket = Some(*ticket);
                // From an earlier day: rebuild it here from the event.
                let t = self.tickets.entry(*ticket).or_insert_with(|| {
                    Ticket::waiting(
                        *ticket,
                        *issued_day,
                        service.clone(),
                        class.clone(),
                        *seq_no,
                        number.clone(),
                        *issued_at,
                    )
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
                self.enqueue(*ticket, &mut changes);
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
            Event::NotificationQueued {
                ticket,
                kind,
                phone,
                message,
            } => {
                if let Some(sub) = self.subscriptions.get_mut(ticket) {
                    sub.sent.insert(kind.clone());
                }
                // Its sequence number is its id in the outbox.
                changes.outbox = Some(Outbox::Queued {
                    id: rec.seq,
                    ticket: *ticket,
                    kind: kind.clone(),
                    phone: phone.clone(),
                    message: message.clone(),
                    at,
                });
            }
            Event::RemoteRequested {
                request,
                service,
                phone,
                expires_at,
            } => self.add_remote_request(request, service, phone, at, *expires_at, None),
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
                let draft = super::remote::BookingDraft {
                    slot_start: *slot_start,
                    name: name.clone(),
                    id_hash: id_hash.clone(),
                    id_last4: id_last4.clone(),
                };
                self.add_remote_request(request, service, phone, at, *expires_at, Some(draft));
            }
            Event::AppointmentContact {
                code,
                request,
                slot_start,
                phone,
                id_hash,
                id_last4,
            } => {
                if let Some(r) = self.remote_requests.get_mut(request) {
                    r.booked = Some(code.clone());
                }
                changes.booking = Some(super::Booking::Contact {
                    day: crate::time::business_day(*slot_start, &self.hall.tz),
                    code: code.clone(),
                    phone: phone.clone(),
                    id_hash: id_hash.clone(),
                    id_last4: id_last4.clone(),
                });
            }
            Event::AppointmentCancelled { code, slot_start } => {
                let day = crate::time::business_day(*slot_start, &self.hall.tz);
                if day == self.day {
                    self.appointments.remove(code);
                }
                changes.booking = Some(super::Booking::Cancelled {
                    day,
                    code: code.clone(),
                    at,
                });
            }
            Event::AppointmentReminded { code, slot_start } => {
                changes.booking = Some(super::Booking::Reminded {
                    day: crate::time::business_day(*slot_start, &self.hall.tz),
                    code: code.clone(),
                    at,
                });
            }
            Event::RemoteCodeWrong { request } => self.count_wrong_code(request),
            // Counted by the store, from the log: bookings of later days
            // are not in the day's state.
            Event::AppointmentCancelWrong { .. } => {}
            Event::ArrivalDigitsWrong { ticket } => {
                *self.arrival_wrong.entry(*ticket).or_default() += 1;
            }
            Event::TicketRemote {
                ticket,
                request,
                phone,
            } => {
                changes.ticket = Some(*ticket);
                if !self.mark_remote(*ticket, request, phone) {
                    return Err(fail(format!("no ticket {ticket}")));
                }
                self.queue_changed(*ticket, &mut changes);
            }
            Event::TicketArrived { ticket, .. } => {
                changes.ticket = Some(*ticket);
                let t = known(&mut self.tickets, ticket).map_err(fail)?;
                // Same place in the same queue: only its state changes.
                t.state = TicketState::Waiting;
                t.arrived_at = Some(at);
                t.lapse_at = None;
                self.queue_changed(*ticket, &mut changes);
            }
            Event::TicketHeld { ticket, lapse_at } => {
                changes.ticket = Some(*ticket);
                let t = known(&mut self.tickets, ticket).map_err(fail)?;
                t.lapse_at = Some(*lapse_at);
            }
            Event::TicketLapsed { ticket } => {
                changes.ticket = Some(*ticket);
                self.dequeue(*ticket, &mut changes);
                let t = known(&mut self.tickets, ticket).map_err(fail)?;
                t.state = TicketState::Lapsed;
                t.finished_at = Some(at);
            }
            Event::TicketDeferred {
                ticket,
                queued_at,
                behind,
                ..
            } => {
                changes.ticket = Some(*ticket);
                self.dequeue(*ticket, &mut changes);
                let t = known(&mut self.tickets, ticket).map_err(fail)?;
                t.queued_at = *queued_at;
                t.queued_behind = *behind;
                t.deferred = true;
                t.lapse_at = None;
                self.enqueue(*ticket, &mut changes);
            }
            // The outbox table, not the day's state, tracks deliveries.
            Event::NotificationDelivered { id } => {
                changes.outbox = Some(Outbox::Delivered { id: *id, at });
            }
            Event::Audit { .. } => {}
            Event::CounterStateChanged { counter, state } => {
                let ci = self.counter_ix(counter).map_err(&fail)?;
                self.counters[ci].state = *state;
                if matches!(state, CounterState::Paused | CounterState::Closed) {
                    self.learned.stopped(ci);
                }
                self.counters[ci].since = Some(at);
                changes.counter = Some(ci);
            }
            Event::CounterStaff { counter, staff } => {
                let ci = self.counter_ix(counter).map_err(&fail)?;
                self.counters[ci].staff = Some(staff.clone());
                self.counters[ci].last_staff = Some(staff.clone());
                changes.counter = Some(ci);
            }
            Event::CounterStaffLeft { counter, staff } => {
                let ci = self.counter_ix(counter).map_err(&fail)?;
                // Decided only for the clerk the counter names; replay
                // stays lenient so an odd log still opens.
                let rt = &mut self.counters[ci];
                if rt.staff.as_ref() == Some(staff) {
                    rt.staff = None;
                }
                changes.counter = Some(ci);
            }
        }
        self.last_seq = rec.seq;
        Ok(changes)
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
    fn release(&mut self, counter: &str, ticket: TicketId, changes: &mut Changes) {
        if let Some(ci) = self.hall.counter_index(counter)
            && self.counters[ci].current == Some(ticket)
        {
            self.counters[ci].current = None;
            changes.counter = Some(ci);
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
        let key = QueueKey::of(t);
        if let Some(c) = &t.target_counter {
            let ci = self.hall.counter_index(c)?;
            return Some((&mut self.direct[ci], key));
        }
        let si = self.hall.service_index(&t.service)?;
        let ci = self.hall.class_index(&t.class)?;
        Some((&mut self.queues[si][ci], key))
    }

    /// Puts a waiting ticket in its queue; its service's queue changed.
    fn enqueue(&mut self, id: TicketId, changes: &mut Changes) {
        if let Some((q, key)) = self.queue_of(id)
            && q.insert(key)
        {
            self.queue_changed(id, changes);
        }
    }

    /// Takes a ticket out of its queue, if it is in one.
    fn dequeue(&mut self, id: TicketId, changes: &mut Changes) {
        if let Some((q, key)) = self.queue_of(id)
            && q.remove(&key)
        {
            self.queue_changed(id, changes);
        }
    }

    /// Notes that the queue `id` is (or was) in changed: its service's, for
    /// a ticket sent to a counter too (its wait counts in that service's
    /// estimates).
    fn queue_changed(&self, id: TicketId, changes: &mut Changes) {
        let si = self
            .tickets
            .get(&id)
            .and_then(|t| self.hall.service_index(&t.service));
        if let Some(si) = si
            && !changes.queues.contains(&si)
        {
            changes.queues.push(si);
        }
    }
}

/// The ticket an event names, which the log says exists; its absence means
/// the log does not belong to this state (the caller says which event).
fn known<'a>(
    tickets: &'a mut HashMap<TicketId, Ticket>,
    id: &TicketId,
) -> Result<&'a mut Ticket, String> {
    tickets.get_mut(id).ok_or_else(|| format!("no ticket {id}"))
}
