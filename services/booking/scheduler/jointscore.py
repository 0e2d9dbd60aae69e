"""The lowest total score among plans placing the most: CP-SAT over optional intervals
with one cumulative constraint per lab+method (jobs have real start times and
durations, so slots don't discretise into unit-capacity flow nodes without losing
placements). A job's start ranges over the stretches where one of the lab's windows
holds it; a window with fewer lanes than the lab's widest is narrowed by a fixed
block over it. Placing one more always outweighs any score (`big`); the plan it
starts from (the hint) is the floor of what it finds.
"""
from __future__ import annotations

import math
from collections import defaultdict
from datetime import datetime, timedelta

from ortools.sat.python import cp_model
from ortools.util.python.sorted_interval_list import Domain

from .calendar import Calendar
from .lanes import MINUTE, Model, add_hint, add_lanes, booked, stretches
from .lanes import solver as lanes_solver
from .matching import Assignment, Demand, LabState, Option, index_labs, promising
from .placing import Result, complete
from .settings import SchedulerSettings

SMALL_BATCH = 16  # requests; joint models this small are solved without presolve
SCALE = 14_400  # integer cost units per score unit: 10 per minute of completion at weight 1


def solve_joint(demands: list[Demand], labs: list[LabState], calendar: Calendar, now: datetime,
                settings: SchedulerSettings, hint: list[Result], arrivals: list[datetime] | None = None,
                time_limit_s: float | None = None) -> list[Result] | None:
    """CP-SAT; `arrivals` (each >= now) lets the benchmark ask for the offline optimum."""
    model, labs = Model(), index_labs(labs)
    arrivals = arrivals or [now] * len(demands)
    lanes: dict[tuple[str, str], list] = defaultdict(list)
    costs: list[tuple] = []  # (present, base, start, per_minute, lo, hi) per option
    chosen = [_options(model, i, d, labs, calendar, arrivals[i], now, settings, lanes, costs)
              for i, d in enumerate(demands)]
    for (lab_id, method), jobs in lanes.items():
        add_lanes(model, labs.by_id[lab_id].terms[method].windows, jobs, booked(calendar, lab_id, method, now), now)
    big = 1 + sum(2 * (abs(base) + k * (hi - lo)) for _, base, _, k, lo, hi in costs)
    model.minimize(sum(p * (base - big) + k * (s - lo) for p, base, s, k, lo, _ in costs))
    add_hint(model, chosen, [(r.lab_id, r.start) if isinstance(r, Assignment) else None for r in hint], now)
    # A window's few requests: presolving took longer than solving (same optima measured).
    solver = lanes_solver(time_limit_s or settings.batch_time_limit_s, deterministic=True,
                          presolve=len(demands) > SMALL_BATCH)
    if solver.solve(model) not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return None
    return _extract(demands, labs, calendar, now, settings, chosen, solver, repair=all(a == now for a in arrivals))


def _options(model, i: int, demand: Demand, labs, calendar: Calendar, arrival: datetime, now: datetime,
             settings: SchedulerSettings, lanes: dict, costs: list) -> list[tuple[Option, object, object]]:
    """Request i's candidate labs as optional intervals on their lanes, at most one present."""
    row = []
    for o in promising(demand, labs, calendar, arrival, settings, settings.batch_candidates):
        duration = math.ceil(o.terms.duration / MINUTE)
        starts = stretches(o, now)
        if not starts:
            continue
        lo, hi = starts[0][0], starts[-1][1]
        present = model.new_bool_var(f"p{i}_{o.lab.lab_id}")
        start = model.new_int_var_from_domain(Domain.from_intervals(starts), f"s{i}_{o.lab.lab_id}")
        lanes[(o.lab.lab_id, o.method)].append(
            model.new_optional_fixed_size_interval_var(start, duration, present, f"j{i}_{o.lab.lab_id}"))
        base = round(SCALE * o.score_at(now + lo * MINUTE, calendar, now, settings))
        # Absent jobs sit at lo for free; a present one pays for every minute it waits.
        costs.append((present, base, start, round(settings.weight_completion_per_day * SCALE / 1440), lo, hi))
        row.append((o, present, start))
    if row:
        model.add_at_most_one(p for _, p, _ in row)
    return row


def _extract(demands, labs, calendar, now, settings, chosen, solver, repair) -> list[Result] | None:
    """Re-check every placement by booking it, then try the leftovers one by one. Leaves
    `calendar` as it was."""
    reporting = timedelta(days=settings.reporting_days)
    placed: list[Result | None] = [None] * len(demands)
    for i, row in enumerate(chosen):  # scored before any of them is booked
        for o, present, start in row:
            if solver.boolean_value(present):
                at = now + solver.value(start) * MINUTE
                placed[i] = o.assignment(demands[i].request_id, at, reporting, o.score_at(at, calendar, now, settings))
    return complete(demands, placed, labs, calendar, now, settings, repair)
