//! One thread per printer: jobs are printed one at a time in the order they
//! came, and the printer's health is kept for supervisors.
//!
//! The handle is cheap to clone. A job is sent over a bounded channel (a
//! printer that has fallen behind refuses new jobs with
//! [`PrintError::Busy`] rather than queueing forever) and answered on a
//! oneshot channel, so async callers never block a thread on a printer.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{SyncSender, TrySendError, sync_channel};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tokio::sync::oneshot;

use crate::encode::QrMode;
use crate::slip::PaperWidth;
use crate::status::{Paper, Status};
use crate::transport::{self, PrintError};
use crate::uri::PrinterUri;

/// Jobs a printer may have waiting.
const QUEUE: usize = 16;

/// How a printer is set up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrinterSettings {
    pub id: String,
    pub uri: PrinterUri,
    pub width: PaperWidth,
    pub qr: QrMode,
    /// Limit for connecting, each status answer, and writing.
    pub timeout: Duration,
    /// Ask DLE EOT status before each job (two-way links only).
    pub status_query: bool,
}

/// What supervisors see about a printer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PrinterState {
    /// Nothing printed or checked yet.
    Unknown,
    Ready,
    /// Prints, but the roll is nearly empty.
    PaperLow,
    PaperOut,
    CoverOpen,
    /// Says it is offline, or does not answer.
    Offline,
    /// Cannot be connected to at all.
    Unreachable,
    /// Reports an error, or writing failed.
    Error,
}

impl PrinterState {
    pub fn as_str(self) -> &'static str {
        match self {
            PrinterState::Unknown => "unknown",
            PrinterState::Ready => "ready",
            PrinterState::PaperLow => "paper_low",
            PrinterState::PaperOut => "paper_out",
            PrinterState::CoverOpen => "cover_open",
            PrinterState::Offline => "offline",
            PrinterState::Unreachable => "unreachable",
            PrinterState::Error => "error",
        }
    }

    /// Known not to print now: a new ticket is not sent to it (it would
    /// only wait for the timeout) until a check or a reprint finds it back.
    pub fn is_down(self) -> bool {
        match self {
            PrinterState::Unknown | PrinterState::Ready | PrinterState::PaperLow => false,
            PrinterState::PaperOut
            | PrinterState::CoverOpen
            | PrinterState::Offline
            | PrinterState::Unreachable
            | PrinterState::Error => true,
        }
    }

    fn of_status(s: &Status) -> PrinterState {
        if s.paper == Paper::Out {
            PrinterState::PaperOut
        } else if s.cover_open {
            PrinterState::CoverOpen
        } else if s.error {
            PrinterState::Error
        } else if s.offline {
            PrinterState::Offline
        } else if s.paper == Paper::NearEnd {
            PrinterState::PaperLow
        } else {
            PrinterState::Ready
        }
    }

    fn of_error(e: &PrintError) -> PrinterState {
        match e {
            PrintError::Unreachable { .. } => PrinterState::Unreachable,
            PrintError::Timeout { .. } => PrinterState::Offline,
            PrintError::NotReady { status, .. } => PrinterState::of_status(status),
            PrintError::Write { .. } | PrintError::BadReply { .. } | PrintError::Encode(_) => {
                PrinterState::Error
            }
            PrintError::Busy(_) | PrintError::Stopped | PrintError::Skipped(_) => {
                PrinterState::Error
            }
        }
    }
}

/// A printer's health.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Health {
    pub state: PrinterState,
    /// The last problem, in words.
    pub detail: Option<String>,
    pub printed: u64,
    pub failed: u64,
    /// When `state` last changed, Unix milliseconds.
    pub since_ms: i64,
}

/// Called on the printer's thread whenever its state changes.
pub type OnChange = Arc<dyn Fn(&PrinterSettings, &Health) + Send + Sync>;

enum Job {
    Print {
        bytes: Vec<u8>,
        reply: oneshot::Sender<Result<(), PrintError>>,
    },
    Check {
        reply: oneshot::Sender<Result<(), PrintError>>,
    },
    /// A check nobody waits for; clears `checking` when done.
    CheckSoon,
}

/// A handle on one printer's thread; the thread ends when the last drops.
#[derive(Clone)]
pub struct PrinterHandle {
    settings: Arc<PrinterSettings>,
    tx: SyncSender<Job>,
    // Written by the printer thread after each job, read by status pages;
    // a plain value behind a short lock, never held across IO.
    health: Arc<Mutex<Health>>,
    // Set while a check asked for by `check_soon` waits or runs, so a
    // printer that is down gets one check at a time, not one per ticket.
    checking: Arc<AtomicBool>,
}

impl std::fmt::Debug for PrinterHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PrinterHandle")
            .field("id", &self.settings.id)
            .finish()
    }
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// Starts the thread for one printer.
pub fn spawn(settings: PrinterSettings, on_change: OnChange) -> std::io::Result<PrinterHandle> {
    let settings = Arc::new(settings);
    let health = Arc::new(Mutex::new(Health {
        state: PrinterState::Unknown,
        detail: None,
        printed: 0,
        failed: 0,
        since_ms: now_ms(),
    }));
    let (tx, rx) = sync_channel::<Job>(QUEUE);
    let checking = Arc::new(AtomicBool::new(false));
    let (s, h, c) = (settings.clone(), health.clone(), checking.clone());
    std::thread::Builder::new().name(format!("printer-{}", settings.id)).spawn(move || {
        while let Ok(job) = rx.recv() {
            let (result, reply, printing) = match job {
                Job::Print { bytes, reply } => {
                    (transport::print_job(&s.uri, &bytes, s.timeout, s.status_query), Some(reply), true)
                }
                Job::Check { reply } => (transport::check(&s.uri, s.timeout), Some(reply), false),
                Job::CheckSoon => {
                    let result = transport::check(&s.uri, s.timeout);
                    c.store(false, Ordering::SeqCst);
                    (result, None, false)
                }
            };
            let (state, detail) = match &result {
                Ok(Some(status)) => (PrinterState::of_status(status), None),
                Ok(None) => (PrinterState::Ready, None),
                Err(e) => (PrinterState::of_error(e), Some(e.to_string())),
            };
            let changed = {
                let mut health = h.lock().unwrap_or_else(|e| e.into_inner());
                if printing {
                    if result.is_ok() {
                        health.printed += 1;
                    } else {
                        health.failed += 1;
                    }
                }
                let changed = health.state != state || health.detail != detail;
                if health.state != state {
                    health.since_ms = now_ms();
                }
                health.state = state;
                health.detail = detail;
                changed.then(|| health.clone())
            };
            if let Some(health) = changed {
                if state == PrinterState::Ready {
                    tracing::info!(printer = %s.id, "printer ready");
                } else {
                    tracing::warn!(printer = %s.id, state = state.as_str(), detail = ?health.detail, "printer problem");
                }
                on_change(&s, &health);
            }
            if let Some(reply) = reply {
                let _ = reply.send(result.map(|_| ()));
            }
        }
    })?;
    Ok(PrinterHandle {
        settings,
        tx,
        health,
        checking,
    })
}

impl PrinterHandle {
    pub fn settings(&self) -> &PrinterSettings {
        &self.settings
    }

    pub fn health(&self) -> Health {
        self.health
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Prints `bytes` after the jobs already waiting.
    pub async fn print(&self, bytes: Vec<u8>) -> Result<(), PrintError> {
        let (reply, rx) = oneshot::channel();
        self.submit(Job::Print { bytes, reply })?;
        rx.await.map_err(|_| PrintError::Stopped)?
    }

    /// Queues `bytes` now, after the jobs already waiting, and returns the
    /// job's result as a future that need not be awaited for the job to
    /// run: a caller that must not wait (the kiosk's reply) hands it to a
    /// task, and jobs still print in the order they were queued.
    pub fn print_queued(
        &self,
        bytes: Vec<u8>,
    ) -> Result<impl Future<Output = Result<(), PrintError>> + Send + 'static, PrintError> {
        let (reply, rx) = oneshot::channel();
        self.submit(Job::Print { bytes, reply })?;
        Ok(async move { rx.await.map_err(|_| PrintError::Stopped)? })
    }

    /// Asks the printer how it is (updates [`Self::health`]).
    pub async fn check(&self) -> Result<(), PrintError> {
        let (reply, rx) = oneshot::channel();
        self.submit(Job::Check { reply })?;
        rx.await.map_err(|_| PrintError::Stopped)?
    }

    /// Asks for a check without waiting for it, unless one is already
    /// waiting: how a printer skipped as down is found back without a
    /// periodic check.
    pub fn check_soon(&self) {
        if self.checking.swap(true, Ordering::SeqCst) {
            return;
        }
        if self.submit(Job::CheckSoon).is_err() {
            self.checking.store(false, Ordering::SeqCst);
        }
    }

    fn submit(&self, job: Job) -> Result<(), PrintError> {
        self.tx.try_send(job).map_err(|e| match e {
            TrySendError::Full(_) => PrintError::Busy(QUEUE),
            TrySendError::Disconnected(_) => PrintError::Stopped,
        })
    }
}
