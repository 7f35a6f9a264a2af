//! Limits on what an anonymous caller may try: check-ins by arrival code
//! alone (which search every remote ticket of the day), sign-ins per
//! address, password checks running at once, and one sign-in per account
//! at a time (so parallel tries cannot outrun the lockout).
//!
//! Counts of wrong answers per ticket or account live in the event log or
//! the staff table, not here: these guards are per process and forget on
//! restart, which only gives an attacker a fresh bucket, never a ticket.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::http::StatusCode;
use tokio::sync::{OwnedMutexGuard, OwnedSemaphorePermit, Semaphore};

use crate::RateLimiter;
use crate::error::ApiError;

/// Check-ins by the 6-digit code without a number, per address and ten
/// minutes: a kiosk checks in a few people a minute; a guesser trying codes
/// against all of the day's remote tickets gets ~3,000 tries a day.
pub const ARRIVAL_CODES_PER_ADDRESS_10_MIN: u32 = 20;
/// Sign-in attempts per address and minute.
pub const SIGN_INS_PER_ADDRESS_MINUTE: u32 = 20;

#[derive(Debug)]
pub struct Guards {
    /// Per address: check-ins by code alone.
    pub arrival_codes: RateLimiter,
    /// Per address: `POST /session`.
    pub sign_ins: RateLimiter,
    /// Password hashes being checked at once: about one per core, so a
    /// flood of sign-ins cannot take every blocking thread and core.
    password_checks: Arc<Semaphore>,
    // One async mutex per real 工号, so that an account's attempts are
    // checked and counted one after another: the lockout then holds
    // against parallel tries. A std mutex around the map (never held across
    // an await); it grows only with accounts that exist.
    accounts: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
}

impl Default for Guards {
    fn default() -> Guards {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        Guards::new(
            ARRIVAL_CODES_PER_ADDRESS_10_MIN,
            SIGN_INS_PER_ADDRESS_MINUTE,
            cores,
        )
    }
}

impl Guards {
    /// Limits of 0 disable them (tests of other things).
    pub fn new(arrival_codes: u32, sign_ins: u32, password_checks: usize) -> Guards {
        Guards {
            arrival_codes: RateLimiter::per_window(arrival_codes, 600),
            sign_ins: RateLimiter::new(sign_ins),
            password_checks: Arc::new(Semaphore::new(password_checks.max(1))),
            accounts: Mutex::new(HashMap::new()),
        }
    }

    /// Waits for the account's turn: held while its password is checked
    /// and the attempt counted.
    pub async fn account_turn(&self, id: &str) -> OwnedMutexGuard<()> {
        let lock = {
            let mut accounts = self.accounts.lock().unwrap_or_else(|e| e.into_inner());
            accounts.entry(id.to_owned()).or_default().clone()
        };
        lock.lock_owned().await
    }

    /// A slot to check one password in, or 503 with `Retry-After` when
    /// all are busy.
    pub fn password_check(&self) -> Result<OwnedSemaphorePermit, ApiError> {
        self.password_checks
            .clone()
            .try_acquire_owned()
            .map_err(|_| {
                ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "busy",
                    "too many sign-ins are being checked right now; try again in a second",
                )
                .retry_after(1)
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn password_checks_past_the_slots_are_refused_with_retry_after() {
        let guards = Guards::new(0, 0, 2);
        let one = guards.password_check().unwrap();
        let _two = guards.password_check().unwrap();
        let busy = guards.password_check().unwrap_err();
        assert_eq!(
            (busy.status, busy.code, busy.retry_after_s),
            (StatusCode::SERVICE_UNAVAILABLE, "busy", Some(1))
        );
        drop(one);
        assert!(guards.password_check().is_ok(), "a slot is free again");
    }
}
