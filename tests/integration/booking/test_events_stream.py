"""GET /v1/events: status changes applied by the read model, as server-sent events."""
from __future__ import annotations

import asyncio
import json

import pytest

from services.common.http import SETTINGS

from .conftest import created, publish, status_event

pytestmark = pytest.mark.integration


async def frames(response, timeout: float = 20.0):
    """Yield each SSE frame as a dict of its fields ('comment' for ': ...' lines)."""
    frame: dict = {}
    async with asyncio.timeout(timeout):
        while True:
            line = (await response.content.readline()).decode().rstrip("\n")
            if not line:
                if frame:
                    yield frame
                frame = {}
                continue
            field, _, value = line.partition(":")
            frame[field or "comment"] = value.strip()


async def next_change(response, request_id: str, seq: int) -> dict:
    """The frame of that change; earlier ones of the same request (booking's own
    SUBMITTED echoes back from the topic at its own pace) are passed over."""
    async for frame in frames(response):
        if frame.get("event") == "StatusChanged" and frame["id"] == f"{request_id}:{seq}":
            return frame
    raise AssertionError("stream ended")


async def open_stream(booking, headers):
    response = await booking.client.get("/v1/events", headers=headers)
    assert response.status == 200 and response.headers["Content-Type"].startswith("text/event-stream")
    first = await anext(frames(response))
    assert first == {"comment": "connected"}  # subscribed: anything applied from now on is streamed
    return response


async def test_staff_stream_gets_a_change_applied_after_connecting(booking, producer):
    request, _ = await created(booking)
    response = await open_stream(booking, booking.auth("staff"))
    await publish(producer, request, status_event(request, 2, "MATCHING", "SUBMITTED"))
    frame = await next_change(response, request["id"], 2)
    data = json.loads(frame["data"])
    assert data["status"] == "MATCHING" and data["seq"] == 2 and data["request_id"] == request["id"]
    response.close()


async def test_supplier_sees_only_its_own_organisation(booking, producer):
    mine_headers, theirs_headers = booking.auth(), booking.auth()
    mine, _ = await created(booking, mine_headers)
    theirs, _ = await created(booking, theirs_headers)
    mine_stream = await open_stream(booking, mine_headers)
    theirs_stream = await open_stream(booking, theirs_headers)
    await publish(producer, theirs, status_event(theirs, 2, "MATCHING", "SUBMITTED"))
    await next_change(theirs_stream, theirs["id"], 2)  # broadcast happened
    await publish(producer, mine, status_event(mine, 2, "MATCHING", "SUBMITTED"))
    seen = []
    async for frame in frames(mine_stream):
        if "id" in frame:
            seen.append(frame["id"])
            if frame["id"] == f"{mine['id']}:2":
                break
    assert seen[-1] == f"{mine['id']}:2"
    assert not any(i.startswith(theirs["id"]) for i in seen)
    mine_stream.close()
    theirs_stream.close()


async def test_own_submission_is_streamed(booking):
    headers = booking.auth()
    response = await open_stream(booking, headers)
    request, _ = await created(booking, headers)
    frame = await next_change(response, request["id"], 1)  # booking's own event, echoed by the topic
    assert json.loads(frame["data"])["status"] == "SUBMITTED"
    response.close()


async def test_heartbeat_comment(booking):
    booking.app[SETTINGS].sse_heartbeat_s = 0.2
    response = await open_stream(booking, booking.auth("admin"))
    assert await anext(frames(response, timeout=5)) == {"comment": "heartbeat"}
    response.close()
