"""GET /dashboard: the staff page (DESIGN.md, "staff dashboard page").

One self-contained HTML page: inline CSS, vanilla JS and inline SVG charts; nothing
is loaded from elsewhere. The page itself holds no request data, so it is served
without a token; it asks for a staff bearer token (kept in sessionStorage, or taken
from the `#token=...` URL fragment, which never reaches the server) and then reads
GET /v1/queue, GET /v1/unmet-demand and the live stream GET /v1/events with it.

The labels it needs (method titles in English and Russian, region names, the
statuses in order) are public catalogue data, embedded as JSON at render time.
Every answer carries a fresh CSP nonce, so only the page's own script and style run.
"""
from __future__ import annotations

import json
import secrets
from functools import cache
from pathlib import Path

from aiohttp import web

from schemas.catalogue import CATALOGUE
from schemas.reasons import REASON_LABELS
from schemas.regions import REGIONS_BY_CODE
from schemas.states import RequestStatus

TEMPLATE = Path(__file__).parent / "templates" / "dashboard.html"
# Readable names of the reasons the scheduler gives for UNMATCHED: code -> [en, ru].
REASONS = {str(code): list(labels) for code, labels in REASON_LABELS.items()}


@cache
def labels_json() -> str:
    """The page's labels as JSON that is safe inside a <script> element."""
    labels = {
        "statuses": [s.value for s in RequestStatus],
        "methods": {m.code: {"en": m.title_en, "ru": m.title_ru, "standard": m.standard}
                    for m in CATALOGUE.values()},
        "regions": {r.code: {"en": r.name_en, "ru": r.name_ru} for r in REGIONS_BY_CODE.values()},
        "reasons": REASONS,
    }
    text = json.dumps(labels, ensure_ascii=False, separators=(",", ":"))
    # "</script>" or "<!--" inside a string would end or confuse the element.
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


@cache
def _template() -> str:
    return TEMPLATE.read_text(encoding="utf-8")


def render(nonce: str) -> str:
    return _template().replace("{{NONCE}}", nonce).replace("{{LABELS}}", labels_json())


async def dashboard(request: web.Request) -> web.Response:
    nonce = secrets.token_urlsafe(16)
    csp = ("default-src 'none'; "
           f"script-src 'nonce-{nonce}'; style-src 'nonce-{nonce}'; "
           "connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; "
           "frame-ancestors 'none'")
    return web.Response(text=render(nonce), content_type="text/html", charset="utf-8", headers={
        "Content-Security-Policy": csp,
        "Cache-Control": "no-store",
        "Referrer-Policy": "no-referrer",
        "X-Content-Type-Options": "nosniff",
        "X-Frame-Options": "DENY",
    })
