"""Capacity calendars: `slots` parallel lanes per (lab, method), never over-committed.

Overlap counting is enough to model lanes: intervals whose overlap never exceeds
`slots` can always be laid onto `slots` lanes (interval graphs are perfect), so
the calendar stores reservations, not lane numbers.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class Window:
    """A lab's advertised capacity for one method: `slots` lanes within [start, end]."""

    slots: int
    start: datetime
    end: datetime

    def capped(self, end: datetime) -> "Window":
        return Window(self.slots, self.start, min(self.end, end))


@dataclass(frozen=True)
class Reservation:
    key: str  # the request id, so a redelivered ReserveSlot is recognised
    start: datetime
    end: datetime


class Calendar:
    """Reservations per (lab_id, method_code); the reservation agent is its single writer."""

    def __init__(self) -> None:
        self._booked: dict[tuple[str, str], list[Reservation]] = {}
        self._owned: set[tuple[str, str]] = set()  # lists this calendar may change in place
        # Matching remembers lower bounds learned on this calendar (matching.Frontier); they
        # stay valid while reservations are only added, so every release is logged.
        self.releases: list[tuple[str, str]] = []
        self._versions: dict[tuple[str, str], int] = {}
        self.frontiers: dict = {}
        # Answers per (lab_id, method), valid until its reservations change (`_changes`).
        self._changes: dict[tuple[str, str], int] = {}
        self._fits: dict[tuple[str, str], tuple] = {}
        self._hours: dict[tuple[str, str], tuple] = {}

    def copy(self) -> "Calendar":
        """Copy-on-write: lists are shared until either side writes (the batch solver copies
        a calendar of every reservation per window; copying the lists made it quadratic)."""
        other = Calendar()  # with no frontiers: what they learned is about this calendar
        other._booked = dict(self._booked)
        self._owned = set()
        return other

    def _writable(self, lab_id: str, method: str) -> list[Reservation]:
        key = (lab_id, method)
        self._changes[key] = self._changes.get(key, 0) + 1
        if key not in self._owned:
            self._booked[key] = list(self._booked.get(key, ()))
            self._owned.add(key)
        return self._booked[key]

    def load(self, lab_id: str, method: str, reservation: Reservation) -> None:
        """Put back a stored reservation (the reservation agent's table) without checks."""
        self._writable(lab_id, method).append(reservation)

    def reservations(self, lab_id: str, method: str) -> tuple[Reservation, ...]:
        return tuple(self._booked.get((lab_id, method), ()))

    def peak(self, lab_id: str, method: str, start: datetime, end: datetime) -> int:
        """Most reservations overlapping at any instant of [start, end)."""
        events = []
        for r in self._booked.get((lab_id, method), ()):
            if r.start < end and r.end > start:
                events += [(max(r.start, start), 1), (min(r.end, end), -1)]
        events.sort()  # at equal times -1 sorts first: half-open intervals that touch don't overlap
        running = best = 0
        for _, step in events:
            running += step
            best = max(best, running)
        return best

    def earliest_fit(self, lab_id: str, method: str, not_before: datetime,
                     duration: timedelta, window: Window) -> datetime | None:
        """Earliest start >= not_before with a free lane for `duration` inside `window`."""
        key = (lab_id, method)
        change = self._changes.get(key, 0)
        memo = self._fits.get(key)
        # The answer S for a bound B also answers any bound in [B, S]: nothing fitted
        # between B and S. No answer for B means none for any later bound.
        if memo is not None and memo[:3] == (change, duration, window) and memo[3] <= not_before and (
                memo[4] is None or not_before <= memo[4]):
            return memo[4]
        start = self._earliest_fit(key, not_before, duration, window)
        self._fits[key] = (change, duration, window, not_before, start)
        return start

    def _earliest_fit(self, key, not_before: datetime, duration: timedelta, window: Window) -> datetime | None:
        lower = max(not_before, window.start)
        # The earliest feasible start is the lower bound or the end of some reservation:
        # sliding a feasible start left only adds intervals that end in between.
        ends = {r.end for r in self._booked.get(key, ()) if r.end > lower}
        for start in sorted({lower} | ends):
            if start + duration > window.end:
                return None
            if self.peak(*key, start, start + duration) < window.slots:
                return start
        return None

    def reserve(self, lab_id: str, method: str, key: str, start: datetime,
                end: datetime, window: Window) -> bool:
        """Book [start, end) unless that would over-commit; idempotent per key."""
        for r in self._booked.get((lab_id, method), ()):
            if r.key == key:
                return (r.start, r.end) == (start, end)
        if start < window.start or end > window.end or end <= start:
            return False
        if self.peak(lab_id, method, start, end) >= window.slots:
            return False
        self._writable(lab_id, method).append(Reservation(key, start, end))
        return True

    def release(self, lab_id: str, method: str, key: str) -> bool:
        booked = self._booked.get((lab_id, method), [])
        kept = [r for r in booked if r.key != key]
        if len(kept) == len(booked):
            return False
        self._writable(lab_id, method)[:] = kept
        self._versions[(lab_id, method)] = self.version(lab_id, method) + 1
        self.releases.append((lab_id, method))
        return True

    def version(self, lab_id: str, method: str) -> int:
        """How many releases (lab_id, method) has seen."""
        return self._versions.get((lab_id, method), 0)

    def reserved_hours(self, lab_id: str, method: str, window: Window) -> float:
        key = (lab_id, method)
        change = self._changes.get(key, 0)
        memo = self._hours.get(key)
        if memo is not None and memo[:2] == (change, window):
            return memo[2]
        total = timedelta()
        for r in self._booked.get(key, ()):
            total += max(timedelta(), min(r.end, window.end) - max(r.start, window.start))
        hours = total / timedelta(hours=1)
        self._hours[key] = (change, window, hours)
        return hours
