//! 好差评 in the day's state: what a rating must carry, and the 差评 item
//! it opens and its steps.

use super::*;

/// A rating from the pad: a score and a comment, no indicators.
pub(super) fn rating(score: u8, comment: Option<&str>) -> crate::rating::RatingInput {
    crate::rating::RatingInput {
        score,
        indicators: Vec::new(),
        reason: None,
        comment: comment.map(str::to_owned),
        channel: crate::rating::Channel::Pad,
    }
}

/// A 差评 without a reason records nothing; with one it keeps the reason,
/// the indicators and the set's version.
#[test]
fn a_poor_rating_needs_a_reason_and_keeps_the_set_version() {
    let mut sim = Sim::new(strict_hall());
    let id = sim.issue("A", "normal");
    sim.call("1");
    sim.finish("1");
    let before = sim.state.last_seq();
    let mut poor = rating(2, None);
    poor.indicators = vec![("attitude".into(), 1)];
    let r = sim.run(Command::Rate {
        of: RatingOf::LastAt("1".into()),
        rating: poor.clone(),
    });
    assert!(
        matches!(r, Err(Rejection::ReasonRequired { score: 2, .. })),
        "{r:?}"
    );
    assert_eq!(
        sim.state.last_seq(),
        before,
        "a refused rating records nothing"
    );
    assert_eq!(sim.state.ticket(id).unwrap().rating, None);

    poor.reason = Some("服务态度差".into());
    let d = sim
        .state
        .decide(
            &Command::Rate {
                of: RatingOf::LastAt("1".into()),
                rating: poor,
            },
            sim.now,
        )
        .unwrap();
    assert_eq!(
        d.events[..1],
        [crate::Event::TicketRated {
            ticket: id,
            score: 2,
            comment: None,
            reason: Some("服务态度差".into()),
            indicators: vec![("attitude".into(), 1)],
            indicator_version: 1,
            channel: crate::rating::Channel::Pad,
        }]
    );
    assert!(matches!(
        d.events[1],
        crate::Event::RectificationOpened { score: 2, .. }
    ));
}

/// A 差评 opens an item due a number of working days later; its steps go
/// in order, and a good rating opens none.
#[test]
fn a_poor_rating_opens_an_item_that_is_put_right_step_by_step() {
    use crate::rectify::RectifyAction;
    let mut sim = Sim::new(strict_hall());
    let id = sim.issue("A", "normal");
    sim.call("1");
    sim.finish("1");
    let mut poor = rating(1, None);
    poor.reason = Some("等候时间太长".into());
    sim.run(Command::Rate {
        of: RatingOf::Ticket(id),
        rating: poor,
    })
    .unwrap();
    let r = sim.state.rectification(id).expect("an item for the 差评");
    let fix_days = sim.state.hall().rating.fix_working_days;
    assert_eq!(
        r.deadline,
        sim.state
            .hall()
            .schedule
            .working_days_after(sim.state.day(), fix_days)
    );
    assert_eq!((r.score, r.reason.as_deref()), (1, Some("等候时间太长")));
    let step = |action| Command::Rectify {
        ticket: id,
        action,
        by: "zhao".into(),
    };
    assert!(matches!(
        sim.run(step(RectifyAction::Fix {
            note: "培训".into()
        })),
        Err(Rejection::RectifyStep { .. })
    ));
    sim.run(step(RectifyAction::Callback {
        outcome: "已致歉".into(),
    }))
    .unwrap();
    sim.run(step(RectifyAction::Fix {
        note: "培训".into(),
    }))
    .unwrap();
    sim.run(step(RectifyAction::RateFix { score: 4 })).unwrap();
    let r = sim.state.rectification(id).unwrap();
    assert_eq!(r.callback.as_ref().unwrap().text, "已致歉");
    assert_eq!(r.fix_score, Some(4));
    // It goes on to the next day.
    let next = sim.state.next_day(sim.state.day().tomorrow().unwrap());
    assert!(next.rectification(id).is_some());

    let good = sim.issue("A", "normal");
    sim.call("1");
    sim.finish("1");
    sim.run(Command::Rate {
        of: RatingOf::Ticket(good),
        rating: rating(4, None),
    })
    .unwrap();
    assert!(sim.state.rectification(good).is_none());
    assert!(matches!(
        sim.run(Command::Rectify {
            ticket: good,
            action: RectifyAction::Callback {
                outcome: "x".into()
            },
            by: "zhao".into()
        }),
        Err(Rejection::NoRectification { .. })
    ));
}
