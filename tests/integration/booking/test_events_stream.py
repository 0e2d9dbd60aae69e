"""GET /v1/events: status changes applied by the read model, as server-sent events."""
from __future__ import annotations

import asyncio
import json

import pytest

from services.booking.app import create_app
from services.booking.settings import BookingSettings
from services.common.settings import SETTINGS
from tests.support.apps import serving

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


def change_of(frame: dict) -> tuple[str, int] | None:
    if frame.get("event") != "StatusChanged":
        return None
    data = json.loads(frame["data"])
    return data["request_id"], data["seq"]


async def next_change(response, request_id: str, seq: int) -> dict:
    """The frame of that change; others on the stream are passed over."""
    async for frame in frames(response):
        if change_of(frame) == (request_id, seq):
            return frame
    raise AssertionError("stream ended")


async def open_stream(booking, headers, **params):
    response = await booking.client.get("/v1/events", headers=headers, params=params)
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
        if change := change_of(frame):
            seen.append(change)
            if change == (mine["id"], 2):
                break
    assert seen[-1] == (mine["id"], 2)
    assert not any(request_id == theirs["id"] for request_id, _ in seen)
    mine_stream.close()
    theirs_stream.close()


async def test_own_submission_is_streamed(booking):
    headers = booking.auth()
    response = await open_stream(booking, headers)
    request, _ = await created(booking, headers)
    frame = await next_change(response, request["id"], 1)  # booking's own event, as stored
    assert json.loads(frame["data"])["status"] == "SUBMITTED"
    response.close()


async def test_heartbeat_comment(booking):
    booking.app[SETTINGS].sse_heartbeat_s = 0.2
    response = await open_stream(booking, booking.auth("admin"))
    assert await anext(frames(response, timeout=5)) == {"comment": "heartbeat"}
    response.close()


async def test_a_reconnecting_stream_gets_what_it_missed_after_its_last_event_id(booking, producer):
    headers = booking.auth()
    response = await open_stream(booking, headers)
    request, _ = await created(booking, headers)
    first = await next_change(response, request["id"], 1)
    response.close()  # the client goes away; changes go on
    watcher = await open_stream(booking, booking.auth("staff"))
    await publish(producer, request, status_event(request, 2, "MATCHING", "SUBMITTED"))
    await publish(producer, request, status_event(request, 3, "UNMATCHED", "MATCHING"))
    await next_change(watcher, request["id"], 3)  # stored
    watcher.close()
    again = await open_stream(booking, headers, last_event_id=first["id"])
    replayed = [change_of(f) async for f in first_frames(again, 2)]
    assert replayed == [(request["id"], 2), (request["id"], 3)]
    again.close()
    by_header = await booking.client.get("/v1/events", headers={**headers, "Last-Event-ID": first["id"]})
    assert [change_of(f) async for f in first_frames(by_header, 3)][1:] == [(request["id"], 2), (request["id"], 3)]
    by_header.close()


async def first_frames(response, n: int):
    count = 0
    async for frame in frames(response):
        yield frame
        count += 1
        if count == n:
            return


async def test_a_malformed_last_event_id_is_a_400(booking):
    response = await booking.client.get("/v1/events", headers={**booking.auth(), "Last-Event-ID": "abc:1"})
    assert response.status == 400 and (await response.json())["error"]["code"] == "bad_last_event_id"


async def test_every_replica_streams_every_change(booking, producer):
    """Two API replicas share the status consumer group, so each applies only some
    partitions; both streams still show every change, read back from the table."""
    other_app = create_app(BookingSettings())  # the same database and consumer group as `booking`
    async with serving(other_app) as other:
        staff = booking.auth("staff")
        requests = [(await created(booking))[0] for _ in range(8)]  # keys over every partition
        here = await open_stream(booking, staff)
        there_response = await other.get("/v1/events", headers=staff)
        assert (await anext(frames(there_response))) == {"comment": "connected"}
        for request in requests:
            await publish(producer, request, status_event(request, 2, "MATCHING", "SUBMITTED"))
        for stream_ in (here, there_response):
            wanted = {(r["id"], 2) for r in requests}
            async for frame in frames(stream_):
                wanted.discard(change_of(frame))
                if not wanted:
                    break
            assert not wanted
        here.close()
        there_response.close()
