"""Poison messages: malformed records of every kind (not JSON, wrong types, unknown
event types, oversized) on every topic labbook consumes, among real traffic through
every real process. Each lands in labbook.dlq.v1 once per consumer that read it, with
the reason, topic, partition and offset; everything else is processed."""
from __future__ import annotations

import json
import uuid
from contextlib import AsyncExitStack, suppress

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from schemas.envelope import MessageRejected, decode
from schemas.events import DeadLetter
from schemas.topics import (CAPACITY, DLQ, LAB_RESPONSES, LAB_STATE, LABS, MATCHING, OFFERS, REQUESTS, RESERVATIONS,
                            STATUS)
from tests.e2e.system import start_system, unique
from tests.support.brokers import assign_from_end, until

pytestmark = pytest.mark.integration

# Who reads each topic (a letter comes from each): written out here, as the expectation.
READERS = ((REQUESTS, ("scheduler", "notifier-events")), (LABS, ("scheduler", "notifier-events")),
           (CAPACITY, ("scheduler",)), (RESERVATIONS, ("scheduler",)), (MATCHING, ("scheduler",)),
           (LAB_STATE, ("scheduler",)), (OFFERS, ("labs-offers", "notifier-events")),
           (LAB_RESPONSES, ("scheduler",)), (STATUS, ("booking-status", "notifier-events")))
METHOD = "ISO9227-CASS-24"


def junk(topic) -> dict[str, tuple[bytes, str]]:
    """kind -> (bytes, words the reason must contain)."""
    event_type = topic.events[0]
    envelope = {"event_id": str(uuid.uuid4()), "type": event_type, "version": 1,
                "occurred_at": "2026-12-01T10:00:00+00:00", "producer": "poison", "payload": {"samples": "many"}}
    unknown = {**envelope, "type": "Teleported", "payload": {}}
    huge = {**envelope, "payload": {"notes": "x" * 300_000}}
    return {"not JSON": (b"{not json", "not JSON"),
            "wrong types": (json.dumps(envelope).encode(), f"invalid {event_type} payload"),
            "unknown type": (json.dumps(unknown).encode(), "Teleported"),
            "oversized": (json.dumps(huge).encode(), "oversized")}


class DeadLetters:
    """labbook.dlq.v1 from its end at start: every letter since."""

    def __init__(self, bootstrap: str) -> None:
        self.consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
        self.letters: list[DeadLetter] = []

    async def __aenter__(self) -> DeadLetters:
        await self.consumer.start()
        await assign_from_end(self.consumer, DLQ)
        return self

    async def __aexit__(self, *exc) -> None:
        await self.consumer.stop()

    async def read(self) -> list[DeadLetter]:
        for messages in (await self.consumer.getmany(timeout_ms=200)).values():
            for message in messages:
                try:
                    self.letters.append(decode(message.value)[1])
                except MessageRejected:
                    continue
        return self.letters


async def test_every_malformed_record_is_dead_lettered_by_each_reader_and_the_rest_flows(
        servers, settings, tmp_path):
    async with AsyncExitStack() as stack:
        (tmp_path / "scheduler").mkdir()
        (tmp_path / "smtp").mkdir()
        system = await start_system(stack, servers, settings, tmp_path)
        letters = await stack.enter_async_context(DeadLetters(settings.kafka_bootstrap))
        producer = AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap, enable_idempotence=True,
                                    max_request_size=2_000_000)
        await producer.start()
        stack.push_async_callback(producer.stop)
        lab, supplier = await system.register_lab(METHOD), unique("acme")
        token = system.token("supplier", supplier)
        stack.enter_context(system.agent(lab, METHOD, slots=4, auto_accept=True))
        before = [await system.submit(supplier, METHOD) for _ in range(5)]

        sent = {}  # (topic, partition, offset) -> (kind, reason words, readers)
        for topic, readers in READERS:
            for kind, (raw, words) in junk(topic).items():
                meta = await producer.send_and_wait(topic.name, raw, key=unique("poison").encode())
                sent[(topic.name, meta.partition, meta.offset)] = (kind, words, readers)
        after = [await system.submit(supplier, METHOD) for _ in range(5)]

        expected = sum(len(readers) for _, _, readers in sent.values())

        async def all_letters():
            mine = [d for d in await letters.read() if (d.topic, d.partition, d.offset) in sent]
            return len(mine) >= expected

        with suppress(AssertionError):  # what is missing is shown below
            await until(all_letters, 90, f"{expected} dead letters")
        mine = [d for d in letters.letters if (d.topic, d.partition, d.offset) in sent]
        for request in before + after:  # junk on every topic held nothing up
            await system.until_status(request["id"], token, "SCHEDULED")

    by_record: dict[tuple, list[DeadLetter]] = {}
    for d in mine:
        by_record.setdefault((d.topic, d.partition, d.offset), []).append(d)
    missing = {where: sent[where][0] for where in sent if len(by_record.get(where, ())) < len(sent[where][2])}
    assert not missing, f"short of letters: {missing}; got {[(d.topic, d.consumer, d.reason[:60]) for d in mine]}"
    for where, found in by_record.items():
        kind, words, readers = sent[where]
        assert len(found) == len(readers), (where, kind, [d.consumer for d in found])
        assert len({d.consumer for d in found}) == len(readers), (where, kind)  # once per reader
        assert all(words in d.reason for d in found), (where, kind, [d.reason for d in found])
        if kind == "oversized":
            assert all(d.original_size and d.original_size > 300_000 for d in found)
