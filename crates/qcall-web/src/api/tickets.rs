//! `/tickets`: taking a ticket (kiosk, guide, appointment check-in), reading
//! one, and what staff or the applicant do with it later: cancel, let a
//! no-show back in, return after a suspension, leave a phone number, mark a
//! certificate ready. Printing a ticket again lives in [`super::printing`].

use axum::Json;
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use qcall_core::{Command, RatingOf};
use qcall_store::Role;
use serde::Deserialize;

use super::{
    KeyQuery, base_url, optional_body, parse_ticket_id, require_holder, require_holder_limited,
};
use crate::devices::{PrintOutcome, PrintStatus, TicketPrint};
use crate::error::{ApiError, ErrorBody};
use crate::wire;
use crate::{AppState, ClientIp};

/// A ticket in the path.
#[derive(Debug, utoipa::IntoParams)]
#[into_params(parameter_in = Path)]
#[allow(dead_code)] // Describes the path for the OpenAPI document only.
pub struct TicketPath {
    /// The ticket's id (`id` in a ticket).
    #[param(example = 1)]
    pub(crate) id: i64,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TakeTicket {
    /// The service's code (`GET /api/v1/services`).
    #[schema(example = "A")]
    service: String,
    /// A priority class id (`classes` in `GET /api/v1/services`); the
    /// hall's default class when left out.
    priority: Option<String>,
    /// Checks in a booked appointment by its 6-digit code instead.
    appointment_code: Option<String>,
    /// Where the ticket was taken (a kiosk's id): picks the printer.
    #[schema(example = "kiosk-1")]
    source: Option<String>,
}

/// Takes a ticket: from a kiosk (no credential, rate-limited per address),
/// or for someone else with a guide or supervisor token (not limited).
/// With `appointment_code` it checks in a booked appointment.
#[utoipa::path(
    post,
    path = "/api/v1/tickets",
    tag = "tickets",
    request_body = TakeTicket,
    security((), ("bearer" = ["guide", "supervisor"])),
    responses(
        (status = 201, description = "The ticket, taken; `print` says what its printer did", body = wire::TakenBody,
            headers(("Location" = String, description = "The ticket's URL"))),
        (status = 400, description = "`malformed_json`: the body is not JSON", body = ErrorBody),
        (status = 401, description = "`unauthorized`: a token was sent but is not valid", body = ErrorBody),
        (status = 404, description = "`unknown_service`, `unknown_appointment`", body = ErrorBody),
        (status = 409, description = "`service_full`, `service_closed`, `slot_full`, `appointment_window`, ...: no ticket now", body = ErrorBody),
        (status = 413, description = "`body_too_large`", body = ErrorBody),
        (status = 415, description = "`not_json`: send `Content-Type: application/json`", body = ErrorBody),
        (status = 422, description = "`invalid_body`, `unknown_priority`, `bad_input`", body = ErrorBody),
        (status = 429, description = "`rate_limited`: too many tickets from this address", body = ErrorBody),
        (status = 503, description = "`storage_unavailable`, `shutting_down`: nothing was changed", body = ErrorBody),
    )
)]
pub async fn take_ticket(
    State(state): State<AppState>,
    ClientIp(client): ClientIp,
    headers: HeaderMap,
    body: Result<Json<TakeTicket>, JsonRejection>,
) -> Result<Response, ApiError> {
    let Json(body) = body?;
    // Guides and supervisors issue on others' behalf and are not limited.
    let staff = state
        .auth
        .from_headers(&headers)?
        .is_some_and(|c| matches!(c.role, Role::Guide | Role::Supervisor));
    if !staff {
        state.kiosk_limit(client)?;
    }
    let cmd = match body.appointment_code {
        // Checking in an appointment: its own service, class and place.
        Some(code) => Command::CheckIn {
            code: code.trim().to_owned(),
            service: Some(body.service),
            source: body.source,
        },
        None => Command::Issue {
            service: body.service,
            class: body.priority,
            source: body.source,
        },
    };
    let reply = state.engine.execute(cmd).await?;
    let view = reply
        .ticket
        .ok_or_else(|| ApiError::internal("issue produced no ticket"))?;
    let base = base_url(&state, &headers);
    // Whoever took it holds it: the key is theirs (and the slip's QR code's).
    let ticket = wire::holder_ticket(&state.engine.hall(), &base, &state.keys, &view);
    let location = format!("/api/v1/tickets/{}", view.ticket.id.0);
    // The ticket is committed: whatever the printer does now, it stands,
    // and the kiosk is not kept waiting for paper (a printer that accepts
    // and never answers would hold it for the printer's timeout).
    let outcome = match &state.printing {
        Some(p) => match p.new_ticket(view.clone(), base) {
            TicketPrint::Now(outcome) => {
                if outcome.status != PrintStatus::None {
                    print_notice(&state, &view, &outcome);
                }
                outcome
            }
            TicketPrint::Queued { printer, result } => {
                let (hub_state, view) = (state.clone(), view.clone());
                tokio::spawn(async move {
                    let outcome = result.await;
                    print_notice(&hub_state, &view, &outcome);
                });
                PrintOutcome {
                    status: PrintStatus::Queued,
                    printer: Some(printer),
                    reason: None,
                }
            }
        },
        None => PrintOutcome {
            status: PrintStatus::None,
            printer: None,
            reason: None,
        },
    };
    let body = wire::TakenBody {
        ticket,
        print: outcome.status.as_str(),
        print_reason: outcome.reason,
        printer: outcome.printer,
    };
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, location)],
        Json(body),
    )
        .into_response())
}

/// How a new ticket's print ended, on the public stream: the kiosk that took
/// it shows "remember your number" when it failed. Public like the wall
/// display's calls: the ticket's id and number, the printer's id and why.
fn print_notice(state: &AppState, view: &qcall_engine::TicketView, outcome: &PrintOutcome) {
    state.hub.notice(
        "ticket_print",
        serde_json::json!({
            "ticket_id": view.ticket.id.0,
            "number": view.ticket.number,
            "source": view.ticket.source,
            "status": outcome.status.as_str(),
            "printer": outcome.printer,
            "reason": outcome.reason,
        }),
    );
}

/// `GET /tickets/{id}`: public (the status page reads it), so without the
/// clerk's name, the rating or the key. With `?k=KEY` (the QR code's link),
/// the holder's view, key included; a wrong key is 403.
#[utoipa::path(
    get,
    path = "/api/v1/tickets/{id}",
    tag = "tickets",
    params(TicketPath, KeyQuery),
    responses(
        (status = 200, description = "The ticket, without staff names; with its key, the holder's view", body = wire::TicketBody),
        (status = 400, description = "`bad_query`", body = ErrorBody),
        (status = 403, description = "`bad_ticket_key`: not this ticket's key", body = ErrorBody),
        (status = 404, description = "`unknown_ticket`", body = ErrorBody),
        (status = 503, description = "`storage_unavailable`, `shutting_down`", body = ErrorBody),
    )
)]
pub async fn get_ticket(
    State(state): State<AppState>,
    Path(id): Path<String>,
    query: Result<Query<KeyQuery>, QueryRejection>,
    headers: HeaderMap,
) -> Result<Json<wire::TicketBody>, ApiError> {
    let Query(query) = query?;
    let id = parse_ticket_id(&id)?;
    // `?k=` with nothing in it is no key: the public view.
    let holder = match query.k.as_deref().filter(|k| !k.trim().is_empty()) {
        Some(k) => Some(require_holder(
            &state,
            None,
            id,
            Some(k),
            "reading a ticket",
        )?),
        None => None,
    };
    let view =
        state.engine.ticket(id).await?.ok_or_else(|| {
            ApiError::not_found("unknown_ticket", format!("there is no ticket {id}"))
        })?;
    let (hall, base) = (state.engine.hall(), base_url(&state, &headers));
    let mut ticket = match holder {
        Some(_) => wire::holder_ticket(&hall, &base, &state.keys, &view),
        None => wire::ticket(&hall, &base, &view),
    };
    // What to bring back is the holder's to read, from the slip's QR code.
    if holder.is_some() && view.ticket.state == qcall_core::TicketState::Suspended {
        let missing = state
            .engine
            .read(move |_, store| store.suspension(id))
            .await?
            .map_err(|e| state.engine.read_failed(e))?;
        ticket.suspension = missing.map(|missing| wire::SuspensionJson {
            missing,
            return_by: hall.return_by(view.ticket.day).to_string(),
        });
    }
    Ok(Json(wire::TicketBody { ticket }))
}

/// Cancels a waiting ticket (guide or supervisor).
#[utoipa::path(
    post,
    path = "/api/v1/tickets/{id}/cancel",
    tag = "tickets",
    params(TicketPath),
    security(("bearer" = ["guide", "supervisor"])),
    responses(
        (status = 200, description = "The cancelled ticket", body = wire::MaybeTicketBody),
        (status = 401, description = "`unauthorized`: no valid token", body = ErrorBody),
        (status = 403, description = "`forbidden`: not a guide or supervisor token", body = ErrorBody),
        (status = 404, description = "`unknown_ticket`", body = ErrorBody),
        (status = 409, description = "`wrong_state`: the ticket is past cancelling", body = ErrorBody),
        (status = 503, description = "`storage_unavailable`, `shutting_down`", body = ErrorBody),
    )
)]
pub async fn cancel_ticket(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Json<wire::MaybeTicketBody>, ApiError> {
    state.auth.require(
        &headers,
        &[Role::Guide, Role::Supervisor],
        "cancelling a ticket",
    )?;
    let id = parse_ticket_id(&id)?;
    let reply = state.engine.execute(Command::Cancel { ticket: id }).await?;
    let base = base_url(&state, &headers);
    let ticket = reply
        .ticket
        .map(|v| wire::ticket_for(wire::Viewer::Staff, &state.engine.hall(), &base, &v));
    Ok(Json(wire::MaybeTicketBody { ticket }))
}

/// Lets a no-show back into the queue (过号重排), guide or supervisor.
#[utoipa::path(
    post,
    path = "/api/v1/tickets/{id}/reenter",
    tag = "tickets",
    params(TicketPath),
    security(("bearer" = ["guide", "supervisor"])),
    responses(
        (status = 200, description = "The ticket, waiting again", body = wire::MaybeTicketBody),
        (status = 401, description = "`unauthorized`: no valid token", body = ErrorBody),
        (status = 403, description = "`forbidden`: not a guide or supervisor token", body = ErrorBody),
        (status = 404, description = "`unknown_ticket`", body = ErrorBody),
        (status = 409, description = "`wrong_state`, `reentry_refused`", body = ErrorBody),
        (status = 503, description = "`storage_unavailable`, `shutting_down`", body = ErrorBody),
    )
)]
pub async fn reenter_ticket(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Json<wire::MaybeTicketBody>, ApiError> {
    let cred = state.auth.require(
        &headers,
        &[Role::Guide, Role::Supervisor],
        "letting a no-show back into the queue",
    )?;
    let id = parse_ticket_id(&id)?;
    let reply = state
        .engine
        .execute(Command::Reenter {
            ticket: id,
            by: cred.subject,
        })
        .await?;
    let base = base_url(&state, &headers);
    let ticket = reply
        .ticket
        .map(|v| wire::ticket_for(wire::Viewer::Staff, &state.engine.hall(), &base, &v));
    Ok(Json(wire::MaybeTicketBody { ticket }))
}

/// `{"ticket_key": ...}`, or nothing when the key is in `?k=` or a guide acts.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReturnBody {
    ticket_key: Option<String>,
}

/// A suspended ticket comes back with its materials (the applicant scans the
/// ticket's QR at a kiosk): it waits again at its original place. Needs the
/// ticket's key (or a guide's or supervisor's token); rate-limited like
/// kiosks.
#[utoipa::path(
    post,
    path = "/api/v1/tickets/{id}/return",
    tag = "tickets",
    params(TicketPath, KeyQuery),
    request_body(content = Option<ReturnBody>, description = "The ticket's key, unless it is in `?k=` or a guide acts", content_type = "application/json"),
    security((), ("bearer" = ["guide", "supervisor"])),
    responses(
        (status = 200, description = "The ticket, waiting again at its place", body = wire::TicketBody),
        (status = 400, description = "`invalid_body`, `bad_query`", body = ErrorBody),
        (status = 401, description = "`ticket_key_required`: no key and no guide or supervisor token; `unauthorized`: a token that is not valid", body = ErrorBody),
        (status = 403, description = "`bad_ticket_key`: not this ticket's key; `forbidden`: another role's token", body = ErrorBody),
        (status = 422, description = "`invalid_body`: a body of the wrong shape", body = ErrorBody),
        (status = 404, description = "`unknown_ticket`", body = ErrorBody),
        (status = 409, description = "`wrong_state`: the ticket is not suspended, or too long ago", body = ErrorBody),
        (status = 429, description = "`rate_limited`", body = ErrorBody),
        (status = 503, description = "`storage_unavailable`, `shutting_down`", body = ErrorBody),
    )
)]
pub async fn return_ticket(
    State(state): State<AppState>,
    ClientIp(client): ClientIp,
    Path(id): Path<String>,
    query: Result<Query<KeyQuery>, QueryRejection>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<Json<wire::TicketBody>, ApiError> {
    let Query(query) = query?;
    let body: ReturnBody = optional_body(&body)?;
    let id = parse_ticket_id(&id)?;
    let key = body.ticket_key.or(query.k);
    require_holder_limited(
        &state,
        &headers,
        client,
        id,
        key.as_deref(),
        "returning a ticket",
    )?;
    let reply = state
        .engine
        .execute(Command::Return {
            ticket: id,
            earlier: None,
        })
        .await?;
    let view = reply
        .ticket
        .ok_or_else(|| ApiError::internal("a return without its ticket"))?;
    Ok(Json(wire::TicketBody {
        ticket: wire::ticket(&state.engine.hall(), &base_url(&state, &headers), &view),
    }))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[schema(as = NotifyRequest)]
#[serde(deny_unknown_fields)]
pub struct NotifyBody {
    /// The applicant's mobile number.
    #[schema(example = "13800138000")]
    phone: String,
    /// The ticket's key (or `?k=`); not needed with a guide's token.
    ticket_key: Option<String>,
}

/// The applicant leaves a phone number (kiosk or phone page) to be texted
/// when the ticket is near the front, called, suspended or ready. Needs the
/// ticket's key (or a guide's or supervisor's token): nobody else may put
/// their number on it. Rate-limited like kiosks. The number is never shown
/// back in full.
#[utoipa::path(
    post,
    path = "/api/v1/tickets/{id}/notify",
    tag = "tickets",
    params(TicketPath, KeyQuery),
    request_body = NotifyBody,
    security((), ("bearer" = ["guide", "supervisor"])),
    responses(
        (status = 200, description = "Subscribed; the number masked", body = wire::NotifyBody),
        (status = 400, description = "`malformed_json`, `bad_query`", body = ErrorBody),
        (status = 401, description = "`ticket_key_required`: no key and no guide or supervisor token; `unauthorized`: a token that is not valid", body = ErrorBody),
        (status = 403, description = "`bad_ticket_key`: not this ticket's key; `forbidden`: another role's token", body = ErrorBody),
        (status = 404, description = "`unknown_ticket`", body = ErrorBody),
        (status = 409, description = "`wrong_state`: the ticket is finished", body = ErrorBody),
        (status = 413, description = "`body_too_large`", body = ErrorBody),
        (status = 415, description = "`not_json`", body = ErrorBody),
        (status = 422, description = "`invalid_body`, `bad_input`: not a phone number", body = ErrorBody),
        (status = 429, description = "`rate_limited`", body = ErrorBody),
        (status = 503, description = "`storage_unavailable`, `shutting_down`", body = ErrorBody),
    )
)]
pub async fn notify(
    State(state): State<AppState>,
    ClientIp(client): ClientIp,
    Path(id): Path<String>,
    query: Result<Query<KeyQuery>, QueryRejection>,
    headers: HeaderMap,
    body: Result<Json<NotifyBody>, JsonRejection>,
) -> Result<Json<wire::NotifyBody>, ApiError> {
    let Query(query) = query?;
    let Json(body) = body?;
    let id = parse_ticket_id(&id)?;
    let key = body.ticket_key.or(query.k);
    require_holder_limited(
        &state,
        &headers,
        client,
        id,
        key.as_deref(),
        "following a ticket by text message",
    )?;
    let masked = qcall_core::state::mask_phone(&body.phone);
    state
        .engine
        .execute(Command::Subscribe {
            ticket: id,
            phone: body.phone,
        })
        .await?;
    Ok(Json(wire::NotifyBody {
        ticket: id.0,
        phone: masked,
    }))
}

/// The counter that served a ticket marks its certificate ready (that
/// counter's token, or a supervisor's); an applicant who left a number is
/// texted. Another counter is refused (403): a ready text sends the
/// applicant back to the hall.
#[utoipa::path(
    post,
    path = "/api/v1/tickets/{id}/ready",
    tag = "tickets",
    params(TicketPath),
    security(("bearer" = ["counter", "supervisor"])),
    responses(
        (status = 200, description = "Marked ready", body = wire::ReadyBody),
        (status = 401, description = "`unauthorized`: no valid token", body = ErrorBody),
        (status = 403, description = "`forbidden`: not the counter that served it, nor a supervisor", body = ErrorBody),
        (status = 404, description = "`unknown_ticket`", body = ErrorBody),
        (status = 409, description = "`wrong_state`: not served yet", body = ErrorBody),
        (status = 503, description = "`storage_unavailable`, `shutting_down`", body = ErrorBody),
    )
)]
pub async fn ready(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Json<wire::ReadyBody>, ApiError> {
    let cred = state.auth.require(
        &headers,
        &[Role::Counter, Role::Supervisor],
        "marking a certificate ready",
    )?;
    let id = parse_ticket_id(&id)?;
    if cred.role == Role::Counter {
        let served_at = state
            .engine
            .read(move |s, _| s.ticket(id).map(|t| t.counter.clone()))
            .await?;
        // An unknown ticket is the engine's 404 below.
        if let Some(served_at) = served_at
            && served_at.as_deref() != Some(cred.subject.as_str())
        {
            return Err(ApiError::forbidden(format!(
                "counter {} did not serve ticket {id}; only the counter that served it or a supervisor may mark it ready",
                cred.subject
            )));
        }
    }
    state
        .engine
        .execute(Command::MarkReady {
            ticket: id,
            by: cred.subject,
        })
        .await?;
    Ok(Json(wire::ReadyBody {
        ticket: id.0,
        ready: true,
    }))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RateTicketBody {
    /// 5 非常满意 ... 1 非常不满意; 2 and 1 are 差评 and need a `reason`.
    #[schema(example = 5)]
    score: u8,
    /// Indicator code → 1..=5, for the indicators of `GET /rating`.
    indicators: Option<std::collections::BTreeMap<String, u8>>,
    /// Why (needed for a 差评): one of `GET /rating`'s reasons, or typed.
    reason: Option<String>,
    /// The applicant's words, for supervisors only.
    comment: Option<String>,
    /// The ticket's key (or `?k=`).
    ticket_key: Option<String>,
    /// `qr` (the slip's QR code, the default) or `sms` (a text message's
    /// link).
    #[schema(example = "qr")]
    channel: Option<String>,
}

/// The holder rates their own finished ticket from its page (`/t/{id}`),
/// with the ticket's key; one rating per ticket, shared with the pad at the
/// counter. A poor rating alerts supervisors, as from the pad. The same
/// body as the pad's: a 差评 needs a reason (422 `reason_required`).
#[utoipa::path(
    post,
    path = "/api/v1/tickets/{id}/rating",
    tag = "tickets",
    params(TicketPath, KeyQuery),
    request_body = RateTicketBody,
    responses(
        (status = 200, description = "The rated ticket, as its holder sees it", body = wire::TicketBody),
        (status = 400, description = "`malformed_json`, `bad_query`", body = ErrorBody),
        (status = 401, description = "`ticket_key_required`", body = ErrorBody),
        (status = 403, description = "`bad_ticket_key`: not this ticket's key", body = ErrorBody),
        (status = 404, description = "`unknown_ticket`", body = ErrorBody),
        (status = 409, description = "`wrong_state`: not finished; `already_rated`", body = ErrorBody),
        (status = 413, description = "`body_too_large`", body = ErrorBody),
        (status = 415, description = "`not_json`", body = ErrorBody),
        (status = 422, description = "`invalid_body`, `bad_rating`, `bad_input`, `reason_required`, `unknown_indicator`, `bad_channel`", body = ErrorBody),
        (status = 429, description = "`rate_limited`", body = ErrorBody),
        (status = 500, description = "`internal`", body = ErrorBody),
        (status = 503, description = "`storage_unavailable`, `shutting_down`", body = ErrorBody),
    )
)]
pub async fn rate_ticket(
    State(state): State<AppState>,
    ClientIp(client): ClientIp,
    Path(id): Path<String>,
    query: Result<Query<KeyQuery>, QueryRejection>,
    headers: HeaderMap,
    body: Result<Json<RateTicketBody>, JsonRejection>,
) -> Result<Json<wire::TicketBody>, ApiError> {
    let Query(query) = query?;
    let Json(body) = body?;
    let id = parse_ticket_id(&id)?;
    let key = body.ticket_key.or(query.k);
    // The applicant's own rating: only the key, never a staff token.
    require_holder(&state, None, id, key.as_deref(), "rating a ticket")?;
    state.kiosk_limit(client)?;
    use qcall_core::rating::Channel;
    // The phone's channels, by the core's names; the pad has its own route.
    let channel = match body.channel.as_deref().map(Channel::parse) {
        None => Channel::Qr,
        Some(Some(c @ (Channel::Qr | Channel::Sms))) => c,
        Some(_) => {
            let other = body.channel.as_deref().unwrap_or_default();
            return Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "bad_channel",
                format!(
                    "channel {other:?} is not one of the phone's: \"qr\" (the ticket's QR code) or \"sms\" (a text message's link)"
                ),
            ));
        }
    };
    let rating = super::ratings::RatingFields {
        score: body.score,
        indicators: body.indicators,
        reason: body.reason,
        comment: body.comment,
    }
    .input(channel);
    let (score, comment) = (rating.score, rating.comment.clone());
    let reply = state
        .engine
        .execute(Command::Rate {
            of: RatingOf::Ticket(id),
            rating,
        })
        .await?;
    let view = reply
        .ticket
        .ok_or_else(|| ApiError::internal("a rating without its ticket"))?;
    super::counters::alert_on_poor_rating(&state, &view, score, comment.as_deref());
    let base = base_url(&state, &headers);
    Ok(Json(wire::TicketBody {
        ticket: wire::holder_ticket(&state.engine.hall(), &base, &state.keys, &view),
    }))
}
