"""Regions suppliers ship from and labs stand in (ISO 3166-2), with centre coordinates and time zone."""
from __future__ import annotations

import math
from zoneinfo import ZoneInfo

from .regions_data import REGIONS
from .values import Frozen


class City(Frozen):
    name: str
    lat: float
    lon: float


class Region(Frozen):
    code: str
    name_ru: str
    name_en: str
    centre: str
    lat: float
    lon: float
    tz: str  # IANA zone, e.g. Europe/Samara
    cities: tuple[City, ...] = ()

    @property
    def country(self) -> str:
        return self.code[:2]


REGIONS_BY_CODE: dict[str, Region] = {r["code"]: Region.model_validate(r) for r in REGIONS}

EARTH_RADIUS_KM = 6371.0


def get_region(code: str) -> Region | None:
    return REGIONS_BY_CODE.get(code)


def zone_of(region_code: str) -> ZoneInfo:
    """The region's time zone; KeyError for a code not in the list."""
    return ZoneInfo(REGIONS_BY_CODE[region_code].tz)


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance; shipping time is estimated from it."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(h))
