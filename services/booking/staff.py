"""Staff views of the whole queue: counts, unmet demand and the queue's flow, read from
the read model."""
from __future__ import annotations

from datetime import datetime, time, timedelta, timezone

import asyncpg

from schemas.booking_api import OldestWaiting, QueueView, RegionFigures, RegionMap, UnmetDemand, UnmetDemandItem
from schemas.envelope import utcnow
from schemas.insight_api import AgeBucket, FlowDay, LabOffers, LeadTime, MethodLeadTimes, QueueFlow
from schemas.states import BACKLOG, PLACED, TERMINAL, RequestStatus

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


# Backlog age buckets (hours since submission): a day, three, a week, two, four, older.
AGE_BUCKETS = (("0-1d", 0), ("1-3d", 24), ("3-7d", 72), ("7-14d", 168), ("14-28d", 336), ("28d+", 672))
# What a day's throughput counts, beside submissions: the first time a request reached it.
DAILY = {RequestStatus.ACCEPTED.value: "accepted", RequestStatus.REPORT_ISSUED.value: "report_issued",
         RequestStatus.CANCELLED.value: "cancelled"}
FLOW_FIELDS = {RequestStatus.SUBMITTED.value: "submitted", **DAILY}  # what db.daily_flow tags each count with


async def flow(pool: asyncpg.Pool, days: int, now: datetime | None = None) -> QueueFlow:
    """The live queue's figures, all at one moment `now` (UTC); the window is the last
    `days` UTC days, today included."""
    now = (now or utcnow()).astimezone(timezone.utc)
    since = datetime.combine(now.date() - timedelta(days=days - 1), time(), timezone.utc)
    backlog, offered = [s.value for s in sorted(BACKLOG)], RequestStatus.OFFERED.value
    async with pool.acquire() as conn:
        ages = await db.backlog_ages(conn, now, backlog, [h for _, h in AGE_BUCKETS[1:]])
        daily = await db.daily_flow(conn, since, now, sorted(DAILY))
        leads = await db.lead_times(conn, since, now, offered, RequestStatus.ACCEPTED.value)
        offers = await db.offers_waiting(conn, now, offered)
    return QueueFlow(computed_at=now, days=days, since=since, backlog_statuses=backlog,
                     backlog=_buckets(ages, backlog), throughput=_days(daily, since, days),
                     lead_times=[_lead_times(r) for r in leads],
                     offers_waiting=[LabOffers(lab_id=r["lab_id"], count=r["count"],
                                               oldest_age_hours=_round(r["oldest_age_hours"])) for r in offers])


def _buckets(rows, statuses: list[str]) -> list[AgeBucket]:
    counts = [{s: 0 for s in statuses} for _ in AGE_BUCKETS]
    for r in rows:
        counts[r["bucket"]][r["status"]] = r["n"]
    ends = [h for _, h in AGE_BUCKETS[1:]] + [None]
    return [AgeBucket(key=key, from_hours=start, to_hours=end, total=sum(c.values()), by_status=c)
            for (key, start), end, c in zip(AGE_BUCKETS, ends, counts)]


def _days(rows, since: datetime, days: int) -> list[FlowDay]:
    figures = {r["day"]: {} for r in rows}
    for r in rows:
        figures[r["day"]][FLOW_FIELDS[r["what"]]] = r["n"]
    dates = [since.date() + timedelta(days=n) for n in range(days)]
    zero = dict.fromkeys(FLOW_FIELDS.values(), 0)
    return [FlowDay(day=d, **{**zero, **figures.get(d, {})}) for d in dates]


def _lead_times(r) -> MethodLeadTimes:
    def lead(count: int, p50, p90) -> LeadTime:
        return LeadTime(count=count, p50_hours=_round(p50), p90_hours=_round(p90))
    return MethodLeadTimes(method_code=r["method_code"], submitted=r["submitted"],
                           to_offer=lead(r["offers"], r["offer_p50"], r["offer_p90"]),
                           to_acceptance=lead(r["accepts"], r["accept_p50"], r["accept_p90"]))


def _round(hours: float | None) -> float | None:
    # Never below 0: the scheduler's clock may run a moment behind booking's.
    return None if hours is None else round(max(0.0, hours), 2)
