"""The scheduler's agents and timers on the app: two sides, two agents, two timers.

- The request side (requestside.py) owns each request's state; the lab side
  (labrecords.py) owns each lab's record. Each input event goes to the side that
  handles its type, whichever agent read it.
- `scheduler-requests` reads requests.v1, lab-responses.v1 and reservations.v1 (whose
  ReserveSlot / ReleaseSlot go to the lab side); `scheduler-labs` reads labs.v1 and
  capacity.v1.
- `close_windows` ends each partition's match window; `expire_offers` turns offers past
  expires_at into OfferExpired messages. Both act on the worker's own partitions.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass

import faust

from schemas.topics import CAPACITY, LAB_RESPONSES, LABS, REQUESTS, RESERVATIONS

from .labrecords import LabSide
from .requestside import RequestSide
from .sender import Finished, Sender
from .settings import SchedulerSettings
from .watch import Watch

log = logging.getLogger(__name__)
# Every input topic has exactly one reading agent. Faust acknowledges a message read by
# two agents only when both are done with it; when partitions are revoked it drops the
# copies still queued and then waits, without a time limit, until every message a stream
# took is acknowledged (Consumer.wait_empty). A reservations.v1 message the lab side had
# taken while the request side's copy was still queued was never acknowledged: the
# worker waited for it forever and processed nothing again.
READERS = {"scheduler-requests": (REQUESTS.name, LAB_RESPONSES.name, RESERVATIONS.name),
           "scheduler-labs": (LABS.name, CAPACITY.name)}


@dataclass(frozen=True)
class Sides:
    requests: RequestSide
    labs: LabSide

    def handler_for(self, kind: str):
        """The side that owns an event type (None: nobody here, e.g. what others read)."""
        if kind in RequestSide.EVENTS:
            return self.requests.handle
        return self.labs.handle if kind in LabSide.EVENTS else None


def register(app: faust.App, settings: SchedulerSettings, finished: Finished = lambda *_: None) -> Watch:
    """Agents, tables and timers on the app; `finished` hears of every input event an
    agent is done with (metrics, the stuck rule). Returns the request side's Watch."""
    sender = Sender(app, settings.app_id, finished)
    sides = Sides(RequestSide(app, settings, sender), LabSide(app, sender))

    @app.on_partitions_revoked.connect
    async def forget_revoked(sender, revoked, **kwargs) -> None:
        sides.requests.forget({tp.partition for tp in revoked if tp.topic == REQUESTS.name})

    for name, topics in READERS.items():
        add_agent(app, name, sender, topics, sides)
    add_timers(app, settings, sides.requests)
    return sides.requests.watch


def add_agent(app: faust.App, name: str, sender: Sender, topics: tuple[str, ...], sides: Sides) -> None:
    @app.agent(sender.topic(*topics), name=name)
    async def agent(stream):
        async for event in stream.events():
            await sender.guarded(event, name, sides.handler_for)


def own_partitions(app: faust.App) -> set[int]:
    return {tp.partition for tp in app.assignor.assigned_actives() if tp.topic == REQUESTS.name}


def add_timers(app: faust.App, settings: SchedulerSettings, side: RequestSide) -> None:
    if settings.batch_window_s > 0:
        @app.timer(settings.batch_window_s)
        async def close_windows():
            try:
                await side.close_windows(own_partitions(app))
            except Exception:
                log.exception("closing the match window failed; the next tick retries")

    @app.timer(settings.offer_scan_interval_s)
    async def expire_offers():
        if getattr(app, "in_recovery", False):
            return  # a half-recovered table would be indexed as it is
        try:
            await side.expire_offers(own_partitions(app))
        except Exception:
            log.exception("offer expiry scan failed; next scan retries")
