//! Live configuration: the site settings every handler reads through one
//! swappable cell, and `POST /api/v1/admin/reload`.
//!
//! qcall-web does not read config files: the binary implements
//! [`Reloader`] (load the file, check what may change live, hand the new
//! hall to the engine, swap the [`LiveSite`], tell the screens). This
//! module only authorises the request and turns the outcome into JSON.

use std::sync::{Arc, RwLock};

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use serde::Serialize;
use utoipa::ToSchema;

use crate::devices::BoxFuture;
use crate::error::{ApiError, ErrorBody};
use crate::{AppState, Site};
use qcall_store::Role;

/// The kind of the notice every screen gets after a reload took effect,
/// followed on each socket by a fresh snapshot: kiosks fetch
/// `/api/v1/services` again, displays `/api/v1/display`.
pub const RELOADED_NOTICE: &str = "config_reloaded";

/// The site settings in force. A lock, not an actor: every request reads
/// it (to clone the `Arc`, never held across an await) and only a reload,
/// after the engine accepted the new hall, replaces it.
#[derive(Debug, Default)]
pub struct LiveSite(RwLock<Arc<Site>>);

impl LiveSite {
    pub fn new(site: Site) -> LiveSite {
        LiveSite(RwLock::new(Arc::new(site)))
    }

    /// The settings now in force (take them once per request).
    pub fn get(&self) -> Arc<Site> {
        self.0.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    pub fn set(&self, site: Site) {
        *self.0.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(site);
    }
}

/// A reload that took effect.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ReloadBody {
    /// The seq of the reload's audit event (`config_reload`).
    pub seq: u64,
    /// What changed, one line each (empty: the file says what runs).
    pub changes: Vec<String>,
}

/// Why a reload did not take effect; the running config stays either way.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ReloadError {
    /// The file cannot be read or is not a valid config (with the line).
    #[error("{0}")]
    Invalid(String),
    /// Valid, but it changes what needs a restart or what today's queue
    /// still uses.
    #[error("{0}")]
    Refused(String),
    /// The engine could not take it (stopped, the database is down).
    #[error(transparent)]
    Engine(#[from] qcall_engine::EngineError),
}

impl From<ReloadError> for ApiError {
    fn from(e: ReloadError) -> ApiError {
        match e {
            ReloadError::Invalid(m) => ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "config_invalid",
                format!(
                    "the config file was not applied, the running config stays: {m}; fix the file (`qcall config check FILE`) and reload again"
                ),
            ),
            ReloadError::Refused(m) => ApiError::new(
                StatusCode::CONFLICT,
                "config_refused",
                format!("the new config was not applied, the running one stays: {m}"),
            ),
            ReloadError::Engine(e) => e.into(),
        }
    }
}

/// Re-reads the daemon's config file and applies what may change live;
/// the binary implements it. `by` is who asked (audited).
pub trait Reloader: Send + Sync + std::fmt::Debug {
    fn reload(self: Arc<Self>, by: String) -> BoxFuture<Result<ReloadBody, ReloadError>>;
}

/// `POST /api/v1/admin/reload`: re-read the config file, as SIGHUP does.
#[utoipa::path(
    post,
    path = "/api/v1/admin/reload",
    tag = "hall",
    security(("bearer" = ["supervisor"])),
    responses(
        (status = 200, description = "Applied and audited; what changed", body = ReloadBody),
        (status = 401, description = "`unauthorized`: no valid token", body = ErrorBody),
        (status = 403, description = "`forbidden`: not a supervisor token", body = ErrorBody),
        (status = 409, description = "`config_refused`: it changes what needs a restart (time zone, database, listen address) or removes a service with tickets waiting; nothing changed", body = ErrorBody),
        (status = 422, description = "`config_invalid`: the file is not a valid config (the message names the line); nothing changed", body = ErrorBody),
        (status = 503, description = "`reload_unavailable`: this daemon was started without a config file to re-read", body = ErrorBody),
    )
)]
pub async fn reload(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Json<ReloadBody>, ApiError> {
    let cred = state
        .auth
        .require(&headers, &[Role::Supervisor], "reloading the configuration")?;
    let Some(reloader) = state.reloader.clone() else {
        return Err(ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "reload_unavailable",
            "this daemon was started without a config file to re-read; restart it with `qcall serve --config FILE`",
        ));
    };
    Ok(Json(reloader.reload(cred.subject).await?))
}
