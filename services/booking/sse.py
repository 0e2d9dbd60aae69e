"""Server-sent events: an in-process broadcast and the text/event-stream writer.

A `Broadcast` fans items out to every connected stream. Each subscriber has a
bounded queue; one that falls that far behind is dropped (its stream ends and the
client reconnects) rather than slowing the publisher or growing memory.
"""
from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import contextmanager
from typing import Any

from aiohttp import web

log = logging.getLogger(__name__)

HEARTBEAT_S = 15.0
QUEUE_SIZE = 1000
_CLOSED = object()


class Broadcast:
    def __init__(self, queue_size: int = QUEUE_SIZE) -> None:
        self.queue_size = queue_size
        self._subscribers: set[asyncio.Queue] = set()

    def __len__(self) -> int:
        return len(self._subscribers)

    def publish(self, item: Any) -> None:
        for queue in list(self._subscribers):
            try:
                queue.put_nowait(item)
            except asyncio.QueueFull:
                log.warning("dropping a slow event-stream subscriber")
                self._subscribers.discard(queue)
                queue.get_nowait()  # make room for the end marker
                queue.put_nowait(_CLOSED)

    def close(self) -> None:
        """End every stream (at shutdown, so open connections don't hold it up)."""
        for queue in list(self._subscribers):
            if queue.full():
                queue.get_nowait()
            queue.put_nowait(_CLOSED)
        self._subscribers.clear()

    @contextmanager
    def subscribe(self):
        queue: asyncio.Queue = asyncio.Queue(self.queue_size)
        self._subscribers.add(queue)
        try:
            yield queue
        finally:
            self._subscribers.discard(queue)


def format_event(data: Any, *, event_id: str | None = None, event: str | None = None) -> bytes:
    lines = [f"id: {event_id}"] if event_id else []
    if event:
        lines.append(f"event: {event}")
    lines.append(f"data: {json.dumps(data, separators=(',', ':'))}")
    return ("\n".join(lines) + "\n\n").encode()


async def stream(request: web.Request, queue: asyncio.Queue, render: Callable[[Any], bytes | None], *,
                 heartbeat_s: float = HEARTBEAT_S, first: list[bytes] = ()) -> web.StreamResponse:
    """Write `first` (e.g. a replay), then rendered items until the client leaves;
    `render` returns None to skip one."""
    response = web.StreamResponse(headers={
        "Content-Type": "text/event-stream", "Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
    await response.prepare(request)
    await response.write(b": connected\n\n")
    for chunk in first:
        await response.write(chunk)
    async for item in _items(queue, heartbeat_s):
        chunk = b": heartbeat\n\n" if item is None else render(item)
        if chunk:
            try:
                await response.write(chunk)
            except (ConnectionResetError, RuntimeError):  # the client went away
                break
    return response


async def _items(queue: asyncio.Queue, heartbeat_s: float) -> AsyncIterator[Any]:
    """Queue items, with None for each heartbeat_s of silence; ends when dropped."""
    while True:
        try:
            async with asyncio.timeout(heartbeat_s):
                item = await queue.get()
        except TimeoutError:
            yield None
            continue
        if item is _CLOSED:
            return
        yield item
