"""An API app served in-process for integration tests: its client, the app, its pool."""
from __future__ import annotations

from dataclasses import dataclass

from aiohttp.test_utils import TestClient

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
