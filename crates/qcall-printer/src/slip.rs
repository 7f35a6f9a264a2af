//! What goes on paper, as plain values filled in by the caller.

/// Paper roll width. Decides characters per line and dots per line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PaperWidth {
    Mm58,
    Mm80,
}

impl PaperWidth {
    pub fn from_mm(mm: u32) -> Option<PaperWidth> {
        match mm {
            58 => Some(PaperWidth::Mm58),
            80 => Some(PaperWidth::Mm80),
            _ => None,
        }
    }

    /// Columns of the standard font (12×24 dots): 32 on 58 mm, 48 on 80 mm.
    pub fn columns(self) -> usize {
        match self {
            PaperWidth::Mm58 => 32,
            PaperWidth::Mm80 => 48,
        }
    }

    /// Printable dots per line.
    pub fn dots(self) -> usize {
        self.columns() * 12
    }
}

/// An applicant's ticket.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TicketSlip {
    pub hall_zh: String,
    pub hall_en: String,
    /// The ticket number, printed huge: `A012`.
    pub number: String,
    pub service_zh: String,
    pub service_en: String,
    /// Green channel (or other priority) label, e.g. `绿色通道 Green channel`.
    pub priority_label: Option<String>,
    pub ahead: u32,
    /// The estimated wait as a range, in words, e.g. `约 25-35 分钟` and
    /// `about 25-35 min`, or `马上` and `a few minutes`.
    pub wait_zh: String,
    pub wait_en: String,
    /// Local time, as people read it: `2026-11-22 09:05`.
    pub issued_at: String,
    /// The phone status page; encoded in the QR code.
    pub status_url: String,
    /// Materials to bring (一次性告知), already shortened by the caller.
    pub materials: Vec<String>,
    pub hotline: String,
    /// Printed again on request: marked as a reprint.
    pub reprint: bool,
}

/// The counter's one-time notice slip (一次性告知单): everything still missing.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct NoticeSlip {
    pub hall_zh: String,
    pub hall_en: String,
    pub counter_zh: String,
    pub counter_en: String,
    pub staff: String,
    /// Local date and time of printing.
    pub date: String,
    pub service_zh: Option<String>,
    pub service_en: Option<String>,
    pub ticket_number: Option<String>,
    pub missing: Vec<String>,
    pub note: Option<String>,
    pub hotline: String,
}
