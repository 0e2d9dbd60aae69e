"""How a method's labs look on one calendar: load and the earliest a test could start.

Matching bounds every lab's score at once from this, then scores labs exactly in
order of their bound until none can beat the best found. The bound needs, per lab:

- its load, kept exact: recomputed whenever the lab's reservations change;
- `free_from`, a time no test starts before: the lab's earliest fit from the
  earliest instant any samples could arrive, found when the lab was last scored.
  New reservations only push fits later and a later `now` only delays arrival, so it
  holds until a reservation of the lab is released (then it is forgotten).
"""
from __future__ import annotations

from datetime import datetime, timedelta

import numba
import numpy as np

from schemas import planning

from .labindex import DAY_US, MethodTable, Shortlist, micros, test_end_by

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

    @classmethod
    def of(cls, calendar, table: MethodTable, method: str, weight_load: float, now: datetime) -> "Outlook":
        now_us = micros(now)
        outlook = calendar.outlooks.get(method)
        if (outlook is None or outlook.table is not table or outlook.weight_load != weight_load
                or now_us < outlook.since_us):
            outlook = calendar.outlooks[method] = cls(calendar, table, method, weight_load, now_us)
        outlook.since_us = now_us
        outlook._catch_up()
        return outlook

    def _catch_up(self) -> None:
        changes = self.changes
        for lab_id, released in changes[self.seen_changes:]:
            k = self.table.position.get(lab_id)
            if k is not None:
                self.load_term[k] = self._load_term(self.table.labs[k])
                if released:
                    self.free_from[k] = 0
        self.seen_changes = len(changes)

    def _load_term(self, lab) -> float:
        return self.weight_load * self.calendar.booked_share(lab.lab_id, self.method, lab.terms[self.method].window)

    def bounds(self, short: Shortlist, demand, now_us: int, settings) -> np.ndarray:
        """A lower bound on each lab's score for the request; inf where the lab can't take it."""
        table = self.table
        return _bounds(table.max_samples, table.window_start, table.duration, table.end_limit,
                       short.shipping_us, short.usable_until, short.base, self.free_from, self.load_term,
                       now_us, demand.samples, test_end_by(demand.deadline, settings),
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
            free_from, load_term, now_us, samples, deadline_end, per_us):
    bound = np.empty(base.shape[0])
    for k in range(base.shape[0]):
        start = max(now_us + shipping_us[k], window_start[k], free_from[k])
        if (samples <= max_samples[k] and now_us <= usable_until[k]
                and start + duration[k] <= min(end_limit[k], deadline_end)):
            bound[k] = base[k] + load_term[k] + per_us * (start - now_us) - BOUND_MARGIN
        else:
            bound[k] = np.inf
    return bound
