#!/usr/bin/env python3
"""An independent check of qcall's wait estimate, through the public API.

Runs whole hall days against a real `qcall serve` (a binary built with
`cargo build -p qcall --features test-clock`) over HTTP only, and reports how
the estimate each ticket was given at the kiosk compares with the wait it
then had. The days are generated here, from this script's own seeded
`random.Random`, as issue 17 describes them; nothing is taken from the
estimator or from `qcall simulate` (their code is deliberately not read), so
the estimator's assumptions are not the oracle's.

Per day it:
  1. writes a temporary copy of --config: `[server] listen` on a free
     127.0.0.1 port, `db` in a temp dir, no kiosk rate limit, every printer
     into a file in the temp dir, audio off, notify and rating upload off
     (`[hours] enforce` and everything else as the config has it);
  2. creates one counter token per counter with `qcall token create`;
  3. starts `qcall serve` with QCALL_TEST_CLOCK_MS at 07:55 hall time on a
     Monday-to-Friday date the config serves (seed N takes the Nth such day
     from --date), and waits for its "listening on" line and /healthz;
  4. plays the day event by event: sets the daemon's clock to the next
     event's time (POST /api/v1/test/clock {"set_ms"}), then acts as the
     kiosk (POST /api/v1/tickets, no credential, `source: kiosk-1`) or as a
     clerk (POST /api/v1/counters/{id}/open, call-next, start, finish,
     no-show, pause, resume, close, with that counter's token);
  5. records per ticket what POST /tickets answered (`estimated_wait_s`, and
     `estimated_wait_range_s` when the binary has it), the time it was
     issued and the time it was called (the harness's clock, checked
     against the call's `called_at`).

The day (shapes `peak`, `calm`, `afternoon`):
  * arrivals: a non-homogeneous Poisson process from opening to the cut-off
    (closing minus `cutoff_minutes`), few over lunch (0.15x), ~380 in all
    (--applicants); `peak`: 2.5x the base rate 09:00-10:30 and 1.5x
    14:30-15:30; `afternoon`: 0.5x all morning and 2x 13:30-15:00; `calm`:
    flat;
  * service mix: each service's share is proportional to the number of
    counters that list it first divided by its configured
    `avg_service_minutes` (the mix the counters are staffed for);
  * service times: lognormal (sigma 0.7; `calm` 0.3) around a true mean per
    service of `avg_service_minutes` x a factor drawn for the day
    (`peak` U[0.5, 1.5], `afternoon` U[0.7, 1.3], `calm` 1); on `peak` all
    are then scaled by one common factor so that a counter's time per
    applicant (service plus the mean --gap) fills ~90% of the counter-hours
    (the configured means fill ~77% of the demo hall's);
  * 12% green channel, split evenly over the config's green classes;
  * 5% no-shows (`peak`, `afternoon`): the clerk waits 2 minutes after the
    call, then marks the ticket a no-show;
  * one unplanned ten-minute pause per counter at a random time in its hours
    (`peak`, `afternoon`), taken between two applicants;
  * clerks open at the morning opening, stop calling over the break (close,
    or pause when the daemon refuses to close the last counter of a waiting
    queue), open again after it, and at closing serve everyone still
    waiting, then close; --gap LOW,HIGH seconds (uniform) pass between a
    clerk becoming free and calling the next.

Figures, per day and over the days (min, median, max):
  * over tickets that waited 5 minutes or more: the share whose point
    estimate is within 25% of the actual wait (|est - actual| <= 0.25
    actual), the median absolute relative error, and the median bias
    (median of (est - actual) / actual; negative = optimistic);
  * over all called tickets: range coverage (low <= actual <= high);
  * the same for the green channel alone;
  * the naive baseline of issue 17, "people ahead x true mean service time
    / counters serving", from the harness's own knowledge: ahead = tickets
    of the same service waiting when it was issued (for a green ticket,
    green ones only); counters serving = staffed counters that list the
    service (while none is, all that list it, plus the time until they
    open); the true mean is the day's, which no estimator can know.
A no-show's wait is counted up to its call, like anyone else's.

Output: DIR/summary.md (tables a person reads) and DIR/tickets.csv (every
ticket of every day). Standard library only; Python 3.11. The parts are in
estimate_days/ beside this file (hall, day, daemon, play, report, selftest).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import tempfile
import time
from pathlib import Path

# The parts live beside this file, in estimate_days/ (no __pycache__ left
# in the source tree).
sys.dont_write_bytecode = True
sys.path.insert(0, str(Path(__file__).resolve().parent))

from estimate_days import SHAPES, START_CLOCK, HarnessError
from estimate_days.hall import Hall, load_hall, rewrite_config, check_config
from estimate_days.day import make_day, local_ms
from estimate_days.daemon import Daemon, free_port, create_token, cross_check
from estimate_days.play import Play
from estimate_days.report import pct, day_row, write_outputs
from estimate_days.selftest import self_test


def run_day(args, hall: Hall, seed: int) -> tuple:
    day = make_day(hall, args.shape, seed, args.date, args.gap, args.applicants)
    tmp = Path(tempfile.mkdtemp(prefix=f"qcall-estimate-{args.shape}-{seed}-"))
    port = free_port()
    listen = f"127.0.0.1:{port}"
    db = tmp / "hall.db"
    config = tmp / "hall.toml"
    config.write_text(
        rewrite_config(args.config.read_text(encoding="utf-8"), listen, db, tmp),
        encoding="utf-8",
    )
    check_config(config, listen, db)
    tokens = {cid: create_token(args.bin, config, cid) for cid, _ in hall.counters}
    start_ms = local_ms(hall, day.date, START_CLOCK[0] * 60 + START_CLOCK[1])
    began = time.monotonic()
    daemon = Daemon(args.bin, config, tmp, start_ms)
    try:
        play = Play(hall, day, daemon.api, tokens)
        play.run()
        own = cross_check(daemon.api, day)
    except HarnessError as e:
        raise HarnessError(f"{args.shape} seed {seed} ({day.date}): {e}; the daemon's log is {tmp / 'daemon.log'}") from e
    finally:
        daemon.stop()
    wall = time.monotonic() - began
    if play.clock_mismatch:
        print(f"warning: {play.clock_mismatch} calls' called_at differ from the harness clock", file=sys.stderr)
    left = [p.number for p in day.applicants if p.called_ms is None]
    if left:
        print(f"warning: seed {seed}: never called: {', '.join(left)}", file=sys.stderr)
    if not args.keep:
        for f in sorted(tmp.rglob("*"), reverse=True):
            f.unlink() if f.is_file() or f.is_symlink() else f.rmdir()
        tmp.rmdir()
    row = day_row(day, wall)
    row.update(play.tally)
    row.update(own)
    return day, row


def parse_gap(s: str) -> tuple:
    try:
        lo, hi = (float(x) for x in s.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"--gap wants LOW,HIGH seconds, e.g. 10,40 (got {s!r})")
    if lo < 0 or hi < lo:
        raise argparse.ArgumentTypeError(f"--gap wants 0 <= LOW <= HIGH (got {s!r})")
    return (lo, hi)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=(
            "example: cargo build -p qcall --features test-clock && "
            "scripts/estimate-days.py --bin target/debug/qcall --config config/demo.toml "
            "--shape peak --seeds 6 --gap 10,40 --out /tmp/est-peak"
        ),
    )
    ap.add_argument("--bin", type=Path, help="a qcall built with --features test-clock (required)")
    ap.add_argument("--config", type=Path, default=Path("config/demo.toml"), help="the hall (default config/demo.toml)")
    ap.add_argument("--seeds", type=int, default=6, help="how many days (default 6)")
    ap.add_argument("--first-seed", type=int, default=1, help="the first day's seed (default 1)")
    ap.add_argument("--shape", choices=SHAPES, default="peak", help="the kind of day (default peak)")
    ap.add_argument("--gap", type=parse_gap, default=(0.0, 0.0), help="seconds LOW,HIGH between a clerk being free and calling the next (default 0,0)")
    ap.add_argument("--applicants", type=int, default=380, help="expected applicants a day (default 380)")
    ap.add_argument("--date", type=dt.date.fromisoformat, default=dt.date(2026, 11, 23),
                    help="seed N plays the Nth Monday-to-Friday serving day from this date (default 2026-11-23)")
    ap.add_argument("--out", type=Path, help="where summary.md and tickets.csv go (required)")
    ap.add_argument("--keep", action="store_true", help="keep each day's temp dir (database, log, slips)")
    ap.add_argument("--self-test", action="store_true",
                    help="check the harness's own parts (config rewrite, the days' statistics, the figures) and exit")
    args = ap.parse_args(argv)
    if args.self_test:
        try:
            self_test(args.config)
        except (AssertionError, HarnessError) as e:
            print(f"estimate-days: self-test failed: {e!r}", file=sys.stderr)
            raise
        print("estimate-days: self-test passed")
        return 0
    if args.bin is None or args.out is None:
        ap.error("--bin and --out are required (or --self-test)")
    if not args.bin.is_file() or not os.access(args.bin, os.X_OK):
        ap.error(f"--bin {args.bin} is not an executable; build one with `cargo build -p qcall --features test-clock`")
    if args.seeds < 1 or args.applicants < 1:
        ap.error("--seeds and --applicants must be at least 1")
    started = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    try:
        hall = load_hall(args.config)
        days, rows = [], []
        for seed in range(args.first_seed, args.first_seed + args.seeds):
            day, row = run_day(args, hall, seed)
            days.append(day)
            rows.append(row)
            print(
                f"{args.shape} seed {seed} {day.date}: issued {row['issued']}, called {row['called']}, "
                f"within 25% {pct(row['within'])}, bias {pct(row['bias'], True)}, "
                f"coverage {pct(row['coverage'])}, green within {pct(row['g_within'])}, "
                f"naive within {pct(row['naive_within'])} ({row['wall_s']:.0f} s)",
                flush=True,
            )
        write_outputs(args, hall, days, rows, started)
    except HarnessError as e:
        print(f"estimate-days: {e}", file=sys.stderr)
        return 1
    print(f"wrote {args.out / 'summary.md'} and {args.out / 'tickets.csv'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
