"""GET /docs (Swagger UI) and GET /docs/events (the AsyncAPI React component), both offline.

Each page is a small HTML file that loads the viewer and a start-up script from
/docs/assets, files shipped in the package (`docs_assets/`; the two viewers are
vendored from npm unmodified, their versions and licences in `vendor/*/VERSION`).
Nothing comes from a CDN, and with no inline script the pages run under a CSP
that allows only this origin (plus data: images, which Swagger UI's CSS uses).
The AsyncAPI component validates the document with ajv, which compiles its
schemas with `new Function`, so /docs/events alone also allows 'unsafe-eval'.
"""
from __future__ import annotations

import html
from functools import cache
from pathlib import Path

from aiohttp import web

ASSETS = Path(__file__).parent / "docs_assets"
PAGES = {"/docs": ("docs.html", ""), "/docs/events": ("events.html", " 'unsafe-eval'")}
CSP = ("default-src 'none'; script-src 'self'{eval}; style-src 'self'; img-src 'self' data:; font-src 'self'; "
       "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")


@cache
def _template(name: str) -> str:
    return (ASSETS / name).read_text(encoding="utf-8")


def _page(name: str, title: str, csp: str):
    text = _template(name).replace("{{TITLE}}", html.escape(title))

    async def page(_: web.Request) -> web.Response:
        return web.Response(text=text, content_type="text/html", charset="utf-8", headers={
            "Content-Security-Policy": csp, "Referrer-Policy": "no-referrer", "X-Content-Type-Options": "nosniff"})

    return page


def docs_routes(app: web.Application, title: str) -> None:
    """The two pages, public like the documents they render, and their assets."""
    for path, (name, extra) in PAGES.items():
        app.router.add_get(path, _page(name, title, CSP.format(eval=extra)))
    app.router.add_static("/docs/assets", ASSETS)
