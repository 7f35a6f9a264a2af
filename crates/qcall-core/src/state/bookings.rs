//! Appointments applicants book themselves on `/r`: the request and its
//! text-message code (the same machinery as remote tickets), the booking
//! within the hall's calendar and the per-slot limit, cancellation by the
//! check-in code, and the reminder the day before. Check-in is the
//! existing one (`Command::CheckIn` with the code).
//!
//! # What must stay true
//! - The ID-card number never reaches the core: it arrives as a keyed hash
//!   (made by the layer that holds the hall secret) and its last four
//!   characters, and only those are recorded.
//! - What a later day's bookings are (how many share a slot, whether the
//!   same person booked) is in the store, not in today's state: the engine
//!   fills it into the command, as it does for a returning ticket.
//! - A booking's code message, like a remote ticket's, is a placeholder in
//!   the outbox; the appointment code itself is what the applicant checks
//!   in with and is texted in the confirmation.
//!
//! Pure: no clock, no IO.

use super::HallState;
use super::remote::{BookingDraft, CODE_KIND, NO_TICKET, code_placeholder, normalize_phone};
use crate::command::{Decision, Rejection};
use crate::event::Event;
use crate::hall::{BOOKING_DIGITS_TRIES, REMOTE_CODE_TTL_MS};
use crate::hours;
use crate::time::{BusinessDay, Millis};

/// A change to a self-booked appointment's row in the store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Booking {
    /// Booked by the applicant: their phone and ID number's hash.
    Contact {
        day: BusinessDay,
        code: String,
        phone: String,
        id_hash: String,
        id_last4: String,
    },
    Cancelled {
        day: BusinessDay,
        code: String,
        at: Millis,
    },
    Reminded {
        day: BusinessDay,
        code: String,
        at: Millis,
    },
}

/// A self-booked appointment whose reminder is due (from the store).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reminder {
    pub code: String,
    pub service: String,
    pub slot_start: Millis,
    pub phone: String,
}

/// An ID-card number as checked: 18 characters (17 digits and a digit or
/// `X`) or the old 15 digits; upper case, spaces dropped.
pub fn normalize_id_number(id: &str) -> Result<String, Rejection> {
    let id: String = id
        .chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| c.to_ascii_uppercase())
        .collect();
    let ok = match id.len() {
        18 => {
            id[..17].bytes().all(|b| b.is_ascii_digit())
                && id[17..].bytes().all(|b| b.is_ascii_digit() || b == b'X')
        }
        15 => id.bytes().all(|b| b.is_ascii_digit()),
        _ => false,
    };
    if ok {
        Ok(id)
    } else {
        Err(Rejection::BadInput(
            "an ID-card number is 18 characters (17 digits and a digit or X), or 15 digits".into(),
        ))
    }
}

/// The last four characters of a checked ID number: what staff see.
pub fn id_last4(id: &str) -> String {
    id[id.len().saturating_sub(4)..].to_owned()
}

impl HallState {
    #[allow(clippy::too_many_arguments)]
    pub(super) fn decide_start_booking(
        &self,
        request: &str,
        service: &str,
        slot_start: Millis,
        name: &str,
        (id_hash, id_last4): (&str, &str),
        phone: &str,
        now: Millis,
    ) -> Result<Decision, Rejection> {
        let svc = self
            .hall
            .service(service)
            .ok_or_else(|| Rejection::UnknownService(service.into()))?;
        let rules = &self.hall.self_booking;
        if !rules.enabled {
            return Err(Rejection::BookingRefused(
                "this hall does not take appointments booked online; please call the hall or take a ticket at the kiosk".into(),
            ));
        }
        self.new_request_id(request)?;
        let phone = normalize_phone(phone)?;
        let name = name.trim();
        if !(1..=64).contains(&name.chars().count()) || name.chars().any(char::is_control) {
            return Err(Rejection::BadInput(
                "give the applicant's name, 1-64 characters".into(),
            ));
        }
        if id_hash.is_empty() || id_last4.chars().count() != 4 {
            return Err(Rejection::BadInput("the ID-card number is missing".into()));
        }
        self.bookable(service, slot_start, now)?;
        self.phone_may_ask(&phone, now)?;
        let hall = &self.hall.name.zh;
        let when = format!(
            "{} {}",
            crate::time::business_day(slot_start, &self.hall.tz),
            hours::clock(hours::local_minute(slot_start, &self.hall.tz))
        );
        let events = vec![
            Event::BookingRequested {
                request: request.into(),
                service: service.into(),
                phone: phone.clone(),
                expires_at: now + REMOTE_CODE_TTL_MS,
                slot_start,
                name: name.into(),
                id_hash: id_hash.into(),
                id_last4: id_last4.into(),
            },
            Event::NotificationQueued {
                ticket: NO_TICKET,
                kind: CODE_KIND.into(),
                phone,
                message: format!(
                    "【{hall}】预约{}（{when}）验证码：{}，5 分钟内有效，请勿告诉他人。",
                    svc.name.zh,
                    code_placeholder(request)
                ),
            },
        ];
        Ok(Decision {
            events,
            subject: None,
        })
    }

    /// Whether `slot_start` can be booked for `service` at `now`: a slot's
    /// start (slots count from midnight), later than now, within the days
    /// ahead, and where the service's calendar serves (holidays and make-up
    /// days included) whether or not hours are enforced.
    pub fn bookable(
        &self,
        service: &str,
        slot_start: Millis,
        now: Millis,
    ) -> Result<(), Rejection> {
        let refuse = |why: String| Rejection::BookingRefused(why);
        let slot_ms = self.hall.appointments.slot_ms.max(60_000);
        let minute = i64::from(hours::local_minute(slot_start, &self.hall.tz));
        if (minute * 60_000) % slot_ms != 0 || slot_start % 60_000 != 0 {
            return Err(refuse(format!(
                "appointments start every {} minutes from midnight (e.g. 09:00, 09:30); choose one of those times",
                slot_ms / 60_000
            )));
        }
        if slot_start <= now {
            return Err(refuse("that time has passed; choose a later slot".into()));
        }
        let today = crate::time::business_day(now, &self.hall.tz);
        let day = crate::time::business_day(slot_start, &self.hall.tz);
        let ahead = today
            .until(day)
            .map_or(i64::MAX, |span| i64::from(span.get_days()));
        let max = i64::from(self.hall.self_booking.days_ahead);
        if ahead > max {
            return Err(refuse(format!(
                "appointments can be booked up to {max} days ahead"
            )));
        }
        if !self
            .hall
            .schedule_of(service)
            .serving(slot_start, &self.hall.tz)
        {
            return Err(refuse(format!(
                "service `{service}` does not serve at {day} {}; choose a time within its hours",
                hours::clock(minute as hours::Minute)
            )));
        }
        Ok(())
    }

    pub(super) fn decide_confirm_booking(
        &self,
        request: &str,
        code_ok: bool,
        code: &str,
        (booked_in_slot, same_person): (u32, bool),
        now: Millis,
    ) -> Result<Decision, Rejection> {
        let r = self.usable_request(request, now)?;
        let Some(draft) = &r.booking else {
            return Err(Rejection::BadInput(
                "this request is for a remote ticket; confirm it with POST /api/v1/remote/confirm"
                    .into(),
            ));
        };
        if !code_ok {
            return Ok(Decision {
                events: vec![Event::RemoteCodeWrong {
                    request: request.into(),
                }],
                subject: None,
            });
        }
        let BookingDraft {
            slot_start,
            name,
            id_hash,
            id_last4,
        } = draft;
        self.bookable(&r.service, *slot_start, now)?;
        let per_slot = self.hall.self_booking.per_slot;
        if booked_in_slot >= per_slot {
            return Err(Rejection::BookingRefused(format!(
                "the {} slot is fully booked ({per_slot} appointments); choose another time",
                hours::clock(hours::local_minute(*slot_start, &self.hall.tz))
            )));
        }
        if same_person {
            return Err(Rejection::BookingRefused(
                "this ID-card number already has an appointment for that service on that day; cancel it first to book another time".into(),
            ));
        }
        let mut decision = self.decide_book(code, &r.service, *slot_start, Some(name), now)?;
        decision.events.push(Event::AppointmentContact {
            code: code.into(),
            request: request.into(),
            slot_start: *slot_start,
            phone: r.phone.clone(),
            id_hash: id_hash.clone(),
            id_last4: id_last4.clone(),
        });
        let hall = &self.hall.name.zh;
        let rules = &self.hall.appointments;
        let clock = |at: Millis| hours::clock(hours::local_minute(at, &self.hall.tz));
        decision.events.push(Event::NotificationQueued {
            ticket: NO_TICKET,
            kind: "booked".into(),
            phone: r.phone.clone(),
            message: format!(
                "【{hall}】已预约 {} {}，预约码 {code}。请于 {} 至 {} 到大厅取号机凭预约码签到。",
                crate::time::business_day(*slot_start, &self.hall.tz),
                clock(*slot_start),
                clock(*slot_start - rules.early_ms),
                clock(*slot_start + rules.slot_ms + rules.late_ms),
            ),
        });
        Ok(decision)
    }

    pub(super) fn decide_cancel_booking(
        &self,
        code: &str,
        slot_start: Millis,
        slot_end: Millis,
        checked_in: bool,
        (digits_ok, wrong): (bool, u32),
        now: Millis,
    ) -> Result<Decision, Rejection> {
        // Past the tries, the booking answers as if it did not exist: a
        // guesser learns nothing, its holder calls the hall.
        if wrong >= BOOKING_DIGITS_TRIES || now > slot_end {
            return Err(Rejection::UnknownBooking(code.into()));
        }
        if !digits_ok {
            // Recorded (so five stop it), though the caller hears a refusal.
            return Ok(Decision {
                events: vec![Event::AppointmentCancelWrong {
                    code: code.into(),
                    slot_start,
                }],
                subject: None,
            });
        }
        if checked_in {
            return Err(Rejection::BookingRefused(format!(
                "appointment {code} is already checked in; ask a guide to cancel its ticket"
            )));
        }
        Ok(Decision {
            events: vec![Event::AppointmentCancelled {
                code: code.into(),
                slot_start,
            }],
            subject: None,
        })
    }

    /// The reminder of a self-booked appointment: the message and the mark
    /// that it went out (the engine records both, in one transaction).
    pub fn reminder_events(&self, r: &Reminder) -> Vec<Event> {
        let hall = &self.hall.name.zh;
        let service = self
            .hall
            .service(&r.service)
            .map_or(r.service.clone(), |s| s.name.zh.clone());
        let rules = &self.hall.appointments;
        let clock = |at: Millis| hours::clock(hours::local_minute(at, &self.hall.tz));
        vec![
            Event::NotificationQueued {
                ticket: NO_TICKET,
                kind: "reminder".into(),
                phone: r.phone.clone(),
                message: format!(
                    "【{hall}】提醒：您预约了明天 {} 的{service}，预约码 {}。请于 {} 至 {} 到大厅取号机签到，并带齐材料。",
                    clock(r.slot_start),
                    r.code,
                    clock(r.slot_start - rules.early_ms),
                    clock(r.slot_start + rules.slot_ms + rules.late_ms),
                ),
            },
            Event::AppointmentReminded {
                code: r.code.clone(),
                slot_start: r.slot_start,
            },
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn id_numbers_are_checked_and_only_their_tail_shown() {
        let check = |id: &str, expect: Result<&str, ()>| {
            assert_eq!(
                normalize_id_number(id).map_err(|_| ()),
                expect.map(str::to_owned),
                "{id}"
            );
        };
        check("11010519491231002x", Ok("11010519491231002X"));
        check(" 110105 19491231 0021 ", Ok("110105194912310021"));
        check("110105491231002", Ok("110105491231002"));
        check("11010519491231002Y", Err(()));
        check("1101051949123100", Err(()));
        check("", Err(()));
        assert_eq!(id_last4("11010519491231002X"), "002X");
    }
}
