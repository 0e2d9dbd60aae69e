"""The field failure with real workers: a busy scheduler worker goes through a rebalance
(a second worker joins, then is killed) and goes on processing.

Before every input topic had one reading agent, the first worker stalled at the join in
every run: "wait_empty: Waiting for tasks [(1, <ConsumerMessage: ...reservations.v1...>)]"
forever, requests stayed SUBMITTED, and /healthz said 200. On a PRIVATE broker, because
the load (1,500 labs, each broadcast to every request partition) would reach every
other test's workers on the shared one.
"""
from __future__ import annotations

import asyncio
import os
import signal
import uuid

from schemas import events as ev
from schemas.envelope import Envelope
from schemas.topics import CAPACITY, DLQ, LABS, OFFERS, RESERVATIONS, STATUS

from .support import Bus, capacity, lab_profile, method_code, private_bus, request, submit, wait_ready
from .test_vitals import get, worker

LABS_IN_LOAD = 1500


async def load_labs(bus: Bus, count: int) -> None:
    """Lab after lab: the lab side broadcasts each to every request partition, which the
    request side takes longer over, so it runs behind on lab-state.v1."""
    method = method_code()
    for i in range(count):
        lab = f"load-{i}-{uuid.uuid4().hex[:4]}"
        for topic, event in ((LABS.name, lab_profile(lab, method)), (CAPACITY.name, capacity(lab, method))):
            await bus.producer.send(topic, Envelope.wrap(event, producer="test").to_bytes(), key=lab.encode())
        if i % 50 == 0:
            await asyncio.sleep(0.05)


async def until_in_log(log, text: str, timeout: float) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while text not in log.read_text(errors="replace") and loop.time() < deadline:
        await asyncio.sleep(0.5)


async def test_a_busy_worker_goes_on_after_a_second_worker_joins_and_dies(private_broker, tmp_path):
    app_id = f"test-rebalance-{uuid.uuid4().hex[:8]}"
    async with private_bus(private_broker, (STATUS.name, OFFERS.name, RESERVATIONS.name, DLQ.name)) as bus:
        async with worker(bus, tmp_path / "first", app_id, cleanup=False) as (first, log, base):
            loading = asyncio.create_task(load_labs(bus, LABS_IN_LOAD))
            await asyncio.sleep(3)  # the first worker is busy with the load when the second joins
            async with worker(bus, tmp_path / "second", app_id, ready=False, cleanup=False) as (second, log2, _):
                await loading
                await until_in_log(log2, "Worker ready", timeout=60)  # it joined: the first rebalanced
                os.killpg(second.pid, signal.SIGKILL)
                second.wait(10)
            # The first worker takes every partition back after the dead one's session ends.
            await wait_ready(bus, first, log, timeout=120)
            req = request(method_code())
            await submit(bus, req)
            await bus.wait_status(req.request_id, "MATCHING", timeout=60)
            status, body = await get(f"{base}/healthz")
            assert status == 200, body
            assert "wait_empty: Waiting for tasks" not in log.read_text(errors="replace")
