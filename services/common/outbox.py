"""Transactional outbox: write events with the state change, relay them to Kafka.

`write_event` runs inside the caller's transaction, so an event exists exactly when
the change it announces committed. `OutboxRelay` publishes unsent rows in id order
with the app's idempotent producer and marks them sent only after Kafka acked, so
a row is never lost; it may be sent twice after a crash, and consumers dedupe by
`event_id` (DESIGN.md, "Delivery guarantees").
"""
from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator

import asyncpg
from aiohttp import web
from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError

from schemas.envelope import Envelope
from schemas.topics import Topic

from .db import PG_POOL
from .kafka import PRODUCER
from .tasks import stop_task

log = logging.getLogger(__name__)

BATCH = 500
POLL_S = 1.0
MAX_BACKOFF_S = 30.0


async def write_event(conn: asyncpg.Connection, schema: str, envelope: Envelope, topic: Topic, key: str) -> None:
    await conn.execute(f'INSERT INTO "{schema}".outbox (event_id, topic, key, value) VALUES ($1, $2, $3, $4)',
                       *outbox_row(envelope, topic, key))


def outbox_row(envelope: Envelope, topic: Topic, key: str) -> tuple:
    """(event_id, topic, key, value) of an outbox row, for callers that write it within a
    larger statement."""
    if envelope.type not in topic.events:  # a misrouted event would be invisible to its consumers
        raise ValueError(f"{envelope.type} does not belong on {topic.name}")
    return envelope.event_id, topic.name, key, envelope.to_bytes()


class OutboxRelay:
    def __init__(self, pool: asyncpg.Pool, producer: AIOKafkaProducer, schema: str, *,
                 batch: int = BATCH, poll_s: float = POLL_S) -> None:
        self.pool, self.producer, self.schema = pool, producer, schema
        self.batch, self.poll_s = batch, poll_s
        self._wakeup = asyncio.Event()

    def wake(self) -> None:
        """Called after a commit that wrote events, so they go out without waiting a poll."""
        self._wakeup.set()

    async def run(self) -> None:
        backoff = 0.0
        while True:
            try:
                sent = await self.publish_batch()
            except (KafkaError, OSError, asyncio.TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
                if not backoff:  # log once per outage, not once per retry
                    log.warning("outbox relay (%s) cannot publish, will retry: %s", self.schema, exc or type(exc).__name__)
                backoff = await self._back_off(backoff)
                continue
            except Exception:  # a bug must not silently end the relay: log it, keep trying
                log.exception("outbox relay (%s) failed", self.schema)
                backoff = await self._back_off(backoff)
                continue
            if backoff:
                log.info("outbox relay (%s) publishing again", self.schema)
                backoff = 0.0
            if sent < self.batch:  # a full batch means more may be waiting
                await self._idle()

    @staticmethod
    async def _back_off(previous: float) -> float:
        delay = min(MAX_BACKOFF_S, previous * 2 or 0.5)
        await asyncio.sleep(delay)
        return delay

    async def _idle(self) -> None:
        # asyncio.timeout, not wait_for: on 3.11 wait_for can swallow a cancel that
        # lands as its timeout fires, and the relay then never stops at shutdown.
        try:
            async with asyncio.timeout(self.poll_s):
                await self._wakeup.wait()
        except TimeoutError:
            pass
        self._wakeup.clear()

    async def publish_batch(self) -> int:
        """Send one batch and mark it sent; return how many rows went out."""
        table = f'"{self.schema}".outbox'
        async with self.pool.acquire() as conn, conn.transaction():
            # One sender at a time keeps each key's events in commit order across
            # API replicas; SKIP LOCKED still guards rows if that lock is ever dropped.
            if not await conn.fetchval("SELECT pg_try_advisory_xact_lock(hashtext($1))", f"outbox-{self.schema}"):
                return 0
            rows = await conn.fetch(
                f"SELECT id, topic, key, value FROM {table} WHERE sent_at IS NULL"
                " ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED", self.batch,
            )
            if not rows:
                return 0
            # send() only enqueues, in order; awaiting the futures waits for the acks.
            pending = [await self.producer.send(r["topic"], r["value"], key=r["key"].encode()) for r in rows]
            await asyncio.gather(*pending)
            await conn.execute(f"UPDATE {table} SET sent_at = now() WHERE id = any($1::bigint[])", [r["id"] for r in rows])
            return len(rows)


OUTBOX_RELAY = web.AppKey("outbox_relay", OutboxRelay)


def outbox_ctx(schema: str):
    """Run the relay for the service's schema while the app runs (after kafka_ctx)."""

    async def ctx(app: web.Application) -> AsyncIterator[None]:
        relay = OutboxRelay(app[PG_POOL], app[PRODUCER], schema)
        app[OUTBOX_RELAY] = relay
        task = asyncio.create_task(relay.run(), name=f"outbox-relay-{schema}")
        yield
        await stop_task(task)

    return ctx
