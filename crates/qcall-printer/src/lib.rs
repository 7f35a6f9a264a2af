//! Thermal ticket printing: slips as values, ESC/POS bytes, transports.
//!
//! This crate knows nothing about queues. It takes a plain [`TicketSlip`]
//! or [`NoticeSlip`] value, lays it out as a [`Doc`] (pure), encodes the
//! document to ESC/POS bytes with the `escpos` crate (pure, GB18030 text in
//! the printer's Chinese mode, never UTF-8), and sends the bytes to a
//! printer addressed by a [`PrinterUri`] from one actor thread per printer
//! ([`spawn`]), which also tracks the printer's health.
//!
//! # Layout
//! - [`slip`]: the values a caller fills in.
//! - [`printable`]: free text reduced to printable characters and capped,
//!   the boundary every slip's fields cross (no ESC/POS command from a field).
//! - [`layout`]: slip → document, and a document as terminal text.
//! - [`encode`]: document → ESC/POS bytes (native or raster QR codes).
//! - [`status`]: the printer's answers to DLE EOT status requests.
//! - [`uri`]: `tcp://`, `usb://`, `serial://`, `file:` addresses.
//! - [`transport`]: one blocking connection per job, with timeouts.
//! - [`actor`]: the per-printer thread, its handle and health.
//! - `reader` (tests only): ESC/POS read back from the command reference,
//!   the second opinion the slip tests check the encoder against.

pub mod actor;
pub mod encode;
pub mod layout;
pub mod printable;
#[cfg(test)]
mod reader;
pub mod slip;
pub mod status;
pub mod transport;
pub mod uri;

pub use actor::{Health, OnChange, PrinterHandle, PrinterSettings, PrinterState, spawn};
pub use encode::{QrMode, encode};
pub use layout::{Align, Block, Doc, notice_doc, preview, ticket_doc};
pub use slip::{NoticeSlip, PaperWidth, TicketSlip};
pub use transport::PrintError;
pub use uri::PrinterUri;
