"""Pure rules of the lab registry, capacity, offers and jobs. No I/O here.

`today` / `now` come in through the validation context, so tests can fix them.
"""
from __future__ import annotations

import re
from datetime import date, datetime, timezone, tzinfo
from enum import StrEnum
from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from schemas.catalogue import get_method
from schemas.events import CapacityItem
from schemas.moments import TypedMoment, described, parse_moment
from schemas.regions import get_region
from schemas.states import RequestStatus
from schemas.values import Accreditation, AccreditationStatus, CertificateNo, ScopeItem
from services.common import cursor

LAB_ID_RE = r"^[a-z0-9][a-z0-9-]{2,62}$"
INN_WEIGHTS_10 = (2, 4, 10, 3, 5, 9, 4, 6, 8)
INN_WEIGHTS_11 = (7, 2, 4, 10, 3, 5, 9, 4, 6, 8)
INN_WEIGHTS_12 = (3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8)


def today_utc() -> date:
    return datetime.now(timezone.utc).date()


def _check_digit(digits: str, weights: tuple[int, ...]) -> int:
    return sum(int(d) * w for d, w in zip(digits, weights)) % 11 % 10


def inn_valid(inn: str) -> bool:
    """The Federal Tax Service checksum: 10 digits (organisation) or 12 (entrepreneur)."""
    if not re.fullmatch(r"\d{10}|\d{12}", inn):
        return False
    if len(inn) == 10:
        return _check_digit(inn, INN_WEIGHTS_10) == int(inn[9])
    return (_check_digit(inn, INN_WEIGHTS_11) == int(inn[10])
            and _check_digit(inn, INN_WEIGHTS_12) == int(inn[11]))


def check_inn(value: str) -> str:
    if not re.fullmatch(r"\d{10}|\d{12}", value):
        raise ValueError("INN must be 10 digits (organisation) or 12 digits (individual entrepreneur)")
    if not inn_valid(value):
        raise ValueError(f"INN {value} fails its check digits")
    return value


def check_region(value: str) -> str:
    if not value.startswith("RU-"):
        raise ValueError(f"region {value!r} is not in Russia; labbook registers accredited Russian labs (RU-*)")
    if get_region(value) is None:
        raise ValueError(f"unknown region {value!r}; use an ISO 3166-2 code such as RU-SAM")
    return value


def check_accreditation(acc: Accreditation, today: date) -> Accreditation:
    if acc.status == AccreditationStatus.ACTIVE and acc.valid_until <= today:
        raise ValueError(f"an active accreditation must be valid after today; valid_until {acc.valid_until} has passed")
    return acc


def check_scope(items: tuple[ScopeItem, ...]) -> tuple[ScopeItem, ...]:
    seen: set[str] = set()
    for item in items:
        if get_method(item.method_code) is None:
            raise ValueError(f"unknown method {item.method_code!r} in scope; see GET /v1/methods for the catalogue")
        if item.method_code in seen:
            raise ValueError(f"method {item.method_code!r} appears twice in scope")
        seen.add(item.method_code)
    return items


def _today(info: ValidationInfo) -> date:
    return (info.context or {}).get("today") or today_utc()


Name = Annotated[str, Field(min_length=1, max_length=200)]
City = Annotated[str, Field(min_length=1, max_length=100)]
Lat = Annotated[float, Field(ge=-90, le=90)]
Lon = Annotated[float, Field(ge=-180, le=180)]
Scope = Annotated[tuple[ScopeItem, ...], Field(max_length=300)]


class RegisterLab(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str | None = Field(default=None, pattern=LAB_ID_RE)  # chosen by staff, else generated
    name: Name
    inn: str
    region_code: str
    city: City
    lat: Lat
    lon: Lon
    accreditation: Accreditation
    scope: Scope = Field(min_length=1)

    @field_validator("inn")
    @classmethod
    def _inn(cls, value: str) -> str:
        return check_inn(value)

    @field_validator("region_code")
    @classmethod
    def _region(cls, value: str) -> str:
        return check_region(value)

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
    inn: str | None = None
    region_code: str | None = None
    city: City | None = None
    lat: Lat | None = None
    lon: Lon | None = None
    accreditation: AccreditationPatch | None = None
    scope: Scope | None = None

    @field_validator("inn")
    @classmethod
    def _inn(cls, value: str | None) -> str | None:
        return value if value is None else check_inn(value)

    @field_validator("region_code")
    @classmethod
    def _region(cls, value: str | None) -> str | None:
        return value if value is None else check_region(value)

    @field_validator("scope")
    @classmethod
    def _scope(cls, value: tuple[ScopeItem, ...] | None) -> tuple[ScopeItem, ...] | None:
        return value if value is None else check_scope(value)


def merged_accreditation(current: Accreditation, patch: AccreditationPatch | None, today: date) -> Accreditation:
    """The accreditation after a PATCH (raises ValueError when the result is not valid)."""
    if patch is None:
        return current
    merged = current.model_copy(update=patch.model_dump(exclude_none=True))
    return check_accreditation(Accreditation.model_validate(merged.model_dump()), today)


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


def capacity_items(body: CapacityBody, zone: tzinfo) -> tuple[CapacityItem, ...]:
    """The windows as instants (a date: that whole day in `zone`); ValueError for a naive
    date-time, an inverted window or two that overlap."""
    items = tuple(_instants(f"items[{i}]", w, zone) for i, w in enumerate(body.items))
    check_windows(items)
    return items


def _instants(where: str, window: CapacityWindow, zone: tzinfo) -> CapacityItem:
    return CapacityItem(
        method_code=window.method_code, slots=window.slots,
        available_from=parse_moment(window.available_from, zone, field=f"{where}.available_from"),
        available_to=parse_moment(window.available_to, zone, field=f"{where}.available_to", end_of_day=True))


def check_windows(items: tuple[CapacityItem, ...]) -> None:
    by_method: dict[str, list[CapacityItem]] = {}
    for i, item in enumerate(items):
        if item.available_to <= item.available_from:
            raise ValueError(f"items[{i}]: available_to must be after available_from")
        by_method.setdefault(item.method_code, []).append(item)
    for method, windows in by_method.items():
        windows.sort(key=lambda it: it.available_from)
        for a, b in zip(windows, windows[1:]):
            if b.available_from < a.available_to:
                raise ValueError(f"overlapping capacity windows for {method}: "
                                 f"{a.available_from}..{a.available_to} and {b.available_from}..{b.available_to}")


def outside_scope(items: tuple[CapacityItem, ...], scope: list[dict]) -> list[str]:
    allowed = {s["method_code"] for s in scope}
    return sorted({i.method_code for i in items} - allowed)


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


def accreditation_usable(status: str, valid_until: date, today: date) -> bool:
    return status == AccreditationStatus.ACTIVE and valid_until >= today


class ListQuery(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    limit: int = Field(default=50, ge=1, le=200)
    cursor: str | None = Field(default=None, max_length=300)


class OffersQuery(ListQuery):
    status: OfferStatus | None = None
    # Accepted offers by their job: "open" (not yet reported or cancelled) or "finished".
    job: Literal["open", "finished"] | None = None


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


def validate(model: type[BaseModel], data: Any, today: date | None = None):
    """Raises pydantic.ValidationError; the view maps it to 422."""
    return model.model_validate(data, context={"today": today or today_utc()})
