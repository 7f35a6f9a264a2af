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
//! - Otherwise the counter takes its services in its own order of preference:
//!   the first service with anyone waiting is served, and the policy kind
//!   picks among that service's heads.
//! - Ties are broken by issue time, then by ticket id, so the result never
//!   depends on iteration order.

use crate::hall::{Policy, PolicyKind};
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
}

/// Picks the ticket to call, or `None` when nothing waits.
///
/// `streak` is how many priority tickets this counter called in a row.
pub fn select(
    policy: &Policy,
    streak: u32,
    direct: Option<Head>,
    heads: &[Head],
    now: Millis,
) -> Option<TicketId> {
    if let Some(d) = direct {
        return Some(d.ticket);
    }
    let any_due = heads.iter().any(|h| h.queued_at <= now);
    let due = || heads.iter().filter(move |h| !any_due || h.queued_at <= now);
    if let Some(max_wait) = policy.max_wait_ms {
        let overdue = due()
            .filter(|h| now - h.queued_at >= max_wait)
            .min_by_key(|h| h.age_key());
        if let Some(h) = overdue {
            return Some(h.ticket);
        }
    }
    let tier = due().map(|h| h.preference).min()?;
    let tier: Vec<&Head> = due().filter(|h| h.preference == tier).collect();
    let strict_best = |hs: &mut dyn Iterator<Item = &&Head>| {
        hs.min_by(|a, b| b.weight.cmp(&a.weight).then(a.age_key().cmp(&b.age_key())))
            .map(|h| h.ticket)
    };
    match policy.kind {
        PolicyKind::Strict => strict_best(&mut tier.iter()),
        PolicyKind::Aging => tier
            .iter()
            .max_by(|a, b| {
                let score =
                    |h: &Head| i128::from((now - h.queued_at).max(0)) * i128::from(h.weight.max(1));
                score(a).cmp(&score(b)).then(b.age_key().cmp(&a.age_key()))
            })
            .map(|h| h.ticket),
        PolicyKind::Ratio { n } => {
            let best_priority = tier
                .iter()
                .filter(|h| h.priority)
                .min_by(|a, b| b.weight.cmp(&a.weight).then(a.age_key().cmp(&b.age_key())));
            let oldest_normal = tier
                .iter()
                .filter(|h| !h.priority)
                .min_by_key(|h| h.age_key());
            match (best_priority, oldest_normal) {
                (Some(p), Some(o)) if streak >= n && o.age_key() < p.age_key() => Some(o.ticket),
                (Some(p), _) => Some(p.ticket),
                (None, Some(o)) => Some(o.ticket),
                (None, None) => None,
            }
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
        let policy = Policy { kind, max_wait_ms };
        assert_eq!(
            select(&policy, streak, None, heads, now),
            expect.map(TicketId),
            "{kind:?} max_wait={max_wait_ms:?} streak={streak} heads={heads:?}"
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
        // Preference: the first service with anyone waiting, even if the
        // second has an older, heavier ticket.
        check(Strict, None, 0, &[normal_old, other_service], 1000, Some(1));
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
            select(&policy, 0, Some(direct), &[head(1, 0, 3, 0)], 10_000),
            Some(TicketId(9))
        );
    }
}
