"""Labs API: accredited labs, their scope, capacity, offers and jobs."""
from __future__ import annotations

from pathlib import Path

from aiohttp import web

from services.common.db import postgres_ctx
from services.common.http import base_app
from services.common.kafka import kafka_ctx
from services.common.outbox import outbox_ctx
from services.common.revocations import revocations_ctx

from .inbox import inbox_ctx
from .routes import setup_routes
from .settings import LabsSettings

SERVICE = "labs-api"
SCHEMA = "labs"
MIGRATIONS = Path(__file__).parent / "migrations"


def create_app(settings: LabsSettings) -> web.Application:
    app = base_app(SERVICE, settings)
    app.cleanup_ctx.append(postgres_ctx(SCHEMA, MIGRATIONS))
    app.cleanup_ctx.append(kafka_ctx)
    app.cleanup_ctx.append(revocations_ctx)  # principal() refuses revoked tokens from it
    app.cleanup_ctx.append(outbox_ctx(SCHEMA))  # needs the pool and the producer above
    app.cleanup_ctx.append(inbox_ctx)  # the offers inbox stores with the pool, dead-letters with the producer
    setup_routes(app)
    return app
