"""Revoked tokens, as every API replica on every host sees them.

`labbook token revoke` publishes a `TokenRevoked` (key: the jti) on the compacted
`labbook.revocations.v1`. Each API process reads that topic whole, from the start,
with a consumer of its own (no group, every partition assigned), and keeps the jtis
in memory; `principal()` refuses those tokens. A new revocation arrives within the
consumer's fetch wait (well under a second).

Start-up: the app starts serving only once the list has caught up with the topic's
end offsets as they were at start (normally milliseconds), waiting
follower.LOAD_TIMEOUT_S at most. If it has not caught up by then (the topic is
missing, the broker is slow), the process serves anyway but fails closed: every
authenticated route answers 503 and `/healthz` reports `revocations: down` until the
list is loaded. Once loaded the list stays usable through a broker outage (nothing
new can be revoked meanwhile: the CLI publishes to the same broker).
"""
from __future__ import annotations

import asyncio
import math
import time
from collections.abc import AsyncIterator

from aiohttp import web

from schemas.envelope import Envelope, MessageRejected, decode
from schemas.events import TokenRevoked
from schemas.tokens import LEEWAY_S
from schemas.topics import REVOCATIONS as TOPIC

from .follower import follow_while_running
from .kafka import start_producer


class RevocationList:
    """jti -> when its token expires (inf when unknown); filled from the topic."""

    def __init__(self) -> None:
        self.expiry: dict[str, float] = {}
        self.loaded = asyncio.Event()

    def __contains__(self, jti: str) -> bool:
        return jti in self.expiry

    def apply(self, key: bytes | None, value: bytes | None, now: float | None = None) -> None:
        """One record of the topic; raises MessageRejected for what is not a TokenRevoked."""
        if value is None:  # a tombstone: the entry was cleaned up (its token has expired)
            if key is not None:
                self.expiry.pop(key.decode(errors="replace"), None)
            return
        _, event = decode(value)
        if not isinstance(event, TokenRevoked):
            raise MessageRejected(f"{event.type_name()} on {TOPIC.name}, where only TokenRevoked belongs")
        until = event.expires_at.timestamp() if event.expires_at else math.inf
        if until + LEEWAY_S < (time.time() if now is None else now):
            self.expiry.pop(event.jti, None)  # verify() refuses that token as expired anyway
        else:
            self.expiry[event.jti] = until


REVOCATIONS = web.AppKey("revocations", RevocationList)


async def revocations_ctx(app: web.Application) -> AsyncIterator[None]:
    revoked = app[REVOCATIONS] = RevocationList()
    async with follow_while_running(app, revoked, TOPIC, name="revocations",
                                    meanwhile="answering 503 to every authenticated call until it is"):
        yield


async def publish(bootstrap: str, event: TokenRevoked, *, producer_name: str = "labbook-cli") -> None:
    """Send one revocation and wait for the broker's ack (acks=all, idempotent); a
    broker that cannot be reached raises StartupError naming KAFKA_BOOTSTRAP."""
    producer = await start_producer(bootstrap, client_id=producer_name)
    try:
        envelope = Envelope.wrap(event, producer=producer_name)
        await producer.send_and_wait(TOPIC.name, envelope.to_bytes(), key=event.jti.encode())
    finally:
        await producer.stop()
