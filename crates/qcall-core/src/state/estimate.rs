//! The wait estimate of a waiting ticket: the state's side of the dry run
//! in [`crate::forecast`] (who works, how long a call takes, how often
//! people arrive), the rough count that stands in for it, and what the day
//! teaches both ([`Learned`]).
//!
//! # Honest, not hopeful
//! - A call costs its counter the whole time until the clerk's next call
//!   when someone was waiting: the service, and the gap before the next
//!   call (learned hall-wide, `Learned::gaps`). Counting only call to
//!   finish made every estimate short by the gaps.
//! - The dry run is deterministic; the hall is not. Each ticket's estimate
//!   carries a spread from the model (today's spread of service times for
//!   its service over the calls ahead of it per working counter, plus a
//!   floor for what the run does not model: pauses, clerks' speeds,
//!   no-shows) and becomes an 80% range around the point.
//! - The day checks both against what happened (`Learned::residuals`:
//!   each called ticket's actual wait against the raw dry run at its
//!   issue), each shrunk toward "no correction" while there are few, and
//!   taken from estimates of the same kind (about now, minutes, long
//!   waits) once there are enough of them:
//!   - the point moves by the day's median error over tickets that waited
//!     5 minutes or more (those are the ones a short estimate misleads);
//!   - the range's ends are the day's own 10th and 90th percentiles of
//!     error (in units of each estimate's spread) over every called
//!     ticket, so it holds four waits in five as they fall, also when
//!     they fall lopsided (a ticket a few calls from the front is often
//!     called far sooner than the point, seldom far later).
//! - A call running past its expected end is not about to finish: with
//!   service times this spread it has half a call left at least.
//!
//! It reads the state and changes nothing (the learning is `apply`'s, from
//! events, so replay rebuilds it); the dry run itself is pure.

use std::collections::{BTreeSet, HashMap, VecDeque};

use super::HallState;
use crate::event::CounterState;
use crate::forecast;
use jiff::tz::TimeZone;

use crate::hall::Text;
use crate::hours::{self, Cutoff};
use crate::ticket::{Ticket, TicketId, TicketState};
use crate::time::Millis;

/// z of the 10th and 90th percentiles: the range is an 80% interval.
const Z80: f64 = 1.2816;
/// Relative error of the dry run that the spread of service times does not
/// explain (pauses, clerk speeds, no-shows, arrivals that change).
const MODEL_ERROR: f64 = 0.22;
/// Spread (coefficient of variation) of service times before a service's
/// own calls say, and how many calls that guess counts as.
const CV_PRIOR: f64 = 0.6;
const CV_PRIOR_CALLS: f64 = 5.0;
/// Errors are measured in log((wait + OFFSET) / (estimate + OFFSET)), so a
/// wait of seconds against a minute is not "100% off".
const OFFSET_S: f64 = 60.0;
/// Only waits of at least this long teach the point's correction.
const LEARN_FROM_S: f64 = 300.0;
/// The range's ends count this many called tickets as "the model's"
/// (shrinkage), and the point's shift this many as "none".
const LEARN_PRIOR: f64 = 6.0;
const SHIFT_PRIOR: f64 = 20.0;
/// The range's ends are these quantiles of the day's errors: 8% and 92%,
/// a little wider than 10% and 90% because they are taken from calls
/// already made, on a day whose hardest hour may still be ahead.
const RANGE_TAIL: f64 = 0.08;
const RESIDUALS: usize = 240;
/// Raw estimates are of three kinds, each corrected by its own kind's
/// errors once there are `OWN_KIND_MIN` of them: about now (under
/// `NOW_WAIT_S`), minutes, and long waits (`LONG_WAIT_S` or more).
const NOW_WAIT_S: f64 = 120.0;
const LONG_WAIT_S: f64 = 900.0;
const OWN_KIND_MIN: usize = 8;
/// A pause between a finish and the next call longer than this is a
/// break, not a gap.
const GAP_MAX: Millis = 3 * 60_000;
const GAPS: usize = 40;
/// A call still running past its expected end has at least this share of
/// a call left.
const RUNNING_LONG: f64 = 0.5;

/// What the day teaches the estimate, kept by `apply` from events.
#[derive(Debug, Clone, Default)]
pub(super) struct Learned {
    /// Per counter index: when its last ticket ended, while it works on.
    released: HashMap<usize, Millis>,
    /// Ms from a finish to the next call while someone waited, newest last.
    gaps: VecDeque<f64>,
    /// Per waiting ticket: the raw dry run at issue (s) and its spread.
    raw: HashMap<TicketId, (f64, f64, bool)>,
    /// Per called ticket: how its raw estimate fared; newest last.
    residuals: VecDeque<Residual>,
}

/// A called ticket's raw estimate against its actual wait.
#[derive(Debug, Clone, Copy)]
struct Residual {
    /// The raw dry run at issue, seconds.
    raw: f64,
    /// log((actual + OFFSET) / (raw + OFFSET)).
    error: f64,
    /// `error` over the estimate's spread.
    z: f64,
    /// It waited `LEARN_FROM_S` or more: it teaches the point.
    long_wait: bool,
}

/// The day's correction of a raw estimate, in log units.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Correction {
    /// Of the point.
    shift: f64,
    /// Of the range's ends (at or below `shift`, at or above it).
    low: f64,
    high: f64,
}

/// Which kind of estimate a raw one is (see `NOW_WAIT_S`).
fn kind(raw: f64) -> u8 {
    u8::from(raw >= NOW_WAIT_S) + u8::from(raw >= LONG_WAIT_S)
}

/// The `p` quantile of sorted values.
fn quantile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

impl Learned {
    /// Counter `ci` finished (or let go of) its ticket at `at`.
    pub(super) fn released(&mut self, ci: usize, at: Millis) {
        self.released.insert(ci, at);
    }

    /// Counter `ci` stopped working (paused, closed): no gap until it calls.
    pub(super) fn stopped(&mut self, ci: usize) {
        self.released.remove(&ci);
    }

    /// Counter `ci` called a ticket queued at `queued_at`, issued at
    /// `issued_at`, at `at`.
    pub(super) fn called(
        &mut self,
        ci: usize,
        ticket: TicketId,
        queued_at: Millis,
        issued_at: Millis,
        at: Millis,
    ) {
        if let Some(free) = self.released.remove(&ci) {
            // Somebody was waiting since the finish: the clerk's gap.
            let gap = at - free.max(queued_at);
            if queued_at <= free && (0..=GAP_MAX).contains(&gap) {
                self.gaps.push_back(gap as f64);
                if self.gaps.len() > GAPS {
                    self.gaps.pop_front();
                }
            }
        }
        let actual = (at - issued_at).max(0) as f64 / 1000.0;
        if let Some((raw, spread, known)) = self.raw.remove(&ticket) {
            let error = ((actual + OFFSET_S) / (raw + OFFSET_S))
                .ln()
                .clamp(-3.0, 3.0);
            self.residuals.push_back(Residual {
                raw,
                error,
                z: error / spread.max(0.05),
                // Those who had a real wait teach the point, whatever they
                // were told: an applicant told "3 minutes" who waited 8
                // was misled, one told 10 who was called in 2 was not (a
                // short wait is said as "马上" anyway). So the point leans
                // long rather than short.
                long_wait: known && actual >= LEARN_FROM_S,
            });
            if self.residuals.len() > RESIDUALS {
                self.residuals.pop_front();
            }
        }
    }

    /// The ticket was estimated at issue: `raw` seconds, this spread.
    pub(super) fn issued(&mut self, ticket: TicketId, raw: f64, spread: f64, known: bool) {
        self.raw.insert(ticket, (raw, spread, known));
    }

    /// The ticket left the queue without a call (cancelled, transferred
    /// before any call): it teaches nothing.
    pub(super) fn forget(&mut self, ticket: TicketId) {
        self.raw.remove(&ticket);
    }

    /// Mean gap between a finish and the next call, ms.
    fn gap_ms(&self) -> f64 {
        if self.gaps.is_empty() {
            0.0
        } else {
            self.gaps.iter().sum::<f64>() / self.gaps.len() as f64
        }
    }

    /// The day's correction for a raw estimate of `raw` seconds with
    /// this spread: the point's from the errors of tickets that waited
    /// long enough to be misled, the range's ends from the errors of every
    /// called ticket, each of the raw estimate's own kind (the dry run
    /// errs differently on a wait of a minute, of minutes and of an hour)
    /// or of all while those are few, and shrunk toward the model (no
    /// shift, ends at ±`Z80` spreads) while there are few of either.
    fn correction(&self, raw: f64, spread: f64) -> Correction {
        let of_kind = |teaches: &dyn Fn(&Residual) -> bool| -> Vec<&Residual> {
            let all: Vec<&Residual> = self.residuals.iter().filter(|r| teaches(r)).collect();
            let own: Vec<&Residual> = all
                .iter()
                .copied()
                .filter(|r| kind(r.raw) == kind(raw))
                .collect();
            if own.len() >= OWN_KIND_MIN { own } else { all }
        };
        let shrunk = |seen: f64, n: usize, model: f64| {
            let n = n as f64;
            (seen * n + model * LEARN_PRIOR) / (n + LEARN_PRIOR)
        };
        let point = of_kind(&|r| r.long_wait);
        // Only ever longer: the dry run's own errors are not optimistic
        // once its time per call is today's, and shortening on a few
        // quick calls makes the point swing more than it gains.
        let shift = if point.is_empty() {
            0.0
        } else {
            let mut errors: Vec<f64> = point.iter().map(|r| r.error).collect();
            errors.sort_by(f64::total_cmp);
            let n = errors.len() as f64;
            (quantile(&errors, 0.5) * n / (n + SHIFT_PRIOR)).max(0.0)
        };
        let range = of_kind(&|_| true);
        let (low, high) = if range.is_empty() {
            (-Z80, Z80)
        } else {
            let mut z: Vec<f64> = range.iter().map(|r| r.z).collect();
            z.sort_by(f64::total_cmp);
            let n = z.len();
            (
                shrunk(quantile(&z, RANGE_TAIL), n, -Z80 + shift / spread),
                shrunk(quantile(&z, 1.0 - RANGE_TAIL), n, Z80 + shift / spread),
            )
        };
        Correction {
            shift,
            low: (low * spread).min(shift),
            high: (high * spread).max(shift),
        }
    }
}

/// A waiting ticket's estimate: the point and its 80% interval, seconds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Estimate {
    pub wait_s: u32,
    pub low_s: u32,
    pub high_s: u32,
    /// No counter that could call it is open: the figures assume one opens
    /// when serving (re)starts, which nobody can promise, so screens say so
    /// instead of a number.
    pub no_counter: Option<NoCounter>,
}

/// No counter open for a ticket's service.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NoCounter {
    /// When the hours say serving starts (before opening, over a break);
    /// `None` when they do not (counters closed inside the hours).
    pub opens_at: Option<Millis>,
}

/// A range whose upper end is at most this says "马上 / a few minutes":
/// minutes would be false precision.
pub const SHORT_WAIT_S: u32 = 300;

impl Estimate {
    /// The range as the kiosk, the slip, the phone page and text messages
    /// say it: "约 25-35 分钟" / "about 25-35 min", "6 分钟以内" / "within
    /// 6 min" when it may be any moment, "马上" / "a few minutes" for a
    /// short wait, or "暂无窗口办理" / "no counter open now" (and when
    /// service starts, if the hours say) instead of a number.
    pub fn words(&self, tz: &TimeZone) -> Text {
        if let Some(NoCounter { opens_at }) = self.no_counter {
            return match opens_at {
                Some(at) => {
                    let at = hours::clock(hours::local_minute(at, tz));
                    Text::new(
                        format!("暂无窗口办理，{at} 开始办理"),
                        format!("no counter open now; service starts at {at}"),
                    )
                }
                None => Text::new("暂无窗口办理", "no counter open now"),
            };
        }
        if self.high_s <= SHORT_WAIT_S {
            return Text::new("马上", "a few minutes");
        }
        let low = self.low_s / 60;
        let high = self.high_s.div_ceil(60);
        if low == 0 {
            Text::new(format!("{high} 分钟以内"), format!("within {high} min"))
        } else if low >= high {
            Text::new(format!("约 {high} 分钟"), format!("about {high} min"))
        } else {
            Text::new(
                format!("约 {low}-{high} 分钟"),
                format!("about {low}-{high} min"),
            )
        }
    }
}

/// The raw dry run of a ticket before the day's correction.
#[derive(Debug, Clone, Copy)]
pub(super) struct Raw {
    pub wait_s: f64,
    /// Relative spread (sigma of the log).
    pub spread: f64,
    pub no_counter: Option<NoCounter>,
}

/// How far off a configured average is taken to be (a relative error):
/// it counts as as many calls as it takes their mean to be that sure.
const PRIOR_ERROR: f64 = 0.3;
/// The configured averages, taken all together, count as this many calls
/// in the hall-wide ratio.
const PER_CALL_PRIOR: f64 = 3.0;
/// A call still running counts, in the time per call, as at most this
/// many times the service's mean so far.
const RUNNING_CAP: f64 = 3.0;
/// A service's estimates teach the point's correction once it has had
/// this many calls today.
const PER_CALL_KNOWN: f64 = 10.0;

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
    /// The estimate of a ticket, as of the last event: the point and its
    /// 80% range. Zero for a ticket no longer waiting.
    pub fn estimate(&self, id: TicketId) -> Estimate {
        // Just issued, and nothing since that could change it (the reply
        // to the kiosk, the event for the displays): the estimate made then.
        if let Some(&e) = self.fresh_estimates.get(&id) {
            return e;
        }
        self.raw_estimate(id)
            .map_or(Estimate::default(), |raw| self.corrected(raw))
    }

    /// Estimated seconds until the ticket is called: the point of
    /// [`HallState::estimate`].
    pub fn estimated_wait_s(&self, id: TicketId) -> u32 {
        self.estimate(id).wait_s
    }

    /// The raw estimate with the day's correction, as a point and range.
    pub(super) fn corrected(&self, raw: Raw) -> Estimate {
        let c = self.learned.correction(raw.wait_s, raw.spread);
        let at = |log: f64| {
            let s = (raw.wait_s + OFFSET_S) * log.exp() - OFFSET_S;
            s.max(0.0).round() as u32
        };
        Estimate {
            wait_s: at(c.shift),
            low_s: at(c.low),
            high_s: at(c.high),
            no_counter: raw.no_counter,
        }
    }

    /// The dry run of a waiting ticket (the `forecast` module) with its
    /// counters, its policy, its breaks, the measured time per call and the
    /// recent arrivals, and the spread the model gives it. `None` for a
    /// ticket not waiting.
    pub(super) fn raw_estimate(&self, id: TicketId) -> Option<Raw> {
        let t = self.tickets.get(&id)?;
        // A remote ticket: when it would be called once its applicant is here.
        if !matches!(t.state, TicketState::Waiting | TicketState::Remote) {
            return None;
        }
        let si = self.hall.service_index(&t.service)?;
        let now = self.last_at;
        let waiting: usize = self
            .queues
            .iter()
            .flatten()
            .map(BTreeSet::len)
            .sum::<usize>()
            + self.direct.iter().map(BTreeSet::len).sum::<usize>();
        let plan = self.hall.schedule.day_at(now, &self.hall.tz);
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
        let no_counter = callers
            .iter()
            .all(|&ci| self.counters[ci].state == CounterState::Closed)
            .then(|| {
                let starts = plan.resume_at(now);
                NoCounter {
                    opens_at: (starts > now).then_some(starts),
                }
            });
        let rough = || Raw {
            wait_s: f64::from(self.rough_wait_s(t, si)),
            spread: (CV_PRIOR * CV_PRIOR + MODEL_ERROR * MODEL_ERROR).sqrt(),
            no_counter,
        };
        if waiting > FORECAST_MAX_WAITING {
            return Some(rough());
        }
        let per_call_ms = self.per_call_ms_all();
        let mut counters = self.working_counters(now, &per_call_ms);
        // Nobody works who could call it (before opening, everyone on a
        // break, its counter closed): its counters come when serving starts.
        if callers.iter().all(|&ci| counters[ci].is_none()) {
            for &ci in &callers {
                counters[ci] = Some(forecast::Busy {
                    free_at: plan.resume_at(now),
                    streak: 0,
                });
            }
        }
        let working = counters.iter().flatten().count().max(1);
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
            forecast::Outcome::Called(at, calls) => {
                // Calls ahead per working counter, the one in progress
                // counting as one: over more calls the spread averages out.
                let rounds = (calls as f64 / working as f64 + 1.0).max(1.0);
                let cv = self.service_cv(si);
                Some(Raw {
                    wait_s: (at - now).max(0) as f64 / 1000.0,
                    spread: (cv * cv / rounds + MODEL_ERROR * MODEL_ERROR).sqrt(),
                    no_counter,
                })
            }
            forecast::Outcome::Beyond(at) => Some(Raw {
                wait_s: (at - now).max(0) as f64 / 1000.0,
                spread: rough().spread,
                no_counter,
            }),
            forecast::Outcome::Never => Some(rough()),
        }
    }

    /// With `[hours] cutoff = "forecast"`: `Some(limit)` when a new ticket
    /// of `service` would no longer be served by `limit` (the day's last
    /// closing plus `extended_minutes`) by the upper end of the range of
    /// the newest ticket waiting for it, plus one call. `None` while it
    /// would, with a fixed cut-off, or with hours not enforced.
    pub fn queue_full(&self, service: &str, now: Millis) -> Option<Millis> {
        let schedule = self.hall.schedule_of(service);
        let Cutoff::Forecast { extended_minutes } = schedule.cutoff else {
            return None;
        };
        if !self.hall.hours_enforced {
            return None;
        }
        let close = schedule.day_at(now, &self.hall.tz).serving.last()?.1;
        let limit = close + Millis::from(extended_minutes) * 60_000;
        let si = self.hall.service_index(service)?;
        // Nobody waits: a new ticket is the next one.
        self.queues[si]
            .iter()
            .any(|q| !q.is_empty())
            .then_some(())?;
        let served_by = now + Millis::from(self.estimate_new(service).high_s) * 1000;
        (served_by > limit).then_some(limit)
    }

    /// The estimate for an ordinary ticket of `service` taken now, as the
    /// kiosk shows it before anyone takes one: the newest ticket waiting
    /// for it plus one call shared by the counters serving it (a new
    /// ticket queues behind the newest), or, with nobody waiting, now at an
    /// idle counter and within one call otherwise.
    pub fn estimate_new(&self, service: &str) -> Estimate {
        let Some(si) = self.hall.service_index(service) else {
            return Estimate::default();
        };
        let serving: Vec<usize> = self
            .hall
            .counters_serving(service)
            .filter_map(|c| self.hall.counter_index(&c.id))
            .collect();
        let state = |ci: &usize| self.counters[*ci].state;
        let working = serving
            .iter()
            .filter(|ci| !matches!(state(ci), CounterState::Closed | CounterState::Paused))
            .count();
        let call_s = (self.per_call_ms(si) / working.max(1) as f64 / 1000.0).round() as u32;
        let queues = &self.queues[si];
        let newest = self
            .hall
            .class_index(&self.hall.default_class)
            .and_then(|k| queues[k].last())
            .or_else(|| queues.iter().filter_map(|q| q.last()).max());
        if let Some(newest) = newest {
            let e = self.estimate(newest.id);
            return Estimate {
                wait_s: e.wait_s + call_s,
                low_s: e.low_s + call_s / 2,
                high_s: e.high_s + call_s,
                no_counter: e.no_counter,
            };
        }
        let now = self.last_at;
        let no_counter = serving
            .iter()
            .all(|ci| state(ci) == CounterState::Closed)
            .then(|| {
                let starts = self.hall.schedule.day_at(now, &self.hall.tz).resume_at(now);
                NoCounter {
                    opens_at: (starts > now).then_some(starts),
                }
            });
        let idle = serving.iter().any(|ci| state(ci) == CounterState::Idle);
        Estimate {
            wait_s: if idle { 0 } else { call_s / 2 },
            low_s: 0,
            high_s: if idle { 0 } else { call_s },
            no_counter,
        }
    }

    /// Whether a service's time per call comes from today's calls alone:
    /// only then do the dry run's errors teach the correction (errors made
    /// on the configured average are already being unlearned).
    pub(super) fn knows_its_calls(&self, service: &str) -> bool {
        self.hall
            .service_index(service)
            .is_some_and(|si| self.per_call[si].len() as f64 >= PER_CALL_KNOWN)
    }

    /// Today's spread of a service's time per call (coefficient of
    /// variation), starting from a guess until its calls say.
    fn service_cv(&self, si: usize) -> f64 {
        let samples = &self.per_call[si];
        let n = samples.len() as f64;
        if n < 2.0 {
            return CV_PRIOR;
        }
        let mean = samples.iter().sum::<f64>() / n;
        let var = samples.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0);
        let cv = if mean > 0.0 {
            var.sqrt() / mean
        } else {
            CV_PRIOR
        };
        (cv * n + CV_PRIOR * CV_PRIOR_CALLS) / (n + CV_PRIOR_CALLS)
    }

    /// Each counter's state for the dry run: `None` when closed or paused,
    /// else when it is next free (now when idle; when its current
    /// applicant is likely done, at least half a call away: service times
    /// spread wide, and a call that has run long tends to run longer).
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
                            Some(done.max(now + (per_call * RUNNING_LONG) as Millis))
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
    /// recent calls (those still running counted for as long as they have
    /// run) plus the clerks' mean gap before the next call, drawn toward
    /// the configured average times how the whole hall runs against its
    /// averages today ([`HallState::hall_ratio`]) while its own calls are
    /// few: a wrong setting must not bias the estimate all day, nor a
    /// handful of calls swing it.
    fn per_call_ms(&self, si: usize) -> f64 {
        self.per_call_ms_at(si, self.hall_ratio())
    }

    /// Every service's time per call, the hall-wide ratio worked out once.
    fn per_call_ms_all(&self) -> Vec<f64> {
        let ratio = self.hall_ratio();
        (0..self.hall.services.len())
            .map(|si| self.per_call_ms_at(si, ratio))
            .collect()
    }

    /// [`HallState::per_call_ms`] with the hall-wide ratio given.
    fn per_call_ms_at(&self, si: usize, hall_ratio: f64) -> f64 {
        let prior = f64::from(self.hall.services[si].avg_service_s) * 1000.0 * hall_ratio;
        let samples = &self.per_call[si];
        let n = samples.len() as f64;
        // The prior counts as many calls as it takes their mean to be as
        // sure as the prior is (`PRIOR_ERROR`): more when calls vary more.
        let cv = self.service_cv(si);
        let prior_weight = (cv * cv / (PRIOR_ERROR * PRIOR_ERROR)).clamp(1.0, 10.0);
        let done = prior * prior_weight + samples.iter().sum::<f64>();
        let running = self.running_ms(si, RUNNING_CAP * done / (prior_weight + n));
        let service = (done + running) / (prior_weight + n);
        service + self.learned.gap_ms()
    }

    /// How the day's calls compare with the configured averages, over
    /// every service: slower or faster all round (new staff, a system
    /// that is slow today, averages guessed at set-up) shows in a service
    /// before its own calls can say.
    fn hall_ratio(&self) -> f64 {
        let (mut took, mut configured) = (0.0, 0.0);
        for (si, samples) in self.per_call.iter().enumerate() {
            let avg = f64::from(self.hall.services[si].avg_service_s) * 1000.0;
            took += samples.iter().sum::<f64>() + self.running_ms(si, RUNNING_CAP * avg);
            configured += avg * samples.len() as f64;
        }
        // The configured averages count as `PER_CALL_PRIOR` calls' worth.
        let services = self.hall.services.len().max(1) as f64;
        let mean_avg = f64::from(
            self.hall
                .services
                .iter()
                .map(|s| s.avg_service_s)
                .sum::<u32>(),
        ) * 1000.0
            / services;
        let prior = PER_CALL_PRIOR * mean_avg;
        ((took + prior) / (configured + prior)).clamp(0.25, 4.0)
    }

    /// How long the calls of service `si` now at a counter have run so
    /// far, each up to `cap_ms`. They are calls at least that long: the
    /// calls that end first are the short ones, so early in a busy day
    /// the finished calls alone say calls are shorter than they are. The
    /// cap keeps a call left open by mistake from making every call of
    /// the service look that long.
    fn running_ms(&self, si: usize, cap_ms: f64) -> f64 {
        let now = self.last_at;
        self.counters
            .iter()
            .filter(|rt| matches!(rt.state, CounterState::Calling | CounterState::Serving))
            .filter_map(|rt| self.tickets.get(&rt.current?))
            .filter(|t| self.hall.service_index(&t.service) == Some(si))
            .filter_map(|t| t.called_at)
            .map(|called| ((now - called).max(0) as f64).min(cap_ms))
            .sum()
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
