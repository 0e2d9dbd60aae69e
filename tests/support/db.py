"""Throwaway databases on the suite's PostgreSQL server."""
from __future__ import annotations

import asyncio
import uuid
from contextlib import asynccontextmanager

import asyncpg


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


@asynccontextmanager
async def new_database(pool: asyncpg.Pool, database_url: str):
    """The URL of a new, empty database, dropped on exit."""
    name = f"test_{uuid.uuid4().hex[:12]}"
    await pool.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{database_url.rpartition('/')[0]}/{name}"
    finally:
        await drop_database(pool, name)
