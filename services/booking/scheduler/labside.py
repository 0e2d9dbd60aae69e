"""The lab-partitioned side: one lab's record (profile, capacity, calendar) and the
reservation decisions. Pure; the reservation agent is the single writer of a record,
so grant-or-refuse needs no lock.
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

RELEASED_KEPT = 2000  # released reservation ids remembered, so a redelivered ReserveSlot is not re-booked


def empty() -> dict:
    return {"profile": None, "capacity": None, "booked": {}, "released": []}


def lab_state(record: dict) -> LabState | None:
    if not record.get("profile"):
        return None
    capacity = ev.CapacityAdvertised.model_validate(record["capacity"]) if record.get("capacity") else None
    return LabState.from_events(ev.LabProfile.model_validate(record["profile"]), capacity)


def broadcast(lab_id: str, record: dict) -> list[Send]:
    """Every request partition keeps every lab (matching needs all of them)."""
    profile = ev.LabProfile.model_validate(record["profile"]) if record.get("profile") else None
    capacity = ev.CapacityAdvertised.model_validate(record["capacity"]) if record.get("capacity") else None
    event = ev.SupplyChanged(lab_id=lab_id, profile=profile, capacity=capacity)
    return [Send(LAB_STATE.name, lab_id, event, partition=p) for p in range(PARTITIONS)]


def _windows(record: dict, method: str) -> Windows:
    """Every window the lab advertised for the method (stored records, old or new, keep
    them all in capacity.items)."""
    items = (record.get("capacity") or {}).get("items", ())
    return Windows(_window(item) for item in items if item["method_code"] == method)


def _window(item: dict) -> Window:
    return Window(item["slots"], datetime.fromisoformat(item["available_from"]),
                  datetime.fromisoformat(item["available_to"]))


def reservations(rows) -> list[Reservation]:
    """Stored booking rows ([reservation_id, start, end]) as calendar reservations."""
    return [Reservation(rid, datetime.fromisoformat(start), datetime.fromisoformat(end)) for rid, start, end in rows]


def _calendar(record: dict, lab_id: str, method: str) -> Calendar:
    calendar = Calendar()
    for reservation in reservations(record["booked"].get(method, ())):
        calendar.load(lab_id, method, reservation)
    return calendar


def reserve(record: dict, event: ev.ReserveSlot) -> tuple[dict, Send]:
    """Grant the asked slot (or, with latest_end, the earliest free one in bounds), or refuse."""
    rid, method = str(event.reservation_id), event.method_code
    windows = _windows(record, method)
    if rid in record["released"]:
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
    rows = record["booked"].get(method, [])
    record["booked"] = {**record["booked"], method: [*rows, [rid, start.isoformat(), (start + duration).isoformat()]]}
    return record, _grant(event, start, start + duration)


def release(record: dict, event: ev.ReleaseSlot) -> dict:
    rid = str(event.reservation_id)
    record["booked"] = {m: [row for row in rows if row[0] != rid] for m, rows in record["booked"].items()}
    record["released"] = [*record["released"], rid][-RELEASED_KEPT:]
    return record


def booking_changes(lab_id: str, before: dict, after: dict) -> list[Send]:
    """What a reserve or release changed in the lab's bookings ({method: rows}), per
    method, to every request partition (matching's view of the calendar)."""
    out = []
    for method in sorted(set(before) | set(after)):
        old = {row[0]: row for row in before.get(method, ())}
        new = {row[0]: row for row in after.get(method, ())}
        booked = [row for rid, row in new.items() if old.get(rid) != row]
        released = [rid for rid in old if rid not in new]
        if not booked and not released:
            continue
        event = ev.BookingsChanged(
            lab_id=lab_id, method_code=method, replace=False, released=tuple(UUID(rid) for rid in released),
            bookings=tuple(ev.BookedSlot(reservation_id=rid, start=start, end=end) for rid, start, end in booked))
        out += [Send(LAB_STATE.name, lab_id, event, partition=p) for p in range(PARTITIONS)]
    return out


def _grant(event: ev.ReserveSlot, start: datetime, end: datetime) -> Send:
    return Send(MATCHING.name, str(event.request_id), ev.SlotGranted(
        reservation_id=event.reservation_id, request_id=event.request_id, lab_id=event.lab_id,
        method_code=event.method_code, start=start, end=end))


def _refuse(event: ev.ReserveSlot, reason: str) -> Send:
    return Send(MATCHING.name, str(event.request_id), ev.SlotRefused(
        reservation_id=event.reservation_id, request_id=event.request_id, lab_id=event.lab_id, reason=reason))
