"""Idempotency-Key: a retried POST creates nothing new; a reused key with another body is refused."""
import asyncio
import json
import uuid

from .conftest import new_org, request_body


def keyed(api, org, key):
    return {**api.auth("supplier", org), "Idempotency-Key": key, "Content-Type": "application/json"}


async def count(api, sql, *args):
    return await api.pool.fetchval(sql, *args)


async def test_same_key_and_body_answers_the_first_response(booking):
    org, key, raw = new_org(), uuid.uuid4().hex, json.dumps(request_body())
    first = await booking.client.post("/v1/requests", data=raw, headers=keyed(booking, org, key))
    second = await booking.client.post("/v1/requests", data=raw, headers=keyed(booking, org, key))
    assert first.status == second.status == 201
    created = await first.json()
    assert await second.json() == created
    assert await count(booking, "SELECT count(*) FROM booking.requests WHERE org_id = $1", org) == 1
    assert await count(booking, "SELECT count(*) FROM booking.outbox WHERE key = $1 AND topic = $2",
                       created["id"], "labbook.requests.v1") == 1


async def test_same_key_with_another_body_is_422(booking):
    org, key = new_org(), uuid.uuid4().hex
    first = await booking.client.post("/v1/requests", json=request_body(), headers=keyed(booking, org, key))
    assert first.status == 201
    other = await booking.client.post("/v1/requests", json=request_body(samples=7), headers=keyed(booking, org, key))
    assert other.status == 422
    assert (await other.json())["error"]["code"] == "idempotency_key_reused"


async def test_keys_belong_to_one_organisation(booking):
    key, raw = uuid.uuid4().hex, json.dumps(request_body())
    a = await booking.client.post("/v1/requests", data=raw, headers=keyed(booking, new_org(), key))
    b = await booking.client.post("/v1/requests", data=raw, headers=keyed(booking, new_org(), key))
    assert a.status == b.status == 201
    assert (await a.json())["id"] != (await b.json())["id"]


async def test_concurrent_identical_posts_create_one_request(booking):
    org, key, raw = new_org(), uuid.uuid4().hex, json.dumps(request_body())

    async def post():
        response = await booking.client.post("/v1/requests", data=raw, headers=keyed(booking, org, key))
        return response.status, await response.json()

    answers = await asyncio.gather(*(post() for _ in range(8)))
    assert {status for status, _ in answers} == {201}, answers
    assert len({body["id"] for _, body in answers}) == 1
    assert await count(booking, "SELECT count(*) FROM booking.requests WHERE org_id = $1", org) == 1
