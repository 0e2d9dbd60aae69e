"""The most requests of one method its labs can take: the first aim of a joint plan.

One CP-SAT model per method (methods never share capacity): for each request and each
lab the matcher's calendar-free constraints let take it (`screen`: every lab, not only
the best few), an optional interval whose start lies in one of the lab's windows, after
the samples arrive and early enough to end by the latest end the deadline and the
accreditation allow; at most one per request; per lab+method one cumulative over its
widest window's lanes, narrower windows blocked down, the jobs already booked on the
calendar fixed in it. Maximise how many are placed, nothing else, so proofs come fast:

- Starts are left-shifted: a plan's new jobs can each move earlier until they start
  where a stretch of theirs starts or where another job ends (a lab+method's jobs all
  last as long), so only a stretch start or a booked job's end plus whole durations
  is tried. Moving earlier never costs: an earlier end only scores better.
- Redundant count cuts give the LP its bound: the jobs that can only run within
  [a, t] number at most what the lanes hold there.
Minutes are rounded so a job never uses more than it may, so every plan found is a
real one. The scheduler (assignment.py) then looks for the lowest score among plans
placing that many; the benchmark's hindsight reference (bench/hindsight.py) uses this
model on its own.
"""
from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from ortools.sat.python import cp_model
from ortools.util.python.sorted_interval_list import Domain

from .calendar import Calendar
from .lanes import MINUTE, Model, add_hint, add_lanes, booked, stretches
from .lanes import solver as lanes_solver
from .matching import Demand, screen, screen_lab


@dataclass(frozen=True)
class CountPlan:
    plan: list  # per demand, the Option and start it gets, or None
    bound: int  # no plan places more (CP-SAT's bound)
    proven: bool  # CP-SAT proved the count optimal


def options_for(demand: Demand, labs, arrival: datetime, settings) -> list:
    """Every lab the matcher's calendar-free constraints let take the request, less those
    the supplier excluded or that declined."""
    options, _ = screen(demand, labs, arrival, settings)
    return [o for o in options if not _ruled_out(demand, o.lab.lab_id)]


def option_on(demand: Demand, lab, arrival: datetime, settings):
    """options_for for one lab: its Option, or None (a plan's placement re-checked on its
    own lab, planning.py)."""
    return None if _ruled_out(demand, lab.lab_id) else screen_lab(demand, lab, arrival, settings)


def _ruled_out(demand: Demand, lab_id: str) -> bool:
    return lab_id in demand.excluded or lab_id in demand.declined


def most_placed(demands: list[Demand], arrivals: list[datetime], labs, calendar: Calendar, settings,
                origin: datetime, limit_s: float, *, deterministic: bool, hint: list | None = None,
                workers: int = 1) -> CountPlan:
    """The most of these requests placed around what `calendar` holds. `hint` (per demand,
    a (lab_id, start) or None) is where the search starts; `deterministic` spends
    `limit_s` of CP-SAT's deterministic time (same input, same plan) instead of wall time.

    One worker runs CP-SAT's fixed search: on the contested backlogs of bench/matching.py
    (seeds 1-5) it found and proved counts the default search stayed below for the whole
    budget (a method of seed 2: 146 proven in 0.4 s against 142 found in 20 s), and
    planning ahead placed 1-4 more on four seeds of five, fewer on none (bench/README.md).
    `workers` > 1 runs CP-SAT's whole portfolio instead (the benchmark's hindsight
    reference, which needs proofs more than determinism)."""
    model = Model()
    chosen = _jobs(model, demands, arrivals, labs, calendar, settings, origin)
    model.maximize(sum(p for row in chosen for _, p, _ in row))
    add_hint(model, chosen, hint or [None] * len(demands), origin)
    solver = lanes_solver(limit_s, deterministic=deterministic, fixed_search=workers == 1, workers=workers)
    status = solver.solve(model)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return CountPlan([None] * len(demands), len(demands), False)
    plan = [next(((o, origin + solver.value(s) * MINUTE) for o, p, s in row if solver.boolean_value(p)), None)
            for row in chosen]
    return CountPlan(plan, math.floor(solver.best_objective_bound + 1e-6), status == cp_model.OPTIMAL)


def _jobs(model, demands, arrivals, labs, calendar: Calendar, settings, origin) -> list[list]:
    """Per request, (option, present, start) for each lab that may take it, at most one present."""
    stretched = [[(o, s) for o in options_for(d, labs, at, settings) if (s := stretches(o, origin))]
                 for d, at in zip(demands, arrivals)]
    per_lab = defaultdict(list)
    for i, row in enumerate(stretched):
        for o, spans in row:
            per_lab[(o.lab.lab_id, o.method)].append((i, o, spans))
    chosen: list[list] = [[] for _ in demands]
    for (lab_id, method), jobs in sorted(per_lab.items()):
        terms = labs.by_id[lab_id].terms[method]
        duration = math.ceil(terms.duration / MINUTE)
        held = booked(calendar, lab_id, method, origin)
        starts, rows = _left_shifted(jobs, duration, [end for _, end in held]), []
        for i, o, spans in jobs:
            domain = Domain.from_intervals(spans).intersection_with(starts)
            if domain.is_empty():
                continue
            present = model.new_bool_var(f"p{i}_{lab_id}")
            start = model.new_int_var_from_domain(domain, f"s{i}_{lab_id}")
            rows.append((model.new_optional_fixed_size_interval_var(start, duration, present, f"j{i}_{lab_id}"),
                         present, domain.min(), domain.max() + duration))
            chosen[i].append((o, present, start))
        add_lanes(model, terms.windows, [r[0] for r in rows], held, origin)
        _counts(model, terms, rows, origin)
    for row in chosen:
        model.add_at_most_one(p for _, p, _ in row)
    return chosen


def _left_shifted(jobs, duration: int, booked_ends: list[int]) -> Domain:
    """Starts some best plan keeps to: a stretch's start or a booked job's end, plus whole
    durations (see the module's docstring)."""
    last = max(hi for _, _, spans in jobs for _, hi in spans)
    bases = sorted({lo for _, _, spans in jobs for lo, _ in spans} | {e for e in booked_ends if e <= last})
    values = sorted({b + k * duration for b in bases for k in range((last - b) // duration + 1)})
    return Domain.from_values(values)


def _counts(model, terms, jobs, origin) -> None:
    """Redundant, for the LP bound: the new jobs that can only run within [a, t] number at
    most what the lanes hold there, slots * floor(length / duration) per window (booked
    jobs only lower the truth, so the cut stays valid)."""
    duration = math.ceil(terms.duration / MINUTE)
    windows = [(w.slots, math.floor((w.start - origin) / MINUTE), math.ceil((w.end - origin) / MINUTE))
               for w in terms.windows]
    for a in sorted({lo for *_, lo, _ in jobs}):
        inside = sorted(((end, p) for _, p, lo, end in jobs if lo >= a), key=lambda ep: ep[0])
        for k, (t, _) in enumerate(inside):
            if k + 1 < len(inside) and inside[k + 1][0] == t:
                continue  # the last job ending by t closes the set
            room = sum(s * max(0, (min(t, hi) - max(a, lo)) // duration) for s, lo, hi in windows)
            if room < k + 1:
                model.add(sum(p for _, p in inside[:k + 1]) <= room)


def as_assignments(demands: list[Demand], plan: list, calendar: Calendar, now: datetime, settings) -> list:
    """The plan's placements as Assignments scored as match_one scores them (None: not placed)."""
    reporting = timedelta(days=settings.reporting_days)
    return [None if p is None else p[0].assignment(d.request_id, p[1], reporting,
                                                   p[0].score_at(p[1], calendar, now, settings))
            for d, p in zip(demands, plan)]
