"""How a method's labs look on one calendar: load and the earliest a test could start.

Matching bounds every lab's score at once from this, then scores labs in order of
their bound until none can beat the best found. Per lab it keeps:

- its load, exact: recomputed whenever the lab's reservations change;
- per window, `lanes_free`: from when fewer reservations run than the window has
  lanes (a test that the window holds from then on starts then);
- `free_from`, the lab's earliest fit from the earliest instant any samples could
  arrive, found when the lab was first scored and again whenever it changes (0 until
  then). A later `now` only delays arrival, so it is the start for any arrival up to
  it, and no test starts before it.

The earliest start a lab allows is then the first instant from max(arrival,
free_from) at which one of its windows holds the whole test in time (windows in time
order: a later one when an earlier is too short or full up to its end). It is the
start where that window has a lane free from then on, or the samples arrive by
free_from; the score is then computed with the same operations as through the
calendar, so most requests never reach the calendar's datetimes.
"""
from __future__ import annotations

from datetime import datetime, timedelta

import numba
import numpy as np

from schemas import planning

from .labindex import NEVER as ALWAYS, MethodTable, Shortlist, micros, test_end_by
from .scoring import (BASE, DAY_US, DURATION, FIRST_WINDOW, FIXED, FLOOR, FREE_FROM, LAB, LAYOUT, LOAD_TERM,
                      MARGIN, MAX_SAMPLES, PAST_WINDOW, ROW_WIDTH, SHIPPING_US, STATE_WIDTH, USABLE_UNTIL,
                      WINDOW_END, WINDOW_START, WINDOW_WIDTH, load_term)

NEVER_FITS = np.iinfo(np.int64).max // 4
FIRST_ARRIVAL = timedelta(days=planning.MIN_SHIPPING_DAYS)  # no samples arrive sooner


class Outlook:
    """One method's labs on one calendar, kept by the LabIndex whose table it reads
    (LabIndex.outlooks, weak on the calendar), never by the calendar: the calendar is
    passed in, and tells what changed since the outlook last looked by its version."""

    def __init__(self, calendar, table: MethodTable, method: str, settings, now_us: int) -> None:
        fresh_kernels()
        self.table, self.method, self.settings = table, method, settings
        self.since_us = now_us
        self.version = calendar.version(method)
        # A row per lab (the search reads one lab's at once); instants in float64 microseconds,
        # exact below 2**53. free_from 0: nothing known yet. lanes_free: per row of table.windows.
        self.state = np.zeros((len(table), STATE_WIDTH))
        self.lanes_free = np.zeros(len(table.windows))
        for k, lab in enumerate(table.labs):
            self._update(calendar, k, lab)

    @classmethod
    def of(cls, index, calendar, table: MethodTable, method: str, settings, now: datetime,
           now_us: int) -> "Outlook":
        """The index's outlook of the method on this calendar, caught up with it."""
        mine = index.outlooks.setdefault(calendar, {})
        outlook = mine.get(method)
        if (outlook is None or outlook.table is not table or outlook.settings.weight_load != settings.weight_load
                or now_us < outlook.since_us):
            outlook = mine[method] = cls(calendar, table, method, settings, now_us)
        outlook.since_us = now_us
        outlook._catch_up(calendar, now)
        return outlook

    def _catch_up(self, calendar, now: datetime) -> None:
        """Labs whose reservations changed: their load, lanes and earliest fit afresh (the
        fit now, while the calendar's memo of it is fresh, saves scoring them in Python)."""
        changed = dict.fromkeys(calendar.changed_since(self.method, self.version))
        self.version = calendar.version(self.method)
        for lab_id in changed:
            k = self.table.position.get(lab_id)
            if k is not None:
                self._update(calendar, k, self.table.labs[k])
                self.learn(calendar, k, now)

    def _update(self, calendar, k: int, lab) -> None:
        windows = lab.terms[self.method].windows
        share = calendar.booked_share(lab.lab_id, self.method, windows)
        self.state[k, LOAD_TERM] = load_term(share, self.settings)
        for w, window in enumerate(windows, start=int(self.table.first_window[k])):  # the table's order
            at = calendar.lanes_free_from(lab.lab_id, self.method, window.slots)
            self.lanes_free[w] = ALWAYS if at is None else micros(at)

    def search(self, short: Shortlist, demand, now_us: int, settings, barred: np.ndarray,
               preferred: np.ndarray) -> tuple:
        """The request's best lab among those whose start is known, and the others that may
        still beat it, by bound (see _search).

        `barred` labs are skipped; `preferred` ones (positions, also barred) all come back
        as candidates, their bound less the bonus."""
        return _search(short.rows, self.state, self.table.windows, self.lanes_free, barred, preferred,
                       settings.bonus_preferred, now_us, demand.samples, test_end_by(demand.deadline, settings),
                       settings.reporting_days * DAY_US, settings.weight_completion_per_day)

    def bounds(self, short: Shortlist, demand, now_us: int, settings) -> np.ndarray:
        """A lower bound on each lab's score for the request; inf where the lab can't take it."""
        return _bounds(short.rows, self.state, self.table.windows, self.lanes_free, now_us, demand.samples,
                       test_end_by(demand.deadline, settings), settings.weight_completion_per_day / DAY_US)

    def learn(self, calendar, k: int, now: datetime) -> datetime | None:
        """The lab's earliest fit from the earliest possible arrival, remembered as free_from."""
        lab = self.table.labs[k]
        terms = lab.terms[self.method]
        earliest = calendar.earliest_fit(lab.lab_id, self.method, now + FIRST_ARRIVAL, terms.duration, terms.windows)
        self.state[k, FREE_FROM] = NEVER_FITS if earliest is None else micros(earliest)
        return earliest


# Compiled: one pass over a method's labs (about 850 at 100x) per request; numpy's dozen
# operations on them took a quarter of all matching time (per-call cost, not arithmetic).
# Rows and columns as scoring names them (module-level ints: numba freezes them at compile time).


@numba.njit(inline="always")
def _room(windows, first, past, lower, duration, end_by):
    """(the earliest start >= lower at which one of the lab's windows, rows first:past of
    MethodTable.windows, holds the whole test ending by end_by; that row) or (NEVER_FITS,
    -1). Calendar-free: as Calendar.earliest_fit on an empty calendar."""
    for w in range(first, past):  # in time order: the first that holds it starts earliest
        start = max(lower, windows[w, WINDOW_START])
        if start + duration <= min(windows[w, WINDOW_END], end_by):
            return start, w
    return float(NEVER_FITS), -1


@numba.njit(inline="always")
def _lab(row, state, windows, lanes_free, now_us, samples, deadline_end, per_us):
    """(a lower bound on the lab's score, the earliest start it allows, whether that is the
    start): inf where a calendar-free constraint fails or no start ends in time."""
    release = now_us + row[SHIPPING_US]
    # No test starts before free_from, and none outside a window.
    start, w = _room(windows, int(row[FIRST_WINDOW]), int(row[PAST_WINDOW]), max(release, state[FREE_FROM]),
                     row[DURATION], deadline_end)
    if samples > row[MAX_SAMPLES] or now_us > row[USABLE_UNTIL] or w < 0:
        return np.inf, start, False
    # The start is known where the window has a lane free from it on, or the samples arrive
    # by free_from (the earliest fit from before they could arrive, so none between).
    known = start >= lanes_free[w] or release <= state[FREE_FROM]
    return row[BASE] + state[LOAD_TERM] + per_us * (start - now_us) - MARGIN, start, known


@numba.njit(cache=True, nogil=True)
def _rooms(windows, first, past, lower, duration, end_by):
    fits = np.empty(lower.shape[0], np.bool_)
    for k in range(lower.shape[0]):
        fits[k] = _room(windows, first[k], past[k], lower[k], duration[k], end_by)[1] >= 0
    return fits


def window_rooms(table: MethodTable, release: np.ndarray, end_by: int) -> np.ndarray:
    """Per lab of the table: does one of its windows hold the test from `release` (per
    lab, microseconds), ending by end_by? (Shortlist.stages' fits_window.)"""
    fresh_kernels()
    return _rooms(table.windows, table.first_window, table.past_window, release.astype(np.float64),
                  table.duration.astype(np.float64), float(end_by))


@numba.njit(cache=True, nogil=True)
def _search(rows, state, windows, lanes_free, barred, preferred, bonus, now_us, samples, deadline_end, reporting_us,
            per_day):
    """Labs in order of their floor until it passes the best score found: (best lab or -1,
    its score, its start, other candidates with their bound, lowest first)."""
    per_us = per_day / DAY_US
    best_k, best, best_start = -1, np.inf, 0.0
    pending_k, pending_bound, m = np.empty(rows.shape[0], np.int64), np.empty(rows.shape[0]), 0
    by_k = np.empty(rows.shape[0] if preferred.shape[0] else 0, np.int64)  # row of each lab
    for j in range(by_k.shape[0]):
        by_k[int(rows[j, LAB])] = j
    for k in preferred:  # the bonus takes them out of the floor's order; Option.score_at has it
        bound = _lab(rows[by_k[k]], state[k], windows, lanes_free, now_us, samples, deadline_end, per_us)[0]
        if bound < np.inf:
            pending_k[m], pending_bound[m], m = k, bound - bonus, m + 1
    for j in range(rows.shape[0]):
        row = rows[j]
        if row[FLOOR] > best:
            break
        k = int(row[LAB])
        if barred[k]:
            continue
        bound, start, known = _lab(row, state[k], windows, lanes_free, now_us, samples, deadline_end, per_us)
        if bound > best or bound == np.inf:
            continue
        if known:
            # Option.score_at's operations on the same values (exact integers in float64;
            # their division rounds as timedelta / timedelta does): the same float.
            score = row[FIXED] + state[k, LOAD_TERM] + per_day * ((start + row[DURATION] + reporting_us - now_us) / DAY_US)
            if score < best or (score == best and k < best_k):  # ties to the lower lab id
                best_k, best, best_start = k, score, start
        else:
            pending_k[m], pending_bound[m], m = k, bound, m + 1
    keep = np.nonzero(pending_bound[:m] <= best)[0]
    ranked = keep[np.argsort(pending_bound[keep])]
    return best_k, best, int(best_start), pending_k[ranked], pending_bound[ranked]


@numba.njit(cache=True, nogil=True)
def _bounds(rows, state, windows, lanes_free, now_us, samples, deadline_end, per_us):
    bounds = np.empty(rows.shape[0])
    for j in range(rows.shape[0]):
        k = int(rows[j, LAB])
        bounds[k] = _lab(rows[j], state[k], windows, lanes_free, now_us, samples, deadline_end, per_us)[0]
    return bounds


@numba.njit(cache=True)
def _layout():
    return LAYOUT  # as frozen when the kernels of this file were compiled


_FRESH = []  # [True] once the kernels are known to read scoring's layout


def fresh_kernels() -> None:
    """Recompile the cached kernels if they were compiled with another layout than
    scoring's (numba's cache only notices a change of this file)."""
    if not _FRESH:
        if _layout() != LAYOUT:
            for kernel in (_layout, _rooms, _search, _bounds):
                kernel.recompile()
        _FRESH.append(True)


def compile_search() -> None:
    """Compile (or load from numba's cache) the search before the first request needs it:
    a cold compile takes about 2 s, which a worker should spend at start, not mid-event."""
    fresh_kernels()
    rows, state = np.zeros((1, ROW_WIDTH)), np.zeros((1, STATE_WIDTH))
    windows, lanes_free = np.zeros((1, WINDOW_WIDTH)), np.zeros(1)
    _search(rows, state, windows, lanes_free, np.zeros(1, dtype=np.bool_), np.zeros(0, dtype=np.int64), 0.0, 0, 1, 0,
            0, 1.0)
    _bounds(rows, state, windows, lanes_free, 0, 1, 0, 1.0)
    _rooms(windows, np.zeros(1, dtype=np.int64), np.ones(1, dtype=np.int64), np.zeros(1), np.zeros(1), 0.0)
