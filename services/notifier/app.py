"""Notifier: subscriptions, email, webhooks and the in-app feed."""
from __future__ import annotations

from pathlib import Path

from aiohttp import web

from services.common.http import base_app, kafka_ctx, postgres_ctx

from .settings import NotifierSettings

SERVICE = "notifier"
SCHEMA = "notifier"
MIGRATIONS = Path(__file__).parent / "migrations"


def create_app(settings: NotifierSettings) -> web.Application:
    app = base_app(SERVICE, settings)
    app.cleanup_ctx.append(postgres_ctx(SCHEMA, MIGRATIONS))
    app.cleanup_ctx.append(kafka_ctx)
    return app
