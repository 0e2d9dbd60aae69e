"""The lab registry and liveness use cases: each one transaction over db.py, events via the outbox.

Who may see what lives here too: staff see every lab, a lab only itself; anything
else looks exactly like a missing id.
"""
from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime, timedelta, timezone, tzinfo
from typing import Any, TypeVar

import asyncpg
from pydantic import ValidationError

from schemas.envelope import Envelope, Event, utcnow
from schemas.events import CapacityAdvertised, CapacityItem, LabProfile
from schemas.lab_rules import merged_accreditation
from schemas.labs_api import CapacityBody, HeartbeatView, LabPage, LabView, PatchLab, RegisterLab
from schemas.regions import zone_of
from schemas.tokens import Principal
from schemas.topics import CAPACITY, LABS, Topic
from schemas.values import STAFF_ROLES, Accreditation, AccreditationStatus, Role, ScopeItem
from services.common import idempotency
from services.common.outbox import write_event

from . import db, errors
from .capacity import capacity_items, outside_scope
from .domain import encode_cursor

SCHEMA = "labs"
PRODUCER = "labs-api"
# A lab's calls other than heartbeat/capacity republish its heartbeat at most this often.
REPUBLISH_AFTER = timedelta(seconds=60)
# heartbeat_at of a lab never heard from: staff's edits must not make it look live.
NEVER_SEEN = datetime(1970, 1, 1, tzinfo=timezone.utc)
T = TypeVar("T")


async def emit(conn: asyncpg.Connection, topic: Topic, key: str, event: Event,
               correlation_id: str | None = None) -> None:
    envelope = Envelope.wrap(event, producer=PRODUCER, correlation_id=correlation_id)
    await write_event(conn, SCHEMA, envelope, topic, key)


async def register(pool: asyncpg.Pool, body: RegisterLab, *,
                   kept: tuple[str, str, bytes] | None = None) -> tuple[int, dict]:
    """(201, the lab); with `kept` = (organisation, Idempotency-Key, raw body) the answer
    is stored under the key in the same transaction."""
    lab_id, now = body.id or f"lab-{uuid.uuid4().hex[:12]}", utcnow()
    lab = {**body.model_dump(mode="json", exclude={"accreditation", "id"}), "id": lab_id,
           "certificate_no": body.accreditation.certificate_no,
           "accreditation_status": body.accreditation.status.value,
           "valid_until": body.accreditation.valid_until}
    try:
        async with pool.acquire() as conn, conn.transaction():
            await db.insert_lab(conn, lab, now)
            row = await db.fetch_lab(conn, lab_id)
            await emit(conn, LABS, lab_id, profile(row))
            if kept is not None:
                await idempotency.keep(conn, SCHEMA, *kept, 201, present(row).model_dump(mode="json"))
    except asyncpg.UniqueViolationError as exc:
        # A concurrent call with the same key may have committed first (then its lab's
        # id or certificate, or the key itself, collided): answer what it answered.
        if kept is not None and (stored := await idempotency.replay(pool, SCHEMA, *kept)) is not None:
            return stored
        if exc.constraint_name == "labs_certificate_no":
            raise errors.duplicate_certificate(body.accreditation.certificate_no) from None
        raise errors.duplicate_lab_id(lab_id) from None
    return 201, present(row).model_dump(mode="json")


async def get(pool: asyncpg.Pool, who: Principal, lab_id: str) -> LabView:
    async with pool.acquire() as conn:
        return present(await visible_lab(conn, who, lab_id))


async def page(pool: asyncpg.Pool, *, after: tuple[datetime, str] | None, limit: int) -> LabPage:
    async with pool.acquire() as conn:
        rows = await db.list_labs(conn, after=after, limit=limit + 1)  # one extra tells if more follow
    shown = rows[:limit]
    last = shown[-1] if len(rows) > limit else None
    return LabPage(items=[present(r) for r in shown],
                   next_cursor=encode_cursor(last["created_at"], last["id"]) if last else None)


async def patch(pool: asyncpg.Pool, lab_id: str, body: PatchLab, today) -> LabView:
    now = utcnow()
    try:
        async with pool.acquire() as conn, conn.transaction():
            row = await db.fetch_lab(conn, lab_id, for_update=True)
            if row is None:
                raise errors.not_found()
            lab = _patched(row, body, today)
            await db.update_lab(conn, lab, now)
            if lab["accreditation_status"] != AccreditationStatus.ACTIVE:
                # The scheduler re-matches on the LabProfile; here only the inbox is marked.
                await db.withdraw_pending(conn, lab_id, f"accreditation {lab['accreditation_status']}", now)
            updated = await db.fetch_lab(conn, lab_id)
            await emit(conn, LABS, lab_id, profile(updated))
            if updated["capacity"] != row["capacity"]:
                await emit(conn, CAPACITY, lab_id, capacity_event(updated, row["last_seen_at"] or NEVER_SEEN))
    except asyncpg.UniqueViolationError:
        raise errors.duplicate_certificate(lab["certificate_no"]) from None
    return present(updated)


def _patched(row: dict, body: PatchLab, today) -> dict:
    try:
        acc = merged_accreditation(accreditation(row), body.accreditation, today)
    except (ValueError, ValidationError) as exc:
        raise errors.unprocessable("validation_error", f"accreditation: {_reason(exc)}") from None
    changes = body.model_dump(mode="json", exclude_none=True, exclude={"accreditation"})
    lab = {**row, **changes, "certificate_no": acc.certificate_no,
           "accreditation_status": acc.status.value, "valid_until": acc.valid_until}
    # Capacity for a method that left the scope can no longer be offered.
    kept = {s["method_code"] for s in lab["scope"]}
    lab["capacity"] = [c for c in row["capacity"] if c["method_code"] in kept]
    return lab


async def put_capacity(pool: asyncpg.Pool, who: Principal, lab_id: str, body: CapacityBody) -> LabView:
    now = utcnow()
    async with pool.acquire() as conn, conn.transaction():
        row = await visible_lab(conn, who, lab_id, for_update=True)
        windows = in_lab_zone(capacity_items, body, row)
        if missing := outside_scope(windows, row["scope"]):
            raise errors.unprocessable("method_not_in_scope",
                                       f"methods not in the lab's scope: {', '.join(missing)}", {"methods": missing})
        items = [i.model_dump(mode="json") for i in windows]
        heartbeat = now if who.role == Role.LAB else row["last_seen_at"] or NEVER_SEEN
        await db.set_capacity(conn, lab_id, items, heartbeat if who.role == Role.LAB else row["last_seen_at"])
        updated = await db.fetch_lab(conn, lab_id)
        await emit(conn, CAPACITY, lab_id, capacity_event(updated, heartbeat))
    return present(updated)


async def heartbeat(pool: asyncpg.Pool, who: Principal, lab_id: str) -> HeartbeatView:
    if who.role != Role.LAB or who.org != lab_id:
        raise errors.not_found()
    now = utcnow()
    async with pool.acquire() as conn, conn.transaction():
        row = await visible_lab(conn, who, lab_id, for_update=True)
        await db.touch(conn, lab_id, now)
        await emit(conn, CAPACITY, lab_id, capacity_event(row, now))
    return HeartbeatView(lab_id=lab_id, heartbeat_at=now)


async def seen(conn: asyncpg.Connection, who: Principal, now: datetime) -> None:
    """Any authenticated call by a lab refreshes its liveness (republished at most once a minute)."""
    if who.role != Role.LAB:
        return
    row = await db.fetch_lab(conn, who.org, for_update=True)
    if row is None:
        return
    await db.touch(conn, who.org, now)
    if row["last_seen_at"] is None or now - row["last_seen_at"] >= REPUBLISH_AFTER:
        await emit(conn, CAPACITY, who.org, capacity_event(row, now))


async def visible_lab(conn: asyncpg.Connection, who: Principal, lab_id: str, *, for_update: bool = False) -> dict:
    if who.role not in STAFF_ROLES and not (who.role == Role.LAB and who.org == lab_id):
        raise errors.not_found()
    row = await db.fetch_lab(conn, lab_id, for_update=for_update)
    if row is None:
        raise errors.not_found()
    return row


def in_lab_zone(resolve: Callable[[Any, tzinfo], T], typed: Any, lab: dict) -> T:
    """What the lab typed, resolved in its region's zone; a naive date-time or a bad window is 422."""
    try:
        return resolve(typed, zone_of(lab["region_code"]))
    except ValueError as exc:
        raise errors.unprocessable("validation_error", str(exc)) from None


def accreditation(row: dict) -> Accreditation:
    return Accreditation(certificate_no=row["certificate_no"], status=row["accreditation_status"],
                         valid_until=row["valid_until"])


def profile(row: dict) -> LabProfile:
    return LabProfile(
        lab_id=row["id"], name=row["name"], inn=row["inn"], region_code=row["region_code"], city=row["city"],
        lat=row["lat"], lon=row["lon"], accreditation=accreditation(row),
        scope=tuple(ScopeItem.model_validate(s) for s in row["scope"]), updated_at=row["updated_at"],
    )


def capacity_event(row: dict, heartbeat_at: datetime) -> CapacityAdvertised:
    return CapacityAdvertised(lab_id=row["id"], heartbeat_at=heartbeat_at,
                              items=tuple(CapacityItem.model_validate(c) for c in row["capacity"]))


def present(row: dict) -> LabView:
    """A lab as the API shows it: its row, the accreditation as one object."""
    return LabView.model_validate({**row, "accreditation": accreditation(row)})


def _reason(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return "; ".join(e["msg"] for e in exc.errors())
    return str(exc)
