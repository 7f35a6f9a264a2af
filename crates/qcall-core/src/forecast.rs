//! When will a waiting ticket be called? A forward run of the hall.
//!
//! The estimate printed on a ticket is the time a dry run of the hall
//! reaches it: the open counters keep calling with the hall's own policy
//! ([`policy::select`], the very function the counters use), each call
//! keeps its counter busy for the service's measured time per call, the
//! counters stop over breaks and stay after closing until the queue is
//! empty, and applicants keep arriving at each (service, class) queue's
//! recent rate until the cut-off. That is what makes it right where a count
//! of tickets ahead is wrong: a counter that prefers another service, green
//! tickets that will arrive and overtake, the `max_wait` override that puts
//! old ordinary tickets first, a lunch break in between.
//!
//! It is a plain function of its [`Inputs`]: no clock, no randomness, so
//! replaying the log recomputes the same estimates. It reads the queues in
//! place (the policy only ever takes queue heads, so a cursor per queue is
//! enough) and changes nothing.
//!
//! It does not learn per-clerk speeds or predict no-shows; a per-service
//! time per call already includes both on average.

use std::collections::BTreeSet;

use crate::hall::Hall;
use crate::hours::DayPlan;
use crate::policy::{self, Head};
use crate::ticket::{QueueKey, TicketId};
use crate::time::Millis;

/// Everything the dry run starts from.
pub(crate) struct Inputs<'a> {
    pub hall: &'a Hall,
    /// `[service][class]` waiting tickets, as the day's state keeps them.
    pub queues: &'a [Vec<BTreeSet<QueueKey>>],
    /// Per counter: tickets transferred straight to it.
    pub direct: &'a [BTreeSet<QueueKey>],
    /// For a ticket in a direct queue: its (service index, class index).
    pub placement: &'a dyn Fn(TicketId) -> Option<(usize, usize)>,
    /// Per counter: when it is next free to call and its priority streak,
    /// or `None` for a counter that is not working (closed, paused).
    pub counters: Vec<Option<Busy>>,
    /// Per service: how long a call keeps a counter, on average (ms).
    pub per_call_ms: Vec<f64>,
    /// `[service][class]`: ms between arrivals at the recent rate, or
    /// `None` when nobody came lately.
    pub arrival_every_ms: Vec<Vec<Option<f64>>>,
    /// Today's hours, for the breaks and the cut-off of new arrivals.
    pub plan: DayPlan,
    pub now: Millis,
}

/// A working counter at the start of the run.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Busy {
    pub free_at: Millis,
    pub streak: u32,
}

/// How a dry run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// The ticket is called at this instant, after this many calls of the
    /// run (the target's own not counted).
    Called(Millis, usize),
    /// The run stopped after its step budget at this instant, the ticket
    /// still waiting: it is called later than that.
    Beyond(Millis),
    /// No working counter will ever call it.
    Never,
}

/// Where a candidate head comes from, to advance the right cursor (a
/// ticket in the counter's direct queue is not in the list).
#[derive(Debug, Clone, Copy)]
enum Source {
    Queue(usize, usize),
    Arrival(usize, usize),
}

/// Runs the hall forward until `target` is called, for at most `max_steps`
/// calls in all.
pub(crate) fn call_at(inputs: &Inputs<'_>, target: TicketId, max_steps: usize) -> Outcome {
    let hall = inputs.hall;
    let classes = &hall.classes;
    let priority: Vec<bool> = classes.iter().map(|c| hall.is_priority(&c.id)).collect();
    // Cursors over the real queues: the run pops heads only.
    let mut queues: Vec<Vec<std::iter::Peekable<std::collections::btree_set::Iter<'_, QueueKey>>>> =
        inputs
            .queues
            .iter()
            .map(|per_class| per_class.iter().map(|q| q.iter().peekable()).collect())
            .collect();
    let mut direct: Vec<_> = inputs.direct.iter().map(|q| q.iter().peekable()).collect();
    // The next arrival per queue (after its real tickets), until the cut-off.
    let intake_until = inputs.plan.intake_until.unwrap_or(Millis::MIN);
    let mut next_arrival: Vec<Vec<Option<f64>>> = inputs
        .arrival_every_ms
        .iter()
        .map(|per_class| {
            per_class
                .iter()
                .map(|every| every.map(|e| inputs.now as f64 + e))
                .collect()
        })
        .collect();
    let mut virtual_id = 0i64;
    let mut counters = inputs.counters.clone();
    let mut heads: Vec<Head> = Vec::new();
    let mut sources: Vec<Source> = Vec::new();

    let mut calls = 0usize;
    for _ in 0..max_steps {
        // The counter free first (ties: the hall's counter order).
        let Some((ci, busy)) = counters
            .iter()
            .enumerate()
            .filter_map(|(ci, b)| b.map(|b| (ci, b)))
            .min_by_key(|(ci, b)| (b.free_at, *ci))
        else {
            return Outcome::Never;
        };
        let at = inputs.plan.resume_at(busy.free_at);
        heads.clear();
        sources.clear();
        let mut wake: Option<Millis> = None;
        for (preference, code) in hall.counters[ci].services.iter().enumerate() {
            let Some(si) = hall.service_index(code) else {
                continue;
            };
            for (k, class) in classes.iter().enumerate() {
                let priority = priority[k];
                if let Some(&&QueueKey {
                    queued_at,
                    id: ticket,
                    ..
                }) = queues[si][k].peek()
                {
                    heads.push(Head {
                        ticket,
                        queued_at,
                        weight: class.weight,
                        priority,
                        preference,
                    });
                    sources.push(Source::Queue(si, k));
                } else if let Some(when) = next_arrival[si][k] {
                    let when = when.ceil() as Millis;
                    if when > intake_until {
                        continue;
                    }
                    if when <= at {
                        virtual_id -= 1;
                        heads.push(Head {
                            ticket: TicketId(virtual_id),
                            queued_at: when,
                            weight: class.weight,
                            priority,
                            preference,
                        });
                        sources.push(Source::Arrival(si, k));
                    } else {
                        wake = Some(wake.map_or(when, |w| w.min(when)));
                    }
                }
            }
        }
        let direct_head = direct[ci].peek().map(
            |&&QueueKey {
                 queued_at,
                 id: ticket,
                 ..
             }| {
                let (weight, priority) = (inputs.placement)(ticket)
                    .map(|(_, k)| (classes[k].weight, priority[k]))
                    .unwrap_or((0, false));
                Head {
                    ticket,
                    queued_at,
                    weight,
                    priority,
                    preference: 0,
                }
            },
        );
        let Some(ticket) = policy::select(
            &hall.policy,
            hall.counters[ci].service_order,
            busy.streak,
            direct_head,
            &heads,
            at,
        ) else {
            // Nothing for this counter yet: it waits for the next arrival.
            counters[ci] = wake.map(|w| Busy {
                free_at: w,
                streak: busy.streak,
            });
            continue;
        };
        if ticket == target {
            return Outcome::Called(at, calls);
        }
        calls += 1;
        let (si, k) = match heads.iter().position(|h| h.ticket == ticket) {
            Some(i) => match sources[i] {
                Source::Queue(si, k) => {
                    queues[si][k].next();
                    (si, k)
                }
                Source::Arrival(si, k) => {
                    let every = inputs.arrival_every_ms[si][k].unwrap_or(f64::INFINITY);
                    next_arrival[si][k] = next_arrival[si][k].map(|n| n + every);
                    (si, k)
                }
            },
            None => {
                direct[ci].next();
                (inputs.placement)(ticket).unwrap_or((0, 0))
            }
        };
        counters[ci] = Some(Busy {
            free_at: at + inputs.per_call_ms[si].round() as Millis,
            streak: if priority[k] { busy.streak + 1 } else { 0 },
        });
    }
    let last = counters
        .iter()
        .flatten()
        .map(|b| b.free_at)
        .min()
        .unwrap_or(inputs.now);
    Outcome::Beyond(last)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hall::{PolicyKind, fixtures};

    const MINUTE: Millis = 60_000;

    /// One normal ticket waits at service A; only counter 1 works, busy for
    /// 5 more minutes; calls take 10 minutes; a green-channel applicant
    /// arrives every minute; new tickets stop 90 s from now.
    #[test]
    fn no_one_arrives_in_the_dry_run_after_the_cut_off() {
        let hall = fixtures::hall(PolicyKind::Strict, None);
        let now = 1_000 * MINUTE;
        let target = TicketId(1);
        let key = QueueKey {
            queued_at: now - MINUTE,
            order: 1,
            after: 0,
            id: target,
        };
        let mut queues = vec![vec![BTreeSet::new(); 3]; 2];
        queues[0][0].insert(key);
        let direct = vec![BTreeSet::new(); 3];
        let placement = |_: TicketId| None;
        let mut arrivals = vec![vec![None; 3]; 2];
        arrivals[0][1] = Some(MINUTE as f64);
        let run = |intake_until: Millis| {
            let inputs = Inputs {
                hall: &hall,
                queues: &queues,
                direct: &direct,
                placement: &placement,
                counters: vec![
                    Some(Busy {
                        free_at: now + 5 * MINUTE,
                        streak: 0,
                    }),
                    None,
                    None,
                ],
                per_call_ms: vec![(10 * MINUTE) as f64; 2],
                arrival_every_ms: arrivals.clone(),
                plan: DayPlan {
                    serving: vec![],
                    intake_until: Some(intake_until),
                },
                now,
            };
            call_at(&inputs, target, 100)
        };
        // The one green ticket taken before the cut-off goes first (strict
        // policy, heavier class); nobody after it.
        assert_eq!(run(now + 90_000), Outcome::Called(now + 15 * MINUTE, 1));
        // Without a cut-off in reach, green tickets keep overtaking.
        assert!(matches!(run(now + 1000 * MINUTE), Outcome::Beyond(_)));
    }
}
