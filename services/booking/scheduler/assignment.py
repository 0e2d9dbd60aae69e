"""Joint assignment of requests that arrived together: most placed, then lowest total score.

Greedy one by one first (match_one, oldest first); then, per method where requests of
the batch competed, the most that can be placed (mostplaced.py: every lab, proven
fast) and the lowest score among plans placing as many (jointscore.py, started from
the better of those two). The greedy answer is the floor: a joint answer is taken
only if it places more, or as many at a lower score.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from .calendar import Calendar
from .jointscore import solve_joint
from .matching import Assignment, Demand, LabState, index_labs, match_one
from .mostplaced import as_assignments, most_placed
from .placing import Result, book, complete, unbook
from .settings import SchedulerSettings

__all__ = ["Result", "assign_batch", "assign_greedy", "book", "improve", "solve_joint", "unbook"]


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
        better = improve([demands[i] for i in mine], labs, calendar, now, settings, greedy)
        for i, r in zip(mine, better):
            results[i] = r
            if isinstance(r, Assignment) and not book(calendar, labs.by_id, r):
                raise AssertionError(f"the joint assignment does not fit the calendar: {r}")
    if not commit:
        unbook(calendar, results)
    return results


def improve(demands: list[Demand], labs, calendar: Calendar, now: datetime, settings: SchedulerSettings,
            greedy: list[Result], limit_s: float | None = None, *, rescore: bool = True) -> list[Result]:
    """Most placed first (mostplaced.py: all labs, proven fast), then the lowest score
    among plans placing as many (solve_joint, started from the better of the two); the
    best of the three by (placed, score), `greedy` on a tie, so never below it (any
    plan of these requests around `calendar`: a batch's greedy answer, or the planning
    round's previous plan, planning.py). Each solve takes at most `limit_s` of CP-SAT's
    deterministic time (default: settings.batch_time_limit_s). Without `rescore` (a
    planning round whose newcomers did not all fit, most rounds of a contested stream)
    the lowest-score solve is skipped: the most-placed plan is taken where it places
    more than `greedy`, else `greedy`. Measured on contested seeds 1-3 (bench/README.md),
    that second solve was half a stream's time and changed neither the count nor, by
    more than 2.5 %, the shipping distance or the days to completion (a change of
    supply still runs both). Leaves `calendar` as it was."""
    limit_s = limit_s or settings.batch_time_limit_s
    counted = _most_placed(demands, labs, calendar, now, settings, greedy, limit_s)
    more = counted is not None and _rank(counted)[0] > _rank(greedy)[0]
    if not rescore:
        return counted if more else greedy
    floor = counted if counted is not None and _rank(counted) > _rank(greedy) else greedy
    joint = solve_joint(demands, labs, calendar, now, settings, floor, time_limit_s=limit_s)
    return max([greedy, floor] + ([joint] if joint is not None else []), key=_rank)


def _most_placed(demands: list[Demand], labs, calendar: Calendar, now: datetime, settings: SchedulerSettings,
                 greedy: list[Result], limit_s: float) -> list[Result] | None:
    """mostplaced.py's plan, scored, each booked, the leftovers matched one by one (None:
    a placement did not fit the calendar, which would be a bug of the model)."""
    hint = [(r.lab_id, r.start) if isinstance(r, Assignment) else None for r in greedy]
    found = most_placed(demands, [now] * len(demands), labs, calendar, settings, now,
                        limit_s, deterministic=True, hint=hint)
    placed = as_assignments(demands, found.plan, calendar, now, settings)
    return complete(demands, placed, labs, calendar, now, settings, repair=True)
