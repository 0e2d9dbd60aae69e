"""A guard for Faust's consumer: records fetched before a rebalance are never handed
to the agents after it.

Faust's consumer asks its aiokafka thread for a batch and, when the batch comes back,
reads the group generation to stamp the records with. A rebalance that completes while
the batch is on its way (the worker re-joins after a killed member's session expires,
or after a broker restart) has meanwhile sought every partition back to its committed
offset C; the batch still holds records from the old position P > C, and they are
stamped with the new generation. Faust then takes offsets C..P-1 for a gap in the log
(as transaction markers or compaction would leave), counts them as acknowledged and
commits past them, and drops the re-fetched C..P-1 as already read: those events are
never processed by anyone. Seen as requests stuck after scheduler kills.

The guard notes the generation before the batch is fetched. When it has changed by the
time the batch arrives, the records of the agents' own input topics are dropped and the
partitions sought back to their committed offsets, so every record is fetched again
from there (at least once; the handlers are idempotent). Changelog records go on to
table recovery, which checks the generation itself.

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


def install(inputs: Iterable[str], gapless: Iterable[str] = ()) -> None:
    """Guard the worker's consumer for records of `inputs`, and report a gap in any of
    `gapless` (idempotent)."""
    Consumer.getmany = guarded(_original, frozenset(inputs))
    Consumer._add_gap = reporting(_original_gap, frozenset(gapless))


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
        generation = self.app.consumer_generation_id
        stale: dict = {}  # partition -> (first offset dropped, how many)
        async for tp, message in fetch(self, timeout):
            if tp.topic in topics and self.app.consumer_generation_id != generation:
                first, count = stale.get(tp, (message.offset, 0))
                stale[tp] = (first, count + 1)
                continue
            yield tp, message
        if stale:
            log.warning("dropped records fetched before the rebalance to generation %s (partition: first "
                        "offset, count): %s; seeking back to the committed offsets",
                        self.app.consumer_generation_id, {f"{tp.topic}[{tp.partition}]": v for tp, v in stale.items()})
            await self.perform_seek()

    return getmany
