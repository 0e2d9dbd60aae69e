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
from datetime import datetime, timezone
from uuid import UUID

import faust

from schemas import events as ev
from schemas.faust_codec import Decoded
from schemas.topics import MATCHING, PARTITIONS

from . import flow, labside
from .assignment import assign_batch
from .calendar import Calendar, Reservation
from .labindex import LabIndex
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
        self.waiting: set[int] = set()  # partitions of this worker with requests queued for the window
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
        """Every request queued in this partition, assigned jointly (one alone: match_one)."""
        ctx = self.context(partition)
        queued = self.watched(partition).queued[partition]
        states = flow.queued([s for k in sorted(queued) if (s := self.requests.get(k))])
        if not states:
            return
        # CP-SAT may take batch_time_limit_s: off the event loop, so heartbeats go on.
        results = await asyncio.get_running_loop().run_in_executor(
            None, assign_batch, flow.demands(states), ctx.lab_index(), ctx.calendar, ctx.now, self.settings)
        out: list[flow.Send] = []
        after = flow.window_closed(states, results, ctx, out)
        await self.sender.send(out)
        for state in after:
            self.keep(str(state.request_id), state)

    async def on_supply(self, e: ev.SupplyChanged, partition: int) -> None:
        ctx, lab = self.context(partition), self.supply.put(e)
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

    def forget(self, partitions: set[int]) -> None:
        """Partitions taken away: another worker may change their requests before they return."""
        for partition in partitions:
            self.watch.forget(partition)

    async def close_windows(self, actives: set[int]) -> None:
        """Close the match window of each of this worker's partitions with requests queued."""
        for partition in sorted(self.waiting & actives):
            self.waiting.discard(partition)
            await self.sender.send([flow.Send(MATCHING.name, f"window-{partition}",
                                              ev.MatchWindowClosed(partition=partition), partition=partition)])

    async def expire_offers(self, actives: set[int]) -> None:
        """Offers past expires_at in this worker's partitions become OfferExpired messages
        (handled here, in the request's own order of events)."""
        self.forget(self.watch.built - actives)
        for partition in actives:
            if self.watched(partition).queued[partition]:
                self.waiting.add(partition)  # e.g. queued by a worker that left the group
        for key in self.watch.expired(actives, now()):
            state = self.requests.get(key)
            offer = state.offer if state else None
            if not offer or state.cancelled or offer.offer_id in self.expiring:
                continue
            self.expiring.add(offer.offer_id)
            await self.sender.send([flow.Send(MATCHING.name, key, ev.OfferExpired(
                offer_id=offer.offer_id, request_id=UUID(key), lab_id=offer.lab_id))], key)


def _oldest_first(item: tuple[str, RequestState]):
    key, state = item  # watched states are never cancelled, so each has its request
    return state.request.submitted_at, key
