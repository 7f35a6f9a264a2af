//! The v1 HTTP endpoints under `/api/v1`, one file per resource.
//!
//! Handlers translate: JSON in, a domain command to the engine, a typed
//! response from [`crate::wire`] out. They decide nothing about queues,
//! hours, quotas or alert wording: that is the core's.

pub mod appointments;
pub mod bookings;
pub mod counters;
pub mod hall;
pub mod printing;
pub mod ratings;
pub mod rectify;
pub mod remote;
pub mod session;
pub mod staff;
pub mod stats;
pub mod tickets;

use axum::http::{HeaderMap, StatusCode, header};
use qcall_core::TicketId;
use qcall_store::Role;
use serde::Deserialize;
use serde::de::DeserializeOwned;

use crate::AppState;
use crate::error::ApiError;

/// The base for `status_url`: the configured public URL, else the Host the
/// client used to reach us.
pub fn base_url(state: &AppState, headers: &HeaderMap) -> String {
    if !state.site.get().public_url.is_empty() {
        return state.site.get().public_url.clone();
    }
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("localhost");
    format!("http://{host}")
}

fn parse_ticket_id(id: &str) -> Result<TicketId, ApiError> {
    id.parse::<i64>()
        .ok()
        .filter(|n| *n > 0)
        .map(TicketId)
        .ok_or_else(|| {
            ApiError::not_found(
                "unknown_ticket",
                format!("there is no ticket `{id}`; ticket ids are numbers"),
            )
        })
}

/// `?k=KEY`: a ticket's key in the query string, as in its QR code's link.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct KeyQuery {
    /// The ticket's key (`ticket_key`, the `k` of its status URL).
    pub k: Option<String>,
}

/// Who is acting on a ticket as (or for) its holder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Holder {
    /// The ticket's key was shown.
    Key,
    /// A guide or supervisor acts for the applicant.
    Staff,
}

/// Checks that a request may act on ticket `id` as its holder: the
/// ticket's key (`ticket_key` in the body or `?k=` in the query), or, where
/// `staff` carries the request's headers, a guide's or supervisor's
/// credential. `what` names the action. A wrong key is 403
/// (`bad_ticket_key`), none at all 401 (`ticket_key_required`); both are
/// refused before anything is written or counted.
pub(crate) fn require_holder(
    state: &AppState,
    staff: Option<&HeaderMap>,
    id: TicketId,
    key: Option<&str>,
    what: &str,
) -> Result<Holder, ApiError> {
    if let Some(key) = key.filter(|k| !k.trim().is_empty()) {
        if state.keys.verify(id, key) {
            return Ok(Holder::Key);
        }
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "bad_ticket_key",
            format!(
                "that is not the key of ticket {id}; scan the QR code on the ticket again (its link ends in ?k=...), or ask a guide"
            ),
        ));
    }
    let missing = |or: &str| {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            "ticket_key_required",
            format!(
                "{what} needs the ticket's key: open the ticket from its QR code (the link ends in ?k=...){or}"
            ),
        )
    };
    let Some(headers) = staff else {
        return Err(missing(""));
    };
    match state.auth.from_headers(headers)? {
        Some(c) if matches!(c.role, Role::Guide | Role::Supervisor) => Ok(Holder::Staff),
        Some(c) => Err(ApiError::forbidden(format!(
            "{what} needs the ticket's key or a guide or supervisor token, not a {} token",
            c.role.as_str()
        ))),
        None => Err(missing(", or ask a guide")),
    }
}

/// [`require_holder`] for an action a key holder or a guide may take on a
/// ticket: a key holder (anyone with the slip, on any phone) is held to
/// the kiosk's per-address rate limit, staff are not. The one place that
/// rule lives, so no such action can forget it.
pub(crate) fn require_holder_limited(
    state: &AppState,
    headers: &HeaderMap,
    client: std::net::IpAddr,
    id: TicketId,
    key: Option<&str>,
    what: &str,
) -> Result<Holder, ApiError> {
    let holder = require_holder(state, Some(headers), id, key, what)?;
    if holder == Holder::Key {
        state.kiosk_limit(client)?;
    }
    Ok(holder)
}

/// A JSON body that may be left out: an empty body is `T::default()`.
/// Syntax errors are 400, a body of the wrong shape 422.
pub(crate) fn optional_body<T: DeserializeOwned + Default>(body: &[u8]) -> Result<T, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    serde_json::from_slice(body).map_err(|e| {
        let status = if e.is_syntax() || e.is_eof() {
            StatusCode::BAD_REQUEST
        } else {
            StatusCode::UNPROCESSABLE_ENTITY
        };
        ApiError::new(
            status,
            "invalid_body",
            format!("the request body is not valid: {e}"),
        )
    })
}
