"""Who is told about what: one pure function from an event to its notices.

- suppliers: every status change of their own requests;
- labs: offers made to them, withdrawn or expired, their jobs scheduled (with the
  calendar entry) and cancelled;
- staff: requests left UNMATCHED (with the reason), expired offers, accreditations
  about to lapse.

A notice names one audience (a role and an organisation, or every staff member);
the ingest step turns it into an in-app notification and a delivery per matching
subscription. A tenant is never in the audience of another tenant's event: the
organisation comes from the event itself (the request's org, the offer's lab).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from uuid import UUID

from schemas import events as ev
from schemas.envelope import Event
from schemas.notifications import Kind, status_kind
from schemas.states import RequestStatus
from schemas.values import STAFF_ROLES, Role

OFFER_EXPIRED_REASON = "offer_expired"  # the scheduler's OfferWithdrawn reason on timeout


@dataclass(frozen=True)
class Audience:
    role: Role
    org: str | None  # None: every staff member

    def covers(self, role: Role | str, org: str) -> bool:
        """Whether a caller (role, org) is in this audience."""
        if self.org is None:
            return Role(role) in STAFF_ROLES
        return Role(role) == self.role and org == self.org


STAFF = Audience(Role.STAFF, None)


@dataclass(frozen=True)
class Notice:
    kind: Kind
    audience: Audience
    request_id: UUID | None = None
    facts: dict = field(default_factory=dict)  # JSON-safe: what the message says about the event


def route(event: Event) -> list[Notice]:
    """The notices an event causes (none for events that only feed the read models)."""
    if isinstance(event, ev.StatusChanged):
        return _status(event)
    if isinstance(event, ev.OfferMade):
        return [_lab(Kind.OFFER_MADE, event, expires_at=event.expires_at, planned_start=event.planned_start,
                     planned_end=event.planned_end)]
    if isinstance(event, ev.OfferWithdrawn):
        if event.reason == OFFER_EXPIRED_REASON:
            expired = _lab(Kind.OFFER_EXPIRED, event, reason=event.reason)
            return [expired, Notice(Kind.OFFER_EXPIRED, STAFF, expired.request_id, expired.facts)]
        return [_lab(Kind.OFFER_WITHDRAWN, event, reason=event.reason)]
    if isinstance(event, ev.JobCancelled):
        return [Notice(Kind.JOB_CANCELLED, Audience(Role.LAB, event.lab_id), event.request_id,
                       _facts(lab_id=event.lab_id, reason=event.reason))]
    return []


def _status(event: ev.StatusChanged) -> list[Notice]:
    facts = _facts(status=event.status.value, seq=event.seq, reason=event.reason, lab_id=event.lab_id,
                   planned_start=event.planned_start, planned_end=event.planned_end)
    notices = [Notice(status_kind(event.status), Audience(Role.SUPPLIER, event.org_id), event.request_id, facts)]
    if event.status == RequestStatus.UNMATCHED:
        notices.append(Notice(Kind.REQUEST_UNMATCHED, STAFF, event.request_id, facts))
    if event.status == RequestStatus.SCHEDULED and event.lab_id:
        notices.append(Notice(Kind.JOB_SCHEDULED, Audience(Role.LAB, event.lab_id), event.request_id, facts))
    return notices


def _lab(kind: Kind, event: ev.OfferMade | ev.OfferWithdrawn, **facts) -> Notice:
    return Notice(kind, Audience(Role.LAB, event.lab_id), event.request_id,
                  _facts(offer_id=event.offer_id, lab_id=event.lab_id, **facts))


def lapsing(lab_id: str, certificate_no: str, valid_until: date) -> Notice:
    """Staff: a lab's accreditation ends soon (the sweep decides what 'soon' is)."""
    return Notice(Kind.ACCREDITATION_LAPSING, STAFF, None,
                  _facts(lab_id=lab_id, certificate_no=certificate_no, valid_until=valid_until))


def subscription_disabled(owner_role: Role | str, owner_org: str, subscription_id: UUID, target: str,
                          reason: str) -> Notice:
    """The owner of a subscription the notifier disabled."""
    return Notice(Kind.SUBSCRIPTION_DISABLED, Audience(Role(owner_role), owner_org), None,
                  _facts(subscription_id=subscription_id, subscription_target=target, reason=reason))


def _facts(**values) -> dict:
    """JSON-safe facts, dropping what is unknown."""
    return {k: _json(v) for k, v in values.items() if v is not None}


def _json(value):
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, UUID):
        return str(value)
    return value
