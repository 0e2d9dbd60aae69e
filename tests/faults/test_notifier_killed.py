"""kill -9 the notifier in the middle of a batch and start it again: every delivery it
owed arrives, and the only ones that arrive twice are those it was sending when it
died (the answer lost after the target accepted, which no sender can rule out)."""
from __future__ import annotations

import asyncio
import os
import signal
import uuid
from collections import Counter

import asyncpg
import pytest
from aiokafka import AIOKafkaProducer

from schemas.envelope import Envelope
from schemas.tokens import issue
from services.common.settings import ServiceSettings
from tests.integration.notifier.conftest import TOPICS, status, submitted
from tests.support.processes import free_port, python_module, spawn, until_status
from tests.support.smtp import smtp_server
from tests.support.webhooks import WebhookReceiver

SECRET = "notifier-kill-secret-0123456789abcdef"
REQUESTS = 100  # two status events each, to a webhook and an email subscription: 400 deliveries
KILL_AFTER = 60  # webhooks received before the kill


def _env(db_url: str, home, smtp_port: int, port: int, group: str) -> dict[str, str]:
    return {"DATABASE_URL": db_url, "LABBOOK_TOKEN_SECRET": SECRET, "LABBOOK_HOME": str(home),
            "NOTIFIER_PORT": str(port), "NOTIFIER_GROUP": group, "NOTIFIER_OFFSET_RESET": "latest",
            "NOTIFIER_SMTP_PORT": str(smtp_port), "NOTIFIER_ALLOW_PRIVATE_TARGETS": "true",
            "NOTIFIER_LEASE_S": "5", "NOTIFIER_WEBHOOK_TIMEOUT_S": "1", "NOTIFIER_SMTP_TIMEOUT_S": "1",
            "NOTIFIER_CONCURRENCY": "8", "NOTIFIER_DETAILS_WAIT_S": "0", "NOTIFIER_DISPATCH_POLL_S": "0.1"}


async def _subscribe(port: int, headers: dict, body: dict) -> None:
    import aiohttp
    async with aiohttp.ClientSession() as session:
        async with session.post(f"http://127.0.0.1:{port}/v1/subscriptions", json=body, headers=headers) as r:
            assert r.status == 201, await r.text()


async def _publish_batch(bootstrap: str, org_id: str) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, enable_idempotence=True)
    await producer.start()
    try:
        for _ in range(REQUESTS):
            req = submitted(org_id)
            key = str(req.request_id).encode()
            for topic, event in ((TOPICS["requests"], req), (TOPICS["status"], status(req, 1, "SUBMITTED", None)),
                                 (TOPICS["status"], status(req, 2, "MATCHING", "SUBMITTED"))):
                await producer.send(topic, Envelope.wrap(event, producer="test").to_bytes(), key=key)
        await producer.flush()
    finally:
        await producer.stop()


async def _until(probe, timeout: float, what: str):
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        if await probe():
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"not within {timeout} s: {what}")


@pytest.mark.integration
async def test_a_notifier_killed_mid_batch_owes_nothing_and_sends_nothing_twice(servers, fresh_db, tmp_path):
    bootstrap = ServiceSettings().kafka_bootstrap
    port, org_id = free_port(), f"acme-{uuid.uuid4().hex[:6]}"
    env = _env(fresh_db, tmp_path, 0, port, f"notifier-kill-{uuid.uuid4().hex[:8]}")
    headers = {"Authorization": f"Bearer {issue(SECRET, org=org_id, role='supplier')}"}
    with smtp_server(tmp_path) as smtp:
        env["NOTIFIER_SMTP_PORT"] = str(smtp.port)
        async with WebhookReceiver() as receiver:
            receiver.script("/hook", [200], delay=0.02)  # a send takes a moment: some are in flight at the kill
            log = tmp_path / "notifier.log"
            with spawn(python_module("services.notifier"), env, log) as first:
                await until_status(f"http://127.0.0.1:{port}/healthz", 200, child=first, log=log)
                await _subscribe(port, headers, {"channel": "webhook", "target": receiver.url("/hook")})
                await _subscribe(port, headers, {"channel": "email", "target": "ops@acme.example"})
                await _publish_batch(bootstrap, org_id)
                await receiver.wait_for("/hook", KILL_AFTER, timeout=60)
                os.killpg(first.pid, signal.SIGKILL)
                first.wait(10)
            db = await asyncpg.connect(fresh_db)
            try:
                in_flight = {str(r["id"]) for r in await db.fetch(
                    "SELECT id FROM notifier.deliveries WHERE status = 'sending'")}
                with spawn(python_module("services.notifier"), env, log) as second:
                    await until_status(f"http://127.0.0.1:{port}/healthz", 200, child=second, log=log)

                    async def all_done() -> bool:
                        open_, done = await db.fetchrow(
                            "SELECT count(*) FILTER (WHERE status <> 'delivered'), count(*) FILTER"
                            " (WHERE status = 'delivered') FROM notifier.deliveries")
                        return open_ == 0 and done == 4 * REQUESTS
                    try:
                        await _until(all_done, 60, "every delivery delivered after the restart")
                    except AssertionError as exc:
                        rows = await db.fetch("SELECT status, attempts, lease_until < now() AS expired, count(*)"
                                              " FROM notifier.deliveries GROUP BY 1, 2, 3")
                        raise AssertionError(f"{exc}: {[dict(r) for r in rows]}\n"
                                             f"{log.read_text(errors='replace')[-3000:]}") from None
                expected = {str(r["id"]): r["channel"] for r in await db.fetch("SELECT id, channel FROM notifier.deliveries")}
                feed = await db.fetchval("SELECT count(*) FROM notifier.notifications WHERE audience_org = $1",
                                         org_id)
            finally:
                await db.close()
        hooks = Counter(r.headers["webhook-id"] for r in receiver.requests("/hook"))
        mails = Counter(m["Message-ID"].strip("<>").split("@")[0] for m in smtp.messages())
    assert len(expected) == 4 * REQUESTS and feed == 2 * REQUESTS  # each event once in the feed
    assert set(hooks) == {i for i, c in expected.items() if c == "webhook"}
    assert set(mails) == {i for i, c in expected.items() if c == "email"}
    twice = {i for i, n in (hooks + mails).items() if n > 1}
    assert twice <= in_flight, f"sent twice without being in flight at the kill: {twice - in_flight}"
    assert all(n <= 2 for n in (hooks + mails).values())
