"""The labs API's answers, as documented in its OpenAPI document (GET /openapi.json).

The views build these shapes as plain dicts (service.present, offers.present); the
models describe them for the document and for clients. Request bodies and queries
are the domain models (domain.py).
"""
from __future__ import annotations

from datetime import date, datetime
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from schemas.catalogue import Method
from schemas.events import CapacityItem
from schemas.values import Accreditation, ScopeItem

from .domain import OfferStatus


class _Answer(BaseModel):
    model_config = ConfigDict(frozen=True)


class LabView(_Answer):
    id: str
    name: str
    inn: str
    region_code: str
    city: str
    lat: float
    lon: float
    accreditation: Accreditation
    scope: list[ScopeItem]
    capacity: list[CapacityItem]
    last_seen_at: datetime | None = Field(description="the lab's last authenticated call; null if never seen")
    created_at: datetime
    updated_at: datetime


class LabPage(_Answer):
    items: list[LabView]
    next_cursor: str | None = Field(description="pass back as `cursor` for the next page; null on the last")


class HeartbeatView(_Answer):
    lab_id: str
    heartbeat_at: datetime


class OfferView(_Answer):
    id: UUID
    request_id: UUID
    lab_id: str
    method_code: str
    samples: int
    deadline: date
    planned_start: datetime
    planned_end: datetime
    expires_at: datetime
    reason: str | None
    answered_at: datetime | None
    received_at: datetime
    job_status: str | None = Field(description="the request's status as this lab reported it; null before accept")
    status: OfferStatus = Field(description="`expired`: still pending but past expires_at")


class OfferPage(_Answer):
    items: list[OfferView]
    next_cursor: str | None = Field(description="pass back as `cursor` for the next page; null on the last")


class JobView(_Answer):
    request_id: UUID
    lab_id: str
    offer_id: UUID
    status: str
    planned_start: datetime | None
    report_url: str | None
    report_sha256: str | None
    updated_at: datetime


class MethodsQuery(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    category: str | None = Field(default=None, max_length=100, description="a component category")
    standard: str | None = Field(default=None, max_length=200, description="text in the standard or a title")
    q: str | None = Field(default=None, max_length=200, description="the same as `standard`")


class MethodPage(_Answer):
    items: list[Method]
    next_cursor: None = Field(default=None, description="always null: the catalogue is one page")
