"""The hindsight reference: the most requests any plan places, knowing every request
with its release time in advance.

One CP-SAT model per method (methods never share capacity): for each request and each
lab the matcher's calendar-free constraints let take it (`screen`: every lab a
candidate), an optional interval whose start lies in one of the lab's windows,
after the samples arrive (release + shipping) and early enough to end by the latest
end the deadline and the accreditation allow; at most one per request; per lab+method
one cumulative over its widest window's lanes, narrower windows blocked down. Maximise
how many are placed (nothing else: scores do not enter, so proofs come fast). Minutes
are rounded so a job never uses more than it may, so every plan found is a real one;
it is re-checked by booking it on a calendar.

A method's count is the optimum only when it is proven (`proven`: CP-SAT says OPTIMAL,
or a bound meets it); otherwise the best found, with the best bound beside it (CP-SAT's or the method's max flow,
bench/bound.py, whichever is lower).
"""
from __future__ import annotations

import math
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from ortools.sat.python import cp_model
from ortools.util.python.sorted_interval_list import Domain

from bench.bound import upper_bound
from services.booking.scheduler.assignment import book
from services.booking.scheduler.calendar import Calendar
from services.booking.scheduler.matching import Assignment, Demand, Unmatched, earliest_start, index_labs, screen

MINUTE = timedelta(minutes=1)


@dataclass(frozen=True)
class MethodOptimum:
    method: str
    requests: int
    placed: int  # by the best plan found
    bound: int  # no plan places more: the lower of CP-SAT's bound and the max-flow bound (placed when proven)
    proven: bool
    seconds: float


@dataclass
class Hindsight:
    results: list  # one Assignment or Unmatched per demand, in order
    methods: list[MethodOptimum] = field(default_factory=list)

    @property
    def placed(self) -> int:
        return sum(m.placed for m in self.methods)

    @property
    def bound(self) -> int:
        return sum(m.bound for m in self.methods)

    @property
    def proven(self) -> bool:
        return all(m.proven for m in self.methods)

    @property
    def seconds(self) -> float:
        return sum(m.seconds for m in self.methods)


def optimum(labs, demands: list[Demand], arrivals: list[datetime], settings, limit_s: float,
            hint: list | None = None) -> Hindsight:
    """Per method, CP-SAT for at most `limit_s` seconds (one worker); `hint` (a plan, e.g.
    labbook's) is where the search starts and the floor of what is found."""
    labs, hint = index_labs(labs), hint or [None] * len(demands)
    origin = min(arrivals)
    by_method: dict[str, list[int]] = defaultdict(list)
    for i, d in enumerate(demands):
        by_method[d.method].append(i)
    out = Hindsight([Unmatched(d.request_id, "not_placed_in_hindsight") for d in demands])
    for method, mine in sorted(by_method.items()):
        started = time.perf_counter()
        plan, bound, proven = _solve_method([demands[i] for i in mine], [arrivals[i] for i in mine],
                                            [hint[i] for i in mine], labs, settings, origin, limit_s)
        for i, a in zip(mine, plan):
            if a is not None:
                out.results[i] = a
        placed = sum(a is not None for a in plan)
        flow, _ = upper_bound(labs, [demands[i] for i in mine], [arrivals[i] for i in mine], settings)
        best_bound = placed if proven else max(min(bound, flow), placed)
        proven = best_bound == placed  # CP-SAT proved it, or a bound meets what was found
        out.methods.append(MethodOptimum(method, len(mine), placed, best_bound, proven, time.perf_counter() - started))
    _check(out.results, demands, arrivals, labs, settings)
    return out


def _solve_method(demands, arrivals, hint, labs, settings, origin, limit_s) -> tuple[list, int, bool]:
    """(one Assignment or None per demand, upper bound, proven optimal)."""
    model = cp_model.CpModel()
    chosen = _jobs(model, demands, arrivals, labs, settings, origin)
    model.maximize(sum(p for row in chosen for _, p, _ in row))
    hint = max(hint, _deadline_first(demands, arrivals, labs, settings), key=lambda plan: sum(
        isinstance(a, Assignment) for a in plan))
    floor = _hint(model, chosen, hint, origin)
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    solver.parameters.max_time_in_seconds = limit_s
    status = solver.solve(model)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return list(hint), len(demands), False
    reporting = timedelta(days=settings.reporting_days)
    plan = [next((o.assignment(d.request_id, origin + solver.value(s) * MINUTE, reporting, 0.0)
                  for o, p, s in row if solver.boolean_value(p)), None) for d, row in zip(demands, chosen)]
    found, bound = sum(a is not None for a in plan), math.floor(solver.best_objective_bound + 1e-6)
    if found < floor:  # not proven, and the search lost the hint: the hint is a plan too
        if status == cp_model.OPTIMAL:
            raise AssertionError(f"proven optimum {found} below a real plan's {floor}")
        plan = list(hint)
    return plan, bound, status == cp_model.OPTIMAL


def _jobs(model, demands, arrivals, labs, settings, origin) -> list[list]:
    """Per request, (option, present, start) for each lab that may take it, at most one present."""
    stretched = [[(o, s) for o in _options(d, labs, at, settings) if (s := _stretches(o, origin))]
                 for d, at in zip(demands, arrivals)]
    per_lab = defaultdict(list)
    for i, row in enumerate(stretched):
        for o, stretches in row:
            per_lab[(o.lab.lab_id, o.method)].append((i, o, stretches))
    chosen: list[list] = [[] for _ in demands]
    for (lab_id, method), jobs in sorted(per_lab.items()):
        terms = labs.by_id[lab_id].terms[method]
        starts, rows = _left_shifted(jobs, math.ceil(terms.duration / MINUTE)), []
        for i, o, stretches in jobs:
            domain = Domain.from_intervals(stretches).intersection_with(starts)
            if domain.is_empty():
                continue
            present = model.new_bool_var(f"p{i}_{lab_id}")
            start = model.new_int_var_from_domain(domain, f"s{i}_{lab_id}")
            duration = math.ceil(terms.duration / MINUTE)
            rows.append((model.new_optional_fixed_size_interval_var(start, duration, present, f"j{i}_{lab_id}"),
                         present, domain.min(), domain.max() + duration))
            chosen[i].append((o, present, start))
        _capacity(model, terms.windows, [r[0] for r in rows], origin)
        _counts(model, terms, rows, origin)
    for row in chosen:
        model.add_at_most_one(p for _, p, _ in row)
    return chosen


def _stretches(o, origin) -> list[list[int]]:
    """The job's possible starts, minutes from origin, per window that holds it after the
    samples arrive and before its latest end."""
    duration = math.ceil(o.terms.duration / MINUTE)
    return [[lo, hi] for w in o.windows() if (lo := math.ceil((max(o.release, w.start) - origin) / MINUTE))
            <= (hi := math.floor((w.end - origin) / MINUTE) - duration)]


def _left_shifted(jobs, duration: int) -> Domain:
    """Starts some optimal plan keeps to: a plan's jobs can each be moved earlier until they
    start where a stretch of theirs starts or where another job on the lab ends (all jobs
    of a lab+method last as long), so at a stretch start plus whole durations."""
    bases = sorted({lo for _, _, stretches in jobs for lo, _ in stretches})
    last = max(hi for _, _, stretches in jobs for _, hi in stretches)
    values = sorted({b + k * duration for b in bases for k in range((last - b) // duration + 1)})
    return Domain.from_values(values)


def _options(demand: Demand, labs, arrival: datetime, settings) -> list:
    """Every lab the matcher's calendar-free constraints let take the request, less those
    the supplier excluded or that declined."""
    options, _ = screen(demand, labs, arrival, settings)
    return [o for o in options if o.lab.lab_id not in demand.excluded | demand.declined]


def _capacity(model, windows, intervals, origin) -> None:
    """The lab+method's lanes: the widest window's count, less what a narrower one lacks."""
    lanes = max(w.slots for w in windows)
    blocks, heights = [], []
    for w in windows:
        lo, hi = max(0, math.floor((w.start - origin) / MINUTE)), math.ceil((w.end - origin) / MINUTE)
        if w.slots < lanes and hi > lo:
            blocks.append(model.new_fixed_size_interval_var(lo, hi - lo, "narrower"))
            heights.append(lanes - w.slots)
    model.add_cumulative(intervals + blocks, [1] * len(intervals) + heights, lanes)


def _deadline_first(demands, arrivals, labs, settings) -> list:
    """A plan to start from: earliest deadline first, each where it ends first."""
    calendar, plan = Calendar(), [None] * len(demands)
    reporting = timedelta(days=settings.reporting_days)
    for i in sorted(range(len(demands)), key=lambda i: (demands[i].deadline, arrivals[i])):
        options = _options(demands[i], labs, arrivals[i], settings)
        fits = [(start + o.terms.duration, o.lab.lab_id, start, o) for o in options
                if (start := earliest_start(o, calendar)) is not None]
        if fits:
            *_, start, o = min(fits, key=lambda f: f[:2])
            plan[i] = o.assignment(demands[i].request_id, start, reporting, 0.0)
            book(calendar, labs.by_id, plan[i])
    return plan


def _counts(model, terms, jobs, origin) -> None:
    """Redundant, for the LP bound: the jobs that can only run within [a, t] number at
    most what the lanes hold there, slots * floor(length / duration) per window."""
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


def _hint(model, chosen, hint, origin) -> int:
    """Start the search from `hint`'s placements; how many it places."""
    placed = 0
    for row, a in zip(chosen, hint):
        for o, present, start in row:
            hit = isinstance(a, Assignment) and a.lab_id == o.lab.lab_id
            model.add_hint(present, hit)
            if hit:
                model.add_hint(start, math.ceil((a.start - origin) / MINUTE))
        placed += isinstance(a, Assignment)
    return placed


def _check(results, demands, arrivals, labs, settings) -> None:
    """Every placement books on one calendar, starts after its samples arrive and ends in time."""
    calendar = Calendar()
    for a, d, at in zip(results, demands, arrivals):
        if not isinstance(a, Assignment):
            continue
        [o] = [o for o in _options(d, labs, at, settings) if o.lab.lab_id == a.lab_id]
        if not (o.release <= a.start and a.end <= o.latest_end and book(calendar, labs.by_id, a)):
            raise AssertionError(f"the hindsight plan does not fit: {a}")
