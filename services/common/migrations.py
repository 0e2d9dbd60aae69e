"""A small migration runner: numbered SQL files per service schema.

`NNN_name.sql` files under a service's `migrations/` folder are applied in order,
each in its own transaction, and recorded in `<schema>.schema_migrations`. An
advisory lock keeps two replicas starting at once from applying a file twice.
"""
from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from pathlib import Path

import asyncpg

log = logging.getLogger(__name__)

FILE_RE = re.compile(r"^(\d{3})_([a-z0-9_]+)\.sql$")


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    path: Path


def discover(directory: Path) -> list[Migration]:
    found = []
    for path in sorted(directory.glob("*.sql")):
        match = FILE_RE.match(path.name)
        if not match:
            raise ValueError(f"migration file {path.name} is not named NNN_name.sql")
        found.append(Migration(int(match[1]), match[2], path))
    versions = [m.version for m in found]
    if len(set(versions)) != len(versions):
        raise ValueError(f"duplicate migration numbers in {directory}")
    return found


async def applied_versions(conn: asyncpg.Connection, schema: str) -> set[int]:
    exists = await conn.fetchval("SELECT to_regclass($1)", f"{schema}.schema_migrations")
    if exists is None:
        return set()
    rows = await conn.fetch(f'SELECT version FROM "{schema}".schema_migrations')
    return {r["version"] for r in rows}


async def migrate(conn: asyncpg.Connection, schema: str, directory: Path, *, target: int | None = None) -> list[int]:
    """Apply pending migrations up to `target` (all by default); return those applied."""
    pending = discover(directory)
    await conn.execute("SELECT pg_advisory_lock(hashtext($1))", f"labbook-migrate-{schema}")
    try:
        await conn.execute(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
        await conn.execute(
            f'CREATE TABLE IF NOT EXISTS "{schema}".schema_migrations ('
            " version int PRIMARY KEY, name text NOT NULL,"
            " applied_at timestamptz NOT NULL DEFAULT now())"
        )
        done = await applied_versions(conn, schema)
        applied = []
        for m in pending:
            if m.version in done or (target is not None and m.version > target):
                continue
            async with conn.transaction():
                await conn.execute(m.path.read_text(encoding="utf-8"))
                await conn.execute(
                    f'INSERT INTO "{schema}".schema_migrations (version, name) VALUES ($1, $2)', m.version, m.name
                )
            log.info("applied migration %s %03d_%s", schema, m.version, m.name)
            applied.append(m.version)
        return applied
    finally:
        await conn.execute("SELECT pg_advisory_unlock(hashtext($1))", f"labbook-migrate-{schema}")
