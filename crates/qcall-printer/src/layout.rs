//! Slips laid out as printer-independent documents, and documents shown as
//! text for a terminal preview.
//!
//! A [`Doc`] is a list of blocks (text with alignment and scale, QR code,
//! rule, feed). Lines are wrapped here, by display width (a Chinese
//! character takes two columns), so the encoder never has to guess. A
//! slip's free text is reduced to printable characters and capped
//! ([`crate::printable`]) before it is wrapped.

use crate::slip::{NoticeSlip, PaperWidth, TicketSlip};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Align {
    Left,
    Center,
}

/// One element of a slip.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Block {
    /// One printed line (already wrapped to fit at its scale).
    Text {
        text: String,
        align: Align,
        scale: u8,
        bold: bool,
    },
    /// A QR code carrying `data`, centred.
    Qr { data: String },
    /// A dashed line across the paper.
    Rule,
    /// Blank lines.
    Feed(u8),
}

/// A laid-out slip.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Doc {
    pub width: PaperWidth,
    pub blocks: Vec<Block>,
}

/// Whether a character takes two columns (CJK, Hangul, full-width forms).
fn is_wide(c: char) -> bool {
    matches!(c as u32,
        0x1100..=0x115F | 0x2E80..=0xA4CF | 0xAC00..=0xD7A3 | 0xF900..=0xFAFF
        | 0xFE30..=0xFE4F | 0xFF00..=0xFF60 | 0xFFE0..=0xFFE6 | 0x20000..=0x3FFFD)
}

/// Display width in columns: two for CJK and other wide characters.
pub fn display_width(s: &str) -> usize {
    s.chars().map(|c| if is_wide(c) { 2 } else { 1 }).sum()
}

/// Splits `text` into lines of at most `columns` display columns, breaking
/// at spaces where possible and anywhere in Chinese text.
pub fn wrap(text: &str, columns: usize) -> Vec<String> {
    let columns = columns.max(1);
    let mut lines = Vec::new();
    let mut line = String::new();
    let mut width = 0;
    for word in split_keep_spaces(text) {
        let w = display_width(&word);
        if width + w <= columns {
            line.push_str(&word);
            width += w;
            continue;
        }
        if !line.trim().is_empty() {
            lines.push(line.trim_end().to_owned());
        }
        line = String::new();
        width = 0;
        let word = word.trim_start();
        for c in word.chars() {
            let cw = display_width(c.encode_utf8(&mut [0; 4]));
            if width + cw > columns {
                lines.push(std::mem::take(&mut line));
                width = 0;
            }
            line.push(c);
            width += cw;
        }
    }
    if !line.trim().is_empty() {
        lines.push(line.trim_end().to_owned());
    }
    lines
}

/// Words with their leading space; each CJK character is a word of its own.
fn split_keep_spaces(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut current = String::new();
    for c in text.chars() {
        let wide = is_wide(c);
        if (c == ' ' || wide) && !current.is_empty() {
            out.push(std::mem::take(&mut current));
        }
        current.push(c);
        if wide {
            out.push(std::mem::take(&mut current));
        }
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

struct Builder {
    width: PaperWidth,
    blocks: Vec<Block>,
}

impl Builder {
    fn text(&mut self, text: &str, align: Align, scale: u8, bold: bool) {
        for line in wrap(text, self.width.columns() / usize::from(scale.max(1))) {
            self.blocks.push(Block::Text {
                text: line,
                align,
                scale,
                bold,
            });
        }
    }

    fn line(&mut self, text: &str) {
        self.text(text, Align::Left, 1, false);
    }

    fn center(&mut self, text: &str) {
        self.text(text, Align::Center, 1, false);
    }

    fn rule(&mut self) {
        self.blocks.push(Block::Rule);
    }
}

/// The ticket an applicant takes from the kiosk. Its fields are made
/// printable and capped first ([`crate::printable`]), whoever filled them in.
pub fn ticket_doc(slip: &TicketSlip, width: PaperWidth) -> Doc {
    let slip = &slip.printable();
    let mut b = Builder {
        width,
        blocks: Vec::new(),
    };
    b.text(&slip.hall_zh, Align::Center, 1, true);
    b.center(&slip.hall_en);
    if slip.reprint {
        b.center("（补打 Reprint）");
    }
    b.rule();
    let big = match width {
        PaperWidth::Mm58 => 3,
        PaperWidth::Mm80 => 4,
    };
    b.text(&slip.number, Align::Center, big, true);
    b.text(&slip.service_zh, Align::Center, 2, true);
    b.center(&slip.service_en);
    if let Some(label) = &slip.priority_label {
        b.text(&format!("【{label}】"), Align::Center, 1, true);
    }
    b.blocks.push(Block::Feed(1));
    b.line(&format!(
        "前面还有 {} 人，预计等候 {}",
        slip.ahead, slip.wait_zh
    ));
    b.line(&format!(
        "{} ahead of you, wait {}",
        slip.ahead, slip.wait_en
    ));
    b.line(&format!("取号时间 Issued: {}", slip.issued_at));
    if !slip.materials.is_empty() {
        b.rule();
        b.text("请备齐以下材料 Please bring:", Align::Left, 1, true);
        for (i, m) in slip.materials.iter().enumerate() {
            b.line(&format!("{}. {m}", i + 1));
        }
    }
    b.rule();
    b.blocks.push(Block::Qr {
        data: slip.status_url.clone(),
    });
    b.center("扫码查看排队进度");
    b.center("Scan to follow your turn");
    b.center(&format!("投诉及求助热线 Hotline: {}", slip.hotline));
    b.center("过号请重新取号或咨询导办人员");
    Doc {
        width,
        blocks: b.blocks,
    }
}

/// The one-time notice slip (一次性告知单) a counter prints. Its fields are
/// made printable and capped first ([`crate::printable`]): the missing items,
/// note and staff name come from a counter's request.
pub fn notice_doc(slip: &NoticeSlip, width: PaperWidth) -> Doc {
    let slip = &slip.printable();
    let mut b = Builder {
        width,
        blocks: Vec::new(),
    };
    b.text(&slip.hall_zh, Align::Center, 1, true);
    b.center(&slip.hall_en);
    b.rule();
    b.text("一次性告知单", Align::Center, 2, true);
    b.center("One-time notice of missing materials");
    b.rule();
    if let (Some(zh), Some(en)) = (&slip.service_zh, &slip.service_en) {
        b.line(&format!("事项 Service: {zh} {en}"));
    }
    if let Some(n) = &slip.ticket_number {
        b.line(&format!("号码 Ticket: {n}"));
    }
    b.text("尚缺材料 Still missing:", Align::Left, 1, true);
    for (i, m) in slip.missing.iter().enumerate() {
        b.line(&format!("{}. {m}", i + 1));
    }
    if let Some(note) = slip.note.as_deref().filter(|n| !n.is_empty()) {
        b.line(&format!("备注 Note: {note}"));
    }
    b.rule();
    b.line(&format!(
        "窗口 Counter: {} {}",
        slip.counter_zh, slip.counter_en
    ));
    b.line(&format!("经办人 Staff: {}", slip.staff));
    b.line(&format!("日期 Date: {}", slip.date));
    b.line("补齐上述材料后再来，无需重新排队等候以外的手续。");
    b.line("Bring the items above on your next visit.");
    b.center(&format!("投诉及求助热线 Hotline: {}", slip.hotline));
    Doc {
        width,
        blocks: b.blocks,
    }
}

/// The document as terminal text: what the paper will show, roughly. Big
/// text is spaced out, QR codes are drawn with block characters.
pub fn preview(doc: &Doc) -> String {
    let cols = doc.width.columns();
    let mut out = String::new();
    let border = format!("+{}+\n", "-".repeat(cols));
    out.push_str(&border);
    let mut push = |line: &str, align: Align| {
        let w = display_width(line);
        let pad = match align {
            Align::Left => 0,
            Align::Center => cols.saturating_sub(w) / 2,
        };
        let right = cols.saturating_sub(w + pad);
        out.push_str(&format!(
            "|{}{line}{}|\n",
            " ".repeat(pad),
            " ".repeat(right)
        ));
    };
    for block in &doc.blocks {
        match block {
            Block::Text {
                text, align, scale, ..
            } if *scale > 1 => {
                let spaced: String = text
                    .chars()
                    .flat_map(|c| [c, ' '])
                    .collect::<String>()
                    .trim_end()
                    .to_owned();
                push(&spaced, *align);
            }
            Block::Text { text, align, .. } => push(text, *align),
            Block::Rule => push(&"-".repeat(cols), Align::Left),
            Block::Feed(n) => (0..*n).for_each(|_| push("", Align::Left)),
            Block::Qr { data } => match qrcode::QrCode::new(data.as_bytes()) {
                Ok(code) => {
                    let art = code
                        .render::<qrcode::render::unicode::Dense1x2>()
                        .quiet_zone(false)
                        .build();
                    for line in art.lines() {
                        push(line, Align::Center);
                    }
                }
                Err(_) => push("[QR]", Align::Center),
            },
        }
    }
    out.push_str(&border);
    out
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    #[test]
    fn wrapping_counts_chinese_as_two_columns() {
        let check = |text: &str, cols: usize, expect: &[&str]| {
            assert_eq!(wrap(text, cols), expect, "{text:?}/{cols}")
        };
        check("hello world", 20, &["hello world"]);
        check("hello world", 7, &["hello", "world"]);
        check("居民身份证原件", 6, &["居民身", "份证原", "件"]);
        check("1. 居民身份证", 8, &["1. 居民", "身份证"]);
        check(
            "averyveryverylongword",
            8,
            &["averyver", "yverylon", "gword"],
        );
        check("", 8, &[] as &[&str]);
    }

    pub(crate) fn sample() -> TicketSlip {
        TicketSlip {
            hall_zh: "滨江区政务服务中心".into(),
            hall_en: "Binjiang District Government Service Centre".into(),
            number: "A012".into(),
            service_zh: "社会保险".into(),
            service_en: "Social insurance".into(),
            priority_label: Some("绿色通道 Green channel".into()),
            ahead: 3,
            wait_zh: "约 12-19 分钟".into(),
            wait_en: "about 12-19 min".into(),
            issued_at: "2026-11-22 09:05".into(),
            status_url: "http://10.0.0.5:8080/t/17".into(),
            materials: vec!["居民身份证原件及复印件".into(), "社会保障卡".into()],
            hotline: "12345".into(),
            reprint: false,
        }
    }

    #[test]
    fn a_ticket_has_its_parts_in_order() {
        let doc = ticket_doc(&sample(), PaperWidth::Mm80);
        let texts: Vec<&str> = doc
            .blocks
            .iter()
            .filter_map(|b| match b {
                Block::Text { text, .. } => Some(text.as_str()),
                _ => None,
            })
            .collect();
        let position = |needle: &str| {
            texts
                .iter()
                .position(|t| t.contains(needle))
                .unwrap_or_else(|| panic!("{needle} missing"))
        };
        assert!(position("滨江区") < position("A012"));
        assert!(position("A012") < position("社会保险"));
        assert!(position("前面还有 3 人") < position("1. 居民身份证"));
        assert!(position("Hotline: 12345") > position("社会保障卡"));
        assert!(doc.blocks.contains(&Block::Text {
            text: "A012".into(),
            align: Align::Center,
            scale: 4,
            bold: true
        }));
        assert!(doc.blocks.contains(&Block::Qr {
            data: "http://10.0.0.5:8080/t/17".into()
        }));
        let preview = preview(&doc);
        assert!(preview.contains("A 0 1 2"), "{preview}");
        assert!(preview.lines().all(|l| display_width(l) == 50), "{preview}");
    }

    #[test]
    fn lines_fit_the_paper() {
        for width in [PaperWidth::Mm58, PaperWidth::Mm80] {
            let doc = ticket_doc(&sample(), width);
            for b in &doc.blocks {
                if let Block::Text { text, scale, .. } = b {
                    assert!(
                        display_width(text) * usize::from(*scale) <= width.columns(),
                        "{text:?} on {width:?}"
                    );
                }
            }
        }
    }
}
