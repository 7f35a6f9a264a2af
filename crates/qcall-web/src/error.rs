//! The one mapping from failures to HTTP responses.
//!
//! Every error leaves as `{"error": {"code", "message"}}` with a proper
//! status. Domain refusals carry their own actionable message; internal
//! failures are logged here with their detail and shown to the client only
//! as a generic sentence.

use axum::Json;
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use qcall_core::Rejection;
use qcall_engine::EngineError;

/// The body of every error response: `{"error": {"code", "message"}}`.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

/// What went wrong: a stable `code` for programs, a `message` for people
/// that says what to do.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct ErrorDetail {
    /// Stable, snake_case: `unknown_ticket`, `invalid_body`, `unauthorized`, ...
    #[schema(example = "unknown_ticket")]
    pub code: String,
    /// One or two sentences for a person: what was wrong and what to do.
    pub message: String,
}

/// An error response.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    /// Seconds to send as `Retry-After` (a locked account's 429).
    pub retry_after_s: Option<u64>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            code,
            message: shorten(message.into()),
            retry_after_s: None,
        }
    }

    /// The same, telling the client when to try again (`Retry-After`).
    pub fn retry_after(mut self, seconds: u64) -> ApiError {
        self.retry_after_s = Some(seconds);
        self
    }

    pub fn unauthorized(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::UNAUTHORIZED, "unauthorized", message)
    }

    pub fn forbidden(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::FORBIDDEN, "forbidden", message)
    }

    pub fn not_found(code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, code, message)
    }

    pub fn bad_request(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, "bad_request", message)
    }

    pub fn internal(detail: impl std::fmt::Display) -> ApiError {
        tracing::error!(%detail, "internal error");
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "something went wrong on the server; nothing was changed. Please try again; staff can find details in the log",
        )
    }

    /// The `{"error": ...}` body, for websocket frames too.
    pub fn body(&self) -> serde_json::Value {
        serde_json::to_value(ErrorBody {
            error: ErrorDetail {
                code: self.code.to_owned(),
                message: self.message.clone(),
            },
        })
        .unwrap_or_default()
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = (self.status, Json(self.body())).into_response();
        if self.status == StatusCode::UNAUTHORIZED {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        if let Some(s) = self.retry_after_s {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(s));
        }
        response
    }
}

impl From<Rejection> for ApiError {
    fn from(r: Rejection) -> ApiError {
        use StatusCode as S;
        let (status, code) = match &r {
            Rejection::UnknownService(_) => (S::NOT_FOUND, "unknown_service"),
            Rejection::UnknownCounter(_) => (S::NOT_FOUND, "unknown_counter"),
            Rejection::UnknownTicket(_) => (S::NOT_FOUND, "unknown_ticket"),
            Rejection::UnknownNumber(_) => (S::NOT_FOUND, "unknown_number"),
            Rejection::NotForCounter { .. } => (S::CONFLICT, "not_for_this_counter"),
            Rejection::UnknownClass(_) => (S::UNPROCESSABLE_ENTITY, "unknown_priority"),
            Rejection::BadRating(_) => (S::UNPROCESSABLE_ENTITY, "bad_rating"),
            Rejection::BadInput(_) => (S::UNPROCESSABLE_ENTITY, "bad_input"),
            Rejection::ReasonRequired { .. } => (S::UNPROCESSABLE_ENTITY, "reason_required"),
            Rejection::UnknownIndicator { .. } => (S::UNPROCESSABLE_ENTITY, "unknown_indicator"),
            Rejection::ConfigRefused(_) => (S::CONFLICT, "config_refused"),
            Rejection::ServiceFull { .. } => (S::CONFLICT, "service_full"),
            Rejection::NoCurrentTicket { .. } => (S::CONFLICT, "no_current_ticket"),
            Rejection::WrongState { .. } => (S::CONFLICT, "wrong_state"),
            Rejection::CounterBusy { .. } => (S::CONFLICT, "counter_busy"),
            Rejection::CounterClosed(_) => (S::CONFLICT, "counter_closed"),
            Rejection::TransferToSame { .. } => (S::CONFLICT, "transfer_to_same"),
            Rejection::ServiceClosed { .. } => (S::CONFLICT, "service_closed"),
            Rejection::SlotFull { .. } => (S::CONFLICT, "slot_full"),
            Rejection::LastCounter { .. } => (S::CONFLICT, "last_counter"),
            Rejection::ReentryRefused { .. } => (S::CONFLICT, "reentry_refused"),
            Rejection::NothingToRate(_) => (S::CONFLICT, "nothing_to_rate"),
            Rejection::AlreadyRated { .. } => (S::CONFLICT, "already_rated"),
            Rejection::NoRectification { .. } => (S::NOT_FOUND, "no_rectification"),
            Rejection::RectifyStep { .. } => (S::CONFLICT, "rectify_step"),
            Rejection::UnknownAppointment(_) => (S::NOT_FOUND, "unknown_appointment"),
            Rejection::AppointmentWindow { .. } => (S::CONFLICT, "appointment_window"),
            Rejection::CodeTaken(_) => (S::CONFLICT, "code_taken"),
            Rejection::UnknownRequest(_) => (S::NOT_FOUND, "unknown_request"),
            Rejection::CodeExpired => (S::GONE, "code_expired"),
            Rejection::CodeLocked => (S::FORBIDDEN, "code_locked"),
            Rejection::WrongCode { .. } => (S::UNPROCESSABLE_ENTITY, "wrong_code"),
            Rejection::RequestUsed { .. } => (S::CONFLICT, "request_used"),
            Rejection::RemoteRefused { .. } => (S::CONFLICT, "remote_refused"),
            Rejection::OnePerPhone { .. } => (S::CONFLICT, "one_per_phone"),
            Rejection::PhoneRateLimited { .. } => (S::TOO_MANY_REQUESTS, "phone_rate_limited"),
            Rejection::NotRemote { .. } => (S::CONFLICT, "not_remote"),
            Rejection::ArrivalMismatch { .. } => (S::UNPROCESSABLE_ENTITY, "arrival_mismatch"),
            Rejection::ArrivalLocked { .. } => (S::FORBIDDEN, "arrival_locked"),
            Rejection::DeferRefused { .. } => (S::CONFLICT, "defer_refused"),
            Rejection::BookingRefused(_) => (S::CONFLICT, "booking_refused"),
            Rejection::UnknownBooking(_) => (S::NOT_FOUND, "unknown_booking"),
        };
        ApiError::new(status, code, r.to_string())
    }
}

impl From<EngineError> for ApiError {
    fn from(e: EngineError) -> ApiError {
        match e {
            EngineError::Rejected(r) => r.into(),
            // The engine logged the failure, once for the whole batch.
            EngineError::Storage(_) => ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "storage_unavailable",
                "the change could not be saved, so nothing was changed; please try again in a moment",
            ),
            EngineError::Unavailable(fault) => ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                fault.code(),
                format!("nothing was changed: {}", fault.message()),
            ),
            EngineError::Stopped => ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "shutting_down",
                "the server is shutting down; try again shortly",
            ),
        }
    }
}

impl From<JsonRejection> for ApiError {
    fn from(r: JsonRejection) -> ApiError {
        let (status, code) = match &r {
            JsonRejection::JsonDataError(_) => (StatusCode::UNPROCESSABLE_ENTITY, "invalid_body"),
            JsonRejection::JsonSyntaxError(_) => (StatusCode::BAD_REQUEST, "malformed_json"),
            JsonRejection::MissingJsonContentType(_) => {
                (StatusCode::UNSUPPORTED_MEDIA_TYPE, "not_json")
            }
            // A body over the limit: the rejection's own status (413).
            _ if r.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                (StatusCode::PAYLOAD_TOO_LARGE, "body_too_large")
            }
            _ => (StatusCode::BAD_REQUEST, "bad_body"),
        };
        ApiError::new(
            status,
            code,
            format!("the request body is not valid: {}", r.body_text()),
        )
    }
}

impl From<QueryRejection> for ApiError {
    fn from(r: QueryRejection) -> ApiError {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "bad_query",
            format!("the query string is not valid: {}", r.body_text()),
        )
    }
}

/// The longest error message sent back. Messages quote what was wrong
/// (an unknown service, a parser's complaint about a value); a client that
/// sent a huge value gets the start of it back, not all of it.
pub const MESSAGE_LIMIT: usize = 400;

fn shorten(message: String) -> String {
    match message.char_indices().nth(MESSAGE_LIMIT) {
        None => message,
        Some((cut, _)) => format!("{}… (shortened)", &message[..cut]),
    }
}

/// The largest request body any endpoint takes. The API's bodies are a
/// few hundred bytes; a notice with 30 long items stays far below this.
pub const BODY_LIMIT: usize = 64 * 1024;

/// Middleware: the errors axum answers by itself (405 from the method
/// router, 413 from the body limit, before any handler runs) leave as the
/// same JSON error shape as every other, keeping their headers (`Allow`).
pub async fn json_errors(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    // A body announced as over the limit is refused before it is read.
    let announced = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    let response = if announced.is_some_and(|n| n > BODY_LIMIT) {
        StatusCode::PAYLOAD_TOO_LARGE.into_response()
    } else {
        next.run(request).await
    };
    let content_type = response
        .headers()
        .get(header::CONTENT_TYPE)
        .map(|v| v.as_bytes().to_vec())
        .unwrap_or_default();
    if content_type.starts_with(b"application/json") {
        return response;
    }
    let status = response.status();
    let (code, message) = match status {
        StatusCode::METHOD_NOT_ALLOWED => (
            "method_not_allowed",
            "this endpoint does not take that HTTP method; the Allow header lists the ones it takes".to_owned(),
        ),
        StatusCode::PAYLOAD_TOO_LARGE => (
            "body_too_large",
            "the request body is too large; send only the fields the endpoint takes".to_owned(),
        ),
        // axum's own plain-text refusals before any handler runs: a path or
        // query segment that is not UTF-8 once percent-decoded, a websocket
        // request without its upgrade headers.
        s if (s.is_client_error() || s.is_server_error()) && content_type.starts_with(b"text/plain") => {
            let (parts, body) = response.into_parts();
            let text = axum::body::to_bytes(body, 4096).await.unwrap_or_default();
            let text: String = String::from_utf8_lossy(&text)
                .chars()
                .filter(|c| !c.is_control())
                .take(200)
                .collect();
            // The status and headers, without the text.
            let head = Response::from_parts(parts, axum::body::Body::empty());
            if s.is_server_error() {
                let e = ApiError::internal(&text);
                return json_error(head, e.code, e.message);
            }
            let code = match s {
                StatusCode::UPGRADE_REQUIRED => "upgrade_required",
                _ => "bad_request",
            };
            let hint = if text.contains("UTF-8") {
                "; percent-encode path and query values as UTF-8"
            } else {
                ""
            };
            let message = format!("the request is not valid: {text}{hint}");
            return json_error(head, code, message);
        }
        _ => return response,
    };
    json_error(response, code, message)
}

/// `response` with its status and headers, its body replaced by the JSON
/// error.
fn json_error(response: Response, code: &'static str, message: String) -> Response {
    let (mut parts, _) = response.into_parts();
    let fresh = ApiError::new(parts.status, code, message).into_response();
    let (fresh_parts, body) = fresh.into_parts();
    parts.headers.remove(header::CONTENT_LENGTH);
    parts.headers.insert(
        header::CONTENT_TYPE,
        fresh_parts.headers[header::CONTENT_TYPE].clone(),
    );
    Response::from_parts(parts, body)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(e: ApiError, status: StatusCode, code: &str) {
        assert_eq!((e.status, e.code), (status, code), "{}", e.message);
    }

    #[test]
    fn internal_failures_are_500_and_never_show_their_detail() {
        let e = ApiError::internal("disk I/O error at /var/lib/qcall/hall.db");
        assert!(!e.message.contains("/var/lib"), "{}", e.message);
        check(e, StatusCode::INTERNAL_SERVER_ERROR, "internal");
        let e: ApiError = EngineError::Storage("database is locked".into()).into();
        assert!(!e.message.contains("locked"), "{}", e.message);
        check(e, StatusCode::SERVICE_UNAVAILABLE, "storage_unavailable");
        check(
            EngineError::Stopped.into(),
            StatusCode::SERVICE_UNAVAILABLE,
            "shutting_down",
        );
    }

    #[test]
    fn refusals_map_to_their_status_and_code() {
        let cases: Vec<(Rejection, StatusCode, &str)> = vec![
            (
                Rejection::CodeTaken("123456".into()),
                StatusCode::CONFLICT,
                "code_taken",
            ),
            (
                Rejection::CounterClosed("1".into()),
                StatusCode::CONFLICT,
                "counter_closed",
            ),
            (
                Rejection::UnknownTicket(qcall_core::TicketId(9)),
                StatusCode::NOT_FOUND,
                "unknown_ticket",
            ),
            (
                Rejection::BadRating(7),
                StatusCode::UNPROCESSABLE_ENTITY,
                "bad_rating",
            ),
        ];
        for (r, status, code) in cases {
            check(r.into(), status, code);
        }
    }

    #[test]
    fn a_huge_value_is_not_echoed_back() {
        let service = "社".repeat(60_000);
        let e: ApiError = Rejection::UnknownService(service.clone()).into();
        assert!(
            e.message.chars().count() <= MESSAGE_LIMIT + 20,
            "{}",
            e.message.len()
        );
        assert!(e.message.ends_with("(shortened)"));
        // A short one is left alone.
        let e: ApiError = Rejection::UnknownService("Z".into()).into();
        assert!(!e.message.contains("shortened"), "{}", e.message);
    }
}
