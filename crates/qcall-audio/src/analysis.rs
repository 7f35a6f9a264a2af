//! Looking at audio after the fact: where the sounds are, how loud it is.
//!
//! Used by the tests (a rendered announcement has one sound per clip; a
//! captured hall recording has one block per announcement) and to check that
//! a voice pack's clips are trimmed. Reading is lenient on purpose: ALSA's
//! file plugin may leave a header whose sizes were never filled in.

use std::time::Duration;

use crate::{AudioError, Rendered};

/// A frame quieter than this (1 % of full scale) counts as silence.
pub const SILENCE_LEVEL: i16 = 328;

/// Analysis frame: 10 ms.
const FRAME_MS: u64 = 10;

/// Shortest silence that separates two sounds. Shorter than the word gap
/// the renderer puts between clips, longer than any pause inside a clip.
pub const MIN_GAP: Duration = Duration::from_millis(75);

/// One stretch of sound.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Segment {
    pub start: Duration,
    pub end: Duration,
}

impl Segment {
    pub fn len(&self) -> Duration {
        self.end - self.start
    }
}

/// The largest absolute sample.
pub fn peak(samples: &[i16]) -> i16 {
    samples
        .iter()
        .map(|s| s.saturating_abs())
        .max()
        .unwrap_or(0)
}

/// Stretches of sound separated by at least `min_gap` of silence.
pub fn segments(audio: &Rendered, min_gap: Duration) -> Vec<Segment> {
    let frame_len = (audio.sample_rate as u64 * FRAME_MS / 1000) as usize * audio.channels as usize;
    let gap_frames = (min_gap.as_millis() as u64).div_ceil(FRAME_MS) as usize;
    let at = |frame: usize| Duration::from_millis(frame as u64 * FRAME_MS);
    let mut out = Vec::new();
    let mut current: Option<(usize, usize)> = None; // first and last loud frame
    for (i, frame) in audio.samples.chunks(frame_len.max(1)).enumerate() {
        if peak(frame) < SILENCE_LEVEL {
            continue;
        }
        current = match current {
            Some((start, last)) if i - last <= gap_frames => Some((start, i)),
            Some((start, last)) => {
                out.push(Segment {
                    start: at(start),
                    end: at(last + 1),
                });
                Some((i, i))
            }
            None => Some((i, i)),
        };
    }
    if let Some((start, last)) = current {
        out.push(Segment {
            start: at(start),
            end: at(last + 1),
        });
    }
    out
}

/// Reads a 16-bit PCM WAV from memory. The data runs to the end of the
/// file whatever the header says (ALSA's file plugin, a killed writer).
pub fn read_wav(bytes: &[u8]) -> Result<Rendered, AudioError> {
    let bad = |m: &str| AudioError::File {
        path: "<wav>".into(),
        message: m.to_owned(),
    };
    if bytes.len() < 12 || &bytes[0..4] != b"RIFF" || &bytes[8..12] != b"WAVE" {
        return Err(bad("not a RIFF/WAVE file"));
    }
    let mut pos = 12;
    let mut format = None;
    while pos + 8 <= bytes.len() {
        let id = &bytes[pos..pos + 4];
        let size = u32::from_le_bytes([
            bytes[pos + 4],
            bytes[pos + 5],
            bytes[pos + 6],
            bytes[pos + 7],
        ]) as usize;
        let body = pos + 8;
        if id == b"fmt " {
            let f = bytes
                .get(body..body + 16)
                .ok_or_else(|| bad("short fmt chunk"))?;
            let tag = u16::from_le_bytes([f[0], f[1]]);
            let channels = u16::from_le_bytes([f[2], f[3]]);
            let rate = u32::from_le_bytes([f[4], f[5], f[6], f[7]]);
            let bits = u16::from_le_bytes([f[14], f[15]]);
            if !(tag == 1 || tag == 0xFFFE) || bits != 16 || channels == 0 {
                return Err(bad("only 16-bit PCM is read"));
            }
            format = Some((rate, channels));
        } else if id == b"data" {
            let (sample_rate, channels) = format.ok_or_else(|| bad("data before fmt"))?;
            let data = &bytes[body.min(bytes.len())..];
            let whole = data.len() / (2 * channels as usize) * (2 * channels as usize);
            let samples = data[..whole]
                .chunks_exact(2)
                .map(|b| i16::from_le_bytes([b[0], b[1]]))
                .collect();
            return Ok(Rendered {
                sample_rate,
                channels,
                samples,
            });
        }
        pos = body + size + (size & 1);
    }
    Err(bad("no data chunk"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tone(ms: u64) -> Vec<i16> {
        (0..ms * 8)
            .map(|i| if i % 2 == 0 { 10_000 } else { -10_000 })
            .collect()
    }

    #[test]
    fn segments_split_on_long_silences_only() {
        let check = |parts: &[(bool, u64)], expect: &[(u64, u64)]| {
            let mut samples = Vec::new();
            for &(loud, ms) in parts {
                if loud {
                    samples.extend(tone(ms));
                } else {
                    samples.extend(std::iter::repeat_n(0, ms as usize * 8));
                }
            }
            let audio = Rendered {
                sample_rate: 8000,
                channels: 1,
                samples,
            };
            let got: Vec<(u64, u64)> = segments(&audio, MIN_GAP)
                .iter()
                .map(|s| (s.start.as_millis() as u64, s.end.as_millis() as u64))
                .collect();
            assert_eq!(got, expect, "{parts:?}");
        };
        check(&[], &[]);
        check(&[(false, 500)], &[]);
        check(&[(true, 100)], &[(0, 100)]);
        check(&[(false, 50), (true, 100), (false, 50)], &[(50, 150)]);
        // 60 ms inside a word joins; 200 ms between words splits.
        check(&[(true, 100), (false, 60), (true, 100)], &[(0, 260)]);
        check(
            &[(true, 100), (false, 200), (true, 100)],
            &[(0, 100), (300, 400)],
        );
    }

    #[test]
    fn the_default_pack_is_trimmed_and_each_clip_is_one_sound() {
        let dir =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../assets/voice/default");
        let pack = crate::VoicePack::load(&dir).unwrap();
        assert_eq!((pack.sample_rate(), pack.channels()), (16_000, 1));
        for id in pack.clip_ids() {
            let audio = Rendered {
                sample_rate: pack.sample_rate(),
                channels: 1,
                samples: pack.clip(id).unwrap().to_vec(),
            };
            let segs = segments(&audio, MIN_GAP);
            assert_eq!(segs.len(), 1, "{id}: {segs:?}");
            assert!(
                segs[0].start <= Duration::from_millis(10),
                "{id} starts with silence"
            );
            assert!(
                audio.duration().saturating_sub(segs[0].end) <= Duration::from_millis(10),
                "{id} ends with silence"
            );
        }
        let size: u64 = walk(&dir);
        assert!(size < 2_000_000, "the default pack is {size} bytes");
    }

    fn walk(dir: &std::path::Path) -> u64 {
        std::fs::read_dir(dir)
            .unwrap()
            .map(|e| {
                let e = e.unwrap();
                if e.file_type().unwrap().is_dir() {
                    walk(&e.path())
                } else {
                    e.metadata().unwrap().len()
                }
            })
            .sum()
    }

    #[test]
    fn lenient_reading_takes_data_to_the_end() {
        let mut wav = Vec::new();
        wav.extend_from_slice(b"RIFF\0\0\0\0WAVEfmt ");
        wav.extend_from_slice(&16u32.to_le_bytes());
        wav.extend_from_slice(&1u16.to_le_bytes());
        wav.extend_from_slice(&2u16.to_le_bytes());
        wav.extend_from_slice(&48_000u32.to_le_bytes());
        wav.extend_from_slice(&192_000u32.to_le_bytes());
        wav.extend_from_slice(&4u16.to_le_bytes());
        wav.extend_from_slice(&16u16.to_le_bytes());
        wav.extend_from_slice(b"data\0\0\0\0");
        for s in [1i16, -2, 3, -4, 5] {
            wav.extend_from_slice(&s.to_le_bytes());
        }
        let r = read_wav(&wav).unwrap();
        assert_eq!((r.sample_rate, r.channels), (48_000, 2));
        assert_eq!(r.samples, [1, -2, 3, -4], "whole frames only");
        assert!(read_wav(b"nope").is_err());
    }
}
