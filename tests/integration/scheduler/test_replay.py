"""A scheduler that handles the same input again, on a state that has none of it, sends
the offer it sent the first time: the same offer id, so the lab holds one offer for the
request and not two it would accept both of.

At-least-once: a killed worker's sends may be on the broker while the changelog record
of its state is not, and its successor handles that input again on the older state.
Here the successor is the extreme case, a worker group with empty tables that reads
every topic from its beginning (its own changelogs; the private broker holds only this
test's events). Before reservation and offer ids were derived, its offer had a fresh id
and the lab held two offers for the request (both would be accepted).
"""
from __future__ import annotations

import asyncio
import os
import signal
import uuid

from schemas import events as ev
from schemas.topics import DLQ, OFFERS, RESERVATIONS, STATUS

from .support import add_lab, method_code, private_bus, request, scheduler, submit, wait_ready


async def test_a_successor_handling_the_same_input_again_makes_the_same_offer(private_broker, tmp_path):
    method, lab = method_code(), f"lab-{uuid.uuid4().hex[:8]}"
    req = request(method)
    async with private_bus(private_broker, (STATUS.name, OFFERS.name, RESERVATIONS.name, DLQ.name)) as bus:
        async with scheduler(bus, tmp_path / "first", app_id=f"test-replay-a-{uuid.uuid4().hex[:6]}",
                             auto_offset_reset="earliest") as children:
            child, log = children[0]
            await wait_ready(bus, child, log)
            await add_lab(bus, lab, method, slots=2)
            await submit(bus, req)
            first = (await bus.wait(ev.OfferMade, request_id=req.request_id))[0]
            os.killpg(child.pid, signal.SIGKILL)
            child.wait(10)
        async with scheduler(bus, tmp_path / "second", app_id=f"test-replay-b-{uuid.uuid4().hex[:6]}",
                             auto_offset_reset="earliest") as children:
            child, log = children[0]
            await wait_ready(bus, child, log)
            offers = await bus.wait(ev.OfferMade, count=2, timeout=90, request_id=req.request_id)
            await asyncio.sleep(3)  # anything else it would send for the request
            mine = [e for _, _, _, e in bus.seen if str(getattr(e, "request_id", "")) == str(req.request_id)]
            # Its lab side, with empty tables too, may read the lab's capacity before its
            # profile and broadcast a lab without one, which withdraws the offer (a new
            # match, new ids): only what it sent before that counts here.
            cut = next((i for i, e in enumerate(mine) if isinstance(e, ev.OfferWithdrawn)), len(mine))
            offers = [e for e in mine[:cut] if isinstance(e, ev.OfferMade)]
            assert {o.offer_id for o in offers} == {first.offer_id}, offers
            assert {(o.lab_id, o.planned_start) for o in offers} == {(first.lab_id, first.planned_start)}
            # It asked again with the first run's reservation id (the lab side answers that
            # one as before), never with a second one.
            asks = {e.reservation_id for e in mine[:cut] if isinstance(e, ev.ReserveSlot)}
            assert len(asks) == 1, asks
