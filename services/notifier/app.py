"""Notifier: subscriptions, email, webhooks and the in-app feed."""
from __future__ import annotations

from pathlib import Path

from aiohttp import web

from services.common.http import base_app, kafka_ctx, postgres_ctx
from services.common.openapi import ApiSpec, spec_routes

from .settings import NotifierSettings

SERVICE = "notifier"
SCHEMA = "notifier"
MIGRATIONS = Path(__file__).parent / "migrations"
API_SPEC = web.AppKey("notifier_api_spec", ApiSpec)


def api_spec() -> ApiSpec:
    """The notifier's document; its /v1 routes are registered through it as they come."""
    return ApiSpec("labbook notifier API", "1", "Subscriptions, email, webhooks and the in-app feed.")


def create_app(settings: NotifierSettings) -> web.Application:
    app = base_app(SERVICE, settings)
    app.cleanup_ctx.append(postgres_ctx(SCHEMA, MIGRATIONS))
    app.cleanup_ctx.append(kafka_ctx)
    app[API_SPEC] = spec = api_spec()
    spec_routes(app, spec)
    return app
