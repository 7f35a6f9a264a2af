//! The v1 HTTP endpoints under `/api/v1`.
//!
//! Handlers translate: JSON in, a domain command to the engine, JSON out.
//! They decide nothing about queues themselves.

use std::net::SocketAddr;

use axum::Json;
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{ConnectInfo, Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use qcall_core::stats::{GroupStats, day_stats};
use qcall_core::{Command, CounterAction, TicketId, TransferTarget};
use qcall_store::Role;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::AppState;
use crate::error::ApiError;
use crate::wire;

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
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Result<Json<TakeTicket>, JsonRejection>,
) -> Result<Response, ApiError> {
    let Json(body) = body?;
    // Guides and supervisors issue on others' behalf and are not limited.
    let staff = state
        .auth
        .from_headers(&headers)?
        .is_some_and(|c| matches!(c.role, Role::Guide | Role::Supervisor));
    if !staff && !state.limiter.allow(peer.ip()) {
        state
            .metrics
            .rate_limited
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        return Err(ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limited",
            "too many tickets from this kiosk in the last minute; please wait a moment or ask a guide",
        ));
    }
    if body.appointment_code.is_some() {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "appointments_unavailable",
            "this hall does not take appointment check-ins yet; take a ticket without appointment_code",
        ));
    }
    let cmd = Command::Issue {
        service: body.service,
        class: body.priority,
        source: body.source,
    };
    let reply = state.engine.execute(cmd).await?;
    let view = reply
        .ticket
        .ok_or_else(|| ApiError::internal("issue produced no ticket"))?;
    let ticket = wire::ticket(state.engine.hall(), &base_url(&state, &headers), &view);
    let location = format!("/api/v1/tickets/{}", ticket.id);
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, location)],
        Json(json!({ "ticket": ticket })),
    )
        .into_response())
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

pub async fn get_ticket(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Json<Value>, ApiError> {
    let id = parse_ticket_id(&id)?;
    let view =
        state.engine.ticket(id).await?.ok_or_else(|| {
            ApiError::not_found("unknown_ticket", format!("there is no ticket {id}"))
        })?;
    Ok(Json(
        json!({ "ticket": wire::ticket(state.engine.hall(), &base_url(&state, &headers), &view) }),
    ))
}

pub async fn cancel_ticket(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Json<Value>, ApiError> {
    let cred = state.auth.from_headers(&headers)?.ok_or_else(|| {
        ApiError::unauthorized("cancelling a ticket needs a guide or supervisor token")
    })?;
    if cred.role == Role::Counter {
        return Err(ApiError::forbidden(
            "a counter token cannot cancel waiting tickets; ask a guide or supervisor",
        ));
    }
    let id = parse_ticket_id(&id)?;
    let reply = state.engine.execute(Command::Cancel { ticket: id }).await?;
    let ticket = reply
        .ticket
        .map(|v| wire::ticket(state.engine.hall(), &base_url(&state, &headers), &v));
    Ok(Json(json!({ "ticket": ticket })))
}

pub async fn services(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    let hall = state.engine.hall().clone();
    let snap = state.engine.snapshot().await?;
    let queues = wire::queues(&hall, &snap.queues, snap.at);
    let services: Vec<Value> = hall
        .services
        .iter()
        .zip(queues)
        .map(|(s, q)| {
            json!({
                "code": s.code,
                "prefix": s.prefix,
                "name": wire::Bilingual::from(&s.name),
                "materials": s.materials.iter().map(wire::Bilingual::from).collect::<Vec<_>>(),
                "target_wait": { "yellow_s": s.target_wait_yellow_s, "red_s": s.target_wait_red_s },
                "daily_cap": s.daily_cap,
                "avg_service_s": s.avg_service_s,
                "counters": hall.counters_serving(&s.code).map(|c| c.id.clone()).collect::<Vec<_>>(),
                "waiting": q.waiting,
                "issued_today": q.issued_today,
                "sla": q.sla,
            })
        })
        .collect();
    let classes: Vec<Value> = hall
        .classes
        .iter()
        .map(|c| {
            json!({
                "id": c.id,
                "name": wire::Bilingual::from(&c.name),
                "weight": c.weight,
                "green": c.green,
                "mark": c.mark,
                "default": c.id == hall.default_class,
            })
        })
        .collect();
    let hours: serde_json::Map<String, Value> = state
        .site
        .hours
        .iter()
        .map(|(day, ranges)| (day.clone(), json!(ranges)))
        .collect();
    Ok(Json(json!({
        "hall": wire::Bilingual::from(&hall.name),
        "hotline": state.site.hotline,
        "hours": hours,
        "cutoff_minutes": state.site.cutoff_minutes,
        // The hall's clock, so screens judge opening hours in its time zone.
        "now": qcall_core::time::local_rfc3339(snap.at, &hall.tz),
        "timezone": hall.tz.iana_name(),
        "services": services,
        "classes": classes,
    })))
}

pub async fn counters(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Json<Value>, ApiError> {
    let snap = state.engine.snapshot().await?;
    let base = base_url(&state, &headers);
    let hall = state.engine.hall();
    let counters: Vec<_> = snap
        .counters
        .iter()
        .filter_map(|c| wire::counter(hall, &base, c))
        .collect();
    Ok(Json(json!({ "counters": counters })))
}

pub async fn queue(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Json<wire::QueueJson>, ApiError> {
    let snap = state.engine.snapshot().await?;
    Ok(Json(wire::queue(
        state.engine.hall(),
        &base_url(&state, &headers),
        &snap,
    )))
}

/// Body of counter actions; which fields apply depends on the action.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActionBody {
    rating: Option<u8>,
    service: Option<String>,
    counter: Option<String>,
}

/// Maps an action path segment (and body) to a counter action.
pub fn counter_action(name: &str, body: ActionBody) -> Result<CounterAction, ApiError> {
    Ok(match name {
        "call-next" | "call_next" => CounterAction::CallNext,
        "recall" => CounterAction::Recall,
        "no-show" | "no_show" => CounterAction::NoShow,
        "requeue" => CounterAction::Requeue,
        "start" => CounterAction::Start,
        "finish" => CounterAction::Finish {
            rating: body.rating,
        },
        "transfer" => match (body.service, body.counter) {
            (Some(s), None) => CounterAction::Transfer(TransferTarget::Service(s)),
            (None, Some(c)) => CounterAction::Transfer(TransferTarget::Counter(c)),
            _ => {
                return Err(ApiError::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "invalid_body",
                    "transfer needs exactly one of {\"service\": CODE} or {\"counter\": ID}",
                ));
            }
        },
        "pause" => CounterAction::Pause,
        "resume" => CounterAction::Resume,
        "open" => CounterAction::Open,
        "close" => CounterAction::Close,
        other => {
            return Err(ApiError::not_found(
                "unknown_action",
                format!(
                    "there is no counter action `{other}`; use call-next, recall, no-show, requeue, start, finish, \
                     transfer, pause, resume, open or close"
                ),
            ));
        }
    })
}

pub async fn counter_command(
    State(state): State<AppState>,
    Path((counter, action)): Path<(String, String)>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
    if state.engine.hall().counter(&counter).is_none() {
        return Err(qcall_core::Rejection::UnknownCounter(counter).into());
    }
    state.auth.for_counter(&headers, &counter)?;
    // An empty body is fine for actions without parameters.
    let body: ActionBody = if body.iter().all(u8::is_ascii_whitespace) {
        ActionBody::default()
    } else {
        serde_json::from_slice(&body).map_err(|e| {
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
        })?
    };
    let action = counter_action(&action, body)?;
    let call_next = action == CounterAction::CallNext;
    let reply = state
        .engine
        .execute(Command::Counter {
            counter: counter.clone(),
            action,
        })
        .await?;
    let base = base_url(&state, &headers);
    let hall = state.engine.hall();
    match reply.ticket {
        None if call_next => Ok(StatusCode::NO_CONTENT.into_response()),
        ticket => {
            let snap_counter = state
                .engine
                .read(move |s, _| s.counter(&counter).map(|c| c.state.as_str()))
                .await?;
            Ok(Json(json!({
                "ticket": ticket.map(|t| wire::ticket(hall, &base, &t)),
                "counter_state": snap_counter,
                "seq": reply.seq,
            }))
            .into_response())
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct StatsQuery {
    date: Option<String>,
}

fn group_json(g: &GroupStats) -> Value {
    json!({
        "issued": g.issued,
        "served": g.served,
        "no_show": g.no_show,
        "cancelled": g.cancelled,
        "open": g.open,
        "wait_s": { "p50": g.wait_p50_s, "p90": g.wait_p90_s, "max": g.wait_max_s },
        "service_time_s": { "p50": g.service_p50_s, "p90": g.service_p90_s },
        "satisfaction": g.satisfaction,
        "ratings": g.ratings,
        "over_target": { "yellow": g.over_yellow, "red": g.over_red },
    })
}

pub async fn stats(
    State(state): State<AppState>,
    query: Result<Query<StatsQuery>, QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    let Query(query) = query?;
    let hall = state.engine.hall().clone();
    let day: jiff::civil::Date = match query.date {
        Some(d) => d.parse().map_err(|_| {
            ApiError::bad_request(format!("date `{d}` is not a date like 2026-11-22"))
        })?,
        None => qcall_core::time::business_day(state.engine.now(), &hall.tz),
    };
    let tickets = state
        .engine
        .read(move |_, store| store.tickets_of_day(day))
        .await?
        .map_err(ApiError::internal)?;
    let stats = day_stats(&hall, &tickets);
    let named = |groups: &[(String, GroupStats)], key: &str| -> Vec<Value> {
        groups
            .iter()
            .map(|(id, g)| {
                let mut v = group_json(g);
                v[key] = json!(id);
                v
            })
            .collect()
    };
    Ok(Json(json!({
        "date": day.to_string(),
        "total": group_json(&stats.total),
        "services": named(&stats.by_service, "service"),
        "counters": named(&stats.by_counter, "counter"),
    })))
}

pub async fn healthz(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    // A round trip through the writer thread proves it is alive.
    let (seq, day) = state
        .engine
        .read(|s, _| (s.last_seq(), s.day().to_string()))
        .await?;
    Ok(Json(json!({ "status": "ok", "seq": seq, "day": day })))
}

pub async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        state.metrics.render(),
    )
}

pub async fn not_found() -> ApiError {
    ApiError::not_found(
        "not_found",
        "there is no such endpoint; the API lives under /api/v1",
    )
}

#[cfg(feature = "test-clock")]
#[derive(Debug, Deserialize)]
pub struct ClockBody {
    set_ms: Option<i64>,
    advance_ms: Option<i64>,
}

/// Test builds only: moves the daemon's manual clock.
#[cfg(feature = "test-clock")]
pub async fn test_clock(
    State(state): State<AppState>,
    body: Result<Json<ClockBody>, JsonRejection>,
) -> Result<Json<Value>, ApiError> {
    let Json(body) = body?;
    let clock = state
        .clock
        .as_ref()
        .ok_or_else(|| ApiError::not_found("not_found", "this daemon runs on the system clock"))?;
    if let Some(ms) = body.set_ms {
        clock.set(ms);
    }
    if let Some(ms) = body.advance_ms {
        clock.advance(ms);
    }
    Ok(Json(
        json!({ "now_ms": qcall_engine::Clock::now(clock.as_ref()) }),
    ))
}
