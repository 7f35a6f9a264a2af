//! Hall operations: hours and cut-off, slot quotas, closing the last
//! counter, re-entry of no-shows.

use super::*;

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

/// `[hours] cutoff = "forecast"`: tickets keep coming while the queue can
/// still be served by closing plus the extended minutes, then stop with
/// the reason; the fixed cut-off no longer applies.
#[test]
fn a_forecast_cut_off_follows_the_queue() {
    let mut schedule = crate::hours::Schedule::always();
    schedule.week[0] = vec![(510, 720), (810, 1050)];
    schedule.cutoff_minutes = 30;
    schedule.cutoff = crate::hours::Cutoff::Forecast {
        extended_minutes: 30,
    };
    let mut sim = Sim::new(with(strict_hall(), |h| h.with_schedule(schedule, true)));
    let take = |sim: &mut Sim| {
        sim.run(Command::Issue {
            service: "A".into(),
            class: None,
            source: None,
        })
    };
    // 17:10, past where the fixed cut-off (17:00) would stop: an empty
    // queue is served long before 18:00.
    sim.now = monday(17, 10);
    sim.counter("1", CounterAction::Open).unwrap();
    assert!(take(&mut sim).is_ok());
    // One counter, five minutes a call: the queue fills up to 18:00.
    let mut taken = 1;
    let refusal = loop {
        match take(&mut sim) {
            Ok(_) => taken += 1,
            Err(e) => break e,
        }
        assert!(taken < 20, "never refused");
    };
    // 50 minutes of service for at most ten tickets; the range's upper end
    // stops it earlier.
    assert!((2..=10).contains(&taken), "{taken} tickets taken");
    assert_eq!(sim.state.queue_full("A", sim.now), Some(monday(18, 0)));
    let why = refusal.to_string();
    assert!(
        why.contains(
            "can no longer be served by 18:00 (closing plus 30 minutes of extended service)"
        ),
        "{why}"
    );
    // Refusing changed nothing; service B, whose queue is empty, still issues.
    assert_eq!(sim.state.tickets().count(), taken);
    assert_eq!(sim.state.queue_full("B", sim.now), None);
    // Closing still closes.
    sim.now = monday(17, 30);
    assert!(take(&mut sim).is_err());
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

#[test]
fn a_number_is_called_out_of_turn_only_where_it_waits_with_a_reason_audited() {
    let mut sim = Sim::new(strict_hall()); // A: counters 1, 2, 3; B: counters 2, 3
    let a1 = sim.issue("A", "normal");
    let a2 = sim.issue("A", "normal");
    let b1 = sim.issue("B", "normal");
    let number = |sim: &Sim, id| sim.state.ticket(id).unwrap().number.clone();
    let call = |number: &str, reason: &str, override_by: Option<&str>| CounterAction::CallNumber {
        number: number.into(),
        reason: reason.into(),
        by: "1024".into(),
        override_by: override_by.map(str::to_owned),
    };
    let (n1, n2, nb) = (number(&sim, a1), number(&sim, a2), number(&sim, b1));
    let check =
        |sim: &mut Sim, counter: &str, action: CounterAction, expect: Result<TicketId, &str>| {
            let before = sim.state.fingerprint();
            match (sim.counter(counter, action), expect) {
                (Ok(got), Ok(want)) => assert_eq!(got, Some(want)),
                (Err(e), Err(part)) => {
                    assert!(e.to_string().contains(part), "{e}");
                    assert_eq!(sim.state.fingerprint(), before, "a refusal changes nothing");
                }
                (got, want) => panic!("got {got:?}, want {want:?}"),
            }
        };
    check(&mut sim, "1", call(&n2, " ", None), Err("needs a reason"));
    check(
        &mut sim,
        "1",
        call("Z999", "away", None),
        Err("no ticket numbered Z999"),
    );
    check(
        &mut sim,
        "1",
        call(&nb, "away", None),
        Err("which this counter does not serve"),
    );
    // The second A goes first at counter 1, lower case typed is fine.
    check(
        &mut sim,
        "1",
        call(&n2.to_lowercase(), "called while away", None),
        Ok(a2),
    );
    assert_eq!(sim.state.counter("1").unwrap().state, CounterState::Calling);
    check(&mut sim, "1", call(&n1, "x", None), Err("still has ticket"));
    check(&mut sim, "2", call(&n2, "again", None), Err("it is called"));
    // A supervisor may call B's ticket at counter 1: audited as theirs.
    sim.finish("1");
    check(&mut sim, "1", call(&nb, "urgent", Some("li")), Ok(b1));
    let audits: Vec<_> = sim
        .log
        .iter()
        .filter_map(|r| match &r.event {
            Event::Audit {
                action, by, detail, ..
            } => Some((action.as_str(), by.as_str(), detail.clone())),
            _ => None,
        })
        .collect();
    assert_eq!(audits.len(), 2, "{audits:?}");
    assert_eq!((audits[0].0, audits[0].1), ("call_number", "1024"));
    assert!(audits[0].2.contains("called while away"), "{audits:?}");
    assert_eq!((audits[1].0, audits[1].1), ("call_number_override", "li"));
    assert_eq!(sim.replayed().fingerprint(), sim.state.fingerprint());
}

#[test]
fn a_clerk_who_signs_out_is_no_longer_the_counters_clerk_and_the_counter_keeps_its_state() {
    let mut sim = Sim::new(strict_hall());
    sim.audit = true;
    let sign = |who: &str, out: bool| {
        let staff = who.to_owned();
        if out {
            CounterAction::SignOut { staff }
        } else {
            CounterAction::SignIn { staff }
        }
    };
    sim.counter("1", sign("1024", false)).unwrap();
    sim.counter("1", CounterAction::Open).unwrap();
    let a = sim.issue("A", "normal");
    let b = sim.issue("A", "normal");
    assert_eq!(sim.call("1"), Some(a));
    assert_eq!(
        sim.state.ticket(a).unwrap().served_by.as_deref(),
        Some("1024")
    );
    sim.counter("1", sign("1024", true)).unwrap();
    let rt = sim.state.counter("1").unwrap();
    assert_eq!(rt.staff, None);
    assert_eq!(rt.last_staff.as_deref(), Some("1024"));
    assert_eq!(rt.state, CounterState::Calling, "not closed or paused");
    assert_eq!(rt.current, Some(a));
    let kinds: Vec<_> = sim
        .log
        .iter()
        .rev()
        .take(2)
        .map(|r| r.event.kind())
        .collect();
    assert_eq!(kinds, ["counter_staff_left", "audit"]);
    // The counter's own token calls on: nobody is named for it.
    sim.finish("1");
    assert_eq!(sim.call("1"), Some(b));
    assert_eq!(sim.state.ticket(b).unwrap().served_by, None);
    // Another clerk took over: an old session's sign-out leaves them named,
    // and is only audited.
    sim.counter("1", sign("2048", false)).unwrap();
    let before = sim.log.len();
    sim.counter("1", sign("1024", true)).unwrap();
    assert_eq!(
        sim.state.counter("1").unwrap().staff.as_deref(),
        Some("2048")
    );
    let added: Vec<_> = sim.log[before..].iter().map(|r| &r.event).collect();
    assert!(
        matches!(added[..], [Event::Audit { action, by, .. }] if action == "staff_sign_out" && by == "1024"),
        "{added:?}"
    );
    assert_eq!(sim.replayed().fingerprint(), sim.state.fingerprint());
}

#[test]
fn a_staffed_counter_left_paused_with_people_waiting_raises_an_away_alert_and_counts_minutes() {
    // Hours 08:30-12:00 on Monday; an alert after 10 minutes.
    let mut schedule = crate::hours::Schedule::always();
    schedule.week[0] = vec![(510, 720)];
    let hall = with(strict_hall(), |h| {
        let mut h = h.with_schedule(schedule, true);
        h.away_alert_ms = Some(10 * MINUTE);
        h
    });
    let mut sim = Sim::new(hall);
    let away = |sim: &Sim| {
        crate::alerts::active(&sim.state, sim.now)
            .into_iter()
            .filter(|a| a.key.starts_with("away:"))
            .map(|a| (a.key, a.level))
            .collect::<Vec<_>>()
    };
    sim.now = monday(9, 0);
    sim.counter(
        "1",
        CounterAction::SignIn {
            staff: "1024".into(),
        },
    )
    .unwrap();
    sim.counter("1", CounterAction::Open).unwrap();
    sim.issue("A", "normal");
    sim.counter("2", CounterAction::Open).unwrap(); // unstaffed: never "away"
    sim.counter("2", CounterAction::Pause).unwrap();
    sim.counter("1", CounterAction::Pause).unwrap();
    // Signing out does not hide a counter left paused: it is still theirs.
    sim.counter(
        "1",
        CounterAction::SignOut {
            staff: "1024".into(),
        },
    )
    .unwrap();
    assert_eq!(sim.state.counter("1").unwrap().staff, None);
    sim.now = monday(9, 9);
    assert_eq!(away(&sim), [], "not yet 10 minutes");
    sim.now = monday(9, 10);
    assert_eq!(
        away(&sim),
        [("away:1".to_owned(), crate::alerts::Level::Yellow)]
    );
    let (zh, _) = crate::alerts::active(&sim.state, sim.now)
        .into_iter()
        .find(|a| a.key == "away:1")
        .unwrap()
        .message();
    assert!(zh.contains("1024") && zh.contains("暂停 10 分钟"), "{zh}");
    // Back at work: gone. Closed at 11:40 with someone waiting: after 10
    // minutes it shows again, and after closing time (12:00) it does not.
    sim.counter("1", CounterAction::Resume).unwrap();
    assert_eq!(away(&sim), []);
    sim.now = monday(11, 40);
    sim.counter(
        "1",
        CounterAction::Close {
            override_by: Some("li".into()),
        },
    )
    .unwrap();
    sim.now = monday(11, 55);
    assert_eq!(away(&sim).len(), 1);
    sim.now = monday(12, 5);
    assert_eq!(away(&sim), [], "outside its hours");
    // Minutes away inside hours: 9:00-9:10 paused, 11:40-12:00 closed.
    let minutes = crate::alerts::away_minutes(sim.state.hall(), &sim.log, monday(13, 0));
    assert_eq!(minutes, [("1024".to_owned(), 30)]);
}
