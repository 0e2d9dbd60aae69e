"""The booking API built through create_app on a fresh database, served in-process."""
from __future__ import annotations

import asyncio
import uuid
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from aiohttp.test_utils import TestClient, TestServer
from aiokafka import AIOKafkaConsumer, TopicPartition

from schemas.envelope import decode
from schemas.tokens import issue
from schemas.topics import Topic
from services.booking.app import create_app
from services.booking.settings import BookingSettings
from services.common.http import PG_POOL

SECRET = "booking-integration-secret"


@dataclass
class Api:
    client: TestClient
    app: object

    @property
    def pool(self):
        return self.app[PG_POOL]

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
async def booking(fresh_db, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", fresh_db)
    monkeypatch.setenv("LABBOOK_TOKEN_SECRET", SECRET)
    app = create_app(BookingSettings())
    client = TestClient(TestServer(app))
    await client.start_server()
    try:
        yield Api(client, app)
    finally:
        await client.close()


@asynccontextmanager
async def kafka_tail(bootstrap: str, *topics: Topic):
    """Read the topics from their current ends, so only messages sent afterwards show."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        parts = [TopicPartition(t.name, p) for t in topics for p in range(t.partitions)]
        consumer.assign(parts)
        await consumer.seek_to_end(*parts)
        for tp in parts:
            await consumer.position(tp)  # resolve "end" now, before anything is sent
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
                envelope, event = decode(message.value)
                if keep(envelope, event):
                    found.append((tp.topic, message.key, envelope, event))
    return found
