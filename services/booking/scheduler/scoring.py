"""The scoring rule, in one place: its terms, the latest a test may end, and the rows
the compiled search reads them from.

The score is one weighted sum, lower is better (weights in SchedulerSettings):

    fixed (distance, price) + load + completion - preferred bonus

Matching has two implementations of it that must agree float for float: the
reference (matching.Option.score_at, used by match_exhaustive and for every lab
scored through the calendar) and the compiled search (outlook.py) over a row per
lab that labindex.shortlist builds. Both take the terms from here; the columns of
those rows are named here too, so the builder and the kernel cannot disagree on
them. tests/unit/scheduler/test_properties.py checks the two give the same answers.
"""
from __future__ import annotations

import math
from datetime import date, datetime, time, timedelta, timezone
from functools import lru_cache

from schemas import planning

from .settings import SchedulerSettings

DAY = timedelta(days=1)
DAY_US = 86_400_000_000
# A bound is rounded differently from the exact score; subtracting this keeps it a lower
# bound (a score unit is about a day, so 1e-6 is a tenth of a second). The floor, rounded
# differently again, subtracts twice as much so it stays below every bound.
MARGIN = 1e-6

# ---- the numeric layout of the compiled search (float64 throughout; instants in
# microseconds since the epoch, exact below 2**53) ----

# Shortlist.rows: one lab's data side by side, a row per lab in order of FLOOR.
FLOOR = 0  # no score of the lab's is below this: base + completion weight * shipping days
LAB = 1  # the lab's position k in its MethodTable
SHIPPING_US = 2  # shipping time
USABLE_UNTIL = 3  # the last `now` the lab is live and accredited long enough for the samples
BASE = 4  # the score with no load and the test starting now, less completion weight * days to start
FIXED = 5  # the distance and price terms (fixed_terms)
MAX_SAMPLES = 6
FIRST_WINDOW = 7  # the lab's rows of MethodTable.windows: FIRST_WINDOW:PAST_WINDOW
PAST_WINDOW = 8
DURATION = 9  # of the test
ROW_WIDTH = 10

# MethodTable.windows: a row per window, each lab's in time order.
WINDOW_START, WINDOW_END, WINDOW_SLOTS = 0, 1, 2  # WINDOW_END: capped at the accreditation's latest test end
WINDOW_WIDTH = 3

# Outlook.state: a row per lab.
FREE_FROM = 0  # the lab's earliest fit from the earliest possible arrival (0: not known yet)
LOAD_TERM = 1  # load_term of its current booked share
STATE_WIDTH = 2
# All of the above: numba's cache sees a change of outlook.py, not of the constants its
# kernels froze from here, so outlook compares this with what they were compiled with.
LAYOUT = (FLOOR, LAB, SHIPPING_US, USABLE_UNTIL, BASE, FIXED, MAX_SAMPLES, FIRST_WINDOW, PAST_WINDOW, DURATION,
          ROW_WIDTH, WINDOW_START, WINDOW_END, WINDOW_SLOTS, WINDOW_WIDTH, FREE_FROM, LOAD_TERM, STATE_WIDTH)


def end_of_day(day: date) -> datetime:
    """A deadline or valid-until date covers the whole day, UTC."""
    return datetime.combine(day + DAY, time(), timezone.utc)


@lru_cache(maxsize=4096)  # deadlines and valid-until dates repeat
def latest_test_end(reporting_days: int, *days: date) -> datetime:
    """The latest a test may end: its report, reporting_days later, is issued by the end
    of each of these days (the request's deadline, the lab's accreditation valid-until)."""
    return end_of_day(min(days)) - reporting_days * DAY


def shipping_days(km: float, settings: SchedulerSettings) -> int:
    """Whole days in transit: a parcel sent today arrives no earlier than tomorrow."""
    return max(planning.MIN_SHIPPING_DAYS, math.ceil(km / settings.shipping_km_per_day))


def fixed_terms(km, price_rub, settings: SchedulerSettings):
    """The distance and price terms; on floats or numpy arrays (the same operations, so
    the same floats)."""
    return settings.weight_distance_per_100km * km / 100 + settings.weight_price_per_10k_rub * price_rub / 10_000


def load_term(booked_share, settings: SchedulerSettings):
    """The load term of a lab+method's booked share of its windows (0..1)."""
    return settings.weight_load * booked_share


def static_score(km: float, price_rub: float, load: float, preferred: bool,
                 settings: SchedulerSettings) -> float:
    """The part of the score that does not depend on when the job runs."""
    return (fixed_terms(km, price_rub, settings) + load_term(load, settings)
            - (settings.bonus_preferred if preferred else 0.0))


def completion_score(now: datetime, completion: datetime, settings: SchedulerSettings) -> float:
    """The completion term: per day from now until the report is issued."""
    return settings.weight_completion_per_day * ((completion - now) / DAY)
