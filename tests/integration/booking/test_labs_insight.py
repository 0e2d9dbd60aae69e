"""GET /v1/insight/labs on a real booking API: the labs' supply comes from Kafka (the
test publishes LabProfile and CapacityAdvertised as the labs service would), the held
work from requests submitted through the API and moved by StatusChanged events as the
scheduler would move them. Only the test's own labs are looked at: other tests leave
theirs on the broker.

Counted by hand (now: the test's start, whole seconds; the route's own now is a few
seconds later, which moves none of the figures below):

- Expiring: accreditation valid until today + 30 (UTC), so 30 days left; it covers
  that whole day, to today + 31, 00:00 UTC. Agent heard just now. 2 salt-spray slots
  from now + 1 d to now + 41 d: 2 x 40 x 24 = 1,920 slot-hours, all inside the next
  90 days. It holds r1, OFFERED for now + 2 d .. now + 6 d (96 h), and r2, ACCEPTED for
  today + 29 00:00 .. today + 33 00:00 (96 h), which ends after the accreditation: at
  risk. r4 was offered there too, then cancelled: no longer held. Booked 192 h, free
  1,728 h, utilisation 192 / 1,920 = 0.1.
- Silent: agent last heard 100 h ago (the scheduler's window is 72 h); valid for two
  years, not listed as expiring. 1 slot from now + 1 d to now + 3 d: 48 h; it holds r3,
  OFFERED for now + 1 d .. now + 2 d: 24 h booked, utilisation 0.5.
"""
from __future__ import annotations

import uuid
from datetime import datetime, time, timedelta, timezone

import pytest

from schemas.envelope import Envelope
from schemas.events import CapacityAdvertised, CapacityItem, LabProfile
from schemas.regions import REGIONS_BY_CODE
from schemas.topics import CAPACITY, LABS
from services.booking.insight.supply import SUPPLY

from .conftest import created, getter, publish, status_event, until

pytestmark = pytest.mark.integration
SALT = "ISO9227-NSS-96"
DAY = timedelta(days=1)


async def _value(x):
    return x


async def seed_lab(producer, booking, *, city: str, region: str, valid_days: int, heard: datetime,
                   slots: int, window: tuple[datetime, datetime]) -> str:
    lab_id, centre = f"lab-{city.lower()}-{uuid.uuid4().hex[:8]}", REGIONS_BY_CODE[region]
    today = datetime.now(timezone.utc).date()
    profile = LabProfile(lab_id=lab_id, name=f"{city} Test Centre", inn="6316000000", region_code=region,
                         city=city, lat=centre.lat, lon=centre.lon, updated_at=heard,
                         accreditation={"certificate_no": "RA.RU.21LB01", "status": "active",
                                        "valid_until": today + timedelta(days=valid_days)},
                         scope=({"method_code": SALT, "max_samples": 20, "price_rub": "90000"},))
    capacity = CapacityAdvertised(lab_id=lab_id, heartbeat_at=heard, items=(
        CapacityItem(method_code=SALT, slots=slots, available_from=window[0], available_to=window[1]),))
    for topic, event in ((LABS, profile), (CAPACITY, capacity)):
        await producer.send_and_wait(topic.name, Envelope.wrap(event, producer="labs-api").to_bytes(),
                                     key=lab_id.encode())
    supply = booking.app[SUPPLY]
    await until(lambda: _value(supply), lambda s: lab_id in s.profiles and lab_id in s.adverts)
    return lab_id


async def held_at(booking, producer, lab_id: str, start: datetime, end: datetime, *, accepted: bool = False):
    """A request submitted through the API, then MATCHING and OFFERED (and ACCEPTED) at the lab."""
    request, headers = await created(booking)
    plan = {"lab_id": lab_id, "planned_start": start, "planned_end": end}
    events = [status_event(request, 2, "MATCHING", "SUBMITTED"), status_event(request, 3, "OFFERED", "MATCHING", **plan)]
    if accepted:
        events.append(status_event(request, 4, "ACCEPTED", "OFFERED", **plan))
    await publish(producer, request, *events)
    wanted = "ACCEPTED" if accepted else "OFFERED"
    body = await until(getter(booking, request, headers), lambda b: b["status"] == wanted)
    assert body["status"] == wanted and body["lab_id"] == lab_id
    return request, headers


async def figures(booking, role: str = "staff"):
    response = await booking.client.get("/v1/insight/labs", headers=booking.auth(role))
    return response.status, await response.json()


async def test_utilisation_expiring_accreditation_and_silent_agent(booking, producer):
    now = datetime.now(timezone.utc).replace(microsecond=0)
    midnight = datetime.combine(now.date(), time(), timezone.utc)
    expiring = await seed_lab(producer, booking, city="Togliatti", region="RU-SAM", valid_days=30, heard=now,
                              slots=2, window=(now + DAY, now + 41 * DAY))
    silent = await seed_lab(producer, booking, city="Kazan", region="RU-TA", valid_days=730,
                            heard=now - timedelta(hours=100), slots=1, window=(now + DAY, now + 3 * DAY))
    await held_at(booking, producer, expiring, now + 2 * DAY, now + 6 * DAY)
    await held_at(booking, producer, expiring, midnight + 29 * DAY, midnight + 33 * DAY, accepted=True)
    await held_at(booking, producer, silent, now + DAY, now + 2 * DAY)
    dropped, headers = await held_at(booking, producer, expiring, now + 7 * DAY, now + 8 * DAY)
    cancel = await booking.client.post(f"/v1/requests/{dropped['id']}/cancel", headers=headers)
    assert cancel.status == 200

    status, body = await figures(booking)
    assert status == 200, body
    mine = {expiring, silent}
    use = {u["lab_id"]: u for u in body["use"] if u["lab_id"] in mine}
    assert {k: (u["method_code"], u["available_hours"], u["booked_hours"], u["free_hours"], u["utilisation"])
            for k, u in use.items()} == {expiring: (SALT, 1920.0, 192.0, 1728.0, 0.1),
                                         silent: (SALT, 48.0, 24.0, 24.0, 0.5)}
    assert (use[expiring]["name"], use[expiring]["city"], use[expiring]["region"]) == \
        ("Togliatti Test Centre", "Togliatti", "RU-SAM")
    [lapsing] = [e for e in body["expiring"] if e["lab_id"] in mine]
    assert lapsing == {"lab_id": expiring, "name": "Togliatti Test Centre", "city": "Togliatti", "region": "RU-SAM",
                       "certificate_no": "RA.RU.21LB01", "status": "active",
                       "valid_until": (now.date() + 30 * DAY).isoformat(), "days_left": 30, "holding": 2,
                       "at_risk": 1}
    [quiet] = [s for s in body["silent"] if s["lab_id"] in mine]
    assert (quiet["lab_id"], quiet["city"], quiet["hours_silent"], quiet["holding"]) == (silent, "Kazan", 100.0, 1)
    assert datetime.fromisoformat(quiet["last_heartbeat"]) == now - timedelta(hours=100)
    assert body["liveness_hours"] == 72.0
    assert datetime.fromisoformat(body["until"]) - datetime.fromisoformat(body["since"]) == 90 * DAY


async def test_only_staff_see_the_labs_figures(booking):
    for role in ("supplier", "lab"):
        status, body = await figures(booking, role)
        assert status == 404 and body["error"]["code"] == "not_found", (role, body)
