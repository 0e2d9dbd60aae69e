"""How the scheduler's agents send: enveloped events to their topics, dead letters for
what cannot be handled, and the guard that lets no exception drop a message."""
from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

import faust

from schemas.envelope import Envelope
from schemas.faust_codec import CODEC_NAME, Decoded, Rejected
from schemas.topics import BY_NAME, DLQ
from services.common import deadletter

from .steps import Send

log = logging.getLogger(__name__)
PRODUCER = "scheduler"

Handle = Callable[[faust.EventT, Decoded], Awaitable[None]]
Finished = Callable[[str, str, tuple[str, int]], None]  # (agent, event type, (topic, partition))


class Sender:
    def __init__(self, app: faust.App, consumer: str, finished: Finished = lambda *_: None) -> None:
        self.app, self.consumer, self.finished = app, consumer, finished
        self.outputs: dict[str, faust.TopicT] = {}

    def topic(self, *names: str) -> faust.TopicT:
        return self.app.topic(*names, key_serializer="raw", value_serializer=CODEC_NAME)

    async def send(self, messages: list[Send], correlation_id: str | None = None) -> None:
        for m in messages:
            out = self.outputs.get(m.topic) or self.outputs.setdefault(m.topic, self.topic(m.topic))
            envelope = Envelope.wrap(m.event, producer=PRODUCER, correlation_id=correlation_id)
            await out.send(key=m.key.encode(), value=envelope, partition=m.partition)

    async def dead_letter(self, event: faust.EventT, reason: str) -> None:
        message = event.message
        raw = message.value if isinstance(message.value, bytes) else None
        if raw is None and isinstance(event.value, Rejected):
            raw = event.value.raw
        letter = deadletter.letter(reason=reason, consumer=self.consumer, topic=message.topic,
                                   partition=message.partition, offset=message.offset, key=message.key,
                                   original=raw or b"")
        await self.send([Send(DLQ.name, (message.key or b"").decode(errors="replace"), letter)])

    async def guarded(self, event: faust.EventT, agent: str, handle: Handle) -> None:
        """Hand a decoded event to its side; letter what cannot be decoded or handled,
        and an event of a type its topic does not carry (the registry's `events`)."""
        value = event.value
        try:
            if isinstance(value, Rejected):  # its topic's only reader letters it, so once
                await self.dead_letter(event, value.reason)
            elif isinstance(value, Decoded):
                if value.envelope.type in BY_NAME[event.message.topic].events:
                    await handle(event, value)
                else:
                    await self.dead_letter(event, f"{event.message.topic} does not carry {value.envelope.type}")
        except Exception as exc:  # an escaping exception would drop the message silently
            log.exception("scheduler failed on %s[%s]@%s", event.message.topic, event.message.partition,
                          event.message.offset)
            try:
                await self.dead_letter(event, f"handler error: {type(exc).__name__}: {exc}")
            except Exception:
                log.exception("dead-lettering failed too")
        finally:
            self.finished(agent, kind_of(value), event.message.tp)


def kind_of(value) -> str:
    if isinstance(value, Decoded):
        return value.envelope.type
    return "rejected" if isinstance(value, Rejected) else "empty"
