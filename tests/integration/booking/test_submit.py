"""Submitting a request: the answer, the stored row, and its events on Kafka."""
import asyncio

from schemas.events import RequestSubmitted, StatusChanged
from schemas.topics import REQUESTS, STATUS

from .conftest import collect, kafka_tail, new_org, request_body


async def test_submit_answers_201_and_publishes_both_events(booking, settings):
    org = new_org()
    async with kafka_tail(settings.kafka_bootstrap, REQUESTS, STATUS) as tail:
        status, created = await booking.submit(booking.auth("supplier", org))
        assert status == 201, created
        found = await collect(tail, lambda env, ev: env.correlation_id == created["id"], count=2)
    by_type = {type(event): (topic, key, event) for topic, key, _, event in found}
    assert len(found) == 2 and set(by_type) == {RequestSubmitted, StatusChanged}
    topic, key, submitted = by_type[RequestSubmitted]
    assert topic == REQUESTS.name and key == created["id"].encode() and submitted.org_id == org
    topic, key, changed = by_type[StatusChanged]
    assert topic == STATUS.name and key == created["id"].encode()
    assert (changed.seq, changed.status, changed.previous) == (1, "SUBMITTED", None)


async def test_answer_holds_every_submitted_field_and_the_history(booking):
    body = request_body(preferred_lab_ids=["lab-1"], excluded_lab_ids=["lab-2", "lab-3"])
    response = await booking.client.post("/v1/requests", json=body, headers=booking.auth())
    created = await response.json()
    assert response.status == 201
    assert {k: created[k] for k in body} == body
    assert created["status"] == "SUBMITTED"
    assert created["lab_id"] is None and created["planned_start"] is None and created["planned_end"] is None
    assert [h["status"] for h in created["history"]] == ["SUBMITTED"]
    assert created["created_at"]


async def test_get_answers_what_submit_answered(booking):
    headers = booking.auth("supplier")
    _, created = await booking.submit(headers)
    response = await booking.client.get(f"/v1/requests/{created['id']}", headers=headers)
    assert response.status == 200 and await response.json() == created


async def test_outbox_rows_are_marked_sent(booking):
    _, created = await booking.submit(booking.auth())
    for _ in range(100):
        unsent = await booking.pool.fetchval("SELECT count(*) FROM booking.outbox WHERE sent_at IS NULL")
        if unsent == 0:
            break
        await asyncio.sleep(0.1)
    assert unsent == 0
    assert await booking.pool.fetchval("SELECT count(*) FROM booking.outbox WHERE key = $1", created["id"]) == 2
