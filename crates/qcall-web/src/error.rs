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
use serde_json::json;

/// An error response.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            code,
            message: message.into(),
        }
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
        json!({"error": {"code": self.code, "message": self.message}})
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
            Rejection::UnknownClass(_) => (S::UNPROCESSABLE_ENTITY, "unknown_priority"),
            Rejection::BadRating(_) => (S::UNPROCESSABLE_ENTITY, "bad_rating"),
            Rejection::BadInput(_) => (S::UNPROCESSABLE_ENTITY, "bad_input"),
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
            Rejection::UnknownAppointment(_) => (S::NOT_FOUND, "unknown_appointment"),
            Rejection::AppointmentWindow { .. } => (S::CONFLICT, "appointment_window"),
            Rejection::CodeTaken(_) => (S::CONFLICT, "code_taken"),
        };
        ApiError::new(status, code, r.to_string())
    }
}

impl From<EngineError> for ApiError {
    fn from(e: EngineError) -> ApiError {
        match e {
            EngineError::Rejected(r) => r.into(),
            EngineError::Storage(detail) => {
                tracing::error!(%detail, "storage failure");
                ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "storage_unavailable",
                    "the change could not be saved, so nothing was changed; please try again in a moment",
                )
            }
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
