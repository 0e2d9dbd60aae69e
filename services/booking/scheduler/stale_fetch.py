"""A guard for Faust's consumer: records fetched before a rebalance or a seek are never
handed to the agents after it.

Faust's consumer asks its aiokafka thread for a batch and hands the records to the
agents when it comes back. Two things may happen while a batch is on its way:

- a rebalance completes (the worker re-joins after a killed member's session expires,
  or after a broker restart): the batch is then stamped with the new generation;
- the worker seeks every partition back to its committed offset C, as Faust's
  recovery does while the partitions are already resumed and their records flowing.

Either way the batch holds records from an older position P > C. Faust then takes
offsets C+1..P-1 for a gap in the log (as transaction markers or compaction would
leave), counts them as acknowledged, commits past them, and drops the re-fetched ones
as already read: a record among them that was not handled before the seek is never
handled by anyone. Seen in the fault campaign as a request left SUBMITTED, and as a
gap of 4-5 offsets on every input partition after each scheduler restart.

The guard notes the generation and the seeks before each batch is fetched. When the
generation has changed, or a seek began or ended, by the time the batch arrives (or one
was under way when it was asked for), the records of the agents' own input topics are
dropped and the partitions sought back to their committed offsets, so every record is
fetched again from there (at least once; the handlers are idempotent). Changelog
records go on to table recovery, which checks the generation itself.

It also says so when Faust finds a gap in a topic that cannot have one (not compacted,
written without transactions): those offsets are committed unprocessed, so it must be
visible."""
from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterable

from faust.transport.drivers.aiokafka import Consumer

log = logging.getLogger(__name__)
_original = Consumer.getmany
_original_gap = Consumer._add_gap
_original_seek = Consumer.perform_seek


def install(inputs: Iterable[str], gapless: Iterable[str] = ()) -> None:
    """Guard the worker's consumer for records of `inputs`, and report a gap in any of
    `gapless` (idempotent)."""
    Consumer.perform_seek = counted(_original_seek)
    Consumer.getmany = guarded(_original, frozenset(inputs))
    Consumer._add_gap = reporting(_original_gap, frozenset(gapless))


def counted(perform_seek):
    """Consumer.perform_seek that counts the seeks begun and ended on the consumer."""
    async def perform_seek_counted(self) -> None:
        self.seeks_begun = getattr(self, "seeks_begun", 0) + 1
        try:
            await perform_seek(self)
        finally:
            self.seeks_ended = getattr(self, "seeks_ended", 0) + 1

    return perform_seek_counted


def _moment(consumer) -> tuple[int, int, int]:
    return (consumer.app.consumer_generation_id, getattr(consumer, "seeks_begun", 0),
            getattr(consumer, "seeks_ended", 0))


async def _seek_uncommitted(consumer, first_dropped: dict) -> None:
    """perform_seek leaves a partition with nothing committed yet where it is, past the
    records just dropped: seek it to where its group starts (earliest: the beginning),
    or at least back to the first record dropped."""
    from_start = consumer.app.conf.consumer_auto_offset_reset == "earliest"
    assigned = consumer.assignment()  # a partition the rebalance took away is its new owner's
    for tp, first in first_dropped.items():
        if tp in assigned and not consumer._committed_offset.get(tp):  # None or 0: nothing committed
            await consumer.seek(tp, 0 if from_start else first)


def reporting(add_gap, gapless: frozenset[str]):
    async def _add_gap(self, tp, offset_from: int, offset_to: int) -> None:
        if tp.topic in gapless:
            log.warning("offsets %d..%d of %s[%d] never came from the broker; Faust commits past them "
                        "unprocessed", offset_from, offset_to - 1, tp.topic, tp.partition)
        await add_gap(self, tp, offset_from, offset_to)

    return _add_gap


def guarded(fetch, topics: frozenset[str]):
    """Consumer.getmany around `fetch` (Faust's own), dropping stale records of `topics`."""
    async def getmany(self, timeout: float) -> AsyncIterator:
        asked = _moment(self)
        seeking = asked[1] != asked[2]  # a seek under way: the batch may come from either side of it
        stale: dict = {}  # partition -> (first offset dropped, how many)
        async for tp, message in fetch(self, timeout):
            if tp.topic in topics and (seeking or _moment(self) != asked):
                first, count = stale.get(tp, (message.offset, 0))
                stale[tp] = (first, count + 1)
                continue
            yield tp, message
        if stale:
            log.info("dropped records fetched across a rebalance or seek (partition: first offset, count): %s; "
                     "seeking back to the committed offsets", {f"{tp.topic}[{tp.partition}]": v for tp, v in stale.items()})
            await self.perform_seek()
            await _seek_uncommitted(self, {tp: first for tp, (first, _count) in stale.items()})

    return getmany
