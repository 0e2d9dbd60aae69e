"""The localisation case: which added capacity would place how many of the waiting
requests within deadline — found by running the scheduler's own planner
(assignment.assign_batch: greedy, then the joint models where requests compete) on
the current queue, once as it is and once per addition tried.

An addition is `slots` more parallel slots of one method in one region (a lab at the
region's centre, accredited, live, running the method in the catalogue's typical
time at the median price the labs holding it ask), open from a given day to the last deadline waiting. Methods never share
capacity, so each method is planned on its own. Where to try: the regions the
unplaced requests ship from (most first) and the regions of the labs that already
hold the method; each at one slot first, then more slots where the best regions still
leave requests unplaced; then the best addition's start moved to each coming month,
which says how much waiting costs.
"""
from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

from schemas.catalogue import get_method
from schemas.insight_api import CapacityGap, CapacityOption
from schemas.regions import get_region
from services.booking.scheduler.assignment import Result, assign_batch, assign_greedy
from services.booking.scheduler.calendar import Calendar, Reservation
from services.booking.scheduler.domain import Assignment, Demand, LabState, Terms
from services.booking.scheduler.settings import SchedulerSettings
from services.booking.scheduler.windows import Window

MAX_SLOTS = 3  # more than three chambers of one method in one region is a new lab, not a gap
REGIONS_TRIED = 6  # regions tried at one slot
REGIONS_GROWN = 2  # of them, the best, tried with more slots
MONTHS = 4  # this month and the three after it
ADDED = "added"  # the id prefix of the lab a what-if adds


@dataclass(frozen=True)
class Booking:
    """A slot a lab holds for a request (OFFERED up to IN_TESTING): the calendar is full there."""

    request_id: str
    lab_id: str
    method: str
    start: datetime
    end: datetime


@dataclass(frozen=True)
class Planner:
    """The scheduler's planner on one method's queue, with or without an added lab."""

    demands: tuple[Demand, ...]
    labs: tuple[LabState, ...]
    bookings: tuple[Booking, ...]
    now: datetime
    settings: SchedulerSettings
    lab_regions: Mapping[str, str]  # lab id -> its region code

    def plan(self, extra: LabState | None = None, quick: bool = False) -> list[Result]:
        """The planner's answer; `quick`: first come, first served only (its first step)."""
        calendar = Calendar()
        for b in self.bookings:
            calendar.load(b.lab_id, b.method, Reservation(b.request_id, b.start, b.end))
        labs = self.labs + ((extra,) if extra is not None else ())
        planning = assign_greedy if quick else assign_batch
        return planning(self.demands, labs, calendar, self.now, self.settings)

    def placed(self, extra: LabState | None = None, quick: bool = False) -> int:
        return sum(isinstance(r, Assignment) for r in self.plan(extra, quick))


def month_starts(now: datetime, months: int = MONTHS) -> list[datetime]:
    """Now, then the first instant (UTC) of each following month."""
    starts, year, month = [now], now.year, now.month
    for _ in range(months - 1):
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        starts.append(datetime(year, month, 1, tzinfo=timezone.utc))
    return starts


def added_lab(method: str, region_code: str, slots: int, start: datetime, planner: Planner) -> LabState | None:
    """A lab in the region's centre holding `slots` of the method from `start` to the last
    deadline; None when the region or the method is unknown."""
    region, known = get_region(region_code), get_method(method)
    held = [lab.terms[method] for lab in planner.labs if method in lab.terms]
    if region is None or (known is None and not held):
        return None
    last, end = max(d.deadline for d in planner.demands), horizon(planner)
    # A new chamber runs the standard method in the catalogue's typical time.
    duration = (timedelta(hours=known.duration_hours) if known is not None
                else statistics.median_low([t.duration for t in held]))
    price = statistics.median([t.price_rub for t in held]) if held else 0.0
    terms = Terms(max(d.samples for d in planner.demands), price, duration, Window(slots, start, end))
    return LabState(f"{ADDED}-{method}-{region_code}", region.lat, region.lon, True, last + timedelta(days=366),
                    planner.now, {method: terms})


def horizon(planner: Planner) -> datetime:
    """The end of the last deadline's day: no test placed later counts."""
    last = max(d.deadline for d in planner.demands)
    return datetime.combine(last, time(), tzinfo=timezone.utc) + timedelta(days=1)


def candidate_regions(method: str, unplaced_from: Counter, planner: Planner) -> list[str]:
    """Where the unplaced requests ship from (most first), then where the method's labs are."""
    ranked = [code for code, _ in sorted(unplaced_from.items(), key=lambda kv: (-kv[1], kv[0]))]
    for lab in planner.labs:
        code = planner.lab_regions.get(lab.lab_id)
        if method in lab.terms and code and code not in ranked:
            ranked.append(code)
    return ranked[:REGIONS_TRIED]


def gap(method: str, planner: Planner) -> CapacityGap:
    """What the best addition for one method would place, and when it would have to open.

    Where and how many slots are chosen on the planner's first step alone (first come,
    first served: milliseconds, where the whole planner takes seconds a run); every
    figure answered is the whole planner's."""
    today = planner.plan()
    unplaced_from = Counter(d.origin for d, r in zip(planner.demands, today) if not isinstance(r, Assignment))
    unplaced = sum(unplaced_from.values())
    nothing = CapacityGap(method_code=method, waiting=len(planner.demands), unplaced=unplaced,
                          suggestion=None, by_month=[])
    chosen = _chosen(method, planner, unplaced, unplaced_from)
    if chosen is None:
        return nothing
    baseline = len(planner.demands) - unplaced
    by_month = [o for o in (_option(method, planner, baseline, chosen[0], chosen[1], start)
                            for start in month_starts(planner.now)) if o is not None]
    most = max((o.placed_more for o in by_month), default=0)
    if most <= 0:
        return nothing
    latest = max((o for o in by_month if o.placed_more == most), key=lambda o: o.available_from)
    return nothing.model_copy(update={"suggestion": latest, "by_month": by_month})


def _chosen(method: str, planner: Planner, unplaced: int, unplaced_from: Counter) -> tuple[str, int] | None:
    """(region, slots) placing most, then with fewest slots, on the quick planner."""
    if unplaced <= 0:
        return None
    base = planner.placed(quick=True)
    gain = lambda region, slots: _quick_gain(method, planner, base, region, slots)  # noqa: E731
    tried = {(r, 1): gain(r, 1) for r in candidate_regions(method, unplaced_from, planner)}
    for region, _ in sorted(tried, key=lambda k: -tried[k])[:REGIONS_GROWN]:
        for slots in range(2, MAX_SLOTS + 1):
            if tried[(region, slots - 1)] >= unplaced:
                break
            tried[(region, slots)] = gain(region, slots)
            if tried[(region, slots)] <= tried[(region, slots - 1)]:
                break
    best = max(tried, key=lambda k: (tried[k], -k[1]), default=None)
    return best if best is not None and tried[best] > 0 else None


def _quick_gain(method: str, planner: Planner, base: int, region: str, slots: int) -> int:
    lab = added_lab(method, region, slots, planner.now, planner)
    return -1 if lab is None else planner.placed(lab, quick=True) - base


def _option(method: str, planner: Planner, baseline: int, region: str, slots: int,
            start: datetime) -> CapacityOption | None:
    """The whole planner's answer with the addition open from `start`."""
    if start >= horizon(planner):  # opens after every deadline: places nothing
        return CapacityOption(region=region, slots=slots, available_from=_day(start), placed_more=0)
    lab = added_lab(method, region, slots, start, planner)
    if lab is None:
        return None
    return CapacityOption(region=region, slots=slots, available_from=_day(start),
                          placed_more=max(0, planner.placed(lab) - baseline))


def _day(moment: datetime) -> date:
    return moment.astimezone(timezone.utc).date()
