"""A proven upper bound on how many requests any schedule can place: max-flow on a relaxation.

Methods never share capacity, so each method is its own network:

    source -> request group -> (unit, group's cutoff) -> ... chain of the unit's cutoffs ... -> sink

A group is the requests with the same origin, samples and deadline; it may enter a
unit (a lab, or a pool of labs) if, for the group's earliest arrival, some lab of the
unit passes every calendar-free constraint of the matcher (the same
`Shortlist.stages` the scheduler uses) with a window the test fits in. A unit's chain
arc after cutoff t carries at most cap(t) = sum over its labs' windows of
slots * floor((min(t, end) - A) / duration) jobs: a job runs inside one window, and
with its lanes free from A (window start or the first arrival), no more jobs can end
by t. Release times beyond A, the exact lane layout and, for pools, which lab of the
pool a job uses are ignored; every schedule fits this relaxation, so its max flow
bounds every schedule.

Units are single labs when the network stays small (tighter), else pools of labs near
the same region centre with the same sample limit (the 100x instance).
"""
from __future__ import annotations

from collections import defaultdict
from datetime import datetime

import numpy as np
from ortools.graph.python import max_flow

from schemas.regions import REGIONS_BY_CODE, distance_km
from services.booking.scheduler.labindex import micros, test_end_by
from services.booking.scheduler.scoring import WINDOW_END, WINDOW_SLOTS, WINDOW_START
from services.booking.scheduler.matching import Demand

MAX_LAB_ARCS = 20_000_000  # beyond this many group->lab arcs, pool the labs


def upper_bound(labs, demands: list[Demand], arrivals: list[datetime], settings) -> tuple[int, str]:
    """(requests placeable at most, "lab" or "pooled")."""
    groups = _groups(demands, arrivals)
    arcs = sum(len(labs.table(method, settings)) * len(gs) for method, gs in groups.items())
    pooled = arcs > MAX_LAB_ARCS
    first = micros(min(arrivals))
    total = sum(_method_bound(labs, method, gs, first, settings, pooled) for method, gs in groups.items())
    return total, "pooled" if pooled else "lab"


def _groups(demands, arrivals) -> dict[str, list[tuple[Demand, datetime, int]]]:
    """Per method: (a representative demand, the earliest arrival, how many)."""
    seen: dict[tuple, list] = {}
    for d, at in zip(demands, arrivals):
        key = (d.method, d.origin, d.samples, d.deadline, d.excluded)
        if key in seen:
            seen[key][1] = min(seen[key][1], at)
            seen[key][2] += 1
        else:
            seen[key] = [d, at, 1]
    out = defaultdict(list)
    for (method, *_), (d, at, n) in seen.items():
        out[method].append((d, at, n))
    return out


def _method_bound(labs, method, groups, first_us, settings, pooled) -> int:
    table = labs.table(method, settings)
    if not len(table):
        return 0
    unit_of = _pools(table) if pooled else np.arange(len(table))
    caps_by_unit = _capacity(table, unit_of, first_us)
    entries = []  # (group index, unit, cutoff)
    for g, (d, at, _) in enumerate(groups):
        short = labs.shortlist(method, d.origin, settings)
        fits = short.stages(table, d, at, settings).fits_window
        if d.excluded:
            fits = fits & ~np.isin(np.array(table.ids), list(d.excluded))
        cutoff = test_end_by(d.deadline, settings)
        entries += [(g, int(u), cutoff) for u in np.unique(unit_of[fits])]
    return _max_flow(groups, entries, caps_by_unit)


def _pools(table) -> np.ndarray:
    """Labs near the same region centre with the same sample limit (capped at 8, the most asked)."""
    centres = list(REGIONS_BY_CODE.values())
    keys = {}
    unit_of = []
    for lab, limit in zip(table.labs, table.max_samples.tolist()):
        near = min(centres, key=lambda r: distance_km(r.lat, r.lon, lab.lat, lab.lon)).code
        unit_of.append(keys.setdefault((near, min(limit, 8)), len(keys)))
    return np.array(unit_of)


def _capacity(table, unit_of, first_us):
    """cap(unit, t): jobs the unit's labs can end by t (microseconds)."""
    per_unit = defaultdict(list)
    for k, u in enumerate(unit_of.tolist()):
        for w in table.windows[table.first_window[k]:table.past_window[k]].tolist():
            start, end = max(int(w[WINDOW_START]), first_us), int(w[WINDOW_END])  # no job of the window ends later
            if end > start:
                per_unit[u].append((int(w[WINDOW_SLOTS]), start, end, int(table.duration[k])))

    def cap(u: int, t: int) -> int:
        return sum(s * max(0, (min(t, end) - a) // dur) for s, a, end, dur in per_unit.get(u, ()))
    return cap


def _max_flow(groups, entries, cap) -> int:
    flow = max_flow.SimpleMaxFlow()
    source, sink = 0, 1
    nodes: dict[tuple[int, int], int] = {}
    cutoffs_by_unit: dict[int, set[int]] = defaultdict(set)
    for _, u, t in entries:
        cutoffs_by_unit[u].add(t)
    nid = 2 + len(groups)
    tails, heads, caps = [], [], []
    for u, cutoffs in cutoffs_by_unit.items():
        ordered = sorted(cutoffs)
        for k, t in enumerate(ordered):
            nodes[(u, t)] = nid + k
            tails.append(nid + k)
            heads.append(nid + k + 1 if k + 1 < len(ordered) else sink)
            caps.append(cap(u, t))
        nid += len(ordered)
    for g, (_, _, n) in enumerate(groups):
        tails.append(source), heads.append(2 + g), caps.append(n)
    for g, u, t in entries:
        tails.append(2 + g), heads.append(nodes[(u, t)]), caps.append(groups[g][2])
    flow.add_arcs_with_capacity(np.array(tails), np.array(heads), np.array(caps))
    if flow.solve(source, sink) != flow.OPTIMAL:
        raise RuntimeError("max flow failed")
    return flow.optimal_flow()
