"""The offers inbox consumer: labbook.offers.v1 into labs.offers, idempotently.

Offsets are committed only after a message was stored (at-least-once); the
applied_events table makes a redelivery change nothing. A message that cannot be
decoded goes to labbook.dlq.v1 with the reason, and consumption goes on.
"""
from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator

import asyncpg
from aiohttp import web
from aiokafka import AIOKafkaConsumer, ConsumerRecord
from aiokafka.errors import KafkaError

from schemas.envelope import MessageRejected, decode
from schemas.events import JobCancelled, OfferMade, OfferWithdrawn
from schemas.topics import OFFERS
from services.common.db import PG_POOL
from services.common.deadletter import dead_letter as common_dead_letter
from services.common.kafka import PRODUCER, await_assignment
from services.common.settings import SETTINGS
from services.common.tasks import stop_task

from . import offers
from .service import PRODUCER as PRODUCER_NAME

log = logging.getLogger(__name__)

MAX_BACKOFF_S = 30.0
ASSIGNMENT_WAIT_S = 30.0


async def dead_letter(producer, message: ConsumerRecord, reason: str) -> None:
    await common_dead_letter(producer, message, reason, consumer=offers.CONSUMER, producer_name=PRODUCER_NAME)


async def handle(pool: asyncpg.Pool, producer, message: ConsumerRecord) -> None:
    try:
        envelope, event = decode(message.value)
        if not isinstance(event, (OfferMade, OfferWithdrawn, JobCancelled)):
            raise MessageRejected(f"{envelope.type} does not belong on {OFFERS.name}")
    except MessageRejected as exc:
        await dead_letter(producer, message, str(exc))
        return
    try:
        await offers.apply(pool, envelope, event)
    except (asyncpg.IntegrityConstraintViolationError, asyncpg.DataError) as exc:
        # Bad data, not an outage: retrying would block the partition for ever.
        await dead_letter(producer, message, f"cannot store {envelope.type}: {exc}")


async def consume(consumer: AIOKafkaConsumer, pool: asyncpg.Pool, producer) -> None:
    backoff = 0.0
    while True:
        try:
            batches = await consumer.getmany(timeout_ms=1000, max_records=200)
            for messages in batches.values():
                for message in messages:
                    await handle(pool, producer, message)
            if batches:
                await consumer.commit()
        except asyncio.CancelledError:
            raise
        except (KafkaError, OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
            # Uncommitted messages come again after the seek; applied ones are skipped.
            if not backoff:
                log.warning("offers inbox cannot apply messages, will retry: %s", exc or type(exc).__name__)
            backoff = await _back_off(consumer, backoff)
            continue
        except Exception:  # a bug must not silently end the inbox: log it, keep trying
            log.exception("offers inbox failed")
            backoff = await _back_off(consumer, backoff)
            continue
        if backoff:
            log.info("offers inbox consuming again")
            backoff = 0.0


async def _back_off(consumer: AIOKafkaConsumer, previous: float) -> float:
    delay = min(MAX_BACKOFF_S, previous * 2 or 0.5)
    await asyncio.sleep(delay)
    try:
        await _rewind(consumer)
    except (KafkaError, OSError) as exc:
        log.debug("cannot rewind the offers inbox yet: %s", exc)
    return delay


async def _rewind(consumer: AIOKafkaConsumer) -> None:
    for tp in consumer.assignment():
        committed = await consumer.committed(tp)
        if committed is not None:
            consumer.seek(tp, committed)
        else:
            await consumer.seek_to_beginning(tp)


def consumer_for(settings) -> AIOKafkaConsumer:
    return AIOKafkaConsumer(
        OFFERS.name, bootstrap_servers=settings.kafka_bootstrap, group_id=settings.offers_group,
        client_id="labs-offers", enable_auto_commit=False, auto_offset_reset=settings.offers_offset_reset,
        session_timeout_ms=10_000, heartbeat_interval_ms=1_000,
    )


async def inbox_ctx(app: web.Application) -> AsyncIterator[None]:
    """Run the consumer while the app runs (after postgres_ctx and kafka_ctx)."""
    consumer = consumer_for(app[SETTINGS])
    await consumer.start()
    await await_assignment(consumer, "labs-offers", ASSIGNMENT_WAIT_S)  # "latest" reads what comes after this
    task = asyncio.create_task(consume(consumer, app[PG_POOL], app[PRODUCER]), name="labs-offers-inbox")
    yield
    await stop_task(task)
    await consumer.stop()
