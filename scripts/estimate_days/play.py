"""Playing a generated day through the API, event by event: the kiosk takes
each applicant's ticket, the clerks open, call, start, finish, mark no-shows,
pause and take their break; the clock moves to each event's time first.
Records what the daemon answered; computes no figures."""

from __future__ import annotations

import datetime as dt
import heapq
import random
from dataclasses import dataclass

from estimate_days import PAUSE_MS, NO_SHOW_WAIT_MS, HarnessError
from estimate_days.hall import Hall
from estimate_days.day import Applicant, Day
from estimate_days.daemon import Api


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
