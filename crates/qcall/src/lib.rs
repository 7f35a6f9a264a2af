//! The qcall daemon and command-line tool: config, wiring, CLI.
//!
//! [`run`] assembles a hall daemon from a [`Config`]: it opens the store,
//! starts the engine with the websocket hub as its publisher, and serves the
//! router on a listener the caller bound, until the caller's shutdown future
//! completes. `main.rs` only parses arguments; tests bind `127.0.0.1:0` and
//! call the same code.
//!
//! # Layout
//! - [`config`]: the TOML file and its validation.
//! - [`cli`]: the `qcall` subcommands.
//! - [`client`]: a small HTTP/1 client for the CLI, the benchmark and tests.
//! - [`printing`]: the hall's printers wired to kiosks and counters.
//! - [`audio`]: committed calls to the hall speakers; `audio_state` notices.
//! - [`bench`]: `qcall bench`, throughput, fan-out and audio latency figures.
//! - [`server`]: the listener: connection caps, timeouts, bounded shutdown.
//! - [`backup`]: scheduled backups while serving (`[backup]`).
//! - [`logging`]: the log, which never carries a credential.
//! - [`notify`]: the outbox to the SMS gateway, HTTP or HTTPS.
//! - [`reload`]: live configuration (SIGHUP, `POST /api/v1/admin/reload`).

pub mod audio;
pub mod backup;
pub mod bench;
pub mod cli;
pub mod client;
pub mod config;
pub mod logging;
pub mod notify;
pub mod printing;
pub mod reload;
pub mod server;
pub mod simulate;
pub mod upload;

use std::future::Future;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

use anyhow::Context;
use qcall_engine::Clock;
use qcall_store::Store;
use qcall_web::{AppState, Auth, Hub, HubPublisher, LiveSite, Metrics, RateLimiter, Site};
use tokio::net::TcpListener;

pub use config::Config;

/// Runs a hall daemon on `listener` until `shutdown` completes, then stops
/// accepting, closes websockets with 1001, drains requests and stops the
/// engine; it returns within [`server::SHUTDOWN_DEADLINE`] of `shutdown`
/// whatever the clients do (plus the engine's last batch).
pub async fn run(
    config: &Config,
    db: &Path,
    listener: TcpListener,
    clock: Arc<dyn Clock>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    run_with(config, None, db, listener, clock, None, |_| {}, shutdown).await
}

/// The site settings a config gives the web layer (hours for display,
/// the display's layout and ticker, links); rebuilt on a reload.
pub fn site(config: &Config, hall: &qcall_core::Hall) -> anyhow::Result<Site> {
    Ok(Site {
        public_url: config.hall.public_url.trim_end_matches('/').to_owned(),
        hotline: config.hall.hotline.clone(),
        hours: config
            .hours
            .days()
            .iter()
            .map(|(d, r)| (d.to_string(), (*r).clone()))
            .collect(),
        cutoff_minutes: config.hours.clock_cutoff_minutes()?,
        display: config.display.settings(hall)?,
        upload_configured: !config.rating.upload_url.is_empty(),
    })
}

/// [`run`] with an optional manual clock that test builds expose over HTTP,
/// and a callback once the database is open and requests are accepted.
/// With `config_path` (the file `config` was read from), SIGHUP and
/// `POST /api/v1/admin/reload` re-read it ([`reload`]).
#[allow(clippy::too_many_arguments)]
pub async fn run_with(
    config: &Config,
    config_path: Option<&Path>,
    db: &Path,
    listener: TcpListener,
    clock: Arc<dyn Clock>,
    #[allow(unused_variables)] manual_clock: Option<Arc<qcall_engine::ManualClock>>,
    on_ready: impl FnOnce(SocketAddr),
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let hall = Arc::new(config.hall()?);
    if let Some(dir) = db.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("cannot create the database directory {}", dir.display()))?;
    }
    // One daemon per database: refused here, naming the one that has it,
    // before this one opens (and perhaps migrates) the file.
    let addr = listener.local_addr()?;
    let _lock = qcall_store::DbLock::acquire(
        db,
        &qcall_store::Holder::me(format!("qcall serve on http://{addr}")),
    )?;
    // An older release's file: keep it as it was before migrating it.
    backup::before_upgrade(db, &config.backup.dir_for(db))?;
    let mut store = Store::open(db)?;
    let keys = store.ticket_keys(clock.now())?;
    let start_seq = store.last_seq()?;
    let site = Arc::new(LiveSite::new(site(config, &hall)?));
    let hub = Hub::new(start_seq);
    let metrics = Arc::new(Metrics::default());
    let publisher = HubPublisher {
        hub: hub.clone(),
        hall: hall.clone(),
        site: site.clone(),
        metrics: metrics.clone(),
    };
    let mut publishers: Vec<Box<dyn qcall_engine::Publisher>> = vec![Box::new(publisher)];
    if config.audio.enabled {
        let notices = hub.clone();
        let zones = audio::zones(&config.audio, &hall)?;
        let states = audio::ZoneStates::new(zones.iter().map(|z| z.name.as_str()));
        let on_state = move |zone: &str, s: &qcall_audio::AudioState| {
            notices.notice("audio_state", states.update(zone, s));
        };
        let (zones, script) = audio::start(&config.audio, &hall, on_state)?;
        publishers.push(Box::new(audio::AudioPublisher {
            zones,
            script,
            hall: hall.clone(),
        }));
    }
    let (engine, engine_thread) =
        qcall_engine::start(hall.clone(), store, clock.clone(), publishers)?;
    let printers = printing::HallPrinters::start(
        config,
        engine.live_hall(),
        site.clone(),
        hub.clone(),
        clock,
        keys.clone(),
    )?;
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let alerts = Arc::new(qcall_web::alerts::AlertBoard::open(engine.clone(), hub.clone()).await?);
    if !config.notify.webhook.is_empty() {
        let gateway = notify::Gateway::new(&config.notify.webhook, config.notify.ca_file())?;
        let retry = std::time::Duration::from_millis(config.notify.retry_ms.max(50));
        // Links in texts: the public URL, else this daemon's own address
        // (what a phone on the hall's network reaches when none is set).
        let base = match site.get().public_url.as_str() {
            "" => format!("http://{addr}"),
            url => url.to_owned(),
        };
        tokio::spawn(notify::run(
            engine.clone(),
            keys.clone(),
            base,
            gateway,
            retry,
            stop_rx.clone(),
        ));
    }
    if !config.rating.upload_url.is_empty() {
        let gateway = notify::Gateway::for_key(
            "[rating] upload_url",
            "[rating]",
            &config.rating.upload_url,
            config.rating.ca_file(),
        )?;
        let retry = std::time::Duration::from_millis(config.rating.retry_ms.max(50));
        let department = match config.rating.department.as_str() {
            "" => hall.name.zh.clone(),
            d => d.to_owned(),
        };
        tokio::spawn(upload::run(
            engine.clone(),
            gateway,
            retry,
            department,
            stop_rx.clone(),
        ));
    }
    {
        // SLA lights change with time, not only with events.
        // It holds an engine handle, so it must end at shutdown: the engine
        // thread stops only when the last handle is gone.
        let (alerts, engine, hub, mut stop) =
            (alerts.clone(), engine.clone(), hub.clone(), stop_rx.clone());
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(std::time::Duration::from_secs(10));
            loop {
                tokio::select! {
                    _ = tick.tick() => {
                        if alerts.evaluate(&engine, &hub).await.is_err() {
                            break;
                        }
                    }
                    _ = async { let _ = stop.wait_for(|s| *s).await; } => break,
                }
            }
        });
    }
    {
        // Remote tickets lapse with time, not only with events: a tick makes
        // the writer record what fell due. Ends at shutdown (an engine handle).
        let (engine, mut stop) = (engine.clone(), stop_rx.clone());
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(std::time::Duration::from_secs(15));
            loop {
                tokio::select! {
                    _ = tick.tick() => {
                        if let Err(qcall_engine::EngineError::Stopped) =
                            engine.execute(qcall_core::Command::Tick).await
                        {
                            break;
                        }
                    }
                    _ = async { let _ = stop.wait_for(|s| *s).await; } => break,
                }
            }
        });
    }
    {
        // The database file deleted or replaced under the daemon is noticed
        // within a second even when no change comes in (the writer also
        // checks around every commit), and the business day rolls over
        // within a second of midnight. Ends at shutdown: it holds an
        // engine handle.
        let (engine, mut stop) = (engine.clone(), stop_rx.clone());
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(std::time::Duration::from_secs(1));
            loop {
                tokio::select! {
                    _ = tick.tick() => {
                        // And a new business day starts at midnight, not
                        // at the first ticket after it.
                        if engine.check_storage().await.is_err() || engine.tick().await.is_err() {
                            break;
                        }
                    }
                    _ = async { let _ = stop.wait_for(|s| *s).await; } => break,
                }
            }
        });
    }
    tokio::spawn(backup::run(
        config.backup.clone(),
        db.to_path_buf(),
        engine.health().clone(),
        stop_rx.clone(),
    ));
    let session_policy = qcall_web::SessionPolicy {
        idle_ms: config.staff.idle_ms(),
    };
    let auth = Arc::new(Auth::open(db, engine.clone(), session_policy)?);
    let reloader = config_path.map(|path| {
        Arc::new(reload::ConfigReloader::new(
            path.to_path_buf(),
            config.clone(),
            engine.clone(),
            site.clone(),
            hub.clone(),
        ))
    });
    #[cfg(unix)]
    if let Some(reloader) = reloader.clone() {
        // Registered before the daemon says it is ready, so a SIGHUP from
        // then on reloads instead of ending the process (the default
        // action). Ends at shutdown: the reloader holds an engine handle.
        let mut hup = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup())
            .context("cannot listen for SIGHUP (config reload)")?;
        let mut stop = stop_rx.clone();
        tokio::spawn(async move {
            loop {
                tokio::select! {
                    got = hup.recv() => {
                        if got.is_none() {
                            break;
                        }
                        if let Err(e) = reloader.apply("SIGHUP".into()).await {
                            tracing::error!(error = %e, "config reload on SIGHUP refused; the running config stays");
                        }
                    }
                    _ = async { let _ = stop.wait_for(|s| *s).await; } => break,
                }
            }
        });
    }
    let state = AppState {
        engine,
        hub,
        auth,
        site,
        metrics,
        limiter: Arc::new(RateLimiter::new(config.server.kiosk_rate_per_minute)),
        remote_limiter: Arc::new(RateLimiter::per_hour(config.remote.codes_per_address_hour)),
        guards: Arc::default(),
        trusted_proxies: Arc::new(config.server.trusted_proxies()?),
        alerts,
        keys,
        printing: printers.map(|p| p as Arc<dyn qcall_web::devices::Printing>),
        reloader: reloader.map(|r| r as Arc<dyn qcall_web::Reloader>),
        stop: stop_rx.clone(),
        ws_send_timeout: std::time::Duration::from_secs(config.server.ws_send_timeout_s),
        #[cfg(feature = "test-clock")]
        clock: manual_clock,
    };
    let app = qcall_web::router(state);
    tracing::info!(hall = %hall.name.en, %addr, db = %db.display(), "serving");
    on_ready(addr);
    tokio::spawn(async move {
        shutdown.await;
        tracing::info!("shutting down: closing sockets, finishing requests");
        let _ = stop_tx.send(true);
    });
    let closed = server::serve(listener, app, config.server.limits(), stop_rx).await;
    if !closed {
        // A socket task still holds an engine handle, so the engine thread
        // would not end: leave it; every acknowledged command is committed.
        tracing::info!("stopped");
        return Ok(());
    }
    // Every engine handle is gone with the router: the writer finishes its
    // last batch and exits.
    tokio::task::spawn_blocking(move || engine_thread.join())
        .await?
        .map_err(|_| anyhow::anyhow!("the engine thread panicked"))?;
    tracing::info!("stopped");
    Ok(())
}
