"""Matching benchmark: labbook's matcher vs the optimum vs first-come-first-served.

`python -m bench.matching --quick` (1x survey-shaped instance, < 45 s),
`python -m bench.matching` (1x, 10x, 100x), or
`python -m bench.matching --instance IN.json --out OUT.json` (format in bench/README.md).
"""
from __future__ import annotations

import argparse
import json
import random
import sys
import time
from collections import defaultdict
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

from ortools.graph.python import min_cost_flow

from schemas.catalogue import CATALOGUE
from schemas.regions import REGIONS_BY_CODE, distance_km
from services.booking.scheduler.assignment import assign_batch, book, solve_joint
from services.booking.scheduler.calendar import Calendar, Window
from services.booking.scheduler.matching import (Assignment, Demand, LabState, Terms, Unmatched, allowed,
                                                  end_of_day, index_labs, match_one, screen)
from services.booking.scheduler.settings import SchedulerSettings

REGIONS = ("RU-SAM RU-MOW RU-MOS RU-SPE RU-LEN RU-NIZ RU-TA RU-KLU RU-ULY RU-UD RU-CHE RU-YAR "
           "RU-RYA RU-SVE RU-PER RU-BA RU-VLA RU-TUL RU-LIP RU-VOR RU-ROS RU-KDA RU-NVS").split()
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)
OUT = Path(__file__).parent / "out"
WINDOW = timedelta(hours=6)  # the scheduler's batching window for arriving requests
BATCH_MAX = 60  # a window holding more is split so each CP-SAT model stays small


# ---------- instances (JSON-shaped dicts, see README) ----------

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


def load(instance: dict) -> tuple[datetime, list[LabState], list[Demand], list[datetime]]:
    now, labs = datetime.fromisoformat(instance["now"]), []
    for lab in instance["labs"]:
        windows = {c["method_code"]: Window(c["slots"], datetime.fromisoformat(c["available_from"]),
                                            datetime.fromisoformat(c["available_to"])) for c in lab.get("capacity", [])}
        terms = {s["method_code"]: Terms(s["max_samples"], float(s.get("price_rub", 0)), timedelta(
            hours=s.get("duration_hours") or CATALOGUE[s["method_code"]].duration_hours), windows.get(s["method_code"]))
            for s in lab["scope"] if s.get("duration_hours") or s["method_code"] in CATALOGUE}
        acc, beat = lab["accreditation"], lab.get("heartbeat_at")
        labs.append(LabState(lab["lab_id"], lab["lat"], lab["lon"], acc["status"] == "active",
                             date.fromisoformat(acc["valid_until"]), beat and datetime.fromisoformat(beat), terms))
    reqs = sorted(instance["requests"], key=lambda r: (r.get("submitted_at", instance["now"]), r["request_id"]))
    demands = [Demand(r["request_id"], r["method_code"], r["samples"], date.fromisoformat(r["deadline"]),
                      r["ship_from_region"], frozenset(r.get("preferred_lab_ids", ())),
                      frozenset(r.get("excluded_lab_ids", ()))) for r in reqs]
    arrivals = [max(now, datetime.fromisoformat(r.get("submitted_at", instance["now"]))) for r in reqs]
    return now, labs, demands, arrivals


# ---------- the three contenders ----------

def run_labbook(labs, demands, arrivals, settings) -> list:
    """As the scheduler runs: assign_batch per arrival window, matching at the window's end."""
    labs = index_labs(labs)  # once, not per window
    calendar, by_id, results, i = Calendar(), labs.by_id, [], 0
    while i < len(demands):
        close = arrivals[i] + WINDOW
        j = i
        while j < len(demands) and j - i < BATCH_MAX and arrivals[j] < close:
            j += 1
        now = max(arrivals[i:j])
        for result in assign_batch(demands[i:j], labs, calendar, now, settings):
            if isinstance(result, Assignment):
                assert book(calendar, by_id, result)
            results.append(result)
        i = j
    return results


def run_fcfs(labs, demands, arrivals, settings) -> list:
    # match_one + book is assign_greedy for one request, without its calendar copy.
    labs = index_labs(labs)
    calendar, by_id, results = Calendar(), labs.by_id, []
    for demand, at in zip(demands, arrivals):
        result = match_one(demand, labs, calendar, at, settings)
        if isinstance(result, Assignment):
            book(calendar, by_id, result)
        results.append(result)
    return results


def run_offline(labs, demands, arrivals, settings, hint, limit_s) -> list:
    """CP-SAT over every request at once, each still released only on arrival (hindsight optimum)."""
    now = min(arrivals)
    return solve_joint(demands, labs, Calendar(), now, settings, hint, arrivals, time_limit_s=limit_s) or hint


def flow_bound(labs, demands, arrivals, settings) -> tuple[int, float]:
    """Upper bound on requests placed (and the least distance for it), by min-cost max-flow.

    Relaxation: a lab+method with L lanes, jobs of length d and lanes free from A can
    finish at most L*floor((t-A)/d) jobs by time t. Jobs enter a chain of their
    lab+method's cutoffs at their own latest end; chain arcs carry that capacity.
    Release times beyond A and the exact lane layout are ignored, so it is a bound.
    """
    entries, chains = [], defaultdict(set)
    for i, (demand, at) in enumerate(zip(demands, arrivals)):
        for o in allowed(demand, screen(demand, labs, at, settings)[0]):
            w = o.window()
            if w and max(o.release, w.start) + o.terms.duration <= w.end:
                key = (o.lab.lab_id, o.method)
                entries.append((i, key, w.end, round(o.km)))
                chains[key].add(w.end)
    lanes = {(lab.lab_id, m): (t.window, t.duration) for lab in labs for m, t in lab.terms.items() if t.window}
    flow, nodes = min_cost_flow.SimpleMinCostFlow(), {}
    source, sink, nid = 0, 1, 2 + len(demands)
    for key, cutoffs in chains.items():
        window, duration = lanes[key]
        first = max(window.start, min(arrivals))
        ordered = sorted(cutoffs)
        for k, t in enumerate(ordered):
            nodes[(key, t)] = nid + k
            cap = window.slots * int((t - first) / duration)
            flow.add_arc_with_capacity_and_unit_cost(nid + k, nid + k + 1 if k + 1 < len(ordered) else sink, cap, 0)
        nid += len(ordered)
    for i in range(len(demands)):
        flow.add_arc_with_capacity_and_unit_cost(source, 2 + i, 1, 0)
    for i, key, t, km in entries:
        flow.add_arc_with_capacity_and_unit_cost(2 + i, nodes[(key, t)], 1, km)
    flow.set_node_supply(source, len(demands))
    flow.set_node_supply(sink, -len(demands))
    if flow.solve_max_flow_with_min_cost() != flow.OPTIMAL:
        raise RuntimeError("min-cost flow failed")
    return flow.maximum_flow(), float(flow.optimal_cost())


# ---------- measuring ----------

def measure(name, results, demands, labs, seconds) -> dict:
    by_id, by_req = {lab.lab_id: lab for lab in labs}, {d.request_id: d for d in demands}
    placed = [r for r in results if isinstance(r, Assignment)]
    km = late = 0.0
    for a in placed:
        d, lab = by_req[a.request_id], by_id[a.lab_id]
        region = REGIONS_BY_CODE[d.origin]
        km += distance_km(region.lat, region.lon, lab.lat, lab.lon)
        late += max(0.0, (a.completion - end_of_day(d.deadline)) / timedelta(days=1))
    return {"method": name, "placed": len(placed), "km": km, "late_days": late, "seconds": seconds}


def timed(fn, *args):
    start = time.perf_counter()
    out = fn(*args)
    return out, time.perf_counter() - start


def progress(msg: str) -> None:
    print(f"  .. {msg}", file=sys.stderr, flush=True)


def bench(scale: int, settings: SchedulerSettings, offline_s: float | None) -> list[dict]:
    instance = generate(scale)
    _, labs, demands, arrivals = load(instance)
    tag, rows = f"{scale}x ({len(demands)} req, {len(labs)} labs)", []
    progress(f"{tag}: labbook")
    ours, t = timed(run_labbook, labs, demands, arrivals, settings)
    rows.append(measure("labbook", ours, demands, labs, t))
    progress(f"{tag}: fcfs greedy")
    fcfs, t = timed(run_fcfs, labs, demands, arrivals, settings)
    rows.append(measure("fcfs-greedy", fcfs, demands, labs, t))
    if offline_s:
        progress(f"{tag}: offline CP-SAT ({offline_s:.0f} s)")
        wide = settings.model_copy(update={"batch_candidates": 10_000})
        best, t = timed(run_offline, labs, demands, arrivals, wide, ours, offline_s)
        rows.append(measure("optimum-cpsat", best, demands, labs, t))
    progress(f"{tag}: flow upper bound")
    (bound, cost), t = timed(flow_bound, labs, demands, arrivals, settings)
    rows.append({"method": "upper-bound-flow", "placed": bound, "km": cost, "late_days": 0.0, "seconds": t})
    for row in rows:
        row["instance"] = tag
    return rows


def table(rows: list[dict]) -> str:
    lines = [f"{'instance':<32} {'method':<17} {'placed':>7} {'ship km':>12} {'late d':>7} {'seconds':>8}"]
    for r in rows:
        lines.append(f"{r['instance']:<32} {r['method']:<17} {r['placed']:>7} {r['km']:>12,.0f} "
                     f"{r['late_days']:>7.1f} {r['seconds']:>8.2f}")
    return "\n".join(lines)


def plot(rows: list[dict]) -> Path:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    instances = list(dict.fromkeys(r["instance"] for r in rows))
    fig, axes = plt.subplots(1, len(instances), figsize=(5 * len(instances), 4), squeeze=False)
    for ax, inst in zip(axes[0], instances):
        mine = [r for r in rows if r["instance"] == inst]
        ax.bar([r["method"] for r in mine], [r["placed"] for r in mine], color=["C0", "C1", "C2", "C3"][: len(mine)])
        ax.set_title(inst, fontsize=9)
        ax.set_ylabel("requests placed within deadline")
        ax.tick_params(axis="x", labelrotation=20, labelsize=8)
    OUT.mkdir(exist_ok=True)
    path = OUT / "matching.png"
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    return path


def run_instance(src: Path, dst: Path, settings: SchedulerSettings) -> None:
    _, labs, demands, arrivals = load(json.loads(src.read_text()))
    with dst.open("w") as out:
        for r in run_labbook(labs, demands, arrivals, settings):
            line = ({"request_id": r.request_id, "lab_id": r.lab_id, "start": r.start.isoformat(),
                     "end": r.end.isoformat(), "completion": r.completion.isoformat()}
                    if isinstance(r, Assignment) else {"request_id": r.request_id, "unmatched": r.reason})
            out.write(json.dumps(line) + "\n")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="only the 1x instance (< 45 s)")
    parser.add_argument("--instance", type=Path, help="run labbook's matcher on this JSON instance")
    parser.add_argument("--out", type=Path, help="where --instance writes one JSON line per request")
    parser.add_argument("--scales", default="1,10,100", help="instance sizes for the full run")
    args = parser.parse_args(argv)
    settings = SchedulerSettings()
    if args.instance:
        run_instance(args.instance, args.out or Path("/dev/stdout"), settings)
        return
    rows = bench(1, settings, offline_s=5)
    if not args.quick:
        for scale in (int(x) for x in args.scales.split(",") if x != "1"):
            rows += bench(scale, settings, offline_s=None)
    print(table(rows))
    print(f"plot: {plot(rows)}")
    quick = {r["method"]: r["placed"] for r in rows if r["instance"].startswith("1x")}
    print(f"matched_vs_upper_bound {quick['labbook'] / quick['upper-bound-flow']:.4f}")
    print(f"matched_vs_optimum {quick['labbook'] / quick['optimum-cpsat']:.4f}")


if __name__ == "__main__":
    main()
