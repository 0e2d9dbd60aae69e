"""The sender's guard: a table write refused for want of broker metadata is tried again,
never dead-lettered; a handler's own error is dead-lettered once."""
from __future__ import annotations

from types import SimpleNamespace
from unittest import mock

from faust.exceptions import PartitionsMismatch

from schemas import events as ev
from schemas.envelope import Envelope
from schemas.faust_codec import Decoded
from services.booking.scheduler import sender as sender_module
from services.booking.scheduler.sender import Sender

from .test_flow import submitted


def event_of(e) -> SimpleNamespace:
    message = SimpleNamespace(topic="labbook.requests.v1", partition=1, offset=7, tp=("labbook.requests.v1", 1))
    return SimpleNamespace(value=Decoded(Envelope.wrap(e, producer="test"), e), message=message)


async def test_a_write_refused_for_want_of_metadata_is_tried_again_not_dead_lettered():
    finished, calls, letters = [], [], []
    s = Sender(app=None, consumer="test", finished=lambda *a: finished.append(a))

    async def handle(event, value):
        calls.append(value.event)
        if len(calls) < 3:
            raise PartitionsMismatch("changelog has 0 partitions")

    async def dead_letter(event, reason):
        letters.append(reason)

    with mock.patch.object(s, "dead_letter", dead_letter), mock.patch.object(sender_module, "RETRY_MAX_S", 0.01):
        await s.guarded(event_of(submitted()), "scheduler-requests", lambda kind: handle)
    assert len(calls) == 3 and letters == []
    assert finished == [("scheduler-requests", "RequestSubmitted", ("labbook.requests.v1", 1))]


async def test_a_handler_error_is_dead_lettered_once():
    letters = []
    s = Sender(app=None, consumer="test")

    async def handle(event, value):
        raise RuntimeError("boom")

    async def dead_letter(event, reason):
        letters.append(reason)

    with mock.patch.object(s, "dead_letter", dead_letter):
        await s.guarded(event_of(ev.RequestCancelled(request_id=submitted().request_id, org_id="o")),
                        "scheduler-requests", lambda kind: handle)
    assert letters == ["handler error: RuntimeError: boom"]
