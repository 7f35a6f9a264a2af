//! qcall's durable storage: one SQLite file per hall.
//!
//! The event log (`events`) is the source of truth; `tickets` and `counters`
//! are current-state projections written in the same transaction as the
//! events that change them, so they are never behind the log. The schema
//! lives in `migrations/` and only ever grows.
//!
//! Durability: WAL with `synchronous=FULL`, so a commit that returned is on
//! disk and survives a power cut; the engine acknowledges a ticket only after
//! its commit. This crate is synchronous and owns no thread: the engine's
//! writer thread owns the one read-write [`Store`]. It knows SQL and nothing
//! about JSON or HTTP.

mod alerts;
mod backup;
mod bookings;
mod check;
mod codec;
mod health;
mod keys;
mod lock;
mod migrate;
mod ratings;
mod staff;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use qcall_core::state::{Appointment, Changes, Outbox, Upload};
use qcall_core::{BusinessDay, CounterRuntime, HallState, Recorded, Ticket, TicketId};
use rusqlite::{Connection, OpenFlags, OptionalExtension, params};

pub use alerts::StoredAlert;
pub use backup::{BackupReport, Pace, RestoreReport, backup, restore};
pub use bookings::BookingToCancel;
pub use check::CheckReport;
use health::FileIdentity;
pub use health::{BackupStatus, Fault, Health};
pub use keys::TicketKeys;
pub use lock::{DbLock, Holder, LockError};
pub use migrate::SCHEMA_VERSION;
pub use ratings::{UploadRecord, Visit};
pub use staff::{
    LOCKOUT_MS, MAX_FAILED_LOGINS, NewSession, StaffAccount, StaffRole, check_id, check_name,
    check_password, hash_password, new_secret, verify_password,
};

/// What went wrong with the database.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot open the database {path}: {source}")]
    Open {
        path: PathBuf,
        source: rusqlite::Error,
    },
    #[error(
        "the database {path} has schema version {found}, newer than this qcall ({supported}); upgrade qcall"
    )]
    TooNew {
        path: PathBuf,
        found: usize,
        supported: usize,
    },
    #[error(
        "cannot bring the database to schema version {SCHEMA_VERSION}: migration {file} failed: {source}"
    )]
    Migration {
        file: &'static str,
        source: rusqlite::Error,
    },
    #[error("the database holds a value this qcall cannot read: {0}")]
    Corrupt(String),
    #[error(
        "there is no database at {path}, but its write-ahead log {path}-wal is there: the database file was deleted or moved. \
         Put it back or restore a backup (`qcall db restore`); to start an empty database instead, move the -wal file away"
    )]
    OrphanWal { path: PathBuf },
    #[error("cannot write {path}: {source}")]
    File {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path} fails `db check`: {}", problems.join("; "))]
    Unverified {
        path: PathBuf,
        problems: Vec<String>,
    },
    /// A staff account operation refused (unknown 工号, taken 工号); the
    /// message says what to do.
    #[error("{0}")]
    Staff(String),
    #[error(transparent)]
    Sql(#[from] rusqlite::Error),
}

/// A credential's role.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Staff at one counter: counter actions for that counter.
    Counter,
    /// Hall supervisor: everything, including overrides and statistics.
    Supervisor,
    /// Guide (导办) beside the kiosks: tickets on someone's behalf, reprints.
    Guide,
    /// Another system (the government service platform) booking appointments.
    Integration,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Counter => "counter",
            Role::Supervisor => "supervisor",
            Role::Guide => "guide",
            Role::Integration => "integration",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        [
            Role::Counter,
            Role::Supervisor,
            Role::Guide,
            Role::Integration,
        ]
        .into_iter()
        .find(|r| r.as_str() == s)
    }
}

/// The form a token secret is kept in: lowercase hex SHA-256. Secrets are
/// 256-bit random values, so a plain hash (no salt, no stretching) is enough.
pub fn token_hash(secret: &str) -> String {
    use sha2::Digest;
    let digest = sha2::Sha256::digest(secret.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// A message waiting in the outbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outgoing {
    pub id: u64,
    pub ticket: TicketId,
    pub kind: String,
    pub phone: String,
    pub message: String,
}

/// A credential that is not revoked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credential {
    pub role: Role,
    /// Counter id for counter tokens; a name for people.
    pub subject: String,
    /// For a counter token issued to one clerk: who their work is counted
    /// under (their name for `qcall token create --staff`, their 工号 for
    /// a signed-in clerk).
    pub staff: Option<String>,
    /// For a signed-in session: the staff account (工号). `None` for device
    /// tokens.
    pub account: Option<String>,
}

/// The read-write handle on a hall's database.
#[derive(Debug)]
pub struct Store {
    conn: Connection,
    path: PathBuf,
    /// The file the path named at open: a deleted or replaced file is
    /// noticed by comparing (see [`Store::verify_file`]).
    identity: FileIdentity,
    health: Arc<Health>,
}

/// Makes the database and its `-wal`/`-shm` readable by their owner only:
/// they hold the hall secret every ticket key and SMS code derive from.
/// A new database is created 0600 (SQLite gives its `-wal` and `-shm` the
/// database's mode); an existing one readable by others is narrowed to its
/// owner, which fails quietly when this user does not own it.
#[cfg(unix)]
fn private_files(path: &Path) -> Result<(), StoreError> {
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    if !path.exists() {
        let created = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(path);
        match created {
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(source) => {
                return Err(StoreError::File {
                    path: path.into(),
                    source,
                });
            }
        }
    }
    for suffix in ["", "-wal", "-shm"] {
        let mut file = path.as_os_str().to_owned();
        file.push(suffix);
        let Ok(meta) = std::fs::metadata(&file) else {
            continue;
        };
        let mode = meta.permissions().mode();
        if mode & 0o077 != 0 {
            let narrowed = std::fs::Permissions::from_mode(mode & 0o700);
            // Only the owner (or root) may; anyone else opening it could
            // not have made it private either.
            let _ = std::fs::set_permissions(&file, narrowed);
        }
    }
    Ok(())
}

#[cfg(not(unix))]
fn private_files(_path: &Path) -> Result<(), StoreError> {
    Ok(())
}

impl Store {
    /// Opens (creating if needed) and migrates the database at `path`.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        // SQLite would lay that log over a new empty file: a database that
        // is neither the old one nor a fresh one.
        let mut wal = path.as_os_str().to_owned();
        wal.push("-wal");
        if !path.exists() && std::fs::metadata(&wal).is_ok_and(|m| m.len() > 0) {
            return Err(StoreError::OrphanWal { path: path.into() });
        }
        private_files(path)?;
        let conn = Connection::open(path).map_err(|source| StoreError::Open {
            path: path.into(),
            source,
        })?;
        let mut store = Store::with(conn, path)?;
        store.configure()?;
        migrate::run(&mut store.conn, &store.path)?;
        Ok(store)
    }

    /// Opens an existing database without writing to it (tools, token checks).
    pub fn open_read_only(path: &Path) -> Result<Store, StoreError> {
        let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = Connection::open_with_flags(path, flags).map_err(|source| StoreError::Open {
            path: path.into(),
            source,
        })?;
        conn.busy_timeout(Duration::from_secs(5))?;
        let store = Store::with(conn, path)?;
        let version = store.schema_version()?;
        if version > SCHEMA_VERSION {
            return Err(StoreError::TooNew {
                path: path.into(),
                found: version,
                supported: SCHEMA_VERSION,
            });
        }
        Ok(store)
    }

    fn with(conn: Connection, path: &Path) -> Result<Store, StoreError> {
        // SQLite created the file if it was missing, so it is there now.
        let identity = FileIdentity::of(path).map_err(|source| StoreError::File {
            path: path.into(),
            source,
        })?;
        Ok(Store {
            conn,
            path: path.into(),
            identity,
            health: Arc::default(),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Whether the database's path still names the file this store
    /// writes to. One `stat`.
    pub fn verify_file(&self) -> Result<(), Fault> {
        self.identity.check()
    }

    /// The database's shared health record (faults, last backup).
    pub fn health(&self) -> &Arc<Health> {
        &self.health
    }

    fn configure(&mut self) -> Result<(), StoreError> {
        // WAL lets readers (token checks, `db check`, stats) run beside the
        // writer; FULL makes every commit durable before it returns, which
        // is what "on disk before the kiosk is told" needs.
        self.conn.pragma_update(None, "journal_mode", "WAL")?;
        self.conn.pragma_update(None, "synchronous", "FULL")?;
        self.conn.pragma_update(None, "foreign_keys", "ON")?;
        self.conn.busy_timeout(Duration::from_secs(5))?;
        self.conn.set_prepared_statement_cache_capacity(64);
        Ok(())
    }

    /// The schema version of the file (`PRAGMA user_version`): lower than
    /// [`SCHEMA_VERSION`] in a read-only store of an older release's file.
    pub fn schema_version(&self) -> Result<usize, StoreError> {
        let v: i64 = self
            .conn
            .pragma_query_value(None, "user_version", |r| r.get(0))?;
        Ok(v as usize)
    }

    /// The sequence number of the last recorded event, 0 for a new hall.
    pub fn last_seq(&self) -> Result<u64, StoreError> {
        let v: Option<i64> = self
            .conn
            .query_row("SELECT MAX(seq) FROM events", [], |r| r.get(0))?;
        Ok(v.unwrap_or(0) as u64)
    }

    /// The business day of the last recorded event, if any.
    pub fn last_day(&self) -> Result<Option<BusinessDay>, StoreError> {
        let day: Option<String> = self
            .conn
            .query_row(
                "SELECT day FROM events ORDER BY seq DESC LIMIT 1",
                [],
                |r| r.get(0),
            )
            .optional()?;
        day.map(|d| {
            d.parse()
                .map_err(|_| StoreError::Corrupt(format!("event day `{d}`")))
        })
        .transpose()
    }

    /// The id the next ticket gets: ids are never reused across days.
    pub fn next_ticket_id(&self) -> Result<i64, StoreError> {
        let v: Option<i64> = self
            .conn
            .query_row("SELECT MAX(id) FROM tickets", [], |r| r.get(0))?;
        Ok(v.unwrap_or(0) + 1)
    }

    /// All events of one business day, in order: what start-up replays.
    pub fn events_of_day(&self, day: BusinessDay) -> Result<Vec<Recorded>, StoreError> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "{} WHERE day = ?1 ORDER BY seq",
            codec::SELECT_EVENT
        ))?;
        let rows = stmt.query_map([day.to_string()], codec::event_row)?;
        rows.map(|r| codec::decode(r?)).collect()
    }

    /// Outbox messages not yet delivered, oldest first.
    pub fn undelivered(&self, limit: usize) -> Result<Vec<Outgoing>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT id, ticket_id, kind, phone, message FROM outbox WHERE delivered_at_ms IS NULL ORDER BY id LIMIT ?1",
        )?;
        let rows = stmt.query_map([limit as i64], |r| {
            Ok(Outgoing {
                id: r.get::<_, i64>(0)? as u64,
                ticket: TicketId(r.get(1)?),
                kind: r.get(2)?,
                phone: r.get(3)?,
                message: r.get(4)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The appointments booked for a business day.
    pub fn appointments_of_day(&self, day: BusinessDay) -> Result<Vec<Appointment>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT code, service, slot_start_ms, slot_end_ms, name, ticket_id FROM appointments \
             WHERE day = ?1 AND cancelled_at_ms IS NULL ORDER BY slot_start_ms, code",
        )?;
        let rows = stmt.query_map([day.to_string()], |r| {
            Ok(Appointment {
                code: r.get(0)?,
                service: r.get(1)?,
                slot_start: r.get(2)?,
                slot_end: r.get(3)?,
                name: r.get(4)?,
                ticket: r.get::<_, Option<i64>>(5)?.map(TicketId),
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The audited events of a day: overrides, re-entries, transfers and
    /// the steps of putting 差评 right.
    pub fn audit_of_day(&self, day: BusinessDay) -> Result<Vec<Recorded>, StoreError> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "{} WHERE day = ?1 AND kind IN ('audit', 'ticket_reentered', 'ticket_transferred', \
             'rectification_assigned', 'rectification_called_back', 'rectification_fixed', 'rectification_rated') ORDER BY seq",
            codec::SELECT_EVENT
        ))?;
        let rows = stmt.query_map([day.to_string()], codec::event_row)?;
        rows.map(|r| codec::decode(r?)).collect()
    }

    /// Up to `limit` events after `seq`, in order: resync for a client that
    /// was away longer than the in-memory backlog covers.
    pub fn events_after(&self, seq: u64, limit: usize) -> Result<Vec<Recorded>, StoreError> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "{} WHERE seq > ?1 ORDER BY seq LIMIT ?2",
            codec::SELECT_EVENT
        ))?;
        let rows = stmt.query_map(params![seq as i64, limit as i64], codec::event_row)?;
        rows.map(|r| codec::decode(r?)).collect()
    }

    /// A ticket of any day, as last recorded.
    pub fn ticket(&self, id: TicketId) -> Result<Option<Ticket>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached(&format!("{} WHERE id = ?1", codec::SELECT_TICKET))?;
        let row = stmt.query_row([id.0], codec::ticket_row).optional()?;
        row.map(codec::decode_ticket).transpose()
    }

    /// All tickets of a business day, by id.
    pub fn tickets_of_day(&self, day: BusinessDay) -> Result<Vec<Ticket>, StoreError> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "{} WHERE day = ?1 ORDER BY id",
            codec::SELECT_TICKET
        ))?;
        let rows = stmt.query_map([day.to_string()], codec::ticket_row)?;
        rows.map(|r| codec::decode_ticket(r?)).collect()
    }

    /// The materials listed when ticket `id` was last suspended, if it was.
    pub fn suspension(&self, id: TicketId) -> Result<Option<Vec<String>>, StoreError> {
        let detail: Option<Option<String>> = self
            .conn
            .prepare_cached(
                "SELECT detail FROM events WHERE ticket_id = ?1 AND kind = 'ticket_suspended' ORDER BY seq DESC LIMIT 1",
            )?
            .query_row([id.0], |r| r.get(0))
            .optional()?;
        Ok(detail.map(|d| d.unwrap_or_default().lines().map(str::to_owned).collect()))
    }

    /// Starts a write transaction; nothing is visible or durable until
    /// [`Batch::commit`] returns.
    pub fn batch(&mut self) -> Result<Batch<'_>, StoreError> {
        Ok(Batch {
            tx: self.conn.transaction()?,
        })
    }

    // --- credentials ---

    /// Records a counter token issued to one clerk (`staff`), so what they
    /// do is counted as theirs.
    pub fn add_staff_token(
        &mut self,
        hash: &str,
        counter: &str,
        staff: &str,
        now: i64,
    ) -> Result<(), StoreError> {
        self.conn.execute(
            "INSERT INTO tokens (hash, role, subject, created_at_ms, staff) VALUES (?1, 'counter', ?2, ?3, ?4)",
            params![hash, counter, now, staff],
        )?;
        Ok(())
    }

    /// The hall's ticket keys, creating the hall secret on first use
    /// (256 random bits from the OS). Every process that opens the same
    /// database gets the same keys.
    pub fn ticket_keys(&mut self, now_ms: i64) -> Result<TicketKeys, StoreError> {
        if let Some(keys) = self.read_ticket_keys()? {
            return Ok(keys);
        }
        let mut secret = [0u8; 32];
        getrandom::fill(&mut secret)
            .map_err(|e| StoreError::Corrupt(format!("no randomness for the hall secret: {e}")))?;
        // Two processes may race here: the first insert wins and both read it.
        self.conn.execute(
            "INSERT OR IGNORE INTO hall_secrets (name, secret, created_at_ms) VALUES ('ticket_keys', ?1, ?2)",
            params![&secret[..], now_ms],
        )?;
        self.read_ticket_keys()?
            .ok_or_else(|| StoreError::Corrupt("the hall secret vanished as it was written".into()))
    }

    /// The hall's ticket keys if the secret exists (read-only tools).
    pub fn read_ticket_keys(&self) -> Result<Option<TicketKeys>, StoreError> {
        let secret: Option<Vec<u8>> = self
            .conn
            .query_row(
                "SELECT secret FROM hall_secrets WHERE name = 'ticket_keys'",
                [],
                |r| r.get(0),
            )
            .optional()?;
        match secret {
            None => Ok(None),
            Some(bytes) => {
                let secret: [u8; 32] = bytes.try_into().map_err(|b: Vec<u8>| {
                    StoreError::Corrupt(format!("the hall secret is {} bytes, not 32", b.len()))
                })?;
                Ok(Some(TicketKeys::new(secret)))
            }
        }
    }

    /// Records a new credential by the SHA-256 hex of its secret.
    pub fn add_token(
        &mut self,
        hash: &str,
        role: Role,
        subject: &str,
        now: i64,
    ) -> Result<(), StoreError> {
        self.conn.execute(
            "INSERT INTO tokens (hash, role, subject, created_at_ms) VALUES (?1, ?2, ?3, ?4)",
            params![hash, role.as_str(), subject, now],
        )?;
        Ok(())
    }

    /// Revokes every live credential of `role` for `subject`; returns how many.
    pub fn revoke_tokens(
        &mut self,
        role: Role,
        subject: &str,
        now: i64,
    ) -> Result<usize, StoreError> {
        Ok(self.conn.execute(
            "UPDATE tokens SET revoked_at_ms = ?3 WHERE role = ?1 AND subject = ?2 AND revoked_at_ms IS NULL",
            params![role.as_str(), subject, now],
        )?)
    }

    /// The live credential with this hash at `now`, if any: not revoked,
    /// and for a session also not expired, not idle past its limit and of
    /// an account that is not disabled.
    pub fn credential_at(&self, hash: &str, now: i64) -> Result<Option<Credential>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT t.role, t.subject, t.staff, t.account FROM tokens t \
             LEFT JOIN staff s ON s.id = t.account \
             WHERE t.hash = ?1 AND t.revoked_at_ms IS NULL \
             AND (t.account IS NULL OR (s.id IS NOT NULL AND s.disabled_at_ms IS NULL \
                  AND t.expires_at_ms > ?2 AND t.last_used_ms + t.idle_ms > ?2))",
        )?;
        let row: Option<(String, String, Option<String>, Option<String>)> = stmt
            .query_row(params![hash, now], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
            })
            .optional()?;
        row.map(|(role, subject, staff, account)| {
            let role = Role::parse(&role)
                .ok_or_else(|| StoreError::Corrupt(format!("token role `{role}`")))?;
            Ok(Credential {
                role,
                subject,
                staff,
                account,
            })
        })
        .transpose()
    }

    /// Verifies the file and the numbering; see [`CheckReport`].
    pub fn check(&self) -> Result<CheckReport, StoreError> {
        check::run(&self.conn)
    }
}

/// One write transaction: events plus the projection rows they change.
#[derive(Debug)]
pub struct Batch<'a> {
    tx: rusqlite::Transaction<'a>,
}

impl Batch<'_> {
    /// Records one applied event: appends it on business day `day` and
    /// writes every projection row it changed, as [`HallState::apply`]
    /// reported them in `changes`, read from `state` after the event. The
    /// one place that knows which table an event touches, so the engine
    /// cannot forget one.
    pub fn record(
        &mut self,
        rec: &Recorded,
        day: BusinessDay,
        changes: &Changes,
        state: &HallState,
    ) -> Result<(), StoreError> {
        self.append(rec, day)?;
        if let Some(t) = changes.ticket.and_then(|id| state.ticket(id)) {
            self.put_ticket(t, rec.seq)?;
        }
        if let Some(ci) = changes.counter {
            let id = &state.hall().counters[ci].id;
            self.put_counter(id, state.counter_at(ci), rec.seq)?;
        }
        if let Some((slot_day, a)) = &changes.appointment {
            self.put_appointment(*slot_day, a, None, rec.seq)?;
        }
        if let Some(change) = &changes.outbox {
            self.put_outbox(change)?;
        }
        if let Some(change) = &changes.upload {
            self.put_upload(change)?;
        }
        if let Some(r) = changes.rectification.and_then(|id| state.rectification(id)) {
            ratings::put_rectification(&self.tx, r, rec.seq)?;
        }
        if let Some(change) = &changes.booking {
            self.put_booking(change)?;
        }
        Ok(())
    }

    /// Writes an upload change: a record queued for the 好差评 platform,
    /// or one it took.
    pub fn put_upload(&mut self, change: &Upload) -> Result<(), StoreError> {
        match change {
            Upload::Queued {
                id,
                ticket,
                kind,
                at,
            } => {
                let mut stmt = self.tx.prepare_cached(
                    "INSERT INTO uploads (id, kind, ticket_id, queued_at_ms) VALUES (?1, ?2, ?3, ?4)",
                )?;
                stmt.execute(params![*id as i64, kind, ticket.0, at])?;
            }
            Upload::Delivered { id, at } => {
                let mut stmt = self.tx.prepare_cached(
                    "UPDATE uploads SET delivered_at_ms = ?2 WHERE id = ?1 AND delivered_at_ms IS NULL",
                )?;
                stmt.execute(params![*id as i64, at])?;
            }
        }
        Ok(())
    }

    /// Writes an outbox change: a message queued, or one delivered.
    pub fn put_outbox(&mut self, change: &Outbox) -> Result<(), StoreError> {
        match change {
            Outbox::Queued {
                id,
                ticket,
                kind,
                phone,
                message,
                at,
            } => {
                let mut stmt = self.tx.prepare_cached(
                    "INSERT INTO outbox (id, ticket_id, kind, phone, message, queued_at_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                )?;
                stmt.execute(params![*id as i64, ticket.0, kind, phone, message, at])?;
            }
            Outbox::Delivered { id, at } => {
                let mut stmt = self.tx.prepare_cached(
                    "UPDATE outbox SET delivered_at_ms = ?2 WHERE id = ?1 AND delivered_at_ms IS NULL",
                )?;
                stmt.execute(params![*id as i64, at])?;
            }
        }
        Ok(())
    }

    /// Appends one event on business day `day`, without its projections
    /// (see [`Batch::record`]).
    pub fn append(&mut self, rec: &Recorded, day: BusinessDay) -> Result<(), StoreError> {
        codec::insert_event(&self.tx, rec, day)
    }

    /// Writes a ticket's current state (as of event `seq`).
    pub fn put_ticket(&mut self, ticket: &Ticket, seq: u64) -> Result<(), StoreError> {
        codec::upsert_ticket(&self.tx, ticket, seq)
    }

    /// Writes a counter's current state (as of event `seq`).
    pub fn put_counter(
        &mut self,
        id: &str,
        counter: &CounterRuntime,
        seq: u64,
    ) -> Result<(), StoreError> {
        let mut stmt = self.tx.prepare_cached(
            "INSERT INTO counters (id, state, current_ticket, last_seq) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (id) DO UPDATE SET state = ?2, current_ticket = ?3, last_seq = ?4",
        )?;
        stmt.execute(params![
            id,
            counter.state.as_str(),
            counter.current.map(|t| t.0),
            seq as i64
        ])?;
        Ok(())
    }

    /// Records a booked appointment for the business day of its slot.
    pub fn put_appointment(
        &mut self,
        day: BusinessDay,
        a: &Appointment,
        phone: Option<&str>,
        seq: u64,
    ) -> Result<(), StoreError> {
        let mut stmt = self.tx.prepare_cached(
            "INSERT INTO appointments (day, code, service, slot_start_ms, slot_end_ms, name, phone, booked_seq, ticket_id) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) \
             ON CONFLICT (day, code) DO UPDATE SET ticket_id = ?9",
        )?;
        stmt.execute(params![
            day.to_string(),
            a.code,
            a.service,
            a.slot_start,
            a.slot_end,
            a.name,
            phone,
            seq as i64,
            a.ticket.map(|t| t.0)
        ])?;
        Ok(())
    }

    /// Makes the batch durable. When this returns `Ok`, it survives a crash.
    pub fn commit(self) -> Result<(), StoreError> {
        Ok(self.tx.commit()?)
    }
}

#[cfg(test)]
mod tests;
