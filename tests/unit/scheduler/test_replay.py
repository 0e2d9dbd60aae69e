"""At-least-once replays of the request side (flow.py).

A killed scheduler's outputs may have reached the broker while the table write of the
state that produced them had not (Faust sends a changelog record through a buffer,
after the agent's own sends). Its successor restores the older state and handles the
same input again. What it sends then must be what the first attempt sent (the same
reservation and offer ids), or the lab holds two offers for one request, accepts both,
and the scheduler has forgotten one of them (and may have released its slot): the
labs API's accepted offers then count the request twice, as in the fault campaign's
one "4 jobs at once in a window of 3 slots" (not reproduced since; this is the one way
found that gives it).
"""
from __future__ import annotations

import uuid

from schemas import events as ev
from services.booking.scheduler import flow
from services.booking.scheduler.state import Hold

from .factories import lab
from .test_flow import ctx, grant_for, of, submitted


def test_a_grant_handled_again_on_the_state_before_it_makes_the_same_offer():
    c, out = ctx(), []
    state = flow.submitted(None, submitted(), c, out)
    grant, before = grant_for(out), state
    first, again = [], []
    flow.granted(state, grant, c, first)
    flow.granted(before, grant, c, again)
    assert of(first, ev.OfferMade)[0].offer_id == of(again, ev.OfferMade)[0].offer_id


def test_a_match_window_handled_again_asks_for_the_same_reservation():
    c = ctx(batch_window_s=1.0)
    state = flow.submitted(None, submitted(), c, [])
    assert state.queued
    asks = []
    for _ in range(2):
        out: list = []
        flow.window_closed([state], [flow.best(state, c)], c, out)
        asks.append(of(out, ev.ReserveSlot)[0].reservation_id)
    assert asks[0] == asks[1]


def test_rematching_again_elsewhere_follows_the_first_attempts_grant():
    """The successor's matching chose another lab for the same request (its view of
    the calendars moved on); the first attempt's grant, earlier in the log, is the one
    taken: the same offer as before, and the new lab's grant is released."""
    c = ctx(lab("lab-a"), lab("lab-b", price=900_000))
    out: list = []
    state = flow.submitted(None, submitted(), c, out)
    before = state
    original_ask = of(out, ev.ReserveSlot)[-1]
    assert original_ask.lab_id == "lab-a"
    original = []
    flow.granted(state, grant_for(out), c, original)
    # The successor, on the state before the grant, asked lab-b instead (same attempt).
    rid = before.pending.reservation_id
    replay = before.but(pending=Hold(reservation_id=rid, lab_id="lab-b"))
    lab_b_grant = grant_for(out).model_copy(update={"lab_id": "lab-b"})
    sent: list = []
    replay = flow.granted(replay, grant_for(out), c, sent)  # lab-a's grant comes first in the log
    replay = flow.granted(replay, lab_b_grant, c, sent)
    assert [o.offer_id for o in of(sent, ev.OfferMade)] == [of(original, ev.OfferMade)[0].offer_id]
    assert [(r.lab_id, r.reservation_id) for r in of(sent, ev.ReleaseSlot)] == [("lab-b", rid)]
    assert replay.slot.lab_id == "lab-a"


def test_a_grant_read_before_the_request_asked_again_answers_that_ask():
    """The successor's inputs come from several topics: it may read the first run's grant
    before the request (then the grant stays booked) or before the match window it asked
    in (then it is the answer to the ask it is about to make), never a release and a
    second reservation."""
    c = ctx(batch_window_s=1.0)
    event = submitted()
    first_run = flow.submitted(None, event, c, [])
    asked: list = []
    flow.window_closed([first_run], [flow.best(first_run, c)], c, asked)
    grant = grant_for(asked)
    early: list = []
    assert flow.granted(None, grant, c, early) is None and early == []
    stranger = grant.model_copy(update={"reservation_id": uuid.uuid4()})  # not one of the request's ids
    flow.granted(None, stranger, c, early)
    assert [r.reservation_id for r in of(early, ev.ReleaseSlot)] == [stranger.reservation_id]
    successor: list = []
    state = flow.submitted(None, event, c, successor)
    state = flow.granted(state, grant, c, successor)
    offered = of(successor, ev.OfferMade)
    assert not of(successor, ev.ReleaseSlot) and len(offered) == 1
    assert state.status == "OFFERED" and not state.queued and state.pending is None
    flow.window_closed(flow.queued([state]), [], c, successor)  # its window, read afterwards
    assert not of(successor, ev.ReserveSlot)
    mine: list = []
    flow.granted(first_run, grant, c, mine)
    assert offered[0].offer_id == of(mine, ev.OfferMade)[0].offer_id


def first_run(request: ev.RequestSubmitted) -> tuple[ev.SlotGranted, ev.OfferMade]:
    """What a first run got for the request before it died: its grant and its offer."""
    c, out = ctx(), []
    flow.submitted(None, request, c, out)
    grant = grant_for(out)
    flow.granted(flow.submitted(None, request, c, []), grant, c, out)
    (offer,) = of(out, ev.OfferMade)
    return grant, offer


def test_a_successor_that_matched_before_it_read_the_labs_supply_takes_the_first_runs_grant():
    """Its supply comes on another topic than its own steps: it may find no lab, go
    UNMATCHED, and only then read the first run's grant. That grant is the reservation it
    would ask for next: taken (back to MATCHING, then OFFERED) with the first run's offer
    id, not released (its next ask would be refused as released and ask again, under a
    new id: a second offer for the request at the lab)."""
    request = submitted()
    grant, first_offer = first_run(request)
    successor, sent = ctx(lab("lab-other", method="NO-SUCH-METHOD")), []  # the lab not read yet
    state = flow.submitted(None, request, successor, sent)
    assert state.status == "UNMATCHED"
    state = flow.granted(state, grant, successor, sent)
    assert state.status == "OFFERED" and of(sent, ev.ReleaseSlot) == []
    assert [o.offer_id for o in of(sent, ev.OfferMade)] == [first_offer.offer_id]
    assert [(s.status, s.reason) for s in of(sent, ev.StatusChanged)][-2:] == [("MATCHING", "supply_changed"),
                                                                               ("OFFERED", None)]


def test_a_labs_yes_read_before_the_replayed_grant_is_applied_when_the_offer_is_made_again():
    """The successor reads the lab's acceptance of the first run's offer before the grant
    that makes that offer again: kept, and applied at once when the offer is made (not
    dropped, which left the request OFFERED, waiting for an answer already given)."""
    request = submitted()
    grant, offer = first_run(request)
    yes = ev.OfferAccepted(offer_id=offer.offer_id, request_id=offer.request_id, lab_id=offer.lab_id)
    successor, sent = ctx(lab("lab-other", method="NO-SUCH-METHOD")), []
    state = flow.submitted(None, request, successor, sent)
    state = flow.accepted(state, yes, successor, sent)
    assert state.status == "UNMATCHED" and state.accepted_early == (yes,)
    state = flow.granted(state, grant, successor, sent)
    assert state.status == "SCHEDULED" and state.accepted_early == ()
    assert [s.status for s in of(sent, ev.StatusChanged)][-4:] == ["MATCHING", "OFFERED", "ACCEPTED", "SCHEDULED"]


def test_a_planning_round_handled_again_asks_for_the_same_reservation_with_or_without_its_plan():
    """Planned ahead: the first round only plans (the lab's window opens in 20 days), a
    round days later commits. Handled again on the state before it, whether that state
    kept its provisional placement or lost it with the worker, the ask has the same id."""
    from datetime import timedelta

    from services.booking.scheduler.planning import plan_round

    from .factories import NOW, window

    def round_at(state, days: float, out: list):
        at = NOW + timedelta(days=days)  # the lab's agent alive then too
        c = ctx(lab(win=window(days=60, start=NOW + timedelta(days=20)), heartbeat=at), batch_window_s=1.0)
        c.now = at
        done = plan_round(flow.demands([state]), flow.plans([state]), c.lab_index(), c.calendar, c.now, c.settings)
        return flow.planned([state], done, c, out)[0]

    state = flow.submitted(None, submitted(), ctx(batch_window_s=1.0), [])
    told: list = []
    planned = round_at(state, 0, told)
    assert planned.queued and planned.plan is not None and of(told, ev.RequestPlanned) and not of(told, ev.ReserveSlot)
    asks = []
    for before in (planned, state):  # its placement kept, or lost with the worker
        out: list = []
        round_at(before, 17, out)
        asks.append([(r.reservation_id, r.start) for r in of(out, ev.ReserveSlot)])
    assert len(asks[0]) == 1 and asks[0] == asks[1]
