//! `qcall simulate`: days in a hall, run on the real engine with a manual
//! clock, written up as statistics, plots and the wait estimate's accuracy.
//!
//! The hall is the config's (services, counters, hours, cut-off, policy);
//! the day is a [`day::Shape`]: how applicants arrive and how clerks work,
//! deliberately unlike the estimator's own model (gaps between calls,
//! spread and wrong averages, clerk speeds, pauses, no-shows, late
//! counters). One day writes a report; `--sweep` runs several shapes over
//! several seeds and writes the table the estimate is judged by. Every step
//! is a real command on a real SQLite file, so the figures come from the
//! same code a hall runs. Deterministic for a given seed. No printer,
//! speaker or network is touched.

mod day;
mod remote;
mod report;

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use clap::Args;
use qcall_core::stats::day_stats;
use qcall_core::{Hall, Millis, ServiceOrder};

use crate::config::Config;

pub use day::SHAPES;

#[derive(Debug, Args)]
pub struct SimulateArgs {
    /// The hall's config file.
    #[arg(long, short)]
    config: PathBuf,
    /// Applicants over the day, for a shape that does not fix its own.
    #[arg(long, default_value_t = 2000)]
    tickets: usize,
    /// The simulated business day (one the hall serves on).
    #[arg(long, default_value = "2026-11-23")]
    date: String,
    /// Random seed; the same seed gives the same day. With --sweep, the
    /// first of --seeds consecutive seeds.
    #[arg(long, default_value_t = 7)]
    seed: u64,
    /// The kind of day: committed, calm, gaps, wrong-means, late, peak,
    /// afternoon.
    #[arg(long, default_value = "committed")]
    shape: String,
    /// Run every shape in --shapes over --seeds seeds and write sweep.md.
    #[arg(long)]
    sweep: bool,
    /// Shapes for --sweep, comma-separated; all when left out.
    #[arg(long, value_delimiter = ',')]
    shapes: Vec<String>,
    /// Seeds per shape for --sweep.
    #[arg(long, default_value_t = 5)]
    seeds: u64,
    /// Share of applicants per service, e.g. `A=30,B=6,C=14`; by default
    /// what the config's counters are staffed for.
    #[arg(long, value_delimiter = ',')]
    mix: Vec<String>,
    /// Every counter keeps `strict_service_order = true` (the old rule),
    /// whatever the config says: the "before" of the green channel.
    #[arg(long)]
    strict_service_order: bool,
    /// Directory for the report (report.md, plots, tickets.csv; sweep.md).
    #[arg(long)]
    out: PathBuf,
    /// Keep the config's daily caps and slot quotas (refused applicants are
    /// counted); by default they are lifted so every arrival gets a ticket.
    #[arg(long)]
    keep_caps: bool,
    /// Share of applicants (0-1) who take their ticket from home on `/r`;
    /// the report then compares walk-ins' waits with the same day (seed,
    /// shape) without remote tickets. One day only, not with --sweep.
    #[arg(long, default_value_t = 0.0)]
    remote_share: f64,
}

impl SimulateArgs {
    fn command(&self) -> String {
        let mut c = format!(
            "qcall simulate --config {} --date {} --out {}",
            self.config.display(),
            self.date,
            self.out.display()
        );
        if self.sweep {
            c += &format!(" --sweep --seed {} --seeds {}", self.seed, self.seeds);
            if !self.shapes.is_empty() {
                c += &format!(" --shapes {}", self.shapes.join(","));
            }
        } else {
            c += &format!(" --shape {} --seed {}", self.shape, self.seed);
            if day::shape(&self.shape).is_ok_and(|s| s.tickets == 0) {
                c += &format!(" --tickets {}", self.tickets);
            }
        }
        if !self.mix.is_empty() {
            c += &format!(" --mix {}", self.mix.join(","));
        }
        if self.strict_service_order {
            c += " --strict-service-order";
        }
        if self.keep_caps {
            c += " --keep-caps";
        }
        if self.remote_share > 0.0 {
            c += &format!(" --remote-share {}", self.remote_share);
        }
        c
    }
}

/// The hall as the config says, with caps lifted unless kept, hours that
/// do not refuse tickets (the arrivals keep within them) and, when asked,
/// every counter on its strict service order.
fn hall_of(args: &SimulateArgs) -> anyhow::Result<Hall> {
    let mut config = Config::load(&args.config)?;
    if !args.keep_caps {
        for s in &mut config.services {
            s.daily_cap = 0;
            s.slot_cap = 0;
        }
    }
    let hall = config.hall()?;
    let schedule = hall.schedule.clone();
    let mut hall = hall.with_schedule(schedule, false);
    if args.strict_service_order {
        for c in &mut hall.counters {
            c.service_order = ServiceOrder::Strict;
        }
    }
    Ok(hall)
}

fn mix_of(args: &SimulateArgs, hall: &Hall) -> anyhow::Result<Vec<(String, f64)>> {
    if args.mix.is_empty() {
        return Ok(day::default_mix(hall));
    }
    args.mix
        .iter()
        .map(|item| {
            let (code, share) = item
                .split_once('=')
                .with_context(|| format!("--mix {item:?}: write SERVICE=SHARE, e.g. A=30"))?;
            if hall.service(code).is_none() {
                anyhow::bail!("--mix names service {code:?}, which the config does not define");
            }
            let share: f64 = share
                .parse()
                .ok()
                .filter(|s: &f64| s.is_finite() && *s >= 0.0)
                .with_context(|| {
                    format!("--mix {item:?}: the share must be a number, 0 or more")
                })?;
            Ok((code.to_string(), share))
        })
        .collect()
}

pub async fn run(args: SimulateArgs) -> anyhow::Result<()> {
    if !(0.0..=1.0).contains(&args.remote_share) {
        anyhow::bail!(
            "--remote-share must be a share between 0 and 1 (e.g. 0.2), not {}",
            args.remote_share
        );
    }
    if args.sweep && args.remote_share > 0.0 {
        anyhow::bail!("--remote-share compares one day with and without: leave out --sweep");
    }
    let hall = Arc::new(hall_of(&args)?);
    let mix = mix_of(&args, &hall)?;
    let date: jiff::civil::Date = args.date.parse().context("--date must be YYYY-MM-DD")?;
    let midnight: Millis = date.to_zoned(hall.tz.clone())?.timestamp().as_millisecond();
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("cannot create {}", args.out.display()))?;
    let plan = |shape: &'static day::Shape, seed: u64| day::Plan {
        hall: hall.clone(),
        shape,
        seed,
        midnight,
        tickets: if shape.tickets == 0 {
            args.tickets
        } else {
            shape.tickets
        },
        mix: mix.clone(),
    };
    if args.sweep {
        let shapes: Vec<&'static day::Shape> = if args.shapes.is_empty() {
            SHAPES.iter().collect()
        } else {
            args.shapes
                .iter()
                .map(|s| day::shape(s))
                .collect::<anyhow::Result<_>>()?
        };
        let mut runs = vec![];
        for shape in shapes {
            for seed in args.seed..args.seed + args.seeds {
                let day = day::run(plan(shape, seed), None).await?;
                runs.push(report::Run {
                    shape,
                    samples: report::Sample::of(&hall, &day),
                });
            }
        }
        let md = report::sweep(&args.command(), &hall, &runs);
        std::fs::write(args.out.join("sweep.md"), &md)?;
        print!("{md}");
        return Ok(());
    }
    let shape = day::shape(&args.shape)?;
    // With remote applicants, the same day (seed, shape) first without.
    let without = if args.remote_share > 0.0 {
        Some(day::run(plan(shape, args.seed), None).await?)
    } else {
        None
    };
    let mut remote =
        (args.remote_share > 0.0).then(|| remote::Remote::new(args.remote_share, args.seed));
    let day = day::run(plan(shape, args.seed), remote.as_mut()).await?;
    let stats = day_stats(&hall, &day.tickets);
    let asked = report::Asked {
        command: args.command(),
        shape,
    };
    report::write_day(&args.out, &asked, &hall, &stats, &day)?;
    if let (Some(remote), Some(without)) = (&remote, &without) {
        remote::append_report(
            &args.out.join("report.md"),
            &hall,
            remote,
            &day.tickets,
            &without.tickets,
        )?;
    }
    println!(
        "simulated {} tickets over {} counters on {}: report in {}",
        day.tickets.len(),
        hall.counters.len(),
        args.date,
        args.out.display()
    );
    Ok(())
}
