"""A real scheduler worker's /metrics and /healthz on the shared broker: the counters
move when a request is processed, and an idle worker holding nothing is healthy.
(The worker consumes every partition, so other tests' traffic may move them too:
the checks are lower bounds.)"""
from __future__ import annotations

import uuid
from contextlib import asynccontextmanager

import aiohttp
from prometheus_client.parser import text_string_to_metric_families

from schemas import events as ev
from schemas.topics import MATCHING, PARTITIONS, REQUESTS, RESERVATIONS
from tests.support.processes import free_port, python_module, spawn
from tests.support.waits import until

from .support import _delete_internal_topics, offered, running, wait_ready


@asynccontextmanager
async def worker(bus, tmp_path, app_id: str | None = None, *, ready: bool = True, cleanup: bool = True):
    """One scheduler subprocess whose port this test knows (support.scheduler picks its
    own): (child, log, base URL)."""
    app_id, port = app_id or f"test-vitals-{uuid.uuid4().hex[:8]}", free_port()
    tmp_path.mkdir(parents=True, exist_ok=True)
    env = {"SCHEDULER_APP_ID": app_id, "LABBOOK_HOME": str(tmp_path), "KAFKA_BOOTSTRAP": bus.bootstrap,
           "SCHEDULER_AUTO_OFFSET_RESET": "latest", "SCHEDULER_PORT": str(port)}
    log = tmp_path / "scheduler.log"
    try:
        with running(bus.bootstrap, app_id), spawn(python_module("services.booking.scheduler"), env, log) as child:
            if ready:
                await wait_ready(bus, child, log)
            yield child, log, f"http://127.0.0.1:{port}"
    finally:
        if cleanup:
            await _delete_internal_topics(bus.bootstrap, app_id)


async def get(url: str) -> tuple[int, str]:
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as session:
        async with session.get(url) as response:
            return response.status, await response.text()


async def samples(base: str) -> dict[tuple[str, tuple], float]:
    status, text = await get(f"{base}/metrics")
    assert status == 200
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def processed(figures: dict, agent: str, kind: str) -> float:
    labels = tuple(sorted({"agent": agent, "type": kind}.items()))
    return figures.get(("labbook_scheduler_events_processed_total", labels), 0.0)


async def until_counted(base: str, before: dict, wanted: list[tuple[str, str]], timeout: float = 30) -> dict:
    last: dict = {}

    async def counted() -> dict | None:
        last.update(now := await samples(base))
        return now if all(processed(now, a, k) > processed(before, a, k) for a, k in wanted) else None
    return await until(counted, timeout, lambda: f"counts of {[(a, k, processed(last, a, k)) for a, k in wanted]}",
                       interval=0.5)


async def test_metrics_count_a_processed_request_and_an_idle_worker_is_healthy(bus, tmp_path):
    async with worker(bus, tmp_path) as (_, _, base):
        before = await samples(base)
        _, _, req, _ = await offered(bus)  # a lab, then a request up to its offer
        after = await until_counted(base, before, [
            ("scheduler-labs", "LabProfile"), ("scheduler-labs", "CapacityAdvertised"),
            ("scheduler-requests", "SupplyChanged"), ("scheduler-requests", "RequestSubmitted"),
            ("scheduler-requests", "MatchWindowClosed"), ("scheduler-labs", "ReserveSlot"),
            ("scheduler-requests", "SlotGranted")])
        # Lag is shown for every input partition the worker holds (it holds them all).
        lagged = {dict(labels)["topic"] for (name, labels) in after if name == "labbook_scheduler_consumer_lag"}
        assert {REQUESTS.name, MATCHING.name, RESERVATIONS.name} <= lagged
        parts = {dict(labels)["partition"] for (name, labels) in after
                 if name == "labbook_scheduler_consumer_lag" and dict(labels)["topic"] == REQUESTS.name}
        assert parts == {str(p) for p in range(PARTITIONS)}
        assert ("labbook_scheduler_oldest_matching_seconds", ()) in after
        assert ("labbook_scheduler_events_in_hand", ()) in after
        await bus.wait(ev.StatusChanged, request_id=req.request_id, status="OFFERED")

        status, text = await get(f"{base}/healthz")
        assert status == 200, text
        assert '"progress": "ok"' in text.replace('":"', '": "')
