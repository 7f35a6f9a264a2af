//! API the hall's screens need beyond the v1 core, all additive:
//! `GET /api/v1/whoami` (what a token may do, for sign-in screens),
//! `POST /api/v1/alerts` (a kiosk's "call a guide" button),
//! `GET /api/v1/display` (wall display layout from `[display]`),
//! `GET /api/v1/window/{counter}` (the screen above a counter: who serves
//! there, public by design, like the name badge at the counter) and
//! `GET /api/v1/admin/overview` (the supervisor's live hall).
//!
//! Alerts are notices, not domain events: they go through the hub's
//! notices (a guide call to every screen) and are not stored in the event
//! log.

use axum::Json;
use axum::extract::State;
use axum::extract::rejection::JsonRejection;
use axum::http::{HeaderMap, StatusCode};
use qcall_core::time::local_rfc3339;
use qcall_store::Role;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::api::base_url;
use crate::error::ApiError;
use crate::wire;
use crate::{AppState, ClientIp};

/// Alerts a supervisor sees when opening the overview.
const RECENT_ALERTS: usize = 50;

/// `GET /api/v1/whoami`: the role and subject of the Bearer token.
#[utoipa::path(
    get,
    path = "/api/v1/whoami",
    tag = "hall",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The token's role and subject", body = crate::openapi::WhoamiBody),
        (status = 401, description = "`unauthorized`: no valid token", body = crate::error::ErrorBody),
    )
)]
pub async fn whoami(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Json<Value>, ApiError> {
    let cred = state
        .auth
        .from_headers(&headers)?
        .ok_or_else(|| ApiError::unauthorized("send `Authorization: Bearer <token>`"))?;
    let counter = match cred.role {
        Role::Counter => wire::counter_ref(&state.engine.hall(), &cred.subject),
        _ => None,
    };
    Ok(Json(json!({
        "role": cred.role.as_str(),
        "subject": cred.subject,
        "counter": counter,
    })))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[schema(as = AlertRequest)]
#[serde(deny_unknown_fields)]
pub struct AlertBody {
    /// `guide`: ask a guide to come.
    kind: String,
    /// The kiosk asking.
    source: Option<String>,
}

/// `POST /api/v1/alerts {kind: "guide", source?}`: asks hall staff to come
/// to a kiosk. Rate-limited per address together with ticket requests.
#[utoipa::path(
    post,
    path = "/api/v1/alerts",
    tag = "hall",
    request_body = AlertBody,
    responses(
        (status = 202, description = "Raised on every screen", body = crate::openapi::RaisedAlertBody),
        (status = 400, description = "`malformed_json`", body = crate::error::ErrorBody),
        (status = 413, description = "`body_too_large`", body = crate::error::ErrorBody),
        (status = 415, description = "`not_json`", body = crate::error::ErrorBody),
        (status = 422, description = "`invalid_body`: not a known kind", body = crate::error::ErrorBody),
        (status = 429, description = "`rate_limited`", body = crate::error::ErrorBody),
    )
)]
pub async fn alert(
    State(state): State<AppState>,
    ClientIp(client): ClientIp,
    body: Result<Json<AlertBody>, JsonRejection>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let Json(body) = body?;
    if body.kind != "guide" {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_body",
            format!(
                "unknown alert kind `{}`; the only kind is \"guide\"",
                body.kind
            ),
        ));
    }
    let source: String = body
        .source
        .unwrap_or_default()
        .chars()
        .filter(|c| !c.is_control())
        .take(64)
        .collect();
    state.kiosk_limit(client)?;
    let hall = state.engine.hall();
    let mut alert = json!({
        "kind": body.kind,
        "source": source,
        "at": local_rfc3339(state.engine.now(), &hall.tz),
    });
    tracing::info!(kind = %body.kind, %source, "alert raised");
    // Which kiosk wants a guide is no one's secret: every stream.
    let id = state
        .alerts
        .raise(&state.hub, crate::hub::Audience::Everyone, alert.clone());
    alert["id"] = json!(id);
    alert["ack"] = Value::Null;
    Ok((StatusCode::ACCEPTED, Json(json!({ "alert": alert }))))
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AckBody {
    /// What was done about it, for the record (optional, at most 500 characters).
    note: Option<String>,
}

/// `POST /api/v1/alerts/{id}/ack {note?}`: a supervisor or guide
/// acknowledges a one-off alert (a guide call, a poor rating): who, when
/// and the note are stored with it and every screen sees it acknowledged.
/// The first acknowledgement stays. SLA lights clear by themselves.
#[utoipa::path(
    post,
    path = "/api/v1/alerts/{id}/ack",
    tag = "hall",
    params(("id" = i64, Path, description = "The alert's id (`id` of an `alert` frame or of GET /alerts)")),
    request_body(content = Option<AckBody>, description = "An optional note"),
    security(("bearer" = ["supervisor", "guide"])),
    responses(
        (status = 200, description = "The alert with its `ack`", body = crate::openapi::RaisedAlertBody),
        (status = 400, description = "`invalid_body`: the body is not JSON", body = crate::error::ErrorBody),
        (status = 401, description = "`unauthorized`: no valid token", body = crate::error::ErrorBody),
        (status = 403, description = "`forbidden`: not a supervisor or guide token", body = crate::error::ErrorBody),
        (status = 404, description = "`unknown_alert`", body = crate::error::ErrorBody),
        (status = 413, description = "`body_too_large`", body = crate::error::ErrorBody),
        (status = 422, description = "`invalid_body`: the note is too long", body = crate::error::ErrorBody),
        (status = 503, description = "`storage_unavailable`, `shutting_down`", body = crate::error::ErrorBody),
    )
)]
pub async fn ack_alert(
    State(state): State<AppState>,
    axum::extract::Path(id): axum::extract::Path<String>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<Json<Value>, ApiError> {
    let cred = state.auth.require(
        &headers,
        &[Role::Supervisor, Role::Guide],
        "acknowledging an alert",
    )?;
    let body: AckBody = crate::api::optional_body(&body)?;
    let note = body.note.unwrap_or_default().trim().to_owned();
    if note.chars().count() > 500 || note.chars().any(char::is_control) {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_body",
            "a note is at most 500 printable characters",
        ));
    }
    let unknown = || {
        ApiError::not_found(
            "unknown_alert",
            format!(
                "there is no alert `{}` to acknowledge; GET /api/v1/alerts lists them (SLA lights clear by themselves)",
                id.chars().take(40).collect::<String>()
            ),
        )
    };
    let n: i64 = id.parse().ok().filter(|n| *n > 0).ok_or_else(unknown)?;
    let by = cred.account.clone().map_or_else(
        || cred.subject.clone(),
        |id| format!("{} ({id})", cred.subject),
    );
    let alert = state.alerts.ack(n, &by, &note).await?.ok_or_else(unknown)?;
    Ok(Json(json!({ "alert": alert })))
}

/// `GET /api/v1/display`: the wall display's layout, zones and ticker.
#[utoipa::path(
    get,
    path = "/api/v1/display",
    tag = "hall",
    responses((status = 200, description = "The display settings", body = crate::openapi::DisplayBody))
)]
pub async fn display(State(state): State<AppState>) -> Json<Value> {
    let hall = state.engine.hall();
    Json(json!({
        "hall": wire::Bilingual::from(&hall.name),
        "hotline": state.site.get().hotline,
        "display": state.site.get().display,
    }))
}

/// `GET /api/v1/admin/overview`: counters, queues and recent alerts, for a
/// supervisor token only.
#[utoipa::path(
    get,
    path = "/api/v1/admin/overview",
    tag = "hall",
    security(("bearer" = ["supervisor"])),
    responses(
        (status = 200, description = "The live hall, with staff names", body = crate::openapi::OverviewBody),
        (status = 401, description = "`unauthorized`: no valid token", body = crate::error::ErrorBody),
        (status = 403, description = "`forbidden`: not a supervisor token", body = crate::error::ErrorBody),
        (status = 503, description = "`shutting_down`", body = crate::error::ErrorBody),
    )
)]
pub async fn admin_overview(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Json<Value>, ApiError> {
    let cred = state
        .auth
        .require(&headers, &[Role::Supervisor], "the supervisor overview")?;
    let snap = state.engine.snapshot().await?;
    let hall = state.engine.hall();
    let base = base_url(&state, &headers);
    let counters: Vec<_> = snap
        .counters
        .iter()
        .filter_map(|c| wire::counter_for(wire::Viewer::Staff, &hall, &base, c))
        .collect();
    Ok(Json(json!({
        "supervisor": cred.subject,
        "seq": snap.seq,
        "day": snap.day.to_string(),
        "counters": counters,
        "queue": wire::queue_for(wire::Viewer::Staff, &hall, &base, &snap),
        "alerts": state.hub.recent_notices("alert", RECENT_ALERTS),
    })))
}

/// `GET /api/v1/window/{counter}`: the counter's name, state, current
/// number and the clerk working there (name and 工号), for the small screen
/// above it. Public: the applicant at the counter sees who serves them;
/// the clerk is named only while the counter is open.
#[utoipa::path(
    get,
    path = "/api/v1/window/{counter}",
    tag = "hall",
    params(crate::api::counters::CounterPath),
    responses(
        (status = 200, description = "What the window screen shows", body = wire::WindowBody),
        (status = 404, description = "`unknown_counter`", body = crate::error::ErrorBody),
        (status = 503, description = "`shutting_down`", body = crate::error::ErrorBody),
    )
)]
pub async fn window(
    State(state): State<AppState>,
    axum::extract::Path(counter): axum::extract::Path<String>,
    headers: HeaderMap,
) -> Result<Json<wire::WindowBody>, ApiError> {
    let hall = state.engine.hall().clone();
    let counter_ref = wire::counter_ref(&hall, &counter)
        .ok_or_else(|| qcall_core::Rejection::UnknownCounter(counter.clone()))?;
    let id = counter.clone();
    let (view, staff, seq) = state
        .engine
        .read(move |s, _| {
            let index = s.hall().counter_index(&id)?;
            let view = qcall_engine::CounterView::of(s, index);
            Some((view, s.counter_at(index).staff.clone(), s.last_seq()))
        })
        .await?
        .ok_or_else(|| qcall_core::Rejection::UnknownCounter(counter.clone()))?;
    let open = view.state != qcall_core::CounterState::Closed;
    let clerk = match staff.filter(|_| open) {
        Some(staff) => {
            let names = state.auth.staff_names()?;
            Some(match names.get(&staff) {
                Some(name) => wire::ClerkRef {
                    id: Some(staff),
                    name: name.clone(),
                },
                None => wire::ClerkRef {
                    id: None,
                    name: staff,
                },
            })
        }
        None => None,
    };
    let base = base_url(&state, &headers);
    Ok(Json(wire::WindowBody {
        counter: counter_ref,
        state: view.state.as_str(),
        current: view.current.as_ref().map(|t| wire::ticket(&hall, &base, t)),
        clerk,
        seq,
    }))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FindQuery {
    /// A ticket number of today, e.g. `A012` (case does not matter).
    number: String,
}

/// `GET /api/v1/tickets?number=A012`: today's ticket with that number, for
/// staff acting on it from its row (reprint, re-entry, cancel on `/admin`).
#[utoipa::path(
    get,
    path = "/api/v1/tickets",
    tag = "tickets",
    params(FindQuery),
    security(("bearer" = ["guide", "supervisor"])),
    responses(
        (status = 200, description = "Today's tickets with that number (staff view); empty when none", body = wire::TicketsBody),
        (status = 400, description = "`bad_query`: no `number`", body = crate::error::ErrorBody),
        (status = 401, description = "`unauthorized`: no valid token", body = crate::error::ErrorBody),
        (status = 403, description = "`forbidden`: not a guide or supervisor token", body = crate::error::ErrorBody),
        (status = 503, description = "`shutting_down`", body = crate::error::ErrorBody),
    )
)]
pub async fn find_tickets(
    State(state): State<AppState>,
    query: Result<axum::extract::Query<FindQuery>, axum::extract::rejection::QueryRejection>,
    headers: HeaderMap,
) -> Result<Json<wire::TicketsBody>, ApiError> {
    state.auth.require(
        &headers,
        &[Role::Guide, Role::Supervisor],
        "looking a ticket up",
    )?;
    let axum::extract::Query(query) = query?;
    let number = query.number.trim().to_uppercase();
    let views = state
        .engine
        .read(move |s, _| {
            let mut ids: Vec<_> = s
                .tickets()
                .filter(|t| t.number == number)
                .map(|t| t.id)
                .collect();
            ids.sort();
            ids.into_iter()
                .filter_map(|id| qcall_engine::TicketView::of(s, id))
                .collect::<Vec<_>>()
        })
        .await?;
    let (hall, base) = (state.engine.hall(), base_url(&state, &headers));
    Ok(Json(wire::TicketsBody {
        tickets: views
            .iter()
            .map(|v| wire::ticket_for(wire::Viewer::Staff, &hall, &base, v))
            .collect(),
    }))
}
