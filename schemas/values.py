"""Small value types shared by messages and API bodies."""
from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field


class TestKind(StrEnum):
    __test__ = False  # not a pytest class despite the name

    CERTIFICATION = "certification"
    VALIDATION = "validation"
    PERIODIC = "periodic"
    INVESTIGATION = "investigation"


class AccreditationStatus(StrEnum):
    ACTIVE = "active"
    SUSPENDED = "suspended"
    TERMINATED = "terminated"


class Role(StrEnum):
    SUPPLIER = "supplier"
    LAB = "lab"
    STAFF = "staff"
    ADMIN = "admin"


# The named groups of roles: what the routes declare (services/*/routes.py; the
# OpenAPI document prints them as x-roles and services/common/openapi.py enforces
# them) and what the services' finer per-object checks test against.
STAFF_ROLES: tuple[Role, ...] = (Role.STAFF, Role.ADMIN)  # see everything, change the registry
REQUEST_READERS: tuple[Role, ...] = (Role.SUPPLIER, *STAFF_ROLES)  # a request: its organisation, or staff
LAB_READERS: tuple[Role, ...] = (Role.LAB, *STAFF_ROLES)  # a lab's records: the lab itself, or staff
ANY_ROLE: tuple[Role, ...] = tuple(Role)  # any valid token


# National register record number (412-FZ art. 26), e.g. RA.RU.21AB12.
CERTIFICATE_RE = re.compile(r"^RA\.RU\.[0-9A-ZА-Я]{2,10}$")
REGION_RE = re.compile(r"^(RU|BY|UZ)-[A-Z]{2,3}$")


def _certificate(value: str) -> str:
    if not CERTIFICATE_RE.match(value):
        raise ValueError("certificate number must look like RA.RU.21AB12 (national register record)")
    return value


CertificateNo = Annotated[str, AfterValidator(_certificate)]
SampleCount = Annotated[int, Field(ge=1, le=1000)]


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Component(Frozen):
    name: str = Field(min_length=1, max_length=200)
    part_number: str = Field(min_length=1, max_length=100)
    category: str = Field(min_length=1, max_length=50)


class Accreditation(Frozen):
    certificate_no: CertificateNo
    status: AccreditationStatus
    valid_until: date


class ScopeItem(Frozen):
    method_code: str
    max_samples: SampleCount
    price_rub: Decimal = Field(ge=0)
    duration_hours: int | None = Field(default=None, gt=0)  # overrides the catalogue's typical figure
