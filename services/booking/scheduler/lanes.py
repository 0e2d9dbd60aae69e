"""What both joint models (mostplaced.py: the most placed; jointscore.py: the lowest
score) say alike about a lab+method in CP-SAT: time in whole minutes from an origin,
rounded so a job never uses more than it may; the stretches a job may start in; the
lab's lanes, with what is booked fixed in them and narrower windows blocked down; the
plan a search starts from; and the solver's settings.
"""
from __future__ import annotations

import math
from datetime import datetime, timedelta

from ortools.sat.python import cp_model

from .calendar import Calendar

MINUTE = timedelta(minutes=1)


class Model(cp_model.CpModel):
    def _add_pre_pep8_methods(self) -> None:
        """ortools binds a camelCase alias of every method on each new model (about 1.5 ms);
        nothing here calls them, and a model is built per contested batch."""


def minutes(at: datetime, origin: datetime, up: bool) -> int:
    # Rounding always shrinks what a job may use, so the model never over-promises.
    value = (at - origin) / MINUTE
    return math.ceil(value) if up else math.floor(value)


def stretches(o, origin: datetime) -> list[list[int]]:
    """The job's possible starts, minutes from origin, as [lo, hi] stretches in time order:
    one per window that holds it after the samples arrive and before its latest end."""
    duration = math.ceil(o.terms.duration / MINUTE)
    out = []
    for window in o.windows():
        lo = minutes(max(o.release, window.start), origin, up=True)
        hi = minutes(window.end, origin, up=False) - duration
        if lo <= hi:
            out.append([lo, hi])
    return out


def booked(calendar: Calendar, lab_id: str, method: str, origin: datetime) -> list[tuple[int, int]]:
    """What the lab+method already holds, in minutes from origin (widened to whole
    minutes, cut at the origin: what ended before it cannot collide with new jobs)."""
    out = []
    for r in calendar.reservations(lab_id, method):
        lo, hi = minutes(r.start, origin, up=False), minutes(r.end, origin, up=True)
        if hi > 0:
            out.append((max(lo, 0), hi))
    return out


def add_lanes(model, windows, jobs: list, held: list[tuple[int, int]], origin: datetime) -> None:
    """One cumulative per lab+method: the new jobs' intervals and what is `held`, on the
    widest window's lanes, less what a narrower window lacks."""
    lanes = max(w.slots for w in windows)
    fixed = [model.new_fixed_size_interval_var(lo, hi - lo, "booked") for lo, hi in held]
    heights = [1] * (len(jobs) + len(fixed))
    for w in windows:
        lo, hi = max(minutes(w.start, origin, up=False), 0), minutes(w.end, origin, up=True)
        if w.slots < lanes and hi > lo:
            fixed.append(model.new_fixed_size_interval_var(lo, hi - lo, "narrower"))
            heights.append(lanes - w.slots)
    model.add_cumulative(jobs + fixed, heights, lanes)


def add_hint(model, chosen: list[list], hint: list, origin: datetime) -> None:
    """Start the search from `hint`: per request, the (lab_id, start) it had, or None."""
    for row, h in zip(chosen, hint):
        for o, present, start in row:
            hit = h is not None and h[0] == o.lab.lab_id
            model.add_hint(present, hit)
            if hit:
                model.add_hint(start, minutes(h[1], origin, up=True))


def solver(limit_s: float, *, deterministic: bool, presolve: bool = True, fixed_search: bool = False,
           workers: int = 1) -> cp_model.CpSolver:
    """One worker (or `workers`: CP-SAT's portfolio, not deterministic); `deterministic`
    spends `limit_s` of CP-SAT's deterministic time (same input, same plan; the wall
    limit is a backstop), else wall time. `fixed_search`: CP-SAT's FIXED_SEARCH, the
    search its portfolio runs as the "fixed" worker, instead of the default one."""
    s = cp_model.CpSolver()
    s.parameters.num_workers = workers
    if fixed_search:
        s.parameters.search_branching = cp_model.FIXED_SEARCH
    if deterministic:
        s.parameters.max_deterministic_time = limit_s
        s.parameters.max_time_in_seconds = 4 * limit_s
    else:
        s.parameters.max_time_in_seconds = limit_s
    s.parameters.cp_model_presolve = presolve
    return s
