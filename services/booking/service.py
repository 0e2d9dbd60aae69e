"""Booking's use cases: each one transaction over db.py, events via the outbox.

Who may see what lives here too: suppliers only their own organisation's
requests, staff everything; anything else looks exactly like a missing id.
"""
from __future__ import annotations

from datetime import datetime
from uuid import UUID, uuid4

import asyncpg

from schemas.booking_api import RequestPage, RequestView, SubmitRequest
from schemas.envelope import Envelope, utcnow
from schemas.events import RequestCancelled, RequestSubmitted, StatusChanged
from schemas.states import IllegalTransition, RequestStatus, check_transition
from schemas.tokens import Principal
from schemas.topics import REQUESTS, STATUS
from schemas.values import STAFF_ROLES
from services.common import idempotency
from services.common.outbox import outbox_row, write_event

from . import db, errors
from .domain import encode_cursor

SCHEMA = "booking"
PRODUCER = "booking-api"


async def submit(pool: asyncpg.Pool, who: Principal, body: SubmitRequest, *,
                 key: str | None = None, raw: bytes = b"") -> tuple[int, dict]:
    """One statement writes the request, its first status, both events and the answer
    kept under the Idempotency-Key: each round trip to PostgreSQL cost the API more than
    the SQL did (bench/api.py)."""
    request_id, now = uuid4(), utcnow()
    row = db.new_request(request_id, who.org, body, RequestStatus.SUBMITTED.value, now)
    first = StatusChanged(request_id=request_id, org_id=who.org, seq=1, status=RequestStatus.SUBMITTED,
                          previous=None, at=now)
    submitted = RequestSubmitted(request_id=request_id, org_id=who.org, submitted_at=now,
                                 **body.model_dump(exclude={"notes"}))
    answer = serialise(row, [{"seq": 1, "status": row["status"], "at": now, "reason": None, "lab_id": None}])
    events = [outbox_row(_envelope(submitted, request_id), REQUESTS, str(request_id)),
              outbox_row(_envelope(first, request_id), STATUS, str(request_id))]
    try:
        async with pool.acquire() as conn:
            await db.insert_submission(conn, row, first, events,
                                       None if key is None else (key, idempotency.body_hash(raw), 201, answer))
    except asyncpg.UniqueViolationError:
        # A concurrent call with the same key committed first: answer what it answered.
        if key is None or (stored := await idempotency.replay(pool, SCHEMA, who.org, key, raw)) is None:
            raise
        return stored
    return 201, answer


async def get(pool: asyncpg.Pool, who: Principal, request_id: str) -> RequestView:
    async with pool.acquire() as conn:
        row = await _visible(conn, who, request_id)
        history = await db.fetch_history(conn, [row["id"]])
    return view(row, history[row["id"]])


async def cancel(pool: asyncpg.Pool, who: Principal, request_id: str, reason: str | None) -> RequestView:
    async with pool.acquire() as conn, conn.transaction():
        row = await _visible(conn, who, request_id, for_update=True)
        try:
            target = check_transition(row["status"], RequestStatus.CANCELLED)
        except IllegalTransition as exc:
            raise errors.illegal_transition(exc) from None
        seq, now = row["status_seq"] + 1, utcnow()
        await db.update_status(conn, row["id"], target, seq, now)
        await _emit(conn, REQUESTS, row["id"], RequestCancelled(
            request_id=row["id"], org_id=row["org_id"], reason=reason))
        await _record_status(conn, row["id"], row["org_id"], seq, target, row["status"], now,
                             reason=reason, lab_id=row["lab_id"])
        return await _present(conn, row["id"])


async def page(pool: asyncpg.Pool, who: Principal, *, status: str | None, method_code: str | None,
               after: tuple[datetime, UUID] | None, limit: int) -> RequestPage:
    org = None if who.role in STAFF_ROLES else who.org
    async with pool.acquire() as conn:
        rows = await db.list_requests(conn, org_id=org, status=status, method_code=method_code,
                                      after=after, limit=limit + 1)  # one extra tells if more follow
        shown = rows[:limit]
        history = await db.fetch_history(conn, [r["id"] for r in shown])
    last = shown[-1] if len(rows) > limit else None
    return RequestPage(items=[view(r, history[r["id"]]) for r in shown],
                       next_cursor=encode_cursor(last["created_at"], str(last["id"])) if last else None)


async def _visible(conn: asyncpg.Connection, who: Principal, request_id: str, *, for_update: bool = False) -> dict:
    try:
        uid = UUID(request_id)
    except ValueError:
        raise errors.not_found() from None
    row = await db.fetch_request(conn, uid, for_update=for_update)
    if row is None or (who.role not in STAFF_ROLES and row["org_id"] != who.org):
        raise errors.not_found()
    return row


async def _record_status(conn, request_id: UUID, org_id: str, seq: int, status: RequestStatus,
                         previous: RequestStatus | None, at: datetime, *, reason: str | None = None,
                         lab_id: str | None = None) -> None:
    event = StatusChanged(request_id=request_id, org_id=org_id, seq=seq, status=status, previous=previous,
                          at=at, reason=reason, lab_id=lab_id)
    await db.insert_history(conn, event)
    await _emit(conn, STATUS, request_id, event)


async def _emit(conn, topic, request_id: UUID, event) -> None:
    await write_event(conn, SCHEMA, _envelope(event, request_id), topic, str(request_id))


def _envelope(event, request_id: UUID) -> Envelope:
    return Envelope.wrap(event, producer=PRODUCER, correlation_id=str(request_id))


async def _present(conn, request_id: UUID) -> RequestView:
    row = await db.fetch_request(conn, request_id)
    history = await db.fetch_history(conn, [request_id])
    return view(row, history[request_id])


def view(row: dict, history: list[dict]) -> RequestView:
    """A request as the API shows it (DESIGN.md, "Public contract (v1)"): its row and its history."""
    return RequestView.model_validate({**row, "history": history})


def serialise(row: dict, history: list[dict]) -> dict:
    """The public JSON of a request, as answered and as kept under an Idempotency-Key."""
    return view(row, history).model_dump(mode="json")
