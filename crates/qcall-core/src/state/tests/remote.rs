//! Remote tickets (taken from home): their place, arrival, holding and
//! lapsing, the rules that keep walk-ins first, deferral, replay.

use super::*;
use crate::command::ArrivalProof;

const PHONE: &str = "13800138000";

/// The strict fixture hall on Monday 09:00, service A taking `per_hour`
/// remote tickets, the hall's hours 08:30-17:30 with a 30-minute cut-off.
fn remote_sim(per_hour: u32) -> Sim {
    let mut schedule = crate::hours::Schedule::always();
    schedule.week[0] = vec![(510, 1050)];
    schedule.cutoff_minutes = 30;
    let hall = with(strict_hall(), |h| {
        h.with_schedule(schedule, true)
            .with_remote_per_hour("A", per_hour)
    });
    Sim::on(hall, monday(9, 0))
}

impl Sim {
    /// Asks for a remote ticket of A and confirms it with the right code.
    fn remote(&mut self, request: &str, phone: &str) -> Result<TicketId, Rejection> {
        self.run(Command::StartRemote {
            request: request.into(),
            service: "A".into(),
            phone: phone.into(),
        })?;
        let id = self.run(Command::ConfirmRemote {
            request: request.into(),
            code_ok: true,
        })?;
        Ok(id.expect("a confirmed request gives a ticket"))
    }

    /// What the engine records after each batch: lapses.
    fn due(&mut self) {
        for event in self.state.remote_due(self.now) {
            let rec = Recorded {
                seq: self.state.last_seq() + 1,
                at: self.now,
                event,
            };
            self.state.apply(&rec).unwrap();
            self.log.push(rec);
        }
    }

    fn state_of(&self, id: TicketId) -> TicketState {
        self.state.ticket(id).unwrap().state
    }
}

#[test]
fn a_remote_ticket_holds_its_place_is_passed_over_and_called_once_arrived() {
    let mut sim = remote_sim(10);
    sim.audit = true;
    sim.counter("1", CounterAction::Open).unwrap();
    let remote = sim.remote("request-0000000001", PHONE).unwrap();
    let walk_in = sim.issue("A", "normal");
    let t = sim.state.ticket(remote).unwrap();
    assert_eq!(
        (t.state, t.channel),
        (TicketState::Remote, crate::ticket::Channel::Remote)
    );
    assert_eq!(sim.state.ahead(walk_in), 1, "the remote ticket is ahead");
    // Not here: the walk-in behind it is called, and it is held.
    assert_eq!(sim.call("1"), Some(walk_in));
    let held = sim.state.ticket(remote).unwrap();
    assert_eq!(held.state, TicketState::Remote);
    assert!(held.lapse_at.is_some(), "held with a deadline");
    let hurry = sim.state.notifications_due();
    assert!(
        hurry.iter().any(|e| matches!(e, Event::NotificationQueued { ticket, kind, .. } if *ticket == remote && kind == "hurry")),
        "{hurry:?}"
    );
    let later = sim.issue("A", "normal");
    sim.finish("1");
    // It arrives: waiting at its old place, ahead of the later walk-in.
    sim.run(Command::Arrive {
        ticket: remote,
        proof: ArrivalProof::PhoneLast4("8000".into()),
        by: "kiosk".into(),
    })
    .unwrap();
    assert_eq!(sim.state_of(remote), TicketState::Waiting);
    assert_eq!(sim.state.ahead(later), 1);
    assert_eq!(sim.call("1"), Some(remote), "called at its place");
    sim.state.check_invariants().unwrap();
    assert_eq!(sim.replayed().fingerprint(), sim.state.fingerprint());
}

#[test]
fn a_held_remote_ticket_lapses_after_its_grace() {
    let mut sim = remote_sim(10);
    sim.counter("1", CounterAction::Open).unwrap();
    let remote = sim.remote("request-0000000002", PHONE).unwrap();
    sim.issue("A", "normal");
    sim.call("1");
    let lapse_at = sim.state.ticket(remote).unwrap().lapse_at.unwrap();
    sim.now = lapse_at - 1;
    sim.due();
    assert_eq!(sim.state_of(remote), TicketState::Remote, "not yet");
    sim.now = lapse_at;
    sim.due();
    assert_eq!(sim.state_of(remote), TicketState::Lapsed);
    assert_eq!(sim.state.ahead(remote), 0);
    let told = sim.state.notifications_due();
    assert!(
        told.iter()
            .any(|e| matches!(e, Event::NotificationQueued { kind, .. } if kind == "lapsed"))
    );
    // Too late to check in now.
    let late = sim.run(Command::Arrive {
        ticket: remote,
        proof: ArrivalProof::Guide,
        by: "guide".into(),
    });
    assert!(
        matches!(late, Err(Rejection::WrongState { .. })),
        "{late:?}"
    );
    sim.state.check_invariants().unwrap();
    assert_eq!(sim.replayed().fingerprint(), sim.state.fingerprint());
}

#[test]
fn refusals_of_remote_tickets_say_why_and_change_nothing() {
    let mut sim = remote_sim(2);
    let start = |request: &str, service: &str, phone: &str| Command::StartRemote {
        request: request.into(),
        service: service.into(),
        phone: phone.into(),
    };
    let refused = |sim: &mut Sim, cmd: Command, part: &str| {
        let before = sim.state.fingerprint();
        let err = sim.run(cmd.clone()).unwrap_err().to_string();
        assert!(err.contains(part), "{cmd:?}: {part:?} not in {err:?}");
        assert_eq!(sim.state.fingerprint(), before, "{cmd:?} changed something");
    };
    refused(
        &mut sim,
        start("request-0000000003", "B", PHONE),
        "does not take tickets from home",
    );
    refused(
        &mut sim,
        start("request-0000000003", "A", "12ab"),
        "6-20 digits",
    );
    refused(&mut sim, start("short", "A", PHONE), "request id");
    let mine = sim.remote("request-0000000004", PHONE).unwrap();
    // One live remote ticket per phone, service and day.
    refused(
        &mut sim,
        start("request-0000000005", "A", PHONE),
        "already holds remote ticket A001",
    );
    sim.remote("request-0000000006", "13900139000").unwrap();
    // The hour's quota (2) is taken.
    refused(
        &mut sim,
        start("request-0000000007", "A", "13700137000"),
        "its 2 tickets from home for 09:00 to 10:00",
    );
    sim.now = monday(10, 0);
    // A new hour, but past the remote cut-off (17:00 - 60 min = 16:00)?
    // Not yet: 10:00 is fine.
    sim.remote("request-0000000008", "13700137000").unwrap();
    sim.now = monday(16, 0);
    refused(
        &mut sim,
        start("request-0000000009", "A", "13600136000"),
        "tickets from home stop at 16:00",
    );
    // A walk-in at 16:00 is still welcome.
    sim.issue("A", "normal");
    // The code: wrong ones are counted, five lock the request.
    sim.now = monday(11, 0);
    sim.run(start("request-0000000010", "A", "13500135000"))
        .unwrap();
    for _ in 0..5 {
        let wrong = sim.run(Command::ConfirmRemote {
            request: "request-0000000010".into(),
            code_ok: false,
        });
        assert_eq!(wrong, Ok(None), "recorded, no ticket");
    }
    assert_eq!(
        sim.state
            .remote_request("request-0000000010")
            .unwrap()
            .tries_left(),
        0
    );
    let locked = Command::ConfirmRemote {
        request: "request-0000000010".into(),
        code_ok: true,
    };
    refused(&mut sim, locked, "locked");
    // Expired after 5 minutes.
    sim.run(start("request-0000000011", "A", "13400134000"))
        .unwrap();
    sim.now += 5 * MINUTE + 1;
    let late = Command::ConfirmRemote {
        request: "request-0000000011".into(),
        code_ok: true,
    };
    refused(&mut sim, late, "expired");
    // Digits that are not 4 digits: refused, not counted.
    let not_digits = Command::Arrive {
        ticket: mine,
        proof: ArrivalProof::PhoneLast4("12a4".into()),
        by: "kiosk".into(),
    };
    refused(&mut sim, not_digits, "last 4 digits");
    assert_eq!(sim.state.arrival_tries_left(mine), 5);
    // Codes per phone per hour.
    let mut sim = remote_sim(10);
    for n in 0..5 {
        sim.run(start(&format!("request-00000001{n:02}"), "A", PHONE))
            .unwrap();
    }
    refused(
        &mut sim,
        start("request-0000000199", "A", PHONE),
        "asked for 5 codes",
    );
}

/// Wrong last four digits are recorded against the ticket (the caller
/// hears a refusal); after five only the code or a guide checks it in,
/// and a replay of the log counts the same.
#[test]
fn five_wrong_phone_digits_leave_only_the_code() {
    let mut sim = remote_sim(10);
    let mine = sim.remote("request-0000000030", PHONE).unwrap();
    let other = sim.remote("request-0000000031", "13900139000").unwrap();
    let digits = |ticket, d: &str| Command::Arrive {
        ticket,
        proof: ArrivalProof::PhoneLast4(d.into()),
        by: "kiosk".into(),
    };
    for (guess, left) in [
        ("1111", 4),
        ("2222", 3),
        ("3333", 2),
        ("4444", 1),
        ("5555", 0),
    ] {
        assert_eq!(
            sim.run(digits(mine, guess)),
            Ok(None),
            "{guess}: recorded, no ticket"
        );
        assert_eq!(sim.state.arrival_tries_left(mine), left, "after {guess}");
    }
    assert_eq!(sim.state.arrival_tries_left(other), 5, "per ticket");
    let before = sim.state.fingerprint();
    let locked = sim.run(digits(mine, "8000"));
    assert!(
        matches!(&locked, Err(Rejection::ArrivalLocked { number }) if number == "A001"),
        "{locked:?}"
    );
    assert!(locked.unwrap_err().to_string().contains("6-digit code"));
    assert_eq!(
        sim.state.fingerprint(),
        before,
        "the refusal changed something"
    );
    assert_eq!(
        sim.replayed().arrival_tries_left(mine),
        0,
        "the log holds the count"
    );
    assert_eq!(sim.state_of(mine), TicketState::Remote);
    sim.run(Command::Arrive {
        ticket: mine,
        proof: ArrivalProof::Code,
        by: "kiosk".into(),
    })
    .unwrap();
    assert_eq!(
        sim.state_of(mine),
        TicketState::Waiting,
        "the code still works"
    );
    sim.run(digits(other, "9000")).unwrap();
    assert_eq!(sim.state_of(other), TicketState::Waiting);
}

#[test]
fn a_remote_ticket_is_deferred_once_within_the_limit() {
    let mut sim = remote_sim(10);
    let remote = sim.remote("request-0000000020", PHONE).unwrap();
    let behind: Vec<TicketId> = (0..4).map(|_| sim.issue("A", "normal")).collect();
    let defer = |places| Command::Defer {
        ticket: remote,
        places,
    };
    let err = sim.run(defer(6)).unwrap_err().to_string();
    assert!(err.contains("give 1 to 5 places"), "{err}");
    sim.run(defer(2)).unwrap();
    assert_eq!(sim.state.ahead(remote), 2);
    assert_eq!(
        sim.state.ahead(behind[2]),
        3,
        "the third walk-in is now behind it"
    );
    let again = sim.run(defer(1)).unwrap_err().to_string();
    assert!(again.contains("only once"), "{again}");
    let walk_in = sim.run(Command::Defer {
        ticket: behind[0],
        places: 1,
    });
    assert!(matches!(walk_in, Err(Rejection::NotRemote { .. })));
    sim.state.check_invariants().unwrap();
    assert_eq!(sim.replayed().fingerprint(), sim.state.fingerprint());
}

#[test]
fn a_remote_ticket_nobody_is_behind_is_held_when_its_counter_is_idle() {
    let mut sim = remote_sim(10);
    sim.counter("1", CounterAction::Open).unwrap();
    let remote = sim.remote("request-0000000030", PHONE).unwrap();
    // Counter 1 has nobody to call: the remote ticket has reached the front.
    assert_eq!(sim.call("1"), None);
    let lapse_at = sim.state.ticket(remote).unwrap().lapse_at.expect("held");
    // Calling again holds nothing twice.
    let before = sim.log.len();
    assert_eq!(sim.call("1"), None);
    assert!(
        sim.log[before..]
            .iter()
            .all(|r| !matches!(r.event, Event::TicketHeld { .. }))
    );
    sim.now = lapse_at;
    sim.due();
    assert_eq!(sim.state_of(remote), TicketState::Lapsed);
    // With nothing left waiting, the counter may close.
    sim.counter("1", CounterAction::Close { override_by: None })
        .unwrap();
    sim.state.check_invariants().unwrap();
    assert_eq!(sim.replayed().fingerprint(), sim.state.fingerprint());
}
