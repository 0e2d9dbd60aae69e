"""The one page-cursor codec of every list route: opaque to clients (they pass it back,
never build it), base64url of the parts joined by "|" without padding. Each service
says what its parts are and checks them (services/*/domain.py)."""
from __future__ import annotations

import base64
import binascii

SEPARATOR = "|"


def encode(*parts: str) -> str:
    return base64.urlsafe_b64encode(SEPARATOR.join(parts).encode()).decode().rstrip("=")


def decode(cursor: str, parts: int) -> list[str]:
    """The cursor's parts, exactly `parts` of them, none empty; ValueError otherwise."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (ValueError, UnicodeDecodeError, binascii.Error):
        raise ValueError("invalid cursor") from None
    found = raw.split(SEPARATOR, parts - 1)
    if len(found) != parts or not all(found):
        raise ValueError("invalid cursor")
    return found
