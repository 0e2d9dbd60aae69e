"""GET /docs (Swagger UI) and GET /docs/events (the AsyncAPI React component), both offline.

Each page is one template (`docs_assets/page.html`) that loads a viewer and its
start-up script from /docs/assets, files shipped in the package: the viewers are
vendored from npm unmodified, their versions and licences in `vendor/*/VERSION`.
Nothing comes from a CDN, and with no inline script the pages run under a CSP
that allows only this origin (plus data: images, which Swagger UI's CSS uses).
The AsyncAPI component validates the document with ajv, which compiles its
schemas with `new Function`, so /docs/events alone also allows 'unsafe-eval'.
"""
from __future__ import annotations

import html
from dataclasses import dataclass
from pathlib import Path
from string import Template

from aiohttp import web

ASSETS = Path(__file__).parent / "docs_assets"
CSP = ("default-src 'none'; script-src 'self'{eval}; style-src 'self'; img-src 'self' data:; font-src 'self'; "
       "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")


@dataclass(frozen=True)
class Viewer:
    path: str
    what: str
    css: str  # under vendor/
    script: str  # under vendor/
    start: str  # ours: points the viewer at the document
    root: str  # the element it renders into
    needs_eval: bool = False


VIEWERS = (
    Viewer("/docs", "REST API", "swagger-ui-dist/swagger-ui.css", "swagger-ui-dist/swagger-ui-bundle.js",
           "docs.js", "swagger-ui"),
    Viewer("/docs/events", "Kafka events", "asyncapi-react-component/default.min.css",
           "asyncapi-react-component/index.js", "events.js", "asyncapi", needs_eval=True),
)


def _handler(viewer: Viewer, title: str):
    template = Template((ASSETS / "page.html").read_text(encoding="utf-8"))
    text = template.substitute(vars(viewer), title=html.escape(title))
    headers = {"Content-Security-Policy": CSP.format(eval=" 'unsafe-eval'" if viewer.needs_eval else ""),
               "Referrer-Policy": "no-referrer", "X-Content-Type-Options": "nosniff"}

    async def page(_: web.Request) -> web.Response:
        return web.Response(text=text, content_type="text/html", charset="utf-8", headers=headers)

    return page


def docs_routes(app: web.Application, title: str) -> None:
    """The two pages, public like the documents they render, and their assets."""
    for viewer in VIEWERS:
        app.router.add_get(viewer.path, _handler(viewer, title))
    app.router.add_static("/docs/assets", ASSETS)
