"""The scheduler's vital signs: what /metrics shows and what /healthz judges (health.py).

Read from the Faust worker when asked: the input partitions it is assigned, their end
offsets against what it committed (lag), the events its agents took and have not yet
acknowledged (in hand), and the agents' own count of events finished.
"""
from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter as Tally
from collections.abc import Callable, Iterable
from datetime import datetime, timezone

import faust
from faust.types import TP
from prometheus_client import CollectorRegistry, Counter, Gauge

from . import health
from .settings import SchedulerSettings

log = logging.getLogger(__name__)

END_OFFSETS_TIMEOUT_S = 2.0  # a scrape or probe must not hang on a broker away


class SchedulerMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.processed = Counter("labbook_scheduler_events_processed", "Input events an agent finished, by type",
                                 ["agent", "type"], registry=registry)
        self.lag = Gauge("labbook_scheduler_consumer_lag", "Messages on an assigned input partition past the "
                         "offset this worker committed", ["topic", "partition"], registry=registry)
        self.in_hand = Gauge("labbook_scheduler_events_in_hand",
                             "Input events taken by an agent and not yet acknowledged", registry=registry)
        self.stalled = Gauge("labbook_scheduler_stalled_seconds", "Longest time an input partition has held "
                             "events without one being finished (see /healthz)", registry=registry)
        self.oldest_matching = Gauge("labbook_scheduler_oldest_matching_seconds",
                                     "How long the longest-waiting request in MATCHING has waited "
                                     "(0: none waits)", registry=registry)


class Vitals:
    """The worker's figures and its stuck rule; agents report each event they finish."""

    def __init__(self, app: faust.App, settings: SchedulerSettings, inputs: Iterable[str],
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.app, self.settings, self.inputs, self.clock = app, settings, frozenset(inputs), clock
        self.registry = CollectorRegistry()
        self.metrics = SchedulerMetrics(self.registry)
        self.stalls = health.Stalls()
        self.watch = None  # the agents' Watch (oldest MATCHING), once registered
        self._recovered: int | None = None  # changelog offsets recovery had reached at the last look

    def finished(self, agent: str, kind: str, partition: health.Partition) -> None:
        self.metrics.processed.labels(agent, kind).inc()
        self.stalls.finished_one(partition, self.clock())

    async def verdict(self) -> health.Verdict:
        """Sample the worker, refresh the gauges, and judge it."""
        lag, in_hand = await self._lag(), self._in_hand()
        self._note_recovery()
        holding = health.held(lag, in_hand)
        waited = self.stalls.waited(holding, self.clock())
        self._show(lag, in_hand, waited)
        return health.judge(holding, waited, self.settings.stuck_after_s)

    def _show(self, lag: dict[TP, int], in_hand: dict[TP, int], waited: dict) -> None:
        m = self.metrics
        m.lag.clear()  # partitions taken away since the last look drop out
        for tp, n in sorted(lag.items()):
            m.lag.labels(tp.topic, str(tp.partition)).set(n)
        m.in_hand.set(sum(in_hand.values()))
        m.stalled.set(max(waited.values(), default=0.0))
        if self.watch is not None:
            m.oldest_matching.set(self.watch.oldest_matching(datetime.now(timezone.utc)))

    def _assigned(self) -> set[TP]:
        try:
            return {tp for tp in self.app.consumer.assignment() if tp.topic in self.inputs}
        except Exception:  # not started yet (ConsumerNotStarted), or shutting down
            return set()

    def _in_hand(self) -> dict[TP, int]:
        taken = [m.tp for m in list(self.app.consumer.unacked) if not m.acked and m.topic in self.inputs]
        return dict(Tally(taken))

    async def _lag(self) -> dict[TP, int]:
        """End offset minus this worker's committed offset, per assigned input partition.
        A partition it has not committed on yet counts no lag (its events in hand still do)."""
        assigned = self._assigned()
        if not assigned:
            return {}
        ends = await self._end_offsets(assigned)
        committed = self.app.consumer._committed_offset  # Faust keeps no public view of it
        return {tp: max(0, ends[tp] - committed[tp]) if ends.get(tp) is not None and committed.get(tp) is not None
                else 0 for tp in assigned}

    async def _end_offsets(self, assigned: set[TP]) -> dict[TP, int | None]:
        consumer = self.app.consumer
        try:
            async with asyncio.timeout(END_OFFSETS_TIMEOUT_S):
                return dict(await consumer.highwaters(*assigned))
        except Exception as exc:  # the broker is away: what the fetcher saw last
            log.debug("end offsets unavailable (%s); using the fetcher's", exc)
        ends: dict[TP, int | None] = {}
        for tp in assigned:
            try:
                ends[tp] = consumer.highwater(tp)
            except Exception:
                ends[tp] = None
        return ends

    def _note_recovery(self) -> None:
        """Table recovery reads changelogs, not the inputs: while it advances, the
        worker is making progress even though no input event is finished."""
        recovery = getattr(self.app.tables, "_recovery", None)
        if recovery is None or not getattr(self.app, "in_recovery", False):
            self._recovered = None
            return
        reached = sum(v for v in recovery.active_offsets.values() if v is not None)
        if self._recovered is not None and reached != self._recovered:
            self.stalls.progressed(self.clock())
        self._recovered = reached
