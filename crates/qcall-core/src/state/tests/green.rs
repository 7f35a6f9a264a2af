//! The green channel across a counter's services: the class and the policy
//! decide over every service a counter serves, its service order only
//! breaks ties, and `strict_service_order` keeps the old rule. The issue's
//! example as a table, then random halls with overlapping service lists.

use super::props::policy_kind;
use super::*;
use crate::hall::Text;
use crate::hall::fixtures::{class, counter, service};
use crate::hall::{CounterDef, Policy, ServiceOrder};

const SERVICES: [&str; 3] = ["A", "B", "C"];
const CLASSES: [&str; 3] = ["normal", "elderly", "disabled"];

fn hall_of(
    services: usize,
    counters: Vec<CounterDef>,
    kind: PolicyKind,
    max_wait_ms: Option<Millis>,
) -> Hall {
    Hall::new(
        Text::new("测试大厅", "Test hall"),
        jiff::tz::TimeZone::get("Asia/Shanghai").unwrap(),
        SERVICES[..services].iter().map(|s| service(s)).collect(),
        vec![
            class("normal", 1, false),
            class("elderly", 3, true),
            class("disabled", 3, true),
        ],
        "normal".into(),
        counters,
        Policy { kind, max_wait_ms },
        2,
        3,
    )
    .unwrap()
}

/// The example hall's counter 1 alone (`services = ["A", "B"]`, `ratio`,
/// `max_wait_minutes = 60`): three ordinary A tickets, B001 for a disabled
/// applicant, two more ordinary A tickets, a minute apart; then the counter
/// calls them all, one a minute. Returns the numbers in call order.
fn example_day(order: ServiceOrder) -> Vec<String> {
    let mut c1 = counter("1", 1, &["A", "B"]);
    c1.service_order = order;
    let hall = hall_of(2, vec![c1], PolicyKind::Ratio { n: 2 }, Some(60 * MINUTE));
    let mut sim = Sim::new(hall);
    sim.counter("1", CounterAction::Open).unwrap();
    for (service, class) in [
        ("A", "normal"),
        ("A", "normal"),
        ("A", "normal"),
        ("B", "disabled"),
        ("A", "normal"),
        ("A", "normal"),
    ] {
        sim.issue(service, class);
        sim.now += MINUTE;
    }
    let mut called = vec![];
    while let Some(id) = sim.call("1") {
        called.push(sim.number(id).to_string());
        sim.now += MINUTE;
    }
    called
}

#[test]
fn a_green_ticket_of_a_counters_second_service_is_called_first() {
    let check = |order: ServiceOrder, expect: &[&str]| {
        assert_eq!(example_day(order), expect, "{order:?}");
    };
    check(
        ServiceOrder::Tiebreak,
        &["B001", "A001", "A002", "A003", "A004", "A005"],
    );
    // `strict_service_order = true`: the behaviour the issue reported.
    check(
        ServiceOrder::Strict,
        &["A001", "A002", "A003", "A004", "A005", "B001"],
    );
}

/// A random hall: services, and per counter an ordered, non-empty list of
/// them (`services[i]` rotated by `start[i]`, cut to `len[i]`), every
/// service served by somebody.
#[derive(Debug, Clone)]
struct Layout {
    services: usize,
    counters: Vec<(usize, usize, bool)>,
}

fn layout() -> impl Strategy<Value = Layout> {
    (2..=3usize).prop_flat_map(|services| {
        (
            Just(services),
            prop::collection::vec(
                (0..services, 1..=services, prop::bool::weighted(0.2)),
                1..=4,
            ),
        )
            .prop_map(|(services, counters)| Layout { services, counters })
    })
}

impl Layout {
    /// The hall; counters with `strict` set keep the old rule when
    /// `allow_strict`.
    fn hall(&self, kind: PolicyKind, max_wait: Option<Millis>, allow_strict: bool) -> Hall {
        let mut counters: Vec<CounterDef> = self
            .counters
            .iter()
            .enumerate()
            .map(|(i, &(start, len, strict))| {
                let list: Vec<&str> = (0..len)
                    .map(|k| SERVICES[(start + k) % self.services])
                    .collect();
                let mut c = counter(&(i + 1).to_string(), i as u32 + 1, &list);
                if strict && allow_strict {
                    c.service_order = ServiceOrder::Strict;
                }
                c
            })
            .collect();
        // Every service is served: the last counter takes any left over.
        for code in &SERVICES[..self.services] {
            if !counters
                .iter()
                .any(|c| c.services.iter().any(|s| s == code))
            {
                counters.last_mut().unwrap().services.push(code.to_string());
            }
        }
        hall_of(self.services, counters, kind, max_wait)
    }
}

/// The due queue heads counter `ci` can call, as (ticket, queued at,
/// priority).
fn heads_for(state: &HallState, ci: usize, now: Millis) -> Vec<(TicketId, Millis, bool)> {
    let hall = state.hall();
    hall.counters[ci]
        .services
        .iter()
        .filter_map(|code| hall.service_index(code))
        .flat_map(|si| {
            hall.classes
                .iter()
                .zip(&state.queues[si])
                .filter_map(|(class, q)| {
                    let k = q.first()?;
                    (k.queued_at <= now).then(|| (k.id, k.queued_at, hall.is_priority(&class.id)))
                })
                .collect::<Vec<_>>()
        })
        .collect()
}

#[derive(Debug, Clone)]
enum Step {
    Issue { service: usize, class: usize },
    Call { counter: usize },
    Wait { minutes: u8 },
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        4 => (0..3usize, 0..3usize).prop_map(|(service, class)| Step::Issue { service, class }),
        4 => (0..4usize).prop_map(|counter| Step::Call { counter }),
        1 => (0..10u8).prop_map(|minutes| Step::Wait { minutes }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, .. ProptestConfig::default() })]

    /// In random halls with overlapping service lists: a counter that
    /// calls an ordinary ticket leaves no green ticket waiting in any of its
    /// services that arrived before it (unless `max_wait` or the `ratio`
    /// streak picked the ordinary one); under `ratio` a counter never calls
    /// a green ticket at a full streak while an ordinary one in its services
    /// waited longer; and replay rebuilds the same state. Counters that keep
    /// `strict_service_order` are in the halls, for the replay, but follow
    /// the old rule.
    #[test]
    fn the_class_decides_across_a_counters_services(
        layout in layout(),
        (kind, max_wait) in policy_kind(),
        steps in prop::collection::vec(step(), 1..200),
    ) {
        let mut sim = Sim::new(layout.hall(kind, max_wait, true));
        sim.audit = true;
        let counters = sim.state.hall().counters.len();
        for step in steps {
            match step {
                Step::Issue { service, class } => {
                    sim.issue(SERVICES[service % layout.services], CLASSES[class]);
                }
                Step::Wait { minutes } => sim.now += i64::from(minutes) * MINUTE,
                Step::Call { counter } => {
                    let ci = counter % counters;
                    let id = sim.state.hall().counters[ci].id.clone();
                    let order = sim.state.hall().counters[ci].service_order;
                    let streak = sim.state.counters[ci].streak;
                    let heads = heads_for(&sim.state, ci, sim.now);
                    let Some(called) = sim.call(&id) else { continue };
                    let &(_, at, priority) = heads
                        .iter()
                        .find(|h| h.0 == called)
                        .expect("the call took a queue head");
                    let overdue = max_wait.is_some_and(|m| sim.now - at >= m);
                    let ratio_full = matches!(kind, PolicyKind::Ratio { n } if streak >= n);
                    let number = sim.number(called).to_string();
                    let across = order == ServiceOrder::Tiebreak;
                    if !priority && !overdue && !ratio_full && across {
                        let skipped = heads.iter().find(|h| h.2 && (h.1, h.0) < (at, called));
                        prop_assert!(skipped.is_none(), "counter {id} called {number} past an older green ticket {skipped:?}");
                    }
                    if priority && !overdue && ratio_full && across {
                        let older = heads.iter().find(|h| !h.2 && (h.1, h.0) < (at, called));
                        prop_assert!(older.is_none(), "counter {id} called green {number} at a full streak past {older:?}");
                    }
                }
            }
            sim.state.check_invariants().map_err(TestCaseError::fail)?;
        }
        prop_assert_eq!(sim.replayed().fingerprint(), sim.state.fingerprint());
    }

    /// No ordinary ticket starves across services: a backlog of `greens`
    /// and `normals` in random services, then the target, then green
    /// arrivals while every counter calls once a minute. Under `ratio` the
    /// target is called within (backlog + 1) x (n + 1) minutes.
    #[test]
    fn ratio_bounds_an_ordinary_wait_across_services(
        layout in layout(),
        n in 1..4u32,
        backlog in prop::collection::vec((0..3usize, prop::bool::ANY), 0..30),
        target in 0..3usize,
        arrivals in prop::collection::vec(prop::collection::vec(0..3usize, 0..3), 400),
    ) {
        let hall = layout.hall(PolicyKind::Ratio { n }, None, false);
        let minutes = minutes_until_called(hall, &layout, &backlog, target, &arrivals);
        let bound = (backlog.len() + 1) * (n as usize + 1);
        prop_assert!(minutes.is_some_and(|m| m <= bound), "called after {minutes:?} minutes, bound {bound}");
    }

    /// Under `aging`, the same while green arrivals keep below the hall's
    /// pace (at most one a minute in all).
    #[test]
    fn aging_bounds_an_ordinary_wait_across_services(
        layout in layout(),
        backlog in prop::collection::vec((0..3usize, prop::bool::ANY), 0..30),
        target in 0..3usize,
        arrivals in prop::collection::vec(prop::collection::vec(0..3usize, 0..2), 400),
    ) {
        let hall = layout.hall(PolicyKind::Aging, None, false);
        let minutes = minutes_until_called(hall, &layout, &backlog, target, &arrivals);
        // Weight 3: the target overtakes a green once it waited 3x longer.
        let bound = (backlog.len() + 2) * 4;
        prop_assert!(minutes.is_some_and(|m| m <= bound), "called after {minutes:?} minutes, bound {bound}");
    }

    /// `max_wait` bounds it under any policy, any arrivals, and counters
    /// that keep `strict_service_order`.
    #[test]
    fn max_wait_bounds_an_ordinary_wait_across_services(
        layout in layout(),
        (kind, _) in policy_kind(),
        backlog in prop::collection::vec((0..3usize, prop::bool::ANY), 0..30),
        target in 0..3usize,
        arrivals in prop::collection::vec(prop::collection::vec(0..3usize, 0..4), 400),
    ) {
        let max_wait = 10;
        let hall = layout.hall(kind, Some(max_wait * MINUTE), true);
        let minutes = minutes_until_called(hall, &layout, &backlog, target, &arrivals);
        // Everyone issued before the target is older, so at worst they all go first.
        let bound = max_wait as usize + backlog.len() + 1;
        prop_assert!(minutes.is_some_and(|m| m <= bound), "called after {minutes:?} minutes, bound {bound}");
    }
}

/// Issues `backlog` (service, green?) then an ordinary target ticket, then
/// each minute the green tickets `arrivals[i]` (services) while every
/// counter calls once. Minutes until the target is called, if ever.
fn minutes_until_called(
    hall: Hall,
    layout: &Layout,
    backlog: &[(usize, bool)],
    target: usize,
    arrivals: &[Vec<usize>],
) -> Option<usize> {
    let service = |s: usize| SERVICES[s % layout.services];
    let mut sim = Sim::new(hall);
    let ids: Vec<String> = sim
        .state
        .hall()
        .counters
        .iter()
        .map(|c| c.id.clone())
        .collect();
    for id in &ids {
        sim.counter(id, CounterAction::Open).unwrap();
    }
    for &(s, green) in backlog {
        sim.issue(service(s), if green { "elderly" } else { "normal" });
    }
    let target = sim.issue(service(target), "normal");
    for (i, greens) in arrivals.iter().enumerate() {
        sim.now += MINUTE;
        for &s in greens {
            sim.issue(service(s), "disabled");
        }
        for id in &ids {
            if sim.call(id) == Some(target) {
                return Some(i + 1);
            }
        }
    }
    None
}
