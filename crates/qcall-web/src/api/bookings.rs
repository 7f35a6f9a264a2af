//! `/bookings`: appointments the applicant books on `/r` — asked for with
//! a phone number, confirmed with the texted code, cancelled by the
//! check-in code — and the free slots of a day. Check-in is the kiosk's
//! (`POST /tickets` with `appointment_code`), as for every appointment.
//!
//! The ID-card number is checked and hashed here with the hall secret;
//! only the hash and its last four characters go further. Whether a slot
//! can be booked is the core's decision.

use axum::Json;
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use qcall_core::state::{id_last4, normalize_id_number};
use qcall_core::{Command, Millis, Rejection};
use qcall_engine::EngineError;
use qcall_store::TicketKeys;
use serde::Deserialize;

use crate::error::{ApiError, ErrorBody};
use crate::wire;
use crate::{AppState, ClientIp};

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BookingStart {
    #[schema(example = "A")]
    service: String,
    /// The day, `YYYY-MM-DD`.
    #[schema(example = "2026-11-24")]
    date: String,
    /// The slot's start, `HH:MM` (`GET /bookings/slots` lists them).
    #[schema(example = "09:30")]
    slot: String,
    name: String,
    /// The ID-card number: kept only as a keyed hash and its last four.
    #[schema(example = "11010519491231002X")]
    id_number: String,
    #[schema(example = "13800138000")]
    phone: String,
}

/// The instant of `date` at `slot` (`HH:MM`) in the hall's time zone.
fn slot_start(
    state: &AppState,
    date: &str,
    slot: &str,
) -> Result<(jiff::civil::Date, Millis), ApiError> {
    let bad = |what: String| ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_body", what);
    let day: jiff::civil::Date = date
        .parse()
        .map_err(|_| bad(format!("`date` {date:?} is not a date like 2026-11-24")))?;
    let (h, m) = slot
        .split_once(':')
        .and_then(|(h, m)| Some((h.parse::<i8>().ok()?, m.parse::<i8>().ok()?)))
        .filter(|(h, m)| (0..24).contains(h) && (0..60).contains(m))
        .ok_or_else(|| bad(format!("`slot` {slot:?} is not a time like 09:30")))?;
    let zoned = day
        .at(h, m, 0, 0)
        .to_zoned(state.engine.hall().tz.clone())
        .map_err(|_| {
            bad(format!(
                "{date} {slot} does not exist in the hall's time zone"
            ))
        })?;
    Ok((day, zoned.timestamp().as_millisecond()))
}

/// Asks to book an appointment: a code is texted to `phone` through the
/// hall's SMS gateway. Refused, with the reason, outside the service's
/// calendar, for a past time or too far ahead, or when the hall takes no
/// online bookings. Limited per phone and per address like remote tickets.
#[utoipa::path(
    post,
    path = "/api/v1/bookings",
    tag = "appointments",
    request_body = BookingStart,
    responses(
        (status = 202, description = "The code is on its way; confirm within 5 minutes", body = wire::RemoteStartedBody),
        (status = 400, description = "`malformed_json`", body = ErrorBody),
        (status = 404, description = "`unknown_service`", body = ErrorBody),
        (status = 409, description = "`booking_refused`: not bookable, with the reason", body = ErrorBody),
        (status = 413, description = "`body_too_large`", body = ErrorBody),
        (status = 415, description = "`not_json`", body = ErrorBody),
        (status = 422, description = "`invalid_body`, `bad_input`: a date, time, name, ID or phone number that is not one", body = ErrorBody),
        (status = 429, description = "`phone_rate_limited`, `rate_limited`", body = ErrorBody),
        (status = 503, description = "`storage_unavailable`, `shutting_down`: nothing was changed", body = ErrorBody),
    )
)]
pub async fn start(
    State(state): State<AppState>,
    ClientIp(client): ClientIp,
    body: Result<Json<BookingStart>, JsonRejection>,
) -> Result<Response, ApiError> {
    let Json(body) = body?;
    state.remote_limit(client)?;
    let (_, slot) = slot_start(&state, &body.date, &body.slot)?;
    let id = normalize_id_number(&body.id_number)?;
    let request = super::remote::random_id()?;
    state
        .engine
        .execute(Command::StartBooking {
            request: request.clone(),
            service: body.service,
            slot_start: slot,
            name: body.name,
            id_hash: state.keys.id_hash(&id),
            id_last4: id_last4(&id),
            phone: body.phone,
        })
        .await?;
    super::remote::code_on_its_way(&state, request).await
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BookingConfirm {
    request_id: String,
    #[schema(example = "123456")]
    code: String,
}

/// Confirms a booking request with its code: the appointment, with its
/// check-in code (also texted). A reminder is texted the day before.
#[utoipa::path(
    post,
    path = "/api/v1/bookings/confirm",
    tag = "appointments",
    request_body = BookingConfirm,
    responses(
        (status = 201, description = "Booked", body = wire::BookingConfirmedBody),
        (status = 400, description = "`malformed_json`", body = ErrorBody),
        (status = 403, description = "`code_locked`: 5 wrong codes", body = ErrorBody),
        (status = 404, description = "`unknown_request`", body = ErrorBody),
        (status = 409, description = "`booking_refused`: the slot is full, the same ID number booked that day, ...", body = ErrorBody),
        (status = 410, description = "`code_expired`", body = ErrorBody),
        (status = 413, description = "`body_too_large`", body = ErrorBody),
        (status = 415, description = "`not_json`", body = ErrorBody),
        (status = 422, description = "`invalid_body`, `bad_input`, `wrong_code`", body = ErrorBody),
        (status = 429, description = "`rate_limited`", body = ErrorBody),
        (status = 503, description = "`storage_unavailable`, `shutting_down`: nothing was changed", body = ErrorBody),
    )
)]
pub async fn confirm(
    State(state): State<AppState>,
    ClientIp(client): ClientIp,
    body: Result<Json<BookingConfirm>, JsonRejection>,
) -> Result<Response, ApiError> {
    let Json(body) = body?;
    state.remote_limit(client)?;
    let code_ok = super::remote::texted_code_ok(&state, &body.request_id, &body.code)?;
    let hall = state.engine.hall().clone();
    // A fresh check-in code; on the rare clash with one of that day, another.
    let mut last = None;
    for _ in 0..5 {
        let appointment = super::appointments::random_code()?;
        let cmd = Command::ConfirmBooking {
            request: body.request_id.clone(),
            code_ok,
            code: appointment.clone(),
            booked_in_slot: 0,
            same_person: false,
        };
        match state.engine.execute(cmd).await {
            Ok(_) if !code_ok => {
                let id = body.request_id.clone();
                let left = state
                    .engine
                    .read(move |s, _| s.remote_request(&id).map_or(0, |r| r.tries_left()))
                    .await?;
                let refusal = if left == 0 {
                    Rejection::CodeLocked
                } else {
                    Rejection::WrongCode { left }
                };
                return Err(refusal.into());
            }
            Ok(_) => {
                let id = body.request_id.clone();
                let booked = state
                    .engine
                    .read(move |s, _| {
                        s.remote_request(&id)
                            .and_then(|r| r.booking.clone().map(|b| (r.service.clone(), b)))
                    })
                    .await?
                    .ok_or_else(|| ApiError::internal("a booked request is not in the state"))?;
                let (service, draft) = booked;
                let rules = &hall.appointments;
                let at = |ms: i64| wire::local_rfc3339(ms, &hall.tz);
                let end = draft.slot_start + rules.slot_ms;
                let body = wire::BookingConfirmedBody {
                    code: appointment,
                    service,
                    slot: at(draft.slot_start),
                    slot_end: at(end),
                    checkin_from: at(draft.slot_start - rules.early_ms),
                    checkin_until: at(end + rules.late_ms),
                    id_last4: draft.id_last4,
                };
                return Ok((StatusCode::CREATED, Json(body)).into_response());
            }
            Err(qcall_engine::EngineError::Rejected(Rejection::CodeTaken(c))) => {
                last = Some(Rejection::CodeTaken(c));
            }
            Err(e) => return Err(e.into()),
        }
    }
    Err(last.map_or_else(|| ApiError::internal("no code"), ApiError::from))
}

/// `DELETE /bookings/{code}`: what proves the booking is the caller's.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CancelBody {
    /// The last 4 digits of the phone the appointment was booked with.
    #[schema(example = "8000")]
    phone_last4: String,
}

/// The one answer for a wrong code, wrong digits and a booking that took
/// its 5 wrong tries: it tells a guesser nothing.
fn no_such_booking() -> ApiError {
    ApiError::not_found(
        "unknown_booking",
        "no appointment to come has that code and phone digits; check the code in the text message and the last 4 digits of the phone you booked with (after 5 wrong tries, call the hall to cancel)",
    )
}

/// Cancels an appointment by its check-in code and the last 4 digits of
/// the phone it was booked with (one still to come, not checked in).
/// Wrong digits are counted per booking; after 5 it is not cancelled from
/// a phone. Rate-limited per address like the codes.
#[utoipa::path(
    delete,
    path = "/api/v1/bookings/{code}",
    tag = "appointments",
    params(("code" = String, Path, description = "The appointment's check-in code")),
    request_body = CancelBody,
    responses(
        (status = 200, description = "Cancelled", body = wire::BookingCancelledBody),
        (status = 400, description = "`malformed_json`", body = ErrorBody),
        (status = 404, description = "`unknown_booking`: no appointment to come with that code and phone digits (also after 5 wrong digits for it)", body = ErrorBody),
        (status = 409, description = "`booking_refused`: already checked in", body = ErrorBody),
        (status = 415, description = "`not_json`", body = ErrorBody),
        (status = 422, description = "`invalid_body`, `bad_input`: `phone_last4` missing or not 4 digits", body = ErrorBody),
        (status = 429, description = "`rate_limited`", body = ErrorBody),
        (status = 503, description = "`storage_unavailable`, `shutting_down`: nothing was changed", body = ErrorBody),
    )
)]
pub async fn cancel(
    State(state): State<AppState>,
    ClientIp(client): ClientIp,
    Path(code): Path<String>,
    body: Result<Json<CancelBody>, JsonRejection>,
) -> Result<Json<wire::BookingCancelledBody>, ApiError> {
    let Json(body) = body?;
    state.remote_limit(client)?;
    let digits = body.phone_last4.trim().to_owned();
    if digits.len() != 4 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Rejection::BadInput(
            "`phone_last4` is the last 4 digits of the phone the appointment was booked with"
                .into(),
        )
        .into());
    }
    let hall = state.engine.hall().clone();
    let today = qcall_core::time::business_day(state.engine.now(), &hall.tz);
    let c = code.clone();
    let found = state
        .engine
        .read(move |_, store| store.bookings_to_cancel(&c, today))
        .await?
        .map_err(|e| state.engine.read_failed(e))?;
    if found.is_empty() {
        return Err(no_such_booking());
    }
    let matches = |phone: &Option<String>| {
        phone
            .as_deref()
            .is_some_and(|p| TicketKeys::same_code(&qcall_core::state::arrival_digits(p), &digits))
    };
    // The earliest appointment to come with that code and phone; when
    // none matches, each one with the code counts a wrong try.
    let mine = found.iter().find(|b| matches(&b.phone));
    let tries: Vec<_> = match mine {
        Some(one) => vec![(one, true)],
        None => found.iter().map(|one| (one, false)).collect(),
    };
    let mut cancelled = None;
    for (b, digits_ok) in tries {
        let a = &b.appointment;
        let reply = state
            .engine
            .execute(Command::CancelBooking {
                code: code.clone(),
                slot_start: a.slot_start,
                slot_end: a.slot_end,
                checked_in: b.checked_in,
                digits_ok,
                wrong: b.wrong,
            })
            .await;
        match reply {
            Ok(_) if digits_ok => cancelled = Some(a.slot_start),
            // Wrong digits (recorded), or a booking past its tries or its
            // slot: the same 404 below.
            Ok(_) | Err(EngineError::Rejected(Rejection::UnknownBooking(_))) => {}
            Err(e) => return Err(e.into()),
        }
    }
    let slot = cancelled.ok_or_else(no_such_booking)?;
    Ok(Json(wire::BookingCancelledBody {
        code,
        slot: wire::local_rfc3339(slot, &hall.tz),
        cancelled: true,
    }))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SlotsQuery {
    /// The service's code.
    service: String,
    /// The day, `YYYY-MM-DD`.
    date: String,
}

/// The slots of a day that can still be booked, with how many are free.
#[utoipa::path(
    get,
    path = "/api/v1/bookings/slots",
    tag = "appointments",
    params(SlotsQuery),
    responses(
        (status = 200, description = "The day's bookable slots", body = wire::BookingSlotsBody),
        (status = 400, description = "`bad_query`", body = ErrorBody),
        (status = 404, description = "`unknown_service`", body = ErrorBody),
        (status = 422, description = "`invalid_body`: not a date", body = ErrorBody),
        (status = 503, description = "`shutting_down`", body = ErrorBody),
    )
)]
pub async fn slots(
    State(state): State<AppState>,
    query: Result<Query<SlotsQuery>, QueryRejection>,
) -> Result<Json<wire::BookingSlotsBody>, ApiError> {
    let Query(q) = query?;
    let hall = state.engine.hall().clone();
    hall.service(&q.service)
        .ok_or_else(|| Rejection::UnknownService(q.service.clone()))?;
    let (day, midnight) = slot_start(&state, &q.date, "00:00")?;
    let now = state.engine.now();
    let step = hall.appointments.slot_ms.max(60_000);
    let service = q.service.clone();
    let (slots, why_not) = state
        .engine
        .read(move |s, store| {
            let mut slots = Vec::new();
            let mut why = None;
            let mut at = midnight;
            while at < midnight + 24 * 3_600_000 {
                match s.bookable(&service, at, now) {
                    Ok(()) => {
                        let taken = store
                            .bookings_in(&service, day, at, at + step)
                            .unwrap_or(u32::MAX);
                        let left = s.hall().self_booking.per_slot.saturating_sub(taken);
                        slots.push((at, left));
                    }
                    Err(e) => why = Some(e.to_string()),
                }
                at += step;
            }
            if !s.hall().self_booking.enabled {
                slots.clear();
                why = Some("this hall does not take appointments booked online".into());
            }
            // A day with free slots needs no reason for the hours without.
            let why = if slots.is_empty() { why } else { None };
            (slots, why)
        })
        .await?;
    let clock = |ms: i64| qcall_core::hours::clock(qcall_core::hours::local_minute(ms, &hall.tz));
    Ok(Json(wire::BookingSlotsBody {
        service: q.service,
        date: day.to_string(),
        slots: slots
            .into_iter()
            .map(|(at, left)| wire::BookingSlotJson {
                slot: clock(at),
                start: wire::local_rfc3339(at, &hall.tz),
                left,
            })
            .collect(),
        why_not,
    }))
}
