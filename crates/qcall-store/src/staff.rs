//! Staff accounts (工号, name, role, argon2id password hash, disabled flag)
//! and the sessions they sign in to.
//!
//! A session is a row of `tokens` like a device token, so every check that
//! already reads `tokens` (HTTP, websockets re-checking every 2 s) sees a
//! session end the moment it is revoked, expires, idles out or its account
//! is disabled. The password rules (length, lockout after wrong attempts)
//! are here as plain functions; who may sign in where is `qcall-web`'s.
//! Hashing is deliberately slow: callers on an async runtime run it on a
//! blocking thread, never on the engine's writer.

use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use rusqlite::{OptionalExtension, params};

use crate::{Role, Store, StoreError};

/// Wrong passwords in a row that lock an account.
pub const MAX_FAILED_LOGINS: u32 = 5;
/// How long a locked account stays locked.
pub const LOCKOUT_MS: i64 = 15 * 60 * 1000;
/// The shortest password accepted.
pub const MIN_PASSWORD_CHARS: usize = 8;
/// The longest 工号 and name accepted.
pub const MAX_ID_CHARS: usize = 32;
pub const MAX_NAME_CHARS: usize = 40;

/// What a staff member does in the hall. One table for the CLI, the API
/// and the pages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StaffRole {
    /// Works at a counter; signs in at one counter at a time.
    Clerk,
    /// 导办 beside the kiosks: tickets on someone's behalf, reprints.
    Guide,
    /// Runs the hall: every counter, alerts, staff, configuration.
    Supervisor,
}

impl StaffRole {
    pub const ALL: [StaffRole; 3] = [StaffRole::Clerk, StaffRole::Guide, StaffRole::Supervisor];

    pub fn as_str(self) -> &'static str {
        match self {
            StaffRole::Clerk => "clerk",
            StaffRole::Guide => "guide",
            StaffRole::Supervisor => "supervisor",
        }
    }

    pub fn parse(s: &str) -> Option<StaffRole> {
        StaffRole::ALL.into_iter().find(|r| r.as_str() == s)
    }

    /// The credential role its sessions carry.
    pub fn token_role(self) -> Role {
        match self {
            StaffRole::Clerk => Role::Counter,
            StaffRole::Guide => Role::Guide,
            StaffRole::Supervisor => Role::Supervisor,
        }
    }
}

/// A staff account as stored, without its password hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaffAccount {
    /// 工号.
    pub id: String,
    pub name: String,
    pub role: StaffRole,
    pub disabled: bool,
    /// Wrong passwords in a row since the last good one.
    pub failed_logins: u32,
    /// Locked until this instant (after [`MAX_FAILED_LOGINS`] wrong ones).
    pub locked_until: Option<i64>,
}

impl StaffAccount {
    /// Milliseconds until the lock ends, if it is locked at `now`.
    pub fn locked_for(&self, now: i64) -> Option<i64> {
        self.locked_until.filter(|&t| t > now).map(|t| t - now)
    }
}

/// Why a 工号, name or password is refused; each says what to do.
pub fn check_id(id: &str) -> Result<(), String> {
    let ok = !id.is_empty()
        && id.chars().count() <= MAX_ID_CHARS
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if ok {
        Ok(())
    } else {
        Err(format!(
            "a 工号 is 1 to {MAX_ID_CHARS} letters, digits, `-` or `_` (e.g. 1024), not `{}`",
            id.chars().take(40).collect::<String>()
        ))
    }
}

pub fn check_name(name: &str) -> Result<(), String> {
    let n = name.trim().chars().count();
    if n == 0 || n > MAX_NAME_CHARS || name.chars().any(char::is_control) {
        return Err(format!(
            "a name is 1 to {MAX_NAME_CHARS} printable characters (it is shown on the window screen)"
        ));
    }
    Ok(())
}

pub fn check_password(password: &str) -> Result<(), String> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(format!(
            "a password is at least {MIN_PASSWORD_CHARS} characters; choose a longer one"
        ));
    }
    if password.len() > 1024 {
        return Err("a password is at most 1024 bytes".into());
    }
    Ok(())
}

/// The argon2id PHC string of `password`, with a fresh random salt.
pub fn hash_password(password: &str) -> Result<String, StoreError> {
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| StoreError::Corrupt(format!("cannot hash the password: {e}")))
}

/// Whether `password` matches `hash` (a PHC string; its own parameters).
pub fn verify_password(hash: &str, password: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|h| {
        Argon2::default()
            .verify_password(password.as_bytes(), &h)
            .is_ok()
    })
}

/// A fresh token secret: 256 random bits, hex, with a recognisable prefix
/// (device tokens and sessions alike).
pub fn new_secret() -> Result<String, StoreError> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes)
        .map_err(|e| StoreError::Corrupt(format!("no system randomness: {e}")))?;
    Ok(format!(
        "qc_{}",
        bytes.iter().map(|b| format!("{b:02x}")).collect::<String>()
    ))
}

/// A new session's row in `tokens`.
#[derive(Debug, Clone)]
pub struct NewSession<'a> {
    /// SHA-256 hex of the secret.
    pub hash: &'a str,
    pub role: Role,
    /// The counter for a clerk; the person's name otherwise.
    pub subject: &'a str,
    /// For a clerk: the 工号 their counter work is counted under.
    pub staff: Option<&'a str>,
    /// The account (工号).
    pub account: &'a str,
    pub now: i64,
    pub expires_at: i64,
    pub idle_ms: i64,
}

const SELECT_STAFF: &str =
    "SELECT id, name, role, disabled_at_ms, failed_logins, locked_until_ms FROM staff";

fn staff_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<(StaffAccount, String)> {
    let role: String = r.get(2)?;
    Ok((
        StaffAccount {
            id: r.get(0)?,
            name: r.get(1)?,
            role: StaffRole::parse(&role).unwrap_or(StaffRole::Clerk),
            disabled: r.get::<_, Option<i64>>(3)?.is_some(),
            failed_logins: r.get(4)?,
            locked_until: r.get(5)?,
        },
        role,
    ))
}

fn decode(row: (StaffAccount, String)) -> Result<StaffAccount, StoreError> {
    match StaffRole::parse(&row.1) {
        Some(_) => Ok(row.0),
        None => Err(StoreError::Corrupt(format!("staff role `{}`", row.1))),
    }
}

impl Store {
    /// Adds an account; refused when the 工号 is taken.
    pub fn add_staff(
        &mut self,
        account: &StaffAccount,
        password_hash: &str,
        now: i64,
    ) -> Result<(), StoreError> {
        let n = self.conn.execute(
            "INSERT OR IGNORE INTO staff (id, name, role, password_hash, created_at_ms) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![account.id, account.name, account.role.as_str(), password_hash, now],
        )?;
        if n == 0 {
            return Err(StoreError::Staff(format!(
                "工号 {} is taken; choose another, or change that account's password with `qcall staff passwd`",
                account.id
            )));
        }
        Ok(())
    }

    /// Every account, by 工号.
    pub fn staff_list(&self) -> Result<Vec<StaffAccount>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached(&format!("{SELECT_STAFF} ORDER BY id"))?;
        let rows = stmt.query_map([], staff_row)?;
        rows.map(|r| decode(r?)).collect()
    }

    /// One account and its password hash.
    pub fn staff_account(&self, id: &str) -> Result<Option<(StaffAccount, String)>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT id, name, role, disabled_at_ms, failed_logins, locked_until_ms, password_hash FROM staff WHERE id = ?1",
        )?;
        let row = stmt
            .query_row([id], |r| Ok((staff_row(r)?, r.get::<_, String>(6)?)))
            .optional()?;
        row.map(|(a, hash)| Ok((decode(a)?, hash))).transpose()
    }

    /// Names of accounts by 工号 (window screens show who serves).
    pub fn staff_names(&self) -> Result<Vec<(String, String)>, StoreError> {
        let mut stmt = self.conn.prepare_cached("SELECT id, name FROM staff")?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Sets a new password: clears a lock and ends the account's sessions.
    pub fn set_staff_password(
        &mut self,
        id: &str,
        password_hash: &str,
        now: i64,
    ) -> Result<(), StoreError> {
        let tx = self.conn.transaction()?;
        let n = tx.execute(
            "UPDATE staff SET password_hash = ?2, failed_logins = 0, locked_until_ms = NULL WHERE id = ?1",
            params![id, password_hash],
        )?;
        if n == 0 {
            return Err(unknown_staff(id));
        }
        end_sessions(&tx, id, now)?;
        tx.commit()?;
        Ok(())
    }

    /// Disables an account (or enables it again) and ends its sessions.
    pub fn set_staff_disabled(
        &mut self,
        id: &str,
        disabled: bool,
        now: i64,
    ) -> Result<(), StoreError> {
        let tx = self.conn.transaction()?;
        let n = tx.execute(
            "UPDATE staff SET disabled_at_ms = ?2 WHERE id = ?1",
            params![id, disabled.then_some(now)],
        )?;
        if n == 0 {
            return Err(unknown_staff(id));
        }
        end_sessions(&tx, id, now)?;
        tx.commit()?;
        Ok(())
    }

    /// Counts a wrong password; returns the account's lock end when this
    /// one locked it (the caller audits that).
    pub fn record_failed_login(&mut self, id: &str, now: i64) -> Result<Option<i64>, StoreError> {
        let tx = self.conn.transaction()?;
        let count: Option<u32> = tx
            .query_row(
                "UPDATE staff SET failed_logins = failed_logins + 1 WHERE id = ?1 RETURNING failed_logins",
                [id],
                |r| r.get(0),
            )
            .optional()?;
        let locked = match count {
            Some(n) if n >= MAX_FAILED_LOGINS => {
                let until = now + LOCKOUT_MS;
                tx.execute(
                    "UPDATE staff SET failed_logins = 0, locked_until_ms = ?2 WHERE id = ?1",
                    params![id, until],
                )?;
                Some(until)
            }
            _ => None,
        };
        tx.commit()?;
        Ok(locked)
    }

    /// A good password: the count of wrong ones starts again.
    pub fn record_login(&mut self, id: &str) -> Result<(), StoreError> {
        self.conn.execute(
            "UPDATE staff SET failed_logins = 0, locked_until_ms = NULL WHERE id = ?1",
            [id],
        )?;
        Ok(())
    }

    /// Records a signed-in session.
    pub fn add_session(&mut self, s: &NewSession<'_>) -> Result<(), StoreError> {
        self.conn.execute(
            "INSERT INTO tokens (hash, role, subject, created_at_ms, staff, account, expires_at_ms, idle_ms, last_used_ms) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?4)",
            params![
                s.hash,
                s.role.as_str(),
                s.subject,
                s.now,
                s.staff,
                s.account,
                s.expires_at,
                s.idle_ms
            ],
        )?;
        Ok(())
    }

    /// Signs a session out; `false` when it was not a live session.
    pub fn end_session(&mut self, hash: &str, now: i64) -> Result<bool, StoreError> {
        Ok(self.conn.execute(
            "UPDATE tokens SET revoked_at_ms = ?2 WHERE hash = ?1 AND account IS NOT NULL AND revoked_at_ms IS NULL",
            params![hash, now],
        )? > 0)
    }

    /// A session was used at `now`: its idle time starts again.
    pub fn touch_session(&mut self, hash: &str, now: i64) -> Result<(), StoreError> {
        self.conn.execute(
            "UPDATE tokens SET last_used_ms = ?2 WHERE hash = ?1 AND account IS NOT NULL",
            params![hash, now],
        )?;
        Ok(())
    }
}

fn unknown_staff(id: &str) -> StoreError {
    StoreError::Staff(format!(
        "there is no staff account {id}; `qcall staff list` shows them, `qcall staff add` adds one"
    ))
}

fn end_sessions(tx: &rusqlite::Transaction<'_>, id: &str, now: i64) -> Result<(), StoreError> {
    tx.execute(
        "UPDATE tokens SET revoked_at_ms = ?2 WHERE account = ?1 AND revoked_at_ms IS NULL",
        params![id, now],
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("hall.db")).unwrap();
        (dir, store)
    }

    fn clerk(id: &str) -> StaffAccount {
        StaffAccount {
            id: id.into(),
            name: "李娜".into(),
            role: StaffRole::Clerk,
            disabled: false,
            failed_logins: 0,
            locked_until: None,
        }
    }

    #[test]
    fn a_password_verifies_only_against_its_own_hash() {
        let hash = hash_password("correct horse").unwrap();
        assert!(hash.starts_with("$argon2id$"), "{hash}");
        assert!(verify_password(&hash, "correct horse"));
        assert!(!verify_password(&hash, "correct hors"));
        assert!(!verify_password("not a phc string", "correct horse"));
        assert_ne!(hash, hash_password("correct horse").unwrap(), "salted");
    }

    #[test]
    fn ids_names_and_passwords_are_checked() {
        assert!(check_id("1024").is_ok());
        assert!(check_id("A-7_b").is_ok());
        for bad in ["", "10 24", "李娜", &"9".repeat(33)] {
            assert!(check_id(bad).is_err(), "{bad:?}");
        }
        assert!(check_name("李娜").is_ok());
        assert!(check_name(" ").is_err());
        assert!(check_name("a\u{1b}b").is_err());
        assert!(check_password("12345678").is_ok());
        assert!(check_password("1234567").is_err());
    }

    #[test]
    fn five_wrong_passwords_lock_and_a_good_one_resets_the_count() {
        let (_dir, mut store) = store();
        store.add_staff(&clerk("1024"), "h", 0).unwrap();
        assert!(store.add_staff(&clerk("1024"), "h", 0).is_err(), "taken");
        for _ in 0..3 {
            assert_eq!(store.record_failed_login("1024", 10).unwrap(), None);
        }
        store.record_login("1024").unwrap();
        for _ in 0..4 {
            assert_eq!(store.record_failed_login("1024", 10).unwrap(), None);
        }
        assert_eq!(
            store.record_failed_login("1024", 10).unwrap(),
            Some(10 + LOCKOUT_MS)
        );
        let (acct, _) = store.staff_account("1024").unwrap().unwrap();
        assert_eq!(acct.locked_for(10), Some(LOCKOUT_MS));
        assert_eq!(acct.locked_for(10 + LOCKOUT_MS), None);
        assert_eq!(store.record_failed_login("nobody", 10).unwrap(), None);
    }

    #[test]
    fn a_session_ends_on_sign_out_expiry_idling_disable_and_new_password() {
        let (_dir, mut store) = store();
        store.add_staff(&clerk("1024"), "h", 0).unwrap();
        let session = |store: &mut Store, hash: &str| {
            store
                .add_session(&NewSession {
                    hash,
                    role: Role::Counter,
                    subject: "1",
                    staff: Some("1024"),
                    account: "1024",
                    now: 1_000,
                    expires_at: 100_000,
                    idle_ms: 10_000,
                })
                .unwrap();
        };
        let live = |store: &Store, hash: &str, now| store.credential_at(hash, now).unwrap();
        session(&mut store, "s1");
        let cred = live(&store, "s1", 2_000).unwrap();
        assert_eq!(
            (cred.role, cred.subject.as_str(), cred.staff.as_deref()),
            (Role::Counter, "1", Some("1024"))
        );
        assert_eq!(cred.account.as_deref(), Some("1024"));
        assert!(live(&store, "s1", 11_000).is_none(), "idle past 10 s");
        store.touch_session("s1", 10_500).unwrap();
        assert!(live(&store, "s1", 11_000).is_some(), "used again");
        assert!(live(&store, "s1", 100_000).is_none(), "the day ended");
        assert!(store.end_session("s1", 3_000).unwrap());
        assert!(live(&store, "s1", 3_000).is_none(), "signed out");
        assert!(!store.end_session("s1", 3_000).unwrap(), "once");

        session(&mut store, "s2");
        store.set_staff_disabled("1024", true, 2_000).unwrap();
        assert!(live(&store, "s2", 2_000).is_none(), "disabled");
        store.set_staff_disabled("1024", false, 2_000).unwrap();
        session(&mut store, "s3");
        store.set_staff_password("1024", "h2", 2_500).unwrap();
        assert!(live(&store, "s3", 2_500).is_none(), "new password");
        assert!(store.set_staff_password("nobody", "h", 0).is_err());
    }
}
