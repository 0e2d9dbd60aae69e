"""One consumed event, applied in one transaction: read models, feed, deliveries.

The event id is recorded first, so a redelivered message changes nothing; the
in-app notifications and the delivery rows commit with it, so each is written
exactly once. Sending happens later (dispatch.py), from those rows.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import date
from typing import NamedTuple
from uuid import UUID, uuid5

import asyncpg
from pydantic import BaseModel

from schemas import events as ev
from schemas.envelope import Envelope, Event, utcnow
from schemas.notifications import AccreditationLapsing
from schemas.values import AccreditationStatus

from . import db, routing
from .routing import Notice

CONSUMER = "notifier-events"
PRODUCER = "notifier"
# Ids derived from what they stand for, so whoever derives them twice gets the same row.
NAMESPACE = UUID("6f1c1b8e-2b4e-4c55-9a43-3d6cf1d3a7a2")


def derived_id(*parts: object) -> UUID:
    return uuid5(NAMESPACE, ":".join("" if p is None else str(p) for p in parts))


def delivery_ids(event_id: UUID, subscription_ids: list, kind: object) -> list[UUID]:
    """derived_id(event_id, s, kind) for each subscription s, the common prefix hashed once."""
    prefix = hashlib.sha1(NAMESPACE.bytes + f"{event_id}:".encode())
    suffix = f":{kind}".encode()
    out = []
    for s in subscription_ids:
        h = prefix.copy()
        h.update(str(s).encode() + suffix)
        out.append(UUID(bytes=h.digest()[:16], version=5))
    return out


class Source(NamedTuple):
    """Where an event came from (its Kafka coordinates), for the dead letter of a delivery that failed for good."""
    topic: str
    partition: int
    offset: int
    key: str | None = None


INTERNAL = Source("notifier", -1, -1)


class Writes:
    """The feed entries and deliveries of one transaction, written together at its end
    (a statement each however many events it applied), and the subscribers looked up."""

    def __init__(self) -> None:
        self.subscribers: dict[tuple, list] = {}
        self.events: list[tuple] = []
        self.notifications: list[tuple] = []
        self.deliveries: list[tuple] = []
        self.open: set[tuple] = set()  # (subscription, request) given a delivery here: later ones wait

    async def flush(self, conn: asyncpg.Connection) -> None:
        if self.deliveries:
            await db.add_events(conn, self.events)
        await db.add_notifications(conn, self.notifications)
        await db.add_deliveries(conn, self.deliveries)
        self.events, self.notifications, self.deliveries = [], [], []


async def apply(conn: asyncpg.Connection, batch: list[tuple[Envelope, Event, Source]], *, lapse_days: int) -> int:
    """Apply a batch of events inside the caller's transaction, a statement per kind of
    write rather than per event; returns how many were new (a redelivered one is skipped)."""
    writes = Writes()
    fresh = await db.mark_applied(conn, [envelope.event_id for envelope, _, _ in batch], CONSUMER)
    todo, seen = [], set()
    for envelope, event, source in batch:
        if envelope.event_id in fresh and envelope.event_id not in seen:
            seen.add(envelope.event_id)
            todo.append((envelope, event, source))
    events = [event for _, event, _ in todo]
    await db.requests_submitted(conn, [e for e in events if isinstance(e, ev.RequestSubmitted)])
    await db.statuses_changed(conn, [e for e in events if isinstance(e, ev.StatusChanged)])
    for envelope, event, source in todo:
        if isinstance(event, ev.LabProfile):
            await db.lab_profile(conn, event)
            await _lapsing(conn, event.lab_id, event.accreditation.certificate_no, event.accreditation.valid_until,
                           event.accreditation.status, lapse_days, writes)
        await record(conn, envelope, routing.route(event), source, writes)
    await writes.flush(conn)
    return len(todo)


async def record(conn: asyncpg.Connection, envelope: Envelope, notices: list[Notice], source: Source,
                 writes: Writes | None = None) -> None:
    """The feed entry of each notice and a delivery per subscription that wants it
    (written at once unless `writes` collects them for the caller to flush)."""
    mine = writes is None
    writes = Writes() if writes is None else writes
    wanted = False
    for notice in notices:
        audience, kind = notice.audience, notice.kind
        notification_id = derived_id(envelope.event_id, kind, audience.role, audience.org)
        writes.notifications.append((notification_id, audience.role.value, audience.org, kind.value,
                                     envelope.event_id, notice.request_id, json.dumps(notice.facts)))
        subscribers = await _subscribers(conn, audience, kind.value, writes.subscribers)
        for s, delivery_id in zip(subscribers, delivery_ids(envelope.event_id, [s["id"] for s in subscribers], kind)):
            pair = (s["id"], notice.request_id)
            writes.deliveries.append((delivery_id, s["id"], s["owner_org"], s["channel"], s["target"], kind.value,
                                      envelope.event_id, notification_id, notice.request_id,
                                      notice.request_id is not None and pair in writes.open))
            writes.open.add(pair)
            wanted = True
    if wanted:  # stored once for all its deliveries
        writes.events.append((envelope.event_id, envelope.model_dump_json(), json.dumps(source._asdict())))
    if mine:
        await writes.flush(conn)


async def _subscribers(conn: asyncpg.Connection, audience, kind: str, cache: dict) -> list:
    if (audience, kind) not in cache:
        cache[audience, kind] = await db.subscribers(conn, audience, kind)
    return cache[audience, kind]


async def _lapsing(conn: asyncpg.Connection, lab_id: str, certificate_no: str, valid_until: date,
                   status: AccreditationStatus | str, lapse_days: int, writes: Writes) -> None:
    days_left = (valid_until - utcnow().date()).days
    if AccreditationStatus(status) == AccreditationStatus.ACTIVE and 0 <= days_left <= lapse_days:
        await raise_lapsing(conn, lab_id, certificate_no, valid_until, writes)


async def raise_lapsing(conn: asyncpg.Connection, lab_id: str, certificate_no: str, valid_until: date,
                        writes: Writes | None = None) -> bool:
    """Tell staff once per lab and end date (a renewed accreditation is a new end date)."""
    event = AccreditationLapsing(lab_id=lab_id, certificate_no=certificate_no, valid_until=valid_until)
    envelope = internal_envelope(event, derived_id("lapsing", lab_id, valid_until))
    if not await db.mark_applied(conn, [envelope.event_id], CONSUMER):
        return False
    await record(conn, envelope, [routing.lapsing(lab_id, certificate_no, valid_until)], INTERNAL, writes)
    return True


def internal_envelope(notice: BaseModel, event_id: UUID) -> Envelope:
    """The envelope of a notice the notifier raised itself (never on Kafka)."""
    return Envelope(event_id=event_id, type=type(notice).__name__, version=1, occurred_at=utcnow(),
                    producer=PRODUCER, payload=notice.model_dump(mode="json"))


async def sweep_lapsing(pool: asyncpg.Pool, lapse_days: int) -> int:
    """Staff notices for accreditations that came within lapse_days since their profile arrived."""
    raised = 0
    async with pool.acquire() as conn:
        labs = await db.lapsing_labs(conn, lapse_days)
        for lab in labs:
            async with conn.transaction():
                raised += await raise_lapsing(conn, lab["id"], lab["certificate_no"], lab["valid_until"])
    return raised
