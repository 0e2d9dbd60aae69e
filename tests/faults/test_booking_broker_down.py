"""Nothing lost, nothing doubled: requests submitted while Kafka is down reach the
topic once each after it comes back (the outbox), on a PRIVATE broker we may stop."""
from __future__ import annotations

import uuid

from schemas.events import RequestSubmitted
from schemas.tokens import issue
from schemas.topics import REQUESTS
from services.booking.app import create_app
from services.booking.settings import BookingSettings
from services.common.db import PG_POOL
from services.common.kafka import kafka_alive
from tests.integration.booking.conftest import request_body
from tests.support.brokers import kafka, read_topic, serve_on_private_broker, until

SECRET = "broker-down-secret-0123456789abcdef"
REQUESTS_WHILE_DOWN = 100


async def read_all(bootstrap: str) -> list[RequestSubmitted]:
    """Every RequestSubmitted on the private broker's topic, up to its current end."""
    return await read_topic(bootstrap, REQUESTS, lambda event: isinstance(event, RequestSubmitted))


async def test_requests_submitted_while_kafka_is_down_arrive_once(private_broker, fresh_db, monkeypatch):
    async with serve_on_private_broker(
        private_broker, fresh_db, monkeypatch, SECRET, lambda: create_app(BookingSettings()),
        BOOKING_STATUS_GROUP=f"booking-status-{uuid.uuid4().hex[:8]}") as (bootstrap, client):
        app = client.server.app
        kafka("down", private_broker)
        assert not await kafka_alive(bootstrap, timeout=2)
        headers = {"Authorization": f"Bearer {issue(SECRET, org='org-down', role='supplier')}"}
        ids = set()
        for _ in range(REQUESTS_WHILE_DOWN):
            response = await client.post("/v1/requests", json=request_body(), headers=headers)
            assert response.status == 201
            ids.add((await response.json())["id"])

        assert "listening" in kafka("up", private_broker)
        pool = app[PG_POOL]

        async def drained() -> bool:
            return await pool.fetchval("SELECT count(*) FROM booking.outbox WHERE sent_at IS NULL") == 0
        await until(drained, 120, "the outbox to drain after the broker came back")
        events = await read_all(bootstrap)
    sent = [str(e.request_id) for e in events]
    assert len(sent) == REQUESTS_WHILE_DOWN and set(sent) == ids  # every one, none twice
