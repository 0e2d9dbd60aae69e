"""The online contenders: labbook as the scheduler runs, and first-come-first-served.

Each takes (labs, demands, release times in order) and returns one result per demand.
"""
from __future__ import annotations

import math
import multiprocessing
import time
from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone

from services.booking.scheduler.assignment import assign_batch, book
from services.booking.scheduler.calendar import Calendar
from services.booking.scheduler.matching import (Assignment, Unmatched, earliest_start, index_labs, match_one,
                                                 screen)
from services.booking.scheduler.planning import plan_round


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


def run_earliest(labs, demands, arrivals, settings) -> list:
    """Each request at its arrival to the lab where it can start first (ties: lower lab
    id), reserving as it goes: no score, only the calendar."""
    labs = index_labs(labs)
    calendar, results = Calendar(), []
    reporting = timedelta(days=settings.reporting_days)
    for demand, at in zip(demands, arrivals):
        options, _ = screen(demand, labs, at, settings)
        starts = sorted((start, o.lab.lab_id, o) for o in options if o.lab.lab_id not in demand.excluded
                        and (start := earliest_start(o, calendar)) is not None)
        if not starts:
            results.append(Unmatched(demand.request_id, "no_capacity_before_deadline"))
            continue
        start, _, option = starts[0]
        results.append(option.assignment(demand.request_id, start, reporting, 0.0))
        book(calendar, labs.by_id, results[-1])
    return results


@dataclass
class Planned:
    """run_planned's answer: one result per demand, and what the rounds cost."""

    results: list
    commit_at: list  # per demand, the round that committed it (None: never placed)
    round_seconds: list[float] = field(default_factory=list)  # wall time of each round that re-solved a method


def run_planned(labs, demands, arrivals, settings, keep_previous: bool = True, workers: int = 1) -> Planned:
    """As the scheduler plans ahead (services/booking/scheduler/planning.py), in
    simulated time: rounds every settings.plan_round_s from the first arrival, skipping
    those where nothing arrives and no offer falls due. A request is placed only once
    a round commits it (the calendar then holds it), and one no lab could take any more
    leaves the plan UNMATCHED (the round's `final`), as in the worker; the rounds run
    until every planned offer has gone out, so only requests waiting for room, unplaced,
    are left at the end.

    With `workers` > 1 the methods are shared out among that many forked processes, as
    in run_labbook, each on the same round grid (a round plans each method on its own).
    A process skips the rounds where none of its methods has work, so a request left
    waiting may be given up a round later than in one process; `round_seconds` then
    lists every process's rounds."""
    labs = index_labs(_heartbeating(labs, arrivals[-1], settings))
    if workers <= 1:
        return _planned(labs, demands, arrivals, settings, keep_previous, arrivals[0])
    global _SHARED  # as in run_labbook
    _SHARED = (labs, demands, arrivals, settings, keep_previous)
    try:
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            parts = pool.map(_plan_share, _share_methods(demands, workers), chunksize=1)
    finally:
        _SHARED = ()
    by_id = {row[0]: (_result(row), at) for part, _ in parts for row, at in part}
    return Planned([by_id[d.request_id][0] for d in demands], [by_id[d.request_id][1] for d in demands],
                   [s for _, seconds in parts for s in seconds])


def _plan_share(methods: set[str]) -> tuple[list, list[float]]:
    labs, demands, arrivals, settings, keep_previous = _SHARED
    mine = [k for k, d in enumerate(demands) if d.method in methods]
    if not mine:
        return [], []
    done = _planned(labs, [demands[k] for k in mine], [arrivals[k] for k in mine], settings, keep_previous,
                    arrivals[0])
    return [(_row(r), at) for r, at in zip(done.results, done.commit_at)], done.round_seconds


def _planned(labs, demands, arrivals, settings, keep_previous: bool, first: datetime) -> Planned:
    """run_planned in one process, its rounds on the grid from `first`."""
    step = timedelta(seconds=settings.plan_round_s)
    calendar, plan, pending, committed, unmatched = Calendar(), {}, {}, {}, {}
    rounds, next_due, i = [], None, 0
    while i < len(demands) or next_due is not None:
        # The next round that has work: an arrival, or an offer due before the round after it.
        wake = min(([arrivals[i]] if i < len(demands) else []) + ([next_due - step] if next_due else []))
        now = first + step * max(0, math.ceil((wake - first) / step))
        while i < len(demands) and arrivals[i] <= now:
            pending[demands[i].request_id], i = demands[i], i + 1
        started = time.perf_counter()
        done = plan_round(list(pending.values()), plan, labs, calendar, now, settings, keep_previous=keep_previous)
        if done.solved:
            rounds.append(time.perf_counter() - started)
        for a in done.commit:
            if not book(calendar, labs.by_id, a):
                raise AssertionError(f"a committed offer does not fit the calendar: {a}")
            committed[a.request_id] = (a, now)
            del pending[a.request_id]
        for rid in done.final:  # UNMATCHED, as the worker leaves them (flow.planned)
            del pending[rid]
            unmatched[rid] = done.plan[rid]
        plan, next_due = {rid: r for rid, r in done.plan.items() if rid in pending}, done.next_due
    results = [committed[d.request_id][0] if d.request_id in committed
               else unmatched.get(d.request_id) or plan[d.request_id] for d in demands]
    return Planned(results, [committed.get(d.request_id, (None, None))[1] for d in demands], rounds)


def _heartbeating(labs, last_arrival: datetime, settings) -> list:
    """The labs with a live agent heartbeat all along (instances stamp it at the end of
    the arrival period, as matching on arrival needs); rounds run on past it, until
    the last offer is due, so a live lab's heartbeat is carried to the end of time."""
    live_since = last_arrival - timedelta(hours=settings.liveness_hours)
    return [replace(lab, heartbeat_at=datetime.max.replace(tzinfo=timezone.utc))
            if lab.heartbeat_at is not None and lab.heartbeat_at >= live_since else lab for lab in labs]
