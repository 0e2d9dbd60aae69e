"""A Faust value codec for labbook envelopes.

Faust has no pydantic codec of its own. A codec that raises on bad input
crashes the agent, so `loads` never raises: it returns either the validated
`(Envelope, Event)` pair or a `Rejected` holding the raw bytes and the reason,
and the agent dead-letters the latter and goes on.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from faust.serializers import codecs

from .envelope import Envelope, Event, MessageRejected, decode

CODEC_NAME = "labbook"


@dataclass(frozen=True)
class Rejected:
    raw: bytes | None
    reason: str


@dataclass(frozen=True)
class Decoded:
    envelope: Envelope
    event: Event


class EnvelopeCodec(codecs.Codec):
    def _dumps(self, obj: Any) -> bytes:
        if isinstance(obj, Decoded):
            obj = obj.envelope
        if isinstance(obj, Envelope):
            return obj.to_bytes()
        raise TypeError(f"labbook codec encodes Envelope, not {type(obj).__name__}")

    def _loads(self, s: bytes) -> Decoded | Rejected:
        try:
            return Decoded(*decode(s))
        except MessageRejected as exc:
            return Rejected(raw=s, reason=str(exc))


def register() -> None:
    codecs.register(CODEC_NAME, EnvelopeCodec())
