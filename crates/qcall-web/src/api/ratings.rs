//! 好差评 and cases: the rating rules a pad or phone asks
//! (`GET /rating`), the body both rating endpoints share, attaching a case
//! number (`POST /tickets/{id}/case`) and the upload state of every record
//! (`GET /ratings/uploads`). The rating endpoints themselves stay with
//! their resources (`/counters/{counter}/rating`, `/tickets/{id}/rating`).

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use qcall_core::Command;
use qcall_core::rating::{Channel, RatingInput};
use qcall_core::time::local_rfc3339;
use qcall_store::Role;
use serde::Deserialize;

use super::parse_ticket_id;
use super::tickets::TicketPath;
use crate::AppState;
use crate::error::{ApiError, ErrorBody};
use crate::wire;

/// What a rating says, from the pad (this is its whole body) or the phone
/// (`POST /tickets/{id}/rating` adds the key and the channel).
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RatingFields {
    /// 5 非常满意, 4 满意, 3 基本满意, 2 不满意, 1 非常不满意; 2 and 1 are
    /// 差评 and need a `reason`.
    #[schema(example = 5)]
    pub score: u8,
    /// Indicator code → 1..=5, for the indicators of `GET /rating`.
    #[schema(example = json!({"overall": 5, "attitude": 4}))]
    pub indicators: Option<BTreeMap<String, u8>>,
    /// Why (needed for a 差评): one of `GET /rating`'s reasons, or typed.
    pub reason: Option<String>,
    /// The applicant's words, for supervisors only.
    pub comment: Option<String>,
}

impl RatingFields {
    pub fn input(self, channel: Channel) -> RatingInput {
        RatingInput {
            score: self.score,
            indicators: self.indicators.unwrap_or_default().into_iter().collect(),
            reason: self.reason,
            comment: self.comment,
            channel,
        }
    }
}

/// The levels, the indicator set (with its version) and the reasons a
/// 差评 may give: what the pad and the phone page ask. Public: no
/// applicant's data in it.
#[utoipa::path(
    get,
    path = "/api/v1/rating",
    tag = "ratings",
    responses(
        (status = 200, description = "The hall's rating rules", body = wire::RatingRulesBody),
    )
)]
pub async fn rules(State(state): State<AppState>) -> Json<wire::RatingRulesBody> {
    Json(wire::RatingRulesBody::of(&state.engine.hall()))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CaseRequest {
    /// The case number (办件编号) of the hall's business system.
    #[schema(example = "BJ-2026-000123")]
    case_no: String,
}

/// Attaches a case number (办件编号) to a ticket, at finish or suspend:
/// tickets sharing it are one case's visits, over days. The counter that
/// called the ticket, a supervisor, or the hall's business system (an
/// integration token) may. Answers which visit of the case this is.
#[utoipa::path(
    post,
    path = "/api/v1/tickets/{id}/case",
    tag = "tickets",
    params(TicketPath),
    request_body = CaseRequest,
    security(("bearer" = ["counter", "supervisor", "integration"])),
    responses(
        (status = 200, description = "The case and its visits so far", body = wire::CaseBody),
        (status = 400, description = "`malformed_json`", body = ErrorBody),
        (status = 401, description = "`unauthorized`", body = ErrorBody),
        (status = 403, description = "`forbidden`: another counter's ticket, or a guide's token", body = ErrorBody),
        (status = 404, description = "`unknown_ticket`", body = ErrorBody),
        (status = 409, description = "`wrong_state`: not called yet, cancelled or a no-show", body = ErrorBody),
        (status = 413, description = "`body_too_large`", body = ErrorBody),
        (status = 415, description = "`not_json`", body = ErrorBody),
        (status = 422, description = "`invalid_body`, `bad_input`: not a case number", body = ErrorBody),
        (status = 500, description = "`internal`", body = ErrorBody),
        (status = 503, description = "`storage_unavailable`, `shutting_down`", body = ErrorBody),
    )
)]
pub async fn attach_case(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Result<Json<CaseRequest>, JsonRejection>,
) -> Result<Json<wire::CaseBody>, ApiError> {
    let id = parse_ticket_id(&id)?;
    let cred = state.auth.require(
        &headers,
        &[Role::Counter, Role::Supervisor, Role::Integration],
        "attaching a case number",
    )?;
    let Json(body) = body?;
    if cred.role == Role::Counter {
        // Only the counter that called the ticket.
        let at = state
            .engine
            .read(move |s, _| s.ticket(id).map(|t| t.counter.clone()))
            .await?;
        match at {
            None => {
                return Err(ApiError::not_found(
                    "unknown_ticket",
                    format!("there is no ticket {id} today"),
                ));
            }
            // Not called yet: the core says why (wrong_state).
            Some(Some(c)) if c != cred.subject => {
                return Err(ApiError::forbidden(format!(
                    "ticket {id} is not counter {}'s; the counter that called it, or a supervisor, gives it its case number",
                    cred.subject
                )));
            }
            Some(_) => {}
        }
    }
    let by = cred.staff.clone().unwrap_or(cred.subject.clone());
    let case_no = body.case_no.trim().to_owned();
    state
        .engine
        .execute(Command::AttachCase {
            ticket: id,
            case_no: case_no.clone(),
            by,
        })
        .await?;
    let key = case_no.clone();
    let visits = state
        .engine
        .read(move |_, store| store.visits(&key))
        .await?
        .map_err(ApiError::internal)?;
    let visit = visits
        .iter()
        .position(|v| v.ticket == id)
        .map_or(visits.len(), |i| i + 1);
    Ok(Json(wire::CaseBody {
        ticket: id.0,
        case_no,
        visit,
        visits: visits
            .into_iter()
            .map(|v| wire::VisitJson {
                ticket: v.ticket.0,
                number: v.number,
                service: v.service,
                day: v.day.to_string(),
            })
            .collect(),
    }))
}

/// The latest records for the provincial 好差评 platform, each pending or
/// delivered; supervisors only.
#[utoipa::path(
    get,
    path = "/api/v1/ratings/uploads",
    tag = "ratings",
    security(("bearer" = ["supervisor"])),
    responses(
        (status = 200, description = "Upload state, newest first", body = wire::UploadsBody),
        (status = 401, description = "`unauthorized`", body = ErrorBody),
        (status = 403, description = "`forbidden`: not a supervisor", body = ErrorBody),
        (status = 500, description = "`internal`", body = ErrorBody),
        (status = 503, description = "`shutting_down`", body = ErrorBody),
    )
)]
pub async fn uploads(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Json<wire::UploadsBody>, ApiError> {
    state
        .auth
        .require(&headers, &[Role::Supervisor], "the upload state")?;
    let (recent, pending) = state
        .engine
        .read(|_, store| {
            Ok::<_, qcall_store::StoreError>((
                store.recent_uploads(200)?,
                store.pending_uploads(10_000)?.len(),
            ))
        })
        .await?
        .map_err(ApiError::internal)?;
    let tz = &state.engine.hall().tz;
    Ok(Json(wire::UploadsBody {
        configured: state.site.get().upload_configured,
        pending,
        uploads: recent
            .into_iter()
            .map(|u| wire::UploadJson {
                id: u.id,
                kind: u.kind,
                ticket: u.ticket.0,
                number: u.number,
                service: u.service,
                counter: u.counter,
                case_no: u.case_no,
                score: u.score,
                reason: u.reason,
                channel: u.channel.as_str(),
                state: if u.delivered_at.is_some() {
                    "delivered"
                } else {
                    "pending"
                },
                queued_at: local_rfc3339(u.queued_at, tz),
                delivered_at: u.delivered_at.map(|at| local_rfc3339(at, tz)),
            })
            .collect(),
    }))
}
