"""The scheduler's Faust web server answers GET /asyncapi.json with the shared document."""
from __future__ import annotations

import json
import uuid

from schemas.asyncapi import build
from services.booking.scheduler.app import create_worker
from services.booking.scheduler.settings import SchedulerSettings
from tests.support.apps import serving


async def test_the_worker_serves_the_asyncapi_document():
    app = create_worker(SchedulerSettings(app_id=f"test-asyncapi-{uuid.uuid4().hex[:6]}")).app
    async with serving(app.web.web_app) as client:  # the aiohttp app behind Faust's pages
        response = await client.get("/asyncapi.json")
        assert response.status == 200 and response.content_type == "application/json"
        assert await response.json() == json.loads(json.dumps(build()))
