//! Wiring hall audio into the daemon: from committed call events to the
//! speaker, and the speaker's health into the websocket stream.
//!
//! [`AudioPublisher`] runs on the engine's writer thread after each commit
//! (persist before publish). For every `ticket_called` and
//! `ticket_recalled` it builds the clip list with `qcall-core`'s `speech`
//! and hands it to the [`Speaker`], which never blocks. Quiet hours are
//! decided from the event's own time (the engine's clock), never by reading
//! the clock here. Startup replay does not publish, so nothing is announced
//! twice after a restart.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use qcall_audio::{Announcement, AudioState, Settings, Speaker, Style, VoicePack};
use qcall_core::speech::{self, Call, Locale};
use qcall_core::{Event, Hall, Millis};
use qcall_engine::{Published, Publisher};

use crate::config::{AudioSection, parse_range};

/// What the daemon says, decided from config once.
#[derive(Debug, Clone)]
pub struct Script {
    pub locales: Vec<Locale>,
    pub chime: bool,
    pub recall_prefix: bool,
    /// Minutes after local midnight, `[from, to)`.
    pub quiet_hours: Vec<(u32, u32)>,
}

impl Script {
    pub fn from_config(a: &AudioSection) -> anyhow::Result<Script> {
        let locales = a
            .locales
            .iter()
            .map(|l| {
                Locale::parse(l).with_context(|| {
                    format!("[audio] locales: {l:?} is not a locale; use \"zh-CN\" and/or \"en\"")
                })
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        if locales.is_empty() && !a.chime {
            anyhow::bail!("[audio] locales is empty and chime is off: nothing would be said");
        }
        let quiet_hours = a
            .quiet_hours
            .iter()
            .map(|r| parse_range(r).context("[audio] quiet_hours"))
            .collect::<anyhow::Result<Vec<_>>>()?;
        Ok(Script {
            locales,
            chime: a.chime,
            recall_prefix: a.recall_prefix,
            quiet_hours,
        })
    }

    /// The clips for one call of `number` to counter `counter`.
    pub fn clips(&self, number: &str, counter: u32, recall: bool) -> Vec<String> {
        let call = Call {
            number: number.to_owned(),
            counter,
            recall: recall && self.recall_prefix,
        };
        speech::announcement(&call, &self.locales, self.chime)
    }

    /// Whether `at` falls in quiet hours in the hall's time zone.
    pub fn is_quiet(&self, at: Millis, tz: &jiff::tz::TimeZone) -> bool {
        if self.quiet_hours.is_empty() {
            return false;
        }
        let Ok(ts) = jiff::Timestamp::from_millisecond(at) else {
            return false;
        };
        let local = ts.to_zoned(tz.clone());
        let minute = local.hour() as u32 * 60 + local.minute() as u32;
        self.quiet_hours
            .iter()
            .any(|&(from, to)| (from..to).contains(&minute))
    }
}

/// How the renderer and the speaker deliver announcements, from config.
pub fn settings(a: &AudioSection) -> anyhow::Result<Settings> {
    if !(0.0..=1.0).contains(&a.volume) {
        anyhow::bail!("[audio] volume = {} must be from 0.0 to 1.0", a.volume);
    }
    if a.repeat == 0 {
        anyhow::bail!("[audio] repeat must be at least 1");
    }
    Ok(Settings {
        device: a.device.clone(),
        style: Style {
            repeat: a.repeat,
            repeat_gap: Duration::from_millis(a.repeat_gap_ms.into()),
            volume: a.volume,
            ..Style::default()
        },
        gap: Duration::from_millis(a.gap_ms.into()),
        queue: QUEUE,
    })
}

/// Announcements that may wait. At one call every few seconds per counter
/// and several seconds per announcement a busy hall queues a handful; 64 is
/// a minute or more of speech, after which older calls would be stale.
const QUEUE: usize = 64;

/// Loads the pack and checks that it can say everything the script needs.
pub fn load_pack(a: &AudioSection, script: &Script) -> anyhow::Result<VoicePack> {
    let pack = VoicePack::load(&a.pack)
        .with_context(|| format!("[audio] pack = {:?}", a.pack.display().to_string()))?;
    let mut needed: Vec<String> = script
        .locales
        .iter()
        .flat_map(|&l| speech::all_clips(l))
        .collect();
    if !script.chime {
        needed.retain(|c| c != speech::CHIME);
    }
    let missing = pack.missing(&needed);
    if !missing.is_empty() {
        anyhow::bail!(
            "[audio] pack {} lacks clips: {}",
            a.pack.display(),
            missing.join(", ")
        );
    }
    Ok(pack)
}

/// Starts the speaker; `on_state` sees every health change.
pub fn start(
    a: &AudioSection,
    on_state: impl FnMut(&AudioState) + Send + 'static,
) -> anyhow::Result<(Speaker, Script, std::thread::JoinHandle<()>)> {
    let script = Script::from_config(a)?;
    let pack = load_pack(a, &script)?;
    let (speaker, join) = Speaker::start(pack, settings(a)?, Box::new(on_state))
        .context("cannot start the speaker thread")?;
    Ok((speaker, script, join))
}

/// The engine-side half: committed calls become announcements.
#[derive(Debug)]
pub struct AudioPublisher {
    pub speaker: Speaker,
    pub script: Script,
    pub hall: Arc<Hall>,
}

/// The announcement for one published item, if it is a call or recall
/// outside quiet hours: exactly that ticket to exactly that counter.
pub fn announcement_for(script: &Script, hall: &Hall, p: &Published) -> Option<Announcement> {
    let Published::Event { rec, ticket, .. } = p else {
        return None;
    };
    let (counter, recall) = match &rec.event {
        Event::TicketCalled { counter, .. } => (counter, false),
        Event::TicketRecalled { counter, .. } => (counter, true),
        _ => return None,
    };
    let number = &ticket.as_ref()?.ticket.number;
    let counter = hall.counter(counter)?.number;
    if script.is_quiet(rec.at, &hall.tz) {
        tracing::debug!(%number, counter, "quiet hours: not announced");
        return None;
    }
    Some(Announcement {
        label: format!(
            "{number} -> {counter}{}",
            if recall { " (recall)" } else { "" }
        ),
        clips: script.clips(number, counter, recall),
    })
}

impl Publisher for AudioPublisher {
    fn publish(&mut self, batch: &[Published]) {
        for p in batch {
            if let Some(a) = announcement_for(&self.script, &self.hall, p) {
                let label = a.label.clone();
                if let Err(e) = self.speaker.announce(a) {
                    tracing::warn!(announcement = %label, error = %e, "announcement dropped");
                }
            }
        }
    }
}

/// The `audio_state` notice body pushed to websocket clients.
pub fn state_json(s: &AudioState) -> serde_json::Value {
    serde_json::json!({
        "output": s.output,
        "device": s.device,
        "queued": s.queued,
        "played": s.played,
        "dropped": s.dropped,
        "last_error": s.last_error,
        "last_played": s.last_played,
        "last_latency_ms": s.last_latency.map(|d| d.as_secs_f64() * 1000.0),
        "last_first_sample_unix_us": s.last_first_sample_unix_us,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn script(quiet: &[&str]) -> Script {
        Script {
            locales: vec![Locale::ZhCn],
            chime: false,
            recall_prefix: true,
            quiet_hours: quiet.iter().map(|r| parse_range(r).unwrap()).collect(),
        }
    }

    #[test]
    fn quiet_hours_follow_the_halls_clock_and_zone() {
        let tz = jiff::tz::TimeZone::get("Asia/Shanghai").unwrap();
        let check = |quiet: &[&str], local: &str, expect: bool| {
            let at: jiff::Zoned = format!("2026-11-20T{local}[Asia/Shanghai]")
                .parse()
                .unwrap();
            let ms = at.timestamp().as_millisecond();
            assert_eq!(
                script(quiet).is_quiet(ms, &tz),
                expect,
                "{quiet:?} at {local}"
            );
        };
        check(&[], "12:30", false);
        check(&["12:00-13:30"], "11:59:59", false);
        check(&["12:00-13:30"], "12:00", true);
        check(&["12:00-13:30"], "13:29", true);
        check(&["12:00-13:30"], "13:30", false);
        check(&["07:00-08:00", "12:00-13:30"], "07:15", true);
    }

    #[test]
    fn calls_and_recalls_are_announced_other_events_are_not() {
        let config = crate::Config::parse(crate::config::EXAMPLE).unwrap();
        let hall = config.hall().unwrap();
        let noon: jiff::Zoned = "2026-11-20T12:10[Asia/Shanghai]".parse().unwrap();
        let at = noon.timestamp().as_millisecond();
        let ticket = |number: &str| qcall_engine::TicketView {
            ticket: qcall_core::Ticket {
                id: qcall_core::TicketId(7),
                day: noon.date(),
                service: "A".into(),
                class: "normal".into(),
                seq_no: 12,
                number: number.into(),
                state: qcall_core::TicketState::Called,
                issued_at: at,
                queued_at: at,
                queued_behind: None,
                predicted_wait_s: None,
                predicted_range_s: None,
                called_at: Some(at),
                started_at: None,
                finished_at: None,
                served_by: None,
                counter: Some("2".into()),
                target_counter: None,
                recalls: 0,
                source: None,
                rating: None,
            },
            ahead: 0,
            estimated_wait_s: 0,
            estimated_wait_range_s: (0, 0),
            no_counter: None,
        };
        let published = |event: Event| Published::Event {
            rec: qcall_core::Recorded { seq: 1, at, event },
            ticket: Some(ticket("A012")),
            counter: None,
        };
        let id = qcall_core::TicketId(7);
        let check = |script: &Script, event: Event, expect: Option<&str>| {
            let got = announcement_for(script, &hall, &published(event.clone()));
            assert_eq!(got.map(|a| a.label), expect.map(String::from), "{event:?}");
        };
        let s = script(&[]);
        let called = Event::TicketCalled {
            ticket: id,
            counter: "2".into(),
        };
        check(&s, called.clone(), Some("A012 -> 2"));
        check(
            &s,
            Event::TicketRecalled {
                ticket: id,
                counter: "2".into(),
                recalls: 1,
            },
            Some("A012 -> 2 (recall)"),
        );
        check(
            &s,
            Event::TicketStarted {
                ticket: id,
                counter: "2".into(),
            },
            None,
        );
        check(&script(&["12:00-13:30"]), called, None);
        let a = announcement_for(
            &s,
            &hall,
            &published(Event::TicketCalled {
                ticket: id,
                counter: "1".into(),
            }),
        )
        .unwrap();
        assert_eq!(
            a.clips,
            [
                "zh-CN/qing",
                "letter/a",
                "zh-CN/0",
                "zh-CN/1",
                "zh-CN/2",
                "zh-CN/hao",
                "zh-CN/dao",
                "zh-CN/1",
                "zh-CN/hao-chuangkou",
                "zh-CN/banli"
            ],
            "the ticket of the event, to the counter of the event"
        );
    }

    #[test]
    fn recalls_carry_the_prefix_only_when_configured() {
        let mut s = script(&[]);
        assert_eq!(s.clips("A1", 2, true)[0], "zh-CN/chonghu");
        s.recall_prefix = false;
        assert_eq!(s.clips("A1", 2, true)[0], "zh-CN/qing");
    }
}
