"""The notifier's consumer: status changes, offers, requests and lab profiles in.

Each message is applied in its own transaction (ingest.py) and offsets are
committed after the batch, so a crash redelivers and the applied-events record
makes that harmless. A message that cannot be decoded, or belongs on another
topic, goes to labbook.dlq.v1 and consumption goes on; while PostgreSQL or Kafka
is unreachable the same message is retried.
"""
from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator

import asyncpg
from aiohttp import web
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition
from aiokafka.errors import KafkaError

from schemas.envelope import MessageRejected, decode
from schemas.topics import BY_NAME, LABS, OFFERS, REQUESTS, STATUS
from services.common.db import PG_POOL
from services.common.deadletter import dead_letter
from services.common.health import HEALTH_CHECKS
from services.common.kafka import PRODUCER, await_assignment
from services.common.retry import retrying
from services.common.settings import SETTINGS
from services.common.tasks import stop_task

from . import ingest
from .ingest import Source

log = logging.getLogger(__name__)

TOPICS = (STATUS, OFFERS, REQUESTS, LABS)
RETRYABLE = (KafkaError, OSError, asyncio.TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError)
BAD_DATA = (asyncpg.IntegrityConstraintViolationError, asyncpg.DataError)
MAX_BACKOFF_S = 10.0
ASSIGNMENT_WAIT_S = 30.0

EVENTS_CONSUMER = web.AppKey("events_consumer", "EventsConsumer")


class EventsConsumer:
    def __init__(self, consumer: AIOKafkaConsumer, pool: asyncpg.Pool, producer: AIOKafkaProducer, *,
                 lapse_days: int, on_delivery=lambda: None) -> None:
        self.consumer, self.pool, self.producer = consumer, pool, producer
        self.lapse_days, self.on_delivery = lapse_days, on_delivery
        self.committed: dict[TopicPartition, int] = {}  # next offset per partition, once committed
        self.applied = 0

    async def run(self) -> None:
        while True:
            batches = await self.consumer.getmany(timeout_ms=1000, max_records=500)
            for tp, messages in batches.items():
                decoded = [await self._retrying(self._decoded, m) for m in messages]  # dead-letters once
                await self._retrying(self.apply_batch, [d for d in decoded if d is not None])
                await self._retrying(self._commit, tp, messages[-1].offset + 1)
            if batches:
                self.on_delivery()  # new delivery rows may be waiting

    async def _commit(self, tp: TopicPartition, offset: int) -> None:
        await self.consumer.commit({tp: offset})
        self.committed[tp] = offset

    async def apply_batch(self, decoded: list[tuple]) -> None:
        """One transaction for the batch (a commit per event cost more than the event);
        if any event's data is refused, each is applied on its own instead."""
        if not decoded:
            return
        try:
            async with self.pool.acquire() as conn, conn.transaction():
                applied = await ingest.apply(conn, [item[:3] for item in decoded], lapse_days=self.lapse_days)
        except BAD_DATA:
            for item in decoded:
                await self._apply_one(*item)
            return
        self.applied += applied

    async def _decoded(self, message: ConsumerRecord):
        """(envelope, event, source, message), or None once dead-lettered."""
        try:
            envelope, event = decode(message.value)
            if envelope.type not in BY_NAME[message.topic].events:
                raise MessageRejected(f"{envelope.type} does not belong on {message.topic}")
        except MessageRejected as exc:
            await self._dead_letter(message, str(exc))
            return None
        source = Source(message.topic, message.partition, message.offset,
                        message.key.decode(errors="replace") if message.key else None)
        return envelope, event, source, message

    async def _apply_one(self, envelope, event, source: Source, message: ConsumerRecord) -> None:
        try:
            async with self.pool.acquire() as conn, conn.transaction():
                applied = await ingest.apply(conn, [(envelope, event, source)], lapse_days=self.lapse_days)
        except BAD_DATA as exc:  # not an outage: retrying would block the partition for ever
            await self._dead_letter(message, f"cannot store {envelope.type}: {exc}")
            return
        self.applied += applied

    async def _dead_letter(self, message: ConsumerRecord, reason: str) -> None:
        await dead_letter(self.producer, message, reason, consumer=ingest.CONSUMER, producer_name=ingest.PRODUCER)

    async def _retrying(self, step, *args):
        return await retrying(step, *args, retryable=RETRYABLE, what=ingest.CONSUMER, log=log, most=MAX_BACKOFF_S)


def events_consumer_ctx(on_delivery=lambda app: None):
    """Run the consumer while the app runs (after the pool and the producer)."""

    async def ctx(app: web.Application) -> AsyncIterator[None]:
        settings = app[SETTINGS]
        consumer = AIOKafkaConsumer(
            *(t.name for t in TOPICS), bootstrap_servers=settings.kafka_bootstrap, group_id=settings.group,
            client_id=ingest.CONSUMER, enable_auto_commit=False, auto_offset_reset=settings.offset_reset,
            session_timeout_ms=10_000, heartbeat_interval_ms=1_000)
        log.info("consuming %s as group %s", ", ".join(t.name for t in TOPICS), settings.group)
        await consumer.start()
        await await_assignment(consumer, ingest.CONSUMER, ASSIGNMENT_WAIT_S)
        worker = app[EVENTS_CONSUMER] = EventsConsumer(consumer, app[PG_POOL], app[PRODUCER],
                                                       lapse_days=settings.lapse_days,
                                                       on_delivery=lambda: on_delivery(app))
        task = asyncio.create_task(worker.run(), name=ingest.CONSUMER)
        app[HEALTH_CHECKS]["events_consumer"] = lambda: _running(task)
        yield
        await stop_task(task)
        await consumer.stop()

    return ctx


async def _running(task: asyncio.Task) -> bool:
    return not task.done()
