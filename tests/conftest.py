"""Fixtures for every test that needs the real servers `make test` starts
(deploy/local). Those tests fail, never skip, when the servers are absent."""
from __future__ import annotations

import asyncpg
import pytest

from services.common.db import db_alive
from services.common.kafka import ensure_topics, kafka_alive
from services.common.settings import ServiceSettings
from tests.support.brokers import kafka, private_broker_env
from tests.support.db import new_database


@pytest.fixture(scope="session")
def settings() -> ServiceSettings:
    return ServiceSettings()


@pytest.fixture(scope="session")
async def servers(settings):
    """Kafka and PostgreSQL answer, and the registry's topics exist."""
    if not await kafka_alive(settings.kafka_bootstrap):
        pytest.fail(f"no Kafka broker at {settings.kafka_bootstrap}: run `make test`, which starts it")
    pool = await asyncpg.create_pool(settings.database_url, min_size=1, max_size=4)
    if not await db_alive(pool):
        pytest.fail("no PostgreSQL at DATABASE_URL: run `make test`, which starts it")
    await ensure_topics(settings.kafka_bootstrap)
    yield pool
    await pool.close()


@pytest.fixture
async def fresh_db(servers, settings):
    """A new, empty database for one test (dropped after)."""
    async with new_database(servers, settings.database_url) as url:
        yield url


@pytest.fixture
def private_broker(tmp_path):
    """Settings for a broker of the test's own (started with kafka("up", env)); stopped after."""
    env = private_broker_env(tmp_path / "kafka-home")
    yield env
    kafka("down", env)
