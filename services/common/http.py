"""The aiohttp side every service shares: one JSON error shape, /healthz, /metrics.

Services build on `base_app()` and add their routes; resources come in through
`cleanup_ctx` generators behind typed AppKeys, each beside its module: the pool in
db.py (PG_POOL, postgres_ctx), the producer in kafka.py (PRODUCER, kafka_ctx), the
name and settings in settings.py (SERVICE, SETTINGS), the checks in health.py.
"""
from __future__ import annotations

import asyncio
import logging
import time

from aiohttp import web
from pydantic import BaseModel
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest

from schemas.errors import error_body

from .db import RETRY_AFTER_S, is_outage
from .errors import ApiError
from .health import HEALTH_CHECKS, healthz
from .settings import SERVICE, SETTINGS, ServiceSettings

log = logging.getLogger(__name__)

METRICS = web.AppKey("metrics", CollectorRegistry)
REQUESTS_TOTAL = web.AppKey("requests_total", Counter)
LATENCY = web.AppKey("latency", Histogram)


def json_answer(answer: BaseModel, status: int = 200) -> web.Response:
    """An answer serialised through its model, the one its route documents."""
    return web.json_response(answer.model_dump(mode="json"), status=status)


def json_error(status: int, code: str, message: str, details: object = None) -> web.Response:
    return web.json_response(error_body(code, message, details), status=status)


@web.middleware
async def errors_middleware(request: web.Request, handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except ApiError as exc:
        response = json_error(exc.status, exc.code, exc.message, exc.details)
        if exc.status == 503:  # unavailable for now: say when to come back
            response.headers["Retry-After"] = str(RETRY_AFTER_S)
        return response
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
