//! End-to-end tests: the real `qcall` binary on the demo hall, over real
//! sockets, with a real SQLite file in a temp dir.
//!
//! The helpers here start daemons, run CLI commands and open websockets;
//! each module is one area of the contract.

mod actions;
mod api;
mod audio;
mod cli;
mod config_check;
mod connections;
mod crash;
mod failures;
mod hall_ops;
mod integrations;
mod notify;
mod print;
mod protocol;
mod rating;
mod rectify;
mod remote;
mod rollover;
mod screens;
mod staff;
mod storage;
mod trust;
mod ws;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::OnceLock;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use qcall::client::Conn;
use qcall::config::Config;
use serde_json::Value;
use tokio_tungstenite::tungstenite::Message;

/// The workspace root.
fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// The `qcall` executable, built once per test run with the same profile
/// and the `test-clock` feature, so tests can set the daemon's time.
fn qcall_bin() -> &'static Path {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let status = Command::new(cargo)
            .current_dir(root())
            .args([
                "build",
                "--quiet",
                "-p",
                "qcall",
                "--bin",
                "qcall",
                "--features",
                "test-clock",
            ])
            .status()
            .expect("cannot run cargo to build the qcall binary");
        assert!(status.success(), "building the qcall binary failed");
        // target/<profile>/deps/e2e-<hash> -> target/<profile>/qcall
        let exe = std::env::current_exe().unwrap();
        let bin = exe.parent().unwrap().parent().unwrap().join("qcall");
        assert!(bin.exists(), "no qcall binary at {}", bin.display());
        bin
    })
}

/// Runs `qcall ARGS` to completion.
fn qcall(args: &[&str]) -> Output {
    Command::new(qcall_bin())
        .args(args)
        .env("RUST_LOG", "warn")
        .output()
        .expect("cannot run qcall")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// What an ESC/POS job holds, read from the command reference (not from
/// qcall-printer) by [`escpos_read`].
#[derive(Debug, Clone, PartialEq, Eq)]
enum EscPos {
    /// A command by its name in the reference: `ESC @`, `GS V`, `ESC p`,
    /// `DLE EOT`, `FS &`, ...
    Command(String),
    /// A printed line's text, blank or not (LF, ESC d and ESC J print the
    /// line buffer).
    Line(String),
}

/// An ESC/POS job as a printer reads it: commands are recognised with their
/// documented lengths, text between FS & and FS . is GB18030, and any other
/// byte (a stray control code, text outside Chinese mode, an unknown
/// command) fails the test with its offset.
fn escpos_read(job: &[u8]) -> Vec<EscPos> {
    let mut out = Vec::new();
    let mut line = Vec::new();
    let end_line = |line: &mut Vec<u8>, out: &mut Vec<EscPos>| {
        let (text, _, bad) = encoding_rs::GB18030.decode(line);
        assert!(!bad, "not GB18030: {line:?}");
        out.push(EscPos::Line(text.into_owned()));
        line.clear();
    };
    let mut chinese = false;
    let mut i = 0;
    let at = |i: usize| -> u8 {
        *job.get(i)
            .unwrap_or_else(|| panic!("a command cut short at byte {i}"))
    };
    let byte = |i: usize| -> usize { usize::from(at(i)) };
    while i < job.len() {
        let (name, len) = match job[i] {
            0x0A => {
                end_line(&mut line, &mut out);
                i += 1;
                continue;
            }
            0x1B => {
                let b = at(i + 1);
                let len = match b {
                    // ESC @ (initialise), ESC 2 (default line spacing)
                    b'@' | b'2' => 2,
                    // print and feed n lines, print and feed n dots
                    b'd' | b'J' => {
                        end_line(&mut line, &mut out);
                        3
                    }
                    // justify, bold, print mode, underline, font, code
                    // table, line spacing, double strike, upside down
                    b'a' | b'E' | b'!' | b'-' | b'M' | b't' | b'3' | b'G' | b'{' => 3,
                    // ESC p m t1 t2: the cash-drawer kick
                    b'p' => 5,
                    other => panic!("unknown ESC {other:#04x} at {i}"),
                };
                (format!("ESC {}", b as char), len)
            }
            0x1D => {
                let b = at(i + 1);
                let len = match b {
                    // character size, HRI, barcode height and width, smoothing
                    b'!' | b'B' | b'H' | b'h' | b'w' | b'f' => 3,
                    // cut: GS V m, or GS V m n for m = 65, 66
                    b'V' => match at(i + 2) {
                        65 | 66 | 97 | 98 => 4,
                        _ => 3,
                    },
                    // GS ( fn pL pH data...: the QR code functions
                    b'(' => 5 + byte(i + 3) + 256 * byte(i + 4),
                    // GS v 0 m xL xH yL yH data: a raster image
                    b'v' => {
                        8 + (byte(i + 4) + 256 * byte(i + 5)) * (byte(i + 6) + 256 * byte(i + 7))
                    }
                    other => panic!("unknown GS {other:#04x} at {i}"),
                };
                (format!("GS {}", b as char), len)
            }
            // FS & and FS .: Chinese character mode on and off
            0x1C => {
                let b = at(i + 1);
                chinese = match b {
                    b'&' => true,
                    b'.' => false,
                    other => panic!("unknown FS {other:#04x} at {i}"),
                };
                (format!("FS {}", b as char), 2)
            }
            // DLE EOT n: a status request
            0x10 if at(i + 1) == 0x04 => ("DLE EOT".to_owned(), 3),
            b if b < 0x20 || b == 0x7F => panic!("stray control byte {b:#04x} at {i}"),
            b => {
                assert!(chinese, "text {b:#04x} outside FS & ... FS . at {i}");
                line.push(b);
                i += 1;
                continue;
            }
        };
        assert!(i + len <= job.len(), "{name} at {i} is cut short");
        out.push(EscPos::Command(name));
        i += len;
    }
    assert!(!chinese, "the job never leaves Chinese mode");
    assert!(line.is_empty(), "text left unprinted at the end: {line:?}");
    out
}

/// The text lines of an ESC/POS job ([`escpos_read`]), blank lines dropped.
fn escpos_lines(job: &[u8]) -> Vec<String> {
    escpos_read(job)
        .into_iter()
        .filter_map(|x| match x {
            EscPos::Line(text) if !text.trim().is_empty() => Some(text),
            _ => None,
        })
        .collect()
}

/// A hall for tests: the demo config, without the kiosk rate limit unless
/// a test wants it.
struct Hall {
    dir: tempfile::TempDir,
    config: PathBuf,
    db: PathBuf,
}

impl Hall {
    fn demo() -> Hall {
        Hall::with(|c| c.server.kiosk_rate_per_minute = 0)
    }

    fn with(edit: impl FnOnce(&mut Config)) -> Hall {
        let dir = tempfile::tempdir().unwrap();
        let mut config = Config::load(&root().join("config/demo.toml")).unwrap();
        let db = dir.path().join("hall.db");
        config.server.db = db.clone();
        // The demo "prints" into files under var/: keep them in the temp dir.
        for p in &mut config.printers {
            if p.uri.starts_with("file:") {
                p.uri = format!("file://{}/{}.escpos", dir.path().display(), p.id);
            }
        }
        // A developer's machine has speakers: tests that want audio say so
        // (and point ALSA at a file).
        config.audio.enabled = false;
        config.audio.pack = root().join("assets/voice/default");
        // The demo's lunch-time quiet hours would make audio tests depend
        // on the time of day.
        config.audio.quiet_hours = vec![];
        edit(&mut config);
        let path = dir.path().join("hall.toml");
        std::fs::write(&path, toml::to_string(&config).unwrap()).unwrap();
        Hall {
            dir,
            config: path,
            db,
        }
    }

    fn start(&self) -> Daemon {
        Daemon::start(&self.config, &self.db, None)
    }

    /// A daemon whose clock starts at `ms` and moves only when told
    /// (`Daemon::set_clock`).
    fn start_at(&self, ms: i64) -> Daemon {
        Daemon::start(&self.config, &self.db, Some(ms))
    }

    /// A new token from `qcall token create`.
    fn token(&self, args: &[&str]) -> String {
        let mut all = vec!["token", "create", "--config", self.config.to_str().unwrap()];
        all.extend_from_slice(args);
        let out = qcall(&all);
        assert!(
            out.status.success(),
            "token create failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        stdout(&out).trim().to_owned()
    }

    fn counter_token(&self, counter: &str) -> String {
        self.token(&["--counter", counter])
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }
}

/// A running daemon, killed (SIGKILL) when dropped.
struct Daemon {
    child: Child,
    url: String,
}

impl Daemon {
    fn start(config: &Path, db: &Path, clock_ms: Option<i64>) -> Daemon {
        Daemon::spawn(config, db, clock_ms, &[])
    }

    /// [`Daemon::start`] with extra environment variables.
    fn start_with_env(config: &Path, db: &Path, env: &[(&str, &Path)]) -> Daemon {
        Daemon::spawn(config, db, None, env)
    }

    fn spawn(config: &Path, db: &Path, clock_ms: Option<i64>, env: &[(&str, &Path)]) -> Daemon {
        let mut cmd = Command::new(qcall_bin());
        if let Some(ms) = clock_ms {
            cmd.env("QCALL_TEST_CLOCK_MS", ms.to_string());
        }
        let mut child = cmd
            .args(["serve", "--listen", "127.0.0.1:0", "--config"])
            .arg(config)
            .arg("--db")
            .arg(db)
            .envs(env.iter().map(|(k, v)| (k, v.as_os_str())))
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("cannot start qcall serve");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let url = line
            .trim()
            .rsplit(' ')
            .next()
            .unwrap_or_default()
            .to_owned();
        assert!(
            url.starts_with("http://127.0.0.1:"),
            "daemon did not start: {line:?}"
        );
        Daemon { child, url }
    }

    /// SIGKILL: no shutdown code runs.
    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    async fn conn(&self) -> Conn {
        Conn::connect(&self.url).await.unwrap()
    }

    /// Sets the daemon's clock (test builds only).
    async fn set_clock(&self, ms: i64) {
        let resp = self
            .conn()
            .await
            .post(
                "/api/v1/test/clock",
                None,
                &serde_json::json!({"set_ms": ms}),
            )
            .await
            .unwrap();
        assert_eq!(
            resp.status.as_u16(),
            200,
            "the daemon was not started with a test clock: {}",
            resp.body
        );
    }

    fn ws_url(&self, path: &str) -> String {
        format!("{}{path}", self.url.replacen("http://", "ws://", 1))
    }

    /// A counter socket for `token`, past its `auth_ok` and snapshot.
    async fn counter_socket(&self, token: &str) -> Ws {
        let mut ws = Ws::connect(&self.ws_url("/ws/counter")).await;
        ws.send(serde_json::json!({"type": "auth", "token": token}))
            .await;
        assert_eq!(ws.next().await["type"], "auth_ok");
        ws.next_of("snapshot").await;
        ws
    }

    async fn display(&self, query: &str) -> Ws {
        Ws::connect(&self.ws_url(&format!("/ws/display{query}"))).await
    }

    /// Takes a ticket with `body` (which names a kiosk with a printer) and
    /// follows it to its printer: the reply (201, `print` queued or, for a
    /// printer known to be down, failed) and the `ticket_print` notice the
    /// display stream carries for it.
    async fn take_and_print(&self, body: &serde_json::Value) -> (qcall::client::Response, Value) {
        let mut display = self.display("").await;
        display.next_of("snapshot").await;
        let resp = self
            .conn()
            .await
            .post("/api/v1/tickets", None, body)
            .await
            .unwrap();
        assert_eq!(resp.status.as_u16(), 201, "{}", resp.body);
        let id = resp.body["ticket"]["id"].clone();
        let notice = loop {
            let v = display.next_of("ticket_print").await;
            if v["ticket_id"] == id {
                break v;
            }
        };
        (resp, notice)
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        self.kill();
    }
}

type WsStream =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// A websocket client that reads JSON frames with a deadline.
struct Ws {
    socket: WsStream,
}

/// Long enough for a loaded CI box, short enough that a hang fails fast.
const FRAME_TIMEOUT: Duration = Duration::from_secs(10);

impl Ws {
    async fn connect(url: &str) -> Ws {
        let (socket, _) = tokio_tungstenite::connect_async(url).await.unwrap();
        Ws { socket }
    }

    async fn send(&mut self, v: Value) {
        self.socket
            .send(Message::Text(v.to_string().into()))
            .await
            .unwrap();
    }

    /// The next text frame as JSON; panics on close or timeout.
    async fn next(&mut self) -> Value {
        loop {
            let msg = tokio::time::timeout(FRAME_TIMEOUT, self.socket.next())
                .await
                .expect("no frame within the timeout")
                .expect("socket closed")
                .expect("socket error");
            match msg {
                Message::Text(t) => return serde_json::from_str(&t).unwrap(),
                Message::Close(c) => panic!("socket closed: {c:?}"),
                _ => {}
            }
        }
    }

    /// The next frame of `kind`, skipping others.
    async fn next_of(&mut self, kind: &str) -> Value {
        loop {
            let v = self.next().await;
            if v["type"] == kind {
                return v;
            }
        }
    }

    /// Frames up to and including the next one of `kind`.
    async fn until(&mut self, kind: &str) -> Vec<Value> {
        let mut seen = Vec::new();
        loop {
            let v = self.next().await;
            let done = v["type"] == kind;
            seen.push(v);
            if done {
                return seen;
            }
        }
    }

    /// Waits for the close frame and returns its reason.
    async fn closed_reason(&mut self) -> String {
        loop {
            let msg = tokio::time::timeout(FRAME_TIMEOUT, self.socket.next())
                .await
                .expect("socket stayed open");
            match msg {
                Some(Ok(Message::Close(Some(frame)))) => return frame.reason.to_string(),
                Some(Ok(Message::Close(None))) | None | Some(Err(_)) => return String::new(),
                Some(Ok(_)) => {}
            }
        }
    }
}
