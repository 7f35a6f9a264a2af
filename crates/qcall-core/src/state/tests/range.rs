//! The estimate's 80% range: it holds the point, widens with the spread of
//! the day's service times, narrows as a ticket nears the front, and says
//! "马上" for a short wait.

use super::*;

/// Counter 1 alone serves ten applicants, each `minutes[i % len]` long,
/// then six more tickets are taken. Returns the state and those six.
fn day_with(minutes: &[i64]) -> (Sim, Vec<TicketId>) {
    let mut sim = Sim::on(strict_hall(), monday(9, 0));
    sim.counter("1", CounterAction::Open).unwrap();
    for _ in 0..10 {
        sim.issue("A", "normal");
    }
    for i in 0..10 {
        sim.serve("1", minutes[i % minutes.len()]);
    }
    let waiting = (0..6).map(|_| sim.issue("A", "normal")).collect();
    (sim, waiting)
}

fn width(e: Estimate) -> u32 {
    e.high_s - e.low_s
}

#[test]
fn the_range_holds_the_point_and_widens_with_the_days_spread() {
    // The same mean (5 minutes a call), once steady and once spread out.
    let (steady, a) = day_with(&[5]);
    let (spread, b) = day_with(&[1, 9]);
    let last = |sim: &Sim, t: &[TicketId]| sim.state.estimate(t[5]);
    let (e1, e2) = (last(&steady, &a), last(&spread, &b));
    for e in [e1, e2] {
        assert!(e.low_s <= e.wait_s && e.wait_s <= e.high_s, "{e:?}");
        assert!(e.low_s < e.high_s, "a range, not a point: {e:?}");
    }
    assert_eq!(e1.wait_s, e2.wait_s, "same mean, same point");
    assert!(width(e2) > width(e1), "steady {e1:?}, spread {e2:?}");
}

#[test]
fn the_range_narrows_as_the_ticket_nears_the_front() {
    let (mut sim, waiting) = day_with(&[3, 7]);
    let last = waiting[5];
    let mut widths = vec![width(sim.state.estimate(last))];
    for _ in 0..5 {
        sim.serve("1", 5);
        widths.push(width(sim.state.estimate(last)));
    }
    assert!(
        widths.windows(2).all(|w| w[1] < w[0]),
        "widths as the queue moves: {widths:?}"
    );
    // At the front, with the counter free: a short wait, in words.
    let front = sim.state.estimate(last);
    assert!(front.high_s <= SHORT_WAIT_S, "{front:?}");
    assert_eq!(front.words(&sim.state.hall().tz).zh, "马上");
}

#[test]
fn the_words_say_a_range_in_minutes() {
    let tz = strict_hall().tz;
    let check = |low_s, high_s, zh: &str, en: &str| {
        let e = Estimate {
            wait_s: low_s,
            low_s,
            high_s,
            no_counter: None,
        };
        let words = e.words(&tz);
        assert_eq!((words.zh.as_str(), words.en.as_str()), (zh, en));
    };
    check(0, 300, "马上", "a few minutes");
    check(0, 301, "6 分钟以内", "within 6 min");
    check(59, 900, "15 分钟以内", "within 15 min");
    check(1500, 2100, "约 25-35 分钟", "about 25-35 min");
    check(1800, 1800, "约 30 分钟", "about 30 min");
}

/// No counter open for the service: a number would be a promise nobody
/// made, so the words say so, and when service starts if the hours say.
#[test]
fn with_no_counter_open_the_ticket_says_so_instead_of_a_number() {
    let mut schedule = crate::hours::Schedule::always();
    schedule.week[0] = vec![(510, 720), (810, 1050)];
    // Hours shown, not enforced: a ticket may be taken before opening.
    let hall = with(strict_hall(), |h| h.with_schedule(schedule, false));
    let tz = hall.tz.clone();
    let mut sim = Sim::on(hall, monday(8, 0));
    // Before opening: the hours say when.
    let early = sim.issue("A", "normal");
    let e = sim.state.estimate(early);
    assert_eq!(
        e.no_counter,
        Some(NoCounter {
            opens_at: Some(monday(8, 30))
        })
    );
    let words = e.words(&tz);
    assert_eq!(
        (words.zh.as_str(), words.en.as_str()),
        (
            "暂无窗口办理，08:30 开始办理",
            "no counter open now; service starts at 08:30"
        )
    );
    // Inside the hours with every counter closed: nobody can say when.
    sim.now = monday(9, 0);
    let late = sim.issue("A", "normal");
    assert_eq!(
        sim.state.estimate(late).no_counter,
        Some(NoCounter { opens_at: None })
    );
    assert_eq!(sim.state.estimate(late).words(&tz).zh, "暂无窗口办理");
    // Counter 3 serves B first but A too: once it opens, a number again.
    sim.counter("3", CounterAction::Open).unwrap();
    let e = sim.state.estimate(late);
    assert_eq!(e.no_counter, None);
    assert!(
        e.words(&tz).zh.starts_with('约') || e.words(&tz).zh.ends_with("以内"),
        "{e:?}"
    );
    // A paused counter is still open: it comes back.
    sim.counter("3", CounterAction::Pause).unwrap();
    assert_eq!(sim.state.estimate(late).no_counter, None);
}

/// What the kiosk's tile says before anyone takes a ticket: the wait of a
/// ticket taken now.
#[test]
fn a_ticket_taken_now_waits_behind_the_newest() {
    let mut sim = Sim::on(strict_hall(), monday(9, 0));
    let tz = sim.state.hall().tz.clone();
    assert!(sim.state.estimate_new("A").no_counter.is_some());
    sim.counter("1", CounterAction::Open).unwrap();
    let now = sim.state.estimate_new("A");
    assert_eq!((now.wait_s, now.high_s, now.no_counter), (0, 0, None));
    assert_eq!(now.words(&tz).zh, "马上");
    let tickets: Vec<_> = (0..4).map(|_| sim.issue("A", "normal")).collect();
    let newest = sim.state.estimate(tickets[3]);
    let next = sim.state.estimate_new("A");
    assert!(
        next.wait_s > newest.wait_s && next.high_s > newest.high_s,
        "{newest:?} then {next:?}"
    );
}
