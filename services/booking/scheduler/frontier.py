"""Which lab to look at next for a request, remembering what earlier requests learned.

A shortlist orders a method's labs by a bound that holds at any time (no load, the
test starting when the samples arrive). Once a lab has been looked at on a calendar,
its earliest completion and its load give a higher bound, and that one still holds
for every later search on the same calendar until one of the lab's reservations is
released: new reservations only push starts later and load up, and a later `now`
only delays arrival. So a lab that is booked up for weeks sinks in the order and
stops being looked at by every request passing it, which is what keeps matching
fast when hundreds of labs hold a method.

Bounds here are absolute (score + completion weight x days since the epoch) so
bounds learned at different instants compare; a static bound becomes absolute by
adding the same offset for everyone.
"""
from __future__ import annotations

import heapq
import math
from collections.abc import Iterator

from .labindex import MethodTable, Shortlist

KEEP, LEARNED, DROPPED = "keep", "learned", "dropped"


class Frontier:
    def __init__(self, short: Shortlist, table: MethodTable, method: str, calendar, now_us: int) -> None:
        self.short, self.table, self.method, self.calendar = short, table, method, calendar
        self.since_us = now_us  # learned bounds assume no search at an earlier instant
        self.cursor = 0  # into short.order: labs never looked at on this calendar
        self.statics: list[tuple[float, str, int]] = []  # (static bound, id, lab) back in play
        self.learned: list[tuple[float, str, int, int]] = []  # (absolute bound, id, lab, calendar version)
        self.seen_releases = len(calendar.releases)
        self._fate: str = KEEP

    @classmethod
    def of(cls, calendar, short: Shortlist, table: MethodTable, method: str, now_us: int) -> "Frontier":
        key = (method, short.origin)  # one per shortlist: a new lab index starts afresh
        frontier = calendar.frontiers.get(key)
        if frontier is None or frontier.short is not short or now_us < frontier.since_us:
            frontier = calendar.frontiers[key] = cls(short, table, method, calendar, now_us)
        return frontier

    def learn(self, k: int, absolute_bound: float) -> None:
        heapq.heappush(self.learned, (absolute_bound, self.table.ids[k], k,
                                      self.calendar.version(self.table.ids[k], self.method)))
        self._fate = LEARNED

    def drop(self) -> None:
        """The lab can't fit on this calendar from now on, whatever the request (until a release)."""
        self._fate = DROPPED

    def walk(self, offset: float) -> Iterator[tuple[int, float]]:
        """(lab, bound relative to now), lowest first, each lab once. After each, the caller
        calls learn or drop, or neither: then the lab keeps its place for later requests."""
        self._absorb_releases()
        seen: set[int] = set()
        aside: list[tuple[str, tuple]] = []
        pending = None  # the lab being looked at: kept if the caller stops here
        try:
            while (item := self._pop(offset)) is not None:
                where, entry, k, bound = item
                if k in seen:  # looked at in this walk already
                    if where == "learned":
                        aside.append((where, entry))  # maybe what this walk just learned
                    continue
                seen.add(k)
                self._fate, pending = KEEP, (where, entry)
                yield k, bound - offset
                if self._fate == KEEP:
                    aside.append(pending)
                pending = None
        finally:
            if pending is not None and self._fate == KEEP:
                aside.append(pending)
            for where, entry in aside:
                heapq.heappush(self.learned if where == "learned" else self.statics, entry)

    def _pop(self, offset: float):
        order, bounds = self.short.order_list, self.short.bounds
        while True:
            c = bounds[self.cursor] + offset if self.cursor < len(order) else math.inf
            s = self.statics[0][0] + offset if self.statics else math.inf
            learned = self.learned[0][0] if self.learned else math.inf
            if c == s == learned == math.inf:
                return None
            if c <= s and c <= learned:
                k = order[self.cursor]
                self.cursor += 1
                return "statics", (bounds[self.cursor - 1], self.table.ids[k], k), k, c
            if s <= learned:
                entry = heapq.heappop(self.statics)
                return "statics", entry, entry[2], s
            entry = heapq.heappop(self.learned)
            if entry[3] == self.calendar.version(entry[1], self.method):
                return "learned", entry, entry[2], learned
            # else: a release voided it; _absorb_releases put the static bound back

    def _absorb_releases(self) -> None:
        log = self.calendar.releases
        for lab_id, method in log[self.seen_releases:]:
            k = self.table.position.get(lab_id) if method == self.method else None
            if k is not None:
                heapq.heappush(self.statics, (self.short.bound_of[k], lab_id, k))
        self.seen_releases = len(log)
