"""A rebalance must never leave the scheduler waiting forever for an event.

When partitions are revoked, Faust drops the events still queued for each agent and
then waits (Consumer.wait_empty, with no time limit) until every message a stream has
taken is acknowledged. A message read by two agents is acknowledged only when both are
done with it. If one agent has taken it while the other's copy is still queued, the
rebalance drops that copy, and the message stays unacknowledged for as long as anything
refers to it: the first agent's loop variable does, until its next event, which the
suspended rebalance never delivers. The worker then waits forever ("wait_empty: Waiting
for tasks [(1, <ConsumerMessage ... offset=N>)]").

These tests drive Faust's own conductor, streams and wait_empty in this process (no
broker): one event the request side is busy with, another behind it on its partition,
then the revocation steps Faust takes (suspend, clear, wait_empty). The last one holds
an event in hand past SCHEDULER_STUCK_AFTER_S and reads the worker's verdict.
"""
from __future__ import annotations

import asyncio
import time
import uuid
from collections import Counter
from datetime import datetime, timedelta, timezone
from functools import partial
from unittest import mock

import faust
import pytest
from faust.types import TP
from faust.types.tuples import ConsumerMessage

from schemas import events as ev
from schemas.envelope import Envelope
from schemas.topics import CAPACITY, LAB_RESPONSES, LAB_STATE, LABS, MATCHING, REQUESTS, RESERVATIONS
from services.booking.scheduler import health
from services.booking.scheduler.app import create_worker
from services.booking.scheduler.settings import SchedulerSettings
from tests.support import waits

INPUTS = (REQUESTS.name, LAB_RESPONSES.name, MATCHING.name, LAB_STATE.name, LABS.name, CAPACITY.name, RESERVATIONS.name)
SHARED = TP(MATCHING.name, 2)


def test_every_input_topic_is_read_by_exactly_one_agent():
    app = create_worker(SchedulerSettings(app_id=f"test-readers-{uuid.uuid4().hex[:6]}")).app
    readers = Counter(name for agent in app.agents.values() for name in agent.channel.topics)
    assert readers == Counter(INPUTS)


class Gate:
    """Topic.send stand-in: sends wait until opened, and are recorded."""

    def __init__(self) -> None:
        self.open, self.sent, self.waiting = asyncio.Event(), [], 0

    def patch(self):
        async def send(topic, *args, **kwargs):
            self.waiting += 1
            await self.open.wait()
            self.sent.append((topic.get_topic_name(), kwargs["value"].event()))
        return mock.patch.object(faust.topics.Topic, "send", send)


@pytest.fixture
async def worker():
    """The scheduler's app with its agents running, partition SHARED assigned, no broker."""
    built = create_worker(SchedulerSettings(app_id=f"test-acks-{uuid.uuid4().hex[:6]}", stuck_after_s=60))
    app = built.app
    app.finalize()
    app.flow_control.resume()
    gate = Gate()
    consumer = app.consumer
    # Commits need a started consumer; which offsets get committed is not the question here.
    with gate.patch(), \
            mock.patch.object(consumer, "commit", mock.AsyncMock()), \
            mock.patch.object(consumer, "commit_and_end_transactions", mock.AsyncMock()):
        agents = list(app.agents.values())
        for agent in agents:
            await agent.start()
        await until(lambda: all(a._actors for a in agents))
        await app.topics._update_indices()
        await app.topics.on_partitions_assigned({SHARED})
        try:
            yield app, gate, built.vitals
        finally:
            gate.open.set()
            for agent in agents:
                await asyncio.wait_for(agent.stop(), 10)
            thread = getattr(consumer, "_thread", None)
            if thread is not None and not thread.thread_loop.is_closed():
                thread.thread_loop.close()


until = partial(waits.until, timeout=5, what="the awaited condition", interval=0.02)


def message(app, offset: int, event: ev.Event) -> ConsumerMessage:
    return ConsumerMessage(SHARED.topic, SHARED.partition, offset, time.time(), 0, [], b"lab-x",
                           Envelope.wrap(event, producer="test").to_bytes(), None, tp=SHARED,
                           generation_id=app.consumer_generation_id)


def orphan_grant() -> ev.SlotGranted:
    """A grant for a request the table does not hold: the request side releases it (a send)."""
    start = datetime.now(timezone.utc) + timedelta(days=1)
    return ev.SlotGranted(reservation_id=uuid.uuid4(), request_id=uuid.uuid4(), lab_id="lab-x",
                          method_code="TEST-ACKS", start=start, end=start + timedelta(days=1))


async def test_a_rebalance_waits_for_the_event_in_hand_and_not_for_dropped_ones(worker):
    app, gate, _ = worker
    deliver = app.topics._tp_to_callback[SHARED]
    grant = orphan_grant()
    await deliver(message(app, 10, grant))
    await until(lambda: gate.waiting == 1)  # the request side is busy releasing the orphan slot
    await deliver(message(app, 11, ev.MatchWindowClosed(partition=2)))
    await asyncio.sleep(0.2)  # time for any other reader of the topic to take it

    # What Faust does when partitions are revoked (App._on_partitions_revoked):
    app.flow_control.suspend()
    app.flow_control.clear()
    consumer = app.consumer
    waiting = asyncio.ensure_future(consumer.wait_empty())
    await asyncio.sleep(0.2)
    assert not waiting.done()  # offset 10 is in hand: the rebalance waits for it
    gate.open.set()
    try:
        await until(waiting.done, timeout=10)
    finally:
        held = [(m.refcount, m.offset) for m in consumer.unacked if not m.acked]
        consumer._stopped.set()  # ends a wait_empty that would otherwise never return
        await asyncio.wait_for(waiting, 5)
    assert held == []
    assert [(topic, type(e)) for topic, e in gate.sent] == [(RESERVATIONS.name, ev.ReleaseSlot)]
    assert gate.sent[0][1].reservation_id == grant.reservation_id


async def test_an_event_in_hand_with_no_progress_past_the_limit_shows_the_worker_stuck(worker):
    app, gate, vitals = worker
    clock = [0.0]
    vitals.clock = lambda: clock[0]
    assert not (await vitals.verdict()).stuck  # idle: nothing held
    await app.topics._tp_to_callback[SHARED](message(app, 20, orphan_grant()))
    await until(lambda: gate.waiting == 1)  # in hand: its send never returns
    assert not (await vitals.verdict()).stuck
    clock[0] = 62.0
    verdict = await vitals.verdict()
    assert verdict == health.Verdict(True, "holds 1 unprocessed event on labbook.matching.v1[2], "
                                           "no progress for 62 s")
    gate.open.set()  # the send returns, the event is finished and acknowledged
    await until(lambda: not [m for m in app.consumer.unacked if not m.acked])
    assert not (await vitals.verdict()).stuck
    assert vitals.registry.get_sample_value("labbook_scheduler_events_processed_total",
                                            {"agent": "scheduler-requests", "type": "SlotGranted"}) == 1
