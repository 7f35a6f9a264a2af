//! The printer's real-time status (DLE EOT n), as ESC/POS defines it.
//!
//! Each request `10 04 n` is answered with one byte whose fixed bits are
//! `0xx1xx10`; the other bits report offline state (n = 1), its cause
//! (n = 2: cover open, paper end, error) and the paper roll sensor (n = 4).

/// The requests sent, in order, before a job.
pub const REQUESTS: [u8; 3] = [1, 2, 4];

/// The bytes of one request.
pub fn request(n: u8) -> [u8; 3] {
    [0x10, 0x04, n]
}

/// Paper left on the roll.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Paper {
    #[default]
    Ok,
    NearEnd,
    Out,
}

/// What the printer said about itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Status {
    pub offline: bool,
    pub cover_open: bool,
    pub paper: Paper,
    pub error: bool,
}

/// Why a reply byte could not be read as a status.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the printer answered 0x{0:02x} to a status request, which is not a status byte")]
pub struct BadReply(pub u8);

impl Status {
    /// Folds the answer to request `n` into the status.
    pub fn absorb(&mut self, n: u8, byte: u8) -> Result<(), BadReply> {
        if byte & 0x93 != 0x12 {
            return Err(BadReply(byte));
        }
        match n {
            1 => self.offline = byte & 0x08 != 0,
            2 => {
                self.cover_open = byte & 0x04 != 0;
                if byte & 0x20 != 0 {
                    self.paper = Paper::Out;
                }
                self.error = byte & 0x40 != 0;
            }
            4 => {
                if byte & 0x60 != 0 {
                    self.paper = Paper::Out;
                } else if byte & 0x0C != 0 && self.paper == Paper::Ok {
                    self.paper = Paper::NearEnd;
                }
            }
            _ => {}
        }
        Ok(())
    }

    /// The reason not to print, if any. Near-end paper still prints.
    pub fn blocking_problem(&self) -> Option<&'static str> {
        if self.paper == Paper::Out {
            Some("the printer is out of paper")
        } else if self.cover_open {
            Some("the printer's cover is open")
        } else if self.error {
            Some("the printer reports an error (cutter jam or overheating)")
        } else if self.offline {
            Some("the printer is offline")
        } else {
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(replies: &[(u8, u8)], expect: Option<&str>, paper: Paper) {
        let mut s = Status::default();
        for &(n, b) in replies {
            s.absorb(n, b).unwrap();
        }
        assert_eq!(s.blocking_problem(), expect, "{replies:?}");
        assert_eq!(s.paper, paper, "{replies:?}");
    }

    #[test]
    fn replies() {
        check(&[(1, 0x12), (2, 0x12), (4, 0x12)], None, Paper::Ok);
        check(&[(1, 0x12), (2, 0x12), (4, 0x1E)], None, Paper::NearEnd);
        check(
            &[(1, 0x1A), (2, 0x32), (4, 0x72)],
            Some("the printer is out of paper"),
            Paper::Out,
        );
        check(
            &[(1, 0x1A), (2, 0x16), (4, 0x12)],
            Some("the printer's cover is open"),
            Paper::Ok,
        );
        check(
            &[(1, 0x1A), (2, 0x12), (4, 0x12)],
            Some("the printer is offline"),
            Paper::Ok,
        );
        check(
            &[(2, 0x52)],
            Some("the printer reports an error (cutter jam or overheating)"),
            Paper::Ok,
        );
        assert_eq!(Status::default().absorb(1, 0xFF), Err(BadReply(0xFF)));
    }
}
