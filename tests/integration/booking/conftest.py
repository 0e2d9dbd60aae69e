"""The booking API built through create_app on a fresh database, served in-process."""
from __future__ import annotations

import asyncio
import uuid
from contextlib import asynccontextmanager
from datetime import date, timedelta

import pytest
from datetime import datetime, timezone
from uuid import UUID

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from schemas.envelope import Envelope, MessageRejected, decode
from schemas.events import StatusChanged
from schemas.tokens import issue
from schemas.topics import STATUS, Topic
from services.booking.app import create_app
from services.booking.consumer import STATUS_CONSUMER
from services.booking.settings import BookingSettings
from tests.support.apps import ServedApp, serving
from tests.support.brokers import assign_from_end

SECRET = "booking-integration-secret-0123456789abcdef"


class Api(ServedApp):
    def auth(self, role: str = "supplier", org: str | None = None) -> dict[str, str]:
        return {"Authorization": f"Bearer {issue(SECRET, org=org or new_org(), role=role)}"}

    async def submit(self, headers: dict, **overrides):
        response = await self.client.post("/v1/requests", json=request_body(**overrides), headers=headers)
        return response.status, await response.json()


def new_org() -> str:
    return f"org-{uuid.uuid4().hex[:8]}"


def request_body(**overrides) -> dict:
    data = {
        "method_code": "ISO9227-NSS-96", "test_kind": "validation",
        "component": {"name": "Door hinge", "part_number": f"DH-{uuid.uuid4().hex[:6]}", "category": "body"},
        "samples": 5, "deadline": (date.today() + timedelta(days=90)).isoformat(),
        "ship_from_region": "RU-SAM", "notes": "zinc-nickel coating",
    }
    return {**data, **overrides}


@pytest.fixture
def booking_env() -> dict[str, str]:
    """More BOOKING_ settings for the app (a test module overrides this fixture)."""
    return {}


@pytest.fixture
async def booking(fresh_db, monkeypatch, tmp_path, booking_env):
    for name, value in booking_env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("DATABASE_URL", fresh_db)
    monkeypatch.setenv("LABBOOK_HOME", str(tmp_path))  # nothing shared through files
    monkeypatch.setenv("LABBOOK_TOKEN_SECRET", SECRET)
    # Its own consumer group, reading from the end: tests never share offsets.
    monkeypatch.setenv("BOOKING_STATUS_GROUP", f"booking-status-test-{uuid.uuid4().hex[:8]}")
    monkeypatch.setenv("BOOKING_STATUS_OFFSET_RESET", "latest")
    app = create_app(BookingSettings())
    async with serving(app) as client:
        yield Api(client, app)


@asynccontextmanager
async def kafka_tail(bootstrap: str, *topics: Topic):
    """Read the topics from their current ends, so only messages sent afterwards show."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        await assign_from_end(consumer, *topics)
        yield consumer
    finally:
        await consumer.stop()


async def collect(consumer: AIOKafkaConsumer, keep, *, count: int, timeout: float = 20.0) -> list:
    """Decoded (topic, envelope, event) triples for which keep(...) holds; waits for `count`."""
    loop = asyncio.get_running_loop()
    deadline, found = loop.time() + timeout, []
    while len(found) < count and loop.time() < deadline:
        batches = await consumer.getmany(timeout_ms=300)
        for tp, messages in batches.items():
            for message in messages:
                try:
                    envelope, event = decode(message.value)
                except MessageRejected:  # another test's poison on the shared topic: never what we wait for
                    continue
                if keep(envelope, event):
                    found.append((tp.topic, message.key, envelope, event))
    return found


# Status events, as the scheduler would send them.

@pytest.fixture
async def producer(settings):
    producer = AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap)
    await producer.start()
    yield producer
    await producer.stop()


def status_event(request: dict, seq: int, status: str, previous: str | None = None, **fields) -> bytes:
    event = StatusChanged(request_id=UUID(request["id"]), org_id=request["org_id"], seq=seq, status=status,
                          previous=previous, at=datetime.now(timezone.utc), **fields)
    return Envelope.wrap(event, producer="scheduler", correlation_id=request["id"]).to_bytes()


async def publish(producer, request: dict, *events: bytes):
    """Send in order; return the last message's metadata."""
    for value in events:
        sent = await producer.send_and_wait(STATUS.name, value, key=request["id"].encode())
    return sent


async def consumed(booking, sent) -> None:
    """Wait until the app's consumer committed past `sent` (the only proof a refusal happened)."""
    worker = booking.app[STATUS_CONSUMER]
    tp = TopicPartition(sent.topic, sent.partition)
    await until(lambda: _value(worker.committed.get(tp, -1)), lambda c: c > sent.offset)
    assert worker.committed.get(tp, -1) > sent.offset


async def _value(x):
    return x


async def until(probe, check, timeout: float = 20.0):
    """Poll probe() until check(result) holds; return the last result."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        result = await probe()
        if check(result) or loop.time() > deadline:
            return result
        await asyncio.sleep(0.05)


async def created(booking, headers: dict | None = None, **overrides) -> tuple[dict, dict]:
    headers = headers or booking.auth()
    status, body = await booking.submit(headers, **overrides)
    assert status == 201
    return body, headers


def getter(booking, request: dict, headers: dict):
    async def get():
        response = await booking.client.get(f"/v1/requests/{request['id']}", headers=headers)
        return await response.json()
    return get


async def last_seq(booking, request: dict) -> int:
    return await booking.pool.fetchval("SELECT status_seq FROM booking.requests WHERE id = $1", UUID(request["id"]))


