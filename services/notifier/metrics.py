"""The notifier's Prometheus figures: deliveries by channel and outcome, the retry queue,
and how long the oldest undelivered notification has waited."""
from __future__ import annotations

import asyncio
import logging

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
        self._counters: dict[tuple[str, str], Counter] = {}  # the labelled children, looked up once
        self._latencies: dict[str, Histogram] = {}
        self.oldest = Gauge("labbook_notifier_oldest_undelivered_seconds",
                            "Age of the oldest delivery not yet delivered or failed", registry=registry)

    def attempt(self, channel: str, outcome: str, latency_ms: float) -> None:
        """One attempt, as it ended (its outcome is written to the log soon after)."""
        if (channel, outcome) not in self._counters:
            self._counters[channel, outcome] = self.attempts.labels(channel, outcome)
            self._latencies.setdefault(channel, self.latency.labels(channel))
        self._counters[channel, outcome].inc()
        self._latencies[channel].observe(latency_ms / 1000)

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
