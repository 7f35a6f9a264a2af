//! `qcall bench --only-stalled-printer`: kiosk tickets while the kiosk's
//! printer accepts the connection and never answers. The reply must not
//! wait for paper: the slip is queued and its result follows on the stream.

use std::path::Path;
use std::time::Instant;

use anyhow::bail;
use hyper::StatusCode;
use serde_json::json;

use super::{BenchArgs, HallOptions, median, pct, start_daemon};
use crate::client::Conn;
use crate::config::{Config, EXAMPLE};

/// A printer on 127.0.0.1 that accepts every connection, reads what it is
/// sent and never answers (a printer hung in its firmware). Ends with the
/// returned task.
async fn stalled_printer() -> anyhow::Result<(String, tokio::task::JoinHandle<()>)> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let uri = format!("tcp://{}", listener.local_addr()?);
    let task = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            // Read and drop, so the daemon's writes never block on a full
            // buffer: it waits for an answer that never comes.
            held.push(tokio::spawn(async move {
                let mut socket = socket;
                let mut buf = [0u8; 4096];
                while let Ok(n) = tokio::io::AsyncReadExt::read(&mut socket, &mut buf).await {
                    if n == 0 {
                        break;
                    }
                }
            }));
        }
    });
    Ok((uri, task))
}

/// Kiosk tickets (`source: kiosk-1`) while kiosk-1's printer accepts and
/// never answers: each reply's latency, one kiosk at a time, the way a
/// kiosk takes them. The first tickets find the printer not yet known to
/// be down (queued on it); after its timeout it is skipped at once.
pub(super) async fn bench_stalled_printer(args: &BenchArgs, dir: &Path) -> anyhow::Result<()> {
    let (uri, printer) = stalled_printer().await?;
    println!(
        "\n== kiosk ticket with a printer that accepts and never answers ({uri}, timeout {} ms) ==",
        Config::parse(EXAMPLE)?
            .printers
            .iter()
            .find(|p| p.kiosks.iter().any(|k| k == "kiosk-1"))
            .map_or(0, |p| p.timeout_ms)
    );
    let options = HallOptions {
        kiosk_printer: Some(uri),
        ..HallOptions::default()
    };
    let runs = args.runs.max(1);
    let (mut p50s, mut p99s, mut maxes) = (Vec::new(), Vec::new(), Vec::new());
    let (mut queued, mut failed) = (0usize, 0usize);
    for run in 0..runs {
        let run_dir = dir.join(format!("stalled-{run}"));
        std::fs::create_dir_all(&run_dir)?;
        let daemon = start_daemon(&run_dir, &options).await?;
        let mut http = Conn::connect(&daemon.url).await?;
        let mut lat = Vec::with_capacity(args.printer_tickets);
        let body = json!({"service": "A", "source": "kiosk-1"});
        for _ in 0..args.printer_tickets {
            let t0 = Instant::now();
            let resp = http.post("/api/v1/tickets", None, &body).await?;
            lat.push(t0.elapsed().as_secs_f64() * 1000.0);
            if resp.status != StatusCode::CREATED {
                bail!("ticket refused: {} {}", resp.status, resp.error_message());
            }
            match resp.body["print"].as_str() {
                Some("queued") => queued += 1,
                Some("failed") => failed += 1,
                other => bail!("kiosk-1's ticket was not sent to its printer: {other:?}"),
            }
        }
        lat.sort_by(f64::total_cmp);
        p50s.push(pct(&lat, 50.0));
        p99s.push(pct(&lat, 99.0));
        maxes.push(lat.last().copied().unwrap_or(f64::NAN));
        drop(daemon);
    }
    printer.abort();
    println!(
        "{} tickets x {runs} runs: POST /api/v1/tickets p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms (target p99 <= 100 ms)",
        args.printer_tickets,
        median(p50s),
        median(p99s),
        median(maxes)
    );
    println!(
        "  replies: {queued} queued on the printer (result on the stream), {failed} failed at once (printer known down or its queue full)"
    );
    Ok(())
}
