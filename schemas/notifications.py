"""What the notifier tells people: the kinds of notice, channels and languages.

One place for the vocabulary: routing (services/notifier/routing.py) produces
notices of these kinds, templates exist for each kind in each language, and a
subscription's `events` filter names them. People may type a status name
(`REPORT_ISSUED`) for the kind it announces (`request.report_issued`).
"""
from __future__ import annotations

from datetime import date
from enum import StrEnum
from uuid import UUID

from .states import RequestStatus
from .values import Frozen


class Channel(StrEnum):
    EMAIL = "email"
    WEBHOOK = "webhook"


class Language(StrEnum):
    RU = "ru"
    EN = "en"


class Kind(StrEnum):
    # A supplier's own request changed status (one kind per status).
    REQUEST_SUBMITTED = "request.submitted"
    REQUEST_MATCHING = "request.matching"
    REQUEST_UNMATCHED = "request.unmatched"  # also staff, with the reason
    REQUEST_OFFERED = "request.offered"
    REQUEST_ACCEPTED = "request.accepted"
    REQUEST_SCHEDULED = "request.scheduled"
    REQUEST_SAMPLES_RECEIVED = "request.samples_received"
    REQUEST_IN_TESTING = "request.in_testing"
    REQUEST_COMPLETED = "request.completed"
    REQUEST_REPORT_ISSUED = "request.report_issued"
    REQUEST_CANCELLED = "request.cancelled"
    # A lab: offers made to it, withdrawn or expired; its jobs scheduled or cancelled.
    OFFER_MADE = "offer.made"
    OFFER_WITHDRAWN = "offer.withdrawn"
    OFFER_EXPIRED = "offer.expired"  # also staff
    JOB_SCHEDULED = "job.scheduled"
    JOB_CANCELLED = "job.cancelled"
    # Staff.
    ACCREDITATION_LAPSING = "accreditation.lapsing"
    # The owner of a subscription the notifier had to disable.
    SUBSCRIPTION_DISABLED = "subscription.disabled"


def status_kind(status: RequestStatus | str) -> Kind:
    """The kind announcing that a request reached `status`."""
    return Kind(f"request.{RequestStatus(status).value.lower()}")


def parse_kind(text: str) -> Kind:
    """A kind from what a person typed: `request.offered`, `OFFERED`, `Offer.Made`."""
    cleaned = text.strip()
    try:
        return Kind(cleaned.lower())
    except ValueError:
        pass
    try:
        return status_kind(cleaned.upper())
    except ValueError:
        known = ", ".join(k.value for k in Kind)
        raise ValueError(f"unknown event {text!r}; use one of: {known} (or a status name such as OFFERED)") from None


# Notices the notifier raises itself: no Kafka topic carries them, so they are not
# registered event types; their envelopes are what a webhook receives for these kinds.


class AccreditationLapsing(Frozen):
    lab_id: str
    certificate_no: str
    valid_until: date


class SubscriptionDisabled(Frozen):
    subscription_id: UUID
    target: str
    reason: str
