//! The reader against streams written by hand from the command reference,
//! and against corrupt streams it must refuse.

use super::*;

/// Reads `bytes` and compares the transcript, or the error's offset and
/// the start of its message.
fn check(bytes: &[u8], expect: Result<&[&str], (usize, &str)>) {
    match (read(bytes), expect) {
        (Ok(p), Ok(lines)) => assert_eq!(p.transcript(), lines, "{bytes:02x?}"),
        (Err(e), Err((offset, message))) => {
            assert_eq!(e.offset, offset, "{e}");
            assert!(e.message.starts_with(message), "{e}");
        }
        (got, expect) => panic!("{bytes:02x?}: read {got:?}, expected {expect:?}"),
    }
}

#[test]
fn streams_written_from_the_reference_read_as_their_paper() {
    // 啊 is B0 A1 in GB2312 (and so in GB18030).
    check(
        b"\x1b@\x1c&\xb0\xa1A\x0a\x1c.\x1dV\x00",
        Ok(&["left: 啊A", "(cut)"]),
    );
    check(
        b"\x1ba\x01\x1bE\x01\x1d!\x33A012\x1bd\x02\x1d!\x00\x1bE\x00x\x0a",
        Ok(&["center: [bold 4x4]A012", "(blank)", "center: x"]),
    );
    // Style changes inside a line make runs.
    check(b"a\x1d!\x11b\x0a", Ok(&["left: a[2x2]b"]));
    // ESC ! packs bold (8), double height (16) and width (32).
    check(b"\x1b!\x38z\x0a", Ok(&["left: [bold 2x2]z"]));
    // QR: model 2, module 6, EC M, store "hi", print.
    check(
        b"\x1ba\x01\x1d(k\x04\x001A2\x00\x1d(k\x03\x001C\x06\x1d(k\x03\x001E1\x1d(k\x05\x001P0hi\x1d(k\x03\x001Q0",
        Ok(&["center: QR model 2, 6 dots, EC M: hi"]),
    );
    // Raster: 1 byte wide, 2 rows.
    check(
        b"x\x1dv0\x00\x01\x00\x02\x00\x80\x01",
        Ok(&["left: x", "(image 1x2)"]),
    );
    // Status requests and a cut with feed.
    check(
        b"\x10\x04\x01\x10\x04\x04\x1bd\x01\x1dVA\x03",
        Ok(&["(blank)", "(cut)"]),
    );
    let p = read(b"\x1c&\xb0\xa1").unwrap();
    assert!(p.chinese_at_end);
    assert_eq!(p.unprinted, "啊");
}

#[test]
fn corrupt_streams_are_errors() {
    let no: &[(&[u8], (usize, &str))] = &[
        // Unknown commands and control bytes.
        (b"ab\x1b\x07", (2, "unknown command ESC 0x07")),
        (b"\x1d\x99\x00", (0, "unknown command GS 0x99")),
        (b"\x07", (0, "control byte 0x07")),
        (b"ab\x1b", (2, "0x1b at the end")),
        // Truncated and mis-sized commands.
        (b"\x1bd", (0, "ESC d needs 3 bytes")),
        (b"\x1dV", (0, "GS V needs 3 bytes")),
        (b"\x1dVA", (0, "GS V m n needs 4 bytes")),
        (b"\x1d(k\x04\x001C\x06", (0, "GS ( k with its parameters")),
        (
            b"\x1d(k\x04\x001C\x06\x00",
            (0, "GS ( k QR module size (fn 67) has pL pH = 4"),
        ),
        (b"\x1d(k\x03\x001P0", (0, "GS ( k QR store")),
        (b"\x1d(k\x03\x001Q0", (0, "QR print (GS ( k fn 81) with no")),
        (b"\x1d(k\x03\x001R0", (0, "GS ( k QR function 82")),
        (b"\x1d(k\x03\x000A0", (0, "GS ( k cn 48")),
        (
            b"\x1dv0\x00\x02\x00\x02\x00\xff\xff\xff",
            (0, "GS v 0 with its data"),
        ),
        // Values the reference does not define.
        (b"\x1ba\x05", (0, "ESC a 5")),
        (b"\x1d!\x88", (0, "GS ! 0x88")),
        (b"\x1dV\x07", (0, "GS V 7")),
        (b"\x10\x04\x09", (0, "DLE EOT 9")),
        // Text that is not text in its mode.
        (b"ab\xb0\xa1", (2, "byte 0xb0 outside Chinese mode")),
        (b"\x1c&\xb0\x1c.", (2, "[b0] is not GB18030")),
        // Alignment is only taken at the start of a line.
        (b"ab\x1ba\x01cd\x0a", (2, "ESC a in the middle")),
    ];
    for (bytes, e) in no {
        check(bytes, Err(*e));
    }
}
