"""A dead letter says why and whence, and always fits on the broker itself."""
import base64

from services.common.deadletter import letter


def test_a_letter_keeps_the_message_whole_when_it_is_small():
    got = letter(reason="not JSON", consumer="c", topic="t", partition=2, offset=7, key=b"k", original=b"{junk")
    assert (got.topic, got.partition, got.offset, got.consumer) == ("t", 2, 7, "c")
    assert base64.b64decode(got.original_b64) == b"{junk" and got.original_size is None
    assert base64.b64decode(got.key_b64) == b"k"


def test_an_oversized_message_is_kept_by_its_start_and_its_size():
    big = b"a" * 900_000
    got = letter(reason="oversized", consumer="c", topic="t", partition=0, offset=1, key=None, original=big)
    assert len(base64.b64decode(got.original_b64)) == 65_536 and got.original_size == 900_000
    assert len(got.model_dump_json()) < 100_000  # far below the broker's 1 MB
