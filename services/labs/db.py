"""All of the labs service's SQL. Functions take a connection so callers own the transaction."""
from __future__ import annotations

import json
from datetime import datetime
from uuid import UUID

import asyncpg

from schemas.events import OfferMade
from schemas.states import TERMINAL

LAB_COLUMNS = ("id, name, inn, region_code, city, lat, lon, certificate_no, accreditation_status,"
               " valid_until, scope, capacity, last_seen_at, created_at, updated_at")
OFFER_COLUMNS = ("o.id, o.request_id, o.lab_id, o.method_code, o.samples, o.deadline, o.planned_start,"
                 " o.planned_end, o.expires_at, o.status, o.reason, o.answered_at, o.received_at,"
                 " j.status AS job_status")


async def insert_lab(conn: asyncpg.Connection, lab: dict, at: datetime) -> None:
    """Raises UniqueViolationError on a taken id or certificate number."""
    await conn.execute(
        "INSERT INTO labs.labs (id, name, inn, region_code, city, lat, lon, certificate_no,"
        " accreditation_status, valid_until, scope, created_at, updated_at)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11::jsonb, $12, $12)",
        *_registry_values(lab), at,
    )


async def update_lab(conn: asyncpg.Connection, lab: dict, at: datetime) -> None:
    await conn.execute(
        "UPDATE labs.labs SET name = $2, inn = $3, region_code = $4, city = $5, lat = $6, lon = $7,"
        " certificate_no = $8, accreditation_status = $9, valid_until = $10, scope = $11::jsonb,"
        " capacity = $12::jsonb, updated_at = $13 WHERE id = $1",
        *_registry_values(lab), json.dumps(lab["capacity"]), at,
    )


def _registry_values(lab: dict) -> tuple:
    """$1-$11 of insert_lab and update_lab: the lab's registry entry, id first."""
    return (lab["id"], lab["name"], lab["inn"], lab["region_code"], lab["city"], lab["lat"], lab["lon"],
            lab["certificate_no"], lab["accreditation_status"], lab["valid_until"], json.dumps(lab["scope"]))


async def fetch_lab(conn: asyncpg.Connection, lab_id: str, *, for_update: bool = False) -> dict | None:
    lock = " FOR UPDATE" if for_update else ""
    row = await conn.fetchrow(f"SELECT {LAB_COLUMNS} FROM labs.labs WHERE id = $1{lock}", lab_id)
    return _lab(row) if row else None


async def list_labs(conn: asyncpg.Connection, *, after: tuple[datetime, str] | None, limit: int) -> list[dict]:
    after_at, after_id = after if after else (None, None)
    rows = await conn.fetch(
        f"SELECT {LAB_COLUMNS} FROM labs.labs"
        " WHERE ($1::timestamptz IS NULL OR (created_at, id) > ($1, $2::text))"
        " ORDER BY created_at, id LIMIT $3", after_at, after_id, limit,
    )
    return [_lab(r) for r in rows]


async def set_capacity(conn: asyncpg.Connection, lab_id: str, items: list[dict], at: datetime) -> None:
    await conn.execute("UPDATE labs.labs SET capacity = $2::jsonb, last_seen_at = $3 WHERE id = $1",
                       lab_id, json.dumps(items), at)


async def touch(conn: asyncpg.Connection, lab_id: str, at: datetime) -> None:
    await conn.execute("UPDATE labs.labs SET last_seen_at = $2 WHERE id = $1", lab_id, at)


async def withdraw_pending(conn: asyncpg.Connection, lab_id: str, reason: str, at: datetime) -> int:
    result = await conn.execute(
        "UPDATE labs.offers SET status = 'withdrawn', reason = $2, answered_at = $3"
        " WHERE lab_id = $1 AND status = 'pending'", lab_id, reason, at,
    )
    return int(result.split()[-1])


async def mark_applied(conn: asyncpg.Connection, event_id: UUID, consumer: str) -> bool:
    """False when this event was applied before (a redelivery)."""
    done = await conn.fetchval(
        "INSERT INTO labs.applied_events (event_id, consumer) VALUES ($1, $2)"
        " ON CONFLICT DO NOTHING RETURNING true", event_id, consumer,
    )
    return bool(done)


async def insert_offer(conn: asyncpg.Connection, offer: OfferMade) -> None:
    await conn.execute(
        "INSERT INTO labs.offers (id, request_id, lab_id, method_code, samples, deadline, planned_start,"
        " planned_end, expires_at, status) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'pending')"
        " ON CONFLICT (id) DO NOTHING",
        offer.offer_id, offer.request_id, offer.lab_id, offer.method_code, offer.samples, offer.deadline,
        offer.planned_start, offer.planned_end, offer.expires_at,
    )


async def withdraw_offer(conn: asyncpg.Connection, offer_id: UUID, reason: str, at: datetime) -> None:
    await conn.execute(
        "UPDATE labs.offers SET status = 'withdrawn', reason = $2, answered_at = $3"
        " WHERE id = $1 AND status = 'pending'", offer_id, reason, at,
    )


async def fetch_offer(conn: asyncpg.Connection, offer_id: UUID, *, for_update: bool = False) -> dict | None:
    lock = " FOR UPDATE OF o" if for_update else ""
    row = await conn.fetchrow(
        f"SELECT {OFFER_COLUMNS} FROM labs.offers o LEFT JOIN labs.jobs j ON j.offer_id = o.id"
        f" WHERE o.id = $1{lock}", offer_id,
    )
    return dict(row) if row else None


async def list_offers(conn: asyncpg.Connection, *, lab_id: str | None, status: str | None, now: datetime,
                      after: tuple[datetime, str] | None, limit: int, job: str | None = None) -> list[dict]:
    """`expired` is a pending offer past expires_at; `pending` excludes those. `job`: only
    offers with a job, open (still to report) or finished."""
    after_at, after_id = after if after else (None, None)
    rows = await conn.fetch(
        f"SELECT {OFFER_COLUMNS} FROM labs.offers o LEFT JOIN labs.jobs j ON j.offer_id = o.id"
        " WHERE ($1::text IS NULL OR o.lab_id = $1)"
        " AND ($2::text IS NULL"
        "      OR ($2 = 'pending' AND o.status = 'pending' AND o.expires_at >= $3)"
        "      OR ($2 = 'expired' AND o.status = 'pending' AND o.expires_at < $3)"
        "      OR ($2 NOT IN ('pending', 'expired') AND o.status = $2))"
        " AND ($4::timestamptz IS NULL OR (o.received_at, o.id) > ($4, $5::uuid))"
        " AND ($7::text IS NULL OR (j.status IS NOT NULL AND (j.status = ANY($8::text[])) = ($7 = 'finished')))"
        " ORDER BY o.received_at, o.id LIMIT $6",
        lab_id, status, now, after_at, after_id, limit, job, [s.value for s in TERMINAL],
    )
    return [dict(r) for r in rows]


async def answer_offer(conn: asyncpg.Connection, offer_id: UUID, status: str, reason: str | None,
                       at: datetime) -> None:
    await conn.execute("UPDATE labs.offers SET status = $2, reason = $3, answered_at = $4 WHERE id = $1",
                       offer_id, status, reason, at)


async def upsert_job(conn: asyncpg.Connection, offer: dict, status: str, planned_start: datetime | None,
                     at: datetime) -> None:
    # A request re-offered after a cancelled job starts that job afresh.
    await conn.execute(
        "INSERT INTO labs.jobs (request_id, lab_id, offer_id, status, planned_start, updated_at)"
        " VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (request_id) DO UPDATE SET lab_id = $2,"
        " offer_id = $3, status = $4, planned_start = $5, report_url = NULL, report_sha256 = NULL,"
        " updated_at = $6", offer["request_id"], offer["lab_id"], offer["id"], status, planned_start, at,
    )


async def fetch_job(conn: asyncpg.Connection, request_id: UUID, *, for_update: bool = False) -> dict | None:
    lock = " FOR UPDATE" if for_update else ""
    row = await conn.fetchrow(
        "SELECT request_id, lab_id, offer_id, status, planned_start, report_url, report_sha256, updated_at"
        f" FROM labs.jobs WHERE request_id = $1{lock}", request_id,
    )
    return dict(row) if row else None


async def update_job(conn: asyncpg.Connection, request_id: UUID, status: str, at: datetime,
                     report_url: str | None, report_sha256: str | None) -> None:
    await conn.execute(
        "UPDATE labs.jobs SET status = $2, updated_at = $3, report_url = coalesce($4, report_url),"
        " report_sha256 = coalesce($5, report_sha256) WHERE request_id = $1",
        request_id, status, at, report_url, report_sha256,
    )


async def cancel_job(conn: asyncpg.Connection, request_id: UUID, at: datetime) -> None:
    """The supplier cancelled after the lab accepted: no further progress is taken."""
    await conn.execute(
        "UPDATE labs.jobs SET status = 'CANCELLED', updated_at = $2"
        " WHERE request_id = $1 AND NOT status = ANY($3::text[])", request_id, at, [s.value for s in TERMINAL],
    )


def _lab(row: asyncpg.Record) -> dict:
    data = dict(row)
    data["scope"] = json.loads(data["scope"])
    data["capacity"] = json.loads(data["capacity"])
    return data
