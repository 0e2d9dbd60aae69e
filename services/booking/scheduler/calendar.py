"""Capacity calendars: per (lab, method), reservations in the lab's windows (windows.py),
never over-committing a window's lanes.

Overlap counting is enough to model lanes: intervals whose overlap never exceeds
`slots` can always be laid onto `slots` lanes (interval graphs are perfect), so
the calendar stores reservations, not lane numbers.
"""
from __future__ import annotations

import bisect
from dataclasses import dataclass
from datetime import datetime, timedelta

from .windows import HOUR, Window, Windows


@dataclass(frozen=True)
class Reservation:
    key: str  # the request id, so a redelivered ReserveSlot is recognised
    start: datetime
    end: datetime


class _Book:
    """One lab+method's reservations, sorted by end so searches skip those already over."""

    __slots__ = ("reservations", "ends", "total", "first_start", "last_end", "by_key")

    def __init__(self, reservations: list[Reservation]) -> None:
        self.reservations = sorted(reservations, key=lambda r: r.end)
        self.ends = [r.end for r in self.reservations]
        self.total = sum((r.end - r.start for r in self.reservations), timedelta())
        self.first_start = min((r.start for r in self.reservations), default=None)
        self.last_end = self.ends[-1] if self.ends else None
        self.by_key = {r.key: r for r in self.reservations}

    def add(self, r: Reservation) -> None:
        at = bisect.bisect_right(self.ends, r.end)
        self.reservations.insert(at, r)
        self.ends.insert(at, r.end)
        self.total += r.end - r.start
        self.first_start = r.start if self.first_start is None else min(self.first_start, r.start)
        self.last_end = self.ends[-1]
        self.by_key[r.key] = r

    def after(self, instant: datetime) -> list[Reservation]:
        """Reservations still running after `instant`."""
        return self.reservations[bisect.bisect_right(self.ends, instant):]


EMPTY = _Book([])


def _first_fit(running: list[Reservation], lower: datetime, duration: timedelta, end: datetime,
               slots: int) -> datetime | None:
    """The first start >= lower whose whole run [start, start + duration) overlaps fewer
    than `slots` of `running` and ends by `end`: one sweep over how many run when."""
    steps: dict[datetime, int] = {}
    for r in running:
        at = max(r.start, lower)
        steps[at] = steps.get(at, 0) + 1
        steps[r.end] = steps.get(r.end, 0) - 1
    start, occupied = lower, 0
    times = sorted(steps)
    for i, at in enumerate(times):
        if at >= start + duration:
            break  # the run ends before the next change: it fits
        occupied += steps[at]
        # From `at` to the next change `occupied` run; a full stretch pushes the start past it.
        if occupied >= slots:
            start = max(start, times[i + 1]) if i + 1 < len(times) else None
            if start is None:
                return None
    return start if start + duration <= end else None


class Calendar:
    """Reservations per (lab_id, method_code); the reservation agent is its single writer."""

    def __init__(self) -> None:
        self._books: dict[tuple[str, str], _Book] = {}
        # Per method, the lab of every change (readers catch up from a version: changed_since).
        self._log: dict[str, list[str]] = {}
        # The last earliest_fit per (lab_id, method), valid until its reservations change.
        self._changes: dict[tuple[str, str], int] = {}
        self._fits: dict[tuple[str, str], tuple] = {}

    def _changed(self, lab_id: str, method: str) -> _Book:
        """Note a change of the lab+method's reservations; its book, to change."""
        key = (lab_id, method)
        self._changes[key] = self._changes.get(key, 0) + 1
        self._log.setdefault(method, []).append(lab_id)
        book = self._books.get(key)
        if book is None:
            book = self._books[key] = _Book([])
        return book

    def version(self, method: str) -> int:
        """How many changes the method's reservations have had (at any lab)."""
        return len(self._log.get(method, ()))

    def changed_since(self, method: str, version: int) -> list[str]:
        """The labs whose reservations for the method changed since `version`, in order
        (one changed twice, twice)."""
        return self._log.get(method, [])[version:]

    def load(self, lab_id: str, method: str, reservation: Reservation) -> None:
        """Put back a stored reservation (the reservation agent's table) without checks."""
        self._changed(lab_id, method).add(reservation)

    def reservations(self, lab_id: str, method: str) -> tuple[Reservation, ...]:
        return tuple(self._books.get((lab_id, method), EMPTY).reservations)

    def peak(self, lab_id: str, method: str, start: datetime, end: datetime) -> int:
        """Most reservations overlapping at any instant of [start, end)."""
        overlapping = [r for r in self._books.get((lab_id, method), EMPTY).after(start) if r.start < end]
        if len(overlapping) < 2:
            return len(overlapping)
        events = []
        for r in overlapping:
            events += [(max(r.start, start), 1), (min(r.end, end), -1)]
        events.sort()  # at equal times -1 sorts first: half-open intervals that touch don't overlap
        running = best = 0
        for _, step in events:
            running += step
            best = max(best, running)
        return best

    def earliest_fit(self, lab_id: str, method: str, not_before: datetime,
                     duration: timedelta, windows: Windows | Window) -> datetime | None:
        """Earliest start >= not_before with a free lane for `duration` inside one of the
        windows (a single Window: inside it)."""
        windows = Windows.of(windows)
        key = (lab_id, method)
        change = self._changes.get(key, 0)
        memo = self._fits.get(key)
        # The answer S for a bound B also answers any bound in [B, S]: nothing fitted
        # between B and S. No answer for B means none for any later bound.
        if memo is not None:
            change_was, duration_was, windows_was, bound, start = memo
            if (change_was == change and duration_was == duration and (windows_was is windows or windows_was == windows)
                    and bound <= not_before and (start is None or not_before <= start)):
                return start
        start = self._earliest_fit(key, not_before, duration, windows)
        self._fits[key] = (change, duration, windows, not_before, start)
        return start

    def _earliest_fit(self, key, not_before: datetime, duration: timedelta, windows: Windows) -> datetime | None:
        # Windows are in time order and never overlap: the first that fits it has the earliest start.
        for window in windows:
            if not_before + duration <= window.end:
                start = self._fit_in(key, not_before, duration, window)
                if start is not None:
                    return start
        return None

    def _fit_in(self, key, not_before: datetime, duration: timedelta, window: Window) -> datetime | None:
        lower = max(not_before, window.start)
        free = self.lanes_free_from(*key, window.slots)
        if free is None or free <= lower:
            return lower if lower + duration <= window.end else None
        return _first_fit(self._books[key].after(lower), lower, duration, window.end, window.slots)

    def lanes_free_from(self, lab_id: str, method: str, slots: int) -> datetime | None:
        """From when fewer than `slots` (>= 1) reservations run, so a lane is free for any
        length (None: from the start). The `slots`-th latest end."""
        ends = self._books.get((lab_id, method), EMPTY).ends
        return ends[len(ends) - slots] if len(ends) >= slots else None

    def reserve(self, lab_id: str, method: str, key: str, start: datetime,
                end: datetime, windows: Windows | Window) -> bool:
        """Book [start, end) unless it leaves every window or would over-commit the lanes of
        the one it lies in; idempotent per key."""
        r = self._books.get((lab_id, method), EMPTY).by_key.get(key)
        if r is not None:
            return (r.start, r.end) == (start, end)
        window = Windows.of(windows).holding(start, end)
        if window is None or end <= start:
            return False
        free = self.lanes_free_from(lab_id, method, window.slots)
        if not (free is None or free <= start) and self.peak(lab_id, method, start, end) >= window.slots:
            return False
        self._changed(lab_id, method).add(Reservation(key, start, end))
        return True

    def put(self, lab_id: str, method: str, reservation: Reservation) -> None:
        """Take one reservation as its single writer has it now (the matching side's copy);
        the same one again changes nothing, so a change each partition hears costs once."""
        known = self._books.get((lab_id, method), EMPTY).by_key.get(reservation.key)
        if known is not None and (known.start, known.end) == (reservation.start, reservation.end):
            return
        if known is not None:
            self.release(lab_id, method, reservation.key)
        self._changed(lab_id, method).add(reservation)

    def release(self, lab_id: str, method: str, key: str) -> bool:
        book = self._books.get((lab_id, method), EMPTY)
        if key not in book.by_key:
            return False
        self._changed(lab_id, method)
        self._books[(lab_id, method)] = _Book([r for r in book.reservations if r.key != key])
        return True

    def replace(self, lab_id: str, method: str, reservations: list[Reservation]) -> None:
        """Take a lab+method's reservations as its single writer now has them (the matching
        side's copy of a calendar it does not own)."""
        self._changed(lab_id, method)
        self._books[(lab_id, method)] = _Book(list(reservations))

    def booked_share(self, lab_id: str, method: str, windows: Windows | Window | None) -> float:
        """The reserved share of a lab+method's advertised capacity (1 when it advertised none)."""
        windows = Windows.of(windows)
        capacity_h = windows.capacity_hours
        return self.reserved_hours(lab_id, method, windows) / capacity_h if capacity_h else 1.0

    def reserved_hours(self, lab_id: str, method: str, windows: Windows | Window) -> float:
        """Hours reserved inside the windows (a reservation loaded unchecked may stick out)."""
        book = self._books.get((lab_id, method), EMPTY)
        if book.first_start is None:
            return 0.0
        windows = Windows.of(windows)
        if windows.holding(book.first_start, book.last_end) is not None:
            return book.total / HOUR  # nothing to clip (what the reservation agent books in one window)
        total = timedelta()
        for r in book.reservations:
            for w in windows:
                total += max(timedelta(), min(r.end, w.end) - max(r.start, w.start))
        return total / HOUR
