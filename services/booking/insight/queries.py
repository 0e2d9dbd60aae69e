"""The read model's rows the localisation case plans on (capacity.py) and the labs' figures
count (labs.py)."""
from __future__ import annotations

import asyncpg


async def queue_mark(conn: asyncpg.Connection) -> tuple[int, int]:
    """Moves whenever a request is submitted or changes status (every change raises a seq)."""
    row = await conn.fetchrow("SELECT count(*) AS n, coalesce(sum(status_seq), 0) AS seqs FROM booking.requests")
    return row["n"], row["seqs"]


async def waiting(conn: asyncpg.Connection, statuses: list[str]) -> list[asyncpg.Record]:
    """Requests no lab holds a slot for, oldest first (the order the scheduler matches in),
    with the labs each was offered to before: those declined or let the offer expire."""
    return await conn.fetch(
        "SELECT r.id, r.method_code, r.samples, r.deadline, r.ship_from_region, r.preferred_lab_ids,"
        " r.excluded_lab_ids, coalesce(o.labs, '{}') AS declined"
        " FROM booking.requests r"
        " LEFT JOIN LATERAL (SELECT array_agg(DISTINCT lab_id) AS labs FROM booking.status_history"
        "   WHERE request_id = r.id AND status = 'OFFERED' AND lab_id IS NOT NULL) o ON true"
        " WHERE r.status = ANY($1::text[]) ORDER BY r.created_at, r.id", statuses)


async def holding(conn: asyncpg.Connection, statuses: list[str]) -> list[asyncpg.Record]:
    """Slots labs hold for requests: the calendar is taken there."""
    return await conn.fetch(
        "SELECT id, method_code, lab_id, planned_start, planned_end FROM booking.requests"
        " WHERE status = ANY($1::text[]) AND lab_id IS NOT NULL AND planned_start IS NOT NULL"
        " AND planned_end > planned_start", statuses)


async def held_by_labs(conn: asyncpg.Connection, statuses: list[str]) -> list[asyncpg.Record]:
    """Every request a lab holds, with its plan where it has one (an offer may not yet):
    the labs' figures count the work as well as the hours."""
    return await conn.fetch(
        "SELECT lab_id, method_code, planned_start, planned_end FROM booking.requests"
        " WHERE status = ANY($1::text[]) AND lab_id IS NOT NULL", statuses)
