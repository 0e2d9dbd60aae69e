"""GET /v1/insight/capacity-gaps and the printable localisation page: whatif.py run on
the live queue (the read model) and the labs' supply (supply.py).

Planning a few hundred requests per method takes seconds, so answers are kept: one
younger than `capacity_gaps_min_age_s` is answered again whatever moved since (a busy
queue would otherwise keep the planner running), and so is one computed on the same
queue and supply (nothing submitted, moved or advertised since) younger than
`capacity_gaps_max_age_s`; otherwise one computation runs (in a thread, off the event
loop) and every caller waiting meanwhile gets its answer.
"""
from __future__ import annotations

import asyncio
from collections import defaultdict
from dataclasses import dataclass

import asyncpg
from aiohttp import web

from schemas.envelope import utcnow
from schemas.insight_api import CapacityGaps
from schemas.states import HOLDING, WAITING
from services.booking.scheduler.domain import Demand
from services.booking.scheduler.settings import SchedulerSettings
from services.common.db import PG_POOL
from services.common.settings import SETTINGS

from . import queries
from .supply import SUPPLY, SupplyView
from .whatif import Booking, Planner, gap


def demand_of(row: asyncpg.Record) -> Demand:
    return Demand(str(row["id"]), row["method_code"], row["samples"], row["deadline"], row["ship_from_region"],
                  frozenset(row["preferred_lab_ids"]), frozenset(row["excluded_lab_ids"]),
                  frozenset(row["declined"]))


def planners(waiting, holding, supply: SupplyView, now, settings: SchedulerSettings) -> dict[str, Planner]:
    """One planner per method with requests waiting, on the labs as the scheduler sees them."""
    demands, bookings = defaultdict(list), defaultdict(list)
    for row in waiting:
        demands[row["method_code"]].append(demand_of(row))
    for row in holding:
        bookings[row["method_code"]].append(Booking(str(row["id"]), row["lab_id"], row["method_code"],
                                                    row["planned_start"], row["planned_end"]))
    labs = tuple(supply.lab_states())
    regions = {lab_id: p.region_code for lab_id, p in supply.profiles.items()}
    return {method: Planner(tuple(mine), labs, tuple(bookings[method]), now, settings, regions)
            for method, mine in sorted(demands.items())}


def gaps_of(by_method: dict[str, Planner], now) -> CapacityGaps:
    found = [gap(method, planner) for method, planner in by_method.items()]
    items = sorted((g for g in found if g.unplaced), key=lambda g: (-g.unplaced, g.method_code))
    return CapacityGaps(computed_at=now, items=items, unplaced=sum(g.unplaced for g in items),
                        placed_more=sum(g.suggestion.placed_more for g in items if g.suggestion))


@dataclass
class Kept:
    key: tuple
    gaps: CapacityGaps


class GapsKeeper:
    """The last answer and the computation running, if any (one per process)."""

    def __init__(self, settings: SchedulerSettings) -> None:
        self.settings, self.kept, self.running = settings, None, None

    async def gaps(self, pool: asyncpg.Pool, supply: SupplyView, max_age_s: float,
                   min_age_s: float = 0.0) -> CapacityGaps:
        supply.require_loaded()
        async with pool.acquire() as conn:
            key = (supply.version, *await queries.queue_mark(conn))
        kept = self.kept
        age = (utcnow() - kept.gaps.computed_at).total_seconds() if kept is not None else None
        if age is not None and (age < min_age_s or (kept.key == key and age < max_age_s)):
            return kept.gaps
        if self.running is None or self.running[0] != key:
            self.running = (key, asyncio.ensure_future(self._compute(key, pool, supply)))
        return await asyncio.shield(self.running[1])

    async def _compute(self, key: tuple, pool: asyncpg.Pool, supply: SupplyView) -> CapacityGaps:
        try:
            async with pool.acquire() as conn:
                waiting = await queries.waiting(conn, sorted(WAITING))
                holding = await queries.holding(conn, sorted(HOLDING))
            now = utcnow()
            by_method = planners(waiting, holding, supply, now, self.settings)
            gaps = await asyncio.to_thread(gaps_of, by_method, now)
            self.kept = Kept(key, gaps)
            return gaps
        finally:
            if self.running is not None and self.running[0] == key:
                self.running = None


GAPS = web.AppKey("capacity_gaps", GapsKeeper)


async def capacity_gaps(app: web.Application) -> CapacityGaps:
    settings = app[SETTINGS]
    return await app[GAPS].gaps(app[PG_POOL], app[SUPPLY], settings.capacity_gaps_max_age_s,
                                settings.capacity_gaps_min_age_s)
