//! A list of clip ids becomes one buffer of samples, then maybe a WAV file.
//!
//! Rendering is a pure function of the pack, the list and a [`Style`]: the
//! speaker plays its result and `qcall say --out` writes it, so a preview is
//! exactly what the hall hears. Between clips goes a short silence (words
//! read one by one are understood better in a reverberant hall); the id
//! [`PAUSE`] is a longer silence between phrases; the whole is repeated.

use std::path::Path;
use std::time::Duration;

use crate::{AudioError, VoicePack};

/// The id that is not a clip but a phrase pause (after the chime, between
/// languages).
pub const PAUSE: &str = "pause";

/// How an announcement is delivered.
#[derive(Debug, Clone, PartialEq)]
pub struct Style {
    /// How many times the whole list is said; at least once.
    pub repeat: u32,
    /// Silence between repeats.
    pub repeat_gap: Duration,
    /// Silence between two clips.
    pub word_gap: Duration,
    /// Silence for [`PAUSE`].
    pub pause: Duration,
    /// Linear gain, 0.0 (mute) to 1.0 (as recorded, normalised to -1 dBFS).
    pub volume: f32,
}

impl Default for Style {
    fn default() -> Style {
        Style {
            repeat: 1,
            repeat_gap: Duration::from_millis(1000),
            word_gap: Duration::from_millis(90),
            pause: Duration::from_millis(450),
            volume: 1.0,
        }
    }
}

/// Interleaved 16-bit samples with their format.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub sample_rate: u32,
    pub channels: u16,
    pub samples: Vec<i16>,
}

impl Rendered {
    pub fn empty(sample_rate: u32, channels: u16) -> Rendered {
        Rendered {
            sample_rate,
            channels,
            samples: Vec::new(),
        }
    }

    pub fn duration(&self) -> Duration {
        let frames = self.samples.len() as u64 / u64::from(self.channels.max(1));
        Duration::from_micros(frames * 1_000_000 / u64::from(self.sample_rate.max(1)))
    }

    pub fn push_silence(&mut self, d: Duration) {
        let frames = (d.as_micros() * u128::from(self.sample_rate) / 1_000_000) as usize;
        self.samples
            .resize(self.samples.len() + frames * usize::from(self.channels), 0);
    }

    /// Writes a 16-bit PCM WAV file.
    pub fn write_wav(&self, path: &Path) -> Result<(), AudioError> {
        let err = |e: hound::Error| AudioError::File {
            path: path.to_path_buf(),
            message: e.to_string(),
        };
        let spec = hound::WavSpec {
            channels: self.channels,
            sample_rate: self.sample_rate,
            bits_per_sample: 16,
            sample_format: hound::SampleFormat::Int,
        };
        let mut w = hound::WavWriter::create(path, spec).map_err(err)?;
        let mut i16w = w.get_i16_writer(self.samples.len() as u32);
        for &s in &self.samples {
            i16w.write_sample(s);
        }
        i16w.flush().map_err(err)?;
        w.finalize().map_err(err)
    }
}

/// Says `clips` with `pack` in `style`. Fails on an id the pack lacks, so a
/// broken pack is found when it is checked, not halfway through a call.
pub fn render(pack: &VoicePack, clips: &[String], style: &Style) -> Result<Rendered, AudioError> {
    let mut once = Rendered::empty(pack.sample_rate(), pack.channels());
    let mut previous_was_clip = false;
    for id in clips {
        if id == PAUSE {
            once.push_silence(style.pause);
            previous_was_clip = false;
            continue;
        }
        let clip = pack
            .clip(id)
            .ok_or_else(|| AudioError::UnknownClip(id.clone()))?;
        if previous_was_clip {
            once.push_silence(style.word_gap);
        }
        once.samples.extend_from_slice(clip);
        previous_was_clip = true;
    }
    let volume = style.volume.clamp(0.0, 1.0);
    if volume < 1.0 {
        for s in &mut once.samples {
            *s = (f32::from(*s) * volume).round() as i16;
        }
    }
    let mut out = Rendered::empty(pack.sample_rate(), pack.channels());
    for i in 0..style.repeat.max(1) {
        if i > 0 {
            out.push_silence(style.repeat_gap);
        }
        out.samples.extend_from_slice(&once.samples);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::{MIN_GAP, segments};

    fn pack() -> VoicePack {
        VoicePack::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../../assets/voice/default"))
            .unwrap()
    }

    fn ids(s: &str) -> Vec<String> {
        s.split_whitespace().map(String::from).collect()
    }

    /// Renders `clips` through a WAV file and checks what comes back:
    /// duration in `secs`, not silent, `expect_segments` separate sounds.
    fn check(clips: &str, style: &Style, secs: (f64, f64), expect_segments: usize) {
        let pack = pack();
        let rendered = render(&pack, &ids(clips), style).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.wav");
        rendered.write_wav(&path).unwrap();
        let back = crate::analysis::read_wav(&std::fs::read(&path).unwrap()).unwrap();
        assert_eq!(back, rendered, "the WAV holds exactly what was rendered");
        let d = back.duration().as_secs_f64();
        assert!(
            d >= secs.0 && d <= secs.1,
            "{clips}: {d:.2} s not in {secs:?}"
        );
        assert!(crate::analysis::peak(&back.samples) > 8_000, "not silent");
        let found = segments(&back, MIN_GAP).len();
        assert_eq!(found, expect_segments, "{clips}");
    }

    #[test]
    fn rendered_wavs_have_sane_length_sound_and_one_segment_per_clip() {
        let style = Style::default();
        // 「请 A012 号 到 3 号窗口 办理」 with the chime.
        check(
            "chime pause zh-CN/qing letter/a zh-CN/0 zh-CN/1 zh-CN/2 zh-CN/hao zh-CN/dao zh-CN/3 zh-CN/hao-chuangkou zh-CN/banli",
            &style,
            (3.0, 9.0),
            11,
        );
        // "Number A012, please go to counter 3"
        check(
            "chime pause en/number letter/a en/0 en/1 en/2 en/please-go-to-counter en/3",
            &style,
            (2.5, 8.0),
            8,
        );
        // Twice, with the repeat gap between.
        let twice = Style {
            repeat: 2,
            ..Style::default()
        };
        check("zh-CN/qing en/3", &twice, (1.0, 4.0), 4);
    }

    // The documented delivery rules, as frames of the default pack
    // (16 kHz mono): written out here, not taken from `Style::default()`,
    // so a renderer that miscounts a gap disagrees with the test.
    const RATE: u32 = 16_000;
    /// 90 ms between two clips.
    const WORD_GAP: usize = 1_440;
    /// 450 ms for `pause`, instead of the word gap.
    const PAUSE_GAP: usize = 7_200;
    /// 1 s between repeats.
    const REPEAT_GAP: usize = 16_000;

    /// One stretch of an expected rendering.
    #[derive(Debug)]
    enum Span {
        /// A clip's samples, as its WAV file holds them.
        Clip(&'static str),
        /// Digital silence, in frames.
        Silence(usize),
    }
    use Span::{Clip, Silence};

    /// A clip read straight from its WAV file with hound: the frame count
    /// from the header, then the samples.
    fn clip_file(id: &str) -> Vec<i16> {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../assets/voice/default")
            .join(format!("{id}.wav"));
        let mut reader = hound::WavReader::open(&path).unwrap();
        let spec = reader.spec();
        assert_eq!((spec.sample_rate, spec.channels), (RATE, 1), "{id}");
        let frames = reader.duration() as usize;
        let samples: Vec<i16> = reader.samples::<i16>().map(Result::unwrap).collect();
        assert_eq!(samples.len(), frames, "{id}: header and data agree");
        samples
    }

    /// Renders `clips` and compares with `expect`, span by span: the total
    /// length from the clip headers and the gap numbers, every clip's
    /// samples in place (scaled by `volume`), every gap all zeros.
    fn check_spans(clips: &str, style: &Style, expect: &[Span]) {
        let got = render(&pack(), &ids(clips), style).unwrap();
        assert_eq!((got.sample_rate, got.channels), (RATE, 1));
        let files: Vec<Option<Vec<i16>>> = expect
            .iter()
            .map(|s| match s {
                Clip(id) => Some(clip_file(id)),
                Silence(_) => None,
            })
            .collect();
        let total: usize = expect
            .iter()
            .zip(&files)
            .map(|(s, f)| match (s, f) {
                (Silence(n), _) => *n,
                (Clip(_), Some(f)) => f.len(),
                (Clip(_), None) => unreachable!(),
            })
            .sum();
        assert_eq!(
            got.samples.len(),
            total,
            "{clips}: {} frames rendered, {total} expected",
            got.samples.len()
        );
        let mut at = 0;
        for (span, file) in expect.iter().zip(&files) {
            match (span, file) {
                (Silence(n), _) => {
                    let loud = got.samples[at..at + n].iter().position(|&s| s != 0);
                    assert_eq!(loud, None, "{clips}: {span:?} at frame {at} is not silent");
                    at += n;
                }
                (Clip(id), Some(file)) => {
                    let want: Vec<i16> = file
                        .iter()
                        .map(|&s| (f32::from(s) * style.volume).round() as i16)
                        .collect();
                    assert!(
                        got.samples[at..at + want.len()] == want[..],
                        "{clips}: {id} is not at frame {at}"
                    );
                    at += want.len();
                }
                (Clip(_), None) => unreachable!(),
            }
        }
    }

    #[test]
    fn a_rendering_is_its_clips_with_the_documented_silences_between() {
        let style = Style::default();
        // 「请 A012 号 到 3 号窗口 办理」: the chime, a pause, then words.
        check_spans(
            "chime pause zh-CN/qing letter/a zh-CN/0 zh-CN/1 zh-CN/2 zh-CN/hao zh-CN/dao zh-CN/3 zh-CN/hao-chuangkou zh-CN/banli",
            &style,
            &[
                Clip("chime"),
                Silence(PAUSE_GAP),
                Clip("zh-CN/qing"),
                Silence(WORD_GAP),
                Clip("letter/a"),
                Silence(WORD_GAP),
                Clip("zh-CN/0"),
                Silence(WORD_GAP),
                Clip("zh-CN/1"),
                Silence(WORD_GAP),
                Clip("zh-CN/2"),
                Silence(WORD_GAP),
                Clip("zh-CN/hao"),
                Silence(WORD_GAP),
                Clip("zh-CN/dao"),
                Silence(WORD_GAP),
                Clip("zh-CN/3"),
                Silence(WORD_GAP),
                Clip("zh-CN/hao-chuangkou"),
                Silence(WORD_GAP),
                Clip("zh-CN/banli"),
            ],
        );
        // Two languages: a pause between them, no word gap beside it;
        // leading and trailing pauses are kept.
        check_spans(
            "pause zh-CN/3 pause en/3 pause",
            &style,
            &[
                Silence(PAUSE_GAP),
                Clip("zh-CN/3"),
                Silence(PAUSE_GAP),
                Clip("en/3"),
                Silence(PAUSE_GAP),
            ],
        );
        // Repeated: the whole list again after the repeat gap, nothing after.
        check_spans(
            "zh-CN/qing en/3",
            &Style {
                repeat: 2,
                ..Style::default()
            },
            &[
                Clip("zh-CN/qing"),
                Silence(WORD_GAP),
                Clip("en/3"),
                Silence(REPEAT_GAP),
                Clip("zh-CN/qing"),
                Silence(WORD_GAP),
                Clip("en/3"),
            ],
        );
        // Another style: 200 ms words, 300 ms pause, three times 500 ms
        // apart, half volume.
        let other = Style {
            repeat: 3,
            repeat_gap: Duration::from_millis(500),
            word_gap: Duration::from_millis(200),
            pause: Duration::from_millis(300),
            volume: 0.5,
        };
        let once = [
            Clip("chime"),
            Silence(4_800),
            Clip("en/number"),
            Silence(3_200),
            Clip("letter/a"),
        ];
        let mut thrice = Vec::new();
        for i in 0..3 {
            if i > 0 {
                thrice.push(Silence(8_000));
            }
            thrice.extend(once.iter().map(|s| match s {
                Clip(id) => Clip(id),
                Silence(n) => Silence(*n),
            }));
        }
        check_spans("chime pause en/number letter/a", &other, &thrice);
        // Repeat 0 is said once.
        check_spans(
            "en/3",
            &Style {
                repeat: 0,
                ..Style::default()
            },
            &[Clip("en/3")],
        );
    }

    /// Where sound is, by an energy scan written here (not
    /// `analysis::segments`): 10 ms windows whose RMS is above 1/300 of
    /// full scale are loud; stretches of loud windows separated by fewer
    /// than `gap_windows` quiet ones join. Start and end frames.
    fn loud_stretches(samples: &[i16], gap_windows: usize) -> Vec<(usize, usize)> {
        let window = RATE as usize / 100;
        let mut out: Vec<(usize, usize)> = Vec::new();
        for (i, w) in samples.chunks(window).enumerate() {
            let energy: f64 = w.iter().map(|&s| f64::from(s).powi(2)).sum();
            if (energy / w.len() as f64).sqrt() < 100.0 {
                continue;
            }
            let (start, end) = (i * window, i * window + w.len());
            match out.last_mut() {
                Some(last) if start - last.1 < gap_windows * window => last.1 = end,
                _ => out.push((start, end)),
            }
        }
        out
    }

    #[test]
    fn the_repeat_starts_one_second_after_the_first_saying_ends() {
        let style = Style {
            repeat: 2,
            ..Style::default()
        };
        let got = render(&pack(), &ids("chime"), &style).unwrap();
        let chime = clip_file("chime").len();
        // 50 quiet windows (500 ms) split; the 1 s repeat gap must.
        let stretches = loud_stretches(&got.samples, 50);
        assert_eq!(stretches.len(), 2, "{stretches:?}");
        // The second saying's sound starts where the first one's did, plus
        // the chime and the 1 s gap: to the window (160 frames).
        let expect = stretches[0].0 + chime + REPEAT_GAP;
        assert!(
            stretches[1].0.abs_diff(expect) < 160,
            "{stretches:?}: the repeat should sound from frame {expect}"
        );
        assert!(
            got.samples.len() - stretches[1].1 < 160,
            "nothing after the repeat"
        );
    }

    /// The largest step allowed where sound meets silence: -54 dBFS. A
    /// clip that starts or ends on a loud sample clicks (the old pack's
    /// first sample was -2181, its edge steps reached -22 dBFS).
    const EDGE: i32 = 64;

    /// Every step between digital silence (a run of at least 1 ms of
    /// zeros: a lone zero is a zero crossing) and sound, in both directions,
    /// found by scanning the samples (not from the clip list).
    fn edge_steps(samples: &[i16]) -> Vec<(usize, i32)> {
        let run = RATE as usize / 1000;
        let mut out = Vec::new();
        let mut i = 0;
        while i < samples.len() {
            if samples[i] != 0 {
                i += 1;
                continue;
            }
            let start = i;
            while i < samples.len() && samples[i] == 0 {
                i += 1;
            }
            if i - start < run {
                continue;
            }
            if start > 0 {
                out.push((start - 1, i32::from(samples[start - 1]).abs()));
            }
            if i < samples.len() {
                out.push((i, i32::from(samples[i]).abs()));
            }
        }
        out
    }

    #[test]
    fn no_clip_boundary_jumps() {
        // Every clip of the pack starts and ends at (nearly) zero...
        let pack = pack();
        for id in pack.clip_ids() {
            let clip = clip_file(id);
            let (first, last) = (clip[0], clip[clip.len() - 1]);
            assert!(
                i32::from(first).abs() <= EDGE && i32::from(last).abs() <= EDGE,
                "{id}: starts at {first}, ends at {last}"
            );
        }
        // ...so a whole announcement (chime, both languages, twice) has no
        // step at any edge between sound and silence.
        let style = Style {
            repeat: 2,
            ..Style::default()
        };
        let clips = "chime pause zh-CN/qing letter/a zh-CN/0 zh-CN/1 zh-CN/2 zh-CN/hao zh-CN/dao zh-CN/window/3 zh-CN/banli pause en/number letter/a en/0 en/1 en/2 en/please-go-to-counter en/3";
        let got = render(&pack, &ids(clips), &style).unwrap();
        let steps = edge_steps(&got.samples);
        assert!(
            steps.len() >= 2 * 19,
            "one edge or more per clip: {}",
            steps.len()
        );
        let worst = steps.iter().max_by_key(|s| s.1).unwrap();
        assert!(
            worst.1 <= EDGE,
            "a step of {} at sample {} ({:.3} s)",
            worst.1,
            worst.0,
            worst.0 as f64 / f64::from(RATE)
        );
    }

    #[test]
    fn volume_scales_and_unknown_clips_are_refused() {
        let pack = pack();
        let full = render(&pack, &ids("chime"), &Style::default()).unwrap();
        let half = render(
            &pack,
            &ids("chime"),
            &Style {
                volume: 0.5,
                ..Style::default()
            },
        )
        .unwrap();
        let (pf, ph) = (
            crate::analysis::peak(&full.samples),
            crate::analysis::peak(&half.samples),
        );
        assert!((i32::from(pf) / 2 - i32::from(ph)).abs() <= 1, "{pf} {ph}");
        assert_eq!(
            render(&pack, &ids("chime nope"), &Style::default()),
            Err(AudioError::UnknownClip("nope".into()))
        );
        let silent = render(&pack, &ids("pause"), &Style::default()).unwrap();
        assert_eq!(silent.duration(), Duration::from_millis(450));
    }
}
