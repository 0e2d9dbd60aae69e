"""A request nobody picked up: its RequestSubmitted goes out again, as the same event,
until the scheduler answers; a request the scheduler answered is never sent again."""
from collections import Counter

import pytest

from schemas.events import RequestSubmitted
from schemas.topics import REQUESTS

from .conftest import collect, kafka_tail, publish, status_event, until

AFTER_S = 3.0


@pytest.fixture
def booking_env() -> dict[str, str]:
    return {"BOOKING_RESEND_SUBMITTED_AFTER_S": str(AFTER_S)}


async def test_a_submission_nobody_answered_goes_out_again_as_the_same_event(booking, settings, producer):
    headers = booking.auth()

    async def status_of(request_id: str) -> str:
        return (await (await booking.client.get(f"/v1/requests/{request_id}", headers=headers)).json())["status"]

    async with kafka_tail(settings.kafka_bootstrap, REQUESTS) as tail:
        _, answered = await booking.submit(headers)
        await publish(producer, answered, status_event(answered, 2, "MATCHING", "SUBMITTED"))
        assert await until(lambda: status_of(answered["id"]), lambda s: s == "MATCHING") == "MATCHING"
        _, lost = await booking.submit(headers)  # no scheduler runs here: as if its event were lost
        ids = {answered["id"], lost["id"]}
        found = await collect(tail, lambda _e, event: isinstance(event, RequestSubmitted)
                              and str(event.request_id) in ids, count=4, timeout=30 + 3 * AFTER_S)
    sends = Counter(str(event.request_id) for *_, event in found)
    assert sends == {answered["id"]: 1, lost["id"]: 3}  # the lost one: its first send and two more
    again = [(envelope.event_id, event.model_dump_json()) for *_, envelope, event in found
             if str(event.request_id) == lost["id"]]
    assert len(set(again)) == 1  # the same event each time: the scheduler takes it for a redelivery
    metrics = await (await booking.client.get("/metrics")).text()
    resent = [line for line in metrics.splitlines() if line.startswith("labbook_booking_submissions_resent_total")]
    assert resent and float(resent[0].split()[-1]) >= 2
    body = await (await booking.client.get(f"/v1/requests/{lost['id']}", headers=headers)).json()
    assert body["status"] == "SUBMITTED" and len(body["history"]) == 1
