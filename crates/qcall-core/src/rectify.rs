//! Putting a 差评 right (整改): every 差评 opens an item that a supervisor
//! is assigned, calls the applicant back about (回访, logged with when and
//! the outcome), and fixes by a deadline counted in working days on the
//! hall's own calendar; the applicant then rates the fix through their
//! ticket's link. Overdue items raise an alert.
//!
//! Plain values and the rule for each step ([`Rectification::check`]);
//! items live in the day's state (loaded from the store at start, carried
//! over at rollover) and are written by the store from what `apply` reports.

use crate::command::Rejection;
use crate::ticket::TicketId;
use crate::time::{BusinessDay, Millis};

/// Longest assignee name, outcome or note, in characters.
pub const MAX_TEXT_CHARS: usize = 500;

/// One 差评 being put right.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rectification {
    /// The rated ticket; one item per ticket.
    pub ticket: TicketId,
    pub number: String,
    pub service: String,
    pub counter: Option<String>,
    /// The clerk rated.
    pub staff: Option<String>,
    pub score: u8,
    pub reason: Option<String>,
    pub opened_at: Millis,
    /// The last working day to fix it on.
    pub deadline: BusinessDay,
    /// The supervisor it is assigned to.
    pub assignee: Option<String>,
    pub callback: Option<Step>,
    pub fix: Option<Step>,
    /// The applicant's rating of the fix, 1..=5.
    pub fix_score: Option<u8>,
    /// The phone number on file for the ticket (its text-message
    /// subscription or the remote ticket's phone), where the link to rate
    /// the fix is sent. Never shown or uploaded.
    pub phone: Option<String>,
}

/// A step taken: when, by whom, what was said.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    pub at: Millis,
    pub by: String,
    pub text: String,
}

/// What a supervisor (or the applicant) does with an item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RectifyAction {
    /// Assign the item to supervisor `to`.
    Assign { to: String },
    /// The applicant was called back; `outcome` says how it went.
    Callback { outcome: String },
    /// The cause was put right; `note` says how.
    Fix { note: String },
    /// The applicant rates the fix, 1..=5 (their ticket's key).
    RateFix { score: u8 },
}

impl Rectification {
    /// Whether the fix is late, or still missing after the deadline, on
    /// business day `today`.
    pub fn overdue(&self, today: BusinessDay, tz: &jiff::tz::TimeZone) -> bool {
        match &self.fix {
            None => today > self.deadline,
            Some(f) => crate::time::business_day(f.at, tz) > self.deadline,
        }
    }

    /// Fixed by its deadline.
    pub fn fixed_on_time(&self, tz: &jiff::tz::TimeZone) -> bool {
        self.fix
            .as_ref()
            .is_some_and(|f| crate::time::business_day(f.at, tz) <= self.deadline)
    }

    /// Refuses a step out of order or with bad text. The order: a callback
    /// before the fix (every 差评 is called back), the fix before its
    /// rating, each once; assigning is allowed until the fix.
    pub fn check(&self, action: &RectifyAction) -> Result<(), Rejection> {
        let text = |what: &str, s: &str| {
            if s.trim().is_empty() {
                return Err(Rejection::BadInput(format!(
                    "say {what}; it is kept in the item's record"
                )));
            }
            if s.chars().count() > MAX_TEXT_CHARS || s.chars().any(|c| c.is_control() && c != '\n')
            {
                return Err(Rejection::BadInput(format!(
                    "{what} is at most {MAX_TEXT_CHARS} printable characters"
                )));
            }
            Ok(())
        };
        let step = |why: &str| Rejection::RectifyStep {
            number: self.number.clone(),
            why: why.to_owned(),
        };
        match action {
            RectifyAction::Assign { to } => {
                text("whom it is assigned to", to)?;
                if self.fix.is_some() {
                    return Err(step("it is already put right"));
                }
            }
            RectifyAction::Callback { outcome } => {
                text("how the callback went", outcome)?;
                if self.callback.is_some() {
                    return Err(step("the callback is already logged"));
                }
            }
            RectifyAction::Fix { note } => {
                text("what was put right", note)?;
                if self.callback.is_none() {
                    return Err(step(
                        "call the applicant back first and log it (every 差评 is called back)",
                    ));
                }
                if self.fix.is_some() {
                    return Err(step("it is already put right"));
                }
            }
            RectifyAction::RateFix { score } => {
                if !(1..=5).contains(score) {
                    return Err(Rejection::BadRating(*score));
                }
                if self.fix.is_none() {
                    return Err(step(
                        "it is not put right yet; you can rate the fix once it is",
                    ));
                }
                if self.fix_score.is_some() {
                    return Err(step("the fix is already rated; each fix is rated once"));
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item() -> Rectification {
        Rectification {
            ticket: TicketId(7),
            number: "A007".into(),
            service: "A".into(),
            counter: Some("2".into()),
            staff: None,
            score: 1,
            reason: Some("服务态度差".into()),
            opened_at: 0,
            deadline: "2026-11-30".parse().unwrap(),
            assignee: None,
            callback: None,
            fix: None,
            fix_score: None,
            phone: None,
        }
    }

    fn step() -> Option<Step> {
        Some(Step {
            at: 1_795_363_200_000, // 2026-11-23 00:00 Shanghai
            by: "zhao".into(),
            text: "ok".into(),
        })
    }

    /// `Ok` or a word of the refusal.
    fn check(r: &Rectification, action: RectifyAction, expect: Result<(), &str>) {
        match (r.check(&action), expect) {
            (Ok(()), Ok(())) => {}
            (Err(e), Err(word)) => assert!(e.to_string().contains(word), "{action:?}: {e}"),
            (got, want) => panic!("{action:?}: got {got:?}, want {want:?}"),
        }
    }

    #[test]
    fn steps_go_in_order_and_once() {
        let fix = || RectifyAction::Fix {
            note: "重新培训".into(),
        };
        let rate = |score| RectifyAction::RateFix { score };
        let mut r = item();
        check(&r, RectifyAction::Assign { to: "zhao".into() }, Ok(()));
        check(
            &r,
            RectifyAction::Assign { to: " ".into() },
            Err("say whom"),
        );
        check(&r, fix(), Err("call the applicant back first"));
        check(&r, rate(5), Err("not put right yet"));
        check(
            &r,
            RectifyAction::Callback {
                outcome: "已致歉".into(),
            },
            Ok(()),
        );
        r.callback = step();
        check(
            &r,
            RectifyAction::Callback {
                outcome: "again".into(),
            },
            Err("already logged"),
        );
        check(&r, fix(), Ok(()));
        r.fix = step();
        check(&r, fix(), Err("already put right"));
        check(
            &r,
            RectifyAction::Assign { to: "li".into() },
            Err("already put right"),
        );
        check(&r, rate(0), Err("not 0"));
        check(&r, rate(4), Ok(()));
        r.fix_score = Some(4);
        check(&r, rate(4), Err("already rated"));
    }

    #[test]
    fn overdue_is_after_the_deadline_day() {
        let tz = jiff::tz::TimeZone::get("Asia/Shanghai").unwrap();
        let mut r = item();
        let day = |d: &str| d.parse::<BusinessDay>().unwrap();
        assert!(
            !r.overdue(day("2026-11-30"), &tz),
            "the deadline day is in time"
        );
        assert!(r.overdue(day("2026-12-01"), &tz));
        r.fix = step(); // fixed on 2026-11-23
        assert!(!r.overdue(day("2026-12-09"), &tz));
        assert!(r.fixed_on_time(&tz));
        r.deadline = day("2026-11-22");
        assert!(r.overdue(day("2026-11-23"), &tz) && !r.fixed_on_time(&tz));
    }
}
