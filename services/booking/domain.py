"""Pure rules of a test request: what a supplier may submit, and by when.

No I/O here; `today` comes in through the validation context so tests can fix it.
"""
from __future__ import annotations

from datetime import date, datetime, timezone
from typing import Annotated, Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from schemas import planning
from schemas.catalogue import CATALOGUE, Method, get_method
from schemas.regions import REGIONS_BY_CODE, get_region
from schemas.states import RequestStatus
from schemas.values import Component, SampleCount, TestKind
from services.common import cursor

LabIds = list[Annotated[str, Field(min_length=1, max_length=100)]]


def today_utc() -> date:
    return datetime.now(timezone.utc).date()


def earliest_deadline(method: Method, today: date) -> date:
    """The first deadline a lab could meet (shipping, the test, reporting; schemas/planning.py)."""
    return planning.earliest_deadline(method.duration_hours, today)


class SubmitRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    # Field order matters: deadline's check reads the already-validated method_code.
    method_code: str = Field(json_schema_extra={"enum": sorted(CATALOGUE)},
                             description="a code from the catalogue (GET /v1/methods on the labs API)")
    test_kind: TestKind
    component: Component
    samples: SampleCount
    deadline: date
    ship_from_region: str = Field(json_schema_extra={"enum": sorted(REGIONS_BY_CODE)},
                                  description="ISO 3166-2 code of the region the samples ship from")
    preferred_lab_ids: LabIds = Field(default_factory=list, max_length=50)
    excluded_lab_ids: LabIds = Field(default_factory=list, max_length=200)
    notes: str | None = Field(default=None, max_length=2000)

    @field_validator("method_code")
    @classmethod
    def _known_method(cls, value: str) -> str:
        if get_method(value) is None:
            raise ValueError(f"unknown method {value!r}; see GET /v1/methods for the catalogue")
        return value

    @field_validator("ship_from_region")
    @classmethod
    def _known_region(cls, value: str) -> str:
        if get_region(value) is None:
            raise ValueError(f"unknown region {value!r}; use an ISO 3166-2 code such as RU-SAM")
        return value

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


def encode_cursor(created_at: datetime, request_id: str) -> str:
    return cursor.encode(created_at.isoformat(), request_id)


def decode_cursor(text: str) -> tuple[datetime, UUID]:
    """Raises ValueError for anything encode_cursor did not make."""
    at_text, id_text = cursor.decode(text, 2)
    try:
        at, request_id = datetime.fromisoformat(at_text), UUID(id_text)
    except ValueError:
        raise ValueError("invalid cursor") from None
    if at.tzinfo is None:
        raise ValueError("invalid cursor")
    return at, request_id


class ListQuery(BaseModel):
    model_config = ConfigDict(frozen=True)

    status: RequestStatus | None = None
    method_code: str | None = Field(default=None, max_length=40)
    limit: int = Field(default=50, ge=1, le=200)
    cursor: str | None = Field(default=None, max_length=300)


class CancelBody(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    reason: str | None = Field(default=None, max_length=500)
