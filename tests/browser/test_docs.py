"""/docs (Swagger UI) and /docs/events (AsyncAPI) in a real headless Chromium, offline.

Against the real booking-api process (tests/e2e/conftest.py): the page is opened
over the DevTools protocol, the test awaits the viewer's rendering of one of the
service's own operations or channels, and then checks every request the page made
went to the service itself and the page's CSP blocked nothing it needed.
"""
from __future__ import annotations

import pytest

from tests.e2e.conftest import booking_url  # noqa: F401  (the real booking-api process)
from tests.support.chromium import devtools

pytestmark = pytest.mark.integration

# Installed before any of the page's scripts run: every CSP violation is kept for the test to read.
CSP_PROBE = ("window.__csp = []; document.addEventListener('securitypolicyviolation', "
             "e => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));")


@pytest.mark.parametrize("path, selector, text, document", [
    ("/docs", '.opblock-summary-path[data-path="/v1/requests"]', "/v1/requests", "/openapi.json"),
    ("/docs/events", '[id="operation-send-booking-api.send.labbook.requests.v1"]', "labbook.requests.v1",
     "/asyncapi.json"),
])
async def test_viewer_renders_the_document_from_the_service_alone(booking_url, tmp_path, path, selector, text,  # noqa: F811
                                                                  document):
    async with devtools(booking_url, tmp_path / "profile") as page:
        await page.call("Network.enable")
        await page.call("Page.enable")
        await page.call("Page.addScriptToEvaluateOnNewDocument", source=CSP_PROBE)
        await page.call("Page.navigate", url=f"{booking_url}{path}")
        shown = await page.element(selector)
        violations = await page.js("window.__csp")
        assert violations == [] and shown is not None and text in shown, (violations, shown)
        other = "/docs/events" if path == "/docs" else "/docs"
        assert await page.js(f"!!document.querySelector('nav a[href=\"{other}\"]')")
        requested = page.requested()
    assert f"{booking_url}{document}" in requested
    assert f"{booking_url}/docs/assets/docs.css" in requested
    elsewhere = [url for url in requested if not url.startswith(f"{booking_url}/") and not url.startswith("data:")]
    assert elsewhere == []
