//! The process's log: `RUST_LOG` chooses what is shown (default `info`),
//! and whatever it says, no credential or personal data reaches the log.
//!
//! Our own events never carry a token, an `Authorization` header or a full
//! phone number (numbers are masked with `mask_phone`). What remains is
//! libraries that log wire content at `trace`: tungstenite logs every
//! websocket frame it reads or writes, the counter's `auth` frame with its
//! token included. Those events are dropped here, for every `RUST_LOG`, so
//! turning on tracing to chase a bug cannot leak a credential. (hyper logs
//! nothing without its unstable `tracing` cfg; rustls is built without its
//! `logging` feature.)

use tracing::Metadata;
use tracing_subscriber::filter::{FilterExt, filter_fn};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer};

/// Targets whose `trace` events carry message payloads.
const PAYLOAD_TARGETS: &[&str] = &["tungstenite", "tokio_tungstenite"];

/// Whether an event may be written at all (before `RUST_LOG` is asked).
pub fn may_log(meta: &Metadata<'_>) -> bool {
    let target = meta.target();
    let payload = PAYLOAD_TARGETS.iter().any(|t| {
        target
            .strip_prefix(t)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with("::"))
    });
    !(payload && *meta.level() == tracing::Level::TRACE)
}

/// Installs the log on stderr.
pub fn init() {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into());
    let output = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        .with_filter(filter.and(filter_fn(may_log)));
    tracing_subscriber::registry().with(output).init();
}
