"""The test-method catalogue (data in methods_data.py, facts in shared/METHODS.md)."""
from __future__ import annotations

from pydantic import Field

from .methods_data import METHODS
from .values import Frozen


class Method(Frozen):
    code: str = Field(pattern=r"^[A-Z0-9][A-Z0-9-]{2,39}$")
    standard: str
    title_ru: str
    title_en: str
    categories: tuple[str, ...]
    duration_hours: int = Field(gt=0)
    samples: int = Field(ge=1)
    typical: bool  # True: an estimate; a lab may override it per scope item


CATALOGUE: dict[str, Method] = {m["code"]: Method.model_validate(m) for m in METHODS}


def get_method(code: str) -> Method | None:
    return CATALOGUE.get(code)


def find_methods(category: str | None = None, text: str | None = None) -> list[Method]:
    """Methods for a component category and/or whose standard or title holds `text`."""
    needle = (text or "").casefold()
    return [
        m
        for m in CATALOGUE.values()
        if (category is None or category in m.categories)
        and (not needle or any(needle in s.casefold() for s in (m.standard, m.title_en, m.title_ru, m.code)))
    ]
