"""GET /dashboard: the staff page (DESIGN.md, "staff dashboard page").

One self-contained HTML page (templates/dashboard.html, framed by page.html; pages.py):
inline CSS, vanilla JS and inline SVG charts; nothing is loaded from elsewhere. Without a staff session it is the sign-in form
(session.py); signed in, its script reads GET /v1/queue, GET /v1/unmet-demand, the
/v1/insight/* figures and the live stream GET /v1/events with the session cookie, never
seeing the token; each StatusChanged on the stream reads them again (debounced).

The labels it needs (method titles in English and Russian, region names, the
statuses in order and their names, every word of the page in both languages from
dashboardwords.py) are public data, embedded as JSON at render time, so switching
language re-labels the page in place.
Every answer carries a fresh CSP nonce, so only the page's own script and style run.
"""
from __future__ import annotations

import json
import secrets
from functools import cache

from aiohttp import web

from schemas.catalogue import CATALOGUE
from schemas.reasons import REASON_LABELS
from schemas.regions import REGIONS_BY_CODE
from schemas.states import STATUS_LABELS, RequestStatus
from schemas.values import STAFF_ROLES
from services.common.auth import verified
from services.common.errors import ApiError

from services.common.db import PG_POOL

from . import pages, session, staff
from .dashboardwords import all_words, language_of, words
from .insight import capacity, regionmap
from .insight import localisation as localisation_page

# Readable names of the reasons the scheduler gives for UNMATCHED: code -> [en, ru].
REASONS = {str(code): list(labels) for code, labels in REASON_LABELS.items()}


@cache
def labels_json() -> str:
    """The page's labels as JSON that is safe inside a <script> element."""
    labels = {
        "statuses": [s.value for s in RequestStatus],
        "statusNames": {s.value: {"en": en, "ru": ru} for s, (en, ru) in STATUS_LABELS.items()},
        "methods": {m.code: {"en": m.title_en, "ru": m.title_ru, "standard": m.standard}
                    for m in CATALOGUE.values()},
        "regions": {r.code: {"en": r.name_en, "ru": r.name_ru} for r in REGIONS_BY_CODE.values()},
        "reasons": REASONS,
        "words": all_words(),
    }
    text = json.dumps(labels, ensure_ascii=False, separators=(",", ":"))
    # "</script>" or "<!--" inside a string would end or confuse the element.
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def render(nonce: str, lang: str, signin: str = "", signout: str = "") -> str:
    """The page; `signin` and `signout` are the forms session.py builds (escaped there)."""
    return pages.render("dashboard.html", nonce=nonce, lang=lang, title=words(lang)["pageTitle"], labels=labels_json(),
                        session_class="signed-in" if signout else "signed-out", signin=signin, signout=signout)


def page(request: web.Request, *, error: str | None = None, status: int = 200) -> web.Response:
    """The dashboard if a staff member is signed in, else the sign-in form (with `error`),
    in the browser's language (dashboardwords.language_of)."""
    nonce, csrf, lang = secrets.token_urlsafe(16), session.csrf_token(request), language_of(request)
    if session.staff_session(request) is not None and error is None:
        text = render(nonce, lang, signout=session.signout_form(csrf, lang))
    else:
        text = render(nonce, lang, signin=session.signin_form(csrf, error, lang))
    return session.with_csrf(html_page(text, nonce, status), request, csrf)


def html_page(text: str, nonce: str, status: int = 200) -> web.Response:
    """A staff page: only its own nonce'd script and style run, never framed or cached."""
    csp = ("default-src 'none'; "
           f"script-src 'nonce-{nonce}'; style-src 'nonce-{nonce}'; "
           "connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'self'; "
           "frame-ancestors 'none'")
    return web.Response(text=text, status=status, content_type="text/html", charset="utf-8", headers={
        "Content-Security-Policy": csp,
        "Cache-Control": "no-store",
        "Referrer-Policy": "no-referrer",
        "X-Content-Type-Options": "nosniff",
        "X-Frame-Options": "DENY",
    })


async def dashboard(request: web.Request) -> web.Response:
    return page(request)


async def localisation(request: web.Request) -> web.Response:
    """GET /dashboard/localisation?lang=en|ru: the localisation case to print (staff
    session; without one, the sign-in page)."""
    if session.staff_session(request) is None:
        return web.Response(status=303, headers={"Location": "/dashboard"})
    lang = language_of(request, request.query.get("lang"))
    gaps = await capacity.capacity_gaps(request.app)
    found = await staff.regions(request.app[PG_POOL], None)
    nonce = secrets.token_urlsafe(16)
    return html_page(localisation_page.render(gaps, regionmap.region_map(found.items, lang), lang, nonce), nonce)


async def login(request: web.Request) -> web.Response:
    """POST /dashboard/login: a staff or admin token opens a session; anything else is
    refused on the sign-in page, saying why."""
    form, w = await session.checked_form(request), words(language_of(request))
    token = form.get("token", "").strip()
    token = token[7:].strip() if token.lower().startswith("bearer ") else token
    if not token:
        return page(request, error=w["pasteToken"], status=400)
    try:
        who = verified(request.app, token)
    except ApiError as exc:
        return page(request, error=w["tokenRefused"].format(message=exc.message), status=exc.status)
    if who.role not in STAFF_ROLES:
        return page(request, error=w["wrongRole"].format(role=who.role.value), status=403)
    response = web.Response(status=303, headers={"Location": "/dashboard"})
    session.open_session(response, request, who, token)
    return response


async def logout(request: web.Request) -> web.Response:
    """POST /dashboard/logout: the session cookie is cleared."""
    await session.checked_form(request)
    response = web.Response(status=303, headers={"Location": "/dashboard"})
    session.close_session(response)
    return response
