"""An API app served in-process for integration tests: its client, the app, its pool."""
from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from services.common.db import PG_POOL


@dataclass
class ServedApp:
    client: TestClient
    app: object

    @property
    def pool(self):
        return self.app[PG_POOL]

    @property
    def url(self) -> str:
        return str(self.client.make_url("")).rstrip("/")


@asynccontextmanager
async def serving(app: web.Application) -> AsyncIterator[TestClient]:
    """The app served on a free loopback port for the block, then closed (its cleanups run)."""
    client = TestClient(TestServer(app))
    await client.start_server()
    try:
        yield client
    finally:
        await client.close()
