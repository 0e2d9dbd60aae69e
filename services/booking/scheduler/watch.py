"""Which requests the window timer, the offer-expiry timer and a supply change must look
at, per partition, so none of them scans the whole `requests` table (130,000 requests
in the 100x benchmark; each scan ran every second or on every capacity update); and
since when each request has waited in MATCHING (the /metrics gauge of the oldest).

The index lives in the worker's memory and follows the table: it is noted on every
write, built for a partition from the table the first time the worker serves it, and
forgotten when the partition is taken away (another worker may change it meanwhile).
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime

from schemas.states import RequestStatus as S

from .state import RequestState as State

WATCHED_STATUSES = {S.OFFERED, S.UNMATCHED}  # what a supply change may touch


class Watch:
    def __init__(self) -> None:
        self.built: set[int] = set()
        self.queued: dict[int, set[str]] = defaultdict(set)  # waiting for the match window
        self.supply_sensitive: dict[int, set[str]] = defaultdict(set)
        self.offers: dict[str, tuple[int, datetime]] = {}  # request -> (partition, expires_at)
        self.matching: dict[str, tuple[int, datetime]] = {}  # request -> (partition, in MATCHING since)

    def note(self, key: str, state: State | None, at: datetime | None = None) -> None:
        """`at`: when this state was reached (now, for a write); unknown when rebuilding."""
        since = self.matching.get(key, (None, None))[1]  # still MATCHING: it keeps waiting since then
        self._forget_key(key)
        if state is None or state.cancelled:
            return
        partition = state.partition
        if state.queued:
            self.queued[partition].add(key)
        if state.status in WATCHED_STATUSES:
            self.supply_sensitive[partition].add(key)
        if state.offer and state.status == S.OFFERED:
            self.offers[key] = (partition, state.offer.expires_at)
        if state.status == S.MATCHING:
            self.matching[key] = (partition, since or at or _submitted_at(state))

    def build(self, partition: int, items: Iterable[tuple[str, State | None]]) -> None:
        """Index a partition this worker now serves (after the table recovered it)."""
        self.forget(partition)
        for key, state in items:
            if state and state.partition == partition:
                self.note(key, state)
        self.built.add(partition)

    def forget(self, partition: int) -> None:
        self.built.discard(partition)
        for index in (self.queued, self.supply_sensitive):
            index.pop(partition, None)
        for index in (self.offers, self.matching):
            for key in [k for k, (p, _) in index.items() if p == partition]:
                del index[key]

    def expired(self, partitions: set[int], moment: datetime) -> list[str]:
        return sorted(k for k, (p, at) in self.offers.items() if p in partitions and at <= moment)

    def oldest_matching(self, moment: datetime) -> float:
        """Seconds the longest-waiting request in MATCHING has waited (0: none waits)."""
        if not self.matching:
            return 0.0
        return max(0.0, (moment - min(since for _, since in self.matching.values())).total_seconds())

    def _forget_key(self, key: str) -> None:
        for index in (self.queued, self.supply_sensitive):
            for keys in index.values():
                keys.discard(key)
        self.offers.pop(key, None)
        self.matching.pop(key, None)


def _submitted_at(state: State) -> datetime:
    """A request found in MATCHING when its partition is indexed has waited at most since
    it was submitted (the table keeps no time per status)."""
    return state.request.submitted_at
