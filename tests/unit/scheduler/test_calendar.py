"""The calendar: lanes are never over-committed, earliest_fit finds the first gap."""
from datetime import datetime, timedelta, timezone

from hypothesis import given, settings, strategies as st

from services.booking.scheduler.calendar import Calendar, Reservation, Window, Windows

from .factories import NOW

H = timedelta(hours=1)
WIN = Window(2, NOW, NOW + 100 * H)


def test_reserve_refuses_the_slot_that_would_over_commit():
    cal = Calendar()
    assert cal.reserve("lab", "m", "a", NOW, NOW + 10 * H, WIN)
    assert cal.reserve("lab", "m", "b", NOW + 5 * H, NOW + 15 * H, WIN)
    assert not cal.reserve("lab", "m", "c", NOW + 9 * H, NOW + 11 * H, WIN)
    assert cal.reserve("lab", "m", "c", NOW + 10 * H, NOW + 12 * H, WIN)  # touching is not overlapping
    assert cal.reserve("other", "m", "d", NOW + 9 * H, NOW + 11 * H, WIN)


def test_reserve_is_idempotent_per_key_and_stays_in_the_window():
    cal = Calendar()
    assert cal.reserve("lab", "m", "a", NOW, NOW + H, WIN)
    assert cal.reserve("lab", "m", "a", NOW, NOW + H, WIN)  # a redelivered ReserveSlot
    assert not cal.reserve("lab", "m", "a", NOW + H, NOW + 2 * H, WIN)
    assert len(cal.reservations("lab", "m")) == 1
    assert not cal.reserve("lab", "m", "z", NOW - H, NOW + H, WIN)
    assert not cal.reserve("lab", "m", "z", NOW + 99 * H, NOW + 101 * H, WIN)


def test_earliest_fit_takes_the_first_gap_long_enough():
    cal, one = Calendar(), Window(1, NOW, NOW + 100 * H)
    cal.reserve("lab", "m", "a", NOW + 2 * H, NOW + 5 * H, one)
    cal.reserve("lab", "m", "b", NOW + 7 * H, NOW + 9 * H, one)
    assert cal.earliest_fit("lab", "m", NOW, 2 * H, one) == NOW
    assert cal.earliest_fit("lab", "m", NOW, 3 * H, one) == NOW + 9 * H
    assert cal.earliest_fit("lab", "m", NOW + H, 2 * H, one) == NOW + 5 * H
    assert cal.earliest_fit("lab", "m", NOW, 92 * H, one) is None


def test_release_frees_the_lane():
    cal, one = Calendar(), Window(1, NOW, NOW + 10 * H)
    cal.reserve("lab", "m", "a", NOW, NOW + 10 * H, one)
    assert cal.earliest_fit("lab", "m", NOW, H, one) is None
    assert cal.release("lab", "m", "a") and not cal.release("lab", "m", "a")
    assert cal.earliest_fit("lab", "m", NOW, H, one) == NOW
    assert cal.reserved_hours("lab", "m", one) == 0


@st.composite
def windows(draw):
    """1-3 windows in time order inside [5 h, 120 h), none to 20 hours between them, each its own lanes."""
    out, at = [], draw(st.integers(5, 40))
    for _ in range(draw(st.integers(1, 3))):
        end = min(at + draw(st.integers(1, 60)), 120)
        if end > at:
            out.append(Window(draw(st.integers(1, 3)), NOW + at * H, NOW + end * H))
        at = end + draw(st.integers(0, 20))
    return Windows(out)


@settings(max_examples=300, deadline=None)
@given(windows(), st.lists(st.tuples(st.integers(0, 80), st.integers(1, 30)), max_size=12),
       st.integers(0, 90), st.integers(1, 40), st.booleans())
def test_earliest_fit_is_the_first_start_where_a_lane_is_free_throughout(wins, booked, not_before, hours, unchecked):
    """Against the definition, half hour by half hour: the first start >= not_before whose
    whole run lies in one window and overlaps fewer reservations than that window's lanes.
    `unchecked` loads reservations as stored (they may overlap beyond the lanes or stick
    out of the windows)."""
    cal = Calendar()
    for n, (at, length) in enumerate(booked):
        start, end = NOW + at * H, NOW + (at + length) * H
        if unchecked:
            cal.load("lab", "m", Reservation(f"r{n}", start, end))
        else:
            cal.reserve("lab", "m", f"r{n}", start, end, wins)
    rows = cal.reservations("lab", "m")
    expected = None
    for minute in range(not_before * 60, 120 * 60 + 1, 30):
        start = NOW + minute * timedelta(minutes=1)
        end = start + hours * H
        lanes = next((w.slots for w in wins if w.start <= start and end <= w.end), 0)
        if all(sum(r.start <= t < r.end for r in rows) < lanes
               for t in [start] + [r.start for r in rows if start < r.start < end]):
            expected = start
            break
    assert cal.earliest_fit("lab", "m", NOW + not_before * H, hours * H, wins) == expected


def test_put_takes_a_reservation_once_and_moves_it_when_its_times_change():
    calendar = Calendar()
    start = datetime(2027, 3, 1, tzinfo=timezone.utc)
    first = Reservation("r1", start, start + timedelta(days=2))
    calendar.put("lab", "M", first)
    version = calendar.version("M")
    calendar.put("lab", "M", Reservation("r1", first.start, first.end))  # heard again on another partition
    assert calendar.reservations("lab", "M") == (first,) and calendar.version("M") == version
    moved = Reservation("r1", start + timedelta(days=1), start + timedelta(days=3))
    calendar.put("lab", "M", moved)
    assert calendar.reservations("lab", "M") == (moved,)
