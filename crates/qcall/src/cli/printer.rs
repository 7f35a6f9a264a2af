//! `qcall print-test` and `qcall ticket preview`: a slip on a real printer,
//! or as text in the terminal.
//!
//! Both lay the slip out with the daemon's own builder
//! ([`crate::printing::ticket_slip`]) from the hall's config, so a preview
//! shows what the daemon prints: the same class label, the same "另有 N 项"
//! line for materials past `[print] materials_on_ticket`, the same time
//! format. Only the ticket comes from elsewhere: a sample issued on a fresh
//! state, or the server's ticket. Layout and ESC/POS are `qcall-printer`'s.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use clap::Args;
use qcall_core::{Event, Hall, HallState, Recorded, TicketId};
use qcall_engine::TicketView;
use serde_json::Value;

use super::{Failure, ServerArg, now_ms, refused, unreachable};
use crate::client::Conn;
use crate::config::{Config, EXAMPLE};

#[derive(Debug, Args)]
pub(super) struct PrintTestArgs {
    /// The hall's config file.
    #[arg(long, short)]
    config: PathBuf,
    /// A printer id from the config, or a printer URI such as tcp://192.168.1.50:9100.
    #[arg(long)]
    printer: Option<String>,
    /// Paper width for a printer given by URI.
    #[arg(long, default_value_t = 80)]
    width: u32,
}

#[derive(Debug, Args)]
pub(super) struct PreviewArgs {
    #[command(flatten)]
    server: ServerArg,
    /// Ticket id (from the server).
    #[arg(required_unless_present = "sample", requires = "config")]
    id: Option<String>,
    /// A sample ticket instead (with --config: of that hall).
    #[arg(long, conflicts_with = "id")]
    sample: bool,
    /// The hall's config file: the daemon's, for a ticket from the server
    /// (its hall, hotline and [print] settings lay out the slip); optional
    /// with --sample.
    #[arg(long, short)]
    config: Option<PathBuf>,
    /// Paper width: 58 or 80.
    #[arg(long, default_value_t = 80)]
    width: u32,
}

/// A sample ticket of `hall`: its first service, a few ahead.
fn sample_ticket(hall: &Hall) -> TicketView {
    let day = qcall_core::time::business_day(now_ms(), &hall.tz);
    // A sample is taken at any hour, whatever the hall's hours say.
    let hall = hall
        .clone()
        .with_schedule(qcall_core::hours::Schedule::always(), false);
    let mut state = HallState::new(Arc::new(hall.clone()), day, 0, 1);
    let service = hall.services[0].code.clone();
    let cmd = qcall_core::Command::Issue {
        service,
        class: None,
        source: None,
    };
    let mut view = None;
    for _ in 0..12 {
        let d = state
            .decide(&cmd, now_ms())
            .expect("a sample ticket of a valid hall");
        let rec = Recorded {
            seq: state.last_seq() + 1,
            at: now_ms(),
            event: d.events[0].clone(),
        };
        state.apply(&rec).expect("decided events apply");
        view = d.subject;
    }
    let mut v = TicketView::of(&state, view.expect("issued")).expect("issued");
    v.estimated_wait_s = 15 * 60;
    v.estimated_wait_range_s = (12 * 60, 19 * 60);
    v
}

/// The server's ticket (its API JSON) as the daemon holds it: the ticket is
/// rebuilt by applying its issue to a fresh state, the way the core builds
/// every ticket, and the server's own queue figures are kept.
fn server_ticket(hall: &Hall, t: &Value) -> anyhow::Result<TicketView> {
    let text = |key: &str| {
        t[key]
            .as_str()
            .map(str::to_owned)
            .with_context(|| format!("the server's ticket has no `{key}`"))
    };
    let id = TicketId(t["id"].as_i64().context("the server's ticket has no id")?);
    let service = text("service")?;
    if hall.service(&service).is_none() {
        anyhow::bail!(
            "the hall in --config has no service `{service}`: pass the config the daemon runs with"
        );
    }
    let issued_at: jiff::Timestamp = text("issued_at")?
        .parse()
        .context("the server's `issued_at` is not an RFC 3339 time")?;
    let at = issued_at.as_millisecond();
    let day = qcall_core::time::business_day(at, &hall.tz);
    let mut state = HallState::new(Arc::new(hall.clone()), day, 0, id.0);
    let issued = Recorded {
        seq: 1,
        at,
        event: Event::TicketIssued {
            ticket: id,
            service,
            class: text("priority")?,
            // Not on the wire and not on the slip.
            seq_no: 0,
            number: text("number")?,
            source: t["source"].as_str().map(str::to_owned),
        },
    };
    state
        .apply(&issued)
        .context("cannot rebuild the server's ticket")?;
    let mut view = TicketView::of(&state, id).context("the rebuilt ticket is missing")?;
    view.ahead = t["ahead"].as_u64().unwrap_or(0) as u32;
    view.estimated_wait_s = t["estimated_wait_s"].as_u64().unwrap_or(0) as u32;
    let range = |i: usize| t["estimated_wait_range_s"][i].as_u64().map(|s| s as u32);
    view.estimated_wait_range_s = (
        range(0).unwrap_or(view.estimated_wait_s),
        range(1).unwrap_or(view.estimated_wait_s),
    );
    Ok(view)
}

fn paper(width: u32) -> anyhow::Result<qcall_printer::PaperWidth> {
    qcall_printer::PaperWidth::from_mm(width)
        .with_context(|| format!("--width {width}: use 58 or 80"))
}

pub(super) async fn preview(args: PreviewArgs) -> Result<(), Failure> {
    // clap lets exactly one of `id` and `sample` through.
    let PreviewArgs {
        server,
        id,
        sample: _,
        config,
        width,
    } = args;
    let width = paper(width)?;
    let config = match &config {
        Some(path) => Config::load(path)?,
        None => Config::parse(EXAMPLE)?,
    };
    let hall = config.hall()?;
    let (view, url) = match id {
        None => {
            let view = sample_ticket(&hall);
            let url = format!("http://{}/t/{}", config.server.listen, view.ticket.id);
            (view, url)
        }
        Some(id) => {
            let mut conn = Conn::connect(&server.server).await.map_err(unreachable)?;
            let resp = conn
                .get(&format!("/api/v1/tickets/{id}"))
                .await
                .map_err(unreachable)?;
            if !resp.status.is_success() {
                return Err(refused(&resp));
            }
            let services = conn.get("/api/v1/services").await.map_err(unreachable)?;
            if !services.status.is_success() {
                return Err(refused(&services));
            }
            let served = services.body["hall"]["zh"].as_str().unwrap_or_default();
            if served != hall.name.zh {
                return Err(anyhow::anyhow!(
                    "the server is {served:?} but --config is {:?}: pass the config the daemon runs with",
                    hall.name.zh
                )
                .into());
            }
            let t = &resp.body["ticket"];
            let view = server_ticket(&hall, t)?;
            let url = t["status_url"].as_str().unwrap_or_default().to_owned();
            (view, url)
        }
    };
    let slip = crate::printing::ticket_slip(
        &hall,
        &config.hall.hotline,
        &view,
        &url,
        false,
        config.print.materials_on_ticket,
    );
    println!(
        "{}",
        qcall_printer::preview(&qcall_printer::ticket_doc(&slip, width))
    );
    Ok(())
}

pub(super) async fn print_test(args: PrintTestArgs) -> Result<(), Failure> {
    let config = Config::load(&args.config)?;
    let hall = config.hall()?;
    let mut targets = config.printer_settings()?;
    if let Some(p) = &args.printer {
        targets.retain(|s| &s.id == p);
        if targets.is_empty() {
            let uri: qcall_printer::PrinterUri = p.parse().map_err(anyhow::Error::from)?;
            targets.push(qcall_printer::PrinterSettings {
                id: p.clone(),
                status_query: uri.two_way(),
                uri,
                width: paper(args.width)?,
                qr: qcall_printer::QrMode::Native,
                timeout: std::time::Duration::from_secs(3),
            });
        }
    }
    if targets.is_empty() {
        return Err(anyhow::anyhow!(
            "{} configures no [[printers]]; pass --printer URI",
            args.config.display()
        )
        .into());
    }
    let view = sample_ticket(&hall);
    let mut failures = 0;
    for s in targets {
        let url = format!("http://{}/t/{}", config.server.listen, view.ticket.id);
        let slip = crate::printing::ticket_slip(
            &hall,
            &config.hall.hotline,
            &view,
            &url,
            false,
            config.print.materials_on_ticket,
        );
        let bytes = qcall_printer::encode(&qcall_printer::ticket_doc(&slip, s.width), s.qr)
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        let job = tokio::task::spawn_blocking(move || {
            let r = qcall_printer::transport::print_job(&s.uri, &bytes, s.timeout, s.status_query);
            (s, r)
        });
        let (s, result) = job.await.map_err(anyhow::Error::from)?;
        match result {
            Ok(status) => {
                let paper = status.map_or("status not asked", |st| match st.paper {
                    qcall_printer::status::Paper::Ok => "paper ok",
                    qcall_printer::status::Paper::NearEnd => "paper nearly out",
                    qcall_printer::status::Paper::Out => "paper out",
                });
                println!("{}: printed a sample ticket on {} ({paper})", s.id, s.uri);
            }
            Err(e) => {
                failures += 1;
                println!("{}: FAILED: {e}", s.id);
            }
        }
    }
    if failures > 0 {
        return Err(Failure {
            code: 4,
            error: anyhow::anyhow!("{failures} printer(s) did not print"),
        });
    }
    Ok(())
}
