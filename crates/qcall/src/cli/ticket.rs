//! `qcall ticket`: take a ticket, show one, and preview a slip (the
//! preview itself is in [`super::printer`], next to `print-test`).
//!
//! Everything here goes through the daemon's HTTP API as a kiosk or a
//! guide would; the server decides, this file only prints its answer.

use clap::Subcommand;
use hyper::StatusCode;
use serde_json::{Value, json};

use super::printer::PreviewArgs;
use super::{Failure, ServerArg, print_json, refused, unreachable};
use crate::client::Conn;

#[derive(Debug, Subcommand)]
pub(super) enum TicketCmd {
    /// Take a ticket for a service.
    Take {
        #[command(flatten)]
        server: ServerArg,
        /// Service code, e.g. A.
        service: String,
        /// Priority class, e.g. elderly (default: the hall's normal class).
        #[arg(long)]
        priority: Option<String>,
        /// Kiosk id recorded with the ticket.
        #[arg(long)]
        source: Option<String>,
        /// A guide or supervisor token, to issue on someone's behalf.
        #[arg(long, env = "QCALL_TOKEN", hide_env_values = true)]
        token: Option<String>,
    },
    /// Show a ticket by id.
    Show {
        #[command(flatten)]
        server: ServerArg,
        id: String,
    },
    /// Show a ticket slip as text, as it would print: a ticket from the
    /// server by id, or a sample.
    Preview(PreviewArgs),
}

/// A ticket of the API in one or two lines.
pub(super) fn describe_ticket(t: &Value) -> String {
    let mut line = format!(
        "{}  {} {}  [{}]",
        t["number"].as_str().unwrap_or("?"),
        t["service_name"]["zh"].as_str().unwrap_or(""),
        t["service_name"]["en"].as_str().unwrap_or(""),
        t["state"].as_str().unwrap_or("?"),
    );
    if t["state"] == "waiting" {
        let wait = t["estimated_wait_text"]["en"].as_str().unwrap_or("?");
        line += &format!("  {} ahead, wait {wait}", t["ahead"]);
    }
    if let Some(n) = t["counter"]["number"].as_u64() {
        line += &format!("  -> counter {n}");
    }
    line += &format!(
        "\n  id {}  status {}",
        t["id"],
        t["status_url"].as_str().unwrap_or("")
    );
    line
}

pub(super) async fn ticket(cmd: TicketCmd) -> Result<(), Failure> {
    match cmd {
        TicketCmd::Take {
            server,
            service,
            priority,
            source,
            token,
        } => {
            let mut conn = Conn::connect(&server.server).await.map_err(unreachable)?;
            let body = json!({ "service": service, "priority": priority, "source": source.or(Some("cli".into())) });
            let resp = conn
                .post("/api/v1/tickets", token.as_deref(), &body)
                .await
                .map_err(unreachable)?;
            if resp.status != StatusCode::CREATED {
                return Err(refused(&resp));
            }
            if server.json {
                print_json(&resp.body);
                return Ok(());
            }
            println!("{}", describe_ticket(&resp.body["ticket"]));
            match resp.body["print"].as_str() {
                Some("printed") => {
                    println!(
                        "  printed on {}",
                        resp.body["printer"].as_str().unwrap_or("?")
                    )
                }
                Some("queued") => println!(
                    "  sent to printer {} (`qcall status` or GET /api/v1/printers shows how it went)",
                    resp.body["printer"].as_str().unwrap_or("?")
                ),
                Some("failed") => println!(
                    "  NOT printed (the ticket stands; reprint it later): {}",
                    resp.body["print_reason"].as_str().unwrap_or("?")
                ),
                _ => {}
            }
            Ok(())
        }
        TicketCmd::Preview(args) => super::printer::preview(args).await,
        TicketCmd::Show { server, id } => {
            let mut conn = Conn::connect(&server.server).await.map_err(unreachable)?;
            let resp = conn
                .get(&format!("/api/v1/tickets/{id}"))
                .await
                .map_err(unreachable)?;
            if !resp.status.is_success() {
                return Err(refused(&resp));
            }
            if server.json {
                print_json(&resp.body)
            } else {
                println!("{}", describe_ticket(&resp.body["ticket"]))
            }
            Ok(())
        }
    }
}
