"""The daemon as a process and an HTTP API: starting `qcall serve` on the
test clock, tokens from the CLI, one keep-alive connection, and the end of
day check against `GET /stats`. Knows nothing about how a day is played."""

from __future__ import annotations

import http.client
import json
import os
import re
import socket
import subprocess
from pathlib import Path

from estimate_days import HarnessError
from estimate_days.day import Day


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
