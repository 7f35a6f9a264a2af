//! Who may do what: bearer tokens checked against the `tokens` table.
//!
//! Counter tokens act for their own counter; supervisor tokens for any
//! counter and for supervision; guide tokens take tickets for others.
//! Secrets are never logged: only their hash is ever looked up.
//!
//! Every check reads the `tokens` table, so a token revoked by
//! `qcall token revoke` (which writes the database directly) is refused by
//! the next request; open websockets re-check on a short tick (`ws.rs`).

use std::path::Path;
use std::sync::Mutex;

use axum::http::HeaderMap;
use axum::http::header::AUTHORIZATION;
use qcall_store::{Credential, Role, Store, StoreError, token_hash};

use crate::error::ApiError;

#[derive(Debug)]
pub struct Auth {
    // One read-only connection behind a std mutex: a check is a single
    // indexed SELECT taking microseconds, never held across an await, and
    // the writer lives on the engine thread with its own connection.
    db: Mutex<Store>,
}

impl Auth {
    pub fn open(db: &Path) -> Result<Auth, StoreError> {
        Ok(Auth {
            db: Mutex::new(Store::open_read_only(db)?),
        })
    }

    /// The live credential for a secret, if any.
    pub fn check(&self, secret: &str) -> Result<Option<Credential>, ApiError> {
        self.check_hash(&token_hash(secret))
    }

    /// The live credential for a token's hash, if any: what a websocket
    /// that authenticated once asks again while it stays open, so it never
    /// keeps the secret itself.
    pub fn check_hash(&self, hash: &str) -> Result<Option<Credential>, ApiError> {
        let db = self.db.lock().unwrap_or_else(|e| e.into_inner());
        db.credential(hash).map_err(ApiError::internal)
    }

    /// The request's `Authorization: Bearer` credential, if it sent one.
    pub fn from_headers(&self, headers: &HeaderMap) -> Result<Option<Credential>, ApiError> {
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
        match self.check(secret)? {
            Some(c) => Ok(Some(c)),
            None => Err(ApiError::unauthorized(
                "this token is not valid (unknown or revoked); ask the supervisor for a new one (`qcall token create`)",
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
