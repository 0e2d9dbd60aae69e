"""The scheduler's agents and timers on the app: two sides, two agents, two timers.

- The request side (requestside.py) owns each request's state; the lab side
  (labrecords.py) owns each lab's record. Each side has one agent, which reads the
  topics that carry what the side handles (READERS): `scheduler-requests` reads
  requests.v1, lab-responses.v1, matching.v1 and lab-state.v1; `scheduler-labs` reads
  labs.v1, capacity.v1 and reservations.v1. What an agent handles is what the registry
  says its topics carry; an event of another type on them is dead-lettered.
- `close_windows` ends each partition's match window; `expire_offers` turns offers past
  expires_at into OfferExpired messages. Both act on the worker's own partitions.
"""
from __future__ import annotations

import logging

import faust

from schemas.topics import (CAPACITY, LAB_RESPONSES, LAB_STATE, LABS, MATCHING, REQUESTS, RESERVATIONS, Topic,
                            carried_by)

from .labrecords import LabSide
from .requestside import RequestSide
from .sender import Finished, Sender
from .settings import SchedulerSettings
from .watch import Watch

log = logging.getLogger(__name__)
# Every input topic has exactly one reading agent. Faust acknowledges a message read by
# two agents only when both are done with it; when partitions are revoked it drops the
# copies still queued and then waits, without a time limit, until every message a stream
# took is acknowledged (Consumer.wait_empty). A message one agent had taken while the
# other's copy was still queued was never acknowledged: the worker waited for it
# forever and processed nothing again.
READERS: dict[str, tuple[Topic, ...]] = {
    "scheduler-requests": (REQUESTS, LAB_RESPONSES, MATCHING, LAB_STATE),
    "scheduler-labs": (LABS, CAPACITY, RESERVATIONS),
}


def register(app: faust.App, settings: SchedulerSettings, finished: Finished = lambda *_: None) -> Watch:
    """Agents, tables and timers on the app; `finished` hears of every input event an
    agent is done with (metrics, the stuck rule). Returns the request side's Watch."""
    sender = Sender(app, settings.app_id, finished)
    requests, labs = RequestSide(app, settings, sender), LabSide(app, sender)

    @app.on_partitions_revoked.connect
    async def forget_revoked(sender, revoked, **kwargs) -> None:
        requests.forget({tp.partition for tp in revoked if tp.topic == REQUESTS.name})

    add_agent(app, "scheduler-requests", sender, requests)
    add_agent(app, "scheduler-labs", sender, labs)
    add_timers(app, settings, requests)
    return requests.watch


def add_agent(app: faust.App, name: str, sender: Sender, side: RequestSide | LabSide) -> None:
    topics = READERS[name]
    if side.EVENTS != carried_by(*topics):  # a side and its topics out of step: refuse to start
        raise RuntimeError(f"{name} reads {sorted(carried_by(*topics))} but its side handles {sorted(side.EVENTS)}")
    handle = side.handle

    @app.agent(sender.topic(*(t.name for t in topics)), name=name)
    async def agent(stream):
        async for event in stream.events():
            await sender.guarded(event, name, handle)


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
