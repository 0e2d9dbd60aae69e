"""The staff's region figures: GET /v1/insight/regions and the same on the map
(GET /v1/insight/regions.svg), on a fresh database with requests placed, unmatched,
waiting and cancelled, per method and over all."""
from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from .conftest import created, getter, publish, status_event, until
from .test_staff import unmatched

pytestmark = pytest.mark.integration
OTHER = "ISO6270-2-CH-240"


async def offered(booking, producer, **overrides) -> dict:
    request, headers = await created(booking, **overrides)
    await publish(producer, request, status_event(request, 2, "MATCHING", "SUBMITTED"),
                  status_event(request, 3, "OFFERED", "MATCHING", lab_id="lab-a"))
    await until(getter(booking, request, headers), lambda b: b["status"] == "OFFERED")
    return request


@pytest.fixture
async def figures(booking, producer):
    """Samara: 1 offered, 2 unmatched, 1 waiting, 1 cancelled (method ISO9227-NSS-96) and
    1 waiting of OTHER; Tatarstan: 1 unmatched."""
    await offered(booking, producer)
    await unmatched(booking, producer, "no_accredited_lab")
    await unmatched(booking, producer, "no_capacity_before_deadline")
    await unmatched(booking, producer, "no_accredited_lab", ship_from_region="RU-TA")
    await created(booking)
    await created(booking, method_code=OTHER)
    gone, headers = await created(booking)
    assert (await booking.client.post(f"/v1/requests/{gone['id']}/cancel", headers=headers)).status == 200


async def regions(booking, query: str = "", role: str = "staff"):
    response = await booking.client.get(f"/v1/insight/regions{query}", headers=booking.auth(role))
    return response.status, await response.json()


async def test_each_region_counts_its_demand_placed_and_unmet(booking, figures):
    status, body = await regions(booking)
    assert status == 200 and body["method_code"] is None
    assert body["items"] == [{"region": "RU-SAM", "demand": 5, "placed": 1, "unmet": 2},  # the cancelled one left out
                             {"region": "RU-TA", "demand": 1, "placed": 0, "unmet": 1}]
    _, one = await regions(booking, f"?method_code={OTHER}")
    assert one == {"method_code": OTHER, "items": [{"region": "RU-SAM", "demand": 1, "placed": 0, "unmet": 0}]}


async def test_a_method_outside_the_catalogue_is_a_clear_error(booking):
    status, body = await regions(booking, "?method_code=NOPE-1")
    assert status == 400 and body["error"]["code"] == "bad_query"
    assert body["error"]["message"] == ("the query is not valid: method_code: Value error, unknown method 'NOPE-1'; "
                                        "see GET /v1/methods for the catalogue")
    status, body = await regions(booking, "?colour=red")
    assert status == 400 and body["error"]["message"].startswith("the query is not valid: colour: Extra inputs")


@pytest.mark.parametrize("role", ["supplier", "lab"])
async def test_only_staff_see_the_figures_and_the_map(booking, role):
    assert (await regions(booking, role=role))[0] == 404
    response = await booking.client.get("/v1/insight/regions.svg", headers=booking.auth(role))
    assert response.status == 404


async def test_the_map_draws_the_same_figures(booking, figures):
    response = await booking.client.get("/v1/insight/regions.svg?lang=ru&region=RU-TA", headers=booking.auth("staff"))
    assert response.status == 200 and response.content_type == "image/svg+xml"
    svg = ET.fromstring(await response.text())
    ns = "{http://www.w3.org/2000/svg}"
    titles = {a.get("data-region"): a.find(f"{ns}title").text for a in svg.iter(f"{ns}a")}
    assert titles == {"RU-SAM": "Самарская область: 5 запрошено, 1 размещено, 2 не размещено",
                      "RU-TA": "Республика Татарстан: 1 запрошено, 0 размещено, 1 не размещено"}
    outlined = [a.get("data-region") for a in svg.iter(f"{ns}a")
                if a.find(f"{ns}circle[@class='demand']").get("stroke")]
    assert outlined == ["RU-TA"]


async def test_the_tables_download_as_csv_and_xlsx(booking, figures):
    import csv
    import io

    from openpyxl import load_workbook

    staff = booking.auth("staff")
    response = await booking.client.get("/v1/insight/export?table=unmet-demand&format=csv", headers=staff)
    assert response.status == 200 and response.content_type == "text/csv"
    assert response.headers["Content-Disposition"].startswith('attachment; filename="labbook-unmet-demand-')
    rows = list(csv.reader(io.StringIO((await response.read()).decode("utf-8-sig"))))
    counts = {(r[0], r[2], r[4]): r[6] for r in rows[1:]}
    assert counts == {("ISO9227-NSS-96", "RU-SAM", "no_accredited_lab"): "1",
                      ("ISO9227-NSS-96", "RU-SAM", "no_capacity_before_deadline"): "1",
                      ("ISO9227-NSS-96", "RU-TA", "no_accredited_lab"): "1"}
    response = await booking.client.get("/v1/insight/export?table=regions&format=xlsx&lang=ru", headers=staff)
    assert response.status == 200 and response.headers["Content-Disposition"].endswith('.xlsx"')
    sheet = load_workbook(io.BytesIO(await response.read())).active
    assert [[c.value for c in row] for row in sheet.iter_rows()] == [
        ["регион", "название региона", "запрошено", "размещено", "не размещено"],
        ["RU-SAM", "Самарская область", 5, 1, 2], ["RU-TA", "Республика Татарстан", 1, 0, 1]]


async def test_an_export_of_no_such_table_or_format_says_which_are(booking):
    response = await booking.client.get("/v1/insight/export?table=labs", headers=booking.auth("staff"))
    body = await response.json()
    assert response.status == 400 and body["error"]["message"].startswith("the query is not valid: table: Input "
                                                                           "should be 'queue', 'unmet-demand', 'regions' or 'capacity-gaps'")
    supplier = await booking.client.get("/v1/insight/export?table=queue", headers=booking.auth("supplier"))
    assert supplier.status == 404


async def test_the_localisation_report_is_one_pdf_page_of_the_figures(booking, figures):
    import io

    from pypdf import PdfReader

    from schemas.moments import today_utc

    before = today_utc()
    response = await booking.client.get("/v1/insight/report.pdf?lang=ru", headers=booking.auth("staff"))
    assert response.status == 200 and response.content_type == "application/pdf"
    assert response.headers["Content-Disposition"] in {f'attachment; filename="labbook-localisation-{day}-ru.pdf"'
                                                       for day in (before, today_utc())}
    reader = PdfReader(io.BytesIO(await response.read()))
    assert len(reader.pages) == 1
    text = " ".join(reader.pages[0].extract_text().split())
    # Waiting: 3 UNMATCHED and 2 SUBMITTED; unmatched 3; placed: 1 OFFERED.
    assert "5 заявок" in text and "3 заявки" in text and "1 заявка" in text
    assert "Самарская область — 2 из 5; Республика Татарстан — 1 из 1" in text
    # By method and region, most first; the reasons most first too, cut to their column.
    assert "2 ISO9227-NSS-96 Коррозионные испытания в искусств… Самарская область Нет аккредитованной" in text
    assert "1 ISO9227-NSS-96 Коррозионные испытания в искусств… Республика Татарстан Нет аккредитованной" in text
    # The planner ran (on whatever labs the shared broker holds; test_capacity_gaps.py has the figures).
    assert "Что дадут новые мощности" in text and "расчёт мощностей ещё не выполнен" not in text


@pytest.mark.parametrize("role", ["supplier", "lab"])
async def test_only_staff_get_the_report(booking, role):
    response = await booking.client.get("/v1/insight/report.pdf", headers=booking.auth(role))
    assert response.status == 404 and response.content_type == "application/json"
    response = await booking.client.get("/v1/insight/report.pdf?lang=de", headers=booking.auth("staff"))
    body = await response.json()
    assert response.status == 400 and body["error"]["message"].startswith("the query is not valid: lang: Input "
                                                                           "should be 'en' or 'ru'")


async def test_without_its_font_the_report_says_which_package_to_install(booking, monkeypatch, tmp_path):
    from services.booking.insight import pdfpage

    monkeypatch.setattr(pdfpage, "FONT_DIR", tmp_path)  # a machine without fonts-dejavu-core
    pdfpage.font_files.cache_clear()
    try:
        response = await booking.client.get("/v1/insight/report.pdf", headers=booking.auth("staff"))
        body = await response.json()
    finally:
        pdfpage.font_files.cache_clear()
    assert response.status == 503 and body["error"]["code"] == "report_font_missing"
    assert "apt-get install fonts-dejavu-core" in body["error"]["message"]
