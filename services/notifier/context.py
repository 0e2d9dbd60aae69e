"""What a notice says, gathered for rendering: the request, its lab and the event's facts.

The dispatcher builds one `MessageContext` per delivery from the notifier's own read
models (requests and labs it learned from Kafka) and the notice's stored facts; the
templates (render.py) and the calendar attachment (ics.py) read only this.
"""
from __future__ import annotations

from datetime import date, datetime
from uuid import UUID

from pydantic import BaseModel, ConfigDict

from schemas.notifications import Kind


class MessageContext(BaseModel):
    model_config = ConfigDict(frozen=True)

    kind: Kind
    event_id: UUID  # the event the notice is about
    delivery_id: UUID | None = None  # one per (event, subscription): Message-ID, webhook-id
    occurred_at: datetime
    # The request, where the notice is about one (all but accreditation.lapsing, subscription.disabled).
    request_id: UUID | None = None
    request_url: str | None = None
    status: str | None = None  # the status the event announces
    seq: int | None = None  # that status's per-request sequence number (calendar SEQUENCE)
    reason: str | None = None  # why (unmatched reason code, decline, withdrawal, cancellation)
    component_name: str | None = None
    part_number: str | None = None
    category: str | None = None
    method_code: str | None = None
    samples: int | None = None
    deadline: date | None = None
    ship_from_region: str | None = None
    planned_start: datetime | None = None
    planned_end: datetime | None = None
    # The lab, where one is concerned.
    lab_id: str | None = None
    lab_name: str | None = None
    lab_city: str | None = None
    # offer.*
    offer_id: UUID | None = None
    expires_at: datetime | None = None
    # accreditation.lapsing
    certificate_no: str | None = None
    valid_until: date | None = None
    # subscription.disabled
    subscription_id: UUID | None = None
    subscription_target: str | None = None
