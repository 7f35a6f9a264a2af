"""One generated day: its applicants (arrival, service, class, no-show,
service time), the clerks' pauses and the day's true means, drawn from the
harness's own seeded `random.Random` before the daemon starts. Pure: no IO,
no daemon."""

from __future__ import annotations

import datetime as dt
import math
import random
import zoneinfo
from dataclasses import dataclass

from estimate_days import NO_SHOW_WAIT_MS, LUNCH_RATE, GREEN_SHARE, NO_SHOW_SHARE, OCCUPANCY, HarnessError
from estimate_days.hall import Hall, service_shares


def hhmm(s: str) -> int:
    h, m = s.split(":")
    return int(h) * 60 + int(m)


@dataclass
class Applicant:
    arrive_ms: int
    service: str
    klass: str
    green: bool
    no_show: bool
    z: float  # the standard normal draw behind its service time
    service_ms: int = 0
    # What the daemon answered and what happened.
    ticket_id: int | None = None
    number: str = ""
    est_s: float | None = None
    range_s: list | None = None
    api_ahead: int | None = None
    called_ms: int | None = None
    counter: str = ""
    naive_s: float | None = None
    naive_ahead: int = 0
    naive_counters: int = 0


@dataclass
class Day:
    shape: str
    seed: int
    date: dt.date
    open_ms: int
    lunch_ms: int
    reopen_ms: int
    close_ms: int
    cutoff_ms: int
    sigma: float
    factors: dict
    scale: float
    true_mean_s: dict
    applicants: list
    pauses: dict  # counter id -> ms
    gap: tuple
    date_tz: zoneinfo.ZoneInfo

    def in_lunch(self, t: int) -> bool:
        return self.lunch_ms <= t < self.reopen_ms


def serving_days(hall: Hall, start: dt.date):
    day = start
    while True:
        name = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")[day.weekday()]
        if day.weekday() < 5 and day.isoformat() not in hall.holidays and hall.hours[name]:
            yield day, name
        day += dt.timedelta(days=1)


def day_date(hall: Hall, start: dt.date, seed: int):
    gen = serving_days(hall, start)
    for _ in range(max(seed, 1)):
        date, name = next(gen)
    return date, name


def local_ms(hall: Hall, date: dt.date, minutes: float) -> int:
    midnight = dt.datetime(date.year, date.month, date.day, tzinfo=hall.tz)
    return int(midnight.timestamp() * 1000 + minutes * 60_000)


def rate_multiplier(shape: str, minute: float, lunch: tuple) -> float:
    if lunch[0] <= minute < lunch[1]:
        return LUNCH_RATE
    if shape == "peak":
        if 9 * 60 <= minute < 10 * 60 + 30:
            return 2.5
        if 14 * 60 + 30 <= minute < 15 * 60 + 30:
            return 1.5
    if shape == "afternoon":
        if minute < lunch[0]:
            return 0.5
        if 13 * 60 + 30 <= minute < 15 * 60:
            return 2.0
    return 1.0


def make_day(hall: Hall, shape: str, seed: int, start: dt.date, gap: tuple, applicants: int) -> Day:
    """The whole day, drawn before the daemon starts. The draws depend on
    the shape and the seed only, so the same seed gives the same applicants
    at every --gap (only the common scale differs, keeping occupancy)."""
    rng = random.Random(f"qcall-estimate-days:{shape}:{seed}")
    date, weekday = day_date(hall, start, seed)
    ranges = hall.hours[weekday]
    if len(ranges) != 2:
        raise HarnessError(
            f"{weekday} has hours {ranges}; this harness needs a morning and an "
            "afternoon (two ranges, a break between them)"
        )
    (o, l), (r, c) = [tuple(hhmm(x) for x in rg.split("-")) for rg in ranges]
    cutoff = c - hall.cutoff_minutes
    # Arrivals by thinning: candidates at the highest rate, kept with
    # probability multiplier / highest.
    step, weight = 1.0, 0.0
    minute = o
    while minute < cutoff:
        weight += rate_multiplier(shape, minute + step / 2, (l, r)) * step
        minute += step
    base = applicants / weight  # per minute at multiplier 1
    top = 2.5 * base
    arrivals, minute = [], float(o)
    while True:
        minute += rng.expovariate(top)
        if minute >= cutoff:
            break
        if rng.random() < rate_multiplier(shape, minute, (l, r)) * base / top:
            arrivals.append(minute)
    shares = service_shares(hall)
    codes = sorted(shares)
    sigma = {"peak": 0.7, "calm": 0.3, "afternoon": 0.7}[shape]
    spread = {"peak": 0.5, "calm": 0.0, "afternoon": 0.3}[shape]
    factors = {code: rng.uniform(1 - spread, 1 + spread) for code in codes}
    people = []
    for minute in arrivals:
        service = rng.choices(codes, weights=[shares[x] for x in codes])[0]
        green = rng.random() < GREEN_SHARE and bool(hall.green_classes)
        klass = rng.choice(hall.green_classes) if green else hall.default_class
        no_show = shape != "calm" and rng.random() < NO_SHOW_SHARE
        people.append(
            Applicant(
                arrive_ms=local_ms(hall, date, minute),
                service=service,
                klass=klass,
                green=green,
                no_show=no_show,
                z=rng.gauss(0.0, 1.0),
            )
        )
    pauses = {}
    if shape != "calm":
        for cid, _ in hall.counters:
            span_a, span_b = (l - o) - 10, (c - r) - 10
            x = rng.uniform(0, span_a + span_b)
            at = o + x if x < span_a else r + (x - span_a)
            pauses[cid] = local_ms(hall, date, at)
    # One common scale on `peak`: service plus the mean gap fills OCCUPANCY
    # of the counter-minutes (calm and afternoon keep the configured means,
    # times their factors).
    gap_mean_min = (gap[0] + gap[1]) / 2 / 60
    if shape != "peak":
        scale = 1.0
    else:
        counter_minutes = len(hall.counters) * ((l - o) + (c - r))
        mean_service = sum(shares[x] * hall.services[x] * factors[x] for x in codes)
        no_show_min = (NO_SHOW_SHARE * NO_SHOW_WAIT_MS / 60_000) / (1 - NO_SHOW_SHARE)
        per_served = OCCUPANCY * counter_minutes / (applicants * (1 - NO_SHOW_SHARE))
        scale = (per_served - gap_mean_min - no_show_min) / mean_service
        if scale <= 0:
            raise HarnessError("the gap alone fills the hall's hours; use a smaller --gap")
    true_mean_s = {x: hall.services[x] * factors[x] * scale * 60 for x in codes}
    for p in people:
        mean = true_mean_s[p.service]
        p.service_ms = max(1000, int(1000 * mean * math.exp(sigma * p.z - sigma * sigma / 2)))
    return Day(
        shape=shape,
        seed=seed,
        date=date,
        open_ms=local_ms(hall, date, o),
        lunch_ms=local_ms(hall, date, l),
        reopen_ms=local_ms(hall, date, r),
        close_ms=local_ms(hall, date, c),
        cutoff_ms=local_ms(hall, date, cutoff),
        sigma=sigma,
        factors=factors,
        scale=scale,
        true_mean_s=true_mean_s,
        applicants=people,
        pauses=pauses,
        gap=gap,
        date_tz=hall.tz,
    )
