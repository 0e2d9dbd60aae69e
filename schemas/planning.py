"""The timing rule every service plans with, in one place.

A job ends when its samples have travelled to the lab, the test has run and the
report is written: booking refuses deadlines that cannot allow even the shortest
of these, and the scheduler's hard constraint uses the same figures.
"""
from __future__ import annotations

import math
from datetime import date, timedelta

REPORTING_DAYS = 2  # from test end to report issued
MIN_SHIPPING_DAYS = 1  # even a lab next door needs the samples delivered


def earliest_deadline(duration_hours: float, today: date) -> date:
    """The first deadline any lab could meet for a test of this duration."""
    return today + timedelta(days=MIN_SHIPPING_DAYS + math.ceil(duration_hours / 24) + REPORTING_DAYS)
