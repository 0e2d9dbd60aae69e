"""Pure rules of offers and jobs, and the labs API's page cursor. No I/O here.

The bodies and answers live in schemas/labs_api.py, the registry's rules in
schemas/lab_rules.py, the capacity windows' in capacity.py.
"""
from __future__ import annotations

from datetime import datetime
from uuid import UUID

from schemas.labs_api import JobEventType
from schemas.states import RequestStatus
from services.common import cursor

# The request status each job event moves to (schemas.states checks the move).
JOB_TARGET = {
    JobEventType.SAMPLES_RECEIVED: RequestStatus.SAMPLES_RECEIVED,
    JobEventType.TESTING_STARTED: RequestStatus.IN_TESTING,
    JobEventType.TESTING_COMPLETED: RequestStatus.COMPLETED,
    JobEventType.REPORT_ISSUED: RequestStatus.REPORT_ISSUED,
}


def effective_status(stored: str) -> RequestStatus:
    """ACCEPTED counts as SCHEDULED: the scheduler confirms an accepted offer by itself
    (DESIGN.md, "Offers ... ACCEPTED is followed by SCHEDULED without anyone else acting")."""
    status = RequestStatus(stored)
    return RequestStatus.SCHEDULED if status == RequestStatus.ACCEPTED else status


def encode_cursor(at: datetime, key: str) -> str:
    return cursor.encode(at.isoformat(), key)


def decode_cursor(text: str) -> tuple[datetime, str]:
    """Raises ValueError for anything encode_cursor did not make."""
    at_text, key = cursor.decode(text, 2)
    try:
        at = datetime.fromisoformat(at_text)
    except ValueError:
        raise ValueError("invalid cursor") from None
    if at.tzinfo is None:
        raise ValueError("invalid cursor")
    return at, key


def offer_uuid(text: str) -> UUID | None:
    try:
        return UUID(text)
    except ValueError:
        return None
