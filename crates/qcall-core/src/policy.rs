//! Next-ticket selection: which waiting ticket a counter calls.
//!
//! A pure, deterministic function of the candidates a counter can see, the
//! counter's recent calls, the policy and `now`.
//!
//! # What must stay true
//! - Only queue *heads* are candidates: within one service and class the
//!   oldest ticket always goes first, under every policy. The caller passes one
//!   [`Head`] per non-empty (service, class) queue, so issue order within a
//!   class cannot be broken here whatever the scoring does.
//! - A ticket transferred to this very counter goes first: it has already
//!   waited once and was sent here by a colleague.
//! - A ticket whose place lies in the future (an appointment checked in
//!   early) is not due while anyone else is: it waits for its time unless
//!   nobody else waits at all.
//! - `max_wait` beats everything else: among heads that waited at least that
//!   long, the oldest goes. This bounds every ticket's wait under any policy.
//! - Otherwise the class and the policy decide across *every* service the
//!   counter serves, so a green-channel ticket of a counter's second service
//!   is not left behind ordinary tickets of its first. The counter's order of
//!   preference only decides among heads the policy ranks equal: the same
//!   weight under `strict` and `ratio`, the same score and weight under
//!   `aging`.
//!   ([`Order::Services`] keeps the old rule for a counter that asks for it:
//!   the first service with anyone waiting, the policy inside it.)
//! - `ratio` holds at each counter whatever the services: after `n` priority
//!   calls in a row, an ordinary head that waited longer than the priority
//!   ticket next in line goes first.
//! - Ties are broken by issue time, then by ticket id, so the result never
//!   depends on iteration order.

use std::cmp::Reverse;

use crate::hall::{Policy, PolicyKind, ServiceOrder};
use crate::ticket::TicketId;
use crate::time::Millis;

/// The oldest waiting ticket of one (service, class) queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Head {
    pub ticket: TicketId,
    /// Original issue time: transfers and requeues keep it.
    pub queued_at: Millis,
    pub weight: u32,
    /// Served ahead of the default class (green channel, appointment...).
    pub priority: bool,
    /// Position of the service in the counter's preference list, 0 first.
    pub preference: usize,
}

impl Head {
    fn age_key(&self) -> (Millis, TicketId) {
        (self.queued_at, self.ticket)
    }

    /// Rank under `strict` (and among priority heads under `ratio`): the
    /// heaviest class, then the counter's preferred service, then the oldest.
    fn weight_key(&self) -> (Reverse<u32>, usize, (Millis, TicketId)) {
        (Reverse(self.weight), self.preference, self.age_key())
    }

    /// Rank among ordinary heads under `ratio`: the preferred service, then
    /// the oldest.
    fn service_key(&self) -> (usize, (Millis, TicketId)) {
        (self.preference, self.age_key())
    }
}

/// Picks the ticket to call, or `None` when nothing waits.
///
/// `order` is the counter's: whether its service list only breaks the
/// policy's ties (the default) or comes first. `streak` is how many priority
/// tickets this counter called in a row.
pub fn select(
    policy: &Policy,
    order: ServiceOrder,
    streak: u32,
    direct: Option<Head>,
    heads: &[Head],
    now: Millis,
) -> Option<TicketId> {
    if let Some(d) = direct {
        return Some(d.ticket);
    }
    let any_due = heads.iter().any(|h| h.queued_at <= now);
    let due: Vec<&Head> = heads
        .iter()
        .filter(|h| !any_due || h.queued_at <= now)
        .collect();
    if let Some(max_wait) = policy.max_wait_ms {
        let overdue = due
            .iter()
            .filter(|h| now - h.queued_at >= max_wait)
            .min_by_key(|h| h.age_key());
        if let Some(h) = overdue {
            return Some(h.ticket);
        }
    }
    let pool: Vec<&Head> = match order {
        ServiceOrder::Tiebreak => due,
        ServiceOrder::Strict => {
            let first = due.iter().map(|h| h.preference).min()?;
            due.into_iter().filter(|h| h.preference == first).collect()
        }
    };
    match policy.kind {
        PolicyKind::Strict => pool.iter().min_by_key(|h| h.weight_key()).map(|h| h.ticket),
        PolicyKind::Aging => pool
            .iter()
            .max_by_key(|h| {
                let score = i128::from((now - h.queued_at).max(0)) * i128::from(h.weight.max(1));
                // Equal scores (everyone just arrived): the heavier class,
                // then the counter's order.
                (score, h.weight, Reverse(h.service_key()))
            })
            .map(|h| h.ticket),
        PolicyKind::Ratio { n } => {
            let ordinary = || pool.iter().filter(|h| !h.priority);
            let Some(p) = pool
                .iter()
                .filter(|h| h.priority)
                .min_by_key(|h| h.weight_key())
            else {
                return ordinary().min_by_key(|h| h.service_key()).map(|h| h.ticket);
            };
            if streak >= n {
                // The streak is full: an ordinary ticket that waited longer
                // than the priority one next in line goes now.
                let older = ordinary()
                    .filter(|o| o.age_key() < p.age_key())
                    .min_by_key(|o| o.service_key());
                if let Some(o) = older {
                    return Some(o.ticket);
                }
            }
            Some(p.ticket)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn head(id: i64, queued_at: Millis, weight: u32, preference: usize) -> Head {
        Head {
            ticket: TicketId(id),
            queued_at,
            weight,
            priority: weight > 1,
            preference,
        }
    }

    fn check(
        kind: PolicyKind,
        max_wait_ms: Option<Millis>,
        streak: u32,
        heads: &[Head],
        now: Millis,
        expect: Option<i64>,
    ) {
        check_in(
            ServiceOrder::Tiebreak,
            kind,
            max_wait_ms,
            streak,
            heads,
            now,
            expect,
        );
    }

    fn check_in(
        order: ServiceOrder,
        kind: PolicyKind,
        max_wait_ms: Option<Millis>,
        streak: u32,
        heads: &[Head],
        now: Millis,
        expect: Option<i64>,
    ) {
        let policy = Policy { kind, max_wait_ms };
        assert_eq!(
            select(&policy, order, streak, None, heads, now),
            expect.map(TicketId),
            "{order:?} {kind:?} max_wait={max_wait_ms:?} streak={streak} heads={heads:?}"
        );
    }

    #[test]
    fn table() {
        use PolicyKind::*;
        let normal_old = head(1, 0, 1, 0);
        let green_new = head(2, 100, 3, 0);
        let other_service = head(3, -500, 3, 1);
        // Nothing waiting.
        check(Strict, None, 0, &[], 1000, None);
        // Strict: weight first.
        check(Strict, None, 9, &[normal_old, green_new], 1000, Some(2));
        // Ratio 2: below the streak the green goes, at the streak the older normal.
        check(
            Ratio { n: 2 },
            None,
            1,
            &[normal_old, green_new],
            1000,
            Some(2),
        );
        check(
            Ratio { n: 2 },
            None,
            2,
            &[normal_old, green_new],
            1000,
            Some(1),
        );
        // ...but not when the green has waited longer.
        check(
            Ratio { n: 2 },
            None,
            2,
            &[head(1, 200, 1, 0), green_new],
            1000,
            Some(2),
        );
        // Aging: waited 1000 x1 against 900 x3.
        check(Aging, None, 0, &[normal_old, green_new], 1000, Some(2));
        // waited 10000 x1 against 3000 x3 (9000).
        check(
            Aging,
            None,
            0,
            &[normal_old, head(2, 7000, 3, 0)],
            10_000,
            Some(1),
        );
        // The class decides across services: the second service's green
        // ticket goes before the first's ordinary one, under every policy.
        check(Strict, None, 0, &[normal_old, other_service], 1000, Some(3));
        check(
            Ratio { n: 2 },
            None,
            0,
            &[normal_old, other_service],
            1000,
            Some(3),
        );
        check(Aging, None, 0, &[normal_old, other_service], 1000, Some(3));
        // Preference breaks ties the policy leaves: same weight, the first
        // service even though the second's ticket is older...
        let normal_second = head(5, -900, 1, 1);
        check(Strict, None, 0, &[normal_second, normal_old], 1000, Some(1));
        check(
            Ratio { n: 2 },
            None,
            0,
            &[normal_second, normal_old],
            1000,
            Some(1),
        );
        let green_second = head(6, 100, 3, 1);
        check(Strict, None, 0, &[green_second, green_new], 1000, Some(2));
        // ...but under aging the longer wait scores higher; equal scores
        // go by preference.
        check(Aging, None, 0, &[normal_old, normal_second], 1000, Some(5));
        check(
            Aging,
            None,
            0,
            &[head(7, 100, 1, 1), head(8, 100, 1, 0)],
            1000,
            Some(8),
        );
        // Ratio at the streak: the ordinary ticket that waited longer than
        // the green goes, from whichever service.
        check(
            Ratio { n: 2 },
            None,
            2,
            &[head(1, 500, 1, 0), green_new, normal_second],
            1000,
            Some(5),
        );
        // strict_service_order: the first service with anyone waiting, even
        // if the second has an older, heavier ticket.
        for kind in [Strict, Ratio { n: 2 }, Aging] {
            check_in(
                ServiceOrder::Strict,
                kind,
                None,
                0,
                &[normal_old, other_service],
                1000,
                Some(1),
            );
        }
        // max_wait overrides preference and weight: oldest overdue first.
        check(
            Strict,
            Some(1200),
            0,
            &[normal_old, green_new, other_service],
            1000,
            Some(3),
        );
        check(
            Strict,
            Some(1000),
            0,
            &[normal_old, green_new],
            1000,
            Some(1),
        );
        // A place in the future waits while others are due, not when
        // nobody else waits.
        let early = head(4, 5000, 3, 0);
        check(Strict, None, 0, &[normal_old, early], 1000, Some(1));
        check(Strict, None, 0, &[early], 1000, Some(4));
        // Ties by issue time then id.
        check(
            Strict,
            None,
            0,
            &[head(8, 5, 3, 0), head(7, 5, 3, 0)],
            10,
            Some(7),
        );
    }

    #[test]
    fn a_direct_transfer_goes_first() {
        let policy = Policy {
            kind: PolicyKind::Strict,
            max_wait_ms: Some(1),
        };
        let direct = head(9, 500, 1, 0);
        assert_eq!(
            select(
                &policy,
                ServiceOrder::Tiebreak,
                0,
                Some(direct),
                &[head(1, 0, 3, 0)],
                10_000
            ),
            Some(TicketId(9))
        );
    }
}
