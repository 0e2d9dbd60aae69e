"""The calendar: lanes are never over-committed, earliest_fit finds the first gap."""
from datetime import timedelta

from services.booking.scheduler.calendar import Calendar, Window

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


def test_release_frees_the_lane_and_copy_is_independent():
    cal, one = Calendar(), Window(1, NOW, NOW + 10 * H)
    cal.reserve("lab", "m", "a", NOW, NOW + 10 * H, one)
    snapshot = cal.copy()
    assert cal.release("lab", "m", "a") and not cal.release("lab", "m", "a")
    assert cal.earliest_fit("lab", "m", NOW, H, one) == NOW
    assert snapshot.earliest_fit("lab", "m", NOW, H, one) is None
    assert cal.reserved_hours("lab", "m", one) == 0 and snapshot.reserved_hours("lab", "m", one) == 10
