//! `qcall say`: one call said on the hall speakers, or written to a WAV file.
//!
//! It uses the daemon's own script, voice pack, rendering and speaker thread
//! (`crate::audio`, `qcall-audio`), so what it says is what a call says; it
//! touches no database and no server.

use std::path::PathBuf;
use std::sync::Arc;

use clap::Args;

use crate::config::Config;

#[derive(Debug, Args)]
pub(super) struct SayArgs {
    /// The hall's config file (its [audio] section is used).
    #[arg(long, short)]
    config: PathBuf,
    /// Ticket number as shown, e.g. A012.
    #[arg(long)]
    ticket: String,
    /// Counter number as announced, e.g. 3.
    #[arg(long)]
    counter: u32,
    /// Say only this language (default: every one in [audio] locales).
    #[arg(long, value_parser = ["zh-CN", "en"])]
    locale: Option<String>,
    /// Announce it as a recall.
    #[arg(long)]
    recall: bool,
    /// Write a WAV file instead of playing it.
    #[arg(long)]
    out: Option<PathBuf>,
}

/// `qcall say`: the same clips, rendering and speaker as the daemon.
pub(super) fn say(args: SayArgs) -> anyhow::Result<()> {
    let mut audio = Config::load(&args.config)?.audio;
    if let Some(l) = args.locale {
        audio.locales = vec![l];
    }
    let mut script = crate::audio::Script::from_config(&audio)?;
    let pack = crate::audio::load_pack(&audio, &mut script)?;
    let settings = crate::audio::settings(&audio)?;
    let clips = script.clips(&args.ticket, args.counter, args.recall);
    if let Some(out) = args.out {
        let rendered = qcall_audio::render(&pack, &clips, &settings.style)?;
        rendered.write_wav(&out)?;
        println!(
            "wrote {} ({:.2} s, {} Hz, {} clips)",
            out.display(),
            rendered.duration().as_secs_f64(),
            rendered.sample_rate,
            clips.iter().filter(|c| *c != qcall_audio::PAUSE).count()
        );
        return Ok(());
    }
    let last = Arc::new(std::sync::Mutex::new(qcall_audio::AudioState::default()));
    let seen = last.clone();
    let on_state = Box::new(move |s: &qcall_audio::AudioState| {
        *seen.lock().unwrap_or_else(|e| e.into_inner()) = s.clone();
    });
    let (speaker, join) = qcall_audio::Speaker::start(pack, settings, on_state)?;
    speaker.announce(script.announcement(&args.ticket, args.counter, args.recall, None))?;
    // The last handle gone, the speaker plays what is queued and stops.
    drop(speaker);
    join.join()
        .map_err(|_| anyhow::anyhow!("the speaker thread panicked"))?;
    let state = last.lock().unwrap_or_else(|e| e.into_inner()).clone();
    if state.played == 0 {
        anyhow::bail!(
            "nothing was played: {}",
            state.last_error.as_deref().unwrap_or("no sound output")
        );
    }
    println!(
        "said {} -> counter {} on {}",
        args.ticket, args.counter, state.device
    );
    Ok(())
}
