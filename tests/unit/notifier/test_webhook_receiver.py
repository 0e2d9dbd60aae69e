"""tests/support/webhooks.py: the scripted receiver other notifier tests deliver to."""
from __future__ import annotations

import asyncio
import time

import aiohttp
import pytest

from services.notifier import signing
from tests.support.webhooks import WebhookReceiver


async def post(session: aiohttp.ClientSession, url: str, body: bytes, headers: dict | None = None) -> int:
    async with session.post(url, data=body, headers=headers or {}) as response:
        return response.status


async def test_a_script_is_followed_then_its_last_status_repeats():
    async with WebhookReceiver() as receiver, aiohttp.ClientSession() as session:
        receiver.script("/flaky", [500, 503, 200])
        statuses = [await post(session, receiver.url("/flaky"), b"{}") for _ in range(5)]
        assert statuses == [500, 503, 200, 200, 200]
        assert await post(session, receiver.url("/ok"), b"{}") == 200  # unscripted paths answer 200
        assert await post(session, receiver.url("/flaky?x=1"), b"{}") == 200  # the query is not the path
        assert [r.status for r in receiver.requests("/flaky")] == [500, 503, 200, 200, 200, 200]
        assert [r.path for r in receiver.received].count("/ok") == 1


async def test_wait_for_wakes_on_arrival_and_records_headers_body_and_time():
    async with WebhookReceiver() as receiver, aiohttp.ClientSession() as session:
        receiver.script("/gone", [410])
        waiter = asyncio.create_task(receiver.wait_for("/gone", 2, timeout=10))
        before = time.time()
        for n in range(2):
            assert await post(session, receiver.url("/gone"), b'{"n": %d}' % n, {"webhook-id": f"d-{n}"}) == 410
        first, second = await waiter
        assert (first.body, first.headers["Webhook-Id"], first.method) == (b'{"n": 0}', "d-0", "POST")
        assert before <= first.at <= second.at <= time.time() and first.monotonic <= second.monotonic
        with pytest.raises(AssertionError, match="3 requests to /gone not received within 0.1 s"):
            await receiver.wait_for("/gone", 3, timeout=0.1)


async def test_a_delayed_answer_is_recorded_on_arrival():
    async with WebhookReceiver() as receiver, aiohttp.ClientSession() as session:
        receiver.script("/slow", [200], delay=5)
        with pytest.raises(asyncio.TimeoutError):
            await session.post(receiver.url("/slow"), data=b"{}", timeout=aiohttp.ClientTimeout(total=0.3))
        [request] = await receiver.wait_for("/slow", 1, timeout=1)
        assert request.status == 200


async def test_verify_all_checks_every_signature():
    secret, other = signing.new_secret(), signing.new_secret()
    async with WebhookReceiver() as receiver, aiohttp.ClientSession() as session:
        body = b'{"status": "SCHEDULED"}'
        await post(session, receiver.url("/hook"), body, signing.headers([secret], "d-1", int(time.time()), body))
        assert len(receiver.verify_all(secret, "/hook")) == 1
        assert len(receiver.verify_all([other, secret])) == 1
        with pytest.raises(signing.InvalidSignature):
            receiver.verify_all(other)
        stale = signing.headers([secret], "d-2", int(time.time()) - 600, body)
        await post(session, receiver.url("/hook"), body, stale)
        with pytest.raises(signing.InvalidSignature, match="from now"):
            receiver.verify_all(secret, "/hook")
