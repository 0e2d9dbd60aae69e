"""The soft score: one weighted sum, lower is better (weights in SchedulerSettings)."""
from __future__ import annotations

import math
from datetime import datetime, timedelta

from schemas import planning

from .settings import SchedulerSettings

DAY = timedelta(days=1)


def shipping_days(km: float, settings: SchedulerSettings) -> int:
    """Whole days in transit: a parcel sent today arrives no earlier than tomorrow."""
    return max(planning.MIN_SHIPPING_DAYS, math.ceil(km / settings.shipping_km_per_day))


def static_score(km: float, price_rub: float, load: float, preferred: bool,
                 settings: SchedulerSettings) -> float:
    """The part of the score that does not depend on when the job runs."""
    return (settings.weight_distance_per_100km * km / 100
            + settings.weight_price_per_10k_rub * price_rub / 10_000
            + settings.weight_load * load
            - (settings.bonus_preferred if preferred else 0.0))


def completion_score(now: datetime, completion: datetime, settings: SchedulerSettings) -> float:
    return settings.weight_completion_per_day * ((completion - now) / DAY)
