"""The message envelope every labbook Kafka message travels in.

`event_id`, `type`, `version`, `occurred_at` (UTC), `producer`, `correlation_id`
and the typed `payload`. Consumers call `decode()`, which never lets bad bytes
through: it raises `MessageRejected` with a reason fit for the dead-letter topic.
"""
from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any, ClassVar
from uuid import UUID, uuid4

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError, field_validator

# Filled by Event subclasses as they are defined; schemas/__init__.py imports events.py,
# so every event type is registered before anything in schemas is used.
EVENT_TYPES: dict[str, type["Event"]] = {}


class Event(BaseModel):
    """Base of every payload; subclasses register themselves by class name."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    VERSION: ClassVar[int] = 1

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if not cls.__name__.startswith("_"):  # _Bases share fields, never travel alone
            EVENT_TYPES[cls.__name__] = cls

    @classmethod
    def type_name(cls) -> str:
        return cls.__name__


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class Envelope(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    # No defaults: a message on the wire must carry its own id and time, or
    # consumers could not recognise a redelivery.
    event_id: UUID
    type: str
    version: int = Field(ge=1)
    occurred_at: AwareDatetime
    producer: str = Field(min_length=1)
    correlation_id: str | None = None
    payload: dict[str, Any]

    @field_validator("occurred_at")
    @classmethod
    def _to_utc(cls, value: datetime) -> datetime:
        return value.astimezone(timezone.utc)

    @classmethod
    def wrap(cls, event: Event, *, producer: str, correlation_id: str | None = None) -> "Envelope":
        return cls(
            event_id=uuid4(),
            occurred_at=utcnow(),
            type=event.type_name(),
            version=event.VERSION,
            producer=producer,
            correlation_id=correlation_id,
            payload=event.model_dump(mode="json"),
        )

    def event(self) -> Event:
        """The payload as its typed event model (raises MessageRejected)."""
        model = EVENT_TYPES.get(self.type)
        if model is None:
            raise MessageRejected(f"unknown event type {self.type!r}")
        if self.version != model.VERSION:
            raise MessageRejected(f"{self.type} version {self.version} is not supported (expected {model.VERSION})")
        try:
            return model.model_validate(self.payload)
        except ValidationError as exc:
            raise MessageRejected(f"invalid {self.type} payload: {_short(exc)}") from exc

    def to_bytes(self) -> bytes:
        return self.model_dump_json().encode()


class MessageRejected(ValueError):
    """A Kafka message that cannot be applied; it belongs on the dead-letter topic."""


def _short(exc: ValidationError) -> str:
    return "; ".join(f"{'.'.join(map(str, e['loc'])) or '<root>'}: {e['msg']}" for e in exc.errors()[:5])


# No event of ours comes near this (a lab's profile with 300 scope items is about 40 KB);
# anything larger is refused before it is parsed.
MAX_MESSAGE_BYTES = 256 * 1024


def decode(raw: bytes | None) -> tuple[Envelope, Event]:
    """Parse and validate raw message bytes into the envelope and its typed payload."""
    if raw is None:
        raise MessageRejected("empty message (tombstone) where an event was expected")
    if len(raw) > MAX_MESSAGE_BYTES:
        raise MessageRejected(f"oversized: {len(raw)} bytes, events are at most {MAX_MESSAGE_BYTES}")
    try:
        data = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise MessageRejected(f"not JSON: {exc}") from exc
    try:
        envelope = Envelope.model_validate(data)
    except ValidationError as exc:
        raise MessageRejected(f"invalid envelope: {_short(exc)}") from exc
    return envelope, envelope.event()
