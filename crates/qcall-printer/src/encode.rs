//! A laid-out document as ESC/POS bytes, through the `escpos` crate.
//!
//! Chinese: the printer is switched to its Chinese character mode (FS &) at
//! the start and back (FS .) at the end, and all text is encoded as GB18030,
//! which Chinese thermal printers expect. UTF-8 is never sent: it prints as
//! garbage on them. ASCII is the same in both.
//!
//! QR codes: printer-native (`GS ( k`, model 2, error correction M), or as a
//! raster image (`GS v 0`) drawn from the `qrcode` crate, for printers that
//! lack the native command.
//!
//! Text: every line and QR payload is stripped of control characters
//! ([`printable::strip`]) on its way out, so that only the encoder's own
//! commands reach the printer, even from a [`Doc`] built by hand. Length
//! caps are the layout's business (a line here is already wrapped).

use std::cell::RefCell;
use std::rc::Rc;

use escpos::driver::Driver;
use escpos::printer::Printer;
use escpos::printer_options::PrinterOptions;
use escpos::utils::{
    Encoder, JustifyMode, Protocol, QRCodeCorrectionLevel, QRCodeModel, QRCodeOption,
};

use crate::layout::{Align, Block, Doc};
use crate::printable;

/// FS & : enter Chinese (double-byte) character mode.
pub const FS_CHINESE_ON: [u8; 2] = [0x1C, 0x26];
/// FS . : leave Chinese character mode.
pub const FS_CHINESE_OFF: [u8; 2] = [0x1C, 0x2E];

/// How QR codes are sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QrMode {
    /// The printer draws it (`GS ( k`): small and sharp; most printers.
    Native,
    /// A bitmap (`GS v 0`): for printers without the native command.
    Raster,
}

/// Collects the bytes the escpos printer would send.
#[derive(Clone, Default)]
struct Memory(Rc<RefCell<Vec<u8>>>);

impl Driver for Memory {
    fn name(&self) -> String {
        "memory".into()
    }

    fn write(&self, data: &[u8]) -> escpos::errors::Result<()> {
        self.0.borrow_mut().extend_from_slice(data);
        Ok(())
    }

    fn read(&self, _buf: &mut [u8]) -> escpos::errors::Result<usize> {
        Ok(0)
    }

    fn flush(&self) -> escpos::errors::Result<()> {
        Ok(())
    }
}

/// The ESC/POS bytes of a document.
pub fn encode(doc: &Doc, qr: QrMode) -> Result<Vec<u8>, escpos::errors::PrinterError> {
    let memory = Memory::default();
    let protocol = Protocol::new(Encoder::new(encoding_rs::GB18030));
    let options = PrinterOptions::new(None, None, doc.width.columns() as u8);
    let mut p = Printer::new(memory.clone(), protocol, Some(options));
    p.init()?;
    p.custom(&FS_CHINESE_ON)?;
    for block in &doc.blocks {
        match block {
            Block::Text {
                text,
                align,
                scale,
                bold,
            } => {
                p.justify(justify(*align))?;
                if *bold {
                    p.bold(true)?;
                }
                if *scale > 1 {
                    p.size(*scale, *scale)?;
                }
                p.writeln(&printable::strip(text))?;
                if *scale > 1 {
                    p.reset_size()?;
                }
                if *bold {
                    p.bold(false)?;
                }
            }
            Block::Qr { data } => {
                let data = &printable::strip(data);
                p.justify(JustifyMode::CENTER)?;
                match qr {
                    QrMode::Native => {
                        let option =
                            QRCodeOption::new(QRCodeModel::Model2, 6, QRCodeCorrectionLevel::M);
                        p.qrcode_option(data, option)?;
                    }
                    QrMode::Raster => {
                        p.custom(
                            &raster_qr(data, 6).map_err(escpos::errors::PrinterError::Input)?,
                        )?;
                    }
                }
                p.feed()?;
            }
            Block::Rule => {
                p.justify(JustifyMode::LEFT)?;
                p.writeln(&"-".repeat(doc.width.columns()))?;
            }
            Block::Feed(n) => {
                p.feeds(*n)?;
            }
        }
    }
    p.justify(JustifyMode::LEFT)?;
    p.custom(&FS_CHINESE_OFF)?;
    p.feeds(4)?;
    p.cut()?;
    p.print()?;
    let bytes = memory.0.borrow().clone();
    Ok(bytes)
}

fn justify(a: Align) -> JustifyMode {
    match a {
        Align::Left => JustifyMode::LEFT,
        Align::Center => JustifyMode::CENTER,
    }
}

/// A QR code as a `GS v 0` raster image, `dots` per module, with a quiet
/// zone of two modules.
pub fn raster_qr(data: &str, dots: usize) -> Result<Vec<u8>, String> {
    let code = qrcode::QrCode::with_error_correction_level(data.as_bytes(), qrcode::EcLevel::M)
        .map_err(|e| format!("cannot encode a QR code: {e}"))?;
    let modules = code.width();
    let colors = code.to_colors();
    let quiet = 2;
    let side = (modules + 2 * quiet) * dots;
    let row_bytes = side.div_ceil(8);
    let mut out = vec![0x1D, b'v', b'0', 0];
    out.extend_from_slice(&(row_bytes as u16).to_le_bytes());
    out.extend_from_slice(&(side as u16).to_le_bytes());
    for y in 0..side {
        let mut row = vec![0u8; row_bytes];
        for x in 0..side {
            let (mx, my) = (x / dots, y / dots);
            let dark = mx >= quiet
                && my >= quiet
                && mx < modules + quiet
                && my < modules + quiet
                && colors[(my - quiet) * modules + (mx - quiet)] == qrcode::Color::Dark;
            if dark {
                row[x / 8] |= 0x80 >> (x % 8);
            }
        }
        out.extend_from_slice(&row);
    }
    Ok(out)
}

/// The payloads of native QR codes (`GS ( k` store commands) in a byte
/// stream: for tests and diagnostics of what a printer was sent.
pub fn native_qr_payloads(bytes: &[u8]) -> Vec<String> {
    let mut out = Vec::new();
    let mut i = 0;
    while i + 8 <= bytes.len() {
        if bytes[i..i + 3] == [0x1D, b'(', b'k'] && bytes[i + 5..i + 8] == [49, 80, 48] {
            let len = usize::from(bytes[i + 3]) + 256 * usize::from(bytes[i + 4]);
            let start = i + 8;
            let end = (start + len.saturating_sub(3)).min(bytes.len());
            out.push(String::from_utf8_lossy(&bytes[start..end]).into_owned());
            i = end;
        } else {
            i += 1;
        }
    }
    out
}

/// Bytes as a readable hex dump: offset, 16 bytes, ASCII. Golden files use
/// it so that a layout change shows as a reviewable diff.
pub fn hex_dump(bytes: &[u8]) -> String {
    let mut out = String::new();
    for (n, chunk) in bytes.chunks(16).enumerate() {
        let hex: Vec<String> = chunk.iter().map(|b| format!("{b:02x}")).collect();
        let ascii: String = chunk
            .iter()
            .map(|&b| {
                if (0x20..0x7f).contains(&b) {
                    b as char
                } else {
                    '.'
                }
            })
            .collect();
        out.push_str(&format!(
            "{:06x}  {:<47}  |{ascii}|\n",
            n * 16,
            hex.join(" ")
        ));
    }
    out
}

/// Index of `needle` in `hay` at or after `from`.
pub fn find(hay: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    hay.get(from..)?
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|i| i + from)
}

#[cfg(test)]
mod tests;
