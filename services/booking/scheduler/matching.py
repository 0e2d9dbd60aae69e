"""Matching a test request to a lab: hard constraints, reason codes, the best candidate.

Pure functions over plain data. The Faust agents turn events into `LabState` and
`Demand` and the result into ReserveSlot / StatusChanged; nothing here does I/O.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from functools import lru_cache

from schemas.catalogue import get_method
from schemas.events import CapacityAdvertised, LabProfile, RequestSubmitted
from schemas.regions import REGIONS_BY_CODE, distance_km
from schemas.values import AccreditationStatus

from .calendar import Calendar, Window
from .scoring import DAY, completion_score, shipping_days, static_score
from .settings import SchedulerSettings


def end_of_day(day: date) -> datetime:
    """A deadline or valid-until date covers the whole day, UTC."""
    return datetime.combine(day + DAY, time(), timezone.utc)


@dataclass(frozen=True)
class Terms:
    """What a lab offers for one method."""

    max_samples: int
    price_rub: float
    duration: timedelta
    window: Window | None  # None: the lab advertised no capacity for the method


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
        windows = {c.method_code: Window(c.slots, c.available_from, c.available_to)
                   for c in (capacity.items if capacity else ())}
        terms = {}
        for item in profile.scope:
            method = get_method(item.method_code)
            hours = item.duration_hours or (method.duration_hours if method else None)
            if hours:  # a method with no known duration cannot be planned
                terms[item.method_code] = Terms(item.max_samples, float(item.price_rub),
                                                timedelta(hours=hours), windows.get(item.method_code))
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


@dataclass(frozen=True)
class Option:
    """A lab that passes every constraint not involving the calendar, with its bounds."""

    lab: LabState
    method: str
    terms: Terms
    km: float
    release: datetime  # samples arrive
    latest_end: datetime  # of the test, so the report is out by the deadline and in accreditation
    preferred: bool

    def window(self) -> Window | None:
        return self.terms.window.capped(self.latest_end) if self.terms.window else None

    def static(self, calendar: Calendar, settings: SchedulerSettings) -> float:
        window = self.terms.window
        capacity_h = window.slots * (window.end - window.start) / timedelta(hours=1) if window else 0
        load = calendar.reserved_hours(self.lab.lab_id, self.method, window) / capacity_h if capacity_h else 1.0
        return static_score(self.km, self.terms.price_rub, load, self.preferred, settings)

    def score_at(self, start: datetime, calendar: Calendar, now: datetime, settings: SchedulerSettings) -> float:
        completion = start + self.terms.duration + timedelta(days=settings.reporting_days)
        return self.static(calendar, settings) + completion_score(now, completion, settings)

    def assignment(self, request_id: str, start: datetime, reporting: timedelta, score: float) -> Assignment:
        end = start + self.terms.duration
        return Assignment(request_id, self.lab.lab_id, self.method, start, end, end + reporting, score)


class LabIndex(tuple):
    """Labs sorted by id, looked up by method: screening scanned and sorted every lab
    for every request (4,000 labs x 130,000 requests in the 100x benchmark)."""

    def __new__(cls, labs: Iterable[LabState]) -> "LabIndex":
        self = super().__new__(cls, sorted(labs, key=lambda lab: lab.lab_id))
        self.by_id = {lab.lab_id: lab for lab in self}
        self._by_method: dict[str, list[LabState]] = {}
        for lab in self:
            for method in lab.terms:
                self._by_method.setdefault(method, []).append(lab)
        return self

    def holding(self, method: str) -> list[LabState]:
        return self._by_method.get(method, [])


def index_labs(labs: Iterable[LabState]) -> LabIndex:
    return labs if isinstance(labs, LabIndex) else LabIndex(labs)


@lru_cache(maxsize=65_536)
def _km(origin: str, lat: float, lon: float) -> float:
    # Suppliers ship from few regions to few labs; the trigonometry dominated screening.
    region = REGIONS_BY_CODE[origin]
    return distance_km(region.lat, region.lon, lat, lon)


def _option(demand: Demand, lab: LabState, now: datetime, settings: SchedulerSettings) -> Option:
    km = _km(demand.origin, lab.lat, lab.lon)
    reporting = timedelta(days=settings.reporting_days)
    # The report is issued under the accreditation, so it must still be valid then.
    latest = min(end_of_day(demand.deadline), end_of_day(lab.valid_until)) - reporting
    return Option(lab, demand.method, lab.terms[demand.method], km,
                  now + shipping_days(km, settings) * DAY, latest, lab.lab_id in demand.preferred)


def _static_stages(demand: Demand, now: datetime, settings: SchedulerSettings):
    """(reason, keep) in order; a request's reason is the stage that removed the last lab."""
    live_since = now - timedelta(hours=settings.liveness_hours)
    reporting = timedelta(days=settings.reporting_days)
    return (
        ("samples_exceed_lab_limit", lambda o: demand.samples <= o.terms.max_samples),
        ("accreditation_expires_before_deadline",
         lambda o: o.release + o.terms.duration + reporting <= end_of_day(o.lab.valid_until)),
        ("lab_agent_offline", lambda o: o.lab.heartbeat_at is not None and o.lab.heartbeat_at >= live_since),
    )


def _exclusion_stages(demand: Demand):
    return (
        ("excluded_by_supplier", lambda o: o.lab.lab_id not in demand.excluded),
        ("all_candidates_declined", lambda o: o.lab.lab_id not in demand.declined),
    )


def _filter(options: list, stages) -> tuple[list, str | None]:
    for reason, keep in stages:
        options = [o for o in options if keep(o)]
        if not options:
            return [], reason
    return options, None


def screen(demand: Demand, labs: Iterable[LabState], now: datetime,
           settings: SchedulerSettings) -> tuple[list[Option], str | None]:
    """Labs passing every calendar-free constraint (exclusions are applied later, see match_one)."""
    accredited = [_option(demand, lab, now, settings)
                  for lab in index_labs(labs).holding(demand.method) if lab.active]
    if not accredited:
        return [], "no_accredited_lab"
    return _filter(accredited, _static_stages(demand, now, settings))


def allowed(demand: Demand, options: list[Option]) -> list[Option]:
    return _filter(options, _exclusion_stages(demand))[0]


def earliest_start(option: Option, calendar: Calendar) -> datetime | None:
    window = option.window()
    if window is None:
        return None
    return calendar.earliest_fit(option.lab.lab_id, option.method, option.release, option.terms.duration, window)


def match_one(demand: Demand, labs: Iterable[LabState], calendar: Calendar, now: datetime,
              settings: SchedulerSettings) -> Assignment | Unmatched:
    """The best lab and slot for one request, or why there is none. Reserves nothing."""
    options, reason = screen(demand, labs, now, settings)
    if not reason and settings.weight_load >= 0 and settings.weight_completion_per_day >= 0:
        best = _best_first(demand, allowed(demand, options), calendar, now, settings)
        if best is not None:
            return best
    fits = {o.lab.lab_id: s for o in options if (s := earliest_start(o, calendar)) is not None}
    if not reason and not fits:
        reason = "no_capacity_before_deadline"
    if not reason:
        # Exclusions come after capacity so "declined" means "every lab that could do it declined".
        options, reason = _filter([o for o in options if o.lab.lab_id in fits], _exclusion_stages(demand))
    if reason:
        return Unmatched(demand.request_id, reason)
    reporting = timedelta(days=settings.reporting_days)
    scored = [o.assignment(demand.request_id, fits[o.lab.lab_id], reporting,
                           o.score_at(fits[o.lab.lab_id], calendar, now, settings)) for o in options]
    return min(scored, key=lambda a: (a.score, a.lab_id))


def _best_first(demand: Demand, options: list[Option], calendar: Calendar, now: datetime,
                settings: SchedulerSettings) -> Assignment | None:
    """match_one's answer, evaluating labs in order of a lower bound on their score
    (no load, the earliest start the window allows) and stopping once no lab can beat
    the best found. None when no allowed lab fits: match_one then works out the reason."""
    reporting = timedelta(days=settings.reporting_days)
    bounded = []
    for o in options:
        window = o.window()
        if window is not None:
            earliest = max(o.release, window.start) + o.terms.duration + reporting
            bound = static_score(o.km, o.terms.price_rub, 0.0, o.preferred, settings) + completion_score(
                now, earliest, settings)
            bounded.append((bound, o.lab.lab_id, o))
    bounded.sort(key=lambda t: (t[0], t[1]))
    best: Assignment | None = None
    for bound, _, o in bounded:
        if best is not None and bound > best.score:
            break
        start = earliest_start(o, calendar)
        if start is not None:
            a = o.assignment(demand.request_id, start, reporting, o.score_at(start, calendar, now, settings))
            if best is None or (a.score, a.lab_id) < (best.score, best.lab_id):
                best = a
    return best
