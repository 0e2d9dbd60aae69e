"""The in-app feed: the caller's notifications, newest first, with the unread count.

Rows are written by ingest.py in the transaction that consumed the event; titles
are rendered when read, in the language asked for, from the same templates as
email. Staff-wide notices (audience_org NULL) are every staff member's; whether
one was read is kept per reader.
"""
from __future__ import annotations

from uuid import UUID

import asyncpg

from schemas.notifications import Language
from schemas.tokens import Principal
from schemas.values import STAFF_ROLES
from services.common.errors import ApiError

from .compose import context_of, loads
from .domain import encode_cursor
from .render import render_feed_item

# The notification in the shape compose.context_of reads (that of a claimed delivery).
SELECT = """
SELECT n.id, n.feed_seq, n.kind, n.event_id, n.request_id, n.facts, n.created_at,
       jsonb_build_object('occurred_at', n.created_at) AS envelope,
       r.method_code, r.component, r.samples, r.deadline, r.ship_from_region,
       r.planned_start AS request_start, r.planned_end AS request_end, r.status_seq AS request_seq,
       l.name AS lab_name, l.city AS lab_city,
       EXISTS (SELECT 1 FROM notifier.notification_reads x WHERE x.notification_id = n.id AND x.reader_org = $1)
         AS read
FROM notifier.notifications n
LEFT JOIN notifier.requests r ON r.id = n.request_id
LEFT JOIN notifier.labs l ON l.id = coalesce(n.facts->>'lab_id', r.lab_id)
"""
VISIBLE = "((n.audience_role = $2 AND n.audience_org = $3) OR ($4 AND n.audience_org IS NULL))"


def reader(who: Principal) -> str:
    return f"{who.role.value}:{who.org}"


def _args(who: Principal) -> tuple:
    return reader(who), who.role.value, who.org, who.role in STAFF_ROLES


def view(row: asyncpg.Record, language: Language, request_url: str) -> dict:
    title, summary = render_feed_item(context_of(row, request_url), language)
    return {"id": str(row["id"]), "kind": row["kind"], "request_id": _str(row["request_id"]),
            "title": title, "summary": summary, "facts": loads(row["facts"]),
            "created_at": row["created_at"].isoformat(), "read": row["read"]}


def _str(value):
    return None if value is None else str(value)


async def page(pool: asyncpg.Pool, who: Principal, *, language: Language, unread_only: bool, after: int | None,
               limit: int, request_url: str) -> dict:
    async with pool.acquire() as conn:
        rows = await conn.fetch(
            f"{SELECT} WHERE {VISIBLE} AND ($5::bigint IS NULL OR n.feed_seq < $5)"
            " AND (NOT $6 OR NOT EXISTS (SELECT 1 FROM notifier.notification_reads x"
            "      WHERE x.notification_id = n.id AND x.reader_org = $1))"
            " ORDER BY n.feed_seq DESC LIMIT $7", *_args(who), after, unread_only, limit + 1)
        unread = await conn.fetchval(
            f"SELECT count(*) FROM notifier.notifications n WHERE {VISIBLE} AND NOT EXISTS"
            " (SELECT 1 FROM notifier.notification_reads x WHERE x.notification_id = n.id AND x.reader_org = $1)",
            *_args(who))
    shown = rows[:limit]
    return {"items": [view(r, language, request_url) for r in shown],
            "next_cursor": encode_cursor(shown[-1]["feed_seq"]) if len(rows) > limit else None, "unread": unread}


async def mark_read(pool: asyncpg.Pool, who: Principal, notification_id: str, *, language: Language,
                    request_url: str) -> dict:
    try:
        uid = UUID(notification_id)
    except ValueError:
        raise ApiError(404, "not_found", "no such notification") from None
    async with pool.acquire() as conn, conn.transaction():
        row = await conn.fetchrow(f"{SELECT} WHERE {VISIBLE} AND n.id = $5", *_args(who), uid)
        if row is None:
            raise ApiError(404, "not_found", "no such notification")
        await conn.execute("INSERT INTO notifier.notification_reads (notification_id, reader_org) VALUES ($1, $2)"
                           " ON CONFLICT DO NOTHING", uid, reader(who))
    return {**view(row, language, request_url), "read": True}
