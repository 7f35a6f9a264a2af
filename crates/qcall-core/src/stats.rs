//! A business day's statistics, computed from its tickets.
//!
//! Pure: the caller loads the tickets. Waits run from issue to (latest) call,
//! service time from start (or call, when the clerk never pressed start) to
//! finish. Percentiles are nearest-rank.

mod ratings;
pub use ratings::{RatingFigures, RatingStats, rating_stats};

use crate::hall::Hall;
use crate::state::Appointment;
use crate::ticket::{Ticket, TicketState};
use crate::time::Millis;

/// Figures for one group of tickets (a service, a counter, the hall).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct GroupStats {
    pub issued: u32,
    pub served: u32,
    pub no_show: u32,
    pub cancelled: u32,
    /// Still waiting, called or being served.
    pub open: u32,
    /// Set aside for missing materials (挂起).
    pub suspended: u32,
    /// Still waiting or called when the day ended (closed at rollover).
    pub expired: u32,
    /// Taken from home and checked in at the hall.
    pub arrived: u32,
    /// Taken from home, never checked in in time.
    pub lapsed: u32,
    pub wait_p50_s: Option<i64>,
    pub wait_p90_s: Option<i64>,
    pub wait_max_s: Option<i64>,
    pub service_p50_s: Option<i64>,
    pub service_p90_s: Option<i64>,
    /// Mean rating 1..=5 over rated tickets.
    pub satisfaction: Option<f64>,
    pub ratings: u32,
    /// Waits at or above the service's yellow / red threshold.
    pub over_yellow: u32,
    pub over_red: u32,
    /// Called after the day's closing time: extended service (延时服务).
    pub extended: u32,
    /// Mean absolute error of the wait predicted at issue, against the
    /// actual wait, over called tickets (seconds).
    pub estimate_error_s: Option<i64>,
    /// Median signed error of that estimate over tickets that waited 5
    /// minutes or more, relative to the actual wait: below zero, estimates
    /// ran short (a config whose averages are too low shows here).
    pub estimate_bias: Option<f64>,
    /// Share of called tickets whose actual wait fell inside the 80% range
    /// printed on them (near 0.8 when the range is honest).
    pub estimate_coverage: Option<f64>,
    /// Ratings given, per score 1..=5.
    pub ratings_by_score: [u32; 5],
}

/// The day: hall totals, per service (by the service a ticket ended in) and
/// per counter (by the counter that served or called it), and the load per
/// local hour.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DayStats {
    pub total: GroupStats,
    /// Tickets issued and called per local hour 0..24.
    pub issued_by_hour: [u32; 24],
    pub called_by_hour: [u32; 24],
    pub by_service: Vec<(String, GroupStats)>,
    pub by_counter: Vec<(String, GroupStats)>,
    /// Per clerk (tickets called while their token was used at a counter).
    pub by_staff: Vec<(String, GroupStats)>,
    /// Per channel (`walk_in`, `remote`, `appointment`), every channel listed.
    pub by_channel: Vec<(String, GroupStats)>,
}

pub fn day_stats(hall: &Hall, tickets: &[Ticket]) -> DayStats {
    let group = |pred: &dyn Fn(&Ticket) -> bool| {
        let picked: Vec<&Ticket> = tickets.iter().filter(|t| pred(t)).collect();
        group_stats(hall, &picked)
    };
    let hour = |at: Millis| usize::from(crate::hours::local_minute(at, &hall.tz) / 60).min(23);
    let mut issued_by_hour = [0; 24];
    let mut called_by_hour = [0; 24];
    for t in tickets {
        issued_by_hour[hour(t.issued_at)] += 1;
        if let Some(c) = t.called_at {
            called_by_hour[hour(c)] += 1;
        }
    }
    DayStats {
        total: group(&|_| true),
        issued_by_hour,
        called_by_hour,
        by_staff: {
            let names: std::collections::BTreeSet<&str> = tickets
                .iter()
                .filter_map(|t| t.served_by.as_deref())
                .collect();
            names
                .into_iter()
                .map(|n| (n.to_owned(), group(&|t| t.served_by.as_deref() == Some(n))))
                .collect()
        },
        by_channel: crate::ticket::Channel::ALL
            .iter()
            .map(|&c| (c.as_str().to_owned(), group(&|t| t.channel == c)))
            .collect(),
        by_service: hall
            .services
            .iter()
            .map(|s| (s.code.clone(), group(&|t| t.service == s.code)))
            .collect(),
        by_counter: hall
            .counters
            .iter()
            .map(|c| {
                (
                    c.id.clone(),
                    group(&|t| t.counter.as_deref() == Some(c.id.as_str())),
                )
            })
            .collect(),
    }
}

fn group_stats(hall: &Hall, tickets: &[&Ticket]) -> GroupStats {
    let mut g = GroupStats {
        issued: tickets.len() as u32,
        ..GroupStats::default()
    };
    let mut waits = Vec::new();
    let mut services = Vec::new();
    let mut rating_sum = 0u32;
    let mut errors = Vec::new();
    let mut bias = Vec::new();
    let (mut ranged, mut inside) = (0u32, 0u32);
    for t in tickets {
        match t.state {
            TicketState::Done => g.served += 1,
            TicketState::NoShow => g.no_show += 1,
            TicketState::Cancelled => g.cancelled += 1,
            TicketState::Waiting
            | TicketState::Called
            | TicketState::Serving
            | TicketState::Remote => g.open += 1,
            TicketState::Suspended => g.suspended += 1,
            TicketState::Expired => g.expired += 1,
            TicketState::Lapsed => g.lapsed += 1,
        }
        g.arrived += u32::from(t.arrived_at.is_some());
        if let Some(called) = t.called_at {
            let wait = (called - t.issued_at).max(0) / 1000;
            waits.push(wait);
            if let Some(s) = hall.service(&t.service) {
                let level = s.wait_level(wait);
                g.over_yellow += u32::from(level.is_some());
                g.over_red += u32::from(level == Some(crate::alerts::Level::Red));
            }
            g.extended += u32::from(hall.schedule_of(&t.service).after_closing(called, &hall.tz));
            if let Some(p) = t.predicted_wait_s {
                errors.push((wait - i64::from(p)).abs());
                if wait >= 300 {
                    bias.push((i64::from(p) - wait) as f64 / wait as f64);
                }
            }
            if let Some((low, high)) = t.predicted_range_s {
                ranged += 1;
                inside += u32::from((i64::from(low)..=i64::from(high)).contains(&wait));
            }
        }
        if let (TicketState::Done, Some(end)) = (t.state, t.finished_at)
            && let Some(begin) = t.started_at.or(t.called_at)
        {
            services.push((end - begin).max(0) / 1000);
        }
        if let Some(r) = t.rating.filter(|r| (1..=5).contains(r)) {
            rating_sum += u32::from(r);
            g.ratings += 1;
            g.ratings_by_score[usize::from(r) - 1] += 1;
        }
    }
    waits.sort_unstable();
    services.sort_unstable();
    g.wait_p50_s = percentile(&waits, 50);
    g.wait_p90_s = percentile(&waits, 90);
    g.wait_max_s = waits.last().copied();
    g.service_p50_s = percentile(&services, 50);
    g.service_p90_s = percentile(&services, 90);
    g.satisfaction = (g.ratings > 0).then(|| f64::from(rating_sum) / f64::from(g.ratings));
    g.estimate_error_s =
        (!errors.is_empty()).then(|| errors.iter().sum::<i64>() / errors.len() as i64);
    bias.sort_by(f64::total_cmp);
    g.estimate_bias = bias.get(bias.len() / 2).copied();
    g.estimate_coverage = (ranged > 0).then(|| f64::from(inside) / f64::from(ranged));
    g
}

/// What became of one appointment (预约).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AppointmentOutcome {
    /// Not checked in, and its check-in window is still ahead or open.
    Pending,
    /// Checked in within its window: queued at its booked time.
    CheckedIn,
    /// Checked in after its window, as an ordinary ticket (by config).
    Late,
    /// Its window closed without a check-in (爽约).
    Missed,
}

impl AppointmentOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            AppointmentOutcome::Pending => "pending",
            AppointmentOutcome::CheckedIn => "checked_in",
            AppointmentOutcome::Late => "late",
            AppointmentOutcome::Missed => "missed",
        }
    }
}

/// The outcome of `a` at `now`; `ticket` is its ticket, once checked in.
pub fn appointment_outcome(
    hall: &Hall,
    a: &Appointment,
    ticket: Option<&Ticket>,
    now: Millis,
) -> AppointmentOutcome {
    let rules = &hall.appointments;
    match ticket {
        Some(t) if t.class == rules.class => AppointmentOutcome::CheckedIn,
        Some(_) => AppointmentOutcome::Late,
        None if now > a.slot_end + rules.late_ms => AppointmentOutcome::Missed,
        None => AppointmentOutcome::Pending,
    }
}

/// A day's appointments by outcome.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AppointmentStats {
    pub booked: u32,
    pub checked_in: u32,
    pub late: u32,
    pub missed: u32,
    pub pending: u32,
}

/// The hall's and each service's appointments by outcome at `now`.
pub fn appointment_stats(
    hall: &Hall,
    appointments: &[Appointment],
    tickets: &[Ticket],
    now: Millis,
) -> (AppointmentStats, Vec<(String, AppointmentStats)>) {
    let by_id: std::collections::HashMap<_, _> = tickets.iter().map(|t| (t.id, t)).collect();
    let mut total = AppointmentStats::default();
    let mut per: Vec<(String, AppointmentStats)> = hall
        .services
        .iter()
        .map(|s| (s.code.clone(), AppointmentStats::default()))
        .collect();
    for a in appointments {
        let ticket = a.ticket.and_then(|id| by_id.get(&id).copied());
        let outcome = appointment_outcome(hall, a, ticket, now);
        let service = per.iter_mut().find(|(code, _)| *code == a.service);
        for g in std::iter::once(&mut total).chain(service.map(|(_, g)| g)) {
            g.booked += 1;
            match outcome {
                AppointmentOutcome::Pending => g.pending += 1,
                AppointmentOutcome::CheckedIn => g.checked_in += 1,
                AppointmentOutcome::Late => g.late += 1,
                AppointmentOutcome::Missed => g.missed += 1,
            }
        }
    }
    (total, per)
}

/// Nearest-rank percentile of sorted values.
pub fn percentile(sorted: &[i64], p: usize) -> Option<i64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = (p * sorted.len()).div_ceil(100).max(1);
    Some(sorted[rank - 1])
}

/// Visits per case (跑动次数) and the cases done in one visit
/// (最多跑一次), for a group of cases.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CaseStats {
    pub cases: u32,
    pub visits: u32,
    /// Cases with exactly one visit.
    pub one_visit: u32,
}

impl CaseStats {
    /// Mean visits per case.
    pub fn visits_per_case(&self) -> Option<f64> {
        (self.cases > 0).then(|| f64::from(self.visits) / f64::from(self.cases))
    }

    /// The share of cases done in one visit, 0..=1.
    pub fn one_visit_share(&self) -> Option<f64> {
        (self.cases > 0).then(|| f64::from(self.one_visit) / f64::from(self.cases))
    }
}

/// The hall's and each service's case figures. `cases` gives, per case,
/// the services of its visits in order (the caller picks which cases and
/// visits count); a case counts under the service of its last visit.
pub fn case_stats<'a>(
    hall: &Hall,
    cases: impl IntoIterator<Item = &'a [String]>,
) -> (CaseStats, Vec<(String, CaseStats)>) {
    let mut total = CaseStats::default();
    let mut by: Vec<(String, CaseStats)> = hall
        .services
        .iter()
        .map(|s| (s.code.clone(), CaseStats::default()))
        .collect();
    for visits in cases {
        let Some(last) = visits.last() else { continue };
        let n = visits.len() as u32;
        for g in std::iter::once(&mut total).chain(
            by.iter_mut()
                .filter(|(code, _)| code == last)
                .map(|(_, g)| g),
        ) {
            g.cases += 1;
            g.visits += n;
            g.one_visit += u32::from(n == 1);
        }
    }
    (total, by)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hall::PolicyKind;
    use crate::hall::fixtures;
    use crate::ticket::TicketId;

    fn ticket(
        id: i64,
        service: &str,
        state: TicketState,
        wait_s: Option<i64>,
        serve_s: Option<i64>,
    ) -> Ticket {
        let called_at = wait_s.map(|w| w * 1000);
        Ticket {
            state,
            called_at,
            started_at: called_at,
            finished_at: serve_s.zip(called_at).map(|(s, c)| c + s * 1000),
            counter: called_at.map(|_| "1".into()),
            rating: (state == TicketState::Done).then_some(4),
            ..Ticket::waiting(
                TicketId(id),
                "2026-11-22".parse().unwrap(),
                service.into(),
                "normal".into(),
                id as u32,
                format!("{service}{id:03}"),
                0,
            )
        }
    }

    #[test]
    fn percentiles_are_nearest_rank() {
        let check = |v: &[i64], p, expect| assert_eq!(percentile(v, p), expect, "p{p} of {v:?}");
        check(&[], 50, None);
        check(&[7], 90, Some(7));
        check(&[1, 2, 3, 4], 50, Some(2));
        check(&[1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 90, Some(9));
    }

    #[test]
    fn a_day_is_summed_per_service_and_counter() {
        let hall = fixtures::hall(PolicyKind::Strict, None); // yellow 600 s, red 1200 s
        let tickets = vec![
            ticket(1, "A", TicketState::Done, Some(100), Some(300)),
            ticket(2, "A", TicketState::Done, Some(700), Some(100)),
            ticket(3, "A", TicketState::NoShow, Some(1300), None),
            ticket(4, "A", TicketState::Waiting, None, None),
            ticket(5, "B", TicketState::Cancelled, None, None),
        ];
        let stats = day_stats(&hall, &tickets);
        let a = &stats.by_service[0].1;
        assert_eq!((a.issued, a.served, a.no_show, a.open), (4, 2, 1, 1));
        assert_eq!(
            (a.wait_p50_s, a.wait_p90_s, a.wait_max_s),
            (Some(700), Some(1300), Some(1300))
        );
        assert_eq!((a.service_p50_s, a.service_p90_s), (Some(100), Some(300)));
        assert_eq!((a.over_yellow, a.over_red), (2, 1));
        assert_eq!((a.satisfaction, a.ratings), (Some(4.0), 2));
        assert_eq!(stats.by_service[1].1.cancelled, 1);
        assert_eq!(stats.total.issued, 5);
        assert_eq!(stats.by_counter[0].1.issued, 3, "counter 1 called three");
    }

    #[test]
    fn the_estimates_bias_and_range_coverage_are_measured() {
        let hall = fixtures::hall(PolicyKind::Strict, None);
        // (waited s, predicted s, range): told 800 and waited 1000 (-20%),
        // told 450 and waited 500 (-10%), told 990 and waited 900 (+10%);
        // 100 s waits are too short for the bias but count for the range.
        let told = |id, waited: Millis, predicted: u32, range: (u32, u32)| {
            let mut t = ticket(id, "A", TicketState::Done, Some(waited), Some(60));
            t.predicted_wait_s = Some(predicted);
            t.predicted_range_s = Some(range);
            t
        };
        let tickets = vec![
            told(1, 1000, 800, (600, 900)),
            told(2, 500, 450, (300, 600)),
            told(3, 900, 990, (700, 1300)),
            told(4, 100, 0, (0, 300)),
        ];
        let a = &day_stats(&hall, &tickets).total;
        assert_eq!(a.estimate_bias.map(|b| (b * 100.0).round()), Some(-10.0));
        assert_eq!(
            a.estimate_coverage,
            Some(0.75),
            "ticket 1 waited past its range"
        );
        let none = day_stats(&hall, &[ticket(5, "A", TicketState::Waiting, None, None)]);
        assert_eq!(
            (none.total.estimate_bias, none.total.estimate_coverage),
            (None, None)
        );
    }

    #[test]
    fn appointments_are_checked_in_late_missed_or_pending() {
        let hall = fixtures::hall(PolicyKind::Strict, None);
        let rules = crate::hall::AppointmentRules {
            class: "elderly".into(),
            ..hall.appointments.clone()
        };
        let hall = hall.with_appointments(rules).unwrap();
        let rules = &hall.appointments;
        let minute = 60_000;
        let booking =
            |code: &str, service: &str, slot_start: Millis, ticket: Option<i64>| Appointment {
                code: code.into(),
                service: service.into(),
                slot_start,
                slot_end: slot_start + rules.slot_ms,
                name: None,
                ticket: ticket.map(TicketId),
            };
        let mut on_time = ticket(1, "A", TicketState::Done, Some(60), Some(60));
        on_time.class = rules.class.clone();
        let late = ticket(2, "A", TicketState::Waiting, None, None);
        let tickets = vec![on_time, late];
        let now = 600 * minute;
        let closes = |slot: Millis| slot + rules.slot_ms + rules.late_ms;
        let list = vec![
            booking("100001", "A", 0, Some(1)),
            booking("100002", "A", 0, Some(2)),
            // Its window closed a minute ago: missed.
            booking(
                "100003",
                "B",
                now - minute - rules.slot_ms - rules.late_ms,
                None,
            ),
            // Closes exactly now: still pending.
            booking("100004", "B", now - rules.slot_ms - rules.late_ms, None),
        ];
        assert_eq!(closes(list[3].slot_start), now);
        let outcomes: Vec<&str> = list
            .iter()
            .map(|a| {
                let t = a.ticket.and_then(|id| tickets.iter().find(|t| t.id == id));
                appointment_outcome(&hall, a, t, now).as_str()
            })
            .collect();
        assert_eq!(outcomes, vec!["checked_in", "late", "missed", "pending"]);
        let (total, per) = appointment_stats(&hall, &list, &tickets, now);
        let counts = |g: AppointmentStats| (g.booked, g.checked_in, g.late, g.missed, g.pending);
        assert_eq!(counts(total), (4, 1, 1, 1, 1));
        assert_eq!(counts(per[0].1), (2, 1, 1, 0, 0));
        assert_eq!(counts(per[1].1), (2, 0, 0, 1, 1));
    }

    #[test]
    fn visits_per_case_and_the_one_visit_share() {
        let hall = fixtures::hall(PolicyKind::Strict, None);
        let case = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let cases = [
            case(&["A", "A", "A"]),
            case(&["B"]),
            case(&["A", "B"]),
            case(&[]),
        ];
        let (total, by) = case_stats(&hall, cases.iter().map(|c| c.as_slice()));
        let check = |g: &CaseStats, expect: (u32, u32, u32, Option<f64>)| {
            assert_eq!(
                (g.cases, g.visits, g.one_visit, g.one_visit_share()),
                expect
            );
        };
        check(&total, (3, 6, 1, Some(1.0 / 3.0)));
        check(&by[0].1, (1, 3, 0, Some(0.0)));
        check(&by[1].1, (2, 3, 1, Some(0.5)));
        assert_eq!(total.visits_per_case(), Some(2.0));
        check(&CaseStats::default(), (0, 0, 0, None));
    }
}
