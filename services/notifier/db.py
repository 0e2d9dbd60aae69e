"""The notifier's SQL for what it learns from Kafka: read models, the feed, deliveries.

Functions take a connection so the caller owns the transaction (ingest.py runs one
per consumed event). Dispatch and the API have their SQL beside them (dispatch_db.py,
store.py).
"""
from __future__ import annotations

import json
from uuid import UUID

import asyncpg

from schemas import events as ev

from .routing import Audience


async def mark_applied(conn: asyncpg.Connection, event_id: UUID, consumer: str) -> bool:
    """True the first time an event is seen; a redelivery answers False."""
    return await conn.fetchval(
        "INSERT INTO notifier.applied_events (event_id, consumer) VALUES ($1, $2)"
        " ON CONFLICT DO NOTHING RETURNING true", event_id, consumer) is True


async def request_submitted(conn: asyncpg.Connection, event: ev.RequestSubmitted) -> None:
    """The request's details; its status may already be known from labbook.status.v1."""
    await conn.execute(
        "INSERT INTO notifier.requests (id, org_id, method_code, component, samples, deadline, ship_from_region)"
        " VALUES ($1, $2, $3, $4::jsonb, $5, $6, $7) ON CONFLICT (id) DO UPDATE SET"
        " method_code = EXCLUDED.method_code, component = EXCLUDED.component, samples = EXCLUDED.samples,"
        " deadline = EXCLUDED.deadline, ship_from_region = EXCLUDED.ship_from_region, updated_at = now()",
        event.request_id, event.org_id, event.method_code, event.component.model_dump_json(), event.samples,
        event.deadline, event.ship_from_region)


async def status_changed(conn: asyncpg.Connection, event: ev.StatusChanged) -> None:
    """The request's latest status; an older seq arriving late changes nothing."""
    await conn.execute(
        "INSERT INTO notifier.requests (id, org_id, status, status_seq, lab_id, planned_start, planned_end)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (id) DO UPDATE SET status = EXCLUDED.status,"
        " status_seq = EXCLUDED.status_seq, lab_id = coalesce(EXCLUDED.lab_id, notifier.requests.lab_id),"
        " planned_start = coalesce(EXCLUDED.planned_start, notifier.requests.planned_start),"
        " planned_end = coalesce(EXCLUDED.planned_end, notifier.requests.planned_end), updated_at = now()"
        " WHERE notifier.requests.status_seq < EXCLUDED.status_seq",
        event.request_id, event.org_id, event.status.value, event.seq, event.lab_id, event.planned_start,
        event.planned_end)


async def lab_profile(conn: asyncpg.Connection, event: ev.LabProfile) -> None:
    await conn.execute(
        "INSERT INTO notifier.labs (id, name, city, region_code, certificate_no, accreditation_status,"
        " valid_until, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (id) DO UPDATE SET"
        " name = EXCLUDED.name, city = EXCLUDED.city, region_code = EXCLUDED.region_code,"
        " certificate_no = EXCLUDED.certificate_no, accreditation_status = EXCLUDED.accreditation_status,"
        " valid_until = EXCLUDED.valid_until, updated_at = EXCLUDED.updated_at"
        " WHERE notifier.labs.updated_at <= EXCLUDED.updated_at",
        event.lab_id, event.name, event.city, event.region_code, event.accreditation.certificate_no,
        event.accreditation.status.value, event.accreditation.valid_until, event.updated_at)


async def lapsing_labs(conn: asyncpg.Connection, within_days: int) -> list[asyncpg.Record]:
    """Active accreditations that end within the next `within_days` days (and have not ended)."""
    return await conn.fetch(
        "SELECT id, certificate_no, valid_until FROM notifier.labs WHERE accreditation_status = 'active'"
        " AND valid_until >= current_date AND valid_until <= current_date + $1::int ORDER BY id", within_days)


async def add_notification(conn: asyncpg.Connection, notification_id: UUID, audience: Audience, kind: str,
                           event_id: UUID, request_id: UUID | None, facts: dict) -> None:
    await conn.execute(
        "INSERT INTO notifier.notifications (id, audience_role, audience_org, kind, event_id, request_id, facts)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb) ON CONFLICT DO NOTHING",
        notification_id, audience.role.value, audience.org, kind, event_id, request_id, json.dumps(facts))


async def subscribers(conn: asyncpg.Connection, audience: Audience, kind: str) -> list[asyncpg.Record]:
    """Active subscriptions of the audience that want this kind (an empty filter wants all)."""
    return await conn.fetch(
        "SELECT id, owner_org, channel, target FROM notifier.subscriptions WHERE status = 'active'"
        " AND (CASE WHEN $1::text IS NULL THEN owner_role IN ('staff', 'admin')"
        "      ELSE owner_role = $2 AND owner_org = $1 END)"
        " AND (events = '{}' OR $3 = ANY(events)) ORDER BY created_at, id",
        audience.org, audience.role.value, kind)


async def add_deliveries(conn: asyncpg.Connection, rows: list[tuple]) -> None:
    """(id, subscription_id, owner_org, channel, target, kind, event_id, request_id, envelope, facts,
    source) rows; an id already there (a redelivered event) is skipped. A delivery waits
    ('held') while an earlier one of its subscription and request is still open."""
    if not rows:
        return
    await conn.executemany(
        "INSERT INTO notifier.deliveries (id, subscription_id, owner_org, channel, target, kind, event_id,"
        " request_id, envelope, facts, source, status) SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9::jsonb,"
        " $10::jsonb, $11::jsonb, CASE WHEN EXISTS (SELECT 1 FROM notifier.deliveries e"
        "   WHERE e.subscription_id = $2 AND e.request_id = $8"
        "   AND e.status IN ('held', 'pending', 'retrying', 'sending')) THEN 'held' ELSE 'pending' END"
        " ON CONFLICT (id) DO NOTHING", rows)
