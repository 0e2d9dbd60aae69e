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
from services.booking.scheduler.assignment import assign_batch, assign_greedy
from services.booking.scheduler.calendar import Calendar, Window, Windows
from services.booking.scheduler.matching import Assignment, LabState, Unmatched, match_exhaustive, match_one
from services.booking.scheduler.state import LabRecord

from .factories import METHOD, demand, lab, settings


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


def stored_record() -> LabRecord:
    """The lab's record as the lab side stores it: both windows in capacity.items."""
    return labside.empty().but(capacity=ev.CapacityAdvertised(lab_id="lab-a", heartbeat_at=NOW, items=(
        {"method_code": METHOD, "slots": 1, "available_from": utc(2, 15), "available_to": utc(4, 1)},
        {"method_code": METHOD, "slots": 1, "available_from": utc(1, 1), "available_to": utc(2, 1)},
    )))


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
    assert record.booked[METHOD] == ((str(january.event.reservation_id), utc(1, 5), utc(1, 25)),
                                     (str(march.event.reservation_id), utc(3, 10), utc(3, 30)))


def test_the_reservation_agent_places_a_bounded_ask_in_the_next_window_with_room():
    record, _ = labside.reserve(stored_record(), ask(utc(1, 5)))  # Jan 5-25 taken
    # From Jan 20: Jan 25 - Feb 14 would cross the break, so Feb 15 - Mar 7, inside Mar 19.
    record, later = labside.reserve(record, ask(utc(1, 20), latest_end=utc(3, 19)))
    assert isinstance(later.event, ev.SlotGranted) and (later.event.start, later.event.end) == (utc(2, 15), utc(3, 7))
    # Another: Mar 7-27 ends after Mar 19.
    record, full = labside.reserve(record, ask(utc(1, 20), latest_end=utc(3, 19)))
    assert isinstance(full.event, ev.SlotRefused)


def the_lab(hours: int = DAYS_20, windows=BREAK, now: datetime = NOW) -> LabState:
    return lab("lab-a", hours=hours, win=windows, valid_until=date(2027, 12, 31), heartbeat=now)


def match(d, labs, calendar=None, now=NOW):
    """match_one's answer, which scoring every lab must give too."""
    calendar = calendar or Calendar()
    got = match_one(d, labs, calendar, now, settings())
    assert got == match_exhaustive(d, labs, calendar, now, settings())
    return got


def span(result) -> tuple[datetime, datetime]:
    assert isinstance(result, Assignment), result
    return result.start, result.end


def test_with_room_in_the_first_window_the_test_starts_when_it_opens():
    assert span(match(demand(deadline=DUE), [the_lab()])) == (utc(1, 1), utc(1, 21))


def test_a_full_first_window_sends_the_test_to_the_second():
    calendar = Calendar()
    assert calendar.reserve("lab-a", METHOD, "other", utc(1, 1), utc(2, 1), BREAK)
    assert span(match(demand(deadline=DUE), [the_lab()], calendar)) == (utc(2, 15), utc(3, 7))


def test_a_first_window_too_short_sends_the_test_to_the_second():
    booked = Calendar()  # Jan 15-31 is 17 days: too short for 20
    assert booked.reserve("lab-a", METHOD, "other", utc(1, 1), utc(1, 15), BREAK)
    assert span(match(demand(deadline=DUE), [the_lab()], booked)) == (utc(2, 15), utc(3, 7))
    late = datetime(2027, 1, 14, 9, 0, tzinfo=timezone.utc)  # arriving Jan 15, 09:00: 16 days 15 hours left
    assert span(match(demand(deadline=DUE), [the_lab(now=late)], now=late)) == (utc(2, 15), utc(3, 7))


def test_a_test_no_single_window_holds_in_time_is_not_put_into_the_break():
    # 40 days: January holds 31; from Feb 15 it ends Mar 27, after Mar 19.
    result = match(demand(deadline=DUE), [the_lab(DAYS_40)])
    assert isinstance(result, Unmatched) and result.reason == "no_capacity_before_deadline"
    # Without the break the same test would run Jan 1 - Feb 10, through the fortnight the lab is shut.
    assert span(match(demand(deadline=DUE), [the_lab(DAYS_40, Window(1, utc(1, 1), utc(4, 1)))])) == (
        utc(1, 1), utc(2, 10))
    # Due later, it waits for the second window.
    assert span(match(demand(deadline=date(2027, 4, 30)), [the_lab(DAYS_40)])) == (utc(2, 15), utc(3, 27))
    # 46 days: longer than either window, never placed.
    result = match(demand(deadline=date(2027, 12, 1)), [the_lab(46 * 24)])
    assert isinstance(result, Unmatched) and result.reason == "no_capacity_before_deadline"


def test_one_request_after_another_fills_the_first_window_then_the_second():
    # Jan 1-21; then Jan 21 + 20 days would end Feb 10, in the break: Feb 15 - Mar 7, Mar 7-27;
    # a fourth would end Apr 16, after the second window closes.
    ds = [demand(f"r{i}", deadline=date(2027, 4, 30)) for i in range(4)]
    results = assign_greedy(ds, [the_lab()], Calendar(), NOW, settings())
    assert [span(r) for r in results[:3]] == [(utc(1, 1), utc(1, 21)), (utc(2, 15), utc(3, 7)),
                                              (utc(3, 7), utc(3, 27))]
    assert isinstance(results[3], Unmatched) and results[3].reason == "no_capacity_before_deadline"
    joint = assign_batch(ds, [the_lab()], Calendar(), NOW, settings())
    assert sorted(span(r) for r in joint if isinstance(r, Assignment)) == [span(r) for r in results[:3]]


def test_a_lab_state_keeps_every_window_advertised_for_a_method():
    record = stored_record().but(profile=ev.LabProfile(
        lab_id="lab-a", name="Lab", inn="6320000000", region_code="RU-SAM", city="Samara", lat=53.2, lon=50.1,
        accreditation={"certificate_no": "RA.RU.21AB12", "status": "active", "valid_until": "2027-12-31"},
        scope=({"method_code": METHOD, "max_samples": 5, "price_rub": "1000", "duration_hours": DAYS_20},),
        updated_at=NOW))
    assert labside.lab_state(record).terms[METHOD].windows == (JAN, FEB_MAR)
