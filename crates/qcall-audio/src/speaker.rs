//! The speaker: one long-lived thread that owns the output device and plays
//! announcements one after another, never two at once, never falling
//! behind the hall.
//!
//! A [`Speaker`] is a cheap handle on that thread. [`Speaker::announce`]
//! and [`Speaker::withdraw`] never block (the engine's writer thread calls
//! them): they put a message into a bounded channel and return. The thread
//! keeps waiting announcements in a [`Planner`] (see [`crate::plan`]), which
//! decides what is said next: a lone call in full, waiting calls merged
//! and brief, stale or too-late calls not at all. What is said is always
//! what was queued for that call, never "whatever is current".
//!
//! The device is probed at start and then opened only while announcements
//! are waiting, and closed when the queue is empty. No sound card is not an
//! error for the hall: the thread logs a clear warning, reports
//! `output: false` in its [`AudioState`], drops what it cannot play, and
//! tries the device again on the next announcement (a USB speaker plugged
//! in later starts working). The thread ends when the last
//! handle is dropped, after playing what is queued.
//!
//! What to say and when (quiet hours, which events) is decided by the caller.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, TryRecvError, TrySendError, sync_channel};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::plan::{Counts, Plan, Planner, Policy};
use crate::{Rendered, Style, VoicePack, render};

pub use crate::plan::Announcement;

/// Why [`Speaker::announce`] did not queue an announcement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Refused {
    /// The queue is full: the hall is calling faster than it can speak.
    #[error("the announcement queue is full")]
    QueueFull,
    /// The speaker thread has stopped.
    #[error("the speaker has stopped")]
    Stopped,
}

/// The speaker's health, for logs, `/metrics` and the admin page.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AudioState {
    /// An output device is open.
    pub output: bool,
    /// The device in use, or the one asked for.
    pub device: String,
    /// Messages not yet taken by the thread (not counting what is playing).
    pub queued: usize,
    /// Announcements (one call, or several merged) played to the end.
    pub played: u64,
    /// Calls dropped (queue full, no output, render error).
    pub dropped: u64,
    /// What became of each call (said in full, shortened, merged, skipped).
    pub counts: Counts,
    /// The last problem, if any.
    pub last_error: Option<String>,
    /// The label of the last announcement played.
    pub last_played: Option<String>,
    /// From `announce` to the first sample pulled by the output, last time
    /// (for a merged announcement, from its oldest call).
    pub last_latency: Option<Duration>,
    /// Wall-clock time (µs since the epoch) the last announcement's first
    /// sample went to the output: lets another process measure call → sound.
    pub last_first_sample_unix_us: Option<u64>,
}

/// What the speaker is configured with.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Output device name (as `aplay -L` or the system lists it); empty for
    /// the system default.
    pub device: String,
    /// How each part is rendered; its `repeat` is how often a lone call is
    /// said in full.
    pub style: Style,
    /// Silence after each announcement before the next one starts.
    pub gap: Duration,
    /// Messages that may wait in the channel; more are dropped (and counted).
    pub queue: usize,
    /// Lag limit, merging, and the merged sentence's head and tail (its
    /// `repeat` is taken from `style`).
    pub policy: Policy,
}

/// Called on the speaker thread whenever the state changes.
pub type OnState = Box<dyn FnMut(&AudioState) + Send>;

/// The closed set of requests the speaker thread handles.
enum Msg {
    /// Say this, called at `at`, after everything before it.
    Play {
        announcement: Announcement,
        at: Instant,
    },
    /// The subject's waiting announcements are no longer to be said.
    Withdraw { subject: u64 },
}

/// State the thread writes and handles read.
struct Shared {
    // A std mutex over a small struct: the thread updates it between
    // announcements, handles copy it for health; never held while playing.
    state: Mutex<AudioState>,
    // Messages in the channel, counted outside the mutex so `announce`
    // stays cheap.
    queued: AtomicUsize,
}

/// A handle on the speaker thread. Cloneable; the thread stops when the last
/// handle is dropped.
#[derive(Clone)]
pub struct Speaker {
    tx: SyncSender<Msg>,
    shared: Arc<Shared>,
}

impl std::fmt::Debug for Speaker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Speaker")
            .field("state", &self.state())
            .finish()
    }
}

impl Speaker {
    /// Starts the speaker thread; it opens the output device itself (the
    /// device handle may not leave the thread that made it).
    pub fn start(
        pack: VoicePack,
        settings: Settings,
        on_state: OnState,
    ) -> std::io::Result<(Speaker, std::thread::JoinHandle<()>)> {
        // Bounded: a runaway caller fills this queue, not the memory.
        let (tx, rx) = sync_channel(settings.queue.max(1));
        let shared = Arc::new(Shared {
            state: Mutex::new(AudioState {
                device: display_device(&settings.device),
                ..AudioState::default()
            }),
            queued: AtomicUsize::new(0),
        });
        let thread_shared = shared.clone();
        let join = std::thread::Builder::new()
            .name("qcall-speaker".into())
            .spawn(move || run(pack, settings, rx, thread_shared, on_state))?;
        Ok((Speaker { tx, shared }, join))
    }

    /// Queues `announcement` behind those already waiting. Never blocks.
    pub fn announce(&self, announcement: Announcement) -> Result<(), Refused> {
        self.send(Msg::Play {
            announcement,
            at: Instant::now(),
        })
    }

    /// Says nothing more about `subject` that is still waiting (its ticket
    /// was started, finished, went no-show). Never blocks.
    pub fn withdraw(&self, subject: u64) -> Result<(), Refused> {
        self.send(Msg::Withdraw { subject })
    }

    fn send(&self, msg: Msg) -> Result<(), Refused> {
        self.shared.queued.fetch_add(1, Ordering::SeqCst);
        match self.tx.try_send(msg) {
            Ok(()) => Ok(()),
            Err(e) => {
                self.shared.queued.fetch_sub(1, Ordering::SeqCst);
                let mut state = lock(&self.shared.state);
                let (refused, msg) = match e {
                    TrySendError::Full(m) => (Refused::QueueFull, m),
                    TrySendError::Disconnected(m) => (Refused::Stopped, m),
                };
                if matches!(msg, Msg::Play { .. }) {
                    state.dropped += 1;
                }
                state.last_error = Some(refused.to_string());
                Err(refused)
            }
        }
    }

    /// The current health.
    pub fn state(&self) -> AudioState {
        let mut state = lock(&self.shared.state).clone();
        state.queued = self.shared.queued.load(Ordering::SeqCst);
        state
    }
}

fn lock(m: &Mutex<AudioState>) -> std::sync::MutexGuard<'_, AudioState> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

fn display_device(device: &str) -> String {
    if device.is_empty() {
        "default".into()
    } else {
        device.into()
    }
}

/// The thread's side: the planner, the clock it runs on, the channel.
struct Desk {
    planner: Planner,
    origin: Instant,
    rx: Receiver<Msg>,
    shared: Arc<Shared>,
    /// Every handle is gone: play what waits, then stop.
    closed: bool,
}

impl Desk {
    fn now(&self) -> Duration {
        self.origin.elapsed()
    }

    fn take(&mut self, msg: Msg) {
        self.shared.queued.fetch_sub(1, Ordering::SeqCst);
        match msg {
            Msg::Play { announcement, at } => {
                let at = at.saturating_duration_since(self.origin);
                self.planner.push(announcement, at);
            }
            Msg::Withdraw { subject } => self.planner.withdraw(subject),
        }
    }

    /// Takes every message already sent; with `block`, waits for one first.
    fn gather(&mut self, block: bool) {
        if block && !self.closed {
            match self.rx.recv() {
                Ok(m) => self.take(m),
                Err(_) => self.closed = true,
            }
        }
        loop {
            match self.rx.try_recv() {
                Ok(m) => self.take(m),
                Err(TryRecvError::Empty) => return,
                Err(TryRecvError::Disconnected) => {
                    self.closed = true;
                    return;
                }
            }
        }
    }
}

fn run(
    pack: VoicePack,
    settings: Settings,
    rx: Receiver<Msg>,
    shared: Arc<Shared>,
    mut on_state: OnState,
) {
    let report = |shared: &Shared, on_state: &mut OnState, f: &mut dyn FnMut(&mut AudioState)| {
        let snapshot = {
            let mut state = lock(&shared.state);
            f(&mut state);
            let mut s = state.clone();
            s.queued = shared.queued.load(Ordering::SeqCst);
            s
        };
        on_state(&snapshot);
    };
    // Probe the device once at start so a missing sound card is reported
    // at once, not at the first call. The device is then opened only while
    // there is something to say: an idle open stream keeps a thread busy
    // feeding silence (and with a file or null sink, fills a disk).
    match output::Output::open(&settings.device) {
        Ok(o) => {
            tracing::info!(device = %o.name(), pack = %pack.name, "hall audio ready");
            report(&shared, &mut on_state, &mut |s| {
                s.output = true;
                s.device = o.name();
            });
        }
        Err(e) => {
            tracing::warn!(
                device = %display_device(&settings.device),
                error = %e,
                "NO HALL AUDIO: no sound output could be opened; calls go on without announcements (set [audio] device, or enabled = false to silence this)"
            );
            report(&shared, &mut on_state, &mut |s| {
                s.output = false;
                s.last_error = Some(format!("no sound output: {e}"));
            });
        }
    }
    let mut policy = settings.policy.clone();
    policy.repeat = settings.style.repeat.max(1);
    let mut desk = Desk {
        planner: Planner::new(policy),
        origin: Instant::now(),
        rx,
        shared: shared.clone(),
        closed: false,
    };
    let mut output: Option<output::Output> = None;
    loop {
        desk.gather(desk.planner.waiting() == 0);
        let before = desk.planner.counts();
        let Some(plan) = desk.planner.next(desk.now()) else {
            if desk.closed {
                break;
            }
            if desk.planner.counts() != before {
                let counts = desk.planner.counts();
                report(&shared, &mut on_state, &mut |s| s.counts = counts);
            }
            continue;
        };
        let label = plan.label();
        let calls = match &plan {
            Plan::Full { .. } => 1,
            Plan::Merged { labels, .. } => labels.len() as u64,
        };
        if output.is_none() {
            match output::Output::open(&settings.device) {
                Ok(o) => output = Some(o),
                Err(e) => {
                    tracing::debug!(error = %e, announcement = %label, "no sound output: not announced");
                    desk.planner.lost(&plan);
                    let counts = desk.planner.counts();
                    report(&shared, &mut on_state, &mut |s| {
                        s.output = false;
                        s.dropped += calls;
                        s.counts = counts;
                        s.last_error = Some(format!("no sound output: {e}"));
                    });
                    continue;
                }
            }
        }
        let Some(out) = &output else { continue };
        let called = desk.origin + plan.called_at();
        let played = play(&pack, &settings, &plan, out, &mut desk);
        let first = match played {
            Ok(first) => first,
            Err(e) => {
                tracing::error!(announcement = %label, error = %e, "cannot render an announcement");
                desk.planner.lost(&plan);
                let counts = desk.planner.counts();
                report(&shared, &mut on_state, &mut |s| {
                    s.dropped += calls;
                    s.counts = counts;
                    s.last_error = Some(e.to_string());
                });
                continue;
            }
        };
        let latency = first.map(|f| f.saturating_duration_since(called));
        let first_unix = first.map(|f| {
            let wall = SystemTime::now()
                .checked_sub(Instant::now().saturating_duration_since(f))
                .unwrap_or(SystemTime::now());
            wall.duration_since(UNIX_EPOCH)
                .map_or(0, |d| d.as_micros() as u64)
        });
        desk.gather(false);
        if desk.planner.waiting() == 0 {
            // Nothing waits: close the device (see above).
            output = None;
        }
        tracing::debug!(announcement = %label, ?latency, "announced");
        let counts = desk.planner.counts();
        report(&shared, &mut on_state, &mut |s| {
            s.output = true;
            s.played += 1;
            s.counts = counts;
            s.last_played = Some(label.clone());
            s.last_latency = latency;
            s.last_first_sample_unix_us = first_unix;
        });
    }
    tracing::info!("speaker stopped");
}

/// One part of an announcement: `lead` of silence, then its clips.
fn render_part(
    pack: &VoicePack,
    clips: &[String],
    style: &Style,
    lead: Duration,
) -> Result<Rendered, crate::AudioError> {
    let once = Style {
        repeat: 1,
        ..style.clone()
    };
    let body = render(pack, clips, &once)?;
    let mut out = Rendered::empty(body.sample_rate, body.channels);
    out.push_silence(lead);
    out.samples.extend_from_slice(&body.samples);
    Ok(out)
}

/// How one plan was played.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Played {
    /// When the output pulled its first sample.
    pub first: Option<Instant>,
    /// Every part was said (always, for a merged plan).
    pub whole: bool,
    /// Audio played, the gap after it included: the time it takes a device
    /// that plays in real time.
    pub length: Duration,
}

/// Plays `plan` to the end on `out`, then the gap. Before each part of a
/// full announcement after the first, `may_continue` is asked (with the
/// audio played so far) whether nothing else waits; when it says no, the
/// rest is not said. The speaker thread and `qcall bench --only-audio-load`
/// both play through this.
pub fn play_plan(
    pack: &VoicePack,
    settings: &Settings,
    plan: &Plan,
    out: &output::Output,
    may_continue: &mut dyn FnMut(Duration) -> bool,
) -> Result<Played, crate::AudioError> {
    let style = &settings.style;
    let mut length = Duration::ZERO;
    let mut first = None;
    let mut whole = true;
    let mut say = |audio: &Rendered, length: &mut Duration| {
        *length += audio.duration();
        let f = out.play(audio);
        first = first.or(f);
    };
    match plan {
        Plan::Merged { clips, .. } => {
            let mut audio = render_part(pack, clips, style, Duration::ZERO)?;
            audio.push_silence(settings.gap);
            say(&audio, &mut length);
        }
        Plan::Full {
            announcement,
            parts,
            ..
        } => {
            let per_saying = announcement.parts.len().max(1);
            for (i, part) in parts.iter().enumerate() {
                let lead = if i == 0 {
                    Duration::ZERO
                } else if !may_continue(length) {
                    whole = false;
                    break;
                } else if i % per_saying == 0 {
                    style.repeat_gap
                } else {
                    style.pause
                };
                let audio = render_part(pack, part, style, lead)?;
                say(&audio, &mut length);
            }
            let mut gap = Rendered::empty(pack.sample_rate(), pack.channels());
            gap.push_silence(settings.gap);
            say(&gap, &mut length);
        }
    }
    Ok(Played {
        first,
        whole,
        length,
    })
}

/// [`play_plan`] on the speaker thread: the planner hears of calls that came
/// while it played, and of how far a full announcement went.
fn play(
    pack: &VoicePack,
    settings: &Settings,
    plan: &Plan,
    out: &output::Output,
    desk: &mut Desk,
) -> Result<Option<Instant>, crate::AudioError> {
    let played = play_plan(pack, settings, plan, out, &mut |_| {
        desk.gather(false);
        desk.planner.may_continue(desk.now())
    })?;
    if let Plan::Full { .. } = plan {
        desk.planner.finished(played.whole);
    }
    Ok(played.first)
}

#[cfg(feature = "playback")]
pub mod output {
    //! The rodio side: a device sink, one player, a source that notes when
    //! its first sample is pulled.

    use std::num::NonZero;
    use std::sync::{Arc, OnceLock};
    use std::time::{Duration, Instant};

    use rodio::cpal::traits::HostTrait;
    use rodio::{DeviceSinkBuilder, MixerDeviceSink, Player, Source};

    use crate::Rendered;

    /// An open output device with one player on it.
    pub struct Output {
        // Keeps the device open; dropping it stops the sound.
        _sink: MixerDeviceSink,
        player: Player,
        name: String,
    }

    impl std::fmt::Debug for Output {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.debug_struct("Output").field("name", &self.name).finish()
        }
    }

    impl Output {
        pub fn open(device: &str) -> Result<Output, String> {
            let mut sink = if device.is_empty() {
                DeviceSinkBuilder::open_default_sink().map_err(|e| e.to_string())?
            } else {
                let host = rodio::cpal::default_host();
                let found = host
                    .output_devices()
                    .map_err(|e| e.to_string())?
                    .find(|d| device_names(d).iter().any(|n| n == device))
                    .ok_or_else(|| format!("no output device named {device:?}"))?;
                DeviceSinkBuilder::from_device(found)
                    .and_then(|b| b.open_stream())
                    .map_err(|e| e.to_string())?
            };
            sink.log_on_drop(false);
            let player = Player::connect_new(sink.mixer());
            let name = if device.is_empty() {
                "default".to_owned()
            } else {
                device.to_owned()
            };
            Ok(Output {
                _sink: sink,
                player,
                name,
            })
        }

        pub fn name(&self) -> String {
            self.name.clone()
        }

        /// Plays `audio` to the end; returns when its first sample was pulled.
        pub fn play(&self, audio: &Rendered) -> Option<Instant> {
            let (Some(channels), Some(rate)) = (
                NonZero::new(audio.channels),
                NonZero::new(audio.sample_rate),
            ) else {
                return None;
            };
            let samples: Vec<f32> = audio
                .samples
                .iter()
                .map(|&s| f32::from(s) / 32768.0)
                .collect();
            let first = Arc::new(OnceLock::new());
            let source = FirstSample {
                inner: rodio::buffer::SamplesBuffer::new(channels, rate, samples),
                first: first.clone(),
            };
            self.player.append(source);
            self.player.sleep_until_end();
            first.get().copied()
        }
    }

    /// The names a device answers to: its ALSA name (e.g. `hw:CARD=PCH,DEV=0`
    /// or `default`), its id, its description.
    fn device_names(d: &rodio::Device) -> Vec<String> {
        use rodio::DeviceTrait;
        let mut names = Vec::new();
        if let Ok(id) = d.id() {
            let id = id.to_string();
            if let Some((_, bare)) = id.split_once(':') {
                names.push(bare.to_owned());
            }
            names.push(id);
        }
        if let Ok(desc) = d.description() {
            names.push(desc.name().to_owned());
            if let Some(driver) = desc.driver() {
                names.push(driver.to_owned());
            }
        }
        names
    }

    /// Records the instant the output pulls the first sample.
    struct FirstSample<S> {
        inner: S,
        first: Arc<OnceLock<Instant>>,
    }

    impl<S: Iterator> Iterator for FirstSample<S> {
        type Item = S::Item;

        fn next(&mut self) -> Option<S::Item> {
            let item = self.inner.next();
            if item.is_some() && self.first.get().is_none() {
                let _ = self.first.set(Instant::now());
            }
            item
        }
    }

    impl<S: Source> Source for FirstSample<S> {
        fn current_span_len(&self) -> Option<usize> {
            self.inner.current_span_len()
        }
        fn channels(&self) -> rodio::ChannelCount {
            self.inner.channels()
        }
        fn sample_rate(&self) -> rodio::SampleRate {
            self.inner.sample_rate()
        }
        fn total_duration(&self) -> Option<Duration> {
            self.inner.total_duration()
        }
    }
}

#[cfg(not(feature = "playback"))]
pub mod output {
    //! Built without the `playback` feature: there is never an output.

    use std::time::Instant;

    use crate::Rendered;

    #[derive(Debug)]
    pub struct Output;

    impl Output {
        pub fn open(_device: &str) -> Result<Output, String> {
            Err("qcall was built without the `playback` feature".into())
        }

        pub fn name(&self) -> String {
            String::new()
        }

        pub fn play(&self, _audio: &Rendered) -> Option<Instant> {
            None
        }
    }
}
