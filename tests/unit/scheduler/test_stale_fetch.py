"""stale_fetch: a batch that arrives after a rebalance never reaches the agents."""
from __future__ import annotations

import asyncio
from types import SimpleNamespace

from faust.types import TP

from services.booking.scheduler import stale_fetch

INPUT, CHANGELOG = "labbook.lab-responses.v1", "labbook-scheduler-requests-changelog"


class FakeConsumer:
    """The parts of Faust's consumer the guard touches: the app's generation and seeking."""

    def __init__(self, rebalance_while_fetching: bool = False, seek_while_fetching: bool = False) -> None:
        self.app = SimpleNamespace(consumer_generation_id=7, conf=SimpleNamespace(consumer_auto_offset_reset="earliest"))
        self.rebalance_while_fetching, self.seek_while_fetching = rebalance_while_fetching, seek_while_fetching
        self.seeks = 0
        self._committed_offset = {TP(INPUT, 0): 20}
        self.sought: list = []  # single partitions sought: (partition, offset)

    async def seek(self, tp, offset: int) -> None:
        self.sought.append((tp, offset))

    def assignment(self) -> set:
        return {TP(INPUT, 0), TP(CHANGELOG, 0)}

    async def _seek(self) -> None:
        self.seeks += 1

    perform_seek = stale_fetch.counted(_seek)


async def faust_fetch(consumer: FakeConsumer, timeout: float):
    """Faust's getmany: waits for the batch (a rebalance or the recovery's seek to the
    committed offsets may happen meanwhile), yields it."""
    if consumer.rebalance_while_fetching:
        consumer.app.consumer_generation_id = 8
    if consumer.seek_while_fetching:
        await consumer.perform_seek()
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
    assert consumer.sought == []  # perform_seek moved it: offset 20 is committed


def test_input_records_fetched_across_a_seek_are_dropped_and_fetched_again():
    consumer = FakeConsumer(seek_while_fetching=True)
    assert fetched(consumer) == [(CHANGELOG, 3)]
    assert consumer.seeks == 2  # the recovery's, then the guard's own


def test_a_batch_asked_for_while_a_seek_is_under_way_is_dropped():
    consumer = FakeConsumer()
    consumer.seeks_begun, consumer.seeks_ended = 3, 2  # another task is seeking right now
    assert fetched(consumer) == [(CHANGELOG, 3)]
    assert consumer.seeks == 1


def test_a_partition_with_nothing_committed_is_sought_to_where_its_group_starts():
    # perform_seek moves only partitions with a committed offset: the dropped records of
    # one without would never come again.
    for reset, expected in (("earliest", 0), ("latest", 24)):
        consumer = FakeConsumer(rebalance_while_fetching=True)
        consumer.app.conf.consumer_auto_offset_reset = reset
        consumer._committed_offset = {}
        assert fetched(consumer) == [(CHANGELOG, 3)]
        assert consumer.sought == [(TP(INPUT, 0), expected)]  # 24: the first record dropped


def test_install_guards_the_consumer_class_faust_uses():
    from faust.transport.drivers.aiokafka import Consumer

    before = Consumer.getmany, Consumer._add_gap, Consumer.perform_seek
    try:
        stale_fetch.install({INPUT}, {INPUT})
        assert Consumer.getmany.__qualname__.startswith("guarded")
        assert Consumer._add_gap.__qualname__.startswith("reporting")
        assert Consumer.perform_seek.__qualname__.startswith("counted")
    finally:
        Consumer.getmany, Consumer._add_gap, Consumer.perform_seek = before


def test_a_gap_in_a_topic_that_cannot_have_one_is_reported_and_still_handled(caplog):
    added = []

    async def faust_add_gap(consumer, tp, offset_from, offset_to):
        added.append((tp.topic, offset_from, offset_to))

    add_gap = stale_fetch.reporting(faust_add_gap, frozenset({INPUT}))
    with caplog.at_level("WARNING", logger=stale_fetch.__name__):
        asyncio.run(add_gap(None, TP(INPUT, 2), 21, 24))  # read 20, then 24 came: 21..23 missing
        asyncio.run(add_gap(None, TP("labbook.labs.v1", 0), 5, 9))  # compacted: gaps are normal
    assert added == [(INPUT, 21, 24), ("labbook.labs.v1", 5, 9)]
    assert [r.getMessage() for r in caplog.records] == [
        f"offsets 21..23 of {INPUT}[2] never came from the broker; Faust commits past them unprocessed"]
