"""Offers and jobs use cases: the inbox, a lab's answers and its job progress.

A lab sees only offers and jobs addressed to it; staff see every offer. Answers
and progress are published on labbook.lab-responses.v1 (key request_id) through
the outbox, in the transaction that records them.
"""
from __future__ import annotations

from datetime import date, datetime
from functools import partial

import asyncpg

from schemas.envelope import Envelope, Event, utcnow
from schemas.events import (JobCancelled, OfferAccepted, OfferDeclined, OfferMade, OfferWithdrawn, ReportIssued,
                            SamplesReceived, TestingCompleted, TestingStarted)
from schemas.lab_rules import accreditation_usable
from schemas.labs_api import (AcceptBody, DeclineBody, JobEventBody, JobEventType, JobView, OfferPage, OfferStatus,
                              OfferView)
from schemas.moments import parse_moment
from schemas.states import IllegalTransition, RequestStatus, check_transition
from schemas.tokens import Principal
from schemas.topics import LAB_RESPONSES
from schemas.values import STAFF_ROLES, Role

from . import db, errors
from .domain import JOB_TARGET, effective_status, encode_cursor, offer_uuid
from .service import emit, in_lab_zone, seen

CONSUMER = "labs-offers"
PROGRESS = {
    JobEventType.SAMPLES_RECEIVED: SamplesReceived,
    JobEventType.TESTING_STARTED: TestingStarted,
    JobEventType.TESTING_COMPLETED: TestingCompleted,
    JobEventType.REPORT_ISSUED: ReportIssued,
}


async def apply(pool: asyncpg.Pool, envelope: Envelope, event: Event) -> bool:
    """Store an OfferMade / OfferWithdrawn / JobCancelled once; False when it was applied before."""
    async with pool.acquire() as conn, conn.transaction():
        if not await db.mark_applied(conn, envelope.event_id, CONSUMER):
            return False
        if isinstance(event, OfferMade):
            await db.insert_offer(conn, event)  # idempotent by offer_id too
        elif isinstance(event, OfferWithdrawn):
            await db.withdraw_offer(conn, event.offer_id, event.reason, utcnow())
        elif isinstance(event, JobCancelled):
            await db.cancel_job(conn, event.request_id, utcnow())
        return True


async def page(pool: asyncpg.Pool, who: Principal, *, status: OfferStatus | None,
               after: tuple[datetime, str] | None, limit: int, job: str | None = None) -> OfferPage:
    now = utcnow()
    lab = None if who.role in STAFF_ROLES else who.org
    async with pool.acquire() as conn, conn.transaction():
        await seen(conn, who, now)
        rows = await db.list_offers(conn, lab_id=lab, status=status.value if status else None, now=now,
                                    after=after, limit=limit + 1, job=job)
    shown = rows[:limit]
    last = shown[-1] if len(rows) > limit else None
    return OfferPage(items=[present(r, now) for r in shown],
                     next_cursor=encode_cursor(last["received_at"], str(last["id"])) if last else None)


async def accept(pool: asyncpg.Pool, who: Principal, offer_id: str, body: AcceptBody) -> OfferView:
    now = utcnow()
    async with pool.acquire() as conn, conn.transaction():
        await seen(conn, who, now)  # locks the lab row first, in the same order as a PATCH does
        offer = await _pending(conn, who, offer_id, now)
        start = await _planned_start(conn, who, body)
        await db.answer_offer(conn, offer["id"], OfferStatus.ACCEPTED, None, now)
        await db.upsert_job(conn, offer, RequestStatus.ACCEPTED, start, now)
        await _respond(conn, offer, OfferAccepted(offer_id=offer["id"], request_id=offer["request_id"],
                                                  lab_id=offer["lab_id"], planned_start=start))
        return present(await db.fetch_offer(conn, offer["id"]), now)


async def decline(pool: asyncpg.Pool, who: Principal, offer_id: str, body: DeclineBody) -> OfferView:
    now = utcnow()
    async with pool.acquire() as conn, conn.transaction():
        await seen(conn, who, now)  # locks the lab row first, in the same order as a PATCH does
        offer = await _pending(conn, who, offer_id, now)
        await db.answer_offer(conn, offer["id"], OfferStatus.DECLINED, body.reason, now)
        await _respond(conn, offer, OfferDeclined(offer_id=offer["id"], request_id=offer["request_id"],
                                                  lab_id=offer["lab_id"], reason=body.reason))
        return present(await db.fetch_offer(conn, offer["id"]), now)


async def _planned_start(conn: asyncpg.Connection, who: Principal, body: AcceptBody) -> datetime | None:
    """The proposed start as an instant; a date is the start of that day in the lab's zone."""
    if body.planned_start is None:
        return None
    lab = await db.fetch_lab(conn, who.org)
    if lab is None:  # an offer to a lab id never registered here
        raise errors.not_found()
    return in_lab_zone(partial(parse_moment, field="planned_start"), body.planned_start, lab)


async def _pending(conn: asyncpg.Connection, who: Principal, offer_id: str, now: datetime) -> dict:
    uid = offer_uuid(offer_id)
    offer = await db.fetch_offer(conn, uid, for_update=True) if uid else None
    if offer is None or who.role != Role.LAB or offer["lab_id"] != who.org:
        raise errors.not_found("offer")
    if offer["status"] != OfferStatus.PENDING:
        raise errors.offer_answered(offer["status"])
    if now > offer["expires_at"]:
        raise errors.offer_expired()
    return offer


async def job_event(pool: asyncpg.Pool, who: Principal, request_id: str, body: JobEventBody, today: date) -> JobView:
    now = utcnow()
    uid = offer_uuid(request_id)
    async with pool.acquire() as conn, conn.transaction():
        await seen(conn, who, now)  # lab row before job row, the order every writer uses
        job = await db.fetch_job(conn, uid, for_update=True) if uid else None
        if job is None or who.role != Role.LAB or job["lab_id"] != who.org:
            raise errors.not_found("job")
        try:
            target = check_transition(effective_status(job["status"]), JOB_TARGET[body.type])
        except IllegalTransition as exc:
            raise errors.illegal_transition(exc) from None
        if body.type == JobEventType.REPORT_ISSUED:
            lab = await db.fetch_lab(conn, who.org)
            if not accreditation_usable(lab["accreditation_status"], lab["valid_until"], today):
                raise errors.accreditation_inactive(lab["accreditation_status"], lab["valid_until"])
        await db.update_job(conn, uid, target, now, body.report_url, body.sha256)
        extra = {"report_url": body.report_url, "sha256": body.sha256} if body.type == JobEventType.REPORT_ISSUED else {}
        await _respond(conn, job, PROGRESS[body.type](request_id=uid, lab_id=who.org, at=body.at or now, **extra))
        updated = await db.fetch_job(conn, uid)
    return JobView.model_validate(updated)


async def _respond(conn: asyncpg.Connection, row: dict, event: Event) -> None:
    request_id = str(row["request_id"])
    await emit(conn, LAB_RESPONSES, request_id, event, correlation_id=request_id)


def present(row: dict, now: datetime) -> OfferView:
    """An offer as the API shows it (DESIGN.md, "Offers carry ..."): a pending one past
    expires_at shows as expired."""
    status = row["status"]
    if status == OfferStatus.PENDING and now > row["expires_at"]:
        status = OfferStatus.EXPIRED
    return OfferView.model_validate({**row, "status": status})
