"""Staff views of the whole queue: counts and unmet demand, read from the read model."""
from __future__ import annotations

from datetime import datetime

import asyncpg

from schemas.booking_api import OldestWaiting, QueueView, RegionFigures, RegionMap, UnmetDemand, UnmetDemandItem
from schemas.envelope import utcnow
from schemas.states import PLACED, TERMINAL, RequestStatus

from . import db


async def queue(pool: asyncpg.Pool) -> QueueView:
    async with pool.acquire() as conn:
        counts = await db.queue_counts(conn, sorted(TERMINAL))
    by_status = {s.value: counts["by_status"].get(s.value, 0) for s in RequestStatus}
    oldest = counts["oldest"]
    return QueueView(
        total=sum(by_status.values()), by_status=by_status,
        by_method=counts["by_method"], by_region=counts["by_region"],
        oldest_waiting=OldestWaiting(id=oldest["id"], status=oldest["status"],
                                     since=oldest["created_at"]) if oldest else None,
    )


async def unmet_demand(pool: asyncpg.Pool) -> UnmetDemand:
    async with pool.acquire() as conn:
        rows = await db.unmet_demand(conn)
    now = utcnow()
    items = [UnmetDemandItem(method_code=r["method_code"], region=r["region"], reason=r["reason"],
                             count=r["count"], oldest_age_hours=_hours(now, r["oldest"])) for r in rows]
    return UnmetDemand(items=items, total=sum(i.count for i in items))


async def regions(pool: asyncpg.Pool, method_code: str | None) -> RegionMap:
    async with pool.acquire() as conn:
        rows = await db.region_figures(conn, sorted(PLACED), method_code)
    return RegionMap(method_code=method_code, items=[RegionFigures(**dict(r)) for r in rows])


def _hours(now: datetime, then: datetime) -> float:
    return round(max(0.0, (now - then).total_seconds()) / 3600, 2)
