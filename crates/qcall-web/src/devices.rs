//! What the web layer needs from devices, as a trait the binary implements.
//!
//! qcall-web knows no printer protocol: it asks a [`Printing`] to print a
//! ticket or a notice and reports the outcome as JSON. The binary wires the
//! real printers (qcall-printer) behind it.
//!
//! Device health reaches screens two ways that must agree: a change is a
//! `printer_state` / `audio_state` notice on the hub, and the current state
//! of every device is the `devices` part of each snapshot ([`health`]), in
//! the same shapes, so a display that connects after a printer failed
//! learns it from its first frame.

use std::future::Future;
use std::pin::Pin;

use qcall_engine::TicketView;
use serde_json::{Value, json};

use crate::AppState;

pub type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send + 'static>>;

/// How a print request ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PrintStatus {
    Printed,
    /// Tried and failed, or skipped because the printer is known to be
    /// down: the ticket stands, the applicant reads the screen.
    Failed,
    /// No printer is set up for this source.
    None,
    /// Sent to the printer; the result follows on the stream as a
    /// `ticket_print` notice (a new ticket's reply does not wait for paper).
    Queued,
}

impl PrintStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            PrintStatus::Printed => "printed",
            PrintStatus::Failed => "failed",
            PrintStatus::None => "none",
            PrintStatus::Queued => "queued",
        }
    }
}

/// A new ticket's print, as far as it is known when the reply goes out.
pub enum TicketPrint {
    /// Decided at once: no printer for the source, or skipped (the
    /// printer is known to be down, its queue is full, the slip cannot be
    /// encoded).
    Now(PrintOutcome),
    /// Queued on `printer`; `result` resolves when it has printed or failed.
    Queued {
        printer: String,
        result: BoxFuture<PrintOutcome>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrintOutcome {
    pub status: PrintStatus,
    pub printer: Option<String>,
    /// Why it failed, in words a guide can act on.
    pub reason: Option<String>,
}

/// A one-time notice slip to print for a counter.
#[derive(Debug, Clone)]
pub struct NoticeRequest {
    pub counter: String,
    pub staff: String,
    pub missing: Vec<String>,
    pub note: Option<String>,
    /// The counter's current ticket, if any.
    pub ticket: Option<TicketView>,
}

/// A printer as supervisors see it.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct PrinterInfo {
    pub id: String,
    pub uri: String,
    pub width_mm: u32,
    pub state: &'static str,
    pub detail: Option<String>,
    pub printed: u64,
    pub failed: u64,
    pub since_ms: i64,
    pub kiosks: Vec<String>,
    pub counters: Vec<String>,
}

impl std::fmt::Debug for TicketPrint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TicketPrint::Now(o) => f.debug_tuple("Now").field(o).finish(),
            TicketPrint::Queued { printer, .. } => {
                f.debug_struct("Queued").field("printer", printer).finish()
            }
        }
    }
}

/// Printing, as the web layer uses it.
pub trait Printing: Send + Sync + std::fmt::Debug {
    /// Prints a ticket: on `printer` if given, else on the printer of the
    /// kiosk named by the ticket's source.
    fn ticket(
        &self,
        ticket: TicketView,
        base_url: String,
        printer: Option<String>,
        reprint: bool,
    ) -> BoxFuture<PrintOutcome>;
    /// Starts printing a newly taken ticket on the printer of the kiosk its
    /// source names, without waiting for the printer: a printer known to be
    /// down is skipped at once (and checked again in the background).
    fn new_ticket(&self, ticket: TicketView, base_url: String) -> TicketPrint;
    /// Prints a one-time notice slip on the counter's (or the hall's) printer.
    fn notice(&self, request: NoticeRequest) -> BoxFuture<PrintOutcome>;
    /// Every printer with its health.
    fn printers(&self) -> Vec<PrinterInfo>;
}

/// Every device's health now, as a snapshot carries it:
/// `{"printers": [{printer, state, detail, printed, failed}], "audio": {...}}`,
/// each printer as its `printer_state` notice says it and the speaker as its
/// last `audio_state` (null when the hall has no audio or it has not
/// reported yet). Public, like those notices: no printer addresses.
pub fn health(state: &AppState) -> Value {
    let printers: Vec<Value> = state
        .printing
        .as_ref()
        .map(|p| p.printers())
        .unwrap_or_default()
        .into_iter()
        .map(|p| {
            json!({
                "printer": p.id,
                "state": p.state,
                "detail": p.detail,
                "printed": p.printed,
                "failed": p.failed,
            })
        })
        .collect();
    let audio = state.hub.latest("audio_state").map(|mut v| {
        if let Some(map) = v.as_object_mut() {
            map.remove("type");
            map.remove("seq");
        }
        v
    });
    json!({ "printers": printers, "audio": audio })
}
