//! The hall's config file (TOML): what it may contain, and how it becomes
//! the domain's [`Hall`].
//!
//! Every struct denies unknown keys, so a typo is an error that names the
//! key instead of a silently ignored setting. `config/qcall.example.toml`
//! documents every key and is embedded for `qcall default-config`; a test
//! fails when it misses one.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use qcall_core::hall::HallError;
use qcall_core::{CounterDef, Hall, Policy, PolicyKind, PriorityClass, Service, Text};
use serde::{Deserialize, Serialize};

/// The fully commented example config, as shipped.
pub const EXAMPLE: &str = include_str!("../../../config/qcall.example.toml");

/// A text in both hall languages.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Bilingual {
    pub zh: String,
    pub en: String,
}

impl From<&Bilingual> for Text {
    fn from(b: &Bilingual) -> Text {
        Text::new(b.zh.clone(), b.en.clone())
    }
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    pub hall: HallSection,
    pub server: ServerSection,
    pub queue: QueueSection,
    pub hours: Hours,
    pub classes: Vec<ClassSection>,
    pub services: Vec<ServiceSection>,
    pub counters: Vec<CounterSection>,
    /// Printing settings; optional for a hall without printers.
    #[serde(default)]
    pub print: PrintSection,
    /// Ticket printers; none is fine (tickets are then shown on screen only).
    #[serde(default)]
    pub printers: Vec<PrinterSection>,
    pub audio: AudioSection,
    /// Appointments (预约); optional.
    #[serde(default)]
    pub appointments: AppointmentSection,
    pub display: DisplaySection,
    /// Text messages to applicants through the hall's gateway; optional.
    #[serde(default)]
    pub notify: NotifySection,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct NotifySection {
    /// The gateway's URL (http://host:port/path); empty: no messages.
    pub webhook: String,
    /// Text when this many are ahead.
    pub ahead: u32,
    /// First retry after this long; doubling up to a minute.
    pub retry_ms: u64,
}

impl Default for NotifySection {
    fn default() -> Self {
        NotifySection {
            webhook: String::new(),
            ahead: 3,
            retry_ms: 2000,
        }
    }
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct AppointmentSection {
    /// Priority class of a checked-in appointment's ticket.
    pub class: String,
    /// Length of a bookable slot (minutes).
    pub slot_minutes: u32,
    /// Check-in opens this many minutes before the slot...
    pub early_minutes: u32,
    /// ...and closes this many minutes after it ends.
    pub late_minutes: u32,
    /// Later than that: "normal" (an ordinary ticket) or "refuse".
    pub late: String,
}

impl Default for AppointmentSection {
    fn default() -> Self {
        AppointmentSection {
            class: "appointment".into(),
            slot_minutes: 30,
            early_minutes: 30,
            late_minutes: 15,
            late: "normal".into(),
        }
    }
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct PrintSection {
    /// Printer id for notice slips from counters without a printer of their own.
    pub notice_printer: String,
    /// At most this many materials on a ticket (the kiosk screen shows all).
    pub materials_on_ticket: usize,
    /// Ask every printer for its status this often (seconds); 0 never.
    pub check_interval_s: u64,
}

impl Default for PrintSection {
    fn default() -> Self {
        PrintSection {
            notice_printer: String::new(),
            materials_on_ticket: 4,
            check_interval_s: 60,
        }
    }
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct PrinterSection {
    pub id: String,
    /// tcp://HOST:PORT, usb:///dev/usb/lp0, serial:///dev/ttyUSB0?baud=9600, file:PATH
    pub uri: String,
    /// Paper width: 58 or 80.
    pub width_mm: u32,
    /// `native` (GS ( k) or `raster` (a bitmap, for printers without QR support).
    pub qr: String,
    /// Limit for connecting, each status answer and writing (milliseconds).
    pub timeout_ms: u64,
    /// Ask DLE EOT status before each ticket (tcp and serial only).
    pub status_query: bool,
    /// Kiosk ids (`source` of POST /tickets) whose tickets print here.
    pub kiosks: Vec<String>,
    /// Counter ids whose notice slips print here.
    pub counters: Vec<String>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct HallSection {
    pub name: Bilingual,
    /// IANA time zone; the business day and opening hours follow it.
    pub timezone: String,
    /// Complaint and help line printed on tickets and shown on displays.
    pub hotline: String,
    /// Base URL phones use to reach the daemon (QR codes, `status_url`).
    /// Empty: derived from the request's Host header.
    pub public_url: String,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ServerSection {
    pub listen: String,
    /// Relative paths are relative to the working directory.
    pub db: PathBuf,
    /// Tickets one kiosk (client address) may take per minute; 0 is unlimited.
    pub kiosk_rate_per_minute: u32,
    /// A request head must arrive within this many seconds of the
    /// connection opening or of the previous response.
    #[serde(default = "default_header_timeout_s")]
    pub header_timeout_s: u64,
    /// A connection where no byte moves while no request is in progress is
    /// closed after this many seconds.
    #[serde(default = "default_idle_timeout_s")]
    pub idle_timeout_s: u64,
    /// Open connections (websockets included) at most; more are closed at once.
    #[serde(default = "default_max_connections")]
    pub max_connections: usize,
    /// Open connections from one client address at most; 0 is unlimited.
    #[serde(default = "default_max_connections_per_ip")]
    pub max_connections_per_ip: usize,
    /// A websocket client that takes longer than this to accept one write
    /// (it stopped reading) is dropped.
    #[serde(default = "default_ws_send_timeout_s")]
    pub ws_send_timeout_s: u64,
}

fn default_header_timeout_s() -> u64 {
    30
}

fn default_idle_timeout_s() -> u64 {
    15
}

fn default_max_connections() -> usize {
    4096
}

fn default_max_connections_per_ip() -> usize {
    64
}

fn default_ws_send_timeout_s() -> u64 {
    10
}

impl ServerSection {
    /// The listener's limits.
    pub fn limits(&self) -> crate::server::Limits {
        crate::server::Limits {
            header_timeout: std::time::Duration::from_secs(self.header_timeout_s),
            idle_timeout: std::time::Duration::from_secs(self.idle_timeout_s),
            max_connections: self.max_connections,
            max_connections_per_ip: self.max_connections_per_ip,
        }
    }

    fn check(&self) -> anyhow::Result<()> {
        for (key, value, max) in [
            ("header_timeout_s", self.header_timeout_s, 300),
            ("idle_timeout_s", self.idle_timeout_s, 3600),
            ("ws_send_timeout_s", self.ws_send_timeout_s, 300),
        ] {
            if !(1..=max).contains(&value) {
                bail!("[server] {key} = {value}: use 1 to {max} seconds");
            }
        }
        if self.max_connections == 0 {
            bail!("[server] max_connections = 0: use at least 1 (4096 suits a big hall)");
        }
        Ok(())
    }
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct QueueSection {
    /// `strict`, `ratio` or `aging`.
    pub policy: String,
    /// For `ratio`: priority calls in a row before an older normal ticket goes.
    pub ratio_n: u32,
    /// Any ticket waiting this long goes first; 0 disables the override.
    pub max_wait_minutes: u32,
    pub recall_limit: u32,
    pub number_width: usize,
    pub default_class: String,
    /// A no-show may re-enter within this many minutes (0: never).
    #[serde(default = "default_reentry_minutes")]
    pub reentry_minutes: u32,
    /// ...and then waits behind this many of the tickets waiting at its return.
    #[serde(default = "default_reentry_behind")]
    pub reentry_behind: usize,
    /// A ticket suspended for missing materials (挂起) may return within this
    /// many days, keeping its place ahead of newer tickets.
    #[serde(default = "default_suspend_days")]
    pub suspend_days: u32,
}

fn default_suspend_days() -> u32 {
    7
}

fn default_reentry_minutes() -> u32 {
    30
}

fn default_reentry_behind() -> usize {
    3
}

/// Opening hours per weekday, each a list of `HH:MM-HH:MM` ranges.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Hours {
    pub mon: Vec<String>,
    pub tue: Vec<String>,
    pub wed: Vec<String>,
    pub thu: Vec<String>,
    pub fri: Vec<String>,
    pub sat: Vec<String>,
    pub sun: Vec<String>,
    /// No new tickets this many minutes before closing.
    pub cutoff_minutes: u32,
    /// Whether the hours refuse tickets (false: shown only).
    #[serde(default = "yes")]
    pub enforce: bool,
    /// Closed dates, YYYY-MM-DD.
    #[serde(default)]
    pub holidays: Vec<String>,
    /// Make-up working days, `YYYY-MM-DD=mon` (open with Monday's hours).
    #[serde(default)]
    pub workdays: Vec<String>,
}

fn yes() -> bool {
    true
}

/// A service's own hours (the hall's hours otherwise).
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct ServiceHours {
    pub mon: Vec<String>,
    pub tue: Vec<String>,
    pub wed: Vec<String>,
    pub thu: Vec<String>,
    pub fri: Vec<String>,
    pub sat: Vec<String>,
    pub sun: Vec<String>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ClassSection {
    pub id: String,
    pub name: Bilingual,
    pub weight: u32,
    pub green: bool,
    /// Mark shown beside the number; empty for none.
    pub mark: String,
    /// Extra number prefix; empty for none.
    pub prefix: String,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ServiceSection {
    pub code: String,
    pub prefix: String,
    pub name: Bilingual,
    pub materials: Vec<Bilingual>,
    pub target_wait_yellow_minutes: u32,
    pub target_wait_red_minutes: u32,
    /// 0 is unlimited.
    pub daily_cap: u32,
    pub avg_service_minutes: u32,
    /// Time-slot quota: at most `slot_cap` tickets per `slot_minutes` (0: none).
    #[serde(default)]
    pub slot_minutes: u32,
    #[serde(default)]
    pub slot_cap: u32,
    /// Queue-length alerts: yellow / red at this many waiting (0: none).
    #[serde(default)]
    pub queue_yellow: u32,
    #[serde(default)]
    pub queue_red: u32,
    /// 限时办结: a ticket served longer than this raises an alert (0: none).
    #[serde(default)]
    pub service_limit_minutes: u32,
    /// Hours of this service when they differ from the hall's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hours: Option<ServiceHours>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct CounterSection {
    pub id: String,
    pub number: u32,
    pub name: Bilingual,
    pub services: Vec<String>,
}

/// Hall announcements over the speakers.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct AudioSection {
    /// Off: no speaker thread, no announcements, no warning.
    pub enabled: bool,
    /// Output device name; empty for the system default.
    pub device: String,
    /// Voice pack directory (with `manifest.toml`).
    pub pack: PathBuf,
    /// Languages said, in order: "zh-CN", "en".
    pub locales: Vec<String>,
    pub chime: bool,
    /// Times each announcement is said.
    pub repeat: u32,
    pub repeat_gap_ms: u32,
    /// Silence after an announcement before the next.
    pub gap_ms: u32,
    /// 0.0 to 1.0.
    pub volume: f32,
    /// Say 重呼 / "Calling again" before a recall.
    pub recall_prefix: bool,
    /// `HH:MM-HH:MM` ranges with no announcements.
    pub quiet_hours: Vec<String>,
}

/// Wall displays: layout, zones, ticker.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct DisplaySection {
    /// `columns` or `list`.
    pub layout: String,
    /// Previous calls shown below the latest one.
    pub history: usize,
    /// Chime in the display's browser on each call.
    pub chime: bool,
    pub ticker: Vec<Bilingual>,
    pub zones: Vec<ZoneSection>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ZoneSection {
    pub name: String,
    pub title: Bilingual,
    pub services: Vec<String>,
}

impl DisplaySection {
    /// Checks names against the hall and converts for the web layer.
    pub fn settings(&self, hall: &Hall) -> anyhow::Result<qcall_web::DisplaySettings> {
        if !matches!(self.layout.as_str(), "columns" | "list") {
            bail!(
                "[display] layout = {:?}: use \"columns\" or \"list\"",
                self.layout
            );
        }
        if !(1..=20).contains(&self.history) {
            bail!("[display] history = {}: use 1 to 20", self.history);
        }
        let mut zones = Vec::new();
        for z in &self.zones {
            if z.name.is_empty()
                || !z
                    .name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
            {
                bail!(
                    "[[display.zones]] name = {:?}: use letters, digits, '-' or '_'",
                    z.name
                );
            }
            if zones.iter().any(|o: &qcall_web::Zone| o.name == z.name) {
                bail!("[[display.zones]] name = {:?} appears twice", z.name);
            }
            if let Some(s) = z.services.iter().find(|s| hall.service(s).is_none()) {
                bail!("[[display.zones]] {:?}: there is no service {s:?}", z.name);
            }
            zones.push(qcall_web::Zone {
                name: z.name.clone(),
                title: qcall_web::wire::Bilingual {
                    zh: z.title.zh.clone(),
                    en: z.title.en.clone(),
                },
                services: z.services.clone(),
            });
        }
        Ok(qcall_web::DisplaySettings {
            layout: self.layout.clone(),
            history: self.history,
            chime: self.chime,
            ticker: self
                .ticker
                .iter()
                .map(|t| qcall_web::wire::Bilingual {
                    zh: t.zh.clone(),
                    en: t.en.clone(),
                })
                .collect(),
            zones,
        })
    }
}

impl Config {
    /// Reads and validates a config file.
    pub fn load(path: &Path) -> anyhow::Result<Config> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read the config file {}", path.display()))?;
        Config::parse(&text)
            .with_context(|| format!("the config file {} is not valid", path.display()))
    }

    /// Parses and validates config text.
    pub fn parse(text: &str) -> anyhow::Result<Config> {
        let config: Config = toml::from_str(text)?;
        let hall = config.hall()?;
        config.display.settings(&hall)?;
        config.listen()?;
        config.printer_settings()?;
        let mut kiosks = std::collections::HashSet::new();
        for p in &config.printers {
            for k in &p.kiosks {
                if !kiosks.insert(k) {
                    bail!(
                        "[[printers]] kiosk `{k}` is assigned to two printers; give each kiosk one printer"
                    );
                }
            }
            for c in &p.counters {
                if hall.counter(c).is_none() {
                    bail!(
                        "[[printers]] `{}` lists counter `{c}`, which is not defined",
                        p.id
                    );
                }
            }
        }
        let notice = &config.print.notice_printer;
        if !notice.is_empty() && !config.printers.iter().any(|p| &p.id == notice) {
            bail!("[print] notice_printer = {notice:?} names no [[printers]] entry");
        }
        for (day, ranges) in config.hours.days() {
            for r in ranges {
                parse_range(r).with_context(|| format!("[hours] {day}"))?;
            }
        }
        config.server.check()?;
        crate::audio::Script::from_config(&config.audio)?;
        crate::audio::settings(&config.audio)?;
        Ok(config)
    }

    pub fn listen(&self) -> anyhow::Result<SocketAddr> {
        self.server.listen.parse().with_context(|| {
            format!(
                "[server] listen = {:?} is not an address like 127.0.0.1:8080",
                self.server.listen
            )
        })
    }

    /// Builds the domain's hall.
    pub fn hall(&self) -> anyhow::Result<Hall> {
        let tz = jiff::tz::TimeZone::get(&self.hall.timezone).with_context(|| {
            format!(
                "[hall] timezone = {:?} is not a known time zone such as \"Asia/Shanghai\"",
                self.hall.timezone
            )
        })?;
        let q = &self.queue;
        let kind = match q.policy.as_str() {
            "strict" => PolicyKind::Strict,
            "ratio" => PolicyKind::Ratio { n: q.ratio_n },
            "aging" => PolicyKind::Aging,
            other => bail!("[queue] policy = {other:?}: use \"strict\", \"ratio\" or \"aging\""),
        };
        let max_wait_ms = (q.max_wait_minutes > 0).then(|| i64::from(q.max_wait_minutes) * 60_000);
        let non_empty = |s: &str| (!s.is_empty()).then(|| s.to_owned());
        let classes = self
            .classes
            .iter()
            .map(|c| PriorityClass {
                id: c.id.clone(),
                name: (&c.name).into(),
                weight: c.weight,
                green: c.green,
                mark: non_empty(&c.mark),
                prefix: non_empty(&c.prefix),
            })
            .collect();
        let services = self
            .services
            .iter()
            .map(|s| Service {
                code: s.code.clone(),
                name: (&s.name).into(),
                prefix: s.prefix.clone(),
                materials: s.materials.iter().map(Text::from).collect(),
                target_wait_yellow_s: s.target_wait_yellow_minutes * 60,
                target_wait_red_s: s.target_wait_red_minutes * 60,
                daily_cap: (s.daily_cap > 0).then_some(s.daily_cap),
                avg_service_s: s.avg_service_minutes.max(1) * 60,
            })
            .collect();
        let counters = self
            .counters
            .iter()
            .map(|c| CounterDef {
                id: c.id.clone(),
                number: c.number,
                name: (&c.name).into(),
                services: c.services.clone(),
            })
            .collect();
        let hall = Hall::new(
            (&self.hall.name).into(),
            tz,
            services,
            classes,
            q.default_class.clone(),
            counters,
            Policy { kind, max_wait_ms },
            q.recall_limit,
            q.number_width,
        )
        .map_err(|e: HallError| anyhow::anyhow!(e))?;
        let ap = &self.appointments;
        let late_as_normal = match ap.late.as_str() {
            "normal" => true,
            "refuse" => false,
            other => bail!("[appointments] late = {other:?}: use \"normal\" or \"refuse\""),
        };
        let minutes = |m: u32| i64::from(m) * 60_000;
        let hall = hall
            .with_appointments(qcall_core::hall::AppointmentRules {
                class: ap.class.clone(),
                slot_ms: minutes(ap.slot_minutes.max(1)),
                early_ms: minutes(ap.early_minutes),
                late_ms: minutes(ap.late_minutes),
                late_as_normal,
            })
            .map_err(|_| {
                anyhow::anyhow!(
                    "[appointments] class = {:?} is not one of [[classes]]",
                    ap.class
                )
            })?;
        let mut hall = hall;
        hall.suspend_days = q.suspend_days;
        hall.notify_ahead = self.notify.ahead;
        let mut hall = hall
            .with_schedule(self.hours.schedule()?, self.hours.enforce)
            .with_reentry(qcall_core::hall::Reentry {
                window_ms: i64::from(q.reentry_minutes) * 60_000,
                behind: q.reentry_behind,
            });
        for s in &self.services {
            if let Some(h) = &s.hours {
                let mut schedule = self.hours.schedule()?;
                let at = format!("[[services]] `{}` hours", s.code);
                schedule.week = week(
                    &at,
                    &[&h.mon, &h.tue, &h.wed, &h.thu, &h.fri, &h.sat, &h.sun],
                )?;
                hall = hall.with_service_schedule(&s.code, schedule);
            }
            hall = hall.with_alert_limits(
                &s.code,
                qcall_core::alerts::AlertLimits {
                    queue_yellow: s.queue_yellow,
                    queue_red: s.queue_red,
                    service_limit_ms: (s.service_limit_minutes > 0)
                        .then(|| i64::from(s.service_limit_minutes) * 60_000),
                },
            );
            match (s.slot_minutes, s.slot_cap) {
                (0, _) | (_, 0) => {}
                (minutes, cap) if minutes <= 1440 => {
                    hall = hall.with_quota(
                        &s.code,
                        qcall_core::hall::SlotQuota {
                            minutes: minutes as u16,
                            cap,
                        },
                    );
                }
                (minutes, _) => bail!(
                    "[[services]] `{}`: slot_minutes = {minutes} is longer than a day",
                    s.code
                ),
            }
        }
        Ok(hall)
    }
}

impl Config {
    /// The printers as the printer crate wants them, validated.
    pub fn printer_settings(&self) -> anyhow::Result<Vec<qcall_printer::PrinterSettings>> {
        let mut ids = std::collections::HashSet::new();
        self.printers
            .iter()
            .map(|p| {
                let at = || format!("[[printers]] `{}`", p.id);
                if p.id.is_empty() || !ids.insert(p.id.clone()) {
                    bail!("{}: every printer needs a unique, non-empty id", at());
                }
                let uri: qcall_printer::PrinterUri = p.uri.parse().with_context(at)?;
                let width = qcall_printer::PaperWidth::from_mm(p.width_mm).with_context(|| {
                    format!("{}: width_mm = {} must be 58 or 80", at(), p.width_mm)
                })?;
                let qr = match p.qr.as_str() {
                    "native" => qcall_printer::QrMode::Native,
                    "raster" => qcall_printer::QrMode::Raster,
                    other => bail!("{}: qr = {other:?} must be \"native\" or \"raster\"", at()),
                };
                if !(100..=60_000).contains(&p.timeout_ms) {
                    bail!(
                        "{}: timeout_ms = {} must be between 100 and 60000",
                        at(),
                        p.timeout_ms
                    );
                }
                Ok(qcall_printer::PrinterSettings {
                    id: p.id.clone(),
                    uri,
                    width,
                    qr,
                    timeout: std::time::Duration::from_millis(p.timeout_ms),
                    status_query: p.status_query,
                })
            })
            .collect()
    }
}

/// Parses seven days of ranges, Monday first.
fn week(at: &str, days: &[&Vec<String>; 7]) -> anyhow::Result<[Vec<(u16, u16)>; 7]> {
    const NAMES: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
    let mut week: [Vec<(u16, u16)>; 7] = Default::default();
    for (i, ranges) in days.iter().enumerate() {
        let mut parsed = ranges
            .iter()
            .map(|r| parse_range(r).map(|(a, b)| (a as u16, b as u16)))
            .collect::<anyhow::Result<Vec<_>>>()
            .with_context(|| format!("{at} {}", NAMES[i]))?;
        parsed.sort_unstable();
        if parsed.windows(2).any(|w| w[0].1 > w[1].0) {
            bail!("the ranges of one day overlap: {ranges:?}");
        }
        week[i] = parsed;
    }
    Ok(week)
}

impl Hours {
    /// The hall's schedule with its exceptions.
    pub fn schedule(&self) -> anyhow::Result<qcall_core::hours::Schedule> {
        let week = week(
            "[hours]",
            &[
                &self.mon, &self.tue, &self.wed, &self.thu, &self.fri, &self.sat, &self.sun,
            ],
        )?;
        let holidays = self
            .holidays
            .iter()
            .map(|d| {
                d.parse().with_context(|| {
                    format!("[hours] holidays: {d:?} is not a date like 2026-10-01")
                })
            })
            .collect::<anyhow::Result<_>>()?;
        let weekday = |s: &str| {
            Some(match s {
                "mon" => jiff::civil::Weekday::Monday,
                "tue" => jiff::civil::Weekday::Tuesday,
                "wed" => jiff::civil::Weekday::Wednesday,
                "thu" => jiff::civil::Weekday::Thursday,
                "fri" => jiff::civil::Weekday::Friday,
                "sat" => jiff::civil::Weekday::Saturday,
                "sun" => jiff::civil::Weekday::Sunday,
                _ => return None,
            })
        };
        let workdays = self
            .workdays
            .iter()
            .map(|w| {
                let (d, day) = w.split_once('=').unwrap_or((w, "mon"));
                let date = d.parse().ok();
                date.zip(weekday(day)).with_context(|| {
                    format!("[hours] workdays: {w:?} is not like \"2026-10-11=mon\"")
                })
            })
            .collect::<anyhow::Result<_>>()?;
        Ok(qcall_core::hours::Schedule {
            week,
            holidays,
            workdays,
            cutoff_minutes: self.cutoff_minutes.min(1440) as u16,
        })
    }

    pub fn days(&self) -> [(&'static str, &Vec<String>); 7] {
        [
            ("mon", &self.mon),
            ("tue", &self.tue),
            ("wed", &self.wed),
            ("thu", &self.thu),
            ("fri", &self.fri),
            ("sat", &self.sat),
            ("sun", &self.sun),
        ]
    }
}

/// Parses `HH:MM-HH:MM` into minutes after midnight.
pub fn parse_range(r: &str) -> anyhow::Result<(u32, u32)> {
    let parse_time = |t: &str| -> Option<u32> {
        let (h, m) = t.trim().split_once(':')?;
        let (h, m): (u32, u32) = (h.parse().ok()?, m.parse().ok()?);
        (h < 24 && m < 60).then_some(h * 60 + m)
    };
    let (a, b) = r
        .split_once('-')
        .with_context(|| format!("{r:?} is not a range like \"08:30-12:00\""))?;
    match (parse_time(a), parse_time(b)) {
        (Some(a), Some(b)) if a < b => Ok((a, b)),
        (Some(a), None) if b.trim() == "24:00" => Ok((a, 1440)),
        _ => bail!("{r:?} is not a range like \"08:30-12:00\" (opening before closing)"),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    /// Every key path in a TOML value; array elements share the path `[]`.
    fn key_paths(value: &toml::Value, prefix: &str, out: &mut BTreeSet<String>) {
        match value {
            toml::Value::Table(t) => {
                for (k, v) in t {
                    let path = if prefix.is_empty() {
                        k.clone()
                    } else {
                        format!("{prefix}.{k}")
                    };
                    out.insert(path.clone());
                    key_paths(v, &path, out);
                }
            }
            toml::Value::Array(items) => {
                for item in items {
                    key_paths(item, &format!("{prefix}[]"), out);
                }
            }
            _ => {}
        }
    }

    fn paths(text: &str) -> BTreeSet<String> {
        let mut out = BTreeSet::new();
        key_paths(
            &toml::Value::Table(toml::from_str::<toml::Table>(text).unwrap()),
            "",
            &mut out,
        );
        out
    }

    #[test]
    fn the_example_parses_and_documents_every_key() {
        // The file on disk, read here rather than through `EXAMPLE`, so the
        // check does not lean on what the binary embeds (the e2e test
        // compares the binary's output with this same file).
        let example = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../config/qcall.example.toml"
        ))
        .unwrap();
        let mut config = Config::parse(&example).unwrap();
        // Serialising the parsed config gives every key the program knows
        // (optional tables filled in so their keys count); the example must
        // show each of them.
        for s in &mut config.services {
            s.hours.get_or_insert_with(|| ServiceHours {
                mon: vec![],
                tue: vec![],
                wed: vec![],
                thu: vec![],
                fri: vec![],
                sat: vec![],
                sun: vec![],
            });
        }
        let known = paths(&toml::to_string(&config).unwrap());
        let shown = paths(&example);
        let missing: Vec<_> = known.difference(&shown).collect();
        assert!(
            missing.is_empty(),
            "config/qcall.example.toml lacks keys: {missing:?}"
        );
    }

    #[test]
    fn the_demo_hall_is_realistic() {
        let config = Config::load(Path::new(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../config/demo.toml"
        )))
        .unwrap();
        let hall = config.hall().unwrap();
        assert!(hall.services.len() >= 6, "at least six services");
        assert!(hall.counters.len() >= 8, "at least eight counters");
        assert!(
            hall.services
                .iter()
                .all(|s| !s.materials.is_empty() && !s.name.zh.is_empty() && !s.name.en.is_empty())
        );
        let green: Vec<_> = hall
            .classes
            .iter()
            .filter(|c| c.green)
            .map(|c| c.id.as_str())
            .collect();
        for class in ["elderly", "disabled", "pregnant"] {
            assert!(green.contains(&class), "green channel for {class}");
        }
        assert!(!config.hours.sat.is_empty(), "Saturday service");
        // Overlapping services: some service is served by several counters.
        assert!(
            hall.services
                .iter()
                .any(|s| hall.counters_serving(&s.code).count() >= 2)
        );
        assert_eq!(config.server.listen, "127.0.0.1:8080");
        assert!(
            config.server.db.is_relative(),
            "the demo keeps its db under the working dir"
        );
    }

    #[test]
    fn mistakes_are_named() {
        let check = |from: &str, to: &str, expect: &str| {
            let text = EXAMPLE.replacen(from, to, 1);
            assert_ne!(text, EXAMPLE, "fixture {from:?} not found in the example");
            let err = format!("{:#}", Config::parse(&text).unwrap_err());
            assert!(err.contains(expect), "{expect:?} not in {err:?}");
        };
        check("[queue]", "[queue]\npolicyy = 1", "unknown field `policyy`");
        check(
            "timezone = \"Asia/Shanghai\"",
            "timezone = \"Mars/Base\"",
            "not a known time zone",
        );
        check(
            "policy = \"ratio\"",
            "policy = \"lottery\"",
            "use \"strict\", \"ratio\" or \"aging\"",
        );
        check(
            "listen = \"127.0.0.1:8080\"",
            "listen = \"localhost\"",
            "not an address",
        );
        check(
            "header_timeout_s = 30",
            "header_timeout_s = 0",
            "[server] header_timeout_s = 0",
        );
        check(
            "locales = [\"zh-CN\", \"en\"]",
            "locales = [\"fr\"]",
            "[audio] locales",
        );
        check("volume = 0.8", "volume = 1.5", "[audio] volume");
        check(
            "quiet_hours = []",
            "quiet_hours = [\"13:00-12:00\"]",
            "[audio] quiet_hours",
        );
        check(
            "sat = [\"09:00-12:00\"]",
            "sat = [\"12:00-09:00\"]",
            "[hours] sat",
        );
        check(
            "layout = \"columns\"",
            "layout = \"grid\"",
            "[display] layout",
        );
        check(
            "en = \"East hall\" }\nservices = [\"A\", \"B\"]",
            "en = \"East hall\" }\nservices = [\"A\", \"Z\"]",
            "no service \"Z\"",
        );
    }

    #[test]
    fn ranges() {
        assert_eq!(parse_range("08:30-12:00").unwrap(), (510, 720));
        assert!(parse_range("8-12").is_err());
        assert!(parse_range("12:00-12:00").is_err());
        assert!(parse_range("24:00-25:00").is_err());
    }
}
