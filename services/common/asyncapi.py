"""GET /asyncapi.json: the AsyncAPI 3.0 document of every Kafka topic (schemas/asyncapi.py).

Every service serves the same document, public like /openapi.json: the aiohttp
services through `spec_routes` (openapi.py), the scheduler's Faust web server
through a page that answers `document()`.
"""
from __future__ import annotations

from functools import cache

from aiohttp import web

from schemas import asyncapi

PATH = "/asyncapi.json"


@cache
def document() -> dict:
    """Built once per process: the registry and the models do not change while it runs."""
    return asyncapi.build()


async def asyncapi_json(_: web.Request) -> web.Response:
    return web.json_response(document())


def asyncapi_route(app: web.Application) -> None:
    app.router.add_get(PATH, asyncapi_json)
