"""The scheduler's Faust app: matching and reservation agents register on it."""
from __future__ import annotations

import logging
from dataclasses import dataclass

import faust
from prometheus_client import REGISTRY, generate_latest

from schemas import faust_codec
from schemas.topics import BY_NAME, PARTITIONS
from services.common import asyncapi
from services.common.kafka import kafka_alive

from . import health, stale_fetch, state
from .tables import Table
from .metrics import Vitals
from .settings import SchedulerSettings
from .watch import Watch

SERVICE = "scheduler"
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SchedulerWorker:
    """The Faust app with its agents registered, and what watches them."""
    app: faust.App
    vitals: Vitals
    watch: Watch


def create_worker(settings: SchedulerSettings) -> SchedulerWorker:
    faust_codec.register()
    state.register()  # the requests table's codec
    app = faust.App(
        settings.app_id,
        broker=[f"kafka://{server.strip()}" for server in settings.kafka_bootstrap.split(",")],
        store="memory://",  # tables are rebuilt from their changelog topics
        Table=Table,  # a changelog's partitions not known yet are not a mismatch (tables.py)
        processing_guarantee=settings.processing_guarantee,
        topic_partitions=PARTITIONS,
        # Faust creates only its own internal topics (changelogs); the registry's
        # topics are created by `labbook topics create`.
        topic_allow_declare=True,
        web_host=settings.host,
        web_port=settings.port,
        web_bind=settings.host,
        broker_session_timeout=settings.session_timeout_s,
        broker_heartbeat_interval=settings.heartbeat_interval_s,
        broker_rebalance_timeout=settings.rebalance_timeout_s,
        producer_linger=settings.producer_linger_s,
        # Kept (Faust's default): a rebalance waits for the events the agents hold. Not
        # waiting would let a revoked partition's event finish after its new owner has
        # recovered the tables, writing that owner's changelog behind its back. A message
        # that is never acknowledged is prevented at the source instead (agents.READERS),
        # and a stalled worker shows on /healthz.
        stream_wait_empty=True,
        datadir=str(settings.home / "scheduler-data"),
        consumer_auto_offset_reset=settings.auto_offset_reset,
    )
    from .agents import READERS, register  # agents and tables register on the app they are given

    inputs = {t.name for topics in READERS.values() for t in topics}
    # Without transactions (whose markers take offsets) only a compacted topic has gaps.
    transactions = settings.processing_guarantee == "exactly_once"
    stale_fetch.install(inputs, set() if transactions else {t for t in inputs if not BY_NAME[t].compacted})
    vitals = Vitals(app, settings, inputs=inputs)
    vitals.watch = register(app, settings, vitals.finished)
    add_pages(app, settings, vitals)
    sample_vitals(app, settings, vitals)
    return SchedulerWorker(app, vitals, vitals.watch)


def sample_vitals(app: faust.App, settings: SchedulerSettings, vitals: Vitals) -> None:
    """Look at the worker on a timer too, so a stall is timed from when it began, not
    from the first probe that happened to ask (a timer keeps running while a stuck
    rebalance holds the agents)."""
    @app.timer(max(1.0, min(5.0, settings.stuck_after_s / 4)))
    async def look_at_vitals():
        try:
            await vitals.verdict()
        except Exception:
            log.exception("sampling the worker's vitals failed; the next tick retries")


def add_pages(app: faust.App, settings: SchedulerSettings, vitals: Vitals) -> None:
    @app.page("/healthz")
    async def healthz(web, request):
        body, status = health.report(SERVICE, await kafka_alive(settings.kafka_bootstrap), await vitals.verdict())
        return web.json(body, status=status)

    @app.page("/metrics")
    async def metrics(web, request):
        await vitals.verdict()  # refreshes the gauges
        # The process's own figures (default registry) and the worker's.
        text = generate_latest(REGISTRY) + generate_latest(vitals.registry)
        # aiohttp refuses a charset inside content_type; the text is ASCII anyway.
        return web.bytes(text, content_type="text/plain; version=0.0.4")

    @app.page(asyncapi.PATH)
    async def asyncapi_json(web, request):
        return web.json(asyncapi.document())
