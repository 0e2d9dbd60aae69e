"""A lab with a break in its year: every capacity window counts, and no test spans the break.

The lab advertises its one lane for a 20-day test in Jan 1-31 and Feb 15-Mar 31 2027
(whole days, UTC: [Jan 1, Feb 1) and [Feb 15, Apr 1)). Samples from Samara reach the
Samara lab a day after they are sent; the report takes 2 days, so a deadline of Mar 20
(the report out by Mar 21, 00:00) needs the test to end by Mar 19, 00:00. Every
expected date below is written out by hand.
"""
import uuid
from datetime import date, datetime, timedelta, timezone

from schemas import events as ev
from services.booking.scheduler import labside
from services.booking.scheduler.calendar import Calendar, Window, Windows

from .factories import METHOD


def utc(month: int, day: int, year: int = 2027) -> datetime:
    return datetime(year, month, day, tzinfo=timezone.utc)


JAN = Window(1, utc(1, 1), utc(2, 1))
FEB_MAR = Window(1, utc(2, 15), utc(4, 1))
BREAK = Windows((JAN, FEB_MAR))
NOW = datetime(2026, 12, 20, 9, 0, tzinfo=timezone.utc)  # the samples arrive on Dec 21, 09:00
DUE = date(2027, 3, 20)
DAYS_20, DAYS_40 = 20 * 24, 40 * 24  # test durations, hours


def test_each_window_has_its_own_lanes_and_a_slot_may_not_cross_from_one_into_the_next():
    calendar, wide, narrow = Calendar(), Window(2, utc(1, 1), utc(2, 1)), Window(1, utc(2, 1), utc(3, 1))
    touching = Windows((narrow, wide))  # given in any order
    assert not calendar.reserve("lab", "m", "across", utc(1, 25), utc(2, 5), touching)  # both windows, neither alone
    assert calendar.reserve("lab", "m", "jan-1", utc(1, 10), utc(1, 20), touching)
    assert calendar.reserve("lab", "m", "jan-2", utc(1, 10), utc(1, 20), touching)  # January has two lanes
    assert calendar.reserve("lab", "m", "feb-1", utc(2, 10), utc(2, 20), touching)
    assert not calendar.reserve("lab", "m", "feb-2", utc(2, 10), utc(2, 20), touching)  # February one
    # From Jan 25: 5 days fit January; 8 would end Feb 2, so they start Feb 1 (done Feb 9, before
    # feb-1); 10 fit neither Feb 1-10 nor Feb 20 - Mar 1.
    assert calendar.earliest_fit("lab", "m", utc(1, 25), timedelta(days=5), touching) == utc(1, 25)
    assert calendar.earliest_fit("lab", "m", utc(1, 25), timedelta(days=8), touching) == utc(2, 1)
    assert calendar.earliest_fit("lab", "m", utc(1, 25), timedelta(days=10), touching) is None


def ask(start: datetime, days: int = 20, latest_end: datetime | None = None) -> ev.ReserveSlot:
    return ev.ReserveSlot(reservation_id=uuid.uuid4(), request_id=uuid.uuid4(), lab_id="lab-a", method_code=METHOD,
                          start=start, end=start + timedelta(days=days), latest_end=latest_end)


def stored_record() -> dict:
    """The lab's record as the reservation agent stores it: both windows in capacity.items."""
    record = labside.empty()
    record["capacity"] = ev.CapacityAdvertised(lab_id="lab-a", heartbeat_at=NOW, items=(
        {"method_code": METHOD, "slots": 1, "available_from": utc(2, 15), "available_to": utc(4, 1)},
        {"method_code": METHOD, "slots": 1, "available_from": utc(1, 1), "available_to": utc(2, 1)},
    )).model_dump(mode="json")
    return record


def test_the_reservation_agent_refuses_a_slot_straddling_the_break_and_grants_one_in_either_window():
    record = stored_record()
    record, straddling = labside.reserve(record, ask(utc(1, 20)))  # Jan 20 - Feb 9
    assert isinstance(straddling.event, ev.SlotRefused) and straddling.event.reason == "slot_taken"
    record, across = labside.reserve(record, ask(utc(1, 28)))  # Jan 28 - Feb 17: from one window into the other
    assert isinstance(across.event, ev.SlotRefused)
    record, january = labside.reserve(record, ask(utc(1, 5)))
    assert (january.event.start, january.event.end) == (utc(1, 5), utc(1, 25))
    record, march = labside.reserve(record, ask(utc(3, 10)))
    assert (march.event.start, march.event.end) == (utc(3, 10), utc(3, 30))
    assert record["booked"][METHOD] == [[str(january.event.reservation_id), "2027-01-05T00:00:00+00:00",
                                         "2027-01-25T00:00:00+00:00"],
                                        [str(march.event.reservation_id), "2027-03-10T00:00:00+00:00",
                                         "2027-03-30T00:00:00+00:00"]]


def test_the_reservation_agent_places_a_bounded_ask_in_the_next_window_with_room():
    record, _ = labside.reserve(stored_record(), ask(utc(1, 5)))  # Jan 5-25 taken
    # From Jan 20: Jan 25 - Feb 14 would cross the break, so Feb 15 - Mar 7, inside Mar 19.
    record, later = labside.reserve(record, ask(utc(1, 20), latest_end=utc(3, 19)))
    assert isinstance(later.event, ev.SlotGranted) and (later.event.start, later.event.end) == (utc(2, 15), utc(3, 7))
    # Another: Mar 7-27 ends after Mar 19.
    record, full = labside.reserve(record, ask(utc(1, 20), latest_end=utc(3, 19)))
    assert isinstance(full.event, ev.SlotRefused)
