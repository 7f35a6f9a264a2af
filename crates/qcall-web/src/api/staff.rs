//! `/staff`: supervisors manage staff accounts from `/admin` (list, add,
//! disable, enable, set a new password), as `qcall staff` does from the
//! command line. Every change is audited with the supervisor's name.
//! Passwords are hashed on a blocking thread; their rules and the account
//! rows are `qcall-store`'s.

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use qcall_core::Command;
use qcall_store::{Credential, Role, StaffAccount, StaffRole};
use serde::Deserialize;

use crate::AppState;
use crate::error::{ApiError, ErrorBody};
use crate::wire;

fn invalid(message: String) -> ApiError {
    ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_body", message)
}

fn json(a: &StaffAccount, now: i64) -> wire::StaffJson {
    wire::StaffJson {
        id: a.id.clone(),
        name: a.name.clone(),
        role: a.role.as_str(),
        state: if a.disabled {
            "disabled"
        } else if a.locked_for(now).is_some() {
            "locked"
        } else {
            "active"
        },
    }
}

fn supervisor(state: &AppState, headers: &HeaderMap) -> Result<Credential, ApiError> {
    state
        .auth
        .require(headers, &[Role::Supervisor], "managing staff accounts")
}

async fn audit(state: &AppState, cred: &Credential, action: &str, detail: String) {
    let cmd = Command::Audit {
        action: action.into(),
        by: cred.subject.clone(),
        detail,
        counter: None,
    };
    if let Err(e) = state.engine.execute(cmd).await {
        tracing::warn!(error = %e, action, "cannot audit a staff change");
    }
}

async fn hash(password: String) -> Result<String, ApiError> {
    qcall_store::check_password(&password).map_err(invalid)?;
    tokio::task::spawn_blocking(move || qcall_store::hash_password(&password))
        .await
        .map_err(ApiError::internal)?
        .map_err(ApiError::internal)
}

/// Every staff account (supervisor).
#[utoipa::path(
    get,
    path = "/api/v1/staff",
    tag = "staff",
    security(("bearer" = ["supervisor"])),
    responses(
        (status = 200, description = "The accounts, by 工号", body = wire::StaffListBody),
        (status = 401, description = "`unauthorized`", body = ErrorBody),
        (status = 403, description = "`forbidden`: not a supervisor", body = ErrorBody),
        (status = 503, description = "`storage_unavailable`, `shutting_down`", body = ErrorBody),
    )
)]
pub async fn list(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Json<wire::StaffListBody>, ApiError> {
    supervisor(&state, &headers)?;
    let now = state.engine.now();
    let all = state
        .engine
        .read(|_, store| store.staff_list())
        .await?
        .map_err(|e| state.engine.read_failed(e))?;
    Ok(Json(wire::StaffListBody {
        staff: all.iter().map(|a| json(a, now)).collect(),
    }))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddStaffBody {
    /// 工号.
    #[schema(example = "1024")]
    id: String,
    #[schema(example = "李娜")]
    name: String,
    /// `clerk`, `guide` or `supervisor`.
    role: String,
    /// At least 8 characters; only its argon2id hash is kept.
    password: String,
}

/// Adds a staff account (supervisor; audited).
#[utoipa::path(
    post,
    path = "/api/v1/staff",
    tag = "staff",
    request_body = AddStaffBody,
    security(("bearer" = ["supervisor"])),
    responses(
        (status = 201, description = "Added", body = wire::StaffBody),
        (status = 400, description = "`malformed_json`", body = ErrorBody),
        (status = 401, description = "`unauthorized`", body = ErrorBody),
        (status = 403, description = "`forbidden`: not a supervisor", body = ErrorBody),
        (status = 409, description = "`staff_exists`: the 工号 is taken", body = ErrorBody),
        (status = 413, description = "`body_too_large`", body = ErrorBody),
        (status = 415, description = "`not_json`", body = ErrorBody),
        (status = 422, description = "`invalid_body`: a bad 工号, name, role or password", body = ErrorBody),
        (status = 503, description = "`storage_unavailable`, `shutting_down`", body = ErrorBody),
    )
)]
pub async fn add(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Json<AddStaffBody>, JsonRejection>,
) -> Result<(StatusCode, Json<wire::StaffBody>), ApiError> {
    let cred = supervisor(&state, &headers)?;
    let Json(body) = body?;
    qcall_store::check_id(&body.id).map_err(invalid)?;
    qcall_store::check_name(&body.name).map_err(invalid)?;
    let role = StaffRole::parse(&body.role).ok_or_else(|| {
        invalid(format!(
            "role `{}` is not one of clerk, guide, supervisor",
            body.role.chars().take(20).collect::<String>()
        ))
    })?;
    let hash = hash(body.password).await?;
    let account = StaffAccount {
        id: body.id,
        name: body.name.trim().to_owned(),
        role,
        disabled: false,
        failed_logins: 0,
        locked_until: None,
    };
    let now = state.engine.now();
    let row = account.clone();
    let added = state
        .engine
        .write(move |_, store| store.add_staff(&row, &hash, now))
        .await?;
    match added {
        Ok(()) => {}
        Err(qcall_store::StoreError::Staff(message)) => {
            return Err(ApiError::new(StatusCode::CONFLICT, "staff_exists", message));
        }
        Err(e) => return Err(state.engine.read_failed(e).into()),
    }
    audit(
        &state,
        &cred,
        "staff_add",
        format!("{} {} ({})", account.id, account.name, role.as_str()),
    )
    .await;
    Ok((
        StatusCode::CREATED,
        Json(wire::StaffBody {
            staff: json(&account, now),
        }),
    ))
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StaffChangeBody {
    /// With `password`: the new password (at least 8 characters).
    password: Option<String>,
}

/// `disable`, `enable` or `password` for one account (supervisor;
/// audited). Disabling or a new password ends the account's sessions.
#[utoipa::path(
    post,
    path = "/api/v1/staff/{id}/{change}",
    tag = "staff",
    params(
        ("id" = String, Path, description = "The account's 工号"),
        ("change" = String, Path, description = "`disable`, `enable` or `password`"),
    ),
    request_body(content = Option<StaffChangeBody>, description = "`{\"password\"}` with `password`"),
    security(("bearer" = ["supervisor"])),
    responses(
        (status = 200, description = "Done", body = wire::StaffBody),
        (status = 400, description = "`invalid_body`: the body is not JSON", body = ErrorBody),
        (status = 401, description = "`unauthorized`", body = ErrorBody),
        (status = 403, description = "`forbidden`: not a supervisor", body = ErrorBody),
        (status = 404, description = "`unknown_staff`, `unknown_change`", body = ErrorBody),
        (status = 413, description = "`body_too_large`", body = ErrorBody),
        (status = 422, description = "`invalid_body`: no or a too short password", body = ErrorBody),
        (status = 503, description = "`storage_unavailable`, `shutting_down`", body = ErrorBody),
    )
)]
pub async fn change(
    State(state): State<AppState>,
    Path((id, change)): Path<(String, String)>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<Json<wire::StaffBody>, ApiError> {
    let cred = supervisor(&state, &headers)?;
    let body: StaffChangeBody = super::optional_body(&body)?;
    let hash = match change.as_str() {
        "disable" | "enable" => None,
        "password" => Some(hash(body.password.unwrap_or_default()).await?),
        other => {
            return Err(ApiError::not_found(
                "unknown_change",
                format!(
                    "`{}` is not a change; use disable, enable or password",
                    other.chars().take(20).collect::<String>()
                ),
            ));
        }
    };
    let now = state.engine.now();
    let (who, what) = (id.clone(), change.clone());
    let done = state
        .engine
        .write(move |_, store| {
            match (what.as_str(), hash) {
                ("password", Some(h)) => store.set_staff_password(&who, &h, now)?,
                (what, _) => store.set_staff_disabled(&who, what == "disable", now)?,
            }
            store.staff_account(&who)
        })
        .await?;
    let account = match done {
        Ok(Some((a, _))) => a,
        Ok(None) | Err(qcall_store::StoreError::Staff(_)) => {
            return Err(ApiError::not_found(
                "unknown_staff",
                format!(
                    "there is no staff account {}; GET /api/v1/staff lists them",
                    id.chars().take(40).collect::<String>()
                ),
            ));
        }
        Err(e) => return Err(state.engine.read_failed(e).into()),
    };
    audit(
        &state,
        &cred,
        &format!("staff_{change}"),
        account.id.clone(),
    )
    .await;
    Ok(Json(wire::StaffBody {
        staff: json(&account, now),
    }))
}
