//! Voice packs: a directory with `manifest.toml` and one WAV file per clip.
//!
//! ```text
//! assets/voice/default/
//!   manifest.toml     name, description, locales, sample_rate, channels,
//!                     licence, clips = ["chime", "zh-CN/qing", ...]
//!   LICENCE.md        where the voices come from, what use they allow
//!   chime.wav  zh-CN/qing.wav  en/12.wav  letter/a.wav ...
//! ```
//! A clip id is its path without `.wav`. Every clip must be 16-bit PCM in
//! the pack's sample rate and channel count: the speaker concatenates clips
//! without resampling, so a stray 44.1 kHz recording would play at the
//! wrong pitch. Loading checks all of that once, at start-up, and keeps
//! the samples in memory (a pack is about a megabyte).
//!
//! Which clips a hall needs is not decided here (see `qcall-core`'s
//! `speech::all_clips`); [`VoicePack::missing`] compares.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::Deserialize;

use crate::AudioError;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Manifest {
    name: String,
    description: String,
    locales: Vec<String>,
    sample_rate: u32,
    channels: u16,
    licence: String,
    clips: Vec<String>,
}

/// A loaded voice pack.
#[derive(Debug, Clone)]
pub struct VoicePack {
    pub name: String,
    pub description: String,
    pub locales: Vec<String>,
    pub licence: String,
    pub dir: PathBuf,
    sample_rate: u32,
    channels: u16,
    // Shared, immutable samples: rendering copies out of them.
    clips: HashMap<String, Arc<[i16]>>,
}

impl VoicePack {
    /// Reads `dir/manifest.toml` and every clip it lists.
    pub fn load(dir: &Path) -> Result<VoicePack, AudioError> {
        let path = dir.join("manifest.toml");
        let text = std::fs::read_to_string(&path).map_err(|e| AudioError::Manifest {
            path: path.clone(),
            message: format!("{e}; is `pack` the directory of a voice pack?"),
        })?;
        let manifest: Manifest = toml::from_str(&text).map_err(|e| AudioError::Manifest {
            path: path.clone(),
            message: e.to_string(),
        })?;
        if manifest.sample_rate == 0 || manifest.channels == 0 {
            return Err(AudioError::Manifest {
                path,
                message: "sample_rate and channels must be above 0".into(),
            });
        }
        let mut clips = HashMap::new();
        for id in &manifest.clips {
            let file = dir.join(format!("{id}.wav"));
            let clip_err = |message: String| AudioError::Clip {
                clip: id.clone(),
                path: file.clone(),
                message,
            };
            let reader = hound::WavReader::open(&file).map_err(|e| clip_err(e.to_string()))?;
            let spec = reader.spec();
            if spec.sample_format != hound::SampleFormat::Int || spec.bits_per_sample != 16 {
                return Err(clip_err(format!(
                    "{}-bit {:?} samples; clips must be 16-bit PCM",
                    spec.bits_per_sample, spec.sample_format
                )));
            }
            if spec.sample_rate != manifest.sample_rate || spec.channels != manifest.channels {
                return Err(AudioError::Format {
                    clip: id.clone(),
                    found: format!("{} Hz, {} channel(s)", spec.sample_rate, spec.channels),
                    expected: format!(
                        "{} Hz, {} channel(s)",
                        manifest.sample_rate, manifest.channels
                    ),
                });
            }
            let samples = reader
                .into_samples::<i16>()
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| clip_err(e.to_string()))?;
            if samples.is_empty() {
                return Err(clip_err("the clip is empty".into()));
            }
            clips.insert(id.clone(), Arc::from(samples));
        }
        Ok(VoicePack {
            name: manifest.name,
            description: manifest.description,
            locales: manifest.locales,
            licence: manifest.licence,
            dir: dir.to_path_buf(),
            sample_rate: manifest.sample_rate,
            channels: manifest.channels,
            clips,
        })
    }

    pub fn sample_rate(&self) -> u32 {
        self.sample_rate
    }

    pub fn channels(&self) -> u16 {
        self.channels
    }

    /// A clip's interleaved samples.
    pub fn clip(&self, id: &str) -> Option<&[i16]> {
        self.clips.get(id).map(|c| &c[..])
    }

    /// Every clip id, sorted.
    pub fn clip_ids(&self) -> Vec<&str> {
        let mut ids: Vec<&str> = self.clips.keys().map(String::as_str).collect();
        ids.sort_unstable();
        ids
    }

    /// Which of `needed` the pack lacks.
    pub fn missing<'a>(&self, needed: &'a [String]) -> Vec<&'a str> {
        needed
            .iter()
            .filter(|id| !self.clips.contains_key(id.as_str()))
            .map(String::as_str)
            .collect()
    }
}
