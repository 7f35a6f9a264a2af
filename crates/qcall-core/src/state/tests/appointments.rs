//! Appointments (预约): check-in windows, late arrivals, calls near the
//! booked time.

use super::props::policy_kind;
use super::*;

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
