"""Matching benchmark: labbook's matcher vs the optimum vs first-come-first-served.

`python -m bench.matching --quick` (1x survey-shaped instance, < 45 s),
`python -m bench.matching` (1x, 10x, 100x), or
`python -m bench.matching --instance IN.json --out OUT.json` (format in bench/README.md).
"""
from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import random
import sys
import time
from collections import Counter
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

from schemas.catalogue import CATALOGUE
from schemas.regions import REGIONS_BY_CODE, distance_km
from services.booking.scheduler.assignment import assign_batch, book, solve_joint
from services.booking.scheduler.calendar import Calendar
from services.booking.scheduler.matching import Assignment, Demand, LabState, Terms, Unmatched, index_labs, match_one
from services.booking.scheduler.runtime import tune_gc
from services.booking.scheduler.scoring import end_of_day
from services.booking.scheduler.settings import SchedulerSettings
from services.booking.scheduler.windows import Window, Windows, by_method

from .bound import upper_bound

REGIONS = ("RU-SAM RU-MOW RU-MOS RU-SPE RU-LEN RU-NIZ RU-TA RU-KLU RU-ULY RU-UD RU-CHE RU-YAR "
           "RU-RYA RU-SVE RU-PER RU-BA RU-VLA RU-TUL RU-LIP RU-VOR RU-ROS RU-KDA RU-NVS").split()
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)
OUT = Path(__file__).parent / "out"


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
        # Every window of a method (a lab may list several, as the labs API takes them).
        windows = by_method((c["method_code"], Window(c["slots"], datetime.fromisoformat(c["available_from"]),
                                                      datetime.fromisoformat(c["available_to"])))
                            for c in lab.get("capacity", []))
        terms = {s["method_code"]: Terms(s["max_samples"], float(s.get("price_rub", 0)), timedelta(
            hours=s.get("duration_hours") or CATALOGUE[s["method_code"]].duration_hours),
            windows.get(s["method_code"], Windows()))
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

def run_labbook(labs, demands, arrivals, settings, workers: int = 1) -> list:
    """As the scheduler runs: the requests arriving within one batching window
    (settings.batch_window_s) assigned together when it closes.

    With `workers` > 1 the methods are shared out among that many processes, each
    running every window's requests of its methods. Methods never share capacity (a
    calendar, an outlook and a joint solve are all per method), so every request gets
    what one process gives it; only the wall time changes."""
    labs = index_labs(labs)  # once, not per window: its shortlists are reused
    windows = _windows(arrivals, timedelta(seconds=settings.batch_window_s))
    if workers <= 1:
        return _run_windows(labs, demands, windows, settings)
    global _SHARED  # forked workers inherit it: nothing is pickled on the way in
    _SHARED = (labs, demands, windows, settings)
    mine, *theirs = _share_methods(demands, workers)
    try:
        with multiprocessing.get_context("fork").Pool(workers - 1) as pool:
            parts = pool.map_async(_run_share, theirs)
            by_id = {r.request_id: r for r in _run_windows(labs, demands, windows, settings, mine)}
            for part in parts.get():
                by_id.update((row[0], _result(row)) for row in part)
    finally:
        _SHARED = ()
    return [by_id[d.request_id] for d in demands]


def _windows(arrivals: list[datetime], window: timedelta) -> list[tuple[int, int, datetime]]:
    """(first, past-last, closing time) of each batching window, in arrival order."""
    out, i = [], 0
    while i < len(arrivals):
        close, j = arrivals[i] + window, i
        while j < len(arrivals) and arrivals[j] <= close:
            j += 1
        out.append((i, j, close))
        i = j
    return out


def _run_windows(labs, demands, windows, settings, methods=None) -> list:
    calendar, results = Calendar(), []
    for i, j, close in windows:
        batch = demands[i:j] if methods is None else [d for d in demands[i:j] if d.method in methods]
        if batch:
            results += assign_batch(batch, labs, calendar, close, settings, commit=True)
    return results


_SHARED: tuple = ()


def _share_methods(demands, workers: int) -> list[set[str]]:
    """Methods split so each share holds about as many requests (largest first)."""
    counts = Counter(d.method for d in demands)
    shares = [(0, k, set()) for k in range(workers)]
    for method, n in sorted(counts.items(), key=lambda mn: (-mn[1], mn[0])):
        total, k, methods = min(shares)
        methods.add(method)
        shares[k] = (total + n, k, methods)
    return [methods for _, _, methods in shares]


def _run_share(methods: set[str]) -> list[tuple]:
    labs, demands, windows, settings = _SHARED
    return [_row(r) for r in _run_windows(labs, demands, windows, settings, methods)]


def _row(r) -> tuple:
    # Plain tuples cross the process boundary several times faster than dataclasses.
    if isinstance(r, Assignment):
        return r.request_id, r.lab_id, r.method, r.start, r.end, r.completion, r.score
    return r.request_id, r.reason


def _result(row: tuple):
    return Assignment(*row) if len(row) == 7 else Unmatched(*row)


def run_fcfs(labs, demands, arrivals, settings) -> list:
    """match_one for each request at its arrival, reserving as it goes."""
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


def bench(scale: int, settings: SchedulerSettings, offline_s: float | None, workers: int) -> list[dict]:
    instance = generate(scale)
    _, labs, demands, arrivals = load(instance)
    tag, rows = f"{scale}x ({len(demands)} req, {len(labs)} labs)", []
    progress(f"{tag}: labbook ({workers} process{'es' if workers > 1 else ''})")
    ours, t = timed(run_labbook, labs, demands, arrivals, settings, workers)
    rows.append(measure("labbook", ours, demands, labs, t) | {"workers": workers})
    if workers > 1:
        progress(f"{tag}: labbook (1 process)")
        alone, t = timed(run_labbook, labs, demands, arrivals, settings)
        if alone != ours:
            raise AssertionError("sharing methods out among processes changed an answer")
        rows.append(measure("labbook-1-process", alone, demands, labs, t))
    progress(f"{tag}: fcfs greedy")
    fcfs, t = timed(run_fcfs, labs, demands, arrivals, settings)
    rows.append(measure("fcfs-greedy", fcfs, demands, labs, t))
    if offline_s:
        progress(f"{tag}: offline CP-SAT ({offline_s:.0f} s)")
        wide = settings.model_copy(update={"batch_candidates": 10_000})
        best, t = timed(run_offline, labs, demands, arrivals, wide, ours, offline_s)
        rows.append(measure("optimum-cpsat", best, demands, labs, t))
    progress(f"{tag}: upper bound (max flow on a relaxation)")
    (bound, units), t = timed(upper_bound, index_labs(labs), demands, arrivals, settings)
    rows.append({"method": f"upper-bound-{units}", "placed": bound, "km": None, "late_days": None, "seconds": t})
    for row in rows:
        row["instance"] = tag
    return rows


def summary(rows: list[dict]) -> list[str]:
    """Per instance: labbook against the bound (a floor on its share of the optimum) and FCFS."""
    lines = []
    for inst in dict.fromkeys(r["instance"] for r in rows):
        got = {r["method"].split("-")[0] if r["method"].startswith("upper") else r["method"]: r
               for r in rows if r["instance"] == inst}
        ours, alone = got["labbook"], got.get("labbook-1-process")
        split = f" ({ours['workers']} processes; 1 process {alone['seconds']:.1f} s)" if alone else ""
        lines.append(f"{inst}: labbook/upper-bound {ours['placed'] / got['upper']['placed']:.4f}, "
                     f"labbook/fcfs {ours['placed'] / max(1, got['fcfs-greedy']['placed']):.4f}, "
                     f"labbook solve {ours['seconds']:.1f} s{split} vs fcfs {got['fcfs-greedy']['seconds']:.1f} s")
    return lines


def label(row: dict) -> str:
    workers = row.get("workers", 1)
    return f"{row['method']}-{workers}-processes" if workers > 1 else row["method"]


def table(rows: list[dict]) -> str:
    lines = [f"{'instance':<32} {'method':<19} {'placed':>7} {'ship km':>12} {'late d':>7} {'seconds':>8}"]
    for r in rows:
        km = "-" if r["km"] is None else f"{r['km']:,.0f}"
        late = "-" if r["late_days"] is None else f"{r['late_days']:.1f}"
        lines.append(f"{r['instance']:<32} {label(r):<19} {r['placed']:>7} {km:>12} {late:>7} {r['seconds']:>8.2f}")
    return "\n".join(lines)


def plot(rows: list[dict]) -> Path:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    instances = list(dict.fromkeys(r["instance"] for r in rows))
    fig, axes = plt.subplots(1, len(instances), figsize=(5 * len(instances), 4), squeeze=False)
    for ax, inst in zip(axes[0], instances):
        mine = [r for r in rows if r["instance"] == inst]
        bars = ax.bar([label(r) for r in mine], [r["placed"] for r in mine],
                      color=[f"C{i}" for i in range(len(mine))])
        ax.bar_label(bars, [f"{r['placed']:,}\n{r['seconds']:.1f} s" for r in mine], fontsize=7)
        ax.margins(y=0.15)
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
    parser.add_argument("--workers", type=int, default=min(2, os.cpu_count() or 1),
                        help="processes labbook's matcher shares methods out among (default: 2 if the "
                        "machine has 2 cores); one-process timings are printed beside")
    parser.add_argument("--window", type=float, help="labbook's batching window in seconds "
                        "(default: the scheduler's, SCHEDULER_BATCH_WINDOW_S)")
    args = parser.parse_args(argv)
    settings = SchedulerSettings()
    if args.window is not None:
        settings = settings.model_copy(update={"batch_window_s": args.window})
    if args.instance:
        run_instance(args.instance, args.out or Path("/dev/stdout"), settings)
        return
    workers = max(1, args.workers)
    rows = bench(1, settings, offline_s=5, workers=workers)
    if not args.quick:
        for scale in (int(x) for x in args.scales.split(",") if x != "1"):
            rows += bench(scale, settings, offline_s=None, workers=workers)
    print(table(rows))
    print("\n".join(summary(rows)))
    print(f"plot: {plot(rows)}")
    quick = {r["method"]: r["placed"] for r in rows if r["instance"].startswith("1x")}
    bound = next(v for k, v in quick.items() if k.startswith("upper-bound"))
    print(f"matched_vs_best_found {quick['labbook'] / quick['optimum-cpsat']:.4f}")
    # The optimum lies between CP-SAT's best found and the bound: against the bound the
    # ratio can only be understated.
    print(f"matched_vs_optimum {quick['labbook'] / bound:.4f}")


if __name__ == "__main__":
    tune_gc()  # the process runs the matcher as a scheduler worker does
    main()
