//! The wait estimate of a waiting ticket: the state's side of the dry run
//! in [`crate::forecast`] (who works, how long a call takes, how often
//! people arrive) and the rough count that stands in for it.
//!
//! It reads the state and changes nothing; the dry run itself is pure.

use std::collections::BTreeSet;

use super::HallState;
use crate::event::CounterState;
use crate::forecast;
use crate::ticket::{Ticket, TicketId, TicketState};
use crate::time::Millis;

/// The configured average counts as this many calls at first, less with
/// each real call, and not at all after `PER_CALL_FADE` of them.
const PER_CALL_PRIOR: f64 = 3.0;
const PER_CALL_FADE: f64 = 10.0;

/// Arrivals are counted over this window for the arrival rate, and over at
/// least `ARRIVAL_WINDOW_MIN` early in the day.
pub(super) const ARRIVAL_WINDOW: Millis = 60 * 60_000;
const ARRIVAL_WINDOW_MIN: Millis = 15 * 60_000;

/// The dry run that estimates a wait stops after this many calls; with
/// more tickets than `FORECAST_MAX_WAITING` waiting (far beyond a hall's
/// day) a count of tickets ahead replaces it, so a flood costs little.
const FORECAST_MAX_STEPS: usize = 4000;
const FORECAST_MAX_WAITING: usize = 1000;

impl HallState {
    /// Estimated seconds until the ticket is called, as of the last event:
    /// a dry run of the hall (the `forecast` module) with its counters, its
    /// policy, its breaks, the measured time per call and the recent
    /// arrivals. Zero for a ticket no longer waiting.
    pub fn estimated_wait_s(&self, id: TicketId) -> u32 {
        let Some(t) = self.tickets.get(&id) else {
            return 0;
        };
        // A remote ticket: when it would be called once its applicant is here.
        if !matches!(t.state, TicketState::Waiting | TicketState::Remote) {
            return 0;
        }
        let Some(si) = self.hall.service_index(&t.service) else {
            return 0;
        };
        // Just issued, and nothing since that could change it (the reply
        // to the kiosk, the event for the displays): the estimate made then.
        if let Some(&wait) = self.fresh_estimates.get(&id) {
            return wait;
        }
        let now = self.last_at;
        let waiting: usize = self
            .queues
            .iter()
            .flatten()
            .map(BTreeSet::len)
            .sum::<usize>()
            + self.direct.iter().map(BTreeSet::len).sum::<usize>();
        if waiting > FORECAST_MAX_WAITING {
            return self.rough_wait_s(t, si);
        }
        let plan = self.hall.schedule.day_at(now, &self.hall.tz);
        let per_call_ms: Vec<f64> = (0..self.hall.services.len())
            .map(|si| self.per_call_ms(si))
            .collect();
        let mut counters = self.working_counters(now, &per_call_ms);
        // Nobody works who could call it (before opening, everyone on a
        // break, its counter closed): its counters come when serving starts.
        let callers: Vec<usize> = match t
            .target_counter
            .as_deref()
            .and_then(|c| self.hall.counter_index(c))
        {
            Some(ci) => vec![ci],
            None => self
                .hall
                .counters_serving(&t.service)
                .filter_map(|c| self.hall.counter_index(&c.id))
                .collect(),
        };
        if callers.iter().all(|&ci| counters[ci].is_none()) {
            for &ci in &callers {
                counters[ci] = Some(forecast::Busy {
                    free_at: plan.resume_at(now),
                    streak: 0,
                });
            }
        }
        let placement = |ticket: TicketId| {
            let t = self.tickets.get(&ticket)?;
            Some((
                self.hall.service_index(&t.service)?,
                self.hall.class_index(&t.class)?,
            ))
        };
        let inputs = forecast::Inputs {
            hall: &self.hall,
            queues: &self.queues,
            direct: &self.direct,
            placement: &placement,
            counters,
            per_call_ms,
            arrival_every_ms: self.arrival_every_ms(now),
            plan,
            now,
        };
        match forecast::call_at(&inputs, id, FORECAST_MAX_STEPS) {
            forecast::Outcome::Called(at) | forecast::Outcome::Beyond(at) => {
                ((at - now).max(0) as f64 / 1000.0).round() as u32
            }
            forecast::Outcome::Never => self.rough_wait_s(t, si),
        }
    }

    /// Each counter's state for the dry run: `None` when closed or paused,
    /// else when it is next free (now when idle; when its current
    /// applicant is likely done, at least a quarter of a call away).
    fn working_counters(&self, now: Millis, per_call_ms: &[f64]) -> Vec<Option<forecast::Busy>> {
        self.counters
            .iter()
            .map(|rt| {
                let free_at = match rt.state {
                    CounterState::Closed | CounterState::Paused => return None,
                    CounterState::Idle => now,
                    CounterState::Calling | CounterState::Serving => rt
                        .current
                        .and_then(|c| self.tickets.get(&c))
                        .and_then(|c| {
                            let per_call = per_call_ms[self.hall.service_index(&c.service)?];
                            let done = c.called_at? + per_call as Millis;
                            Some(done.max(now + (per_call / 4.0) as Millis))
                        })
                        .unwrap_or(now),
                };
                Some(forecast::Busy {
                    free_at,
                    streak: rt.streak,
                })
            })
            .collect()
    }

    /// Per (service, class): ms between arrivals over the last hour (or
    /// since the day's first ticket, at least 15 minutes), `None` if none.
    fn arrival_every_ms(&self, now: Millis) -> Vec<Vec<Option<f64>>> {
        let window = ARRIVAL_WINDOW
            .min(now - self.first_issue.unwrap_or(now))
            .max(ARRIVAL_WINDOW_MIN) as f64;
        self.arrivals
            .iter()
            .map(|per_class| {
                per_class
                    .iter()
                    .map(|times| {
                        let recent = times
                            .iter()
                            .filter(|&&at| at > now - ARRIVAL_WINDOW)
                            .count();
                        (recent > 0).then(|| window / recent as f64)
                    })
                    .collect()
            })
            .collect()
    }

    /// How long a call of service `si` keeps a counter: the mean of its
    /// recent calls. The configured average stands in for the first few
    /// calls of the day, then fades out: a wrong setting must not bias the
    /// estimate all day.
    fn per_call_ms(&self, si: usize) -> f64 {
        let prior = f64::from(self.hall.services[si].avg_service_s) * 1000.0;
        let samples = &self.per_call[si];
        let n = samples.len() as f64;
        let prior_weight = (PER_CALL_PRIOR * (1.0 - n / PER_CALL_FADE)).max(0.0);
        (prior * prior_weight + samples.iter().sum::<f64>()) / (prior_weight + n).max(1.0)
    }

    /// The estimate without a dry run, for a queue far longer than a day
    /// or one no counter serves: every open counter that serves the service
    /// (at least one, once it opens) takes one ticket ahead per call.
    fn rough_wait_s(&self, t: &Ticket, si: usize) -> u32 {
        let open = self
            .hall
            .counters_serving(&t.service)
            .filter_map(|c| self.hall.counter_index(&c.id))
            .filter(|&ci| {
                !matches!(
                    self.counters[ci].state,
                    CounterState::Closed | CounterState::Paused
                )
            })
            .count()
            .max(1);
        let until_open = self
            .hall
            .schedule
            .until_serving(self.last_at, &self.hall.tz)
            .unwrap_or(0);
        let rounds = f64::from(self.ahead(t.id) / open as u32);
        ((until_open as f64 + rounds * self.per_call_ms(si)) / 1000.0).round() as u32
    }
}
