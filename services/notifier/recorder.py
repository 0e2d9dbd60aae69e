"""Recording how attempts went, many in one transaction: the attempt log, the delivery's
new state, the retry, the dead letter, the subscription that must be disabled.

Sends finish faster than one transaction each can record them, so outcomes queue up
and each flush writes all that are waiting (the usual case, delivered, in one
statement for the whole batch). A flush waits up to LINGER_S for BATCH outcomes: the
statement costs PostgreSQL about 1 ms whatever its size, plus about 25 µs an outcome
(bench/notifier.py: 15 a batch cost ~100 µs a delivery, 64 ~40 µs). Until its outcome is written a delivery stays
'sending' under its lease; if the process dies first it is sent again, under the
same id, after the lease.
"""
from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime
from uuid import uuid4

import asyncpg

from schemas.envelope import Envelope
from schemas.notifications import SubscriptionDisabled
from schemas.topics import DLQ
from services.common.deadletter import letter
from services.common.outbox import write_event
from services.common.retry import Backoff

from . import compose, dispatch_db as q, ingest, routing
from .metrics import NotifierMetrics
from .outcomes import Outcome, Result, retry_delay
from .settings import NotifierSettings

log = logging.getLogger(__name__)

DELIVERIES = "notifier-deliveries"
RETRYABLE = (OSError, asyncio.TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError)
MAX_BACKOFF_S = 2.0  # short: outcomes written soon after the database returns, within their leases
BATCH = 100  # outcomes a flush waits for, at most LINGER_S (far inside any lease)
LINGER_S = 0.025


@dataclass(frozen=True)
class Attempt:
    row: asyncpg.Record
    outcome: Outcome
    started: datetime
    latency_ms: float


class Recorder:
    def __init__(self, pool: asyncpg.Pool, settings: NotifierSettings, metrics: NotifierMetrics,
                 on_change=lambda: None, on_outbox=lambda: None) -> None:
        self.pool, self.settings, self.metrics = pool, settings, metrics
        self.on_change, self.on_outbox = on_change, on_outbox
        self.schedule = settings.retry_delays()
        self.waiting: list[Attempt] = []
        self._arrived = asyncio.Event()
        self._full = asyncio.Event()  # BATCH outcomes waiting
        self._writing = asyncio.Lock()
        # Outcomes could not be written (the database is away): the dispatcher must not claim
        # until they are, or it could take back, lease run out, a delivery already sent.
        self.stalled = False

    def add(self, attempt: Attempt) -> None:
        """An attempt that ended: counted now, written with the next batch."""
        self.metrics.attempt(attempt.row["channel"], attempt.outcome.result.value, attempt.latency_ms)
        self.waiting.append(attempt)
        self._arrived.set()
        if len(self.waiting) >= BATCH:
            self._full.set()

    async def run(self) -> None:
        while True:
            await self._arrived.wait()
            if len(self.waiting) < BATCH:  # a few more first: one statement for them all
                try:
                    async with asyncio.timeout(LINGER_S):
                        await self._full.wait()
                except TimeoutError:
                    pass
            self._arrived.clear()
            self._full.clear()
            try:
                await self.flush(drain=False)  # what came meanwhile waits for the next batch
            except Exception:  # a bug must not end recording: what it lost is sent again after its lease
                log.exception("recording delivery outcomes failed")

    async def flush(self, drain: bool = True) -> None:
        """Write everything waiting (or, not draining, what was waiting when it began); on an
        outage keep it and try again (one writer at a time)."""
        async with self._writing:
            await self._flush(drain)
        self.stalled = False

    async def _flush(self, drain: bool) -> None:
        backoff = Backoff(first=0.2, most=MAX_BACKOFF_S)
        while self.waiting:
            batch, self.waiting = self.waiting, []
            try:
                await self._write(batch)
            except RETRYABLE as exc:
                self.waiting = batch + self.waiting
                self.stalled = True
                if not backoff.failing:
                    log.warning("cannot record %d delivery outcomes, will retry: %s", len(batch), exc)
                await asyncio.sleep(backoff.failed())
                continue
            self.on_change()
            if not drain:
                return

    async def _write(self, batch: list[Attempt]) -> None:
        settled = [self._settled(a) for a in batch]
        delivered = [a for a in settled if a.outcome.result == Result.DELIVERED]
        if len(delivered) == len(settled):  # the usual case: one statement, one round trip
            async with self.pool.acquire() as conn:
                return await q.record_delivered(conn, [_log_row(a) for a in settled])
        others = [a for a in settled if a.outcome.result != Result.DELIVERED]
        async with self.pool.acquire() as conn, conn.transaction():
            if delivered:
                await q.record_delivered(conn, [_log_row(a) for a in delivered])
            await q.add_attempts(conn, [_log_row(a) for a in others])
            for a in others:
                await self._not_delivered(conn, a)
            await q.release_next(conn, [(a.row["subscription_id"], a.row["request_id"]) for a in others
                                        if a.row["request_id"] and a.outcome.result != Result.RETRY])

    def _settled(self, a: Attempt) -> Attempt:
        """A retry past the end of the schedule is a failure."""
        if a.outcome.result != Result.RETRY or retry_delay(a.row["attempts"], self.schedule) is not None:
            return a
        o = a.outcome
        gave_up = Outcome(Result.FAILED, o.status_code, o.reply, f"gave up after {a.row['attempts']} attempts: "
                                                                 f"{o.describe()}")
        return Attempt(a.row, gave_up, a.started, a.latency_ms)

    async def _not_delivered(self, conn: asyncpg.Connection, a: Attempt) -> None:
        row, outcome = a.row, a.outcome
        if outcome.result == Result.RETRY:
            await q.retry_at(conn, row["id"], retry_delay(row["attempts"], self.schedule), outcome.describe())
            return await self._failing(conn, row)
        await q.failed(conn, row["id"], outcome.describe())
        if outcome.result == Result.DISABLED:
            return await self.disable(conn, row["subscription_id"], outcome.error or "disabled by the target")
        await self._dead_letter(conn, row, outcome)
        await self._failing(conn, row)

    async def _failing(self, conn: asyncpg.Connection, row: asyncpg.Record) -> None:
        if row["subscription_status"] != "active":
            return
        seconds = await q.failing_for(conn, row["subscription_id"])
        if seconds >= self.settings.disable_after_failing_s:
            days = self.settings.disable_after_failing_s / 86_400
            await self.disable(conn, row["subscription_id"], f"every delivery failed for {days:g} days")

    async def disable(self, conn: asyncpg.Connection, subscription_id, reason: str) -> None:
        """Disable the subscription and tell its owner (in-app, and through its other subscriptions)."""
        sub = await q.disable(conn, subscription_id, reason)
        if sub is None:
            return
        log.warning("subscription %s to %s disabled: %s", sub["id"], sub["target"], reason)
        notice = SubscriptionDisabled(subscription_id=sub["id"], target=sub["target"], reason=reason)
        told = routing.subscription_disabled(sub["owner_role"], sub["owner_org"], sub["id"], sub["target"], reason)
        await ingest.record(conn, ingest.internal_envelope(notice, uuid4()), [told], ingest.INTERNAL)

    async def _dead_letter(self, conn: asyncpg.Connection, row: asyncpg.Record, outcome: Outcome) -> None:
        source, envelope = compose.loads(row["source"]), compose.loads(row["envelope"])
        key = source.get("key")
        dead = letter(reason=f"delivery {row['id']} ({row['channel']} to {row['target']}) failed: {outcome.describe()}",
                      consumer=DELIVERIES, topic=source["topic"], partition=source["partition"],
                      offset=source["offset"], key=key.encode() if key else None,
                      original=Envelope.model_validate(envelope).to_bytes())
        await write_event(conn, "notifier", Envelope.wrap(dead, producer=ingest.PRODUCER), DLQ, key or str(row["id"]))
        self.on_outbox()


def _log_row(a: Attempt) -> tuple:
    o = a.outcome
    return (a.row["id"], a.row["attempts_before"] + a.row["attempts"], a.started, a.latency_ms, o.result.value,
            o.status_code, o.reply, o.error)
