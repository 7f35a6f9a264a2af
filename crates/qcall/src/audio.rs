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
use qcall_audio::{Announcement, AudioState, Policy, Settings, Speaker, Style, VoicePack};
use qcall_core::speech::{self, Call, Locale, Voice};
use qcall_core::{Event, Hall, Millis, TicketState};
use qcall_engine::{Published, Publisher};

use crate::config::{AudioSection, AudioZoneSection, parse_range};

/// What the daemon says, decided from config once.
#[derive(Debug, Clone)]
pub struct Script {
    pub locales: Vec<Locale>,
    pub chime: bool,
    pub recall_prefix: bool,
    /// Minutes after local midnight, `[from, to)`.
    pub quiet_hours: Vec<(u32, u32)>,
    /// The phrases the voice pack has beyond the required words (set by
    /// [`load_pack`]).
    pub voice: Voice,
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
            voice: Voice::default(),
        })
    }

    /// The clips for one call of `number` to counter `counter`.
    pub fn clips(&self, number: &str, counter: u32, recall: bool) -> Vec<String> {
        let call = Call {
            number: number.to_owned(),
            counter,
            recall: recall && self.recall_prefix,
        };
        speech::announcement(&call, &self.locales, self.chime, &self.voice)
    }

    /// One call as the speaker takes it: in full by parts, its brief form
    /// for merging, and the ticket it is about (the newest call wins).
    pub fn announcement(
        &self,
        number: &str,
        counter: u32,
        recall: bool,
        subject: Option<u64>,
    ) -> Announcement {
        let call = Call {
            number: number.to_owned(),
            counter,
            recall: recall && self.recall_prefix,
        };
        let brief = self
            .locales
            .first()
            .map(|&l| speech::brief(&call, l, &self.voice))
            .unwrap_or_default();
        Announcement {
            label: format!(
                "{number} -> {counter}{}",
                if recall { " (recall)" } else { "" }
            ),
            subject,
            parts: speech::parts(&call, &self.locales, self.chime, &self.voice),
            brief,
        }
    }

    /// How merged sentences open and close, and the lag limit.
    pub fn policy(&self, max_lag_s: u32) -> Policy {
        let first = self.locales.first().copied();
        Policy {
            max_lag: Duration::from_secs(max_lag_s.into()),
            max_merge: MAX_MERGE,
            merge_head: first.map(speech::merge_head).unwrap_or_default(),
            merge_tail: first.map(speech::merge_tail).unwrap_or_default(),
            repeat: 1,
        }
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

/// Calls said in one merged sentence at most: three brief forms (about 8 s
/// with the default pack) keep the next call's wait under the default
/// `max_lag_s` while the merged head and tail are shared by three.
const MAX_MERGE: usize = 3;

/// How the renderer and the speaker deliver announcements, from config.
pub fn settings(a: &AudioSection) -> anyhow::Result<Settings> {
    if !(0.0..=1.0).contains(&a.volume) {
        anyhow::bail!("[audio] volume = {} must be from 0.0 to 1.0", a.volume);
    }
    if a.repeat == 0 {
        anyhow::bail!("[audio] repeat must be at least 1");
    }
    if a.max_lag_s == 0 {
        anyhow::bail!(
            "[audio] max_lag_s must be at least 1 (seconds from a call to the start of its announcement)"
        );
    }
    let script = Script::from_config(a)?;
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
        policy: script.policy(a.max_lag_s),
    })
}

/// Messages (calls, withdrawals) that may wait for the speaker thread,
/// which takes them all before each announcement; the planner, not this
/// channel, keeps the hall from falling behind.
const QUEUE: usize = 256;

/// Counter phrases (「N 号窗口」) looked for in a pack, at most.
const MAX_WINDOW_PHRASES: u32 = 99;

/// Loads the pack, checks that it can say everything the script needs, and
/// tells the script which phrases the pack has (counters 1..=N said as one
/// phrase, N the longest unbroken run of `zh-CN/window/N` clips).
pub fn load_pack(a: &AudioSection, script: &mut Script) -> anyhow::Result<VoicePack> {
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
    script.voice = Voice {
        window_phrases: speech::phrase_clips(MAX_WINDOW_PHRASES)
            .iter()
            .take_while(|c| pack.clip(c).is_some())
            .count() as u32,
    };
    Ok(pack)
}

/// One speaker zone: its own speaker thread and device, and the calls it
/// says.
#[derive(Debug)]
pub struct Zone {
    pub name: String,
    /// Counter ids; with `services` also empty, every call.
    pub counters: Vec<String>,
    /// Service codes.
    pub services: Vec<String>,
    pub speaker: Speaker,
}

impl Zone {
    /// Whether this zone says a call of a `service` ticket to `counter`.
    pub fn says(&self, counter: &str, service: &str) -> bool {
        (self.counters.is_empty() && self.services.is_empty())
            || self.counters.iter().any(|c| c == counter)
            || self.services.iter().any(|s| s == service)
    }
}

/// The hall's zones as configured: `[[audio.zones]]`, or one zone on
/// `[audio] device` that says every call. Names and lists are checked
/// against the hall.
pub fn zones(a: &AudioSection, hall: &Hall) -> anyhow::Result<Vec<AudioZoneSection>> {
    if a.zones.is_empty() {
        return Ok(vec![AudioZoneSection {
            name: "hall".into(),
            device: a.device.clone(),
            counters: Vec::new(),
            services: Vec::new(),
        }]);
    }
    let mut names = std::collections::HashSet::new();
    for z in &a.zones {
        if z.name.trim().is_empty() || !names.insert(z.name.as_str()) {
            anyhow::bail!(
                "[[audio.zones]] name = {:?}: every zone needs a name of its own",
                z.name
            );
        }
        for c in &z.counters {
            if hall.counter(c).is_none() {
                anyhow::bail!(
                    "[[audio.zones]] {:?}: counters lists {c:?}, which is no counter's id in [[counters]]",
                    z.name
                );
            }
        }
        for s in &z.services {
            if hall.service(s).is_none() {
                anyhow::bail!(
                    "[[audio.zones]] {:?}: services lists {s:?}, which is no service's code in [[services]]",
                    z.name
                );
            }
        }
    }
    Ok(a.zones.clone())
}

/// Starts one speaker per zone; `on_state(zone, state)` sees every health
/// change of each.
pub fn start(
    a: &AudioSection,
    hall: &Hall,
    on_state: impl Fn(&str, &AudioState) + Send + Sync + 'static,
) -> anyhow::Result<(Vec<Zone>, Script)> {
    let mut script = Script::from_config(a)?;
    let pack = load_pack(a, &mut script)?;
    let base = settings(a)?;
    let on_state = Arc::new(on_state);
    let mut out = Vec::new();
    for z in zones(a, hall)? {
        let settings = Settings {
            device: z.device.clone(),
            ..base.clone()
        };
        let (name, report) = (z.name.clone(), on_state.clone());
        // The speaker thread is not joined: at shutdown it finishes what
        // is queued while the process exits, which is soon enough.
        let (speaker, _thread) = Speaker::start(
            pack.clone(),
            settings,
            Box::new(move |s: &AudioState| report(&name, s)),
        )
        .with_context(|| format!("cannot start the speaker thread of zone {:?}", z.name))?;
        out.push(Zone {
            name: z.name,
            counters: z.counters,
            services: z.services,
            speaker,
        });
    }
    Ok((out, script))
}

/// The engine-side half: committed calls become announcements in the zones
/// that say them.
#[derive(Debug)]
pub struct AudioPublisher {
    pub zones: Vec<Zone>,
    pub script: Script,
    pub hall: Arc<Hall>,
}

/// What the speaker hears of one published item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ToSpeaker {
    /// A call or recall outside quiet hours: exactly that ticket to exactly
    /// that counter (its id), of that service.
    Say {
        announcement: Announcement,
        counter: String,
        service: String,
    },
    /// The ticket is no longer called (started, finished, no-show,
    /// transferred, cancelled): what still waits for it is not said.
    Withdraw(u64),
}

/// The speaker's part in one published item, if any.
pub fn to_speaker(script: &Script, hall: &Hall, p: &Published) -> Option<ToSpeaker> {
    let Published::Event { rec, ticket, .. } = p else {
        return None;
    };
    let view = ticket.as_ref()?;
    let (counter, recall) = match &rec.event {
        Event::TicketCalled { counter, .. } => (counter, false),
        Event::TicketRecalled { counter, .. } => (counter, true),
        // Any other event that leaves its ticket not called withdraws it;
        // the state after the event says so, not a list of event kinds.
        _ if view.ticket.state != TicketState::Called => {
            return Some(ToSpeaker::Withdraw(view.ticket.id.0 as u64));
        }
        _ => return None,
    };
    let number = &view.ticket.number;
    let spoken = hall.counter(counter)?.number;
    if script.is_quiet(rec.at, &hall.tz) {
        tracing::debug!(%number, counter = spoken, "quiet hours: not announced");
        return None;
    }
    Some(ToSpeaker::Say {
        announcement: script.announcement(number, spoken, recall, Some(view.ticket.id.0 as u64)),
        counter: counter.clone(),
        service: view.ticket.service.clone(),
    })
}

impl Publisher for AudioPublisher {
    /// A reload: names and counters of the new hall from now on (the zones
    /// and their devices stay; `[audio]` changes need a restart).
    fn reload(&mut self, hall: &Arc<Hall>) {
        self.hall = hall.clone();
    }

    fn publish(&mut self, batch: &[Published]) {
        for p in batch {
            match to_speaker(&self.script, &self.hall, p) {
                Some(ToSpeaker::Say {
                    announcement,
                    counter,
                    service,
                }) => {
                    for zone in self.zones.iter().filter(|z| z.says(&counter, &service)) {
                        if let Err(e) = zone.speaker.announce(announcement.clone()) {
                            tracing::warn!(zone = %zone.name, announcement = %announcement.label, error = %e, "announcement dropped");
                        }
                    }
                }
                Some(ToSpeaker::Withdraw(subject)) => {
                    for zone in &self.zones {
                        if let Err(e) = zone.speaker.withdraw(subject) {
                            tracing::debug!(zone = %zone.name, subject, error = %e, "withdrawal not delivered");
                        }
                    }
                }
                None => {}
            }
        }
    }
}

/// Every zone's last state, summed into the one `audio_state` notice
/// screens and `/metrics` read: counts add up, `output` only when every
/// zone has one, the `last_*` fields of the zone that just changed, and
/// each zone's own state under `zones`.
#[derive(Debug, Default)]
pub struct ZoneStates {
    // Zone name → its last state, in zone order. A std mutex: each zone's
    // speaker thread updates its entry and builds the notice under it, so
    // two zones' notices never interleave half-updated; never held long.
    states: std::sync::Mutex<Vec<(String, AudioState)>>,
}

impl ZoneStates {
    /// The zones in config order, none reported yet.
    pub fn new<'a>(zones: impl IntoIterator<Item = &'a str>) -> ZoneStates {
        ZoneStates {
            states: std::sync::Mutex::new(
                zones
                    .into_iter()
                    .map(|z| (z.to_owned(), AudioState::default()))
                    .collect(),
            ),
        }
    }

    /// Records `zone`'s new state; the notice body to send.
    pub fn update(&self, zone: &str, s: &AudioState) -> serde_json::Value {
        let mut states = self.states.lock().unwrap_or_else(|e| e.into_inner());
        match states.iter_mut().find(|(name, _)| name == zone) {
            Some((_, old)) => *old = s.clone(),
            None => states.push((zone.to_owned(), s.clone())),
        }
        let mut total = s.clone();
        total.output = states.iter().all(|(_, z)| z.output);
        total.device = states
            .iter()
            .map(|(_, z)| z.device.clone())
            .collect::<Vec<_>>()
            .join(", ");
        let sum = |f: &dyn Fn(&AudioState) -> u64| states.iter().map(|(_, z)| f(z)).sum::<u64>();
        total.queued = states.iter().map(|(_, z)| z.queued).sum();
        total.played = sum(&|z| z.played);
        total.dropped = sum(&|z| z.dropped);
        total.counts = qcall_audio::Counts {
            full: sum(&|z| z.counts.full),
            shortened: sum(&|z| z.counts.shortened),
            merged: sum(&|z| z.counts.merged),
            skipped_stale: sum(&|z| z.counts.skipped_stale),
            skipped_late: sum(&|z| z.counts.skipped_late),
            lost: sum(&|z| z.counts.lost),
        };
        let mut body = state_json(&total);
        body["zone"] = zone.into();
        body["zones"] = states
            .iter()
            .map(|(name, z)| {
                let mut v = state_json(z);
                v["zone"] = name.as_str().into();
                v
            })
            .collect();
        body
    }
}

/// The `audio_state` notice body of one speaker.
pub fn state_json(s: &AudioState) -> serde_json::Value {
    serde_json::json!({
        "output": s.output,
        "device": s.device,
        "queued": s.queued,
        "played": s.played,
        "dropped": s.dropped,
        "said": s.counts.said(),
        "said_full": s.counts.full,
        "shortened": s.counts.shortened,
        "merged": s.counts.merged,
        "skipped": s.counts.skipped(),
        "skipped_stale": s.counts.skipped_stale,
        "skipped_late": s.counts.skipped_late,
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
            voice: Voice::default(),
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
                case_no: None,
                channel: qcall_core::ticket::Channel::WalkIn,
                arrived_at: None,
                lapse_at: None,
                deferred: false,
            },
            ahead: 0,
            estimated_wait_s: 0,
            estimated_wait_range_s: (0, 0),
            now: at,
            no_counter: None,
        };
        let published = |event: Event| Published::Event {
            rec: qcall_core::Recorded { seq: 1, at, event },
            ticket: Some(ticket("A012")),
            counter: None,
        };
        let id = qcall_core::TicketId(7);
        let said = |p: Option<ToSpeaker>| match p {
            Some(ToSpeaker::Say {
                announcement,
                counter,
                service,
            }) => {
                assert_eq!(service, "A", "the ticket's service");
                assert!(counter == "1" || counter == "2", "{counter}");
                Some(announcement)
            }
            _ => None,
        };
        let check = |script: &Script, event: Event, expect: Option<&str>| {
            let got = said(to_speaker(script, &hall, &published(event.clone())));
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
        check(&script(&["12:00-13:30"]), called, None);
        // An event that leaves the ticket called (a phone number left)
        // changes nothing; one that leaves it started, done or gone
        // withdraws what still waits for it.
        let notify = Event::NotifyRequested {
            ticket: id,
            phone: "x".into(),
        };
        assert_eq!(to_speaker(&s, &hall, &published(notify)), None);
        let started = Published::Event {
            rec: qcall_core::Recorded {
                seq: 2,
                at,
                event: Event::TicketStarted {
                    ticket: id,
                    counter: "2".into(),
                },
            },
            ticket: Some({
                let mut t = ticket("A012");
                t.ticket.state = qcall_core::TicketState::Serving;
                t
            }),
            counter: None,
        };
        assert_eq!(
            to_speaker(&s, &hall, &started),
            Some(ToSpeaker::Withdraw(7))
        );
        let a = said(to_speaker(
            &s,
            &hall,
            &published(Event::TicketCalled {
                ticket: id,
                counter: "1".into(),
            }),
        ))
        .unwrap();
        assert_eq!(a.subject, Some(7), "the newest call for ticket 7 wins");
        assert_eq!(
            a.clips(),
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
        assert_eq!(
            a.brief,
            [
                "letter/a",
                "zh-CN/0",
                "zh-CN/1",
                "zh-CN/2",
                "zh-CN/hao",
                "zh-CN/dao",
                "zh-CN/1",
                "zh-CN/hao-chuangkou"
            ]
        );
    }

    #[test]
    fn zones_say_their_counters_and_services_and_are_checked() {
        let config = crate::Config::parse(crate::config::EXAMPLE).unwrap();
        let hall = config.hall().unwrap();
        let mut a = config.audio.clone();
        a.zones.clear();
        a.device = "plughw:CARD=Hall".into();
        a.pack = concat!(env!("CARGO_MANIFEST_DIR"), "/../../assets/voice/default").into();
        let one = zones(&a, &hall).unwrap();
        assert_eq!(one.len(), 1, "no zones: one on [audio] device");
        assert_eq!(one[0].device, "plughw:CARD=Hall");
        let zone = |counters: &[&str], services: &[&str]| AudioZoneSection {
            name: format!("z{}{}", counters.len(), services.len()),
            device: String::new(),
            counters: counters.iter().map(|c| c.to_string()).collect(),
            services: services.iter().map(|s| s.to_string()).collect(),
        };
        let (speaker, _) = Speaker::start(
            load_pack(&a, &mut Script::from_config(&a).unwrap()).unwrap(),
            settings(&a).unwrap(),
            Box::new(|_| {}),
        )
        .unwrap();
        let live = |z: AudioZoneSection| Zone {
            name: z.name,
            counters: z.counters,
            services: z.services,
            speaker: speaker.clone(),
        };
        let check = |z: &Zone, counter: &str, service: &str, expect: bool| {
            assert_eq!(
                z.says(counter, service),
                expect,
                "{z:?} {counter} {service}"
            );
        };
        let everything = live(zone(&[], &[]));
        check(&everything, "1", "A", true);
        let east = live(zone(&["1"], &["B"]));
        check(&east, "1", "A", true);
        check(&east, "2", "B", true);
        check(&east, "2", "A", false);
        // Bad zones are refused with the key and the value named.
        for (bad, says) in [
            (vec![zone(&["nope"], &[])], "\"nope\", which is no counter"),
            (vec![zone(&[], &["Q"])], "\"Q\", which is no service"),
            (
                vec![zone(&["1"], &[]), zone(&["1"], &[])],
                "a name of its own",
            ),
        ] {
            a.zones = bad;
            let e = zones(&a, &hall).unwrap_err().to_string();
            assert!(e.contains(says) && e.contains("[[audio.zones]]"), "{e}");
        }
    }

    #[test]
    fn zone_states_add_up_into_one_notice() {
        let states = ZoneStates::new(["east", "west"]);
        let mut east = AudioState {
            output: true,
            device: "east".into(),
            played: 2,
            ..AudioState::default()
        };
        east.counts.merged = 3;
        let first = states.update("east", &east);
        assert_eq!(
            (first["played"].clone(), first["merged"].clone()),
            (2.into(), 3.into())
        );
        let west = AudioState {
            output: false,
            device: "west".into(),
            played: 5,
            dropped: 1,
            ..AudioState::default()
        };
        // West reports first, east stays first: config order.
        let both = states.update("west", &west);
        assert_eq!(both["played"], 7);
        assert_eq!(both["merged"], 3);
        assert_eq!(both["dropped"], 1);
        assert_eq!(both["output"], false, "one zone has no output");
        assert_eq!(both["zone"], "west");
        assert_eq!(both["zones"][0]["zone"], "east");
        assert_eq!(both["zones"][1]["played"], 5);
        east.played = 3;
        assert_eq!(
            states.update("east", &east)["played"],
            8,
            "replaced, not added"
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
