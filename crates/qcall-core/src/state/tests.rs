//! Table tests and property tests for the day's state.

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
        self.counter(counter, CounterAction::Finish { rating: None })
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
    sim.counter("1", CounterAction::Finish { rating: Some(5) })
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
        at("1", CounterAction::Finish { rating: Some(9) }),
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
    // Ten calls of two minutes each, where 300 s is configured: the
    // configured figure fades out as the day's own calls come in.
    for _ in 0..10 {
        sim.serve("1", 2);
    }
    let waiting: Vec<_> = (0..4).map(|_| sim.issue("A", "normal")).collect();
    assert_eq!(sim.waits(&waiting), vec![0, 120, 240, 360]);
    // The counter takes the first; a green ticket is next, one call away.
    sim.call("1");
    let green = sim.issue("A", "elderly");
    assert_eq!(sim.state.estimated_wait_s(green), 120);
    // ...and the last ordinary one now waits one call longer.
    assert_eq!(sim.state.estimated_wait_s(waiting[3]), 480);
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
    // ...but counter 1 is free at 09:30:45 (a quarter call from now, its
    // applicant being late), when the three ordinary tickets have waited
    // past 30 minutes: they go first, five minutes each.
    assert_eq!(sim.state.estimated_wait_s(green), 16 * 60 + 15);
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
// Property tests

#[derive(Debug, Clone)]
enum Op {
    Issue {
        service: usize,
        class: usize,
    },
    Counter {
        counter: usize,
        action: usize,
        target: usize,
    },
    Cancel {
        nth: usize,
    },
    Reenter {
        nth: usize,
    },
    Wait {
        minutes: u8,
    },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (0..2usize, 0..3usize).prop_map(|(service, class)| Op::Issue { service, class }),
        5 => (0..3usize, 0..11usize, 0..5usize).prop_map(|(counter, action, target)| Op::Counter { counter, action, target }),
        1 => (0..50usize).prop_map(|nth| Op::Cancel { nth }),
        1 => (0..50usize).prop_map(|nth| Op::Reenter { nth }),
        2 => (0..20u8).prop_map(|minutes| Op::Wait { minutes }),
    ]
}

fn policy_kind() -> impl Strategy<Value = (PolicyKind, Option<Millis>)> {
    prop_oneof![
        Just((PolicyKind::Strict, None)),
        (1..4u32).prop_map(|n| (PolicyKind::Ratio { n }, None)),
        Just((PolicyKind::Aging, None)),
        (1..30i64).prop_map(|m| (PolicyKind::Aging, Some(m * MINUTE))),
        (1..30i64).prop_map(|m| (PolicyKind::Strict, Some(m * MINUTE))),
    ]
}

fn action(n: usize, target: usize) -> CounterAction {
    let services = ["A", "B"];
    let counters = ["1", "2", "3"];
    match n {
        0..=2 => CounterAction::CallNext,
        3 => CounterAction::Recall,
        4 => CounterAction::NoShow,
        5 => CounterAction::Requeue,
        6 => CounterAction::Start,
        7 => CounterAction::Finish {
            rating: Some((target % 5) as u8 + 1),
        },
        8 if target < 2 => {
            CounterAction::Transfer(TransferTarget::Service(services[target].into()))
        }
        8 => CounterAction::Transfer(TransferTarget::Counter(counters[target - 2].into())),
        9 => CounterAction::Pause,
        _ => CounterAction::Resume,
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, .. ProptestConfig::default() })]

    /// Any sequence of commands keeps the invariants: no ticket is held by
    /// two counters or queued twice; numbers never repeat; within a service
    /// and class, tickets that were never put back are called in issue order;
    /// and replaying the log rebuilds exactly the same state.
    #[test]
    fn commands_keep_the_invariants((kind, max_wait) in policy_kind(), ops in prop::collection::vec(op(), 1..150)) {
        let mut sim = Sim::new(fixtures::hall(kind, max_wait));
        sim.audit = true;
        let classes = ["normal", "elderly", "disabled"];
        let mut numbers = HashSet::new();
        let mut moved = HashSet::new();
        let mut last_called: HashMap<(String, String), (Millis, TicketId)> = HashMap::new();
        for op in ops {
            match op {
                Op::Issue { service, class } => {
                    let id = sim.issue(["A", "B"][service], classes[class]);
                    prop_assert!(numbers.insert(sim.number(id).to_string()), "number {} repeated", sim.number(id));
                }
                Op::Counter { counter, action: a, target } => {
                    let counter = ["1", "2", "3"][counter];
                    let act = action(a, target);
                    let current = sim.state.counter(counter).unwrap().current;
                    if let Ok(Some(id)) = sim.counter(counter, act.clone()) {
                        match act {
                            CounterAction::CallNext => {
                                let t = sim.state.ticket(id).unwrap();
                                prop_assert_eq!(t.state, TicketState::Called);
                                if !moved.contains(&id) {
                                    let key = (t.service.clone(), t.class.clone());
                                    let order = (t.issued_at, t.id);
                                    if let Some(prev) = last_called.insert(key, order) {
                                        prop_assert!(prev < order, "{} called out of issue order", t.number);
                                    }
                                }
                            }
                            CounterAction::Requeue | CounterAction::Transfer(_) => { moved.insert(id); }
                            _ => {}
                        }
                    }
                    let _ = current;
                }
                Op::Cancel { nth } => {
                    let waiting: Vec<_> = sim.state.tickets().filter(|t| t.state == TicketState::Waiting).map(|t| t.id).collect();
                    if !waiting.is_empty() {
                        let mut sorted = waiting; sorted.sort();
                        sim.run(Command::Cancel { ticket: sorted[nth % sorted.len()] }).unwrap();
                    }
                }
                Op::Reenter { nth } => {
                    let mut gone: Vec<_> = sim.state.tickets().filter(|t| t.state == TicketState::NoShow).map(|t| t.id).collect();
                    if !gone.is_empty() {
                        gone.sort();
                        let id = gone[nth % gone.len()];
                        // May be refused (window passed): then nothing changes.
                        if sim.run(Command::Reenter { ticket: id, by: "guide".into() }).is_ok() {
                            moved.insert(id);
                        }
                    }
                }
                Op::Wait { minutes } => sim.now += i64::from(minutes) * MINUTE,
            }
            sim.state.check_invariants().map_err(TestCaseError::fail)?;
        }
        prop_assert_eq!(sim.replayed().fingerprint(), sim.state.fingerprint());
    }

    /// Under `ratio`, a normal ticket is called within a bounded number of
    /// calls however many green-channel tickets keep arriving.
    #[test]
    fn ratio_bounds_a_normal_wait(n in 1..4u32, greens in 0..15usize, normals in 0..15usize, arrivals in prop::collection::vec(0..3usize, 400)) {
        let calls = calls_until_last_normal(PolicyKind::Ratio { n }, None, greens, normals, &arrivals);
        let bound = (greens + normals + 1) * (n as usize + 1);
        prop_assert!(calls.is_some_and(|c| c <= bound), "called after {calls:?} calls, bound {bound}");
    }

    /// Under `aging`, the same holds while green arrivals do not exceed the
    /// counter's pace (one per call); faster arrivals need `max_wait`.
    #[test]
    fn aging_bounds_a_normal_wait(greens in 0..15usize, normals in 0..15usize, arrivals in prop::collection::vec(0..2usize, 400)) {
        let calls = calls_until_last_normal(PolicyKind::Aging, None, greens, normals, &arrivals);
        // Weight 3: the normal overtakes a green once it has waited 3x longer.
        let bound = (greens + normals + 2) * 4;
        prop_assert!(calls.is_some_and(|c| c <= bound), "called after {calls:?} calls, bound {bound}");
    }

    /// `max_wait` bounds the wait under any policy and any arrival rate.
    #[test]
    fn max_wait_bounds_every_policy((kind, _) in policy_kind(), greens in 0..15usize, normals in 0..15usize, arrivals in prop::collection::vec(0..3usize, 400)) {
        let max_wait_calls = 10;
        let calls = calls_until_last_normal(kind, Some(max_wait_calls * MINUTE), greens, normals, &arrivals);
        // Everyone issued before the normal is older, so at worst they all go first.
        let bound = max_wait_calls as usize + greens + normals + 1;
        prop_assert!(calls.is_some_and(|c| c <= bound), "called after {calls:?} calls, bound {bound}");
    }

    /// Numbers are unique per service within a day and restart the next day.
    #[test]
    fn numbers_never_repeat_in_a_day(services in prop::collection::vec(0..2usize, 1..300)) {
        let mut sim = Sim::new(strict_hall());
        let mut seen = HashSet::new();
        for s in &services {
            let id = sim.issue(["A", "B"][*s], "normal");
            prop_assert!(seen.insert(sim.number(id).to_string()));
        }
        let next = sim.state.next_day(sim.state.day().tomorrow().unwrap());
        let mut sim2 = Sim::at(next, 0);
        let id = sim2.issue("A", "normal");
        prop_assert_eq!(sim2.number(id), "A001");
        prop_assert!(sim2.state.ticket(id).unwrap().id.0 > sim.state.tickets().map(|t| t.id.0).max().unwrap());
    }
}

/// One counter serving service A, one call a minute. Queues `greens` then
/// `normals` tickets, then per call `arrivals[i]` more green tickets arrive.
/// Returns how many calls it took until the last initial normal was called.
fn calls_until_last_normal(
    kind: PolicyKind,
    max_wait: Option<Millis>,
    greens: usize,
    normals: usize,
    arrivals: &[usize],
) -> Option<usize> {
    let mut sim = Sim::new(fixtures::hall(kind, max_wait));
    for _ in 0..greens {
        sim.issue("A", "elderly");
    }
    for _ in 0..normals {
        sim.issue("A", "normal");
    }
    let target = sim.issue("A", "normal");
    for (i, &n) in arrivals.iter().enumerate() {
        sim.now += MINUTE;
        for _ in 0..n {
            sim.issue("A", "elderly");
        }
        if sim.call("1") == Some(target) {
            return Some(i + 1);
        }
    }
    None
}

#[test]
fn strict_can_starve_which_is_why_it_is_excluded() {
    // The property above would fail for strict: with a green arrival every
    // call the normal ticket is never called.
    let calls = calls_until_last_normal(PolicyKind::Strict, None, 2, 0, &[1; 400]);
    assert_eq!(calls, None);
}

// ---------------------------------------------------------------------------
// Hall operations: hours, quotas, closing, re-entry

/// 2026-11-23 (a Monday) at `hh:mm` in Shanghai.
fn monday(hh: i64, mm: i64) -> Millis {
    // 2026-11-23T00:00+08:00
    1_795_363_200_000 + (hh * 60 + mm) * MINUTE
}

fn with(hall: Hall, f: impl FnOnce(Hall) -> Hall) -> Hall {
    f(hall)
}

#[test]
fn hours_and_cutoff_refuse_tickets_with_the_reason() {
    let mut schedule = crate::hours::Schedule::always();
    schedule.week[0] = vec![(510, 720), (810, 1050)];
    schedule.cutoff_minutes = 30;
    let mut sim = Sim::new(with(strict_hall(), |h| h.with_schedule(schedule, true)));
    let take = |sim: &mut Sim| {
        sim.run(Command::Issue {
            service: "A".into(),
            class: None,
            source: None,
        })
    };
    sim.now = monday(8, 0);
    let err = take(&mut sim).unwrap_err();
    assert_eq!(
        err,
        Rejection::ServiceClosed {
            service: "A".into(),
            why: "it opens at 08:30 today".into()
        }
    );
    sim.now = monday(12, 30);
    assert!(
        take(&mut sim).is_ok(),
        "tickets over lunch are for the afternoon"
    );
    sim.now = monday(17, 0);
    let err = take(&mut sim).unwrap_err().to_string();
    assert!(
        err.contains("new tickets stop at 17:00 (30 minutes before closing)"),
        "{err}"
    );
}

#[test]
fn a_slot_quota_refuses_until_the_next_slot() {
    let quota = crate::hall::SlotQuota {
        minutes: 60,
        cap: 2,
    };
    let mut sim = Sim::new(with(strict_hall(), |h| h.with_quota("A", quota)));
    sim.now = monday(9, 10);
    sim.issue("A", "normal");
    assert!(!sim.state.sold_out("A", sim.now));
    sim.issue("A", "elderly");
    assert!(sim.state.sold_out("A", sim.now), "the slot is full");
    assert!(!sim.state.sold_out("B", sim.now), "B has no quota");
    assert!(
        !sim.state.sold_out("A", monday(10, 0)),
        "the next slot is not"
    );
    let refused = sim.run(Command::Issue {
        service: "A".into(),
        class: None,
        source: None,
    });
    assert_eq!(
        refused,
        Err(Rejection::SlotFull {
            service: "A".into(),
            cap: 2,
            next: "10:00".into()
        })
    );
    sim.issue("B", "normal");
    sim.now = monday(10, 0);
    sim.issue("A", "normal");
    // Replay counts the slots the same way.
    assert_eq!(sim.replayed().fingerprint(), sim.state.fingerprint());
}

#[test]
fn the_last_counter_of_a_waiting_service_cannot_close_without_an_override() {
    let mut sim = Sim::new(strict_hall()); // A: counters 1, 2, 3; B: counters 2, 3
    for c in ["1", "2"] {
        sim.counter(c, CounterAction::Open).unwrap();
    }
    sim.issue("B", "normal");
    // Counter 1 serves only A, where nobody waits: it may close.
    sim.counter("1", CounterAction::Close { override_by: None })
        .unwrap();
    // Counter 2 is the last open counter for B, where one waits.
    let refused = sim.counter("2", CounterAction::Close { override_by: None });
    assert_eq!(
        refused,
        Err(Rejection::LastCounter {
            counter: "2".into(),
            service: "B".into(),
            waiting: 1
        })
    );
    assert_eq!(sim.state.counter("2").unwrap().state, CounterState::Idle);
    // With counter 3 open it may close.
    sim.counter("3", CounterAction::Open).unwrap();
    sim.counter("2", CounterAction::Close { override_by: None })
        .unwrap();
    // A supervisor may close the very last one, and it is audited.
    sim.counter(
        "3",
        CounterAction::Close {
            override_by: Some("li".into()),
        },
    )
    .unwrap();
    let audit = sim.log.iter().rev().find_map(|r| match &r.event {
        Event::Audit { action, by, .. } => Some((action.clone(), by.clone())),
        _ => None,
    });
    assert_eq!(audit, Some(("close_override".into(), "li".into())));
}

#[test]
fn a_no_show_reenters_behind_the_next_tickets_within_its_window() {
    let mut sim = Sim::new(with(strict_hall(), |h| {
        h.with_reentry(crate::hall::Reentry {
            window_ms: 30 * MINUTE,
            behind: 2,
        })
    }));
    let late = sim.issue("A", "normal");
    sim.now += MINUTE;
    let others: Vec<_> = (0..4).map(|_| sim.issue("A", "normal")).collect();
    sim.call("1");
    sim.counter("1", CounterAction::NoShow).unwrap();
    sim.now += 10 * MINUTE;
    sim.run(Command::Reenter {
        ticket: late,
        by: "wang".into(),
    })
    .unwrap();
    assert_eq!(sim.state.ticket(late).unwrap().state, TicketState::Waiting);
    assert_eq!(
        sim.state.ticket(late).unwrap().number,
        "A001",
        "same number"
    );
    assert_eq!(sim.state.ahead(late), 2);
    let calls: Vec<_> = (0..3).map(|_| sim.call("1").unwrap()).collect();
    assert_eq!(calls, vec![others[0], others[1], late]);
    // Too late, or not a no-show: refused with the reason.
    sim.counter("1", CounterAction::NoShow).unwrap();
    sim.now += 31 * MINUTE;
    let err = sim
        .run(Command::Reenter {
            ticket: late,
            by: "wang".into(),
        })
        .unwrap_err()
        .to_string();
    assert!(err.contains("more than 30 minutes ago"), "{err}");
    let err = sim
        .run(Command::Reenter {
            ticket: others[3],
            by: "wang".into(),
        })
        .unwrap_err()
        .to_string();
    assert!(err.contains("it is waiting, not a no-show"), "{err}");
    assert_eq!(sim.replayed().fingerprint(), sim.state.fingerprint());
}

// ---------------------------------------------------------------------------
// Appointments

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

#[test]
fn an_appointment_checks_in_within_its_window_and_waits_for_its_slot() {
    let mut sim = Sim::on(appointment_hall(PolicyKind::Strict), monday(9, 0));
    book(&mut sim, "123456", monday(10, 0));
    let err = check_in(&mut sim, "123456").unwrap_err().to_string();
    assert!(err.contains("check-in opens at 09:30"), "{err}");
    assert_eq!(
        check_in(&mut sim, "999999"),
        Err(Rejection::UnknownAppointment("999999".into()))
    );

    sim.now = monday(9, 40);
    let early = sim.issue("A", "normal");
    let appt = check_in(&mut sim, "123456").unwrap().unwrap();
    assert_eq!(sim.state.ticket(appt).unwrap().class, "appointment");
    let again = check_in(&mut sim, "123456").unwrap_err().to_string();
    assert!(again.contains("already checked in"), "{again}");
    // Before 10:00 the appointment is not due: the normal ticket goes first
    // although the appointment class weighs more.
    sim.now = monday(9, 45);
    assert_eq!(sim.call("1"), Some(early));
    // With nobody else due, an early appointment is served rather than idling.
    assert_eq!(sim.call("2"), Some(appt));
    assert_eq!(sim.replayed().fingerprint(), sim.state.fingerprint());
}

#[test]
fn a_late_appointment_gets_an_ordinary_ticket_or_is_refused() {
    let mut sim = Sim::on(appointment_hall(PolicyKind::Strict), monday(9, 0));
    book(&mut sim, "111111", monday(9, 30));
    sim.now = monday(10, 16); // slot ended 10:00, late window 15 min
    let t = check_in(&mut sim, "111111").unwrap().unwrap();
    assert_eq!(sim.state.ticket(t).unwrap().class, "normal");

    let mut strict = appointment_hall(PolicyKind::Strict);
    strict.appointments.late_as_normal = false;
    let mut sim = Sim::on(strict, monday(9, 0));
    book(&mut sim, "222222", monday(9, 30));
    sim.now = monday(10, 16);
    let err = check_in(&mut sim, "222222").unwrap_err().to_string();
    assert!(err.contains("check-in closed at 10:15"), "{err}");
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 100, .. ProptestConfig::default() })]

    /// Under every policy, a checked-in appointment is never called before
    /// its slot while another ticket is due, and a strict or ratio hall
    /// calls it at the first call after its slot starts.
    #[test]
    fn appointments_are_called_near_their_booked_time(
        (kind, _) in policy_kind(),
        before in 0..10usize,
        arrivals in prop::collection::vec(0..3usize, 60),
    ) {
        let mut sim = Sim::on(appointment_hall(kind), monday(9, 0));
        book(&mut sim, "424242", monday(9, 40));
        for _ in 0..before {
            sim.issue("A", "normal");
        }
        sim.now = monday(9, 15);
        let appt = check_in(&mut sim, "424242").unwrap().unwrap();
        for n in arrivals {
            sim.now += MINUTE;
            for _ in 0..n {
                sim.issue("A", "normal");
            }
            let due_others = sim.state.tickets().any(|t| t.state == TicketState::Waiting && t.id != appt);
            let called = sim.call("1");
            if called == Some(appt) {
                prop_assert!(sim.now >= monday(9, 40) || !due_others, "called at {} before its slot", sim.now);
                if matches!(kind, PolicyKind::Strict | PolicyKind::Ratio { .. }) {
                    prop_assert!(sim.now <= monday(9, 40) + MINUTE, "strict/ratio call it at once after its slot");
                }
                return Ok(());
            }
        }
    }
}

// ---------------------------------------------------------------------------
// Suspend for missing materials (挂起/补件)

#[test]
fn a_suspended_ticket_returns_with_its_number_ahead_of_newer_tickets() {
    let mut sim = Sim::on(strict_hall(), monday(9, 0));
    let t = sim.issue("A", "normal");
    sim.call("1");
    sim.counter("1", CounterAction::Start).unwrap();
    let empty = sim.counter(
        "1",
        CounterAction::Suspend {
            missing: vec![" ".into()],
        },
    );
    assert!(matches!(empty, Err(Rejection::BadInput(_))), "{empty:?}");
    sim.counter(
        "1",
        CounterAction::Suspend {
            missing: vec!["户口簿".into()],
        },
    )
    .unwrap();
    assert_eq!(sim.state.ticket(t).unwrap().state, TicketState::Suspended);
    assert_eq!(sim.state.counter("1").unwrap().current, None);
    sim.now = monday(10, 0);
    let newer = sim.issue("A", "normal");
    sim.run(Command::Return {
        ticket: t,
        earlier: None,
    })
    .unwrap();
    assert_eq!(sim.state.ahead(t), 0, "ahead of the newer ticket");
    assert_eq!(sim.call("1"), Some(t));
    assert_eq!(sim.call("1"), Some(newer));
    assert_eq!(sim.replayed().fingerprint(), sim.state.fingerprint());
}

#[test]
fn a_ticket_suspended_on_an_earlier_day_returns_within_the_window() {
    let mut sim = Sim::on(strict_hall(), monday(9, 0));
    let t = sim.issue("B", "elderly");
    sim.call("2");
    sim.counter(
        "2",
        CounterAction::Suspend {
            missing: vec!["医院诊断证明".into()],
        },
    )
    .unwrap();
    let stored = sim.state.ticket(t).unwrap().clone();
    // Three days later, a new business day: its numbering has restarted.
    let day = sim
        .state
        .day()
        .checked_add(jiff::Span::new().days(3))
        .unwrap();
    let mut later = Sim::at(sim.state.next_day(day), monday(9, 0) + 3 * 86_400_000);
    let today = later.issue("B", "normal");
    later
        .run(Command::Return {
            ticket: t,
            earlier: Some(Box::new(stored.clone())),
        })
        .unwrap();
    let back = later.state.ticket(t).unwrap();
    assert_eq!(
        (back.number.as_str(), back.state),
        ("B001", TicketState::Waiting)
    );
    assert_eq!(
        later.call("2"),
        Some(t),
        "its original place is ahead of today's"
    );
    assert_eq!(later.call("2"), Some(today));
    assert_eq!(
        later.replayed().fingerprint(),
        later.state.fingerprint(),
        "rebuilt from the event alone"
    );
    // Past the window (7 days by default) it is refused.
    let day = sim
        .state
        .day()
        .checked_add(jiff::Span::new().days(8))
        .unwrap();
    let mut too_late = Sim::at(sim.state.next_day(day), 0);
    let err = too_late
        .run(Command::Return {
            ticket: t,
            earlier: Some(Box::new(stored)),
        })
        .unwrap_err()
        .to_string();
    assert!(err.contains("may return within 7 days"), "{err}");
}
