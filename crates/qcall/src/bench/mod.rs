//! `qcall bench`: the figures in `docs/benchmarks.md`.
//!
//! Starts the real daemon (this executable, `serve`) on a temporary database
//! and measures it from this process over loopback, so load generator and
//! daemon share the machine as they would in a hall box:
//!
//! - the raw SQLite limit: one-row transactions per second with the same
//!   durability settings (WAL, `synchronous=FULL`);
//! - durable ticket issue over HTTP with 1, 16 and 64 concurrent clients:
//!   tickets per second and latency p50/p99;
//! - call-next to every one of N `/ws/display` clients: latency to the last
//!   client per call (p50/p99/max) and missed deliveries;
//! - the daemon's RSS per idle display, measured first on the fresh daemon;
//! - hall audio: call-next sent → the announcement's first sample pulled by
//!   the output device (a second daemon with audio on; by default its ALSA
//!   output is a file plugin over a null sink, so no sound card is needed).
//!
//! - `--only-stalled-printer`: kiosk tickets while the kiosk's printer
//!   accepts and never answers;
//! - `--only-audio-load` ([`audio_load`]): the speaker under a busy hall's
//!   calls, on a simulated clock.
//!
//! Each figure is a median over `--runs` repetitions. This is a benchmark:
//! nothing here asserts a speed.

mod audio_load;
mod estimate;
mod printer;

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use clap::Args;
use futures_util::StreamExt;
use hyper::StatusCode;
use qcall_store::{Role, Store, token_hash};
use serde_json::json;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;

use crate::client::Conn;
use crate::config::{Config, EXAMPLE};

#[derive(Debug, Args)]
pub struct BenchArgs {
    /// Repetitions per figure; medians are reported.
    #[arg(long, default_value_t = 3)]
    runs: usize,
    /// Seconds of load per throughput run.
    #[arg(long, default_value_t = 3.0)]
    seconds: f64,
    /// Concurrent HTTP clients for the throughput figures.
    #[arg(long, value_delimiter = ',', default_value = "1,16,64")]
    clients: Vec<usize>,
    /// Connected displays for the fan-out figures.
    #[arg(long, value_delimiter = ',', default_value = "10,100,1000")]
    displays: Vec<usize>,
    /// Calls measured per fan-out run.
    #[arg(long, default_value_t = 40)]
    calls: usize,
    /// A quick look: 1 run, 1 s of load, 15 calls.
    #[arg(long)]
    quick: bool,
    /// Calls measured for the audio latency (0 skips it).
    #[arg(long, default_value_t = 20)]
    audio_calls: usize,
    /// Play the audio benchmark on the system's default sound device
    /// instead of an ALSA file sink (it will be heard).
    #[arg(long)]
    audio_real_device: bool,
    /// Only the audio latency figure.
    #[arg(long)]
    only_audio: bool,
    /// Only the wait estimate's cost (in process, seconds).
    #[arg(long)]
    only_estimate: bool,
    /// Only kiosk tickets whose printer (a fake one on 127.0.0.1) accepts
    /// the connection and never answers: POST /api/v1/tickets latency.
    #[arg(long)]
    only_stalled_printer: bool,
    /// Tickets taken for the stalled-printer figure.
    #[arg(long, default_value_t = 200)]
    printer_tickets: usize,
    /// Only the hall audio under load: the demo hall, one call every
    /// `--audio-every-s` for `--audio-minutes` simulated minutes, played
    /// through real rodio into an ALSA file sink.
    #[arg(long)]
    only_audio_load: bool,
    /// Simulated seconds between two calls for `--only-audio-load`.
    #[arg(long, default_value_t = 4.0)]
    audio_every_s: f64,
    /// Simulated minutes of calls for `--only-audio-load`.
    #[arg(long, default_value_t = 10.0)]
    audio_minutes: f64,
    /// Another config for `--only-audio-load` than the demo hall's.
    #[arg(long)]
    audio_config: Option<PathBuf>,
}

/// The daemon under test; killed on drop.
struct Daemon {
    child: tokio::process::Child,
    pid: u32,
    url: String,
    token: String,
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.child.start_kill();
    }
}

impl Daemon {
    fn rss_kib(&self) -> anyhow::Result<u64> {
        rss_kib(self.pid)
    }
}

/// Resident set size of a process, from /proc.
pub fn rss_kib(pid: u32) -> anyhow::Result<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))
        .context("reading /proc (Linux only)")?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .context("no VmRSS in /proc status")
}

/// How a bench hall differs from a plain one.
#[derive(Debug, Default)]
struct HallOptions {
    /// Announcements on (thousands of calls are not to be heard otherwise).
    audio: bool,
    /// The ALSA config the daemon plays through (a file sink), if any.
    alsa_conf: Option<PathBuf>,
    /// A printer for kiosk-1 at this URI (a fake printer on 127.0.0.1).
    kiosk_printer: Option<String>,
    /// The demo hall's config instead of the example's.
    demo: bool,
    /// Another voice pack than the config's (relative to the repository root).
    pack: Option<PathBuf>,
}

/// The demo hall's config, as `qcall serve --config config/demo.toml` reads it.
const DEMO: &str = include_str!("../../../../config/demo.toml");

/// Writes a bench hall: the example (or demo) config without rate limit or
/// caps, with audio only when asked. Every printer is local: a file in
/// `dir`, or the fake printer `options.kiosk_printer` names.
fn bench_config(dir: &Path, options: &HallOptions) -> anyhow::Result<(PathBuf, PathBuf)> {
    let mut config = Config::parse(if options.demo { DEMO } else { EXAMPLE })?;
    let name = match (options.audio, options.kiosk_printer.is_some()) {
        (true, _) => "bench-audio",
        (false, true) => "bench-printer",
        (false, false) => "bench",
    };
    let db = dir.join(format!("{name}.db"));
    config.audio.enabled = options.audio;
    config.audio.repeat = 1;
    config.audio.quiet_hours.clear();
    if let Some(pack) = &options.pack {
        config.audio.pack = pack.clone();
    }
    if options.audio && !config.audio.pack.exists() {
        bail!(
            "no voice pack at {}: run the benchmark from the repository root",
            config.audio.pack.display()
        );
    }
    config.server.kiosk_rate_per_minute = 0;
    // Every bench client (a thousand displays, 64 kiosks) comes from
    // loopback: the per-address cap is for a hall's network, not for this.
    config.server.max_connections_per_ip = 0;
    config.hours.enforce = false;
    config.server.db = db.clone();
    // A benchmark sends traffic to this machine only: the example's
    // printers (a LAN address, a USB device) print into files here instead.
    for p in &mut config.printers {
        p.uri = format!("file://{}/{}.escpos", dir.display(), p.id);
    }
    if let Some(uri) = &options.kiosk_printer {
        let kiosk = config
            .printers
            .iter_mut()
            .find(|p| p.kiosks.iter().any(|k| k == "kiosk-1"))
            .context("the bench hall has no printer for kiosk-1")?;
        kiosk.uri = uri.clone();
        kiosk.status_query = true;
    }
    config.server.listen = "127.0.0.1:0".into();
    for s in &mut config.services {
        s.daily_cap = 0;
        s.slot_cap = 0;
    }
    let path = dir.join(format!("{name}.toml"));
    std::fs::write(&path, toml::to_string(&config)?)?;
    Ok((path, db))
}

/// Starts the daemon on a bench hall made with `options`.
async fn start_daemon(dir: &Path, options: &HallOptions) -> anyhow::Result<Daemon> {
    let (config_path, db) = bench_config(dir, options)?;
    let config = Config::load(&config_path)?;
    let counter = config
        .counters
        .first()
        .context("the bench hall has no counter")?
        .id
        .clone();
    let token = format!("bench-{}", std::process::id());
    Store::open(&db)?.add_token(&token_hash(&token), Role::Counter, &counter, 0)?;
    let exe = std::env::current_exe()?;
    let mut command = tokio::process::Command::new(exe);
    if let Some(conf) = &options.alsa_conf {
        command.env("ALSA_CONFIG_PATH", conf);
    }
    let mut child = command
        .args(["serve", "--config"])
        .arg(&config_path)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .kill_on_drop(true)
        .spawn()
        .context("cannot start the daemon")?;
    let pid = child.id().context("daemon exited at once")?;
    let stdout = child.stdout.take().context("no stdout")?;
    let mut lines = BufReader::new(stdout).lines();
    let line = tokio::time::timeout(Duration::from_secs(30), lines.next_line())
        .await
        .context("the daemon did not start within 30 s")??
        .context("the daemon exited before listening")?;
    let url = line
        .rsplit(' ')
        .next()
        .context("unexpected start line")?
        .to_owned();
    Ok(Daemon {
        child,
        pid,
        url,
        token,
    })
}

fn median(mut v: Vec<f64>) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn pct(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil().max(1.0) as usize;
    sorted[rank.min(sorted.len()) - 1]
}

/// One-row durable transactions per second on a fresh file.
fn raw_sqlite(dir: &Path, seconds: f64) -> anyhow::Result<f64> {
    let path = dir.join(format!("raw-{}.db", Instant::now().elapsed().as_nanos()));
    let conn = rusqlite::Connection::open(&path)?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.execute_batch(
        "CREATE TABLE t (id INTEGER PRIMARY KEY, service TEXT, number TEXT, at INTEGER)",
    )?;
    let start = Instant::now();
    let mut n = 0u64;
    while start.elapsed().as_secs_f64() < seconds {
        conn.execute(
            "INSERT INTO t (service, number, at) VALUES ('A', 'A001', ?1)",
            [n as i64],
        )?;
        n += 1;
    }
    let rate = n as f64 / start.elapsed().as_secs_f64();
    drop(conn);
    let _ = std::fs::remove_file(&path);
    Ok(rate)
}

struct Throughput {
    rate: f64,
    p50_ms: f64,
    p99_ms: f64,
}

async fn issue_load(url: &str, clients: usize, seconds: f64) -> anyhow::Result<Throughput> {
    let mut conns = Vec::with_capacity(clients);
    for _ in 0..clients {
        conns.push(Conn::connect(url).await?);
    }
    let start = Instant::now();
    let deadline = start + Duration::from_secs_f64(seconds);
    let mut tasks = Vec::with_capacity(clients);
    for mut conn in conns {
        tasks.push(tokio::spawn(async move {
            let body = json!({"service": "A"});
            let mut lat = Vec::new();
            while Instant::now() < deadline {
                let t0 = Instant::now();
                let resp = conn.post("/api/v1/tickets", None, &body).await?;
                if resp.status != StatusCode::CREATED {
                    bail!("ticket refused: {} {}", resp.status, resp.error_message());
                }
                lat.push(t0.elapsed().as_secs_f64() * 1000.0);
            }
            Ok(lat)
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await??);
    }
    let elapsed = start.elapsed().as_secs_f64();
    all.sort_by(f64::total_cmp);
    Ok(Throughput {
        rate: all.len() as f64 / elapsed,
        p50_ms: pct(&all, 50.0),
        p99_ms: pct(&all, 99.0),
    })
}

struct FanOut {
    last_p50_ms: f64,
    last_p99_ms: f64,
    last_max_ms: f64,
    missed: usize,
}

/// The seq of a `ticket_called` frame, read without parsing the JSON.
fn called_seq(text: &str) -> Option<u64> {
    let rest = text.strip_prefix("{\"type\":\"ticket_called\",\"seq\":")?;
    rest[..rest.find(|c: char| !c.is_ascii_digit())?]
        .parse()
        .ok()
}

async fn fan_out(d: &Daemon, displays: usize, calls: usize) -> anyhow::Result<FanOut> {
    let ws_url = format!("{}/ws/display", d.url.replacen("http://", "ws://", 1));
    let (tx, mut rx) = mpsc::unbounded_channel::<(u64, Instant)>();
    let (ready_tx, mut ready_rx) = mpsc::unbounded_channel::<()>();
    let mut clients = Vec::with_capacity(displays);
    for _ in 0..displays {
        let (socket, _) = tokio_tungstenite::connect_async(ws_url.as_str())
            .await
            .context("display connect")?;
        let (tx, ready_tx) = (tx.clone(), ready_tx.clone());
        clients.push(tokio::spawn(async move {
            let (_sink, mut stream) = socket.split();
            while let Some(Ok(msg)) = stream.next().await {
                if let Message::Text(text) = msg {
                    if text.starts_with("{\"type\":\"snapshot\"") {
                        let _ = ready_tx.send(());
                    } else if let Some(seq) = called_seq(&text) {
                        let _ = tx.send((seq, Instant::now()));
                    }
                }
            }
            drop(_sink);
        }));
    }
    for _ in 0..displays {
        ready_rx
            .recv()
            .await
            .context("a display closed before its snapshot")?;
    }
    let mut http = Conn::connect(&d.url).await?;
    let mut last = Vec::with_capacity(calls);
    let mut missed = 0;
    // The reply's seq is the command's last event; its ticket_called is the
    // only call frame after the previous reply's seq and at most this one.
    let mut previous = 0u64;
    for _ in 0..calls {
        let resp = http
            .post("/api/v1/tickets", None, &json!({"service": "A"}))
            .await?;
        if resp.status != StatusCode::CREATED {
            bail!("ticket refused: {}", resp.error_message());
        }
        let t0 = Instant::now();
        let path = "/api/v1/counters/1/call-next";
        let resp = http.post(path, Some(&d.token), &json!({})).await?;
        let seq = resp.body["seq"]
            .as_u64()
            .context("call-next answered without seq")?;
        let mut got = 0;
        let mut slowest = 0.0f64;
        while got < displays {
            match tokio::time::timeout(Duration::from_secs(5), rx.recv()).await {
                Ok(Some((s, at))) => {
                    if s > previous && s <= seq {
                        got += 1;
                        slowest = slowest.max(at.duration_since(t0).as_secs_f64() * 1000.0);
                    }
                }
                _ => {
                    missed += displays - got;
                    break;
                }
            }
        }
        previous = seq;
        last.push(slowest);
    }
    for c in clients {
        c.abort();
    }
    last.sort_by(f64::total_cmp);
    Ok(FanOut {
        last_p50_ms: pct(&last, 50.0),
        last_p99_ms: pct(&last, 99.0),
        last_max_ms: last.last().copied().unwrap_or(f64::NAN),
        missed,
    })
}

/// An ALSA config whose default device writes raw samples to a file over a
/// null sink: real rodio/cpal/ALSA output, no sound card, no real-time pacing.
fn alsa_file_sink(dir: &Path) -> anyhow::Result<PathBuf> {
    let conf = dir.join("asound.conf");
    std::fs::write(
        &conf,
        format!(
            "pcm.!default {{ type plug; slave {{ pcm \"capturefile\"; format S16_LE; rate 48000; channels 2 }} }}\n\
             pcm.capturefile {{ type file; slave.pcm {{ type null }}; file \"{}\"; format \"raw\" }}\n",
            dir.join("bench-audio.raw").display()
        ),
    )?;
    Ok(conf)
}

/// Hall audio latency per call: from just before call-next is sent to the
/// instant the output pulled the announcement's first sample (the daemon
/// reports it, as wall-clock µs, in its `audio_state` notice). Calls go one
/// at a time, each after the previous announcement ended: latency, not
/// queueing. Returns (call → first sample, enqueue → first sample) in ms.
async fn audio_latency(d: &Daemon, calls: usize) -> anyhow::Result<(Vec<f64>, Vec<f64>)> {
    let ws_url = format!("{}/ws/display", d.url.replacen("http://", "ws://", 1));
    let (mut socket, _) = tokio_tungstenite::connect_async(ws_url.as_str()).await?;
    let mut next_state = async || -> anyhow::Result<serde_json::Value> {
        loop {
            let msg = tokio::time::timeout(Duration::from_secs(30), socket.next())
                .await
                .context("no audio_state within 30 s")?
                .context("display closed")??;
            if let Message::Text(text) = msg
                && text.contains("\"audio_state\"")
            {
                let v: serde_json::Value = serde_json::from_str(&text)?;
                if v["type"] == "audio_state" {
                    return Ok(v);
                }
            }
        }
    };
    let mut http = Conn::connect(&d.url).await?;
    let (mut total, mut inside) = (Vec::new(), Vec::new());
    for k in 1..=calls as u64 {
        let resp = http
            .post("/api/v1/tickets", None, &json!({"service": "A"}))
            .await?;
        if resp.status != StatusCode::CREATED {
            bail!("ticket refused: {}", resp.error_message());
        }
        let t0 = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH)?;
        let resp = http
            .post("/api/v1/counters/1/call-next", Some(&d.token), &json!({}))
            .await?;
        if resp.status != StatusCode::OK {
            bail!("call-next refused: {}", resp.error_message());
        }
        let state = loop {
            let s = next_state().await?;
            if s["dropped"].as_u64().unwrap_or(0) > 0 {
                bail!("the daemon dropped an announcement: {s}");
            }
            if s["played"].as_u64() == Some(k) {
                break s;
            }
        };
        let first = state["last_first_sample_unix_us"]
            .as_u64()
            .context("no first-sample time in audio_state")?;
        total.push((first as f64 - t0.as_micros() as f64) / 1000.0);
        inside.push(state["last_latency_ms"].as_f64().unwrap_or(f64::NAN));
    }
    Ok((total, inside))
}

/// Daemon memory per idle display: connect `n` displays to the fresh
/// daemon, wait for their snapshots, compare RSS. Done before any load so
/// the allocator has no freed memory to hand back out.
async fn idle_memory(d: &Daemon, n: usize) -> anyhow::Result<f64> {
    let ws_url = format!("{}/ws/display", d.url.replacen("http://", "ws://", 1));
    let before = d.rss_kib()?;
    let mut sockets = Vec::with_capacity(n);
    for _ in 0..n {
        let (mut socket, _) = tokio_tungstenite::connect_async(ws_url.as_str())
            .await
            .context("display connect")?;
        // The snapshot proves the server side is fully set up.
        socket.next().await.context("no snapshot")??;
        sockets.push(socket);
    }
    let after = d.rss_kib()?;
    drop(sockets);
    Ok(after.saturating_sub(before) as f64 / n as f64)
}

fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines().find_map(|l| {
                l.strip_prefix("model name")
                    .map(|m| m.trim_start_matches([' ', '\t', ':']).to_owned())
            })
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    format!("{cores} cores, {cpu}")
}

pub async fn run(mut args: BenchArgs) -> anyhow::Result<()> {
    if args.quick {
        args.runs = 1;
        args.seconds = 1.0;
        args.calls = 15;
    }
    let runs = args.runs.max(1);
    let dir = tempfile_dir()?;
    println!(
        "qcall bench: {} | runs {runs} (medians) | {} s load per run",
        machine(),
        args.seconds
    );
    if cfg!(debug_assertions) {
        println!(
            "WARNING: this is a debug build; use `cargo run --release -- bench` for real figures"
        );
    }
    if args.only_estimate {
        return estimate::bench_estimate(runs);
    }
    if args.only_audio_load {
        audio_load::run(
            args.audio_config.as_deref(),
            args.audio_every_s,
            args.audio_minutes,
            &dir,
        )?;
        let _ = std::fs::remove_dir_all(&dir);
        return Ok(());
    }
    if args.only_stalled_printer {
        printer::bench_stalled_printer(&args, &dir).await?;
        let _ = std::fs::remove_dir_all(&dir);
        return Ok(());
    }
    if args.only_audio {
        bench_audio(&args, &dir).await?;
        let _ = std::fs::remove_dir_all(&dir);
        return Ok(());
    }
    let daemon = start_daemon(&dir, &HallOptions::default()).await?;
    println!(
        "daemon pid {} at {}; idle RSS {} KiB",
        daemon.pid,
        daemon.url,
        daemon.rss_kib()?
    );
    let idle = args.displays.iter().copied().max().unwrap_or(1000).max(1);
    let per_display = idle_memory(&daemon, idle).await?;
    println!("daemon memory per idle display ({idle} connected): {per_display:.1} KiB");

    println!("\n== durable ticket issue (POST /api/v1/tickets) ==");
    let raw: Vec<f64> = (0..runs)
        .map(|_| raw_sqlite(&dir, args.seconds / 2.0))
        .collect::<Result<_, _>>()?;
    let raw = median(raw);
    println!("raw SQLite, one row per transaction (WAL, synchronous=FULL): {raw:.0} commits/s");
    println!(
        "{:>8} {:>12} {:>9} {:>9} {:>12}",
        "clients", "tickets/s", "p50 ms", "p99 ms", "x raw limit"
    );
    for &c in &args.clients {
        let mut results = Vec::new();
        for _ in 0..runs {
            results.push(issue_load(&daemon.url, c, args.seconds).await?);
        }
        let rate = median(results.iter().map(|r| r.rate).collect());
        let p50 = median(results.iter().map(|r| r.p50_ms).collect());
        let p99 = median(results.iter().map(|r| r.p99_ms).collect());
        println!(
            "{c:>8} {rate:>12.0} {p50:>9.3} {p99:>9.3} {:>12.2}",
            rate / raw
        );
    }

    println!("\n== call-next -> every /ws/display client ==");
    println!(
        "{:>8} {:>14} {:>14} {:>14} {:>8}",
        "displays", "last p50 ms", "last p99 ms", "last max ms", "missed"
    );
    for &n in &args.displays {
        let mut results = Vec::new();
        for _ in 0..runs {
            results.push(fan_out(&daemon, n, args.calls).await?);
        }
        println!(
            "{n:>8} {:>14.2} {:>14.2} {:>14.2} {:>8}",
            median(results.iter().map(|r| r.last_p50_ms).collect()),
            median(results.iter().map(|r| r.last_p99_ms).collect()),
            median(results.iter().map(|r| r.last_max_ms).collect()),
            results.iter().map(|r| r.missed).sum::<usize>(),
        );
    }
    println!("\ndaemon RSS at the end: {} KiB", daemon.rss_kib()?);
    drop(daemon);
    estimate::bench_estimate(runs)?;
    bench_audio(&args, &dir).await?;
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

async fn bench_audio(args: &BenchArgs, dir: &Path) -> anyhow::Result<()> {
    if args.audio_calls == 0 {
        return Ok(());
    }
    let sink = if args.audio_real_device {
        None
    } else {
        Some(alsa_file_sink(dir)?)
    };
    let output = if sink.is_some() {
        "ALSA file plugin over a null sink"
    } else {
        "the default sound device"
    };
    println!("\n== hall audio: call-next sent -> first sample to the output ({output}) ==");
    let options = HallOptions {
        audio: true,
        alsa_conf: sink,
        ..HallOptions::default()
    };
    let daemon = start_daemon(dir, &options).await?;
    let (mut total, mut inside) = audio_latency(&daemon, args.audio_calls).await?;
    total.sort_by(f64::total_cmp);
    inside.sort_by(f64::total_cmp);
    println!(
        "{} calls: call -> first sample p50 {:.1} ms, p90 {:.1} ms, max {:.1} ms (target <= 150 ms)",
        total.len(),
        pct(&total, 50.0),
        pct(&total, 90.0),
        total.last().copied().unwrap_or(f64::NAN)
    );
    println!(
        "  of which queued in the speaker -> first sample (device open, render, mixer): p50 {:.1} ms",
        pct(&inside, 50.0)
    );
    Ok(())
}

fn tempfile_dir() -> anyhow::Result<PathBuf> {
    let dir = std::env::temp_dir().join(format!("qcall-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn called_frames_are_recognised_without_parsing() {
        assert_eq!(
            called_seq(r#"{"type":"ticket_called","seq":42,"at":"x"}"#),
            Some(42)
        );
        assert_eq!(called_seq(r#"{"type":"ticket_issued","seq":42}"#), None);
    }

    /// A printer URI that reaches only this machine: a file, or TCP to a
    /// loopback IP literal.
    fn is_local(uri: &str) -> bool {
        if uri.starts_with("file://") {
            return true;
        }
        uri.strip_prefix("tcp://")
            .and_then(|rest| rest.parse::<std::net::SocketAddr>().ok())
            .is_some_and(|a| a.ip().is_loopback())
    }

    fn pack() -> Option<PathBuf> {
        Some(concat!(env!("CARGO_MANIFEST_DIR"), "/../../assets/voice/default").into())
    }

    #[test]
    fn every_bench_hall_prints_only_on_this_machine_and_listens_on_loopback() {
        let dir = tempfile_dir().unwrap().join("config-test");
        std::fs::create_dir_all(&dir).unwrap();
        assert!(!is_local("tcp://192.168.1.50:9100") && !is_local("usb:///dev/usb/lp0"));
        assert!(is_local("tcp://127.0.0.1:9100"));
        let halls = [
            HallOptions::default(),
            HallOptions {
                audio: true,
                pack: pack(),
                ..HallOptions::default()
            },
            HallOptions {
                kiosk_printer: Some("tcp://127.0.0.1:9".into()),
                ..HallOptions::default()
            },
            HallOptions {
                audio: true,
                demo: true,
                pack: pack(),
                ..HallOptions::default()
            },
        ];
        for options in &halls {
            let (path, _) = bench_config(&dir, options).unwrap();
            let config = Config::load(&path).unwrap();
            assert!(
                !config.printers.is_empty(),
                "{options:?}: the hall has printers"
            );
            for p in &config.printers {
                assert!(is_local(&p.uri), "{options:?}: {}: {}", p.id, p.uri);
            }
            assert!(config.server.listen.starts_with("127.0.0.1:"));
            // A thousand displays from one address must not meet the per-address cap.
            assert_eq!(config.server.max_connections_per_ip, 0);
            assert!(config.notify.webhook.is_empty(), "no gateway to text");
        }
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn percentiles_and_medians() {
        assert_eq!(median(vec![3.0, 1.0, 2.0]), 2.0);
        assert_eq!(pct(&[1.0, 2.0, 3.0, 4.0], 50.0), 2.0);
        assert_eq!(pct(&[1.0, 2.0, 3.0, 4.0], 99.0), 4.0);
    }
}
