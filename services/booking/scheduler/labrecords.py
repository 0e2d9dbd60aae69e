"""The lab side: the single writer of each lab's record (`lab_records`: profile,
capacity, bookings), partitioned by lab_id. It grants or refuses each ReserveSlot,
applies each ReleaseSlot, and broadcasts what changed: a lab's supply (SupplyChanged)
and its bookings (BookingsChanged) to every request partition. The decisions are
`labside`'s (pure); this side loads the record, stores it back and sends.

Its agent (`scheduler-labs`) reads labs.v1, capacity.v1 and reservations.v1; each
handler reads a record and stores it back with no await in between. Records are
state.LabRecord (a plain dict stored by an earlier version loads as one).
"""
from __future__ import annotations

import faust

from schemas import events as ev
from schemas.faust_codec import Decoded
from schemas.topics import PARTITIONS

from . import labside
from .sender import Sender
from .state import LabRecord, StoredLabRecord


class LabSide:
    HANDLERS = {ev.ReserveSlot: "on_reserve", ev.ReleaseSlot: "on_release", ev.LabProfile: "on_supply",
                ev.CapacityAdvertised: "on_supply"}
    EVENTS = frozenset(kind.__name__ for kind in HANDLERS)  # what this side handles, by name

    def __init__(self, app: faust.App, sender: Sender) -> None:
        self.sender = sender
        self.records = app.Table("lab_records", default=None, partitions=PARTITIONS, value_type=StoredLabRecord)

    async def handle(self, event: faust.EventT, decoded: Decoded) -> None:
        e = decoded.event
        await getattr(self, self.HANDLERS[type(e)])(e, self.records.get(e.lab_id) or labside.empty())

    async def on_reserve(self, e: ev.ReserveSlot, record: LabRecord) -> None:
        after, reply = labside.reserve(record, e)
        self.records[e.lab_id] = after
        await self.sender.send([reply], str(e.request_id))
        await self.sender.send(labside.booking_changes(e.lab_id, record.booked, after.booked))

    async def on_release(self, e: ev.ReleaseSlot, record: LabRecord) -> None:
        after = self.records[e.lab_id] = labside.release(record, e)
        await self.sender.send(labside.booking_changes(e.lab_id, record.booked, after.booked))

    async def on_supply(self, e: ev.LabProfile | ev.CapacityAdvertised, record: LabRecord) -> None:
        record = record.but(**{"profile" if isinstance(e, ev.LabProfile) else "capacity": e})
        self.records[e.lab_id] = record
        await self.sender.send(labside.broadcast(e.lab_id, record))
