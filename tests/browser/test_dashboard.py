"""GET /dashboard in a real headless Chromium, against a real booking-api process.

The booking service runs as a subprocess on its own database and the shared Kafka
broker (tests/e2e/conftest.py); requests go in through the API, one is moved to
UNMATCHED by a StatusChanged on Kafka (as the scheduler would). Chromium, driven over
the DevTools protocol, signs in through the form as a person would (the token goes
only into the form; the session is an HttpOnly cookie) and the page is read as it
renders. Only loopback URLs are opened.
"""
from __future__ import annotations

import asyncio
import base64
import html
import json
import re
import struct
import uuid
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from contextlib import asynccontextmanager
from uuid import UUID

import aiohttp
import pytest
from aiokafka import AIOKafkaProducer

from schemas.catalogue import CATALOGUE
from schemas.envelope import Envelope
from schemas.events import StatusChanged
from schemas.topics import STATUS
from tests.e2e.conftest import booking_url, token  # noqa: F401  (the real booking-api process)
from tests.support.chromium import devtools

pytestmark = pytest.mark.integration

SAMARA_METHOD, KAZAN_METHOD = "ISO9227-NSS-96", "ISO9227-NSS-240"


def body(method_code: str, region: str) -> dict:
    return {"method_code": method_code, "test_kind": "validation",
            "component": {"name": "Door hinge", "part_number": f"DH-{uuid.uuid4().hex[:6]}", "category": "body"},
            "samples": 5, "deadline": (date.today() + timedelta(days=90)).isoformat(),
            "ship_from_region": region}


def bearer(value: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {value}"}


async def sign_in(page, base: str, token_value: str) -> None:
    """Open the dashboard, type the token into the sign-in form and submit it."""
    await page.call("Page.navigate", url=f"{base}/dashboard")
    assert await page.until("document.getElementById('signin') !== null")
    await page.js(f"document.getElementById('token').value = {json.dumps(token_value)};"
                  "document.getElementById('signin').requestSubmit()")
    assert await page.until("document.readyState === 'complete' && document.body.dataset.session !== undefined "
                            "&& (document.body.dataset.session === 'signed-in' || "
                            "document.getElementById('signin-error') !== null)")


@asynccontextmanager
async def dashboard_as(base: str, profile: Path, token_value: str, fragment: str = ""):
    """A Chromium page signed in with the token (then opened at #fragment, if any)."""
    async with devtools(base, profile) as page:
        await sign_in(page, base, token_value)
        if fragment:  # a fragment alone does not load the page again: reload it
            await page.js(f"window.before = true; location.hash = {json.dumps(fragment)}; location.reload()")
            assert await page.until("window.before === undefined && document.readyState === 'complete'")
        yield page


async def rendered(page, status: str = "SUBMITTED") -> str:
    """The page's DOM once its counts have come in."""
    assert await page.until(f"document.getElementById('status-{status}')?.dataset.count")
    return await page.js("document.documentElement.outerHTML")


def count_of(dom: str, status: str) -> int | None:
    found = re.search(rf'<g data-key="{status}" data-count="(\d+)" id="status-{status}">', dom)
    return int(found.group(1)) if found else None


def unmet_rows(dom: str) -> list[dict]:
    return [dict(zip(("method", "region", "reason", "count"), m.groups())) for m in re.finditer(
        r'<tr data-method="([^"]+)" data-region="([^"]+)" data-reason="([^"]+)" data-count="(\d+)">', dom)]


@pytest.fixture(scope="module")
async def queue_state(booking_url, settings):  # noqa: F811
    """Three SUBMITTED requests (2 Samara, 1 Tatarstan) and one UNMATCHED (no accredited lab)."""
    supplier = token("supplier")
    async with aiohttp.ClientSession() as http:
        made = []
        for method, region in [(SAMARA_METHOD, "RU-SAM"), (SAMARA_METHOD, "RU-SAM"), (KAZAN_METHOD, "RU-TA"),
                               (KAZAN_METHOD, "RU-SAM")]:
            async with http.post(f"{booking_url}/v1/requests", json=body(method, region),
                                 headers=bearer(supplier)) as response:
                assert response.status == 201, await response.text()
                made.append(await response.json())
        unmatched = made[-1]
        producer = AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap)
        await producer.start()
        try:
            # The service reads status from the topic's end once its consumer has joined: resend until applied.
            staff = bearer(token("staff"))
            for _ in range(60):
                for seq, status, previous, reason in [(2, "MATCHING", "SUBMITTED", None),
                                                      (3, "UNMATCHED", "MATCHING", "no_accredited_lab")]:
                    event = StatusChanged(request_id=UUID(unmatched["id"]), org_id=unmatched["org_id"], seq=seq,
                                          status=status, previous=previous, at=datetime.now(timezone.utc),
                                          reason=reason)
                    await producer.send_and_wait(STATUS.name, Envelope.wrap(
                        event, producer="scheduler", correlation_id=unmatched["id"]).to_bytes(),
                        key=unmatched["id"].encode())
                await asyncio.sleep(0.5)
                async with http.get(f"{booking_url}/v1/queue", headers=staff) as response:
                    queue = await response.json()
                if queue["by_status"]["UNMATCHED"] == 1:
                    break
            assert queue["by_status"] == {**{s: 0 for s in queue["by_status"]}, "SUBMITTED": 3, "UNMATCHED": 1}
        finally:
            await producer.stop()
    return {"requests": made, "unmatched": unmatched, "queue": queue}


async def test_the_sign_in_page_is_public_and_self_contained(booking_url):  # noqa: F811
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{booking_url}/dashboard") as response:
            assert response.status == 200 and response.content_type == "text/html"
            page = await response.text()
            csp = response.headers["Content-Security-Policy"]
    assert "default-src 'none'" in csp and "connect-src 'self'" in csp and "form-action 'self'" in csp
    # Nothing from elsewhere: no src/href to another origin, no @import or url() of fonts.
    assert not re.search(r'(src|href)="(https?:)?//', page) and "@import" not in page and "url(" not in page
    nonce = re.search(r"script-src 'nonce-([^']+)'", csp).group(1)
    assert f'<script nonce="{nonce}">' in page
    assert CATALOGUE[SAMARA_METHOD].title_ru in page  # labels embedded at render time
    assert '<form id="signin" method="post" action="/dashboard/login"' in page


async def test_signed_in_the_dashboard_shows_the_queue_and_unmet_demand(booking_url, queue_state,
                                                                        tmp_path):  # noqa: F811
    staff = token("staff")
    async with dashboard_as(booking_url, tmp_path / "profile", staff) as page:
        assert await page.until("document.getElementById('live')?.className === 'pill live'")
        dom = await rendered(page)
        cookies = await page.js("document.cookie")
        url = await page.js("location.href")
    assert count_of(dom, "SUBMITTED") == 3, dom[-3000:]
    assert count_of(dom, "UNMATCHED") == 1
    assert count_of(dom, "MATCHING") == 0 and count_of(dom, "REPORT_ISSUED") == 0
    assert '<span class="n" id="total">4 in all</span>' in dom
    assert 'class="pill live"' in dom  # subscribed to /v1/events with the session
    assert 'id="error" role="alert"></div>' in dom  # no error shown
    # Waiting by region / method (top 10), with region names from the catalogue.
    assert re.search(r'<g data-key="RU-SAM" data-count="3">', dom) and re.search(r'<g data-key="RU-TA" data-count="1">', dom)
    assert "Samara Oblast (RU-SAM)" in dom and "Tatarstan" in dom
    assert re.search(rf'<g data-key="{SAMARA_METHOD}" data-count="2">', dom)
    # Unmet demand: one group, titled in English and Russian, with the reason.
    assert unmet_rows(dom) == [{"method": KAZAN_METHOD, "region": "RU-SAM", "reason": "no_accredited_lab", "count": "1"}]
    method = CATALOGUE[KAZAN_METHOD]
    assert html.escape(method.title_en, quote=False) in dom and html.escape(method.title_ru, quote=False) in dom
    assert "No accredited lab" in dom and "Самарская область" in dom
    assert "1 request UNMATCHED" in dom
    # The oldest waiting request is the first one submitted.
    assert f'id="oldest-id">{queue_state["requests"][0]["id"]}</dd>' in dom
    # The token is in no URL, in nothing the page's script can read, and not in the page.
    assert staff not in dom and staff not in url and "labbook_session" not in cookies


async def test_polling_mode_shows_the_same_counts(booking_url, queue_state, tmp_path):  # noqa: F811
    async with dashboard_as(booking_url, tmp_path / "profile", token("admin"), "mode=poll") as page:
        assert await page.until("document.getElementById('live')?.className === 'pill poll'")
        dom = await rendered(page)
    assert count_of(dom, "SUBMITTED") == 3 and count_of(dom, "UNMATCHED") == 1


async def test_screenshot_is_a_png(booking_url, queue_state, tmp_path):  # noqa: F811
    async with dashboard_as(booking_url, tmp_path / "profile", token("staff")) as page:
        await page.call("Emulation.setDeviceMetricsOverride", width=1400, height=1000, deviceScaleFactor=1,
                        mobile=False)
        await rendered(page)
        shot = await page.call("Page.captureScreenshot", format="png")
    data = base64.b64decode(shot["data"])
    (tmp_path / "dashboard.png").write_bytes(data)  # the test's artefact
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 20_000
    width, height = struct.unpack(">II", data[16:24])  # the IHDR chunk
    assert (width, height) == (1400, 1000)


@pytest.mark.parametrize("who, text", [
    ("garbage", "The token was refused: invalid bearer token"),
    ("supplier", "A supplier token cannot open the staff dashboard"),
    ("lab", "A lab token cannot open the staff dashboard"),
])
async def test_a_bad_or_non_staff_token_is_refused_at_sign_in(booking_url, tmp_path, who, text):  # noqa: F811
    value = "not-a-token" if who == "garbage" else token(who)
    async with devtools(booking_url, tmp_path / "profile") as page:
        await sign_in(page, booking_url, value)
        dom = await page.js("document.documentElement.outerHTML")
        cookies = await page.js("document.cookie")
        # Nothing staff-only opens without a session: the queue answers 401 to this browser.
        status = await page.js("fetch('/v1/queue').then(r => r.status)")
    assert text in dom and 'data-session="signed-out"' in dom
    assert count_of(dom, "SUBMITTED") is None and status == 401 and value not in cookies


async def test_sign_out_ends_the_session(booking_url, tmp_path):  # noqa: F811
    async with dashboard_as(booking_url, tmp_path / "profile", token("staff")) as page:
        assert await page.until("fetch('/v1/queue').then(r => r.status === 200)")
        await page.js("document.querySelector('#signout button').click()")
        assert await page.until("document.getElementById('signin') !== null")
        assert await page.js("fetch('/v1/queue').then(r => r.status)") == 401


def region_link(code: str) -> str:
    return f"document.querySelector(\"#map a.region[data-region='{code}']\")"


async def test_the_map_shows_each_region_switches_by_method_and_opens_a_region(booking_url, queue_state,
                                                                              tmp_path):  # noqa: F811
    async with dashboard_as(booking_url, tmp_path / "profile", token("staff")) as page:
        assert await page.until(f"{region_link('RU-SAM')} !== null")
        assert await page.js(f"{region_link('RU-SAM')}.querySelector('title').textContent") == \
            "Samara Oblast: 3 requested, 0 placed, 1 unmet"
        assert await page.js(f"{region_link('RU-TA')}.querySelector('title').textContent") == \
            "Republic of Tatarstan: 1 requested, 0 placed, 0 unmet"
        await page.js("const s = document.getElementById('map-method');"
                      f"s.value = '{KAZAN_METHOD}'; s.dispatchEvent(new Event('change'))")
        assert await page.until(f"{region_link('RU-SAM')}?.querySelector('title').textContent.startsWith("
                                "'Samara Oblast: 1 requested')")
        await page.js(f"{region_link('RU-SAM')}.querySelector('circle')"
                      ".dispatchEvent(new MouseEvent('click', {bubbles: true, cancelable: true}))")
        assert await page.until("document.getElementById('region-figures')?.dataset.region === 'RU-SAM'")
        rows = await page.js("[...document.querySelectorAll('#region-figures tr[data-figure]')]"
                             ".map(r => r.dataset.figure + '=' + r.dataset.count).join(',')")
        unmet = await page.js("[...document.querySelectorAll('#region-figures tr[data-reason]')]"
                              ".map(r => r.dataset.method + ':' + r.dataset.reason).join(',')")
        heading = await page.js("document.getElementById('region-name').textContent")
        outlined = await page.js(f"{region_link('RU-SAM')}.querySelector('circle').getAttribute('stroke')")
        url = await page.js("location.href")
    assert rows == "requested=1,placed=0,unmet=1" and unmet == f"{KAZAN_METHOD}:no_accredited_lab"
    assert heading == "Samara Oblast (RU-SAM)" and outlined == "#111" and url == f"{booking_url}/dashboard"


async def test_the_exports_download_from_the_signed_in_page_and_parse(booking_url, queue_state,
                                                                       tmp_path):  # noqa: F811
    """The links fetch with the session cookie alone; the files are what the tables show."""
    import csv
    import io

    from openpyxl import load_workbook

    fetch = ("fetch(document.getElementById('{id}').href).then(async r => [r.status, r.headers.get('content-type'),"
             " btoa(String.fromCharCode(...new Uint8Array(await r.arrayBuffer())))])")
    async with dashboard_as(booking_url, tmp_path / "profile", token("staff")) as page:
        await rendered(page)
        status, kind, data = await page.js(fetch.format(id="export-unmet-csv"))
        assert status == 200 and kind.startswith("text/csv")
        rows = list(csv.reader(io.StringIO(base64.b64decode(data).decode("utf-8-sig"))))
        status, kind, data = await page.js(fetch.format(id="export-regions-xlsx"))
        assert status == 200 and kind.startswith("application/vnd.openxmlformats")
        sheet = load_workbook(io.BytesIO(base64.b64decode(data))).active
    assert [(r[0], r[2], r[4], r[6]) for r in rows[1:]] == [(KAZAN_METHOD, "RU-SAM", "no_accredited_lab", "1")]
    assert [[c.value for c in row][:5] for row in sheet.iter_rows(min_row=2)] == [
        ["RU-SAM", "Samara Oblast", 3, 0, 1], ["RU-TA", "Republic of Tatarstan", 1, 0, 0]]


async def test_live_feed_shows_changes_as_they_arrive(booking_url, queue_state, tmp_path):  # noqa: F811
    """A request submitted while the page is open shows in the feed and the counts, with no reload."""
    async with dashboard_as(booking_url, tmp_path / "profile", token("staff")) as page:
        async with aiohttp.ClientSession() as http:
            assert await page.until("document.getElementById('live')?.className === 'pill live' && "
                                    "document.getElementById('status-SUBMITTED')?.dataset.count")
            before = int(await page.js("document.getElementById('status-SUBMITTED').dataset.count"))
            async with http.post(f"{booking_url}/v1/requests", json=body(SAMARA_METHOD, "RU-TA"),
                                 headers=bearer(token("supplier"))) as response:
                assert response.status == 201
                submitted = await response.json()
            # The booking service's own SUBMITTED event comes back through Kafka to the stream.
            item = f"#feed li[data-request='{submitted['id']}']"
            assert await page.until(f"document.querySelector(\"{item}\")?.dataset.status") == "SUBMITTED"
            assert await page.until(
                f"document.getElementById('status-SUBMITTED').dataset.count === '{before + 1}'")
            assert (await page.js("document.getElementById('feed-count').textContent")).endswith(" received")
            assert await page.js("document.getElementById('error').textContent") == ""


async def test_live_queue_shows_a_new_offer_without_reload(booking_url, queue_state, settings,
                                                          tmp_path):  # noqa: F811
    """A request submitted and moved to OFFERED by StatusChanged events on Kafka (as the scheduler
    would) shows in the offers-waiting table, the backlog's OFFERED part, today's throughput and
    the lead times, while the page stays open (refreshed from the SSE feed, not a reload)."""
    lab = f"lab-{uuid.uuid4().hex[:8]}"
    today = datetime.now(timezone.utc).date().isoformat()
    figures = {"offered": "document.querySelector(\"#age-0-1d rect[data-part='OFFERED']\")?.dataset.count || '0'",
               "submitted": f"document.querySelector(\"#throughput-chart g[data-day='{today}']\").dataset.submitted",
               "leads": f"document.querySelector(\"#lead-table tr[data-lead='{SAMARA_METHOD}']\")?.dataset.offerCount"
                        " || '0'"}
    async with dashboard_as(booking_url, tmp_path / "profile", token("staff")) as page:
        assert await page.until("document.getElementById('live')?.className === 'pill live' && "
                                "document.getElementById('age-0-1d')?.dataset.count")
        assert await page.js("document.getElementById('offers-none')?.textContent") == "No offers waiting on labs."
        before = {k: int(await page.js(v)) for k, v in figures.items()}
        await page.js("window.stayed = true")  # a reload would drop it
        async with aiohttp.ClientSession() as http:
            async with http.post(f"{booking_url}/v1/requests", json=body(SAMARA_METHOD, "RU-SAM"),
                                 headers=bearer(token("supplier"))) as response:
                assert response.status == 201
                made = await response.json()
        producer = AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap)
        await producer.start()
        try:
            for seq, status, previous, lab_id in [(2, "MATCHING", "SUBMITTED", None), (3, "OFFERED", "MATCHING", lab)]:
                event = StatusChanged(request_id=UUID(made["id"]), org_id=made["org_id"], seq=seq, status=status,
                                      previous=previous, at=datetime.now(timezone.utc), lab_id=lab_id)
                await producer.send_and_wait(STATUS.name, Envelope.wrap(
                    event, producer="scheduler", correlation_id=made["id"]).to_bytes(), key=made["id"].encode())
        finally:
            await producer.stop()
        row = f"document.querySelector(\"#offers-waiting tr[data-lab='{lab}']\")"
        assert await page.until(f"{row}?.dataset.count") == "1"
        cells = await page.js(f"[...{row}.cells].map(c => c.textContent)")
        after = {k: int(await page.js(v)) for k, v in figures.items()}
        stayed = await page.js("window.stayed")
    assert cells[:2] == [lab, "1"] and re.fullmatch(r"\d+ (s|min \d+ s)", cells[2]), cells
    assert after == {"offered": before["offered"] + 1, "submitted": before["submitted"] + 1,
                     "leads": before["leads"] + 1}
    assert stayed is True


async def choose_language(page, lang: str) -> None:
    await page.js("const s = document.getElementById('language');"
                  f"s.value = '{lang}'; s.dispatchEvent(new Event('change'))")


async def test_switching_language_changes_labels_and_is_remembered(booking_url, queue_state, tmp_path):  # noqa: F811
    """Russian, chosen on the page, re-labels it in place (the feed and the stream stay), the map
    is drawn again in Russian, the downloads ask for Russian; a reload and the sign-in form
    after signing out keep it; English comes back the same way."""
    heading = "document.querySelector('[data-t=\"byStatus\"]').textContent"
    submitted = "document.querySelector('#status-SUBMITTED text').textContent"
    async with dashboard_as(booking_url, tmp_path / "profile", token("staff")) as page:
        await rendered(page)
        assert await page.until(f"{region_link('RU-SAM')} !== null")
        assert (await page.js(heading), await page.js(submitted)) == ("Requests by status", "submitted")
        english = {"total": await page.js("document.getElementById('total').textContent"),
                   "map": await page.js(f"{region_link('RU-SAM')}.querySelector('title').textContent")}
        await page.js("window.stayed = true")
        await choose_language(page, "ru")
        assert await page.until("document.documentElement.lang === 'ru'")
        assert await page.until(f"{region_link('RU-SAM')}.querySelector('title').textContent.startsWith('Самарская')")
        seen = {"heading": await page.js(heading), "submitted": await page.js(submitted),
                "total": await page.js("document.getElementById('total').textContent"),
                "unmet": await page.js("document.getElementById('unmet-total').textContent"),
                "reason": await page.js("document.querySelector('#unmet-table .reason').textContent"),
                "map": await page.js(f"{region_link('RU-SAM')}.querySelector('title').textContent"),
                "pdf": await page.js("document.getElementById('export-report-pdf').getAttribute('href')"),
                "csv": await page.js("document.getElementById('export-unmet-csv').getAttribute('href')"),
                "title": await page.js("document.title"), "stayed": await page.js("window.stayed")}
        await page.js("location.reload()")  # window.stayed goes with the old page
        assert await page.until("window.stayed === undefined && document.readyState === 'complete' && "
                                "document.getElementById('status-SUBMITTED') !== null")
        after_reload = (await page.js("document.documentElement.lang"), await page.js(heading))
        await page.js("document.querySelector('#signout button').click()")
        assert await page.until("document.getElementById('signin') !== null")
        signin = await page.js("document.querySelector('#signin button').textContent")
        await choose_language(page, "en")  # signed out: the server's form comes again, in English
        assert await page.until("document.readyState === 'complete' && document.documentElement.lang === 'en'"
                                " && document.getElementById('signin') !== null")
        signin_en = await page.js("document.querySelector('#signin button').textContent")
    # The same figures as in English (earlier tests of this module add requests), in Russian words.
    total = re.fullmatch(r"(\d+) in all", english["total"]).group(1)
    requested, placed, unmet = re.fullmatch(r"Samara Oblast: (\d+) requested, (\d+) placed, (\d+) unmet",
                                            english["map"]).groups()
    assert seen == {"heading": "Заявки по статусам", "submitted": "подана", "total": f"всего {total}",
                    "unmet": "1 заявка без лаборатории (UNMATCHED)", "reason": "Нет аккредитованной лаборатории",
                    "map": f"Самарская область: {requested} запрошено, {placed} размещено, {unmet} не размещено",
                    "pdf": "/v1/insight/report.pdf?lang=ru",
                    "csv": "/v1/insight/export?table=unmet-demand&format=csv&lang=ru",
                    "title": "labbook · панель кластера", "stayed": True}
    assert after_reload == ("ru", "Заявки по статусам")
    assert (signin, signin_en) == ("Войти", "Sign in")


async def test_a_russian_browser_gets_russian_first(booking_url):  # noqa: F811
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{booking_url}/dashboard", headers={"Accept-Language": "ru-RU,ru;q=0.9,en;q=0.8"}) as r:
            page = await r.text()
    assert '<html lang="ru">' in page and "<title>labbook · панель кластера</title>" in page
    assert '<label for="token">Токен сотрудника</label>' in page
