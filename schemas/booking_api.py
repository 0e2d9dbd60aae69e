"""The booking API's bodies and answers: what a supplier may submit, and what it answers.

The routes (services/booking/routes.py) take their request bodies and queries from
here, their OpenAPI document describes the answers with the same models, and the
service serialises every answer through them. No I/O here; `today` comes in through
the validation context so tests can fix it.
"""
from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from . import planning
from .catalogue import CATALOGUE, Method, get_method
from .moments import today_utc
from .regions import REGIONS_BY_CODE, get_region
from .states import RequestStatus
from .values import Component, SampleCount, TestKind

LabIds = list[Annotated[str, Field(min_length=1, max_length=100)]]


def _known_method(value: str) -> str:
    if get_method(value) is None:
        raise ValueError(f"unknown method {value!r}; see GET /v1/methods for the catalogue")
    return value


def _known_region(value: str) -> str:
    if get_region(value) is None:
        raise ValueError(f"unknown region {value!r}; use an ISO 3166-2 code such as RU-SAM")
    return value


KnownMethod = Annotated[str, AfterValidator(_known_method)]
KnownRegion = Annotated[str, AfterValidator(_known_region)]


def earliest_deadline(method: Method, today: date) -> date:
    """The first deadline a lab could meet (shipping, the test, reporting; schemas/planning.py)."""
    return planning.earliest_deadline(method.duration_hours, today)


class SubmitRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    # Field order matters: deadline's check reads the already-validated method_code.
    method_code: KnownMethod = Field(json_schema_extra={"enum": sorted(CATALOGUE)},
                                     description="a code from the catalogue (GET /v1/methods on the labs API)")
    test_kind: TestKind
    component: Component
    samples: SampleCount
    deadline: date
    ship_from_region: KnownRegion = Field(json_schema_extra={"enum": sorted(REGIONS_BY_CODE)},
                                          description="ISO 3166-2 code of the region the samples ship from")
    preferred_lab_ids: LabIds = Field(default_factory=list, max_length=50)
    excluded_lab_ids: LabIds = Field(default_factory=list, max_length=200)
    notes: str | None = Field(default=None, max_length=2000)

    @field_validator("deadline")
    @classmethod
    def _feasible(cls, value: date, info: ValidationInfo) -> date:
        today = (info.context or {}).get("today") or today_utc()
        if value < today:
            raise ValueError(f"deadline {value} is in the past")
        method = get_method(info.data.get("method_code", ""))
        if method is not None and value < (earliest := earliest_deadline(method, today)):
            raise ValueError(f"deadline {value} is too early for {method.code}: "
                             f"the earliest feasible deadline is {earliest}")
        return value


def validate_submission(data: Any, today: date | None = None) -> SubmitRequest:
    """Raises pydantic.ValidationError; the view maps it to 422."""
    return SubmitRequest.model_validate(data, context={"today": today or today_utc()})


class ListQuery(BaseModel):
    model_config = ConfigDict(frozen=True)

    status: RequestStatus | None = None
    method_code: str | None = Field(default=None, max_length=40)
    limit: int = Field(default=50, ge=1, le=200)
    cursor: str | None = Field(default=None, max_length=300)


class CancelBody(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    reason: str | None = Field(default=None, max_length=500)


class _Body(BaseModel):  # the answers' base
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


class RegionFigures(_Body):
    region: str = Field(description="ISO 3166-2 code of the region the requests ship from")
    demand: int = Field(description="requests from the region, cancelled ones left out")
    placed: int = Field(description="of them, with a lab holding a slot before the deadline (OFFERED and on)")
    unmet: int = Field(description="of them, UNMATCHED")


class RegionQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    method_code: KnownMethod | None = Field(None, description="only this method's requests")


class RegionMapQuery(RegionQuery):
    region: KnownRegion | None = Field(None, description="the region to outline (the one whose table is open)")
    lang: Literal["en", "ru"] = "en"


class ExportQuery(RegionQuery):
    table: Literal["queue", "unmet-demand", "regions", "capacity-gaps"] = Field(description="which staff table")
    format: Literal["csv", "xlsx"] = "csv"
    lang: Literal["en", "ru"] = Field("en", description="the language of the headers and names")


class ReportQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    lang: Literal["en", "ru"] = Field("en", description="the report's language, its numbers and dates")


class RegionMap(_Body):
    method_code: str | None = Field(description="the method the figures are for; null: every method")
    items: list[RegionFigures] = Field(description="regions with requests, most first")


class UnmetDemand(_Body):
    items: list[UnmetDemandItem]
    total: int = Field(description="UNMATCHED requests in all groups")
