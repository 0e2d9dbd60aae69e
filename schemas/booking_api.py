"""Response bodies of the booking API, for its OpenAPI document and clients.

The request bodies' rules live with booking's domain (services/booking/domain.py);
these only describe what the API answers.
"""
from __future__ import annotations

from datetime import date, datetime
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from .states import RequestStatus
from .values import Component, TestKind


class _Body(BaseModel):
    model_config = ConfigDict(frozen=True)


class HistoryEntry(_Body):
    seq: int = Field(ge=1)
    status: RequestStatus
    at: datetime
    reason: str | None
    lab_id: str | None


class RequestView(_Body):
    id: UUID
    org_id: str
    method_code: str
    test_kind: TestKind
    component: Component
    samples: int
    deadline: date
    ship_from_region: str
    preferred_lab_ids: list[str]
    excluded_lab_ids: list[str]
    notes: str | None
    status: RequestStatus
    lab_id: str | None
    planned_start: datetime | None
    planned_end: datetime | None
    created_at: datetime
    updated_at: datetime
    history: list[HistoryEntry]


class RequestPage(_Body):
    items: list[RequestView]
    next_cursor: str | None = Field(description="pass back as `cursor` for the next page; null on the last")


class OldestWaiting(_Body):
    id: UUID
    status: RequestStatus
    since: datetime = Field(description="when the request was submitted")


class QueueView(_Body):
    total: int = Field(description="every request, in any status")
    by_status: dict[str, int] = Field(description="every status, zero included")
    by_method: dict[str, int] = Field(description="waiting (not CANCELLED or REPORT_ISSUED) requests per method")
    by_region: dict[str, int] = Field(description="waiting requests per region they ship from")
    oldest_waiting: OldestWaiting | None


class UnmetDemandItem(_Body):
    method_code: str
    region: str
    reason: str = Field(description="the reason of the request's last status change, e.g. no_accredited_lab")
    count: int
    oldest_age_hours: float = Field(description="hours since the oldest request of the group was submitted")


class UnmetDemand(_Body):
    items: list[UnmetDemandItem]
    total: int = Field(description="UNMATCHED requests in all groups")
