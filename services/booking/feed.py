"""The live status feed: statuses read back from booking.status_history, in stored order.

Every status a replica stores (its own SUBMITTED and CANCELLED, the scheduler's via
its share of labbook.status.v1) gets a `feed_id`. Each replica polls for new ids and
fans them out to its event streams, so every replica streams every change, and a
client that reconnects with Last-Event-ID gets what it missed from the table.

A transaction may take an id and commit after a later one is already read, so ids
skipped over are looked for again for GAP_WAIT_S before they count as rolled back.
"""
from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator

import asyncpg
from aiohttp import web

from services.common.db import PG_POOL
from services.common.settings import SETTINGS
from services.common.tasks import stop_task

from . import db
from .sse import Broadcast

log = logging.getLogger(__name__)

STATUS_FEED = web.AppKey("status_feed", Broadcast)
GAP_WAIT_S = 30.0
REPLAY_LIMIT = 1000  # statuses a reconnecting stream gets back at most (then it should refetch)
MAX_GAPS = 10_000


class StatusFeed:
    def __init__(self, pool: asyncpg.Pool, broadcast: Broadcast, poll_s: float) -> None:
        self.pool, self.broadcast, self.poll_s = pool, broadcast, poll_s
        self.high = 0  # the highest id published
        self.gaps: dict[int, float] = {}  # ids skipped over -> when first missed

    async def start(self) -> None:
        async with self.pool.acquire() as conn:
            self.high = await db.last_feed_id(conn)  # streams show what happens from now on

    async def run(self) -> None:
        while True:
            try:
                await self.poll()
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
                log.warning("status feed cannot read, will retry: %s", exc or type(exc).__name__)
            await asyncio.sleep(self.poll_s)

    async def poll(self) -> None:
        async with self.pool.acquire() as conn:
            rows = await db.feed_after(conn, self.high, also=list(self.gaps))
        now = asyncio.get_running_loop().time()
        for feed_id, event in rows:
            if feed_id > self.high:
                skipped = range(self.high + 1, min(feed_id, self.high + 1 + MAX_GAPS))
                self.gaps.update((i, now) for i in skipped)
                self.high = feed_id
            else:
                self.gaps.pop(feed_id, None)  # committed late: publish it now
            self.broadcast.publish((feed_id, event))
        self.gaps = {i: t for i, t in self.gaps.items() if now - t < GAP_WAIT_S}


async def status_feed_ctx(app: web.Application) -> AsyncIterator[None]:
    """Poll the table while the app runs (after the pool)."""
    feed = StatusFeed(app[PG_POOL], app[STATUS_FEED], app[SETTINGS].status_feed_poll_s)
    await feed.start()
    task = asyncio.create_task(feed.run(), name="status-feed")
    yield
    await stop_task(task)
