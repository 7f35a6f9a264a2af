//! An ESC/POS reader for tests: what a printer would make of a byte stream.
//!
//! Written from Epson's ESC/POS command reference, not from the encoder: it
//! shares no code with [`crate::encode`] and does not use the `escpos`
//! crate, so a slip test that reads bytes with it is checked by a second
//! opinion. It walks the stream the way a printer does, records each command
//! with its documented length, keeps the print state (Chinese mode, size,
//! bold, alignment, the stored QR symbol) and says what the paper shows: lines
//! of text with their style, QR codes, raster images, blank lines, cuts.
//! Text is GB18030 between FS & and FS . and printable ASCII outside.
//!
//! It is strict on purpose. An unknown command, a length field that does not
//! fit its function, a truncated command, a byte that is not text in the
//! current mode, a QR print with nothing stored, or an alignment change in
//! the middle of a line (which a printer ignores) is a [`ReadError`] with its
//! offset: a test reading corrupt output fails instead of skipping over it.
//!
//! It does not render dots, does not know page mode, and knows only the
//! commands listed in [`read`]; a new command in the encoder must be added
//! here from the reference before its slips can be read.

use std::fmt;

/// One command or text run, as read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    // Text and paper movement.
    /// Printable bytes, decoded.
    Text(String),
    /// LF: print the line buffer and feed one line.
    LineFeed,
    /// CR: no effect when LF follows (the usual setting).
    CarriageReturn,
    /// ESC d n: print the line buffer and feed n lines.
    FeedLines(u8),
    /// ESC J n: print the line buffer and feed n dots.
    FeedDots(u8),
    /// GS V: cut, after feeding `feed` dots for functions B to D.
    Cut { partial: bool, feed: u8 },

    // Print state.
    /// ESC @: back to power-on settings.
    Init,
    /// ESC ! n: font, bold, double height and width, underline in one byte.
    PrintMode(u8),
    /// ESC E n: bold on or off.
    Bold(bool),
    /// ESC a n: alignment of the lines that start after it.
    Justify(Justify),
    /// GS ! n: character size, 1 to 8 times in each direction.
    Size { width: u8, height: u8 },
    /// FS &: Chinese (double-byte) character mode on.
    ChineseOn,
    /// FS .: Chinese character mode off.
    ChineseOff,

    // Two-dimensional codes and images.
    /// GS ( k, fn 65: QR model (49 = 1, 50 = 2, 51 = micro).
    QrModel(u8),
    /// GS ( k, fn 67: module size in dots.
    QrModuleSize(u8),
    /// GS ( k, fn 69: error correction, 48 = L, 49 = M, 50 = Q, 51 = H.
    QrErrorCorrection(u8),
    /// GS ( k, fn 80: the symbol's data, kept until printed.
    QrStore(Vec<u8>),
    /// GS ( k, fn 81: print the stored symbol.
    QrPrint,
    /// GS v 0 m xL xH yL yH d...: a raster bit image, `width_bytes` bytes a
    /// row, most significant bit leftmost, 1 = black.
    Raster {
        mode: u8,
        width_bytes: usize,
        height: usize,
        data: Vec<u8>,
    },

    // Everything else the reference defines that a slip may carry but that
    // changes nothing these tests look at.
    /// A known command with no effect on what the paper says: its name in
    /// the reference and its parameter bytes.
    Other { name: &'static str, params: Vec<u8> },
}

/// ESC a.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Justify {
    Left,
    Center,
    Right,
}

/// The style of characters in the line buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Style {
    pub bold: bool,
    pub width: u8,
    pub height: u8,
}

impl Style {
    const NORMAL: Style = Style {
        bold: false,
        width: 1,
        height: 1,
    };
}

/// What comes out of the printer, top to bottom.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Printed {
    /// A printed line: runs of text with their style.
    Line {
        justify: Justify,
        runs: Vec<(Style, String)>,
    },
    /// A line fed with nothing printed on it.
    Blank,
    /// A QR symbol printed from the data stored before.
    Qr {
        justify: Justify,
        model: u8,
        module: u8,
        correction: u8,
        data: Vec<u8>,
    },
    /// A raster image (see [`Command::Raster`]).
    Image {
        width_bytes: usize,
        height: usize,
        data: Vec<u8>,
    },
    /// The paper was cut here.
    Cut,
}

impl Printed {
    /// The line's text, all runs together.
    pub fn text(&self) -> Option<String> {
        match self {
            Printed::Line { runs, .. } => Some(runs.iter().map(|(_, t)| t.as_str()).collect()),
            _ => None,
        }
    }
}

/// A stream read to its end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Printout {
    pub commands: Vec<Command>,
    pub paper: Vec<Printed>,
    /// Still in Chinese mode after the last byte: the next job, sent by
    /// anyone, would print its single-byte text as double-byte characters.
    pub chinese_at_end: bool,
    /// Text still in the line buffer after the last byte (never printed).
    pub unprinted: String,
}

impl Printout {
    /// Every printed line's text, in order.
    pub fn texts(&self) -> Vec<String> {
        self.paper.iter().filter_map(Printed::text).collect()
    }

    /// The paper as one string a line, for whole-slip comparisons:
    /// `center: [bold 4x4]A012`, `(blank)`, `center: QR model 2, 6 dots,
    /// EC M: http://...`, `(image 25x200)`, `(cut)`.
    pub fn transcript(&self) -> Vec<String> {
        self.paper
            .iter()
            .map(|p| match p {
                Printed::Line { justify, runs } => {
                    let runs: String = runs
                        .iter()
                        .map(|(style, text)| {
                            let mut tags = Vec::new();
                            if style.bold {
                                tags.push("bold".to_owned());
                            }
                            if (style.width, style.height) != (1, 1) {
                                tags.push(format!("{}x{}", style.width, style.height));
                            }
                            if tags.is_empty() {
                                text.clone()
                            } else {
                                format!("[{}]{text}", tags.join(" "))
                            }
                        })
                        .collect();
                    format!("{}: {runs}", justify_name(*justify))
                }
                Printed::Blank => "(blank)".into(),
                Printed::Qr {
                    justify,
                    model,
                    module,
                    correction,
                    data,
                } => format!(
                    "{}: QR model {}, {module} dots, EC {}: {}",
                    justify_name(*justify),
                    model.wrapping_sub(48),
                    match correction {
                        48 => "L",
                        49 => "M",
                        50 => "Q",
                        _ => "H",
                    },
                    String::from_utf8_lossy(data)
                ),
                Printed::Image {
                    width_bytes,
                    height,
                    ..
                } => format!("(image {width_bytes}x{height})"),
                Printed::Cut => "(cut)".into(),
            })
            .collect()
    }

    /// The QR symbols printed, as text.
    pub fn qr_codes(&self) -> Vec<String> {
        self.paper
            .iter()
            .filter_map(|p| match p {
                Printed::Qr { data, .. } => Some(String::from_utf8_lossy(data).into_owned()),
                _ => None,
            })
            .collect()
    }
}

fn justify_name(j: Justify) -> &'static str {
    match j {
        Justify::Left => "left",
        Justify::Center => "center",
        Justify::Right => "right",
    }
}

/// Why a stream cannot be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadError {
    /// Where the offending command or byte starts.
    pub offset: usize,
    pub message: String,
}

impl fmt::Display for ReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "byte {}: {}", self.offset, self.message)
    }
}

impl std::error::Error for ReadError {}

const LF: u8 = 0x0A;
const CR: u8 = 0x0D;
const HT: u8 = 0x09;
const DLE: u8 = 0x10;
const ESC: u8 = 0x1B;
const FS: u8 = 0x1C;
const GS: u8 = 0x1D;

/// The print state a command stream changes.
struct State {
    chinese: bool,
    style: Style,
    justify: Justify,
    /// The line being filled, and the alignment it started with.
    line: Vec<(Style, String)>,
    line_justify: Justify,
    qr_model: u8,
    qr_module: u8,
    qr_correction: u8,
    qr_data: Option<Vec<u8>>,
    paper: Vec<Printed>,
}

impl State {
    fn new() -> State {
        State {
            chinese: false,
            style: Style::NORMAL,
            justify: Justify::Left,
            line: Vec::new(),
            line_justify: Justify::Left,
            // Power-on defaults in the reference: model 2, 3 dots, EC L.
            qr_model: 50,
            qr_module: 3,
            qr_correction: 48,
            qr_data: None,
            paper: Vec::new(),
        }
    }

    fn text(&mut self, text: String) {
        if self.line.is_empty() {
            self.line_justify = self.justify;
        }
        match self.line.last_mut() {
            Some((style, run)) if *style == self.style => run.push_str(&text),
            _ => self.line.push((self.style, text)),
        }
    }

    /// Prints the line buffer; an empty buffer feeds a blank line.
    fn print_line(&mut self) {
        if self.line.is_empty() {
            self.paper.push(Printed::Blank);
        } else {
            self.paper.push(Printed::Line {
                justify: self.line_justify,
                runs: std::mem::take(&mut self.line),
            });
        }
    }

    /// Prints the line buffer if it holds anything (before images, cuts).
    fn flush(&mut self) {
        if !self.line.is_empty() {
            self.print_line();
        }
    }
}

/// Reads a whole stream. See the module documentation for what fails.
pub fn read(bytes: &[u8]) -> Result<Printout, ReadError> {
    let mut state = State::new();
    let mut commands = Vec::new();
    let mut at = 0;
    while at < bytes.len() {
        let (command, len) = command_at(bytes, at, state.chinese)?;
        apply(&mut state, &command, at)?;
        commands.push(command);
        at += len;
    }
    Ok(Printout {
        commands,
        chinese_at_end: state.chinese,
        unprinted: state.line.iter().map(|(_, t)| t.as_str()).collect(),
        paper: state.paper,
    })
}

fn apply(s: &mut State, command: &Command, at: usize) -> Result<(), ReadError> {
    match command {
        Command::Text(t) => s.text(t.clone()),
        Command::LineFeed => s.print_line(),
        Command::CarriageReturn | Command::Other { .. } => {}
        Command::FeedLines(n) => {
            s.print_line();
            for _ in 1..*n {
                s.paper.push(Printed::Blank);
            }
        }
        Command::FeedDots(_) => s.flush(),
        Command::Cut { .. } => {
            s.flush();
            s.paper.push(Printed::Cut);
        }
        Command::Init => {
            let paper = std::mem::take(&mut s.paper);
            *s = State::new();
            s.paper = paper;
        }
        Command::PrintMode(n) => {
            s.style = Style {
                bold: n & 0x08 != 0,
                width: if n & 0x20 != 0 { 2 } else { 1 },
                height: if n & 0x10 != 0 { 2 } else { 1 },
            }
        }
        Command::Bold(on) => s.style.bold = *on,
        Command::Justify(j) => {
            if !s.line.is_empty() {
                return Err(ReadError {
                    offset: at,
                    message: "ESC a in the middle of a line: the printer ignores it there".into(),
                });
            }
            s.justify = *j;
        }
        Command::Size { width, height } => {
            s.style.width = *width;
            s.style.height = *height;
        }
        Command::ChineseOn => s.chinese = true,
        Command::ChineseOff => s.chinese = false,
        Command::QrModel(m) => s.qr_model = *m,
        Command::QrModuleSize(n) => s.qr_module = *n,
        Command::QrErrorCorrection(n) => s.qr_correction = *n,
        Command::QrStore(data) => s.qr_data = Some(data.clone()),
        Command::QrPrint => {
            let data = s.qr_data.clone().ok_or_else(|| ReadError {
                offset: at,
                message: "QR print (GS ( k fn 81) with no symbol stored".into(),
            })?;
            if !s.line.is_empty() {
                return Err(ReadError {
                    offset: at,
                    message: "QR print in the middle of a line".into(),
                });
            }
            s.paper.push(Printed::Qr {
                justify: s.justify,
                model: s.qr_model,
                module: s.qr_module,
                correction: s.qr_correction,
                data,
            });
        }
        Command::Raster {
            width_bytes,
            height,
            data,
            ..
        } => {
            s.flush();
            s.paper.push(Printed::Image {
                width_bytes: *width_bytes,
                height: *height,
                data: data.clone(),
            });
        }
    }
    Ok(())
}

/// The command (or text run) at `at` and its length in bytes.
fn command_at(bytes: &[u8], at: usize, chinese: bool) -> Result<(Command, usize), ReadError> {
    let err = |message: String| ReadError {
        offset: at,
        message,
    };
    let take = |n: usize, name: &str| take(bytes, at, n, name);
    let other = |name: &'static str, n: usize| -> Result<(Command, usize), ReadError> {
        let c = take(n, name)?;
        Ok((
            Command::Other {
                name,
                params: c[2..].to_vec(),
            },
            n,
        ))
    };
    let b = bytes[at];
    match b {
        LF => return Ok((Command::LineFeed, 1)),
        CR => return Ok((Command::CarriageReturn, 1)),
        HT => {
            return Ok((
                Command::Other {
                    name: "HT",
                    params: vec![],
                },
                1,
            ));
        }
        0x20.. => return text_at(bytes, at, chinese),
        DLE | ESC | FS | GS => {}
        _ => return Err(err(format!("control byte 0x{b:02x} is not a command"))),
    }
    let Some(&second) = bytes.get(at + 1) else {
        return Err(err(format!("0x{b:02x} at the end of the stream")));
    };
    let unknown = || {
        err(format!(
            "unknown command {} 0x{second:02x} ({:?})",
            lead_name(b),
            char::from(second)
        ))
    };
    // Parameter byte `i` (0-based after the two command bytes).
    let param = |i: usize, name: &str| -> Result<u8, ReadError> { Ok(take(3 + i, name)?[2 + i]) };
    match (b, second) {
        // DLE EOT n: real-time status; n = 7 and 8 take a second byte and
        // are not sent by this crate.
        (DLE, 0x04) => match param(0, "DLE EOT n")? {
            n @ 1..=4 => Ok((
                Command::Other {
                    name: "DLE EOT",
                    params: vec![n],
                },
                3,
            )),
            n => Err(err(format!("DLE EOT {n}: only 1 to 4 are status requests"))),
        },
        (DLE, 0x05) => other("DLE ENQ", 3),
        (ESC, b'@') => Ok((Command::Init, 2)),
        (ESC, b'!') => Ok((Command::PrintMode(param(0, "ESC !")?), 3)),
        (ESC, b'E') => match param(0, "ESC E")? {
            n @ (0 | 1) => Ok((Command::Bold(n == 1), 3)),
            n => Err(err(format!("ESC E {n}: bold is 0 or 1"))),
        },
        (ESC, b'a') => {
            let j = match param(0, "ESC a")? {
                0 | 48 => Justify::Left,
                1 | 49 => Justify::Center,
                2 | 50 => Justify::Right,
                n => return Err(err(format!("ESC a {n}: not an alignment"))),
            };
            Ok((Command::Justify(j), 3))
        }
        (ESC, b'd') => Ok((Command::FeedLines(param(0, "ESC d")?), 3)),
        (ESC, b'J') => Ok((Command::FeedDots(param(0, "ESC J")?), 3)),
        (ESC, b'-') => other("ESC -", 3),
        (ESC, b'2') => other("ESC 2", 2),
        (ESC, b'3') => other("ESC 3", 3),
        (ESC, b' ') => other("ESC SP", 3),
        (ESC, b'$') => other("ESC $", 4),
        (ESC, b'G') => other("ESC G", 3),
        (ESC, b'M') => other("ESC M", 3),
        (ESC, b'R') => other("ESC R", 3),
        (ESC, b't') => other("ESC t", 3),
        (ESC, b'{') => other("ESC {", 3),
        (ESC, b'p') => other("ESC p", 5),
        (FS, b'&') => Ok((Command::ChineseOn, 2)),
        (FS, b'.') => Ok((Command::ChineseOff, 2)),
        (FS, b'!') => other("FS !", 3),
        (FS, b'-') => other("FS -", 3),
        (FS, b'S') => other("FS S", 4),
        (FS, b'W') => other("FS W", 3),
        (GS, b'!') => {
            let n = param(0, "GS !")?;
            let (w, h) = (n >> 4, n & 0x0F);
            if w > 7 || h > 7 {
                return Err(err(format!("GS ! 0x{n:02x}: sizes go up to 8x8")));
            }
            Ok((
                Command::Size {
                    width: w + 1,
                    height: h + 1,
                },
                3,
            ))
        }
        (GS, b'B') => other("GS B", 3),
        (GS, b'L') => other("GS L", 4),
        (GS, b'W') => other("GS W", 4),
        (GS, b'V') => match param(0, "GS V")? {
            m @ (0 | 1 | 48 | 49) => Ok((
                Command::Cut {
                    partial: m & 1 == 1,
                    feed: 0,
                },
                3,
            )),
            m @ (65 | 66 | 97 | 98 | 103 | 104) => Ok((
                Command::Cut {
                    partial: m & 1 == 0,
                    feed: param(1, "GS V m n")?,
                },
                4,
            )),
            m => Err(err(format!("GS V {m}: not a cut function"))),
        },
        (GS, b'(') => match param(0, "GS ( fn")? {
            b'k' => qr_at(bytes, at),
            _ => Err(unknown()),
        },
        (GS, b'v') => {
            let c = take(8, "GS v 0")?;
            if c[2] != b'0' || !matches!(c[3], 0..=3 | 48..=51) {
                return Err(err(format!(
                    "GS v 0x{:02x} 0x{:02x}: not a raster image",
                    c[2], c[3]
                )));
            }
            let width_bytes = usize::from(u16::from_le_bytes([c[4], c[5]]));
            let height = usize::from(u16::from_le_bytes([c[6], c[7]]));
            let n = 8 + width_bytes * height;
            let c = take(n, "GS v 0 with its data")?;
            Ok((
                Command::Raster {
                    mode: c[3],
                    width_bytes,
                    height,
                    data: c[8..].to_vec(),
                },
                n,
            ))
        }
        _ => Err(unknown()),
    }
}

/// `GS ( k pL pH cn fn ...`: `pL + 256 pH` counts the bytes from `cn` on.
/// Only the QR functions (cn = 49) are read, each with its fixed length.
fn qr_at(bytes: &[u8], at: usize) -> Result<(Command, usize), ReadError> {
    let take = |n: usize, name: &str| take(bytes, at, n, name);
    let err = |message: String| ReadError {
        offset: at,
        message,
    };
    let head = take(7, "GS ( k pL pH cn fn")?;
    let len = usize::from(head[3]) + 256 * usize::from(head[4]);
    let (cn, fun) = (head[5], head[6]);
    if len < 2 {
        return Err(err(format!("GS ( k with pL pH = {len}: below cn fn")));
    }
    let c = take(5 + len, "GS ( k with its parameters")?;
    let params = &c[7..];
    if cn != 49 {
        return Err(err(format!("GS ( k cn {cn}: only QR (49) is read")));
    }
    let sized = |want: usize, name: &str| {
        if len == want {
            Ok(())
        } else {
            Err(err(format!(
                "GS ( k QR {name} (fn {fun}) has pL pH = {len}, the reference says {want}"
            )))
        }
    };
    let command = match fun {
        65 => {
            sized(4, "model")?;
            if !matches!(params[0], 49..=51) || params[1] != 0 {
                return Err(err(format!("GS ( k QR model {params:?}")));
            }
            Command::QrModel(params[0])
        }
        67 => {
            sized(3, "module size")?;
            if !matches!(params[0], 1..=16) {
                return Err(err(format!("GS ( k QR module size {}", params[0])));
            }
            Command::QrModuleSize(params[0])
        }
        69 => {
            sized(3, "error correction")?;
            if !matches!(params[0], 48..=51) {
                return Err(err(format!("GS ( k QR error correction {}", params[0])));
            }
            Command::QrErrorCorrection(params[0])
        }
        80 => {
            if len < 4 || params[0] != 48 {
                return Err(err(format!(
                    "GS ( k QR store: pL pH = {len}, m = {:?}; needs m = 48 and data",
                    params.first()
                )));
            }
            Command::QrStore(params[1..].to_vec())
        }
        81 => {
            sized(3, "print")?;
            if params[0] != 48 {
                return Err(err(format!("GS ( k QR print m = {}", params[0])));
            }
            Command::QrPrint
        }
        _ => return Err(err(format!("GS ( k QR function {fun} is not read"))),
    };
    Ok((command, 5 + len))
}

/// The whole command at `at`, `n` bytes long; fails when the stream ends
/// first.
fn take<'a>(bytes: &'a [u8], at: usize, n: usize, name: &str) -> Result<&'a [u8], ReadError> {
    bytes.get(at..at + n).ok_or_else(|| ReadError {
        offset: at,
        message: format!(
            "{name} needs {n} bytes, the stream ends after {}",
            bytes.len() - at
        ),
    })
}

/// A run of text bytes up to the next control byte.
fn text_at(bytes: &[u8], at: usize, chinese: bool) -> Result<(Command, usize), ReadError> {
    let len = bytes[at..]
        .iter()
        .position(|&b| b < 0x20)
        .unwrap_or(bytes.len() - at);
    let run = &bytes[at..at + len];
    let text = if chinese {
        encoding_rs::GB18030
            .decode_without_bom_handling_and_without_replacement(run)
            .ok_or_else(|| ReadError {
                offset: at,
                message: format!("{run:02x?} is not GB18030 text"),
            })?
            .into_owned()
    } else {
        if let Some(i) = run.iter().position(|b| !(0x20..0x7F).contains(b)) {
            return Err(ReadError {
                offset: at + i,
                message: format!(
                    "byte 0x{:02x} outside Chinese mode (FS &): not printable ASCII",
                    run[i]
                ),
            });
        }
        String::from_utf8(run.to_vec()).expect("ASCII")
    };
    Ok((Command::Text(text), len))
}

fn lead_name(b: u8) -> &'static str {
    match b {
        DLE => "DLE",
        ESC => "ESC",
        FS => "FS",
        _ => "GS",
    }
}

#[cfg(test)]
mod tests;
