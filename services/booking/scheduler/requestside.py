"""The request side: the single writer of each request's scheduler state (`requests`
table) and status timeline. It reads requests.v1, lab-responses.v1, matching.v1 (the lab
side's answers, offer expiry, the window) and lab-state.v1: every lab's supply
(`supply`, from SupplyChanged) and a view of every lab's bookings (`bookings`, from
BookingsChanged), a copy to every partition, to match against.

What an event does to one request is `flow.HANDLERS`' business (pure); this side loads
the state, builds the context, stores the result and sends what the handler asked for.
"""
from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from uuid import UUID

import faust

from schemas import events as ev
from schemas.faust_codec import Decoded
from schemas.topics import MATCHING, PARTITIONS

from . import flow, labside
from .calendar import Calendar, Reservation
from .labindex import LabIndex
from .matching import LabState
from .planning import Round, plan_round
from .sender import Sender
from .settings import SchedulerSettings
from .state import LabRecord, RequestState, StoredLabRecord, StoredState
from .watch import Watch


def now() -> datetime:
    return datetime.now(timezone.utc)


class BookingsView:
    """Every lab's bookings as the lab side broadcasts them: the `bookings` table,
    "lab_id|method|reservation_id" -> [start, end] in every partition, and the worker's
    Calendar of it. ("lab_id|method" -> [[reservation_id, start, end], ...] is how they
    were kept before: such a list is taken over on its lab and method's next change.)"""

    def __init__(self, app: faust.App) -> None:
        self.table = app.Table("bookings", default=None, partitions=PARTITIONS)
        self._calendar: Calendar | None = None

    def calendar(self) -> Calendar:
        if self._calendar is None:
            calendar = Calendar()
            for key, value in list(self.table.items()):
                lab_id, method, *rid = key.split("|", 2)
                rows = [[*rid, *value]] if rid else value or []
                for reservation in labside.reservations(rows):
                    calendar.put(lab_id, method, reservation)
            self._calendar = calendar
        return self._calendar

    def apply(self, e: ev.BookingsChanged) -> None:
        prefix, table, calendar = f"{e.lab_id}|{e.method_code}", self.table, self._calendar
        legacy = table.get(prefix)
        if e.replace or legacy is not None:  # a whole list, or the first change since lists were kept whole
            for key in [k for k in list(table.keys()) if k.startswith(prefix + "|")]:
                table.pop(key)
            table.pop(prefix, None)
            kept = [] if e.replace else labside.reservations(legacy)
            for r in kept:
                table[f"{prefix}|{r.key}"] = [r.start.isoformat(), r.end.isoformat()]
            if calendar is not None:
                calendar.replace(e.lab_id, e.method_code, kept)
        for b in e.bookings:
            table[f"{prefix}|{b.reservation_id}"] = [b.start.isoformat(), b.end.isoformat()]
            if calendar is not None:
                calendar.put(e.lab_id, e.method_code, Reservation(str(b.reservation_id), b.start, b.end))
        for rid in e.released:
            table.pop(f"{prefix}|{rid}", None)
            if calendar is not None:
                calendar.release(e.lab_id, e.method_code, str(rid))


class SupplyView:
    """Every lab's profile and capacity (`supply`, lab_id -> LabRecord, in every
    partition), each record turned once into the LabState matching reads, and the index
    of them kept while no lab changes (its tables and outlooks are reused)."""

    def __init__(self, app: faust.App) -> None:
        self.table = app.Table("supply", default=None, partitions=PARTITIONS, value_type=StoredLabRecord)
        self._parsed: dict[str, tuple[LabRecord, object]] = {}  # lab_id -> (record, LabState | None)
        self.index: LabIndex | None = None

    def labs(self) -> dict:
        labs = {}
        for lab_id, record in list(self.table.items()):
            cached = self._parsed.get(lab_id)
            if cached is None or cached[0] is not record:
                cached = self._parsed[lab_id] = (record, labside.lab_state(record) if record else None)
            if cached[1] is not None:
                labs[lab_id] = cached[1]
        return labs

    def put(self, e: ev.SupplyChanged):
        """Store a lab's new supply; its LabState, or None if it cannot take work."""
        record = self.table[e.lab_id] = LabRecord(profile=e.profile, capacity=e.capacity)
        lab = labside.lab_state(record)
        self._parsed[e.lab_id] = (record, lab)  # so labs() does not parse it again
        return lab


class RequestSide:
    # Events about no one request; every other is a request's own (flow.HANDLERS).
    SPECIAL = {ev.BookingsChanged: "on_bookings", ev.SupplyChanged: "on_supply", ev.MatchWindowClosed: "on_window"}
    EVENTS = frozenset(kind.__name__ for kind in (*SPECIAL, *flow.HANDLERS))  # what this side handles, by name

    def __init__(self, app: faust.App, settings: SchedulerSettings, sender: Sender) -> None:
        self.settings, self.sender = settings, sender
        self.requests = app.Table("requests", default=None, partitions=PARTITIONS, value_type=StoredState)
        self.supply, self.bookings = SupplyView(app), BookingsView(app)
        self.watch = Watch()
        self.waiting: set[int] = set()  # partitions of this worker whose next planning round is due
        self.next_round: dict[int, datetime] = {}  # per partition: when its plan is next revised
        self.changed: dict[int, set[str]] = {}  # per partition: methods whose supply changed since its round
        self.expiring: set[UUID] = set()  # offers this worker already reported, so each is sent once

    async def handle(self, event: faust.EventT, decoded: Decoded) -> None:
        e, partition = decoded.event, event.message.partition
        special = self.SPECIAL.get(type(e))
        await getattr(self, special or "on_request")(e, partition)

    async def on_request(self, e, partition: int) -> None:
        """One request's own event, through its pure handler."""
        key, out = str(e.request_id), []
        state = flow.HANDLERS[type(e)](self.requests.get(key), e, self.context(partition), out)
        await self.sender.send(out, key)
        if state is not None:
            self.keep(key, state)
            if state.queued:
                self.waiting.add(partition)

    def context(self, partition: int) -> flow.Ctx:
        ctx = flow.Ctx(now(), self.settings, self.supply.labs(), self.bookings.calendar(), self.supply.index,
                       partition=partition)
        self.supply.index = ctx.lab_index()
        return ctx

    def keep(self, key: str, state: RequestState) -> None:
        self.requests[key] = state
        self.watch.note(key, state, now())

    def watched(self, partition: int) -> Watch:
        if partition not in self.watch.built:
            self.watch.build(partition, list(self.requests.items()))
        return self.watch

    async def on_bookings(self, e: ev.BookingsChanged, partition: int) -> None:
        self.bookings.apply(e)  # no context: matching is not asked

    async def on_window(self, e: ev.MatchWindowClosed, partition: int) -> None:
        """A planning round of every request queued in this partition (planning.py): the
        ones due are offered, the rest keep a provisional placement till the next round."""
        ctx = self.context(partition)
        queued = self.watched(partition).queued[partition]
        states = flow.queued([s for k in sorted(queued) if (s := self.requests.get(k))])
        self.next_round[partition] = ctx.now + timedelta(seconds=self.settings.plan_round_s)
        if not states:
            return
        # CP-SAT may take plan_time_limit_s per solve: off the event loop, so heartbeats go on.
        done = await asyncio.get_running_loop().run_in_executor(
            None, _plan, states, self.planned_elsewhere(partition), ctx, e.methods)
        out: list[flow.Send] = []
        after = flow.planned(states, done, ctx, out)
        await self.sender.send(out)
        for state in after:
            self.keep(str(state.request_id), state)

    def planned_elsewhere(self, partition: int) -> list[tuple[str, str, Reservation]]:
        """The provisional placements of this worker's other partitions: a round plans
        around them as if booked, so two partitions do not plan one slot twice (another
        worker's plans it cannot see; the lab side refuses the second ask of a slot)."""
        held = []
        for other in self.watch.built - {partition}:
            for key in list(self.watch.queued[other]):
                state = self.requests.get(key)
                if state and state.plan and state.queued and not state.cancelled:
                    p = state.plan
                    held.append((p.lab_id, state.request.method_code, Reservation(f"plan/{key}", p.start, p.end)))
        return held

    async def on_supply(self, e: ev.SupplyChanged, partition: int) -> None:
        ctx, lab = self.context(partition), self.supply.put(e)
        self.replan(ctx.labs.get(e.lab_id), lab)
        if lab is not None:
            ctx.labs[e.lab_id] = lab
        else:
            ctx.labs.pop(e.lab_id, None)
        # Only this partition's requests (the other partitions got their own copy), and of
        # those only the OFFERED and UNMATCHED: nothing else reacts to supply.
        keys = self.watched(partition).supply_sensitive[partition]
        mine = [(k, s) for k in list(keys) if (s := self.requests.get(k))]
        for key, state in sorted(mine, key=_oldest_first):
            out: list[flow.Send] = []
            state = flow.supply_changed(state, lab, e.lab_id, ctx, out)
            if out:
                await self.sender.send(out, key)
                self.keep(key, state)

    def replan(self, before: LabState | None, after: LabState | None) -> None:
        """A lab's terms changed (not only its heartbeat): in every partition of this
        worker the plan of the methods it held or holds is re-solved in a round at once.
        Every partition, from the first copy of the change: the supply table is the
        worker's, one for all its partitions, so the other copies find it changed already
        (and a partition's watch may not be built yet: its round finds what is queued)."""
        if supply_terms(before) == supply_terms(after):
            return
        methods = {*(before.terms if before else ()), *(after.terms if after else ())}
        for mine in range(PARTITIONS):  # close_windows sends only to this worker's own
            self.changed.setdefault(mine, set()).update(methods)
            self.waiting.add(mine)

    def forget(self, partitions: set[int]) -> None:
        """Partitions taken away: another worker may change their requests before they return."""
        for partition in partitions:
            self.watch.forget(partition)

    async def close_windows(self, actives: set[int]) -> None:
        """Close the match window of each of this worker's partitions with requests queued."""
        for partition in sorted(self.waiting & actives):
            self.waiting.discard(partition)
            closed = ev.MatchWindowClosed(partition=partition, methods=sorted(self.changed.pop(partition, ())))
            await self.sender.send([flow.Send(MATCHING.name, f"window-{partition}", closed, partition=partition)])

    async def expire_offers(self, actives: set[int]) -> None:
        """Offers past expires_at in this worker's partitions become OfferExpired messages
        (handled here, in the request's own order of events)."""
        self.forget(self.watch.built - actives)
        at = now()
        for partition in actives:
            due = self.next_round.get(partition)
            if self.watched(partition).queued[partition] and (due is None or due <= at):
                self.waiting.add(partition)  # the plan's next round (or queued by a worker that left)
        for key in self.watch.expired(actives, now()):
            state = self.requests.get(key)
            offer = state.offer if state else None
            if not offer or state.cancelled or offer.offer_id in self.expiring:
                continue
            self.expiring.add(offer.offer_id)
            await self.sender.send([flow.Send(MATCHING.name, key, ev.OfferExpired(
                offer_id=offer.offer_id, request_id=UUID(key), lab_id=offer.lab_id))], key)


def _plan(states: list[RequestState], held: list[tuple[str, str, Reservation]], ctx: flow.Ctx,
          methods: list[str]) -> Round:
    """plan_round with `held` booked on the worker's calendar meanwhile (left as it was)."""
    calendar = ctx.calendar
    for lab_id, method, reservation in held:
        calendar.put(lab_id, method, reservation)
    try:
        return plan_round(flow.demands(states), flow.plans(states), ctx.lab_index(), calendar, ctx.now,
                          ctx.settings, changed=methods)
    finally:
        for lab_id, method, reservation in held:
            calendar.release(lab_id, method, reservation.key)


def supply_terms(lab: LabState | None):
    """What planning reads of a lab, less its heartbeat (a lab's agent sends one often)."""
    return None if lab is None else replace(lab, heartbeat_at=None)


def _oldest_first(item: tuple[str, RequestState]):
    key, state = item  # watched states are never cancelled, so each has its request
    return state.request.submitted_at, key
