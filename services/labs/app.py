"""Labs API: accredited labs, their scope, capacity, offers and jobs."""
from __future__ import annotations

from pathlib import Path

from aiohttp import web

from services.common.apps import api_app

from .inbox import inbox_ctx
from .routes import setup_routes
from .settings import LabsSettings

SERVICE = "labs-api"
SCHEMA = "labs"
MIGRATIONS = Path(__file__).parent / "migrations"


def create_app(settings: LabsSettings) -> web.Application:
    # The offers inbox stores with the pool and dead-letters with the producer.
    app = api_app(SERVICE, SCHEMA, MIGRATIONS, settings, inbox_ctx)
    setup_routes(app)
    return app
