"""Integration tests run against the real Kafka broker and PostgreSQL server
that `make test` starts (deploy/local). They fail, never skip, when those are absent."""
from __future__ import annotations

import asyncio
import uuid

import asyncpg
import pytest

from services.common.db import db_alive
from services.common.kafka import ensure_topics, kafka_alive
from services.common.settings import ServiceSettings


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/integration" in str(item.path):
            item.add_marker(pytest.mark.integration)


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
    name = f"test_{uuid.uuid4().hex[:12]}"
    await servers.execute(f'CREATE DATABASE "{name}"')
    base, _, _ = settings.database_url.rpartition("/")
    yield f"{base}/{name}"
    await drop_database(servers, name)


async def drop_database(pool: asyncpg.Pool, name: str, attempts: int = 50) -> None:
    """DROP ... WITH (FORCE) by a non-superuser fails while an autovacuum worker
    is in the database; the worker leaves within moments, so retry."""
    for attempt in range(attempts):
        try:
            await pool.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
            return
        except asyncpg.InsufficientPrivilegeError:
            if attempt == attempts - 1:
                raise
            await asyncio.sleep(0.2)
