//! Table tests and property tests for the day's state: the simulator and
//! its helpers, the ticket life cycle, the estimate and what `apply`
//! reports. Property tests, hall operations, appointments and suspended
//! tickets have files of their own.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use proptest::prelude::*;

use super::*;
use crate::event::{Event, Recorded};
use crate::hall::fixtures;
use crate::hall::{Hall, PolicyKind};

const MINUTE: Millis = 60_000;

/// A hall run the way the engine runs it: decide, record, apply.
struct Sim {
    state: HallState,
    log: Vec<Recorded>,
    now: Millis,
    /// Check each event's reported [`Changes`] against the state before and
    /// after it (slower: a copy of the state per event).
    audit: bool,
    /// What each event of the last command changed.
    changes: Vec<Changes>,
}

impl Sim {
    fn new(hall: Hall) -> Sim {
        Sim::on(hall, 0)
    }

    /// A hall whose business day is that of `at`, with the clock at `at`.
    fn on(hall: Hall, at: Millis) -> Sim {
        let day = crate::time::business_day(at, &hall.tz);
        Sim::at(HallState::new(Arc::new(hall), day, 0, 1), at)
    }

    /// Runs on from `state`, with the clock at `at`.
    fn at(state: HallState, at: Millis) -> Sim {
        Sim {
            state,
            log: vec![],
            now: at,
            audit: false,
            changes: vec![],
        }
    }

    fn run(&mut self, cmd: Command) -> Result<Option<TicketId>, Rejection> {
        let decision = self.state.decide(&cmd, self.now)?;
        self.changes.clear();
        for event in decision.events {
            let rec = Recorded {
                seq: self.state.last_seq() + 1,
                at: self.now,
                event,
            };
            let before = self.audit.then(|| self.state.clone());
            let changes = self.state.apply(&rec).expect("decided events apply");
            if let Some(before) = before {
                check_changes(&before, &self.state, &rec, &changes);
            }
            self.changes.push(changes);
            self.log.push(rec);
        }
        Ok(decision.subject)
    }

    fn issue(&mut self, service: &str, class: &str) -> TicketId {
        self.run(Command::Issue {
            service: service.into(),
            class: Some(class.into()),
            source: None,
        })
        .unwrap()
        .unwrap()
    }

    fn counter(
        &mut self,
        counter: &str,
        action: CounterAction,
    ) -> Result<Option<TicketId>, Rejection> {
        self.run(Command::Counter {
            counter: counter.into(),
            action,
        })
    }

    fn call(&mut self, counter: &str) -> Option<TicketId> {
        self.counter(counter, CounterAction::CallNext).unwrap()
    }

    /// `counter` calls the next ticket and finishes it `minutes` later.
    fn serve(&mut self, counter: &str, minutes: i64) {
        self.call(counter);
        self.now += minutes * MINUTE;
        self.finish(counter);
    }

    /// The counter's applicant is done, unrated.
    fn finish(&mut self, counter: &str) {
        self.counter(
            counter,
            CounterAction::Finish {
                rating: None,
                reason: None,
            },
        )
        .unwrap();
    }

    /// The estimated waits of `tickets`, in seconds.
    fn waits(&self, tickets: &[TicketId]) -> Vec<u32> {
        tickets
            .iter()
            .map(|&t| self.state.estimated_wait_s(t))
            .collect()
    }

    fn number(&self, id: TicketId) -> &str {
        &self.state.ticket(id).unwrap().number
    }

    fn replayed(&self) -> HallState {
        let mut fresh = HallState::new(self.state.hall().clone(), self.state.day(), 0, 1);
        for rec in &self.log {
            fresh.apply(rec).unwrap();
        }
        fresh
    }
}

/// Every service's waiting tickets in order, those sent to one of its
/// counters included: what a queue_changed frame is about.
fn waiting_per_service(state: &HallState) -> Vec<Vec<QueueKey>> {
    let hall = state.hall();
    (0..hall.services.len())
        .map(|si| {
            let direct = state.direct.iter().flatten().filter(|k| {
                state
                    .ticket(k.id)
                    .and_then(|t| hall.service_index(&t.service))
                    == Some(si)
            });
            state.queues[si]
                .iter()
                .flatten()
                .chain(direct)
                .copied()
                .collect()
        })
        .collect()
}

/// What `apply` reported is at least what changed, found by comparing the
/// state before and after the event.
fn check_changes(before: &HallState, after: &HallState, rec: &Recorded, changes: &Changes) {
    let kind = rec.event.kind();
    let (old, new) = (waiting_per_service(before), waiting_per_service(after));
    for si in 0..old.len() {
        if old[si] != new[si] {
            assert!(
                changes.queues.contains(&si),
                "{kind}: queue {si} changed unreported"
            );
        }
    }
    for t in after.tickets() {
        if before.ticket(t.id) != Some(t) {
            assert_eq!(
                changes.ticket,
                Some(t.id),
                "{kind}: ticket {} changed",
                t.number
            );
        }
    }
    for ci in 0..after.hall().counters.len() {
        if before.counter_at(ci) != after.counter_at(ci) {
            assert_eq!(changes.counter, Some(ci), "{kind}: counter {ci} changed");
        }
    }
    for a in after.appointments() {
        if before.appointment(&a.code) != Some(a) {
            let reported = changes.appointment.as_ref().map(|(_, a)| a);
            assert_eq!(reported, Some(a), "{kind}: appointment changed");
        }
    }
}

/// The queue-changing events the engine once listed by hand missed
/// re-entries, returns and check-ins; `apply` reports them all.
#[test]
fn apply_reports_every_ticket_put_in_a_queue() {
    let mut sim = Sim::on(appointment_hall(PolicyKind::Strict), monday(9, 0));
    sim.audit = true;
    let queued = |sim: &Sim| sim.changes.iter().any(Changes::queues_changed);
    let first = sim.issue("A", "normal");
    assert!(queued(&sim), "issue");
    sim.call("1");
    sim.counter("1", CounterAction::NoShow).unwrap();
    sim.run(Command::Reenter {
        ticket: first,
        by: "guide".into(),
    })
    .unwrap();
    assert!(queued(&sim), "re-entry");
    sim.call("1");
    let missing = vec!["户口簿".into()];
    sim.counter("1", CounterAction::Suspend { missing })
        .unwrap();
    sim.run(Command::Return {
        ticket: first,
        earlier: None,
    })
    .unwrap();
    assert!(queued(&sim), "return");
    sim.call("1");
    sim.counter("1", CounterAction::Requeue).unwrap();
    assert!(queued(&sim), "requeue");
    sim.call("1");
    let to_b = CounterAction::Transfer(TransferTarget::Service("B".into()));
    sim.counter("1", to_b).unwrap();
    assert!(queued(&sim), "transfer to a service");
    sim.call("3");
    let to_2 = CounterAction::Transfer(TransferTarget::Counter("2".into()));
    sim.counter("3", to_2).unwrap();
    assert!(queued(&sim), "transfer to a counter");
    book(&mut sim, "123456", monday(9, 20));
    assert!(!queued(&sim), "a booking queues nobody");
    check_in(&mut sim, "123456").unwrap();
    assert!(queued(&sim), "check-in");
}

fn strict_hall() -> Hall {
    fixtures::hall(PolicyKind::Strict, None)
}

#[test]
fn a_ticket_goes_through_its_life() {
    let mut sim = Sim::new(strict_hall());
    let a = sim.issue("A", "normal");
    assert_eq!(sim.number(a), "A001");
    assert_eq!(sim.state.ahead(a), 0);
    assert_eq!(sim.call("1"), Some(a));
    assert_eq!(sim.state.counter("1").unwrap().state, CounterState::Calling);
    sim.counter("1", CounterAction::Start).unwrap();
    assert_eq!(sim.state.ticket(a).unwrap().state, TicketState::Serving);
    sim.counter(
        "1",
        CounterAction::Finish {
            rating: Some(5),
            reason: None,
        },
    )
    .unwrap();
    let t = sim.state.ticket(a).unwrap();
    assert_eq!((t.state, t.rating), (TicketState::Done, Some(5)));
    assert_eq!(sim.state.counter("1").unwrap().state, CounterState::Idle);
    // Nothing waits: call-next answers nothing and changes no ticket.
    assert_eq!(sim.call("1"), None);
    sim.state.check_invariants().unwrap();
}

#[test]
fn refusals_say_why_and_change_nothing() {
    let mut sim = Sim::new(strict_hall());
    let before = sim.state.fingerprint();
    let check = |sim: &mut Sim, cmd: Command, expect: Rejection| {
        assert_eq!(sim.run(cmd.clone()), Err(expect), "{cmd:?}");
    };
    let issue = |service: &str, class: &str| Command::Issue {
        service: service.into(),
        class: Some(class.into()),
        source: None,
    };
    let at = |counter: &str, action: CounterAction| Command::Counter {
        counter: counter.into(),
        action,
    };
    check(
        &mut sim,
        issue("Z", "normal"),
        Rejection::UnknownService("Z".into()),
    );
    check(
        &mut sim,
        issue("A", "vip"),
        Rejection::UnknownClass("vip".into()),
    );
    check(
        &mut sim,
        at("9", CounterAction::CallNext),
        Rejection::UnknownCounter("9".into()),
    );
    check(
        &mut sim,
        at("1", CounterAction::Recall),
        Rejection::NoCurrentTicket {
            counter: "1".into(),
        },
    );
    check(
        &mut sim,
        at(
            "1",
            CounterAction::Finish {
                rating: Some(9),
                reason: None,
            },
        ),
        Rejection::BadRating(9),
    );
    check(
        &mut sim,
        at("1", CounterAction::Pause),
        Rejection::CounterClosed("1".into()),
    );
    check(
        &mut sim,
        at(
            "1",
            CounterAction::Transfer(TransferTarget::Service("Q".into())),
        ),
        Rejection::UnknownService("Q".into()),
    );
    check(
        &mut sim,
        Command::Cancel {
            ticket: TicketId(77),
        },
        Rejection::UnknownTicket(TicketId(77)),
    );
    assert_eq!(sim.state.fingerprint(), before);
    assert!(sim.log.is_empty());

    let a = sim.issue("A", "normal");
    sim.call("1");
    sim.counter("1", CounterAction::Start).unwrap();
    check(
        &mut sim,
        at("1", CounterAction::Recall),
        Rejection::WrongState {
            number: "A001".into(),
            state: "serving",
            action: "recalled",
        },
    );
    check(
        &mut sim,
        at("1", CounterAction::Close { override_by: None }),
        Rejection::CounterBusy {
            counter: "1".into(),
            number: "A001".into(),
        },
    );
    check(
        &mut sim,
        at(
            "1",
            CounterAction::Transfer(TransferTarget::Service("A".into())),
        ),
        Rejection::TransferToSame {
            number: "A001".into(),
            service: "A".into(),
        },
    );
    check(
        &mut sim,
        Command::Cancel { ticket: a },
        Rejection::WrongState {
            number: "A001".into(),
            state: "serving",
            action: "cancelled",
        },
    );
}

#[test]
fn daily_cap_refuses_the_ticket_after_the_last() {
    let mut hall = strict_hall();
    let mut services = hall.services.clone();
    services[0].daily_cap = Some(2);
    hall = Hall::new(
        hall.name.clone(),
        hall.tz.clone(),
        services,
        hall.classes.clone(),
        hall.default_class.clone(),
        hall.counters.clone(),
        hall.policy,
        hall.recall_limit,
        hall.number_width,
    )
    .unwrap();
    let mut sim = Sim::new(hall);
    sim.issue("A", "normal");
    assert!(!sim.state.sold_out("A", sim.now));
    sim.issue("A", "elderly");
    assert!(sim.state.sold_out("A", sim.now), "the cap is reached");
    assert!(!sim.state.sold_out("B", sim.now), "B has no cap");
    let refused = sim.run(Command::Issue {
        service: "A".into(),
        class: None,
        source: None,
    });
    assert_eq!(
        refused,
        Err(Rejection::ServiceFull {
            service: "A".into(),
            cap: 2
        })
    );
    // Other services are unaffected.
    sim.issue("B", "normal");
}

#[test]
fn recall_limit_turns_into_no_show() {
    let mut sim = Sim::new(strict_hall()); // recall_limit = 2
    let a = sim.issue("A", "normal");
    sim.call("1");
    assert_eq!(sim.counter("1", CounterAction::Recall).unwrap(), Some(a));
    assert_eq!(sim.counter("1", CounterAction::Recall).unwrap(), Some(a));
    assert_eq!(sim.state.ticket(a).unwrap().recalls, 2);
    assert_eq!(sim.state.ticket(a).unwrap().state, TicketState::Called);
    sim.counter("1", CounterAction::Recall).unwrap();
    assert_eq!(sim.state.ticket(a).unwrap().state, TicketState::NoShow);
    assert_eq!(sim.state.counter("1").unwrap().current, None);
    assert_eq!(sim.log.last().unwrap().event.kind(), "counter_state");
}

#[test]
fn requeue_and_transfer_keep_the_original_place() {
    let mut sim = Sim::new(strict_hall());
    let a1 = sim.issue("A", "normal");
    sim.now += MINUTE;
    let a2 = sim.issue("A", "normal");
    sim.now += MINUTE;
    assert_eq!(sim.call("1"), Some(a1));
    sim.counter("1", CounterAction::Requeue).unwrap();
    assert_eq!(sim.state.ahead(a1), 0);
    assert_eq!(sim.state.ahead(a2), 1);
    assert_eq!(sim.call("1"), Some(a1));

    // Transfer A001 to service B, where a newer B ticket waits: A001 goes first.
    sim.now += MINUTE;
    let b1 = sim.issue("B", "normal");
    sim.counter(
        "1",
        CounterAction::Transfer(TransferTarget::Service("B".into())),
    )
    .unwrap();
    assert_eq!(sim.state.ticket(a1).unwrap().service, "B");
    assert_eq!(
        sim.state.ticket(a1).unwrap().number,
        "A001",
        "no new number"
    );
    assert_eq!(sim.call("3"), Some(a1));

    // Transfer to a counter: only that counter calls it, before its queues.
    sim.counter(
        "3",
        CounterAction::Transfer(TransferTarget::Counter("2".into())),
    )
    .unwrap();
    assert_eq!(
        sim.call("1"),
        Some(a2),
        "counter 1 cannot take a ticket sent to counter 2"
    );
    assert_eq!(sim.call("2"), Some(a1));
    assert_eq!(sim.call("2"), Some(b1));
    sim.state.check_invariants().unwrap();
}

#[test]
fn ahead_counts_heavier_classes_and_earlier_equals() {
    let mut sim = Sim::new(strict_hall());
    let n1 = sim.issue("A", "normal");
    sim.now += 1;
    let e1 = sim.issue("A", "elderly");
    sim.now += 1;
    let d1 = sim.issue("A", "disabled");
    sim.now += 1;
    let n2 = sim.issue("A", "normal");
    let _b = sim.issue("B", "elderly");
    let ahead: Vec<u32> = [n1, e1, d1, n2]
        .iter()
        .map(|&t| sim.state.ahead(t))
        .collect();
    assert_eq!(ahead, vec![2, 0, 1, 3]);
    // And calls follow that order under strict.
    let calls: Vec<_> = (0..4).map(|_| sim.call("1").unwrap()).collect();
    assert_eq!(calls, vec![e1, d1, n1, n2]);
}

#[test]
fn the_fingerprint_sees_queue_order() {
    let mut sim = Sim::new(strict_hall());
    let a = sim.issue("A", "normal");
    let b = sim.issue("A", "normal");
    let mut swapped = sim.state.clone();
    let queue = &mut swapped.queues[0][0];
    let keys: Vec<QueueKey> = queue.iter().copied().collect();
    assert_eq!(keys.iter().map(|k| k.id).collect::<Vec<_>>(), [a, b]);
    queue.clear();
    queue.insert(QueueKey { id: b, ..keys[0] });
    queue.insert(QueueKey { id: a, ..keys[1] });
    // Same tickets, counters and numbers; only the calling order differs.
    assert_ne!(swapped.fingerprint(), sim.state.fingerprint());
}

#[test]
fn count_before_is_exact_for_members_and_strangers() {
    let key = |queued_at: i64, order: i64, after: u8, id: i64| QueueKey {
        queued_at,
        order,
        after,
        id: TicketId(id),
    };
    let k = |at: i64, id: i64| key(at, id, 0, id);
    let set: BTreeSet<QueueKey> = (0..5).map(|i| k(i * 10, i)).collect();
    let check =
        |key: QueueKey, expect: usize| assert_eq!(count_before(&set, &key), expect, "{key:?}");
    check(k(40, 4), 4); // the newest member: the fast path
    check(k(50, 9), 5); // after everyone
    check(k(20, 2), 2); // a member in the middle
    check(k(15, 7), 2); // not a member
    check(k(0, 0), 0);
    // Re-entered right behind ticket 2, though it is ticket 99.
    check(key(20, 2, 1, 99), 3);
}

#[test]
fn the_estimate_runs_the_open_counters_forward() {
    let mut sim = Sim::new(strict_hall()); // 300 s a call; A at counters 1, 2, 3
    let tickets: Vec<_> = (0..6).map(|_| sim.issue("A", "normal")).collect();
    // No counter open yet: every counter that serves A comes (counter 3
    // prefers B, but nobody waits there).
    assert_eq!(sim.waits(&tickets), vec![0, 0, 0, 300, 300, 300]);
    sim.counter("1", CounterAction::Open).unwrap();
    sim.counter("2", CounterAction::Open).unwrap();
    // Two idle counters take the first two at once, then two per call.
    assert_eq!(sim.waits(&tickets), vec![0, 0, 300, 300, 600, 600]);
    // Both just called: free again one call from now.
    sim.call("1");
    sim.call("2");
    assert_eq!(sim.waits(&tickets[2..]), vec![300, 300, 600, 600]);
}

#[test]
fn the_estimate_learns_the_time_per_call_from_the_day() {
    let mut sim = Sim::on(strict_hall(), monday(9, 0));
    sim.counter("1", CounterAction::Open).unwrap();
    for _ in 0..10 {
        sim.issue("A", "normal");
    }
    // Ten calls of two minutes each, where 300 s is configured: the day's
    // own calls outweigh the configured figure, which still counts as one
    // call, scaled by how the hall runs against its averages today
    // (about half: 10 x 120 s and the prior against 10 x 300 s and it):
    // 124 s a call, not 300 nor the 120 that ten calls alone would say.
    for _ in 0..10 {
        sim.serve("1", 2);
    }
    let waiting: Vec<_> = (0..4).map(|_| sim.issue("A", "normal")).collect();
    assert_eq!(sim.waits(&waiting), vec![0, 124, 248, 371]);
    // The counter takes the first; a green ticket is next, one call away.
    sim.call("1");
    let green = sim.issue("A", "elderly");
    assert_eq!(sim.state.estimated_wait_s(green), 124);
    // ...and the last ordinary one now waits one call longer.
    assert_eq!(sim.state.estimated_wait_s(waiting[3]), 495);
}

#[test]
fn green_tickets_still_to_come_overtake_under_the_policy() {
    let mut sim = Sim::on(
        fixtures::hall(PolicyKind::Ratio { n: 1 }, None),
        monday(9, 0),
    );
    sim.counter("1", CounterAction::Open).unwrap();
    // An elderly applicant every five minutes, each served in five.
    for _ in 0..3 {
        sim.issue("A", "elderly");
        sim.serve("1", 5);
    }
    let normal: Vec<_> = (0..3).map(|_| sim.issue("A", "normal")).collect();
    // Nobody green waits now, but one will come every 300 s and, with
    // ratio 1, take every other call: n1 at 0, green, n2 at 600, green,
    // n3 at 1200, not 600 as the tickets now waiting alone would say.
    assert_eq!(sim.waits(&normal), vec![0, 600, 1200]);
}

#[test]
fn the_estimate_skips_the_lunch_break_and_serves_on_after_closing() {
    let mut schedule = crate::hours::Schedule::always();
    schedule.week[0] = vec![(510, 720), (810, 1050)]; // 08:30-12:00, 13:30-17:30
    schedule.cutoff_minutes = 30;
    let hall = with(strict_hall(), |h| h.with_schedule(schedule, false));
    let mut sim = Sim::on(hall, monday(11, 50));
    sim.counter("1", CounterAction::Open).unwrap();
    let morning: Vec<_> = (0..4).map(|_| sim.issue("A", "normal")).collect();
    // 11:50 and 11:55, then nobody is called until 13:30.
    assert_eq!(sim.waits(&morning), vec![0, 300, 100 * 60, 100 * 60 + 300]);
    // Near closing the counter stays until everyone is served.
    let mut late = Sim::on(sim.state.hall().as_ref().clone(), monday(17, 25));
    late.counter("1", CounterAction::Open).unwrap();
    let last = (0..3).map(|_| late.issue("A", "normal")).last().unwrap();
    assert_eq!(late.state.estimated_wait_s(last), 600);
}

#[test]
fn max_wait_puts_old_ordinary_tickets_ahead_of_a_new_green_one() {
    let hall = fixtures::hall(PolicyKind::Strict, Some(30 * MINUTE));
    let mut sim = Sim::on(hall, monday(9, 0));
    for _ in 0..4 {
        sim.issue("A", "normal");
    }
    sim.counter("1", CounterAction::Open).unwrap();
    sim.call("1");
    sim.now = monday(9, 29) + 30_000;
    let green = sim.issue("A", "elderly");
    // Nobody of a heavier class is ahead of it...
    assert_eq!(sim.state.ahead(green), 0);
    // ...but the three ordinary tickets have waited past 30 minutes: they
    // go first. The one call of the day has run 29.5 minutes against 5
    // configured, so the hall runs slow today: its 900 s (capped at three
    // averages) and the prior's three calls against three calls' worth
    // make the hall ratio 2, A's prior 600 s, counting as 4 calls (the
    // spread not yet known), plus the running 1770 s: a call takes
    // (4 x 600 + 1770) / 4 = 1042.5 s. Counter 1 is free half a call from
    // now (its applicant taking longer than that), then three calls.
    // 521.25 + 3 x 1042.5 s.
    assert_eq!(sim.state.estimated_wait_s(green), 3649);
}

#[test]
fn counter_states_follow_actions() {
    let mut sim = Sim::new(strict_hall());
    let state = |sim: &Sim| sim.state.counter("2").unwrap().state;
    assert_eq!(state(&sim), CounterState::Closed);
    sim.counter("2", CounterAction::Open).unwrap();
    assert_eq!(state(&sim), CounterState::Idle);
    sim.counter("2", CounterAction::Pause).unwrap();
    assert_eq!(state(&sim), CounterState::Paused);
    sim.counter("2", CounterAction::Resume).unwrap();
    assert_eq!(state(&sim), CounterState::Idle);
    // Opening an open counter records nothing.
    let n = sim.log.len();
    sim.counter("2", CounterAction::Open).unwrap();
    assert_eq!(sim.log.len(), n);
    sim.counter("2", CounterAction::Close { override_by: None })
        .unwrap();
    // Call-next on a closed counter opens it.
    sim.issue("B", "normal");
    sim.call("2").unwrap();
    assert_eq!(state(&sim), CounterState::Calling);
}

// ---------------------------------------------------------------------------
// Shared by the files below

/// 2026-11-23 (a Monday) at `hh:mm` in Shanghai.
fn monday(hh: i64, mm: i64) -> Millis {
    // 2026-11-23T00:00+08:00
    1_795_363_200_000 + (hh * 60 + mm) * MINUTE
}

fn with(hall: Hall, f: impl FnOnce(Hall) -> Hall) -> Hall {
    f(hall)
}

fn appointment_hall(kind: PolicyKind) -> Hall {
    let mut hall = fixtures::hall(kind, None);
    hall.classes.push(fixtures::class("appointment", 2, false));
    let hall = Hall::new(
        hall.name.clone(),
        hall.tz.clone(),
        hall.services.clone(),
        hall.classes.clone(),
        hall.default_class.clone(),
        hall.counters.clone(),
        hall.policy,
        hall.recall_limit,
        hall.number_width,
    )
    .unwrap();
    hall.with_appointments(crate::hall::AppointmentRules {
        class: "appointment".into(),
        slot_ms: 30 * MINUTE,
        early_ms: 30 * MINUTE,
        late_ms: 15 * MINUTE,
        late_as_normal: true,
    })
    .unwrap()
}

fn book(sim: &mut Sim, code: &str, slot: Millis) {
    let cmd = Command::Book {
        code: code.into(),
        service: "A".into(),
        slot_start: slot,
        name: None,
    };
    sim.run(cmd).unwrap();
}

fn check_in(sim: &mut Sim, code: &str) -> Result<Option<TicketId>, Rejection> {
    sim.run(Command::CheckIn {
        code: code.into(),
        service: Some("A".into()),
        source: None,
    })
}

mod appointments;
mod green;
mod hall_ops;
mod props;
mod range;
mod rating;
mod remote;
use rating::rating;
mod suspend;

/// A call that ends in a no-show kept the counter for call to no-show: that
/// time counts toward the service's time per call, as a finish does.
#[test]
fn no_shows_teach_the_time_per_call_too() {
    let mut sim = Sim::new(strict_hall());
    sim.counter("1", CounterAction::Open).unwrap();
    let mut taught = Sim::new(strict_hall());
    for _ in 0..10 {
        taught.issue("A", "normal");
        taught.call("1");
        taught.now += 2 * MINUTE;
        taught
            .counter("1", CounterAction::NoShow)
            .unwrap_or_else(|e| panic!("{e}"));
    }
    for s in [&mut sim, &mut taught] {
        s.issue("A", "normal");
    }
    let late = [sim.issue("A", "normal"), taught.issue("A", "normal")];
    let (untaught_s, taught_s) = (sim.waits(&late[..1])[0], taught.waits(&late[1..])[0]);
    // Two-minute calls ahead of it, against the configured average.
    assert!(
        taught_s < untaught_s && taught_s <= 3 * 60,
        "taught {taught_s} s, untaught {untaught_s} s"
    );
}

/// A rating's comment may be 500 characters, not 501.
#[test]
fn a_rating_comment_is_at_most_500_characters() {
    let mut sim = Sim::new(strict_hall());
    for comment in ["好".repeat(500), "好".repeat(501)] {
        sim.issue("A", "normal");
        sim.call("1");
        sim.finish("1");
        let r = sim.run(Command::Rate {
            of: RatingOf::LastAt("1".into()),
            rating: rating(4, Some(&comment)),
        });
        assert_eq!(
            r.is_ok(),
            comment.chars().count() == 500,
            "{} characters: {r:?}",
            comment.chars().count()
        );
    }
}

/// A clerk's action signs the clerk in within the same decision: refused,
/// it records nothing; taken, the call is theirs.
#[test]
fn a_clerks_action_signs_them_in_only_when_it_is_taken() {
    let mut sim = Sim::new(strict_hall());
    let by = |action| Command::CounterBy {
        counter: "1".into(),
        staff: "wang.fang".into(),
        action,
    };
    let before = sim.state.last_seq();
    assert!(matches!(
        sim.run(by(CounterAction::Recall)),
        Err(Rejection::NoCurrentTicket { .. })
    ));
    assert_eq!(
        sim.state.last_seq(),
        before,
        "a refused action records nothing"
    );
    assert_eq!(sim.state.counter("1").unwrap().staff, None);

    let a = sim.issue("A", "normal");
    assert_eq!(sim.run(by(CounterAction::CallNext)).unwrap(), Some(a));
    assert_eq!(
        sim.state.counter("1").unwrap().staff.as_deref(),
        Some("wang.fang")
    );
    assert_eq!(
        sim.state.ticket(a).unwrap().served_by.as_deref(),
        Some("wang.fang"),
        "the call is counted as the clerk's"
    );
}

/// The holder's phone rates its own ticket: only once it is finished, and
/// only once; the pad at the counter then has nothing left to rate.
#[test]
fn a_ticket_is_rated_by_id_once_and_only_when_finished() {
    let mut sim = Sim::new(strict_hall());
    let id = sim.issue("A", "normal");
    let rate = |score| Command::Rate {
        of: RatingOf::Ticket(id),
        rating: rating(score, None),
    };
    assert!(matches!(
        sim.run(rate(5)),
        Err(Rejection::WrongState { .. })
    ));
    sim.call("1");
    sim.finish("1");
    assert!(sim.run(rate(4)).is_ok());
    assert_eq!(sim.state.ticket(id).unwrap().rating, Some(4));
    assert!(matches!(
        sim.run(rate(5)),
        Err(Rejection::AlreadyRated { .. })
    ));
    assert!(matches!(
        sim.run(Command::Rate {
            of: RatingOf::LastAt("1".into()),
            rating: rating(3, None),
        }),
        Err(Rejection::NothingToRate(_))
    ));
    assert!(matches!(
        sim.run(Command::Rate {
            of: RatingOf::Ticket(TicketId(999)),
            rating: rating(3, None),
        }),
        Err(Rejection::UnknownTicket(_))
    ));
}
