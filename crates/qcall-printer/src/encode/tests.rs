//! Golden byte files and content checks for the ESC/POS encoding.
//!
//! What a slip says is checked by reading the bytes back with
//! [`crate::reader`] (written from the command reference, not from this
//! encoder) and raster QR codes by decoding them with `rqrr`, a QR decoder
//! that shares nothing with the `qrcode` crate that drew them.

use super::*;
use crate::layout::{notice_doc, ticket_doc};
use crate::reader::{self, Command, Printed, Printout};
use crate::slip::{NoticeSlip, PaperWidth, TicketSlip};

/// Compares with `testdata/NAME.hex`; `UPDATE_GOLDEN=1` rewrites it.
fn golden(name: &str, bytes: &[u8]) {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("testdata")
        .join(format!("{name}.hex"));
    let dump = hex_dump(bytes);
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, &dump).unwrap();
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|_| {
        panic!(
            "no golden file {}; run with UPDATE_GOLDEN=1 to create it",
            path.display()
        )
    });
    assert!(
        expected == dump,
        "{name}: bytes differ from {}; if the change is intended, rerun with UPDATE_GOLDEN=1 and review the diff",
        path.display()
    );
}

fn ticket() -> TicketSlip {
    crate::layout::tests::sample()
}

fn notice() -> NoticeSlip {
    NoticeSlip {
        hall_zh: "滨江区政务服务中心".into(),
        hall_en: "Binjiang District Government Service Centre".into(),
        counter_zh: "3号窗口".into(),
        counter_en: "Counter 3".into(),
        staff: "li.na".into(),
        date: "2026-11-22 10:30".into(),
        service_zh: Some("残疾人证办理".into()),
        service_en: Some("Disability certificate".into()),
        ticket_number: Some("B007".into()),
        missing: vec!["医院诊断证明".into(), "近期二寸免冠彩色照片3张".into()],
        note: Some("照片需白底".into()),
        hotline: "12345".into(),
    }
}

fn gb(s: &str) -> Vec<u8> {
    encoding_rs::GB18030.encode(s).0.into_owned()
}

#[test]
fn golden_ticket_80mm_native_qr() {
    golden(
        "ticket-80-native",
        &encode(&ticket_doc(&ticket(), PaperWidth::Mm80), QrMode::Native).unwrap(),
    );
}

#[test]
fn golden_ticket_58mm_raster_qr() {
    golden(
        "ticket-58-raster",
        &encode(&ticket_doc(&ticket(), PaperWidth::Mm58), QrMode::Raster).unwrap(),
    );
}

#[test]
fn golden_notice_80mm() {
    golden(
        "notice-80",
        &encode(&notice_doc(&notice(), PaperWidth::Mm80), QrMode::Native).unwrap(),
    );
}

#[test]
fn a_ticket_is_chinese_mode_gb18030_big_number_qr_and_cut() {
    let bytes = encode(&ticket_doc(&ticket(), PaperWidth::Mm80), QrMode::Native).unwrap();
    assert_eq!(&bytes[..2], &[0x1B, b'@'], "ESC @ first");
    let chinese = find(&bytes, &FS_CHINESE_ON, 0).expect("FS &");
    let service = find(&bytes, &gb("社会保险"), 0).expect("GB18030 service name");
    assert!(chinese < service);
    assert!(
        find(&bytes, "社会保险".as_bytes(), 0).is_none(),
        "never UTF-8"
    );
    let big = find(&bytes, &[0x1D, b'!', 0x33], 0).expect("GS ! 4x4");
    let number = find(&bytes, b"A012", big).expect("number after the size command");
    let normal = find(&bytes, &[0x1D, b'!', 0x00], big).expect("size reset");
    assert!(
        big < number && number < normal,
        "the number is printed at 4x4"
    );
    assert_eq!(
        native_qr_payloads(&bytes),
        vec!["http://10.0.0.5:8080/t/17".to_owned()]
    );
    assert_eq!(
        &bytes[bytes.len() - 4..],
        &[0x1D, b'V', b'A', 0],
        "cut last"
    );
}

/// Reads `bytes` as a printer would; a stream the reader refuses fails the
/// test with the offset and the hex around it.
fn read(bytes: &[u8]) -> Printout {
    reader::read(bytes).unwrap_or_else(|e| {
        let from = e.offset.saturating_sub(16);
        panic!(
            "unreadable ESC/POS, {e}:\n{}",
            hex_dump(&bytes[from..(e.offset + 16).min(bytes.len())])
        )
    })
}

/// What every slip must be as a print job: reset first, Chinese mode on
/// before any text and off before the end, nothing left unprinted, one cut
/// as the last thing on the paper.
fn check_job(p: &Printout) {
    assert_eq!(p.commands.first(), Some(&Command::Init), "ESC @ first");
    let on = p.commands.iter().position(|c| *c == Command::ChineseOn);
    let first_text = p
        .commands
        .iter()
        .position(|c| matches!(c, Command::Text(_)));
    assert!(on.is_some() && on < first_text, "FS & before any text");
    assert!(!p.chinese_at_end, "FS . before the end of the job");
    assert_eq!(p.unprinted, "", "text left in the line buffer");
    assert_eq!(p.paper.last(), Some(&Printed::Cut), "cut last");
    assert_eq!(
        p.paper.iter().filter(|x| **x == Printed::Cut).count(),
        1,
        "one cut"
    );
}

#[test]
fn a_ticket_reads_back_as_what_it_should_say() {
    let bytes = encode(&ticket_doc(&ticket(), PaperWidth::Mm80), QrMode::Native).unwrap();
    let p = read(&bytes);
    check_job(&p);
    let rule = format!("left: {}", "-".repeat(48));
    let expect = [
        "center: [bold]滨江区政务服务中心",
        "center: Binjiang District Government Service Centre",
        &rule,
        "center: [bold 4x4]A012",
        "center: [bold 2x2]社会保险",
        "center: Social insurance",
        "center: [bold]【绿色通道 Green channel】",
        "(blank)",
        "left: 前面还有 3 人，预计等候 约 12-19 分钟",
        "left: 3 ahead of you, wait about 12-19 min",
        "left: 取号时间 Issued: 2026-11-22 09:05",
        &rule,
        "left: [bold]请备齐以下材料 Please bring:",
        "left: 1. 居民身份证原件及复印件",
        "left: 2. 社会保障卡",
        &rule,
        "center: QR model 2, 6 dots, EC M: http://10.0.0.5:8080/t/17",
        "(blank)",
        "center: 扫码查看排队进度",
        "center: Scan to follow your turn",
        "center: 投诉及求助热线 Hotline: 12345",
        "center: 过号请重新取号或咨询导办人员",
        "(blank)",
        "(blank)",
        "(blank)",
        "(blank)",
        "(cut)",
    ];
    assert_eq!(p.transcript(), expect);
    assert_eq!(p.qr_codes(), ["http://10.0.0.5:8080/t/17"]);
}

#[test]
fn a_reprint_says_so_and_a_58mm_ticket_has_a_3x_number() {
    let slip = TicketSlip {
        reprint: true,
        priority_label: None,
        materials: vec![],
        ..ticket()
    };
    let p = read(&encode(&ticket_doc(&slip, PaperWidth::Mm58), QrMode::Native).unwrap());
    check_job(&p);
    let t = p.transcript();
    let at = |line: &str| {
        t.iter()
            .position(|l| l == line)
            .unwrap_or_else(|| panic!("no {line:?} in {t:#?}"))
    };
    assert!(at("center: （补打 Reprint）") < at("center: [bold 3x3]A012"));
    assert!(
        !p.texts()
            .iter()
            .any(|l| l.contains("绿色通道") || l.contains("Please bring"))
    );
    assert_eq!(p.qr_codes(), ["http://10.0.0.5:8080/t/17"]);
}

#[test]
fn a_notice_reads_back_as_what_it_should_say() {
    let bytes = encode(&notice_doc(&notice(), PaperWidth::Mm80), QrMode::Native).unwrap();
    let p = read(&bytes);
    check_job(&p);
    let rule = format!("left: {}", "-".repeat(48));
    let expect = [
        "center: [bold]滨江区政务服务中心",
        "center: Binjiang District Government Service Centre",
        &rule,
        "center: [bold 2x2]一次性告知单",
        "center: One-time notice of missing materials",
        &rule,
        // 49 columns: the last word wraps.
        "left: 事项 Service: 残疾人证办理 Disability",
        "left: certificate",
        "left: 号码 Ticket: B007",
        "left: [bold]尚缺材料 Still missing:",
        "left: 1. 医院诊断证明",
        "left: 2. 近期二寸免冠彩色照片3张",
        "left: 备注 Note: 照片需白底",
        &rule,
        "left: 窗口 Counter: 3号窗口 Counter 3",
        "left: 经办人 Staff: li.na",
        "left: 日期 Date: 2026-11-22 10:30",
        "left: 补齐上述材料后再来，无需重新排队等候以外的手续。",
        "left: Bring the items above on your next visit.",
        "center: 投诉及求助热线 Hotline: 12345",
        "(blank)",
        "(blank)",
        "(blank)",
        "(blank)",
        "(cut)",
    ];
    assert_eq!(p.transcript(), expect);
    assert!(p.qr_codes().is_empty());
}

/// The raster images on the paper.
fn images(p: &Printout) -> Vec<(usize, usize, Vec<u8>)> {
    p.paper
        .iter()
        .filter_map(|x| match x {
            Printed::Image {
                width_bytes,
                height,
                data,
            } => Some((*width_bytes, *height, data.clone())),
            _ => None,
        })
        .collect()
}

/// Whether dot (`x`, `y`) of a `GS v 0` image is black: rows of
/// `width_bytes`, most significant bit leftmost.
fn dot(width_bytes: usize, data: &[u8], x: usize, y: usize) -> bool {
    data[y * width_bytes + x / 8] & (0x80 >> (x % 8)) != 0
}

/// The QR codes `rqrr` finds in a raster image laid on white paper, with
/// their error correction level (rqrr's format bits: 0 = M).
fn decode_raster(width_bytes: usize, height: usize, data: &[u8]) -> Vec<(String, u16)> {
    let margin = 40;
    let (w, h) = (width_bytes * 8 + 2 * margin, height + 2 * margin);
    let mut image = rqrr::PreparedImage::prepare_from_greyscale(w, h, |x, y| {
        let inside = (margin..w - margin).contains(&x) && (margin..h - margin).contains(&y);
        if inside && dot(width_bytes, data, x - margin, y - margin) {
            0
        } else {
            255
        }
    });
    image
        .detect_grids()
        .iter()
        .map(|g| {
            let (meta, text) = g
                .decode()
                .unwrap_or_else(|e| panic!("rqrr finds a QR code it cannot read: {e}"));
            (text, meta.ecc_level)
        })
        .collect()
}

/// The symbol's modules as drawn: the black dots' bounding box split into
/// `size` × `size` squares, each of which must be all black or all white
/// (a clean, square, unscaled drawing).
fn modules(width_bytes: usize, height: usize, data: &[u8], size: usize) -> Vec<Vec<bool>> {
    let black: Vec<(usize, usize)> = (0..height)
        .flat_map(|y| (0..width_bytes * 8).map(move |x| (x, y)))
        .filter(|&(x, y)| dot(width_bytes, data, x, y))
        .collect();
    let left = black.iter().map(|p| p.0).min().expect("a blank image");
    let top = black.iter().map(|p| p.1).min().unwrap();
    let right = black.iter().map(|p| p.0).max().unwrap() + 1;
    let bottom = black.iter().map(|p| p.1).max().unwrap() + 1;
    assert_eq!(right - left, bottom - top, "square");
    let side = right - left;
    assert_eq!(side % size, 0, "{side} dots for {size} modules");
    let d = side / size;
    (0..size)
        .map(|my| {
            (0..size)
                .map(|mx| {
                    let corner = dot(width_bytes, data, left + mx * d, top + my * d);
                    for y in 0..d {
                        for x in 0..d {
                            assert_eq!(
                                dot(width_bytes, data, left + mx * d + x, top + my * d + y),
                                corner,
                                "module ({mx}, {my}) is not one colour"
                            );
                        }
                    }
                    corner
                })
                .collect()
        })
        .collect()
}

/// A raster QR code says `text`, to a decoder that is not the encoder, and
/// is module for module the error-correction-M symbol of that text: rqrr
/// alone would repair a few wrong modules and never notice them.
fn check_raster(width_bytes: usize, height: usize, data: &[u8], text: &str) {
    assert_eq!(
        decode_raster(width_bytes, height, data),
        [(text.to_owned(), 0)],
        "the QR code's text and error correction M"
    );
    let symbol = qrcode::QrCode::with_error_correction_level(text, qrcode::EcLevel::M).unwrap();
    let size = symbol.width();
    let expect: Vec<Vec<bool>> = symbol
        .to_colors()
        .chunks(size)
        .map(|row| row.iter().map(|c| *c == qrcode::Color::Dark).collect())
        .collect();
    let drawn = modules(width_bytes, height, data, size);
    for (y, (got, want)) in drawn.iter().zip(&expect).enumerate() {
        assert_eq!(got, want, "module row {y}");
    }
}

#[test]
fn a_58mm_raster_ticket_decodes_to_its_status_url() {
    let bytes = encode(&ticket_doc(&ticket(), PaperWidth::Mm58), QrMode::Raster).unwrap();
    let p = read(&bytes);
    check_job(&p);
    assert!(p.qr_codes().is_empty(), "no GS ( k in raster mode");
    let images = images(&p);
    assert_eq!(images.len(), 1, "one image");
    let (width_bytes, height, data) = &images[0];
    assert!(width_bytes * 8 <= PaperWidth::Mm58.dots(), "fits the paper");
    check_raster(*width_bytes, *height, data, "http://10.0.0.5:8080/t/17");
    assert!(
        p.transcript()
            .contains(&"center: [bold 3x3]A012".to_owned()),
        "the number at 3x3"
    );
}

#[test]
fn raster_qr_codes_decode_to_their_text() {
    for (text, dots) in [
        ("http://10.0.0.5:8080/t/17", 4),
        ("http://192.168.1.50:8080/t/123456", 6),
        ("https://hall.example.cn/t/9", 3),
    ] {
        let bytes = raster_qr(text, dots).unwrap();
        let p = read(&bytes);
        assert_eq!(p.commands.len(), 1, "one GS v 0 command, nothing after it");
        let images = images(&p);
        let (width_bytes, height, data) = &images[0];
        check_raster(*width_bytes, *height, data, text);
    }
}

#[test]
fn raster_qr_is_a_square_bitmap() {
    let r = raster_qr("http://10.0.0.5:8080/t/17", 4).unwrap();
    assert_eq!(&r[..4], &[0x1D, b'v', b'0', 0]);
    let row_bytes = usize::from(u16::from_le_bytes([r[4], r[5]]));
    let height = usize::from(u16::from_le_bytes([r[6], r[7]]));
    assert_eq!(row_bytes, height.div_ceil(8));
    assert_eq!(r.len(), 8 + row_bytes * height);
    assert!(r[8..].iter().any(|&b| b != 0), "not blank");
    assert!(native_qr_payloads(&r).is_empty());
}

/// ESC/POS commands a JSON string or a config file could smuggle into a
/// slip: a reset, a cut, a cash-drawer kick, a status request, NUL, C1
/// controls, line breaks.
const RESET: &str = "\x1b@";
const CUT: &str = "\x1dVA\x00";
const DRAWER: &str = "\x1bp\x00\x19\x7f";
const STATUS: &str = "\x10\x04\x01";
const C1: &str = "\u{80}\u{9b}\u{9f}";

/// The commands of a print job with the text runs left out: what the
/// encoder itself decided to send.
fn commands_only(p: &Printout) -> Vec<Command> {
    p.commands
        .iter()
        .filter(|c| !matches!(c, Command::Text(_)))
        .cloned()
        .collect()
}

/// A hostile slip prints as the slip of its printable remains: the same
/// bytes, one ESC @, one cut, no ESC p or DLE EOT, nothing unreadable.
fn check_defused(hostile: &[u8], clean: &[u8]) {
    let p = read(hostile);
    check_job(&p);
    let count = |c: &Command| p.commands.iter().filter(|x| *x == c).count();
    assert_eq!(count(&Command::Init), 1, "one ESC @");
    assert_eq!(
        p.commands
            .iter()
            .filter(|c| matches!(c, Command::Cut { .. }))
            .count(),
        1,
        "one GS V"
    );
    assert!(
        !p.commands.iter().any(|c| matches!(
            c,
            Command::Other {
                name: "ESC p" | "DLE EOT",
                ..
            }
        )),
        "no drawer kick or status request: {:?}",
        p.commands
    );
    let expect = read(clean);
    assert_eq!(
        commands_only(&p),
        commands_only(&expect),
        "the layout's own commands"
    );
    assert_eq!(p.transcript(), expect.transcript(), "the printable remains");
    assert!(hostile == clean, "the same bytes as the clean slip");
}

#[test]
fn control_codes_in_a_notice_never_reach_the_printer() {
    let long = "囧".repeat(10_000);
    let hostile = NoticeSlip {
        staff: format!("li{RESET}.na{DRAWER}{STATUS}\0"),
        missing: vec![
            format!("户口簿{RESET}"),
            format!("照片{CUT}"),
            format!("{DRAWER}抽屉"),
            format!("{STATUS}状态"),
            format!("C1{C1}码\0"),
            long.clone(),
        ],
        note: Some(format!("补齐后\r\n直接来{RESET}{CUT}{DRAWER}{long}")),
        ..notice()
    };
    let clean = NoticeSlip {
        staff: "li@.nap".into(),
        missing: vec![
            "户口簿@".into(),
            "照片VA".into(),
            "p抽屉".into(),
            "状态".into(),
            "C1码".into(),
            format!("{}…", "囧".repeat(199)),
        ],
        note: Some(format!("补齐后 直接来@VAp{}…", "囧".repeat(488))),
        ..notice()
    };
    for width in [PaperWidth::Mm58, PaperWidth::Mm80] {
        let bytes = encode(&notice_doc(&hostile, width), QrMode::Native).unwrap();
        let expect = encode(&notice_doc(&clean, width), QrMode::Native).unwrap();
        check_defused(&bytes, &expect);
        let texts = read(&bytes).texts();
        for shown in ["1. 户口簿@", "3. p抽屉", "5. C1码", "经办人 Staff: li@.nap"] {
            assert!(texts.iter().any(|t| t == shown), "{shown}: {texts:#?}");
        }
    }
    // 200 characters an item and 500 a note, on the paper: the long item's
    // lines hold 199 of its characters and the ellipsis.
    let p = read(&encode(&notice_doc(&hostile, PaperWidth::Mm80), QrMode::Native).unwrap());
    let all: String = p.texts().concat();
    assert_eq!(all.matches('囧').count(), 199 + 488);
}

#[test]
fn control_codes_in_a_ticket_never_reach_the_printer() {
    let hostile = TicketSlip {
        hall_zh: format!("滨江区政务服务中心{RESET}"),
        service_zh: format!("社会保险{CUT}"),
        service_en: format!("Social\ninsurance{C1}"),
        priority_label: Some(format!("绿色通道{DRAWER}")),
        materials: vec![format!("居民身份证{STATUS}"), "x".repeat(10_000)],
        hotline: format!("12345{DRAWER}"),
        status_url: format!("http://10.0.0.5:8080/t/17{RESET}"),
        ..ticket()
    };
    let clean = TicketSlip {
        hall_zh: "滨江区政务服务中心@".into(),
        service_zh: "社会保险VA".into(),
        service_en: "Social insurance".into(),
        priority_label: Some("绿色通道p".into()),
        materials: vec!["居民身份证".into(), format!("{}…", "x".repeat(199))],
        hotline: "12345p".into(),
        status_url: "http://10.0.0.5:8080/t/17@".into(),
        ..ticket()
    };
    for (width, qr) in [
        (PaperWidth::Mm80, QrMode::Native),
        (PaperWidth::Mm58, QrMode::Raster),
    ] {
        let bytes = encode(&ticket_doc(&hostile, width), qr).unwrap();
        let expect = encode(&ticket_doc(&clean, width), qr).unwrap();
        check_defused(&bytes, &expect);
    }
}

#[test]
fn a_document_built_by_hand_is_stripped_by_the_encoder() {
    let doc = Doc {
        width: PaperWidth::Mm80,
        blocks: vec![
            crate::layout::Block::Text {
                text: format!("开{RESET}{CUT}{DRAWER}{STATUS}{C1}\0抽屉"),
                align: crate::layout::Align::Left,
                scale: 1,
                bold: false,
            },
            crate::layout::Block::Qr {
                data: format!("http://10.0.0.5/t/1{RESET}"),
            },
        ],
    };
    let p = read(&encode(&doc, QrMode::Native).unwrap());
    check_job(&p);
    assert_eq!(p.texts()[0], "开@VAp抽屉");
    assert_eq!(p.qr_codes(), ["http://10.0.0.5/t/1@"]);
}
