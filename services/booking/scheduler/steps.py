"""The steps every handler in flow.py is made of: what a handler sends (`Send`) and
knows (`Ctx`), a status change, matching a request and asking a lab for its slot,
releasing and withdrawing, and the ids the request side mints.

Every id is derived, not random (see flow.py's docstring for why): the n-th
reservation a request asks for and the offer made on a grant get the same ids the
first time and every time after (`reservation_id`, `offer_id`). Pure, like flow.py.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from uuid import NAMESPACE_URL, UUID, uuid5

from schemas import events as ev
from schemas.envelope import Event
from schemas.reasons import UnmatchedReason as Reason
from schemas.states import RequestStatus as S, check_transition
from schemas.topics import OFFERS, RESERVATIONS, STATUS

from .calendar import Calendar
from .labindex import LabIndex, index_labs
from .matching import Assignment, Demand, LabState, Unmatched, latest_test_end, match_one
from .settings import SchedulerSettings
from .state import Hold, RequestState as State

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
    # The worker's view of every lab's bookings (the lab side owns them): gives matching
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


def demand(state: State, extra: tuple[str, ...] = ()) -> Demand:
    return Demand.from_event(state.request, declined=[*state.declined, *extra])


def best(state: State, ctx: Ctx) -> Assignment | Unmatched:
    """The best lab not yet declined or refused in this round; reasons as in matching.py."""
    labs, calendar = ctx.lab_index(), ctx.calendar
    first = match_one(demand(state), labs, calendar, ctx.now, ctx.settings)
    if isinstance(first, Unmatched) or not state.tried:
        return first
    second = match_one(demand(state, state.tried), labs, calendar, ctx.now, ctx.settings)
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
    return state.but(asked=state.asked + 1), nth_reservation(state.request_id, state.asked)


def nth_reservation(request_id: UUID, n: int) -> UUID:
    return uuid5(IDS, f"{request_id}/reservation/{n}")


def derived(request_id: UUID, rid: UUID, first: int = 8) -> bool:
    """One of the request's first reservation ids."""
    return any(rid == nth_reservation(request_id, n) for n in range(first))


def asked_before(state: State, rid: UUID) -> bool:
    """A grant of the reservation this state would ask for next, while it waits to ask:
    a run of the handlers this state does not remember (its table write was lost) asked
    for it, and the successor has not come that far again yet. UNMATCHED counts too: the
    successor may have matched before it read the lab's supply (another topic), found no
    lab, and waits for that supply to ask again."""
    return (state.request is not None and not state.cancelled and state.pending is None
            and state.status in (S.MATCHING, S.UNMATCHED) and rid == nth_reservation(state.request_id, state.asked))


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


def release(state: State, reason: str, out: list[Send]) -> State:
    if slot := state.slot:
        out.append(Send(RESERVATIONS.name, slot.lab_id, ev.ReleaseSlot(
            reservation_id=slot.reservation_id, request_id=state.request_id, lab_id=slot.lab_id, reason=reason)))
    return state.but(slot=None)


def withdraw(state: State, reason: str, out: list[Send]) -> State:
    if offer := state.offer:
        out.append(Send(OFFERS.name, offer.lab_id, ev.OfferWithdrawn(
            offer_id=offer.offer_id, request_id=state.request_id, lab_id=offer.lab_id, reason=reason)))
    return state.but(offer=None)


def without(labs: tuple[str, ...], lab_id: str) -> tuple[str, ...]:
    """The labs excluded from here on: these and this one."""
    return tuple(sorted({*labs, lab_id}))


def rematch_after_offer(state: State, lab_id: str, reason: str, ctx: Ctx, out: list[Send]) -> State:
    """Decline, expiry or suspension: free the slot, exclude the lab, match again."""
    state = release(state, reason, out).but(offer=None, declined=without(state.declined, lab_id), tried=())
    return match(status(state, S.MATCHING, ctx, out, reason=reason), ctx, out)
