//! Putting 差评 right (整改) over HTTP: the supervisors' list and steps
//! (`/rectifications`, `/rectifications/{ticket}/{assign,callback,fix}`)
//! and the applicant's rating of the fix through their ticket's link
//! (`POST /tickets/{id}/fix-rating`). The rules are the core's
//! ([`qcall_core::rectify`]); this file translates.

use axum::Json;
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use qcall_core::Command;
use qcall_core::rectify::{Rectification, RectifyAction};
use qcall_core::time::local_rfc3339;
use qcall_store::Role;
use serde::Deserialize;

use super::tickets::TicketPath;
use super::{KeyQuery, base_url, parse_ticket_id, require_holder};
use crate::error::{ApiError, ErrorBody};
use crate::wire;
use crate::{AppState, ClientIp};

/// An item as supervisors see it.
fn item_json(state: &AppState, base: &str, r: &Rectification) -> wire::RectificationJson {
    let hall = state.engine.hall();
    let tz = &hall.tz;
    let today = qcall_core::time::business_day(state.engine.now(), tz);
    let step = |s: &Option<qcall_core::rectify::Step>| {
        s.as_ref().map(|s| wire::RectifyStepJson {
            at: local_rfc3339(s.at, tz),
            by: s.by.clone(),
            text: s.text.clone(),
        })
    };
    wire::RectificationJson {
        ticket: r.ticket.0,
        number: r.number.clone(),
        service: r.service.clone(),
        counter: r.counter.clone(),
        staff: r.staff.clone(),
        score: r.score,
        reason: r.reason.clone(),
        opened_at: local_rfc3339(r.opened_at, tz),
        deadline: r.deadline.to_string(),
        assignee: r.assignee.clone(),
        callback: step(&r.callback),
        fix: step(&r.fix),
        fix_score: r.fix_score,
        state: if r.fix_score.is_some() {
            "rated"
        } else if r.fix.is_some() {
            "fixed"
        } else if r.callback.is_some() {
            "called_back"
        } else {
            "open"
        },
        overdue: r.overdue(today, tz),
        fixed_on_time: r.fix.as_ref().map(|_| r.fixed_on_time(tz)),
        fix_rating_url: format!("{}&fix=1", state.keys.status_url(base, r.ticket)),
    }
}

/// Every 差评 item, newest first (the latest 200): who has it, the
/// callback, the fix and its deadline, the applicant's rating of it, and
/// the link that lets the applicant rate the fix. Supervisors only.
#[utoipa::path(
    get,
    path = "/api/v1/rectifications",
    tag = "ratings",
    security(("bearer" = ["supervisor"])),
    responses(
        (status = 200, description = "The items", body = wire::RectificationsBody),
        (status = 401, description = "`unauthorized`", body = ErrorBody),
        (status = 403, description = "`forbidden`: not a supervisor", body = ErrorBody),
        (status = 500, description = "`internal`", body = ErrorBody),
        (status = 503, description = "`shutting_down`", body = ErrorBody),
    )
)]
pub async fn list(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Json<wire::RectificationsBody>, ApiError> {
    state
        .auth
        .require(&headers, &[Role::Supervisor], "the 差评 items")?;
    let items = state
        .engine
        .read(|_, store| store.recent_rectifications(200))
        .await?
        .map_err(ApiError::internal)?;
    let base = base_url(&state, &headers);
    Ok(Json(wire::RectificationsBody {
        fix_working_days: state.engine.hall().rating.fix_working_days,
        items: items.iter().map(|r| item_json(&state, &base, r)).collect(),
    }))
}

/// A ticket in the path of a 差评 item.
#[derive(Debug, utoipa::IntoParams)]
#[into_params(parameter_in = Path)]
#[allow(dead_code)] // Describes the path for the OpenAPI document only.
pub struct StepPath {
    /// The rated ticket's id.
    #[param(example = 1)]
    ticket: i64,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssignBody {
    /// The supervisor who puts it right.
    #[schema(example = "zhao")]
    supervisor: String,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CallbackBody {
    /// How the callback (回访) went; its time is when it is logged.
    #[schema(example = "已电话致歉，申请人接受")]
    outcome: String,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FixBody {
    /// What was put right.
    #[schema(example = "窗口人员已培训，材料清单已更新")]
    note: String,
}

/// One supervisor step on an item, answered with the item.
async fn step(
    state: AppState,
    headers: HeaderMap,
    ticket: String,
    action: RectifyAction,
) -> Result<Json<wire::RectificationJson>, ApiError> {
    let cred = state
        .auth
        .require(&headers, &[Role::Supervisor], "putting a 差评 right")?;
    let id = parse_ticket_id(&ticket)?;
    state
        .engine
        .execute(Command::Rectify {
            ticket: id,
            action,
            by: cred.subject,
        })
        .await?;
    let item = state
        .engine
        .read(move |_, store| store.rectification(id))
        .await?
        .map_err(ApiError::internal)?
        .ok_or_else(|| ApiError::internal("a 差评 item vanished after its step"))?;
    let base = base_url(&state, &headers);
    Ok(Json(item_json(&state, &base, &item)))
}

macro_rules! step_route {
    ($name:ident, $path:literal, $body:ty, $what:literal, |$b:ident| $action:expr) => {
        #[doc = $what]
        #[utoipa::path(
            post,
            path = $path,
            tag = "ratings",
            params(StepPath),
            request_body = $body,
            security(("bearer" = ["supervisor"])),
            responses(
                (status = 200, description = "The item after the step", body = wire::RectificationJson),
                (status = 400, description = "`malformed_json`", body = ErrorBody),
                (status = 401, description = "`unauthorized`", body = ErrorBody),
                (status = 403, description = "`forbidden`: not a supervisor", body = ErrorBody),
                (status = 404, description = "`unknown_ticket`, `no_rectification`: no 差评 item for the ticket", body = ErrorBody),
                (status = 409, description = "`rectify_step`: out of order (a callback before the fix) or done already", body = ErrorBody),
                (status = 413, description = "`body_too_large`", body = ErrorBody),
                (status = 415, description = "`not_json`", body = ErrorBody),
                (status = 422, description = "`invalid_body`, `bad_input`", body = ErrorBody),
                (status = 500, description = "`internal`", body = ErrorBody),
                (status = 503, description = "`storage_unavailable`, `shutting_down`", body = ErrorBody),
            )
        )]
        pub async fn $name(
            State(state): State<AppState>,
            Path(ticket): Path<String>,
            headers: HeaderMap,
            body: Result<Json<$body>, JsonRejection>,
        ) -> Result<Json<wire::RectificationJson>, ApiError> {
            let Json($b) = body?;
            step(state, headers, ticket, $action).await
        }
    };
}

step_route!(
    assign,
    "/api/v1/rectifications/{ticket}/assign",
    AssignBody,
    "Assigns a 差评 item to a supervisor. Audited (the event names who).",
    |b| RectifyAction::Assign {
        to: b.supervisor.trim().to_owned()
    }
);
step_route!(
    callback,
    "/api/v1/rectifications/{ticket}/callback",
    CallbackBody,
    "Logs the callback (回访) of a 差评: now, by whom, and the outcome. Every 差评 is called back before it is fixed.",
    |b| RectifyAction::Callback {
        outcome: b.outcome.trim().to_owned()
    }
);
step_route!(
    fix,
    "/api/v1/rectifications/{ticket}/fix",
    FixBody,
    "Records the fix of a 差评 (on time when on or before its deadline) and uploads it; the applicant may then rate it through the item's `fix_rating_url`.",
    |b| RectifyAction::Fix {
        note: b.note.trim().to_owned()
    }
);

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FixRatingBody {
    /// 5 非常满意 ... 1 非常不满意: how the applicant finds the fix.
    #[schema(example = 4)]
    score: u8,
    /// The ticket's key (or `?k=`).
    ticket_key: Option<String>,
}

/// The applicant rates the fix of their 差评, through their ticket's link
/// (`fix_rating_url`, the ticket's key); once.
#[utoipa::path(
    post,
    path = "/api/v1/tickets/{id}/fix-rating",
    tag = "tickets",
    params(TicketPath, KeyQuery),
    request_body = FixRatingBody,
    responses(
        (status = 200, description = "Recorded", body = wire::FixRatedBody),
        (status = 400, description = "`malformed_json`, `bad_query`", body = ErrorBody),
        (status = 401, description = "`ticket_key_required`", body = ErrorBody),
        (status = 403, description = "`bad_ticket_key`", body = ErrorBody),
        (status = 404, description = "`unknown_ticket`, `no_rectification`", body = ErrorBody),
        (status = 409, description = "`rectify_step`: not fixed yet, or rated already", body = ErrorBody),
        (status = 413, description = "`body_too_large`", body = ErrorBody),
        (status = 415, description = "`not_json`", body = ErrorBody),
        (status = 422, description = "`invalid_body`, `bad_rating`", body = ErrorBody),
        (status = 429, description = "`rate_limited`", body = ErrorBody),
        (status = 500, description = "`internal`", body = ErrorBody),
        (status = 503, description = "`storage_unavailable`, `shutting_down`", body = ErrorBody),
    )
)]
pub async fn rate_fix(
    State(state): State<AppState>,
    ClientIp(client): ClientIp,
    Path(id): Path<String>,
    query: Result<Query<KeyQuery>, QueryRejection>,
    body: Result<Json<FixRatingBody>, JsonRejection>,
) -> Result<Json<wire::FixRatedBody>, ApiError> {
    let Query(query) = query?;
    let Json(body) = body?;
    let id = parse_ticket_id(&id)?;
    let key = body.ticket_key.or(query.k);
    require_holder(&state, None, id, key.as_deref(), "rating the fix")?;
    state.kiosk_limit(client)?;
    state
        .engine
        .execute(Command::Rectify {
            ticket: id,
            action: RectifyAction::RateFix { score: body.score },
            by: "applicant".into(),
        })
        .await?;
    Ok(Json(wire::FixRatedBody {
        ticket: id.0,
        fix_score: body.score,
    }))
}
