"""Booking's page cursor: (created_at, id) of the last request shown, opaque to clients.

The request bodies and answers live in schemas/booking_api.py.
"""
from __future__ import annotations

from datetime import datetime
from uuid import UUID

from services.common import cursor


def encode_cursor(created_at: datetime, request_id: str) -> str:
    return cursor.encode(created_at.isoformat(), request_id)


def decode_cursor(text: str) -> tuple[datetime, UUID]:
    """Raises ValueError for anything encode_cursor did not make."""
    at_text, id_text = cursor.decode(text, 2)
    try:
        at, request_id = datetime.fromisoformat(at_text), UUID(id_text)
    except ValueError:
        raise ValueError("invalid cursor") from None
    if at.tzinfo is None:
        raise ValueError("invalid cursor")
    return at, request_id
