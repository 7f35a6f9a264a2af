//! What the web layer needs from devices, as a trait the binary implements.
//!
//! qcall-web knows no printer protocol: it asks a [`Printing`] to print a
//! ticket or a notice and reports the outcome as JSON. The binary wires the
//! real printers (qcall-printer) behind it.

use std::future::Future;
use std::pin::Pin;

use qcall_engine::TicketView;

pub type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send + 'static>>;

/// How a print request ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PrintStatus {
    Printed,
    /// Tried and failed: the ticket stands, the applicant reads the screen.
    Failed,
    /// No printer is set up for this source.
    None,
}

impl PrintStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            PrintStatus::Printed => "printed",
            PrintStatus::Failed => "failed",
            PrintStatus::None => "none",
        }
    }
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
    /// Prints a one-time notice slip on the counter's (or the hall's) printer.
    fn notice(&self, request: NoticeRequest) -> BoxFuture<PrintOutcome>;
    /// Every printer with its health.
    fn printers(&self) -> Vec<PrinterInfo>;
}
