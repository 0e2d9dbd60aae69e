"""The hindsight reference: the most requests any plan places, knowing every request
with its release time in advance.

The scheduler's own count model (services/booking/scheduler/mostplaced.py, which the
scheduler runs on every contested batch before scoring) per method, here over every
request of the instance with its release time, on an empty calendar, for a wall-time
limit: every lab a candidate, left-shifted starts, count cuts, the most placed and
nothing else. Every plan found is re-checked by booking it on a calendar.

A method's count is the optimum only when it is proven (`proven`: CP-SAT says OPTIMAL,
or a bound meets it); otherwise the best found, with the best bound beside it (CP-SAT's or the method's max flow,
bench/bound.py, whichever is lower).
"""
from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bench.bound import upper_bound
from services.booking.scheduler.assignment import book
from services.booking.scheduler.calendar import Calendar
from services.booking.scheduler.matching import Assignment, Demand, Unmatched, earliest_start, index_labs
from services.booking.scheduler.mostplaced import most_placed, options_for

# CP-SAT's portfolio of 8 searches (time-sliced on 2 cores) proved every contested
# backlog's optimum of seeds 1-5 in 2 s per method; one worker's default search proved
# 3 of 5, its fixed search 4 of 5 (bench/README.md).
PORTFOLIO = 8


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

    placed = property(lambda self: sum(m.placed for m in self.methods))
    bound = property(lambda self: sum(m.bound for m in self.methods))
    seconds = property(lambda self: sum(m.seconds for m in self.methods))
    proven = property(lambda self: all(m.proven for m in self.methods))


def optimum(labs, demands: list[Demand], arrivals: list[datetime], settings, limit_s: float,
            hints: Sequence[list] = ()) -> Hindsight:
    """Per method, CP-SAT for at most `limit_s` seconds (its portfolio); each method starts
    from whichever of `hints` (real plans, e.g. labbook's windows and its planning ahead)
    places most of it, the floor of what is found."""
    labs = index_labs(labs)
    # Only placements: an Unmatched in a hint is no plan (and counted as placed, it would
    # inflate the optimum wherever the search falls back on its hint).
    hints = [[a if isinstance(a, Assignment) else None for a in h] for h in hints]
    origin = min(arrivals)
    by_method: dict[str, list[int]] = defaultdict(list)
    for i, d in enumerate(demands):
        by_method[d.method].append(i)
    out = Hindsight([Unmatched(d.request_id, "not_placed_in_hindsight") for d in demands])
    for method, mine in sorted(by_method.items()):
        started = time.perf_counter()
        plan, bound, proven = _solve_method([demands[i] for i in mine], [arrivals[i] for i in mine],
                                            [[h[i] for i in mine] for h in hints], labs, settings, origin, limit_s)
        for i, a in zip(mine, plan):
            if a is not None:
                out.results[i] = a
        placed = _placed(plan)
        flow, _ = upper_bound(labs, [demands[i] for i in mine], [arrivals[i] for i in mine], settings)
        best_bound = placed if proven else max(min(bound, flow), placed)
        proven = best_bound == placed  # CP-SAT proved it, or a bound meets what was found
        out.methods.append(MethodOptimum(method, len(mine), placed, best_bound, proven, time.perf_counter() - started))
    _check(out.results, demands, arrivals, labs, settings)
    return out


def _solve_method(demands, arrivals, hints, labs, settings, origin, limit_s) -> tuple[list, int, bool]:
    """(one Assignment or None per demand, upper bound, proven optimal): the scheduler's
    own count model (services/booking/scheduler/mostplaced.py) on an empty calendar,
    started from the best of `hints` and an earliest-deadline-first plan."""
    hint = max([*hints, _deadline_first(demands, arrivals, labs, settings)], key=_placed)
    found = most_placed(demands, arrivals, labs, Calendar(), settings, origin, limit_s, deterministic=False,
                        workers=PORTFOLIO,
                        hint=[(a.lab_id, a.start) if isinstance(a, Assignment) else None for a in hint])
    reporting = timedelta(days=settings.reporting_days)
    plan = [None if p is None else p[0].assignment(d.request_id, p[1], reporting, 0.0)
            for d, p in zip(demands, found.plan)]
    if _placed(plan) < _placed(hint):  # not proven, and the search lost the hint: the hint is a plan too
        if found.proven:
            raise AssertionError(f"proven optimum {_placed(plan)} below a real plan's {_placed(hint)}")
        plan = list(hint)
    return plan, found.bound, found.proven


def _placed(plan) -> int:
    return sum(isinstance(a, Assignment) for a in plan)


def _deadline_first(demands, arrivals, labs, settings) -> list:
    """A plan to start from: earliest deadline first, each where it ends first."""
    calendar, plan = Calendar(), [None] * len(demands)
    reporting = timedelta(days=settings.reporting_days)
    for i in sorted(range(len(demands)), key=lambda i: (demands[i].deadline, arrivals[i])):
        options = options_for(demands[i], labs, arrivals[i], settings)
        fits = [(start + o.terms.duration, o.lab.lab_id, start, o) for o in options
                if (start := earliest_start(o, calendar)) is not None]
        if fits:
            *_, start, o = min(fits, key=lambda f: f[:2])
            plan[i] = o.assignment(demands[i].request_id, start, reporting, 0.0)
            book(calendar, labs.by_id, plan[i])
    return plan


def _check(results, demands, arrivals, labs, settings) -> None:
    """Every placement books on one calendar, starts after its samples arrive and ends in time."""
    calendar = Calendar()
    for a, d, at in zip(results, demands, arrivals):
        if not isinstance(a, Assignment):
            continue
        [o] = [o for o in options_for(d, labs, at, settings) if o.lab.lab_id == a.lab_id]
        if not (o.release <= a.start and a.end <= o.latest_end and book(calendar, labs.by_id, a)):
            raise AssertionError(f"the hindsight plan does not fit: {a}")
