"""One request's life in the scheduler: pure functions from (state, event) to
(new state, messages to send). The request agent stores the state (a JSON dict) in
its table and sends the messages; nothing here does I/O.

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
from .matching import Assignment, Demand, LabState, Unmatched, end_of_day, match_one
from .settings import SchedulerSettings

log = logging.getLogger(__name__)
State = dict
IDS = uuid5(NAMESPACE_URL, "urn:labbook:scheduler")  # the namespace of the ids the request side derives
OPEN_STATUSES = {S.SUBMITTED.value, S.MATCHING.value, S.UNMATCHED.value, S.OFFERED.value}  # no lab holds the job


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
    return {"request": event.model_dump(mode="json"), "partition": partition, "status": S.SUBMITTED.value,
            "seq": 1, "declined": [], "tried": [], "pending": None, "offer": None, "slot": None,
            "cancelled": False}


def request_of(state: State) -> ev.RequestSubmitted:
    return ev.RequestSubmitted.model_validate(state["request"])


def status(state: State, target: S, ctx: Ctx, out: list[Send], **fields) -> None:
    """Check the transition, then emit it with the next seq (raises IllegalTransition)."""
    check_transition(state["status"], target)
    request = request_of(state)
    state["seq"] += 1
    out.append(Send(STATUS.name, str(request.request_id), ev.StatusChanged(
        request_id=request.request_id, org_id=request.org_id, seq=state["seq"], status=target,
        previous=S(state["status"]), at=ctx.now, **fields)))
    state["status"] = target.value


def _demand(state: State, extra: list[str] = ()) -> Demand:
    return Demand.from_event(request_of(state), declined=[*state["declined"], *extra])


def best(state: State, ctx: Ctx) -> Assignment | Unmatched:
    """The best lab not yet declined or refused in this round; reasons as in matching.py."""
    labs, calendar = ctx.lab_index(), ctx.calendar
    first = match_one(_demand(state), labs, calendar, ctx.now, ctx.settings)
    if isinstance(first, Unmatched) or not state["tried"]:
        return first
    second = match_one(_demand(state, state["tried"]), labs, calendar, ctx.now, ctx.settings)
    # Every lab that could do it refused a slot: their calendars are full.
    return Unmatched(second.request_id, Reason.NO_CAPACITY_BEFORE_DEADLINE) if isinstance(second, Unmatched) else second


def match(state: State, ctx: Ctx, out: list[Send]) -> None:
    """In MATCHING: ask the best lab's reservation agent for a slot, or give up."""
    result = best(state, ctx)
    if isinstance(result, Unmatched):
        state["tried"] = []
        status(state, S.UNMATCHED, ctx, out, reason=result.reason)
        return
    reserve(state, result, ctx, out)


def reservation_id(state: State) -> UUID:
    """The id of the request's next ReserveSlot: the n-th one a request asks for has the
    same id however often its handler runs (see the module's docstring)."""
    asked = state.get("asked", 0)
    state["asked"] = asked + 1
    return _nth_reservation(state, asked)


def _nth_reservation(state: State, n: int) -> UUID:
    return uuid5(IDS, f"{state['request']['request_id']}/reservation/{n}")  # as _derived


def _derived(request_id: UUID, rid: str, first: int = 8) -> bool:
    """One of the request's first reservation ids."""
    return any(rid == str(uuid5(IDS, f"{request_id}/reservation/{n}")) for n in range(first))


def _asked_before(state: State, rid: str) -> bool:
    """A grant of the reservation this state would ask for next, while it waits to ask:
    a run of the handlers this state does not remember (its table write was lost) asked
    for it, and the successor has not come that far again yet."""
    return (state.get("request") is not None and not state["cancelled"] and not state.get("pending")
            and state["status"] == S.MATCHING.value and rid == str(_nth_reservation(state, state.get("asked", 0))))


def offer_id(request_id: UUID, reservation_id: UUID, lab_id: str) -> UUID:
    """The offer made on a grant: one per granted reservation and lab."""
    return uuid5(IDS, f"{request_id}/offer/{reservation_id}/{lab_id}")


def reserve(state: State, result: Assignment, ctx: Ctx, out: list[Send]) -> None:
    request, lab = request_of(state), ctx.labs[result.lab_id]
    latest = min(end_of_day(request.deadline), end_of_day(lab.valid_until)) - timedelta(days=ctx.settings.reporting_days)
    rid = reservation_id(state)
    state["pending"] = {"reservation_id": str(rid), "lab_id": result.lab_id}
    out.append(Send(RESERVATIONS.name, result.lab_id, ev.ReserveSlot(
        reservation_id=rid, request_id=request.request_id, lab_id=result.lab_id, method_code=result.method,
        start=result.start, end=result.end, latest_end=latest)))


def submitted(state: State | None, event: ev.RequestSubmitted, ctx: Ctx, out: list[Send]) -> State | None:
    if state is not None:  # a redelivery, or cancelled before we saw it
        return state
    state = new_state(event, ctx.partition)
    status(state, S.MATCHING, ctx, out)
    if ctx.settings.batch_window_s > 0:
        state["queued"] = True  # matched with its window's others on MatchWindowClosed
    else:
        match(state, ctx, out)
    return state


def queued(states: list[State]) -> list[State]:
    """The window's requests, oldest first (the order the greedy floor serves them)."""
    waiting = [s for s in states if s.get("queued") and not s["cancelled"]]
    return sorted(waiting, key=lambda s: (s["request"]["submitted_at"], s["request"]["request_id"]))


def demands(states: list[State]) -> list[Demand]:
    return [_demand(s) for s in states]


def window_closed(states: list[State], results: list[Assignment | Unmatched], ctx: Ctx,
                  out: list[Send]) -> None:
    """Apply assign_batch's answer: a ReserveSlot per placed request, UNMATCHED for the rest."""
    for state, result in zip(states, results):
        state["queued"] = False
        if isinstance(result, Assignment):
            reserve(state, result, ctx, out)
        else:
            status(state, S.UNMATCHED, ctx, out, reason=result.reason)


def release(state: State, reason: str, out: list[Send]) -> None:
    slot = state["slot"]
    if slot:
        out.append(Send(RESERVATIONS.name, slot["lab_id"], ev.ReleaseSlot(
            reservation_id=UUID(slot["reservation_id"]), request_id=UUID(state["request"]["request_id"]),
            lab_id=slot["lab_id"], reason=reason)))
    state["slot"] = None


def withdraw(state: State, reason: str, out: list[Send]) -> None:
    offer = state["offer"]
    if offer:
        out.append(Send(OFFERS.name, offer["lab_id"], ev.OfferWithdrawn(
            offer_id=UUID(offer["offer_id"]), request_id=UUID(state["request"]["request_id"]),
            lab_id=offer["lab_id"], reason=reason)))
    state["offer"] = None


def cancelled(state: State | None, event: ev.RequestCancelled, ctx: Ctx, out: list[Send]) -> State:
    if state is None:  # the cancel overtook the submission: remember, so it is never matched
        return {"request": None, "partition": ctx.partition, "status": S.CANCELLED.value, "seq": 0,
                "cancelled": True, "offer": None, "slot": None, "pending": None}
    if not state["cancelled"]:
        slot = state.get("slot")
        if slot and state["status"] not in OPEN_STATUSES:  # the lab accepted: tell it the job is off
            out.append(Send(OFFERS.name, slot["lab_id"], ev.JobCancelled(
                request_id=event.request_id, lab_id=slot["lab_id"], reason="request_cancelled")))
        withdraw(state, "request_cancelled", out)
        release(state, "request_cancelled", out)
        state["cancelled"] = True
    return state


def _release_orphan(event: ev.SlotGranted, out: list[Send]) -> None:
    out.append(Send(RESERVATIONS.name, event.lab_id, ev.ReleaseSlot(
        reservation_id=event.reservation_id, request_id=event.request_id, lab_id=event.lab_id,
        reason="no_longer_needed")))


def _holds(state: State | None, rid: str, lab_id: str) -> bool:
    """The request holds this reservation at this lab (a replay may have asked another
    lab with the same id: that lab's grant is not held)."""
    held = [(state or {}).get("slot") or {}, (state or {}).get("move") or {}]
    return any(h.get("reservation_id") == rid and h.get("lab_id", lab_id) == lab_id for h in held)


def granted(state: State | None, event: ev.SlotGranted, ctx: Ctx, out: list[Send]) -> State | None:
    rid = str(event.reservation_id)
    if state is None:
        if _derived(event.request_id, rid):  # a replay read the grant before the request: its ask finds it
            return state
        _release_orphan(event, out)  # nobody will ask for it
        return state
    if _asked_before(state, rid):  # catch up with the run that asked for it
        reservation_id(state)
        state["queued"] = False
        state["pending"] = {"reservation_id": rid, "lab_id": event.lab_id}
    pending = state.get("pending") or {}
    if pending.get("reservation_id") != rid:
        if not _holds(state, rid, event.lab_id):
            _release_orphan(event, out)  # e.g. the request was cancelled while we waited
        return state
    state["pending"] = None
    if state["cancelled"]:
        _release_orphan(event, out)
    elif state.get("move"):  # the lab's proposed start fits: move the booking there
        release(state, "moved_to_lab_proposed_start", out)
        state["move"] = None
        _schedule(state, event.lab_id, event.start, event.end, rid, ctx, out)
    else:
        _offer(state, event, ctx, out)
    return state


def _offer(state: State, event: ev.SlotGranted, ctx: Ctx, out: list[Send]) -> None:
    request = request_of(state)
    offer = offer_id(request.request_id, event.reservation_id, event.lab_id)
    expires = ctx.now + timedelta(seconds=ctx.settings.offer_ttl_s)
    state["slot"] = {"reservation_id": str(event.reservation_id), "lab_id": event.lab_id,
                     "method_code": event.method_code, "start": event.start.isoformat(), "end": event.end.isoformat()}
    if str(offer) in state.get("declined_offers", ()):  # the lab declined this very offer already
        release(state, "offer_declined", out)
        state["declined"] = sorted({*state["declined"], event.lab_id})
        state["tried"] = []
        match(state, ctx, out)
        return
    state["offer"] = {"offer_id": str(offer), "lab_id": event.lab_id, "expires_at": expires.isoformat()}
    out.append(Send(OFFERS.name, event.lab_id, ev.OfferMade(
        offer_id=offer, request_id=request.request_id, lab_id=event.lab_id, method_code=event.method_code,
        samples=request.samples, deadline=request.deadline, planned_start=event.start,
        planned_end=event.end, expires_at=expires)))
    status(state, S.OFFERED, ctx, out, lab_id=event.lab_id, planned_start=event.start, planned_end=event.end)


def _schedule(state: State, lab_id: str, start: datetime, end: datetime, rid: str, ctx: Ctx,
              out: list[Send]) -> None:
    state["slot"] = {**(state["slot"] or {}), "reservation_id": rid, "lab_id": lab_id,
                     "start": start.isoformat(), "end": end.isoformat()}
    status(state, S.SCHEDULED, ctx, out, lab_id=lab_id, planned_start=start, planned_end=end)


def refused(state: State | None, event: ev.SlotRefused, ctx: Ctx, out: list[Send]) -> State | None:
    pending = (state or {}).get("pending") or {}
    if pending.get("reservation_id") != str(event.reservation_id):
        return state
    state["pending"] = None
    if state["cancelled"]:
        return state
    if state.get("move"):  # the proposed start does not fit: keep the offered slot
        state["move"] = None
        slot = state["slot"]
        _schedule(state, slot["lab_id"], datetime.fromisoformat(slot["start"]),
                  datetime.fromisoformat(slot["end"]), slot["reservation_id"], ctx, out)
        return state
    state["tried"] = [*state["tried"], event.lab_id]
    match(state, ctx, out)
    return state


def _open_offer(state: State | None, offer_id: UUID) -> bool:
    return bool(state and not state["cancelled"] and state["status"] == S.OFFERED.value
                and state["offer"] and state["offer"]["offer_id"] == str(offer_id))


def accepted(state: State | None, event: ev.OfferAccepted, ctx: Ctx, out: list[Send]) -> State | None:
    if not _open_offer(state, event.offer_id):
        return state
    state["offer"] = None
    slot = state["slot"]
    status(state, S.ACCEPTED, ctx, out, lab_id=slot["lab_id"])
    start, end = datetime.fromisoformat(slot["start"]), datetime.fromisoformat(slot["end"])
    proposed = event.planned_start
    if proposed is None or proposed == start:
        _schedule(state, slot["lab_id"], start, end, slot["reservation_id"], ctx, out)
        return state
    rid = reservation_id(state)  # ask the lab's calendar for exactly the proposed start; keep the old slot till then
    state["pending"] = {"reservation_id": str(rid), "lab_id": slot["lab_id"]}
    state["move"] = {"reservation_id": str(rid), "lab_id": slot["lab_id"]}
    out.append(Send(RESERVATIONS.name, slot["lab_id"], ev.ReserveSlot(
        reservation_id=rid, request_id=event.request_id, lab_id=slot["lab_id"], method_code=slot["method_code"],
        start=proposed, end=proposed + (end - start))))
    return state


def rematch_after_offer(state: State, lab_id: str, reason: str, ctx: Ctx, out: list[Send]) -> None:
    """Decline, expiry or suspension: free the slot, exclude the lab, match again."""
    release(state, reason, out)
    state["offer"] = None
    state["declined"] = sorted({*state["declined"], lab_id})
    state["tried"] = []
    status(state, S.MATCHING, ctx, out, reason=reason)
    match(state, ctx, out)


def declined(state: State | None, event: ev.OfferDeclined, ctx: Ctx, out: list[Send]) -> State | None:
    if _open_offer(state, event.offer_id):
        rematch_after_offer(state, event.lab_id, "offer_declined", ctx, out)
    elif state is not None and not state["cancelled"]:
        # Not (yet) this state's offer: after a restart the decline (lab-responses.v1) may
        # be handled before the replayed grant (reservations.v1) that makes the offer
        # again, with the same derived id. Kept, so that offer is never made again.
        state["declined_offers"] = [*state.get("declined_offers", []), str(event.offer_id)][-DECLINES_KEPT:]
    return state


def expired(state: State | None, event: ev.OfferExpired, ctx: Ctx, out: list[Send]) -> State | None:
    if _open_offer(state, event.offer_id):
        withdraw(state, "offer_expired", out)
        rematch_after_offer(state, event.lab_id, "offer_expired", ctx, out)
    return state


DECLINES_KEPT = 16  # declined offer ids a request remembers (each offer has its own reservation)

PROGRESS = {ev.SamplesReceived: S.SAMPLES_RECEIVED, ev.TestingStarted: S.IN_TESTING,
            ev.TestingCompleted: S.COMPLETED, ev.ReportIssued: S.REPORT_ISSUED}


def progressed(state: State | None, event: Event, ctx: Ctx, out: list[Send]) -> State | None:
    target = PROGRESS[type(event)]
    if state is None or state["cancelled"] or state["status"] == target.value:
        return state  # unknown, cancelled, or a redelivery
    try:
        status(state, target, ctx, out, lab_id=getattr(event, "lab_id", None))
    except IllegalTransition as exc:
        log.warning("request %s: %s; ignored", event.request_id, exc)
    return state


def supply_changed(state: State, lab: LabState | None, lab_id: str, ctx: Ctx, out: list[Send]) -> None:
    """A lab's profile or capacity changed: withdraw offers it may no longer hold,
    re-match UNMATCHED requests it could now serve."""
    if state["cancelled"] or state.get("queued"):
        return
    offer = state["offer"]
    if state["status"] == S.OFFERED.value and offer and offer["lab_id"] == lab_id and (lab is None or not lab.active):
        withdraw(state, "accreditation_suspended", out)
        rematch_after_offer(state, lab_id, "accreditation_suspended", ctx, out)
    elif state["status"] == S.UNMATCHED.value and lab is not None and request_of(state).method_code in lab.terms:
        if isinstance(best(state, ctx), Assignment):  # stay quiet when it still cannot be placed
            status(state, S.MATCHING, ctx, out, reason="supply_changed")
            match(state, ctx, out)


Handler = Callable[[State | None, Event, Ctx, list[Send]], State | None]
# What a request's own events do to it (keyed by request_id, read by the request side).
HANDLERS: dict[type[Event], Handler] = {
    ev.RequestSubmitted: submitted, ev.RequestCancelled: cancelled, ev.SlotGranted: granted,
    ev.SlotRefused: refused, ev.OfferAccepted: accepted, ev.OfferDeclined: declined, ev.OfferExpired: expired,
    **{kind: progressed for kind in PROGRESS},
}
