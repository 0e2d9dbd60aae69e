"""Matching a test request to a lab: hard constraints, reason codes, the best candidate.

Pure functions over plain data. The Faust agents turn events into `LabState` and
`Demand` and the result into ReserveSlot / StatusChanged; nothing here does I/O.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np

from schemas.reasons import UnmatchedReason as Reason

from .calendar import Calendar, Windows
from .domain import Assignment, Demand, LabState, Terms, Unmatched
from .labindex import EPOCH, US, MethodTable, index_labs, km_from, micros
from .outlook import Outlook
from .scoring import DAY, completion_score, latest_test_end, shipping_days, static_score
from .settings import SchedulerSettings

NO_LABS = np.zeros(0, dtype=np.int64)


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

    def windows(self) -> Windows:
        """The lab's windows, for tests ending by latest_end."""
        return self.terms.windows.capped(self.latest_end)

    def static(self, calendar: Calendar, settings: SchedulerSettings) -> float:
        load = calendar.booked_share(self.lab.lab_id, self.method, self.terms.windows)
        return static_score(self.km, self.terms.price_rub, load, self.preferred, settings)

    def score_at(self, start: datetime, calendar: Calendar, now: datetime, settings: SchedulerSettings) -> float:
        completion = start + self.terms.duration + timedelta(days=settings.reporting_days)
        return self.static(calendar, settings) + completion_score(now, completion, settings)

    def assignment(self, request_id: str, start: datetime, reporting: timedelta, score: float) -> Assignment:
        end = start + self.terms.duration
        return Assignment(request_id, self.lab.lab_id, self.method, start, end, end + reporting, score)


def _option(demand: Demand, lab: LabState, now: datetime, settings: SchedulerSettings) -> Option:
    km = km_from(demand.origin, lab.lat, lab.lon)
    # The report is issued under the accreditation, so it must still be valid then.
    latest = latest_test_end(settings.reporting_days, demand.deadline, lab.valid_until)
    return Option(lab, demand.method, lab.terms[demand.method], km,
                  now + shipping_days(km, settings) * DAY, latest, lab.lab_id in demand.preferred)


def _static_stages(demand: Demand, now: datetime, settings: SchedulerSettings):
    """(reason, keep) in order; a request's reason is the stage that removed the last lab."""
    live_since = now - timedelta(hours=settings.liveness_hours)
    return (
        (Reason.SAMPLES_EXCEED_LAB_LIMIT, lambda o: demand.samples <= o.terms.max_samples),
        (Reason.ACCREDITATION_EXPIRES_BEFORE_DEADLINE,
         lambda o: o.release + o.terms.duration <= latest_test_end(settings.reporting_days, o.lab.valid_until)),
        (Reason.LAB_AGENT_OFFLINE, lambda o: o.lab.heartbeat_at is not None and o.lab.heartbeat_at >= live_since),
    )


def _exclusion_stages(demand: Demand):
    return (
        (Reason.EXCLUDED_BY_SUPPLIER, lambda o: o.lab.lab_id not in demand.excluded),
        (Reason.ALL_CANDIDATES_DECLINED, lambda o: o.lab.lab_id not in demand.declined),
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
        return [], Reason.NO_ACCREDITED_LAB
    return _filter(accredited, _static_stages(demand, now, settings))


def screen_lab(demand: Demand, lab: LabState, now: datetime, settings: SchedulerSettings) -> Option | None:
    """`screen` for one lab: its Option if it passes every calendar-free constraint, else
    None (a plan's placement re-checked each round needs its own lab, not the method's
    every lab: at 100x a quarter of a round went into screening the others)."""
    if not lab.active or demand.method not in lab.terms:
        return None
    option = _option(demand, lab, now, settings)
    return option if all(keep(option) for _, keep in _static_stages(demand, now, settings)) else None


def earliest_start(option: Option, calendar: Calendar) -> datetime | None:
    return calendar.earliest_fit(option.lab.lab_id, option.method, option.release, option.terms.duration,
                                 option.windows())


def match_one(demand: Demand, labs: Iterable[LabState], calendar: Calendar, now: datetime,
              settings: SchedulerSettings) -> Assignment | Unmatched:
    """The best lab and slot for one request, or why there is none. Reserves nothing.

    The outlook's compiled search (outlook.py) scores the labs whose start it knows, in
    order of a floor under their score, until the floor passes the best found; the
    others that may still beat it are scored here through the calendar, lowest bound
    first. `match_exhaustive` gives the same answer by scoring every lab (the property
    tests check this)."""
    if settings.weight_load < 0 or settings.weight_completion_per_day < 0:
        return match_exhaustive(demand, labs, calendar, now, settings)  # the bounds need both >= 0
    index = index_labs(labs)
    table, short = index.view(demand.method, demand.origin, settings)
    if not len(table):
        return Unmatched(demand.request_id, Reason.NO_ACCREDITED_LAB)
    now_us = micros(now)
    outlook = Outlook.of(index, calendar, table, demand.method, settings, now, now_us)
    barred, preferred = table.nobody, NO_LABS
    if demand.excluded or demand.declined or demand.preferred:
        allowed = demand.preferred - demand.excluded - demand.declined
        barred, preferred = table.nobody.copy(), np.array(table.positions(allowed), dtype=np.int64)
        barred[table.positions(demand.excluded | demand.declined | demand.preferred)] = True
    best_k, best_score, best_start, pending, bounds = outlook.search(short, demand, now_us, settings,
                                                                     barred, preferred)
    search = _Search(demand, table, calendar, now, settings)
    if best_k >= 0:
        search.take(best_k, best_start, best_score)
    for k, bound in zip(pending.tolist(), bounds.tolist()):
        if search.best is not None and bound > search.best.score:
            break
        search.score(k, outlook)
    if search.best is not None:
        return search.best
    stages = short.stages(table, demand, now, settings)
    return Unmatched(demand.request_id, _reason(demand, table, stages, calendar, now, settings))


def promising(demand: Demand, labs: Iterable[LabState], calendar: Calendar, now: datetime,
              settings: SchedulerSettings, n: int) -> list[Option]:
    """The n labs with the lowest bound on their score that may take the request (for the
    joint solver: an exact score needs a start, which is what the solver chooses)."""
    index = index_labs(labs)
    table, short = index.view(demand.method, demand.origin, settings)
    if not len(table):
        return []
    now_us = micros(now)
    outlook = Outlook.of(index, calendar, table, demand.method, settings, now, now_us)
    bounds = outlook.bounds(short, demand, now_us, settings)
    bounds[table.positions(demand.excluded | demand.declined)] = np.inf
    bounds[table.positions(demand.preferred)] -= settings.bonus_preferred
    best = np.argsort(bounds, kind="stable")[:n]
    return [_option(demand, table.labs[k], now, settings) for k in best.tolist() if bounds[k] < np.inf]


class _Search:
    """One request's search: the best assignment so far."""

    def __init__(self, demand: Demand, table: MethodTable, calendar: Calendar, now: datetime,
                 settings: SchedulerSettings) -> None:
        self.demand, self.table, self.calendar, self.now, self.settings = demand, table, calendar, now, settings
        self.reporting = timedelta(days=settings.reporting_days)
        self.best: Assignment | None = None

    def offer(self, a: Assignment) -> None:
        if self.best is None or (a.score, a.lab_id) < (self.best.score, self.best.lab_id):
            self.best = a  # ties to the lower lab id

    def take(self, k: int, start_us: int, score: float) -> None:
        """A lab scored by the outlook's search, starting at start_us."""
        lab = self.table.labs[k]
        duration = lab.terms[self.demand.method].duration
        start = EPOCH + start_us * US
        self.offer(Assignment(self.demand.request_id, lab.lab_id, self.demand.method, start,
                              start + duration, start + duration + self.reporting, score))

    def score(self, k: int, outlook: Outlook) -> None:
        """A lab the outlook could not score: its start through the calendar, its score by
        Option.score_at."""
        earliest = outlook.learn(self.calendar, k, self.now)
        if earliest is None:
            return  # no room from the earliest possible arrival on, so none from this one
        option = _option(self.demand, self.table.labs[k], self.now, self.settings)
        terms = option.terms
        start = earliest if option.release <= earliest else self.calendar.earliest_fit(
            option.lab.lab_id, option.method, option.release, terms.duration, terms.windows)
        # Within this request's deadline and the accreditation (a window already holds it;
        # the earliest fit ending too late means every later one does too).
        if start is None or start + terms.duration > option.latest_end:
            return
        self.offer(option.assignment(self.demand.request_id, start, self.reporting,
                                     option.score_at(start, self.calendar, self.now, self.settings)))


def _reason(demand: Demand, table: MethodTable, stages, calendar: Calendar, now: datetime,
            settings: SchedulerSettings) -> str:
    """Why nothing was found: the stage that removed the last lab (as match_exhaustive)."""
    for reason, mask in ((Reason.SAMPLES_EXCEED_LAB_LIMIT, stages.samples),
                         (Reason.ACCREDITATION_EXPIRES_BEFORE_DEADLINE, stages.accreditation),
                         (Reason.LAB_AGENT_OFFLINE, stages.live)):
        if not mask.any():
            return reason
    # The search saw every allowed lab fail, so only a barred lab can still have a free slot.
    fitting = [table.ids[k] for k in sorted(table.positions(demand.excluded | demand.declined))
               if stages.fits_window[k]
               and earliest_start(_option(demand, table.labs[k], now, settings), calendar) is not None]
    if not fitting:
        return Reason.NO_CAPACITY_BEFORE_DEADLINE
    return Reason.EXCLUDED_BY_SUPPLIER if all(i in demand.excluded for i in fitting) else Reason.ALL_CANDIDATES_DECLINED


def match_exhaustive(demand: Demand, labs: Iterable[LabState], calendar: Calendar, now: datetime,
                     settings: SchedulerSettings) -> Assignment | Unmatched:
    """match_one by scoring every lab that passes the calendar-free constraints."""
    options, reason = screen(demand, labs, now, settings)
    fits = {o.lab.lab_id: s for o in options if (s := earliest_start(o, calendar)) is not None}
    if not reason and not fits:
        reason = Reason.NO_CAPACITY_BEFORE_DEADLINE
    if not reason:
        # Exclusions come after capacity so "declined" means "every lab that could do it declined".
        options, reason = _filter([o for o in options if o.lab.lab_id in fits], _exclusion_stages(demand))
    if reason:
        return Unmatched(demand.request_id, reason)
    reporting = timedelta(days=settings.reporting_days)
    scored = [o.assignment(demand.request_id, fits[o.lab.lab_id], reporting,
                           o.score_at(fits[o.lab.lab_id], calendar, now, settings)) for o in options]
    return min(scored, key=lambda a: (a.score, a.lab_id))
