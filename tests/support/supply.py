"""A lab's supply as the labs service puts it on Kafka, for tests that play the labs
service: a LabProfile on labbook.labs.v1 and a CapacityAdvertised on labbook.capacity.v1."""
from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta, timezone

from schemas.envelope import Envelope
from schemas.events import CapacityAdvertised, CapacityItem, LabProfile
from schemas.regions import REGIONS_BY_CODE
from schemas.topics import CAPACITY, LABS


def samara_lab(method: str, slots: int = 1, max_samples: int = 1000) -> tuple[LabProfile, CapacityAdvertised]:
    """A live, accredited lab at Samara's centre with `slots` of the method for 60 days from an hour ago."""
    lab_id, now, samara = f"lab-gap-{uuid.uuid4().hex[:8]}", datetime.now(timezone.utc), REGIONS_BY_CODE["RU-SAM"]
    profile = LabProfile(lab_id=lab_id, name="Samara Test Lab", inn="6316000000", region_code="RU-SAM",
                         city="Samara", lat=samara.lat, lon=samara.lon, updated_at=now,
                         accreditation={"certificate_no": "RA.RU.21SM01", "status": "active",
                                        "valid_until": date.today() + timedelta(days=730)},
                         scope=({"method_code": method, "max_samples": max_samples, "price_rub": "90000"},))
    capacity = CapacityAdvertised(lab_id=lab_id, heartbeat_at=now, items=(
        CapacityItem(method_code=method, slots=slots, available_from=now - timedelta(hours=1),
                     available_to=now + timedelta(days=60)),))
    return profile, capacity


async def publish_lab(producer, profile: LabProfile, capacity: CapacityAdvertised) -> None:
    for topic, event in ((LABS, profile), (CAPACITY, capacity)):
        await producer.send_and_wait(topic.name, Envelope.wrap(event, producer="labs-api").to_bytes(),
                                     key=profile.lab_id.encode())


def others_that_could(profiles, lab_id: str, method: str, samples: int) -> list[str]:
    """Labs other tests left on the broker that hold the method for this many samples:
    a request excludes them, so only the test's own lab counts."""
    found = sorted({p.lab_id for p in profiles if p.lab_id != lab_id
                    and any(s.method_code == method and s.max_samples >= samples for s in p.scope)})
    assert len(found) <= 200, "more labs than a request may exclude: the broker holds too many"
    return found
