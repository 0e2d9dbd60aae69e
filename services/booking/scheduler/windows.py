"""A lab's advertised capacity for a method: windows of `slots` parallel lanes.

A lab may advertise several windows for a method (a maintenance break splits the
year); the labs API refuses overlapping ones. A test runs inside one window, on
that window's lanes: never across a break, even between windows that touch.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cached_property

HOUR = timedelta(hours=1)


@dataclass(frozen=True)
class Window:
    """A lab's advertised capacity for one method: `slots` lanes within [start, end]."""

    slots: int
    start: datetime
    end: datetime

    def capped(self, end: datetime) -> "Window":
        return Window(self.slots, self.start, min(self.end, end))

    @cached_property
    def capacity_hours(self) -> float:
        return self.slots * (self.end - self.start) / HOUR


class Windows(tuple):
    """A lab's advertised capacity for one method: its windows in time order (empty: none
    advertised). A window without a lane can hold nothing, so it is left out here and no
    rule has to skip it."""

    def __new__(cls, windows: Iterable[Window] = ()) -> "Windows":
        return super().__new__(cls, sorted((w for w in windows if w.slots >= 1), key=lambda w: (w.start, w.end)))

    @classmethod
    def of(cls, capacity: "Windows | Window | Iterable[Window] | None") -> "Windows":
        """As Windows: a single Window (or None, nothing) is what callers passed before
        labs had several windows per method."""
        if isinstance(capacity, Windows):
            return capacity
        if capacity is None:
            return EMPTY_WINDOWS
        return cls((capacity,) if isinstance(capacity, Window) else capacity)

    def capped(self, end: datetime) -> "Windows":
        """The capacity usable by tests ending by `end`."""
        return Windows(w.capped(end) for w in self if w.start < end)

    def holding(self, start: datetime, end: datetime) -> Window | None:
        """The window [start, end) lies wholly inside, if any."""
        for w in self:  # a loop, not next(genexpr): this runs for every reservation
            if w.start <= start and end <= w.end:
                return w
        return None

    @cached_property
    def capacity_hours(self) -> float:
        return sum(w.capacity_hours for w in self)


EMPTY_WINDOWS = Windows()


def by_method(advertised: Iterable[tuple[str, Window]]) -> dict[str, Windows]:
    """(method_code, window) pairs, every one of them kept, as each method's Windows."""
    grouped: dict[str, list[Window]] = {}
    for method, window in advertised:
        grouped.setdefault(method, []).append(window)
    return {method: Windows(windows) for method, windows in grouped.items()}
