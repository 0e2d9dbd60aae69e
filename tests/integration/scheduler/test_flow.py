"""The scheduler worker on the real broker: request -> offer -> accept -> scheduled,
and the ways back to MATCHING (decline, expiry, suspension, new capacity)."""
from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta

import pytest

from schemas import events as ev
from schemas.states import check_transition
from schemas.topics import DLQ, LAB_RESPONSES, LABS, OFFERS, REQUESTS, RESERVATIONS, STATUS

from .support import Bus, add_lab, lab_profile, method_code, request, scheduler, wait_ready


@pytest.fixture
async def bus(kafka):
    bus = Bus(kafka, (STATUS.name, OFFERS.name, RESERVATIONS.name, DLQ.name))
    await bus.start()
    yield bus
    await bus.stop()


@pytest.fixture
async def worker(bus, tmp_path):
    async with scheduler(bus, tmp_path, offer_ttl_s=3600) as children:
        child, log = children[0]
        await wait_ready(bus, child, log)
        yield children


def assert_timeline(statuses: list[ev.StatusChanged]) -> list[str]:
    """Seq 2, 3, ... without gaps, every step legal, starting after booking's SUBMITTED."""
    previous = "SUBMITTED"
    for seq, s in enumerate(statuses, start=2):
        assert s.seq == seq and str(s.previous) == previous, statuses
        check_transition(previous, s.status)
        previous = s.status
    return [str(s.status) for s in statuses]


async def submit(bus: Bus, req: ev.RequestSubmitted) -> None:
    await bus.publish(REQUESTS.name, str(req.request_id), req)


async def respond(bus: Bus, event: ev.Event) -> None:
    await bus.publish(LAB_RESPONSES.name, str(event.request_id), event)


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
    method, lab = method_code(), f"lab-{uuid.uuid4().hex[:8]}"
    await add_lab(bus, lab, method)
    req = request(method)
    await submit(bus, req)
    offer = (await bus.wait(ev.OfferMade, request_id=req.request_id))[0]
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
    method, lab = method_code(), f"lab-{uuid.uuid4().hex[:8]}"
    await add_lab(bus, lab, method)
    req = request(method)
    await submit(bus, req)
    offer = (await bus.wait(ev.OfferMade, request_id=req.request_id))[0]
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
    method, lab = method_code(), f"lab-{uuid.uuid4().hex[:8]}"
    await add_lab(bus, lab, method)
    req = request(method)
    await submit(bus, req)
    offer = (await bus.wait(ev.OfferMade, request_id=req.request_id))[0]
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


async def test_expired_offer_excludes_the_lab(bus, tmp_path):
    async with scheduler(bus, tmp_path, offer_ttl_s=2) as children:
        child, log = children[0]
        await wait_ready(bus, child, log)
        method, lab = method_code(), f"lab-{uuid.uuid4().hex[:8]}"
        await add_lab(bus, lab, method)
        req = request(method)
        await submit(bus, req)
        offer = (await bus.wait(ev.OfferMade, request_id=req.request_id))[0]
        statuses = await bus.wait_status(req.request_id, "UNMATCHED", timeout=30)
        assert assert_timeline(statuses) == ["MATCHING", "OFFERED", "MATCHING", "UNMATCHED"]
        assert statuses[2].reason == "offer_expired"
        assert statuses[-1].reason == "all_candidates_declined"
        withdrawn = await bus.wait(ev.OfferWithdrawn, request_id=req.request_id)
        assert withdrawn[0].offer_id == offer.offer_id and withdrawn[0].reason == "offer_expired"
        await bus.wait(ev.ReleaseSlot, request_id=req.request_id)


async def test_a_killed_workers_successor_resumes_from_the_tables(bus, tmp_path):
    import os
    import signal

    app_id = f"test-scheduler-{uuid.uuid4().hex[:8]}"
    method, lab = method_code(), f"lab-{uuid.uuid4().hex[:8]}"
    req = request(method)
    async with scheduler(bus, tmp_path / "first", app_id=app_id, cleanup=False, offer_ttl_s=3600) as children:
        child, log = children[0]
        await wait_ready(bus, child, log)
        await add_lab(bus, lab, method)
        await submit(bus, req)
        offer = (await bus.wait(ev.OfferMade, request_id=req.request_id))[0]
        await asyncio.sleep(4)  # past the commit interval, so the successor starts after these
        os.killpg(child.pid, signal.SIGKILL)
        child.wait(10)
    async with scheduler(bus, tmp_path / "second", app_id=app_id, offer_ttl_s=3600) as children:
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
