"""Scheduler workers of their own: an offer expiring on a short time-to-live, and a
killed worker's successor resuming from the tables. Apart from test_flow.py, whose
shared worker would take these requests too (each app consumes every partition)."""
from __future__ import annotations

import os
import signal
import uuid
from datetime import timedelta

from aiokafka import TopicPartition

from schemas import events as ev
from schemas.topics import LAB_STATE, MATCHING, RESERVATIONS
from tests.support.brokers import end_offsets, until_committed

from .support import (add_lab, assert_timeline, capacity, method_code, now, offered, request, respond, scheduler,
                      submit, wait_ready)

OWN = (RESERVATIONS, MATCHING, LAB_STATE)  # the topics the scheduler sends itself


async def kill_once_committed(bus, app_id: str, child, before: dict, sent) -> None:
    """SIGKILL the worker once its group has committed past the request (`sent`) and
    past all it sent itself since `before` (the lab, the grant, ...), on the partitions
    that got any of it (a group commits only what it read): its successor reads none of
    it again."""
    past = {tp: end for tp, end in (await end_offsets(bus.bootstrap, *OWN)).items() if end > before[tp]}
    past[TopicPartition(sent.topic, sent.partition)] = sent.offset + 1
    await until_committed(bus.bootstrap, app_id, past, timeout=30)
    os.killpg(child.pid, signal.SIGKILL)
    child.wait(10)


async def test_expired_offer_excludes_the_lab(bus, tmp_path):
    async with scheduler(bus, tmp_path, offer_ttl_s=2) as children:
        child, log = children[0]
        await wait_ready(bus, child, log)
        _, _, req, offer = await offered(bus)
        statuses = await bus.wait_status(req.request_id, "UNMATCHED", timeout=30)
        assert assert_timeline(statuses) == ["MATCHING", "OFFERED", "MATCHING", "UNMATCHED"]
        assert statuses[2].reason == "offer_expired"
        assert statuses[-1].reason == "all_candidates_declined"
        withdrawn = await bus.wait(ev.OfferWithdrawn, request_id=req.request_id)
        assert withdrawn[0].offer_id == offer.offer_id and withdrawn[0].reason == "offer_expired"
        await bus.wait(ev.ReleaseSlot, request_id=req.request_id)


async def test_a_killed_workers_successor_resumes_from_the_tables(bus, tmp_path):
    app_id = f"test-scheduler-{uuid.uuid4().hex[:8]}"
    method, lab = method_code(), f"lab-{uuid.uuid4().hex[:8]}"
    req = request(method)
    async with scheduler(bus, tmp_path / "first", app_id=app_id, cleanup=False, offer_ttl_s=3600) as children:
        child, log = children[0]
        await wait_ready(bus, child, log)
        before = await end_offsets(bus.bootstrap, *OWN)
        await add_lab(bus, lab, method)
        sent = await submit(bus, req)
        offer = (await bus.wait(ev.OfferMade, request_id=req.request_id))[0]
        await kill_once_committed(bus, app_id, child, before, sent)
    # Offers at once (no planning ahead): the second request below, due days from now,
    # shows where the calendar puts it in its offer.
    async with scheduler(bus, tmp_path / "second", app_id=app_id, offer_ttl_s=3600, plan_ahead=False) as children:
        child, log = children[0]
        await wait_ready(bus, child, log)
        await respond(bus, ev.OfferAccepted(offer_id=offer.offer_id, request_id=req.request_id, lab_id=lab))
        statuses = await bus.wait_status(req.request_id, "SCHEDULED")
        assert assert_timeline(statuses) == ["MATCHING", "OFFERED", "ACCEPTED", "SCHEDULED"]
        # The lab's calendar came back too: its one slot is still held by this request.
        other = request(method)
        await submit(bus, other)
        second = (await bus.wait(ev.OfferMade, request_id=other.request_id))[0]
        assert second.planned_start >= offer.planned_end


async def test_a_killed_workers_successor_keeps_the_plan_and_makes_one_offer(bus, tmp_path):
    """Killed (SIGKILL) with a request planned and not offered: the successor restores
    it from the tables, revises the plan when the lab's supply changes, and offers once."""
    app_id, method = f"test-scheduler-{uuid.uuid4().hex[:8]}", method_code()
    lab, req = f"lab-{method.lower()}", request(method, deadline_days=60)
    async with scheduler(bus, tmp_path / "first", app_id=app_id, cleanup=False) as children:
        child, log = children[0]
        await wait_ready(bus, child, log)
        before = await end_offsets(bus.bootstrap, *OWN)
        await add_lab(bus, lab, method, from_days=20)
        sent = await submit(bus, req)
        await bus.wait(ev.RequestPlanned, request_id=req.request_id)
        await kill_once_committed(bus, app_id, child, before, sent)
    async with scheduler(bus, tmp_path / "second", app_id=app_id) as children:
        child, log = children[0]
        await wait_ready(bus, child, log)
        await bus.publish("labbook.capacity.v1", lab, capacity(lab, method))
        offer, = await bus.wait(ev.OfferMade, request_id=req.request_id)
        assert offer.planned_start < now() + timedelta(days=3)
        statuses = await bus.wait_status(req.request_id, "OFFERED")
        assert assert_timeline(statuses) == ["MATCHING", "OFFERED"]
        assert len(bus.events(ev.OfferMade, request_id=req.request_id)) == 1
