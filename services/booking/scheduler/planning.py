"""Planning ahead: every request not yet committed holds a provisional placement (the
plan), re-optimised jointly each round; a request is committed (its offer sent to the
lab, which then pins it) only when its offer falls due.

Matching each request on arrival and committing it for ever places what first come,
first served places: a request with a far deadline takes the slot a later one with a
near deadline needed. Here a placement stays movable until the latest moment its
offer can go out: the lab still needs its answer window (`offer_ttl_s`) and the
samples their shipping days before the planned start, and `offer_lead_s` more is kept
in hand (`offer_due`). Until then a later request may take its slot if the plan that
results places more, or as many at a lower score (assignment.improve).

A round (`plan_round`) re-solves only the methods where something changed (a request
new to the plan, a placement that no longer fits, or a method the caller names);
methods never share capacity, so every other method's plan stands as it was. The
previous plan, less what no longer fits, plus each newcomer matched one by one is the
floor: a round never places fewer than the previous plan still places. A request left
out waits in the plan while a lab could still do it with its calendar free, and is
given up (`Round.final`: UNMATCHED) once none could. Without `settings.plan_ahead`
every placement is committed in its round and every request left out is given up.
The Faust worker (requestside.py, flow.planned) and the benchmark (bench/contenders.py
run_planned) both run plan_round. Pure: no Faust, no I/O; the calendar holds the
committed bookings and is left as it was.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from .assignment import assign_batch, improve
from .calendar import Calendar
from .labindex import km_from
from .matching import Assignment, Demand, LabState, Unmatched, index_labs, match_one
from .mostplaced import option_on
from .placing import Result, complete
from .scoring import DAY, shipping_days
from .settings import SchedulerSettings


@dataclass(frozen=True)
class Round:
    """What one planning round decided."""

    plan: dict[str, Result]  # per pending request id: its provisional placement, or why none
    commit: list[Assignment]  # offers to send now (due before the next round), soonest due first
    next_due: datetime | None  # the soonest offer due among the rest (None: nothing planned)
    solved: frozenset[str]  # the methods re-solved this round (the others kept their plan)
    # Of the plan's Unmatched, those for good (UNMATCHED): no lab could take them even
    # with its calendar free, or nothing is planned ahead. The others wait in the plan for
    # room (a later round, a re-plan, capacity freed) while a lab could still do them.
    final: frozenset[str] = frozenset()


def offer_due(assignment: Assignment, demand: Demand, lab: LabState, settings: SchedulerSettings) -> datetime:
    """The latest moment the request's offer can go to the lab: its answer window, the
    samples' shipping days and the lead margin before the planned start."""
    ship = shipping_days(km_from(demand.origin, lab.lat, lab.lon), settings) * DAY
    return assignment.start - ship - timedelta(seconds=settings.offer_ttl_s + settings.offer_lead_s)


def plan_round(pending: Iterable[Demand], previous: Mapping[str, Result], labs: Iterable[LabState],
               calendar: Calendar, now: datetime, settings: SchedulerSettings, *,
               changed: Iterable[str] = (), keep_previous: bool = True) -> Round:
    """Re-plan the requests not yet committed (`pending`, oldest first) around the
    committed bookings on `calendar`; commit those whose offer falls due before the
    next round (`settings.plan_round_s` from now), or is already past (urgent).

    `previous` is the last round's plan; `changed` names methods to re-solve whatever
    the plan says (capacity or a lab changed). Without `keep_previous` a re-solved
    method is planned afresh (assign_batch), the previous plan neither hint nor floor."""
    pending, labs, changed = list(pending), index_labs(labs), set(changed)
    plan: dict[str, Result] = {}
    solved = set()
    for method, demands in sorted(_by_method(pending).items()):
        kept = _still_fitting(demands, previous, labs, calendar, now, settings)
        if method not in changed and all(d.request_id in kept for d in demands):
            plan.update(kept)
            continue
        solved.add(method)
        results = (_replanned(demands, kept, labs, calendar, now, settings, method in changed) if keep_previous
                   else assign_batch(demands, labs, calendar, now, settings))
        plan.update((d.request_id, r) for d, r in zip(demands, results))
    demands = {d.request_id: d for d in pending}
    done = _commitments(plan, demands, labs, now, settings, frozenset(solved))
    return replace(done, final=_final(plan, demands, labs, now, settings))


def _final(plan: dict[str, Result], demands: dict[str, Demand], labs, now: datetime,
           settings: SchedulerSettings) -> frozenset[str]:
    return frozenset(rid for rid, r in plan.items() if isinstance(r, Unmatched) and (
        not settings.plan_ahead or _hopeless(demands[rid], labs, now, settings)))


def _hopeless(demand: Demand, labs, now: datetime, settings: SchedulerSettings) -> bool:
    """No lab could take the request even with its calendar free."""
    return isinstance(match_one(demand, labs, Calendar(), now, settings), Unmatched)


def _by_method(pending: Iterable[Demand]) -> dict[str, list[Demand]]:
    out: dict[str, list[Demand]] = defaultdict(list)
    for d in pending:
        out[d.method].append(d)
    return out


def _still_fitting(demands: list[Demand], previous: Mapping[str, Result], labs, calendar: Calendar,
                   now: datetime, settings: SchedulerSettings) -> dict[str, Result]:
    """The previous plan of these requests, less each placement that no longer fits: its
    lab gone, declined or excluded, the samples unable to arrive by its start from now,
    or its slot taken on the calendar (by a booking, or an earlier kept placement). An
    earlier round's Unmatched stands too: only a change can place it."""
    kept: dict[str, Result] = {}
    booked: list[Result] = []
    try:
        for d in demands:
            r = previous.get(d.request_id)
            if r is None:
                continue
            if isinstance(r, Assignment):
                if not _fits(r, d, labs, calendar, now, settings):
                    continue
                booked.append(r)
            kept[d.request_id] = r
        return kept
    finally:
        for r in booked:
            calendar.release(r.lab_id, r.method, r.request_id)


def _fits(a: Assignment, demand: Demand, labs, calendar: Calendar, now: datetime,
          settings: SchedulerSettings) -> bool:
    """Whether the placement still holds from `now`, booking it on `calendar` if so."""
    lab = labs.by_id.get(a.lab_id)
    option = None if lab is None else option_on(demand, lab, now, settings)
    if option is None or a.start < option.release or a.end > option.latest_end:
        return False
    return calendar.reserve(a.lab_id, a.method, a.request_id, a.start, a.end, option.terms.windows)


def _replanned(demands: list[Demand], kept: dict[str, Result], labs, calendar: Calendar, now: datetime,
               settings: SchedulerSettings, supply_changed: bool = False) -> list[Result]:
    """The floor (the kept placements, each other request matched one by one around
    them); if it leaves a request out, or the method's supply changed (a slot may have
    opened that the plan should move to), the joint plan of them all, never below it."""
    placed = [r if isinstance(r := kept.get(d.request_id), Assignment) else None for d in demands]
    floor = complete(demands, placed, labs, calendar, now, settings, repair=True)
    if floor is None:  # _still_fitting booked them all together, so this is a bug
        raise AssertionError("the kept placements do not fit the calendar together")
    # Every request it leaves out was left out last round too, or no lab could take it
    # even free (no joint plan places it, and it holds no slot to give up): the others
    # all fit beside the previous plan, and one that fits nowhere cannot make room for
    # them (the previous round already tried them without it). No solve then. Without
    # the second case every round with a hopeless newcomer (a method no lab holds, a
    # deadline too near) re-solved its whole method: at 100x most of a round's time.
    if not supply_changed and all(isinstance(r, Assignment) or isinstance(kept.get(d.request_id), Unmatched)
                                  or _hopeless(d, labs, now, settings) for d, r in zip(demands, floor)):
        return floor
    return improve(demands, labs, calendar, now, settings, floor, settings.plan_time_limit_s, rescore=supply_changed)


def _commitments(plan: dict[str, Result], demands: dict[str, Demand], labs, now: datetime,
                 settings: SchedulerSettings, solved: frozenset[str]) -> Round:
    """Split the plan's placements into those to offer now and the rest (their soonest due)."""
    horizon = now + timedelta(seconds=settings.plan_round_s) if settings.plan_ahead else datetime.max.replace(
        tzinfo=now.tzinfo)
    due = sorted((offer_due(a, demands[rid], labs.by_id[a.lab_id], settings), rid)
                 for rid, a in plan.items() if isinstance(a, Assignment))
    commit = [plan[rid] for at, rid in due if at <= horizon]
    later = [at for at, _ in due if at > horizon]
    return Round(plan, commit, later[0] if later else None, solved)
