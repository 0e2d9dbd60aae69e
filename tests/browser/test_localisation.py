"""The localisation case in a real headless Chromium, against a real booking-api process
(its own database, the shared Kafka broker; tests/e2e/conftest.py).

The test plays the labs service (a lab's profile and capacity on Kafka) and a supplier
(requests through the API), then reads the dashboard's "where to add capacity" card
and the printable page. The figures are counted by hand, as in
tests/integration/booking/test_capacity_gaps.py: one 96 h chamber in Samara, six
requests from Samara due in eleven days; the chamber runs two, two more chambers run
the other four.
"""
from __future__ import annotations

import base64
import uuid
from datetime import date, timedelta

import aiohttp
import pytest
from aiokafka import AIOKafkaProducer

from schemas.events import LabProfile
from schemas.topics import LABS
from tests.browser.test_dashboard import bearer, body, choose_language, dashboard_as
from tests.e2e.conftest import booking_url, token  # noqa: F401  (the real booking-api process)
from tests.support.brokers import read_topic
from tests.support.supply import others_that_could, publish_lab, samara_lab
from tests.support.waits import until

pytestmark = pytest.mark.integration
METHOD, SAMPLES = "IEC60068-2-2-B", 999  # dry heat, 96 h: no other test here asks for it


@pytest.fixture(scope="module")
async def six_waiting(booking_url, settings):  # noqa: F811
    profile, capacity = samara_lab(METHOD)
    producer = AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap)
    await producer.start()
    try:
        await publish_lab(producer, profile, capacity)
    finally:
        await producer.stop()
    labs = await read_topic(settings.kafka_bootstrap, LABS, lambda e: isinstance(e, LabProfile))
    request = {**body(METHOD, "RU-SAM"), "samples": SAMPLES,
               "deadline": (date.today() + timedelta(days=11)).isoformat(),
               "excluded_lab_ids": others_that_could(labs, profile.lab_id, METHOD, SAMPLES)}
    async with aiohttp.ClientSession() as http:
        for _ in range(6):
            async with http.post(f"{booking_url}/v1/requests", json={**request, "component": {
                    **request["component"], "part_number": f"DH-{uuid.uuid4().hex[:6]}"}},
                    headers=bearer(token("supplier"))) as response:
                assert response.status == 201, await response.text()

        async def planned():  # the booking API has read the lab from Kafka and planned on it
            async with http.get(f"{booking_url}/v1/insight/capacity-gaps", headers=bearer(token("staff"))) as r:
                found = await r.json() if r.status == 200 else {"items": []}
            return any(i["method_code"] == METHOD and i["suggestion"] for i in found["items"])
        await until(planned, 60, "the capacity gaps never planned on the test's lab")


RU_MONTHS = ["января", "февраля", "марта", "апреля", "мая", "июня", "июля", "августа", "сентября", "октября",
             "ноября", "декабря"]


async def test_the_dashboard_card_gives_the_planners_figures(booking_url, six_waiting, tmp_path):  # noqa: F811
    async with dashboard_as(booking_url, tmp_path / "profile", token("staff")) as page:
        assert await page.until(f"document.querySelector('#gaps-table tr[data-method=\"{METHOD}\"]') !== null")
        row = await page.js(f"[...document.querySelector('#gaps-table tr[data-method=\"{METHOD}\"]').cells]"
                            ".map(c => c.textContent)")
        placed = await page.js(f"document.querySelector('#gaps-table tr[data-method=\"{METHOD}\"]')"
                               ".dataset.placedMore")
        await choose_language(page, "ru")
        assert await page.until("document.getElementById('gaps-table')?.tHead.textContent.startsWith('Метод')")
        row_ru = await page.js(f"[...document.querySelector('#gaps-table tr[data-method=\"{METHOD}\"]').cells]"
                               ".map(c => c.textContent)")
    assert placed == "4"
    today = date.today()
    assert row_ru[1:] == ["6", "4", "2 слота в регионе «Самарская область»",
                          f"{today.day} {RU_MONTHS[today.month - 1]} {today.year} г.", "4"]
    today = date.today()  # en-GB's long day, as the cell shows it: "2 December 2026"
    assert row[1:] == ["6", "4", "2 slots in Samara Oblast", f"{today.day} {today.strftime('%B')} {today.year}", "4"]


async def test_the_printable_report_opens_from_the_card_in_russian(booking_url, six_waiting, tmp_path):  # noqa: F811
    async with dashboard_as(booking_url, tmp_path / "profile", token("staff")) as page:
        await page.js("document.getElementById('gaps-print').click()")
        assert await page.until("location.pathname === '/dashboard/localisation' && document.readyState === "
                                "'complete' && document.getElementById('other-language') !== null")
        await page.js("document.getElementById('other-language').click()")
        assert await page.until("document.documentElement.lang === 'ru' && document.readyState === 'complete'")
        text = await page.js(f"document.querySelector('section[data-method=\"{METHOD}\"] .suggestion').textContent")
        shot = await page.call("Page.captureScreenshot", format="png")
    assert text.startswith("Ещё 2 слота для «") and "» в регионе «Самарская область» с " in text
    assert text.endswith(": в срок будут размещены ещё 4 заявки.")
    (tmp_path / "localisation.png").write_bytes(base64.b64decode(shot["data"]))  # the test's artefact
