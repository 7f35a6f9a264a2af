//! Queueing from home (`/r`): asking for a remote ticket with a phone
//! number, confirming it with the texted code, checking in on arrival at
//! the hall, and moving a remote ticket back once.
//!
//! The code is a keyed hash of the request id ([`qcall_store::TicketKeys`]),
//! checked here in constant time; the engine hears only whether it was
//! right, so no code is ever in a command, an event, the outbox or a log.
//! Whether a service takes remote tickets, the quotas, the cut-off, the
//! code's expiry and lock are the core's decisions.

use axum::Json;
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use qcall_core::command::ArrivalProof;
use qcall_core::{Command, Rejection, TicketId};
use qcall_store::{Role, TicketKeys};
use serde::Deserialize;

use super::tickets::TicketPath;
use super::{KeyQuery, base_url, parse_ticket_id, require_holder_limited};
use crate::error::{ApiError, ErrorBody};
use crate::wire;
use crate::{AppState, ClientIp};

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RemoteStart {
    /// The service's code (`GET /api/v1/services`).
    #[schema(example = "A")]
    service: String,
    /// The applicant's mobile number: the code is texted to it.
    #[schema(example = "13800138000")]
    phone: String,
}

/// Asks for a remote ticket: the hall texts a 6-digit code to `phone`
/// through its SMS gateway (`[notify] webhook`). Refused, with the reason,
/// when the service takes no remote tickets now (off, past the remote
/// cut-off, this hour's quota taken, the phone already holds one). Limited
/// per phone (`[remote] codes_per_phone_hour`) and per address
/// (`codes_per_address_hour`).
#[utoipa::path(
    post,
    path = "/api/v1/remote/start",
    tag = "remote",
    request_body = RemoteStart,
    responses(
        (status = 202, description = "The code is on its way; confirm within 5 minutes", body = wire::RemoteStartedBody),
        (status = 400, description = "`malformed_json`", body = ErrorBody),
        (status = 404, description = "`unknown_service`", body = ErrorBody),
        (status = 409, description = "`remote_refused`, `one_per_phone`, `service_closed`, `service_full`, `slot_full`: no remote ticket now", body = ErrorBody),
        (status = 413, description = "`body_too_large`", body = ErrorBody),
        (status = 415, description = "`not_json`", body = ErrorBody),
        (status = 422, description = "`invalid_body`, `bad_input`: not a phone number", body = ErrorBody),
        (status = 429, description = "`phone_rate_limited`, `rate_limited`: too many codes asked for", body = ErrorBody),
        (status = 503, description = "`storage_unavailable`, `shutting_down`: nothing was changed", body = ErrorBody),
    )
)]
pub async fn start(
    State(state): State<AppState>,
    ClientIp(client): ClientIp,
    body: Result<Json<RemoteStart>, JsonRejection>,
) -> Result<Response, ApiError> {
    let Json(body) = body?;
    state.remote_limit(client)?;
    let request = random_id()?;
    state
        .engine
        .execute(Command::StartRemote {
            request: request.clone(),
            service: body.service,
            phone: body.phone,
        })
        .await?;
    code_on_its_way(&state, request).await
}

/// The 202 of a started remote or booking request: its id and until when
/// its texted code holds.
pub(super) async fn code_on_its_way(
    state: &AppState,
    request: String,
) -> Result<Response, ApiError> {
    let id = request.clone();
    let expires_at = state
        .engine
        .read(move |s, _| s.remote_request(&id).map(|r| r.expires_at))
        .await?
        .ok_or_else(|| ApiError::internal("a started request is not in the state"))?;
    Ok((
        StatusCode::ACCEPTED,
        Json(wire::RemoteStartedBody {
            request_id: request,
            expires_at: wire::local_rfc3339(expires_at, &state.engine.hall().tz),
        }),
    )
        .into_response())
}

/// Whether `code` is the one texted for request `request`; 422
/// `bad_input` for anything but 6 digits. Only the answer reaches the
/// core, never the code.
pub(super) fn texted_code_ok(
    state: &AppState,
    request: &str,
    code: &str,
) -> Result<bool, ApiError> {
    let code = code.trim();
    if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return Err(
            Rejection::BadInput("the code is the 6 digits of the text message".into()).into(),
        );
    }
    Ok(TicketKeys::same_code(
        &state.keys.remote_code(request),
        code,
    ))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RemoteConfirm {
    /// `request_id` from `POST /api/v1/remote/start`.
    request_id: String,
    /// The 6 digits of the text message.
    #[schema(example = "123456")]
    code: String,
}

/// Confirms a remote request with its code: the ticket, in state
/// `remote`, holding its place in the queue from now on; it is called once
/// the applicant checks in at the hall (`POST /tickets/{id}/arrive`). The
/// response is the holder's view (its key, and the `arrival_code` the
/// phone shows at the kiosk). A wrong code is counted: 5 lock the request.
#[utoipa::path(
    post,
    path = "/api/v1/remote/confirm",
    tag = "remote",
    request_body = RemoteConfirm,
    responses(
        (status = 201, description = "The remote ticket (holder's view)", body = wire::TicketBody,
            headers(("Location" = String, description = "The ticket's URL"))),
        (status = 400, description = "`malformed_json`", body = ErrorBody),
        (status = 403, description = "`code_locked`: 5 wrong codes; ask for a new one", body = ErrorBody),
        (status = 404, description = "`unknown_request`", body = ErrorBody),
        (status = 409, description = "`request_used`, `remote_refused`, `one_per_phone`, `service_closed`, ...", body = ErrorBody),
        (status = 410, description = "`code_expired`: older than 5 minutes", body = ErrorBody),
        (status = 413, description = "`body_too_large`", body = ErrorBody),
        (status = 415, description = "`not_json`", body = ErrorBody),
        (status = 422, description = "`invalid_body`, `bad_input`, `wrong_code` (the tries left in the message)", body = ErrorBody),
        (status = 429, description = "`rate_limited`", body = ErrorBody),
        (status = 503, description = "`storage_unavailable`, `shutting_down`: nothing was changed", body = ErrorBody),
    )
)]
pub async fn confirm(
    State(state): State<AppState>,
    ClientIp(client): ClientIp,
    headers: HeaderMap,
    body: Result<Json<RemoteConfirm>, JsonRejection>,
) -> Result<Response, ApiError> {
    let Json(body) = body?;
    state.remote_limit(client)?;
    let code_ok = texted_code_ok(&state, &body.request_id, &body.code)?;
    let reply = state
        .engine
        .execute(Command::ConfirmRemote {
            request: body.request_id.clone(),
            code_ok,
        })
        .await?;
    let Some(view) = reply.ticket else {
        // A wrong code, recorded: say how many tries are left.
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
    };
    let base = base_url(&state, &headers);
    let ticket = wire::holder_ticket(&state.engine.hall(), &base, &state.keys, &view);
    let location = format!("/api/v1/tickets/{}", view.ticket.id.0);
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, location)],
        Json(wire::TicketBody { ticket }),
    )
        .into_response())
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ArriveBody {
    /// The last 4 digits of the phone that took the ticket (at the kiosk).
    #[schema(example = "8000")]
    phone_last4: Option<String>,
    /// Or the 6-digit `arrival_code` the ticket's page shows on the phone.
    code: Option<String>,
}

/// The applicant of a remote ticket is at the hall: at the kiosk (the
/// ticket number's id plus `phone_last4`, or the phone's `code`), or at a
/// guide's desk (a guide's token, no proof needed). The ticket waits at its
/// place from now on, and is called like any other.
#[utoipa::path(
    post,
    path = "/api/v1/tickets/{id}/arrive",
    tag = "remote",
    params(TicketPath),
    request_body = ArriveBody,
    security((), ("bearer" = ["guide", "supervisor"])),
    responses(
        (status = 200, description = "Checked in: now `waiting`", body = wire::TicketBody),
        (status = 400, description = "`malformed_json`", body = ErrorBody),
        (status = 401, description = "`unauthorized`: a token that is not valid", body = ErrorBody),
        (status = 404, description = "`unknown_ticket`", body = ErrorBody),
        (status = 409, description = "`not_remote`, `wrong_state`: already checked in, lapsed or finished", body = ErrorBody),
        (status = 413, description = "`body_too_large`", body = ErrorBody),
        (status = 415, description = "`not_json`", body = ErrorBody),
        (status = 422, description = "`invalid_body`, `bad_input`, `arrival_mismatch`, `wrong_arrival_code`", body = ErrorBody),
        (status = 403, description = "`arrival_locked`: 5 wrong phone digits were given for this ticket; only its code (or a guide) checks it in", body = ErrorBody),
        (status = 429, description = "`rate_limited`", body = ErrorBody),
        (status = 503, description = "`storage_unavailable`, `shutting_down`: nothing was changed", body = ErrorBody),
    )
)]
pub async fn arrive(
    State(state): State<AppState>,
    ClientIp(client): ClientIp,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<Json<wire::TicketBody>, ApiError> {
    let body: ArriveBody = super::optional_body(&body)?;
    let id = parse_ticket_id(&id)?;
    let guide = state
        .auth
        .from_headers(&headers)?
        .filter(|c| matches!(c.role, Role::Guide | Role::Supervisor));
    let (proof, by) = match (body.phone_last4, body.code, guide) {
        (Some(_), Some(_), _) => {
            return Err(
                Rejection::BadInput("give `phone_last4` or `code`, not both".into()).into(),
            );
        }
        (Some(digits), None, _) => {
            state.kiosk_limit(client)?;
            (
                ArrivalProof::PhoneLast4(digits.trim().to_owned()),
                "kiosk".to_owned(),
            )
        }
        (None, Some(code), _) => {
            state.kiosk_limit(client)?;
            if !TicketKeys::same_code(&state.keys.arrival_code(id), &code) {
                return Err(ApiError::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "wrong_arrival_code",
                    format!(
                        "that is not the check-in code of ticket {id}; type the 6 digits the ticket's page shows on the phone, or the last 4 digits of the phone"
                    ),
                ));
            }
            (ArrivalProof::Code, "kiosk".to_owned())
        }
        (None, None, Some(c)) => (ArrivalProof::Guide, c.subject.clone()),
        (None, None, None) => {
            return Err(Rejection::BadInput(
                "give `phone_last4` (the last 4 digits of the phone that took the ticket) or `code` (the 6 digits its page shows)".into(),
            )
            .into());
        }
    };
    let reply = state
        .engine
        .execute(Command::Arrive {
            ticket: id,
            proof,
            by,
        })
        .await?;
    let Some(view) = reply.ticket else {
        return Err(wrong_digits(&state, id).await);
    };
    let base = base_url(&state, &headers);
    Ok(Json(wire::TicketBody {
        ticket: wire::ticket(&state.engine.hall(), &base, &view),
    }))
}

/// An arrival that gave no ticket: wrong phone digits, recorded. Says so,
/// or, when that was the last try, that only the code checks it in now.
async fn wrong_digits(state: &AppState, id: TicketId) -> ApiError {
    let found = state
        .engine
        .read(move |s, _| {
            s.ticket(id)
                .map(|t| (t.number.clone(), s.arrival_tries_left(id)))
        })
        .await;
    match found {
        Ok(Some((number, 0))) => Rejection::ArrivalLocked { number }.into(),
        Ok(Some((number, _))) => Rejection::ArrivalMismatch { number }.into(),
        Ok(None) => Rejection::UnknownTicket(id).into(),
        Err(e) => e.into(),
    }
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct KioskArrival {
    /// The ticket's number as the phone shows it, e.g. `A012`; with
    /// `phone_last4` (or with `code`).
    #[schema(example = "A012")]
    number: Option<String>,
    /// The last 4 digits of the phone that took it.
    phone_last4: Option<String>,
    /// The 6-digit `arrival_code` the ticket's page shows: enough alone.
    code: Option<String>,
}

/// The kiosk's check-in for remote tickets, by what the applicant knows:
/// the ticket's number and the last 4 digits of their phone, or the code
/// their phone shows. Finds today's remote ticket and checks it in as
/// `POST /tickets/{id}/arrive` does. Rate-limited like kiosks.
#[utoipa::path(
    post,
    path = "/api/v1/remote/arrive",
    tag = "remote",
    request_body = KioskArrival,
    responses(
        (status = 200, description = "Checked in: now `waiting`", body = wire::TicketBody),
        (status = 400, description = "`malformed_json`", body = ErrorBody),
        (status = 404, description = "`unknown_ticket`: no remote ticket of that number or code today", body = ErrorBody),
        (status = 409, description = "`wrong_state`: already checked in, lapsed or finished", body = ErrorBody),
        (status = 413, description = "`body_too_large`", body = ErrorBody),
        (status = 415, description = "`not_json`", body = ErrorBody),
        (status = 422, description = "`invalid_body`, `bad_input`, `arrival_mismatch`, `wrong_arrival_code`", body = ErrorBody),
        (status = 403, description = "`arrival_locked`: 5 wrong phone digits were given for this ticket; only its code (or a guide) checks it in", body = ErrorBody),
        (status = 429, description = "`rate_limited`", body = ErrorBody),
        (status = 503, description = "`storage_unavailable`, `shutting_down`: nothing was changed", body = ErrorBody),
    )
)]
pub async fn kiosk_arrive(
    State(state): State<AppState>,
    ClientIp(client): ClientIp,
    headers: HeaderMap,
    body: Result<Json<KioskArrival>, JsonRejection>,
) -> Result<Json<wire::TicketBody>, ApiError> {
    let Json(body) = body?;
    state.kiosk_limit(client)?;
    let not_found = |what: String| {
        ApiError::not_found(
            "unknown_ticket",
            format!("{what}; check it on the phone's ticket page, or ask a guide"),
        )
    };
    let (id, proof) = match (body.number, body.phone_last4, body.code) {
        (Some(number), Some(digits), None) => {
            let n = number.clone();
            let id = state
                .engine
                .read(move |s, _| s.remote_by_number(&n))
                .await?
                .ok_or_else(|| {
                    not_found(format!("there is no ticket {number} taken from home today"))
                })?;
            (id, ArrivalProof::PhoneLast4(digits.trim().to_owned()))
        }
        (number, None, Some(code)) => {
            if number.is_none() {
                // A code alone is tried against every remote ticket of the day.
                state.arrival_code_limit(client)?;
            }
            let keys = state.keys.clone();
            let code = code.trim().to_owned();
            let found = state
                .engine
                .read(move |s, _| {
                    let by_number = number.as_deref().map(|n| s.remote_by_number(n));
                    let candidates = match by_number {
                        Some(one) => one.into_iter().collect(),
                        None => s.remote_not_arrived(),
                    };
                    candidates
                        .into_iter()
                        .filter(|&id| TicketKeys::same_code(&keys.arrival_code(id), &code))
                        .collect::<Vec<_>>()
                })
                .await?;
            match found.as_slice() {
                [id] => (*id, ArrivalProof::Code),
                [] => {
                    return Err(ApiError::new(
                        StatusCode::UNPROCESSABLE_ENTITY,
                        "wrong_arrival_code",
                        "no ticket taken from home today has that check-in code; type the 6 digits the ticket's page shows, or the number and the last 4 digits of the phone",
                    ));
                }
                _ => {
                    return Err(Rejection::BadInput(
                        "two tickets share that code; type the ticket's number with it".into(),
                    )
                    .into());
                }
            }
        }
        _ => {
            return Err(Rejection::BadInput(
                "give `number` with `phone_last4`, or the 6-digit `code` the phone shows".into(),
            )
            .into());
        }
    };
    let reply = state
        .engine
        .execute(Command::Arrive {
            ticket: id,
            proof,
            by: "kiosk".into(),
        })
        .await?;
    let Some(view) = reply.ticket else {
        return Err(wrong_digits(&state, id).await);
    };
    let base = base_url(&state, &headers);
    Ok(Json(wire::TicketBody {
        ticket: wire::ticket(&state.engine.hall(), &base, &view),
    }))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeferBody {
    /// How many places back (1 to `[remote] defer_max_places`).
    #[schema(example = 3)]
    places: u32,
    /// The ticket's key (or `?k=`); not needed with a guide's token.
    ticket_key: Option<String>,
}

/// Moves a remote ticket not yet arrived back by `places` (once per
/// ticket, at most `[remote] defer_max_places`): for an applicant who will
/// be late. Needs the ticket's key, or a guide's token.
#[utoipa::path(
    post,
    path = "/api/v1/tickets/{id}/defer",
    tag = "remote",
    params(TicketPath, KeyQuery),
    request_body = DeferBody,
    security((), ("bearer" = ["guide", "supervisor"])),
    responses(
        (status = 200, description = "Moved back", body = wire::TicketBody),
        (status = 400, description = "`malformed_json`, `bad_query`", body = ErrorBody),
        (status = 401, description = "`ticket_key_required`, `unauthorized`", body = ErrorBody),
        (status = 403, description = "`bad_ticket_key`, `forbidden`", body = ErrorBody),
        (status = 404, description = "`unknown_ticket`", body = ErrorBody),
        (status = 409, description = "`defer_refused`: moved back already, too far, nobody behind; `not_remote`, `wrong_state`", body = ErrorBody),
        (status = 413, description = "`body_too_large`", body = ErrorBody),
        (status = 415, description = "`not_json`", body = ErrorBody),
        (status = 422, description = "`invalid_body`", body = ErrorBody),
        (status = 429, description = "`rate_limited`", body = ErrorBody),
        (status = 503, description = "`storage_unavailable`, `shutting_down`: nothing was changed", body = ErrorBody),
    )
)]
pub async fn defer(
    State(state): State<AppState>,
    ClientIp(client): ClientIp,
    Path(id): Path<String>,
    query: Result<Query<KeyQuery>, QueryRejection>,
    headers: HeaderMap,
    body: Result<Json<DeferBody>, JsonRejection>,
) -> Result<Json<wire::TicketBody>, ApiError> {
    let Query(query) = query?;
    let Json(body) = body?;
    let id = parse_ticket_id(&id)?;
    let key = body.ticket_key.or(query.k);
    let holder = require_holder_limited(
        &state,
        &headers,
        client,
        id,
        key.as_deref(),
        "moving a ticket back",
    )?;
    let reply = state
        .engine
        .execute(Command::Defer {
            ticket: id,
            places: body.places,
        })
        .await?;
    let view = reply
        .ticket
        .ok_or_else(|| ApiError::internal("deferral produced no ticket"))?;
    let base = base_url(&state, &headers);
    let ticket = match holder {
        super::Holder::Key => wire::holder_ticket(&state.engine.hall(), &base, &state.keys, &view),
        super::Holder::Staff => wire::ticket(&state.engine.hall(), &base, &view),
    };
    Ok(Json(wire::TicketBody { ticket }))
}

/// Which services take remote tickets now, and why not: `/r`'s list.
#[utoipa::path(
    get,
    path = "/api/v1/remote/services",
    tag = "remote",
    responses(
        (status = 200, description = "Each service: whether it takes remote tickets now, why not, its current wait (point, 80% range and in words, as on `GET /services`)", body = wire::RemoteServicesBody),
        (status = 503, description = "`shutting_down`", body = ErrorBody),
    )
)]
pub async fn services(
    State(state): State<AppState>,
) -> Result<Json<wire::RemoteServicesBody>, ApiError> {
    let now = state.engine.now();
    let list = state
        .engine
        .read(move |s, _| {
            let hall = s.hall().clone();
            hall.services
                .iter()
                .map(|svc| {
                    let refusal = s.remote_refusal(&svc.code, None, now).err();
                    // The same estimate `GET /services` gives.
                    let estimate = s.estimate_new(&svc.code);
                    wire::RemoteServiceJson {
                        service: svc.code.clone(),
                        name: (&svc.name).into(),
                        materials: svc.materials.iter().map(Into::into).collect(),
                        takes_remote: refusal.is_none(),
                        why_not: refusal.map(|r| r.to_string()),
                        per_hour: hall.remote_per_hour(&svc.code),
                        taken_this_hour: s.remote_this_hour(&svc.code, now),
                        waiting: s
                            .waiting_by_class(&svc.code)
                            .iter()
                            .map(|(_, n)| *n as u32)
                            .sum(),
                        estimated_wait_s: estimate.wait_s,
                        estimated_wait_range_s: [estimate.low_s, estimate.high_s],
                        estimated_wait_text: (&estimate.words(&hall.tz)).into(),
                    }
                })
                .collect()
        })
        .await?;
    Ok(Json(wire::RemoteServicesBody { services: list }))
}

/// An unguessable request id: 128 random bits, base64url.
pub(crate) fn random_id() -> Result<String, ApiError> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).map_err(ApiError::internal)?;
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::with_capacity(24);
    let mut acc: u32 = 0;
    let mut bits = 0;
    for b in bytes {
        acc = (acc << 8) | u32::from(b);
        bits += 8;
        while bits >= 6 {
            bits -= 6;
            out.push(char::from(ALPHABET[((acc >> bits) & 63) as usize]));
        }
    }
    if bits > 0 {
        out.push(char::from(ALPHABET[((acc << (6 - bits)) & 63) as usize]));
    }
    Ok(out)
}
