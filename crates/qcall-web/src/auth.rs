//! Who may do what: bearer tokens checked against the `tokens` table.
//!
//! Counter tokens act for their own counter; supervisor tokens for any
//! counter and for supervision; guide tokens take tickets for others.
//! Secrets are never logged: only their hash is ever looked up.
//!
//! Every check reads the `tokens` table, so a token revoked by
//! `qcall token revoke` (which writes the database directly) is refused by
//! the next request; open websockets re-check on a short tick (`ws.rs`).
//! Staff sessions (`POST /api/v1/session`, `api/session.rs`) are rows of
//! the same table that also end at the end of the business day, after
//! `[staff] idle_hours` unused, or when their account is disabled; the
//! check is at the engine's clock, so the test clock moves them too.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Mutex;

use axum::http::HeaderMap;
use axum::http::header::AUTHORIZATION;
use qcall_core::Millis;
use qcall_engine::EngineHandle;
use qcall_store::{Credential, Role, StaffAccount, Store, StoreError, token_hash};

use crate::error::ApiError;

/// A session's last use is written at most this often: the idle limit is
/// hours, so a minute's lag never matters, and a busy counter does not
/// write on every request.
const TOUCH_EVERY_MS: Millis = 60_000;

/// How staff sessions behave.
#[derive(Debug, Clone, Copy)]
pub struct SessionPolicy {
    /// A session unused this long ends (`[staff] idle_hours`).
    pub idle_ms: Millis,
}

#[derive(Debug)]
pub struct Auth {
    // One read-only connection behind a std mutex: a check is a single
    // indexed SELECT taking microseconds, never held across an await, and
    // the writer lives on the engine thread with its own connection.
    db: Mutex<Store>,
    /// Writes session rows (sign-in, sign-out, last use) on the writer
    /// thread, and gives the clock sessions expire by.
    engine: EngineHandle,
    pub policy: SessionPolicy,
    // When each session's use was last written: a std mutex around a small
    // map, one lookup per request with a session, never held across an await.
    touched: Mutex<HashMap<String, Millis>>,
}

impl Auth {
    pub fn open(
        db: &Path,
        engine: EngineHandle,
        policy: SessionPolicy,
    ) -> Result<Auth, StoreError> {
        Ok(Auth {
            db: Mutex::new(Store::open_read_only(db)?),
            engine,
            policy,
            touched: Mutex::new(HashMap::new()),
        })
    }

    /// A staff account and its password hash (sign-in).
    pub fn account(&self, id: &str) -> Result<Option<(StaffAccount, String)>, ApiError> {
        let db = self.db.lock().unwrap_or_else(|e| e.into_inner());
        db.staff_account(id).map_err(ApiError::internal)
    }

    /// Staff names by 工号, for screens that show who serves.
    pub fn staff_names(&self) -> Result<HashMap<String, String>, ApiError> {
        let db = self.db.lock().unwrap_or_else(|e| e.into_inner());
        Ok(db
            .staff_names()
            .map_err(ApiError::internal)?
            .into_iter()
            .collect())
    }

    /// Counts a use of a session (HTTP requests and websocket commands, not
    /// the websockets' own re-checks): its idle time starts again.
    pub fn touch(&self, hash: &str, cred: &Credential) {
        if cred.account.is_none() {
            return;
        }
        let now = self.engine.now();
        {
            let mut touched = self.touched.lock().unwrap_or_else(|e| e.into_inner());
            if touched.len() > 10_000 {
                touched.retain(|_, at| now - *at < TOUCH_EVERY_MS);
            }
            match touched.get(hash) {
                Some(at) if now - at < TOUCH_EVERY_MS => return,
                _ => touched.insert(hash.to_owned(), now),
            };
        }
        let (engine, hash) = (self.engine.clone(), hash.to_owned());
        tokio::spawn(async move {
            let written = engine.write(move |_, store| store.touch_session(&hash, now));
            if let Ok(Err(e)) = written.await {
                tracing::warn!(error = %e, "cannot record a session's use");
            }
        });
    }

    /// The live credential for a secret, if any.
    pub fn check(&self, secret: &str) -> Result<Option<Credential>, ApiError> {
        self.check_hash(&token_hash(secret))
    }

    /// The live credential for a token's hash, if any: what a websocket
    /// that authenticated once asks again while it stays open, so it never
    /// keeps the secret itself.
    pub fn check_hash(&self, hash: &str) -> Result<Option<Credential>, ApiError> {
        let now = self.engine.now();
        let db = self.db.lock().unwrap_or_else(|e| e.into_inner());
        db.credential_at(hash, now).map_err(ApiError::internal)
    }

    /// The request's `Authorization: Bearer` credential, if it sent one.
    pub fn from_headers(&self, headers: &HeaderMap) -> Result<Option<Credential>, ApiError> {
        Ok(self.with_hash(headers)?.map(|(c, _)| c))
    }

    /// The same, with the hash of the token it showed (signing out).
    pub fn with_hash(&self, headers: &HeaderMap) -> Result<Option<(Credential, String)>, ApiError> {
        let Some(value) = headers.get(AUTHORIZATION) else {
            return Ok(None);
        };
        let secret = value
            .to_str()
            .ok()
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .ok_or_else(|| {
                ApiError::unauthorized("the Authorization header must be `Bearer <token>`")
            })?;
        let hash = token_hash(secret);
        match self.check_hash(&hash)? {
            Some(c) => {
                self.touch(&hash, &c);
                Ok(Some((c, hash)))
            }
            None => Err(ApiError::unauthorized(
                "this token is not valid (unknown, revoked, or a session that ended); sign in again, or ask the supervisor for a new token (`qcall token create`)",
            )),
        }
    }

    /// The request's credential, which must have one of `roles`: 401 without
    /// one, 403 with another role. `what` names the action in the message.
    pub fn require(
        &self,
        headers: &HeaderMap,
        roles: &[Role],
        what: &str,
    ) -> Result<Credential, ApiError> {
        let wanted = roles
            .iter()
            .map(|r| r.as_str())
            .collect::<Vec<_>>()
            .join(" or ");
        let cred = self
            .from_headers(headers)?
            .ok_or_else(|| ApiError::unauthorized(format!("{what} needs a {wanted} token")))?;
        if !roles.contains(&cred.role) {
            return Err(ApiError::forbidden(format!(
                "{what} needs a {wanted} token, not a {} token",
                cred.role.as_str()
            )));
        }
        Ok(cred)
    }

    /// A credential that may act at `counter`.
    pub fn for_counter(&self, headers: &HeaderMap, counter: &str) -> Result<Credential, ApiError> {
        let cred = self.from_headers(headers)?.ok_or_else(|| {
            ApiError::unauthorized("counter actions need `Authorization: Bearer <counter token>`")
        })?;
        authorize_counter(&cred, counter)?;
        Ok(cred)
    }
}

/// Whether `cred` may act at `counter`.
pub fn authorize_counter(cred: &Credential, counter: &str) -> Result<(), ApiError> {
    match cred.role {
        Role::Supervisor => Ok(()),
        Role::Counter if cred.subject == counter => Ok(()),
        Role::Counter => Err(ApiError::forbidden(format!(
            "this token belongs to counter {}, not counter {counter}",
            cred.subject
        ))),
        Role::Guide | Role::Integration => Err(ApiError::forbidden(format!(
            "a {} token cannot act at a counter",
            cred.role.as_str()
        ))),
    }
}
