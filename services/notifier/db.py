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


async def mark_applied(conn: asyncpg.Connection, event_ids: list[UUID], consumer: str) -> set[UUID]:
    """The ids among these seen for the first time; a redelivered one is not returned."""
    rows = await conn.fetch(
        "INSERT INTO notifier.applied_events (event_id, consumer) SELECT unnest($1::uuid[]), $2"
        " ON CONFLICT DO NOTHING RETURNING event_id", event_ids, consumer)
    return {r["event_id"] for r in rows}


async def requests_submitted(conn: asyncpg.Connection, events: list[ev.RequestSubmitted]) -> None:
    """The requests' details; their status may already be known from labbook.status.v1."""
    latest = list({e.request_id: e for e in events}.values())  # a row may be touched once per statement
    if not latest:
        return
    await conn.execute(
        "INSERT INTO notifier.requests (id, org_id, method_code, component, samples, deadline, ship_from_region)"
        " SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::jsonb[], $5::int[], $6::date[], $7::text[])"
        " ON CONFLICT (id) DO UPDATE SET method_code = EXCLUDED.method_code, component = EXCLUDED.component,"
        " samples = EXCLUDED.samples, deadline = EXCLUDED.deadline, ship_from_region = EXCLUDED.ship_from_region,"
        " updated_at = now()",
        [e.request_id for e in latest], [e.org_id for e in latest], [e.method_code for e in latest],
        [e.component.model_dump_json() for e in latest], [e.samples for e in latest],
        [e.deadline for e in latest], [e.ship_from_region for e in latest])


async def statuses_changed(conn: asyncpg.Connection, events: list[ev.StatusChanged]) -> None:
    """Each request's latest status; an older seq arriving late changes nothing. Several
    events of one request are folded first (the newest status, the last lab and dates given)."""
    folded: dict[UUID, dict] = {}
    for e in sorted(events, key=lambda e: e.seq):
        row = folded.setdefault(e.request_id, {"lab_id": None, "planned_start": None, "planned_end": None})
        row.update({"org_id": e.org_id, "status": e.status.value, "seq": e.seq},
                   **{k: v for k in ("lab_id", "planned_start", "planned_end") if (v := getattr(e, k)) is not None})
    if not folded:
        return
    rows = list(folded.items())
    await conn.execute(
        "INSERT INTO notifier.requests (id, org_id, status, status_seq, lab_id, planned_start, planned_end)"
        " SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::int[], $5::text[], $6::timestamptz[],"
        " $7::timestamptz[]) ON CONFLICT (id) DO UPDATE SET status = EXCLUDED.status,"
        " status_seq = EXCLUDED.status_seq, lab_id = coalesce(EXCLUDED.lab_id, notifier.requests.lab_id),"
        " planned_start = coalesce(EXCLUDED.planned_start, notifier.requests.planned_start),"
        " planned_end = coalesce(EXCLUDED.planned_end, notifier.requests.planned_end), updated_at = now()"
        " WHERE notifier.requests.status_seq < EXCLUDED.status_seq",
        [i for i, _ in rows], *([r[k] for _, r in rows] for k in ("org_id", "status", "seq", "lab_id",
                                                                  "planned_start", "planned_end")))


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


async def add_notifications(conn: asyncpg.Connection, rows: list[tuple]) -> None:
    """(id, audience_role, audience_org, kind, event_id, request_id, facts) rows, in one statement."""
    if rows:
        await conn.execute(
            "INSERT INTO notifier.notifications (id, audience_role, audience_org, kind, event_id, request_id, facts)"
            " SELECT i, r, o, k, e, q, f::jsonb FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[],"
            " $5::uuid[], $6::uuid[], $7::text[]) WITH ORDINALITY AS u (i, r, o, k, e, q, f, n) ORDER BY n"
            " ON CONFLICT DO NOTHING", *map(list, zip(*rows)))


async def subscribers(conn: asyncpg.Connection, audience: Audience, kind: str) -> list[asyncpg.Record]:
    """Active subscriptions of the audience that want this kind (an empty filter wants all)."""
    return await conn.fetch(
        "SELECT id, owner_org, channel, target FROM notifier.subscriptions WHERE status = 'active'"
        " AND (CASE WHEN $1::text IS NULL THEN owner_role IN ('staff', 'admin')"
        "      ELSE owner_role = $2 AND owner_org = $1 END)"
        " AND (events = '{}' OR $3 = ANY(events)) ORDER BY created_at, id",
        audience.org, audience.role.value, kind)


async def add_events(conn: asyncpg.Connection, rows: list[tuple]) -> None:
    """(event_id, envelope, source) of events that have deliveries."""
    await conn.execute(
        "INSERT INTO notifier.events (event_id, envelope, source) SELECT e, v::jsonb, s::jsonb"
        " FROM unnest($1::uuid[], $2::text[], $3::text[]) AS u (e, v, s) ON CONFLICT DO NOTHING",
        *map(list, zip(*rows)))


async def add_deliveries(conn: asyncpg.Connection, rows: list[tuple]) -> None:
    """(id, subscription_id, owner_org, channel, target, kind, event_id, notification_id, request_id,
    held) rows in one statement, in order; an id already there (a redelivered event) is skipped.
    A delivery waits ('held', never due until released) while an earlier one of its
    subscription and request is open: in the table already, or earlier in these rows
    (`held` is then true)."""
    if not rows:
        return
    await conn.execute(
        "INSERT INTO notifier.deliveries (id, subscription_id, owner_org, channel, target, kind, event_id,"
        " notification_id, request_id, status, next_attempt_at)"
        " SELECT i, s, o, c, t, k, e, m, q, CASE WHEN w THEN 'held' ELSE 'pending' END,"
        " CASE WHEN w THEN 'infinity'::timestamptz ELSE now() END FROM (SELECT *, h OR EXISTS"
        "   (SELECT 1 FROM notifier.deliveries x WHERE x.subscription_id = s AND x.request_id = q"
        "    AND x.delivered_at IS NULL AND x.failed_at IS NULL) AS w"
        " FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::text[], $6::text[], $7::uuid[],"
        " $8::uuid[], $9::uuid[], $10::bool[]) WITH ORDINALITY AS u (i, s, o, c, t, k, e, m, q, h, n)) AS v ORDER BY n"
        " ON CONFLICT (id) DO NOTHING", *map(list, zip(*rows)))
