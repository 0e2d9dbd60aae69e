"""Cancel follows the state machine: 200 exactly in the states DESIGN.md lets a request be
cancelled from (before IN_TESTING), else 409."""
import pytest

from schemas.events import RequestCancelled, StatusChanged
from schemas.states import RequestStatus
from schemas.topics import REQUESTS, STATUS
from tests.support.state_machine import BEFORE_TESTING

from .conftest import collect, kafka_tail, new_org


@pytest.mark.parametrize("status", list(RequestStatus))
async def test_cancel_in_every_state(booking, status):
    org = new_org()
    headers = booking.auth("supplier", org)
    _, created = await booking.submit(headers)
    await booking.pool.execute("UPDATE booking.requests SET status = $2, status_seq = 4 WHERE id = $1::uuid",
                               created["id"], status.value)
    response = await booking.client.post(f"/v1/requests/{created['id']}/cancel", headers=headers)
    body = await response.json()
    if status in BEFORE_TESTING:
        assert response.status == 200, body
        assert body["status"] == "CANCELLED" and body["history"][-1]["status"] == "CANCELLED"
        assert body["history"][-1]["seq"] == 5
    else:
        assert response.status == 409, body
        assert body["error"]["code"] == "illegal_transition"
        assert body["error"]["details"] == {"status": status.value}
        stored = await booking.pool.fetchval("SELECT status FROM booking.requests WHERE id = $1::uuid", created["id"])
        assert stored == status.value


async def test_cancel_publishes_cancelled_and_status_changed(booking, settings):
    headers = booking.auth("supplier")
    _, created = await booking.submit(headers)
    async with kafka_tail(settings.kafka_bootstrap, REQUESTS, STATUS) as tail:
        response = await booking.client.post(f"/v1/requests/{created['id']}/cancel",
                                             json={"reason": "project stopped"}, headers=headers)
        assert response.status == 200
        # The submit's own StatusChanged (SUBMITTED) may still be on its way out of the outbox.
        found = await collect(tail, lambda env, ev: env.correlation_id == created["id"] and (
            isinstance(ev, RequestCancelled) or isinstance(ev, StatusChanged) and ev.status == "CANCELLED"), count=2)
    events = {type(ev): ev for _, _, _, ev in found}
    assert set(events) == {RequestCancelled, StatusChanged}
    assert events[RequestCancelled].reason == "project stopped"
    changed = events[StatusChanged]
    assert (changed.seq, changed.status, changed.previous) == (2, "CANCELLED", "SUBMITTED")


async def test_second_cancel_is_409(booking):
    headers = booking.auth("supplier")
    _, created = await booking.submit(headers)
    url = f"/v1/requests/{created['id']}/cancel"
    assert (await booking.client.post(url, headers=headers)).status == 200
    again = await booking.client.post(url, headers=headers)
    assert again.status == 409 and (await again.json())["error"]["details"] == {"status": "CANCELLED"}
