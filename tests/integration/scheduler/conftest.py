"""Scheduler integration tests need only the Kafka broker (with the registry's topics)."""
from __future__ import annotations

import pytest

from schemas.topics import DLQ, OFFERS, RESERVATIONS, STATUS
from services.common.kafka import ensure_topics, kafka_alive

from .support import Bus


@pytest.fixture(scope="session")
async def kafka(settings) -> str:
    if not await kafka_alive(settings.kafka_bootstrap):
        pytest.fail(f"no Kafka broker at {settings.kafka_bootstrap}: run `make test`, which starts it")
    await ensure_topics(settings.kafka_bootstrap)
    return settings.kafka_bootstrap


@pytest.fixture
async def bus(kafka):
    bus = Bus(kafka, (STATUS.name, OFFERS.name, RESERVATIONS.name, DLQ.name))
    await bus.start()
    yield bus
    await bus.stop()
