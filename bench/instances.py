"""Benchmark instances as JSON-shaped dicts (format in bench/README.md) and their loader.

`generate` makes the survey-shaped instances (1x: 1,300 requests, 40 labs), where
capacity is plentiful; `generate_contested` makes small ones where it binds (see
`Contested`), as a survey backlog or as a stream.
"""
from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

from schemas.catalogue import CATALOGUE
from schemas.regions import REGIONS_BY_CODE
from services.booking.scheduler.matching import Demand, LabState, Terms
from services.booking.scheduler.windows import Window, Windows, by_method

REGIONS = ("RU-SAM RU-MOW RU-MOS RU-SPE RU-LEN RU-NIZ RU-TA RU-KLU RU-ULY RU-UD RU-CHE RU-YAR "
           "RU-RYA RU-SVE RU-PER RU-BA RU-VLA RU-TUL RU-LIP RU-VOR RU-ROS RU-KDA RU-NVS").split()
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)
MIDNIGHT = T0.replace(hour=0)


def generate(scale: int, seed: int = 5) -> dict:
    rnd = random.Random(seed)
    methods = sorted(CATALOGUE)
    orphans = set(rnd.sample(methods, 8))  # nobody in Russia is accredited for these
    offered = [m for m in methods if m not in orphans]
    labs = [_lab(rnd, i, offered) for i in range(40 * scale)]
    suppliers = [rnd.choice(REGIONS[:8] + REGIONS) for _ in range(102 * scale)]  # the core regions weigh more
    requests = [_request(rnd, i, methods, suppliers) for i in range(1300 * scale)]
    return {"now": T0.isoformat(), "labs": labs, "requests": requests}


def _lab(rnd: random.Random, i: int, offered: list[str]) -> dict:
    region = REGIONS_BY_CODE[rnd.choice(REGIONS)]
    scope = rnd.sample(offered, rnd.randint(6, 16))
    end = T0 + timedelta(days=rnd.randint(90, 200))
    return {"lab_id": f"lab-{i:05d}", "lat": region.lat + rnd.uniform(-.5, .5), "lon": region.lon + rnd.uniform(-.5, .5),
            "accreditation": {"status": "active" if rnd.random() > .05 else "suspended",
                              "valid_until": (T0 + timedelta(days=rnd.randint(40, 500))).date().isoformat()},
            # A live agent heartbeats all along: stamp it at the end of the arrival period.
            "heartbeat_at": (T0 + timedelta(days=31) if rnd.random() > .05 else T0 - timedelta(days=4)).isoformat(),
            "scope": [{"method_code": m, "max_samples": rnd.randint(3, 20), "price_rub": rnd.randint(20, 600) * 1000}
                      for m in scope],
            "capacity": [{"method_code": m, "slots": rnd.randint(1, 3), "available_from": T0.isoformat(),
                          "available_to": end.isoformat()} for m in scope if rnd.random() > .1]}


def _request(rnd: random.Random, i: int, methods: list[str], suppliers: list[str]) -> dict:
    method = rnd.choice(methods)
    submitted = T0 + timedelta(minutes=rnd.randint(0, 30 * 24 * 60))
    days = CATALOGUE[method].duration_hours / 24
    deadline = (submitted + timedelta(days=days + rnd.randint(5, 90))).date()
    return {"request_id": f"r{i:06d}", "method_code": method, "samples": rnd.randint(1, 8),
            "deadline": deadline.isoformat(), "ship_from_region": rnd.choice(suppliers),
            "submitted_at": submitted.isoformat()}


@dataclass(frozen=True)
class Contested:
    """What makes an instance contested: per method, `load` times the test-hours the labs'
    windows hold is asked for, by deadlines 2-16 weeks out, so capacity binds and who
    gets which slot decides how many are placed. Long (corrosion, climate) and short
    (EMC, mechanical) methods; every lab holds several of them, each in 1-2 chambers."""

    labs: int = 5
    methods: tuple[str, ...] = ("ISO9227-NSS-480", "ISO6270-2-CH-240", "UNECE-R10", "IEC60068-2-30-DB",
                                "ISO11452-2")  # 20, 10, 10, 6 and 3 days
    methods_per_lab: tuple[int, int] = (2, 4)
    window_days: tuple[int, int] = (56, 98)  # each lab+method's window, from T0's midnight
    load: float = 1.3  # demand hours / window hours, per method
    deadline_weeks: tuple[int, int] = (2, 16)  # after the request is submitted
    deadline_skew: float = 1.5  # > 1 draws deadlines nearer the low end (uniform ** skew)
    backlog_share: float = 0.85  # of a backlog's requests submitted at T0; the rest over `arrival_days`
    arrival_days: int = 21


def generate_contested(seed: int, stream: bool, shape: Contested = Contested()) -> dict:
    """A contested instance: a survey backlog (most requests submitted at T0) or a stream
    (arrivals spread over `shape.arrival_days`)."""
    rnd = random.Random(seed)
    labs = [_contested_lab(rnd, i, shape) for i in range(shape.labs)]
    hours = {m: 0.0 for m in shape.methods}
    for lab in labs:
        for c in lab["capacity"]:
            span = datetime.fromisoformat(c["available_to"]) - datetime.fromisoformat(c["available_from"])
            hours[c["method_code"]] += c["slots"] * span / timedelta(hours=1)
    wanted = [m for m in shape.methods for _ in range(round(shape.load * hours[m] / CATALOGUE[m].duration_hours))]
    rnd.shuffle(wanted)
    requests = [_contested_request(rnd, i, m, stream, shape) for i, m in enumerate(wanted)]
    return {"now": T0.isoformat(), "labs": labs, "requests": requests}


def _contested_lab(rnd: random.Random, i: int, shape: Contested) -> dict:
    region = REGIONS_BY_CODE[rnd.choice(REGIONS[:12])]
    scope = rnd.sample(shape.methods, rnd.randint(*shape.methods_per_lab))
    lat, lon = region.lat + rnd.uniform(-.3, .3), region.lon + rnd.uniform(-.3, .3)
    return {"lab_id": f"lab-{i:03d}", "lat": lat, "lon": lon,
            "accreditation": {"status": "active", "valid_until": (T0 + timedelta(days=400)).date().isoformat()},
            "heartbeat_at": (T0 + timedelta(days=shape.arrival_days + 1)).isoformat(),
            "scope": [{"method_code": m, "max_samples": rnd.randint(4, 10), "price_rub": rnd.randint(40, 300) * 1000}
                      for m in scope],
            "capacity": [{"method_code": m, "slots": rnd.randint(1, 2), "available_from": MIDNIGHT.isoformat(),
                          "available_to": (MIDNIGHT + timedelta(days=rnd.randint(*shape.window_days))).isoformat()}
                         for m in scope]}


def _contested_request(rnd: random.Random, i: int, method: str, stream: bool, shape: Contested) -> dict:
    later = stream or rnd.random() > shape.backlog_share
    submitted = T0 + timedelta(minutes=rnd.randint(1, shape.arrival_days * 24 * 60) if later else 0)
    low, high = (7 * w for w in shape.deadline_weeks)
    deadline = submitted + timedelta(days=low + round((high - low) * rnd.random() ** shape.deadline_skew))
    return {"request_id": f"r{i:05d}", "method_code": method, "samples": rnd.randint(1, 8),
            "deadline": deadline.date().isoformat(), "ship_from_region": rnd.choice(REGIONS[:12]),
            "submitted_at": submitted.isoformat()}


def load(instance: dict) -> tuple[datetime, list[LabState], list[Demand], list[datetime]]:
    """(now, labs, demands, release times), in the order the requests reach the scheduler:
    each at its release, `release_at` if given, else `submitted_at` (default `now`), never
    before `now`; ties in submission order."""
    now = datetime.fromisoformat(instance["now"])
    labs = [_lab_state(lab) for lab in instance["labs"]]

    def release(r: dict) -> datetime:
        submitted = datetime.fromisoformat(r.get("submitted_at", instance["now"]))
        return max(now, submitted, datetime.fromisoformat(r.get("release_at") or submitted.isoformat()))
    reqs = sorted(instance["requests"], key=lambda r: (release(r), r.get("submitted_at", instance["now"]),
                                                       r["request_id"]))
    demands = [Demand(r["request_id"], r["method_code"], r["samples"], date.fromisoformat(r["deadline"]),
                      r["ship_from_region"], frozenset(r.get("preferred_lab_ids", ())),
                      frozenset(r.get("excluded_lab_ids", ()))) for r in reqs]
    return now, labs, demands, [release(r) for r in reqs]


def _lab_state(lab: dict) -> LabState:
    # Every window of a method (a lab may list several, as the labs API takes them).
    windows = by_method((c["method_code"], Window(c["slots"], datetime.fromisoformat(c["available_from"]),
                                                  datetime.fromisoformat(c["available_to"])))
                        for c in lab.get("capacity", []))
    terms = {s["method_code"]: Terms(s["max_samples"], float(s.get("price_rub", 0)), timedelta(
        hours=s.get("duration_hours") or CATALOGUE[s["method_code"]].duration_hours),
        windows.get(s["method_code"], Windows()))
        for s in lab["scope"] if s.get("duration_hours") or s["method_code"] in CATALOGUE}
    acc, beat = lab["accreditation"], lab.get("heartbeat_at")
    return LabState(lab["lab_id"], lab["lat"], lab["lon"], acc["status"] == "active",
                    date.fromisoformat(acc["valid_until"]), beat and datetime.fromisoformat(beat), terms)
