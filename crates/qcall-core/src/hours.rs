//! Opening hours: when a hall (or one service) takes new tickets.
//!
//! A [`Schedule`] has ranges per weekday (a lunch break is the gap between
//! two ranges), dated exceptions (public holidays closed; make-up working
//! days open with the hours of a given weekday) and a cut-off: no new
//! tickets in the last N minutes before the day's closing. Applicants may
//! take a ticket over the lunch break: they queue for the afternoon.
//!
//! Pure: the caller passes the instant and the hall's time zone.

use std::collections::{BTreeMap, BTreeSet};

use jiff::civil::{Date, Weekday};
use jiff::tz::TimeZone;

use crate::time::Millis;

/// Minutes after local midnight, 0..=1440.
pub type Minute = u16;

/// When new tickets are taken.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Schedule {
    /// Monday first; each day's `[open, close)` ranges, sorted, disjoint.
    pub week: [Vec<(Minute, Minute)>; 7],
    /// Closed all day (public holidays).
    pub holidays: BTreeSet<Date>,
    /// Make-up working days (调休): open with the hours of the given weekday.
    pub workdays: BTreeMap<Date, Weekday>,
    /// No new tickets this many minutes before the day's last closing.
    pub cutoff_minutes: Minute,
    /// Whether that fixed cut-off applies or the queue decides.
    pub cutoff: Cutoff,
}

/// When new tickets stop before closing.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Cutoff {
    /// `cutoff_minutes` before the day's last closing.
    #[default]
    Fixed,
    /// While the wait's range says a new ticket is still served by closing
    /// plus this many minutes of extended service (延时服务), until closing
    /// at the latest; judged by the day's state, not here.
    Forecast { extended_minutes: Minute },
}

/// Whether a ticket can be taken now, and if not, why.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Intake {
    Open {
        closes_at: Minute,
        cutoff_at: Minute,
    },
    /// Today, later.
    NotYetOpen { opens_at: Minute },
    /// Too close to closing, or closed for the day.
    PastCutoff { cutoff_at: Minute },
    /// No service at all today (weekend, holiday).
    ClosedToday,
}

impl Schedule {
    /// Open around the clock, every day: for halls that configure no hours.
    pub fn always() -> Schedule {
        Schedule {
            week: std::array::from_fn(|_| vec![(0, 1440)]),
            holidays: BTreeSet::new(),
            workdays: BTreeMap::new(),
            cutoff_minutes: 0,
            cutoff: Cutoff::Fixed,
        }
    }

    /// Minutes before closing at which intake stops by the clock: none
    /// when the queue decides.
    fn clock_cutoff(&self) -> Minute {
        match self.cutoff {
            Cutoff::Fixed => self.cutoff_minutes,
            Cutoff::Forecast { .. } => 0,
        }
    }

    /// The opening ranges of a date.
    pub fn ranges(&self, date: Date) -> &[(Minute, Minute)] {
        if self.holidays.contains(&date) {
            return &[];
        }
        let weekday = self.workdays.get(&date).copied().unwrap_or(date.weekday());
        &self.week[weekday.to_monday_zero_offset() as usize]
    }

    /// The `n`th working day after `from` on the hall's own calendar: a
    /// day it serves (its weekly hours), holidays skipped, make-up days
    /// counted. `from` itself never counts; `n = 0` is `from`. A calendar
    /// without a single working day in two years falls back to calendar
    /// days rather than loop for ever.
    pub fn working_days_after(&self, from: Date, n: u32) -> Date {
        let mut day = from;
        let mut left = n;
        for _ in 0..731 {
            if left == 0 {
                return day;
            }
            day = day.tomorrow().unwrap_or(day);
            if !self.ranges(day).is_empty() {
                left -= 1;
            }
        }
        from.checked_add(jiff::Span::new().days(i64::from(n)))
            .unwrap_or(from)
    }

    /// Whether a new ticket may be taken at `at`.
    pub fn intake(&self, at: Millis, tz: &TimeZone) -> Intake {
        let Ok(ts) = jiff::Timestamp::from_millisecond(at) else {
            return Intake::ClosedToday;
        };
        let local = ts.to_zoned(tz.clone());
        let minute = (local.hour() as u16) * 60 + local.minute() as u16;
        let ranges = self.ranges(local.date());
        let (Some(first), Some(last)) = (ranges.first(), ranges.last()) else {
            return Intake::ClosedToday;
        };
        let cutoff_at = last.1.saturating_sub(self.clock_cutoff());
        if minute < first.0 {
            Intake::NotYetOpen { opens_at: first.0 }
        } else if minute >= cutoff_at {
            Intake::PastCutoff { cutoff_at }
        } else {
            Intake::Open {
                closes_at: last.1,
                cutoff_at,
            }
        }
    }

    /// When a new ticket may next be taken, if it may not be at `at`: later
    /// today, or the first day after (skipping closed days and holidays,
    /// within a year) whose intake opens. `None` while intake is open, or
    /// when the schedule never opens again.
    pub fn next_opening(&self, at: Millis, tz: &TimeZone) -> Option<Millis> {
        if matches!(self.intake(at, tz), Intake::Open { .. }) {
            return None;
        }
        let local = jiff::Timestamp::from_millisecond(at)
            .ok()?
            .to_zoned(tz.clone());
        let minute = (local.hour() as u16) * 60 + local.minute() as u16;
        let mut date = local.date();
        for day in 0..=366 {
            if day > 0 {
                date = date.tomorrow().ok()?;
            }
            let ranges = self.ranges(date);
            let (Some(first), Some(last)) = (ranges.first(), ranges.last()) else {
                continue;
            };
            // A day whose cut-off comes before its opening takes no tickets.
            let takes_tickets = first.0 < last.1.saturating_sub(self.clock_cutoff());
            if takes_tickets && (day > 0 || minute < first.0) {
                return instant(date, first.0, tz);
            }
        }
        None
    }

    /// Whether counters are serving at `at`: inside an opening range, not in
    /// a break. Bookable appointment slots must be.
    pub fn serving(&self, at: Millis, tz: &TimeZone) -> bool {
        let Ok(ts) = jiff::Timestamp::from_millisecond(at) else {
            return false;
        };
        let local = ts.to_zoned(tz.clone());
        let minute = (local.hour() as u16) * 60 + local.minute() as u16;
        self.ranges(local.date())
            .iter()
            .any(|&(open, close)| (open..close).contains(&minute))
    }

    /// When counters are on a break at `at` and serve again later the same
    /// day: how long until they do (ms). Otherwise none.
    pub fn until_serving(&self, at: Millis, tz: &TimeZone) -> Option<Millis> {
        let ts = jiff::Timestamp::from_millisecond(at).ok()?;
        let local = ts.to_zoned(tz.clone());
        let minute = (local.hour() as u16) * 60 + local.minute() as u16;
        let ranges = self.ranges(local.date());
        if ranges
            .iter()
            .any(|&(open, close)| (open..close).contains(&minute))
        {
            return None;
        }
        let next = ranges.iter().find(|&&(open, _)| open > minute)?;
        let into_minute = i64::from(local.second()) * 1000 + i64::from(local.millisecond());
        Some(i64::from(next.0 - minute) * 60_000 - into_minute)
    }

    /// The opening ranges of the local day of `at`, as instants, and the
    /// instant new tickets stop (the cut-off before the last closing). For
    /// planning ahead within the day, as the wait estimate does.
    pub fn day_at(&self, at: Millis, tz: &TimeZone) -> DayPlan {
        let Ok(ts) = jiff::Timestamp::from_millisecond(at) else {
            return DayPlan::default();
        };
        let date = ts.to_zoned(tz.clone()).date();
        let instant = |minute: Minute| instant(date, minute, tz).unwrap_or(at);
        let ranges = self.ranges(date);
        DayPlan {
            serving: ranges
                .iter()
                .map(|&(open, close)| (instant(open), instant(close)))
                .collect(),
            intake_until: ranges
                .last()
                .map(|last| instant(last.1.saturating_sub(self.clock_cutoff()))),
        }
    }

    /// Whether `at` is after the day's last closing: service given then is
    /// extended service (延时服务).
    pub fn after_closing(&self, at: Millis, tz: &TimeZone) -> bool {
        let Ok(ts) = jiff::Timestamp::from_millisecond(at) else {
            return false;
        };
        let local = ts.to_zoned(tz.clone());
        let minute = (local.hour() as u16) * 60 + local.minute() as u16;
        self.ranges(local.date())
            .last()
            .is_some_and(|last| minute >= last.1)
    }
}

/// One day's hours as instants: see [`Schedule::day_at`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DayPlan {
    /// `[open, close)` ranges, sorted.
    pub serving: Vec<(Millis, Millis)>,
    /// When new tickets stop; `None` on a day without service.
    pub intake_until: Option<Millis>,
}

impl DayPlan {
    /// When counters serve at or after `at`: `at` itself inside a range,
    /// the end of a break or the day's opening otherwise. After the last
    /// closing counters stay until everyone is served (延时服务), so `at`.
    pub fn resume_at(&self, at: Millis) -> Millis {
        for &(open, close) in &self.serving {
            if at < open {
                return open;
            }
            if at < close {
                return at;
            }
        }
        at
    }
}

/// The instant of a minute of a local date; 24:00 is the next midnight.
fn instant(date: Date, minute: Minute, tz: &TimeZone) -> Option<Millis> {
    let zoned = if minute >= 1440 {
        date.tomorrow().and_then(|d| d.to_zoned(tz.clone()))
    } else {
        jiff::civil::Time::new((minute / 60) as i8, (minute % 60) as i8, 0, 0)
            .and_then(|t| date.to_datetime(t).to_zoned(tz.clone()))
    };
    zoned.ok().map(|z| z.timestamp().as_millisecond())
}

/// The local minute of the day of `at`.
pub fn local_minute(at: Millis, tz: &TimeZone) -> Minute {
    jiff::Timestamp::from_millisecond(at)
        .map(|ts| {
            let z = ts.to_zoned(tz.clone());
            (z.hour() as u16) * 60 + z.minute() as u16
        })
        .unwrap_or(0)
}

/// `08:30` for a minute of the day.
pub fn clock(minute: Minute) -> String {
    format!("{:02}:{:02}", minute / 60, minute % 60)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hall_hours() -> Schedule {
        let weekday = vec![(510, 720), (810, 1050)]; // 08:30-12:00, 13:30-17:30
        Schedule {
            week: [
                weekday.clone(),
                weekday.clone(),
                weekday.clone(),
                weekday.clone(),
                weekday,
                vec![(540, 720)], // Saturday 09:00-12:00
                vec![],
            ],
            holidays: ["2026-10-01".parse().unwrap()].into(),
            workdays: [("2026-10-11".parse().unwrap(), Weekday::Monday)].into(),
            cutoff_minutes: 30,
            cutoff: Cutoff::Fixed,
        }
    }

    /// The instant of a Shanghai wall-clock time like `2026-11-23 08:30`.
    fn local(wall: &str, tz: &TimeZone) -> Millis {
        jiff::civil::DateTime::strptime("%Y-%m-%d %H:%M", wall)
            .unwrap()
            .to_zoned(tz.clone())
            .unwrap()
            .timestamp()
            .as_millisecond()
    }

    fn check(wall: &str, expect: Intake) {
        let tz = TimeZone::get("Asia/Shanghai").unwrap();
        assert_eq!(hall_hours().intake(local(wall, &tz), &tz), expect, "{wall}");
    }

    #[test]
    fn intake_follows_hours_breaks_cutoff_and_exceptions() {
        let open = Intake::Open {
            closes_at: 1050,
            cutoff_at: 1020,
        };
        // 2026-11-23 is a Monday.
        check("2026-11-23 08:29", Intake::NotYetOpen { opens_at: 510 });
        check("2026-11-23 08:30", open);
        check("2026-11-23 12:30", open); // lunch: queue for the afternoon
        check("2026-11-23 16:59", open);
        check("2026-11-23 17:00", Intake::PastCutoff { cutoff_at: 1020 });
        check("2026-11-23 20:00", Intake::PastCutoff { cutoff_at: 1020 });
        // Saturday morning service, Sunday closed.
        check(
            "2026-11-21 11:29",
            Intake::Open {
                closes_at: 720,
                cutoff_at: 690,
            },
        );
        check("2026-11-21 11:30", Intake::PastCutoff { cutoff_at: 690 });
        check("2026-11-22 10:00", Intake::ClosedToday);
        // National Day closed; the make-up Sunday works Monday hours.
        check("2026-10-01 10:00", Intake::ClosedToday);
        check("2026-10-11 10:00", open);
    }

    #[test]
    fn working_days_skip_closed_days_and_holidays_and_count_make_up_days() {
        let mut hours = hall_hours();
        // Sundays off too in this hall, Saturdays served.
        hours
            .holidays
            .extend(["2026-10-02", "2026-10-05"].map(|d| d.parse::<Date>().unwrap()));
        let check = |from: &str, n: u32, expect: &str| {
            let from: Date = from.parse().unwrap();
            assert_eq!(
                hours.working_days_after(from, n).to_string(),
                expect,
                "{n} working days after {from}"
            );
        };
        // Monday 2026-11-23: Tue..Fri, Sat served, Sunday closed.
        check("2026-11-23", 0, "2026-11-23");
        check("2026-11-23", 1, "2026-11-24");
        check("2026-11-23", 5, "2026-11-28");
        check("2026-11-23", 6, "2026-11-30");
        // Around National Day: 10-01 and 10-02 holidays, 10-03 a Saturday
        // (served), 10-04 Sunday, 10-05 a holiday, 10-11 a make-up Sunday.
        check("2026-09-30", 1, "2026-10-03");
        check("2026-09-30", 2, "2026-10-06");
        check("2026-10-10", 1, "2026-10-11");
        // No working day at all: calendar days.
        let never = Schedule {
            week: Default::default(),
            ..hall_hours()
        };
        assert_eq!(
            never
                .working_days_after("2026-11-23".parse().unwrap(), 3)
                .to_string(),
            "2026-11-26"
        );
    }

    #[test]
    fn the_next_opening_skips_breaks_closed_days_and_holidays() {
        let tz = TimeZone::get("Asia/Shanghai").unwrap();
        let at = |s: &str| local(s, &tz);
        let mut hours = hall_hours();
        hours.holidays.extend(
            ["2026-10-02", "2026-10-03", "2026-10-04", "2026-10-05"]
                .map(|d| d.parse::<Date>().unwrap()),
        );
        let check = |from: &str, expect: Option<&str>| {
            assert_eq!(
                hours.next_opening(at(from), &tz),
                expect.map(at),
                "from {from}"
            );
        };
        // 2026-11-23 is a Monday.
        check("2026-11-23 07:00", Some("2026-11-23 08:30"));
        check("2026-11-23 08:30", None);
        check("2026-11-23 12:30", None); // lunch: intake stays open
        check("2026-11-23 17:00", Some("2026-11-24 08:30")); // past the cut-off
        check("2026-11-23 21:30", Some("2026-11-24 08:30"));
        // Saturday after its cut-off: Sunday is closed, Monday opens.
        check("2026-11-21 11:30", Some("2026-11-23 08:30"));
        check("2026-11-22 10:00", Some("2026-11-23 08:30"));
        // Holidays from 1 to 5 October; the 6th is a Tuesday.
        check("2026-09-30 18:00", Some("2026-10-06 08:30"));
        check("2026-10-03 09:00", Some("2026-10-06 08:30"));
        // A schedule that never opens has no next opening.
        let never = Schedule {
            week: std::array::from_fn(|_| Vec::new()),
            ..hall_hours()
        };
        assert_eq!(never.next_opening(at("2026-11-23 10:00"), &tz), None);
        // Nor does a day whose cut-off is before its opening.
        let short = Schedule {
            week: std::array::from_fn(|_| vec![(600, 620)]),
            cutoff_minutes: 30,
            ..hall_hours()
        };
        assert_eq!(short.next_opening(at("2026-11-23 07:00"), &tz), None);
        assert_eq!(short.next_opening(at("2026-11-23 10:00"), &tz), None);
    }

    #[test]
    fn with_a_forecast_cut_off_the_clock_stops_intake_only_at_closing() {
        let tz = TimeZone::get("Asia/Shanghai").unwrap();
        let forecast = Schedule {
            cutoff: Cutoff::Forecast {
                extended_minutes: 30,
            },
            ..hall_hours()
        };
        let at = |wall| local(wall, &tz);
        assert_eq!(
            forecast.intake(at("2026-11-23 17:10"), &tz),
            Intake::Open {
                closes_at: 1050,
                cutoff_at: 1050
            }
        );
        assert_eq!(
            forecast.intake(at("2026-11-23 17:30"), &tz),
            Intake::PastCutoff { cutoff_at: 1050 }
        );
        assert!(matches!(
            hall_hours().intake(at("2026-11-23 17:10"), &tz),
            Intake::PastCutoff { cutoff_at: 1020 }
        ));
    }

    #[test]
    fn extended_service_is_after_the_last_closing() {
        let tz = TimeZone::get("Asia/Shanghai").unwrap();
        let at = |s: &str| local(s, &tz);
        let h = hall_hours();
        assert!(!h.after_closing(at("2026-11-23 17:29"), &tz));
        assert!(h.after_closing(at("2026-11-23 17:30"), &tz));
        assert!(
            !h.after_closing(at("2026-11-23 12:30"), &tz),
            "lunch is not after closing"
        );
    }

    #[test]
    fn a_day_plan_skips_breaks_and_keeps_serving_after_closing() {
        let tz = TimeZone::get("Asia/Shanghai").unwrap();
        let at = |s: &str| local(s, &tz);
        let plan = hall_hours().day_at(at("2026-11-23 10:00"), &tz);
        assert_eq!(
            plan.serving,
            vec![
                (at("2026-11-23 08:30"), at("2026-11-23 12:00")),
                (at("2026-11-23 13:30"), at("2026-11-23 17:30"))
            ]
        );
        assert_eq!(plan.intake_until, Some(at("2026-11-23 17:00")));
        let check = |from: &str, expect: &str| {
            assert_eq!(plan.resume_at(at(from)), at(expect), "from {from}");
        };
        check("2026-11-23 07:00", "2026-11-23 08:30");
        check("2026-11-23 10:00", "2026-11-23 10:00");
        check("2026-11-23 12:00", "2026-11-23 13:30");
        check("2026-11-23 12:45", "2026-11-23 13:30");
        check("2026-11-23 18:10", "2026-11-23 18:10");
        // A holiday has no hours and takes no tickets.
        let holiday = hall_hours().day_at(at("2026-10-01 10:00"), &tz);
        assert_eq!(holiday, DayPlan::default());
    }
}
