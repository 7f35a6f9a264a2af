//! What `qcall simulate` writes: the day's report (statistics, the
//! estimate's accuracy, the green channel's waits, plots, every ticket as
//! CSV) and the sweep's table of day shapes.
//!
//! Figures only: it reads finished days and runs nothing.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::Path;

use qcall_core::stats::{DayStats, GroupStats};
use qcall_core::{Hall, Millis, Ticket};

use super::day::{Day, Shape};

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

/// How the day was asked for, as the report's first line says it.
pub struct Asked<'a> {
    pub command: String,
    pub shape: &'a Shape,
}

pub fn write_day(
    out: &Path,
    asked: &Asked<'_>,
    hall: &Hall,
    stats: &DayStats,
    day: &Day,
) -> anyhow::Result<()> {
    let tickets = &day.tickets;
    let samples = Sample::of(hall, day);

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
    let _ = writeln!(md, "# A simulated day: {}\n", hall.name.zh);
    let _ = writeln!(
        md,
        "Generated by `{}` on the real engine and SQLite, with a manual clock. Day shape `{}`: {}. \
         Service times are log-normal (sigma {}) around each service's true mean, which is the configured \
         average scaled by {:.2} (to fit the day in the hall's counters) and then off by up to {:.0}%; \
         clerks work at speeds within ±{:.0}% and take {}-{} s between finishing one applicant and calling \
         the next; {:.0}% do not show up; counters stay after closing until everyone is served; 60% rate \
         the service.\n",
        asked.command,
        asked.shape.name,
        asked.shape.about,
        asked.shape.sigma,
        day.scale,
        asked.shape.mean_error * 100.0,
        asked.shape.clerk_spread * 100.0,
        asked.shape.gap_s.0,
        asked.shape.gap_s.1,
        asked.shape.no_show * 100.0,
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
    let overall = Accuracy::of(samples.iter());
    let _ = writeln!(
        md,
        "\nTimes are minutes:seconds. \"Over red\" counts waits past the service's red target; \"extended\" \
         counts applicants called after closing (延时服务).\n\n\
         **Estimated wait.** For the {} tickets that waited at least 5 minutes, the wait estimated when the \
         ticket was printed was within 25% of the actual wait for {:.0}% of them; the median error was {:.0}%, \
         and the median estimate was {:.0}% {}. The printed range held the actual wait for {:.0}% of all {} \
         called tickets.\n",
        overall.n,
        overall.within * 100.0,
        overall.median * 100.0,
        overall.bias.abs() * 100.0,
        if overall.bias < 0.0 {
            "too short"
        } else {
            "too long"
        },
        overall.coverage * 100.0,
        overall.called,
    );
    let _ = writeln!(md, "{}", Accuracy::HEADER);
    let mut accuracy_row = |name: String, a: Accuracy| {
        if a.called > 0 {
            let _ = writeln!(md, "{}", a.row(&name));
        }
    };
    for sv in &hall.services {
        let a = Accuracy::of(samples.iter().filter(|s| s.service == sv.code));
        accuracy_row(format!("{} {}", sv.code, sv.name.zh), a);
    }
    accuracy_row(
        "ordinary tickets".into(),
        Accuracy::of(samples.iter().filter(|s| !s.green)),
    );
    accuracy_row(
        "green channel".into(),
        Accuracy::of(samples.iter().filter(|s| s.green)),
    );
    let _ = writeln!(
        md,
        "\n**Green channel.** Actual waits of green-channel tickets per service (minutes:seconds):\n\n{}",
        green_waits(hall, &samples)
    );
    if day.refused > 0 {
        let _ = writeln!(
            md,
            "**Refused.** {} arrivals found their service sold out (daily cap or time-slot quota).\n",
            day.refused
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
    std::fs::write(
        out.join("tickets.csv"),
        tickets_csv(hall, tickets, &samples),
    )?;
    Ok(())
}

/// One called ticket: what it was told at issue and what happened.
#[derive(Debug, Clone)]
pub struct Sample {
    pub id: qcall_core::TicketId,
    pub service: String,
    pub green: bool,
    pub predicted_s: f64,
    pub range_s: (f64, f64),
    pub actual_s: f64,
}

impl Sample {
    /// The day's called tickets (at their first service: a transfer's
    /// second wait is not what the kiosk estimated).
    pub fn of(hall: &Hall, day: &Day) -> Vec<Sample> {
        let tickets: HashMap<_, &Ticket> = day.tickets.iter().map(|t| (t.id, t)).collect();
        day.issued
            .iter()
            .filter_map(|i| {
                let t = tickets.get(&i.id)?;
                let called = t.called_at?;
                Some(Sample {
                    id: i.id,
                    service: t.service.clone(),
                    green: hall.is_priority(&t.class),
                    predicted_s: f64::from(i.wait_s),
                    range_s: (f64::from(i.range_s.0), f64::from(i.range_s.1)),
                    actual_s: ((called - t.issued_at) / 1000) as f64,
                })
            })
            .collect()
    }
}

/// Median and p90 of green-channel waits per service, as a table.
pub fn green_waits(hall: &Hall, samples: &[Sample]) -> String {
    let mut md =
        String::from("| service | green tickets | wait p50 | wait p90 |\n|---|---|---|---|\n");
    for sv in &hall.services {
        let mut waits: Vec<f64> = samples
            .iter()
            .filter(|s| s.green && s.service == sv.code)
            .map(|s| s.actual_s)
            .collect();
        if waits.is_empty() {
            continue;
        }
        waits.sort_by(f64::total_cmp);
        let at = |q: f64| {
            Some(waits[((waits.len() as f64 * q).ceil() as usize).clamp(1, waits.len()) - 1] as i64)
        };
        let _ = writeln!(
            md,
            "| {} {} | {} | {} | {} |",
            sv.code,
            sv.name.zh,
            waits.len(),
            minutes(at(0.5)),
            minutes(at(0.9))
        );
    }
    md
}

/// How well the wait printed on tickets matched the wait they had: the
/// point over those that waited at least 5 minutes (shorter waits make
/// percentages meaningless: 30 s against 60 s is "100% off"), the range
/// over every called ticket.
#[derive(Debug, Clone, Copy, Default)]
pub struct Accuracy {
    /// Tickets that waited 5 minutes or more.
    pub n: usize,
    /// Share of those within 25% of the actual wait.
    pub within: f64,
    /// Median absolute relative error.
    pub median: f64,
    /// Median signed relative error: above zero, estimates run long.
    pub bias: f64,
    /// The same over tickets *told* 5 minutes or more (error relative to
    /// the actual wait, at least a minute): conditioning on the actual wait
    /// instead counts every "about a minute" that turned into ten, which
    /// makes even an unbiased estimate look short.
    pub told_bias: f64,
    /// Called tickets.
    pub called: usize,
    /// Share of called tickets whose actual wait was inside the range.
    pub coverage: f64,
}

impl Accuracy {
    pub const HEADER: &str = "| estimate | called | inside the range | waited 5 min+ | within 25% | median error | median bias | bias, told 5 min+ |\n|---|---|---|---|---|---|---|---|";

    pub fn of<'a>(samples: impl Iterator<Item = &'a Sample>) -> Accuracy {
        let samples: Vec<&Sample> = samples.collect();
        let called = samples.len();
        let inside = samples
            .iter()
            .filter(|s| s.range_s.0 <= s.actual_s && s.actual_s <= s.range_s.1)
            .count();
        let mut signed: Vec<f64> = samples
            .iter()
            .filter(|s| s.actual_s >= 300.0)
            .map(|s| (s.predicted_s - s.actual_s) / s.actual_s)
            .collect();
        let mut told: Vec<f64> = samples
            .iter()
            .filter(|s| s.predicted_s >= 300.0)
            .map(|s| (s.predicted_s - s.actual_s) / s.actual_s.max(60.0))
            .collect();
        told.sort_by(f64::total_cmp);
        let told_bias = told.get(told.len() / 2).copied().unwrap_or(0.0);
        let coverage = if called > 0 {
            inside as f64 / called as f64
        } else {
            0.0
        };
        if signed.is_empty() {
            return Accuracy {
                called,
                coverage,
                told_bias,
                ..Accuracy::default()
            };
        }
        let mut abs: Vec<f64> = signed.iter().map(|e| e.abs()).collect();
        signed.sort_by(f64::total_cmp);
        abs.sort_by(f64::total_cmp);
        Accuracy {
            n: abs.len(),
            within: abs.iter().filter(|&&e| e <= 0.25).count() as f64 / abs.len() as f64,
            median: abs[abs.len() / 2],
            bias: signed[signed.len() / 2],
            told_bias,
            called,
            coverage,
        }
    }

    pub fn row(&self, name: &str) -> String {
        format!(
            "| {name} | {} | {:.0}% | {} | {:.0}% | {:.0}% | {:+.0}% | {:+.0}% |",
            self.called,
            self.coverage * 100.0,
            self.n,
            self.within * 100.0,
            self.median * 100.0,
            self.bias * 100.0,
            self.told_bias * 100.0
        )
    }
}

/// Every ticket of the day, one row each, for a hall's own analysis:
/// local times, the estimate printed on the ticket and the actual wait.
fn tickets_csv(hall: &Hall, tickets: &[Ticket], samples: &[Sample]) -> String {
    let ranges: HashMap<_, (f64, f64)> = samples.iter().map(|s| (s.id, s.range_s)).collect();
    let local =
        |at: Millis| qcall_core::time::local_format(at, &hall.tz, "%H:%M:%S").unwrap_or_default();
    let mut csv = String::from(
        "number,service,class,state,issued,called,counter,estimated_wait_s,range_low_s,range_high_s,actual_wait_s,service_s\n",
    );
    for t in tickets {
        let actual = t.called_at.map(|c| (c - t.issued_at) / 1000);
        let served = t.finished_at.zip(t.started_at).map(|(f, s)| (f - s) / 1000);
        let (low, high) = ranges
            .get(&t.id)
            .map_or((String::new(), String::new()), |r| {
                (r.0.to_string(), r.1.to_string())
            });
        let _ = writeln!(
            csv,
            "{},{},{},{},{},{},{},{},{low},{high},{},{}",
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

/// One simulated day of a sweep.
pub struct Run {
    pub shape: &'static Shape,
    pub samples: Vec<Sample>,
}

/// The sweep's report: per day shape over its seeds, the average and the
/// worst shape, then per service and the green channel over every day.
pub fn sweep(command: &str, hall: &Hall, runs: &[Run]) -> String {
    let mut md = String::new();
    let _ = writeln!(
        md,
        "`{command}`: the point estimate (tickets that waited 5 minutes or more: share within 25%, \
         median absolute error, median signed error; and the median signed error over tickets *told* \
         5 minutes or more, which does not count every \"about a minute\" that turned into ten against \
         the estimate) and the 80% range (share of all called tickets whose actual wait fell inside it), \
         as printed at issue. Per shape: the mean over its seeds, and the worst seed's within-25%.\n"
    );
    let _ = writeln!(
        md,
        "| shape | held out | days | called | inside the range | within 25% | worst day | median error | median bias | bias, told 5 min+ |\n|---|---|---|---|---|---|---|---|---|---|"
    );
    let mut shapes: Vec<&'static Shape> = vec![];
    for r in runs {
        if !shapes.iter().any(|s| s.name == r.shape.name) {
            shapes.push(r.shape);
        }
    }
    let mut per_shape = vec![];
    for shape in &shapes {
        let days: Vec<Accuracy> = runs
            .iter()
            .filter(|r| r.shape.name == shape.name)
            .map(|r| Accuracy::of(r.samples.iter()))
            .collect();
        let mean = |f: fn(&Accuracy) -> f64| days.iter().map(f).sum::<f64>() / days.len() as f64;
        let a = Accuracy {
            n: days.iter().map(|d| d.n).sum(),
            within: mean(|d| d.within),
            median: mean(|d| d.median),
            bias: mean(|d| d.bias),
            told_bias: mean(|d| d.told_bias),
            called: days.iter().map(|d| d.called).sum(),
            coverage: mean(|d| d.coverage),
        };
        let worst = days.iter().map(|d| d.within).fold(1.0, f64::min);
        let _ = writeln!(
            md,
            "| {} | {} | {} | {} | {:.0}% | {:.0}% | {:.0}% | {:.0}% | {:+.0}% | {:+.0}% |",
            shape.name,
            if shape.held_out { "yes" } else { "" },
            days.len(),
            a.called,
            a.coverage * 100.0,
            a.within * 100.0,
            worst * 100.0,
            a.median * 100.0,
            a.bias * 100.0,
            a.told_bias * 100.0
        );
        per_shape.push((shape.name, a));
    }
    let n = per_shape.len().max(1) as f64;
    let avg = |f: fn(&Accuracy) -> f64| per_shape.iter().map(|(_, a)| f(a)).sum::<f64>() / n;
    let _ = writeln!(
        md,
        "| **average** | | | | {:.0}% | {:.0}% | | {:.0}% | {:+.0}% | {:+.0}% |",
        avg(|a| a.coverage) * 100.0,
        avg(|a| a.within) * 100.0,
        avg(|a| a.median) * 100.0,
        avg(|a| a.bias) * 100.0,
        avg(|a| a.told_bias) * 100.0
    );
    if let Some((name, a)) = per_shape
        .iter()
        .min_by(|x, y| x.1.within.total_cmp(&y.1.within))
    {
        let _ = writeln!(
            md,
            "| **worst shape** ({name}) | | | | {:.0}% | {:.0}% | | {:.0}% | {:+.0}% | {:+.0}% |",
            a.coverage * 100.0,
            a.within * 100.0,
            a.median * 100.0,
            a.bias * 100.0,
            a.told_bias * 100.0
        );
    }
    let _ = writeln!(
        md,
        "\nPer service and for the green channel, over every day of the sweep (and the shape where its \
         within-25% was lowest):\n"
    );
    let _ = writeln!(
        md,
        "| tickets | called | inside the range | within 25% | median bias | bias, told 5 min+ | worst shape |\n|---|---|---|---|---|---|---|"
    );
    let mut group = |name: String, keep: &dyn Fn(&Sample) -> bool| {
        let all = Accuracy::of(
            runs.iter()
                .flat_map(|r| r.samples.iter())
                .filter(|s| keep(s)),
        );
        if all.called == 0 {
            return;
        }
        let worst = shapes
            .iter()
            .map(|shape| {
                let a = Accuracy::of(
                    runs.iter()
                        .filter(|r| r.shape.name == shape.name)
                        .flat_map(|r| r.samples.iter())
                        .filter(|s| keep(s)),
                );
                (shape.name, a)
            })
            .filter(|(_, a)| a.n > 0)
            .min_by(|x, y| x.1.within.total_cmp(&y.1.within));
        let worst = worst.map_or("-".into(), |(name, a)| {
            format!(
                "{name}: {:.0}%, range {:.0}%",
                a.within * 100.0,
                a.coverage * 100.0
            )
        });
        let _ = writeln!(
            md,
            "| {name} | {} | {:.0}% | {:.0}% | {:+.0}% | {:+.0}% | {worst} |",
            all.called,
            all.coverage * 100.0,
            all.within * 100.0,
            all.bias * 100.0,
            all.told_bias * 100.0
        );
    };
    for sv in &hall.services {
        let code = sv.code.clone();
        group(format!("{} {}", sv.code, sv.name.zh), &move |s: &Sample| {
            s.service == code
        });
    }
    group("ordinary".into(), &|s: &Sample| !s.green);
    group("green channel".into(), &|s: &Sample| s.green);
    let all: Vec<Sample> = runs
        .iter()
        .flat_map(|r| r.samples.iter().cloned())
        .collect();
    let _ = writeln!(
        md,
        "\nGreen-channel waits per service over every day of the sweep:\n\n{}",
        green_waits(hall, &all)
    );
    md
}
