//! The hall's config file (TOML): what it may contain, and how it becomes
//! the domain's [`Hall`].
//!
//! Every struct denies unknown keys, so a typo is an error that names the
//! key instead of a silently ignored setting. `config/qcall.example.toml`
//! documents every key and is embedded for `qcall default-config`; a test
//! fails when it misses one. A key is either required or has a default
//! that the example states (`# default: VALUE` at the end of its line);
//! tests check both ways, so a `#[serde(default)]` here needs that mark.

use std::path::PathBuf;

use anyhow::bail;
use qcall_core::{Hall, Text};
use serde::{Deserialize, Serialize};

/// The fully commented example config, as shipped.
pub const EXAMPLE: &str = include_str!("../../../../config/qcall.example.toml");

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
    #[serde(default)]
    pub remote: RemoteSection,
    /// Scheduled backups of the database while serving; optional.
    #[serde(default)]
    pub backup: BackupSection,
    /// Staff accounts' sessions; optional.
    #[serde(default)]
    pub staff: StaffSection,
    /// 好差评: indicators, reasons, the upload to the province; optional.
    #[serde(default)]
    pub rating: RatingSection,
}

/// `[staff]`: how staff sessions behave. Every key may be left out.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct StaffSection {
    /// A signed-in session unused this many hours ends.
    pub idle_hours: u32,
    /// A staffed counter paused or closed this many minutes inside its
    /// hours, with people waiting, alerts supervisors; 0 never.
    pub away_alert_minutes: u32,
}

impl Default for StaffSection {
    fn default() -> Self {
        StaffSection {
            idle_hours: 8,
            away_alert_minutes: 10,
        }
    }
}

impl StaffSection {
    /// The idle limit in milliseconds.
    pub fn idle_ms(&self) -> i64 {
        i64::from(self.idle_hours) * 3_600_000
    }

    fn check(&self) -> anyhow::Result<()> {
        if !(1..=24).contains(&self.idle_hours) {
            bail!(
                "[staff] idle_hours = {}: use 1 to 24 (a session also ends with the business day)",
                self.idle_hours
            );
        }
        if self.away_alert_minutes > 240 {
            bail!(
                "[staff] away_alert_minutes = {}: use 0 (off) to 240",
                self.away_alert_minutes
            );
        }
        Ok(())
    }
}

/// `[backup]`: copies of the database taken by the daemon while it serves.
/// Every key may be left out; the defaults are below.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct BackupSection {
    /// Directory for the copies; empty: `backups/` beside the database.
    /// Relative paths are relative to the working directory.
    pub dir: PathBuf,
    /// Minutes between copies; 0 turns scheduled backups off.
    pub every_minutes: u32,
    /// Copies kept; older ones are deleted after each new one.
    pub keep: usize,
}

impl Default for BackupSection {
    fn default() -> Self {
        BackupSection {
            dir: PathBuf::new(),
            every_minutes: 60,
            keep: 24,
        }
    }
}

impl BackupSection {
    /// The directory copies of database `db` go to.
    pub fn dir_for(&self, db: &std::path::Path) -> PathBuf {
        if !self.dir.as_os_str().is_empty() {
            return self.dir.clone();
        }
        match db.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.join("backups"),
            _ => PathBuf::from("backups"),
        }
    }

    fn check(&self) -> anyhow::Result<()> {
        if self.every_minutes > 7 * 24 * 60 {
            bail!(
                "[backup] every_minutes = {}: use 0 (off) to 10080 (a week)",
                self.every_minutes
            );
        }
        if self.keep == 0 {
            bail!("[backup] keep = 0: keep at least 1 copy (24 keeps a day of hourly copies)");
        }
        Ok(())
    }
}

/// Every key may be left out (see `Default`).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct NotifySection {
    /// The gateway's URL (http://host:port/path); empty: no messages.
    pub webhook: String,
    /// Text when this many are ahead.
    pub ahead: u32,
    /// First retry after this long; doubling up to a minute.
    pub retry_ms: u64,
    /// PEM file of CA certificates trusted for an `https://` webhook besides
    /// the public roots (a gateway with a private CA); empty: none.
    pub ca_file: PathBuf,
}

impl NotifySection {
    /// `ca_file`, when one is set.
    pub fn ca_file(&self) -> Option<&std::path::Path> {
        (!self.ca_file.as_os_str().is_empty()).then_some(self.ca_file.as_path())
    }
}

impl Default for NotifySection {
    fn default() -> Self {
        NotifySection {
            webhook: String::new(),
            ahead: 3,
            retry_ms: 2000,
            ca_file: PathBuf::new(),
        }
    }
}

/// Queueing from home (`/r`). Every key may be left out (see `Default`);
/// a service takes remote tickets only with its own `remote_per_hour`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct RemoteSection {
    /// Remote taking stops this many minutes before the walk-in cut-off.
    pub remote_cutoff_minutes: u32,
    /// A remote ticket that reached the front before its applicant lapses
    /// this many minutes after its estimated call time.
    pub arrive_grace_minutes: u32,
    /// A remote ticket may be moved back once, by at most this many places.
    pub defer_max_places: u32,
    /// Codes one phone number may ask for in an hour.
    pub codes_per_phone_hour: u32,
    /// Codes asked for or tried from one address in an hour (0: no limit).
    pub codes_per_address_hour: u32,
}

impl Default for RemoteSection {
    fn default() -> Self {
        RemoteSection {
            remote_cutoff_minutes: 60,
            arrive_grace_minutes: 15,
            defer_max_places: 5,
            codes_per_phone_hour: 5,
            codes_per_address_hour: 30,
        }
    }
}

/// Every key may be left out (see `Default`).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
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
    /// Applicants book for themselves on `/r` (phone, SMS code, ID number).
    pub self_booking: bool,
    /// Self-booked appointments per service and slot, at most.
    pub per_slot: u32,
    /// How many days ahead a slot may be booked (today is day 0).
    pub days_ahead: u32,
}

impl Default for AppointmentSection {
    fn default() -> Self {
        AppointmentSection {
            class: "appointment".into(),
            slot_minutes: 30,
            early_minutes: 30,
            late_minutes: 15,
            late: "normal".into(),
            self_booking: false,
            per_slot: 4,
            days_ahead: 14,
        }
    }
}

/// Every key may be left out (see `Default`).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
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
    /// Reverse proxies (addresses or CIDR blocks) whose `X-Forwarded-For`
    /// gives the client address for the kiosk rate limit and the logs.
    #[serde(default)]
    pub trusted_proxies: Vec<String>,
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

    /// `trusted_proxies`, parsed.
    pub fn trusted_proxies(&self) -> anyhow::Result<qcall_web::TrustedProxies> {
        qcall_web::TrustedProxies::parse(&self.trusted_proxies)
            .map_err(|e| anyhow::anyhow!("[server] trusted_proxies: {e}"))
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
        self.trusted_proxies()?;
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
    /// No new tickets this many minutes before closing. Required with
    /// `cutoff = "fixed"`; with "forecast" it is ignored and may be left
    /// out ([`Hours::schedule`] says which when it is missing).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cutoff_minutes: Option<u32>,
    /// "fixed" (`cutoff_minutes`) or "forecast" (the queue decides).
    #[serde(default = "fixed")]
    pub cutoff: String,
    /// With `cutoff = "forecast"`: minutes of extended service after
    /// closing that a new ticket may still be served in.
    #[serde(default = "thirty")]
    pub extended_minutes: u32,
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

fn fixed() -> String {
    "fixed".into()
}

fn thirty() -> u32 {
    30
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
    /// Remote tickets (`/r`) taken at most in each clock hour (0: none).
    #[serde(default)]
    pub remote_per_hour: u32,
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
    /// The old rule: the first service with anyone waiting, whatever waits
    /// for the next (the green channel of a later service included).
    #[serde(default)]
    pub strict_service_order: bool,
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
    /// No announcement starts later than this after its call (seconds).
    #[serde(default = "default_max_lag_s")]
    pub max_lag_s: u32,
    /// Speaker zones, each on its own device; none: one zone on `device`
    /// that says every call.
    #[serde(default)]
    pub zones: Vec<AudioZoneSection>,
}

/// One speaker zone: a wing or floor with its own output device.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct AudioZoneSection {
    pub name: String,
    /// Output device name; empty for the system default.
    pub device: String,
    /// Counter ids whose calls this zone says.
    pub counters: Vec<String>,
    /// Service codes whose calls this zone says. With `counters` also
    /// empty, the zone says every call.
    pub services: Vec<String>,
}

fn default_max_lag_s() -> u32 {
    10
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
    /// None: one area, every display shows every service.
    #[serde(default)]
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

mod hall;
pub use hall::parse_range;
mod lines;
pub use lines::{explain, located};
mod rating;
pub use rating::{IndicatorSection, RatingSection};

#[cfg(test)]
mod tests;
