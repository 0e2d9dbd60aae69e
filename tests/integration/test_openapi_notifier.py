"""The notifier serves its OpenAPI 3.1 document and /docs (no /v1 routes yet)."""
from __future__ import annotations

import jsonschema_rs
import pytest
from aiohttp.test_utils import TestClient, TestServer

from services.notifier.app import create_app
from services.notifier.settings import NotifierSettings

pytestmark = pytest.mark.integration


async def test_notifier_answers_openapi_3_1(fresh_db, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", fresh_db)
    monkeypatch.setenv("LABBOOK_TOKEN_SECRET", "notifier-openapi-secret")
    client = TestClient(TestServer(create_app(NotifierSettings())))
    await client.start_server()
    try:
        response = await client.get("/openapi.json")  # public: no token
        assert response.status == 200 and response.content_type == "application/json"
        spec = await response.json()
        assert spec["openapi"] == "3.1.0" and spec["info"]["title"] and spec["info"]["version"]
        assert spec["paths"] == {}  # its /v1 routes come later, registered through the same ApiSpec
        for schema in spec["components"]["schemas"].values():
            jsonschema_rs.meta.validate(schema)
        assert spec["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
        docs = await client.get("/docs")
        assert docs.status == 200 and docs.content_type == "text/html"
        assert "/openapi.json" in await docs.text()
    finally:
        await client.close()
