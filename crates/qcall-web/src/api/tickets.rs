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

use super::{KeyQuery, base_url, optional_body, parse_ticket_id, require_holder};
use crate::devices::{PrintOutcome, PrintStatus};
use crate::error::ApiError;
use crate::wire;
use crate::{AppState, ClientIp};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TakeTicket {
    service: String,
    priority: Option<String>,
    appointment_code: Option<String>,
    source: Option<String>,
}

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
    let ticket = wire::holder_ticket(state.engine.hall(), &base, &state.keys, &view);
    let location = format!("/api/v1/tickets/{}", view.ticket.id.0);
    // The ticket is committed: whatever the printer does now, it stands.
    let outcome = match &state.printing {
        Some(p) => p.ticket(view, base, None, false).await,
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

/// `GET /tickets/{id}`: public (the status page reads it), so without the
/// clerk's name, the rating or the key. With `?k=KEY` (the QR code's link),
/// the holder's view, key included; a wrong key is 403.
pub async fn get_ticket(
    State(state): State<AppState>,
    Path(id): Path<String>,
    query: Result<Query<KeyQuery>, QueryRejection>,
    headers: HeaderMap,
) -> Result<Json<wire::TicketBody>, ApiError> {
    let Query(query) = query?;
    let id = parse_ticket_id(&id)?;
    let holder = match query.k.as_deref() {
        Some(k) => Some(require_holder(
            &state,
            &HeaderMap::new(),
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
    Ok(Json(wire::TicketBody {
        ticket: match holder {
            Some(_) => wire::holder_ticket(hall, &base, &state.keys, &view),
            None => wire::ticket(hall, &base, &view),
        },
    }))
}

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
        .map(|v| wire::ticket_for(wire::Viewer::Staff, state.engine.hall(), &base, &v));
    Ok(Json(wire::MaybeTicketBody { ticket }))
}

/// Lets a no-show back into the queue (过号重排), guide or supervisor.
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
        .map(|v| wire::ticket_for(wire::Viewer::Staff, state.engine.hall(), &base, &v));
    Ok(Json(wire::MaybeTicketBody { ticket }))
}

/// `{"ticket_key": ...}`, or nothing when the key is in `?k=` or a guide acts.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReturnBody {
    ticket_key: Option<String>,
}

/// A suspended ticket comes back with its materials (the applicant scans the
/// ticket's QR at a kiosk): it waits again at its original place. Needs the
/// ticket's key (or a guide's or supervisor's token); rate-limited like
/// kiosks.
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
    let holder = require_holder(&state, &headers, id, key.as_deref(), "returning a ticket")?;
    if holder == super::Holder::Key {
        state.kiosk_limit(client)?;
    }
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
        ticket: wire::ticket(state.engine.hall(), &base_url(&state, &headers), &view),
    }))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NotifyBody {
    phone: String,
    ticket_key: Option<String>,
}

/// The applicant leaves a phone number (kiosk or phone page) to be texted
/// when the ticket is near the front, called, suspended or ready. Needs the
/// ticket's key (or a guide's or supervisor's token): nobody else may put
/// their number on it. Rate-limited like kiosks. The number is never shown
/// back in full.
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
    let holder = require_holder(
        &state,
        &headers,
        id,
        key.as_deref(),
        "following a ticket by text message",
    )?;
    if holder == super::Holder::Key {
        state.kiosk_limit(client)?;
    }
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

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RateTicketBody {
    score: u8,
    comment: Option<String>,
    ticket_key: Option<String>,
}

/// The holder rates their own finished ticket from its page (`/t/{id}`),
/// with the ticket's key; one rating per ticket, shared with the pad at the
/// counter. A poor rating alerts supervisors, as from the pad.
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
    if key.as_deref().is_none_or(|k| k.trim().is_empty()) {
        return Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "ticket_key_required",
            "rating a ticket needs the ticket's key: open the ticket from its QR code (the link ends in ?k=...)",
        ));
    }
    require_holder(
        &state,
        &HeaderMap::new(),
        id,
        key.as_deref(),
        "rating a ticket",
    )?;
    state.kiosk_limit(client)?;
    let comment = body.comment.filter(|c| !c.trim().is_empty());
    let reply = state
        .engine
        .execute(Command::Rate {
            of: RatingOf::Ticket(id),
            score: body.score,
            comment: comment.clone(),
        })
        .await?;
    let view = reply
        .ticket
        .ok_or_else(|| ApiError::internal("a rating without its ticket"))?;
    super::counters::alert_on_poor_rating(&state, &view, body.score, comment.as_deref());
    let base = base_url(&state, &headers);
    Ok(Json(wire::TicketBody {
        ticket: wire::holder_ticket(state.engine.hall(), &base, &state.keys, &view),
    }))
}
