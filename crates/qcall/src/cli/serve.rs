//! `qcall serve`: binds the listener, picks the clock and runs the daemon
//! until SIGINT or SIGTERM.
//!
//! Only the command-line side lives here (flags, the ready line scripts wait
//! for, signals); assembling the daemon is [`crate::run_with`].

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use clap::Args;
use qcall_engine::{Clock, SystemClock};

use crate::config::Config;

#[derive(Debug, Args)]
pub(super) struct ServeArgs {
    /// The hall's config file.
    #[arg(long, short)]
    config: PathBuf,
    /// Database file (default: `[server] db` from the config).
    #[arg(long)]
    db: Option<PathBuf>,
    /// Address to listen on (default: `[server] listen`); port 0 picks one.
    #[arg(long)]
    listen: Option<String>,
}

pub(super) async fn serve(args: ServeArgs) -> anyhow::Result<()> {
    let config = Config::load(&args.config)?;
    let db = args.db.unwrap_or_else(|| config.server.db.clone());
    let listen = match args.listen {
        Some(l) => l
            .parse()
            .with_context(|| format!("--listen {l:?} is not an address like 127.0.0.1:8080"))?,
        None => config.listen()?,
    };
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| {
            format!("cannot listen on {listen}; is another qcall (or program) using that port?")
        })?;
    let (clock, manual) = clock()?;
    let name = config.hall.name.en.clone();
    // One line on stdout that scripts and tests can wait for, printed once
    // the database is open.
    let ready = move |addr| println!("qcall: {name} listening on http://{addr}");
    crate::run_with(
        &config,
        Some(&args.config),
        &db,
        listener,
        clock,
        manual,
        ready,
        shutdown_signal(),
    )
    .await
}

/// The daemon's clock: the system clock, or in test builds a manual clock
/// started from `QCALL_TEST_CLOCK_MS`.
#[allow(clippy::type_complexity)]
fn clock() -> anyhow::Result<(Arc<dyn Clock>, Option<Arc<qcall_engine::ManualClock>>)> {
    #[cfg(feature = "test-clock")]
    if let Ok(ms) = std::env::var("QCALL_TEST_CLOCK_MS") {
        let ms: i64 = ms
            .parse()
            .context("QCALL_TEST_CLOCK_MS must be milliseconds since the epoch")?;
        let manual = Arc::new(qcall_engine::ManualClock::new(ms));
        return Ok((manual.clone(), Some(manual)));
    }
    Ok((Arc::new(SystemClock), None))
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(s) => s,
                Err(_) => {
                    let _ = ctrl_c.await;
                    return;
                }
            };
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
}
