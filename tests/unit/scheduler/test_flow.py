"""The request flow (flow.py) and the reservation decisions (labside.py), without Faust."""
from __future__ import annotations

import copy
import uuid
from datetime import date, timedelta

from schemas import events as ev
from schemas.states import check_transition
from schemas.topics import PARTITIONS
from services.booking.scheduler import flow, labside
from services.booking.scheduler.calendar import Reservation
from services.booking.scheduler.state import LabRecord

from .factories import METHOD, NOW, lab, settings


def ctx(*labs, partition: int = 0, **overrides) -> flow.Ctx:
    overrides.setdefault("batch_window_s", 0)  # match on arrival unless a test wants the window
    return flow.Ctx(NOW, settings(**overrides), {x.lab_id: x for x in labs or (lab(),)}, partition=partition)


def submitted(**overrides) -> ev.RequestSubmitted:
    fields = dict(request_id=uuid.uuid4(), org_id="org-1", method_code=METHOD, test_kind="validation",
                  component={"name": "Pad", "part_number": "P-1", "category": "brakes"}, samples=2,
                  deadline=date(2026, 4, 30), ship_from_region="RU-SAM", submitted_at=NOW)
    return ev.RequestSubmitted(**{**fields, **overrides})


def of(out, kind):
    return [m.event for m in out if isinstance(m.event, kind)]


def grant_for(out) -> ev.SlotGranted:
    r = of(out, ev.ReserveSlot)[-1]
    return ev.SlotGranted(reservation_id=r.reservation_id, request_id=r.request_id, lab_id=r.lab_id,
                          method_code=r.method_code, start=r.start, end=r.end)


def acceptance(offer: ev.OfferMade) -> ev.OfferAccepted:
    """The lab's plain yes to an offer (no proposed start)."""
    return ev.OfferAccepted(offer_id=offer.offer_id, request_id=offer.request_id, lab_id=offer.lab_id)


def offered(c: flow.Ctx):
    out = []
    state = flow.submitted(None, submitted(), c, out)
    state = flow.granted(state, grant_for(out), c, out)
    return state, out


def test_submission_moves_to_matching_and_asks_the_best_lab_for_a_slot():
    out = []
    state = flow.submitted(None, submitted(), ctx(partition=2), out)
    assert [(s.seq, s.status) for s in of(out, ev.StatusChanged)] == [(2, "MATCHING")]
    reserve = of(out, ev.ReserveSlot)[0]
    assert reserve.lab_id == "lab-a" and reserve.latest_end is not None
    assert state.partition == 2 and state.pending.reservation_id == reserve.reservation_id
    assert flow.submitted(state, submitted(), ctx(partition=2), []) is state  # redelivery


def test_no_lab_gives_unmatched_with_the_reason():
    out = []
    flow.submitted(None, submitted(method_code="UNKNOWN-1"), ctx(), out)
    assert [(s.status, s.reason) for s in of(out, ev.StatusChanged)] == [
        ("MATCHING", None), ("UNMATCHED", "no_accredited_lab")]


def test_grant_makes_an_offer_with_the_ttl():
    state, out = offered(ctx(offer_ttl_s=60))
    offer = of(out, ev.OfferMade)[0]
    assert offer.expires_at == NOW + timedelta(seconds=60)
    assert of(out, ev.StatusChanged)[-1].status == "OFFERED" and state.offer.offer_id == offer.offer_id


def test_refusal_tries_the_next_lab_then_reports_no_capacity():
    c, out = ctx(lab("lab-a"), lab("lab-b", price=900_000)), []
    state = flow.submitted(None, submitted(), c, out)
    for expected in ("lab-a", "lab-b"):
        r = of(out, ev.ReserveSlot)[-1]
        assert r.lab_id == expected
        state = flow.refused(state, ev.SlotRefused(reservation_id=r.reservation_id, request_id=r.request_id,
                                                   lab_id=r.lab_id, reason="slot_taken"), c, out)
    assert of(out, ev.StatusChanged)[-1].reason == "no_capacity_before_deadline"


def test_a_stale_grant_is_released_not_offered():
    c, out = ctx(), []
    state = flow.submitted(None, submitted(), c, out)
    grant = grant_for(out)
    stale = grant.model_copy(update={"reservation_id": uuid.uuid4()})
    flow.granted(state, stale, c, out)
    assert of(out, ev.ReleaseSlot)[0].reservation_id == stale.reservation_id and not of(out, ev.OfferMade)


def test_accept_without_a_proposal_schedules_at_once():
    c = ctx()
    state, out = offered(c)
    offer = of(out, ev.OfferMade)[0]
    flow.accepted(state, acceptance(offer), c, out)
    steps = of(out, ev.StatusChanged)
    assert [s.status for s in steps] == ["MATCHING", "OFFERED", "ACCEPTED", "SCHEDULED"]
    assert [s.seq for s in steps] == [2, 3, 4, 5]
    assert steps[-1].planned_start == offer.planned_start


def test_decline_releases_excludes_and_rematches():
    c = ctx(lab("lab-a"), lab("lab-b", price=900_000))
    state, out = offered(c)
    offer = of(out, ev.OfferMade)[0]
    state = flow.declined(state, ev.OfferDeclined(offer_id=offer.offer_id, request_id=offer.request_id,
                                                  lab_id="lab-a", reason="busy"), c, out)
    assert of(out, ev.ReleaseSlot)[0].lab_id == "lab-a"
    assert of(out, ev.ReserveSlot)[-1].lab_id == "lab-b" and state.declined == ("lab-a",)


def test_a_decline_handled_before_the_replayed_grant_keeps_that_offer_from_being_made_again():
    """After a restart the state is from before the offer; the lab's decline of it (one
    topic) is handled before the grant replayed from another, which would make the very
    same offer again (derived ids), one the lab has already answered."""
    c = ctx(lab("lab-a"), lab("lab-b", price=900_000))
    out: list = []
    state = flow.submitted(None, submitted(), c, out)
    before = state  # as the table holds it when the worker is killed
    grant = grant_for(out)
    assert flow.granted(state, grant, c, out) is not state and state == copy.deepcopy(before)  # left as it was
    offer = of(out, ev.OfferMade)[0]
    decline = ev.OfferDeclined(offer_id=offer.offer_id, request_id=offer.request_id, lab_id="lab-a", reason="busy")
    replay: list = []
    state = flow.declined(before, decline, c, replay)
    assert replay == []  # nothing to answer yet
    state = flow.granted(state, grant, c, replay)
    assert of(replay, ev.OfferMade) == []
    assert of(replay, ev.ReleaseSlot)[0].reservation_id == grant.reservation_id
    assert of(replay, ev.ReserveSlot)[-1].lab_id == "lab-b" and state.declined == ("lab-a",)
    assert state.status == "MATCHING"


def test_cancel_releases_withdraws_and_silences():
    c = ctx()
    state, out = offered(c)
    after = []
    state = flow.cancelled(state, ev.RequestCancelled(request_id=state.request_id, org_id="org-1"), c, after)
    assert {type(m.event).__name__ for m in after} == {"ReleaseSlot", "OfferWithdrawn"}
    offer = of(out, ev.OfferMade)[0]
    late = []
    flow.accepted(state, acceptance(offer), c, late)
    assert late == []


def test_cancel_after_the_lab_accepted_tells_the_lab_the_job_is_off():
    c = ctx()
    state, out = offered(c)
    offer = of(out, ev.OfferMade)[0]
    state = flow.accepted(state, acceptance(offer), c, out)
    assert state.status == "SCHEDULED"
    after = []
    flow.cancelled(state, ev.RequestCancelled(request_id=offer.request_id, org_id="org-1"), c, after)
    job_off = [m for m in after if isinstance(m.event, ev.JobCancelled)]
    assert [(m.topic, m.key, m.event.lab_id) for m in job_off] == [("labbook.offers.v1", offer.lab_id, offer.lab_id)]
    assert {type(m.event).__name__ for m in after} == {"JobCancelled", "ReleaseSlot"}


def test_every_emitted_transition_is_legal():
    c = ctx()
    state, out = offered(c)
    previous = "SUBMITTED"
    for s in of(out, ev.StatusChanged):
        check_transition(previous, s.status)
        previous = s.status
    progress = ev.TestingCompleted(request_id=state.request_id, lab_id="lab-a", at=NOW)
    illegal = []
    state = flow.progressed(state, progress, c, illegal)  # OFFERED -> COMPLETED is refused, not emitted
    assert illegal == [] and state.status == "OFFERED"


def test_suspension_withdraws_the_offer_and_unmatched_waits_for_supply():
    c = ctx(lab("lab-a"))
    state, out = offered(c)
    suspended = lab("lab-a", active=False)
    c.labs["lab-a"] = suspended
    state = flow.supply_changed(state, suspended, "lab-a", c, out)
    assert of(out, ev.OfferWithdrawn)[0].reason == "accreditation_suspended"
    assert state.status == "UNMATCHED"
    c.labs["lab-b"] = lab("lab-b")
    state = flow.supply_changed(state, c.labs["lab-b"], "lab-b", c, out)
    assert state.status == "MATCHING" and of(out, ev.ReserveSlot)[-1].lab_id == "lab-b"


def reserve_event(start, hours=24, latest_end=None, lab_id="lab-a") -> ev.ReserveSlot:
    return ev.ReserveSlot(reservation_id=uuid.uuid4(), request_id=uuid.uuid4(), lab_id=lab_id, method_code=METHOD,
                          start=start, end=start + timedelta(hours=hours), latest_end=latest_end)


def lab_record(slots=1) -> LabRecord:
    return labside.empty().but(capacity=ev.CapacityAdvertised(lab_id="lab-a", heartbeat_at=NOW, items=(
        {"method_code": METHOD, "slots": slots, "available_from": NOW,
         "available_to": NOW + timedelta(days=10)},)))


def test_reservation_agent_never_overbooks_and_places_later_within_bounds():
    record = lab_record()
    record, first = labside.reserve(record, reserve_event(NOW))
    record, clash = labside.reserve(record, reserve_event(NOW))
    record, later = labside.reserve(record, reserve_event(NOW, latest_end=NOW + timedelta(days=3)))
    assert isinstance(first.event, ev.SlotGranted) and isinstance(clash.event, ev.SlotRefused)
    assert later.event.start == NOW + timedelta(hours=24)
    record, full = labside.reserve(record, reserve_event(NOW, latest_end=NOW + timedelta(hours=47)))
    assert isinstance(full.event, ev.SlotRefused)


def test_reservation_is_idempotent_and_release_frees_it():
    record = lab_record()
    ask = reserve_event(NOW)
    record, one = labside.reserve(record, ask)
    record, two = labside.reserve(record, ask)
    assert one.event == two.event and len(record.booked[METHOD]) == 1
    record = labside.release(record, ev.ReleaseSlot(reservation_id=ask.reservation_id, request_id=ask.request_id,
                                                    lab_id="lab-a", reason="x"))
    record, again = labside.reserve(record, ask)  # a redelivered ask after its release
    assert isinstance(again.event, ev.SlotRefused)
    record, other = labside.reserve(record, reserve_event(NOW))
    assert isinstance(other.event, ev.SlotGranted)


def test_matching_sees_the_bookings_the_labs_agent_broadcasts():
    c = ctx(lab("lab-a"), lab("lab-b", price=60_000))  # a is cheaper, so first choice
    out: list = []
    flow.submitted(None, submitted(), c, out)
    first = of(out, ev.ReserveSlot)[-1]
    assert first.lab_id == "lab-a"
    record, granted = labside.reserve(lab_record(), first)
    assert isinstance(granted.event, ev.SlotGranted)
    changed = labside.booking_changes("lab-a", {}, record.booked)
    assert {m.partition for m in changed} == set(range(PARTITIONS))
    booked = changed[0].event
    c.calendar.replace("lab-a", METHOD, [Reservation(str(b.reservation_id), b.start, b.end) for b in booked.bookings])
    flow.submitted(None, submitted(), c, out)
    # lab-a could only start after the first job: a day later costs more than 10,000 RUB.
    assert of(out, ev.ReserveSlot)[-1].lab_id == "lab-b"


def test_a_reservation_change_carries_only_what_changed_to_every_partition():
    record, granted = labside.reserve(lab_record(slots=2), reserve_event(NOW))
    first = granted.event
    before = record.booked
    record, again = labside.reserve(record, reserve_event(NOW + timedelta(days=1)))
    changes = labside.booking_changes("lab-a", before, record.booked)
    assert {m.partition for m in changes} == set(range(PARTITIONS))
    added = changes[0].event
    assert not added.replace and added.released == ()
    assert [(b.reservation_id, b.start, b.end) for b in added.bookings] == [
        (again.event.reservation_id, again.event.start, again.event.end)]
    before = record.booked
    record = labside.release(record, ev.ReleaseSlot(reservation_id=first.reservation_id, request_id=first.request_id,
                                                    lab_id="lab-a", reason="declined"))
    released = labside.booking_changes("lab-a", before, record.booked)[0].event
    assert released.bookings == () and released.released == (first.reservation_id,)
    assert labside.booking_changes("lab-a", record.booked, record.booked) == []
