"""Idempotency-Key on the POSTs that create (DESIGN.md: "POST endpoints that create take
an Idempotency-Key header").

A retry with the same key and body gets the first answer and creates nothing; the same
key with another body is refused (422). Keys belong to the caller's organisation. Each
service keeps them in its own schema, in a table `idempotency_keys` (org_id, key,
body_sha256, status, response); the first answer is stored in the transaction that
created, so a key exists exactly when what it created does.
"""
from __future__ import annotations

import hashlib
import json

import asyncpg
from aiohttp import web

from .errors import ApiError

MAX_KEY_LENGTH = 200
HEADER = {"Idempotency-Key": "a retry with the same key and body answers the first result"}  # for OpenAPI


def key_of(request: web.Request) -> str | None:
    key = request.headers.get("Idempotency-Key")
    if key is not None and not 1 <= len(key) <= MAX_KEY_LENGTH:
        raise ApiError(400, "bad_idempotency_key", f"Idempotency-Key must be 1..{MAX_KEY_LENGTH} characters")
    return key


def body_hash(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()


async def replay(pool: asyncpg.Pool, schema: str, org_id: str, key: str, raw: bytes) -> tuple[int, dict] | None:
    """The first answer to this key, or None if the key is new."""
    async with pool.acquire() as conn:
        stored = await conn.fetchrow(
            f'SELECT body_sha256, status, response FROM "{schema}".idempotency_keys WHERE org_id = $1 AND key = $2',
            org_id, key)
    if stored is None:
        return None
    if stored["body_sha256"] != body_hash(raw):
        raise ApiError(422, "idempotency_key_reused", "this Idempotency-Key was already used with a different body")
    response = stored["response"]
    return stored["status"], json.loads(response) if isinstance(response, str) else response


async def keep(conn: asyncpg.Connection, schema: str, org_id: str, key: str, raw: bytes, status: int,
               answer: dict) -> None:
    """Store the answer, inside the creating transaction. Raises asyncpg.UniqueViolationError
    when a concurrent call stored the key first."""
    await conn.execute(
        f'INSERT INTO "{schema}".idempotency_keys (org_id, key, body_sha256, status, response)'
        " VALUES ($1, $2, $3, $4, $5::jsonb)", org_id, key, body_hash(raw), status, json.dumps(answer))
