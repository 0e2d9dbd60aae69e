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

import html
from datetime import date, timedelta

import pytest

from services.booking.insight.supply import SUPPLY

from tests.support.supply import others_that_could, publish_lab, samara_lab

from .conftest import created, until
from .test_dashboard_signin import get, signed_in

pytestmark = pytest.mark.integration
METHOD, SAMPLES = "ISO9227-NSS-96", 999


async def seed_lab(producer, booking) -> str:
    profile, capacity = samara_lab(METHOD)
    await publish_lab(producer, profile, capacity)
    supply = booking.app[SUPPLY]
    await until(lambda: _itself(supply), lambda s: profile.lab_id in s.profiles and profile.lab_id in s.adverts)
    return profile.lab_id


async def _itself(value):
    return value


async def gaps(booking, role: str = "staff"):
    response = await booking.client.get("/v1/insight/capacity-gaps", headers=booking.auth(role))
    return response.status, await response.json()


@pytest.fixture
def booking_env() -> dict[str, str]:
    return {"BOOKING_CAPACITY_GAPS_MIN_AGE_S": "0"}  # planned again as soon as the queue moves


@pytest.fixture
async def six_in_samara(booking, producer) -> dict:
    lab_id = await seed_lab(producer, booking)
    deadline = (date.today() + timedelta(days=11)).isoformat()
    headers = booking.auth()

    async def submit() -> None:
        await created(booking, headers, samples=SAMPLES, deadline=deadline, ship_from_region="RU-SAM",
                      excluded_lab_ids=others_that_could(booking.app[SUPPLY].profiles.values(), lab_id, METHOD, SAMPLES))
    for _ in range(6):
        await submit()
    return {"submit": submit}


async def test_two_more_chambers_in_samara_place_the_four_left(booking, six_in_samara):
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
    await six_in_samara["submit"]()
    _, moved = await gaps(booking)
    assert moved["computed_at"] > body["computed_at"]
    assert (moved["items"][0]["waiting"], moved["items"][0]["unplaced"]) == (7, 5)


async def test_the_printable_page_says_it_in_either_language(booking, six_in_samara):
    cookie, _ = await signed_in(booking)
    for lang, said in (("en", ["2 more slots of ", " in Samara Oblast from ", " would place 4 more requests."]),
                       ("ru", ["Ещё 2 слота для «", "» в регионе «Самарская область» с ",
                               ": в срок будут размещены ещё 4 заявки."])):
        response = await get(booking, f"/dashboard/localisation?lang={lang}", {"labbook_session": cookie})
        page = html.unescape(await response.text())
        assert response.status == 200 and f'<html lang="{lang}">' in page
        assert all(words in page for words in said), (lang, said)
        assert 'data-method="ISO9227-NSS-96"' in page and "<svg" in page
        assert "nonce-" in response.headers["Content-Security-Policy"]
    response = await get(booking, "/dashboard/localisation")
    assert response.status == 303 and response.headers["Location"] == "/dashboard"


async def test_the_pdf_report_gives_the_same_suggestion(booking, six_in_samara):
    import io

    from pypdf import PdfReader

    response = await booking.client.get("/v1/insight/report.pdf?lang=ru", headers=booking.auth("staff"))
    assert response.status == 200
    text = " ".join(PdfReader(io.BytesIO(await response.read())).pages[0].extract_text().split())
    assert "Ещё 2 слота для «" in text and "в срок будут размещены ещё 4 заявки." in text


async def test_only_staff_see_the_localisation_case(booking):
    for role in ("supplier", "lab"):
        status, body = await gaps(booking, role)
        assert status == 404 and body["error"]["code"] == "not_found", (role, body)
