//! `qcall simulate`: a busy day in a hall, run on the real engine with a
//! manual clock, written up as statistics and plots.
//!
//! Applicants arrive through the day with a morning and an afternoon peak
//! (fewer over lunch), pick services in realistic proportions, some in the
//! green channel; counters call whenever they are free, serve for a random
//! time around the service's average, pause over lunch, and stay until
//! everyone who took a ticket is served. Every step is a real command on a
//! real SQLite file, so the figures come from the same statistics code a
//! hall's `/api/v1/stats` uses. Deterministic for a given `--seed`.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use clap::Args;
use qcall_core::stats::{GroupStats, day_stats};
use qcall_core::{Command, CounterAction, Hall, Millis, TicketState};
use qcall_engine::ManualClock;
use qcall_store::Store;

use crate::config::Config;

mod remote;

#[derive(Debug, Args)]
pub struct SimulateArgs {
    /// The hall's config file.
    #[arg(long, short)]
    config: PathBuf,
    /// Tickets over the day.
    #[arg(long, default_value_t = 2000)]
    tickets: usize,
    /// The simulated business day.
    #[arg(long, default_value = "2026-11-23")]
    date: String,
    /// Random seed; the same seed gives the same day.
    #[arg(long, default_value_t = 7)]
    seed: u64,
    /// Directory for report.md and the SVG plots.
    #[arg(long)]
    out: PathBuf,
    /// Keep the config's daily caps and slot quotas (refused applicants are
    /// counted); by default they are lifted so every arrival gets a ticket.
    #[arg(long)]
    keep_caps: bool,
    /// Share of applicants (0-1) who take their ticket from home on `/r`;
    /// the report then compares walk-ins' waits with the same day without.
    #[arg(long, default_value_t = 0.0)]
    remote_share: f64,
}

/// A small deterministic generator (xorshift64*), enough for a simulation.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Uniform in [0, 1).
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
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

const MINUTE: Millis = 60_000;

/// How a call in progress ends.
#[derive(Debug, Clone, Copy)]
enum Ending {
    /// Served, and maybe rated on the pad.
    Finish(Option<u8>),
    /// The applicant never came.
    NoShow,
}

/// Arrival intensity by minute of the day (relative).
fn intensity(minute: i64) -> f64 {
    match minute {
        m if m < 8 * 60 + 30 => 0.0,
        m if m < 9 * 60 => 0.8,
        m if m < 11 * 60 => 1.6,
        m if m < 12 * 60 => 1.0,
        m if m < 13 * 60 + 30 => 0.25,
        m if m < 14 * 60 => 0.8,
        m if m < 16 * 60 => 1.3,
        m if m < 17 * 60 => 0.6,
        _ => 0.0,
    }
}

/// Whether counters call at `minute` (the demo hall's hours).
fn counters_work(minute: i64) -> bool {
    (8 * 60 + 30..12 * 60).contains(&minute) || (13 * 60 + 30..24 * 60).contains(&minute)
}

pub async fn run(args: SimulateArgs) -> anyhow::Result<()> {
    if !(0.0..=1.0).contains(&args.remote_share) {
        anyhow::bail!("--remote-share must be between 0 and 1");
    }
    let without = if args.remote_share > 0.0 {
        Some(day(&args, None).await?.1)
    } else {
        None
    };
    let mut share =
        (args.remote_share > 0.0).then(|| remote::Remote::new(args.remote_share, args.seed));
    let (hall, tickets, refused, scale) = day(&args, share.as_mut()).await?;
    let stats = day_stats(&hall, &tickets);
    std::fs::create_dir_all(&args.out)?;
    write_report(&args, &hall, &stats, &tickets, refused, scale)?;
    if let (Some(share), Some(without)) = (&share, &without) {
        remote::append_report(&args.out.join("report.md"), &hall, share, &tickets, without)?;
    }
    println!(
        "simulated {} tickets over {} counters on {}: report in {}",
        tickets.len(),
        hall.counters.len(),
        args.date,
        args.out.display()
    );
    Ok(())
}

/// One simulated day, with remote applicants when `remote` is given: the
/// hall, the day's tickets, refused applicants, the service-time scale.
async fn day(
    args: &SimulateArgs,
    mut remote: Option<&mut remote::Remote>,
) -> anyhow::Result<(Arc<Hall>, Vec<qcall_core::Ticket>, usize, f64)> {
    let mut config = Config::load(&args.config)?;
    if !args.keep_caps {
        for s in &mut config.services {
            s.daily_cap = 0;
            s.slot_cap = 0;
        }
    }
    // The hall's hours stay (the estimate knows the lunch break) but do not
    // refuse tickets: the arrival profile keeps within them.
    let hall = config.hall()?;
    let schedule = hall.schedule.clone();
    let hall = Arc::new(hall.with_schedule(schedule, false));
    let day: jiff::civil::Date = args.date.parse().context("--date must be YYYY-MM-DD")?;
    let midnight = day.to_zoned(hall.tz.clone())?.timestamp().as_millisecond();
    let dir = tempfile::tempdir()?;
    let db = dir.path().join("simulated.db");
    let clock = Arc::new(ManualClock::new(midnight + 8 * 60 * MINUTE));
    let (engine, join) =
        qcall_engine::start(hall.clone(), Store::open(&db)?, clock.clone(), vec![])?;
    let mut rng = Rng(args.seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);

    // Arrival times: thinning against the intensity profile.
    let peak = 1.6;
    let (first, last) = (8 * 60 + 30, 17 * 60);
    let mut arrivals = Vec::with_capacity(args.tickets);
    while arrivals.len() < args.tickets {
        let minute = first as f64 + rng.unit() * f64::from(last - first);
        if rng.unit() * peak < intensity(minute as i64) {
            arrivals.push(midnight + (minute * 60_000.0) as Millis);
        }
    }
    arrivals.sort_unstable();

    let services: Vec<(String, f64)> = hall
        .services
        .iter()
        .map(|s| {
            let weight = match s.code.as_str() {
                "A" => 30.0,
                "B" => 6.0,
                "C" => 14.0,
                "D" => 16.0,
                "E" => 22.0,
                _ => 12.0,
            };
            (s.code.clone(), weight)
        })
        .collect();
    let classes: Vec<(Option<String>, f64)> = vec![
        (None, 86.0),
        (Some("elderly".into()), 9.0),
        (Some("disabled".into()), 3.0),
        (Some("pregnant".into()), 2.0),
    ];

    // Service times: each service keeps its configured proportion, scaled so
    // that the counters are about 92% busy over the day: a busy hall, not one
    // that can never finish (the demo's averages would need 32 counter-hours
    // more than 8 counters have for 2,000 applicants).
    let weight_sum: f64 = services.iter().map(|(_, w)| w).sum();
    let configured_mean: f64 = services
        .iter()
        .map(|(code, w)| {
            w / weight_sum
                * hall
                    .service(code)
                    .map_or(300.0, |s| f64::from(s.avg_service_s))
        })
        .sum();
    let working_s = (12.0 * 60.0 - (8.0 * 60.0 + 30.0) + 17.5 * 60.0 - 13.5 * 60.0) * 60.0;
    let target_mean = hall.counters.len() as f64 * working_s * 0.92 / args.tickets as f64;
    let scale = (target_mean / configured_mean).min(1.0);

    // The counters: when each is free again, and its current ticket.
    let counters: Vec<String> = hall.counters.iter().map(|c| c.id.clone()).collect();
    let mut free_at: BTreeMap<String, Millis> = counters.iter().map(|c| (c.clone(), 0)).collect();
    // Calls in progress: (counter, ends at, how).
    let mut pending: Vec<(String, Millis, Ending)> = Vec::new();
    let mut next_arrival = 0;
    let mut refused = 0usize;
    let mut now = arrivals[0];
    loop {
        clock.set(now);
        while next_arrival < arrivals.len() && arrivals[next_arrival] <= now {
            let service = rng.pick(&services).clone();
            let class = rng.pick(&classes).clone();
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
            match engine.execute(cmd).await {
                Ok(_) => {}
                Err(qcall_engine::EngineError::Rejected(_)) => refused += 1,
                Err(e) => return Err(e).context("issuing a simulated ticket"),
            }
            next_arrival += 1;
        }
        if let Some(r) = remote.as_deref_mut() {
            r.arrivals_due(&engine, now).await?;
        }
        // Finish everyone whose service ends now.
        let (due, rest): (Vec<_>, Vec<_>) = pending.drain(..).partition(|(_, at, _)| *at <= now);
        pending = rest;
        for (c, _, ending) in due {
            let action = match ending {
                Ending::Finish(rating) => CounterAction::Finish { rating },
                Ending::NoShow => CounterAction::NoShow,
            };
            engine
                .execute(Command::Counter {
                    counter: c.clone(),
                    action,
                })
                .await
                .with_context(|| format!("ending the call at counter {c}"))?;
        }
        let minute = (now - midnight) / MINUTE;
        let mut waiting_left = false;
        for c in &counters {
            if free_at[c] > now || !counters_work(minute) {
                continue;
            }
            let call = Command::Counter {
                counter: c.clone(),
                action: CounterAction::CallNext,
            };
            let reply = engine.execute(call).await?;
            let Some(view) = reply.ticket else { continue };
            waiting_left = true;
            if rng.unit() < 0.03 {
                // Never came: the clerk waits two minutes, then moves on.
                free_at.insert(c.clone(), now + 2 * MINUTE);
                pending.push((c.clone(), now + 2 * MINUTE, Ending::NoShow));
                continue;
            }
            let start = Command::Counter {
                counter: c.clone(),
                action: CounterAction::Start,
            };
            engine
                .execute(start)
                .await
                .with_context(|| format!("starting at counter {c}"))?;
            let avg = scale
                * hall
                    .service(&view.ticket.service)
                    .map_or(300.0, |s| f64::from(s.avg_service_s));
            let service_ms =
                (rng.lognormal(avg, 0.45) * 1000.0).clamp(30_000.0, 4.0 * avg * 1000.0) as Millis;
            free_at.insert(c.clone(), now + service_ms);
            // The rating pad: most rate, most are content.
            let finish_at = now + service_ms;
            let rating = if rng.unit() < 0.6 {
                Some(*rng.pick(&[(5u8, 70.0), (4, 20.0), (3, 7.0), (2, 2.0), (1, 1.0)]))
            } else {
                None
            };
            pending.push((c.clone(), finish_at, Ending::Finish(rating)));
        }
        // Next moment something happens.
        let next_free = free_at.values().copied().filter(|&t| t > now).min();
        let next_in = arrivals.get(next_arrival).copied();
        let pending_next = pending.iter().map(|(_, at, _)| *at).min();
        let lunch_end = midnight + (13 * 60 + 30) * MINUTE;
        let candidates = [
            next_free,
            next_in,
            pending_next,
            (!counters_work(minute) && now < lunch_end).then_some(lunch_end),
            remote.as_deref().and_then(remote::Remote::next_at),
        ];
        let Some(next) = candidates.into_iter().flatten().filter(|&t| t > now).min() else {
            if waiting_left {
                continue;
            }
            // Nothing scheduled: anyone still waiting?
            let open = engine
                .read(|s, _| {
                    s.tickets()
                        .filter(|t| t.state == TicketState::Waiting)
                        .count()
                })
                .await?;
            if open == 0 && !remote.as_deref().is_some_and(remote::Remote::travelling) {
                break;
            }
            now += MINUTE;
            continue;
        };
        if next >= midnight + 24 * 60 * MINUTE {
            tracing::warn!("the simulated day ran to midnight; the rest stay unserved");
            break;
        }
        now = next;
    }
    let tickets = engine
        .read(move |_, store| store.tickets_of_day(day))
        .await??;
    drop(engine);
    join.join()
        .map_err(|_| anyhow::anyhow!("the engine thread panicked"))?;
    Ok((hall, tickets, refused, scale))
}

fn minutes(s: Option<i64>) -> String {
    s.map_or("-".into(), |s| format!("{}:{:02}", s / 60, s % 60))
}

fn row(name: &str, g: &GroupStats) -> String {
    format!(
        "| {name} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
        g.issued,
        g.served,
        g.no_show,
        minutes(g.wait_p50_s),
        minutes(g.wait_p90_s),
        minutes(g.wait_max_s),
        minutes(g.service_p50_s),
        g.over_red,
        g.extended,
        g.satisfaction.map_or("-".into(), |s| format!("{s:.2}")),
    )
}

/// Bars as an SVG: one group per label, one bar per series.
fn bars(title: &str, labels: &[String], series: &[(&str, &str, Vec<f64>)], unit: &str) -> String {
    let (w, h, left, bottom, top) = (760.0, 300.0, 50.0, 40.0, 30.0);
    let max = series
        .iter()
        .flat_map(|(_, _, v)| v.iter().copied())
        .fold(1.0f64, f64::max);
    let group = (w - left - 10.0) / labels.len().max(1) as f64;
    let bar = group * 0.8 / series.len().max(1) as f64;
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" font-family=\"sans-serif\" font-size=\"11\">\n\
         <rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n<text x=\"{left}\" y=\"18\" font-size=\"14\">{title}</text>\n"
    );
    for i in 0..=4 {
        let v = max * f64::from(i) / 4.0;
        let y = h - bottom - (h - bottom - top) * f64::from(i) / 4.0;
        let _ = writeln!(
            svg,
            "<line x1=\"{left}\" x2=\"{}\" y1=\"{y:.1}\" y2=\"{y:.1}\" stroke=\"#ddd\"/><text x=\"{}\" y=\"{:.1}\" text-anchor=\"end\">{v:.0}{unit}</text>",
            w - 10.0,
            left - 4.0,
            y + 4.0
        );
    }
    for (i, label) in labels.iter().enumerate() {
        let x0 = left + group * i as f64 + group * 0.1;
        for (j, (_, colour, values)) in series.iter().enumerate() {
            let v = values.get(i).copied().unwrap_or(0.0);
            let bh = (h - bottom - top) * v / max;
            let _ = writeln!(
                svg,
                "<rect x=\"{:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{bh:.1}\" fill=\"{colour}\"/>",
                x0 + bar * j as f64,
                h - bottom - bh,
                bar * 0.95
            );
        }
        let _ = writeln!(
            svg,
            "<text x=\"{:.1}\" y=\"{}\" text-anchor=\"middle\">{label}</text>",
            x0 + group * 0.4,
            h - bottom + 14.0
        );
    }
    for (j, (name, colour, _)) in series.iter().enumerate() {
        let x = left + 10.0 + 130.0 * j as f64;
        let _ = writeln!(
            svg,
            "<rect x=\"{x}\" y=\"{}\" width=\"10\" height=\"10\" fill=\"{colour}\"/><text x=\"{}\" y=\"{}\">{name}</text>",
            h - 14.0,
            x + 14.0,
            h - 5.0
        );
    }
    svg.push_str("</svg>\n");
    svg
}

fn write_report(
    args: &SimulateArgs,
    hall: &Hall,
    stats: &qcall_core::stats::DayStats,
    tickets: &[qcall_core::Ticket],
    refused: usize,
    scale: f64,
) -> anyhow::Result<()> {
    let out = &args.out;
    // Estimate accuracy: predicted at issue against the actual wait.
    let overall = Accuracy::of(tickets.iter());

    let hours: Vec<String> = (8..18).map(|h| format!("{h}")).collect();
    let per_hour = |v: &[u32; 24]| (8..18).map(|h| f64::from(v[h])).collect::<Vec<_>>();
    std::fs::write(
        out.join("load-by-hour.svg"),
        bars(
            "Tickets issued and called per hour",
            &hours,
            &[
                ("issued", "#1f6feb", per_hour(&stats.issued_by_hour)),
                ("called", "#2da44e", per_hour(&stats.called_by_hour)),
            ],
            "",
        ),
    )?;
    let codes: Vec<String> = stats.by_service.iter().map(|(c, _)| c.clone()).collect();
    let mins = |f: fn(&GroupStats) -> Option<i64>| {
        stats
            .by_service
            .iter()
            .map(|(_, g)| f(g).unwrap_or(0) as f64 / 60.0)
            .collect::<Vec<_>>()
    };
    std::fs::write(
        out.join("wait-by-service.svg"),
        bars(
            "Wait per service (minutes)",
            &codes,
            &[
                ("p50", "#1f6feb", mins(|g| g.wait_p50_s)),
                ("p90", "#bf8700", mins(|g| g.wait_p90_s)),
                ("max", "#cf222e", mins(|g| g.wait_max_s)),
            ],
            "",
        ),
    )?;
    let counter_ids: Vec<String> = stats.by_counter.iter().map(|(c, _)| c.clone()).collect();
    std::fs::write(
        out.join("served-by-counter.svg"),
        bars(
            "Applicants served per counter",
            &counter_ids,
            &[(
                "served",
                "#2da44e",
                stats
                    .by_counter
                    .iter()
                    .map(|(_, g)| f64::from(g.served))
                    .collect(),
            )],
            "",
        ),
    )?;

    let mut md = String::new();
    let _ = writeln!(md, "# A simulated busy day: {}\n", hall.name.zh);
    let _ = writeln!(
        md,
        "Generated by `qcall simulate --config {} --tickets {} --date {} --seed {} --out {}` on the real engine \
         and SQLite, with a manual clock. Applicants arrive with morning and afternoon peaks and fewer over lunch; \
         about 14% use the green channel; counters pause 12:00-13:30 and stay until everyone is served; \
         service times are log-normal around each service's configured average, scaled by {:.2} so that \
         8 counters are about 92% busy; 3% do not show up; 60% rate the service.\n",
        args.config.display(),
        args.tickets,
        args.date,
        args.seed,
        args.out.display(),
        scale
    );
    let _ = writeln!(
        md,
        "| | issued | served | no-show | wait p50 | wait p90 | wait max | service p50 | over red | extended | rating |"
    );
    let _ = writeln!(md, "|---|---|---|---|---|---|---|---|---|---|---|");
    let _ = writeln!(md, "{}", row("**hall**", &stats.total));
    for (code, g) in &stats.by_service {
        let name = hall
            .service(code)
            .map_or(code.clone(), |s| format!("{code} {}", s.name.zh));
        let _ = writeln!(md, "{}", row(&name, g));
    }
    for (id, g) in &stats.by_counter {
        let _ = writeln!(md, "{}", row(&format!("counter {id}"), g));
    }
    let _ = writeln!(
        md,
        "\nTimes are minutes:seconds. \"Over red\" counts waits past the service's red target; \"extended\" \
         counts applicants called after closing (延时服务).\n\n\
         **Estimated wait.** For the {} tickets that waited at least 5 minutes, the wait estimated when the \
         ticket was printed was within 25% of the actual wait for {:.0}% of them; the median error was {:.0}%, \
         and the median estimate was {:.0}% {} (mean absolute error over all called tickets: {}).\n",
        overall.n,
        overall.within * 100.0,
        overall.median * 100.0,
        overall.bias.abs() * 100.0,
        if overall.bias < 0.0 {
            "too short"
        } else {
            "too long"
        },
        minutes(stats.total.estimate_error_s)
    );
    let _ = writeln!(
        md,
        "| estimate | tickets (waited 5 min+) | within 25% | median error | median bias |\n|---|---|---|---|---|"
    );
    let mut accuracy_row = |name: String, a: Accuracy| {
        if a.n > 0 {
            let _ = writeln!(
                md,
                "| {name} | {} | {:.0}% | {:.0}% | {:+.0}% |",
                a.n,
                a.within * 100.0,
                a.median * 100.0,
                a.bias * 100.0
            );
        }
    };
    for sv in &hall.services {
        let a = Accuracy::of(tickets.iter().filter(|t| t.service == sv.code));
        accuracy_row(format!("{} {}", sv.code, sv.name.zh), a);
    }
    accuracy_row(
        "ordinary tickets".into(),
        Accuracy::of(tickets.iter().filter(|t| !hall.is_priority(&t.class))),
    );
    accuracy_row(
        "green channel".into(),
        Accuracy::of(tickets.iter().filter(|t| hall.is_priority(&t.class))),
    );
    let _ = writeln!(md);
    if refused > 0 {
        let _ = writeln!(
            md,
            "**Refused.** {refused} arrivals found their service sold out (daily cap or time-slot quota).\n"
        );
    }
    let r = stats.total.ratings_by_score;
    let _ = writeln!(
        md,
        "**Ratings.** 非常满意 {} · 满意 {} · 基本满意 {} · 不满意 {} · 非常不满意 {}\n",
        r[4], r[3], r[2], r[1], r[0]
    );
    let _ = writeln!(
        md,
        "![Load by hour](load-by-hour.svg)\n\n![Wait by service](wait-by-service.svg)\n\n![Served by counter](served-by-counter.svg)\n\n\
         Every ticket of the day, with its estimate and actual wait, is in [tickets.csv](tickets.csv)."
    );
    std::fs::write(out.join("report.md"), md)?;
    std::fs::write(out.join("tickets.csv"), tickets_csv(hall, tickets))?;
    Ok(())
}

/// How well the wait printed on tickets matched the wait they had, over
/// those that waited at least 5 minutes (shorter waits make percentages
/// meaningless: 30 s against 60 s is "100% off").
#[derive(Debug, Clone, Copy, Default)]
struct Accuracy {
    n: usize,
    /// Share within 25% of the actual wait.
    within: f64,
    /// Median absolute relative error.
    median: f64,
    /// Median signed relative error: above zero, estimates run long.
    bias: f64,
}

impl Accuracy {
    fn of<'a>(tickets: impl Iterator<Item = &'a qcall_core::Ticket>) -> Accuracy {
        let mut signed: Vec<f64> = tickets
            .filter_map(|t| {
                let predicted = f64::from(t.predicted_wait_s?);
                let actual = ((t.called_at? - t.issued_at) / 1000) as f64;
                (actual >= 300.0).then(|| (predicted - actual) / actual)
            })
            .collect();
        if signed.is_empty() {
            return Accuracy::default();
        }
        let mut abs: Vec<f64> = signed.iter().map(|e| e.abs()).collect();
        signed.sort_by(f64::total_cmp);
        abs.sort_by(f64::total_cmp);
        Accuracy {
            n: abs.len(),
            within: abs.iter().filter(|&&e| e <= 0.25).count() as f64 / abs.len() as f64,
            median: abs[abs.len() / 2],
            bias: signed[signed.len() / 2],
        }
    }
}

/// Every ticket of the day, one row each, for a hall's own analysis:
/// local times, the estimate printed on the ticket and the actual wait.
fn tickets_csv(hall: &Hall, tickets: &[qcall_core::Ticket]) -> String {
    let local =
        |at: Millis| qcall_core::time::local_format(at, &hall.tz, "%H:%M:%S").unwrap_or_default();
    let mut csv = String::from(
        "number,service,class,state,issued,called,counter,estimated_wait_s,actual_wait_s,service_s\n",
    );
    for t in tickets {
        let actual = t.called_at.map(|c| (c - t.issued_at) / 1000);
        let served = t.finished_at.zip(t.started_at).map(|(f, s)| (f - s) / 1000);
        let _ = writeln!(
            csv,
            "{},{},{},{},{},{},{},{},{},{}",
            t.number,
            t.service,
            t.class,
            t.state.as_str(),
            local(t.issued_at),
            t.called_at.map(local).unwrap_or_default(),
            t.counter.as_deref().unwrap_or(""),
            t.predicted_wait_s
                .map(|p| p.to_string())
                .unwrap_or_default(),
            actual.map(|a| a.to_string()).unwrap_or_default(),
            served.map(|s| s.to_string()).unwrap_or_default(),
        );
    }
    csv
}
