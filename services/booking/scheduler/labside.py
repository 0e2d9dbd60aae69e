"""The lab side's decisions on one lab's record (state.LabRecord: profile, capacity,
bookings). Pure; the lab side is the single writer of a record, so grant-or-refuse
needs no lock.
"""
from __future__ import annotations

from datetime import datetime
from uuid import UUID

from schemas import events as ev
from schemas.reasons import UnmatchedReason as Reason
from schemas.topics import LAB_STATE, MATCHING, PARTITIONS

from .calendar import Calendar, Reservation, Window, Windows
from .steps import Send
from .matching import LabState
from .state import Booked, LabRecord

RELEASED_KEPT = 2000  # released reservation ids remembered, so a redelivered ReserveSlot is not re-booked


def empty() -> LabRecord:
    return LabRecord()


def lab_state(record: LabRecord) -> LabState | None:
    if record.profile is None:
        return None
    return LabState.from_events(record.profile, record.capacity)


def broadcast(lab_id: str, record: LabRecord) -> list[Send]:
    """Every request partition keeps every lab (matching needs all of them)."""
    event = ev.SupplyChanged(lab_id=lab_id, profile=record.profile, capacity=record.capacity)
    return [Send(LAB_STATE.name, lab_id, event, partition=p) for p in range(PARTITIONS)]


def _windows(record: LabRecord, method: str) -> Windows:
    """Every window the lab advertised for the method."""
    items = record.capacity.items if record.capacity else ()
    return Windows(Window(i.slots, i.available_from, i.available_to) for i in items if i.method_code == method)


def reservations(rows) -> list[Reservation]:
    """The `bookings` table's rows ([reservation_id, start, end], ISO times) as calendar reservations."""
    return [Reservation(rid, datetime.fromisoformat(start), datetime.fromisoformat(end)) for rid, start, end in rows]


def _calendar(record: LabRecord, lab_id: str, method: str) -> Calendar:
    calendar = Calendar()
    for b in record.booked.get(method, ()):
        calendar.load(lab_id, method, Reservation(b.reservation_id, b.start, b.end))
    return calendar


def reserve(record: LabRecord, event: ev.ReserveSlot) -> tuple[LabRecord, Send]:
    """Grant the asked slot (or, with latest_end, the earliest free one in bounds), or refuse."""
    rid, method = str(event.reservation_id), event.method_code
    windows = _windows(record, method)
    if rid in record.released:
        return record, _refuse(event, "reservation_already_released")
    if not windows:  # none, or none with a lane
        return record, _refuse(event, Reason.NO_CAPACITY_ADVERTISED)
    calendar = _calendar(record, event.lab_id, method)
    for r in calendar.reservations(event.lab_id, method):
        if r.key == rid:  # redelivered: answer the same again
            return record, _grant(event, r.start, r.end)
    start, duration = event.start, event.end - event.start
    if event.latest_end is not None:
        start = calendar.earliest_fit(event.lab_id, method, event.start, duration, windows.capped(event.latest_end))
    # Granted only inside one window, on that window's lanes (calendar.reserve).
    if start is None or not calendar.reserve(event.lab_id, method, rid, start, start + duration, windows):
        return record, _refuse(event, "slot_taken")
    booked = (*record.booked.get(method, ()), Booked(rid, start, start + duration))
    return record.but(booked={**record.booked, method: booked}), _grant(event, start, start + duration)


def release(record: LabRecord, event: ev.ReleaseSlot) -> LabRecord:
    rid = str(event.reservation_id)
    booked = {m: tuple(b for b in rows if b.reservation_id != rid) for m, rows in record.booked.items()}
    return record.but(booked=booked, released=(*record.released, rid)[-RELEASED_KEPT:])


def booking_changes(lab_id: str, before: dict[str, tuple[Booked, ...]], after: dict[str, tuple[Booked, ...]]) -> list[Send]:
    """What a reserve or release changed in the lab's bookings ({method: rows}), per
    method, to every request partition (matching's view of the calendar)."""
    out = []
    for method in sorted(set(before) | set(after)):
        old = {b.reservation_id: b for b in before.get(method, ())}
        new = {b.reservation_id: b for b in after.get(method, ())}
        booked = [b for rid, b in new.items() if old.get(rid) != b]
        released = [rid for rid in old if rid not in new]
        if not booked and not released:
            continue
        event = ev.BookingsChanged(
            lab_id=lab_id, method_code=method, replace=False, released=tuple(UUID(rid) for rid in released),
            bookings=tuple(ev.BookedSlot(reservation_id=b.reservation_id, start=b.start, end=b.end) for b in booked))
        out += [Send(LAB_STATE.name, lab_id, event, partition=p) for p in range(PARTITIONS)]
    return out


def _grant(event: ev.ReserveSlot, start: datetime, end: datetime) -> Send:
    return Send(MATCHING.name, str(event.request_id), ev.SlotGranted(
        reservation_id=event.reservation_id, request_id=event.request_id, lab_id=event.lab_id,
        method_code=event.method_code, start=start, end=end))


def _refuse(event: ev.ReserveSlot, reason: str) -> Send:
    return Send(MATCHING.name, str(event.request_id), ev.SlotRefused(
        reservation_id=event.reservation_id, request_id=event.request_id, lab_id=event.lab_id, reason=reason))
