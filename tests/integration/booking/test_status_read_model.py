"""labbook.status.v1 applied to the read model: per the seq rule, idempotent, DLQ for garbage."""
from __future__ import annotations

import base64
from datetime import datetime, timedelta, timezone
from uuid import UUID

import pytest

from schemas.envelope import Envelope
from schemas.events import DeadLetter, RequestPlanned
from schemas.topics import DLQ, STATUS

from .conftest import collect, consumed, created, getter, kafka_tail, last_seq, publish, status_event, until

pytestmark = pytest.mark.integration


async def test_scheduler_transitions_show_in_get_and_history(booking, producer):
    request, headers = await created(booking)
    start = datetime.now(timezone.utc).replace(microsecond=0) + timedelta(days=10)
    await publish(producer, request,
                  status_event(request, 2, "MATCHING", "SUBMITTED"),
                  status_event(request, 3, "OFFERED", "MATCHING", lab_id="lab-42"),
                  status_event(request, 4, "ACCEPTED", "OFFERED", lab_id="lab-42"),
                  status_event(request, 5, "SCHEDULED", "ACCEPTED", lab_id="lab-42",
                               planned_start=start, planned_end=start + timedelta(days=4)))
    body = await until(getter(booking, request, headers), lambda b: b["status"] == "SCHEDULED")
    assert body["status"] == "SCHEDULED" and body["lab_id"] == "lab-42"
    assert datetime.fromisoformat(body["planned_start"]) == start
    assert datetime.fromisoformat(body["planned_end"]) == start + timedelta(days=4)
    assert [h["status"] for h in body["history"]] == ["SUBMITTED", "MATCHING", "OFFERED", "ACCEPTED", "SCHEDULED"]
    assert [h["seq"] for h in body["history"]] == [1, 2, 3, 4, 5]


async def test_redelivered_and_older_events_change_nothing(booking, producer):
    request, headers = await created(booking)
    matching = status_event(request, 2, "MATCHING", "SUBMITTED")
    await publish(producer, request, matching, status_event(request, 3, "OFFERED", "MATCHING", lab_id="lab-1"))
    get = getter(booking, request, headers)
    before = await until(get, lambda b: b["status"] == "OFFERED")
    assert before["status"] == "OFFERED"
    # The same bytes again, an older seq with a legal-looking step, then a marker that proves both were read.
    await publish(producer, request, matching, status_event(request, 2, "ACCEPTED", "OFFERED"),
                  status_event(request, 4, "ACCEPTED", "OFFERED", lab_id="lab-1"))
    after = await until(get, lambda b: b["status"] == "ACCEPTED")
    assert after["status"] == "ACCEPTED"
    assert [(h["seq"], h["status"]) for h in after["history"]] == [
        (1, "SUBMITTED"), (2, "MATCHING"), (3, "OFFERED"), (4, "ACCEPTED")]


async def test_illegal_transition_is_not_applied(booking, producer):
    request, headers = await created(booking)
    # SUBMITTED -> SCHEDULED skips the state machine; seq 3 then is the legal next step.
    await publish(producer, request, status_event(request, 2, "SCHEDULED", "SUBMITTED"),
                  status_event(request, 3, "MATCHING", "SUBMITTED"))
    body = await until(getter(booking, request, headers), lambda b: b["status"] == "MATCHING")
    assert body["status"] == "MATCHING"
    assert [h["status"] for h in body["history"]] == ["SUBMITTED", "MATCHING"]
    assert await last_seq(booking, request) == 3


async def test_gap_then_late_event_applies_in_order(booking, producer):
    """OFFERED (seq 3) before MATCHING (seq 2): the early one is refused, the late one applies."""
    request, headers = await created(booking)
    sent = await publish(producer, request, status_event(request, 3, "OFFERED", "MATCHING", lab_id="lab-9"))
    await consumed(booking, sent)
    assert (await getter(booking, request, headers)())["status"] == "SUBMITTED"
    await publish(producer, request, status_event(request, 2, "MATCHING", "SUBMITTED"))
    body = await until(getter(booking, request, headers), lambda b: b["status"] == "MATCHING")
    assert body["status"] == "MATCHING" and body["lab_id"] is None


async def test_nothing_applies_after_cancel(booking, producer):
    request, headers = await created(booking)
    cancel = await booking.client.post(f"/v1/requests/{request['id']}/cancel", headers=headers)
    assert cancel.status == 200
    sent = await publish(producer, request, status_event(request, 3, "MATCHING", "SUBMITTED"),
                         status_event(request, 9, "MATCHING", "SUBMITTED"))
    await consumed(booking, sent)
    body = await getter(booking, request, headers)()
    assert body["status"] == "CANCELLED" and await last_seq(booking, request) == 2


async def test_garbage_goes_to_the_dlq_and_consumption_goes_on(booking, producer, settings):
    request, headers = await created(booking)
    async with kafka_tail(settings.kafka_bootstrap, DLQ) as dlq:
        await producer.send_and_wait(STATUS.name, b"\x00not json", key=request["id"].encode())
        await publish(producer, request, status_event(request, 2, "MATCHING", "SUBMITTED"))
        letters = await collect(dlq, lambda env, ev: isinstance(ev, DeadLetter) and ev.key_b64 ==
                                base64.b64encode(request["id"].encode()).decode(), count=1)
    assert len(letters) == 1
    letter = letters[0][3]
    assert letter.consumer == "booking-status" and letter.topic == STATUS.name
    assert "not JSON" in letter.reason and base64.b64decode(letter.original_b64) == b"\x00not json"
    body = await until(getter(booking, request, headers), lambda b: b["status"] == "MATCHING")
    assert body["status"] == "MATCHING"


def plan_event(request: dict, seq: int, lab_id: str | None, start: datetime | None) -> bytes:
    event = RequestPlanned(request_id=UUID(request["id"]), org_id=request["org_id"], seq=seq,
                           at=datetime.now(timezone.utc), lab_id=lab_id, planned_start=start,
                           planned_end=start + timedelta(days=4) if start else None)
    return Envelope.wrap(event, producer="scheduler", correlation_id=request["id"]).to_bytes()


async def test_a_provisional_plan_shows_while_matching_and_goes_when_the_status_moves_on(booking, producer):
    request, headers = await created(booking)
    start = datetime.now(timezone.utc).replace(microsecond=0) + timedelta(days=30)
    get = getter(booking, request, headers)
    await publish(producer, request, status_event(request, 2, "MATCHING", "SUBMITTED"),
                  plan_event(request, 2, "lab-7", start))
    body = await until(get, lambda b: b["lab_id"] == "lab-7")
    assert body["status"] == "MATCHING" and datetime.fromisoformat(body["planned_start"]) == start
    assert [h["status"] for h in body["history"]] == ["SUBMITTED", "MATCHING"]  # a plan is not a status
    # A plan of another status seq is stale; UNMATCHED (no lab holds it) clears the plan.
    sent = await publish(producer, request, plan_event(request, 1, "lab-8", start + timedelta(days=1)))
    await consumed(booking, sent)
    assert (await get())["lab_id"] == "lab-7"
    await publish(producer, request, status_event(request, 3, "UNMATCHED", "MATCHING",
                                                  reason="no_capacity_before_deadline"))
    body = await until(get, lambda b: b["status"] == "UNMATCHED")
    assert (body["lab_id"], body["planned_start"], body["planned_end"]) == (None, None, None)
    sent = await publish(producer, request, plan_event(request, 3, "lab-9", start))  # not MATCHING: not shown
    await consumed(booking, sent)
    assert (await get())["lab_id"] is None
