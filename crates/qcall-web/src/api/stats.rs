//! `/stats` and `/audit`: a day's figures and its audit trail.

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use qcall_core::stats::{GroupStats, appointment_stats, case_stats, day_stats, rating_stats};
use qcall_store::Role;
use serde::Deserialize;
use serde_json::Value;

use crate::AppState;
use crate::error::{ApiError, ErrorBody};
use crate::wire;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StatsQuery {
    /// The business day, `2026-11-22`; today when left out.
    #[param(format = Date)]
    date: Option<String>,
}

/// A day's figures: totals, per hour, per service, counter and clerk, and
/// appointments.
#[utoipa::path(
    get,
    path = "/api/v1/stats",
    tag = "reports",
    params(StatsQuery),
    responses(
        (status = 200, description = "The day's figures", body = wire::StatsBody),
        (status = 400, description = "`bad_request`, `bad_query`: not a date", body = ErrorBody),
        (status = 503, description = "`shutting_down`", body = ErrorBody),
    )
)]
pub async fn stats(
    State(state): State<AppState>,
    query: Result<Query<StatsQuery>, QueryRejection>,
    headers: axum::http::HeaderMap,
) -> Result<Json<wire::StatsBody>, ApiError> {
    let Query(query) = query?;
    // Figures per clerk are their supervisor's business: without a
    // supervisor token the `staff` list is empty.
    let supervisor = state
        .auth
        .from_headers(&headers)?
        .is_some_and(|c| c.role == qcall_store::Role::Supervisor);
    let hall = state.engine.hall().clone();
    let day: jiff::civil::Date = match query.date {
        Some(d) => d.parse().map_err(|_| {
            ApiError::bad_request(format!("date `{d}` is not a date like 2026-11-22"))
        })?,
        None => qcall_core::time::business_day(state.engine.now(), &hall.tz),
    };
    let (tickets, booked, cases, indicators, items, events) = state
        .engine
        .read(move |_, store| {
            Ok::<_, qcall_store::StoreError>((
                store.tickets_of_day(day)?,
                store.appointments_of_day(day)?,
                store.cases_of_day(day)?,
                store.indicators_of_day(day)?,
                store.rectifications_of_day(day)?,
                store.events_of_day(day)?,
            ))
        })
        .await?
        .map_err(ApiError::internal)?;
    // Away time runs until now on the current day, until midnight before.
    let until = day
        .to_zoned(hall.tz.clone())
        .map(|z| qcall_core::time::day_end(z.timestamp().as_millisecond(), &hall.tz))
        .map_or(state.engine.now(), |end| end.min(state.engine.now()));
    let away = qcall_core::alerts::away_minutes(&hall, &events, until);
    let stats = day_stats(&hall, &tickets);
    let services_of: Vec<Vec<String>> = cases
        .iter()
        .map(|visits| visits.iter().map(|v| v.service.clone()).collect())
        .collect();
    let (cases_total, cases_by_service) = case_stats(&hall, services_of.iter().map(Vec::as_slice));
    let ratings = rating_stats(&hall, &tickets, &indicators.into_iter().collect(), &items);
    let rated = |groups: &[(String, qcall_core::stats::RatingFigures)], key: &'static str| {
        groups
            .iter()
            .map(|(id, g)| wire::Named::new(key, id, wire::RatingFiguresJson::from(g)))
            .collect()
    };
    let (appointments, appointments_by_service) =
        appointment_stats(&hall, &booked, &tickets, state.engine.now());
    let named = |groups: &[(String, GroupStats)], key: &'static str| {
        groups
            .iter()
            .map(|(id, g)| wire::Named::new(key, id, wire::GroupJson::from(g)))
            .collect()
    };
    Ok(Json(wire::StatsBody {
        date: day.to_string(),
        total: (&stats.total).into(),
        channels: named(&stats.by_channel, "channel"),
        issued_by_hour: stats.issued_by_hour,
        called_by_hour: stats.called_by_hour,
        services: named(&stats.by_service, "service"),
        counters: named(&stats.by_counter, "counter"),
        staff: if supervisor {
            named(&stats.by_staff, "staff")
        } else {
            Vec::new()
        },
        away: if supervisor {
            away.into_iter()
                .map(|(staff, minutes)| wire::AwayJson { staff, minutes })
                .collect()
        } else {
            Vec::new()
        },
        appointments: wire::AppointmentsStatsJson {
            total: (&appointments).into(),
            services: appointments_by_service
                .iter()
                .map(|(code, g)| wire::Named::new("service", code, g.into()))
                .collect(),
        },
        ratings: wire::RatingStatsJson {
            total: (&ratings.total).into(),
            services: rated(&ratings.by_service, "service"),
            counters: rated(&ratings.by_counter, "counter"),
            staff: if supervisor {
                rated(&ratings.by_staff, "staff")
            } else {
                Vec::new()
            },
            indicators: rated(&ratings.by_indicator, "indicator"),
        },
        cases: wire::CasesStatsJson {
            total: (&cases_total).into(),
            services: cases_by_service
                .iter()
                .map(|(code, g)| wire::Named::new("service", code, g.into()))
                .collect(),
        },
    }))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// The business day, `2026-11-22`; today when left out.
    #[param(format = Date)]
    date: Option<String>,
    /// `csv` for a spreadsheet; JSON otherwise.
    #[param(pattern = "^csv$")]
    format: Option<String>,
}

/// The day's audit trail (supervisor): overrides, re-entries, transfers.
#[utoipa::path(
    get,
    path = "/api/v1/audit",
    tag = "reports",
    params(AuditQuery),
    security(("bearer" = ["supervisor"])),
    responses(
        (status = 200, description = "The audit rows",
            content((wire::AuditBody = "application/json"), (String = "text/csv; charset=utf-8"))),
        (status = 400, description = "`bad_request`, `bad_query`: not a date", body = ErrorBody),
        (status = 401, description = "`unauthorized`: no valid token", body = ErrorBody),
        (status = 403, description = "`forbidden`: not a supervisor token", body = ErrorBody),
        (status = 503, description = "`shutting_down`", body = ErrorBody),
    )
)]
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
    Ok(Json(wire::AuditBody {
        date: day.to_string(),
        audit: rows,
    })
    .into_response())
}
