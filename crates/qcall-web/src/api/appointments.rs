//! `/appointments`: booking (supervisor or integration) and today's list.

use axum::Json;
use axum::extract::State;
use axum::extract::rejection::JsonRejection;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use qcall_core::Command;
use qcall_core::stats::appointment_outcome;
use qcall_store::Role;
use serde::Deserialize;

use crate::AppState;
use crate::error::{ApiError, ErrorBody};
use crate::wire;

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BookBody {
    /// The service's code.
    #[schema(example = "A")]
    service: String,
    /// Slot start, RFC 3339 with an offset: `2026-11-23T10:00:00+08:00`.
    #[schema(format = DateTime)]
    slot: String,
    /// The applicant's name, for the list.
    name: Option<String>,
}

/// Books an appointment (supervisor or integration credential) and returns
/// its check-in code.
#[utoipa::path(
    post,
    path = "/api/v1/appointments",
    tag = "appointments",
    request_body = BookBody,
    security(("bearer" = ["supervisor", "integration"])),
    responses(
        (status = 201, description = "Booked, with its check-in code", body = wire::BookedBody),
        (status = 400, description = "`malformed_json`", body = ErrorBody),
        (status = 401, description = "`unauthorized`: no valid token", body = ErrorBody),
        (status = 403, description = "`forbidden`: not a supervisor or integration token", body = ErrorBody),
        (status = 404, description = "`unknown_service`", body = ErrorBody),
        (status = 409, description = "`slot_full`, `code_taken`, `service_closed`, ...", body = ErrorBody),
        (status = 413, description = "`body_too_large`", body = ErrorBody),
        (status = 415, description = "`not_json`", body = ErrorBody),
        (status = 422, description = "`invalid_body`, `bad_input`: not a slot", body = ErrorBody),
        (status = 503, description = "`storage_unavailable`, `shutting_down`", body = ErrorBody),
    )
)]
pub async fn book(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Json<BookBody>, JsonRejection>,
) -> Result<Response, ApiError> {
    state.auth.require(
        &headers,
        &[Role::Supervisor, Role::Integration],
        "booking an appointment",
    )?;
    let Json(body) = body?;
    let slot: jiff::Timestamp = body.slot.parse().map_err(|_| {
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_body",
            format!(
                "`slot` {:?} is not a time like 2026-11-23T10:00:00+08:00",
                body.slot
            ),
        )
    })?;
    let hall = state.engine.hall().clone();
    // A fresh 6-digit code; on the rare clash with a code of the same day, another.
    let mut last = None;
    for _ in 0..5 {
        let code = random_code()?;
        let cmd = Command::Book {
            code: code.clone(),
            service: body.service.clone(),
            slot_start: slot.as_millisecond(),
            name: body.name.clone(),
        };
        match state.engine.execute(cmd).await {
            Ok(_) => {
                let rules = &hall.appointments;
                let at = |ms: i64| qcall_core::time::local_rfc3339(ms, &hall.tz);
                let start = slot.as_millisecond();
                let end = start + rules.slot_ms;
                let appointment = wire::BookedJson {
                    code,
                    service: body.service,
                    slot_start: at(start),
                    slot_end: at(end),
                    checkin_from: at(start - rules.early_ms),
                    checkin_until: at(end + rules.late_ms),
                };
                return Ok(
                    (StatusCode::CREATED, Json(wire::BookedBody { appointment })).into_response(),
                );
            }
            Err(qcall_engine::EngineError::Rejected(qcall_core::Rejection::CodeTaken(c))) => {
                last = Some(qcall_core::Rejection::CodeTaken(c));
            }
            Err(e) => return Err(e.into()),
        }
    }
    Err(last.map_or_else(|| ApiError::internal("no code"), ApiError::from))
}

pub(crate) fn random_code() -> Result<String, ApiError> {
    let mut bytes = [0u8; 4];
    getrandom::fill(&mut bytes).map_err(ApiError::internal)?;
    Ok(format!("{:06}", u32::from_le_bytes(bytes) % 1_000_000))
}

/// Today's appointments (supervisor or integration).
#[utoipa::path(
    get,
    path = "/api/v1/appointments",
    tag = "appointments",
    security(("bearer" = ["supervisor", "integration"])),
    responses(
        (status = 200, description = "Today's appointments", body = wire::AppointmentsBody),
        (status = 401, description = "`unauthorized`: no valid token", body = ErrorBody),
        (status = 403, description = "`forbidden`: not a supervisor or integration token", body = ErrorBody),
        (status = 503, description = "`shutting_down`", body = ErrorBody),
    )
)]
pub async fn appointments(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Json<wire::AppointmentsBody>, ApiError> {
    state.auth.require(
        &headers,
        &[Role::Supervisor, Role::Integration],
        "the appointment list",
    )?;
    let hall = state.engine.hall().clone();
    let now = state.engine.now();
    let list = state
        .engine
        .read(move |s, _| {
            s.appointments()
                .into_iter()
                .map(|a| {
                    let ticket = a.ticket.and_then(|t| s.ticket(t));
                    wire::AppointmentJson {
                        code: a.code.clone(),
                        service: a.service.clone(),
                        slot_start: qcall_core::time::local_rfc3339(a.slot_start, &hall.tz),
                        name: a.name.clone(),
                        ticket: ticket.map(|t| t.number.clone()),
                        status: appointment_outcome(&hall, a, ticket, now).as_str(),
                    }
                })
                .collect::<Vec<_>>()
        })
        .await?;
    Ok(Json(wire::AppointmentsBody { appointments: list }))
}
