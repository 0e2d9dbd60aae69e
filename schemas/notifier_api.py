"""Response bodies of the notifier API, for its OpenAPI document and clients.

The request bodies' rules live with the notifier (services/notifier/domain.py);
these only describe what the API answers.
"""
from __future__ import annotations

from datetime import datetime
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from .notifications import Channel, Language

NEXT = "pass back as `cursor` for the next page; null on the last"


class _Body(BaseModel):
    model_config = ConfigDict(frozen=True)


class SubscriptionView(_Body):
    id: UUID
    channel: Channel
    target: str = Field(description="an email address, or the webhook's https URL")
    language: Language
    events: list[str] = Field(description="the kinds delivered; empty: every kind")
    status: str = Field(description="active, disabled (by a 410 answer or 5 days of failures) or deleted")
    disabled_reason: str | None
    failing_since: datetime | None = Field(description="first failed attempt since the last success")
    created_at: datetime


class SubscriptionCreated(SubscriptionView):
    secret: str | None = Field(description="webhooks only, shown once: `whsec_` + base64; verify"
                                           " `webhook-signature` with it (Standard Webhooks)")


class SecretRotated(_Body):
    id: UUID
    secret: str = Field(description="the new signing secret, shown once")
    previous_valid_until: datetime = Field(description="until then deliveries carry both signatures")


class SubscriptionPage(_Body):
    items: list[SubscriptionView]
    next_cursor: str | None = Field(description=NEXT)


class NotificationView(_Body):
    id: UUID
    kind: str
    request_id: UUID | None
    title: str
    summary: str
    facts: dict = Field(description="what the event said: status, reason, lab_id, planned dates, ...")
    created_at: datetime
    read: bool


class NotificationPage(_Body):
    items: list[NotificationView] = Field(description="newest first")
    next_cursor: str | None = Field(description=NEXT)
    unread: int = Field(description="unread notifications of the caller, on every page")


class AttemptView(_Body):
    attempt: int
    started_at: datetime
    latency_ms: float
    outcome: str = Field(description="delivered, retry, failed or disabled")
    status_code: int | None = Field(description="the HTTP status, or the SMTP reply code")
    reply: str | None = Field(description="the SMTP reply, or the start of the HTTP answer")
    error: str | None


class DeliveryView(_Body):
    id: UUID = Field(description="also the `webhook-id` header and the email's Message-ID; the same on retries")
    subscription_id: UUID
    channel: Channel
    target: str
    kind: str
    event_id: UUID
    request_id: UUID | None
    status: str = Field(description="held (after an earlier one of the same request), pending, sending,"
                                    " retrying, delivered or failed")
    next_attempt_at: datetime | None
    last_error: str | None
    created_at: datetime
    delivered_at: datetime | None
    failed_at: datetime | None
    attempts: list[AttemptView] = Field(description="every attempt, oldest first")


class DeliveryPage(_Body):
    items: list[DeliveryView] = Field(description="newest first")
    next_cursor: str | None = Field(description=NEXT)


class Redelivered(_Body):
    redelivered: int = Field(description="deliveries queued again (same ids, so the same webhook-id)")
    ids: list[UUID]
