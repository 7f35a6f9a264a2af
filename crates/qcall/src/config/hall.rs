//! From a parsed config to the domain's `Hall` and the web's `Site`:
//! validation with messages that name the key, and the opening hours.
//! The sections themselves (what the file may say) are the parent module's.

use anyhow::{Context, bail};
use qcall_core::hall::HallError;
use qcall_core::{
    CounterDef, Hall, Policy, PolicyKind, PriorityClass, Service, ServiceOrder, Text,
};
use std::net::SocketAddr;
use std::path::Path;

use super::*;

impl Config {
    /// Reads and validates a config file; a mistake is told as `FILE:LINE:
    /// what is wrong`, as `qcall config check` tells it.
    pub fn load(path: &Path) -> anyhow::Result<Config> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read the config file {}", path.display()))?;
        Config::parse(&text)
            .map_err(|e| anyhow::anyhow!("{}", located(&path.display().to_string(), &text, &e)))
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
        config.backup.check()?;
        config.staff.check()?;
        config.rating.rules()?;
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
                service_order: if c.strict_service_order {
                    ServiceOrder::Strict
                } else {
                    ServiceOrder::Tiebreak
                },
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
        hall.away_alert_ms = (self.staff.away_alert_minutes > 0)
            .then(|| i64::from(self.staff.away_alert_minutes) * 60_000);
        hall.notify_ahead = self.notify.ahead;
        hall.rating = self.rating.rules()?;
        hall.self_booking = qcall_core::hall::SelfBooking {
            enabled: ap.self_booking,
            per_slot: ap.per_slot,
            days_ahead: ap.days_ahead,
        };
        let r = &self.remote;
        if r.codes_per_phone_hour == 0 {
            bail!(
                "[remote] codes_per_phone_hour = 0: allow at least 1 (5 lets a mistyped number be corrected)"
            );
        }
        hall.remote = qcall_core::hall::RemoteRules {
            cutoff_ms: minutes(r.remote_cutoff_minutes),
            grace_ms: minutes(r.arrive_grace_minutes),
            defer_max_places: r.defer_max_places,
            codes_per_phone_hour: r.codes_per_phone_hour,
        };
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
            hall = hall.with_remote_per_hour(&s.code, s.remote_per_hour);
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
        let cutoff = match self.cutoff.as_str() {
            "fixed" => qcall_core::hours::Cutoff::Fixed,
            "forecast" => qcall_core::hours::Cutoff::Forecast {
                extended_minutes: self.extended_minutes.min(1440) as u16,
            },
            other => bail!("[hours] cutoff = {other:?}: use \"fixed\" or \"forecast\""),
        };
        Ok(qcall_core::hours::Schedule {
            week,
            holidays,
            workdays,
            cutoff_minutes: self.clock_cutoff_minutes()?.min(1440) as u16,
            cutoff,
        })
    }

    /// `cutoff_minutes` as configured: required by a fixed cut-off, which
    /// is nothing without it; a forecast cut-off ignores it, so there it
    /// may be left out and counts as 0 (no stop by the clock).
    pub fn clock_cutoff_minutes(&self) -> anyhow::Result<u32> {
        match (self.cutoff_minutes, self.cutoff.as_str()) {
            (Some(m), _) => Ok(m),
            (None, "forecast") => Ok(0),
            (None, _) => bail!(
                "[hours] cutoff_minutes is missing: a fixed cut-off (cutoff = \"fixed\", the default) needs it; \
                 add cutoff_minutes = 30 under [hours] (minutes before closing at which the kiosk stops \
                 issuing tickets; 0 issues them until closing), or set cutoff = \"forecast\" to let the queue decide"
            ),
        }
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
