"""What every labbook API process runs on: its database (migrated at start), the Kafka
producer, the list of revoked tokens and its outbox relay, in that order (each needs
the ones before it), then the service's own background work."""
from __future__ import annotations

from pathlib import Path

from aiohttp import web

from .db import postgres_ctx
from .http import base_app
from .kafka import kafka_ctx
from .outbox import outbox_ctx
from .revocations import revocations_ctx
from .settings import ServiceSettings


def api_app(service: str, schema: str, migrations: Path, settings: ServiceSettings, *own) -> web.Application:
    """The app with the shared contexts, then `own` (cleanup contexts, in order)."""
    app = base_app(service, settings)
    # principal() refuses revoked tokens from revocations_ctx; the outbox needs the pool and producer.
    for ctx in (postgres_ctx(schema, migrations), kafka_ctx, revocations_ctx, outbox_ctx(schema), *own):
        app.cleanup_ctx.append(ctx)
    return app
