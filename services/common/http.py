"""The aiohttp side every service shares: one JSON error shape, /healthz, /metrics.

Services build on `base_app()` and add their routes; resources (pool, producer)
come in through `cleanup_ctx` generators behind typed AppKeys.
"""
from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import asyncpg
from aiohttp import web
from aiokafka import AIOKafkaProducer
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest

from schemas.errors import error_body

from .db import RETRY_AFTER_S, db_alive, is_outage, open_pool
from .kafka import kafka_alive, start_producer
from .migrations import migrate
from .settings import ServiceSettings

log = logging.getLogger(__name__)

HealthCheck = Callable[[], Awaitable[bool]]

SERVICE = web.AppKey("service", str)
SETTINGS = web.AppKey("settings", ServiceSettings)
PG_POOL = web.AppKey("pg_pool", asyncpg.Pool)
PRODUCER = web.AppKey("producer", AIOKafkaProducer)
HEALTH_CHECKS = web.AppKey("health_checks", dict[str, HealthCheck])
METRICS = web.AppKey("metrics", CollectorRegistry)
REQUESTS_TOTAL = web.AppKey("requests_total", Counter)
LATENCY = web.AppKey("latency", Histogram)


class ApiError(Exception):
    """A domain error with its HTTP status; the middleware renders it."""

    def __init__(self, status: int, code: str, message: str, details: object = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.details = status, code, message, details


def json_error(status: int, code: str, message: str, details: object = None) -> web.Response:
    return web.json_response(error_body(code, message, details), status=status)


@web.middleware
async def errors_middleware(request: web.Request, handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except ApiError as exc:
        return json_error(exc.status, exc.code, exc.message, exc.details)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        code = exc.reason.lower().replace(" ", "_")
        return json_error(exc.status, code, exc.text if exc.text and exc.text != f"{exc.status}: {exc.reason}" else exc.reason)
    except asyncio.CancelledError:
        raise
    except Exception as exc:
        if is_outage(exc):  # the database is down or restarting: the client should come back
            log.warning("database unavailable on %s %s: %s", request.method, request.path, exc or type(exc).__name__)
            response = json_error(503, "database_unavailable",
                                  f"the database is unavailable; retry in {RETRY_AFTER_S} s")
            response.headers["Retry-After"] = str(RETRY_AFTER_S)
            return response
        log.exception("unhandled error on %s %s", request.method, request.path)
        return json_error(500, "internal_error", "internal error; it has been logged")


@web.middleware
async def metrics_middleware(request: web.Request, handler) -> web.StreamResponse:
    started = time.perf_counter()
    response = await handler(request)
    route = request.match_info.route.resource.canonical if request.match_info.route.resource else "unmatched"
    request.app[REQUESTS_TOTAL].labels(request.method, route, str(response.status)).inc()
    request.app[LATENCY].labels(request.method, route).observe(time.perf_counter() - started)
    return response


async def healthz(request: web.Request) -> web.Response:
    checks = request.app[HEALTH_CHECKS]
    results = dict(zip(checks, await asyncio.gather(*(check() for check in checks.values()))))
    ok = all(results.values())
    body = {"service": request.app[SERVICE], "status": "ok" if ok else "unavailable",
            "checks": {name: "ok" if up else "down" for name, up in results.items()}}
    return web.json_response(body, status=200 if ok else 503)


async def metrics(request: web.Request) -> web.Response:
    body = generate_latest(request.app[METRICS])
    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})


def base_app(service: str, settings: ServiceSettings) -> web.Application:
    app = web.Application(middlewares=[errors_middleware, metrics_middleware], client_max_size=1024 * 1024)
    registry = CollectorRegistry()
    app[SERVICE] = service
    app[SETTINGS] = settings
    app[METRICS] = registry
    app[HEALTH_CHECKS] = {}
    app[REQUESTS_TOTAL] = Counter("labbook_http_requests", "HTTP requests served",
                                  ["method", "route", "status"], registry=registry)
    app[LATENCY] = Histogram("labbook_http_request_seconds", "HTTP request latency",
                             ["method", "route"], registry=registry)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/metrics", metrics)
    return app


def postgres_ctx(schema: str, migrations_dir: Path):
    """Pool for the service's own schema, migrated at start."""

    async def ctx(app: web.Application) -> AsyncIterator[None]:
        pool = await open_pool(app[SETTINGS].database_url)
        async with pool.acquire() as conn:
            await migrate(conn, schema, migrations_dir)
        app[PG_POOL] = pool
        app[HEALTH_CHECKS]["postgres"] = lambda: db_alive(pool)
        yield
        await pool.close()

    return ctx


async def kafka_ctx(app: web.Application) -> AsyncIterator[None]:
    bootstrap = app[SETTINGS].kafka_bootstrap
    producer = await start_producer(bootstrap, client_id=app[SERVICE])
    app[PRODUCER] = producer
    app[HEALTH_CHECKS]["kafka"] = lambda: kafka_alive(bootstrap)
    yield
    await producer.stop()
