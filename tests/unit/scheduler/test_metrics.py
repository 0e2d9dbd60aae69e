"""The scheduler's figures (metrics.py, watch.py's MATCHING index), read from a stand-in
for the Faust worker's consumer; clocks are passed in."""
from __future__ import annotations

from collections import defaultdict
from datetime import timedelta
from types import SimpleNamespace

from faust.types import TP

from services.booking.scheduler import flow
from services.booking.scheduler.metrics import Vitals
from services.booking.scheduler.settings import SchedulerSettings
from services.booking.scheduler.watch import Watch

from .factories import NOW
from .test_flow import ctx, grant_for, submitted

INPUTS = {"labbook.requests.v1", "labbook.reservations.v1"}
RES2, REQ0 = TP("labbook.reservations.v1", 2), TP("labbook.requests.v1", 0)
CHANGELOG = TP("labbook-scheduler-requests-changelog", 0)


class Consumer:
    """What Vitals reads of Faust's consumer."""

    def __init__(self, ends: dict, committed: dict, unacked=(), broker_up: bool = True) -> None:
        self.ends, self.broker_up, self.unacked = dict(ends), broker_up, list(unacked)
        self.fetched = dict(ends)  # the highwater the fetcher saw last
        self._committed_offset = defaultdict(lambda: None, committed)

    def assignment(self) -> set:
        return set(self.ends)

    async def highwaters(self, *tps):
        if not self.broker_up:
            raise ConnectionError("broker away")
        return {tp: self.ends[tp] for tp in tps}

    def highwater(self, tp):
        return self.fetched[tp]


def message(tp: TP, acked: bool = False):
    return SimpleNamespace(tp=tp, topic=tp.topic, acked=acked)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def vitals(consumer: Consumer, clock=None, **settings) -> Vitals:
    app = SimpleNamespace(consumer=consumer, tables=SimpleNamespace(_recovery=None), in_recovery=False)
    return Vitals(app, SchedulerSettings(**settings), INPUTS, clock or Clock())


def value(v: Vitals, name: str, **labels) -> float | None:
    return v.registry.get_sample_value(name, labels)


async def test_lag_is_the_end_offset_past_the_committed_one_per_assigned_input_partition():
    v = vitals(Consumer({RES2: 3050, REQ0: 10, CHANGELOG: 99}, {RES2: 3040, REQ0: 10, CHANGELOG: 0}))
    await v.verdict()
    assert value(v, "labbook_scheduler_consumer_lag", topic=RES2.topic, partition="2") == 10
    assert value(v, "labbook_scheduler_consumer_lag", topic=REQ0.topic, partition="0") == 0
    assert value(v, "labbook_scheduler_consumer_lag", topic=CHANGELOG.topic, partition="0") is None


async def test_a_partition_taken_away_drops_out_of_the_lag():
    consumer = Consumer({RES2: 5, REQ0: 7}, {RES2: 0, REQ0: 0})
    v = vitals(consumer)
    await v.verdict()
    del consumer.ends[REQ0]
    await v.verdict()
    assert value(v, "labbook_scheduler_consumer_lag", topic=REQ0.topic, partition="0") is None
    assert value(v, "labbook_scheduler_consumer_lag", topic=RES2.topic, partition="2") == 5


async def test_with_the_broker_away_the_lag_uses_what_the_fetcher_saw_last():
    consumer = Consumer({RES2: 50}, {RES2: 40}, broker_up=False)
    consumer.fetched[RES2] = 45
    v = vitals(consumer)
    await v.verdict()
    assert value(v, "labbook_scheduler_consumer_lag", topic=RES2.topic, partition="2") == 5


async def test_a_partition_never_committed_on_counts_no_lag_but_its_events_in_hand_count():
    consumer = Consumer({RES2: 50}, {}, unacked=[message(RES2), message(RES2, acked=True),
                                                 message(CHANGELOG)])
    clock = Clock()
    v = vitals(consumer, clock, stuck_after_s=60)
    assert not (await v.verdict()).stuck
    assert value(v, "labbook_scheduler_consumer_lag", topic=RES2.topic, partition="2") == 0
    assert value(v, "labbook_scheduler_events_in_hand") == 1
    clock.now += 61
    verdict = await v.verdict()
    assert verdict.stuck and verdict.detail == (
        "holds 1 unprocessed event on labbook.reservations.v1[2], no progress for 61 s")
    assert value(v, "labbook_scheduler_stalled_seconds") == 61


async def test_finished_events_are_counted_by_agent_and_type_and_keep_the_partition_healthy():
    clock = Clock()
    v = vitals(Consumer({RES2: 500}, {RES2: 100}), clock, stuck_after_s=60)
    await v.verdict()
    for _ in range(3):
        clock.now += 30
        v.finished("scheduler-requests", "SlotGranted", RES2)
        assert not (await v.verdict()).stuck
    v.finished("scheduler-labs", "LabProfile", TP("labbook.labs.v1", 1))
    assert value(v, "labbook_scheduler_events_processed_total", agent="scheduler-requests", type="SlotGranted") == 3
    assert value(v, "labbook_scheduler_events_processed_total", agent="scheduler-labs", type="LabProfile") == 1
    clock.now += 60
    assert (await v.verdict()).stuck


async def test_the_oldest_matching_gauge_reads_the_agents_watch():
    v = vitals(Consumer({}, {}))
    await v.verdict()
    assert value(v, "labbook_scheduler_oldest_matching_seconds") == 0
    watch = v.watch = Watch()
    state = flow.submitted(None, submitted(), ctx(batch_window_s=1.0), [])
    watch.note("r1", state, at=NOW)
    await v.verdict()
    assert value(v, "labbook_scheduler_oldest_matching_seconds") > 0


def key_of(state) -> str:
    return str(state.request_id)


def test_a_request_waits_in_matching_from_when_it_entered_until_it_leaves():
    c = ctx()
    out: list = []
    state = flow.submitted(None, submitted(), c, out)
    watch = Watch()
    watch.note(key_of(state), state, at=NOW)
    assert watch.oldest_matching(NOW + timedelta(seconds=90)) == 90
    watch.note(key_of(state), state, at=NOW + timedelta(seconds=30))  # still MATCHING: since NOW
    assert watch.oldest_matching(NOW + timedelta(seconds=90)) == 90
    state = flow.granted(state, grant_for(out), c, out)  # OFFERED
    watch.note(key_of(state), state, at=NOW + timedelta(seconds=40))
    assert watch.oldest_matching(NOW + timedelta(seconds=90)) == 0


def test_a_rebuilt_partition_dates_its_matching_requests_from_their_submission():
    early = submitted(submitted_at=NOW - timedelta(minutes=5))
    state = flow.submitted(None, early, ctx(partition=3, batch_window_s=1.0), [])
    watch = Watch()
    watch.build(3, [(key_of(state), state)])
    assert watch.oldest_matching(NOW) == 300
    watch.forget(3)
    assert watch.oldest_matching(NOW) == 0


def test_a_cancelled_request_no_longer_waits_in_matching():
    c = ctx(batch_window_s=1.0)
    event = submitted()
    state = flow.submitted(None, event, c, [])
    watch = Watch()
    watch.note(key_of(state), state, at=NOW)
    cancel = flow.cancelled(state, SimpleNamespace(request_id=event.request_id), c, [])
    watch.note(key_of(cancel), cancel, at=NOW)
    assert watch.oldest_matching(NOW + timedelta(hours=1)) == 0
