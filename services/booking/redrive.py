"""Submissions nobody picked up are sent again.

A request stays SUBMITTED only until the scheduler reads its RequestSubmitted and
answers MATCHING, within seconds. One still SUBMITTED long after its RequestSubmitted
left the outbox means the event was lost on the way (seen once in the fault campaign:
a scheduler restarted during a broker restart committed past one record it never
handled). The outbox keeps every row it sent, so the sweep marks that row unsent
again and the relay publishes the same event, with the same event_id; the scheduler
takes a RequestSubmitted it already knows as a redelivery and does nothing twice.
Every resend is logged and counted (`labbook_booking_submissions_resent`): it is
evidence of a loss somewhere that should be looked into.
"""
from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator

import asyncpg
from aiohttp import web
from prometheus_client import Counter

from schemas.states import RequestStatus
from schemas.topics import REQUESTS
from services.common.db import PG_POOL
from services.common.http import METRICS
from services.common.outbox import OUTBOX_RELAY
from services.common.settings import SETTINGS
from services.common.tasks import stop_task

log = logging.getLogger(__name__)
BATCH = 500


async def resend_stale(conn: asyncpg.Connection, after_s: float) -> list[str]:
    """Mark unsent again the RequestSubmitted of every request SUBMITTED for more than
    `after_s` whose event went out more than `after_s` ago; their ids."""
    stale = await conn.fetch(
        "SELECT id::text FROM booking.requests WHERE status = $1"
        " AND updated_at < now() - make_interval(secs => $2) ORDER BY updated_at LIMIT $3",
        RequestStatus.SUBMITTED.value, after_s, BATCH)
    if not stale:  # the usual case, and the cheap one: the outbox is not scanned
        return []
    rows = await conn.fetch(
        "UPDATE booking.outbox SET sent_at = NULL WHERE topic = $1 AND key = any($2::text[])"
        " AND sent_at < now() - make_interval(secs => $3) RETURNING key",
        REQUESTS.name, [r["id"] for r in stale], after_s)
    return sorted({r["key"] for r in rows})


async def sweep(app: web.Application, after_s: float, every_s: float, resent: Counter) -> None:
    while True:
        await asyncio.sleep(every_s)
        try:
            async with app[PG_POOL].acquire() as conn:
                ids = await resend_stale(conn, after_s)
        except (OSError, asyncio.TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
            log.debug("submission sweep skipped: %s", exc)  # the database is away; the APIs say so
            continue
        if ids:
            resent.inc(len(ids))
            app[OUTBOX_RELAY].wake()
            log.warning("%d requests still SUBMITTED %g s after their RequestSubmitted went out; sent again: %s",
                        len(ids), after_s, ", ".join(ids[:20]))


async def redrive_ctx(app: web.Application) -> AsyncIterator[None]:
    """Run the sweep while the app runs (after the pool and the outbox relay)."""
    after_s = app[SETTINGS].resend_submitted_after_s
    if after_s <= 0:  # switched off
        yield
        return
    resent = Counter("labbook_booking_submissions_resent", "RequestSubmitted events sent again because "
                     "the request stayed SUBMITTED", registry=app[METRICS])
    task = asyncio.create_task(sweep(app, after_s, min(60.0, max(0.2, after_s / 5)), resent),
                               name="booking-resend-submitted")
    yield
    await stop_task(task)
