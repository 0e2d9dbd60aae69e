"""Labs indexed by method, as numpy columns, and per (method, origin) as seen from there.

This is what lets matching check the constraints and bound the score of a
method's labs (about 850 per method in the 100x benchmark) in one compiled pass
(outlook.py) instead of scoring each through the calendar.
"""
from __future__ import annotations

import weakref
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from functools import cached_property, lru_cache
from typing import TYPE_CHECKING

import numpy as np

from schemas import planning
from schemas.regions import REGIONS_BY_CODE, distance_km

from . import scoring as sc
from .scoring import DAY_US, MARGIN, WINDOW_WIDTH, end_of_day, fixed_terms, latest_test_end

if TYPE_CHECKING:
    from .domain import Demand, LabState
    from .settings import SchedulerSettings

EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
US = timedelta(microseconds=1)
NEVER = np.iinfo(np.int64).min // 4  # "no heartbeat": fails every comparison


def micros(at: datetime) -> int:
    return (at - EPOCH) // US


def day_end_us(day: date) -> int:
    return micros(end_of_day(day))


@lru_cache(maxsize=4096)  # deadlines repeat; this runs once per request
def latest_end_us(reporting_days: int, day: date) -> int:
    """scoring.latest_test_end for one day (a deadline or a valid-until), in microseconds."""
    return micros(latest_test_end(reporting_days, day))


def test_end_by(deadline: date, settings: "SchedulerSettings") -> int:
    """The latest test end for a report due by the deadline."""
    return latest_end_us(settings.reporting_days, deadline)


@dataclass(frozen=True)
class MethodTable:
    """Every active lab holding one method, sorted by id, as columns."""

    labs: list
    ids: list[str]
    position: dict[str, int]
    max_samples: np.ndarray
    release_limit: np.ndarray  # latest sample arrival so the test ends by the accreditation's latest end
    heartbeat: np.ndarray
    duration: np.ndarray
    price: np.ndarray
    in_index: np.ndarray  # each lab's position in the LabIndex
    # Every lab's windows (Terms.windows, in time order) one after the other: lab k's are
    # rows first_window[k]:past_window[k] (none: no capacity advertised). Columns as
    # scoring.WINDOW_*.
    windows: np.ndarray
    first_window: np.ndarray
    past_window: np.ndarray

    @classmethod
    def build(cls, labs: list, method: str, reporting_days: int, in_index: np.ndarray) -> "MethodTable":
        terms = [lab.terms[method] for lab in labs]
        latest_end = np.array([latest_end_us(reporting_days, lab.valid_until) for lab in labs], dtype=np.int64)
        duration = np.array([t.duration // US for t in terms], dtype=np.int64)
        windows, first, past = _windows(terms, latest_end.tolist())
        return cls(
            labs, [lab.lab_id for lab in labs], {lab.lab_id: k for k, lab in enumerate(labs)},
            np.array([t.max_samples for t in terms], dtype=np.int64),
            latest_end - duration,
            np.array([micros(lab.heartbeat_at) if lab.heartbeat_at else NEVER for lab in labs], dtype=np.int64),
            duration,
            np.array([t.price_rub for t in terms], dtype=np.float64),
            in_index, windows, first, past)

    def __len__(self) -> int:
        return len(self.labs)

    @cached_property
    def nobody(self) -> np.ndarray:
        """No lab barred, one flag per lab (shared: copy it to bar some)."""
        return np.zeros(len(self.labs), dtype=np.bool_)

    def positions(self, lab_ids) -> list[int]:
        return [k for k in (self.position.get(i) for i in lab_ids) if k is not None]


def _windows(terms: list, end_limits: list[int]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """MethodTable's windows, first_window and past_window."""
    rows, first, past = [], [], []
    for t, end_limit in zip(terms, end_limits):
        first.append(len(rows))
        rows += [(micros(w.start), min(micros(w.end), end_limit), w.slots) for w in t.windows]
        past.append(len(rows))
    return (np.array(rows, dtype=np.float64).reshape(-1, WINDOW_WIDTH), np.array(first, dtype=np.int64),
            np.array(past, dtype=np.int64))


@dataclass(frozen=True)
class Stages:
    """Which of a method's labs pass each calendar-free constraint, for one request at one instant."""

    samples: np.ndarray
    accreditation: np.ndarray  # and samples
    live: np.ndarray  # and the above
    fits_window: np.ndarray  # and the above: shipping + test inside one window, ending in time


@dataclass(frozen=True)
class Shortlist:
    """A method's labs as seen from one origin region."""

    origin: str
    shipping: np.ndarray  # whole days in transit, by lab
    # What the compiled search reads (outlook.py), a row per lab in order of its floor
    # (columns: scoring.FLOOR to DURATION): one lab's data side by side, since the search
    # visits labs out of id order and columns missed the cache.
    rows: np.ndarray

    def stages(self, table: MethodTable, demand: "Demand", now: datetime,
               settings: "SchedulerSettings") -> Stages:
        now_us = micros(now)
        release = now_us + self.shipping * DAY_US
        samples = demand.samples <= table.max_samples
        accreditation = samples & (release <= table.release_limit)
        live = accreditation & (table.heartbeat >= now_us - liveness_us(settings))
        from .outlook import window_rooms  # the compiled rule (outlook imports this module)
        fits = live & window_rooms(table, release, test_end_by(demand.deadline, settings))
        return Stages(samples, accreditation, live, fits)


def shortlist(table: MethodTable, origin: str, km: np.ndarray, settings: "SchedulerSettings") -> Shortlist:
    """`km` from the origin to each of the table's labs, as km_from gives it: the shipping
    days and the fixed part of the score then equal, float for float, what matching
    derives for one lab."""
    shipping = np.maximum(planning.MIN_SHIPPING_DAYS, np.ceil(km / settings.shipping_km_per_day)).astype(np.int64)
    fixed = fixed_terms(km, table.price, settings)
    # The score with no load and the test starting the moment the samples arrive, less
    # the completion part that depends on the start: bound = base + w_c * (start - now) days.
    base = fixed + settings.weight_completion_per_day * (table.duration / DAY_US + settings.reporting_days)
    shipping_us = shipping * DAY_US
    # No score is below base + w_c * shipping days (loads and waits only add), so a search
    # stops at the first floor above the best score found.
    floor = base + settings.weight_completion_per_day * shipping - 2 * MARGIN
    rows = np.empty((len(table), sc.ROW_WIDTH))
    for column, values in ((sc.FLOOR, floor), (sc.LAB, np.arange(len(table))), (sc.SHIPPING_US, shipping_us),
                           (sc.USABLE_UNTIL, np.minimum(table.release_limit - shipping_us,
                                                        table.heartbeat + liveness_us(settings))),
                           (sc.BASE, base), (sc.FIXED, fixed), (sc.MAX_SAMPLES, table.max_samples),
                           (sc.FIRST_WINDOW, table.first_window), (sc.PAST_WINDOW, table.past_window),
                           (sc.DURATION, table.duration)):
        rows[:, column] = values
    # Float64 holds every microsecond instant exactly (< 2**53), so sums and the
    # completion's division give what integers would. The search breaks ties itself.
    rows = rows[np.argsort(floor)]
    return Shortlist(origin, shipping, np.ascontiguousarray(rows))


@lru_cache(maxsize=1 << 20)
def km_from(origin: str, lat: float, lon: float) -> float:
    """Great-circle km from the centre of the origin region."""
    region = REGIONS_BY_CODE[origin]
    return distance_km(region.lat, region.lon, lat, lon)


def liveness_us(settings: "SchedulerSettings") -> int:
    return round(settings.liveness_hours * 3_600_000_000)


class LabIndex(tuple):
    """Labs sorted by id, with per-method tables and per-(method, origin) shortlists built
    on first use, and matching's outlooks of calendars. Immutable labs: a change of supply
    builds a new index."""

    def __new__(cls, labs: Iterable["LabState"]) -> "LabIndex":
        self = super().__new__(cls, sorted(labs, key=lambda lab: lab.lab_id))
        self.by_id = {lab.lab_id: lab for lab in self}
        self.position = {lab.lab_id: i for i, lab in enumerate(self)}
        self._by_method: dict[str, list] = {}
        for lab in self:
            for method in lab.terms:
                self._by_method.setdefault(method, []).append(lab)
        self._tables: dict[tuple, MethodTable] = {}
        self._shortlists: dict[tuple, Shortlist] = {}
        self._km: dict[str, np.ndarray] = {}  # by origin
        self._views: dict[tuple, tuple] = {}
        # Calendar -> {method: outlook.Outlook}: what matching learned of each calendar it
        # searched with this index (a new index starts afresh; a dropped calendar's go with it).
        self.outlooks: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
        return self

    def holding(self, method: str) -> list["LabState"]:
        return self._by_method.get(method, [])

    def table(self, method: str, settings: "SchedulerSettings") -> MethodTable:
        key = (method, settings.reporting_days)
        if key not in self._tables:
            active = [lab for lab in self.holding(method) if lab.active]
            self._tables[key] = MethodTable.build(active, method, settings.reporting_days,
                                                  np.array([self.position[lab.lab_id] for lab in active], dtype=np.int64))
        return self._tables[key]

    def view(self, method: str, origin: str, settings: "SchedulerSettings") -> tuple[MethodTable, Shortlist]:
        """The method's table and its shortlist from the origin: once per request, so the
        last answer per (method, origin) is kept for the settings object that asked
        (SchedulerSettings is frozen)."""
        last = self._views.get((method, origin))
        if last is None or last[0] is not settings:
            last = self._views[(method, origin)] = (
                settings, self.table(method, settings), self.shortlist(method, origin, settings))
        return last[1], last[2]

    def shortlist(self, method: str, origin: str, settings: "SchedulerSettings") -> Shortlist:
        key = (method, origin, settings.reporting_days, settings.shipping_km_per_day, settings.liveness_hours,
               settings.weight_distance_per_100km, settings.weight_price_per_10k_rub,
               settings.weight_completion_per_day)
        if key not in self._shortlists:
            if origin not in self._km:  # every lab's, in the index's order
                self._km[origin] = np.array([km_from(origin, lab.lat, lab.lon) for lab in self])
            table = self.table(method, settings)
            self._shortlists[key] = shortlist(table, origin, self._km[origin][table.in_index], settings)
        return self._shortlists[key]


def index_labs(labs: Iterable["LabState"]) -> LabIndex:
    return labs if isinstance(labs, LabIndex) else LabIndex(labs)
