"""Notifier: subscriptions, email, webhooks and the in-app feed."""
from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from pathlib import Path

from aiohttp import web

from services.common.apps import api_app
from services.common.db import PG_POOL
from services.common.health import HEALTH_CHECKS
from services.common.http import METRICS
from services.common.outbox import OUTBOX_RELAY
from services.common.settings import SETTINGS
from services.common.tasks import stop_task

from . import ingest
from .channels import EmailChannel, WebhookChannel
from .consumer import events_consumer_ctx
from .dispatch import DISPATCHER, Dispatcher
from .metrics import NotifierMetrics
from .recorder import Recorder
from .routes import setup_routes
from .settings import NotifierSettings

log = logging.getLogger(__name__)

SERVICE = "notifier"
SCHEMA = "notifier"
MIGRATIONS = Path(__file__).parent / "migrations"


def create_app(settings: NotifierSettings) -> web.Application:
    # The outbox carries the dead letters of failed deliveries.
    app = api_app(SERVICE, SCHEMA, MIGRATIONS, settings, dispatcher_ctx,
                  events_consumer_ctx(on_delivery=lambda a: a[DISPATCHER].wake()))
    setup_routes(app)
    return app


def channels(settings: NotifierSettings) -> tuple[WebhookChannel, EmailChannel]:
    password = settings.smtp_password.get_secret_value() if settings.smtp_password else None
    webhooks = WebhookChannel(timeout_s=settings.webhook_timeout_s, allow_private=settings.allow_private_targets,
                              connections=settings.concurrency)
    email = EmailChannel(host=settings.smtp_host, port=settings.smtp_port, timeout_s=settings.smtp_timeout_s,
                         connections=min(settings.concurrency, settings.smtp_connections), username=settings.smtp_username,
                         password=password, starttls=settings.smtp_starttls)
    return webhooks, email


async def dispatcher_ctx(app: web.Application) -> AsyncIterator[None]:
    """Send while the app runs; at shutdown, let the sends in flight record their outcome."""
    settings: NotifierSettings = app[SETTINGS]
    pool, webhooks, email = app[PG_POOL], *channels(settings)
    metrics = NotifierMetrics(app[METRICS])
    recorder = Recorder(pool, settings, metrics, on_outbox=app[OUTBOX_RELAY].wake)
    dispatcher = app[DISPATCHER] = Dispatcher(pool, settings, webhooks, email, recorder)
    recorder.on_change = dispatcher.wake  # released or new deliveries may be due
    tasks = [asyncio.create_task(dispatcher.run(), name="notifier-dispatch"),
             asyncio.create_task(recorder.run(), name="notifier-recorder"),
             asyncio.create_task(metrics.run(pool), name="notifier-metrics"),
             asyncio.create_task(_lapse_sweep(pool, settings), name="notifier-lapsing")]
    app[HEALTH_CHECKS]["dispatcher"] = lambda: _running(tasks[:2])
    yield
    await stop_task(tasks[0])
    await dispatcher.stop()
    for task in tasks[1:]:
        await stop_task(task)
    await webhooks.close()
    await email.close()


async def _running(tasks: list[asyncio.Task]) -> bool:
    return not any(t.done() for t in tasks)


async def _lapse_sweep(pool, settings: NotifierSettings) -> None:
    """Accreditations come within the notice window by time passing, not only by new profiles."""
    while True:
        try:
            if raised := await ingest.sweep_lapsing(pool, settings.lapse_days):
                log.info("told staff of %d accreditations about to lapse", raised)
        except (OSError, asyncio.TimeoutError) as exc:
            log.warning("cannot look for lapsing accreditations: %s", exc)
        except Exception:
            log.exception("lapsing accreditations sweep failed")
        await asyncio.sleep(settings.lapse_check_s)
