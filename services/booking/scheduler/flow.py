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
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from uuid import NAMESPACE_URL, UUID, uuid5

from schemas import events as ev
from schemas.envelope import Event
from schemas.reasons import UnmatchedReason as Reason
from schemas.states import IllegalTransition, RequestStatus as S, check_transition
from schemas.topics import OFFERS, RESERVATIONS, STATUS

from .calendar import Calendar
from .labindex import LabIndex, index_labs
from .matching import Assignment, Demand, LabState, Unmatched, latest_test_end, match_one
from .settings import SchedulerSettings
from .state import Hold, Offer, RequestState as State, Slot

log = logging.getLogger(__name__)
IDS = uuid5(NAMESPACE_URL, "urn:labbook:scheduler")  # the namespace of the ids the request side derives
OPEN_STATUSES = {S.SUBMITTED, S.MATCHING, S.UNMATCHED, S.OFFERED}  # no lab holds the job


@dataclass(frozen=True)
class Send:
    topic: str
    key: str
    event: Event
    partition: int | None = None


@dataclass
class Ctx:
    now: datetime
    settings: SchedulerSettings
    labs: dict[str, LabState] = field(default_factory=dict)
    # The worker's view of every lab's bookings (the labs agent owns them): gives matching
    # the labs' load and free time. It may lag; the owner refuses a slot already taken.
    calendar: Calendar = field(default_factory=Calendar)
    index: LabIndex | None = None  # of `labs`, when the caller keeps one
    partition: int = 0  # the one the event was read from: a new request's state remembers it

    def lab_index(self) -> LabIndex:
        index = self.index
        if index is None or len(index) != len(self.labs) or any(
                index.by_id.get(k) is not v for k, v in self.labs.items()):
            self.index = index_labs(self.labs.values())  # `labs` changed since
        return self.index


def new_state(event: ev.RequestSubmitted, partition: int) -> State:
    return State(request=event, partition=partition, status=S.SUBMITTED, seq=1)


def status(state: State, target: S, ctx: Ctx, out: list[Send], **fields) -> State:
    """Check the transition, then emit it with the next seq (raises IllegalTransition)."""
    check_transition(state.status, target)
    request, seq = state.request, state.seq + 1
    out.append(Send(STATUS.name, str(request.request_id), ev.StatusChanged(
        request_id=request.request_id, org_id=request.org_id, seq=seq, status=target,
        previous=state.status, at=ctx.now, **fields)))
    return state.but(seq=seq, status=target)


def _demand(state: State, extra: tuple[str, ...] = ()) -> Demand:
    return Demand.from_event(state.request, declined=[*state.declined, *extra])


def best(state: State, ctx: Ctx) -> Assignment | Unmatched:
    """The best lab not yet declined or refused in this round; reasons as in matching.py."""
    labs, calendar = ctx.lab_index(), ctx.calendar
    first = match_one(_demand(state), labs, calendar, ctx.now, ctx.settings)
    if isinstance(first, Unmatched) or not state.tried:
        return first
    second = match_one(_demand(state, state.tried), labs, calendar, ctx.now, ctx.settings)
    # Every lab that could do it refused a slot: their calendars are full.
    return Unmatched(second.request_id, Reason.NO_CAPACITY_BEFORE_DEADLINE) if isinstance(second, Unmatched) else second


def match(state: State, ctx: Ctx, out: list[Send]) -> State:
    """In MATCHING: ask the best lab's reservation agent for a slot, or give up."""
    result = best(state, ctx)
    if isinstance(result, Unmatched):
        return status(state.but(tried=()), S.UNMATCHED, ctx, out, reason=result.reason)
    return reserve(state, result, ctx, out)


def reservation_id(state: State) -> tuple[State, UUID]:
    """The id of the request's next ReserveSlot, and the state that has asked for it: the
    n-th one a request asks for has the same id however often its handler runs (see the
    module's docstring)."""
    return state.but(asked=state.asked + 1), _nth_reservation(state.request_id, state.asked)


def _nth_reservation(request_id: UUID, n: int) -> UUID:
    return uuid5(IDS, f"{request_id}/reservation/{n}")


def _derived(request_id: UUID, rid: UUID, first: int = 8) -> bool:
    """One of the request's first reservation ids."""
    return any(rid == _nth_reservation(request_id, n) for n in range(first))


def _asked_before(state: State, rid: UUID) -> bool:
    """A grant of the reservation this state would ask for next, while it waits to ask:
    a run of the handlers this state does not remember (its table write was lost) asked
    for it, and the successor has not come that far again yet."""
    return (state.request is not None and not state.cancelled and state.pending is None
            and state.status == S.MATCHING and rid == _nth_reservation(state.request_id, state.asked))


def offer_id(request_id: UUID, reservation_id: UUID, lab_id: str) -> UUID:
    """The offer made on a grant: one per granted reservation and lab."""
    return uuid5(IDS, f"{request_id}/offer/{reservation_id}/{lab_id}")


def reserve(state: State, result: Assignment, ctx: Ctx, out: list[Send]) -> State:
    request, lab = state.request, ctx.labs[result.lab_id]
    latest = latest_test_end(ctx.settings.reporting_days, request.deadline, lab.valid_until)
    state, rid = reservation_id(state)
    out.append(Send(RESERVATIONS.name, result.lab_id, ev.ReserveSlot(
        reservation_id=rid, request_id=request.request_id, lab_id=result.lab_id, method_code=result.method,
        start=result.start, end=result.end, latest_end=latest)))
    return state.but(pending=Hold(reservation_id=rid, lab_id=result.lab_id))


def submitted(state: State | None, event: ev.RequestSubmitted, ctx: Ctx, out: list[Send]) -> State | None:
    if state is not None:  # a redelivery, or cancelled before we saw it
        return state
    state = status(new_state(event, ctx.partition), S.MATCHING, ctx, out)
    if ctx.settings.batch_window_s > 0:
        return state.but(queued=True)  # matched with its window's others on MatchWindowClosed
    return match(state, ctx, out)


def queued(states: list[State]) -> list[State]:
    """The window's requests, oldest first (the order the greedy floor serves them)."""
    waiting = [s for s in states if s.queued and not s.cancelled]
    return sorted(waiting, key=lambda s: (s.request.submitted_at, s.request_id))


def demands(states: list[State]) -> list[Demand]:
    return [_demand(s) for s in states]


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


def release(state: State, reason: str, out: list[Send]) -> State:
    slot = state.slot
    if slot:
        out.append(Send(RESERVATIONS.name, slot.lab_id, ev.ReleaseSlot(
            reservation_id=slot.reservation_id, request_id=state.request_id, lab_id=slot.lab_id, reason=reason)))
    return state.but(slot=None)


def withdraw(state: State, reason: str, out: list[Send]) -> State:
    offer = state.offer
    if offer:
        out.append(Send(OFFERS.name, offer.lab_id, ev.OfferWithdrawn(
            offer_id=offer.offer_id, request_id=state.request_id, lab_id=offer.lab_id, reason=reason)))
    return state.but(offer=None)


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
        if not _derived(event.request_id, rid):  # (one of ours: a replay read the grant before the request)
            _release_orphan(event, out)  # nobody will ask for it
        return state
    if _asked_before(state, rid):  # catch up with the run that asked for it
        state, _ = reservation_id(state)
        state = state.but(queued=False, pending=Hold(reservation_id=rid, lab_id=event.lab_id))
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


def _without(labs: tuple[str, ...], lab_id: str) -> tuple[str, ...]:
    """The labs excluded from here on: these and this one."""
    return tuple(sorted({*labs, lab_id}))


def _offer(state: State, event: ev.SlotGranted, ctx: Ctx, out: list[Send]) -> State:
    request = state.request
    offer = offer_id(request.request_id, event.reservation_id, event.lab_id)
    expires = ctx.now + timedelta(seconds=ctx.settings.offer_ttl_s)
    state = state.but(slot=Slot(reservation_id=event.reservation_id, lab_id=event.lab_id,
                                method_code=event.method_code, start=event.start, end=event.end))
    if offer in state.declined_offers:  # the lab declined this very offer already
        state = release(state, "offer_declined", out).but(declined=_without(state.declined, event.lab_id), tried=())
        return match(state, ctx, out)
    state = state.but(offer=Offer(offer_id=offer, lab_id=event.lab_id, expires_at=expires))
    out.append(Send(OFFERS.name, event.lab_id, ev.OfferMade(
        offer_id=offer, request_id=request.request_id, lab_id=event.lab_id, method_code=event.method_code,
        samples=request.samples, deadline=request.deadline, planned_start=event.start,
        planned_end=event.end, expires_at=expires)))
    return status(state, S.OFFERED, ctx, out, lab_id=event.lab_id, planned_start=event.start, planned_end=event.end)


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


def rematch_after_offer(state: State, lab_id: str, reason: str, ctx: Ctx, out: list[Send]) -> State:
    """Decline, expiry or suspension: free the slot, exclude the lab, match again."""
    state = release(state, reason, out).but(offer=None, declined=_without(state.declined, lab_id), tried=())
    return match(status(state, S.MATCHING, ctx, out, reason=reason), ctx, out)


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


Handler = Callable[[State | None, Event, Ctx, list[Send]], State | None]
# What a request's own events do to it (keyed by request_id, read by the request side).
HANDLERS: dict[type[Event], Handler] = {
    ev.RequestSubmitted: submitted, ev.RequestCancelled: cancelled, ev.SlotGranted: granted,
    ev.SlotRefused: refused, ev.OfferAccepted: accepted, ev.OfferDeclined: declined, ev.OfferExpired: expired,
    **{kind: progressed for kind in PROGRESS},
}
