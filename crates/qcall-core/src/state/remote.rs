//! Tickets taken from home (`/r`): the request and its text-message code,
//! the rules that keep walk-ins first (a per-hour quota per service, an
//! earlier cut-off, one live remote ticket per phone, service and day),
//! arrival at the hall, holding a ticket that reached the front before its
//! applicant, lapsing, and deferral.
//!
//! # What must stay true
//! - A remote ticket sits in its queue from the moment it is taken, at its
//!   issue time, like any waiting ticket; until it arrives it is never a
//!   queue head (`HallState::head_of`), so the policy never picks it.
//! - Arrival changes its state, not its place: it is then called at the
//!   place it held.
//! - The code is never in a command, an event or the outbox: the request id
//!   is, and the code is the keyed hash of that id with the hall secret
//!   (computed by the layers that hold the secret). The outbox row carries
//!   a placeholder ([`code_placeholder`]) the sender fills in.
//! - Every refusal is decided here, before anything is recorded.
//!
//! Pure, like the rest of the state: no clock, no IO.

use super::{HallState, Subscription, check};
use crate::command::{ArrivalProof, Decision, Rejection};
use crate::event::Event;
use crate::hall::{ARRIVAL_DIGITS_TRIES, REMOTE_CODE_TRIES, REMOTE_CODE_TTL_MS};
use crate::hours::{self, Intake};
use crate::ticket::{Channel, QueueKey, TicketId, TicketState, Transition};
use crate::time::Millis;

/// The outbox's ticket id for a message that is about no ticket yet (a
/// remote request's code).
pub const NO_TICKET: TicketId = TicketId(0);

/// The outbox `kind` of a code message.
pub const CODE_KIND: &str = "code";

/// A request for a remote ticket, until its code is given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteRequest {
    pub service: String,
    pub phone: String,
    /// When it was asked for.
    pub at: Millis,
    pub expires_at: Millis,
    /// Wrong codes given so far.
    pub wrong: u32,
    /// The ticket it gave, once confirmed.
    pub ticket: Option<TicketId>,
    /// A request to book an appointment (not a remote ticket): what to book.
    pub booking: Option<BookingDraft>,
    /// The appointment code it booked, once confirmed.
    pub booked: Option<String>,
}

/// What a booking request will book once its code is given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BookingDraft {
    pub slot_start: Millis,
    pub name: String,
    /// The ID number's keyed hash (never the number itself).
    pub id_hash: String,
    pub id_last4: String,
}

impl RemoteRequest {
    /// Codes that may still be tried before the request locks.
    pub fn tries_left(&self) -> u32 {
        REMOTE_CODE_TRIES.saturating_sub(self.wrong)
    }
}

/// A phone number as the hall stores it: spaces and dashes dropped, 6-20
/// digits with an optional leading `+`.
pub fn normalize_phone(phone: &str) -> Result<String, Rejection> {
    let digits: String = phone.chars().filter(|c| !matches!(c, ' ' | '-')).collect();
    let valid = (6..=20).contains(&digits.len())
        && digits
            .trim_start_matches('+')
            .chars()
            .all(|c| c.is_ascii_digit());
    if valid {
        Ok(digits)
    } else {
        Err(Rejection::BadInput(
            "a phone number is 6-20 digits, e.g. 13812345678".into(),
        ))
    }
}

/// The last four digits of a phone number, as typed at the kiosk.
pub fn arrival_digits(phone: &str) -> String {
    let digits: Vec<char> = phone.chars().filter(char::is_ascii_digit).collect();
    digits[digits.len().saturating_sub(4)..].iter().collect()
}

/// The placeholder a code message carries in the outbox instead of the
/// code: `{code:REQUEST}`, filled in when sending
/// ([`super::fill_placeholders`]).
pub fn code_placeholder(request: &str) -> String {
    super::Placeholder::Code(request.to_owned()).text()
}

impl HallState {
    /// One of today's remote requests.
    pub fn remote_request(&self, id: &str) -> Option<&RemoteRequest> {
        self.remote_requests.get(id)
    }

    /// Today's remote ticket numbered `number` (as printed, any case).
    pub fn remote_by_number(&self, number: &str) -> Option<TicketId> {
        let number = number.trim();
        self.remote_phones
            .keys()
            .filter_map(|id| self.tickets.get(id))
            .find(|t| t.number.eq_ignore_ascii_case(number))
            .map(|t| t.id)
    }

    /// Today's remote tickets whose applicant has not arrived, by id.
    pub fn remote_not_arrived(&self) -> Vec<TicketId> {
        let mut ids: Vec<TicketId> = self
            .remote_phones
            .keys()
            .filter(|id| {
                self.tickets
                    .get(id)
                    .is_some_and(|t| t.state == TicketState::Remote)
            })
            .copied()
            .collect();
        ids.sort();
        ids
    }

    /// The phone that took remote ticket `id`.
    pub fn remote_phone(&self, id: TicketId) -> Option<&str> {
        self.remote_phones.get(&id).map(String::as_str)
    }

    /// Remote tickets of `service` taken in the clock hour of `now`.
    pub fn remote_this_hour(&self, service: &str, now: Millis) -> u32 {
        let hour = hours::local_minute(now, &self.hall.tz) / 60;
        self.tickets
            .values()
            .filter(|t| {
                t.channel == Channel::Remote
                    && t.service == service
                    && hours::local_minute(t.issued_at, &self.hall.tz) / 60 == hour
            })
            .count() as u32
    }

    /// Why `service` takes no remote ticket now (for `phone`, when given);
    /// `Ok` when it does. The rule both a request and its confirmation are
    /// held to, and what `/r` shows per service.
    pub fn remote_refusal(
        &self,
        service: &str,
        phone: Option<&str>,
        now: Millis,
    ) -> Result<(), Rejection> {
        self.hall
            .service(service)
            .ok_or_else(|| Rejection::UnknownService(service.into()))?;
        let refuse = |why: String| Rejection::RemoteRefused {
            service: service.into(),
            why,
        };
        let per_hour = self.hall.remote_per_hour(service);
        if per_hour == 0 {
            return Err(refuse("please take a ticket at the hall's kiosk".into()));
        }
        // Hours, the daily cap and slot quotas: as for a ticket at the hall.
        self.decide_issue(service, None, None, now)?;
        if self.hall.hours_enforced
            && let Intake::Open { cutoff_at, .. } = self.hall.intake(service, now)
        {
            let stop_minutes = (self.hall.remote.cutoff_ms / 60_000) as hours::Minute;
            let stop = cutoff_at.saturating_sub(stop_minutes);
            if hours::local_minute(now, &self.hall.tz) >= stop {
                return Err(refuse(format!(
                    "tickets from home stop at {}, {} minutes before the hall stops giving out tickets at {}, so that people who come in person are served; you can still take one at the hall until {}",
                    hours::clock(stop),
                    stop_minutes,
                    hours::clock(cutoff_at),
                    hours::clock(cutoff_at),
                )));
            }
        }
        if self.remote_this_hour(service, now) >= per_hour {
            let hour = hours::local_minute(now, &self.hall.tz) / 60;
            return Err(refuse(format!(
                "its {per_hour} tickets from home for {} to {} are all taken; try again after {}, or take a ticket at the hall",
                hours::clock(hour * 60),
                hours::clock((hour + 1) * 60),
                hours::clock((hour + 1) * 60),
            )));
        }
        if let Some(phone) = phone {
            let live = self.remote_phones.iter().find_map(|(id, p)| {
                let t = self.tickets.get(id)?;
                (p == phone && t.service == service && t.state.is_open()).then_some(t)
            });
            if let Some(t) = live {
                return Err(Rejection::OnePerPhone {
                    number: t.number.clone(),
                    service: service.into(),
                });
            }
        }
        Ok(())
    }

    pub(super) fn decide_start_remote(
        &self,
        request: &str,
        service: &str,
        phone: &str,
        now: Millis,
    ) -> Result<Decision, Rejection> {
        self.new_request_id(request)?;
        let phone = normalize_phone(phone)?;
        self.phone_may_ask(&phone, now)?;
        self.remote_refusal(service, Some(&phone), now)?;
        let hall = &self.hall.name.zh;
        let name = self
            .hall
            .service(service)
            .map_or(String::new(), |s| s.name.zh.clone());
        let events = vec![
            Event::RemoteRequested {
                request: request.into(),
                service: service.into(),
                phone: phone.clone(),
                expires_at: now + REMOTE_CODE_TTL_MS,
            },
            Event::NotificationQueued {
                ticket: NO_TICKET,
                kind: CODE_KIND.into(),
                phone,
                message: format!(
                    "【{hall}】{name}远程取号验证码：{}，5 分钟内有效，请勿告诉他人。",
                    code_placeholder(request)
                ),
            },
        ];
        Ok(Decision {
            events,
            subject: None,
        })
    }

    pub(super) fn decide_confirm_remote(
        &self,
        request: &str,
        code_ok: bool,
        now: Millis,
    ) -> Result<Decision, Rejection> {
        let r = self
            .remote_requests
            .get(request)
            .ok_or_else(|| Rejection::UnknownRequest(request.into()))?;
        if r.booking.is_some() {
            return Err(Rejection::BadInput(
                "this request books an appointment; confirm it with POST /api/v1/bookings/confirm"
                    .into(),
            ));
        }
        if let Some(t) = r.ticket.and_then(|id| self.tickets.get(&id)) {
            return Err(Rejection::RequestUsed {
                number: t.number.clone(),
            });
        }
        if r.wrong >= REMOTE_CODE_TRIES {
            return Err(Rejection::CodeLocked);
        }
        if now > r.expires_at {
            return Err(Rejection::CodeExpired);
        }
        if !code_ok {
            // Recorded (so five lock it), though the caller hears a refusal.
            return Ok(Decision {
                events: vec![Event::RemoteCodeWrong {
                    request: request.into(),
                }],
                subject: None,
            });
        }
        self.remote_refusal(&r.service, Some(&r.phone), now)?;
        let mut decision = self.decide_issue(&r.service, None, None, now)?;
        let ticket = decision
            .subject
            .ok_or_else(|| Rejection::BadInput("no ticket".into()))?;
        decision.events.push(Event::TicketRemote {
            ticket,
            request: request.into(),
            phone: r.phone.clone(),
        });
        Ok(decision)
    }

    pub(super) fn decide_arrive(
        &self,
        id: TicketId,
        proof: &ArrivalProof,
        by: &str,
    ) -> Result<Decision, Rejection> {
        let t = self.tickets.get(&id).ok_or(Rejection::UnknownTicket(id))?;
        if t.channel != Channel::Remote {
            return Err(Rejection::NotRemote {
                number: t.number.clone(),
            });
        }
        check(t, Transition::Arrive, "checked in")?;
        if let ArrivalProof::PhoneLast4(digits) = proof {
            if digits.len() != 4 || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return Err(Rejection::BadInput(
                    "`phone_last4` is the last 4 digits of the phone that took the ticket".into(),
                ));
            }
            if self.arrival_tries_left(id) == 0 {
                return Err(Rejection::ArrivalLocked {
                    number: t.number.clone(),
                });
            }
            let phone = self.remote_phones.get(&id).map(String::as_str);
            if phone.map(arrival_digits).as_deref() != Some(digits.as_str()) {
                // Recorded (so five lock the digits), though the caller
                // hears a refusal.
                return Ok(Decision {
                    events: vec![Event::ArrivalDigitsWrong { ticket: id }],
                    subject: None,
                });
            }
        }
        Ok(Decision {
            events: vec![Event::TicketArrived {
                ticket: id,
                by: by.into(),
            }],
            subject: Some(id),
        })
    }

    pub(super) fn decide_defer(&self, id: TicketId, places: u32) -> Result<Decision, Rejection> {
        let t = self.tickets.get(&id).ok_or(Rejection::UnknownTicket(id))?;
        let refuse = |why: String| Rejection::DeferRefused {
            number: t.number.clone(),
            why,
        };
        if t.channel != Channel::Remote {
            return Err(Rejection::NotRemote {
                number: t.number.clone(),
            });
        }
        check(t, Transition::Defer, "moved back")?;
        if t.deferred {
            return Err(refuse(
                "it was moved back once already, and a ticket is moved back only once".into(),
            ));
        }
        let max = self.hall.remote.defer_max_places;
        if !(1..=max).contains(&places) {
            return Err(refuse(format!("give 1 to {max} places")));
        }
        let key = QueueKey::of(t);
        let queue = self
            .hall
            .service_index(&t.service)
            .zip(self.hall.class_index(&t.class))
            .map(|(si, ci)| &self.queues[si][ci]);
        let behind: Vec<&QueueKey> = queue
            .map(|q| {
                q.range((std::ops::Bound::Excluded(key), std::ops::Bound::Unbounded))
                    .take(places as usize)
                    .collect()
            })
            .unwrap_or_default();
        let Some(last) = behind.last() else {
            return Err(refuse(
                "nobody waits behind it yet, so there is no place to move back to".into(),
            ));
        };
        Ok(Decision {
            events: vec![Event::TicketDeferred {
                ticket: id,
                places: behind.len() as u32,
                queued_at: last.queued_at,
                behind: Some(last.id),
            }],
            subject: Some(id),
        })
    }

    /// Remote tickets passed over by calling `picked`: those before it in
    /// its queue, not held yet (see [`HallState::hold`]).
    pub(super) fn held_by_call(&self, picked: TicketId, now: Millis) -> Vec<Event> {
        let Some(t) = self.tickets.get(&picked) else {
            return vec![];
        };
        if t.target_counter.is_some() {
            return vec![];
        }
        let Some(queue) = self
            .hall
            .service_index(&t.service)
            .zip(self.hall.class_index(&t.class))
            .map(|(si, ci)| &self.queues[si][ci])
        else {
            return vec![];
        };
        queue
            .iter()
            .take_while(|k| k.id != picked)
            .filter_map(|k| self.tickets.get(&k.id))
            .filter(|r| r.state == TicketState::Remote && r.lapse_at.is_none())
            .map(|r| self.hold(r, now))
            .collect()
    }

    /// Remote tickets at the very front of counter `ci`'s queues, not held
    /// yet, when it has nobody to call: they reached the front too (else a
    /// last ticket that never comes would never lapse).
    pub(super) fn held_when_idle(&self, ci: usize, now: Millis) -> Vec<Event> {
        let mut held = Vec::new();
        for code in &self.hall.counters[ci].services {
            let Some(si) = self.hall.service_index(code) else {
                continue;
            };
            for queue in &self.queues[si] {
                for k in queue {
                    let Some(r) = self.tickets.get(&k.id) else {
                        break;
                    };
                    if r.state != TicketState::Remote {
                        break;
                    }
                    if r.lapse_at.is_none()
                        && !held.iter().any(
                            |e| matches!(e, Event::TicketHeld { ticket, .. } if *ticket == r.id),
                        )
                    {
                        held.push(self.hold(r, now));
                    }
                }
            }
        }
        held
    }

    /// The hold of remote ticket `r` at `now`: until its estimated call
    /// time (or now, if that has passed) plus the grace.
    fn hold(&self, r: &crate::ticket::Ticket, now: Millis) -> Event {
        let expected = r.issued_at + i64::from(r.predicted_wait_s.unwrap_or(0)) * 1000;
        Event::TicketHeld {
            ticket: r.id,
            lapse_at: expected.max(now) + self.hall.remote.grace_ms,
        }
    }

    /// Remote tickets held past their time, at `now`: they lapse. The
    /// engine records these after each batch (and on its periodic tick).
    pub fn remote_due(&self, now: Millis) -> Vec<Event> {
        let mut lapsed: Vec<TicketId> = self
            .remote_phones
            .keys()
            .filter(|id| {
                self.tickets.get(id).is_some_and(|t| {
                    t.state == TicketState::Remote && t.lapse_at.is_some_and(|at| at <= now)
                })
            })
            .copied()
            .collect();
        lapsed.sort();
        lapsed
            .into_iter()
            .map(|ticket| Event::TicketLapsed { ticket })
            .collect()
    }

    /// Applies `TicketRemote`: the ticket just issued was taken from home.
    pub(super) fn mark_remote(&mut self, id: TicketId, request: &str, phone: &str) -> bool {
        let Some(t) = self.tickets.get_mut(&id) else {
            return false;
        };
        t.state = TicketState::Remote;
        t.channel = Channel::Remote;
        self.remote_phones.insert(id, phone.to_owned());
        self.subscriptions
            .entry(id)
            .or_insert_with(|| Subscription {
                phone: phone.to_owned(),
                sent: Default::default(),
                ready: false,
            });
        if let Some(r) = self.remote_requests.get_mut(request) {
            r.ticket = Some(id);
        }
        true
    }

    /// Applies `RemoteRequested` (and, with `booking`, `BookingRequested`).
    pub(super) fn add_remote_request(
        &mut self,
        request: &str,
        service: &str,
        phone: &str,
        at: Millis,
        expires_at: Millis,
        booking: Option<BookingDraft>,
    ) {
        self.remote_requests.insert(
            request.to_owned(),
            RemoteRequest {
                service: service.to_owned(),
                phone: phone.to_owned(),
                at,
                expires_at,
                wrong: 0,
                ticket: None,
                booking,
                booked: None,
            },
        );
    }

    /// The code checks shared by remote and booking requests: known, not
    /// used, not locked, not expired.
    pub(super) fn usable_request(
        &self,
        request: &str,
        now: Millis,
    ) -> Result<&RemoteRequest, Rejection> {
        let r = self
            .remote_requests
            .get(request)
            .ok_or_else(|| Rejection::UnknownRequest(request.into()))?;
        if let Some(code) = &r.booked {
            return Err(Rejection::BookingRefused(format!(
                "this request has already booked appointment {code}"
            )));
        }
        if r.wrong >= REMOTE_CODE_TRIES {
            return Err(Rejection::CodeLocked);
        }
        if now > r.expires_at {
            return Err(Rejection::CodeExpired);
        }
        Ok(r)
    }

    /// Per phone: codes asked for in the last hour, against the limit.
    pub(super) fn phone_may_ask(&self, phone: &str, now: Millis) -> Result<(), Rejection> {
        let limit = self.hall.remote.codes_per_phone_hour;
        let recent = self
            .remote_requests
            .values()
            .filter(|r| r.phone == phone && r.at > now - 60 * 60_000)
            .count() as u32;
        if recent >= limit {
            return Err(Rejection::PhoneRateLimited { limit });
        }
        Ok(())
    }

    /// A new request id: 16-64 letters, digits, '-' or '_', not seen today.
    pub(super) fn new_request_id(&self, request: &str) -> Result<(), Rejection> {
        let valid_id = (16..=64).contains(&request.len())
            && request
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if !valid_id || self.remote_requests.contains_key(request) {
            return Err(Rejection::BadInput(
                "the request id must be new, 16-64 letters, digits, '-' or '_'".into(),
            ));
        }
        Ok(())
    }

    /// How many more wrong `phone_last4` ticket `id` takes before only its
    /// arrival code checks it in.
    pub fn arrival_tries_left(&self, id: TicketId) -> u32 {
        let wrong = self.arrival_wrong.get(&id).copied().unwrap_or(0);
        ARRIVAL_DIGITS_TRIES.saturating_sub(wrong)
    }

    /// Applies `RemoteCodeWrong`.
    pub(super) fn count_wrong_code(&mut self, request: &str) {
        if let Some(r) = self.remote_requests.get_mut(request) {
            r.wrong += 1;
        }
    }
}
