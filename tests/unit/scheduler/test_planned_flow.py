"""flow.planned: a planning round applied to the queued requests' states (what the
worker sends and keeps). The round itself is planning.py's (test_planning.py); here it
is built by hand, so each expectation follows from the round given."""
from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from schemas import events as ev
from services.booking.scheduler import flow, steps
from services.booking.scheduler.matching import Assignment, Unmatched
from services.booking.scheduler.planning import Round
from services.booking.scheduler.requestside import supply_terms
from services.booking.scheduler.state import Placement

from .factories import METHOD, NOW, lab, window
from .test_flow import ctx, of, submitted

DAY = timedelta(days=1)


def queued(**overrides):
    """A request just submitted with the window on: MATCHING, queued for its round."""
    out = []
    state = flow.submitted(None, submitted(**overrides), ctx(batch_window_s=1.0), out)
    assert state.queued and not of(out, ev.ReserveSlot)
    return state


def placed(state, days: int, lab_id: str = "lab-a") -> Assignment:
    start = NOW + days * DAY
    return Assignment(str(state.request_id), lab_id, METHOD, start, start + DAY, start + 3 * DAY, float(days))


def round_of(plan: dict, commit=(), final=()) -> Round:
    return Round(plan, list(commit), None, frozenset({METHOD}), frozenset(final))


def test_due_offered_unplaceable_for_good_unmatched_the_rest_planned_and_told():
    due, later, nowhere = queued(), queued(), queued()
    a, b = placed(due, 1), placed(later, 20)
    done = round_of({str(due.request_id): a, str(later.request_id): b,
                     str(nowhere.request_id): Unmatched(str(nowhere.request_id), "no_capacity_before_deadline")},
                    commit=[a], final=[str(nowhere.request_id)])
    out = []
    after = flow.planned([due, later, nowhere], done, ctx(lab(), batch_window_s=1.0), out)
    asked, = of(out, ev.ReserveSlot)
    assert (asked.request_id, asked.lab_id, asked.start) == (due.request_id, "lab-a", a.start)
    told, = of(out, ev.RequestPlanned)
    assert (told.request_id, told.lab_id, told.planned_start, told.planned_end) == (
        later.request_id, "lab-a", b.start, b.end)
    assert told.seq == later.seq and told.org_id == later.request.org_id  # the status it belongs to
    assert [(s.seq, s.status, s.reason) for s in of(out, ev.StatusChanged)] == [
        (nowhere.seq + 1, "UNMATCHED", "no_capacity_before_deadline")]
    first, second, third = after
    assert not first.queued and first.pending is not None and first.plan is None
    assert second.queued and second.plan == Placement(lab_id="lab-a", start=b.start, end=b.end,
                                                      completion=b.completion, score=b.score)
    assert not third.queued and third.status == "UNMATCHED"


def test_an_unchanged_placement_is_not_told_again_and_a_moved_one_is():
    state = queued()
    first = placed(state, 20)
    [state] = flow.planned([state], round_of({str(state.request_id): first}), ctx(batch_window_s=1.0), [])
    again = []
    [state] = flow.planned([state], round_of({str(state.request_id): first}), ctx(batch_window_s=1.0), again)
    assert again == []
    moved, out = placed(state, 25, "lab-b"), []
    [state] = flow.planned([state], round_of({str(state.request_id): moved}), ctx(batch_window_s=1.0), out)
    assert [(e.lab_id, e.planned_start) for e in of(out, ev.RequestPlanned)] == [("lab-b", moved.start)]
    assert state.plan.lab_id == "lab-b"


def test_the_kept_placements_are_the_next_rounds_previous_plan():
    state, other = queued(), queued()
    a = placed(state, 20)
    [state, other] = flow.planned([state, other], round_of(
        {str(state.request_id): a, str(other.request_id): Unmatched(str(other.request_id), "x")}),
        ctx(batch_window_s=1.0), [])
    # Score and completion kept too; the one left out (not for good) says why.
    assert flow.plans([state, other]) == {str(state.request_id): a,
                                          str(other.request_id): Unmatched(str(other.request_id), "x")}


def test_a_grant_for_a_planned_request_drops_its_placement():
    """A run this state does not remember asked for the slot (see flow.asked_before):
    the request is no longer the plan's to move."""
    state = queued()
    [state] = flow.planned([state], round_of({str(state.request_id): placed(state, 20)}),
                           ctx(batch_window_s=1.0), [])
    rid = steps.nth_reservation(state.request_id, state.asked)
    grant = ev.SlotGranted(reservation_id=rid, request_id=state.request_id, lab_id="lab-a", method_code=METHOD,
                           start=NOW + DAY, end=NOW + 2 * DAY)
    out = []
    after = flow.granted(state, grant, ctx(batch_window_s=1.0), out)
    assert not after.queued and after.plan is None and of(out, ev.OfferMade)


def test_a_heartbeat_alone_does_not_replan_and_new_capacity_does():
    before = lab()
    assert supply_terms(replace(before, heartbeat_at=NOW + DAY)) == supply_terms(before)
    assert supply_terms(lab(win=window(slots=2))) != supply_terms(before)
    assert supply_terms(None) != supply_terms(before)


def test_one_unplaced_but_not_for_good_waits_in_the_plan_and_its_shown_placement_goes():
    state = queued()
    [state] = flow.planned([state], round_of({str(state.request_id): placed(state, 20)}), ctx(batch_window_s=1.0), [])
    out = []
    waiting = Unmatched(str(state.request_id), "no_capacity_before_deadline")
    [after] = flow.planned([state], round_of({str(state.request_id): waiting}), ctx(batch_window_s=1.0), out)
    assert after.queued and after.plan is None and after.status == "MATCHING" and not of(out, ev.StatusChanged)
    assert [(e.lab_id, e.planned_start) for e in of(out, ev.RequestPlanned)] == [(None, None)]
    # The next round's previous plan says so, as the benchmark's does: nothing new to solve.
    assert flow.plans([after]) == {str(state.request_id): waiting}
