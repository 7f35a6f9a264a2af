"""The hall as its config describes it, and the temporary copy of the config
the daemon runs on (its own port, database and devices). Reads TOML with the
standard library; does not start anything."""

from __future__ import annotations

import json
import re
import tomllib
import zoneinfo
from dataclasses import dataclass
from pathlib import Path

from estimate_days import HarnessError


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
