//! Printer addresses: what a config file or `--printer` names.
//!
//! - `tcp://HOST:PORT` — a network printer (usually port 9100)
//! - `usb:///dev/usb/lp0` — a USB printer's device file
//! - `serial:///dev/ttyUSB0?baud=9600` — a serial port
//! - `file:///var/spool/x.bin` or `file:relative/x.bin` — append to a file
//!   (tests, previews, or a CUPS raw queue's device)

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PrinterUri {
    Tcp { host: String, port: u16 },
    Usb(PathBuf),
    Serial { path: PathBuf, baud: u32 },
    File(PathBuf),
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "`{0}` is not a printer address; use tcp://HOST:PORT, usb:///dev/usb/lp0, \
     serial:///dev/ttyUSB0?baud=9600 or file:///path"
)]
pub struct BadUri(pub String);

impl FromStr for PrinterUri {
    type Err = BadUri;

    fn from_str(s: &str) -> Result<PrinterUri, BadUri> {
        let bad = || BadUri(s.to_owned());
        if let Some(rest) = s.strip_prefix("tcp://") {
            let (host, port) = rest
                .trim_end_matches('/')
                .rsplit_once(':')
                .ok_or_else(bad)?;
            let host = host.trim_start_matches('[').trim_end_matches(']');
            if host.is_empty() {
                return Err(bad());
            }
            return Ok(PrinterUri::Tcp {
                host: host.to_owned(),
                port: port.parse().map_err(|_| bad())?,
            });
        }
        if let Some(path) = s.strip_prefix("usb://") {
            return absolute(path).map(PrinterUri::Usb).ok_or_else(bad);
        }
        if let Some(rest) = s.strip_prefix("serial://") {
            let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
            let mut baud = 9600;
            for pair in query.split('&').filter(|p| !p.is_empty()) {
                match pair.split_once('=') {
                    Some(("baud", v)) => baud = v.parse().map_err(|_| bad())?,
                    _ => return Err(bad()),
                }
            }
            return Ok(PrinterUri::Serial {
                path: absolute(path).ok_or_else(bad)?,
                baud,
            });
        }
        if let Some(path) = s.strip_prefix("file://") {
            return absolute(path).map(PrinterUri::File).ok_or_else(bad);
        }
        if let Some(path) = s.strip_prefix("file:")
            && !path.is_empty()
        {
            return Ok(PrinterUri::File(PathBuf::from(path)));
        }
        Err(bad())
    }
}

fn absolute(path: &str) -> Option<PathBuf> {
    (path.starts_with('/') && path.len() > 1).then(|| PathBuf::from(path))
}

impl fmt::Display for PrinterUri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PrinterUri::Tcp { host, port } => write!(f, "tcp://{host}:{port}"),
            PrinterUri::Usb(p) => write!(f, "usb://{}", p.display()),
            PrinterUri::Serial { path, baud } => {
                write!(f, "serial://{}?baud={baud}", path.display())
            }
            PrinterUri::File(p) if p.is_absolute() => write!(f, "file://{}", p.display()),
            PrinterUri::File(p) => write!(f, "file:{}", p.display()),
        }
    }
}

impl PrinterUri {
    /// Whether the printer can answer status requests over this link.
    pub fn two_way(&self) -> bool {
        matches!(self, PrinterUri::Tcp { .. } | PrinterUri::Serial { .. })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses() {
        let ok = |s: &str, expect: PrinterUri| {
            assert_eq!(s.parse::<PrinterUri>(), Ok(expect.clone()), "{s}");
            assert_eq!(
                expect.to_string().parse::<PrinterUri>(),
                Ok(expect),
                "round trip of {s}"
            );
        };
        ok(
            "tcp://192.168.1.50:9100",
            PrinterUri::Tcp {
                host: "192.168.1.50".into(),
                port: 9100,
            },
        );
        ok(
            "tcp://printer-1.hall:9100/",
            PrinterUri::Tcp {
                host: "printer-1.hall".into(),
                port: 9100,
            },
        );
        ok("usb:///dev/usb/lp0", PrinterUri::Usb("/dev/usb/lp0".into()));
        ok(
            "serial:///dev/ttyUSB0?baud=19200",
            PrinterUri::Serial {
                path: "/dev/ttyUSB0".into(),
                baud: 19200,
            },
        );
        ok(
            "serial:///dev/ttyS0",
            PrinterUri::Serial {
                path: "/dev/ttyS0".into(),
                baud: 9600,
            },
        );
        ok(
            "file:///tmp/out.bin",
            PrinterUri::File("/tmp/out.bin".into()),
        );
        ok(
            "file:var/kiosk-1.escpos",
            PrinterUri::File("var/kiosk-1.escpos".into()),
        );
        for bad in [
            "tcp://nohost",
            "tcp://:9100",
            "usb://lp0",
            "serial:///dev/ttyS0?speed=1",
            "http://x",
            "lp0",
        ] {
            assert!(bad.parse::<PrinterUri>().is_err(), "{bad}");
        }
    }
}
