"""The one page-cursor codec (services/common/cursor.py): the same cursors as each list
route made before it, and a clear refusal of anything it did not make."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from services.booking import domain as booking
from services.common import cursor
from services.labs import domain as labs
from services.notifier import domain as notifier

AT = datetime(2026, 3, 1, 9, tzinfo=timezone.utc)


def test_cursors_are_what_the_routes_made_before():
    # base64url, unpadded, of "n5" and of "2026-03-01T09:00:00+00:00|lab-1" (written out, not computed here)
    assert notifier.encode_cursor(5) == "bjU"
    assert labs.encode_cursor(AT, "lab-1") == "MjAyNi0wMy0wMVQwOTowMDowMCswMDowMHxsYWItMQ"


def test_each_service_reads_back_its_own():
    rid = "0c9646cd-2704-4c6f-ab6e-412061b10715"
    assert str(booking.decode_cursor(booking.encode_cursor(AT, rid))[1]) == rid
    assert labs.decode_cursor(labs.encode_cursor(AT, "lab-1")) == (AT, "lab-1")
    assert notifier.decode_cursor(notifier.encode_cursor(42)) == 42


@pytest.mark.parametrize("text", ["", "!!!", cursor.encode("only-one"), cursor.encode("a", ""),
                                  cursor.encode("not-a-date", "lab-1"), cursor.encode("2026-03-01T09:00:00", "x")])
def test_anything_else_is_an_invalid_cursor(text):
    with pytest.raises(ValueError, match="invalid cursor"):
        labs.decode_cursor(text)


def test_a_booking_cursor_needs_a_request_id_and_a_notifier_cursor_a_number():
    with pytest.raises(ValueError, match="invalid cursor"):
        booking.decode_cursor(cursor.encode(AT.isoformat(), "not-a-uuid"))
    with pytest.raises(ValueError, match="invalid cursor"):
        notifier.decode_cursor(cursor.encode("x5"))
