"""Planning ahead on the real broker (production settings: a round every 300 s, offers
when due with the 48 h answer window and 12 h lead): a request whose slot is weeks
away gets a provisional placement and no offer; when the lab's supply changes the plan
is revised at once, and the offer goes out when it falls due. (A killed worker's
successor with such a plan: test_own_workers.py, apart from this module's worker.)"""
from __future__ import annotations

from datetime import timedelta

import pytest

from schemas import events as ev

from .support import add_lab, capacity, method_code, now, ready_worker, request, submit

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
async def worker(kafka, tmp_path_factory):
    async with ready_worker(kafka, tmp_path_factory.mktemp("planning")) as children:
        yield children


async def test_a_far_slot_is_planned_not_offered_until_supply_brings_it_due(bus, worker):
    method = method_code()
    lab = f"lab-{method.lower()}"
    await add_lab(bus, lab, method, from_days=20)  # the lab's window opens in 20 days
    req = request(method, deadline_days=60)
    await submit(bus, req)
    plan, = await bus.wait(ev.RequestPlanned, request_id=req.request_id)
    assert plan.lab_id == lab and plan.planned_start >= now() + timedelta(days=19)
    # Its offer is due ~16 days from now (20 days less shipping, 48 h and 12 h): none yet.
    assert [s.status for s in bus.statuses(req.request_id)] == ["MATCHING"] and plan.seq == 2
    # The lab opens its window now: the plan is revised at once, and the slot it finds
    # (a day out, the samples' shipping) is due now, so the offer goes.
    await bus.publish("labbook.capacity.v1", lab, capacity(lab, method))
    offer, = await bus.wait(ev.OfferMade, request_id=req.request_id)
    assert offer.lab_id == lab and offer.planned_start < now() + timedelta(days=3)
    statuses = await bus.wait_status(req.request_id, "OFFERED")
    assert [s.status for s in statuses] == ["MATCHING", "OFFERED"]
    assert len(bus.events(ev.OfferMade, request_id=req.request_id)) == 1
