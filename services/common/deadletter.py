"""A consumed message that cannot be applied goes to labbook.dlq.v1, with why and whence."""
from __future__ import annotations

import base64
import logging

from aiokafka import AIOKafkaProducer, ConsumerRecord

from schemas.envelope import Envelope
from schemas.events import DeadLetter
from schemas.topics import DLQ

log = logging.getLogger(__name__)

MAX_REASON = 2000
# A letter must itself fit the broker's message limit (1 MB by default): an oversized
# message is kept by its start and its size; topic, partition and offset find the rest.
MAX_ORIGINAL_BYTES = 64 * 1024


def letter(*, reason: str, consumer: str, topic: str, partition: int, offset: int, key: bytes | None,
           original: bytes) -> DeadLetter:
    kept = original[:MAX_ORIGINAL_BYTES]
    return DeadLetter(
        reason=reason[:MAX_REASON], consumer=consumer, topic=topic, partition=partition, offset=offset,
        key_b64=base64.b64encode(key[:MAX_ORIGINAL_BYTES]).decode() if key else None,
        original_b64=base64.b64encode(kept).decode(),
        original_size=len(original) if len(kept) < len(original) else None)


def letter_for(message: ConsumerRecord, reason: str, consumer: str) -> DeadLetter:
    return letter(reason=reason, consumer=consumer, topic=message.topic, partition=message.partition,
                  offset=message.offset, key=message.key, original=message.value or b"")


async def dead_letter(producer: AIOKafkaProducer, message: ConsumerRecord, reason: str, *, consumer: str,
                      producer_name: str) -> None:
    log.warning("dead-lettering %s[%d]@%d: %s", message.topic, message.partition, message.offset, reason)
    envelope = Envelope.wrap(letter_for(message, reason, consumer), producer=producer_name)
    await producer.send_and_wait(DLQ.name, envelope.to_bytes(), key=message.key)
