//! What text may reach the paper: the printer's boundary for free text.
//!
//! A slip's fields come from JSON bodies, tokens and the hall's config, and
//! ESC/POS has no quoting: an ESC, GS, FS or DLE byte inside a field is a
//! command to the printer (a reset, a cut, a cash-drawer kick). So every
//! field is reduced here to printable characters before it is laid out, and
//! capped in length, the way SQL parameters are bound rather than pasted:
//! - C0 controls, DEL and C1 controls (`char::is_control`) are dropped;
//! - a tab, line break or form feed inside a field becomes one space (the
//!   layout does its own wrapping; a field is never several lines by itself);
//! - a field longer than its cap ([`caps`]) keeps its first characters and
//!   ends in `…`; a list longer than [`caps::ITEMS`] keeps its first items
//!   and ends in an item `…`.
//!
//! Text outside the ASCII range is safe once controls are gone: the encoder
//! sends it as GB18030, whose multi-byte sequences never contain a byte
//! below 0x30. This module does not check what a caller meant (a notice's
//! one rule for its items is `qcall_core::command::notice_items`); it only
//! makes sure nothing but text reaches the printer.

use crate::slip::{NoticeSlip, TicketSlip};

/// Caps per field, in characters (not bytes or columns). They are above
/// anything a hall prints in earnest, so that ordinary slips are unchanged,
/// and low enough that one field cannot run a roll of paper out.
pub mod caps {
    /// Hall, counter and service names, the priority label.
    pub const NAME: usize = 100;
    /// Ticket number, staff name, dates, hotline.
    pub const SHORT: usize = 40;
    /// One missing item or material; the core's rule for a notice's items
    /// (`NOTICE_ITEM_MAX_CHARS`) is the same 200.
    pub const ITEM: usize = 200;
    /// Items in one list (missing items, materials): the core's 30.
    pub const ITEMS: usize = 30;
    /// A notice's note: the core's 500.
    pub const NOTE: usize = 500;
    /// The status URL in the QR code.
    pub const URL: usize = 1000;
}

/// Whether `c` breaks a line or a field: it becomes a space.
fn is_break(c: char) -> bool {
    matches!(
        c,
        '\t' | '\n' | '\u{0B}' | '\u{0C}' | '\r' | '\u{85}' | '\u{2028}' | '\u{2029}'
    )
}

/// `text` with control characters dropped and breaks turned into spaces (a
/// run of breaks into one space), of any length. The encoder applies it to
/// every line it sends, so a [`crate::Doc`] built by hand is safe too.
pub fn strip(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if is_break(c) {
            if !out.ends_with(' ') {
                out.push(' ');
            }
        } else if !c.is_control() {
            out.push(c);
        }
    }
    out
}

/// `text` stripped ([`strip`]) and cut to at most `max` characters, the last
/// of them `…` when anything was cut.
pub fn field(text: &str, max: usize) -> String {
    let text = strip(text);
    if text.chars().count() <= max {
        return text;
    }
    let mut out: String = text.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// A list of fields: each cut to `max` characters, at most [`caps::ITEMS`]
/// of them, the last one `…` when items were left out.
pub fn list(items: &[String], max: usize) -> Vec<String> {
    let mut out: Vec<String> = items
        .iter()
        .take(caps::ITEMS)
        .map(|i| field(i, max))
        .collect();
    if items.len() > caps::ITEMS {
        out.truncate(caps::ITEMS - 1);
        out.push("…".into());
    }
    out
}

impl TicketSlip {
    /// The slip with every field printable and capped.
    pub fn printable(&self) -> TicketSlip {
        use caps::{ITEM, NAME, SHORT, URL};
        TicketSlip {
            hall_zh: field(&self.hall_zh, NAME),
            hall_en: field(&self.hall_en, NAME),
            number: field(&self.number, SHORT),
            service_zh: field(&self.service_zh, NAME),
            service_en: field(&self.service_en, NAME),
            priority_label: self.priority_label.as_deref().map(|l| field(l, NAME)),
            ahead: self.ahead,
            wait_zh: field(&self.wait_zh, SHORT),
            wait_en: field(&self.wait_en, SHORT),
            issued_at: field(&self.issued_at, SHORT),
            status_url: field(&self.status_url, URL),
            materials: list(&self.materials, ITEM),
            hotline: field(&self.hotline, SHORT),
            reprint: self.reprint,
        }
    }
}

impl NoticeSlip {
    /// The slip with every field printable and capped.
    pub fn printable(&self) -> NoticeSlip {
        use caps::{ITEM, NAME, NOTE, SHORT};
        NoticeSlip {
            hall_zh: field(&self.hall_zh, NAME),
            hall_en: field(&self.hall_en, NAME),
            counter_zh: field(&self.counter_zh, NAME),
            counter_en: field(&self.counter_en, NAME),
            staff: field(&self.staff, SHORT),
            date: field(&self.date, SHORT),
            service_zh: self.service_zh.as_deref().map(|s| field(s, NAME)),
            service_en: self.service_en.as_deref().map(|s| field(s, NAME)),
            ticket_number: self.ticket_number.as_deref().map(|n| field(n, SHORT)),
            missing: list(&self.missing, ITEM),
            note: self.note.as_deref().map(|n| field(n, NOTE)),
            hotline: field(&self.hotline, SHORT),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn controls_are_dropped_and_breaks_become_one_space() {
        assert_eq!(
            strip("a\x1b@b\x1dVAc\x1bp\x00\x19\u{fa}d"),
            "a@bVAcp\u{fa}d"
        );
        assert_eq!(strip("\x10\x04\x01\x14\x00\x7f\u{80}\u{9b}\u{9f}x"), "x");
        assert_eq!(strip("户口簿\r\n照片\t原件"), "户口簿 照片 原件");
        assert_eq!(strip("a \n b"), "a  b");
        assert_eq!(strip("line\u{2028}sep\u{85}nel"), "line sep nel");
        // Wide and full-width text is kept as it is.
        assert_eq!(strip("近期二寸　免冠照片３张"), "近期二寸　免冠照片３张");
    }

    #[test]
    fn fields_and_lists_are_capped() {
        assert_eq!(field("照片", 2), "照片");
        assert_eq!(field("照片三张", 3), "照片…");
        assert_eq!(field(&"x".repeat(10_000), caps::ITEM).chars().count(), 200);
        // Controls do not count towards the cap.
        assert_eq!(field("\x1b\x1b\x1bab", 2), "ab");
        let many: Vec<String> = (0..40).map(|i| i.to_string()).collect();
        let kept = list(&many, caps::ITEM);
        assert_eq!(kept.len(), caps::ITEMS);
        assert_eq!(kept[28], "28");
        assert_eq!(kept[29], "…");
        assert_eq!(list(&many[..30], caps::ITEM), many[..30]);
    }
}
