"""How a delivery attempt ended, and what follows: the retry policy in one place.

Webhooks (Standard Webhooks conventions): 2xx delivered; 410 Gone disables the
subscription; anything else (429, 5xx, other 4xx, timeouts, refused connections)
is retried on the schedule. Email: a 2xx reply delivered; a 5xx reply is
permanent (the mailbox does not exist: retrying cannot help); 4xx and lost
connections are retried.
"""
from __future__ import annotations

import random
from dataclasses import dataclass
from enum import StrEnum

JITTER = 0.2  # +-20 %: receivers that failed together are not retried together


class Result(StrEnum):
    DELIVERED = "delivered"
    RETRY = "retry"
    FAILED = "failed"  # for good: no more attempts
    DISABLED = "disabled"  # the target asked to stop (HTTP 410)


@dataclass(frozen=True)
class Outcome:
    result: Result
    status_code: int | None = None  # HTTP status or SMTP reply code
    reply: str | None = None
    error: str | None = None

    def describe(self) -> str:
        """One line for the delivery's last_error."""
        parts = [str(self.status_code)] if self.status_code is not None else []
        parts += [p for p in (self.error, self.reply) if p]
        return " ".join(parts)[:1000] or self.result.value


def http_outcome(status: int, reply: str) -> Outcome:
    if 200 <= status < 300:
        return Outcome(Result.DELIVERED, status, reply)
    if status == 410:
        return Outcome(Result.DISABLED, status, reply, "the target answered 410 Gone")
    return Outcome(Result.RETRY, status, reply, f"HTTP {status}")


def smtp_outcome(code: int, reply: str) -> Outcome:
    if 200 <= code < 300:
        return Outcome(Result.DELIVERED, code, reply)
    if 500 <= code < 600:
        return Outcome(Result.FAILED, code, reply, "the mail server refused the recipient")
    return Outcome(Result.RETRY, code, reply, "the mail server deferred the message")


def retry_delay(attempts: int, schedule: tuple[float, ...], rng: random.Random | None = None) -> float | None:
    """Seconds before the next attempt after `attempts` attempts, or None when the schedule
    is used up (the delivery has then failed for good)."""
    if attempts < 1 or attempts > len(schedule):
        return None
    spread = (rng or random).uniform(-JITTER, JITTER)
    return schedule[attempts - 1] * (1 + spread)
