"""The labs' supply as the booking API sees it: each lab's latest profile and capacity
advert, followed from the compacted labbook.labs.v1 and labbook.capacity.v1 (never from
the labs service's tables). The staff insight routes plan on it (capacity.py) and
report on it; `lab_states()` is the scheduler's own view of a lab (LabState), so a
what-if is planned by exactly the rules the scheduler applies.
"""
from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from aiohttp import web

from schemas.envelope import MessageRejected, decode
from schemas.events import CapacityAdvertised, LabProfile
from schemas.topics import CAPACITY, LABS
from services.booking.scheduler.domain import LabState
from services.booking.scheduler.settings import SchedulerSettings
from services.common.errors import ApiError
from services.common.follower import follow_while_running


class SupplyView:
    def __init__(self) -> None:
        self.profiles: dict[str, LabProfile] = {}
        self.adverts: dict[str, CapacityAdvertised] = {}
        self.loaded = asyncio.Event()
        self.version = 0  # moves on every record: what was planned on an older one is stale

    def apply(self, key: bytes | None, value: bytes | None) -> None:
        if value is None:  # a tombstone: the lab is gone
            if key is not None:
                lab_id = key.decode(errors="replace")
                self.profiles.pop(lab_id, None)
                self.adverts.pop(lab_id, None)
                self.version += 1
            return
        _, event = decode(value)
        if isinstance(event, LabProfile):
            self.profiles[event.lab_id] = event
        elif isinstance(event, CapacityAdvertised):
            self.adverts[event.lab_id] = event
        else:
            raise MessageRejected(f"{event.type_name()} is neither a LabProfile nor a CapacityAdvertised")
        self.version += 1

    def require_loaded(self) -> None:
        """Answers on a half-read supply would be wrong, not just late: 503 until caught up."""
        if not self.loaded.is_set():
            raise ApiError(503, "supply_loading", "the labs' supply is still being read from Kafka; "
                                                  "ask again in a few seconds")

    def lab_states(self) -> list[LabState]:
        """Every lab with a profile, as the scheduler would plan on it (sorted by id)."""
        return [LabState.from_events(self.profiles[lab_id], self.adverts.get(lab_id))
                for lab_id in sorted(self.profiles)]


SUPPLY = web.AppKey("supply", SupplyView)
# The scheduler's rules (liveness, reporting days, ...) the insight routes judge the supply by.
RULES = web.AppKey("scheduler_rules", SchedulerSettings)


async def supply_ctx(app: web.Application) -> AsyncIterator[None]:
    """Follow the labs' topics while the app runs; serving waits follower.LOAD_TIMEOUT_S at
    most for them (after that, the routes that plan answer 503 until the view has caught up)."""
    supply = app[SUPPLY] = SupplyView()
    async with follow_while_running(app, supply, LABS, CAPACITY, name="supply",
                                    meanwhile="the planning routes answer 503 until it is"):
        yield
