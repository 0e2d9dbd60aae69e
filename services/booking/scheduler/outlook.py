"""How a method's labs look on one calendar: load and the earliest a test could start.

Matching bounds every lab's score at once from this, then scores labs in order of
their bound until none can beat the best found. Per lab it keeps:

- its load, exact: recomputed whenever the lab's reservations change;
- `lanes_free`, from when fewer reservations run than it has lanes (a test arriving
  then starts on arrival);
- `free_from`, the lab's earliest fit from the earliest instant any samples could
  arrive, found when the lab was first scored and again whenever it changes (0 until
  then). A later `now` only delays arrival, so it is the start for any arrival up to
  it, and no test starts before it.

Where the start is known (a lane free on arrival, or the fit known), the score is
computed from these columns with the same operations as from the calendar, so most
requests never reach the calendar's datetimes.
"""
from __future__ import annotations

from datetime import datetime, timedelta

import numba
import numpy as np

from schemas import planning

from .labindex import DAY_US, NEVER as ALWAYS, MethodTable, Shortlist, micros, test_end_by

NEVER_FITS = np.iinfo(np.int64).max // 4
# The numpy bound is rounded differently from the exact score; this margin keeps it a
# lower bound (a score unit is about a day, so 1e-6 is a tenth of a second).
BOUND_MARGIN = 1e-6


class Outlook:
    def __init__(self, calendar, table: MethodTable, method: str, weight_load: float, now_us: int) -> None:
        self.calendar, self.table, self.method, self.weight_load = calendar, table, method, weight_load
        self.since_us = now_us
        self.changes = calendar.changes.setdefault(method, [])
        self.seen_changes = len(self.changes)
        self.free_from = np.zeros(len(table), dtype=np.int64)  # 0: nothing known
        self.load_term = np.array([self._load_term(lab) for lab in table.labs], dtype=np.float64)
        self.lanes_free = np.array([self._lanes_free(lab) for lab in table.labs], dtype=np.int64)

    @classmethod
    def of(cls, calendar, table: MethodTable, method: str, weight_load: float, now: datetime) -> "Outlook":
        now_us = micros(now)
        outlook = calendar.outlooks.get(method)
        if (outlook is None or outlook.table is not table or outlook.weight_load != weight_load
                or now_us < outlook.since_us):
            outlook = calendar.outlooks[method] = cls(calendar, table, method, weight_load, now_us)
        outlook.since_us = now_us
        outlook._catch_up(now)
        return outlook

    def _catch_up(self, now: datetime) -> None:
        """Labs whose reservations changed: their load, lanes and earliest fit afresh (the
        fit now, while the calendar's memo of it is fresh, saves scoring them in Python)."""
        changed = dict.fromkeys(self.changes[self.seen_changes:])
        self.seen_changes = len(self.changes)
        for lab_id in changed:
            k = self.table.position.get(lab_id)
            if k is not None:
                self.load_term[k] = self._load_term(self.table.labs[k])
                self.lanes_free[k] = self._lanes_free(self.table.labs[k])
                self.learn(k, now)

    def _load_term(self, lab) -> float:
        return self.weight_load * self.calendar.booked_share(lab.lab_id, self.method, lab.terms[self.method].window)

    def _lanes_free(self, lab) -> int:
        window = lab.terms[self.method].window
        if window is None or window.slots < 1:
            return NEVER_FITS
        at = self.calendar.lanes_free_from(lab.lab_id, self.method, window.slots)
        return ALWAYS if at is None else micros(at)

    def bounds(self, short: Shortlist, demand, now_us: int, settings) -> tuple[np.ndarray, np.ndarray]:
        """Per lab, a lower bound on the request's score (inf where the lab can't take it)
        and whether the test's start is known to be max(arrival, free_from): a lane is free
        from the samples' arrival on, or the samples arrive by free_from (the earliest fit
        from before they could arrive, so none between).
        Excluded and preferred labs are the caller's to adjust."""
        table = self.table
        return _bounds(table.max_samples, table.window_start, table.duration, table.end_limit,
                       short.shipping_us, short.usable_until, short.base, self.free_from, self.lanes_free, self.load_term, now_us, demand.samples, test_end_by(demand.deadline, settings),
                       settings.weight_completion_per_day / DAY_US)

    def learn(self, k: int, now: datetime) -> datetime | None:
        """The lab's earliest fit from the earliest possible arrival, remembered as free_from."""
        lab = self.table.labs[k]
        terms = lab.terms[self.method]
        earliest = self.calendar.earliest_fit(lab.lab_id, self.method,
                                              now + timedelta(days=planning.MIN_SHIPPING_DAYS),
                                              terms.duration, terms.window)
        self.free_from[k] = NEVER_FITS if earliest is None else micros(earliest)
        return earliest


# Compiled: a request's bounds are one pass over about 850 labs, and numpy's dozen
# operations on them took a quarter of all matching time (per-call cost, not arithmetic).
@numba.njit(cache=True, nogil=True)
def _bounds(max_samples, window_start, duration, end_limit, shipping_us, usable_until, base,
            free_from, lanes_free, load_term, now_us, samples, deadline_end, per_us):
    bound, known = np.empty(base.shape[0]), np.zeros(base.shape[0], dtype=np.bool_)
    for k in range(base.shape[0]):
        arrival = max(now_us + shipping_us[k], window_start[k])
        start = max(arrival, free_from[k])
        if (samples <= max_samples[k] and now_us <= usable_until[k]
                and start + duration[k] <= min(end_limit[k], deadline_end)):
            bound[k] = base[k] + load_term[k] + per_us * (start - now_us) - BOUND_MARGIN
            known[k] = arrival >= lanes_free[k] or arrival <= free_from[k]
        else:
            bound[k] = np.inf
    return bound, known
