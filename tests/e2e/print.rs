//! Ticket printing against a fake ESC/POS network printer on 127.0.0.1:
//! the bytes of real tickets, and printers that fail in the ways real ones do.

use std::sync::{Arc, Mutex};

use qcall::config::PrinterSection;
use qcall_printer::encode::{find, native_qr_payloads};
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::sync::mpsc;

use super::*;

/// How the fake printer behaves right now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Ready,
    PaperOut,
    /// Accepts connections, then never reads or answers.
    Stall,
}

struct FakePrinter {
    port: u16,
    mode: Arc<Mutex<Mode>>,
    jobs: mpsc::UnboundedReceiver<Vec<u8>>,
}

impl FakePrinter {
    async fn start(mode: Mode) -> FakePrinter {
        FakePrinter::on(TcpListener::bind("127.0.0.1:0").await.unwrap(), mode)
    }

    fn on(listener: TcpListener, mode: Mode) -> FakePrinter {
        let port = listener.local_addr().unwrap().port();
        let mode = Arc::new(Mutex::new(mode));
        let (tx, jobs) = mpsc::unbounded_channel();
        let shared = mode.clone();
        tokio::spawn(async move {
            // Stalled connections are kept open here, never read.
            let mut stalled = Vec::new();
            while let Ok((mut socket, _)) = listener.accept().await {
                let mode = *shared.lock().unwrap();
                if mode == Mode::Stall {
                    stalled.push(socket);
                    continue;
                }
                let tx = tx.clone();
                tokio::spawn(async move {
                    let mut all = Vec::new();
                    let mut scanned = 0;
                    let mut job_started = false;
                    let mut buf = [0u8; 4096];
                    loop {
                        let n = match socket.read(&mut buf).await {
                            Ok(0) | Err(_) => break,
                            Ok(n) => n,
                        };
                        all.extend_from_slice(&buf[..n]);
                        // Answer DLE EOT n requests that come before the job.
                        while !job_started
                            && scanned + 3 <= all.len()
                            && all[scanned..scanned + 2] == [0x10, 0x04]
                        {
                            let reply = match (mode, all[scanned + 2]) {
                                (Mode::PaperOut, 1) => 0x1A,
                                (Mode::PaperOut, 2) => 0x32,
                                (Mode::PaperOut, 4) => 0x72,
                                _ => 0x12,
                            };
                            let _ = socket.write_all(&[reply]).await;
                            scanned += 3;
                        }
                        if !job_started && scanned < all.len() && all[scanned] == 0x1B {
                            job_started = true;
                        }
                    }
                    if job_started {
                        let _ = tx.send(all[scanned..].to_vec());
                    }
                });
            }
            drop(stalled);
        });
        FakePrinter { port, mode, jobs }
    }

    fn set(&self, mode: Mode) {
        *self.mode.lock().unwrap() = mode;
    }

    async fn next_job(&mut self) -> Vec<u8> {
        tokio::time::timeout(FRAME_TIMEOUT, self.jobs.recv())
            .await
            .expect("no print job arrived")
            .unwrap()
    }
}

/// A free port with nobody listening on it.
fn closed_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The demo hall with one network printer at `port` for kiosk-1 and counter 1.
fn hall_with_printer(port: u16) -> Hall {
    Hall::with(|c| {
        c.server.kiosk_rate_per_minute = 0;
        c.printers = vec![PrinterSection {
            id: "k1".into(),
            uri: format!("tcp://127.0.0.1:{port}"),
            width_mm: 80,
            qr: "native".into(),
            timeout_ms: 500,
            status_query: true,
            kiosks: vec!["kiosk-1".into()],
            counters: vec!["1".into()],
        }];
        c.print.notice_printer = "k1".into();
        c.print.check_interval_s = 0;
    })
}

fn gb(s: &str) -> Vec<u8> {
    encoding_rs::GB18030.encode(s).0.into_owned()
}

#[tokio::test]
async fn a_kiosk_ticket_prints_in_chinese_with_a_big_number_a_qr_and_a_cut() {
    let mut printer = FakePrinter::start(Mode::Ready).await;
    let hall = hall_with_printer(printer.port);
    let d = hall.start();
    let mut c = d.conn().await;
    // The reply does not wait for paper: the print's result follows on
    // the stream.
    let (resp, printed) = d
        .take_and_print(&json!({"service": "B", "source": "kiosk-1"}))
        .await;
    assert_eq!(
        (resp.body["print"].clone(), resp.body["printer"].clone()),
        (json!("queued"), json!("k1")),
        "{}",
        resp.body
    );
    assert_eq!(
        (printed["status"].clone(), printed["printer"].clone()),
        (json!("printed"), json!("k1")),
        "{printed}"
    );
    assert_eq!(printed["number"], resp.body["ticket"]["number"]);
    let ticket = &resp.body["ticket"];
    let bytes = printer.next_job().await;

    assert_eq!(&bytes[..2], &[0x1B, b'@'], "ESC @ first");
    let chinese = find(&bytes, &[0x1C, 0x26], 0).expect("FS &: Chinese mode");
    let service = find(
        &bytes,
        &gb(ticket["service_name"]["zh"].as_str().unwrap()),
        0,
    )
    .expect("GB18030 service name");
    assert!(chinese < service, "Chinese mode before Chinese text");
    assert!(
        find(&bytes, "残疾人证".as_bytes(), 0).is_none(),
        "no UTF-8 Chinese"
    );
    let big = find(&bytes, &[0x1D, b'!', 0x33], 0).expect("GS ! 4x4");
    let number =
        find(&bytes, ticket["number"].as_str().unwrap().as_bytes(), big).expect("the number");
    let normal = find(&bytes, &[0x1D, b'!', 0x00], big).expect("size back to normal");
    assert!(
        big < number && number < normal,
        "the number is printed large"
    );
    assert_eq!(
        native_qr_payloads(&bytes),
        vec![ticket["status_url"].as_str().unwrap().to_owned()]
    );
    assert_eq!(&bytes[bytes.len() - 4..], &[0x1D, b'V', b'A', 0], "cut");

    // A ticket from a source with no printer is not printed, and says so.
    let phone = c
        .post(
            "/api/v1/tickets",
            None,
            &json!({"service": "B", "source": "phone"}),
        )
        .await
        .unwrap();
    assert_eq!(phone.body["print"], "none");
    let printers = c.get("/api/v1/printers").await.unwrap().body;
    assert_eq!(printers["printers"][0]["state"], "ready");
    assert_eq!(printers["printers"][0]["printed"], 1);
}

/// A printer that fails in `fail` mode: the ticket is issued and marked not
/// printed, supervisors see `printer_state`, and a reprint succeeds once the
/// printer is back.
async fn fails_then_reprints(fail: Mode, state: &str, reason: &str) {
    let port = closed_port();
    let mut printer = if fail == Mode::Ready {
        None
    } else {
        Some(FakePrinter::start(fail).await)
    };
    let port = printer.as_ref().map_or(port, |p| p.port);
    let hall = hall_with_printer(port);
    let d = hall.start();
    let guide = hall.token(&["--guide", "wang"]);
    let mut display = d.display("").await;
    display.next_of("snapshot").await;
    let mut c = d.conn().await;

    let (resp, printed) = d
        .take_and_print(&json!({"service": "A", "source": "kiosk-1"}))
        .await;
    assert_eq!(resp.body["print"], "queued", "not known to be down yet");
    assert_eq!(printed["status"], "failed", "{printed}");
    let why = printed["reason"].as_str().unwrap();
    assert!(why.contains(reason), "{why:?} should say {reason:?}");
    let id = resp.body["ticket"]["id"].as_u64().unwrap();
    let number = resp.body["ticket"]["number"].as_str().unwrap().to_owned();
    let got = c.get(&format!("/api/v1/tickets/{id}")).await.unwrap();
    assert_eq!(got.body["ticket"]["state"], "waiting");

    let alert = display.next_of("printer_state").await;
    assert_eq!(
        (alert["printer"].clone(), alert["state"].clone()),
        (json!("k1"), json!(state))
    );
    let printers = c.get("/api/v1/printers").await.unwrap().body;
    assert_eq!(printers["printers"][0]["state"], state);
    assert_eq!(printers["printers"][0]["failed"], 1);

    // Known to be down now: the next kiosk ticket is not sent to wait for
    // the printer's timeout, and the reply says so at once.
    let (next, printed) = d
        .take_and_print(&json!({"service": "A", "source": "kiosk-1"}))
        .await;
    assert_eq!(next.body["print"], "failed", "{}", next.body);
    let skipped = next.body["print_reason"].as_str().unwrap();
    assert!(
        skipped.contains("not sent, the printer is down") && skipped.contains(reason),
        "{skipped}"
    );
    assert_eq!(printed["status"], "failed", "the stream says so too");

    // Reprint needs a guide or supervisor...
    let path = format!("/api/v1/tickets/{id}/reprint");
    assert_eq!(
        c.post(&path, None, &json!({}))
            .await
            .unwrap()
            .status
            .as_u16(),
        401
    );
    let still_down = c.post(&path, Some(&guide), &json!({})).await.unwrap();
    assert_eq!(still_down.status.as_u16(), 502);
    assert_eq!(still_down.body["error"]["code"], "print_failed");
    // ...and succeeds once the printer is back.
    let printer = match printer.as_mut() {
        Some(p) => {
            p.set(Mode::Ready);
            p
        }
        None => {
            let listener = TcpListener::bind(("127.0.0.1", port)).await.unwrap();
            printer.insert(FakePrinter::on(listener, Mode::Ready))
        }
    };
    let again = c.post(&path, Some(&guide), &json!({})).await.unwrap();
    assert_eq!(again.status.as_u16(), 200, "{}", again.body);
    assert_eq!(again.body["print"], "printed");
    let bytes = printer.next_job().await;
    assert!(
        find(&bytes, number.as_bytes(), 0).is_some(),
        "the same number"
    );
    assert!(
        find(&bytes, &gb("补打"), 0).is_some(),
        "marked as a reprint"
    );
    // (A check may have reported the same fault in other words first.)
    let back = loop {
        let v = display.next_of("printer_state").await;
        if v["state"] != state {
            break v;
        }
    };
    assert_eq!(back["state"], "ready");
}

#[tokio::test]
async fn a_printer_refusing_connections_loses_no_ticket() {
    fails_then_reprints(Mode::Ready, "unreachable", "cannot reach the printer").await;
}

#[tokio::test]
async fn a_printer_that_accepts_then_stalls_loses_no_ticket() {
    fails_then_reprints(Mode::Stall, "offline", "did not answer").await;
}

#[tokio::test]
async fn a_printer_out_of_paper_loses_no_ticket() {
    fails_then_reprints(Mode::PaperOut, "paper_out", "out of paper").await;
}

#[tokio::test]
async fn a_counter_prints_a_one_time_notice_slip() {
    let mut printer = FakePrinter::start(Mode::Ready).await;
    let hall = hall_with_printer(printer.port);
    let d = hall.start();
    let token = hall.counter_token("1");
    let mut c = d.conn().await;
    c.post("/api/v1/tickets", None, &json!({"service": "B"}))
        .await
        .unwrap();
    c.post("/api/v1/counters/1/call-next", Some(&token), &json!({}))
        .await
        .unwrap();
    let path = "/api/v1/counters/1/notice";
    let body = json!({"missing": ["医院诊断证明", "近期二寸免冠彩色照片3张"], "note": "照片需白底", "staff": "li.na"});
    assert_eq!(
        c.post(path, None, &body).await.unwrap().status.as_u16(),
        401
    );
    let bad = c
        .post(path, Some(&token), &json!({"missing": []}))
        .await
        .unwrap();
    assert_eq!(bad.status.as_u16(), 422);
    let resp = c.post(path, Some(&token), &body).await.unwrap();
    assert_eq!(resp.status.as_u16(), 200, "{}", resp.body);
    assert_eq!(resp.body["print"], "printed");
    let bytes = printer.next_job().await;
    assert_eq!(&bytes[..2], &[0x1B, b'@']);
    for text in [
        "一次性告知单",
        "医院诊断证明",
        "近期二寸免冠彩色照片3张",
        "照片需白底",
        "1号窗口",
        "残疾人证办理",
    ] {
        assert!(
            find(&bytes, &gb(text), 0).is_some(),
            "{text} missing from the notice slip"
        );
    }
    assert!(find(&bytes, b"li.na", 0).is_some() && find(&bytes, b"B001", 0).is_some());
    assert_eq!(&bytes[bytes.len() - 4..], &[0x1D, b'V', b'A', 0]);
}

/// ESC/POS commands a JSON string can carry: a reset (ESC @), a cut
/// (GS V A 0), a cash-drawer kick (ESC p 0 25 127), a status request
/// (DLE EOT 1), NUL and C1 controls. Their printable remains are `@VAp`.
const CONTROLS: &str = "\u{1b}@\u{1d}VA\u{0}\u{1b}p\u{0}\u{19}\u{7f}\u{10}\u{4}\u{1}\u{80}\u{9b}";

/// Reads a file printer's `job` of `slips` slips with the e2e reader: each
/// slip starts with its one ESC @ and ends with its one GS V cut, there is no
/// ESC p or DLE EOT, and no printed line holds a control character. Returns
/// the printed lines.
fn check_slips(job: &[u8], slips: usize) -> Vec<String> {
    let mut cuts = 0;
    let mut at_start = true;
    for item in escpos_read(job) {
        match &item {
            EscPos::Command(c) if at_start => {
                assert_eq!(c, "ESC @", "a slip starts with ESC @");
                at_start = false;
            }
            EscPos::Command(c) if c == "ESC @" => panic!("an ESC @ inside slip {}", cuts + 1),
            EscPos::Command(c) if c == "GS V" => {
                cuts += 1;
                at_start = true;
            }
            EscPos::Command(c) => assert!(
                c != "ESC p" && c != "DLE EOT",
                "{c} in slip {}: only the layout's own commands",
                cuts + 1
            ),
            EscPos::Line(text) => {
                assert!(!at_start, "text before ESC @: {text:?}");
                assert!(!text.chars().any(char::is_control), "{text:?}");
            }
        }
    }
    assert!(at_start, "the last slip is cut");
    assert_eq!(cuts, slips, "one cut per slip");
    escpos_lines(job)
}

/// The demo hall with A001 called at counter 1; its notice printer is the
/// file `hall.escpos`.
async fn called_at_counter_1(hall: &Hall, d: &Daemon) -> (Conn, String) {
    let token = hall.counter_token("1");
    let mut c = d.conn().await;
    let take = c
        .post("/api/v1/tickets", None, &json!({"service": "A"}))
        .await
        .unwrap();
    assert_eq!(take.status.as_u16(), 201, "{}", take.body);
    let call = c
        .post("/api/v1/counters/1/call-next", Some(&token), &json!({}))
        .await
        .unwrap();
    assert_eq!(call.status.as_u16(), 200, "{}", call.body);
    (c, token)
}

fn has(lines: &[String], text: &str) {
    assert!(lines.iter().any(|l| l.contains(text)), "{text}: {lines:#?}");
}

#[tokio::test]
async fn control_codes_in_a_notice_never_reach_the_printer() {
    let hall = Hall::demo();
    let d = hall.start();
    let (mut c, token) = called_at_counter_1(&hall, &d).await;
    let body = json!({
        "missing": [format!("户口簿{CONTROLS}"), format!("{CONTROLS}照片")],
        "note": format!("补齐后{CONTROLS}\r\n直接来"),
        "staff": format!("li{CONTROLS}.na"),
    });
    let resp = c
        .post("/api/v1/counters/1/notice", Some(&token), &body)
        .await
        .unwrap();
    assert_eq!(resp.status.as_u16(), 200, "{}", resp.body);
    assert_eq!(resp.body["print"], "printed", "{}", resp.body);
    let job = std::fs::read(hall.path().join("hall.escpos")).unwrap();
    let lines = check_slips(&job, 1);
    has(&lines, "1. 户口簿@VAp");
    has(&lines, "2. @VAp照片");
    has(&lines, "备注 Note: 补齐后@VAp 直接来");
    has(&lines, "经办人 Staff: li@VAp.na");
}

#[tokio::test]
async fn control_codes_in_a_suspension_never_reach_the_printer() {
    let hall = Hall::demo();
    let d = hall.start();
    let (mut c, token) = called_at_counter_1(&hall, &d).await;
    let body = json!({
        "missing": [format!("户口簿{CONTROLS}"), format!("照片\t{CONTROLS}")],
        "note": format!("{CONTROLS}补齐后\n直接来"),
    });
    let resp = c
        .post("/api/v1/counters/1/suspend", Some(&token), &body)
        .await
        .unwrap();
    assert_eq!(resp.status.as_u16(), 200, "{}", resp.body);
    assert_eq!(resp.body["ticket"]["state"], "suspended", "{}", resp.body);
    assert_eq!(
        resp.body["notice_print"]["status"], "printed",
        "{}",
        resp.body
    );
    let job = std::fs::read(hall.path().join("hall.escpos")).unwrap();
    let lines = check_slips(&job, 1);
    has(&lines, "1. 户口簿@VAp");
    has(&lines, "2. 照片 @VAp");
    has(&lines, "备注 Note: @VAp补齐后 直接来");
}
