//! `qcall bench --only-audio-load`: does the hall's speaker keep up with a
//! busy hall?
//!
//! The demo hall's config (its voice pack, locales, repeats, gaps and
//! `[audio] max_lag_s`), one call every few seconds round its counters for
//! some simulated minutes, through the speaker's own [`Planner`] and
//! [`play_plan`], into real rodio → cpal → ALSA. ALSA's file plugin over a
//! null sink takes the samples without pacing them, so the clock here is
//! simulated: it moves by exactly the audio played, as a device playing in
//! real time would, and each call joins the planner at its simulated time.
//! The figures are lag from call to the first sample of the announcement
//! that says it, and what became of each call.
//!
//! To be realistic about stale calls, each applicant reaches the counter
//! (the clerk starts the ticket, which withdraws its call) a while after the
//! call, and every seventh call is recalled later. It asserts nothing.

use std::path::Path;
use std::time::Duration;

use anyhow::{Context, bail};
use qcall_audio::{Output, Plan, Planner};

use crate::config::Config;

/// Set in the child that plays, so the ALSA config is in its environment
/// from the start (setting it in a running, threaded process is unsound).
const CHILD: &str = "QCALL_BENCH_AUDIO_LOAD_CHILD";

/// The demo hall's config.
const DEMO: &str = include_str!("../../../../config/demo.toml");

/// An applicant reaches the counter this long after being called (the
/// clerk then starts the ticket), in simulated seconds, by call number.
fn walk_up_s(i: usize) -> f64 {
    20.0 + (i * 7 % 5) as f64 * 5.0
}

/// Every seventh call is recalled this long after it was made.
const RECALL_AFTER_S: f64 = 12.0;

#[derive(Debug, Clone, PartialEq)]
enum Happening {
    Call { i: usize, recall: bool },
    Start { i: usize },
}

pub fn run(config: Option<&Path>, every_s: f64, minutes: f64, dir: &Path) -> anyhow::Result<()> {
    if std::env::var_os(CHILD).is_none() {
        return spawn_child(dir);
    }
    let config = match config {
        Some(path) => Config::load(path)?,
        None => Config::parse(DEMO)?,
    };
    let hall = config.hall()?;
    let mut audio = config.audio.clone();
    audio.quiet_hours.clear();
    let mut script = crate::audio::Script::from_config(&audio)?;
    let pack =
        crate::audio::load_pack(&audio, &mut script).context("run from the repository root")?;
    let settings = crate::audio::settings(&audio)?;
    let mut policy = settings.policy.clone();
    policy.repeat = settings.style.repeat.max(1);
    let mut planner = Planner::new(policy.clone());
    let out = Output::open(&settings.device)
        .map_err(|e| anyhow::anyhow!("cannot open the ALSA file sink: {e}"))?;

    // What happens when: calls round the counters, each counter's next
    // ticket of its first service; walk-ups and recalls.
    let every = every_s.max(0.1);
    let calls = (minutes * 60.0 / every).floor() as usize;
    let mut numbers: Vec<(String, u32)> = Vec::with_capacity(calls);
    let mut next_seq = std::collections::HashMap::<String, u32>::new();
    let mut timeline: Vec<(f64, Happening)> = Vec::new();
    for i in 0..calls {
        let counter = &hall.counters[i % hall.counters.len()];
        let service = counter
            .services
            .first()
            .and_then(|code| hall.service(code))
            .context("a counter serves no service")?;
        let seq = next_seq.entry(service.code.clone()).or_insert(0);
        *seq += 1;
        numbers.push((format!("{}{:03}", service.prefix, seq), counter.number));
        let at = i as f64 * every;
        timeline.push((at, Happening::Call { i, recall: false }));
        let mut walk = walk_up_s(i);
        if i % 7 == 6 {
            timeline.push((at + RECALL_AFTER_S, Happening::Call { i, recall: true }));
            walk += RECALL_AFTER_S;
        }
        timeline.push((at + walk, Happening::Start { i }));
    }
    timeline.sort_by(|a, b| a.0.total_cmp(&b.0));
    let pushed = timeline
        .iter()
        .filter(|(_, h)| matches!(h, Happening::Call { .. }))
        .count();

    let secs = Duration::from_secs_f64;
    let mut now = Duration::ZERO;
    let mut next = 0usize;
    let mut lags: Vec<f64> = Vec::new();
    let mut played_s = 0.0f64;
    // Hands the planner everything that has happened by `at`.
    let feed = |planner: &mut Planner, next: &mut usize, at: Duration| {
        while *next < timeline.len() && secs(timeline[*next].0) <= at {
            let (t, h) = &timeline[*next];
            match h {
                Happening::Call { i, recall } => {
                    let (number, counter) = &numbers[*i];
                    let a = script.announcement(number, *counter, *recall, Some(*i as u64));
                    planner.push(a, secs(*t));
                }
                Happening::Start { i } => planner.withdraw(*i as u64),
            }
            *next += 1;
        }
    };
    loop {
        feed(&mut planner, &mut next, now);
        let Some(plan) = planner.next(now) else {
            match timeline.get(next) {
                Some((t, _)) => {
                    now = now.max(secs(*t));
                    continue;
                }
                None => break,
            }
        };
        let start = now;
        match &plan {
            Plan::Full { at, .. } => lags.push((start - *at).as_secs_f64()),
            Plan::Merged { at, .. } => {
                lags.extend(at.iter().map(|a| (start - *a).as_secs_f64()));
            }
        }
        let played = qcall_audio::play_plan(&pack, &settings, &plan, &out, &mut |so_far| {
            feed(&mut planner, &mut next, start + so_far);
            planner.may_continue(start + so_far)
        })?;
        if let Plan::Full { .. } = plan {
            planner.finished(played.whole);
        }
        if played.first.is_none() {
            bail!("the output pulled no sample: is the ALSA file sink set up?");
        }
        played_s += played.length.as_secs_f64();
        now = start + played.length;
    }

    lags.sort_by(f64::total_cmp);
    let c = planner.counts();
    println!(
        "hall: {} counters, locales {:?}, chime {}, repeat {}, max_lag_s {}; one call every {every} s for {minutes} simulated minutes ({calls} calls + {} recalls)",
        hall.counters.len(),
        audio.locales,
        audio.chime,
        audio.repeat,
        audio.max_lag_s,
        pushed - calls
    );
    println!(
        "lag from call to its announcement's first sample: p50 {:.2} s, p99 {:.2} s, max {:.2} s (target max <= {} s)",
        super::pct(&lags, 50.0),
        super::pct(&lags, 99.0),
        lags.last().copied().unwrap_or(f64::NAN),
        audio.max_lag_s
    );
    println!(
        "calls: {pushed} pushed, {} said ({} in full, {} shortened, {} merged), {} skipped ({} stale, {} late), {} lost",
        c.said(),
        c.full,
        c.shortened,
        c.merged,
        c.skipped(),
        c.skipped_stale,
        c.skipped_late,
        c.lost
    );
    println!(
        "speaker busy {:.0} s of {:.0} s simulated ({:.0} %)",
        played_s,
        now.as_secs_f64(),
        100.0 * played_s / now.as_secs_f64().max(1.0)
    );
    Ok(())
}

/// Runs this benchmark again in a child whose ALSA default device is a
/// file plugin over a null sink in `dir`; reports how much it captured.
fn spawn_child(dir: &Path) -> anyhow::Result<()> {
    let capture = dir.join("audio-load.raw");
    let conf = dir.join("audio-load-asound.conf");
    std::fs::write(
        &conf,
        format!(
            "pcm.!default {{ type plug; slave {{ pcm \"capturefile\"; format S16_LE; rate 48000; channels 2 }} }}\n\
             pcm.capturefile {{ type file; slave.pcm {{ type null }}; file \"{}\"; format \"raw\" }}\n",
            capture.display()
        ),
    )?;
    println!(
        "\n== hall audio under load: the speaker's planner through real rodio into an ALSA file sink (simulated clock) =="
    );
    let status = std::process::Command::new(std::env::current_exe()?)
        .args(std::env::args_os().skip(1))
        .env(CHILD, "1")
        .env("ALSA_CONFIG_PATH", &conf)
        .status()
        .context("cannot run the benchmark's child")?;
    if !status.success() {
        bail!("the audio load benchmark failed ({status})");
    }
    let bytes = std::fs::metadata(&capture).map_or(0, |m| m.len());
    println!(
        "captured by the ALSA file sink: {:.0} s of 48 kHz stereo",
        bytes as f64 / (48_000.0 * 4.0)
    );
    Ok(())
}
