"""The notifier's Prometheus figures: deliveries by channel and outcome, the retry queue,
and how long the oldest undelivered notification has waited."""
from __future__ import annotations

import asyncio
import logging
from collections import Counter as Tally

import asyncpg
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from . import dispatch_db

log = logging.getLogger(__name__)

REFRESH_S = 5.0


class NotifierMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.attempts = Counter("labbook_notifier_delivery_attempts", "Delivery attempts by channel and outcome",
                                ["channel", "outcome"], registry=registry)
        self.latency = Histogram("labbook_notifier_delivery_seconds", "Time one delivery attempt took",
                                 ["channel"], registry=registry)
        self.retrying = Gauge("labbook_notifier_retry_queue", "Deliveries waiting for a retry", registry=registry)
        self.pending = Gauge("labbook_notifier_pending", "Deliveries not yet attempted", registry=registry)
        self.oldest = Gauge("labbook_notifier_oldest_undelivered_seconds",
                            "Age of the oldest delivery not yet delivered or failed", registry=registry)

    def attempts_of(self, batch: list[tuple[str, str, float]]) -> None:
        """(channel, outcome, latency in ms) of a batch of attempts."""
        counts = Tally((channel, outcome) for channel, outcome, _ in batch)
        for (channel, outcome), n in counts.items():
            self.attempts.labels(channel, outcome).inc(n)
        for channel, _, latency_ms in batch:
            self.latency.labels(channel).observe(latency_ms / 1000)

    async def refresh(self, pool: asyncpg.Pool) -> None:
        async with pool.acquire() as conn:
            stats = await dispatch_db.queue_stats(conn)
        self.retrying.set(stats["retrying"])
        self.pending.set(stats["pending"])
        self.oldest.set(stats["oldest_s"])

    async def run(self, pool: asyncpg.Pool, every_s: float = REFRESH_S) -> None:
        while True:
            try:
                await self.refresh(pool)
            except (OSError, asyncio.TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
                log.debug("cannot refresh the delivery queue figures: %s", exc)
            await asyncio.sleep(every_s)
