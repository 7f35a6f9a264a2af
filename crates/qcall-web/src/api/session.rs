//! `/session`: staff sign in with their 工号 and password
//! (`POST /api/v1/session`) and sign out (`DELETE /api/v1/session`).
//!
//! A session is a bearer token like a device token, with the role its
//! account's role gives (a clerk's acts at the counter they signed in at
//! and counts their work under their 工号). It ends at the end of the
//! business day, when signed out or revoked, after `[staff] idle_hours`
//! unused, or when the account is disabled or its password changed
//! (`auth.rs` checks that on every use). Five wrong passwords in a row lock
//! the account for 15 minutes (429 with `Retry-After`), audited; an
//! account's attempts take turns, so parallel ones cannot outrun that.
//! Password hashing runs on a blocking thread, never on the engine's
//! writer, a few at a time ([`crate::guards`]); each address has a
//! per-minute budget of attempts.

use axum::Json;
use axum::extract::State;
use axum::extract::rejection::JsonRejection;
use axum::http::{HeaderMap, StatusCode};
use qcall_core::time::{day_end, local_rfc3339};
use qcall_core::{Command, CounterAction};
use qcall_store::{LOCKOUT_MS, MAX_FAILED_LOGINS, NewSession, Role, StaffRole, token_hash};
use serde::Deserialize;

use crate::error::{ApiError, ErrorBody};
use crate::wire;
use crate::{AppState, ClientIp};

/// `POST /session`: who signs in, and where.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignInBody {
    /// The staff member's 工号.
    #[schema(example = "1024")]
    staff: String,
    password: String,
    /// For a clerk: the counter they work at now (required).
    #[schema(example = "1")]
    counter: Option<String>,
}

/// A PHC string no password matches, verified against when the 工号 is
/// unknown so that a wrong 工号 takes as long as a wrong password.
fn dummy_hash() -> &'static str {
    static HASH: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    HASH.get_or_init(|| qcall_store::hash_password("no account has this").unwrap_or_default())
}

/// The same answer for an unknown 工号 and a wrong password, so that it
/// does not tell which 工号 exist.
fn wrong_password() -> ApiError {
    ApiError::unauthorized(format!(
        "wrong 工号 or password; check both and try again. {MAX_FAILED_LOGINS} wrong passwords in a row lock an account for {} minutes.",
        LOCKOUT_MS / 60_000
    ))
}

fn locked(retry_ms: i64) -> ApiError {
    let seconds = u64::try_from((retry_ms + 999) / 1000).unwrap_or(1).max(1);
    ApiError::new(
        StatusCode::TOO_MANY_REQUESTS,
        "account_locked",
        format!(
            "this account is locked after {MAX_FAILED_LOGINS} wrong passwords; try again in {} minute(s), or ask a supervisor to set a new password (`qcall staff passwd`)",
            seconds.div_ceil(60)
        ),
    )
    .retry_after(seconds)
}

/// Signs a staff member in: a session token for the rest of the business day.
#[utoipa::path(
    post,
    path = "/api/v1/session",
    tag = "staff",
    request_body = SignInBody,
    responses(
        (status = 201, description = "Signed in: the session's token", body = wire::SessionBody),
        (status = 400, description = "`malformed_json`", body = ErrorBody),
        (status = 401, description = "`unauthorized`: wrong 工号 or password", body = ErrorBody),
        (status = 403, description = "`account_disabled`", body = ErrorBody),
        (status = 404, description = "`unknown_counter`", body = ErrorBody),
        (status = 413, description = "`body_too_large`", body = ErrorBody),
        (status = 415, description = "`not_json`", body = ErrorBody),
        (status = 422, description = "`invalid_body`, `counter_required`", body = ErrorBody),
        (status = 429, description = "`account_locked`: after 5 wrong passwords, for 15 minutes (`Retry-After`); `rate_limited`: too many sign-ins from this address", body = ErrorBody),
        (status = 503, description = "`busy`: too many passwords being checked at once (`Retry-After`); `storage_unavailable`, `shutting_down`", body = ErrorBody),
    )
)]
pub async fn sign_in(
    State(state): State<AppState>,
    ClientIp(client): ClientIp,
    body: Result<Json<SignInBody>, JsonRejection>,
) -> Result<(StatusCode, Json<wire::SessionBody>), ApiError> {
    let Json(body) = body?;
    state.sign_in_limit(client)?;
    let known =
        qcall_store::check_id(&body.staff).is_ok() && state.auth.account(&body.staff)?.is_some();
    // A real account's attempts take turns: each is counted before the
    // next is checked, so parallel tries meet the lock like serial ones.
    let _turn = if known {
        Some(state.guards.account_turn(&body.staff).await)
    } else {
        None
    };
    let now = state.engine.now();
    let found = if known {
        state.auth.account(&body.staff)?
    } else {
        None
    };
    if let Some(retry) = found.as_ref().and_then(|(a, _)| a.locked_for(now)) {
        return Err(locked(retry));
    }
    let permit = state.guards.password_check()?;
    let hash = found
        .as_ref()
        .map_or_else(|| dummy_hash().to_owned(), |(_, h)| h.clone());
    let password = body.password;
    let good = tokio::task::spawn_blocking(move || {
        let _permit = permit;
        qcall_store::verify_password(&hash, &password)
    })
    .await
    .map_err(ApiError::internal)?;
    let Some((account, _)) = found.filter(|_| good) else {
        return Err(failed(&state, &body.staff, now).await);
    };
    if account.disabled {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "account_disabled",
            "this staff account is disabled; ask a supervisor to enable it",
        ));
    }
    let hall = state.engine.hall().clone();
    let counter = match (account.role, body.counter) {
        (StaffRole::Clerk, None) => {
            return Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "counter_required",
                "a clerk signs in at a counter: add \"counter\" (GET /api/v1/counters lists them)",
            ));
        }
        (_, Some(c)) if hall.counter(&c).is_none() => {
            return Err(qcall_core::Rejection::UnknownCounter(c).into());
        }
        (StaffRole::Clerk, Some(c)) => Some(c),
        // Guides and supervisors act hall-wide; a counter says nothing.
        (_, _) => None,
    };
    let secret = qcall_store::new_secret().map_err(ApiError::internal)?;
    let expires_at = day_end(now, &hall.tz);
    let idle_ms = state.auth.policy.idle_ms;
    let role = account.role.token_role();
    let (id, name) = (account.id.clone(), account.name.clone());
    let token_hash = token_hash(&secret);
    let subject = counter.clone().unwrap_or_else(|| name.clone());
    let at_counter = counter.clone();
    let written = state
        .engine
        .write(move |_, store| {
            store.record_login(&id)?;
            store.add_session(&NewSession {
                hash: &token_hash,
                role,
                subject: &subject,
                staff: counter.is_some().then_some(id.as_str()),
                account: &id,
                now,
                expires_at,
                idle_ms,
            })
        })
        .await?;
    written.map_err(|e| state.engine.read_failed(e))?;
    // A clerk works at the counter from now on: its window screen says so.
    if let Some(counter) = at_counter {
        let sign_in = Command::Counter {
            counter,
            action: CounterAction::SignIn {
                staff: account.id.clone(),
            },
        };
        state.engine.execute(sign_in).await?;
    }
    Ok((
        StatusCode::CREATED,
        Json(wire::SessionBody {
            token: secret,
            role: account.role.as_str(),
            expires_at: local_rfc3339(expires_at, &hall.tz),
            staff: wire::StaffRef {
                id: account.id,
                name,
            },
        }),
    ))
}

/// A wrong password (or 工号): counted, and the fifth in a row locks the
/// account, which is audited.
async fn failed(state: &AppState, id: &str, now: qcall_core::Millis) -> ApiError {
    let owned = id.to_owned();
    let counted = state
        .engine
        .write(move |_, store| store.record_failed_login(&owned, now))
        .await;
    let locked_until = match counted {
        Ok(Ok(v)) => v,
        Ok(Err(e)) => return state.engine.read_failed(e).into(),
        Err(e) => return e.into(),
    };
    let Some(until) = locked_until else {
        return wrong_password();
    };
    let hall = state.engine.hall();
    let audit = Command::Audit {
        action: "staff_locked".into(),
        by: id.to_owned(),
        detail: format!(
            "{MAX_FAILED_LOGINS} wrong passwords in a row; locked until {}",
            local_rfc3339(until, &hall.tz)
        ),
        counter: None,
    };
    if let Err(e) = state.engine.execute(audit).await {
        tracing::warn!(error = %e, staff = id, "cannot audit a locked account");
    }
    locked(until - now)
}

/// Signs the session of the bearer token out. A clerk's session signed in
/// at a counter also leaves it: the counter no longer names them (its
/// window screen follows over the stream) and stays open, paused or
/// closed as it was; the sign-out is audited (`staff_sign_out`).
#[utoipa::path(
    delete,
    path = "/api/v1/session",
    tag = "staff",
    security(("bearer" = ["counter", "supervisor", "guide"])),
    responses(
        (status = 204, description = "Signed out: the token no longer works, and a clerk's counter no longer names them"),
        (status = 401, description = "`unauthorized`: no valid token", body = ErrorBody),
        (status = 403, description = "`forbidden`: a device token, which `qcall token revoke` ends", body = ErrorBody),
        (status = 503, description = "`storage_unavailable`, `shutting_down`", body = ErrorBody),
    )
)]
pub async fn sign_out(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<StatusCode, ApiError> {
    let (cred, hash) = state.auth.with_hash(&headers)?.ok_or_else(|| {
        ApiError::unauthorized("send the session's `Authorization: Bearer <token>` to sign out")
    })?;
    if cred.account.is_none() {
        return Err(ApiError::forbidden(
            "this is a device token, not a signed-in session; a supervisor ends it with `qcall token revoke`",
        ));
    }
    let now = state.engine.now();
    state
        .engine
        .write(move |_, store| store.end_session(&hash, now))
        .await?
        .map_err(|e| state.engine.read_failed(e))?;
    // The token is dead first, so it cannot sign its clerk in again.
    if let (Role::Counter, Some(staff)) = (cred.role, cred.staff) {
        let sign_out = Command::Counter {
            counter: cred.subject,
            action: CounterAction::SignOut { staff },
        };
        match state.engine.execute(sign_out).await {
            // A counter taken out of the config by a reload names nobody.
            Err(qcall_engine::EngineError::Rejected(qcall_core::Rejection::UnknownCounter(_))) => {}
            other => {
                other?;
            }
        }
    }
    Ok(StatusCode::NO_CONTENT)
}
