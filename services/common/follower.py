"""Following compacted topics whole: a group-less consumer that reads every partition
from the start, applies each record to an in-memory view, and says when the view has
caught up with the ends the topics had when it started.

Every API process keeps such views of its own (revoked tokens, the labs' supply), so
each replica answers from the same facts without reading another service's tables.
A record a view cannot use is skipped with a warning, never fatal: these views read
the topics again from the start on every start, so a dead letter here would be written
once per start; the topics' own consumers (the scheduler) dead-letter them once.
An app keeps a view with `follow_while_running` in one of its cleanup contexts.
"""
from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Protocol

from aiohttp import web
from aiokafka import AIOKafkaConsumer
from aiokafka.errors import KafkaError

from schemas.envelope import MessageRejected
from schemas.topics import Topic

from .health import HEALTH_CHECKS
from .kafka import assign_from_start
from .settings import SERVICE, SETTINGS
from .tasks import stop_task

log = logging.getLogger(__name__)

RETRY_S = 1.0
START_GRACE_S = 5.0
LOAD_TIMEOUT_S = 15.0  # how long an app's start waits for its views to load


class View(Protocol):
    loaded: asyncio.Event

    def apply(self, key: bytes | None, value: bytes | None) -> None:
        """One record; raises MessageRejected for one the view does not take."""


async def follow(view: View, bootstrap: str, *topics: Topic, client_id: str) -> None:
    """Read the topics from their start for ever; set `loaded` once caught up with their ends."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, client_id=client_id, group_id=None,
                                enable_auto_commit=False, auto_offset_reset="earliest")
    try:  # stopped even when cancelled while starting (the app may stop before the view loads)
        await _started(consumer)
        ends = await assign_from_start(consumer, *topics)
        while True:
            for messages in (await consumer.getmany(timeout_ms=1000)).values():
                for message in messages:
                    try:
                        view.apply(message.key, message.value)
                    except MessageRejected as exc:  # skipped: the others still count
                        log.warning("skipping %s[%d]@%d: %s", message.topic, message.partition, message.offset, exc)
            if not view.loaded.is_set() and all([await consumer.position(tp) >= end for tp, end in ends.items()]):
                view.loaded.set()
                log.info("%s loaded from %s", type(view).__name__, ", ".join(t.name for t in topics))
    finally:
        await consumer.stop()


async def _started(consumer: AIOKafkaConsumer) -> None:
    """consumer.start(), let finish even when cancelled meanwhile: aiokafka's bootstrap
    catches no CancelledError, so one arriving while it reads the cluster's metadata leaks
    that connection, which stop() never knew of (an unclosed-connection ResourceWarning
    in the tests that stop an app within milliseconds of starting it)."""
    starting = asyncio.ensure_future(consumer.start())
    try:
        await asyncio.shield(starting)
    except asyncio.CancelledError:
        # Bounded: a broker that does not answer must not hold the app's shutdown for long.
        await asyncio.wait([starting], timeout=START_GRACE_S)
        if starting.done() and not starting.cancelled():
            starting.exception()  # seen, whatever it was: the caller stops the consumer anyway
        else:
            starting.cancel()
        raise


async def keep_following(view: View, bootstrap: str, *topics: Topic, client_id: str) -> None:
    """follow(), started again after any failure: this task must outlive broker trouble."""
    names = ", ".join(t.name for t in topics)
    while True:
        try:
            await follow(view, bootstrap, *topics, client_id=client_id)
        except (KafkaError, OSError) as exc:
            log.warning("reading %s failed (%s); again in %.0f s", names, exc or type(exc).__name__, RETRY_S)
        except Exception:
            log.exception("reading %s failed; again in %.0f s", names, RETRY_S)
        await asyncio.sleep(RETRY_S)


@asynccontextmanager
async def follow_while_running(app: web.Application, view: View, *topics: Topic, name: str,
                               meanwhile: str) -> AsyncIterator[None]:
    """Follow the topics into `view` while the app runs, under the health check `name`
    (down until the view has loaded, and if the task ends). Serving waits for the load,
    LOAD_TIMEOUT_S at most; after that the app serves anyway and `meanwhile` (the log's
    words) says what answers 503 until the view has caught up."""
    service = app[SERVICE]
    task = asyncio.create_task(
        keep_following(view, app[SETTINGS].kafka_bootstrap, *topics, client_id=f"{service}-{name}"),
        name=f"{service}-{name}")

    async def healthy() -> bool:
        return view.loaded.is_set() and not task.done()

    app[HEALTH_CHECKS][name] = healthy
    # Waited for (normally milliseconds) so that requests meet a loaded view, and so that an
    # app stopped at once does not stop a consumer midway through its start (see _started).
    try:
        async with asyncio.timeout(LOAD_TIMEOUT_S):
            await view.loaded.wait()
    except TimeoutError:
        log.warning("%s not loaded from %s after %.0f s (missing? run `labbook topics create`); %s",
                    type(view).__name__, ", ".join(t.name for t in topics), LOAD_TIMEOUT_S, meanwhile)
    yield
    await stop_task(task)
