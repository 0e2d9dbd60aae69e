"""The booking state machine: the one table of legal status transitions.

Every service that changes a request's status checks it here, so the rule lives
in one place (DESIGN.md, "Booking state machine").
"""
from __future__ import annotations

from enum import StrEnum


class RequestStatus(StrEnum):
    SUBMITTED = "SUBMITTED"
    MATCHING = "MATCHING"
    UNMATCHED = "UNMATCHED"
    OFFERED = "OFFERED"
    ACCEPTED = "ACCEPTED"
    SCHEDULED = "SCHEDULED"
    SAMPLES_RECEIVED = "SAMPLES_RECEIVED"
    IN_TESTING = "IN_TESTING"
    COMPLETED = "COMPLETED"
    REPORT_ISSUED = "REPORT_ISSUED"
    CANCELLED = "CANCELLED"


S = RequestStatus

# The happy path, one step at a time.
_FORWARD = {
    S.SUBMITTED: {S.MATCHING},
    S.MATCHING: {S.OFFERED, S.UNMATCHED},
    S.UNMATCHED: {S.MATCHING},  # supply appeared: try again
    S.OFFERED: {S.ACCEPTED, S.MATCHING},  # MATCHING on decline or offer timeout
    S.ACCEPTED: {S.SCHEDULED},
    S.SCHEDULED: {S.SAMPLES_RECEIVED},
    S.SAMPLES_RECEIVED: {S.IN_TESTING},
    S.IN_TESTING: {S.COMPLETED},
    S.COMPLETED: {S.REPORT_ISSUED},
    S.REPORT_ISSUED: set(),
    S.CANCELLED: set(),
}

# A supplier may cancel until testing starts; the slot is then released.
CANCELLABLE: frozenset[RequestStatus] = frozenset(
    {S.SUBMITTED, S.MATCHING, S.UNMATCHED, S.OFFERED, S.ACCEPTED, S.SCHEDULED, S.SAMPLES_RECEIVED}
)

TRANSITIONS: dict[RequestStatus, frozenset[RequestStatus]] = {
    status: frozenset(targets | ({S.CANCELLED} if status in CANCELLABLE else set()))
    for status, targets in _FORWARD.items()
}

TERMINAL: frozenset[RequestStatus] = frozenset(s for s, t in TRANSITIONS.items() if not t)
# Placed: a lab holds a slot for it before the deadline (the scheduler offers nothing later).
PLACED: frozenset[RequestStatus] = frozenset(
    {S.OFFERED, S.ACCEPTED, S.SCHEDULED, S.SAMPLES_RECEIVED, S.IN_TESTING, S.COMPLETED, S.REPORT_ISSUED}
)
# Waiting: no lab holds a slot for it yet. Holding: a lab holds one and the test is not over.
WAITING: frozenset[RequestStatus] = frozenset({S.SUBMITTED, S.MATCHING, S.UNMATCHED})
HOLDING: frozenset[RequestStatus] = frozenset({S.OFFERED, S.ACCEPTED, S.SCHEDULED, S.SAMPLES_RECEIVED, S.IN_TESTING})
# The backlog: open requests no lab has committed to yet. OFFERED counts (a lab holds a
# slot, but the job waits on its answer and may still go back to MATCHING); from
# ACCEPTED on the job is pinned, so the rest of PLACED is not backlog.
BACKLOG: frozenset[RequestStatus] = WAITING | {S.OFFERED}
INITIAL = S.SUBMITTED

# What people read for each status: (English, Russian), as the dashboard and exports show it.
STATUS_LABELS: dict[RequestStatus, tuple[str, str]] = {
    S.SUBMITTED: ("submitted", "подана"),
    S.MATCHING: ("finding a lab", "подбор лаборатории"),
    S.UNMATCHED: ("no lab found", "лаборатория не найдена"),
    S.OFFERED: ("offered to a lab", "предложена лаборатории"),
    S.ACCEPTED: ("accepted by a lab", "принята лабораторией"),
    S.SCHEDULED: ("scheduled", "запланирована"),
    S.SAMPLES_RECEIVED: ("samples received", "образцы получены"),
    S.IN_TESTING: ("in testing", "идут испытания"),
    S.COMPLETED: ("testing completed", "испытания завершены"),
    S.REPORT_ISSUED: ("report issued", "протокол выдан"),
    S.CANCELLED: ("cancelled", "отменена"),
}


class IllegalTransition(ValueError):
    """A status change the state machine does not allow; never applied."""

    code = "illegal_transition"

    def __init__(self, current: RequestStatus | None, target: RequestStatus) -> None:
        self.current = current
        self.target = target
        allowed = sorted(TRANSITIONS[current]) if current is not None else [INITIAL]
        allowed_text = ", ".join(allowed) or "none (final status)"
        super().__init__(
            f"cannot move a request from {current or 'nothing'} to {target}; "
            f"allowed next: {allowed_text}"
        )


def can_transition(current: RequestStatus | None, target: RequestStatus) -> bool:
    if current is None:
        return target == INITIAL
    return target in TRANSITIONS[current]


def check_transition(current: RequestStatus | str | None, target: RequestStatus | str) -> RequestStatus:
    """Return the target as a status, or raise IllegalTransition."""
    cur = RequestStatus(current) if current is not None else None
    tgt = RequestStatus(target)
    if not can_transition(cur, tgt):
        raise IllegalTransition(cur, tgt)
    return tgt
