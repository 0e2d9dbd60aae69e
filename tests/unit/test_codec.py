"""The Faust codec never raises on bad input: it hands the agent a Rejected."""
from hypothesis import given
from hypothesis import strategies as st

from schemas.envelope import Envelope
from schemas.faust_codec import Decoded, EnvelopeCodec, Rejected
from tests.unit.test_envelope import submitted

codec = EnvelopeCodec()


def test_valid_bytes_decode_to_the_typed_event():
    envelope = Envelope.wrap(submitted(), producer="t")
    loaded = codec.loads(codec.dumps(envelope))
    assert isinstance(loaded, Decoded) and loaded.envelope == envelope
    assert loaded.event == envelope.event()


@given(st.binary(max_size=300))
def test_garbage_becomes_rejected_with_the_raw_bytes(raw):
    loaded = codec.loads(raw)
    assert isinstance(loaded, Rejected) and loaded.raw == raw and loaded.reason


def test_only_envelopes_are_encoded():
    import pytest

    with pytest.raises(TypeError):
        codec.dumps({"not": "an envelope"})
