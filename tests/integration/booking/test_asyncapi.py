"""GET /asyncapi.json from a running booking API, and records it really published (submit,
then cancel: outbox, relay, broker) read back raw and checked against that document.
A scheduler running on the shared broker may add status changes of its own: they are
checked too."""
from __future__ import annotations

import asyncio
import json

import pytest

from schemas.asyncapi import build
from schemas.envelope import MessageRejected, decode
from schemas.topics import REQUESTS, STATUS
from tests.support.asyncapi import payload_errors, structure_errors

from .conftest import kafka_tail

pytestmark = pytest.mark.integration


def kind(value: bytes) -> tuple[str, str | None]:
    envelope = json.loads(value)
    return envelope["type"], envelope["payload"].get("status")


async def records_of(consumer, request_id: str, wanted: set, timeout: float = 20.0) -> list:
    """The raw (topic, key, value) of each record whose envelope names the request, until
    the records' kinds include every wanted one."""
    loop = asyncio.get_running_loop()
    deadline, found = loop.time() + timeout, []
    while not wanted <= {kind(value) for _, _, value in found} and loop.time() < deadline:
        for tp, messages in (await consumer.getmany(timeout_ms=300)).items():
            for message in messages:
                try:
                    envelope, _ = decode(message.value)
                except MessageRejected:  # another test's poison on the shared topic
                    continue
                if envelope.correlation_id == request_id:
                    found.append((tp.topic, message.key, message.value))
    return found


async def test_the_document_is_served_without_a_token(booking):
    response = await booking.client.get("/asyncapi.json")
    assert response.status == 200 and response.content_type == "application/json"
    doc = await response.json()
    assert doc == json.loads(json.dumps(build())) and structure_errors(doc) == []


async def test_published_records_fit_the_served_document(booking, settings):
    doc = await (await booking.client.get("/asyncapi.json")).json()
    headers = booking.auth("supplier")
    async with kafka_tail(settings.kafka_bootstrap, REQUESTS, STATUS) as tail:
        _, created = await booking.submit(headers)
        response = await booking.client.post(f"/v1/requests/{created['id']}/cancel",
                                             json={"reason": "project stopped"}, headers=headers)
        assert response.status == 200
        wanted = {("RequestSubmitted", None), ("RequestCancelled", None),
                  ("StatusChanged", "SUBMITTED"), ("StatusChanged", "CANCELLED")}
        found = await records_of(tail, created["id"], wanted)
    assert wanted <= {kind(value) for _, _, value in found}
    for topic, key, value in found:
        message = kind(value)[0]
        assert topic == (STATUS.name if message == "StatusChanged" else REQUESTS.name)
        assert f"#/components/messages/{message}" in json.dumps(doc["channels"][topic]["messages"])
        assert payload_errors(doc, message, value) == [], message
        assert key.decode() == created["id"]  # the request_id key the document describes
