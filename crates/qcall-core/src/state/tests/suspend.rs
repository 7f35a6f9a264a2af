//! Suspended tickets (挂起/补件): returning with the same number, within
//! the hall's window of days.

use super::*;

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
