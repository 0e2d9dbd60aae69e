"""The envelope: typed round trips, and every kind of bad bytes rejected with a reason."""
import json
from datetime import date, datetime, timedelta, timezone
from uuid import uuid4

import pytest
from hypothesis import given
from hypothesis import strategies as st

from schemas.envelope import EVENT_TYPES, Envelope, MessageRejected, decode
from schemas.events import RequestSubmitted, StatusChanged
from schemas.values import Component, TestKind


def submitted(**overrides) -> RequestSubmitted:
    fields = dict(
        request_id=uuid4(), org_id="org-1", method_code="ISO9227-NSS-240", test_kind=TestKind.CERTIFICATION,
        component=Component(name="Bracket", part_number="BR-1", category="metal_parts"), samples=5,
        deadline=date(2027, 3, 1), ship_from_region="RU-SAM", submitted_at=datetime.now(timezone.utc),
    )
    return RequestSubmitted(**{**fields, **overrides})


def test_round_trip_keeps_the_typed_payload():
    event = submitted()
    envelope = Envelope.wrap(event, producer="booking-api", correlation_id=str(event.request_id))
    decoded_envelope, decoded = decode(envelope.to_bytes())
    assert decoded == event and isinstance(decoded, RequestSubmitted)
    assert decoded_envelope.event_id == envelope.event_id
    assert decoded_envelope.type == "RequestSubmitted" and decoded_envelope.version == 1


def test_occurred_at_is_kept_in_utc():
    moscow = timezone(timedelta(hours=3))
    envelope = Envelope(event_id=uuid4(), type="X", version=1, producer="p", payload={},
                        occurred_at=datetime(2026, 1, 1, 12, tzinfo=moscow))
    assert envelope.occurred_at == datetime(2026, 1, 1, 9, tzinfo=timezone.utc)
    assert envelope.occurred_at.utcoffset() == timedelta(0)


def _valid_dict() -> dict:
    return json.loads(Envelope.wrap(submitted(), producer="t").to_bytes())


@pytest.mark.parametrize(
    ("mutate", "reason"),
    [
        (lambda d: d.pop("event_id"), "invalid envelope"),
        (lambda d: d.update(occurred_at="2026-01-01T00:00:00"), "invalid envelope"),  # naive time
        (lambda d: d.update(type="Teleported"), "unknown event type"),
        (lambda d: d.update(version=2), "version 2 is not supported"),
        (lambda d: d["payload"].update(samples=0), "invalid RequestSubmitted payload"),
        (lambda d: d["payload"].update(surprise=1), "invalid RequestSubmitted payload"),
        (lambda d: d.update(extra="x"), "invalid envelope"),
    ],
)
def test_bad_envelopes_are_rejected_with_the_reason(mutate, reason):
    data = _valid_dict()
    mutate(data)
    with pytest.raises(MessageRejected, match=reason):
        decode(json.dumps(data).encode())


@pytest.mark.parametrize("raw", [None, b"", b"not json", b"\xff\xfe", b"[]", b"42"])
def test_non_envelopes_are_rejected(raw):
    with pytest.raises(MessageRejected):
        decode(raw)


@given(st.binary(max_size=200))
def test_decode_never_raises_anything_but_rejection(raw):
    try:
        decode(raw)
    except MessageRejected:
        pass


def test_status_changed_carries_a_sequence_number():
    with pytest.raises(ValueError):
        StatusChanged(request_id=uuid4(), org_id="o", seq=0, status="MATCHING", previous="SUBMITTED",
                      at=datetime.now(timezone.utc))


def test_private_bases_are_not_event_types():
    assert not any(name.startswith("_") for name in EVENT_TYPES)
    assert "CapacityItem" not in EVENT_TYPES


def test_an_oversized_message_is_refused_before_it_is_parsed():
    data = _valid_dict()
    data["payload"]["notes"] = "x" * 300_000  # valid JSON; the size alone refuses it
    with pytest.raises(MessageRejected, match=r"oversized: 30\d{4} bytes, events are at most 262144"):
        decode(json.dumps(data).encode())


def test_envelope_does_not_import_events_yet_knows_every_event_type():
    """No import circle: envelope.py names no events module; schemas/__init__ registers them."""
    import ast
    import subprocess
    import sys
    from pathlib import Path

    import schemas.envelope as envelope_module

    tree = ast.parse(Path(envelope_module.__file__).read_text())
    imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
                for alias in node.names} | {node.module or "" for node in ast.walk(tree)
                                            if isinstance(node, ast.ImportFrom)}
    assert not {"events", "schemas.events"} & imported
    code = "from schemas.envelope import EVENT_TYPES; print(sorted(EVENT_TYPES))"
    shown = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                           cwd=Path(envelope_module.__file__).parents[1]).stdout
    assert "RequestSubmitted" in shown and "StatusChanged" in shown and "TokenRevoked" in shown
