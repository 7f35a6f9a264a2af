//! `qcall bench --only-estimate`: the wait estimate's dry run for one new
//! ticket, in process, with more and more tickets waiting. No daemon, no
//! network: the figure is the writer thread's cost per ticket issued.

use std::time::Instant;

use super::pct;
use crate::config::{Config, EXAMPLE};

/// The wait estimate (a dry run of the hall) for one ticket, in process:
/// the example hall with every counter open and `n` tickets waiting,
/// arriving ten seconds apart, one in seven green. The estimate runs once
/// per ticket issued, inside the writer thread.
pub(super) fn bench_estimate(runs: usize) -> anyhow::Result<()> {
    use qcall_core::{Command, CounterAction, HallState, Recorded};
    println!("\n== wait estimate for a new ticket (dry run of the hall, in process) ==");
    println!("{:>8} {:>10} {:>10}", "waiting", "p50 us", "p90 us");
    let mut config = Config::parse(EXAMPLE)?;
    config.hours.enforce = false;
    for s in &mut config.services {
        s.daily_cap = 0;
        s.slot_cap = 0;
    }
    let hall = std::sync::Arc::new(config.hall()?);
    let start: qcall_core::Millis = 1_795_395_600_000; // a Monday, 09:00 in Shanghai
    for n in [20usize, 100, 500, 1000, 2000] {
        let day = qcall_core::time::business_day(start, &hall.tz);
        let mut state = HallState::new(hall.clone(), day, 0, 1);
        let mut now = start;
        let run = |state: &mut HallState, cmd: Command, now| -> anyhow::Result<_> {
            let decision = state
                .decide(&cmd, now)
                .map_err(|e| anyhow::anyhow!("{cmd:?}: {e}"))?;
            for event in decision.events {
                let rec = Recorded {
                    seq: state.last_seq() + 1,
                    at: now,
                    event,
                };
                state.apply(&rec)?;
            }
            Ok(decision.subject)
        };
        for c in &hall.counters {
            let open = Command::Counter {
                counter: c.id.clone(),
                action: CounterAction::Open,
            };
            run(&mut state, open, now)?;
        }
        let mut last = None;
        for i in 0..n {
            let service = hall.services[i % hall.services.len()].code.clone();
            let class = (i % 7 == 6).then(|| "elderly".to_owned());
            let cmd = Command::Issue {
                service,
                class,
                source: None,
            };
            last = run(&mut state, cmd, now)?;
            now += 10_000;
        }
        let last = last.ok_or_else(|| anyhow::anyhow!("no ticket issued"))?;
        // A call, so the estimate is computed afresh, not read back.
        let call = Command::Counter {
            counter: hall.counters[0].id.clone(),
            action: CounterAction::CallNext,
        };
        run(&mut state, call, now)?;
        let mut samples = Vec::new();
        for _ in 0..runs.max(1) * 100 {
            let began = Instant::now();
            std::hint::black_box(state.estimated_wait_s(last));
            samples.push(began.elapsed().as_secs_f64() * 1e6);
        }
        samples.sort_by(f64::total_cmp);
        println!(
            "{n:>8} {:>10.1} {:>10.1}",
            pct(&samples, 50.0),
            pct(&samples, 90.0)
        );
    }
    Ok(())
}
