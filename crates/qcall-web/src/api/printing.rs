//! Requests whose purpose is paper: reprinting a ticket, a counter's
//! one-time notice slip (一次性告知单), and the printers' and speaker's
//! health. What a slip says is decided by the binary's printing module.

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use qcall_store::Role;
use serde::Deserialize;
use serde_json::{Value, json};

use super::{base_url, parse_ticket_id};
use crate::AppState;
use crate::devices::{NoticeRequest, PrintOutcome, PrintStatus};
use crate::error::{ApiError, ErrorBody};
use crate::wire;

fn printing(state: &AppState) -> Result<std::sync::Arc<dyn crate::devices::Printing>, ApiError> {
    state.printing.clone().ok_or_else(|| {
        ApiError::new(
            StatusCode::CONFLICT,
            "no_printer",
            "this hall has no printer configured; add [[printers]] to the config",
        )
    })
}

/// The response for a request whose only purpose was printing.
fn print_result(
    outcome: PrintOutcome,
    ticket: Option<wire::TicketJson>,
) -> Result<Json<wire::PrintedBody>, ApiError> {
    match outcome.status {
        PrintStatus::Printed => Ok(Json(wire::PrintedBody {
            print: "printed",
            printer: outcome.printer,
            ticket,
        })),
        // A request made only to print waits for the printer: never queued.
        PrintStatus::Failed | PrintStatus::Queued => Err(ApiError::new(
            StatusCode::BAD_GATEWAY,
            "print_failed",
            outcome
                .reason
                .unwrap_or_else(|| "the printer did not print".into()),
        )),
        PrintStatus::None => Err(ApiError::new(
            StatusCode::CONFLICT,
            "no_printer",
            "no printer is configured for this; name one with {\"printer\": ID} or set one up in the config",
        )),
    }
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReprintBody {
    /// A printer's id (`GET /api/v1/printers`); the ticket's kiosk's when left out.
    #[schema(example = "hall")]
    printer: Option<String>,
}

/// Prints a ticket again (guide or supervisor), on its kiosk's printer or a named one.
#[utoipa::path(
    post,
    path = "/api/v1/tickets/{id}/reprint",
    tag = "tickets",
    params(super::tickets::TicketPath),
    request_body(content = Option<ReprintBody>, description = "Which printer; may be empty"),
    security(("bearer" = ["guide", "supervisor"])),
    responses(
        (status = 200, description = "Printed", body = wire::PrintedBody),
        (status = 400, description = "`invalid_body`: the body is not JSON", body = ErrorBody),
        (status = 401, description = "`unauthorized`: no valid token", body = ErrorBody),
        (status = 403, description = "`forbidden`: not a guide or supervisor token", body = ErrorBody),
        (status = 404, description = "`unknown_ticket`, `unknown_printer`", body = ErrorBody),
        (status = 409, description = "`no_printer`: none configured for this ticket", body = ErrorBody),
        (status = 413, description = "`body_too_large`", body = ErrorBody),
        (status = 422, description = "`invalid_body`", body = ErrorBody),
        (status = 502, description = "`print_failed`: the printer did not print; the message says why", body = ErrorBody),
        (status = 503, description = "`shutting_down`", body = ErrorBody),
    )
)]
pub async fn reprint_ticket(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<Json<wire::PrintedBody>, ApiError> {
    state.auth.require(
        &headers,
        &[Role::Guide, Role::Supervisor],
        "reprinting a ticket",
    )?;
    let printing = printing(&state)?;
    let body: ReprintBody = super::optional_body(&body)?;
    if let Some(name) = &body.printer
        && !printing.printers().iter().any(|p| &p.id == name)
    {
        let name: String = name.chars().take(40).collect();
        return Err(ApiError::not_found(
            "unknown_printer",
            format!("there is no printer `{name}`; GET /api/v1/printers lists them"),
        ));
    }
    let id = parse_ticket_id(&id)?;
    let view =
        state.engine.ticket(id).await?.ok_or_else(|| {
            ApiError::not_found("unknown_ticket", format!("there is no ticket {id}"))
        })?;
    let base = base_url(&state, &headers);
    let ticket = Some(wire::ticket(&state.engine.hall(), &base, &view));
    print_result(
        printing.ticket(view, base, body.printer, true).await,
        ticket,
    )
}

/// Every printer with its health.
#[utoipa::path(
    get,
    path = "/api/v1/printers",
    tag = "devices",
    responses((status = 200, description = "The printers", body = wire::PrintersBody))
)]
pub async fn printers(State(state): State<AppState>) -> Json<wire::PrintersBody> {
    let printers = state
        .printing
        .as_ref()
        .map(|p| p.printers())
        .unwrap_or_default();
    Json(wire::PrintersBody { printers })
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NoticeBody {
    /// The materials still missing, one line each.
    missing: Vec<String>,
    /// A note for the slip.
    note: Option<String>,
    /// The clerk's name on the slip; the token's subject when left out.
    staff: Option<String>,
}

/// Prints a one-time notice slip (一次性告知单) at a counter.
#[utoipa::path(
    post,
    path = "/api/v1/counters/{counter}/notice",
    tag = "counters",
    params(super::counters::CounterPath),
    request_body = NoticeBody,
    security(("bearer" = ["counter", "supervisor"])),
    responses(
        (status = 200, description = "Printed", body = wire::PrintedBody),
        (status = 400, description = "`malformed_json`", body = ErrorBody),
        (status = 401, description = "`unauthorized`: no valid token", body = ErrorBody),
        (status = 403, description = "`forbidden`: another counter's token", body = ErrorBody),
        (status = 404, description = "`unknown_counter`", body = ErrorBody),
        (status = 409, description = "`no_printer`", body = ErrorBody),
        (status = 413, description = "`body_too_large`", body = ErrorBody),
        (status = 415, description = "`not_json`", body = ErrorBody),
        (status = 422, description = "`invalid_body`: nothing to print, or too much", body = ErrorBody),
        (status = 502, description = "`print_failed`: the printer did not print; the message says why", body = ErrorBody),
        (status = 503, description = "`shutting_down`", body = ErrorBody),
    )
)]
pub async fn notice(
    State(state): State<AppState>,
    Path(counter): Path<String>,
    headers: HeaderMap,
    body: Result<Json<NoticeBody>, JsonRejection>,
) -> Result<Json<wire::PrintedBody>, ApiError> {
    if state.engine.hall().counter(&counter).is_none() {
        return Err(qcall_core::Rejection::UnknownCounter(counter).into());
    }
    let cred = state.auth.for_counter(&headers, &counter)?;
    let Json(body) = body?;
    // The core's rule for what a notice lists (the same as a suspension's).
    let missing =
        qcall_core::command::notice_items(&body.missing, body.note.as_deref()).map_err(|e| {
            ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_body",
                e.to_string(),
            )
        })?;
    let printing = printing(&state)?;
    let ticket = state
        .engine
        .read({
            let counter = counter.clone();
            move |s, _| {
                let current = s.counter(&counter).and_then(|c| c.current)?;
                qcall_engine::TicketView::of(s, current)
            }
        })
        .await?;
    let request = NoticeRequest {
        counter,
        staff: body
            .staff
            .filter(|s| !s.trim().is_empty())
            .unwrap_or(cred.subject),
        missing,
        note: body.note,
        ticket,
    };
    print_result(printing.notice(request).await, None)
}

/// The hall speaker's health, as last reported (`audio_state`).
#[utoipa::path(
    get,
    path = "/api/v1/audio",
    tag = "devices",
    responses(
        (status = 200, description = "The speaker's last report", body = crate::openapi::AudioBody),
        (status = 404, description = "`no_audio`: not configured, or no report yet", body = ErrorBody),
    )
)]
pub async fn audio(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    state
        .hub
        .latest("audio_state")
        .map(|v| Json(json!({ "audio": v })))
        .ok_or_else(|| {
            ApiError::not_found(
                "no_audio",
                "hall audio is not configured, or has not reported yet",
            )
        })
}
