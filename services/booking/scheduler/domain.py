"""The plain data matching works on: a lab as the scheduler knows it, a request's demand,
and what matching answers."""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from schemas.catalogue import get_method
from schemas.events import CapacityAdvertised, LabProfile, RequestSubmitted
from schemas.values import AccreditationStatus

from .windows import Window, Windows, by_method


@dataclass(frozen=True)
class Terms:
    """What a lab offers for one method."""

    max_samples: int
    price_rub: float
    duration: timedelta
    windows: Windows  # empty: the lab advertised no capacity for the method

    def __post_init__(self) -> None:
        if not isinstance(self.windows, Windows):  # one Window or None, as callers passed before
            object.__setattr__(self, "windows", Windows.of(self.windows))


@dataclass(frozen=True)
class LabState:
    lab_id: str
    lat: float
    lon: float
    active: bool
    valid_until: date
    heartbeat_at: datetime | None
    terms: Mapping[str, Terms]

    @classmethod
    def from_events(cls, profile: LabProfile, capacity: CapacityAdvertised | None) -> "LabState":
        windows = by_method((c.method_code, Window(c.slots, c.available_from, c.available_to))
                            for c in (capacity.items if capacity else ()))
        terms = {}
        for item in profile.scope:
            method = get_method(item.method_code)
            hours = item.duration_hours or (method.duration_hours if method else None)
            if hours:  # a method with no known duration cannot be planned
                terms[item.method_code] = Terms(item.max_samples, float(item.price_rub),
                                                timedelta(hours=hours), windows.get(item.method_code, Windows()))
        acc = profile.accreditation
        return cls(profile.lab_id, profile.lat, profile.lon, acc.status == AccreditationStatus.ACTIVE,
                   acc.valid_until, capacity.heartbeat_at if capacity else None, terms)


@dataclass(frozen=True)
class Demand:
    request_id: str
    method: str
    samples: int
    deadline: date
    origin: str  # the supplier's ship_from_region; shipping starts at its centre
    preferred: frozenset[str] = frozenset()
    excluded: frozenset[str] = frozenset()  # by the supplier
    declined: frozenset[str] = frozenset()  # labs that declined or let an offer expire

    @classmethod
    def from_event(cls, event: RequestSubmitted, declined: Iterable[str] = ()) -> "Demand":
        return cls(str(event.request_id), event.method_code, event.samples, event.deadline,
                   event.ship_from_region, frozenset(event.preferred_lab_ids),
                   frozenset(event.excluded_lab_ids), frozenset(declined))


@dataclass(frozen=True)
class Assignment:
    request_id: str
    lab_id: str
    method: str
    start: datetime
    end: datetime  # test end
    completion: datetime  # report issued
    score: float


@dataclass(frozen=True)
class Unmatched:
    request_id: str
    reason: str
