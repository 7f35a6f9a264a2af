"""The figures (accuracy, bias, range coverage, the naive baseline) and the
report: `summary.md` and `tickets.csv`. Reads what `play` recorded; talks to
no daemon."""

from __future__ import annotations

import csv
import datetime as dt
import os
import statistics
import subprocess
from pathlib import Path

from estimate_days import GREEN_SHARE, NO_SHOW_SHARE, OCCUPANCY, LONG_WAIT_S
from estimate_days.hall import Hall, service_shares
from estimate_days.day import Day


def figures(people: list) -> dict:
    called = [p for p in people if p.called_ms is not None and p.est_s is not None]
    waits = [(p, (p.called_ms - p.arrive_ms) / 1000) for p in called]
    long = [(p, w) for p, w in waits if w >= LONG_WAIT_S]

    def share(xs):
        return sum(xs) / len(xs) if xs else None

    def med(xs):
        return statistics.median(xs) if xs else None

    ranged = [(p, w) for p, w in waits if p.range_s]
    return {
        "long": len(long),
        "within": share([abs(p.est_s - w) <= 0.25 * w for p, w in long]),
        "abs_err": med([abs(p.est_s - w) / w for p, w in long]),
        "bias": med([(p.est_s - w) / w for p, w in long]),
        "coverage": share([p.range_s[0] <= w <= p.range_s[1] for p, w in ranged]) if ranged else None,
        "naive_within": share([abs(p.naive_s - w) <= 0.25 * w for p, w in long]),
        "naive_bias": med([(p.naive_s - w) / w for p, w in long]),
    }


def pct(x, signed=False):
    if x is None:
        return "–"
    return f"{100 * x:+.0f}%" if signed else f"{100 * x:.0f}%"


COLUMNS = [
    ("within 25%", "within", False),
    ("median abs err", "abs_err", False),
    ("median bias", "bias", True),
    ("range coverage", "coverage", False),
    ("green within 25%", "g_within", False),
    ("green bias", "g_bias", True),
    ("green coverage", "g_coverage", False),
    ("naive within 25%", "naive_within", False),
    ("naive bias", "naive_bias", True),
    ("daemon's own bias", "own_bias", True),
    ("daemon's own coverage", "own_coverage", False),
]


def day_row(day: Day, wall_s: float) -> dict:
    people = day.applicants
    f = figures(people)
    g = figures([p for p in people if p.green])
    f.update(
        g_within=g["within"],
        g_bias=g["bias"],
        g_coverage=g["coverage"],
        g_long=g["long"],
        issued=sum(p.ticket_id is not None for p in people),
        called=sum(p.called_ms is not None for p in people),
        green=sum(p.green for p in people),
        wall_s=wall_s,
    )
    waits = [(p.called_ms - p.arrive_ms) / 60_000 for p in people if p.called_ms is not None]
    f["wait_median_min"] = statistics.median(waits) if waits else None
    f["wait_max_min"] = max(waits) if waits else None
    last = max((p.called_ms for p in people if p.called_ms is not None), default=None)
    f["last_call"] = "" if last is None else dt.datetime.fromtimestamp(last / 1000, day.date_tz).strftime("%H:%M")
    return f


def version(binary: Path) -> str:
    out = subprocess.run([str(binary), "--version"], capture_output=True, text=True)
    return out.stdout.strip() or "unknown"


def write_outputs(args, hall: Hall, days: list, rows: list, started: str):
    args.out.mkdir(parents=True, exist_ok=True)
    with open(args.out / "tickets.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(
            [
                "shape", "seed", "gap", "date", "ticket_id", "number", "service", "class", "green",
                "no_show", "issued", "called", "counter", "wait_s", "estimated_wait_s",
                "range_low_s", "range_high_s", "api_ahead", "naive_s", "naive_ahead",
                "naive_counters", "service_s", "true_mean_s",
            ]
        )
        for day in days:
            for p in day.applicants:
                wait = (p.called_ms - p.arrive_ms) / 1000 if p.called_ms is not None else ""
                w.writerow(
                    [
                        day.shape, day.seed, f"{day.gap[0]},{day.gap[1]}", day.date,
                        p.ticket_id, p.number, p.service, p.klass, int(p.green), int(p.no_show),
                        dt.datetime.fromtimestamp(p.arrive_ms / 1000, hall.tz).strftime("%H:%M:%S"),
                        dt.datetime.fromtimestamp(p.called_ms / 1000, hall.tz).strftime("%H:%M:%S")
                        if p.called_ms is not None else "",
                        p.counter, wait, p.est_s,
                        p.range_s[0] if p.range_s else "", p.range_s[1] if p.range_s else "",
                        p.api_ahead, round(p.naive_s, 1), p.naive_ahead, p.naive_counters,
                        round(p.service_ms / 1000, 1), round(day.true_mean_s[p.service], 1),
                    ]
                )
    shares = service_shares(hall)
    L = []
    L.append(f"# Wait estimate through the public API: `{args.shape}`, gap {args.gap[0]}-{args.gap[1]} s\n")
    L.append(f"Run {started} by `scripts/estimate-days.py` against `{args.bin}` ({version(args.bin)}),")
    L.append(f"config `{args.config}`, seeds {args.first_seed}-{args.first_seed + args.seeds - 1}, "
             f"{args.applicants} applicants expected a day.")
    L.append(f"Machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f} at the end; "
             f"wall time per day {statistics.median(r['wall_s'] for r in rows):.0f} s (median).\n")
    L.append("## Figures per day\n")
    L.append("Over tickets that waited 5 minutes or more: within 25%, median absolute error, median bias "
             "(negative = optimistic). Coverage: over all called tickets, low <= actual <= high. "
             "Naive: people ahead x true mean / counters serving. The daemon's own: `estimate_bias` and "
             "`estimate_range_coverage` of `GET /stats` at the end of the day (its own definitions), "
             "where the binary has them.\n")
    head = ["seed", "date", "issued", "called", "waited >= 5 min", "green (>= 5 min)"] + [c[0] for c in COLUMNS]
    L.append("| " + " | ".join(head) + " |")
    L.append("|" + "---|" * len(head))
    for day, r in zip(days, rows):
        cells = [str(day.seed), str(day.date), str(r["issued"]), str(r["called"]), str(r["long"]),
                 f"{r['green']} ({r['g_long']})"]
        cells += [pct(r[k], s) for _, k, s in COLUMNS]
        L.append("| " + " | ".join(cells) + " |")
    for name, fn in (("min", min), ("median", statistics.median), ("max", max)):
        cells = [f"**{name}**", "", "", "", "", ""]
        for _, k, s in COLUMNS:
            xs = [r[k] for r in rows if r[k] is not None]
            cells.append(pct(fn(xs), s) if xs else "–")
        L.append("| " + " | ".join(cells) + " |")
    L.append("\n## Per service, all days pooled\n")
    L.append("| service | tickets | waited >= 5 min | within 25% | median bias | range coverage | naive within 25% |")
    L.append("|---|---|---|---|---|---|---|")
    everyone = [p for day in days for p in day.applicants]
    for x in sorted(shares):
        f = figures([p for p in everyone if p.service == x])
        n = sum(p.service == x for p in everyone)
        L.append(f"| {x} | {n} | {f['long']} | {pct(f['within'])} | {pct(f['bias'], True)} | "
                 f"{pct(f['coverage'])} | {pct(f['naive_within'])} |")
    L.append("\n## By the hour the ticket was issued, all days pooled\n")
    L.append("| hour | tickets | waited >= 5 min | within 25% | median bias | range coverage | naive within 25% |")
    L.append("|---|---|---|---|---|---|---|")
    by_hour = {}
    for p in everyone:
        by_hour.setdefault(dt.datetime.fromtimestamp(p.arrive_ms / 1000, hall.tz).hour, []).append(p)
    for h in sorted(by_hour):
        f = figures(by_hour[h])
        L.append(f"| {h:02d}:00 | {len(by_hour[h])} | {f['long']} | {pct(f['within'])} | "
                 f"{pct(f['bias'], True)} | {pct(f['coverage'])} | {pct(f['naive_within'])} |")
    L.append("\n## The days\n")
    L.append("Service mix (share of applicants; counters listing the service first / configured minutes): "
             + ", ".join(f"{x} {100 * shares[x]:.1f}%" for x in sorted(shares)) + ".")
    L.append(f"Green channel {100 * GREEN_SHARE:.0f}%, evenly over {', '.join(hall.green_classes)}. "
             + ("No no-shows, no pauses. " if args.shape == "calm" else
                f"No-shows {100 * NO_SHOW_SHARE:.0f}% (no-show marked 2 minutes after the call); "
                "one ten-minute pause per counter at a random time. ")
             + f"Service times lognormal, sigma {days[0].sigma}.")
    if args.shape == "calm":
        L.append("True means are the configured `avg_service_minutes`.\n")
    elif args.shape == "afternoon":
        L.append("True means: configured x a factor drawn per service for the day (no common scale).\n")
    else:
        L.append(f"True means: configured x a factor drawn per service for the day, x one common scale so that "
                 f"service plus the mean gap fills {100 * OCCUPANCY:.0f}% of the counter-hours.\n")
    L.append("| seed | median wait | longest wait | last call | pauses | break: closed / paused | scale | "
             + " | ".join(f"{x} true mean (factor)" for x in sorted(shares)) + " |")
    L.append("|" + "---|" * (7 + len(shares)))
    for day, r in zip(days, rows):
        L.append(f"| {day.seed} | {r['wait_median_min']:.0f} min | {r['wait_max_min']:.0f} min | {r['last_call']} | "
                 f"{r['pauses']} | {r['lunch_close']} / {r['lunch_pause']} | {day.scale:.2f} | " + " | ".join(
            f"{day.true_mean_s[x] / 60:.1f} min ({day.factors[x]:.2f})" for x in sorted(shares)) + " |")
    L.append("")
    (args.out / "summary.md").write_text("\n".join(L) + "\n", encoding="utf-8")
