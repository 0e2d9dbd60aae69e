"""PostgreSQL connection pool: checked at start, logged without the password.

`postgres_ctx` opens a service's pool (its schema migrated) for the app's lifetime,
under PG_POOL.
"""
from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
from aiohttp import web

from .health import HEALTH_CHECKS
from .migrations import migrate
from .settings import SETTINGS
from .startup import StartupError, redact

log = logging.getLogger(__name__)

CONNECT_TIMEOUT_S = 5.0

PG_POOL = web.AppKey("pg_pool", asyncpg.Pool)


async def open_pool(url: str, *, min_size: int = 1, max_size: int = 10) -> asyncpg.Pool:
    log.info("connecting to PostgreSQL at %s", redact(url))
    try:
        pool = await asyncpg.create_pool(url, min_size=min_size, max_size=max_size, timeout=CONNECT_TIMEOUT_S,
                                         reset=_reset)
        await pool.fetchval("SELECT 1")
    except (OSError, asyncio.TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
        reason = str(exc) or type(exc).__name__
        raise StartupError("DATABASE_URL", f"cannot connect to PostgreSQL at {redact(url)}: {reason}") from None
    return pool


async def _reset(conn: asyncpg.Connection) -> None:
    """A connection coming back to the pool. asyncpg's default also clears session state
    (a round trip on every release: about a tenth of a submit's cost, bench/api.py);
    labbook keeps none outside a transaction (advisory locks are transaction-scoped or
    released in `finally`, no LISTEN, no SET), so only an unfinished transaction is
    rolled back."""
    if conn.is_in_transaction():
        await conn.reset()


# An outage rather than a bug: connecting failed or the link broke (class 08), the server
# is shutting down or starting (57P01-57P03), or it has no connection left (53300).
OUTAGE_SQLSTATES = ("08", "57P01", "57P02", "57P03", "53300")
RETRY_AFTER_S = 5


def is_outage(exc: BaseException) -> bool:
    """Whether an error means PostgreSQL is unreachable for now (answer 503, retry later)."""
    if isinstance(exc, (OSError, asyncio.TimeoutError, asyncpg.InterfaceError)):
        return True  # refused, reset, pool acquire timed out, connection closed under us
    state = getattr(exc, "sqlstate", None) if isinstance(exc, asyncpg.PostgresError) else None
    return bool(state) and state.startswith(OUTAGE_SQLSTATES)


async def db_alive(pool: asyncpg.Pool, timeout: float = 2.0) -> bool:
    try:
        async with asyncio.timeout(timeout):  # not wait_for: it can swallow a cancel on 3.11
            return await pool.fetchval("SELECT 1") == 1
    except (OSError, asyncio.TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError):
        return False


def postgres_ctx(schema: str, migrations_dir: Path):
    """Pool for the service's own schema, migrated at start."""

    async def ctx(app: web.Application) -> AsyncIterator[None]:
        pool = await open_pool(app[SETTINGS].database_url)
        async with pool.acquire() as conn:
            await migrate(conn, schema, migrations_dir)
        app[PG_POOL] = pool
        app[HEALTH_CHECKS]["postgres"] = lambda: db_alive(pool)
        yield
        await pool.close()

    return ctx
