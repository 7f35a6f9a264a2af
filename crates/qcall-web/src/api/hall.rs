//! The hall as a whole: `/services`, `/queue`, `/alerts`, `/healthz`,
//! `/metrics`, the JSON 404 for unknown paths, and the test clock.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::IntoResponse;
use qcall_store::Role;
use serde_json::Value;

use super::base_url;
use crate::AppState;
use crate::error::{ApiError, ErrorBody};
use crate::wire;

/// The hall as a kiosk shows it: services with their queues and whether
/// they take tickets now, priority classes, hours.
#[utoipa::path(
    get,
    path = "/api/v1/services",
    tag = "hall",
    responses(
        (status = 200, description = "The hall's services", body = wire::ServicesJson),
        (status = 503, description = "`shutting_down`", body = ErrorBody),
    )
)]
pub async fn services(State(state): State<AppState>) -> Result<Json<wire::ServicesJson>, ApiError> {
    let hall = state.engine.hall().clone();
    // One read of the writer's state for the queues and what is sold out,
    // at one instant, so that they agree with `now`.
    let now = state.engine.now();
    let (snap, (sold_out, queue_full, estimates)) = state
        .engine
        .read(move |s, _| {
            let sold_out: Vec<String> = s
                .hall()
                .services
                .iter()
                .filter(|svc| s.sold_out(&svc.code, now))
                .map(|svc| svc.code.clone())
                .collect();
            let queue_full: Vec<String> = s
                .hall()
                .services
                .iter()
                .filter(|svc| s.queue_full(&svc.code, now).is_some())
                .map(|svc| svc.code.clone())
                .collect();
            let estimates: Vec<qcall_core::Estimate> = s
                .hall()
                .services
                .iter()
                .map(|svc| s.estimate_new(&svc.code))
                .collect();
            (
                qcall_engine::Snapshot::of(s, now),
                (sold_out, queue_full, estimates),
            )
        })
        .await?;
    let queues = wire::queues(&hall, &snap.queues, snap.at);
    let services = hall
        .services
        .iter()
        .zip(queues)
        .zip(estimates)
        .map(|((s, q), estimate)| {
            // The core decides: `Hall::intake` folds in `[hours] enforce`,
            // and the next opening is only given while intake is shut.
            let intake = hall.intake(&s.code, now);
            // With a forecast cut-off the day's state may stop intake first.
            let full = queue_full.contains(&s.code);
            let open_now = matches!(intake, qcall_core::hours::Intake::Open { .. }) && !full;
            let opens_at = hall.next_opening(&s.code, now);
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
                intake: if full {
                    wire::QUEUE_FULL
                } else {
                    wire::intake(intake)
                },
                opens_at: opens_at.map(|at| qcall_core::time::local_rfc3339(at, &hall.tz)),
                // The daily cap or the current slot's quota, as issuing sees it.
                estimated_wait_s: estimate.wait_s,
                estimated_wait_range_s: [estimate.low_s, estimate.high_s],
                estimated_wait_text: (&estimate.words(&hall.tz)).into(),
                sold_out: sold_out.contains(&s.code),
                hours_enforced: hall.hours_enforced,
            }
        })
        .collect();
    Ok(Json(wire::ServicesJson {
        hall: (&hall.name).into(),
        hotline: state.site.get().hotline.clone(),
        hours: state.site.get().hours.iter().cloned().collect(),
        cutoff_minutes: state.site.get().cutoff_minutes,
        // The hall's clock, for showing dates; screens do not judge hours.
        now: qcall_core::time::local_rfc3339(now, &hall.tz),
        timezone: hall.tz.iana_name().map(str::to_owned),
        services,
        classes: hall.classes.iter().map(|c| wire::class(&hall, c)).collect(),
    }))
}

/// The queues and the calls in progress, as the public sees them.
#[utoipa::path(
    get,
    path = "/api/v1/queue",
    tag = "hall",
    responses(
        (status = 200, description = "The queue overview", body = wire::QueueJson),
        (status = 503, description = "`shutting_down`", body = ErrorBody),
    )
)]
pub async fn queue(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Json<wire::QueueJson>, ApiError> {
    let snap = state.engine.snapshot().await?;
    Ok(Json(wire::queue(
        &state.engine.hall(),
        &base_url(&state, &headers),
        &snap,
    )))
}

/// `GET /alerts`: live SLA alerts and recent one-off alerts, whose rating
/// comments are an applicant's words: staff credentials only.
#[utoipa::path(
    get,
    path = "/api/v1/alerts",
    tag = "hall",
    security(("bearer" = ["supervisor", "guide", "counter"])),
    responses(
        (status = 200, description = "Live and recent alerts", body = crate::openapi::AlertsList),
        (status = 401, description = "`unauthorized`: no valid token", body = ErrorBody),
        (status = 403, description = "`forbidden`: not a staff token", body = ErrorBody),
    )
)]
pub async fn alerts(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Json<Value>, ApiError> {
    state.auth.require(
        &headers,
        &[Role::Supervisor, Role::Guide, Role::Counter],
        "the hall's alerts",
    )?;
    Ok(Json(state.alerts.list()))
}

/// `GET /healthz`: 200 while the writer thread answers and the database
/// takes changes; 503 with the reason when its file is gone or replaced,
/// the disk is full or the file is damaged. Also the last backup.
#[utoipa::path(
    get,
    path = "/api/v1/healthz",
    tag = "hall",
    responses(
        (status = 200, description = "Serving", body = wire::HealthBody),
        (status = 503, description = "Not serving: `status` is `unavailable`, with `reason` (`database_gone`, `database_replaced`, `disk_full`, `database_corrupt`) and `message`", body = wire::HealthBody),
    )
)]
pub async fn healthz(
    State(state): State<AppState>,
) -> Result<(StatusCode, Json<wire::HealthBody>), ApiError> {
    // A round trip through the writer thread proves it is alive.
    let qcall_engine::StorageCheck { fault, seq, day } = state.engine.check_storage().await?;
    let day = day.to_string();
    let last_backup = state
        .engine
        .health()
        .last_backup()
        .map(|b| wire::LastBackup {
            at: b.at,
            file: b
                .file
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
            ok: b.error.is_none(),
            error: b.error,
        });
    let status = match fault {
        Some(_) => StatusCode::SERVICE_UNAVAILABLE,
        None => StatusCode::OK,
    };
    Ok((
        status,
        Json(wire::HealthBody {
            status: if fault.is_some() { "unavailable" } else { "ok" },
            seq,
            day,
            reason: fault.map(|f| f.code()),
            message: fault.map(|f| f.message()),
            last_backup,
        }),
    ))
}

/// Prometheus metrics, text format. Also at `/metrics`.
#[utoipa::path(
    get,
    path = "/api/v1/metrics",
    tag = "hall",
    responses((status = 200, description = "Prometheus text exposition", body = String,
        content_type = "text/plain; version=0.0.4; charset=utf-8"))
)]
pub async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        state.metrics.render() + &audio_metrics(state.hub.latest("audio_state")),
    )
}

/// The speaker's counters, from its last `audio_state` notice (nothing when
/// the hall has no audio): what became of each call.
fn audio_metrics(audio: Option<serde_json::Value>) -> String {
    use std::fmt::Write as _;
    let Some(audio) = audio else {
        return String::new();
    };
    let mut out = String::new();
    for (name, key, help) in AUDIO_METRICS {
        let value = audio[key].as_u64().unwrap_or(0);
        let _ = writeln!(
            out,
            "# HELP {name} {help}\n# TYPE {name} counter\n{name} {value}"
        );
    }
    out
}

/// (metric, `audio_state` field, help) for each speaker counter.
const AUDIO_METRICS: [(&str, &str, &str); 7] = [
    (
        "qcall_audio_played_total",
        "played",
        "Announcements played to the end (one call, or several merged).",
    ),
    (
        "qcall_audio_calls_said_total",
        "said",
        "Calls said in any form.",
    ),
    (
        "qcall_audio_calls_shortened_total",
        "shortened",
        "Calls said once, cut short because others were waiting.",
    ),
    (
        "qcall_audio_calls_merged_total",
        "merged",
        "Calls said briefly inside a merged sentence.",
    ),
    (
        "qcall_audio_calls_skipped_stale_total",
        "skipped_stale",
        "Calls not said: the ticket was started, finished, gone or called again.",
    ),
    (
        "qcall_audio_calls_skipped_late_total",
        "skipped_late",
        "Calls not said: they could not start within [audio] max_lag_s.",
    ),
    (
        "qcall_audio_calls_dropped_total",
        "dropped",
        "Calls not said: no sound output, or the queue was full.",
    ),
];

pub async fn not_found() -> ApiError {
    ApiError::not_found(
        "not_found",
        "there is no such endpoint; the API lives under /api/v1",
    )
}

#[cfg(feature = "test-clock")]
#[derive(Debug, serde::Deserialize)]
pub struct ClockBody {
    set_ms: Option<i64>,
    advance_ms: Option<i64>,
}

/// Test builds only: moves the daemon's manual clock.
#[cfg(feature = "test-clock")]
pub async fn test_clock(
    State(state): State<AppState>,
    body: Result<Json<ClockBody>, axum::extract::rejection::JsonRejection>,
) -> Result<Json<wire::ClockBody>, ApiError> {
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
    // A new business day starts, what falls due with time (remote tickets
    // lapsing) is recorded, and time-based alerts see the new time, all
    // before the answer: tests need not wait for the daemon's ticks.
    state.engine.tick().await?;
    state.engine.execute(qcall_core::Command::Tick).await?;
    state.alerts.evaluate(&state.engine, &state.hub).await?;
    Ok(Json(wire::ClockBody {
        now_ms: qcall_engine::Clock::now(clock.as_ref()),
    }))
}
