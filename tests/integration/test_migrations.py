"""Migrations on a real, empty PostgreSQL database: a stairway, then no-ops."""
import asyncio

import asyncpg
import pytest

from services.booking import app as booking
from services.common.migrations import discover, migrate
from services.labs import app as labs
from services.notifier import app as notifier

SERVICES = [(m.SCHEMA, m.MIGRATIONS) for m in (booking, labs, notifier)]


@pytest.mark.parametrize(("schema", "directory"), SERVICES)
async def test_stairway_applies_one_step_at_a_time(fresh_db, schema, directory):
    conn = await asyncpg.connect(fresh_db)
    try:
        for step in discover(directory):
            assert await migrate(conn, schema, directory, target=step.version) == [step.version]
        assert await migrate(conn, schema, directory) == []  # a second run is a no-op
        recorded = await conn.fetchval(f'SELECT count(*) FROM "{schema}".schema_migrations')
        assert recorded == len(discover(directory))
        assert await conn.fetchval("SELECT to_regclass($1)", f"{schema}.outbox") is not None
    finally:
        await conn.close()


async def test_two_replicas_starting_together_apply_each_file_once(fresh_db):
    schema, directory = SERVICES[0]
    a, b = await asyncpg.connect(fresh_db), await asyncpg.connect(fresh_db)
    try:
        applied = await asyncio.gather(migrate(a, schema, directory), migrate(b, schema, directory))
        assert sorted(applied[0] + applied[1]) == [m.version for m in discover(directory)]
    finally:
        await a.close()
        await b.close()
