"""The booking-status consumer: labbook.status.v1 into the read model.

Offsets are committed only after the database commit of everything before them,
so a crash redelivers and the read model's seq check makes that harmless. A
message that cannot be decoded goes to labbook.dlq.v1 and consumption goes on;
while PostgreSQL or Kafka is unreachable the same message is retried.
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
from schemas.events import RequestPlanned, StatusChanged
from schemas.topics import STATUS
from services.common.db import PG_POOL
from services.common.deadletter import dead_letter
from services.common.health import HEALTH_CHECKS
from services.common.kafka import PRODUCER, await_assignment
from services.common.retry import retrying
from services.common.settings import SETTINGS
from services.common.tasks import stop_task

from . import read_model
from .read_model import Outcome

log = logging.getLogger(__name__)

CONSUMER = "booking-status"
PRODUCER_NAME = "booking-api"
RETRYABLE = (KafkaError, OSError, asyncio.TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError)
MAX_BACKOFF_S = 10.0
ASSIGNMENT_WAIT_S = 30.0

STATUS_CONSUMER = web.AppKey("status_consumer", "StatusConsumer")


class StatusConsumer:
    def __init__(self, consumer: AIOKafkaConsumer, pool: asyncpg.Pool, producer: AIOKafkaProducer) -> None:
        self.consumer, self.pool, self.producer = consumer, pool, producer
        self.committed: dict[TopicPartition, int] = {}  # next offset per partition, once committed

    async def run(self) -> None:
        while True:
            batches = await self.consumer.getmany(timeout_ms=1000, max_records=500)
            for tp, messages in batches.items():
                for message in messages:
                    await self._retrying(self.handle, message)
                await self._retrying(self._commit, tp, messages[-1].offset + 1)

    async def _commit(self, tp: TopicPartition, offset: int) -> None:
        await self.consumer.commit({tp: offset})
        self.committed[tp] = offset

    async def handle(self, message: ConsumerRecord) -> Outcome | None:
        try:
            envelope, event = decode(message.value)
            if not isinstance(event, StatusChanged | RequestPlanned):
                raise MessageRejected(f"{envelope.type} does not belong on {STATUS.name}")
        except MessageRejected as exc:
            await self.dead_letter(message, str(exc))
            return None
        if isinstance(event, RequestPlanned):
            return await read_model.apply_plan(self.pool, event)
        # The live feed reads what this stores (feed.py), on every replica.
        return await read_model.apply(self.pool, event)

    async def dead_letter(self, message: ConsumerRecord, reason: str) -> None:
        await dead_letter(self.producer, message, reason, consumer=CONSUMER, producer_name=PRODUCER_NAME)

    async def _retrying(self, step, *args) -> None:
        await retrying(step, *args, retryable=RETRYABLE, what=CONSUMER, log=log, most=MAX_BACKOFF_S)


async def status_consumer_ctx(app: web.Application) -> AsyncIterator[None]:
    """Run the consumer while the app runs (after the pool, producer and outbox)."""
    settings = app[SETTINGS]
    consumer = AIOKafkaConsumer(
        STATUS.name, bootstrap_servers=settings.kafka_bootstrap, group_id=settings.status_group,
        client_id=CONSUMER, enable_auto_commit=False, auto_offset_reset=settings.status_offset_reset)
    log.info("consuming %s as group %s", STATUS.name, settings.status_group)
    await consumer.start()
    await await_assignment(consumer, CONSUMER, ASSIGNMENT_WAIT_S)
    worker = app[STATUS_CONSUMER] = StatusConsumer(consumer, app[PG_POOL], app[PRODUCER])
    task = asyncio.create_task(worker.run(), name=CONSUMER)
    app[HEALTH_CHECKS]["status_consumer"] = lambda: _running(task)
    yield
    await stop_task(task)
    await consumer.stop()


async def _running(task: asyncio.Task) -> bool:
    return not task.done()
