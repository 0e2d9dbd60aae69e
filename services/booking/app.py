"""Booking API: suppliers' test requests and the staff queue."""
from __future__ import annotations

from pathlib import Path

from aiohttp import web

from services.common.db import postgres_ctx
from services.common.http import base_app
from services.common.kafka import kafka_ctx
from services.common.outbox import outbox_ctx
from services.common.revocations import revocations_ctx

from .consumer import status_consumer_ctx
from .feed import STATUS_FEED, status_feed_ctx
from .redrive import redrive_ctx
from .routes import setup_routes
from .settings import BookingSettings
from .sse import Broadcast

SERVICE = "booking-api"
SCHEMA = "booking"
MIGRATIONS = Path(__file__).parent / "migrations"


def create_app(settings: BookingSettings) -> web.Application:
    app = base_app(SERVICE, settings)
    app[STATUS_FEED] = Broadcast()
    app.cleanup_ctx.append(postgres_ctx(SCHEMA, MIGRATIONS))
    app.cleanup_ctx.append(kafka_ctx)
    app.cleanup_ctx.append(revocations_ctx)  # principal() refuses revoked tokens from it
    app.cleanup_ctx.append(outbox_ctx(SCHEMA))  # needs the pool and the producer above
    app.cleanup_ctx.append(status_consumer_ctx)  # the read model; dead-letters with the producer
    app.cleanup_ctx.append(status_feed_ctx)  # the live stream, read back from the table
    app.cleanup_ctx.append(redrive_ctx)  # submissions nobody picked up, sent again
    app.on_shutdown.append(_end_streams)
    setup_routes(app, settings)
    return app


async def _end_streams(app: web.Application) -> None:
    app[STATUS_FEED].close()
