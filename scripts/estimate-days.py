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
ticket of every day). Standard library only; Python 3.11.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import heapq
import http.client
import json
import math
import os
import random
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import tomllib
import zoneinfo
from dataclasses import dataclass
from pathlib import Path

SHAPES = ("peak", "calm", "afternoon")
# The ten-minute unplanned pause and the no-show's two minutes (issue 17).
PAUSE_MS = 10 * 60_000
NO_SHOW_WAIT_MS = 2 * 60_000
LUNCH_RATE = 0.15
GREEN_SHARE = 0.12
NO_SHOW_SHARE = 0.05
OCCUPANCY = 0.90
LONG_WAIT_S = 300
START_CLOCK = (7, 55)


class HarnessError(Exception):
    """What went wrong, said so that a person can act on it."""


# --- The hall, as the config describes it -----------------------------------


@dataclass
class Hall:
    tz: zoneinfo.ZoneInfo
    hours: dict  # weekday "mon".. -> ["08:30-12:00", ...]
    cutoff_minutes: int
    holidays: set
    services: dict  # code -> configured avg_service_minutes
    counters: list  # [(id, [service codes])]
    green_classes: list
    default_class: str


def load_hall(path: Path) -> Hall:
    try:
        cfg = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as e:
        raise HarnessError(f"cannot read the config {path}: {e}") from e
    hours = cfg.get("hours", {})
    cutoff = hours.get("cutoff_minutes", 30)
    if not isinstance(cutoff, int):
        raise HarnessError(
            "[hours] cutoff_minutes must be a number of minutes for this harness "
            f"(found {cutoff!r}); run it on a config with a fixed cut-off"
        )
    counters = [(str(c["id"]), list(c["services"])) for c in cfg.get("counters", [])]
    services = {s["code"]: float(s.get("avg_service_minutes", 5)) for s in cfg.get("services", [])}
    green = [c["id"] for c in cfg.get("classes", []) if c.get("green")]
    if not counters or not services:
        raise HarnessError(f"{path} has no [[counters]] or no [[services]]")
    return Hall(
        tz=zoneinfo.ZoneInfo(cfg.get("hall", {}).get("timezone", "Asia/Shanghai")),
        hours={d: hours.get(d, []) for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")},
        cutoff_minutes=cutoff,
        holidays=set(hours.get("holidays", [])),
        services=services,
        counters=counters,
        green_classes=green,
        default_class=cfg.get("queue", {}).get("default_class", "normal"),
    )


def service_shares(hall: Hall) -> dict:
    """Counters listing a service first, divided by its configured minutes:
    the mix the counters are staffed for."""
    first = {code: 0 for code in hall.services}
    for _, svcs in hall.counters:
        first[svcs[0]] += 1
    raw = {code: first[code] / hall.services[code] for code in hall.services}
    total = sum(raw.values())
    return {code: raw[code] / total for code in raw if raw[code] > 0}


def rewrite_config(text: str, listen: str, db: Path, printer_dir: Path) -> str:
    """The config with the harness's own server, database and devices.

    Line-based, section-aware: a forced key is written right after its
    table's header and the config's own line for it is dropped, so a key
    the config leaves out is still set. The result is parsed and checked by
    the caller."""
    forced = {
        "server": {
            "listen": json.dumps(listen),
            "db": json.dumps(str(db)),
            "kiosk_rate_per_minute": "0",
        },
        "audio": {"enabled": "false"},
        "notify": {"webhook": '""'},
    }
    header = re.compile(r"^\s*(\[\[?)\s*([A-Za-z0-9_.\-]+)\s*\]\]?\s*(#.*)?$")
    key = re.compile(r"^\s*([A-Za-z0-9_\-]+)\s*=")
    out, seen, section, printers = [], set(), None, 0
    for line in text.splitlines():
        m = header.match(line)
        if m:
            section = m.group(2)
            out.append(line)
            seen.add(section)
            for k, v in forced.get(section, {}).items():
                out.append(f"{k} = {v}")
            if section == "printers" and m.group(1) == "[[":
                printers += 1
                out.append(f'uri = "file:{printer_dir}/printer-{printers}.escpos"')
            if section == "rating":
                out.append('upload_url = ""')
            continue
        k = key.match(line)
        if k and section is not None:
            name = k.group(1)
            if name in forced.get(section, {}):
                continue
            if section == "printers" and name == "uri":
                continue
            if section == "rating" and name == "upload_url":
                continue
        out.append(line)
    for section in ("server", "audio"):
        if section not in seen:
            out.append(f"[{section}]")
            out.extend(f"{k} = {v}" for k, v in forced[section].items())
    return "\n".join(out) + "\n"


def check_config(path: Path, listen: str, db: Path) -> None:
    cfg = tomllib.loads(path.read_text(encoding="utf-8"))
    server = cfg.get("server", {})
    bad = []
    if server.get("listen") != listen or server.get("db") != str(db):
        bad.append("[server] listen/db")
    if cfg.get("audio", {}).get("enabled") is not False:
        bad.append("[audio] enabled")
    for p in cfg.get("printers", []):
        if not str(p.get("uri", "")).startswith("file:"):
            bad.append(f"printer {p.get('id')}")
    if bad:
        raise HarnessError(f"rewriting the config left {', '.join(bad)} unchanged ({path})")


# --- One generated day -------------------------------------------------------


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


# --- The daemon --------------------------------------------------------------


class Api:
    """One keep-alive HTTP connection to the daemon."""

    def __init__(self, host: str, port: int):
        self.host, self.port = host, port
        self.conn = http.client.HTTPConnection(host, port, timeout=60)

    def request(self, method: str, path: str, body=None, token: str | None = None):
        headers = {}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        if token:
            headers["Authorization"] = f"Bearer {token}"
        for attempt in (1, 2):
            try:
                self.conn.request(method, path, body=data, headers=headers)
                resp = self.conn.getresponse()
                raw = resp.read()
                break
            except (http.client.HTTPException, OSError) as e:
                self.conn.close()
                self.conn = http.client.HTTPConnection(self.host, self.port, timeout=60)
                # Only a GET is retried: a POST may have been done.
                if attempt == 2 or method != "GET":
                    raise HarnessError(f"{method} {path}: the daemon did not answer ({e})") from e
        value = json.loads(raw) if raw else None
        return resp.status, value

    def expect(self, method: str, path: str, body=None, token=None, ok=(200,)):
        status, value = self.request(method, path, body, token)
        if status not in ok:
            raise HarnessError(f"{method} {path} answered {status}: {value}")
        return status, value


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Daemon:
    def __init__(self, binary: Path, config: Path, tmp: Path, clock_ms: int):
        self.log = open(tmp / "daemon.log", "w")
        env = dict(os.environ, QCALL_TEST_CLOCK_MS=str(clock_ms), RUST_LOG="warn")
        self.proc = subprocess.Popen(
            [str(binary), "serve", "--config", str(config)],
            stdout=subprocess.PIPE,
            stderr=self.log,
            env=env,
            text=True,
        )
        line = self.proc.stdout.readline()
        m = re.search(r"http://127\.0\.0\.1:(\d+)", line)
        if not m:
            self.stop()
            raise HarnessError(
                f"qcall serve did not start (first line {line!r}); see {tmp / 'daemon.log'}"
            )
        self.api = Api("127.0.0.1", int(m.group(1)))
        status, _ = self.api.request("GET", "/healthz")
        if status != 200:
            self.stop()
            raise HarnessError(f"/healthz answered {status}")
        status, body = self.api.request("POST", "/api/v1/test/clock", {"set_ms": clock_ms})
        if status != 200:
            self.stop()
            raise HarnessError(
                f"POST /api/v1/test/clock answered {status} ({body}): build the binary with "
                "`cargo build -p qcall --features test-clock`"
            )

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


def create_token(binary: Path, config: Path, counter: str) -> str:
    out = subprocess.run(
        [str(binary), "token", "create", "--config", str(config), "--counter", counter],
        capture_output=True,
        text=True,
        env=dict(os.environ, RUST_LOG="warn"),
    )
    tokens = [w for w in out.stdout.split() if w.strip()]
    if out.returncode != 0 or not tokens:
        raise HarnessError(f"qcall token create --counter {counter} failed: {out.stderr.strip()}")
    return tokens[-1]


# --- Playing the day ---------------------------------------------------------


@dataclass
class Clerk:
    id: str
    services: list
    token: str
    state: str = "closed"  # closed, idle, busy, paused, lunch, done
    lunch_how: str = ""  # "close" or "pause": how it left for the break
    call_pending: int = 0  # the generation of a scheduled call, 0 = none
    gen: int = 0
    pause_at: int | None = None
    paused_once: bool = False
    current: Applicant | None = None


def parse_local(s: str) -> int:
    return int(dt.datetime.fromisoformat(s).timestamp() * 1000)


class Play:
    def __init__(self, hall: Hall, day: Day, api: Api, tokens: dict):
        self.hall, self.day, self.api = hall, day, api
        self.clerks = {
            cid: Clerk(cid, svcs, tokens[cid], pause_at=day.pauses.get(cid))
            for cid, svcs in hall.counters
        }
        self.by_id = {}
        self.waiting = []  # applicants issued and not called, in issue order
        self.events, self.order = [], 0
        self.now = None
        self.gap_rng = random.Random(f"qcall-estimate-days:gaps:{day.shape}:{day.seed}")
        self.clock_mismatch = 0
        # What the clerks did, for the summary: pauses taken, and how they
        # left for the break.
        self.tally = {"pauses": 0, "lunch_close": 0, "lunch_pause": 0}

    def push(self, t: int, kind: str, *args):
        self.order += 1
        heapq.heappush(self.events, (t, self.order, kind, args))

    def gap_ms(self) -> int:
        lo, hi = self.day.gap
        return int(1000 * self.gap_rng.uniform(lo, hi)) if hi > 0 else 0

    def act(self, clerk: Clerk, action: str, ok=(200,)):
        return self.api.expect(
            "POST", f"/api/v1/counters/{clerk.id}/{action}", {}, clerk.token, ok=ok
        )

    def run(self):
        d = self.day
        for cid in self.clerks:
            self.push(d.open_ms, "open", cid)
        for p in d.applicants:
            self.push(p.arrive_ms, "arrive", p)
        for cid, c in self.clerks.items():
            if c.pause_at is not None:
                self.push(c.pause_at, "pause", cid)
            self.push(d.lunch_ms, "lunch", cid)
            self.push(d.reopen_ms, "reopen", cid)
            self.push(d.close_ms, "closing", cid)
        while self.events:
            t, _, kind, args = heapq.heappop(self.events)
            if t != self.now:
                self.api.expect("POST", "/api/v1/test/clock", {"set_ms": t})
                self.now = t
            getattr(self, "on_" + kind)(*args)

    # Clerks.
    def schedule_call(self, c: Clerk, t: int):
        c.gen += 1
        c.call_pending = c.gen
        self.push(t, "call", c.id, c.gen)

    def free(self, c: Clerk):
        """A clerk between two applicants decides what comes next."""
        t = self.now
        c.current = None
        c.state = "idle"
        c.call_pending = 0
        if self.day.in_lunch(t):
            self.go_lunch(c)
        elif c.pause_at is not None and not c.paused_once and t >= c.pause_at:
            self.do_pause(c)
        else:
            self.schedule_call(c, t + self.gap_ms())

    def do_pause(self, c: Clerk):
        self.act(c, "pause")
        self.tally["pauses"] += 1
        c.state, c.paused_once, c.call_pending = "paused", True, 0
        self.push(self.now + PAUSE_MS, "resume", c.id)

    def go_lunch(self, c: Clerk):
        status, body = self.act(c, "close", ok=(200, 409))
        if status == 409:
            # The last open counter of a waiting queue may not close: the
            # clerk pauses over the break instead.
            self.act(c, "pause")
            c.lunch_how = "pause"
        else:
            c.lunch_how = "close"
        self.tally["lunch_" + c.lunch_how] += 1
        c.state, c.call_pending = "lunch", 0

    def on_open(self, cid: str):
        c = self.clerks[cid]
        self.act(c, "open")
        c.state = "idle"
        self.schedule_call(c, self.now)

    def on_call(self, cid: str, gen: int):
        c = self.clerks[cid]
        if c.state != "idle" or c.call_pending != gen:
            return
        c.call_pending = 0
        t = self.now
        if self.day.in_lunch(t):
            self.go_lunch(c)
            return
        if c.pause_at is not None and not c.paused_once and t >= c.pause_at:
            self.do_pause(c)
            return
        status, body = self.act(c, "call-next", ok=(200, 204))
        if status == 204:
            if t >= self.day.close_ms:
                self.act(c, "close")
                c.state = "done"
            return  # idle: the next arrival for its services wakes it
        ticket = body["ticket"]
        p = self.by_id.get(ticket["id"])
        if p is None:
            raise HarnessError(f"counter {cid} called ticket {ticket['id']}, which this harness never took")
        p.called_ms, p.counter = t, cid
        if ticket.get("called_at") and abs(parse_local(ticket["called_at"]) - t) >= 1000:
            self.clock_mismatch += 1
        self.waiting.remove(p)
        c.state, c.current = "busy", p
        if p.no_show:
            self.push(t + NO_SHOW_WAIT_MS, "no_show", cid)
        else:
            self.act(c, "start")
            self.push(t + p.service_ms, "finish", cid)

    def on_finish(self, cid: str):
        c = self.clerks[cid]
        self.act(c, "finish")
        self.free(c)

    def on_no_show(self, cid: str):
        c = self.clerks[cid]
        self.act(c, "no-show")
        self.free(c)

    def on_resume(self, cid: str):
        c = self.clerks[cid]
        self.act(c, "resume")
        self.free(c)

    def on_pause(self, cid: str):
        c = self.clerks[cid]
        if c.state == "idle" and not c.paused_once:
            self.do_pause(c)
        # Busy: it pauses when it is next free (Clerk.free).

    def on_lunch(self, cid: str):
        c = self.clerks[cid]
        if c.state == "idle":
            self.go_lunch(c)
        # Busy or paused: it goes when it is next free.

    def on_reopen(self, cid: str):
        c = self.clerks[cid]
        if c.state != "lunch":
            return
        self.act(c, "open" if c.lunch_how == "close" else "resume")
        c.state = "idle"
        self.schedule_call(c, self.now)

    def on_closing(self, cid: str):
        c = self.clerks[cid]
        if c.state == "idle" and not c.call_pending:
            self.schedule_call(c, self.now)

    # The kiosk.
    def staffed(self, c: Clerk) -> bool:
        return c.state in ("idle", "busy", "paused")

    def naive(self, p: Applicant):
        t = self.now
        ahead = [q for q in self.waiting if q.service == p.service and (q.green or not p.green)]
        listing = [c for c in self.clerks.values() if p.service in c.services]
        serving = [c for c in listing if self.staffed(c)]
        until = 0.0
        if not serving:
            serving = listing
            if t < self.day.open_ms:
                until = (self.day.open_ms - t) / 1000
            elif self.day.in_lunch(t):
                until = (self.day.reopen_ms - t) / 1000
        p.naive_ahead, p.naive_counters = len(ahead), len(serving)
        p.naive_s = until + len(ahead) * self.day.true_mean_s[p.service] / len(serving)

    def on_arrive(self, p: Applicant):
        self.naive(p)
        _, body = self.api.expect(
            "POST",
            "/api/v1/tickets",
            {"service": p.service, "priority": p.klass, "source": "kiosk-1"},
            ok=(201,),
        )
        t = body["ticket"]
        p.ticket_id, p.number = t["id"], t["number"]
        p.est_s = t.get("estimated_wait_s")
        p.range_s = t.get("estimated_wait_range_s")
        p.api_ahead = t.get("ahead")
        self.by_id[p.ticket_id] = p
        self.waiting.append(p)
        wake = [
            c
            for c in self.clerks.values()
            if c.state == "idle" and not c.call_pending and p.service in c.services
        ]
        self.gap_rng.shuffle(wake)
        for c in wake:
            self.schedule_call(c, self.now + self.gap_ms())


# --- Figures ------------------------------------------------------------------


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


# --- Main ---------------------------------------------------------------------


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


def cross_check(api: Api, day: Day) -> dict:
    """The daemon's own count of the day must be the harness's: otherwise
    the harness did not drive what it thinks it drove. Returns the daemon's
    own estimate figures (`GET /stats`), when the binary has them."""
    _, stats = api.expect("GET", f"/api/v1/stats?date={day.date}")
    total = stats.get("total", {})
    people = day.applicants
    mine = {
        "issued": sum(p.ticket_id is not None for p in people),
        "served": sum(p.called_ms is not None and not p.no_show for p in people),
        "no_show": sum(p.called_ms is not None and p.no_show for p in people),
    }
    theirs = {k: total.get(k) for k in mine}
    if mine != theirs:
        raise HarnessError(f"GET /stats counts {theirs}, the harness {mine}")
    return {
        "own_bias": total.get("estimate_bias"),
        "own_coverage": total.get("estimate_range_coverage"),
    }


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
