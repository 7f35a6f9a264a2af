//! The v1 HTTP endpoints under `/api/v1`, one file per resource.
//!
//! Handlers translate: JSON in, a domain command to the engine, a typed
//! response from [`crate::wire`] out. They decide nothing about queues,
//! hours, quotas or alert wording: that is the core's.

pub mod appointments;
pub mod counters;
pub mod hall;
pub mod printing;
pub mod stats;
pub mod tickets;

use axum::http::{HeaderMap, StatusCode, header};
use qcall_core::TicketId;
use serde::de::DeserializeOwned;

use crate::AppState;
use crate::error::ApiError;

/// The base for `status_url`: the configured public URL, else the Host the
/// client used to reach us.
pub fn base_url(state: &AppState, headers: &HeaderMap) -> String {
    if !state.site.public_url.is_empty() {
        return state.site.public_url.clone();
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
