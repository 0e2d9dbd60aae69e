"""One request's life in the scheduler: pure functions from (state, event) to
(new state, messages to send). The request side stores the state (a frozen
`state.RequestState`) in its table and sends the messages; nothing here does I/O, and
no handler changes the state it was given.

Every handler is idempotent under redelivery: it acts only when the event matches
what the state is waiting for (the pending reservation, the open offer).

A handler may also run again on an *older* state: the scheduler is at-least-once, and a
killed worker's sends may have reached the broker while the changelog record of the
state that made them had not (Faust buffers changelog writes behind the agent's own
sends), so its successor restores the state before them and handles the same input
again. Every id this side mints is therefore derived, not random: the n-th reservation
a request asks for and the offer made on a grant get the same ids the first time and
every time after (`reservation_id`, `offer_id`). A grant for the pending reservation is
taken from whichever lab sends it first, so where the successor's matching chose
another lab the first attempt's grant (earlier in the log) wins and the other is
released; a grant the successor reads before it has asked again (its inputs come from
several topics, in another order than the first time) is taken as the answer to its
next ask, and one of its ids for a request it has not seen yet is left booked for that ask. So the
lab never holds two offers for one request.
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from uuid import UUID

from schemas import events as ev
from schemas.envelope import Event
from schemas.states import IllegalTransition, RequestStatus as S
from schemas.topics import OFFERS, RESERVATIONS, STATUS

from .matching import Assignment, Demand, LabState, Unmatched
from .planning import Round
from .state import Hold, Offer, Placement, RequestState as State, Slot
# Ctx and Send are flow's vocabulary for its callers too (flow.Ctx, flow.Send).
from .steps import (OPEN_STATUSES, Ctx, Send, asked_before, best, demand, derived, match, new_state, offer_id,
                    rematch_after_offer, release, reservation_id, reserve, status, withdraw, without)

log = logging.getLogger(__name__)


def submitted(state: State | None, event: ev.RequestSubmitted, ctx: Ctx, out: list[Send]) -> State | None:
    if state is not None:  # a redelivery, or cancelled before we saw it
        return state
    state = status(new_state(event, ctx.partition), S.MATCHING, ctx, out)
    if ctx.settings.batch_window_s > 0:
        return state.but(queued=True)  # planned with its partition's others on MatchWindowClosed
    return match(state, ctx, out)


def queued(states: list[State]) -> list[State]:
    """The window's requests, oldest first (the order the greedy floor serves them)."""
    waiting = [s for s in states if s.queued and not s.cancelled]
    return sorted(waiting, key=lambda s: (s.request.submitted_at, s.request_id))


def demands(states: list[State]) -> list[Demand]:
    return [demand(s) for s in states]


def window_closed(states: list[State], results: list[Assignment | Unmatched], ctx: Ctx,
                  out: list[Send]) -> list[State]:
    """Apply assign_batch's answer: a ReserveSlot per placed request, UNMATCHED for the rest."""
    after = []
    for state, result in zip(states, results):
        state = state.but(queued=False)
        if isinstance(result, Assignment):
            after.append(reserve(state, result, ctx, out))
        else:
            after.append(status(state, S.UNMATCHED, ctx, out, reason=result.reason))
    return after


def plans(states: list[State]) -> dict[str, Assignment | Unmatched]:
    """The previous round's plan of these queued requests (planning.plan_round's
    `previous`): each one's placement, or why it was left out."""
    previous: dict[str, Assignment | Unmatched] = {}
    for s in states:
        rid = str(s.request_id)
        if p := s.plan:
            previous[rid] = Assignment(rid, p.lab_id, s.request.method_code, p.start, p.end, p.completion, p.score)
        elif s.left_out:
            previous[rid] = Unmatched(rid, s.left_out)
    return previous


def planned(states: list[State], done: Round, ctx: Ctx, out: list[Send]) -> list[State]:
    """Apply a planning round: a ReserveSlot for each placement whose offer falls due
    (the round's `commit`), UNMATCHED where nothing fits for good (`final`), and the rest
    kept queued: with its provisional placement, or none while it waits for room; the
    supplier is told (RequestPlanned) when that changed."""
    due = {a.request_id for a in done.commit}
    after = []
    for state in states:
        result = done.plan[str(state.request_id)]
        if isinstance(result, Assignment) and result.request_id not in due:
            after.append(_provisional(state, result, ctx, out))
        elif isinstance(result, Unmatched) and result.request_id not in done.final:
            after.append(_provisional(state, None, ctx, out).but(left_out=result.reason))
        else:
            after.extend(window_closed([state.but(plan=None, left_out=None)], [result], ctx, out))
    return after


def _provisional(state: State, a: Assignment | None, ctx: Ctx, out: list[Send]) -> State:
    """Keep the request queued at this placement (None: none yet)."""
    if _where(state.plan) != _where(a):
        request, (lab_id, start, end) = state.request, _where(a) or (None, None, None)
        out.append(Send(STATUS.name, str(request.request_id), ev.RequestPlanned(
            request_id=request.request_id, org_id=request.org_id, seq=state.seq, at=ctx.now, lab_id=lab_id,
            planned_start=start, planned_end=end)))
    if a is None:
        return state.but(plan=None)
    placement = Placement(lab_id=a.lab_id, start=a.start, end=a.end, completion=a.completion, score=a.score)
    return state.but(left_out=None, plan=placement)


def _where(placed: Assignment | Placement | None) -> tuple | None:
    return None if placed is None else (placed.lab_id, placed.start, placed.end)


def cancelled(state: State | None, event: ev.RequestCancelled, ctx: Ctx, out: list[Send]) -> State:
    if state is None:  # the cancel overtook the submission: remember, so it is never matched
        return State(request=None, partition=ctx.partition, status=S.CANCELLED, seq=0, cancelled=True)
    if state.cancelled:
        return state
    slot = state.slot
    if slot and state.status not in OPEN_STATUSES:  # the lab accepted: tell it the job is off
        out.append(Send(OFFERS.name, slot.lab_id, ev.JobCancelled(
            request_id=event.request_id, lab_id=slot.lab_id, reason="request_cancelled")))
    state = withdraw(state, "request_cancelled", out)
    return release(state, "request_cancelled", out).but(cancelled=True)


def _release_orphan(event: ev.SlotGranted, out: list[Send]) -> None:
    out.append(Send(RESERVATIONS.name, event.lab_id, ev.ReleaseSlot(
        reservation_id=event.reservation_id, request_id=event.request_id, lab_id=event.lab_id,
        reason="no_longer_needed")))


def _holds(state: State, rid: UUID, lab_id: str) -> bool:
    """The request holds this reservation at this lab (a replay may have asked another
    lab with the same id: that lab's grant is not held)."""
    return any(h is not None and h.reservation_id == rid and h.lab_id == lab_id for h in (state.slot, state.move))


def granted(state: State | None, event: ev.SlotGranted, ctx: Ctx, out: list[Send]) -> State | None:
    rid = event.reservation_id
    if state is None:
        if not derived(event.request_id, rid):  # (one of ours: a replay read the grant before the request)
            _release_orphan(event, out)  # nobody will ask for it
        return state
    if asked_before(state, rid):  # catch up with the run that asked for it
        if state.status == S.UNMATCHED:  # the lab's supply is known after all: the grant says so
            state = status(state, S.MATCHING, ctx, out, reason="supply_changed")
        state, _ = reservation_id(state)
        state = state.but(queued=False, plan=None, left_out=None,
                          pending=Hold(reservation_id=rid, lab_id=event.lab_id))
    if state.pending is None or state.pending.reservation_id != rid:
        if not _holds(state, rid, event.lab_id):
            _release_orphan(event, out)  # e.g. the request was cancelled while we waited
        return state
    state = state.but(pending=None)
    if state.cancelled:
        _release_orphan(event, out)
        return state
    if state.move:  # the lab's proposed start fits: move the booking there
        state = release(state, "moved_to_lab_proposed_start", out).but(move=None)
        return _schedule(state, event.lab_id, event.start, event.end, rid, ctx, out)
    return _offer(state, event, ctx, out)


def _offer(state: State, event: ev.SlotGranted, ctx: Ctx, out: list[Send]) -> State:
    request = state.request
    offer = offer_id(request.request_id, event.reservation_id, event.lab_id)
    expires = ctx.now + timedelta(seconds=ctx.settings.offer_ttl_s)
    state = state.but(slot=Slot(reservation_id=event.reservation_id, lab_id=event.lab_id,
                                method_code=event.method_code, start=event.start, end=event.end))
    if offer in state.declined_offers:  # the lab declined this very offer already
        state = release(state, "offer_declined", out).but(declined=without(state.declined, event.lab_id), tried=())
        return match(state, ctx, out)
    state = state.but(offer=Offer(offer_id=offer, lab_id=event.lab_id, expires_at=expires))
    out.append(Send(OFFERS.name, event.lab_id, ev.OfferMade(
        offer_id=offer, request_id=request.request_id, lab_id=event.lab_id, method_code=event.method_code,
        samples=request.samples, deadline=request.deadline, planned_start=event.start,
        planned_end=event.end, expires_at=expires)))
    state = status(state, S.OFFERED, ctx, out, lab_id=event.lab_id, planned_start=event.start, planned_end=event.end)
    early = next((a for a in state.accepted_early if a.offer_id == offer), None)
    return accepted(state.but(accepted_early=()), early, ctx, out) if early else state


def _schedule(state: State, lab_id: str, start: datetime, end: datetime, rid: UUID, ctx: Ctx,
              out: list[Send]) -> State:
    method = state.slot.method_code if state.slot else None
    state = state.but(slot=Slot(reservation_id=rid, lab_id=lab_id, method_code=method, start=start, end=end))
    return status(state, S.SCHEDULED, ctx, out, lab_id=lab_id, planned_start=start, planned_end=end)


def refused(state: State | None, event: ev.SlotRefused, ctx: Ctx, out: list[Send]) -> State | None:
    if state is None or state.pending is None or state.pending.reservation_id != event.reservation_id:
        return state
    state = state.but(pending=None)
    if state.cancelled:
        return state
    if state.move:  # the proposed start does not fit: keep the offered slot
        state, slot = state.but(move=None), state.slot
        return _schedule(state, slot.lab_id, slot.start, slot.end, slot.reservation_id, ctx, out)
    return match(state.but(tried=(*state.tried, event.lab_id)), ctx, out)


def _open_offer(state: State | None, offer_id: UUID) -> bool:
    return bool(state and not state.cancelled and state.status == S.OFFERED
                and state.offer and state.offer.offer_id == offer_id)


def accepted(state: State | None, event: ev.OfferAccepted, ctx: Ctx, out: list[Send]) -> State | None:
    if not _open_offer(state, event.offer_id):
        if state is not None and not state.cancelled and state.status in (S.MATCHING, S.UNMATCHED):
            # As with declines: after a restart the lab's yes may be read before the
            # replayed grant that makes this offer again; kept, and applied when it is made.
            return state.but(accepted_early=(*state.accepted_early, event)[-DECLINES_KEPT:])
        return state
    slot = state.slot
    state = status(state.but(offer=None), S.ACCEPTED, ctx, out, lab_id=slot.lab_id)
    proposed = event.planned_start
    if proposed is None or proposed == slot.start:
        return _schedule(state, slot.lab_id, slot.start, slot.end, slot.reservation_id, ctx, out)
    state, rid = reservation_id(state)  # ask the lab's calendar for exactly the proposed start; keep the old slot till then
    out.append(Send(RESERVATIONS.name, slot.lab_id, ev.ReserveSlot(
        reservation_id=rid, request_id=event.request_id, lab_id=slot.lab_id, method_code=slot.method_code,
        start=proposed, end=proposed + (slot.end - slot.start))))
    hold = Hold(reservation_id=rid, lab_id=slot.lab_id)
    return state.but(pending=hold, move=hold)


def declined(state: State | None, event: ev.OfferDeclined, ctx: Ctx, out: list[Send]) -> State | None:
    if _open_offer(state, event.offer_id):
        return rematch_after_offer(state, event.lab_id, "offer_declined", ctx, out)
    if state is not None and not state.cancelled:
        # Not (yet) this state's offer: after a restart the decline (lab-responses.v1) may
        # be handled before the replayed grant (matching.v1) that makes the offer
        # again, with the same derived id. Kept, so that offer is never made again.
        return state.but(declined_offers=(*state.declined_offers, event.offer_id)[-DECLINES_KEPT:])
    return state


def expired(state: State | None, event: ev.OfferExpired, ctx: Ctx, out: list[Send]) -> State | None:
    if _open_offer(state, event.offer_id):
        state = withdraw(state, "offer_expired", out)
        return rematch_after_offer(state, event.lab_id, "offer_expired", ctx, out)
    return state


DECLINES_KEPT = 16  # declined offer ids a request remembers (each offer has its own reservation)


PROGRESS = {ev.SamplesReceived: S.SAMPLES_RECEIVED, ev.TestingStarted: S.IN_TESTING,
            ev.TestingCompleted: S.COMPLETED, ev.ReportIssued: S.REPORT_ISSUED}


def progressed(state: State | None, event: Event, ctx: Ctx, out: list[Send]) -> State | None:
    target = PROGRESS[type(event)]
    if state is None or state.cancelled or state.status == target:
        return state  # unknown, cancelled, or a redelivery
    try:
        return status(state, target, ctx, out, lab_id=getattr(event, "lab_id", None))
    except IllegalTransition as exc:
        log.warning("request %s: %s; ignored", event.request_id, exc)
        return state


def supply_changed(state: State, lab: LabState | None, lab_id: str, ctx: Ctx, out: list[Send]) -> State:
    """A lab's profile or capacity changed: withdraw offers it may no longer hold,
    re-match UNMATCHED requests it could now serve."""
    if state.cancelled or state.queued:
        return state
    offer = state.offer
    if state.status == S.OFFERED and offer and offer.lab_id == lab_id and (lab is None or not lab.active):
        state = withdraw(state, "accreditation_suspended", out)
        return rematch_after_offer(state, lab_id, "accreditation_suspended", ctx, out)
    if state.status == S.UNMATCHED and lab is not None and state.request.method_code in lab.terms:
        if isinstance(best(state, ctx), Assignment):  # stay quiet when it still cannot be placed
            return match(status(state, S.MATCHING, ctx, out, reason="supply_changed"), ctx, out)
    return state


# What a request's own events do to it (keyed by request_id, read by the request side).
Handler = Callable[[State | None, Event, Ctx, list[Send]], State | None]


HANDLERS: dict[type[Event], Handler] = {
    ev.RequestSubmitted: submitted, ev.RequestCancelled: cancelled, ev.SlotGranted: granted,
    ev.SlotRefused: refused, ev.OfferAccepted: accepted, ev.OfferDeclined: declined, ev.OfferExpired: expired,
    **{kind: progressed for kind in PROGRESS},
}
