"""GET /dashboard in a real headless Chromium, against a real booking-api process.

The booking service runs as a subprocess on its own database and the shared Kafka
broker (tests/e2e/conftest.py); requests go in through the API, one is moved to
UNMATCHED by a StatusChanged on Kafka (as the scheduler would), and Chromium
renders the page with `--dump-dom` / `--screenshot`. The token travels in the URL
fragment, so it never reaches the server's logs. Only loopback URLs are opened.
"""
from __future__ import annotations

import asyncio
import html
import re
import struct
import uuid
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from uuid import UUID

import aiohttp
import pytest
from aiokafka import AIOKafkaProducer

from schemas.catalogue import CATALOGUE
from schemas.envelope import Envelope
from schemas.events import StatusChanged
from schemas.topics import STATUS
from tests.e2e.conftest import booking_url, token  # noqa: F401  (the real booking-api process)
from tests.support.chromium import CHROMIUM, FLAGS, devtools, require_chromium

pytestmark = pytest.mark.integration

SAMARA_METHOD, KAZAN_METHOD = "ISO9227-NSS-96", "ISO9227-NSS-240"
CHROMIUM_TIMEOUT_S = 90


def body(method_code: str, region: str) -> dict:
    return {"method_code": method_code, "test_kind": "validation",
            "component": {"name": "Door hinge", "part_number": f"DH-{uuid.uuid4().hex[:6]}", "category": "body"},
            "samples": 5, "deadline": (date.today() + timedelta(days=90)).isoformat(),
            "ship_from_region": region}


def bearer(value: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {value}"}


async def chromium(url: str, profile: Path, *extra: str, budget_ms: int = 10000) -> str:
    """Run headless Chromium on a loopback URL; its stdout (the DOM with --dump-dom)."""
    assert url.startswith("http://127.0.0.1:"), url
    require_chromium()
    args = [CHROMIUM, *FLAGS, f"--user-data-dir={profile}", f"--virtual-time-budget={budget_ms}", *extra, url]
    child = await asyncio.create_subprocess_exec(*args, stdout=asyncio.subprocess.PIPE,
                                                 stderr=asyncio.subprocess.PIPE, env={"HOME": str(profile)})
    try:
        out, err = await asyncio.wait_for(child.communicate(), CHROMIUM_TIMEOUT_S)
    except TimeoutError:
        child.kill()
        await child.wait()
        raise AssertionError(f"chromium did not finish within {CHROMIUM_TIMEOUT_S} s: {url.split('#')[0]}")
    assert child.returncode == 0, err.decode(errors="replace")[-3000:]
    return out.decode()


def dashboard(base: str, token_value: str, **fragment: str) -> str:
    extra = "".join(f"&{k}={v}" for k, v in fragment.items())
    return f"{base}/dashboard#token={token_value}{extra}"


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


async def test_dashboard_page_is_public_and_self_contained(booking_url):  # noqa: F811
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{booking_url}/dashboard") as response:
            assert response.status == 200 and response.content_type == "text/html"
            page = await response.text()
            csp = response.headers["Content-Security-Policy"]
    assert "default-src 'none'" in csp and "connect-src 'self'" in csp
    # Nothing from elsewhere: no src/href to another origin, no @import or url() of fonts.
    assert not re.search(r'(src|href)="(https?:)?//', page) and "@import" not in page and "url(" not in page
    nonce = re.search(r"script-src 'nonce-([^']+)'", csp).group(1)
    assert f'<script nonce="{nonce}">' in page
    assert CATALOGUE[SAMARA_METHOD].title_ru in page  # labels embedded at render time


async def test_dashboard_shows_the_queue_and_unmet_demand(booking_url, queue_state, tmp_path):  # noqa: F811
    staff = token("staff")
    dom = await chromium(dashboard(booking_url, staff), tmp_path / "profile", "--dump-dom")
    assert count_of(dom, "SUBMITTED") == 3, dom[-3000:]
    assert count_of(dom, "UNMATCHED") == 1
    assert count_of(dom, "MATCHING") == 0 and count_of(dom, "REPORT_ISSUED") == 0
    assert '<span class="n" id="total">4 in all</span>' in dom
    assert 'class="pill live"' in dom  # subscribed to /v1/events with the token
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
    # The token left the address bar (history.replaceState) and sits in sessionStorage only.
    assert staff not in dom


async def test_polling_mode_shows_the_same_counts(booking_url, queue_state, tmp_path):  # noqa: F811
    dom = await chromium(dashboard(booking_url, token("admin"), mode="poll"), tmp_path / "profile", "--dump-dom")
    assert count_of(dom, "SUBMITTED") == 3 and count_of(dom, "UNMATCHED") == 1
    assert 'class="pill poll"' in dom


async def test_screenshot_is_a_png(booking_url, queue_state, tmp_path):  # noqa: F811
    shot = tmp_path / "dashboard.png"
    await chromium(dashboard(booking_url, token("staff")), tmp_path / "profile", f"--screenshot={shot}",
                   "--window-size=1400,1000", "--hide-scrollbars")
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 20_000
    width, height = struct.unpack(">II", data[16:24])  # the IHDR chunk
    assert (width, height) == (1400, 1000)


@pytest.mark.parametrize("who, text", [
    ("garbage", "The token was refused (401 Unauthorized)"),
    ("supplier", "This token is not a staff token (404 Not Found)"),
])
async def test_a_bad_token_shows_the_error(booking_url, tmp_path, who, text):  # noqa: F811
    value = "not-a-token" if who == "garbage" else token(who)
    dom = await chromium(dashboard(booking_url, value), tmp_path / "profile", "--dump-dom")
    assert text in dom
    assert 'class="pill error"' in dom and 'id="error" role="alert" class="shown"' in dom
    assert count_of(dom, "SUBMITTED") is None  # no data shown


async def test_live_feed_shows_changes_as_they_arrive(booking_url, queue_state, tmp_path):  # noqa: F811
    """A request submitted while the page is open shows in the feed and the counts, with no reload."""
    async with devtools(booking_url, tmp_path / "profile") as page:
        async with aiohttp.ClientSession() as http:
            await page.call("Page.navigate", url=dashboard(booking_url, token("staff")))
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
