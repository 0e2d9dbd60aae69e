"""The booking API's URL map (DESIGN.md, "Public contract (v1)")."""
from __future__ import annotations

from aiohttp import web

from . import views


def setup_routes(app: web.Application) -> None:
    app.router.add_post("/v1/requests", views.submit_request)
    app.router.add_get("/v1/requests", views.list_requests)
    app.router.add_get("/v1/requests/{id}", views.get_request)
    app.router.add_post("/v1/requests/{id}/cancel", views.cancel_request)
