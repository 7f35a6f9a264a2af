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
use qcall_core::stats::{
    AppointmentStats, GroupStats, appointment_outcome, appointment_stats, day_stats,
};
use qcall_core::{Command, CounterAction, TicketId, TransferTarget};
use qcall_store::Role;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::AppState;
use crate::devices::{NoticeRequest, PrintOutcome, PrintStatus};
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
    if !staff {
        state.kiosk_limit(peer.ip())?;
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
    let ticket = wire::ticket(state.engine.hall(), &base, &view);
    let location = format!("/api/v1/tickets/{}", ticket.id);
    // The ticket is committed: whatever the printer does now, it stands.
    let outcome = match &state.printing {
        Some(p) => p.ticket(view, base, None, false).await,
        None => PrintOutcome {
            status: PrintStatus::None,
            printer: None,
            reason: None,
        },
    };
    let body = json!({
        "ticket": ticket,
        "print": outcome.status.as_str(),
        "print_reason": outcome.reason,
        "printer": outcome.printer,
    });
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, location)],
        Json(body),
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
    state.auth.require(
        &headers,
        &[Role::Guide, Role::Supervisor],
        "cancelling a ticket",
    )?;
    let id = parse_ticket_id(&id)?;
    let reply = state.engine.execute(Command::Cancel { ticket: id }).await?;
    let ticket = reply
        .ticket
        .map(|v| wire::ticket(state.engine.hall(), &base_url(&state, &headers), &v));
    Ok(Json(json!({ "ticket": ticket })))
}

pub async fn services(State(state): State<AppState>) -> Result<Json<wire::ServicesJson>, ApiError> {
    let hall = state.engine.hall().clone();
    let snap = state.engine.snapshot().await?;
    let queues = wire::queues(&hall, &snap.queues, snap.at);
    // One instant for every service, so that they agree with `now`.
    let now = snap.at;
    let services = hall
        .services
        .iter()
        .zip(queues)
        .map(|(s, q)| {
            // `Hall::intake` folds in `[hours] enforce`; the next opening
            // matters only while the intake is shut.
            let intake = hall.intake(&s.code, now);
            let open_now = matches!(intake, qcall_core::hours::Intake::Open { .. });
            let opens_at = if open_now {
                None
            } else {
                hall.schedule_of(&s.code).next_opening(now, &hall.tz)
            };
            wire::ServiceJson {
                code: s.code.clone(),
                prefix: s.prefix.clone(),
                name: (&s.name).into(),
                materials: s.materials.iter().map(wire::Bilingual::from).collect(),
                target_wait: wire::TargetWait {
                    yellow_s: s.target_wait_yellow_s,
                    red_s: s.target_wait_red_s,
                },
                daily_cap: s.daily_cap,
                avg_service_s: s.avg_service_s,
                counters: hall
                    .counters_serving(&s.code)
                    .map(|c| c.id.clone())
                    .collect(),
                waiting: q.waiting,
                issued_today: q.issued_today,
                sla: q.sla,
                open_now,
                intake: wire::intake(intake),
                opens_at: opens_at.map(|at| qcall_core::time::local_rfc3339(at, &hall.tz)),
                sold_out: s.daily_cap.is_some_and(|cap| q.issued_today >= cap),
                hours_enforced: hall.hours_enforced,
            }
        })
        .collect();
    Ok(Json(wire::ServicesJson {
        hall: (&hall.name).into(),
        hotline: state.site.hotline.clone(),
        hours: state.site.hours.iter().cloned().collect(),
        cutoff_minutes: state.site.cutoff_minutes,
        // The hall's clock, for showing dates; screens do not judge hours.
        now: qcall_core::time::local_rfc3339(now, &hall.tz),
        timezone: hall.tz.iana_name().map(str::to_owned),
        services,
        classes: hall.classes.iter().map(|c| wire::class(&hall, c)).collect(),
    }))
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
    /// With `close`: a supervisor closes the last counter of a service
    /// that still has people waiting (audited).
    force: Option<bool>,
    /// With `suspend`: the materials still missing (printed on the notice slip).
    missing: Option<Vec<String>>,
    /// With `suspend`: a note for the notice slip.
    note: Option<String>,
}

/// Maps an action path segment (and body) to a counter action, for the
/// holder of `credential`.
pub fn counter_action(
    name: &str,
    body: ActionBody,
    credential: &qcall_store::Credential,
) -> Result<CounterAction, ApiError> {
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
        "suspend" => CounterAction::Suspend {
            missing: body.missing.unwrap_or_default(),
        },
        "pause" => CounterAction::Pause,
        "resume" => CounterAction::Resume,
        "open" => CounterAction::Open,
        "close" => match body.force {
            Some(true) if credential.role == Role::Supervisor => CounterAction::Close {
                override_by: Some(credential.subject.clone()),
            },
            Some(true) => {
                return Err(ApiError::forbidden(
                    "only a supervisor may close the last counter of a service with people waiting",
                ));
            }
            _ => CounterAction::Close { override_by: None },
        },
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
    let credential = state.auth.for_counter(&headers, &counter)?;
    // A clerk's own token: what they do here is counted as theirs.
    if let Some(staff) = credential.staff.clone() {
        let sign_in = Command::Counter {
            counter: counter.clone(),
            action: CounterAction::SignIn { staff },
        };
        state.engine.execute(sign_in).await?;
    }
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
    let notice = (action == "suspend")
        .then(|| (body.missing.clone().unwrap_or_default(), body.note.clone()));
    let action = counter_action(&action, body, &credential)?;
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
    // A suspended applicant leaves with the one-time notice of what is missing.
    let print = match (notice, &reply.ticket, &state.printing) {
        (Some((missing, note)), Some(t), Some(p)) => {
            let request = NoticeRequest {
                counter: counter.clone(),
                staff: credential.subject.clone(),
                missing,
                note,
                ticket: Some(t.clone()),
            };
            let outcome = p.notice(request).await;
            Some(json!({ "status": outcome.status.as_str(), "reason": outcome.reason }))
        }
        _ => None,
    };
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
                "notice_print": print,
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
        "extended": g.extended,
        "estimate_error_s": g.estimate_error_s,
        "ratings_by_score": g.ratings_by_score,
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
    let (tickets, booked) = state
        .engine
        .read(move |_, store| {
            Ok::<_, qcall_store::StoreError>((
                store.tickets_of_day(day)?,
                store.appointments_of_day(day)?,
            ))
        })
        .await?
        .map_err(ApiError::internal)?;
    let stats = day_stats(&hall, &tickets);
    let (appointments, appointments_by_service) =
        appointment_stats(&hall, &booked, &tickets, state.engine.now());
    let appointments_json = |g: &AppointmentStats| {
        json!({
            "booked": g.booked,
            "checked_in": g.checked_in,
            "late": g.late,
            "missed": g.missed,
            "pending": g.pending,
        })
    };
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
        "issued_by_hour": stats.issued_by_hour,
        "called_by_hour": stats.called_by_hour,
        "services": named(&stats.by_service, "service"),
        "counters": named(&stats.by_counter, "counter"),
        "staff": named(&stats.by_staff, "staff"),
        "appointments": {
            "total": appointments_json(&appointments),
            "services": appointments_by_service
                .iter()
                .map(|(code, g)| {
                    let mut v = appointments_json(g);
                    v["service"] = json!(code);
                    v
                })
                .collect::<Vec<_>>(),
        },
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
    // Time-based alerts see the new time at once.
    state.alerts.evaluate(&state.engine, &state.hub).await?;
    Ok(Json(
        json!({ "now_ms": qcall_engine::Clock::now(clock.as_ref()) }),
    ))
}

fn printing(state: &AppState) -> Result<std::sync::Arc<dyn crate::devices::Printing>, ApiError> {
    state.printing.clone().ok_or_else(|| {
        ApiError::new(
            StatusCode::CONFLICT,
            "no_printer",
            "this hall has no printer configured; add [[printers]] to the config",
        )
    })
}

/// The response for a request whose only purpose was printing.
fn print_result(outcome: PrintOutcome, ticket: Option<Value>) -> Result<Json<Value>, ApiError> {
    match outcome.status {
        PrintStatus::Printed => Ok(Json(
            json!({ "print": "printed", "printer": outcome.printer, "ticket": ticket }),
        )),
        PrintStatus::Failed => Err(ApiError::new(
            StatusCode::BAD_GATEWAY,
            "print_failed",
            outcome
                .reason
                .unwrap_or_else(|| "the printer did not print".into()),
        )),
        PrintStatus::None => Err(ApiError::new(
            StatusCode::CONFLICT,
            "no_printer",
            "no printer is configured for this; name one with {\"printer\": ID} or set one up in the config",
        )),
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReprintBody {
    printer: Option<String>,
}

/// Prints a ticket again (guide or supervisor), on its kiosk's printer or a named one.
pub async fn reprint_ticket(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<Json<Value>, ApiError> {
    state.auth.require(
        &headers,
        &[Role::Guide, Role::Supervisor],
        "reprinting a ticket",
    )?;
    let printing = printing(&state)?;
    let body: ReprintBody = if body.iter().all(u8::is_ascii_whitespace) {
        ReprintBody::default()
    } else {
        serde_json::from_slice(&body).map_err(|e| {
            ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_body",
                format!("the body is not valid: {e}"),
            )
        })?
    };
    let id = parse_ticket_id(&id)?;
    let view =
        state.engine.ticket(id).await?.ok_or_else(|| {
            ApiError::not_found("unknown_ticket", format!("there is no ticket {id}"))
        })?;
    let base = base_url(&state, &headers);
    let ticket = serde_json::to_value(wire::ticket(state.engine.hall(), &base, &view)).ok();
    print_result(
        printing.ticket(view, base, body.printer, true).await,
        ticket,
    )
}

pub async fn printers(State(state): State<AppState>) -> Json<Value> {
    let printers = state
        .printing
        .as_ref()
        .map(|p| p.printers())
        .unwrap_or_default();
    Json(json!({ "printers": printers }))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NoticeBody {
    missing: Vec<String>,
    note: Option<String>,
    staff: Option<String>,
}

/// Prints a one-time notice slip (一次性告知单) at a counter.
pub async fn notice(
    State(state): State<AppState>,
    Path(counter): Path<String>,
    headers: HeaderMap,
    body: Result<Json<NoticeBody>, JsonRejection>,
) -> Result<Json<Value>, ApiError> {
    if state.engine.hall().counter(&counter).is_none() {
        return Err(qcall_core::Rejection::UnknownCounter(counter).into());
    }
    let cred = state.auth.for_counter(&headers, &counter)?;
    let Json(body) = body?;
    let invalid = |m: &str| {
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_body",
            m.to_owned(),
        )
    };
    let missing: Vec<String> = body
        .missing
        .iter()
        .map(|m| m.trim().to_owned())
        .filter(|m| !m.is_empty())
        .collect();
    if missing.is_empty() || missing.len() > 30 {
        return Err(invalid(
            "`missing` must list 1 to 30 materials the applicant still has to bring",
        ));
    }
    let too_long = missing.iter().any(|m| m.chars().count() > 200)
        || body.note.as_ref().is_some_and(|n| n.chars().count() > 500);
    if too_long {
        return Err(invalid(
            "each missing item is at most 200 characters, the note at most 500",
        ));
    }
    let printing = printing(&state)?;
    let ticket = state
        .engine
        .read({
            let counter = counter.clone();
            move |s, _| {
                let current = s.counter(&counter).and_then(|c| c.current)?;
                qcall_engine::TicketView::of(s, current)
            }
        })
        .await?;
    let request = NoticeRequest {
        counter,
        staff: body
            .staff
            .filter(|s| !s.trim().is_empty())
            .unwrap_or(cred.subject),
        missing,
        note: body.note,
        ticket,
    };
    print_result(printing.notice(request).await, None)
}

/// Lets a no-show back into the queue (过号重排), guide or supervisor.
pub async fn reenter_ticket(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Json<Value>, ApiError> {
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
        .map(|v| wire::ticket(state.engine.hall(), &base, &v));
    Ok(Json(json!({ "ticket": ticket })))
}

#[derive(Debug, Deserialize)]
pub struct AuditQuery {
    date: Option<String>,
    format: Option<String>,
}

/// The day's audit trail (supervisor): overrides, re-entries, transfers.
pub async fn audit(
    State(state): State<AppState>,
    headers: HeaderMap,
    query: Result<Query<AuditQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    state
        .auth
        .require(&headers, &[Role::Supervisor], "the audit trail")?;
    let Query(query) = query?;
    let hall = state.engine.hall().clone();
    let day: jiff::civil::Date = match &query.date {
        Some(d) => d.parse().map_err(|_| {
            ApiError::bad_request(format!("date `{d}` is not a date like 2026-11-22"))
        })?,
        None => qcall_core::time::business_day(state.engine.now(), &hall.tz),
    };
    let events = state
        .engine
        .read(move |_, store| store.audit_of_day(day))
        .await?
        .map_err(ApiError::internal)?;
    let rows: Vec<Value> = events
        .iter()
        .map(|rec| wire::audit_row(&hall, rec))
        .collect();
    if query.format.as_deref() == Some("csv") {
        let mut csv = String::from("seq,time,kind,action,by,counter,ticket,detail\n");
        for r in &rows {
            let field = |k: &str| {
                let v = match &r[k] {
                    Value::String(s) => s.clone(),
                    Value::Null => String::new(),
                    other => other.to_string(),
                };
                format!("\"{}\"", v.replace('"', "\"\""))
            };
            let line: Vec<String> = [
                "seq", "at", "kind", "action", "by", "counter", "ticket", "detail",
            ]
            .iter()
            .map(|k| field(k))
            .collect();
            csv.push_str(&line.join(","));
            csv.push('\n');
        }
        return Ok(([(header::CONTENT_TYPE, "text/csv; charset=utf-8")], csv).into_response());
    }
    Ok(Json(json!({ "date": day.to_string(), "audit": rows })).into_response())
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RateBody {
    score: u8,
    comment: Option<String>,
}

/// An applicant rates the service just finished at a counter (好差评), from
/// the counter-facing rating pad. No credential (it is the applicant's
/// tablet), rate-limited like kiosks; one rating per ticket.
pub async fn rate(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Path(counter): Path<String>,
    headers: HeaderMap,
    body: Result<Json<RateBody>, JsonRejection>,
) -> Result<Json<Value>, ApiError> {
    let Json(body) = body?;
    state.kiosk_limit(peer.ip())?;
    let comment = body.comment.filter(|c| !c.trim().is_empty());
    let cmd = Command::Rate {
        counter: counter.clone(),
        score: body.score,
        comment: comment.clone(),
    };
    let reply = state.engine.execute(cmd).await?;
    let view = reply
        .ticket
        .ok_or_else(|| ApiError::internal("a rating without its ticket"))?;
    let hall = state.engine.hall();
    if body.score <= 2 {
        // 不满意 or worse: a supervisor should talk to the applicant now.
        let number = view.ticket.number.clone();
        state.alerts.raise(
            &state.hub,
            json!({
                "id": format!("rating:{}", view.ticket.id),
                "kind": "rating",
                "level": if body.score == 1 { "red" } else { "yellow" },
                "active": true,
                "counter": counter,
                "number": number,
                "score": body.score,
                "comment": comment,
                "message": {
                    "zh": format!("{counter} 号窗口的 {number} 给出差评（{} 分），请主管回访", body.score),
                    "en": format!("{number} at counter {counter} rated the service {}/5; please follow up", body.score),
                },
            }),
        );
    }
    Ok(Json(
        json!({ "ticket": wire::ticket(hall, &base_url(&state, &headers), &view) }),
    ))
}

pub async fn alerts(State(state): State<AppState>) -> Json<Value> {
    Json(state.alerts.list())
}

/// The hall speaker's health, as last reported (`audio_state`).
pub async fn audio(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    state
        .hub
        .latest("audio_state")
        .map(|v| Json(json!({ "audio": v })))
        .ok_or_else(|| {
            ApiError::not_found(
                "no_audio",
                "hall audio is not configured, or has not reported yet",
            )
        })
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BookBody {
    service: String,
    /// Slot start, RFC 3339 with an offset: `2026-11-23T10:00:00+08:00`.
    slot: String,
    name: Option<String>,
}

/// Books an appointment (supervisor or integration credential) and returns
/// its check-in code.
pub async fn book(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Json<BookBody>, JsonRejection>,
) -> Result<Response, ApiError> {
    state.auth.require(
        &headers,
        &[Role::Supervisor, Role::Integration],
        "booking an appointment",
    )?;
    let Json(body) = body?;
    let slot: jiff::Timestamp = body.slot.parse().map_err(|_| {
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_body",
            format!(
                "`slot` {:?} is not a time like 2026-11-23T10:00:00+08:00",
                body.slot
            ),
        )
    })?;
    let hall = state.engine.hall().clone();
    // A fresh 6-digit code; on the rare clash with a code of the same day, another.
    let mut last = None;
    for _ in 0..5 {
        let code = random_code()?;
        let cmd = Command::Book {
            code: code.clone(),
            service: body.service.clone(),
            slot_start: slot.as_millisecond(),
            name: body.name.clone(),
        };
        match state.engine.execute(cmd).await {
            Ok(_) => {
                let rules = &hall.appointments;
                let at = |ms: i64| qcall_core::time::local_rfc3339(ms, &hall.tz);
                let start = slot.as_millisecond();
                let end = start + rules.slot_ms;
                let appointment = json!({
                    "code": code,
                    "service": body.service,
                    "slot_start": at(start),
                    "slot_end": at(end),
                    "checkin_from": at(start - rules.early_ms),
                    "checkin_until": at(end + rules.late_ms),
                });
                return Ok((
                    StatusCode::CREATED,
                    Json(json!({ "appointment": appointment })),
                )
                    .into_response());
            }
            Err(qcall_engine::EngineError::Rejected(qcall_core::Rejection::CodeTaken(c))) => {
                last = Some(qcall_core::Rejection::CodeTaken(c));
            }
            Err(e) => return Err(e.into()),
        }
    }
    Err(last.map_or_else(|| ApiError::internal("no code"), ApiError::from))
}

fn random_code() -> Result<String, ApiError> {
    let mut bytes = [0u8; 4];
    getrandom::fill(&mut bytes).map_err(ApiError::internal)?;
    Ok(format!("{:06}", u32::from_le_bytes(bytes) % 1_000_000))
}

/// Today's appointments (supervisor or integration).
pub async fn appointments(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Json<Value>, ApiError> {
    state.auth.require(
        &headers,
        &[Role::Supervisor, Role::Integration],
        "the appointment list",
    )?;
    let hall = state.engine.hall().clone();
    let now = state.engine.now();
    let list = state
        .engine
        .read(move |s, _| {
            s.appointments()
                .into_iter()
                .map(|a| {
                    json!({
                        "code": a.code,
                        "service": a.service,
                        "slot_start": qcall_core::time::local_rfc3339(a.slot_start, &hall.tz),
                        "name": a.name,
                        "ticket": a.ticket.and_then(|t| s.ticket(t)).map(|t| t.number.clone()),
                        "status": appointment_outcome(
                            &hall,
                            a,
                            a.ticket.and_then(|t| s.ticket(t)),
                            now,
                        )
                        .as_str(),
                    })
                })
                .collect::<Vec<_>>()
        })
        .await?;
    Ok(Json(json!({ "appointments": list })))
}

/// A suspended ticket comes back with its materials (the applicant scans the
/// ticket's QR at a kiosk): it waits again at its original place. No
/// credential; rate-limited like kiosks.
pub async fn return_ticket(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Json<Value>, ApiError> {
    state.kiosk_limit(peer.ip())?;
    let id = parse_ticket_id(&id)?;
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
    Ok(Json(
        json!({ "ticket": wire::ticket(state.engine.hall(), &base_url(&state, &headers), &view) }),
    ))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NotifyBody {
    phone: String,
}

/// The applicant leaves a phone number (kiosk or phone page) to be texted
/// when the ticket is near the front, called, suspended or ready. No
/// credential; rate-limited like kiosks. The number is never shown back in full.
pub async fn notify(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Path(id): Path<String>,
    body: Result<Json<NotifyBody>, JsonRejection>,
) -> Result<Json<Value>, ApiError> {
    let Json(body) = body?;
    state.kiosk_limit(peer.ip())?;
    let id = parse_ticket_id(&id)?;
    let masked = qcall_core::state::mask_phone(&body.phone);
    state
        .engine
        .execute(Command::Subscribe {
            ticket: id,
            phone: body.phone,
        })
        .await?;
    Ok(Json(json!({ "ticket": id.0, "phone": masked })))
}

/// The counter marks a served ticket's certificate ready (counter or
/// supervisor token); an applicant who left a number is texted.
pub async fn ready(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Json<Value>, ApiError> {
    let cred = state.auth.require(
        &headers,
        &[Role::Counter, Role::Supervisor],
        "marking a certificate ready",
    )?;
    let id = parse_ticket_id(&id)?;
    state
        .engine
        .execute(Command::MarkReady {
            ticket: id,
            by: cred.subject,
        })
        .await?;
    Ok(Json(json!({ "ticket": id.0, "ready": true })))
}
