"""The scheduler's agents, tables and timer (registered on the app by `register`).

- `requests_agent`, over requests.v1, lab-responses.v1 and reservations.v1 (replies keyed
  by request_id, SupplyChanged sent to every partition): the single writer of each
  request's state (`requests` table) and status timeline. Its `supply` table holds every
  lab's profile and capacity in every partition. reservations.v1 also carries the lab
  side's ReserveSlot / ReleaseSlot (keyed by lab_id); this agent hands those to the lab
  side's handler, so the topic has one reader (see READERS).
- `labs_agent`, over labs.v1 and capacity.v1; with ReserveSlot / ReleaseSlot the lab
  side is the single writer of each lab's calendar (`lab_records`).
- `expire_offers`, a timer on every worker: offers past expires_at in the worker's
  own partitions become OfferExpired messages, handled by `requests_agent`.
"""
from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime, timezone
from uuid import UUID

import faust

from schemas import events as ev
from schemas.envelope import Envelope
from schemas.faust_codec import CODEC_NAME, Decoded, Rejected
from schemas.topics import CAPACITY, DLQ, LAB_RESPONSES, LABS, PARTITIONS, REQUESTS, RESERVATIONS
from services.common import deadletter

from . import flow, labside
from .assignment import assign_batch
from .calendar import Calendar, Reservation
from .labindex import LabIndex
from .settings import SchedulerSettings
from .watch import Watch

log = logging.getLogger(__name__)
PRODUCER = "scheduler"
# Every input topic has exactly one reading agent. Faust acknowledges a message read by
# two agents only when both are done with it; when partitions are revoked it drops the
# copies still queued and then waits, without a time limit, until every message a stream
# took is acknowledged (Consumer.wait_empty). A reservations.v1 message the lab side had
# taken while the request side's copy was still queued was never acknowledged: the
# worker waited for it forever and processed nothing again.
READERS = {"scheduler-requests": (REQUESTS.name, LAB_RESPONSES.name, RESERVATIONS.name),
           "scheduler-labs": (LABS.name, CAPACITY.name)}
REQUEST_EVENTS = {"RequestSubmitted", "RequestCancelled", "OfferAccepted", "OfferDeclined", "SlotGranted",
                  "SlotRefused", "OfferExpired", "SupplyChanged", "MatchWindowClosed", "BookingsChanged",
                  *flow.PROGRESS}
LAB_EVENTS = {"LabProfile", "CapacityAdvertised", "ReserveSlot", "ReleaseSlot"}


def now() -> datetime:
    return datetime.now(timezone.utc)


Finished = Callable[[str, str, tuple[str, int]], None]  # (agent, event type, (topic, partition))


def register(app: faust.App, settings: SchedulerSettings, finished: Finished = lambda *_: None) -> Watch:
    """Agents, tables and timers on the app; `finished` hears of every input event an
    agent is done with (metrics, the stuck rule). Returns the agents' Watch."""
    def topic(*names: str) -> faust.TopicT:
        return app.topic(*names, key_serializer="raw", value_serializer=CODEC_NAME)

    outputs: dict[str, faust.TopicT] = {}
    requests = app.Table("requests", default=None, partitions=PARTITIONS)
    supply = app.Table("supply", default=None, partitions=PARTITIONS)
    lab_records = app.Table("lab_records", default=None, partitions=PARTITIONS)
    # "lab_id|method|reservation_id" -> [start, end]: every lab's bookings in every
    # partition, as the labs agent broadcasts them; `view` is the worker's Calendar of it.
    # ("lab_id|method" -> [[reservation_id, start, end], ...] is how they were kept before.)
    bookings = app.Table("bookings", default=None, partitions=PARTITIONS)
    view: dict[str, Calendar] = {}
    watch = Watch()

    def calendar_now() -> Calendar:
        if "calendar" not in view:
            calendar = view["calendar"] = Calendar()
            for key, value in list(bookings.items()):
                lab_id, method, *rid = key.split("|", 2)
                rows = [[*rid, *value]] if rid else value or []
                for reservation in labside.reservations(rows):
                    calendar.put(lab_id, method, reservation)
        return view["calendar"]

    def on_bookings(e: ev.BookingsChanged) -> None:
        prefix, calendar = f"{e.lab_id}|{e.method_code}", view.get("calendar")
        legacy = bookings.get(prefix)
        if e.replace or legacy is not None:  # a whole list, or the first change since lists were kept whole
            for key in [k for k in list(bookings.keys()) if k.startswith(prefix + "|")]:
                bookings.pop(key)
            bookings.pop(prefix, None)
            kept = [] if e.replace else labside.reservations(legacy)
            for r in kept:
                bookings[f"{prefix}|{r.key}"] = [r.start.isoformat(), r.end.isoformat()]
            if calendar is not None:
                calendar.replace(e.lab_id, e.method_code, kept)
        for b in e.bookings:
            bookings[f"{prefix}|{b.reservation_id}"] = [b.start.isoformat(), b.end.isoformat()]
            if calendar is not None:
                calendar.put(e.lab_id, e.method_code, Reservation(str(b.reservation_id), b.start, b.end))
        for rid in e.released:
            bookings.pop(f"{prefix}|{rid}", None)
            if calendar is not None:
                calendar.release(e.lab_id, e.method_code, str(rid))

    def watched(partition: int) -> Watch:
        if partition not in watch.built:
            watch.build(partition, list(requests.items()))
        return watch

    def keep(key: str, state: dict) -> None:
        requests[key] = state
        watch.note(key, state, now())

    @app.on_partitions_revoked.connect
    async def forget_revoked(sender, revoked, **kwargs) -> None:
        for tp in revoked:
            if tp.topic == REQUESTS.name:
                watch.forget(tp.partition)  # another worker may change it before it comes back

    async def send(messages: list[flow.Send], correlation_id: str | None = None) -> None:
        for m in messages:
            out = outputs.setdefault(m.topic, topic(m.topic))
            envelope = Envelope.wrap(m.event, producer=PRODUCER, correlation_id=correlation_id)
            await out.send(key=m.key.encode(), value=envelope, partition=m.partition)

    async def dead_letter(event: faust.EventT, reason: str) -> None:
        message = event.message
        raw = message.value if isinstance(message.value, bytes) else None
        if raw is None and isinstance(event.value, Rejected):
            raw = event.value.raw
        letter = deadletter.letter(reason=reason, consumer=settings.app_id, topic=message.topic,
                                   partition=message.partition, offset=message.offset, key=message.key,
                                   original=raw or b"")
        await send([flow.Send(DLQ.name, (message.key or b"").decode(errors="replace"), letter)])

    def handler_for(kind: str):
        """The side that owns an event type, whichever agent read it."""
        if kind in REQUEST_EVENTS:
            return on_request_event
        if kind in LAB_EVENTS:
            return on_lab_event
        return None

    def kind_of(value) -> str:
        if isinstance(value, Decoded):
            return value.envelope.type
        return "rejected" if isinstance(value, Rejected) else "empty"

    async def guarded(event: faust.EventT, agent: str) -> None:
        value = event.value
        try:
            if isinstance(value, Rejected):  # its topic's only reader letters it, so once
                await dead_letter(event, value.reason)
            elif isinstance(value, Decoded) and (handle := handler_for(value.envelope.type)):
                await handle(event, value)
        except Exception as exc:  # an escaping exception would drop the message silently
            log.exception("scheduler failed on %s[%s]@%s", event.message.topic, event.message.partition,
                          event.message.offset)
            try:
                await dead_letter(event, f"handler error: {type(exc).__name__}: {exc}")
            except Exception:
                log.exception("dead-lettering failed too")
        finally:
            finished(agent, kind_of(value), event.message.tp)

    parsed: dict[str, tuple[dict, object]] = {}  # lab_id -> (record, LabState): parse each version once

    def labs_now() -> dict:
        labs = {}
        for lab_id, record in list(supply.items()):
            cached = parsed.get(lab_id)
            if cached is None or cached[0] is not record:
                cached = parsed[lab_id] = (record, labside.lab_state(record) if record else None)
            if cached[1] is not None:
                labs[lab_id] = cached[1]
        return labs

    last: dict[str, LabIndex] = {}  # the same index while no lab changes: its tables and outlooks are reused

    async def on_request_event(event: faust.EventT, decoded: Decoded) -> None:
        e, partition = decoded.event, event.message.partition
        if isinstance(e, ev.BookingsChanged):
            on_bookings(e)
            return
        ctx, out = flow.Ctx(now(), settings, labs_now(), calendar_now(), last.get("index")), []
        last["index"] = ctx.lab_index()
        if isinstance(e, ev.SupplyChanged):
            await on_supply(e, partition, ctx)
            return
        if isinstance(e, ev.MatchWindowClosed):
            await on_window(partition, ctx)
            return
        key = str(e.request_id)
        state = requests.get(key)
        if isinstance(e, ev.RequestSubmitted):
            state = flow.submitted(state, e, partition, ctx, out)
        elif isinstance(e, ev.RequestCancelled):
            state = flow.cancelled(state, e, partition, ctx, out)
        elif isinstance(e, ev.SlotGranted):
            state = flow.granted(state, e, ctx, out)
        elif isinstance(e, ev.SlotRefused):
            state = flow.refused(state, e, ctx, out)
        elif isinstance(e, ev.OfferAccepted):
            state = flow.accepted(state, e, ctx, out)
        elif isinstance(e, ev.OfferDeclined):
            state = flow.declined(state, e, ctx, out)
        elif isinstance(e, ev.OfferExpired):
            state = flow.expired(state, e, ctx, out)
        else:
            state = flow.progressed(state, e, ctx, out)
        await send(out, key)
        if state is not None:
            keep(key, state)
            if state.get("queued"):
                waiting.add(partition)

    async def on_window(partition: int, ctx: flow.Ctx) -> None:
        """Every request queued in this partition, assigned jointly (one alone: match_one)."""
        states = flow.queued([s for k in sorted(watched(partition).queued[partition]) if (s := requests.get(k))])
        if not states:
            return
        labs = ctx.lab_index()
        # CP-SAT may take batch_time_limit_s: off the event loop, so heartbeats go on.
        results = await asyncio.get_running_loop().run_in_executor(
            None, assign_batch, flow.demands(states), labs, ctx.calendar, ctx.now, settings)
        out: list[flow.Send] = []
        flow.window_closed(states, results, ctx, out)
        await send(out)
        for state in states:
            keep(state["request"]["request_id"], state)

    async def on_supply(e: ev.SupplyChanged, partition: int, ctx: flow.Ctx) -> None:
        record = {"profile": e.profile.model_dump(mode="json") if e.profile else None,
                  "capacity": e.capacity.model_dump(mode="json") if e.capacity else None}
        supply[e.lab_id] = record
        lab = labside.lab_state(record)
        if lab is not None:
            ctx.labs[e.lab_id] = lab
        else:
            ctx.labs.pop(e.lab_id, None)
        # Only this partition's requests (the other partitions got their own copy), and of
        # those only the OFFERED and UNMATCHED: nothing else reacts to supply.
        keys = watched(partition).supply_sensitive[partition]
        mine = [(k, s) for k in list(keys) if (s := requests.get(k))]
        for key, state in sorted(mine, key=lambda kv: ((kv[1].get("request") or {}).get("submitted_at", ""), kv[0])):
            out: list[flow.Send] = []
            flow.supply_changed(state, lab, e.lab_id, ctx, out)
            if out:
                await send(out, key)
                keep(key, state)

    async def on_lab_event(event: faust.EventT, decoded: Decoded) -> None:
        # Both agents come here (profiles and capacity from labs_agent, reservations from
        # requests_agent); each reads a lab's record and stores it back with no await in
        # between, so the two never interleave on one record.
        e = decoded.event
        record = lab_records.get(e.lab_id) or labside.empty()
        before = record["booked"]
        if isinstance(e, ev.ReserveSlot):
            record, reply = labside.reserve(record, e)
            lab_records[e.lab_id] = record
            await send([reply], str(e.request_id))
            await send(labside.booking_changes(e.lab_id, before, record["booked"]))
            return
        if isinstance(e, ev.ReleaseSlot):
            record = lab_records[e.lab_id] = labside.release(record, e)
            await send(labside.booking_changes(e.lab_id, before, record["booked"]))
            return
        field = "profile" if isinstance(e, ev.LabProfile) else "capacity"
        record = {**record, field: e.model_dump(mode="json")}
        lab_records[e.lab_id] = record
        await send(labside.broadcast(e.lab_id, record))

    @app.agent(topic(*READERS["scheduler-requests"]), name="scheduler-requests")
    async def requests_agent(stream):
        async for event in stream.events():
            await guarded(event, "scheduler-requests")

    @app.agent(topic(*READERS["scheduler-labs"]), name="scheduler-labs")
    async def labs_agent(stream):
        async for event in stream.events():
            await guarded(event, "scheduler-labs")

    waiting: set[int] = set()  # partitions of this worker with requests queued for the window

    if settings.batch_window_s > 0:
        @app.timer(settings.batch_window_s)
        async def close_windows():
            try:
                actives = {tp.partition for tp in app.assignor.assigned_actives() if tp.topic == REQUESTS.name}
                for partition in sorted(waiting & actives):
                    waiting.discard(partition)
                    await send([flow.Send(RESERVATIONS.name, f"window-{partition}",
                                          ev.MatchWindowClosed(partition=partition), partition=partition)])
            except Exception:
                log.exception("closing the match window failed; the next tick retries")

    expiring: set[str] = set()  # offers this worker already reported, so each is sent once

    @app.timer(settings.offer_scan_interval_s)
    async def expire_offers():
        if getattr(app, "in_recovery", False):
            return  # a half-recovered table would be indexed as it is
        try:
            actives = {tp.partition for tp in app.assignor.assigned_actives() if tp.topic == REQUESTS.name}
            for partition in watch.built - actives:
                watch.forget(partition)
            for partition in actives:
                if watched(partition).queued[partition]:
                    waiting.add(partition)  # e.g. queued by a worker that left the group
            for key in watch.expired(actives, now()):
                state = requests.get(key)
                offer = (state or {}).get("offer")
                if not offer or state["cancelled"] or offer["offer_id"] in expiring:
                    continue
                expiring.add(offer["offer_id"])
                await send([flow.Send(RESERVATIONS.name, key, ev.OfferExpired(
                    offer_id=UUID(offer["offer_id"]), request_id=UUID(key), lab_id=offer["lab_id"]))], key)
        except Exception:
            log.exception("offer expiry scan failed; next scan retries")

    app.scheduler_agents = (requests_agent, labs_agent, expire_offers)  # for tests
    app.scheduler_watch = watch
    return watch
