"""The status read model: StatusChanged events applied to booking.requests.

Agreed rule for status sequence numbers. Booking writes StatusChanged seq 1
(SUBMITTED) and CANCELLED (the request's status_seq + 1); the scheduler, the
single writer per request, writes every other transition with increasing seq.
A read model applies a StatusChanged only if its seq is greater than the
request's last applied seq AND schemas.states.check_transition(current, new)
passes. CANCELLED and REPORT_ISSUED are terminal, so nothing applies after them.
A refused event is logged, not applied and not dead-lettered: it is valid, just
stale. Malformed messages go to labbook.dlq.v1 as a DeadLetter (see consumer.py).

Because the seq check and the update run in one transaction under a row lock,
a redelivered or older event changes nothing: applying is idempotent.
"""
from __future__ import annotations

import logging
from enum import StrEnum

import asyncpg

from schemas.events import RequestPlanned, StatusChanged
from schemas.states import IllegalTransition, check_transition

from . import db

log = logging.getLogger(__name__)


class Outcome(StrEnum):
    APPLIED = "applied"
    STALE = "stale"  # seq not newer than the last applied one (a redelivery or a late event)
    ILLEGAL = "illegal"  # the state machine refuses it (terminal status, skipped step)
    UNKNOWN = "unknown"  # no such request in this database


async def apply(pool: asyncpg.Pool, event: StatusChanged) -> Outcome:
    async with pool.acquire() as conn, conn.transaction():
        row = await db.lock_status(conn, event.request_id)
        if row is None:
            log.info("status %s seq %d for unknown request %s: ignored", event.status, event.seq, event.request_id)
            return Outcome.UNKNOWN
        if event.seq <= row["status_seq"]:
            log.debug("stale status %s seq %d for %s (last %d)", event.status, event.seq,
                      event.request_id, row["status_seq"])
            return Outcome.STALE
        try:
            check_transition(row["status"], event.status)
        except IllegalTransition as exc:
            log.warning("refused status seq %d for %s: %s", event.seq, event.request_id, exc)
            return Outcome.ILLEGAL
        await db.apply_status(conn, event)
    return Outcome.APPLIED


async def apply_plan(pool: asyncpg.Pool, event: RequestPlanned) -> Outcome:
    """A provisional placement: shown while the request is MATCHING at the status seq it
    was planned in; once the status moves on, it is stale."""
    async with pool.acquire() as conn, conn.transaction():
        applied = await db.apply_plan(conn, event)
    return Outcome.APPLIED if applied else Outcome.STALE
