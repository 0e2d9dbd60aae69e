"""stale_fetch: a batch that arrives after a rebalance never reaches the agents."""
from __future__ import annotations

import asyncio
from types import SimpleNamespace

from faust.types import TP

from services.booking.scheduler import stale_fetch

INPUT, CHANGELOG = "labbook.lab-responses.v1", "labbook-scheduler-requests-changelog"


class FakeConsumer:
    """The parts of Faust's consumer the guard touches: the app's generation and seeking."""

    def __init__(self, rebalance_while_fetching: bool) -> None:
        self.app = SimpleNamespace(consumer_generation_id=7)
        self.rebalance_while_fetching = rebalance_while_fetching
        self.seeks = 0

    async def perform_seek(self) -> None:
        self.seeks += 1


async def faust_fetch(consumer: FakeConsumer, timeout: float):
    """Faust's getmany: waits for the batch (a rebalance may complete meanwhile), yields it."""
    if consumer.rebalance_while_fetching:
        consumer.app.consumer_generation_id = 8
    for topic, offset in ((INPUT, 24), (CHANGELOG, 3), (INPUT, 25)):
        yield TP(topic, 0), SimpleNamespace(offset=offset)


def fetched(consumer: FakeConsumer) -> list[tuple[str, int]]:
    getmany = stale_fetch.guarded(faust_fetch, frozenset({INPUT}))

    async def drain():
        return [(tp.topic, message.offset) async for tp, message in getmany(consumer, 1.0)]

    return asyncio.run(drain())


def test_a_batch_of_the_current_generation_passes_whole_without_a_seek():
    consumer = FakeConsumer(rebalance_while_fetching=False)
    assert fetched(consumer) == [(INPUT, 24), (CHANGELOG, 3), (INPUT, 25)]
    assert consumer.seeks == 0


def test_input_records_fetched_across_a_rebalance_are_dropped_and_fetched_again():
    consumer = FakeConsumer(rebalance_while_fetching=True)
    assert fetched(consumer) == [(CHANGELOG, 3)]  # table recovery checks its own generation
    assert consumer.seeks == 1  # back to the committed offsets, so offsets 24 and 25 come again


def test_install_guards_the_consumer_class_faust_uses():
    from faust.transport.drivers.aiokafka import Consumer

    before = Consumer.getmany
    try:
        stale_fetch.install({INPUT})
        assert Consumer.getmany is not before
        assert Consumer.getmany.__qualname__.startswith("guarded")
    finally:
        Consumer.getmany = before
