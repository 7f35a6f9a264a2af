//! Where the engine's `now` comes from.
//!
//! The daemon uses [`SystemClock`]. Tests use [`ManualClock`] to run a day in
//! milliseconds; only test builds of the binary expose a way to move it.

use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use qcall_core::Millis;

/// A source of the current instant.
pub trait Clock: Send + Sync + std::fmt::Debug {
    fn now(&self) -> Millis;
}

/// The machine's wall clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Millis {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as Millis)
    }
}

/// A clock that moves only when told to.
#[derive(Debug, Default)]
pub struct ManualClock {
    // Relaxed is enough: the value is a plain number with no other memory
    // published alongside it.
    now: AtomicI64,
}

impl ManualClock {
    pub fn new(now: Millis) -> ManualClock {
        ManualClock {
            now: AtomicI64::new(now),
        }
    }

    pub fn set(&self, now: Millis) {
        self.now.store(now, Ordering::Relaxed);
    }

    pub fn advance(&self, by: Millis) {
        self.now.fetch_add(by, Ordering::Relaxed);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Millis {
        self.now.load(Ordering::Relaxed)
    }
}
