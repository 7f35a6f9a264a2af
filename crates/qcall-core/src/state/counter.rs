//! Counter actions decided into events, and which waiting ticket a counter
//! calls next (through [`crate::policy::select`]): the heads it chooses
//! among are the first *callable* ticket of each queue, so a remote ticket
//! whose applicant has not arrived keeps its place and is passed over.
//!
//! Pure: reads the state, changes nothing.

use super::{HallState, check};
use crate::command::{CounterAction, Decision, Rejection, TransferTarget};
use crate::event::{CounterState, Event};
use crate::policy::{self, Head};
use crate::rating::{Channel, RatingInput};
use crate::ticket::{QueueKey, TicketId, Transition};
use crate::time::Millis;

impl HallState {
    pub(super) fn decide_counter(
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
                        // Remote tickets passed over to call this one are
                        // held: their phone is told to hurry.
                        events.extend(self.held_by_call(ticket, now));
                        events.push(Event::TicketCalled {
                            ticket,
                            counter: counter.into(),
                        });
                        set_state(&mut events, CounterState::Calling);
                    }
                    None => {
                        // Nobody here to call: remote tickets at the front
                        // of its queues have reached it before arriving.
                        events.extend(self.held_when_idle(ci, now));
                        set_state(&mut events, CounterState::Idle);
                    }
                }
                pick
            }
            CounterAction::CallNumber {
                number,
                reason,
                by,
                override_by,
            } => {
                let reason = reason.trim();
                if reason.is_empty() || reason.chars().count() > 200 {
                    return Err(Rejection::BadInput(
                        "calling a number out of turn needs a reason (1 to 200 characters); it is audited".into(),
                    ));
                }
                let number = number.trim().to_uppercase();
                let t = self
                    .ticket_numbered(&number)
                    .ok_or_else(|| Rejection::UnknownNumber(number.clone()))?;
                let refuse = |why: String| Rejection::NotForCounter {
                    number: t.number.clone(),
                    counter: counter.into(),
                    why,
                };
                if t.state != crate::ticket::TicketState::Waiting {
                    return Err(refuse(format!(
                        "it is {}; only a waiting ticket can be called (a no-show comes back through re-entry)",
                        t.state.as_str()
                    )));
                }
                if let Some(cur) = current {
                    return Err(Rejection::CounterBusy {
                        counter: counter.into(),
                        number: cur.number.clone(),
                    });
                }
                let elsewhere = match &t.target_counter {
                    Some(c) if c != counter => Some(format!("it was sent to counter {c}")),
                    Some(_) => None,
                    None if !self.hall.counters[ci].services.contains(&t.service) => Some(format!(
                        "it waits for service {}, which this counter does not serve (a supervisor may override)",
                        t.service
                    )),
                    None => None,
                };
                let (action, by, detail) = match (elsewhere, override_by) {
                    (Some(why), None) => return Err(refuse(why)),
                    (Some(why), Some(sup)) => (
                        "call_number_override",
                        sup.clone(),
                        format!("called {} out of turn: {reason}; {why}", t.number),
                    ),
                    (None, _) => (
                        "call_number",
                        by.clone(),
                        format!("called {} out of turn: {reason}", t.number),
                    ),
                };
                events.push(Event::TicketCalled {
                    ticket: t.id,
                    counter: counter.into(),
                });
                events.push(Event::Audit {
                    action: action.into(),
                    by,
                    detail,
                    counter: Some(counter.into()),
                    ticket: Some(t.id),
                });
                set_state(&mut events, CounterState::Calling);
                Some(t.id)
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
            CounterAction::Finish { rating, reason } => {
                // The rules of every rating: a 差评 needs a reason.
                let rated = match (*rating, reason) {
                    (Some(score), reason) => Some(self.hall.rating.check(RatingInput {
                        score,
                        indicators: Vec::new(),
                        reason: reason.clone(),
                        comment: None,
                        channel: Channel::Pad,
                    })?),
                    (None, Some(_)) => {
                        return Err(Rejection::BadInput(
                            "a reason goes with a rating: give `rating` (1 to 5) too, or leave `reason` out".into(),
                        ));
                    }
                    (None, None) => None,
                };
                let t = need_current()?;
                check(t, Transition::Finish, "finished")?;
                events.push(Event::TicketDone {
                    ticket: t.id,
                    counter: counter.into(),
                    rating: *rating,
                });
                // A 差评 given at finish is put right like the pad's.
                if let Some(r) = rated.filter(|r| crate::rating::is_poor(r.score)) {
                    events.push(Event::RectificationOpened {
                        ticket: t.id,
                        score: r.score,
                        reason: r.reason,
                        deadline: self
                            .hall
                            .schedule
                            .working_days_after(self.day, self.hall.rating.fix_working_days),
                    });
                }
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
                let missing = crate::command::notice_items(missing, None)?;
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
            CounterAction::SignOut { staff } => {
                // The session's end is recorded either way; the counter
                // forgets only the clerk it still names.
                events.push(Event::Audit {
                    action: "staff_sign_out".into(),
                    by: staff.clone(),
                    detail: format!("signed out of counter {counter}"),
                    counter: Some(counter.into()),
                    ticket: None,
                });
                if rt.staff.as_deref() == Some(staff.as_str()) {
                    events.push(Event::CounterStaffLeft {
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

    /// Today's ticket with this number (numbers are unique per service, and
    /// services have their own prefixes): the latest one if two share it.
    fn ticket_numbered(&self, number: &str) -> Option<&crate::ticket::Ticket> {
        self.tickets()
            .filter(|t| t.number == number)
            .max_by_key(|t| t.id)
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
                // Heads are built from callable tickets only, so the policy
                // never sees a remote ticket whose applicant is not here.
                if let Some(&QueueKey {
                    queued_at,
                    id: ticket,
                    ..
                }) = self.head_of(queue)
                {
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
        let direct = self.direct[ci].first().map(
            |&QueueKey {
                 queued_at,
                 id: ticket,
                 ..
             }| {
                let class = self.tickets.get(&ticket).map_or("", |t| t.class.as_str());
                Head {
                    ticket,
                    queued_at,
                    weight: self.hall.weight(class),
                    priority: self.hall.is_priority(class),
                    preference: 0,
                }
            },
        );
        policy::select(
            &self.hall.policy,
            def.service_order,
            self.counters[ci].streak,
            direct,
            &heads,
            now,
        )
    }
}
