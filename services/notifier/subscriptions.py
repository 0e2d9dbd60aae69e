"""Subscriptions: create, list, delete, enable, rotate the signing secret.

A subscription belongs to the caller who made it (role and organisation); every
other caller gets 404 for it, as for an id that does not exist.
"""
from __future__ import annotations

from datetime import timedelta
from uuid import UUID, uuid4

import asyncpg

from schemas.envelope import utcnow
from schemas.notifications import Channel
from schemas.tokens import Principal
from services.common import idempotency
from services.common.errors import ApiError

from . import signing
from .dispatch_db import fail_open
from .domain import SubscriptionBody, encode_cursor

SCHEMA = "notifier"
COLUMNS = "id, seq, channel, target, language, events, status, disabled_reason, failing_since, created_at"


def not_found() -> ApiError:
    return ApiError(404, "not_found", "no such subscription")


def view(row: asyncpg.Record) -> dict:
    return {"id": str(row["id"]), "channel": row["channel"], "target": row["target"], "language": row["language"],
            "events": list(row["events"]), "status": row["status"], "disabled_reason": row["disabled_reason"],
            "failing_since": _iso(row["failing_since"]), "created_at": row["created_at"].isoformat()}


def _iso(value):
    return value.isoformat() if value is not None else None


async def create(pool: asyncpg.Pool, who: Principal, body: SubscriptionBody, *, key: str | None,
                 raw: bytes) -> tuple[int, dict]:
    secret = signing.new_secret() if body.channel == Channel.WEBHOOK else None
    try:
        async with pool.acquire() as conn, conn.transaction():
            row = await conn.fetchrow(
                f"INSERT INTO notifier.subscriptions (id, owner_role, owner_org, channel, target, language, events)"
                f" VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING {COLUMNS}", uuid4(), who.role.value, who.org,
                body.channel.value, body.target, body.language.value, body.events)
            if secret:
                await conn.execute("INSERT INTO notifier.subscription_secrets (subscription_id, secret)"
                                   " VALUES ($1, $2)", row["id"], secret)
            answer = {**view(row), "secret": secret}
            if key is not None:
                await idempotency.keep(conn, SCHEMA, who.org, key, raw, 201, answer)
    except asyncpg.UniqueViolationError:
        # A concurrent call with the same key committed first: answer what it answered.
        if key is None or (stored := await idempotency.replay(pool, SCHEMA, who.org, key, raw)) is None:
            raise
        return stored
    return 201, answer


async def page(pool: asyncpg.Pool, who: Principal, *, after: int | None, limit: int) -> dict:
    rows = await pool.fetch(
        f"SELECT {COLUMNS} FROM notifier.subscriptions WHERE owner_role = $1 AND owner_org = $2"
        " AND status <> 'deleted' AND ($3::bigint IS NULL OR seq < $3) ORDER BY seq DESC LIMIT $4",
        who.role.value, who.org, after, limit + 1)
    shown = rows[:limit]
    return {"items": [view(r) for r in shown],
            "next_cursor": encode_cursor(shown[-1]["seq"]) if len(rows) > limit else None}


async def _own(conn: asyncpg.Connection, who: Principal, subscription_id: str, *, lock: bool = False):
    try:
        uid = UUID(subscription_id)
    except ValueError:
        raise not_found() from None
    row = await conn.fetchrow(
        f"SELECT {COLUMNS} FROM notifier.subscriptions WHERE id = $1 AND owner_role = $2 AND owner_org = $3"
        f" AND status <> 'deleted'{' FOR UPDATE' if lock else ''}", uid, who.role.value, who.org)
    if row is None:
        raise not_found()
    return row


async def get(pool: asyncpg.Pool, who: Principal, subscription_id: str) -> dict:
    async with pool.acquire() as conn:
        return view(await _own(conn, who, subscription_id))


async def delete(pool: asyncpg.Pool, who: Principal, subscription_id: str) -> dict:
    """Deleted, not erased: its delivery log stays readable by staff."""
    async with pool.acquire() as conn, conn.transaction():
        row = await _own(conn, who, subscription_id, lock=True)
        gone = await conn.fetchrow(f"UPDATE notifier.subscriptions SET status = 'deleted', updated_at = now()"
                                   f" WHERE id = $1 RETURNING {COLUMNS}", row["id"])
        await fail_open(conn, row["id"], "subscription deleted")
    return view(gone)


async def enable(pool: asyncpg.Pool, who: Principal, subscription_id: str) -> dict:
    """Active again after a 410 or days of failures (the owner fixed the target)."""
    async with pool.acquire() as conn, conn.transaction():
        row = await _own(conn, who, subscription_id, lock=True)
        row = await conn.fetchrow(
            "UPDATE notifier.subscriptions SET status = 'active', disabled_reason = NULL, failing_since = NULL,"
            f" updated_at = now() WHERE id = $1 RETURNING {COLUMNS}", row["id"])
    return view(row)


async def rotate(pool: asyncpg.Pool, who: Principal, subscription_id: str, overlap_s: float) -> dict:
    """A new secret; the old ones keep signing beside it for `overlap_s`, so receivers can switch."""
    async with pool.acquire() as conn, conn.transaction():
        row = await _own(conn, who, subscription_id, lock=True)
        if row["channel"] != Channel.WEBHOOK:
            raise ApiError(409, "not_a_webhook", "only webhook subscriptions have a signing secret")
        until = utcnow() + timedelta(seconds=overlap_s)
        await conn.execute(
            "UPDATE notifier.subscription_secrets SET expires_at = $2 WHERE subscription_id = $1"
            " AND (expires_at IS NULL OR expires_at > $2)", row["id"], until)
        secret = signing.new_secret()
        await conn.execute("INSERT INTO notifier.subscription_secrets (subscription_id, secret) VALUES ($1, $2)",
                           row["id"], secret)
    return {"id": str(row["id"]), "secret": secret, "previous_valid_until": until.isoformat()}
