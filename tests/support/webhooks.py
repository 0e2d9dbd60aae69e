"""An in-process webhook receiver on 127.0.0.1 with scripted answers, for tests.

    async with WebhookReceiver() as receiver:
        receiver.script("/flaky", [500, 500, 200])   # then 200 forever
        receiver.script("/slow", [200], delay=5)
        ... subscribe receiver.url("/flaky") ...
        requests = await receiver.wait_for("/flaky", 3)
        receiver.verify_all(secret)

Every request to any path is recorded in `.received` when it arrives (before
any scripted delay), so a test sees an attempt even when the sender gave up
waiting for the answer.
"""
from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field

from aiohttp import web
from multidict import CIMultiDict

from services.notifier import signing


@dataclass(frozen=True)
class Received:
    path: str
    method: str
    headers: CIMultiDict[str]
    body: bytes
    at: float  # wall clock (time.time()), comparable with webhook-timestamp
    monotonic: float  # for intervals between attempts
    status: int  # what the receiver answered (or was going to, after its delay)


@dataclass
class _Behaviour:
    statuses: list[int] = field(default_factory=lambda: [200])
    delay: float = 0.0


class WebhookReceiver:
    def __init__(self, host: str = "127.0.0.1") -> None:
        self.host = host
        self.port: int | None = None
        self.received: list[Received] = []
        self._behaviour: dict[str, _Behaviour] = {}
        self._arrived = asyncio.Condition()
        self._runner: web.AppRunner | None = None

    def url(self, path: str = "/") -> str:
        assert self.port is not None, "start the receiver first (async with WebhookReceiver() as r)"
        return f"http://{self.host}:{self.port}{path}"

    def script(self, path: str, statuses: list[int], *, delay: float = 0.0) -> None:
        """Answer `path`'s requests with these statuses in turn, then the last one forever."""
        if not statuses:
            raise ValueError("a script needs at least one status")
        self._behaviour[path] = _Behaviour(list(statuses), delay)

    def requests(self, path: str | None = None) -> list[Received]:
        return [r for r in self.received if path is None or r.path == path]

    async def wait_for(self, path: str, count: int, timeout: float = 30) -> list[Received]:
        """At least `count` requests to `path` (all of them, in arrival order)."""
        async with self._arrived:
            try:
                await asyncio.wait_for(
                    self._arrived.wait_for(lambda: len(self.requests(path)) >= count), timeout)
            except TimeoutError:
                got = [(r.path, r.status) for r in self.received]
                raise AssertionError(f"{count} requests to {path} not received within {timeout} s; "
                                     f"got (path, status): {got}") from None
        return self.requests(path)

    def verify_all(self, secret: str | list[str], path: str | None = None) -> list[Received]:
        """Every request (to `path`) carries a valid Standard Webhooks signature, fresh when it arrived."""
        secrets = [secret] if isinstance(secret, str) else secret
        requests = self.requests(path)
        assert requests, f"no requests{' to ' + path if path else ''} to verify"
        for request in requests:
            errors = []
            for candidate in secrets:
                try:
                    signing.verify(candidate, request.headers, request.body, now=request.at)
                    break
                except signing.InvalidSignature as exc:
                    errors.append(str(exc))
            else:
                raise signing.InvalidSignature(f"{request.method} {request.path} at {request.at}: {errors}")
        return requests

    async def _handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        behaviour = self._behaviour.get(request.path, _Behaviour())
        async with self._arrived:
            seen = len(self.requests(request.path))
            status = behaviour.statuses[min(seen, len(behaviour.statuses) - 1)]
            self.received.append(Received(request.path, request.method, CIMultiDict(request.headers), body,
                                          time.time(), time.monotonic(), status))
            self._arrived.notify_all()
        if behaviour.delay:
            await asyncio.sleep(behaviour.delay)
        if status in (204, 304) or status < 200:
            return web.Response(status=status)  # no body allowed
        return web.json_response({"status": status}, status=status)

    async def __aenter__(self) -> WebhookReceiver:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        # A short shutdown: a scripted delay must not hold the test up after it is done.
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.2)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, 0)
        await site.start()
        self.port = self._runner.addresses[0][1]
        return self

    async def __aexit__(self, *exc_info) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
