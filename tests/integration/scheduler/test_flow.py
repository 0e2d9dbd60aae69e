"""The scheduler worker on the real broker: request -> offer -> accept -> scheduled,
and the ways back to MATCHING (decline, suspension, new capacity; expiry and a
killed worker are in test_own_workers.py)."""
from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from schemas import events as ev
from schemas.topics import LABS, REQUESTS

from .support import add_lab, assert_timeline, lab_profile, method_code, offered, ready_worker, request, respond, submit


@pytest.fixture(scope="module")
async def worker(kafka, tmp_path_factory):
    """One worker for the tests that need an ordinary one: each uses methods and labs of
    its own, so they never compete, and starting a worker per test took 4.5 s each."""
    async with ready_worker(kafka, tmp_path_factory.mktemp("scheduler"), offer_ttl_s=3600) as children:
        yield children


async def test_request_is_offered_accepted_and_scheduled(bus, worker):
    method, lab = method_code(), f"lab-{uuid.uuid4().hex[:8]}"
    await add_lab(bus, lab, method)
    req = request(method)
    await submit(bus, req)
    statuses = await bus.wait_status(req.request_id, "OFFERED")
    assert assert_timeline(statuses) == ["MATCHING", "OFFERED"]
    offer = (await bus.wait(ev.OfferMade, request_id=req.request_id))[0]
    assert offer.lab_id == lab and statuses[-1].lab_id == lab
    assert offer.planned_start == statuses[-1].planned_start
    assert timedelta(minutes=59) < offer.expires_at - statuses[-1].at <= timedelta(hours=1, minutes=1)
    await respond(bus, ev.OfferAccepted(offer_id=offer.offer_id, request_id=req.request_id, lab_id=lab))
    statuses = await bus.wait_status(req.request_id, "SCHEDULED")
    assert assert_timeline(statuses) == ["MATCHING", "OFFERED", "ACCEPTED", "SCHEDULED"]
    assert (statuses[-1].planned_start, statuses[-1].planned_end) == (offer.planned_start, offer.planned_end)
    for kind, status in ((ev.SamplesReceived, "SAMPLES_RECEIVED"), (ev.TestingStarted, "IN_TESTING"),
                         (ev.TestingCompleted, "COMPLETED")):
        await respond(bus, kind(request_id=req.request_id, lab_id=lab, at=offer.planned_start))
        await bus.wait_status(req.request_id, status)
    await respond(bus, ev.ReportIssued(request_id=req.request_id, lab_id=lab, at=offer.planned_end,
                                       report_url="https://lab.example/r.pdf"))
    statuses = await bus.wait_status(req.request_id, "REPORT_ISSUED")
    assert assert_timeline(statuses)[-1] == "REPORT_ISSUED"


async def test_lab_proposed_start_is_used_when_free(bus, worker):
    _, lab, req, offer = await offered(bus)
    proposed = offer.planned_start + timedelta(days=2)
    await respond(bus, ev.OfferAccepted(offer_id=offer.offer_id, request_id=req.request_id, lab_id=lab,
                                        planned_start=proposed))
    statuses = await bus.wait_status(req.request_id, "SCHEDULED")
    assert statuses[-1].planned_start == proposed
    assert statuses[-1].planned_end == proposed + (offer.planned_end - offer.planned_start)
    released = await bus.wait(ev.ReleaseSlot, request_id=req.request_id)
    assert released[0].reason == "moved_to_lab_proposed_start"


async def test_decline_rematches_to_the_other_lab(bus, worker):
    method, near, far = method_code(), f"lab-near-{uuid.uuid4().hex[:6]}", f"lab-far-{uuid.uuid4().hex[:6]}"
    await add_lab(bus, near, method)
    await add_lab(bus, far, method, at=(55.752, 37.6178))  # Moscow: farther from Samara
    req = request(method)
    await submit(bus, req)
    first = (await bus.wait(ev.OfferMade, request_id=req.request_id))[0]
    assert first.lab_id == near
    await respond(bus, ev.OfferDeclined(offer_id=first.offer_id, request_id=req.request_id, lab_id=near,
                                        reason="busy"))
    offers = await bus.wait(ev.OfferMade, count=2, request_id=req.request_id)
    assert offers[1].lab_id == far
    statuses = await bus.wait_status(req.request_id, "OFFERED")
    assert assert_timeline(statuses) == ["MATCHING", "OFFERED", "MATCHING", "OFFERED"]
    assert [r.lab_id for r in bus.events(ev.ReleaseSlot, request_id=req.request_id)] == [near]


async def test_cancel_releases_the_slot_and_stops(bus, worker):
    method, lab, req, offer = await offered(bus)
    await bus.publish(REQUESTS.name, str(req.request_id),
                      ev.RequestCancelled(request_id=req.request_id, org_id=req.org_id))
    withdrawn = await bus.wait(ev.OfferWithdrawn, request_id=req.request_id)
    assert withdrawn[0].offer_id == offer.offer_id
    await bus.wait(ev.ReleaseSlot, request_id=req.request_id)
    before = len(bus.statuses(req.request_id))
    await respond(bus, ev.OfferAccepted(offer_id=offer.offer_id, request_id=req.request_id, lab_id=lab))
    # The freed slot goes to the next request (slots=1: while held, it would wait for its end).
    other = request(method)
    await submit(bus, other)
    again = (await bus.wait(ev.OfferMade, request_id=other.request_id))[0]
    assert again.planned_start < offer.planned_end
    assert len(bus.statuses(req.request_id)) == before == 2


async def test_cancel_after_acceptance_reaches_the_lab_as_job_cancelled(bus, worker):
    _, lab, req, offer = await offered(bus)
    await respond(bus, ev.OfferAccepted(offer_id=offer.offer_id, request_id=req.request_id, lab_id=lab))
    await bus.wait_status(req.request_id, "SCHEDULED")
    await bus.publish(REQUESTS.name, str(req.request_id),
                      ev.RequestCancelled(request_id=req.request_id, org_id=req.org_id))
    off = await bus.wait(ev.JobCancelled, request_id=req.request_id)
    assert off[0].lab_id == lab and off[0].reason == "request_cancelled"
    await bus.wait(ev.ReleaseSlot, request_id=req.request_id)


async def test_suspension_withdraws_the_offer_and_rematches(bus, worker):
    method, first, second = method_code(), f"lab-a-{uuid.uuid4().hex[:6]}", f"lab-b-{uuid.uuid4().hex[:6]}"
    await add_lab(bus, first, method, price=10_000)
    await add_lab(bus, second, method, price=900_000)
    req = request(method)
    await submit(bus, req)
    offer = (await bus.wait(ev.OfferMade, request_id=req.request_id))[0]
    assert offer.lab_id == first
    await bus.publish(LABS.name, first, lab_profile(first, method, status="suspended", price=10_000))
    withdrawn = await bus.wait(ev.OfferWithdrawn, request_id=req.request_id)
    assert withdrawn[0].reason == "accreditation_suspended"
    offers = await bus.wait(ev.OfferMade, count=2, request_id=req.request_id)
    assert offers[1].lab_id == second
    assert assert_timeline(bus.statuses(req.request_id)) == ["MATCHING", "OFFERED", "MATCHING", "OFFERED"]


async def test_unmatched_rematches_when_capacity_appears(bus, worker):
    method, lab = method_code(), f"lab-{uuid.uuid4().hex[:8]}"
    req = request(method)
    await submit(bus, req)
    statuses = await bus.wait_status(req.request_id, "UNMATCHED")
    assert statuses[-1].reason == "no_accredited_lab"
    await add_lab(bus, lab, method)
    statuses = await bus.wait_status(req.request_id, "OFFERED")
    assert assert_timeline(statuses) == ["MATCHING", "UNMATCHED", "MATCHING", "OFFERED"]


async def test_malformed_message_is_dead_lettered_and_the_agent_goes_on(bus, worker):
    key = f"junk-{uuid.uuid4().hex[:8]}"
    await bus.producer.send_and_wait(REQUESTS.name, b"{not an envelope", key=key.encode())
    letters = await bus.wait(ev.DeadLetter)
    letter = [d for d in letters if d.topic == REQUESTS.name and "not JSON" in d.reason]
    assert letter
    method, lab = method_code(), f"lab-{uuid.uuid4().hex[:8]}"
    await add_lab(bus, lab, method)
    req = request(method)
    await submit(bus, req)
    await bus.wait_status(req.request_id, "OFFERED")
