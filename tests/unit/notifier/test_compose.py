"""What a claimed delivery says (services/notifier/compose.py): its webhook body and
its MessageContext, from a row read by key as asyncpg gives it (plain dicts here).

PostgreSQL hands jsonb back as text with its own spacing (`{"a": 1, "b": 2}`), which
json.dumps reproduces; the body must splice into that text, not into compact JSON only.
"""
from __future__ import annotations

import json
from datetime import date, datetime, timezone
from uuid import UUID

import pytest

from schemas.envelope import Envelope
from schemas.events import StatusChanged
from schemas.notifications import Kind
from schemas.states import RequestStatus
from services.notifier.compose import context_of, webhook_body

REQUEST_ID = UUID("1a2b3c4d-5e6f-4a1b-8c2d-3e4f5a6b7c8d")
EVENT_ID = UUID("00000000-0000-0000-0000-000000000001")
DELIVERY_ID = UUID("9f8e7d6c-5b4a-4c3d-9e2f-1a0b9c8d7e6f")
URL = "https://labbook.example/requests/{id}"


def status_event() -> StatusChanged:
    return StatusChanged(request_id=REQUEST_ID, org_id="acme", seq=6, status=RequestStatus.SCHEDULED,
                         previous=RequestStatus.ACCEPTED, at=datetime(2026, 11, 10, 9, 0, tzinfo=timezone.utc),
                         lab_id="lab-1")


def fixed_envelope() -> Envelope:
    return Envelope(event_id=EVENT_ID, type="StatusChanged", version=1,
                    occurred_at=datetime(2026, 11, 10, 9, 0, 1, tzinfo=timezone.utc), producer="scheduler",
                    payload=status_event().model_dump(mode="json"))


def jsonb_text(value: str) -> str:
    """The way PostgreSQL prints a jsonb value: `{"a": 1, "b": 2}`."""
    return json.dumps(json.loads(value))


# The fixed envelope as a receiver must see it, field by field.
EXPECTED_ENVELOPE = {
    "event_id": "00000000-0000-0000-0000-000000000001",
    "type": "StatusChanged",
    "version": 1,
    "occurred_at": "2026-11-10T09:00:01Z",
    "producer": "scheduler",
    "correlation_id": None,
    "payload": {
        "request_id": "1a2b3c4d-5e6f-4a1b-8c2d-3e4f5a6b7c8d",
        "org_id": "acme",
        "seq": 6,
        "status": "SCHEDULED",
        "previous": "ACCEPTED",
        "at": "2026-11-10T09:00:00Z",
        "reason": None,
        "lab_id": "lab-1",
        "planned_start": None,
        "planned_end": None,
    },
}


def body_row(envelope, *, request_id=REQUEST_ID, status="SCHEDULED", seq=6, kind="request.scheduled") -> dict:
    return {"envelope": envelope, "kind": kind, "request_id": request_id, "request_status": status,
            "request_seq": seq}


# --- webhook_body -----------------------------------------------------------------------


def test_the_body_is_the_envelope_plus_kind_and_request():
    body = webhook_body(body_row(jsonb_text(fixed_envelope().model_dump_json())))
    assert isinstance(body, bytes)
    assert json.loads(body) == {
        **EXPECTED_ENVELOPE,
        "kind": "request.scheduled",
        "request": {"id": "1a2b3c4d-5e6f-4a1b-8c2d-3e4f5a6b7c8d", "status": "SCHEDULED", "seq": 6},
    }


def test_the_envelope_text_is_kept_as_it_was_stored():
    text = jsonb_text(fixed_envelope().model_dump_json())
    body = webhook_body(body_row(text)).decode()
    assert body.startswith(text[:-1] + ",")  # spliced in, not re-encoded
    assert list(json.loads(body))[-2:] == ["kind", "request"]


def test_a_wrapped_envelope_keeps_every_field():
    envelope = Envelope.wrap(status_event(), producer="scheduler", correlation_id="req-42")
    text = jsonb_text(envelope.model_dump_json())
    body = json.loads(webhook_body(body_row(text, status="IN_TESTING", seq=8)))
    assert body["event_id"] == str(envelope.event_id)
    assert body["type"] == "StatusChanged"
    assert body["version"] == 1
    assert body["producer"] == "scheduler"
    assert body["correlation_id"] == "req-42"
    assert body["payload"] == EXPECTED_ENVELOPE["payload"]
    assert datetime.fromisoformat(body["occurred_at"]) == envelope.occurred_at
    # the request's current status, not the one the event announced
    assert body["kind"] == "request.scheduled"
    assert body["request"] == {"id": "1a2b3c4d-5e6f-4a1b-8c2d-3e4f5a6b7c8d", "status": "IN_TESTING", "seq": 8}


def test_without_a_request_the_request_is_null():
    envelope = {"event_id": "00000000-0000-0000-0000-000000000002", "type": "AccreditationLapsing",
                "version": 1, "occurred_at": "2026-11-10T09:00:00Z", "producer": "notifier",
                "correlation_id": None,
                "payload": {"lab_id": "lab-1", "certificate_no": "RA.RU.21AB12", "valid_until": "2026-12-10"}}
    body = json.loads(webhook_body(body_row(json.dumps(envelope), request_id=None, status=None, seq=None,
                                            kind="accreditation.lapsing")))
    assert body == {**envelope, "kind": "accreditation.lapsing", "request": None}


def test_an_envelope_given_as_a_dict():
    envelope = json.loads(fixed_envelope().model_dump_json())
    body = json.loads(webhook_body(body_row(envelope)))
    assert body == {
        **EXPECTED_ENVELOPE,
        "kind": "request.scheduled",
        "request": {"id": "1a2b3c4d-5e6f-4a1b-8c2d-3e4f5a6b7c8d", "status": "SCHEDULED", "seq": 6},
    }


def test_trailing_whitespace_after_the_envelope():
    text = jsonb_text(fixed_envelope().model_dump_json()) + "\n"
    body = json.loads(webhook_body(body_row(text)))
    assert body["kind"] == "request.scheduled"
    assert body["payload"]["status"] == "SCHEDULED"


# --- context_of -------------------------------------------------------------------------

COMPONENT = {"name": "Кронштейн фары", "part_number": "8450012345", "category": "metal_parts"}
ROW_START = datetime(2026, 11, 20, 6, 0, tzinfo=timezone.utc)
ROW_END = datetime(2026, 11, 30, 15, 30, tzinfo=timezone.utc)


def context_row(**changes) -> dict:
    row = {
        "id": DELIVERY_ID, "kind": "request.scheduled", "event_id": EVENT_ID, "request_id": REQUEST_ID,
        "facts": json.dumps({"status": "SCHEDULED", "seq": 6, "lab_id": "lab-1"}),
        "envelope": jsonb_text(fixed_envelope().model_dump_json()),
        "component": json.dumps(COMPONENT, ensure_ascii=False),
        "request_start": ROW_START, "request_end": ROW_END, "request_seq": 7, "request_status": "SCHEDULED",
        "method_code": "ISO9227-NSS-240", "samples": 5, "deadline": date(2026, 12, 10),
        "ship_from_region": "RU-SAM", "lab_name": "ИЦ «Автотест»", "lab_city": "Казань",
    }
    return {**row, **changes}


def test_the_context_of_a_full_row():
    ctx = context_of(context_row(), URL)
    assert ctx.kind is Kind.REQUEST_SCHEDULED
    assert ctx.event_id == EVENT_ID
    assert ctx.delivery_id == DELIVERY_ID
    assert ctx.occurred_at == datetime(2026, 11, 10, 9, 0, 1, tzinfo=timezone.utc)
    assert ctx.request_id == REQUEST_ID
    assert ctx.request_url == "https://labbook.example/requests/1a2b3c4d-5e6f-4a1b-8c2d-3e4f5a6b7c8d"
    assert (ctx.status, ctx.seq, ctx.lab_id, ctx.reason) == ("SCHEDULED", 6, "lab-1", None)
    assert (ctx.component_name, ctx.part_number, ctx.category) == ("Кронштейн фары", "8450012345", "metal_parts")
    assert (ctx.method_code, ctx.samples, ctx.deadline, ctx.ship_from_region) == \
        ("ISO9227-NSS-240", 5, date(2026, 12, 10), "RU-SAM")
    assert (ctx.lab_name, ctx.lab_city) == ("ИЦ «Автотест»", "Казань")
    # no dates in the facts: the request's own
    assert (ctx.planned_start, ctx.planned_end) == (ROW_START, ROW_END)


def test_the_facts_dates_override_the_requests():
    facts = {"status": "SCHEDULED", "seq": 6, "planned_start": "2026-11-21T06:00:00+00:00",
             "planned_end": "2026-12-01T15:30:00+00:00"}
    ctx = context_of(context_row(facts=json.dumps(facts)), URL)
    assert ctx.planned_start == datetime(2026, 11, 21, 6, 0, tzinfo=timezone.utc)
    assert ctx.planned_end == datetime(2026, 12, 1, 15, 30, tzinfo=timezone.utc)


def test_without_a_seq_in_the_facts_the_requests_seq():
    ctx = context_of(context_row(facts=json.dumps({"lab_id": "lab-1", "reason": "request_cancelled"}),
                                 kind="job.cancelled"), URL)
    assert ctx.seq == 7
    assert ctx.reason == "request_cancelled"
    assert ctx.status is None


def test_an_offer_context_reads_its_facts():
    facts = {"offer_id": "00000000-0000-0000-0000-000000000003", "lab_id": "lab-1",
             "expires_at": "2026-11-12T09:00:00+00:00"}
    ctx = context_of(context_row(kind="offer.made", facts=json.dumps(facts)), URL)
    assert ctx.kind is Kind.OFFER_MADE
    assert ctx.offer_id == UUID("00000000-0000-0000-0000-000000000003")
    assert ctx.expires_at == datetime(2026, 11, 12, 9, 0, tzinfo=timezone.utc)


def test_facts_the_context_does_not_know_are_left_out():
    ctx = context_of(context_row(facts=json.dumps({"status": "SCHEDULED", "colour": "red"})), URL)
    assert ctx.status == "SCHEDULED"
    assert not hasattr(ctx, "colour")


@pytest.mark.parametrize("component", [None, json.dumps(None)])
def test_a_missing_component_gives_none(component):
    ctx = context_of(context_row(component=component), URL)
    assert (ctx.component_name, ctx.part_number, ctx.category) == (None, None, None)


def test_a_component_and_facts_given_as_dicts():
    ctx = context_of(context_row(component=dict(COMPONENT), facts={"status": "SCHEDULED", "seq": 6}), URL)
    assert ctx.component_name == "Кронштейн фары"
    assert ctx.seq == 6


def test_a_notice_about_no_request():
    facts = {"lab_id": "lab-1", "certificate_no": "RA.RU.21AB12", "valid_until": "2026-12-10"}
    envelope = json.dumps({"event_id": str(EVENT_ID), "type": "AccreditationLapsing", "version": 1,
                           "occurred_at": "2026-11-10T09:00:00Z", "producer": "notifier",
                           "correlation_id": None, "payload": facts})
    row = context_row(kind="accreditation.lapsing", request_id=None, facts=json.dumps(facts), envelope=envelope,
                      component=None, request_start=None, request_end=None, request_seq=None,
                      request_status=None, method_code=None, samples=None, deadline=None,
                      ship_from_region=None, lab_name="ИЦ «Автотест»", lab_city="Казань")
    ctx = context_of(row, URL)
    assert ctx.request_id is None
    assert ctx.request_url is None
    assert ctx.seq is None
    assert (ctx.certificate_no, ctx.valid_until) == ("RA.RU.21AB12", date(2026, 12, 10))
    assert ctx.occurred_at == datetime(2026, 11, 10, 9, 0, tzinfo=timezone.utc)
