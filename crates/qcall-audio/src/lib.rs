//! Hall announcements: voice packs, rendering a list of clip ids to audio,
//! and the one speaker thread that plays announcements in order.
//!
//! The crate knows nothing about tickets or queues: it is handed a list of
//! clip ids (`qcall-core`'s `speech` module decides which) and says them.
//! The same [`render`] turns the list into samples for the speaker and for a
//! WAV file, so what `qcall say --out` writes is what the hall hears.
//!
//! # Layout
//! - [`pack`]: a voice pack directory, its manifest, clips in one format.
//! - [`render`]: clip ids → samples (gaps, pauses, repeats, volume) → WAV.
//! - [`speaker`]: the actor that owns the output device and plays queued
//!   announcements strictly one after another.
//! - [`analysis`]: silence detection and lenient WAV reading, for tests and
//!   for checking packs.
//!
//! Real output is the `playback` feature (rodio, cpal, ALSA); without it
//! packs load and WAV renders work, and the speaker reports no output.

pub mod analysis;
pub mod pack;
pub mod plan;
pub mod render;
pub mod speaker;

pub use pack::VoicePack;
pub use plan::{Counts, Plan, Planner, Policy};
pub use render::{PAUSE, Rendered, Style, render};
pub use speaker::output::Output;
pub use speaker::{Announcement, AudioState, Played, Refused, Settings, Speaker, play_plan};

use std::path::PathBuf;

/// What can go wrong with packs, rendering and files.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AudioError {
    /// The manifest is missing or invalid.
    #[error("voice pack manifest {path}: {message}")]
    Manifest { path: PathBuf, message: String },
    /// A clip file is missing or not a 16-bit PCM WAV.
    #[error("voice pack clip `{clip}` ({path}): {message}")]
    Clip {
        clip: String,
        path: PathBuf,
        message: String,
    },
    /// A clip's format differs from the pack's: the queue cannot mix them.
    #[error(
        "voice pack clip `{clip}` is {found}, but the pack is {expected}; convert it, e.g. `sox in.wav -b 16 -r RATE -c 1 out.wav`"
    )]
    Format {
        clip: String,
        found: String,
        expected: String,
    },
    /// A clip id the pack does not have.
    #[error("the voice pack has no clip `{0}`")]
    UnknownClip(String),
    /// A WAV file could not be written or read.
    #[error("{path}: {message}")]
    File { path: PathBuf, message: String },
}
