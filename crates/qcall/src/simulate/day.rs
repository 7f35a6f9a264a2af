//! One simulated day: applicants and clerks that behave like people, not
//! like the estimator's model of them, driven through the real engine.
//!
//! What a [`Shape`] varies is exactly what the wait estimate does not
//! assume: arrival peaks, a wide spread of service times whose true means
//! differ from the configured `avg_service_minutes`, clerks of different
//! speeds, a gap between finishing one applicant and calling the next,
//! unplanned pauses, no-shows and counters that open late. The hall itself
//! (services, counters, hours, cut-off) comes from the config; only the
//! service mix can be given on the command line.
//!
//! It starts the engine with no publishers: no printer, speaker or network
//! is touched, whatever the config says about them.

use std::sync::Arc;

use anyhow::Context;
use qcall_core::{Command, CounterAction, Hall, Millis, Ticket, TicketId, TicketState};
use qcall_engine::ManualClock;
use qcall_store::Store;

use super::remote::Remote;

pub(super) const MINUTE: Millis = 60_000;

/// A kind of day. Every field is something real halls do and the
/// estimator does not model.
#[derive(Debug, Clone, Copy)]
pub struct Shape {
    pub name: &'static str,
    pub about: &'static str,
    /// Applicants over the day; 0: `--tickets`.
    pub tickets: usize,
    /// Arrival rate multipliers over local clock ranges (minute of day).
    pub peaks: &'static [(i64, i64, f64)],
    /// Spread (sigma of the log) of service times.
    pub sigma: f64,
    /// Each service's true mean is its configured one times a factor drawn
    /// from [1 - e, 1 + e] per day.
    pub mean_error: f64,
    /// Seconds between finishing one applicant and calling the next.
    pub gap_s: (f64, f64),
    /// Each clerk works at a speed drawn from [1 - s, 1 + s].
    pub clerk_spread: f64,
    /// Unplanned ten-minute pauses per counter.
    pub pauses: u32,
    /// Share of applicants who never come when called.
    pub no_show: f64,
    /// Share of counters that open 15-45 minutes late.
    pub late: f64,
    /// Share of applicants in the green channel.
    pub green: f64,
    /// Not looked at while the estimator was developed.
    pub held_out: bool,
}

/// The day shapes `--sweep` runs. `peak` is the day the estimate was found
/// wanting on; it and `afternoon` were held out while tuning.
pub const SHAPES: &[Shape] = &[
    Shape {
        name: "committed",
        about: "the committed sample day: two peaks, sigma 0.45, 3% no-shows, clerks call the instant they are free",
        tickets: 0,
        peaks: &[(9 * 60, 11 * 60, 1.6), (14 * 60, 16 * 60, 1.3)],
        sigma: 0.45,
        mean_error: 0.0,
        gap_s: (0.0, 0.0),
        clerk_spread: 0.0,
        pauses: 0,
        no_show: 0.03,
        late: 0.0,
        green: 0.14,
        held_out: false,
    },
    Shape {
        name: "calm",
        about: "a calm day: sigma 0.3, true means as configured, no pauses or no-shows, short gaps",
        tickets: 380,
        peaks: &[],
        sigma: 0.3,
        mean_error: 0.0,
        gap_s: (5.0, 15.0),
        clerk_spread: 0.1,
        pauses: 0,
        no_show: 0.0,
        late: 0.0,
        green: 0.12,
        held_out: false,
    },
    Shape {
        name: "gaps",
        about: "slow clerks between applicants: 20-60 s gaps, speeds ±30%, sigma 0.45, 3% no-shows",
        tickets: 380,
        peaks: &[(9 * 60, 11 * 60, 1.5)],
        sigma: 0.45,
        mean_error: 0.2,
        gap_s: (20.0, 60.0),
        clerk_spread: 0.3,
        pauses: 0,
        no_show: 0.03,
        late: 0.0,
        green: 0.12,
        held_out: false,
    },
    Shape {
        name: "wrong-means",
        about: "configured averages off by up to 50%, sigma 0.5, 20% green channel, 8% no-shows",
        tickets: 380,
        peaks: &[(9 * 60 + 30, 11 * 60, 1.5)],
        sigma: 0.5,
        mean_error: 0.5,
        gap_s: (5.0, 30.0),
        clerk_spread: 0.15,
        pauses: 0,
        no_show: 0.08,
        late: 0.0,
        green: 0.2,
        held_out: false,
    },
    Shape {
        name: "late",
        about: "half the counters open late, two ten-minute pauses per counter, sigma 0.6",
        tickets: 380,
        peaks: &[(9 * 60, 10 * 60 + 30, 1.8)],
        sigma: 0.6,
        mean_error: 0.3,
        gap_s: (5.0, 30.0),
        clerk_spread: 0.2,
        pauses: 2,
        no_show: 0.05,
        late: 0.5,
        green: 0.12,
        held_out: false,
    },
    Shape {
        name: "peak",
        about: "the reported day: 2.5x arrivals 9:00-10:30 and an afternoon bump, sigma 0.7, means off by up to 50%, \
                12% green, 5% no-shows, one pause per counter, gaps, a late counter",
        tickets: 380,
        peaks: &[
            (9 * 60, 10 * 60 + 30, 2.5),
            (14 * 60 + 30, 15 * 60 + 30, 1.5),
        ],
        sigma: 0.7,
        mean_error: 0.5,
        gap_s: (10.0, 40.0),
        clerk_spread: 0.2,
        pauses: 1,
        no_show: 0.05,
        late: 0.15,
        green: 0.12,
        held_out: true,
    },
    Shape {
        name: "afternoon",
        about: "a quiet morning and a 2x afternoon rush 13:30-15:00, sigma 0.7, means off by up to 30%, 5% no-shows",
        tickets: 380,
        peaks: &[(8 * 60 + 30, 10 * 60, 0.6), (13 * 60 + 30, 15 * 60, 2.0)],
        sigma: 0.7,
        mean_error: 0.3,
        gap_s: (5.0, 45.0),
        clerk_spread: 0.25,
        pauses: 1,
        no_show: 0.05,
        late: 0.0,
        green: 0.12,
        held_out: true,
    },
];

pub fn shape(name: &str) -> anyhow::Result<&'static Shape> {
    SHAPES.iter().find(|s| s.name == name).with_context(|| {
        let names: Vec<&str> = SHAPES.iter().map(|s| s.name).collect();
        format!("no day shape {name:?}: use one of {}", names.join(", "))
    })
}

/// A small deterministic generator (xorshift64*), enough for a simulation.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Uniform in [0, 1).
    pub fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }

    fn between(&mut self, (low, high): (f64, f64)) -> f64 {
        low + (high - low) * self.unit()
    }

    /// Log-normal with the given mean and spread (sigma of the log).
    fn lognormal(&mut self, mean: f64, sigma: f64) -> f64 {
        let (u1, u2) = (self.unit().max(1e-12), self.unit());
        let z = (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos();
        mean * (sigma * z - sigma * sigma / 2.0).exp()
    }

    fn pick<'a, T>(&mut self, weighted: &'a [(T, f64)]) -> &'a T {
        let total: f64 = weighted.iter().map(|(_, w)| w).sum();
        let mut x = self.unit() * total;
        for (item, w) in weighted {
            if x < *w {
                return item;
            }
            x -= w;
        }
        &weighted[weighted.len() - 1].0
    }
}

/// What a simulated day is asked to do.
pub struct Plan<'a> {
    pub hall: Arc<Hall>,
    pub shape: &'a Shape,
    pub seed: u64,
    pub midnight: Millis,
    pub tickets: usize,
    /// Service codes and their share of applicants.
    pub mix: Vec<(String, f64)>,
}

/// What the kiosk told an applicant when the ticket was taken.
#[derive(Debug, Clone)]
pub struct Issued {
    pub id: TicketId,
    pub wait_s: u32,
    pub range_s: (u32, u32),
}

/// A simulated day's outcome.
pub struct Day {
    pub tickets: Vec<Ticket>,
    pub issued: Vec<Issued>,
    pub refused: usize,
    /// Configured averages were scaled by this to fit the day in the hall.
    pub scale: f64,
}

/// How a call in progress ends.
#[derive(Debug, Clone, Copy)]
enum Ending {
    Finish(Option<u8>),
    NoShow,
}

/// A clerk at a counter.
#[derive(Debug, Clone, Copy)]
enum Clerk {
    /// Ready to call from this instant (when the counter works).
    Free(Millis),
    /// With an applicant until then.
    Busy(Millis, Ending),
    /// Away (an unplanned pause) until then.
    Away(Millis),
}

/// The share of each service when `--mix` does not say: what the config's
/// counters are staffed for, each counter's first service counting 1, its
/// second 1/2..., over the service's configured time.
pub fn default_mix(hall: &Hall) -> Vec<(String, f64)> {
    hall.services
        .iter()
        .map(|s| {
            let staffed: f64 = hall
                .counters
                .iter()
                .filter_map(|c| c.services.iter().position(|x| x == &s.code))
                .map(|p| 1.0 / (p + 1) as f64)
                .sum();
            (s.code.clone(), staffed / f64::from(s.avg_service_s.max(1)))
        })
        .filter(|(_, w)| *w > 0.0)
        .collect()
}

/// Runs one day; with `remote`, a share of its applicants take their
/// ticket from home instead of walking in (see [`super::remote`]).
pub async fn run(plan: Plan<'_>, mut remote: Option<&mut Remote>) -> anyhow::Result<Day> {
    let Plan {
        hall,
        shape,
        seed,
        midnight,
        tickets,
        mix,
    } = plan;
    let mut rng = Rng::new(seed);
    let day_plan = hall.schedule.day_at(midnight + 12 * 60 * MINUTE, &hall.tz);
    let (Some(&(opening, _)), Some(&(_, closing))) =
        (day_plan.serving.first(), day_plan.serving.last())
    else {
        anyhow::bail!("the hall does not serve on the simulated day: pick another --date");
    };
    let intake_until = day_plan
        .intake_until
        .unwrap_or(closing)
        .max(opening + MINUTE);
    let working =
        |t: Millis| t >= closing || day_plan.serving.iter().any(|&(o, c)| (o..c).contains(&t));
    let local_minute = |t: Millis| (t - midnight) / MINUTE;

    // Arrivals: thinning against the intensity profile, from half an hour
    // before opening to the cut-off; fewer over breaks.
    let intensity = |t: Millis| -> f64 {
        let base = if working(t) && t < closing {
            1.0
        } else if t < opening {
            0.3
        } else {
            0.25
        };
        let m = local_minute(t);
        shape
            .peaks
            .iter()
            .filter(|(from, to, _)| (*from..*to).contains(&m))
            .fold(base, |f, (_, _, x)| f * x)
    };
    let peak = shape
        .peaks
        .iter()
        .fold(1.0f64, |f, (_, _, x)| f * x.max(1.0));
    let first = opening - 30 * MINUTE;
    let mut arrivals = Vec::with_capacity(tickets);
    while arrivals.len() < tickets {
        let t = first + (rng.unit() * (intake_until - first) as f64) as Millis;
        if rng.unit() * peak < intensity(t) {
            arrivals.push(t);
        }
    }
    arrivals.sort_unstable();

    let green: Vec<(Option<String>, f64)> = hall
        .classes
        .iter()
        .filter(|c| c.green)
        .map(|c| (Some(c.id.clone()), 1.0))
        .collect();

    // True service times: configured, scaled so the counters can serve the
    // day (about 92% busy at most), then off by the day's error per service.
    let weight_sum: f64 = mix.iter().map(|(_, w)| w).sum();
    let configured = |code: &str| {
        hall.service(code)
            .map_or(300.0, |s| f64::from(s.avg_service_s))
    };
    let configured_mean: f64 = mix
        .iter()
        .map(|(code, w)| w / weight_sum * configured(code))
        .sum();
    let serving_s: f64 = day_plan
        .serving
        .iter()
        .map(|(o, c)| (c - o) as f64 / 1000.0)
        .sum();
    let capacity = hall.counters.len() as f64 * serving_s * 0.92;
    let scale = (capacity / (tickets as f64 * configured_mean)).min(1.0);
    let true_mean: Vec<(String, f64)> = hall
        .services
        .iter()
        .map(|s| {
            let error = 1.0 + shape.mean_error * (2.0 * rng.unit() - 1.0);
            (s.code.clone(), f64::from(s.avg_service_s) * scale * error)
        })
        .collect();
    let mean_of = |code: &str| {
        true_mean
            .iter()
            .find(|(c, _)| c == code)
            .map_or(300.0, |(_, m)| *m)
    };

    // The clerks: speed, when they first open, when they step away.
    let counters: Vec<String> = hall.counters.iter().map(|c| c.id.clone()).collect();
    let speed: Vec<f64> = counters
        .iter()
        .map(|_| 1.0 + shape.clerk_spread * (2.0 * rng.unit() - 1.0))
        .collect();
    let mut clerks: Vec<Clerk> = counters
        .iter()
        .map(|_| {
            let late = if rng.unit() < shape.late {
                rng.between((15.0, 45.0)) as Millis * MINUTE
            } else {
                0
            };
            Clerk::Free(opening + late)
        })
        .collect();
    let mut pauses: Vec<Vec<Millis>> = counters
        .iter()
        .map(|_| {
            let mut at: Vec<Millis> = (0..shape.pauses)
                .map(|_| opening + (rng.unit() * (closing - opening) as f64) as Millis)
                .collect();
            at.sort_unstable();
            at.reverse();
            at
        })
        .collect();

    let dir = tempfile::tempdir()?;
    let clock = Arc::new(ManualClock::new(first));
    let (engine, join) = qcall_engine::start(
        hall.clone(),
        Store::open(&dir.path().join("simulated.db"))?,
        clock.clone(),
        vec![],
    )?;
    let exec = |cmd: Command| {
        let engine = engine.clone();
        async move { engine.execute(cmd).await }
    };
    let counter_cmd = |counter: &str, action: CounterAction| Command::Counter {
        counter: counter.into(),
        action,
    };

    let mut issued = Vec::with_capacity(tickets);
    let mut refused = 0usize;
    let mut next_arrival = 0;
    let mut now = first;
    loop {
        clock.set(now);
        while next_arrival < arrivals.len() && arrivals[next_arrival] <= now {
            let service = rng.pick(&mix).clone();
            let class = if !green.is_empty() && rng.unit() < shape.green {
                rng.pick(&green).clone()
            } else {
                None
            };
            if let Some(r) = remote.as_deref_mut()
                && r.take(&engine, next_arrival, &service, now).await?
            {
                next_arrival += 1;
                continue;
            }
            let cmd = Command::Issue {
                service,
                class,
                source: Some("kiosk-1".into()),
            };
            match exec(cmd).await {
                Ok(reply) => {
                    if let Some(v) = reply.ticket {
                        issued.push(Issued {
                            id: v.ticket.id,
                            wait_s: v.estimated_wait_s,
                            range_s: v.estimated_wait_range_s,
                        });
                    }
                }
                Err(qcall_engine::EngineError::Rejected(_)) => refused += 1,
                Err(e) => return Err(e).context("issuing a simulated ticket"),
            }
            next_arrival += 1;
        }
        if let Some(r) = remote.as_deref_mut() {
            r.arrivals_due(&engine, now).await?;
        }
        let mut called_any = false;
        for (ci, c) in counters.iter().enumerate() {
            if let Clerk::Busy(until, ending) = clerks[ci]
                && until <= now
            {
                let action = match ending {
                    Ending::Finish(rating) => CounterAction::Finish {
                        rating,
                        reason: rating.filter(|r| *r <= 2).map(|_| "simulated".into()),
                    },
                    Ending::NoShow => CounterAction::NoShow,
                };
                exec(counter_cmd(c, action))
                    .await
                    .with_context(|| format!("ending the call at counter {c}"))?;
                let gap = (rng.between(shape.gap_s) * 1000.0) as Millis;
                clerks[ci] = Clerk::Free(now + gap);
                if pauses[ci].last().is_some_and(|&p| p <= now) && now < closing {
                    pauses[ci].pop();
                    exec(counter_cmd(c, CounterAction::Pause))
                        .await
                        .with_context(|| format!("pausing counter {c}"))?;
                    clerks[ci] = Clerk::Away(now + 10 * MINUTE);
                }
            }
            if let Clerk::Away(until) = clerks[ci]
                && until <= now
            {
                exec(counter_cmd(c, CounterAction::Resume))
                    .await
                    .with_context(|| format!("resuming counter {c}"))?;
                clerks[ci] = Clerk::Free(now);
            }
            let Clerk::Free(ready) = clerks[ci] else {
                continue;
            };
            if ready > now || !working(now) {
                continue;
            }
            let reply = exec(counter_cmd(c, CounterAction::CallNext)).await?;
            let Some(view) = reply.ticket else { continue };
            called_any = true;
            if rng.unit() < shape.no_show {
                // Never came: the clerk waits a minute or three, then moves on.
                let wait = (rng.between((60.0, 180.0)) * 1000.0) as Millis;
                clerks[ci] = Clerk::Busy(now + wait, Ending::NoShow);
                continue;
            }
            exec(counter_cmd(c, CounterAction::Start))
                .await
                .with_context(|| format!("starting at counter {c}"))?;
            let mean = mean_of(&view.ticket.service) * speed[ci];
            let service_ms =
                (rng.lognormal(mean, shape.sigma) * 1000.0).clamp(30_000.0, 6.0 * mean * 1000.0);
            // The rating pad: most rate, most are content.
            let rating = if rng.unit() < 0.6 {
                Some(*rng.pick(&[(5u8, 70.0), (4, 20.0), (3, 7.0), (2, 2.0), (1, 1.0)]))
            } else {
                None
            };
            clerks[ci] = Clerk::Busy(now + service_ms as Millis, Ending::Finish(rating));
        }
        // The next moment something happens.
        let resume = day_plan
            .serving
            .iter()
            .map(|&(o, _)| o)
            .chain([closing])
            .find(|&o| o > now);
        let next = clerks
            .iter()
            .map(|c| match *c {
                Clerk::Free(at) | Clerk::Busy(at, _) | Clerk::Away(at) => at,
            })
            .chain(arrivals.get(next_arrival).copied())
            .chain(resume)
            .chain(remote.as_deref().and_then(Remote::next_at))
            .filter(|&t| t > now)
            .min();
        match next {
            Some(t) if t < midnight + 24 * 60 * MINUTE => now = t,
            Some(_) => {
                tracing::warn!("the simulated day ran to midnight; the rest stay unserved");
                break;
            }
            None if called_any => {}
            None => {
                let waiting = engine
                    .read(|s, _| {
                        s.tickets()
                            .filter(|t| t.state == TicketState::Waiting)
                            .count()
                    })
                    .await?;
                if waiting == 0 && !remote.as_deref().is_some_and(Remote::travelling) {
                    break;
                }
                now += MINUTE;
            }
        }
    }
    let day = qcall_core::time::business_day(midnight + 12 * 60 * MINUTE, &hall.tz);
    let tickets = engine
        .read(move |_, store| store.tickets_of_day(day))
        .await??;
    drop(engine);
    join.join()
        .map_err(|_| anyhow::anyhow!("the engine thread panicked"))?;
    Ok(Day {
        tickets,
        issued,
        refused,
        scale,
    })
}
