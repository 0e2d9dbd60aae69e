"""GET /healthz: every resource a service depends on, checked at once.

Each cleanup context that opens a resource (db.postgres_ctx, kafka.kafka_ctx,
revocations.revocations_ctx) adds its check under HEALTH_CHECKS.
"""
from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from aiohttp import web

from .settings import SERVICE

HealthCheck = Callable[[], Awaitable[bool]]

HEALTH_CHECKS = web.AppKey("health_checks", dict[str, HealthCheck])


async def healthz(request: web.Request) -> web.Response:
    checks = request.app[HEALTH_CHECKS]
    results = dict(zip(checks, await asyncio.gather(*(check() for check in checks.values()))))
    ok = all(results.values())
    body = {"service": request.app[SERVICE], "status": "ok" if ok else "unavailable",
            "checks": {name: "ok" if up else "down" for name, up in results.items()}}
    return web.json_response(body, status=200 if ok else 503)
