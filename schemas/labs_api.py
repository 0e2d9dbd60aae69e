"""The labs API's bodies, queries and answers, side by side (GET /openapi.json).

The routes (services/labs/routes.py) take their bodies from here, their OpenAPI
document describes the answers with the same models, and the service serialises
every answer through them. `today` comes in through the validation context
(`validate`), so tests can fix it; the registry's rules are schemas/lab_rules.py.
"""
from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import (AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, ValidationInfo, field_validator,
                      model_validator)

from .catalogue import Method
from .events import CapacityItem
from .lab_rules import LAB_ID_RE, check_accreditation, check_inn, check_region, check_scope
from .moments import TypedMoment, described, today_utc
from .values import Accreditation, AccreditationStatus, CertificateNo, ScopeItem


def validate(model: type[BaseModel], data: Any, today: date | None = None):
    """Raises pydantic.ValidationError; the view maps it to 422."""
    return model.model_validate(data, context={"today": today or today_utc()})


def _today(info: ValidationInfo) -> date:
    return (info.context or {}).get("today") or today_utc()


Name = Annotated[str, Field(min_length=1, max_length=200)]
City = Annotated[str, Field(min_length=1, max_length=100)]
Lat = Annotated[float, Field(ge=-90, le=90)]
Lon = Annotated[float, Field(ge=-180, le=180)]
Scope = Annotated[tuple[ScopeItem, ...], Field(max_length=300)]
Inn = Annotated[str, AfterValidator(check_inn)]
RegionCode = Annotated[str, AfterValidator(check_region)]


class RegisterLab(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str | None = Field(default=None, pattern=LAB_ID_RE)  # chosen by staff, else generated
    name: Name
    inn: Inn
    region_code: RegionCode
    city: City
    lat: Lat
    lon: Lon
    accreditation: Accreditation
    scope: Scope = Field(min_length=1)

    @field_validator("scope")
    @classmethod
    def _scope(cls, value: tuple[ScopeItem, ...]) -> tuple[ScopeItem, ...]:
        return check_scope(value)

    @field_validator("accreditation")
    @classmethod
    def _active_in_future(cls, value: Accreditation, info: ValidationInfo) -> Accreditation:
        return check_accreditation(value, _today(info))


class AccreditationPatch(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    certificate_no: CertificateNo | None = None
    status: AccreditationStatus | None = None
    valid_until: date | None = None


class PatchLab(BaseModel):
    """Staff's changes; absent fields stay as they are, scope is replaced whole."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: Name | None = None
    inn: Inn | None = None
    region_code: RegionCode | None = None
    city: City | None = None
    lat: Lat | None = None
    lon: Lon | None = None
    accreditation: AccreditationPatch | None = None
    scope: Scope | None = None

    @field_validator("scope")
    @classmethod
    def _scope(cls, value: tuple[ScopeItem, ...] | None) -> tuple[ScopeItem, ...] | None:
        return value if value is None else check_scope(value)


class CapacityWindow(BaseModel):
    """A window as typed: its bounds become instants in the lab's zone (capacity_items)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    method_code: str
    slots: int = Field(ge=0, le=1000)
    available_from: TypedMoment = Field(description=described("00:00 that day in the lab's own time zone, "
                                                              "from its region"))
    available_to: TypedMoment = Field(description=described("the end of that day in the lab's zone, so the "
                                                            "window includes it"))


class CapacityBody(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    items: tuple[CapacityWindow, ...] = Field(max_length=500)


class OfferStatus(StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    WITHDRAWN = "withdrawn"
    EXPIRED = "expired"  # shown, never stored: a pending offer past expires_at


class AcceptBody(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    planned_start: TypedMoment | None = Field(default=None, description=described("00:00 that day in the lab's zone"))


class DeclineBody(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    reason: str = Field(min_length=1, max_length=500)


class JobEventType(StrEnum):
    SAMPLES_RECEIVED = "SAMPLES_RECEIVED"
    TESTING_STARTED = "TESTING_STARTED"
    TESTING_COMPLETED = "TESTING_COMPLETED"
    REPORT_ISSUED = "REPORT_ISSUED"


class JobEventBody(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    type: JobEventType
    at: AwareDatetime | None = None
    report_url: str | None = Field(default=None, min_length=1, max_length=2000)
    sha256: str | None = Field(default=None, pattern=r"^[0-9a-f]{64}$")

    @model_validator(mode="after")
    def _report(self) -> "JobEventBody":
        if self.type == JobEventType.REPORT_ISSUED and not self.report_url:
            raise ValueError("report_url is required for REPORT_ISSUED")
        if self.type != JobEventType.REPORT_ISSUED and (self.report_url or self.sha256):
            raise ValueError("report_url and sha256 belong to REPORT_ISSUED only")
        return self


class ListQuery(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    limit: int = Field(default=50, ge=1, le=200)
    cursor: str | None = Field(default=None, max_length=300)


class OffersQuery(ListQuery):
    status: OfferStatus | None = None
    # Accepted offers by their job: "open" (not yet reported or cancelled) or "finished".
    job: Literal["open", "finished"] | None = None


class MethodsQuery(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    category: str | None = Field(default=None, max_length=100, description="a component category")
    standard: str | None = Field(default=None, max_length=200, description="text in the standard or a title")
    q: str | None = Field(default=None, max_length=200, description="the same as `standard`")


class _Answer(BaseModel):  # the answers' base
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


class MethodPage(_Answer):
    items: list[Method]
    next_cursor: None = Field(default=None, description="always null: the catalogue is one page")
