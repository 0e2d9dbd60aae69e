"""Plain test data for the matching core, with overrides."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from services.booking.scheduler.calendar import Window, Windows
from services.booking.scheduler.matching import Demand, LabState, Terms
from services.booking.scheduler.settings import SchedulerSettings

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)
SAMARA = (53.2077, 50.1355)  # the RU-SAM centre
MOSCOW = (55.752, 37.6178)
METHOD = "ISO9227-NSS-96"


def settings(**overrides) -> SchedulerSettings:
    return SchedulerSettings(**overrides)


def window(slots: int = 1, days: int = 90, start: datetime = NOW) -> Window:
    return Window(slots, start, start + timedelta(days=days))


def lab(lab_id: str = "lab-a", *, at=SAMARA, method: str = METHOD, hours: int = 24, max_samples: int = 10,
        price: float = 50_000, slots: int = 1, win: Window | Windows | None = None, active: bool = True,
        valid_until: date = date(2027, 1, 1), heartbeat: datetime | None = NOW, extra=None) -> LabState:
    terms = {method: Terms(max_samples, price, timedelta(hours=hours), win or window(slots))}
    terms.update(extra or {})
    return LabState(lab_id, at[0], at[1], active, valid_until, heartbeat, terms)


def demand(request_id: str = "r1", *, method: str = METHOD, samples: int = 3, deadline: date = date(2026, 4, 30),
           origin: str = "RU-SAM", preferred=(), excluded=(), declined=()) -> Demand:
    return Demand(request_id, method, samples, deadline, origin, frozenset(preferred),
                  frozenset(excluded), frozenset(declined))
