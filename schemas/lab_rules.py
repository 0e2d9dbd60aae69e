"""What makes a lab registrable: its id, INN, region, accreditation and scope. No I/O here.

The labs API's bodies (schemas/labs_api.py) validate with these; the labs service
checks a lab's accreditation with them again when it reports.
"""
from __future__ import annotations

import re
from datetime import date
from typing import TYPE_CHECKING

from .catalogue import get_method
from .regions import get_region
from .values import Accreditation, AccreditationStatus, ScopeItem

if TYPE_CHECKING:
    from .labs_api import AccreditationPatch

LAB_ID_RE = r"^[a-z0-9][a-z0-9-]{2,62}$"
INN_WEIGHTS_10 = (2, 4, 10, 3, 5, 9, 4, 6, 8)
INN_WEIGHTS_11 = (7, 2, 4, 10, 3, 5, 9, 4, 6, 8)
INN_WEIGHTS_12 = (3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8)


def is_lab_id(text: str) -> bool:
    return re.fullmatch(LAB_ID_RE, text) is not None


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


def merged_accreditation(current: Accreditation, patch: AccreditationPatch | None, today: date) -> Accreditation:
    """The accreditation after a PATCH (raises ValueError when the result is not valid)."""
    if patch is None:
        return current
    merged = current.model_copy(update=patch.model_dump(exclude_none=True))
    return check_accreditation(Accreditation.model_validate(merged.model_dump()), today)


def accreditation_usable(status: str, valid_until: date, today: date) -> bool:
    return status == AccreditationStatus.ACTIVE and valid_until >= today


def check_scope(items: tuple[ScopeItem, ...]) -> tuple[ScopeItem, ...]:
    seen: set[str] = set()
    for item in items:
        if get_method(item.method_code) is None:
            raise ValueError(f"unknown method {item.method_code!r} in scope; see GET /v1/methods for the catalogue")
        if item.method_code in seen:
            raise ValueError(f"method {item.method_code!r} appears twice in scope")
        seen.add(item.method_code)
    return items
