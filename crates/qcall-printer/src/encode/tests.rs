//! Golden byte files and content checks for the ESC/POS encoding.

use super::*;
use crate::layout::{notice_doc, ticket_doc};
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
