"""`--self-test`: the harness's own parts against what they must be, without
a daemon: the config it writes, the statistics of the days it draws, and
the figures' arithmetic on hand-made tickets."""

from __future__ import annotations

import datetime as dt
import math
import re
import statistics
import tempfile
import tomllib
from pathlib import Path

from estimate_days import PAUSE_MS, NO_SHOW_WAIT_MS, LUNCH_RATE, GREEN_SHARE, NO_SHOW_SHARE, OCCUPANCY
from estimate_days.hall import load_hall, service_shares, rewrite_config, check_config
from estimate_days.day import Applicant, make_day
from estimate_days.report import figures


def self_test(config: Path) -> None:
    """Checks the harness's own parts against what they must be (no daemon):
    the rewritten config, the drawn days' statistics, and the figures'
    arithmetic on hand-made tickets. Raises AssertionError on a failure."""
    hall = load_hall(config)
    text = config.read_text(encoding="utf-8")
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        out = tmp / "hall.toml"
        out.write_text(rewrite_config(text, "127.0.0.1:1234", tmp / "x.db", tmp), encoding="utf-8")
        check_config(out, "127.0.0.1:1234", tmp / "x.db")
        new, old = tomllib.loads(out.read_text()), tomllib.loads(text)
        assert new["server"]["kiosk_rate_per_minute"] == 0
        assert all(p["uri"].startswith(f"file:{tmp}/") for p in new["printers"])
        assert len(new["printers"]) == len(old["printers"])
        for keep in ("hours", "services", "counters", "classes", "queue"):
            assert new.get(keep) == old.get(keep), f"[{keep}] changed"
        assert new.get("notify", {}).get("webhook", "") == ""
        # A config without [audio] or [server] keys still gets them.
        bare = re.sub(r"(?ms)^\[audio\].*?(?=^\[)", "", text).replace('listen = "', 'xlisten = "')
        out.write_text(rewrite_config(bare, "127.0.0.1:1234", tmp / "x.db", tmp), encoding="utf-8")
        check_config(out, "127.0.0.1:1234", tmp / "x.db")
    start = dt.date(2026, 11, 23)
    # The same seed is the same day; the gap only rescales peak's means.
    a = make_day(hall, "peak", 7, start, (0, 0), 380)
    b = make_day(hall, "peak", 7, start, (10, 40), 380)
    assert [(p.arrive_ms, p.service, p.klass, p.no_show, p.z) for p in a.applicants] == [
        (p.arrive_ms, p.service, p.klass, p.no_show, p.z) for p in b.applicants
    ]
    assert b.scale < a.scale
    assert make_day(hall, "peak", 7, start, (0, 0), 380).applicants == a.applicants
    # Many days: the draws have the statistics the summary claims.
    days = [make_day(hall, "peak", seed, start, (10, 40), 380) for seed in range(1, 201)]
    counts = [len(d.applicants) for d in days]
    assert abs(statistics.mean(counts) - 380) < 6, statistics.mean(counts)
    people = [p for d in days for p in d.applicants]
    green = sum(p.green for p in people) / len(people)
    no_show = sum(p.no_show for p in people) / len(people)
    assert abs(green - GREEN_SHARE) < 0.01 and abs(no_show - NO_SHOW_SHARE) < 0.01, (green, no_show)
    shares = service_shares(hall)
    assert abs(sum(shares.values()) - 1) < 1e-9
    for code, share in shares.items():
        got = sum(p.service == code for p in people) / len(people)
        assert abs(got - share) < 0.01, (code, got, share)
    # Service times: each day's sample mean over its true mean, pooled.
    ratios = [p.service_ms / 1000 / d.true_mean_s[p.service] for d in days for p in d.applicants]
    assert abs(statistics.mean(ratios) - 1) < 0.03, statistics.mean(ratios)
    sd = statistics.pstdev(math.log(r) for r in ratios)
    assert abs(sd - 0.7) < 0.02, sd
    # Rates: the morning peak against the rest of the morning, and lunch.
    def per_minute(lo, hi):
        n = sum(
            lo <= (p.arrive_ms - d.open_ms) / 60_000 + 8 * 60 + 30 < hi
            for d in days
            for p in d.applicants
        )
        return n / (hi - lo) / len(days)
    rest = per_minute(10 * 60 + 30, 12 * 60)
    assert abs(per_minute(9 * 60, 10 * 60 + 30) / rest - 2.5) < 0.2
    assert abs(per_minute(12 * 60, 13 * 60 + 30) / rest - LUNCH_RATE) < 0.05
    # Occupancy: service, gap and the no-shows' two minutes fill 90% of
    # the counter-hours on the expected day.
    for d in days[:20]:
        busy = sum(
            (NO_SHOW_WAIT_MS if p.no_show else d.true_mean_s[p.service] * 1000) + 25_000
            for p in d.applicants
        ) * 380 / len(d.applicants)
        hours = len(hall.counters) * ((d.lunch_ms - d.open_ms) + (d.close_ms - d.reopen_ms))
        assert abs(busy / hours - OCCUPANCY) < 0.08, busy / hours
    for d in days:
        for at in d.pauses.values():
            assert d.open_ms <= at <= d.lunch_ms - PAUSE_MS or d.reopen_ms <= at <= d.close_ms - PAUSE_MS
    # The figures on hand-made tickets: waits 600 s each.
    def t(est, lo=None, hi=None, green=False):
        p = Applicant(0, "A", "normal", green, False, 0.0, est_s=est, naive_s=600, called_ms=600_000)
        p.range_s = None if lo is None else [lo, hi]
        return p
    f = figures([t(600, 500, 700), t(450, 300, 590), t(750, 700, 800), t(900, 100, 1000), t(None)])
    assert f["long"] == 4 and f["within"] == 0.75 and f["coverage"] == 0.5, f
    assert math.isclose(f["bias"], (0.0 + 0.25) / 2) and math.isclose(f["abs_err"], 0.25), f
    assert f["naive_within"] == 1.0
    short = Applicant(0, "A", "normal", False, False, 0.0, est_s=0, called_ms=299_000, naive_s=0)
    short.range_s = [0, 10]
    g = figures([short])
    assert g["long"] == 0 and g["within"] is None and g["coverage"] == 0.0
