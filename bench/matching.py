"""Matching benchmark: labbook's matcher vs the hindsight optimum vs first-come-first-served.

`python -m bench.matching --quick` (1x survey-shaped instance and the contested
backlog and stream of seed 1, about 90 s on 2 cores), `python -m bench.matching`
(also 10x and 100x, more seeds), or
`python -m bench.matching --instance IN.json --out OUT.json` (format in bench/README.md).
"""
from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import resource
import sys
import time
from pathlib import Path

from services.booking.scheduler.matching import Assignment, index_labs
from services.booking.scheduler.runtime import tune_gc
from services.booking.scheduler.settings import SchedulerSettings

from . import report
from .bound import upper_bound
from .contenders import run_earliest, run_fcfs, run_labbook, run_planned
from .hindsight import optimum
from .instances import generate, generate_contested, load

__all__ = ["generate", "load", "main", "run_fcfs", "run_labbook"]


def timed(fn, *args):
    start = time.perf_counter()
    out = fn(*args)
    return out, time.perf_counter() - start


def progress(msg: str) -> None:
    print(f"  .. {msg}", file=sys.stderr, flush=True)


def bench(scale: int, settings: SchedulerSettings, limit_s: float | None, workers: int,
          plan_ahead: bool = False) -> list[dict]:
    """Today's survey-shaped instance at `scale`: labbook, FCFS, the optimum (if limit_s),
    the bound, and (`plan_ahead`) labbook planning ahead, its rounds and peak memory."""
    _, labs, demands, arrivals = load(generate(scale))
    tag, rows = f"{scale}x ({len(demands)} req, {len(labs)} labs)", []
    if plan_ahead:
        progress(f"{tag}: labbook planning ahead (rounds every {settings.plan_round_s:g} s, "
                 f"{workers} process{'es' if workers > 1 else ''})")
        planned, t = timed(run_planned, labs, demands, arrivals, settings, True, workers)
        rows.append(report.measure("labbook-planned", planned.results, demands, labs, t) | {
            "rounds": len(planned.round_seconds), "round_max_s": max(planned.round_seconds, default=0.0),
            "peak_mib": _peak_mib(), "workers": workers})
    progress(f"{tag}: labbook ({workers} process{'es' if workers > 1 else ''})")
    ours, t = timed(run_labbook, labs, demands, arrivals, settings, workers)
    rows.append(report.measure("labbook", ours, demands, labs, t) | {"workers": workers})
    if workers > 1:
        progress(f"{tag}: labbook (1 process)")
        alone, t = timed(run_labbook, labs, demands, arrivals, settings)
        if alone != ours:
            raise AssertionError("sharing methods out among processes changed an answer")
        rows.append(report.measure("labbook-1-process", alone, demands, labs, t))
    progress(f"{tag}: fcfs greedy")
    fcfs, t = timed(run_fcfs, labs, demands, arrivals, settings)
    rows.append(report.measure("fcfs-greedy", fcfs, demands, labs, t))
    if limit_s:
        progress(f"{tag}: hindsight optimum (CP-SAT per method, {limit_s:g} s each)")
        best, t = timed(optimum, labs, demands, arrivals, settings, limit_s, [ours])
        proven = f"{sum(m.proven for m in best.methods)}/{len(best.methods)}"
        rows.append(report.measure("optimum-cpsat", best.results, demands, labs, t) | {"proven": proven})
    progress(f"{tag}: upper bound (max flow on a relaxation)")
    (bound, units), t = timed(upper_bound, index_labs(labs), demands, arrivals, settings)
    rows.append({"method": f"upper-bound-{units}", "placed": bound, "km": None, "late_days": None, "seconds": t})
    for row in rows:
        row["instance"] = tag
    return rows


def _peak_mib() -> float:
    """The largest resident size so far of this process or any child it has waited for."""
    return max(resource.getrusage(who).ru_maxrss for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)) / 1024


def contested(seed: int, stream: bool, settings: SchedulerSettings, limit_s: float, workers: int,
              plan_ahead: bool = False) -> dict:
    """One contested instance: labbook, both FCFS greedies, labbook planning ahead, the
    hindsight optimum (started from the best of their plans), the bound."""
    _, labs, demands, arrivals = load(generate_contested(seed, stream))
    kind, labs = "stream" if stream else "backlog", index_labs(labs)
    placed = lambda results: sum(isinstance(r, Assignment) for r in results)  # noqa: E731
    progress(f"contested {kind} seed {seed} ({len(demands)} req): labbook, fcfs")
    ours, labbook_s = timed(run_labbook, labs, demands, arrivals, settings, workers)
    fcfs, earliest = run_fcfs(labs, demands, arrivals, settings), run_earliest(labs, demands, arrivals, settings)
    row, plans = {}, []
    if plan_ahead:
        progress(f"contested {kind} seed {seed}: labbook planning ahead (rounds every {settings.plan_round_s:g} s)")
        planned, planned_s = timed(run_planned, labs, demands, arrivals, settings)
        rounds, plans = planned.round_seconds, [planned.results]
        row.update(planned=placed(planned.results), planned_s=planned_s, rounds=len(rounds),
                   round_s_max=max(rounds, default=0.0))
    progress(f"contested {kind} seed {seed}: hindsight optimum ({limit_s:g} s per method)")
    best, optimum_s = timed(optimum, labs, demands, arrivals, settings, limit_s, [ours, *plans])
    flow, _ = upper_bound(labs, demands, arrivals, settings)
    return {"seed": seed, "kind": kind, "requests": len(demands), "labbook": placed(ours), "fcfs": placed(fcfs),
            "earliest": placed(earliest), "optimum": best.placed, "proven": best.proven,
            "methods_proven": sum(m.proven for m in best.methods), "methods": len(best.methods),
            "best_bound": best.bound, "flow_bound": flow, "labbook_s": labbook_s, "optimum_s": optimum_s} | row


def contested_all(seeds: list[int], settings: SchedulerSettings, limit_s: float, workers: int,
                  plan_ahead: bool) -> list[dict]:
    """Every seed's backlog and stream. With `workers` > 1 the instances run side by side
    in that many forked processes (each instance in one process, so its timings are one
    process's); rows come back in seed order."""
    jobs = [(seed, stream, settings, limit_s, 1 if workers > 1 else workers, plan_ahead)
            for seed in seeds for stream in (False, True)]
    if workers <= 1:
        return [contested(*job) for job in jobs]
    with multiprocessing.get_context("fork").Pool(min(workers, len(jobs))) as pool:
        return pool.starmap(contested, jobs, chunksize=1)


def run_instance(src: Path, dst: Path, settings: SchedulerSettings) -> None:
    _, labs, demands, arrivals = load(json.loads(src.read_text()))
    with dst.open("w") as out:
        for r in run_labbook(labs, demands, arrivals, settings):
            line = ({"request_id": r.request_id, "lab_id": r.lab_id, "start": r.start.isoformat(),
                     "end": r.end.isoformat(), "completion": r.completion.isoformat()}
                    if isinstance(r, Assignment) else {"request_id": r.request_id, "unmatched": r.reason})
            out.write(json.dumps(line) + "\n")


def _args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="only the 1x and the contested backlog and stream of "
                        "seed 1 (about 90 s on 2 cores)")
    parser.add_argument("--instance", type=Path, help="run labbook's matcher on this JSON instance")
    parser.add_argument("--out", type=Path, help="where --instance writes one JSON line per request")
    parser.add_argument("--scales", default="1,10,100", help="instance sizes for the full run")
    parser.add_argument("--plan-scales", default="1,10",
                        help="survey-shaped sizes also run planning ahead, with its rounds and peak memory "
                        "(default: 1,10; the 1x takes 1-3 s, the 10x (full run only) about 3 minutes; "
                        "methods shared out among --workers processes)")
    parser.add_argument("--seeds", help="contested instance seeds (default: 1 with --quick, else 1-5)")
    parser.add_argument("--limit", type=float, default=2.0, help="CP-SAT seconds per method for the optimum")
    parser.add_argument("--workers", type=int, default=min(2, os.cpu_count() or 1),
                        help="processes labbook's matcher and its planning ahead share methods out among "
                        "(default: 2 if the machine has 2 cores); the matcher's one-process timings are "
                        "printed beside")
    parser.add_argument("--window", type=float, help="labbook's batching window in seconds "
                        "(default: the scheduler's, SCHEDULER_BATCH_WINDOW_S)")
    parser.add_argument("--plan-ahead", action=argparse.BooleanOptionalAction, default=True,
                        help="run labbook planning ahead as the scheduler does (scheduler/planning.py) on the "
                        "contested instances: the `planned` column, and matched_vs_optimum from it "
                        "(default); --no-plan-ahead leaves it out (the `labbook` column is the scheduler "
                        "with SCHEDULER_PLAN_AHEAD=false: each window's requests offered together)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = _args(argv)
    settings = SchedulerSettings()
    if args.window is not None:
        settings = settings.model_copy(update={"batch_window_s": args.window})
    if args.instance:
        run_instance(args.instance, args.out or Path("/dev/stdout"), settings)
        return
    workers, started = max(1, args.workers), time.perf_counter()
    planning_scales = {int(x) for x in args.plan_scales.split(",") if x} if args.plan_ahead else set()
    rows = bench(1, settings, args.limit, workers, 1 in planning_scales)
    if not args.quick:
        for scale in (int(x) for x in args.scales.split(",") if x != "1"):
            rows += bench(scale, settings, None, workers, scale in planning_scales)
    seeds = [int(s) for s in (args.seeds or ("1" if args.quick else "1,2,3,4,5")).split(",")]
    hard = contested_all(seeds, settings, args.limit, workers, args.plan_ahead)
    report.console.print(report.table(rows))
    print("\n".join(report.summary(rows)))
    report.console.print(report.contested_table(hard))
    print(f"plot: {report.plot(rows)}")
    print(f"benchmark wall time {time.perf_counter() - started:.1f} s")
    ratio, how = report.matched_vs_optimum(hard)
    print(f"lower of labbook's contested ratios: {how}")
    print(f"matched_vs_optimum {ratio:.4f}")


if __name__ == "__main__":
    tune_gc()  # the process runs the matcher as a scheduler worker does
    main()
