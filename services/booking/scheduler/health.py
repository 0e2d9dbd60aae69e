"""When a scheduler worker is stuck: it holds unprocessed input and finishes none of it.

A worker can stall with every check green: Kafka answers, the web server answers, and
yet no event is processed (e.g. a rebalance waiting forever for an event nobody will
acknowledge). So /healthz also asks, per input partition the worker holds: how many
events wait there, and how long since one of them was finished?

Pure: the worker passes in what it sampled and the clock (monotonic seconds).
An idle worker with nothing to do is healthy however long it has been idle.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

Partition = tuple[str, int]  # (topic, partition), as Faust's TP


def label(partition: Partition) -> str:
    topic, number = partition
    return f"{topic}[{number}]"


def held(lag: Mapping[Partition, int], in_hand: Mapping[Partition, int]) -> dict[Partition, int]:
    """Unprocessed events per partition: its lag, and at least the events taken from it and
    not yet acknowledged (Faust forgets a partition's committed offset while a rebalance
    revokes it, so the lag may be unknown exactly when events are stuck in hand)."""
    counts = {p: max(lag.get(p, 0), in_hand.get(p, 0)) for p in {*lag, *in_hand}}
    return {p: n for p, n in counts.items() if n > 0}


@dataclass
class Stalls:
    """Since when each partition has held events without one from it being finished."""

    finished: dict[Partition, float] = field(default_factory=dict)  # last event finished, per partition
    holding_since: dict[Partition, float] = field(default_factory=dict)  # first seen holding events
    everywhere: float | None = None  # progress that counts for every partition (table recovery)

    def finished_one(self, partition: Partition, now: float) -> None:
        self.finished[partition] = now

    def progressed(self, now: float) -> None:
        self.everywhere = now

    def waited(self, holding: Mapping[Partition, int], now: float) -> dict[Partition, float]:
        """Seconds each holding partition has gone without progress. A partition's wait
        starts when it is first seen holding events, not at its last event: a worker idle
        for an hour that just received one is not stuck."""
        for partition in [p for p in self.holding_since if p not in holding]:
            del self.holding_since[partition]
        waits = {}
        for partition in holding:
            since = self.holding_since.setdefault(partition, now)
            last = max(since, self.finished.get(partition, since), self.everywhere or since)
            waits[partition] = max(0.0, now - last)
        return waits


@dataclass(frozen=True)
class Verdict:
    stuck: bool
    detail: str | None = None


def judge(holding: Mapping[Partition, int], waited: Mapping[Partition, float], stuck_after_s: float) -> Verdict:
    """Stuck when some partition has held events for stuck_after_s without progress."""
    stalled = sorted(p for p, n in holding.items() if n > 0 and waited.get(p, 0.0) >= stuck_after_s)
    if not stalled:
        return Verdict(False)
    events = sum(holding[p] for p in stalled)
    longest = max(waited[p] for p in stalled)
    where = ", ".join(label(p) for p in stalled)
    noun = "event" if events == 1 else "events"
    return Verdict(True, f"holds {events} unprocessed {noun} on {where}, no progress for {longest:.0f} s")


def report(service: str, kafka_up: bool, verdict: Verdict) -> tuple[dict, int]:
    """The /healthz body and status: 503 when Kafka is down or the worker is stuck."""
    status = "unavailable" if not kafka_up else "stuck" if verdict.stuck else "ok"
    body = {"service": service, "status": status,
            "checks": {"kafka": "ok" if kafka_up else "down", "progress": "stuck" if verdict.stuck else "ok"}}
    if verdict.detail:
        body["detail"] = verdict.detail
    return body, 200 if status == "ok" else 503
