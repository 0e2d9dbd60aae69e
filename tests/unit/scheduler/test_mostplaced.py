"""The count model (mostplaced.py) around bookings already on the calendar, counted by hand."""
from __future__ import annotations

from datetime import date, timedelta

from services.booking.scheduler.calendar import Calendar, Reservation, Window
from services.booking.scheduler.matching import index_labs
from services.booking.scheduler.mostplaced import most_placed

from .factories import METHOD, NOW, demand, lab, settings

DAY = timedelta(days=1)


def test_the_most_placed_fit_around_what_the_calendar_already_holds():
    """One lane open 9.5 days from W, 2-day tests, a job booked on days 2.5-3.5: one fits
    before it and three after it, the first of those starting where the booked job ends
    (a start on the grid from W, days 4, 6, 8, would fit only two after it)."""
    w = NOW + 5 * DAY  # after any shipping time
    the_lab = lab(hours=48, win=Window(1, w, w + 9.5 * DAY))
    calendar = Calendar()
    calendar.load("lab-a", METHOD, Reservation("booked", w + 2.5 * DAY, w + 3.5 * DAY))
    demands = [demand(f"r{i}", deadline=date(2026, 6, 30)) for i in range(6)]
    found = most_placed(demands, [NOW] * 6, index_labs([the_lab]), calendar, settings(), NOW, 5.0,
                        deterministic=True)
    starts = sorted(p[1] for p in found.plan if p is not None)
    assert starts == [w, w + 3.5 * DAY, w + 5.5 * DAY, w + 7.5 * DAY]
    assert found.proven and found.bound == 4


def test_nothing_fits_where_the_calendar_is_full():
    w = NOW + 5 * DAY
    the_lab = lab(hours=48, win=Window(1, w, w + 4 * DAY))
    calendar = Calendar()
    calendar.load("lab-a", METHOD, Reservation("booked", w + 1 * DAY, w + 3 * DAY))
    found = most_placed([demand("r1", deadline=date(2026, 6, 30))], [NOW], index_labs([the_lab]), calendar,
                        settings(), NOW, 5.0, deterministic=True)
    assert found.plan == [None] and found.proven and found.bound == 0
