"""The dashboard's Labs card in a real headless Chromium, against a real booking-api
process (its own database, the test's Kafka broker), signed in through the form.

Two labs are published to Kafka as the labs service would: one whose accreditation
runs out in 30 days, holding a request accepted for today + 29 .. today + 33 (00:00
UTC: 96 h, ending after the accreditation's last day, so at risk), with one slot
advertised for now + 1 d .. now + 11 d (240 h: 96 booked, 144 free); and one whose
agent was last heard 100 h ago (the scheduler's liveness window is 72 h).
"""
from __future__ import annotations

import asyncio
import base64
import uuid
from datetime import datetime, time, timedelta, timezone
from uuid import UUID

import aiohttp
import pytest
from aiokafka import AIOKafkaProducer

from schemas.envelope import Envelope
from schemas.events import CapacityAdvertised, CapacityItem, LabProfile, StatusChanged
from schemas.regions import REGIONS_BY_CODE
from schemas.topics import CAPACITY, LABS, STATUS
from tests.browser.test_dashboard import SAMARA_METHOD, bearer, body, dashboard_as
from tests.e2e.conftest import booking_url, token  # noqa: F401  (the real booking-api process)

pytestmark = pytest.mark.integration
DAY = timedelta(days=1)


def lab_events(lab_id: str, city: str, region: str, valid_days: int, heard: datetime, window) -> tuple:
    centre = REGIONS_BY_CODE[region]
    profile = LabProfile(lab_id=lab_id, name=f"{city} Test Centre", inn="6316000000", region_code=region, city=city,
                         lat=centre.lat, lon=centre.lon, updated_at=heard,
                         accreditation={"certificate_no": "RA.RU.21BR01", "status": "active",
                                        "valid_until": datetime.now(timezone.utc).date() + valid_days * DAY},
                         scope=({"method_code": SAMARA_METHOD, "max_samples": 20, "price_rub": "90000"},))
    capacity = CapacityAdvertised(lab_id=lab_id, heartbeat_at=heard, items=(CapacityItem(
        method_code=SAMARA_METHOD, slots=1, available_from=window[0], available_to=window[1]),))
    return (LABS, profile), (CAPACITY, capacity)


def accepted_at(request: dict, lab_id: str, start: datetime, end: datetime) -> list[bytes]:
    plan = {"lab_id": lab_id, "planned_start": start, "planned_end": end}
    steps = [(2, "MATCHING", "SUBMITTED", {}), (3, "OFFERED", "MATCHING", plan), (4, "ACCEPTED", "OFFERED", plan)]
    return [Envelope.wrap(StatusChanged(request_id=UUID(request["id"]), org_id=request["org_id"], seq=seq,
                                        status=status, previous=previous, at=datetime.now(timezone.utc), **fields),
                          producer="scheduler", correlation_id=request["id"]).to_bytes()
            for seq, status, previous, fields in steps]


async def applied(http, url: str, headers: dict, check, resend=None, attempts: int = 60):
    """GET url until check(answer) holds, calling resend() (if any) before each try: the process
    reads the status topic from its end once its consumer has joined, so earlier sends may be missed."""
    for _ in range(attempts):
        if resend is not None:
            await resend()
        async with http.get(url, headers=headers) as response:
            answer = await response.json()
        if check(answer):
            return answer
        await asyncio.sleep(0.5)
    raise AssertionError(f"{url} never showed what was sent: {answer}")


@pytest.fixture(scope="module")
async def two_labs(booking_url, settings):  # noqa: F811
    now = datetime.now(timezone.utc).replace(microsecond=0)
    midnight = datetime.combine(now.date(), time(), timezone.utc)
    expiring, silent = (f"lab-{kind}-{uuid.uuid4().hex[:8]}" for kind in ("expiring", "silent"))
    records = (*lab_events(expiring, "Togliatti", "RU-SAM", 30, now, (now + DAY, now + 11 * DAY)),
               *lab_events(silent, "Kazan", "RU-TA", 730, now - timedelta(hours=100), (now + DAY, now + 3 * DAY)))
    supplier = token("supplier")
    producer = AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap)
    await producer.start()
    try:
        for topic, event in records:
            await producer.send_and_wait(topic.name, Envelope.wrap(event, producer="labs-api").to_bytes(),
                                         key=event.lab_id.encode())
        async with aiohttp.ClientSession() as http:
            async with http.post(f"{booking_url}/v1/requests", json=body(SAMARA_METHOD, "RU-SAM"),
                                 headers=bearer(supplier)) as response:
                assert response.status == 201, await response.text()
                request = await response.json()
            events = accepted_at(request, expiring, midnight + 29 * DAY, midnight + 33 * DAY)

            async def resend():
                for value in events:
                    await producer.send_and_wait(STATUS.name, value, key=request["id"].encode())

            await applied(http, f"{booking_url}/v1/requests/{request['id']}", bearer(supplier),
                          lambda r: r["status"] == "ACCEPTED", resend)
            figures = await applied(http, f"{booking_url}/v1/insight/labs", bearer(token("staff")),
                                    lambda f: {s["lab_id"] for s in f.get("silent", ())} >= {silent}
                                    and expiring in {e["lab_id"] for e in f["expiring"]})
    finally:
        await producer.stop()
    return {"expiring": expiring, "silent": silent, "figures": figures}


def row(table: str, lab_id: str) -> str:
    return f"document.querySelector(\"#{table} tr[data-lab='{lab_id}']\")"


async def test_the_labs_card_shows_the_silent_lab_and_the_expiring_accreditation(booking_url, two_labs,
                                                                                 tmp_path):  # noqa: F811
    expiring, silent = two_labs["expiring"], two_labs["silent"]
    async with dashboard_as(booking_url, tmp_path / "profile", token("staff")) as page:
        assert await page.until(f"{row('labs-silent-table', silent)} !== null")
        assert await page.until(f"{row('labs-expiring-table', expiring)} !== null")
        quiet = await page.js(f"Object.assign({{}}, {row('labs-silent-table', silent)}.dataset)")
        quiet_text = await page.js(f"{row('labs-silent-table', silent)}.textContent")
        lapsing = await page.js(f"Object.assign({{}}, {row('labs-expiring-table', expiring)}.dataset)")
        lapsing_text = await page.js(f"{row('labs-expiring-table', expiring)}.textContent")
        bar = await page.js(f"document.querySelector(\"#labs-use-chart g[data-key='{expiring} {SAMARA_METHOD}']\")"
                            "?.dataset.count")
        heading = await page.js("document.getElementById('labs-silent-heading').textContent")
        error = await page.js("document.getElementById('error').textContent")
        await page.call("Emulation.setDeviceMetricsOverride", width=1400, height=900, deviceScaleFactor=1,
                        mobile=False)
        await page.js("document.getElementById('labs-card').scrollIntoView()")
        shot = base64.b64decode((await page.call("Page.captureScreenshot", format="png"))["data"])
    (tmp_path / "dashboard-labs.png").write_bytes(shot)  # the test's artefact
    assert shot[:8] == b"\x89PNG\r\n\x1a\n"
    assert quiet == {"lab": silent, "holding": "0", "hoursSilent": "100"}
    assert "Kazan Test Centre" in quiet_text and "Republic of Tatarstan" in quiet_text
    assert lapsing == {"lab": expiring, "daysLeft": "30", "holding": "1", "atRisk": "1"}
    assert "Togliatti Test Centre" in lapsing_text and "RA.RU.21BR01" in lapsing_text
    assert bar == "240"  # 96 h booked + 144 h free of the one slot's 240 h
    assert heading == "Silent lab agents (no heartbeat within 72 h: offered nothing)"
    assert error == ""
