//! Commands other than counter actions, decided into events: issue, book,
//! check in, return, re-enter, rate, follow, mark ready, cancel.
//!
//! Pure: reads the state, changes nothing; a refusal leaves no trace.

use super::{HallState, check};
use crate::command::{Command, CounterAction, Decision, RatingOf, Rejection};
use crate::event::Event;
use crate::hours::{self, Intake};
use crate::rating::RatingInput;
use crate::rectify::RectifyAction;
use crate::ticket::{Ticket, TicketId, TicketState, Transition};
use crate::time::Millis;

impl HallState {
    /// Decides what `cmd` records at `now`, or why it is refused. Pure.
    pub fn decide(&self, cmd: &Command, now: Millis) -> Result<Decision, Rejection> {
        match cmd {
            Command::Issue {
                service,
                class,
                source,
            } => self.decide_issue(service, class.as_deref(), source.as_deref(), now),
            Command::Counter { counter, action } => self.decide_counter(counter, action, now),
            Command::CounterBy {
                counter,
                staff,
                action,
            } => {
                // The action first: refused, it leaves no trace. The sign-in
                // goes before its events, because a call takes its clerk
                // from the counter when it is applied.
                let decision = self.decide_counter(counter, action, now)?;
                let sign_in = CounterAction::SignIn {
                    staff: staff.clone(),
                };
                let mut events = self.decide_counter(counter, &sign_in, now)?.events;
                events.extend(decision.events);
                Ok(Decision {
                    events,
                    subject: decision.subject,
                })
            }
            Command::Reenter { ticket, by } => self.decide_reenter(*ticket, by, now),
            Command::Rate { of, rating } => self.decide_rate(of, rating.clone()),
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
                let digits = super::normalize_phone(phone)?;
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
            Command::Audit {
                action,
                by,
                detail,
                counter,
            } => Ok(Decision {
                events: vec![Event::Audit {
                    action: action.clone(),
                    by: by.clone(),
                    detail: detail.clone(),
                    counter: counter.clone(),
                    ticket: None,
                }],
                subject: None,
            }),
            // Recorded whatever day queued it: the outbox table, not today's
            // state, is what the sender reads.
            Command::Delivered { id } => Ok(Decision {
                events: vec![Event::NotificationDelivered { id: *id }],
                subject: None,
            }),
            Command::Uploaded { id } => Ok(Decision {
                events: vec![Event::UploadDelivered { id: *id }],
                subject: None,
            }),
            Command::AttachCase {
                ticket,
                case_no,
                by,
            } => self.decide_case(*ticket, case_no, by),
            Command::Rectify { ticket, action, by } => {
                let r =
                    self.rectifications
                        .get(ticket)
                        .ok_or_else(|| Rejection::NoRectification {
                            number: self
                                .tickets
                                .get(ticket)
                                .map_or(ticket.to_string(), |t| t.number.clone()),
                        })?;
                r.check(action)?;
                let mut events = vec![Event::Rectified {
                    ticket: *ticket,
                    action: action.clone(),
                    by: by.clone(),
                }];
                // The applicant is asked to rate the fix, in the same
                // transaction, if a phone number is on file.
                if let (RectifyAction::Fix { .. }, Some(phone)) = (action, &r.phone) {
                    events.push(Event::NotificationQueued {
                        ticket: *ticket,
                        kind: super::FIX_KIND.into(),
                        phone: phone.clone(),
                        message: format!(
                            "【{}】您对 {} 号的差评已整改，请评价整改结果：{}",
                            self.hall.name.zh,
                            r.number,
                            super::Placeholder::Link(*ticket, super::LinkFor::Fix).text()
                        ),
                    });
                }
                Ok(Decision {
                    events,
                    subject: None,
                })
            }
            Command::StartRemote {
                request,
                service,
                phone,
            } => self.decide_start_remote(request, service, phone, now),
            Command::ConfirmRemote { request, code_ok } => {
                self.decide_confirm_remote(request, *code_ok, now)
            }
            Command::Arrive { ticket, proof, by } => self.decide_arrive(*ticket, proof, by),
            Command::Defer { ticket, places } => self.decide_defer(*ticket, *places),
            Command::StartBooking {
                request,
                service,
                slot_start,
                name,
                id_hash,
                id_last4,
                phone,
            } => self.decide_start_booking(
                request,
                service,
                *slot_start,
                name,
                (id_hash, id_last4),
                phone,
                now,
            ),
            Command::ConfirmBooking {
                request,
                code_ok,
                code,
                booked_in_slot,
                same_person,
            } => self.decide_confirm_booking(
                request,
                *code_ok,
                code,
                (*booked_in_slot, *same_person),
                now,
            ),
            Command::CancelBooking {
                code,
                slot_start,
                slot_end,
                checked_in,
                digits_ok,
                wrong,
            } => {
                let proof = (*digits_ok, *wrong);
                self.decide_cancel_booking(code, *slot_start, *slot_end, *checked_in, proof, now)
            }
            // What is due is recorded after every batch; a tick only makes one.
            Command::Tick => Ok(Decision {
                events: vec![],
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

    /// Whether `service` has given out every ticket it may at `now`: its
    /// current slot's quota or its daily cap. The very rule an issue is
    /// refused by, for screens that grey a service out. Opening hours are
    /// apart ([`crate::Hall::intake`]); an unknown service is not sold out.
    pub fn sold_out(&self, service: &str, now: Millis) -> bool {
        self.capacity_left(service, now).is_err()
    }

    /// Refuses when the slot quota or the daily cap of `service` is reached.
    fn capacity_left(&self, service: &str, now: Millis) -> Result<(), Rejection> {
        let (Some(svc), Some(si)) = (self.hall.service(service), self.hall.service_index(service))
        else {
            return Ok(());
        };
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
        match svc.daily_cap {
            Some(cap) if self.issued[si] >= cap => Err(Rejection::ServiceFull {
                service: service.into(),
                cap,
            }),
            _ => Ok(()),
        }
    }

    pub(super) fn decide_issue(
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
        if let Some(limit) = self.queue_full(service, now) {
            let extended = match self.hall.schedule_of(service).cutoff {
                hours::Cutoff::Forecast { extended_minutes } => extended_minutes,
                hours::Cutoff::Fixed => 0,
            };
            return Err(closed(format!(
                "today's queue for it can no longer be served by {} (closing plus {extended} minutes of extended service), so new tickets have stopped; please come back on the next working day",
                hours::clock(hours::local_minute(limit, &self.hall.tz)),
            )));
        }
        self.capacity_left(service, now)?;
        let si = self.hall.service_index(service).unwrap_or_default();
        let issued = self.issued[si];
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

    pub(super) fn decide_book(
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

    fn decide_rate(&self, of: &RatingOf, rating: RatingInput) -> Result<Decision, Rejection> {
        if let RatingOf::LastAt(counter) = of
            && self.hall.counter(counter).is_none()
        {
            return Err(Rejection::UnknownCounter(counter.clone()));
        }
        let rules = &self.hall.rating;
        let rating = rules.check(rating)?;
        let last = match of {
            // The ticket this counter finished last, if nobody rated it yet.
            RatingOf::LastAt(counter) => self
                .tickets
                .values()
                .filter(|t| {
                    t.state == TicketState::Done && t.counter.as_deref() == Some(counter.as_str())
                })
                .max_by_key(|t| (t.finished_at, t.id))
                .filter(|t| t.rating.is_none())
                .ok_or_else(|| Rejection::NothingToRate(counter.clone()))?,
            RatingOf::Ticket(id) => {
                let t = self.tickets.get(id).ok_or(Rejection::UnknownTicket(*id))?;
                if t.state != TicketState::Done {
                    return Err(Rejection::WrongState {
                        number: t.number.clone(),
                        state: t.state.as_str(),
                        action: "rated",
                    });
                }
                if t.rating.is_some() {
                    return Err(Rejection::AlreadyRated {
                        number: t.number.clone(),
                    });
                }
                t
            }
        };
        let mut events = vec![Event::TicketRated {
            ticket: last.id,
            score: rating.score,
            comment: rating.comment,
            reason: rating.reason.clone(),
            indicators: rating.indicators,
            indicator_version: rules.indicator_version,
            channel: rating.channel,
        }];
        // Every 差评 is put right, by a deadline in working days.
        if crate::rating::is_poor(rating.score) {
            events.push(Event::RectificationOpened {
                ticket: last.id,
                score: rating.score,
                reason: rating.reason,
                deadline: self
                    .hall
                    .schedule
                    .working_days_after(self.day, rules.fix_working_days),
            });
        }
        Ok(Decision {
            events,
            subject: Some(last.id),
        })
    }

    /// A case number is attached by the counter that has the ticket, at
    /// finish or suspend (or by the hall's system afterwards): the ticket
    /// must have been called. 1-64 letters, digits and `-_/.`.
    fn decide_case(&self, id: TicketId, case_no: &str, by: &str) -> Result<Decision, Rejection> {
        let t = self.tickets.get(&id).ok_or(Rejection::UnknownTicket(id))?;
        let ok = (1..=64).contains(&case_no.len())
            && case_no
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_/.".contains(&b));
        if !ok {
            return Err(Rejection::BadInput(format!(
                "case number {case_no:?} is not valid: use 1 to 64 letters, digits, `-`, `_`, `/` or `.`, as the business system prints it"
            )));
        }
        if !matches!(
            t.state,
            TicketState::Called | TicketState::Serving | TicketState::Done | TicketState::Suspended
        ) {
            return Err(Rejection::WrongState {
                number: t.number.clone(),
                state: t.state.as_str(),
                action: "given a case number (only a called, served or suspended ticket is)",
            });
        }
        Ok(Decision {
            events: vec![Event::CaseAttached {
                ticket: id,
                case_no: case_no.to_owned(),
                by: by.to_owned(),
            }],
            subject: Some(id),
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
            Some(q) if behind == 0 => (q.first().map_or(now, |k| k.queued_at - 1), None),
            Some(q) => match q.iter().nth(behind - 1).or(q.last()) {
                Some(k) => (k.queued_at, Some(k.id)),
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
}
