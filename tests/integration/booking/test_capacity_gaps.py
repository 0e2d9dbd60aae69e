"""GET /v1/insight/capacity-gaps on a real booking API: the labs' supply comes from
Kafka (the test publishes a LabProfile and a CapacityAdvertised as the labs service
would), the queue from requests submitted through the API on a fresh database.

The figures are counted by hand (tests/unit/booking/test_whatif.py says how): a lab in
Samara with one ISO9227-NSS-96 chamber (96 h), six requests from Samara due eleven
days from today. Samples arrive tomorrow (whatever the hour now, 8 to 9 days before
the last moment a test may end), so the chamber runs two; two more chambers in Samara
from today place the other four. The requests ask for 999 samples, which the test's
lab takes; other labs on the shared broker that could take them are excluded by the
supplier, so only this lab counts.
"""
from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta, timezone

import pytest

from schemas.envelope import Envelope
from schemas.events import CapacityAdvertised, CapacityItem, LabProfile
from schemas.regions import REGIONS_BY_CODE
from schemas.topics import CAPACITY, LABS
from services.booking.insight.supply import SUPPLY

from .conftest import created, until

pytestmark = pytest.mark.integration
METHOD, SAMPLES = "ISO9227-NSS-96", 999


async def seed_lab(producer, booking) -> str:
    lab_id, now, samara = f"lab-gap-{uuid.uuid4().hex[:8]}", datetime.now(timezone.utc), REGIONS_BY_CODE["RU-SAM"]
    profile = LabProfile(lab_id=lab_id, name="Samara Corrosion Lab", inn="6316000000", region_code="RU-SAM",
                         city="Samara", lat=samara.lat, lon=samara.lon, updated_at=now,
                         accreditation={"certificate_no": "RA.RU.21SM01", "status": "active",
                                        "valid_until": date.today() + timedelta(days=730)},
                         scope=({"method_code": METHOD, "max_samples": 1000, "price_rub": "90000"},))
    capacity = CapacityAdvertised(lab_id=lab_id, heartbeat_at=now, items=(
        CapacityItem(method_code=METHOD, slots=1, available_from=now - timedelta(hours=1),
                     available_to=now + timedelta(days=60)),))
    for topic, event in ((LABS, profile), (CAPACITY, capacity)):
        await producer.send_and_wait(topic.name, Envelope.wrap(event, producer="labs-api").to_bytes(),
                                     key=lab_id.encode())
    supply = booking.app[SUPPLY]
    await until(lambda: _itself(supply), lambda s: lab_id in s.profiles and lab_id in s.adverts)
    return lab_id


async def _itself(value):
    return value


def others_that_could(booking, lab_id: str) -> list[str]:
    """Labs other tests left on the broker that hold the method for this many samples."""
    profiles = booking.app[SUPPLY].profiles.values()
    found = [p.lab_id for p in profiles if p.lab_id != lab_id
             and any(s.method_code == METHOD and s.max_samples >= SAMPLES for s in p.scope)]
    assert len(found) <= 200, "more labs than a request may exclude: the broker holds too many"
    return found


async def gaps(booking, role: str = "staff"):
    response = await booking.client.get("/v1/insight/capacity-gaps", headers=booking.auth(role))
    return response.status, await response.json()


async def test_two_more_chambers_in_samara_place_the_four_left(booking, producer):
    lab_id = await seed_lab(producer, booking)
    deadline = (date.today() + timedelta(days=11)).isoformat()
    headers = booking.auth()
    for _ in range(6):
        await created(booking, headers, samples=SAMPLES, deadline=deadline, ship_from_region="RU-SAM",
                      excluded_lab_ids=others_that_could(booking, lab_id))
    status, body = await gaps(booking)
    assert status == 200, body
    assert (body["unplaced"], body["placed_more"]) == (4, 4)
    [item] = body["items"]
    assert (item["method_code"], item["waiting"], item["unplaced"]) == (METHOD, 6, 4)
    assert item["suggestion"] == {"region": "RU-SAM", "slots": 2, "available_from": date.today().isoformat(),
                                  "placed_more": 4}
    assert item["by_month"][0] == item["suggestion"]
    assert len(item["by_month"]) == 4

    # Nothing moved: the same answer, not planned again; one more request: planned again.
    _, again = await gaps(booking)
    assert again["computed_at"] == body["computed_at"]
    await created(booking, headers, samples=SAMPLES, deadline=deadline, ship_from_region="RU-SAM",
                  excluded_lab_ids=others_that_could(booking, lab_id))
    _, moved = await gaps(booking)
    assert moved["computed_at"] > body["computed_at"]
    assert (moved["items"][0]["waiting"], moved["items"][0]["unplaced"]) == (7, 5)


async def test_only_staff_see_the_localisation_case(booking):
    for role in ("supplier", "lab"):
        status, body = await gaps(booking, role)
        assert status == 404 and body["error"]["code"] == "not_found", (role, body)
