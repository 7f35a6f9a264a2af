//! Sending one job to a printer: connect, ask its status where the link is
//! two-way, write the bytes, close. Blocking, with timeouts on every step;
//! it runs on the printer's own thread ([`crate::actor`]).

use std::fs::OpenOptions;
use std::io::{ErrorKind, Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::Duration;

use crate::status::{self, Status};
use crate::uri::PrinterUri;

/// Why a job was not printed. Each message says what a person can check.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PrintError {
    #[error(
        "cannot reach the printer at {uri}: {detail}; check that it is switched on and connected"
    )]
    Unreachable { uri: String, detail: String },
    #[error(
        "the printer at {uri} did not answer within {ms} ms; it may be off, stalled, or not speak ESC/POS"
    )]
    Timeout { uri: String, ms: u128 },
    #[error("{reason} ({uri})")]
    NotReady {
        uri: String,
        reason: &'static str,
        status: Status,
    },
    #[error("writing to the printer at {uri} failed: {detail}")]
    Write { uri: String, detail: String },
    #[error("the printer at {uri} sent an unexpected answer: {detail}")]
    BadReply { uri: String, detail: String },
    #[error("the printer already has {0} jobs waiting; try again in a moment")]
    Busy(usize),
    #[error("the printer's thread has stopped")]
    Stopped,
    #[error("cannot lay out the slip: {0}")]
    Encode(String),
    /// Not sent: the printer was already known to be down.
    #[error("not sent, the printer is down ({0}); a guide can reprint the ticket once it is back")]
    Skipped(String),
}

/// An open link to a printer.
enum Link {
    Tcp(TcpStream),
    File(std::fs::File),
    #[cfg(feature = "serial")]
    Serial(Box<dyn serialport::SerialPort>),
}

fn is_timeout(e: &std::io::Error) -> bool {
    matches!(e.kind(), ErrorKind::TimedOut | ErrorKind::WouldBlock)
}

fn open(uri: &PrinterUri, timeout: Duration) -> Result<Link, PrintError> {
    let name = uri.to_string();
    let unreachable = |detail: String| PrintError::Unreachable {
        uri: name.clone(),
        detail,
    };
    match uri {
        PrinterUri::Tcp { host, port } => {
            let addrs = (host.as_str(), *port)
                .to_socket_addrs()
                .map_err(|e| unreachable(e.to_string()))?;
            let mut last = String::from("the host name has no address");
            for addr in addrs {
                match TcpStream::connect_timeout(&addr, timeout) {
                    Ok(stream) => {
                        stream
                            .set_read_timeout(Some(timeout))
                            .map_err(|e| unreachable(e.to_string()))?;
                        stream
                            .set_write_timeout(Some(timeout))
                            .map_err(|e| unreachable(e.to_string()))?;
                        let _ = stream.set_nodelay(true);
                        return Ok(Link::Tcp(stream));
                    }
                    Err(e) if is_timeout(&e) => {
                        return Err(PrintError::Timeout {
                            uri: name,
                            ms: timeout.as_millis(),
                        });
                    }
                    Err(e) => last = e.to_string(),
                }
            }
            Err(unreachable(last))
        }
        PrinterUri::Usb(path) => OpenOptions::new()
            .write(true)
            .open(path)
            .map(Link::File)
            .map_err(|e| unreachable(e.to_string())),
        PrinterUri::File(path) => OpenOptions::new()
            .append(true)
            .create(true)
            .open(path)
            .map(Link::File)
            .map_err(|e| unreachable(e.to_string())),
        #[cfg(feature = "serial")]
        PrinterUri::Serial { path, baud } => serialport::new(path.to_string_lossy(), *baud)
            .timeout(timeout)
            .open()
            .map(Link::Serial)
            .map_err(|e| unreachable(e.to_string())),
        #[cfg(not(feature = "serial"))]
        PrinterUri::Serial { .. } => Err(unreachable(
            "this qcall was built without serial-port support (cargo feature `serial`)".into(),
        )),
    }
}

impl Link {
    fn io(&mut self) -> &mut dyn ReadWrite {
        match self {
            Link::Tcp(s) => s,
            Link::File(f) => f,
            #[cfg(feature = "serial")]
            Link::Serial(p) => p,
        }
    }
}

trait ReadWrite: Read + Write {}
impl<T: Read + Write + ?Sized> ReadWrite for T {}

/// Asks a two-way printer for its status.
fn query(link: &mut Link, uri: &PrinterUri, timeout: Duration) -> Result<Status, PrintError> {
    let name = uri.to_string();
    let mut status = Status::default();
    for n in status::REQUESTS {
        let io = link.io();
        io.write_all(&status::request(n))
            .and_then(|()| io.flush())
            .map_err(|e| {
                if is_timeout(&e) {
                    PrintError::Timeout {
                        uri: name.clone(),
                        ms: timeout.as_millis(),
                    }
                } else {
                    PrintError::Write {
                        uri: name.clone(),
                        detail: e.to_string(),
                    }
                }
            })?;
        let mut byte = [0u8; 1];
        match io.read(&mut byte) {
            Ok(1) => {}
            Ok(_) => {
                return Err(PrintError::Unreachable {
                    uri: name,
                    detail: "the printer closed the connection".into(),
                });
            }
            Err(e) if is_timeout(&e) => {
                return Err(PrintError::Timeout {
                    uri: name,
                    ms: timeout.as_millis(),
                });
            }
            Err(e) => {
                return Err(PrintError::Unreachable {
                    uri: name,
                    detail: e.to_string(),
                });
            }
        }
        status
            .absorb(n, byte[0])
            .map_err(|e| PrintError::BadReply {
                uri: name.clone(),
                detail: e.to_string(),
            })?;
    }
    Ok(status)
}

/// Prints `bytes`. With `ask_status` on a two-way link, asks the printer
/// first and refuses to print into a printer that says it cannot (paper
/// out, cover open, offline, error). Returns the status when it was asked.
pub fn print_job(
    uri: &PrinterUri,
    bytes: &[u8],
    timeout: Duration,
    ask_status: bool,
) -> Result<Option<Status>, PrintError> {
    let mut link = open(uri, timeout)?;
    let status = if ask_status && uri.two_way() {
        Some(query(&mut link, uri, timeout)?)
    } else {
        None
    };
    if let Some(s) = status
        && let Some(reason) = s.blocking_problem()
    {
        return Err(PrintError::NotReady {
            uri: uri.to_string(),
            reason,
            status: s,
        });
    }
    let io = link.io();
    io.write_all(bytes).and_then(|()| io.flush()).map_err(|e| {
        if is_timeout(&e) {
            PrintError::Timeout {
                uri: uri.to_string(),
                ms: timeout.as_millis(),
            }
        } else {
            PrintError::Write {
                uri: uri.to_string(),
                detail: e.to_string(),
            }
        }
    })?;
    Ok(status)
}

/// Only asks for the status (two-way links); `None` for one-way links.
pub fn check(uri: &PrinterUri, timeout: Duration) -> Result<Option<Status>, PrintError> {
    if !uri.two_way() {
        // A one-way link can still be opened: that much we can check.
        open(uri, timeout)?;
        return Ok(None);
    }
    let mut link = open(uri, timeout)?;
    query(&mut link, uri, timeout).map(Some)
}
