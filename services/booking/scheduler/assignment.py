"""Joint assignment of requests that arrived together: most placed, then lowest total score.

CP-SAT over optional intervals with one cumulative constraint per lab+method (jobs
have real start times and durations, so slots don't discretise into unit-capacity
flow nodes without losing placements). A job's start ranges over the stretches
where one of the lab's windows holds it; a window with fewer lanes than the lab's
widest is narrowed by a fixed block over it. The greedy one-by-one answer is the
hint and the floor: the joint answer is returned only if it places at least as many.
"""
from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

from ortools.sat.python import cp_model
from ortools.util.python.sorted_interval_list import Domain

from .calendar import Calendar
from .matching import Assignment, Demand, LabState, Option, Unmatched, index_labs, match_one, promising
from .settings import SchedulerSettings

Result = Assignment | Unmatched
MINUTE = timedelta(minutes=1)
SMALL_BATCH = 16  # requests; joint models this small are solved without presolve
SCALE = 14_400  # integer cost units per score unit: 10 per minute of completion at weight 1


class _Model(cp_model.CpModel):
    def _add_pre_pep8_methods(self) -> None:
        """ortools binds a camelCase alias of every method on each new model (about 1.5 ms);
        nothing here calls them, and a model is built per contested batch."""


def book(calendar: Calendar, labs: dict[str, LabState], a: Assignment) -> bool:
    windows = labs[a.lab_id].terms[a.method].windows
    return calendar.reserve(a.lab_id, a.method, a.request_id, a.start, a.end, windows)


def unbook(calendar: Calendar, results: Iterable[Result]) -> None:
    for r in results:
        if isinstance(r, Assignment):
            calendar.release(r.lab_id, r.method, r.request_id)


def _greedy(demands: list[Demand], labs, calendar: Calendar, now: datetime,
            settings: SchedulerSettings) -> tuple[list[Result], set[str]]:
    """match_one in order, reserving on `calendar` as it goes; also the methods where an
    earlier request of the batch changed a later one's answer (only there can a joint
    assignment do better: every other request got what it would get alone)."""
    first_of_method: dict[str, int] = {}
    for i, demand in enumerate(demands):
        first_of_method.setdefault(demand.method, i)
    # What each later request of a repeated method would get alone, before anything is booked.
    alone = {i: match_one(d, labs, calendar, now, settings)
             for i, d in enumerate(demands) if first_of_method[d.method] != i}
    results, contested = [], set()
    for i, demand in enumerate(demands):
        result = match_one(demand, labs, calendar, now, settings)
        if isinstance(result, Assignment) and not book(calendar, labs.by_id, result):
            raise AssertionError(f"earliest_fit offered a slot reserve refused: {result}")
        if i in alone and alone[i] != result:
            contested.add(demand.method)
        results.append(result)
    return results, contested


def assign_greedy(demands: Iterable[Demand], labs: Iterable[LabState], calendar: Calendar,
                  now: datetime, settings: SchedulerSettings) -> list[Result]:
    """First come, first served: match_one in the given order, reserving as it goes.
    Reserves nothing in the end: `calendar` is left as it was."""
    results, _ = _greedy(list(demands), index_labs(labs), calendar, now, settings)
    unbook(calendar, results)
    return results


def _rank(results: Sequence[Result]) -> tuple[int, float]:
    placed = [r for r in results if isinstance(r, Assignment)]
    return len(placed), -sum(r.score for r in placed)


def assign_batch(demands: Iterable[Demand], labs: Iterable[LabState], calendar: Calendar,
                 now: datetime, settings: SchedulerSettings, commit: bool = False) -> list[Result]:
    """One result per demand, in order: most placed, then lowest total score.

    Greedy first; then, per method where requests of the batch competed, CP-SAT over
    those requests (methods never share capacity, so each is solved on its own). With
    `commit` the placements stay reserved on `calendar`; otherwise it is left as it was."""
    demands, labs = list(demands), index_labs(labs)
    results, contested = _greedy(demands, labs, calendar, now, settings)
    for method in sorted(contested):
        mine = [i for i, d in enumerate(demands) if d.method == method]
        greedy = [results[i] for i in mine]
        unbook(calendar, greedy)
        joint = solve_joint([demands[i] for i in mine], labs, calendar, now, settings, greedy)
        better = joint if joint is not None and _rank(joint) > _rank(greedy) else greedy
        for i, r in zip(mine, better):
            results[i] = r
            if isinstance(r, Assignment) and not book(calendar, labs.by_id, r):
                raise AssertionError(f"the joint assignment does not fit the calendar: {r}")
    if not commit:
        unbook(calendar, results)
    return results


def _minutes(at: datetime, now: datetime, up: bool) -> int:
    # Rounding always shrinks what a job may use, so the model never over-promises.
    value = (at - now) / MINUTE
    return math.ceil(value) if up else math.floor(value)


def solve_joint(demands: list[Demand], labs: list[LabState], calendar: Calendar, now: datetime,
                settings: SchedulerSettings, hint: list[Result], arrivals: list[datetime] | None = None,
                time_limit_s: float | None = None) -> list[Result] | None:
    """CP-SAT; `arrivals` (each >= now) lets the benchmark ask for the offline optimum."""
    model, labs = _Model(), index_labs(labs)
    arrivals = arrivals or [now] * len(demands)
    lanes: dict[tuple[str, str], list] = defaultdict(list)
    costs: list[tuple] = []  # (present, base, start, per_minute, lo, hi) per option
    chosen = [_options(model, i, d, labs, calendar, arrivals[i], now, settings, lanes, costs)
              for i, d in enumerate(demands)]
    _add_capacity(model, lanes, labs, calendar, now)
    big = 1 + sum(2 * (abs(base) + k * (hi - lo)) for _, base, _, k, lo, hi in costs)
    model.minimize(sum(p * (base - big) + k * (s - lo) for p, base, s, k, lo, _ in costs))
    _hint(model, chosen, hint, now)
    solver = _solver(time_limit_s or settings.batch_time_limit_s, presolve=len(demands) > SMALL_BATCH)
    if solver.solve(model) not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return None
    return _extract(demands, labs, calendar, now, settings, chosen, solver, repair=all(a == now for a in arrivals))


def _options(model, i: int, demand: Demand, labs, calendar: Calendar, arrival: datetime, now: datetime,
             settings: SchedulerSettings, lanes: dict, costs: list) -> list[tuple[Option, object, object]]:
    """Request i's candidate labs as optional intervals on their lanes, at most one present."""
    row = []
    for o in promising(demand, labs, calendar, arrival, settings, settings.batch_candidates):
        duration = math.ceil(o.terms.duration / MINUTE)
        starts = _starts(o, duration, now)
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


def _solver(limit: float, presolve: bool) -> cp_model.CpSolver:
    solver = cp_model.CpSolver()
    # A deterministic time budget keeps same input -> same output; the wall limit is a backstop.
    solver.parameters.max_deterministic_time = limit
    solver.parameters.max_time_in_seconds = 4 * limit
    solver.parameters.num_workers = 1
    # A window's few requests: presolving took longer than solving (same optima measured).
    solver.parameters.cp_model_presolve = presolve
    return solver


def _starts(o: Option, duration: int, now: datetime) -> list[list[int]]:
    """The job's possible starts, minutes from now, as [lo, hi] stretches in time order:
    one per window that holds it after the samples arrive and before its latest end."""
    out = []
    for window in o.windows():
        lo = _minutes(max(o.release, window.start), now, up=True)
        hi = _minutes(window.end, now, up=False) - duration
        if lo <= hi:
            out.append([lo, hi])
    return out


def _add_capacity(model, lanes, labs, calendar, now) -> None:
    by_id = index_labs(labs).by_id
    for (lab_id, method), intervals in lanes.items():
        fixed, demands = [], []
        for r in calendar.reservations(lab_id, method):
            lo, hi = _minutes(r.start, now, up=False), _minutes(r.end, now, up=True)
            if hi > 0:  # bookings that ended before now cannot collide with new jobs
                fixed.append(model.new_fixed_size_interval_var(max(lo, 0), hi - max(lo, 0), "booked"))
                demands.append(1)
        windows = by_id[lab_id].terms[method].windows
        slots = max(w.slots for w in windows)
        for w in windows:  # one capacity per lab+method: block the lanes a narrower window lacks
            lo, hi = max(_minutes(w.start, now, up=False), 0), _minutes(w.end, now, up=True)
            if w.slots < slots and hi > lo:
                fixed.append(model.new_fixed_size_interval_var(lo, hi - lo, "narrower"))
                demands.append(slots - w.slots)
        model.add_cumulative(intervals + fixed, [1] * len(intervals) + demands, slots)


def _hint(model, chosen, hint: list[Result], now: datetime) -> None:
    for row, result in zip(chosen, hint):
        for o, present, start in row:
            hit = isinstance(result, Assignment) and result.lab_id == o.lab.lab_id
            model.add_hint(present, hit)
            if hit:
                model.add_hint(start, _minutes(result.start, now, up=True))


def _extract(demands, labs, calendar, now, settings, chosen, solver, repair) -> list[Result] | None:
    """Re-check every placement by booking it, then try the leftovers one by one. Leaves
    `calendar` as it was."""
    by_id = index_labs(labs).by_id
    reporting = timedelta(days=settings.reporting_days)
    placed: list[Result | None] = [None] * len(demands)
    for i, row in enumerate(chosen):  # scored before any of them is booked
        for o, present, start in row:
            if solver.boolean_value(present):
                at = now + solver.value(start) * MINUTE
                placed[i] = o.assignment(demands[i].request_id, at, reporting, o.score_at(at, calendar, now, settings))
    results: list[Result | None] = [None] * len(demands)
    try:
        for i, a in enumerate(placed):
            if a is not None:
                if not book(calendar, by_id, a):
                    return None
                results[i] = a
        for i, demand in enumerate(demands):
            if results[i] is None and not repair:
                results[i] = Unmatched(demand.request_id, "not_placed_offline")
            elif results[i] is None:
                results[i] = match_one(demand, labs, calendar, now, settings)
                if isinstance(results[i], Assignment):
                    book(calendar, by_id, results[i])
        return results
    finally:
        unbook(calendar, [r for r in results if r is not None])
