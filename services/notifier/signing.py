"""Standard Webhooks signatures (https://www.standardwebhooks.com/), stdlib only.

A delivery carries `webhook-id`, `webhook-timestamp` (Unix seconds) and
`webhook-signature`: `v1,<base64 HMAC-SHA256 of "id.timestamp.body">`, one per
secret still valid, space-separated, so a receiver keeps verifying while it
moves to a rotated secret. Receivers verify with any Standard Webhooks library;
`verify` here serves our own tests and the bench receiver.
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets as _random
import time
from collections.abc import Mapping
from functools import lru_cache

PREFIX = "whsec_"
SECRET_BYTES = 32
TOLERANCE_S = 300


class InvalidSignature(ValueError):
    """The headers do not prove the body came from the holder of the secret, now."""


def new_secret() -> str:
    return PREFIX + base64.b64encode(_random.token_bytes(SECRET_BYTES)).decode()


@lru_cache(maxsize=1024)  # a subscription's secret signs every delivery: decode it once
def _key(secret: str) -> bytes:
    raw = secret.removeprefix(PREFIX)
    try:
        # The reference libraries accept unpadded base64; extra padding is ignored.
        key = base64.b64decode(raw + "==")
    except binascii.Error:
        raise ValueError("a webhook secret is whsec_ followed by base64") from None
    if not key:
        raise ValueError("a webhook secret may not be empty")
    return key


def _digest(key: bytes, msg_id: str, timestamp: int, body: bytes) -> bytes:
    return hmac.digest(key, f"{msg_id}.{timestamp}.".encode() + body, hashlib.sha256)


def sign(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    return "v1," + base64.b64encode(_digest(_key(secret), msg_id, int(timestamp), body)).decode()


def signature_header(secrets: list[str], msg_id: str, timestamp: int, body: bytes) -> str:
    if not secrets:
        raise ValueError("at least one secret is needed to sign")
    return " ".join(sign(secret, msg_id, timestamp, body) for secret in secrets)


def headers(secrets: list[str], msg_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(timestamp)),
        "webhook-signature": signature_header(secrets, msg_id, timestamp, body),
    }


def _timestamp(value: str | None, tolerance_s: float, now: float | None) -> int:
    if not (value and value.isascii() and value.isdigit()):
        raise InvalidSignature(f"webhook-timestamp {value!r} is not Unix seconds")
    timestamp = int(value)
    now = time.time() if now is None else now
    if abs(now - timestamp) > tolerance_s:
        raise InvalidSignature(f"webhook-timestamp {timestamp} is more than {tolerance_s:g} s from now")
    return timestamp


def _signatures(value: str) -> list[bytes]:
    found = []
    for item in value.split():
        version, _, encoded = item.partition(",")
        if version != "v1":
            continue  # other schemes (v1a: asymmetric) are not ours to check
        try:
            found.append(base64.b64decode(encoded, validate=True))
        except binascii.Error:
            continue
    return found


def verify(secret: str, headers: Mapping[str, str], body: bytes, *,
           tolerance_s: float = TOLERANCE_S, now: float | None = None) -> None:
    """Raise InvalidSignature unless one v1 signature of `headers` matches `body`."""
    lower = {k.lower(): v for k, v in headers.items()}
    msg_id, signature = lower.get("webhook-id"), lower.get("webhook-signature")
    if not msg_id or not signature:
        raise InvalidSignature("webhook-id and webhook-signature headers are required")
    timestamp = _timestamp(lower.get("webhook-timestamp"), tolerance_s, now)
    expected = _digest(_key(secret), msg_id, timestamp, body)
    # Compare against every candidate so the time taken does not say which one matched.
    matched = [hmac.compare_digest(expected, candidate) for candidate in _signatures(signature)]
    if not any(matched):
        raise InvalidSignature("no webhook-signature matches this body and secret")
