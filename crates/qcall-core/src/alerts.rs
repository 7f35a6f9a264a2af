//! SLA lights (红黄灯): which alerts are active in the hall right now.
//!
//! Pure: a function of the day's state and `now`. The caller compares the
//! set with the previous one and tells people about the changes. Each alert
//! has a stable `key`, so the same condition is one alert however often it
//! is evaluated.
//!
//! The thresholds themselves ([`Level`], [`AlertLimits`]) are part of the
//! hall's definition and live in [`crate::hall`]; this module only reads
//! the state against them.

pub use crate::hall::{AlertLimits, Level};

use crate::event::CounterState;
use crate::state::HallState;
use crate::ticket::TicketState;
use crate::time::Millis;

/// What is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AlertKind {
    /// The longest wait of a service is over its target.
    Wait { service: String, waited_s: i64 },
    /// Too many are waiting for a service.
    QueueLength { service: String, waiting: usize },
    /// An applicant rated the service poorly (不满意 or worse): a
    /// supervisor should talk to them while they are still in the hall.
    PoorRating {
        counter: String,
        number: String,
        score: u8,
        comment: Option<String>,
    },
    /// A 差评 is not put right by its deadline (整改超期).
    RectificationOverdue {
        number: String,
        deadline: String,
        assignee: Option<String>,
    },
    /// A ticket has been at a counter longer than the service's limit.
    ServiceTime {
        service: String,
        counter: String,
        number: String,
        minutes: i64,
    },
    /// A staffed counter has been paused or closed inside its hours for a
    /// while, with people waiting for its services (脱岗/早退).
    Away {
        counter: String,
        /// The clerk who worked there.
        staff: String,
        /// `paused` or `closed`.
        state: CounterState,
        minutes: i64,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Alert {
    /// Stable identity of the condition, e.g. `wait:A`.
    pub key: String,
    pub level: Level,
    pub kind: AlertKind,
}

impl Alert {
    /// A sentence for supervisors, in Chinese and English.
    pub fn message(&self) -> (String, String) {
        match &self.kind {
            AlertKind::Wait { service, waited_s } => (
                format!(
                    "{service} 业务最长等候已 {} 分钟，请增开窗口",
                    waited_s / 60
                ),
                format!(
                    "service {service}: the longest wait is {} min; open another counter",
                    waited_s / 60
                ),
            ),
            AlertKind::QueueLength { service, waiting } => (
                format!("{service} 业务有 {waiting} 人等候，请增开窗口"),
                format!("service {service}: {waiting} waiting; open another counter"),
            ),
            AlertKind::PoorRating {
                counter,
                number,
                score,
                ..
            } => (
                format!("{counter} 号窗口的 {number} 给出差评（{score} 分），请主管回访"),
                format!(
                    "{number} at counter {counter} rated the service {score}/5; please follow up"
                ),
            ),
            AlertKind::RectificationOverdue {
                number,
                deadline,
                assignee,
            } => {
                let who = assignee.as_deref().unwrap_or("未指派 / unassigned");
                (
                    format!(
                        "{number} 的差评整改已超过期限 {deadline}（负责人：{who}），请尽快整改"
                    ),
                    format!(
                        "the 差评 of {number} was due to be put right by {deadline} (assigned: {who}); it is overdue"
                    ),
                )
            }
            AlertKind::ServiceTime {
                counter,
                number,
                minutes,
                ..
            } => (
                format!("{counter} 号窗口办理 {number} 已 {minutes} 分钟，超过限时办结时限"),
                format!(
                    "counter {counter} has served {number} for {minutes} min, over the time limit"
                ),
            ),
            AlertKind::Away {
                counter,
                staff,
                state,
                minutes,
            } => {
                let (zh, en) = if *state == CounterState::Paused {
                    ("暂停", "paused")
                } else {
                    ("关闭", "closed")
                };
                (
                    format!(
                        "{counter} 号窗口（{staff}）已{zh} {minutes} 分钟，仍有人等候：请核实是否脱岗/早退"
                    ),
                    format!(
                        "counter {counter} ({staff}) has been {en} for {minutes} min inside its hours with people waiting"
                    ),
                )
            }
        }
    }
}

/// The alert a rating raises, if any: a score of 2 (不满意) is yellow, 1
/// (非常不满意) red; better scores raise none. One per ticket.
pub fn for_rating(
    ticket: crate::ticket::TicketId,
    counter: &str,
    number: &str,
    score: u8,
    comment: Option<&str>,
) -> Option<Alert> {
    let level = match score {
        1 => Level::Red,
        2 => Level::Yellow,
        _ => return None,
    };
    Some(Alert {
        key: format!("rating:{ticket}"),
        level,
        kind: AlertKind::PoorRating {
            counter: counter.to_owned(),
            number: number.to_owned(),
            score,
            comment: comment.map(str::to_owned),
        },
    })
}

/// Every alert that holds at `now`.
pub fn active(state: &HallState, now: Millis) -> Vec<Alert> {
    let hall = state.hall();
    let mut out = Vec::new();
    for s in &hall.services {
        if let Some(oldest) = state.oldest_waiting(&s.code) {
            let waited_s = (now - oldest).max(0) / 1000;
            let level = s.wait_level(waited_s);
            if let Some(level) = level {
                let kind = AlertKind::Wait {
                    service: s.code.clone(),
                    waited_s,
                };
                out.push(Alert {
                    key: format!("wait:{}", s.code),
                    level,
                    kind,
                });
            }
        }
        let limits = hall.alert_limits(&s.code);
        let waiting: usize = state.waiting_by_class(&s.code).iter().map(|(_, n)| n).sum();
        let level = if limits.queue_red > 0 && waiting >= limits.queue_red as usize {
            Some(Level::Red)
        } else if limits.queue_yellow > 0 && waiting >= limits.queue_yellow as usize {
            Some(Level::Yellow)
        } else {
            None
        };
        if let Some(level) = level {
            let kind = AlertKind::QueueLength {
                service: s.code.clone(),
                waiting,
            };
            out.push(Alert {
                key: format!("queue:{}", s.code),
                level,
                kind,
            });
        }
    }
    if let Some(away_ms) = hall.away_alert_ms {
        out.extend(away(state, now, away_ms));
    }
    for c in &hall.counters {
        let Some(rt) = state.counter(&c.id) else {
            continue;
        };
        if rt.state != CounterState::Serving {
            continue;
        }
        let Some(t) = rt.current.and_then(|id| state.ticket(id)) else {
            continue;
        };
        let (Some(limit), Some(started)) =
            (hall.alert_limits(&t.service).service_limit_ms, t.started_at)
        else {
            continue;
        };
        if t.state == TicketState::Serving && now - started >= limit {
            let minutes = (now - started) / 60_000;
            let kind = AlertKind::ServiceTime {
                service: t.service.clone(),
                counter: c.id.clone(),
                number: t.number.clone(),
                minutes,
            };
            out.push(Alert {
                key: format!("service_time:{}:{}", c.id, t.id),
                level: Level::Red,
                kind,
            });
        }
    }
    let today = crate::time::business_day(now, &hall.tz);
    for r in state.rectifications() {
        if r.fix.is_none() && r.overdue(today, &hall.tz) {
            out.push(Alert {
                key: format!("rectify:{}", r.ticket),
                level: Level::Red,
                kind: AlertKind::RectificationOverdue {
                    number: r.number.clone(),
                    deadline: r.deadline.to_string(),
                    assignee: r.assignee.clone(),
                },
            });
        }
    }
    out
}

/// Staffed counters paused or closed for `away_ms` or more while one of
/// their services is inside its hours with people waiting.
fn away(state: &HallState, now: Millis, away_ms: Millis) -> Vec<Alert> {
    let hall = state.hall();
    let mut out = Vec::new();
    for c in &hall.counters {
        let Some(rt) = state.counter(&c.id) else {
            continue;
        };
        let (Some(staff), Some(since)) = (&rt.last_staff, rt.since) else {
            continue;
        };
        let idle = matches!(rt.state, CounterState::Paused | CounterState::Closed);
        if !idle || now - since < away_ms {
            continue;
        }
        let needed = c.services.iter().any(|s| {
            state
                .waiting_by_class(s)
                .iter()
                .map(|(_, n)| n)
                .sum::<usize>()
                > 0
                && hall.schedule_of(s).serving(now, &hall.tz)
        });
        if needed {
            out.push(Alert {
                key: format!("away:{}", c.id),
                level: Level::Yellow,
                kind: AlertKind::Away {
                    counter: c.id.clone(),
                    staff: staff.clone(),
                    state: rt.state,
                    minutes: (now - since) / 60_000,
                },
            });
        }
    }
    out
}

/// Minutes each clerk's counter was paused or closed inside its hours, from
/// a day's events up to `until`: the time a counter they signed in at sat
/// idle while its first service was serving (a minute counts when it was
/// inside the hours at its start). Pure, like the rest of the statistics.
pub fn away_minutes(
    hall: &crate::hall::Hall,
    events: &[crate::event::Recorded],
    until: Millis,
) -> Vec<(String, i64)> {
    use crate::event::Event;
    let mut per_counter: std::collections::HashMap<
        &str,
        (CounterState, Option<Millis>, Option<String>),
    > = std::collections::HashMap::new();
    let mut total: std::collections::BTreeMap<String, i64> = std::collections::BTreeMap::new();
    let count = |counter: &str,
                 staff: &Option<String>,
                 from: Option<Millis>,
                 to: Millis,
                 total: &mut std::collections::BTreeMap<String, i64>| {
        let (Some(staff), Some(from)) = (staff, from) else {
            return;
        };
        let Some(service) = hall.counter(counter).and_then(|c| c.services.first()) else {
            return;
        };
        let schedule = hall.schedule_of(service);
        let mut t = from;
        let mut minutes = 0;
        while t + 60_000 <= to {
            minutes += i64::from(schedule.serving(t, &hall.tz));
            t += 60_000;
        }
        *total.entry(staff.clone()).or_default() += minutes;
    };
    for rec in events {
        match &rec.event {
            Event::CounterStaff { counter, staff } => {
                let entry =
                    per_counter
                        .entry(counter)
                        .or_insert((CounterState::Closed, None, None));
                if matches!(entry.0, CounterState::Paused | CounterState::Closed) {
                    count(counter, &entry.2, entry.1, rec.at, &mut total);
                    entry.1 = Some(rec.at);
                }
                entry.2 = Some(staff.clone());
            }
            Event::CounterStateChanged { counter, state } => {
                let entry =
                    per_counter
                        .entry(counter)
                        .or_insert((CounterState::Closed, None, None));
                if matches!(entry.0, CounterState::Paused | CounterState::Closed) {
                    count(counter, &entry.2, entry.1, rec.at, &mut total);
                }
                *entry = (*state, Some(rec.at), entry.2.clone());
            }
            _ => {}
        }
    }
    for (counter, (state, since, staff)) in &per_counter {
        if matches!(state, CounterState::Paused | CounterState::Closed) {
            count(counter, staff, *since, until, &mut total);
        }
    }
    total.into_iter().filter(|(_, m)| *m > 0).collect()
}

#[cfg(test)]
mod rating_tests {
    use super::*;
    use crate::ticket::TicketId;

    #[test]
    fn poor_ratings_raise_an_alert_by_score() {
        let check = |score: u8, expect: Option<Level>| {
            let a = for_rating(TicketId(7), "3", "A007", score, Some("太慢"));
            assert_eq!(a.as_ref().map(|a| a.level), expect, "score {score}");
            if let Some(a) = a {
                assert_eq!(a.key, "rating:7");
                let (zh, en) = a.message();
                assert!(
                    zh.contains("A007") && zh.contains(&format!("{score} 分")),
                    "{zh}"
                );
                assert!(en.contains(&format!("{score}/5")), "{en}");
            }
        };
        check(1, Some(Level::Red));
        check(2, Some(Level::Yellow));
        check(3, None);
        check(5, None);
    }

    /// An item not put right by its deadline is a red alert from the next
    /// day on, until it is fixed.
    #[test]
    fn an_overdue_rectification_raises_an_alert_until_it_is_fixed() {
        use crate::rectify::{Rectification, Step};
        let hall = std::sync::Arc::new(crate::hall::fixtures::hall(
            crate::hall::PolicyKind::Strict,
            None,
        ));
        let day = |d: &str| d.parse::<crate::time::BusinessDay>().unwrap();
        let noon = |d: &str| {
            day(d)
                .at(12, 0, 0, 0)
                .to_zoned(hall.tz.clone())
                .unwrap()
                .timestamp()
                .as_millisecond()
        };
        let mut state = HallState::new(hall.clone(), day("2026-12-01"), 0, 1);
        let mut r = Rectification {
            ticket: TicketId(7),
            number: "A007".into(),
            service: "A".into(),
            counter: None,
            staff: None,
            score: 1,
            reason: None,
            opened_at: 0,
            deadline: day("2026-11-30"),
            assignee: Some("zhao".into()),
            callback: None,
            fix: None,
            fix_score: None,
            phone: None,
        };
        state.load_rectifications(vec![r.clone()]);
        let overdue = |s: &HallState, at| {
            active(s, at)
                .into_iter()
                .filter(|a| a.key == "rectify:7")
                .collect::<Vec<_>>()
        };
        assert!(
            overdue(&state, noon("2026-11-30")).is_empty(),
            "due that day"
        );
        let a = overdue(&state, noon("2026-12-01"));
        assert_eq!(a.len(), 1);
        assert_eq!(a[0].level, Level::Red);
        assert!(a[0].message().0.contains("2026-11-30") && a[0].message().0.contains("zhao"));
        r.fix = Some(Step {
            at: noon("2026-12-01"),
            by: "zhao".into(),
            text: "fixed".into(),
        });
        state.load_rectifications(vec![r]);
        assert!(
            overdue(&state, noon("2026-12-02")).is_empty(),
            "fixed, even late"
        );
    }
}
