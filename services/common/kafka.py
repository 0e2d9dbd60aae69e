"""Kafka plumbing shared by every service: producer, readiness, topic creation.

`kafka_ctx` keeps an API's producer for the app's lifetime, under PRODUCER.
"""
from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator

from aiohttp import web

from aiokafka import AIOKafkaClient, AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaConnectionError, KafkaError, TopicAlreadyExistsError

from schemas.topics import ALL, Topic

from .health import HEALTH_CHECKS
from .settings import SERVICE, SETTINGS
from .startup import StartupError

log = logging.getLogger(__name__)

PRODUCER = web.AppKey("producer", AIOKafkaProducer)


async def start_producer(bootstrap: str, *, client_id: str) -> AIOKafkaProducer:
    """An idempotent producer (acks=all), so a retried send is never written twice."""
    log.info("connecting to Kafka at %s", bootstrap)
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap, client_id=client_id, enable_idempotence=True, acks="all"
    )
    try:
        await producer.start()
    except (KafkaError, OSError) as exc:
        await producer.stop()
        raise StartupError("KAFKA_BOOTSTRAP", f"cannot reach Kafka at {bootstrap}: {exc}") from None
    return producer


async def kafka_alive(bootstrap: str, timeout: float = 3.0) -> bool:
    """True when a broker answers a metadata request."""
    client = AIOKafkaClient(bootstrap_servers=bootstrap, request_timeout_ms=int(timeout * 1000))
    try:
        async with asyncio.timeout(timeout):  # not wait_for: it can swallow a cancel on 3.11
            await client.bootstrap()
        return True
    except (KafkaError, OSError, asyncio.TimeoutError):
        return False
    finally:
        await client.close()


async def wait_for_kafka(bootstrap: str, timeout: float = 60.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not await kafka_alive(bootstrap):
        if loop.time() > deadline:
            raise StartupError("KAFKA_BOOTSTRAP", f"no Kafka broker answered at {bootstrap} in {timeout:.0f} s")
        await asyncio.sleep(0.5)


async def ensure_topics(bootstrap: str, topics: tuple[Topic, ...] = ALL) -> list[str]:
    """Create the registry's topics that are missing; return the names created."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, client_id="labbook-topics")
    try:
        await admin.start()
    except (KafkaConnectionError, OSError) as exc:
        await admin.close()
        raise StartupError("KAFKA_BOOTSTRAP", f"cannot reach Kafka at {bootstrap}: {exc}") from None
    try:
        existing = set(await admin.list_topics())
        missing = [t for t in topics if t.name not in existing]
        created = []
        for topic in missing:
            try:
                await admin.create_topics(
                    [NewTopic(topic.name, topic.partitions, 1, topic_configs=topic.config())]
                )
                created.append(topic.name)
            except TopicAlreadyExistsError:  # another process won the race
                pass
        return created
    finally:
        await admin.close()


async def assign_from_start(consumer: AIOKafkaConsumer, *topics: Topic) -> dict[TopicPartition, int]:
    """Give a group-less consumer every partition of the topics at its beginning; the
    partitions' end offsets now, which say when it has read all there was."""
    parts = [TopicPartition(topic.name, p) for topic in topics for p in range(topic.partitions)]
    consumer.assign(parts)
    await consumer.seek_to_beginning(*parts)
    return await consumer.end_offsets(parts)


async def await_assignment(consumer: AIOKafkaConsumer, name: str, timeout: float = 30.0) -> None:
    """Wait until the group gave the consumer partitions and their positions are known, so
    events sent after start-up are read even with auto_offset_reset=latest; and pin where a
    new group starts, or a crash before its first commit would restart at the (then later)
    end and skip what arrived in between."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not consumer.assignment():
        if loop.time() > deadline:
            log.warning("%s has no partitions after %.0f s; going on", name, timeout)
            return
        await asyncio.sleep(0.05)
    positions = {tp: await consumer.position(tp) for tp in consumer.assignment()}
    unset = {tp: offset for tp, offset in positions.items() if await consumer.committed(tp) is None}
    if unset:
        await consumer.commit(unset)


async def kafka_ctx(app: web.Application) -> AsyncIterator[None]:
    bootstrap = app[SETTINGS].kafka_bootstrap
    producer = await start_producer(bootstrap, client_id=app[SERVICE])
    app[PRODUCER] = producer
    app[HEALTH_CHECKS]["kafka"] = lambda: kafka_alive(bootstrap)
    yield
    await producer.stop()
