"""The delivery log and redelivery: every attempt of the caller's deliveries.

A tenant sees the deliveries of its own subscriptions; staff see all. A redelivery
queues the same row again, so a webhook receiver sees the same `webhook-id` and
can tell it from a new event. There is no age limit.
"""
from __future__ import annotations

from datetime import datetime
from uuid import UUID

import asyncpg

from schemas.tokens import Principal
from schemas.values import STAFF_ROLES
from services.common.errors import ApiError

from .dispatch_db import OPEN
from .domain import encode_cursor

COLUMNS = ("d.id, d.seq, d.subscription_id, d.channel, d.target, d.kind, d.event_id, d.request_id, d.status,"
           " d.next_attempt_at, d.last_error, d.created_at, d.delivered_at, d.failed_at")
# $1: the caller's org, or NULL for staff (every delivery); $2: the caller's role.
VISIBLE = "($1::text IS NULL OR (s.owner_role = $2 AND s.owner_org = $1))"


def _scope(who: Principal) -> tuple:
    return (None if who.role in STAFF_ROLES else who.org), who.role.value


def not_found() -> ApiError:
    return ApiError(404, "not_found", "no such delivery")


async def page(pool: asyncpg.Pool, who: Principal, *, status: str | None, subscription_id: UUID | None,
               after: int | None, limit: int) -> dict:
    async with pool.acquire() as conn:
        rows = await conn.fetch(
            f"SELECT {COLUMNS} FROM notifier.deliveries d JOIN notifier.subscriptions s ON s.id = d.subscription_id"
            f" WHERE {VISIBLE} AND ($3::text IS NULL OR d.status = $3) AND ($4::uuid IS NULL OR d.subscription_id = $4)"
            " AND ($5::bigint IS NULL OR d.seq < $5) ORDER BY d.seq DESC LIMIT $6",
            *_scope(who), status, subscription_id, after, limit + 1)
        shown = rows[:limit]
        attempts = await _attempts(conn, [r["id"] for r in shown])
    return {"items": [_view(r, attempts.get(r["id"], [])) for r in shown],
            "next_cursor": encode_cursor(shown[-1]["seq"]) if len(rows) > limit else None}


async def _attempts(conn: asyncpg.Connection, ids: list[UUID]) -> dict[UUID, list[dict]]:
    rows = await conn.fetch(
        "SELECT delivery_id, attempt, started_at, latency_ms, outcome, status_code, reply, error"
        " FROM notifier.delivery_attempts WHERE delivery_id = ANY($1::uuid[]) ORDER BY delivery_id, id", ids)
    out: dict[UUID, list[dict]] = {}
    for r in rows:
        out.setdefault(r["delivery_id"], []).append(
            {"attempt": r["attempt"], "started_at": r["started_at"].isoformat(), "latency_ms": round(r["latency_ms"], 2),
             "outcome": r["outcome"], "status_code": r["status_code"], "reply": r["reply"], "error": r["error"]})
    return out


def _view(row: asyncpg.Record, attempts: list[dict]) -> dict:
    iso = lambda v: v.isoformat() if v is not None else None  # noqa: E731
    return {"id": str(row["id"]), "subscription_id": str(row["subscription_id"]), "channel": row["channel"],
            "target": row["target"], "kind": row["kind"], "event_id": str(row["event_id"]),
            "request_id": str(row["request_id"]) if row["request_id"] else None, "status": row["status"],
            # a held delivery waits for an earlier one, not for a time
            "next_attempt_at": iso(row["next_attempt_at"]) if row["status"] in OPEN and row["status"] != "held" else None,
            "last_error": row["last_error"], "created_at": iso(row["created_at"]),
            "delivered_at": iso(row["delivered_at"]), "failed_at": iso(row["failed_at"]), "attempts": attempts}


REQUEUE = ("UPDATE notifier.deliveries d SET status = 'pending', attempts_before = attempts_before + attempts,"
           " attempts = 0, next_attempt_at = now(), lease_until = NULL, failed_at = NULL, delivered_at = NULL"
           " FROM notifier.subscriptions s WHERE s.id = d.subscription_id AND s.status = 'active'")


async def redeliver(pool: asyncpg.Pool, who: Principal, delivery_id: str) -> dict:
    try:
        uid = UUID(delivery_id)
    except ValueError:
        raise not_found() from None
    async with pool.acquire() as conn, conn.transaction():
        row = await conn.fetchrow(
            "SELECT d.status, s.status AS subscription_status FROM notifier.deliveries d"
            f" JOIN notifier.subscriptions s ON s.id = d.subscription_id WHERE {VISIBLE} AND d.id = $3 FOR UPDATE OF d",
            *_scope(who), uid)
        if row is None:
            raise not_found()
        if row["status"] in OPEN:
            raise ApiError(409, "already_queued", f"this delivery is {row['status']}; it will be attempted anyway")
        if row["subscription_status"] != "active":
            raise ApiError(409, "subscription_inactive",
                           f"its subscription is {row['subscription_status']}; enable it first"
                           " (POST /v1/subscriptions/{id}/enable)")
        await conn.execute(f"{REQUEUE} AND d.id = $1", uid)
    return {"redelivered": 1, "ids": [str(uid)]}


async def redeliver_failed(pool: asyncpg.Pool, who: Principal, since: datetime) -> dict:
    """Every failed delivery of the caller's (staff: anyone's) active subscriptions that failed since then."""
    async with pool.acquire() as conn:
        ids = await conn.fetch(
            f"{REQUEUE} AND d.status = 'failed' AND d.failed_at >= $3 AND {VISIBLE} RETURNING d.id",
            *_scope(who), since)
    return {"redelivered": len(ids), "ids": [str(r["id"]) for r in ids]}
