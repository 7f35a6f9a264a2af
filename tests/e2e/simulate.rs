//! `qcall simulate` end to end: a day of the demo hall on a held-out day
//! shape is served in full and written up, and over held-out days the
//! printed wait estimate is honest (its range holds most actual waits, its
//! point is not optimistic); with remote applicants, walk-ins' waits are
//! compared with the same day without.

use super::*;

/// Runs `qcall simulate --config config/demo.toml ARGS --out DIR` to
/// success; the directory holds what it wrote.
fn simulate(args: &[&str]) -> tempfile::TempDir {
    let out = tempfile::tempdir().unwrap();
    let config = root().join("config/demo.toml");
    let mut all = vec!["simulate", "--config", config.to_str().unwrap()];
    all.extend_from_slice(args);
    all.extend(["--out", out.path().to_str().unwrap()]);
    let result = qcall(&all);
    assert!(
        result.status.success(),
        "{}",
        String::from_utf8_lossy(&result.stderr)
    );
    out
}

#[test]
fn a_simulated_day_is_served_in_full_and_reported() {
    let out = simulate(&["--shape", "peak", "--seed", "1"]);
    let report = std::fs::read_to_string(out.path().join("report.md")).unwrap();
    // Every ticket is issued and either served or a no-show: nobody is left.
    let hall = report
        .lines()
        .find(|l| l.starts_with("| **hall**"))
        .unwrap();
    let cells: Vec<&str> = hall.split('|').map(str::trim).collect();
    let (issued, served, gone): (u32, u32, u32) = (
        cells[2].parse().unwrap(),
        cells[3].parse().unwrap(),
        cells[4].parse().unwrap(),
    );
    assert_eq!((issued, served + gone), (380, 380), "{hall}");
    assert!(report.contains("**Green channel.**"), "{report}");
    let csv = std::fs::read_to_string(out.path().join("tickets.csv")).unwrap();
    assert_eq!(csv.lines().count(), 381, "a header and one row per ticket");
    assert!(csv.starts_with("number,service,class,state,issued,called,counter,estimated_wait_s,range_low_s,range_high_s,"));
    for plot in [
        "load-by-hour.svg",
        "wait-by-service.svg",
        "served-by-counter.svg",
    ] {
        assert!(
            std::fs::read_to_string(out.path().join(plot))
                .unwrap()
                .starts_with("<svg")
        );
    }
}

/// The estimate on days shaped unlike its own model (the `peak` shape: a
/// 2.5x morning peak, sigma 0.7, averages off by up to 50%, gaps, pauses,
/// no-shows, a late counter; held out while the estimator was tuned), over
/// three seeds: the printed range holds 72-88% of actual waits and the
/// median point is not more than 5% short, the issue's own bars. A
/// point-only range (about 30% inside), the first round's range taught
/// only by long waits (71% here) or the old optimism (a median 23% short on
/// these days) fails it.
#[test]
fn the_estimate_is_honest_on_days_it_was_not_tuned_on() {
    let out = simulate(&["--sweep", "--shapes", "peak", "--seed", "1", "--seeds", "3"]);
    let sweep = std::fs::read_to_string(out.path().join("sweep.md")).unwrap();
    let row = sweep
        .lines()
        .find(|l| l.starts_with("| peak |"))
        .unwrap_or_else(|| panic!("no peak row:\n{sweep}"));
    let cells: Vec<&str> = row.split('|').map(str::trim).collect();
    let percent = |i: usize| -> i32 { cells[i].trim_end_matches('%').parse().unwrap() };
    let (inside, bias) = (percent(5), percent(9));
    assert!(
        (72..=88).contains(&inside),
        "the 80% range held {inside}% of actual waits: {row}"
    );
    assert!(bias >= -5, "the median estimate was {bias}% off: {row}");
}

/// `--remote-share`: the same held-out day (seed, shape) run without and
/// with remote applicants. The report's section gives walk-ins' waits both
/// ways, and the remote tickets add up: every applicant is a walk-in or a
/// remote ticket, every remote ticket checked in, lapsed or was still away
/// at closing, and the lapses counted are the lapsed rows of tickets.csv.
#[test]
fn remote_applicants_are_compared_with_the_same_day_without() {
    let out = simulate(&["--shape", "peak", "--seed", "1", "--remote-share", "0.3"]);
    let report = std::fs::read_to_string(out.path().join("report.md")).unwrap();
    let section = report
        .split_once("## Remote applicants (`--remote-share 0.3`)")
        .unwrap_or_else(|| panic!("no remote section:\n{report}"))
        .1;
    let row = |name: &str| -> Vec<String> {
        let line = section
            .lines()
            .find(|l| l.starts_with(&format!("| {name} |")))
            .unwrap_or_else(|| panic!("no row {name:?}:\n{section}"));
        line.split('|')
            .map(|c| c.trim().to_string())
            .filter(|c| !c.is_empty())
            .skip(1)
            .collect()
    };
    let count = |name: &str| -> u32 { row(name)[0].parse().unwrap() };
    let seconds = |cell: &str| -> u32 {
        let (m, s) = cell
            .split_once(':')
            .unwrap_or_else(|| panic!("not m:ss: {cell:?}"));
        m.parse::<u32>().unwrap() * 60 + s.parse::<u32>().unwrap()
    };
    // Walk-ins' waits are given without and with.
    for name in [
        "walk-in wait p50 (m:ss)",
        "walk-in wait p90",
        "walk-in wait max",
    ] {
        let cells = row(name);
        assert_eq!(cells.len(), 2, "{name}: {cells:?}");
        let (without, with) = (seconds(&cells[0]), seconds(&cells[1]));
        assert!(without > 0 && with > 0, "{name}: {cells:?}");
    }
    let walk_ins = row("walk-in tickets");
    let (without, with): (u32, u32) = (walk_ins[0].parse().unwrap(), walk_ins[1].parse().unwrap());
    let taken = count("taken from home");
    assert!(taken > 0, "{section}");
    assert_eq!(without, 380, "{section}");
    assert_eq!(with + taken, without, "every applicant once: {section}");
    let (arrived, lapsed) = (count("checked in"), count("lapsed"));
    let away = count("still not arrived at closing");
    assert_eq!(arrived + lapsed + away, taken, "{section}");
    let never: u32 = row("set out late / never came")[0]
        .split_once(" / ")
        .unwrap()
        .1
        .parse()
        .unwrap();
    assert!(
        lapsed > 0 && never <= lapsed + away,
        "some lapse, at least those who never came: {section}"
    );
    let csv = std::fs::read_to_string(out.path().join("tickets.csv")).unwrap();
    let lapsed_rows = csv
        .lines()
        .filter(|l| l.split(',').nth(3) == Some("lapsed"))
        .count();
    assert_eq!(lapsed_rows, lapsed as usize, "{section}");
}
