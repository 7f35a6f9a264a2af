//! `/counters`: the counters' list, every counter action
//! (`/counters/{counter}/{action}`) and the rating pad's
//! `/counters/{counter}/rating`.

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use qcall_core::command::{ActionAccess, ActionSpec, CounterActionKind};
use qcall_core::{Command, CounterAction, RatingOf, TransferTarget};
use qcall_store::Role;
use serde::Deserialize;

use super::base_url;
use crate::devices::NoticeRequest;
use crate::error::{ApiError, ErrorBody};
use crate::wire;
use crate::{AppState, ClientIp};

/// A counter in the path.
#[derive(Debug, utoipa::IntoParams)]
#[into_params(parameter_in = Path)]
#[allow(dead_code)] // Describes the path for the OpenAPI document only.
pub struct CounterPath {
    /// The counter's id (`id` in `GET /api/v1/counters`).
    #[param(example = "1")]
    counter: String,
}

/// Every counter with its state and current ticket, as the public sees them.
#[utoipa::path(
    get,
    path = "/api/v1/counters",
    tag = "counters",
    responses(
        (status = 200, description = "The counters", body = wire::CountersBody),
        (status = 503, description = "`shutting_down`", body = ErrorBody),
    )
)]
pub async fn counters(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Json<wire::CountersBody>, ApiError> {
    let snap = state.engine.snapshot().await?;
    let base = base_url(&state, &headers);
    let hall = state.engine.hall();
    let counters: Vec<_> = snap
        .counters
        .iter()
        .filter_map(|c| wire::counter(&hall, &base, c))
        .collect();
    Ok(Json(wire::CountersBody { counters }))
}

/// Body of counter actions; which fields apply depends on the action.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ActionBody {
    /// With `finish`: the applicant's rating, 1 to 5.
    rating: Option<u8>,
    /// With `transfer`: the service to send the ticket to.
    service: Option<String>,
    /// With `transfer`: the counter to send the ticket to.
    counter: Option<String>,
    /// With `close`: a supervisor closes the last counter of a service
    /// that still has people waiting (audited). With `call`: a supervisor
    /// calls a number that waits for another counter (audited).
    force: Option<bool>,
    /// With `suspend`: the materials still missing (printed on the notice slip).
    missing: Option<Vec<String>>,
    /// With `suspend`: a note for the notice slip.
    pub(crate) note: Option<String>,
    /// With `call`: the number of the waiting ticket to call, e.g. `A012`.
    number: Option<String>,
    /// With `call`: why it goes out of turn (audited). With `finish` and a
    /// 差评 `rating` (2 or 1): why the applicant is dissatisfied, required
    /// (`reason_required` without it); it opens an item to put it right.
    reason: Option<String>,
}

/// Maps an action name (path segment or websocket command, from the core's
/// [`COUNTER_ACTIONS`] table) and its body to a counter action, for the
/// holder of `credential`. The match is on the table's kind, so an action
/// added to the core does not compile until it is parsed here.
pub fn counter_action(
    name: &str,
    body: ActionBody,
    credential: &qcall_store::Credential,
) -> Result<CounterAction, ApiError> {
    use CounterActionKind as K;
    let spec = ActionSpec::by_name(name)
        .filter(|a| a.access != ActionAccess::Internal)
        .ok_or_else(|| unknown_action(name))?;
    Ok(match spec.kind {
        K::CallNext => CounterAction::CallNext,
        K::Recall => CounterAction::Recall,
        K::NoShow => CounterAction::NoShow,
        K::Requeue => CounterAction::Requeue,
        K::Start => CounterAction::Start,
        K::Finish => CounterAction::Finish {
            rating: body.rating,
            reason: body.reason,
        },
        K::Transfer => match (body.service, body.counter) {
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
        K::Suspend => {
            // The note goes only on the slip, so the core's rule is asked here.
            let missing = body.missing.unwrap_or_default();
            qcall_core::command::notice_items(&missing, body.note.as_deref())?;
            CounterAction::Suspend { missing }
        }
        K::Pause => CounterAction::Pause,
        K::Resume => CounterAction::Resume,
        K::Open => CounterAction::Open,
        K::Close => match body.force {
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
        K::CallNumber => {
            let number = body.number.filter(|n| !n.trim().is_empty()).ok_or_else(|| {
                ApiError::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "invalid_body",
                    "call needs {\"number\": \"A012\", \"reason\": \"...\"}: the number on the applicant's slip",
                )
            })?;
            let override_by = match body.force {
                Some(true) if credential.role == Role::Supervisor => {
                    Some(credential.subject.clone())
                }
                Some(true) => {
                    return Err(ApiError::forbidden(
                        "only a supervisor may call a number that waits for another counter",
                    ));
                }
                _ => None,
            };
            CounterAction::CallNumber {
                number,
                reason: body.reason.unwrap_or_default(),
                by: credential
                    .staff
                    .clone()
                    .unwrap_or_else(|| credential.subject.clone()),
                override_by,
            }
        }
        // Filtered above: no client asks for it.
        K::SignIn | K::SignOut => return Err(unknown_action(name)),
    })
}

/// The materials of a suspension, kept to print after the commit.
pub(crate) fn suspended_for(action: &CounterAction) -> Option<Vec<String>> {
    match action {
        CounterAction::Suspend { missing } => Some(missing.clone()),
        _ => None,
    }
}

/// A suspended applicant leaves with the one-time notice of what is
/// missing, printed once the suspension is committed: over HTTP and the
/// counter websocket alike. `None` when nothing was suspended or the hall
/// has no printers.
pub(crate) async fn notice_after_suspend(
    state: &AppState,
    counter: &str,
    staff: &str,
    suspended: Option<Vec<String>>,
    note: Option<String>,
    ticket: Option<&qcall_engine::TicketView>,
) -> Option<wire::NoticePrint> {
    let (missing, ticket, printing) = (suspended?, ticket?, state.printing.as_ref()?);
    let request = NoticeRequest {
        counter: counter.to_owned(),
        staff: staff.to_owned(),
        missing,
        note,
        ticket: Some(ticket.clone()),
    };
    let outcome = printing.notice(request).await;
    Some(wire::NoticePrint {
        status: outcome.status.as_str(),
        reason: outcome.reason,
    })
}

/// 404 for an action that is not in the table; lists the ones that are.
fn unknown_action(name: &str) -> ApiError {
    let names: Vec<&str> = ActionSpec::for_clients().map(|a| a.name).collect();
    let (last, rest) = names.split_last().expect("the table has actions");
    let name: String = name.chars().take(40).collect();
    ApiError::not_found(
        "unknown_action",
        format!(
            "there is no counter action `{name}`; use {} or {last} (GET /api/v1/counter-actions lists them)",
            rest.join(", ")
        ),
    )
}

/// `GET /counter-actions`: the core's table of counter actions, so screens
/// and integrations build their buttons from what the server accepts.
#[utoipa::path(
    get,
    path = "/api/v1/counter-actions",
    tag = "counters",
    responses((status = 200, description = "The counter actions", body = wire::CounterActionsBody))
)]
pub async fn actions() -> Json<wire::CounterActionsBody> {
    Json(wire::CounterActionsBody {
        actions: ActionSpec::for_clients().map(wire::action).collect(),
    })
}

/// The command for `action` at `counter`: with a clerk's own token
/// (`staff`) the core signs the clerk in within the same decision, so a
/// refused action records nothing, not even the sign-in.
pub(crate) fn counter_command_for(
    counter: &str,
    staff: Option<String>,
    action: CounterAction,
) -> Command {
    let counter = counter.to_owned();
    match staff {
        Some(staff) => Command::CounterBy {
            counter,
            staff,
            action,
        },
        None => Command::Counter { counter, action },
    }
}

/// A counter action (`call_next`, `recall`, `finish`, `transfer`, ...; the
/// list is `GET /api/v1/counter-actions`), with the counter's token or a
/// supervisor's. The body is optional and depends on the action.
#[utoipa::path(
    post,
    path = "/api/v1/counters/{counter}/{action}",
    tag = "counters",
    params(CounterPath, ("action" = String, Path, description = "The action's name")),
    request_body(content = Option<ActionBody>, description = "Parameters, for the actions that take them; may be empty"),
    security(("bearer" = ["counter", "supervisor"])),
    responses(
        (status = 200, description = "Done: the ticket it concerned and the counter's state", body = wire::CounterActionBody),
        (status = 204, description = "`call_next` with nobody waiting"),
        (status = 400, description = "`invalid_body`: the body is not JSON", body = ErrorBody),
        (status = 401, description = "`unauthorized`: no valid token", body = ErrorBody),
        (status = 403, description = "`forbidden`: another counter's token, or a supervisor-only argument", body = ErrorBody),
        (status = 404, description = "`unknown_counter`, `unknown_action`, `unknown_service`, `unknown_number`", body = ErrorBody),
        (status = 409, description = "`no_current_ticket`, `counter_busy`, `counter_closed`, `last_counter`, `wrong_state`, `not_for_this_counter`, ...", body = ErrorBody),
        (status = 413, description = "`body_too_large`", body = ErrorBody),
        (status = 422, description = "`invalid_body`, `bad_rating`, `bad_input`, `reason_required`: `finish` with a 差评 `rating` (2 or 1) and no `reason`", body = ErrorBody),
        (status = 503, description = "`storage_unavailable`, `shutting_down`", body = ErrorBody),
    )
)]
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
    // An empty body is fine for actions without parameters.
    let body: ActionBody = super::optional_body(&body)?;
    let note = body.note.clone();
    let action = counter_action(&action, body, &credential)?;
    let call_next = action == CounterAction::CallNext;
    let suspended = suspended_for(&action);
    let reply = state
        .engine
        .execute(counter_command_for(
            &counter,
            credential.staff.clone(),
            action,
        ))
        .await?;
    let base = base_url(&state, &headers);
    let hall = state.engine.hall();
    let print = notice_after_suspend(
        &state,
        &counter,
        &credential.subject,
        suspended,
        note,
        reply.ticket.as_ref(),
    )
    .await;
    match reply.ticket {
        None if call_next => Ok(StatusCode::NO_CONTENT.into_response()),
        ticket => {
            let snap_counter = state
                .engine
                .read(move |s, _| s.counter(&counter).map(|c| c.state.as_str()))
                .await?;
            Ok(Json(wire::CounterActionBody {
                ticket: ticket.map(|t| wire::ticket_for(wire::Viewer::Staff, &hall, &base, &t)),
                counter_state: snap_counter,
                seq: reply.seq,
                notice_print: print,
            })
            .into_response())
        }
    }
}

/// An applicant rates the service just finished at a counter (好差评), from
/// the rating pad facing them at that counter. The pad signs in once with
/// that counter's token (or a supervisor's): an unauthenticated request
/// could otherwise rate whatever any counter just finished. Rate-limited
/// like kiosks; one rating per ticket. The applicant's phone rates through
/// `POST /tickets/{id}/rating` with the ticket's key instead. The level,
/// the indicators of `GET /rating` and, for a 差评 (2 or 1), a reason:
/// without one it is refused (422 `reason_required`) and nothing is
/// written. Recorded with the channel `pad` (评价器, PJQ).
#[utoipa::path(
    post,
    path = "/api/v1/counters/{counter}/rating",
    tag = "counters",
    params(CounterPath),
    request_body = super::ratings::RatingFields,
    security(("bearer" = ["counter", "supervisor"])),
    responses(
        (status = 200, description = "The rated ticket", body = wire::TicketBody),
        (status = 400, description = "`malformed_json`", body = ErrorBody),
        (status = 401, description = "`unauthorized`: the pad signs in with its counter's token", body = ErrorBody),
        (status = 403, description = "`forbidden`: another counter's or role's token", body = ErrorBody),
        (status = 404, description = "`unknown_counter`", body = ErrorBody),
        (status = 409, description = "`nothing_to_rate`: no ticket just finished here, or it is rated", body = ErrorBody),
        (status = 413, description = "`body_too_large`", body = ErrorBody),
        (status = 415, description = "`not_json`", body = ErrorBody),
        (status = 422, description = "`invalid_body`, `bad_rating`, `bad_input`, `reason_required`: a 差评 without a reason, `unknown_indicator`", body = ErrorBody),
        (status = 429, description = "`rate_limited`", body = ErrorBody),
        (status = 503, description = "`storage_unavailable`, `shutting_down`", body = ErrorBody),
    )
)]
pub async fn rate(
    State(state): State<AppState>,
    ClientIp(client): ClientIp,
    Path(counter): Path<String>,
    headers: HeaderMap,
    body: Result<Json<super::ratings::RatingFields>, JsonRejection>,
) -> Result<Json<wire::TicketBody>, ApiError> {
    let Json(body) = body?;
    let cred = state.auth.from_headers(&headers)?.ok_or_else(|| {
        ApiError::unauthorized(format!(
            "the rating pad of counter {counter} signs in once with that counter's token; the applicant's phone rates from the ticket's own page"
        ))
    })?;
    crate::auth::authorize_counter(&cred, &counter)?;
    state.kiosk_limit(client)?;
    let rating = body.input(qcall_core::rating::Channel::Pad);
    let (score, comment) = (rating.score, rating.comment.clone());
    let cmd = Command::Rate {
        of: RatingOf::LastAt(counter.clone()),
        rating,
    };
    let reply = state.engine.execute(cmd).await?;
    let view = reply
        .ticket
        .ok_or_else(|| ApiError::internal("a rating without its ticket"))?;
    alert_on_poor_rating(&state, &view, score, comment.as_deref());
    // The applicant at the pad holds the ticket: their rating comes back.
    let base = base_url(&state, &headers);
    Ok(Json(wire::TicketBody {
        ticket: wire::ticket_for(wire::Viewer::Holder, &state.engine.hall(), &base, &view),
    }))
}

/// 不满意 or worse: a supervisor should talk to the applicant now. The
/// comment is the applicant's own words: staff streams only.
pub(crate) fn alert_on_poor_rating(
    state: &AppState,
    view: &qcall_engine::TicketView,
    score: u8,
    comment: Option<&str>,
) {
    let t = &view.ticket;
    let Some(counter) = t.counter.as_deref() else {
        return;
    };
    let poor = qcall_core::alerts::for_rating(t.id, counter, &t.number, score, comment);
    if let Some(alert) = poor {
        state.alerts.raise(
            &state.hub,
            crate::hub::Audience::Staff,
            crate::alerts::alert_json(&alert),
        );
    }
}
