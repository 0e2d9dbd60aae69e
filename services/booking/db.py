"""All of booking's SQL. Functions take a connection so callers own the transaction."""
from __future__ import annotations

import json
from datetime import datetime
from uuid import UUID

import asyncpg

from schemas.booking_api import SubmitRequest
from schemas.events import RequestPlanned, StatusChanged
from schemas.states import WAITING, RequestStatus


COLUMNS = ("id, org_id, method_code, test_kind, component, samples, deadline, ship_from_region,"
           " preferred_lab_ids, excluded_lab_ids, notes, status, status_seq, lab_id,"
           " planned_start, planned_end, created_at, updated_at")


def new_request(request_id: UUID, org_id: str, body: SubmitRequest, status: str, at: datetime) -> dict:
    """A submitted request's row as fetch_request returns it (COLUMNS)."""
    return {"id": request_id, "org_id": org_id, "method_code": body.method_code, "test_kind": body.test_kind.value,
            "component": body.component.model_dump(mode="json"), "samples": body.samples, "deadline": body.deadline,
            "ship_from_region": body.ship_from_region, "preferred_lab_ids": list(body.preferred_lab_ids),
            "excluded_lab_ids": list(body.excluded_lab_ids), "notes": body.notes, "status": status,
            "status_seq": 1, "lab_id": None, "planned_start": None, "planned_end": None,
            "created_at": at, "updated_at": at}


async def insert_submission(conn: asyncpg.Connection, row: dict, first: StatusChanged, events: list[tuple],
                            kept: tuple | None) -> None:
    """A new request (new_request), its first status, its outbox rows (outbox_row) and,
    under an Idempotency-Key, `kept` = (key, body_sha256, status, response): one statement,
    so one round trip, atomic on its own. Raises asyncpg.UniqueViolationError when a
    concurrent request stored the key first (then nothing is written)."""
    key, body_sha256, status, response = kept or (None, None, None, None)
    event_ids, topics, keys, values = zip(*events)
    await conn.execute(
        "WITH request AS (INSERT INTO booking.requests (id, org_id, method_code, test_kind, component, samples,"
        " deadline, ship_from_region, preferred_lab_ids, excluded_lab_ids, notes, status, status_seq,"
        " created_at, updated_at)"
        " VALUES ($1, $2, $3, $4, $5::jsonb, $6, $7, $8, $9, $10, $11, $12, $13, $14, $14)),"
        " history AS (INSERT INTO booking.status_history (request_id, seq, status, at, reason, lab_id, event)"
        " VALUES ($1, $13, $12, $14, NULL, NULL, $15)),"
        " outbox AS (INSERT INTO booking.outbox (event_id, topic, key, value)"
        " SELECT e, t, k, v FROM unnest($16::uuid[], $17::text[], $18::text[], $19::bytea[])"
        " WITH ORDINALITY AS u (e, t, k, v, n) ORDER BY n),"
        " kept AS (INSERT INTO booking.idempotency_keys (org_id, key, body_sha256, status, response)"
        " SELECT $2, $20, $21, $22, $23::jsonb WHERE $20::text IS NOT NULL)"
        " SELECT 1",
        row["id"], row["org_id"], row["method_code"], row["test_kind"], json.dumps(row["component"]),
        row["samples"], row["deadline"], row["ship_from_region"], row["preferred_lab_ids"],
        row["excluded_lab_ids"], row["notes"], row["status"], row["status_seq"], row["created_at"],
        first.model_dump_json(), list(event_ids), list(topics), list(keys), list(values),
        key, body_sha256, status, None if response is None else json.dumps(response),
    )


async def insert_history(conn: asyncpg.Connection, event: StatusChanged) -> None:
    """One status of a request, with the event as the live feed shows it; a redelivery adds nothing."""
    await conn.execute(
        "INSERT INTO booking.status_history (request_id, seq, status, at, reason, lab_id, event)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING",
        event.request_id, event.seq, event.status, event.at, event.reason, event.lab_id,
        event.model_dump_json(),
    )


async def feed_after(conn: asyncpg.Connection, feed_id: int, *, also: list[int] = (), org_id: str | None = None,
                     limit: int = 1000) -> list[tuple[int, StatusChanged]]:
    """Statuses stored after feed_id and those of the ids in `also`, oldest first (an
    organisation's only, when given)."""
    rows = await conn.fetch(
        "SELECT feed_id, event FROM booking.status_history"
        " WHERE (feed_id > $1 OR feed_id = ANY($2::bigint[])) AND event IS NOT NULL"
        " AND ($3::text IS NULL OR event->>'org_id' = $3) ORDER BY feed_id LIMIT $4",
        feed_id, list(also), org_id, limit,
    )
    return [(r["feed_id"], StatusChanged.model_validate_json(r["event"])) for r in rows]


async def last_feed_id(conn: asyncpg.Connection) -> int:
    return await conn.fetchval("SELECT coalesce(max(feed_id), 0) FROM booking.status_history")


async def fetch_request(conn: asyncpg.Connection, request_id: UUID, *, for_update: bool = False) -> dict | None:
    lock = " FOR UPDATE" if for_update else ""
    row = await conn.fetchrow(f"SELECT {COLUMNS} FROM booking.requests WHERE id = $1{lock}", request_id)
    return _request(row) if row else None


async def fetch_history(conn: asyncpg.Connection, request_ids: list[UUID]) -> dict[UUID, list[dict]]:
    rows = await conn.fetch(
        "SELECT request_id, seq, status, at, reason, lab_id FROM booking.status_history"
        " WHERE request_id = any($1::uuid[]) ORDER BY request_id, seq", request_ids,
    )
    history: dict[UUID, list[dict]] = {i: [] for i in request_ids}
    for r in rows:
        history[r["request_id"]].append({k: r[k] for k in ("seq", "status", "at", "reason", "lab_id")})
    return history


async def list_requests(conn: asyncpg.Connection, *, org_id: str | None, status: str | None,
                        method_code: str | None, after: tuple[datetime, UUID] | None, limit: int) -> list[dict]:
    """One page in (created_at, id) order; None filters mean 'any'."""
    after_at, after_id = after if after else (None, None)
    rows = await conn.fetch(
        f"SELECT {COLUMNS} FROM booking.requests"
        " WHERE ($1::text IS NULL OR org_id = $1) AND ($2::text IS NULL OR status = $2)"
        " AND ($3::text IS NULL OR method_code = $3)"
        " AND ($4::timestamptz IS NULL OR (created_at, id) > ($4, $5::uuid))"
        " ORDER BY created_at, id LIMIT $6",
        org_id, status, method_code, after_at, after_id, limit,
    )
    return [_request(r) for r in rows]


async def update_status(conn: asyncpg.Connection, request_id: UUID, status: str, seq: int, at: datetime) -> None:
    await conn.execute(
        "UPDATE booking.requests SET status = $2, status_seq = $3, updated_at = $4 WHERE id = $1",
        request_id, status, seq, at,
    )


def _request(row: asyncpg.Record) -> dict:
    data = dict(row)
    data["component"] = json.loads(data["component"])
    data["preferred_lab_ids"] = list(data["preferred_lab_ids"])
    data["excluded_lab_ids"] = list(data["excluded_lab_ids"])
    return data


async def lock_status(conn: asyncpg.Connection, request_id: UUID) -> asyncpg.Record | None:
    return await conn.fetchrow(
        "SELECT org_id, status, status_seq FROM booking.requests WHERE id = $1 FOR UPDATE", request_id,
    )


async def apply_status(conn: asyncpg.Connection, event: StatusChanged) -> None:
    """A StatusChanged from the read model; fields it does not carry keep their value,
    except while no lab holds a slot for it (states.WAITING): then it has none."""
    await conn.execute(
        "UPDATE booking.requests SET status = $2, status_seq = $3, updated_at = $4,"
        " lab_id = CASE WHEN $8 THEN $5 ELSE coalesce($5, lab_id) END,"
        " planned_start = CASE WHEN $8 THEN $6 ELSE coalesce($6, planned_start) END,"
        " planned_end = CASE WHEN $8 THEN $7 ELSE coalesce($7, planned_end) END WHERE id = $1",
        event.request_id, event.status, event.seq, event.at, event.lab_id, event.planned_start, event.planned_end,
        event.status in WAITING,
    )
    await insert_history(conn, event)


async def apply_plan(conn: asyncpg.Connection, event: RequestPlanned) -> bool:
    """The scheduler's provisional placement, if the request is still MATCHING at the
    status it was planned in; whether it applied."""
    done = await conn.execute(
        "UPDATE booking.requests SET lab_id = $2, planned_start = $3, planned_end = $4"
        " WHERE id = $1 AND status = $5 AND status_seq = $6",
        event.request_id, event.lab_id, event.planned_start, event.planned_end, RequestStatus.MATCHING, event.seq,
    )
    return done != "UPDATE 0"


WAITING_SQL = "status <> ALL($1::text[])"


async def queue_counts(conn: asyncpg.Connection, terminal: list[str]) -> dict:
    by_status = await conn.fetch("SELECT status, count(*) AS n FROM booking.requests GROUP BY status")
    by_method = await conn.fetch(f"SELECT method_code AS k, count(*) AS n FROM booking.requests"
                                 f" WHERE {WAITING_SQL} GROUP BY method_code", terminal)
    by_region = await conn.fetch(f"SELECT ship_from_region AS k, count(*) AS n FROM booking.requests"
                                 f" WHERE {WAITING_SQL} GROUP BY ship_from_region", terminal)
    oldest = await conn.fetchrow(f"SELECT id, status, created_at FROM booking.requests WHERE {WAITING_SQL}"
                                 " ORDER BY created_at, id LIMIT 1", terminal)
    return {"by_status": {r["status"]: r["n"] for r in by_status},
            "by_method": {r["k"]: r["n"] for r in by_method},
            "by_region": {r["k"]: r["n"] for r in by_region},
            "oldest": dict(oldest) if oldest else None}


async def region_figures(conn: asyncpg.Connection, placed: list[str], method_code: str | None) -> list[asyncpg.Record]:
    """Per region the requests ship from: demand (not cancelled), placed, UNMATCHED."""
    return await conn.fetch(
        "SELECT ship_from_region AS region, count(*) FILTER (WHERE status <> 'CANCELLED') AS demand,"
        " count(*) FILTER (WHERE status = ANY($1::text[])) AS placed,"
        " count(*) FILTER (WHERE status = 'UNMATCHED') AS unmet"
        " FROM booking.requests WHERE ($2::text IS NULL OR method_code = $2)"
        " GROUP BY 1 HAVING count(*) FILTER (WHERE status <> 'CANCELLED') > 0 ORDER BY 2 DESC, 1",
        placed, method_code)


async def unmet_demand(conn: asyncpg.Connection) -> list[asyncpg.Record]:
    """UNMATCHED requests grouped by method, region and the reason of their last history row."""
    return await conn.fetch(
        "SELECT r.method_code, r.ship_from_region AS region, coalesce(h.reason, 'unknown') AS reason,"
        " count(*) AS count, min(r.created_at) AS oldest"
        " FROM booking.requests r"
        " CROSS JOIN LATERAL (SELECT reason FROM booking.status_history"
        "   WHERE request_id = r.id ORDER BY seq DESC LIMIT 1) h"
        " WHERE r.status = 'UNMATCHED'"
        " GROUP BY 1, 2, 3 ORDER BY count(*) DESC, 1, 2, 3"
    )


# The live queue's flow (staff.flow). Ages and the window's end come in as `now`, so
# every figure of one answer is taken at the same moment.

async def backlog_ages(conn: asyncpg.Connection, now: datetime, statuses: list[str],
                       bounds_h: list[int]) -> list[asyncpg.Record]:
    """Backlog counts by age bucket (0 below bounds_h[0], i from bounds_h[i-1]) and status."""
    return await conn.fetch(
        "SELECT width_bucket(extract(epoch FROM $1 - created_at)::float8 / 3600, $3::float8[]) AS bucket,"
        " status, count(*) AS n FROM booking.requests WHERE status = ANY($2::text[]) GROUP BY 1, 2",
        now, statuses, bounds_h)


async def daily_flow(conn: asyncpg.Connection, since: datetime, now: datetime,
                     reached: list[str]) -> list[asyncpg.Record]:
    """Per UTC day: requests submitted (tagged SUBMITTED), and those first reaching each
    status of `reached`."""
    return await conn.fetch(
        "WITH moments AS (SELECT 'SUBMITTED' AS what, created_at AS at FROM booking.requests"
        "  UNION ALL SELECT status, min(at) FROM booking.status_history WHERE status = ANY($3::text[])"
        "  GROUP BY request_id, status)"
        " SELECT (at AT TIME ZONE 'UTC')::date AS day, what, count(*) AS n FROM moments"
        " WHERE at >= $1 AND at <= $2 GROUP BY 1, 2", since, now, reached)


async def lead_times(conn: asyncpg.Connection, since: datetime, now: datetime,
                     offered: str, accepted: str) -> list[asyncpg.Record]:
    """Per method, over requests submitted in [since, now]: hours to the first `offered`
    and the first `accepted` status, counted and at p50 / p90 (NULLs are left out)."""
    first = ("(SELECT extract(epoch FROM min(h.at) - r.created_at)::float8 / 3600"
             " FROM booking.status_history h WHERE h.request_id = r.id AND h.status = {})")
    return await conn.fetch(
        "SELECT method_code, count(*) AS submitted, count(o) AS offers, count(a) AS accepts,"
        " percentile_cont(0.5) WITHIN GROUP (ORDER BY o) AS offer_p50,"
        " percentile_cont(0.9) WITHIN GROUP (ORDER BY o) AS offer_p90,"
        " percentile_cont(0.5) WITHIN GROUP (ORDER BY a) AS accept_p50,"
        " percentile_cont(0.9) WITHIN GROUP (ORDER BY a) AS accept_p90"
        f" FROM (SELECT r.method_code, {first.format('$3')} AS o, {first.format('$4')} AS a"
        "  FROM booking.requests r WHERE r.created_at >= $1 AND r.created_at <= $2) t"
        " GROUP BY method_code ORDER BY method_code", since, now, offered, accepted)


async def offers_waiting(conn: asyncpg.Connection, now: datetime, offered: str) -> list[asyncpg.Record]:
    """Requests now `offered`, per lab, from each one's last history row: the offer it
    waits on (an earlier offer, declined, named another lab and an older moment)."""
    return await conn.fetch(
        "SELECT coalesce(h.lab_id, r.lab_id, 'unknown') AS lab_id, count(*) AS count,"
        " extract(epoch FROM $1 - min(h.at))::float8 / 3600 AS oldest_age_hours"
        " FROM booking.requests r JOIN booking.status_history h ON h.request_id = r.id AND h.seq = r.status_seq"
        " WHERE r.status = $2 GROUP BY 1 ORDER BY 2 DESC, 3 DESC, 1", now, offered)
