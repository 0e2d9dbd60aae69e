"""The outbox relay on its own: every row reaches Kafka exactly once and is marked
sent, with two relays racing, and across a Kafka outage (a producer that fails)."""
import asyncio
import uuid

import asyncpg
import pytest
from aiokafka.errors import KafkaConnectionError

from schemas.envelope import Envelope, utcnow
from schemas.events import StatusChanged
from schemas.topics import REQUESTS, STATUS
from services.booking.app import MIGRATIONS, SCHEMA
from services.common.kafka import start_producer
from services.common.migrations import migrate
from services.common.outbox import OutboxRelay, write_event
from tests.support.brokers import read_to_end
from tests.support.waits import until

from .conftest import kafka_tail


@pytest.fixture
async def pool(fresh_db):
    pool = await asyncpg.create_pool(fresh_db, min_size=1, max_size=6)
    async with pool.acquire() as conn:
        await migrate(conn, SCHEMA, MIGRATIONS)
    yield pool
    await pool.close()


@pytest.fixture
async def producer(settings):
    producer = await start_producer(settings.kafka_bootstrap, client_id="test-outbox")
    yield producer
    await producer.stop()


def status_event(request_id: uuid.UUID) -> Envelope:
    event = StatusChanged(request_id=request_id, org_id="org-outbox", seq=1, status="SUBMITTED",
                          previous=None, at=utcnow())
    return Envelope.wrap(event, producer="test", correlation_id=str(request_id))


async def write_rows(pool, n: int) -> set[uuid.UUID]:
    ids = set()
    async with pool.acquire() as conn, conn.transaction():
        for _ in range(n):
            request_id = uuid.uuid4()
            envelope = status_event(request_id)
            await write_event(conn, SCHEMA, envelope, STATUS, str(request_id))
            ids.add(envelope.event_id)
    return ids


async def until_all_sent(pool, timeout: float = 30.0) -> None:
    async def all_sent() -> bool:
        return await pool.fetchval("SELECT count(*) FROM booking.outbox WHERE sent_at IS NULL") == 0
    await until(all_sent, timeout, "every outbox row to be marked sent", interval=0.1)


async def run_until_sent(pool, *relays):
    tasks = [asyncio.create_task(r.run()) for r in relays]
    try:
        await until_all_sent(pool)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


async def received_counts(tail, ids: set) -> dict:
    """How often each row's event is on the topic, once every row is marked sent: a row is
    marked only after Kafka acked it, so every copy of it lies below the current ends."""
    counts: dict = {}
    for envelope, _ in await read_to_end(tail):
        if envelope.event_id in ids:
            counts[envelope.event_id] = counts.get(envelope.event_id, 0) + 1
    return counts


async def test_two_relays_send_every_row_exactly_once(pool, producer, settings):
    async with kafka_tail(settings.kafka_bootstrap, STATUS) as tail:
        ids = await write_rows(pool, 1200)  # more than two batches
        await run_until_sent(pool, OutboxRelay(pool, producer, SCHEMA), OutboxRelay(pool, producer, SCHEMA))
        counts = await received_counts(tail, ids)
    assert set(counts) == ids and set(counts.values()) == {1}


class FlakyProducer:
    """Fails like an unreachable broker for the first `failures` sends."""

    def __init__(self, real, failures: int) -> None:
        self.real, self.failures = real, failures

    async def send(self, *args, **kwargs):
        if self.failures > 0:
            self.failures -= 1
            raise KafkaConnectionError("broker unreachable (simulated)")
        return await self.real.send(*args, **kwargs)


async def test_rows_survive_a_kafka_outage(pool, producer, settings, caplog):
    async with kafka_tail(settings.kafka_bootstrap, STATUS) as tail:
        ids = await write_rows(pool, 20)
        await run_until_sent(pool, OutboxRelay(pool, FlakyProducer(producer, failures=3), SCHEMA))
        counts = await received_counts(tail, ids)
    assert set(counts) == ids and set(counts.values()) == {1}
    assert sum("cannot publish" in r.message for r in caplog.records) == 1  # logged once per outage


async def test_wake_sends_without_waiting_for_the_poll(pool, producer):
    relay = OutboxRelay(pool, producer, SCHEMA, poll_s=60)
    polled = asyncio.Event()
    publish_batch = relay.publish_batch

    async def publish_and_tell() -> int:
        try:
            return await publish_batch()
        finally:
            polled.set()
    relay.publish_batch = publish_and_tell
    task = asyncio.create_task(relay.run())
    try:
        await asyncio.wait_for(polled.wait(), 10)  # its first poll found nothing: idle now, for up to 60 s
        await write_rows(pool, 1)
        relay.wake()
        await until_all_sent(pool, timeout=5)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def test_write_event_refuses_a_misrouted_event(pool):
    async with pool.acquire() as conn:
        with pytest.raises(ValueError, match="does not belong"):
            await write_event(conn, SCHEMA, status_event(uuid.uuid4()), REQUESTS, "k")
